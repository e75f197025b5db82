#include "text/sentiment.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <numeric>
#include <random>

#include <fmt/format.h>

#include "common/hash.h"
#include "common/progress.h"
#include "text/gazetteer.h"
#include "text/normalize.h"

namespace kgp::text {
namespace {

constexpr char kMagic[8] = {'K', 'G', 'P', 'S', 'N', 'T', '0', '1'};

double Sigmoid(double z) { return z >= 0 ? 1 / (1 + std::exp(-z)) : std::exp(z) / (1 + std::exp(z)); }

}  // namespace

void SentimentModel::Features(std::string_view text, std::vector<uint32_t>* out) const {
  out->clear();
  const uint32_t mask = (1u << hash_bits_) - 1;
  std::string f = FoldForMatch(text);
  // Code point starts, spaces collapsed out of the n-gram stream.
  std::vector<std::string_view> cps;
  for (size_t i = 0; i < f.size();) {
    size_t b = i;
    char32_t cp = DecodeUtf8(f, i);
    if (ScriptOf(cp) == Script::kSpace) {
      if (!cps.empty() && cps.back() != " ") cps.push_back(" ");
      continue;
    }
    cps.push_back(std::string_view(f).substr(b, i - b));
  }
  for (size_t i = 0; i < cps.size(); ++i) {
    uint64_t h = 0;
    for (int n = 1; n <= max_char_n_ && i + static_cast<size_t>(n) <= cps.size(); ++n) {
      h = Hash64(cps[i + static_cast<size_t>(n) - 1], h + static_cast<uint64_t>(n));
      out->push_back(static_cast<uint32_t>(h) & mask);
    }
  }
  // Word unigrams and bigrams for Latin-script words.
  uint64_t prev = 0;
  for (const Token& t : TokenizeEnglish(f)) {
    uint64_t h = Hash64(t.text, 101);
    out->push_back(static_cast<uint32_t>(h) & mask);
    if (prev) out->push_back(static_cast<uint32_t>(HashCombine(prev, h)) & mask);
    prev = h;
  }
}

Result<SentimentModel> SentimentModel::Train(const std::vector<LabeledText>& data, const SentimentOptions& opts) {
  if (opts.hash_bits < 10 || opts.hash_bits > 26) return Status::InvalidArgument("hash_bits must be in 10..26");
  if (opts.epochs < 1) return Status::InvalidArgument("epochs must be at least 1");
  if (data.empty()) return Status::InvalidArgument("no training texts");
  SentimentModel m;
  m.hash_bits_ = opts.hash_bits;
  m.max_char_n_ = opts.max_char_n;
  m.w_.assign(size_t{1} << opts.hash_bits, 0.f);
  std::vector<std::vector<uint32_t>> feats(data.size());
  for (size_t i = 0; i < data.size(); ++i) m.Features(data[i].text, &feats[i]);
  double npos = 0;
  for (const auto& d : data) npos += d.label;
  double cw[2] = {1, 1};
  if (opts.balance_classes && npos > 0 && npos < double(data.size())) {
    cw[1] = double(data.size()) / (2 * npos);
    cw[0] = double(data.size()) / (2 * (double(data.size()) - npos));
  }
  std::vector<size_t> order(data.size());
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(opts.seed);
  const double total = double(opts.epochs) * double(data.size());
  double step = 0;
  Progress progress("text: training sentiment", static_cast<uint64_t>(total), "texts");
  for (int ep = 0; ep < opts.epochs; ++ep) {
    std::shuffle(order.begin(), order.end(), rng);
    for (size_t i : order) {
      const auto& f = feats[i];
      if (f.empty()) continue;
      // Features scaled by 1/sqrt(count) so long and short reviews take similar steps.
      double scale = 1.0 / std::sqrt(double(f.size()));
      double z = m.bias_;
      for (uint32_t k : f) z += m.w_[k] * scale;
      double g = (data[i].label - Sigmoid(z)) * cw[data[i].label ? 1 : 0];
      double lr = opts.lr * (1.0 - step / total) + 1e-4;
      step += 1;
      for (uint32_t k : f) m.w_[k] += static_cast<float>(lr * (g * scale - opts.l2 * m.w_[k]));
      m.bias_ += static_cast<float>(lr * g * 0.1);
      progress.Add(1);
    }
  }
  progress.Finish();
  return m;
}

double SentimentModel::Predict(std::string_view text) const {
  std::vector<uint32_t> f;
  Features(text, &f);
  if (f.empty()) return Sigmoid(bias_);
  double scale = 1.0 / std::sqrt(double(f.size())), z = bias_;
  for (uint32_t k : f) z += w_[k] * scale;
  return Sigmoid(z);
}

BinaryEval SentimentModel::Evaluate(const std::vector<LabeledText>& data) const {
  BinaryEval e;
  for (const auto& d : data) e.Add(Predict(d.text) >= 0.5, d.label);
  return e;
}

Status SentimentModel::Save(const std::string& path) const {
  std::ofstream o(path, std::ios::binary | std::ios::trunc);
  if (!o) return Status::IoError(fmt::format("{}: cannot write the sentiment model", path));
  o.write(kMagic, 8);
  uint32_t hdr[3] = {kVersion, static_cast<uint32_t>(hash_bits_), static_cast<uint32_t>(max_char_n_)};
  o.write(reinterpret_cast<const char*>(hdr), sizeof hdr);
  o.write(reinterpret_cast<const char*>(&bias_), sizeof bias_);
  uint64_t nz = 0;
  for (float v : w_) nz += v != 0.f;
  o.write(reinterpret_cast<const char*>(&nz), sizeof nz);
  for (uint32_t i = 0; i < w_.size(); ++i)
    if (w_[i] != 0.f) {
      o.write(reinterpret_cast<const char*>(&i), sizeof i);
      o.write(reinterpret_cast<const char*>(&w_[i]), sizeof(float));
    }
  o.write(kMagic, 8);
  o.close();
  if (!o) return Status::IoError(fmt::format("{}: write failed", path));
  return Status::Ok();
}

Result<SentimentModel> SentimentModel::Load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound(fmt::format("{}: cannot open the sentiment model", path));
  auto corrupt = [&](const char* why) { return Status::Corruption(fmt::format("{}: not a kgprofile sentiment model ({})", path, why)); };
  char magic[8];
  if (!in.read(magic, 8) || std::memcmp(magic, kMagic, 8) != 0) return corrupt("bad magic");
  uint32_t hdr[3];
  if (!in.read(reinterpret_cast<char*>(hdr), sizeof hdr)) return corrupt("truncated header");
  if (hdr[0] != kVersion)
    return Status::InvalidArgument(fmt::format("{}: sentiment model version {} (this kgprofile reads {})", path, hdr[0], kVersion));
  if (hdr[1] < 10 || hdr[1] > 26 || hdr[2] < 1 || hdr[2] > 8) return corrupt("bad header values");
  SentimentModel m;
  m.hash_bits_ = static_cast<int>(hdr[1]);
  m.max_char_n_ = static_cast<int>(hdr[2]);
  m.w_.assign(size_t{1} << hdr[1], 0.f);
  uint64_t nz = 0;
  if (!in.read(reinterpret_cast<char*>(&m.bias_), sizeof m.bias_) || !in.read(reinterpret_cast<char*>(&nz), sizeof nz) ||
      nz > m.w_.size())
    return corrupt("bad weight count");
  for (uint64_t k = 0; k < nz; ++k) {
    uint32_t i = 0;
    float v = 0;
    if (!in.read(reinterpret_cast<char*>(&i), sizeof i) || !in.read(reinterpret_cast<char*>(&v), sizeof v)) return corrupt("truncated weights");
    if (i >= m.w_.size()) return corrupt("weight index out of range");
    m.w_[i] = v;
  }
  if (!in.read(magic, 8) || std::memcmp(magic, kMagic, 8) != 0) return corrupt("missing end marker");
  return m;
}

Status SeededSplit(std::vector<LabeledText> all, double test_fraction, uint64_t seed, std::vector<LabeledText>* train,
                   std::vector<LabeledText>* test) {
  if (!(test_fraction >= 0 && test_fraction < 1))
    return Status::InvalidArgument(fmt::format("test fraction must be from 0 up to (not including) 1, not {}", test_fraction));
  std::mt19937_64 rng(seed);
  // Fisher-Yates with our own draws: std::shuffle's sequence is implementation-defined, and
  // the split must be the same on every standard library.
  for (size_t i = all.size(); i > 1; --i) std::swap(all[i - 1], all[rng() % i]);
  size_t nt = static_cast<size_t>(double(all.size()) * test_fraction);
  test->assign(std::make_move_iterator(all.begin()), std::make_move_iterator(all.begin() + static_cast<std::ptrdiff_t>(nt)));
  train->assign(std::make_move_iterator(all.begin() + static_cast<std::ptrdiff_t>(nt)), std::make_move_iterator(all.end()));
  return Status::Ok();
}

}  // namespace kgp::text
