#include "recommend/algo/bpr_mf.h"

#include <algorithm>
#include <atomic>
#include <cmath>

#include <fmt/format.h>

#include "common/progress.h"
#include "common/rng.h"
#include "common/threads.h"

namespace kgp::rec {

BprOptions BprOptions::FromParams(const Params& p) {
  BprOptions o;
  o.dim = static_cast<int>(p.Int("dim", o.dim));
  o.epochs = static_cast<int>(p.Int("epochs", o.epochs));
  o.lr = p.Double("lr", o.lr);
  o.lr_min = p.Double("lr_min", o.lr_min);
  o.reg = p.Double("reg", o.reg);
  o.init_std = p.Double("init_std", o.init_std);
  ThrowIfError(o.Check());
  return o;
}

Status BprOptions::Check() const {
  if (dim <= 0 || epochs < 0 || !(lr > 0))
    return Status::InvalidArgument(fmt::format("bpr: need dim > 0, epochs >= 0, lr > 0 (got {}, {}, {})", dim, epochs, lr));
  return Status::Ok();
}

namespace {
// Approximately normal (sum of 4 uniforms, variance matched): initialisation only.
float Gaussish(Rng& rng, float std) {
  float s = rng.Unit() + rng.Unit() + rng.Unit() + rng.Unit() - 2.0f;
  return s * std * 1.7320508f;
}
}  // namespace

Status BprMf::Fit(const InteractionMatrix& train, const FitOptions& opts) {
  KGP_RETURN_IF_ERROR(o_.Check());
  InteractionMatrix ui = train.Dedup();
  num_users_ = ui.num_users();
  num_items_ = ui.num_items();
  const size_t d = static_cast<size_t>(o_.dim);
  user_.assign(num_users_ * d, 0.0f);
  item_.assign(num_items_ * d, 0.0f);
  bias_.assign(num_items_, 0.0f);
  Rng init(opts.seed);
  for (auto& v : user_) v = Gaussish(init, static_cast<float>(o_.init_std));
  for (auto& v : item_) v = Gaussish(init, static_cast<float>(o_.init_std));
  if (ui.nnz() == 0 || num_items_ < 2) return Status::Ok();

  // Sorted copies of the rows for the negative check; the flat pair list for sampling.
  std::vector<uint32_t> pair_user, pair_item;
  pair_user.reserve(ui.nnz());
  pair_item.reserve(ui.nnz());
  std::vector<std::vector<uint32_t>> sorted(num_users_);
  for (uint32_t u = 0; u < num_users_; ++u) {
    auto row = ui.Items(u);
    sorted[u].assign(row.begin(), row.end());
    std::sort(sorted[u].begin(), sorted[u].end());
    pair_user.insert(pair_user.end(), row.size(), u);
    pair_item.insert(pair_item.end(), row.begin(), row.end());
  }
  const size_t nnz = ui.nnz();
  const int threads = std::max(1, opts.threads);
  const float reg = static_cast<float>(o_.reg);
  Progress progress("bpr-mf", static_cast<uint64_t>(o_.epochs), "epochs");
  for (int epoch = 0; epoch < o_.epochs; ++epoch) {
    double t = o_.epochs > 1 ? static_cast<double>(epoch) / (o_.epochs - 1) : 0;
    const float lr = static_cast<float>(o_.lr + (o_.lr_min - o_.lr) * t);
    std::vector<double> loss(static_cast<size_t>(threads), 0.0);
    RunThreads(threads, [&](int tid) {
      Rng rng(opts.seed * 1000003u + static_cast<uint64_t>(epoch) * 7919u + static_cast<uint64_t>(tid) + 1);
      std::vector<float> pu(d);
      size_t steps = nnz / static_cast<size_t>(threads) + (static_cast<size_t>(tid) < nnz % threads ? 1 : 0);
      double l = 0;
      for (size_t s = 0; s < steps; ++s) {
        uint64_t p = rng.Below(static_cast<uint64_t>(nnz));
        uint32_t u = pair_user[p];
        uint32_t i = pair_item[p];
        const auto& pos = sorted[u];
        if (pos.size() >= num_items_) continue;  // no negative exists
        uint32_t j;
        do {
          j = rng.Below(num_items_);
        } while (std::binary_search(pos.begin(), pos.end(), j));
        float* up = &user_[u * d];
        float* qi = &item_[i * d];
        float* qj = &item_[j * d];
        float x = bias_[i] - bias_[j];
        for (size_t k = 0; k < d; ++k) x += up[k] * (qi[k] - qj[k]);
        float g = 1.0f / (1.0f + std::exp(x));  // σ(-x)
        l += x > -30 ? std::log1p(std::exp(-x)) : -x;
        for (size_t k = 0; k < d; ++k) pu[k] = up[k];
        for (size_t k = 0; k < d; ++k) {
          up[k] += lr * (g * (qi[k] - qj[k]) - reg * up[k]);
          qi[k] += lr * (g * pu[k] - reg * qi[k]);
          qj[k] += lr * (-g * pu[k] - reg * qj[k]);
        }
        bias_[i] += lr * (g - reg * bias_[i]);
        bias_[j] += lr * (-g - reg * bias_[j]);
      }
      loss[static_cast<size_t>(tid)] = l;
    });
    double total = 0;
    for (double l : loss) total += l;
    last_loss_ = total / static_cast<double>(nnz);
    progress.Add(1);
  }
  progress.Finish();
  return Status::Ok();
}

void BprMf::Score(uint32_t user, std::span<const uint32_t> history, std::span<float> out) const {
  const size_t d = static_cast<size_t>(o_.dim);
  std::vector<float> fold;
  const float* up;
  if (user < num_users_) {
    up = &user_[user * d];
  } else {
    fold.assign(d, 0.0f);
    size_t n = 0;
    for (uint32_t i : history) {
      if (i >= num_items_) continue;
      for (size_t k = 0; k < d; ++k) fold[k] += item_[i * d + k];
      ++n;
    }
    for (auto& v : fold) v /= static_cast<float>(std::max<size_t>(n, 1));
    up = fold.data();
  }
  size_t n = std::min<size_t>(out.size(), num_items_);
  for (size_t i = 0; i < n; ++i) {
    const float* q = &item_[i * d];
    float s = bias_[i];
    for (size_t k = 0; k < d; ++k) s += up[k] * q[k];
    out[i] = s;
  }
  std::fill(out.begin() + static_cast<std::ptrdiff_t>(n), out.end(), -1e30f);
}

}  // namespace kgp::rec
