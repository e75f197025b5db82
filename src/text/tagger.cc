#include "text/tagger.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <numeric>
#include <random>
#include <unordered_map>

#include <fmt/format.h>

#include "common/progress.h"
#include "common/strings.h"
#include "common/time.h"

namespace kgp::text {
namespace {

constexpr char kMagic[8] = {'K', 'G', 'P', 'T', 'A', 'G', '0', '1'};
constexpr char kEnd[8] = {'K', 'G', 'P', 'T', 'A', 'G', 'E', 'N'};

template <typename T>
void Put(std::ostream& o, T v) {
  o.write(reinterpret_cast<const char*>(&v), sizeof v);
}
template <typename T>
bool Get(std::istream& i, T* v) {
  return static_cast<bool>(i.read(reinterpret_cast<char*>(v), sizeof *v));
}

}  // namespace

void Tagger::BuildAllowed() {
  const size_t L = labels_.size();
  allowed_.assign((L + 1) * L, 1);
  for (size_t cur = 0; cur < L; ++cur) {
    const std::string& c = labels_[cur];
    if (c.rfind("I-", 0) != 0) continue;
    for (size_t prev = 0; prev <= L; ++prev) {
      bool ok = prev > 0 && labels_[prev - 1].size() > 2 && labels_[prev - 1].substr(2) == c.substr(2);
      allowed_[prev * L + cur] = ok;
    }
  }
}

std::vector<uint16_t> Tagger::Viterbi(const SentenceFeatures& f, const float* w, const float* trans) const {
  const size_t n = f.size(), L = labels_.size();
  std::vector<uint16_t> out(n);
  if (n == 0) return out;
  constexpr float kNeg = -std::numeric_limits<float>::infinity();
  std::vector<float> emit(n * L, 0.f), score(n * L, kNeg);
  std::vector<uint16_t> back(n * L, 0);
  // The weight rows are scattered over a large table: ask for all of a sentence's rows first
  // so that the cache misses overlap instead of queueing.
  for (uint32_t id : f.ids) __builtin_prefetch(w + static_cast<size_t>(id) * L);
  for (size_t i = 0; i < n; ++i) {
    float* e = &emit[i * L];
    for (uint32_t k = f.offsets[i]; k < f.offsets[i + 1]; ++k) {
      const float* row = w + static_cast<size_t>(f.ids[k]) * L;
      for (size_t y = 0; y < L; ++y) e[y] += row[y];
    }
  }
  for (size_t y = 0; y < L; ++y)
    if (allowed_[y]) score[y] = trans[y] + emit[y];
  for (size_t i = 1; i < n; ++i) {
    for (size_t y = 0; y < L; ++y) {
      float best = kNeg;
      uint16_t arg = 0;
      for (size_t p = 0; p < L; ++p) {
        if (!allowed_[(p + 1) * L + y]) continue;
        float s = score[(i - 1) * L + p] + trans[(p + 1) * L + y];
        if (s > best) best = s, arg = static_cast<uint16_t>(p);
      }
      score[i * L + y] = best + emit[i * L + y];
      back[i * L + y] = arg;
    }
  }
  size_t y = 0;
  for (size_t k = 1; k < L; ++k)
    if (score[(n - 1) * L + k] > score[(n - 1) * L + y]) y = k;
  for (size_t i = n; i-- > 0;) {
    out[i] = static_cast<uint16_t>(y);
    y = back[i * L + y];
  }
  return out;
}

std::vector<uint16_t> Tagger::Decode(const SentenceFeatures& f) const { return Viterbi(f, w_.data(), trans_.data()); }

std::vector<std::string> Tagger::Tag(const std::vector<std::string>& tokens, const std::vector<std::string>* gaz) const {
  SentenceFeatures f;
  ExtractFeatures(tokens, gaz, fopts_, &f);
  std::vector<std::string> out;
  out.reserve(tokens.size());
  for (uint16_t y : Decode(f)) out.push_back(labels_[y]);
  return out;
}

Result<Tagger> Tagger::Train(const std::vector<Sentence>& train, const TaggerOptions& opts, TaggerTrainReport* report,
                             const std::vector<std::vector<std::string>>* gaz) {
  auto t0 = std::chrono::steady_clock::now();
  if (opts.features.hash_bits < 10 || opts.features.hash_bits > 26)
    return Status::InvalidArgument("hash_bits must be in 10..26");
  if (opts.epochs < 1) return Status::InvalidArgument("epochs must be at least 1");
  size_t tokens = 0;
  for (const Sentence& s : train) tokens += s.tokens.size();
  if (tokens == 0) return Status::InvalidArgument("no training sentences (a BIO file: one token and its tag per line)");
  Tagger m;
  m.fopts_ = opts.features;
  m.fopts_.use_gazetteer = opts.features.use_gazetteer && gaz != nullptr;
  m.unit_ = opts.unit;
  // Labels: O first, then the others sorted (stable ids across runs).
  std::vector<std::string> seen;
  for (const auto& s : train) seen.insert(seen.end(), s.tags.begin(), s.tags.end());
  std::sort(seen.begin(), seen.end());
  seen.erase(std::unique(seen.begin(), seen.end()), seen.end());
  std::erase(seen, "O");
  m.labels_ = {"O"};
  m.labels_.insert(m.labels_.end(), seen.begin(), seen.end());
  if (m.labels_.size() > 1000) return Status::InvalidArgument("more than 1,000 distinct tags");
  if ((uint64_t{1} << opts.features.hash_bits) * m.labels_.size() > kMaxWeights) {
    return Status::InvalidArgument(fmt::format(
        "hash_bits {} with {} tags makes {} weights, more than a tagger may have ({}): use fewer hash bits",
        opts.features.hash_bits, m.labels_.size(), (uint64_t{1} << opts.features.hash_bits) * m.labels_.size(),
        kMaxWeights));
  }
  std::unordered_map<std::string, uint16_t> label_id;
  for (size_t i = 0; i < m.labels_.size(); ++i) label_id[m.labels_[i]] = static_cast<uint16_t>(i);
  m.BuildAllowed();
  const size_t L = m.labels_.size(), B = size_t{1} << opts.features.hash_bits;
  m.w_.assign(B * L, 0.f);
  m.trans_.assign((L + 1) * L, 0.f);
  // Averaging by the timestamp trick: acc holds sum of c * delta; average = w - acc / c.
  std::vector<double> acc_w(B * L, 0.0), acc_t((L + 1) * L, 0.0);

  // Features once: they do not depend on the weights.
  std::vector<SentenceFeatures> feats(train.size());
  std::vector<std::vector<uint16_t>> gold(train.size());
  for (size_t s = 0; s < train.size(); ++s) {
    const auto* g = gaz && s < gaz->size() ? &(*gaz)[s] : nullptr;
    ExtractFeatures(train[s].tokens, g, m.fopts_, &feats[s]);
    for (const auto& t : train[s].tags) gold[s].push_back(label_id[t]);
  }
  std::vector<size_t> order(train.size());
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(opts.seed);
  double c = 1;
  uint64_t updates = 0;
  Progress progress("text: training tagger", train.size() * static_cast<uint64_t>(opts.epochs), "sentences");
  for (int ep = 0; ep < opts.epochs; ++ep) {
    std::shuffle(order.begin(), order.end(), rng);
    for (size_t s : order) {
      const SentenceFeatures& f = feats[s];
      const auto& y = gold[s];
      if (y.size() != f.size()) continue;
      std::vector<uint16_t> pred = m.Viterbi(f, m.w_.data(), m.trans_.data());
      if (pred != y) {
        ++updates;
        auto bump = [&](size_t i, uint16_t label, float d) {
          for (uint32_t k = f.offsets[i]; k < f.offsets[i + 1]; ++k) {
            size_t idx = static_cast<size_t>(f.ids[k]) * L + label;
            m.w_[idx] += d;
            acc_w[idx] += c * d;
          }
        };
        for (size_t i = 0; i < y.size(); ++i) {
          if (y[i] != pred[i]) {
            bump(i, y[i], 1.f);
            bump(i, pred[i], -1.f);
          }
          size_t tg = (i == 0 ? 0 : y[i - 1] + 1) * L + y[i], tp = (i == 0 ? 0 : pred[i - 1] + 1) * L + pred[i];
          if (tg != tp) {
            m.trans_[tg] += 1.f, acc_t[tg] += c;
            m.trans_[tp] -= 1.f, acc_t[tp] -= c;
          }
        }
      }
      c += 1;
      progress.Add(1);
    }
  }
  progress.Finish();
  uint64_t nonzero = 0;
  for (size_t i = 0; i < m.w_.size(); ++i) {
    m.w_[i] = static_cast<float>(m.w_[i] - acc_w[i] / c);
    nonzero += m.w_[i] != 0.f;
  }
  for (size_t i = 0; i < m.trans_.size(); ++i) m.trans_[i] = static_cast<float>(m.trans_[i] - acc_t[i] / c);
  if (report) {
    report->epochs = opts.epochs;
    report->updates = updates;
    report->nonzero = nonzero;
    report->seconds = SecondsSince(t0);
  }
  return m;
}

Status Tagger::Save(const std::string& path) const {
  std::ofstream o(path, std::ios::binary | std::ios::trunc);
  if (!o) return Status::IoError(fmt::format("{}: cannot write the tagger model", path));
  o.write(kMagic, 8);
  Put<uint32_t>(o, kVersion);
  Put<uint32_t>(o, static_cast<uint32_t>(fopts_.hash_bits));
  Put<uint8_t>(o, static_cast<uint8_t>(unit_));
  Put<uint8_t>(o, fopts_.use_gazetteer);
  Put<uint8_t>(o, fopts_.use_context);
  Put<uint8_t>(o, fopts_.use_words);
  Put<uint32_t>(o, static_cast<uint32_t>(labels_.size()));
  for (const auto& l : labels_) {
    Put<uint32_t>(o, static_cast<uint32_t>(l.size()));
    o.write(l.data(), static_cast<std::streamsize>(l.size()));
  }
  o.write(reinterpret_cast<const char*>(trans_.data()), static_cast<std::streamsize>(trans_.size() * sizeof(float)));
  // Weights sparse: most hashed buckets are never touched.
  uint64_t nz = 0;
  for (float v : w_) nz += v != 0.f;
  Put<uint64_t>(o, nz);
  for (size_t i = 0; i < w_.size(); ++i)
    if (w_[i] != 0.f) {
      Put<uint64_t>(o, i);
      Put<float>(o, w_[i]);
    }
  o.write(kEnd, 8);
  o.close();
  if (!o) return Status::IoError(fmt::format("{}: write failed", path));
  return Status::Ok();
}

Result<Tagger> Tagger::Load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound(fmt::format("{}: cannot open the tagger model", path));
  auto corrupt = [&](std::string_view why) {
    return Status::Corruption(fmt::format("{}: not a kgprofile tagger model ({})", path, why));
  };
  // The size bounds the weights the file may claim; a pipe has none to tell, and is then held
  // to the end marker and kMaxWeights alone.
  in.seekg(0, std::ios::end);
  std::streamoff file_size = in.tellg();
  in.clear();
  in.seekg(0);
  if (!in) file_size = -1, in.clear();
  char magic[8];
  if (!in.read(magic, 8) || std::memcmp(magic, kMagic, 8) != 0) return corrupt("bad magic");
  uint32_t version = 0, bits = 0, nl = 0;
  uint8_t unit = 0, gaz = 0, ctx = 0, words = 0;
  if (!Get(in, &version)) return corrupt("truncated header");
  if (version != kVersion)
    return Status::InvalidArgument(fmt::format("{}: tagger model version {} (this kgprofile reads {})", path, version, kVersion));
  if (!Get(in, &bits) || !Get(in, &unit) || !Get(in, &gaz) || !Get(in, &ctx) || !Get(in, &words) || !Get(in, &nl)) return corrupt("truncated header");
  if (bits < 10 || bits > 26 || unit > 1 || nl == 0 || nl > 1000) return corrupt("bad header values");
  const uint64_t n_weights = (uint64_t{1} << bits) * nl;
  if (n_weights > kMaxWeights) {
    return Status::InvalidArgument(fmt::format(
        "{}: 2^{} buckets × {} labels = {} weights, more than this version loads ({}): train it again with a smaller "
        "--hash-bits", path, bits, nl, n_weights, kMaxWeights));
  }
  Tagger m;
  m.fopts_.hash_bits = static_cast<int>(bits);
  m.fopts_.use_gazetteer = gaz != 0;
  m.fopts_.use_context = ctx != 0;
  m.fopts_.use_words = words != 0;
  m.unit_ = static_cast<TokenUnit>(unit);
  for (uint32_t i = 0; i < nl; ++i) {
    uint32_t len = 0;
    if (!Get(in, &len) || len > kMaxBioTagBytes) return corrupt("bad label");
    std::string l(len, '\0');
    if (!in.read(l.data(), len)) return corrupt("truncated labels");
    // As Train writes them: O first, then B-TYPE and I-TYPE (the tags a BIO file may hold), each once.
    if (i == 0 ? l != "O" : (l == "O" || !IsBioTag(l))) {
      return corrupt(i == 0 ? fmt::format("label 0 is '{}', not O", Printable(l))
                            : fmt::format("label {} is '{}', not B-TYPE or I-TYPE", i, Printable(l)));
    }
    if (std::find(m.labels_.begin(), m.labels_.end(), l) != m.labels_.end())
      return corrupt(fmt::format("label '{}' is there twice", Printable(l)));
    m.labels_.push_back(std::move(l));
  }
  const size_t L = nl, B = size_t{1} << bits;
  m.trans_.resize((L + 1) * L);
  if (!in.read(reinterpret_cast<char*>(m.trans_.data()), static_cast<std::streamsize>(m.trans_.size() * sizeof(float))))
    return corrupt("truncated transitions");
  for (float v : m.trans_)
    if (!std::isfinite(v)) return corrupt("a transition weight is not a finite number");
  uint64_t nz = 0;
  if (!Get(in, &nz) || nz > B * L) return corrupt("bad weight count");
  // The weights are nz (u64 index, f32 weight) pairs and the end marker: the file must hold them.
  const uint64_t left = file_size < 0 ? 0 : static_cast<uint64_t>(file_size - in.tellg());
  if (file_size >= 0 && (nz > left / 12 || left - nz * 12 != sizeof kEnd)) {
    return corrupt(fmt::format("{} weights claimed, {} bytes left for them and the end marker", nz, left));
  }
  m.w_.assign(B * L, 0.f);
  for (uint64_t k = 0; k < nz; ++k) {
    uint64_t i = 0;
    float v = 0;
    if (!Get(in, &i) || !Get(in, &v)) return corrupt("truncated weights");
    if (i >= B * L) return corrupt("weight index out of range");
    if (!std::isfinite(v)) return corrupt("a feature weight is not a finite number");
    m.w_[i] = v;
  }
  char end[8];
  if (!in.read(end, 8) || std::memcmp(end, kEnd, 8) != 0) return corrupt("missing end marker");
  m.BuildAllowed();
  return m;
}

}  // namespace kgp::text
