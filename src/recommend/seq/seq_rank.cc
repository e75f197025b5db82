#include "recommend/seq/seq_rank.h"

#include <algorithm>
#include <cmath>

#include "common/log.h"
#include "common/rng.h"
#include "common/threads.h"

namespace kgp::rec {

SeqRankOptions SeqRankOptionsFrom(const Params& p) {
  SeqRankOptions o;
  o.mix = SeqMixOptionsFrom(p);
  o.negatives = static_cast<int>(p.Int("negatives", o.negatives));
  o.max_users = p.Int("max_users", o.max_users);
  o.seed = static_cast<uint64_t>(p.Int("seed", static_cast<int64_t>(o.seed)));
  if (o.negatives < 1) throw Error(Status::InvalidArgument("negatives must be >= 1"));
  return o;
}

void SeqRank::Features(const SeqMix& mix, const SeqMixParts& p, uint32_t j, float* out) {
  constexpr float kEps = 1e-6f;
  size_t f = 0;
  for (int s = 0; s < 2; ++s) {
    const float t = p.t[s][j], h = p.h[s].empty() ? 0 : p.h[s][j], a = p.a[s][j];
    for (float x : {t, h, a}) out[f++] = x, out[f++] = std::log(kEps + x);
  }
  const float m = mix.Combine(p, j);
  out[f++] = m, out[f++] = std::log(kEps + m);
  out[f++] = std::log(mix.Prior(j));
  out[f++] = p.rest_weight > 0 ? 1.0f : 0.0f;
}

Status SeqRank::Fit(const InteractionMatrix& train, const FitOptions& opts) {
  // Each user's last training item held out; SeqMix on the rest.
  std::vector<UserItem> pairs;
  std::vector<uint32_t> users;
  for (uint32_t u = 0; u < train.num_users(); ++u) {
    auto row = train.Items(u);
    if (row.size() < 2 || row.size() >= train.num_items()) continue;  // nothing to learn, or no negative to draw
    for (size_t i = 0; i + 1 < row.size(); ++i) pairs.push_back({u, row[i]});
    users.push_back(u);
  }
  if (users.empty()) return Status::InvalidArgument("SeqRank: no user has two training items to learn from");
  Rng pick(o_.seed);
  if (o_.max_users > 0 && users.size() > static_cast<size_t>(o_.max_users)) {
    for (size_t i = 0; i < static_cast<size_t>(o_.max_users); ++i)
      std::swap(users[i], users[i + pick.Below(static_cast<uint32_t>(users.size() - i))]);
    users.resize(static_cast<size_t>(o_.max_users));
    std::sort(users.begin(), users.end());
  }
  InteractionMatrix inner = InteractionMatrix::FromPairs(std::move(pairs), train.num_users(), train.num_items());
  SeqMix held(o_.mix);
  if (Status s = held.Fit(inner, opts); !s.ok()) return s;

  // Candidate rows: the held-out item (y = 1) and `negatives` items the user never had.
  const size_t per = 1 + static_cast<size_t>(o_.negatives), F = kFeatures;
  const uint32_t n = train.num_items();
  std::vector<float> x(users.size() * per * F);
  std::vector<uint8_t> y(users.size() * per, 0);
  const int threads = std::max(1, opts.threads);
  auto work = [&](int tid) {
    Rng rng(o_.seed * 7919 + static_cast<uint64_t>(tid));
    SeqMixParts parts;
    std::vector<uint32_t> own;
    for (size_t k = static_cast<size_t>(tid); k < users.size(); k += static_cast<size_t>(threads)) {
      auto row = train.Items(users[k]);
      own.assign(row.begin(), row.end());
      std::sort(own.begin(), own.end());
      held.Parts(row.first(row.size() - 1), true, &parts);
      float* out = x.data() + k * per * F;
      Features(held, parts, row.back(), out);
      y[k * per] = 1;
      for (size_t c = 1; c < per; ++c) {
        uint32_t j;
        do j = rng.Below(n);
        while (std::binary_search(own.begin(), own.end(), j));
        Features(held, parts, j, out + c * F);
      }
    }
  };
  RunThreads(threads, work);
  LogisticOptions lo;
  lo.positive_weight = 0;
  lr_.Fit(x, y, F, lo);
  if (!opts.quiet) LOG_INF("SeqRank: weights learned on {} held-out items ({} rows)", users.size(), y.size());
  return mix_.Fit(train, opts);
}

void SeqRank::Score(uint32_t /*user*/, std::span<const uint32_t> history, std::span<float> out) const {
  SeqMixParts parts;
  mix_.Parts(history, true, &parts);
  float f[kFeatures];
  const uint32_t n = mix_.num_items();
  for (uint32_t j = 0; j < n && j < out.size(); ++j) {
    Features(mix_, parts, j, f);
    out[j] = static_cast<float>(lr_.Logit(f));
  }
}

}  // namespace kgp::rec
