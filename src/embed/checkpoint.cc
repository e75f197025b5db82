#include "embed/checkpoint.h"

#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string_view>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "common/hash.h"
#include "common/out_file.h"

namespace kgp::embed {

namespace {

constexpr char kMagic[8] = {'K', 'G', 'P', 'E', 'M', 'B', '\r', '\n'};

class Writer {
 public:
  void Bytes(const void* p, size_t n) { buf_.append(static_cast<const char*>(p), n); }
  template <class T>
  void Pod(T v) { Bytes(&v, sizeof v); }
  template <class V>
  void Vec(const V& v) {
    using T = typename V::value_type;
    Pod<uint64_t>(v.size());
    Bytes(v.data(), v.size() * sizeof(T));
  }
  std::string& buf() { return buf_; }

 private:
  std::string buf_;
};

class Reader {
 public:
  Reader(const std::string& data, std::string path) : d_(data), path_(std::move(path)) {}
  Status Bytes(void* p, size_t n) {
    if (n > d_.size() - pos_) return Status::Corruption(fmt::format("{}: truncated at byte {}", path_, pos_));
    if (n > 0) std::memcpy(p, d_.data() + pos_, n);  // an empty table's data() may be null (UB for memcpy)
    pos_ += n;
    return Status::Ok();
  }
  template <class T>
  Status Pod(T* v) { return Bytes(v, sizeof *v); }
  template <class V>
  Status Vec(V* v, size_t expect, const char* what) {
    using T = typename V::value_type;
    uint64_t n = 0;
    KGP_RETURN_IF_ERROR(Pod(&n));
    if (n != expect)
      return Status::Corruption(fmt::format("{}: {} holds {} values, expected {}", path_, what, n, expect));
    v->resize(n);
    return Bytes(v->data(), n * sizeof(T));
  }
  size_t pos() const { return pos_; }

 private:
  const std::string& d_;
  std::string path_;
  size_t pos_ = 0;
};

nlohmann::json ConfigJson(const ModelConfig& c) {
  return {{"model", c.name}, {"dim", c.dim}, {"relation_dim", c.relation_dim}, {"norm", c.norm},
          {"gamma", c.gamma}, {"init", c.init}, {"max_norm", c.max_norm}};
}

// The key path of the first number in j that JSON cannot hold (NaN or infinity, which dump()
// writes as null), or empty.
std::string NonFiniteAt(const nlohmann::json& j, const std::string& at) {
  if (j.is_number_float()) return std::isfinite(j.get<double>()) ? std::string() : at;
  std::string found;
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end() && found.empty(); ++it)
      found = NonFiniteAt(it.value(), at.empty() ? it.key() : at + "." + it.key());
  } else if (j.is_array()) {
    for (size_t i = 0; i < j.size() && found.empty(); ++i) found = NonFiniteAt(j[i], fmt::format("{}[{}]", at, i));
  }
  return found;
}

// A model setting of the header. Checkpoints written before SaveCheckpoint refused non-finite
// values hold null for an infinite one; for max_norm (infinite radius: never clips, as 0) and
// init (used only for rows added on --resume: the model's default, as 0) that reads as 0, so
// the tables such a file holds are not lost; gamma likewise for the models that do not use it.
float ConfigNumber(const nlohmann::json& h, const char* key, const std::string& model, bool required = false) {
  if (!required && !h.contains(key)) return 0.0f;
  const nlohmann::json& v = h.at(key);
  if (v.is_null() && (std::string_view(key) != "gamma" || model == "distmult" || model == "complex")) return 0.0f;
  if (v.is_null())
    throw std::runtime_error(fmt::format("{} is null (an infinite --gamma written by an older kgprofile): {} cannot "
                                         "score without it", key, model));
  return v.get<float>();
}

}  // namespace

Status SaveCheckpoint(const std::string& path, const Checkpoint& c) {
  nlohmann::json h = ConfigJson(c.config);
  h["epochs_done"] = c.epochs_done;
  h["num_entities"] = c.params.num_entities;
  h["num_relations"] = c.params.num_relations;
  h["entity_width"] = c.params.entity_width;
  h["relation_width"] = c.params.relation_width;
  h["entities"] = c.entity_names;
  h["relations"] = c.relation_names;
  h["info"] = c.info;
  h["optimizer"] = c.has_optimizer ? OptimizerName(c.optimizer.kind) : "none";
  // Refused before the file is touched: a NaN or infinite value would be written as null, which
  // the model settings cannot be read back from (the previous file stays).
  if (const std::string at = NonFiniteAt(h, ""); !at.empty())
    return Status::InvalidArgument(fmt::format("{}: not written: {} is not a finite number (a checkpoint holds finite "
                                               "values only)", path, at));
  std::string header = h.dump();
  Writer w;
  w.Bytes(kMagic, sizeof kMagic);
  w.Pod<uint32_t>(kCheckpointVersion);
  w.Pod<uint64_t>(header.size());
  w.Bytes(header.data(), header.size());
  w.Vec(c.params.entity);
  w.Vec(c.params.relation);
  if (c.has_optimizer) {
    for (const TableState* s : {&c.optimizer.entity, &c.optimizer.relation}) {
      w.Vec(s->a);
      w.Vec(s->b);
      w.Vec(s->pow1);
      w.Vec(s->pow2);
    }
  }
  w.Pod<uint64_t>(Hash64(w.buf()));
  OutFile f;
  Status s = f.OpenReplacing(path);
  if (s.ok()) {
    f.Write(w.buf());
    s = f.Close();
  }
  if (!s.ok()) return Status::IoError(fmt::format("{}: cannot write the checkpoint: {}", path, s.message()));
  return Status::Ok();
}

Result<Checkpoint> LoadCheckpoint(const std::string& path) {
  if (std::filesystem::is_directory(path))
    return Status::InvalidArgument(fmt::format("{}: a folder, not a checkpoint file", path));
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound(fmt::format("{}: cannot open checkpoint", path));
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (data.size() < sizeof kMagic + 4 + 8 + 8 || std::memcmp(data.data(), kMagic, sizeof kMagic) != 0)
    return Status::Corruption(fmt::format("{}: not a kgprofile embedding checkpoint (bad magic)", path));
  uint64_t stored = 0;
  std::memcpy(&stored, data.data() + data.size() - 8, 8);
  if (stored != Hash64(std::string_view(data.data(), data.size() - 8)))
    return Status::Corruption(fmt::format("{}: checksum mismatch (file damaged or truncated)", path));
  Reader r(data, path);
  char magic[8];
  KGP_RETURN_IF_ERROR(r.Bytes(magic, 8));
  uint32_t version = 0;
  KGP_RETURN_IF_ERROR(r.Pod(&version));
  if (version > kCheckpointVersion)
    return Status::InvalidArgument(
        fmt::format("{}: checkpoint version {} is newer than this kgprofile reads ({})", path, version, kCheckpointVersion));
  uint64_t hlen = 0;
  KGP_RETURN_IF_ERROR(r.Pod(&hlen));
  if (hlen > data.size()) return Status::Corruption(fmt::format("{}: header length {} too large", path, hlen));
  std::string header(hlen, '\0');
  KGP_RETURN_IF_ERROR(r.Bytes(header.data(), hlen));
  Checkpoint c;
  try {
    auto h = nlohmann::json::parse(header);
    c.config.name = h.at("model");
    c.config.dim = h.at("dim");
    c.config.relation_dim = h.at("relation_dim");
    c.config.norm = h.at("norm");
    c.config.gamma = ConfigNumber(h, "gamma", c.config.name, true);
    c.config.init = ConfigNumber(h, "init", c.config.name);
    c.config.max_norm = ConfigNumber(h, "max_norm", c.config.name);
    c.epochs_done = h.at("epochs_done");
    c.params.num_entities = h.at("num_entities");
    c.params.num_relations = h.at("num_relations");
    c.params.entity_width = h.at("entity_width");
    c.params.relation_width = h.at("relation_width");
    c.entity_names = h.at("entities").get<std::vector<std::string>>();
    c.relation_names = h.at("relations").get<std::vector<std::string>>();
    c.info = h.value("info", nlohmann::json::object());
    std::string opt = h.value("optimizer", "none");
    c.has_optimizer = opt != "none";
    if (c.has_optimizer) {
      auto k = ParseOptimizer(opt);
      if (!k.ok()) return Status::Corruption(fmt::format("{}: {}", path, k.status().message()));
      c.optimizer.kind = *k;
    }
  } catch (const std::exception& e) {
    return Status::Corruption(fmt::format("{}: bad header: {}", path, e.what()));
  }
  auto& p = c.params;
  if (c.entity_names.size() != p.num_entities || c.relation_names.size() != p.num_relations)
    return Status::Corruption(fmt::format("{}: name lists disagree with table sizes", path));
  KGP_RETURN_IF_ERROR(r.Vec(&p.entity, p.num_entities * p.entity_width, "entity table"));
  KGP_RETURN_IF_ERROR(r.Vec(&p.relation, p.num_relations * p.relation_width, "relation table"));
  if (c.has_optimizer) {
    const auto kind = c.optimizer.kind;
    std::pair<TableState*, std::pair<size_t, size_t>> tables[] = {
        {&c.optimizer.entity, {p.num_entities, p.entity_width}},
        {&c.optimizer.relation, {p.num_relations, p.relation_width}}};
    for (auto& [s, dims] : tables) {
      size_t cells = dims.first * dims.second;
      KGP_RETURN_IF_ERROR(r.Vec(&s->a, kind == OptimizerKind::kSgd ? 0 : cells, "optimizer state"));
      KGP_RETURN_IF_ERROR(r.Vec(&s->b, kind == OptimizerKind::kAdam ? cells : 0, "optimizer state"));
      KGP_RETURN_IF_ERROR(r.Vec(&s->pow1, kind == OptimizerKind::kAdam ? dims.first : 0, "optimizer steps"));
      KGP_RETURN_IF_ERROR(r.Vec(&s->pow2, kind == OptimizerKind::kAdam ? dims.first : 0, "optimizer steps"));
    }
  }
  if (r.pos() != data.size() - 8) return Status::Corruption(fmt::format("{}: trailing bytes after the tables", path));
  auto model = MakeModel(c.config);
  if (!model.ok()) return Status::Corruption(fmt::format("{}: {}", path, model.status().message()));
  if ((*model)->entity_width() != p.entity_width || (*model)->relation_width() != p.relation_width)
    return Status::Corruption(fmt::format("{}: table widths do not match model {}", path, c.config.name));
  return c;
}

Status ExportTsv(const std::string& path, const std::vector<std::string>& names, const FloatTable& table,
                 size_t width) {
  OutFile f;
  KGP_RETURN_IF_ERROR(f.OpenReplacing(path));
  for (size_t i = 0; i < names.size(); ++i) {
    // One line per row whatever a name holds: backslash, tab, newline and carriage return are
    // written \\, \t, \n and \r (linear TSV). 9 significant digits give the float back exactly.
    for (char c : names[i]) {
      switch (c) {
        case '\\': f.Write("\\\\"); break;
        case '\t': f.Write("\\t"); break;
        case '\n': f.Write("\\n"); break;
        case '\r': f.Write("\\r"); break;
        default: f.Put(c);
      }
    }
    for (size_t j = 0; j < width; ++j) {
      f.Put(j == 0 ? '\t' : ' ');
      f.Write(fmt::format("{:.9g}", table[i * width + j]));
    }
    f.Put('\n');
  }
  return f.Close();
}

Status ExportNpy(const std::string& path, const FloatTable& table, size_t rows, size_t width) {
  std::string dict = fmt::format("{{'descr': '<f4', 'fortran_order': False, 'shape': ({}, {}), }}", rows, width);
  size_t total = 10 + dict.size() + 1;
  size_t pad = (64 - total % 64) % 64;
  dict.append(pad, ' ');
  dict.push_back('\n');
  std::string head = "\x93NUMPY";
  head.push_back('\x01');
  head.push_back('\x00');
  uint16_t len = static_cast<uint16_t>(dict.size());
  head.append(reinterpret_cast<const char*>(&len), 2);
  OutFile f;
  KGP_RETURN_IF_ERROR(f.OpenReplacing(path));
  f.Write(head);
  f.Write(dict);
  f.Write(std::string_view(reinterpret_cast<const char*>(table.data()), rows * width * sizeof(float)));
  return f.Close();
}

}  // namespace kgp::embed
