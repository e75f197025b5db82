#include "embed/trainer.h"

#include <algorithm>
#include <atomic>
#include <barrier>
#include <memory>
#include <mutex>
#include <chrono>
#include <cmath>
#include <limits>
#include <thread>

#include <fmt/format.h>

#include "common/log.h"
#include "common/progress.h"
#include "embed/evaluator.h"
#include "embed/kernels.h"
#include "embed/partition.h"
#include "embed/relation_copies.h"
#include "common/hash.h"
#include "common/threads.h"
#include "common/rng.h"
#include "common/time.h"

namespace kgp::embed {

Result<Loss> ParseLoss(const std::string& name) {
  if (name == "margin") return Loss::kMargin;
  if (name == "logsigmoid") return Loss::kLogSigmoid;
  return Status::InvalidArgument(fmt::format("unknown loss '{}' (margin, logsigmoid)", name));
}

Result<Sampler> ParseSampler(const std::string& name) {
  if (name == "uniform") return Sampler::kUniform;
  if (name == "bernoulli") return Sampler::kBernoulli;
  return Status::InvalidArgument(fmt::format("unknown negative sampler '{}' (uniform, bernoulli)", name));
}

Result<Partition> ParsePartition(const std::string& name) {
  if (name == "auto") return Partition::kAuto;
  if (name == "on") return Partition::kOn;
  if (name == "off") return Partition::kOff;
  return Status::InvalidArgument(fmt::format("unknown partition mode '{}' (auto, on, off)", name));
}

const char* PartitionName(Partition p) {
  return p == Partition::kOn ? "on" : p == Partition::kOff ? "off" : "auto";
}

bool Partitioned(const TrainOptions& o, int threads, size_t num_entities, size_t train_triples) {
  if (threads < 2 || threads > kPartitionMaxThreads || o.partition == Partition::kOff) return false;
  const auto t = static_cast<size_t>(threads);
  return o.partition == Partition::kOn ||
         (num_entities >= kPartitionMinPerPart * 2 * t && train_triples >= kPartitionMinPerList * t * (2 * t - 1));
}

int ThreadsFor(const TrainOptions& o, size_t train_triples) {
  // No more threads than triples: a thread without a share of the epoch would only start and stop.
  return static_cast<int>(std::min<size_t>(o.threads > 0 ? o.threads : DefaultThreads(), train_triples));
}

int DefaultThreads() { return std::max(1u, std::thread::hardware_concurrency()); }

namespace {

inline float Sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }
inline float LogSigmoid(float x) { return x >= 0 ? -std::log1p(std::exp(-x)) : x - std::log1p(std::exp(x)); }

// Probability of corrupting the head per relation: tph / (tph + hpt) (Wang et al. 2014).
std::vector<float> BernoulliHeadProb(const Dataset& ds) {
  size_t m = ds.num_relations();
  std::vector<Triple> v = ds.train;
  std::vector<double> tph(m), hpt(m);
  for (int pass = 0; pass < 2; ++pass) {
    // pass 0: tails per (h, r); pass 1: heads per (r, t)
    std::sort(v.begin(), v.end(), [pass](const Triple& a, const Triple& b) {
      auto ka = pass == 0 ? std::tuple(a.r, a.h, a.t) : std::tuple(a.r, a.t, a.h);
      auto kb = pass == 0 ? std::tuple(b.r, b.h, b.t) : std::tuple(b.r, b.t, b.h);
      return ka < kb;
    });
    std::vector<double> groups(m), total(m);
    for (size_t i = 0; i < v.size(); ++i) {
      total[v[i].r] += 1;
      bool fresh = i == 0 || v[i].r != v[i - 1].r || (pass == 0 ? v[i].h != v[i - 1].h : v[i].t != v[i - 1].t);
      if (fresh) groups[v[i].r] += 1;
    }
    for (size_t r = 0; r < m; ++r) (pass == 0 ? tph : hpt)[r] = groups[r] > 0 ? total[r] / groups[r] : 1;
  }
  std::vector<float> p(m);
  for (size_t r = 0; r < m; ++r) p[r] = static_cast<float>(tph[r] / (tph[r] + hpt[r]));
  return p;
}

// One training thread. Positives come in batches that share one draw of negatives (as in
// chunked negative sampling): a negative's gradient is summed over the batch and applied once,
// so with k negatives an entity row takes about 2k/batch noise updates per positive instead of
// 2k, and the negative rows stay in cache while the batch runs. batch = 1 is plain
// per-positive sampling.
struct Worker {
  const Model& model;
  Params& p;
  OptimizerState& st;
  const TrainOptions& o;
  const KnownTriples* known;
  const std::vector<float>& head_prob;
  Rng rng;
  std::vector<float> gfix, grel, gother, gacc, sneg, dneg;
  std::vector<uint32_t> neg, cur;  // negatives of the next batch, of the current one
  std::vector<char> touched;
  // Partitioned epochs: negatives come from `pool` (else from every entity), and relation rows
  // are this thread's copies (embed/relation_copies.h). Train sets their merge_every to what the
  // most frequent relation gets in 128 positives: a copy goes about as stale, in updates, as that
  // relation's did when every copy was merged every 128 positives, and rarer relations' rows
  // move between the cores less often (WN18RR epochs 7% shorter with 2 threads, the same
  // accuracy). (Adam's and Adagrad's per-relation state stays shared and is still written on
  // every update.)
  const uint32_t* pool = nullptr;
  uint32_t pool_size = 0;
  RelationCopies rel;
  double loss = 0;
  size_t diverged = 0;  // positives whose score was NaN or infinite
  size_t trained = 0;   // positives taken (each once per epoch: TrainReport::positives)

  Worker(const Model& m, Params& params, OptimizerState& s, const TrainOptions& opts, const KnownTriples* k,
         const std::vector<float>& hp, uint64_t seed)
      : model(m), p(params), st(s), o(opts), known(k), head_prob(hp), rng(seed) {
    size_t kk = static_cast<size_t>(o.negatives);
    gfix.resize(p.entity_width);
    gother.resize(p.entity_width);
    grel.resize(p.relation_width);
    gacc.resize(kk * p.entity_width);
    sneg.resize(kk);
    dneg.resize(kk);
    neg.resize(kk);
    cur.resize(kk);  // Batch() swaps the two: both must hold k ids
    touched.resize(kk);
  }

  // The row training reads and writes for relation r: this thread's copy in partitioned epochs.
  float* Rel(uint32_t r) { return rel.active() ? rel.Row(r) : p.R(r); }

  static void Prefetch(const float* row, size_t width) {
    const char* b = reinterpret_cast<const char*>(row);
    for (size_t off = 0; off < width * sizeof(float); off += 64) __builtin_prefetch(b + off, 0, 2);
  }

  void PrefetchEntity(uint32_t e) {
    size_t w = p.entity_width;
    Prefetch(p.E(e), w);
    if (!st.entity.a.empty()) Prefetch(st.entity.a.data() + size_t{e} * w, w);
    if (!st.entity.b.empty()) {
      Prefetch(st.entity.b.data() + size_t{e} * w, w);
      __builtin_prefetch(&st.entity.pow1[e], 1, 3);
      __builtin_prefetch(&st.entity.pow2[e], 1, 3);
    }
  }

  // Draws the next batch's negatives and starts loading their rows.
  void PrepareNegatives() {
    for (auto& n : neg) {
      n = pool ? pool[rng.Below(pool_size)] : rng.Below(static_cast<uint32_t>(p.num_entities));
      PrefetchEntity(n);
    }
  }

  // Trains on xs[0..m); `next` is the first positive of the following batch, if any (its
  // negatives are drawn now and its rows start loading).
  void Batch(const Triple* xs, size_t m, float lr, const Triple* next) {
    size_t k = neg.size(), ew = p.entity_width;
    cur.swap(neg);
    if (next) {
      PrepareNegatives();
      PrefetchEntity(next->h);
      PrefetchEntity(next->t);
    }
    std::fill(touched.begin(), touched.end(), 0);  // a slot of gacc is zeroed when first used
    for (size_t i = 0; i < m; ++i) {
      if (i + 1 < m) PrefetchEntity(xs[i + 1].h), PrefetchEntity(xs[i + 1].t);
      Positive(xs[i], lr, k, ew);
    }
    for (size_t j = 0; j < k; ++j) {
      if (!touched[j]) continue;
      ApplyUpdate(o.update, lr, p.E(cur[j]), gacc.data() + j * ew, ew, st.entity, cur[j]);
      model.Constrain(p.E(cur[j]));
    }
  }

  void Positive(const Triple& x, float lr, size_t k, size_t ew) {
    bool head = o.sampler == Sampler::kBernoulli ? rng.Unit() < head_prob[x.r] : (rng.Next() & 1);
    if (rel.active()) rel.Tick();
    float* R = Rel(x.r);
    float* H = p.E(x.h);
    float* T = p.E(x.t);
    float spos = model.Score(H, R, T);
    if (!std::isfinite(spos)) {
      ++diverged;
      return;
    }
    for (size_t j = 0; j < k; ++j) {
      bool skip = head ? cur[j] == x.h : cur[j] == x.t;
      if (!skip && known) skip = head ? known->Contains(cur[j], x.r, x.t) : known->Contains(x.h, x.r, cur[j]);
      // A corruption that is the positive itself or a known true triple is not a negative.
      sneg[j] = skip ? -std::numeric_limits<float>::infinity()
                     : (head ? model.Score(p.E(cur[j]), R, T) : model.Score(H, R, p.E(cur[j])));
    }
    float dpos = 0;
    size_t valid = 0;
    for (size_t j = 0; j < k; ++j) valid += std::isfinite(sneg[j]);
    if (valid == 0) return;
    if (o.loss == Loss::kMargin) {
      for (size_t j = 0; j < k; ++j) {
        float v = std::isfinite(sneg[j]) ? o.margin - spos + sneg[j] : 0.0f;
        dneg[j] = v > 0 ? 1.0f / valid : 0.0f;
        if (v > 0) dpos -= 1.0f / valid, loss += v / valid;
      }
    } else {
      dpos = -Sigmoid(-spos);
      loss -= LogSigmoid(spos);
      float T0 = o.adversarial_temperature;
      float mx = -std::numeric_limits<float>::infinity();
      for (size_t j = 0; j < k; ++j) mx = std::max(mx, sneg[j]);
      double z = 0;
      for (size_t j = 0; j < k; ++j)
        z += dneg[j] = !std::isfinite(sneg[j]) ? 0.0f : (T0 > 0 ? std::exp(T0 * (sneg[j] - mx)) : 1.0f);
      for (size_t j = 0; j < k; ++j) {
        if (dneg[j] == 0) continue;
        float w = static_cast<float>(dneg[j] / z);
        loss -= w * LogSigmoid(-sneg[j]);
        dneg[j] = w * Sigmoid(sneg[j]);
      }
    }
    if (dpos == 0) return;
    std::fill(gfix.begin(), gfix.end(), 0.0f);
    std::fill(grel.begin(), grel.end(), 0.0f);
    std::fill(gother.begin(), gother.end(), 0.0f);
    // gfix: the entity every negative shares (tail when corrupting heads), gother: the one replaced.
    if (head) model.Grad(H, R, T, dpos, gother.data(), grel.data(), gfix.data());
    else model.Grad(H, R, T, dpos, gfix.data(), grel.data(), gother.data());
    for (size_t j = 0; j < k; ++j) {
      if (dneg[j] == 0 || !std::isfinite(sneg[j])) continue;
      float* N = p.E(cur[j]);
      float* g = gacc.data() + j * ew;
      if (!touched[j]) std::fill(g, g + ew, 0.0f), touched[j] = 1;
      if (head) model.Grad(N, R, T, dneg[j], g, grel.data(), gfix.data());
      else model.Grad(H, R, N, dneg[j], gfix.data(), grel.data(), g);
    }
    uint32_t fix = head ? x.t : x.h, other = head ? x.h : x.t;
    ApplyUpdate(o.update, lr, p.E(fix), gfix.data(), ew, st.entity, fix);
    ApplyUpdate(o.update, lr, p.E(other), gother.data(), ew, st.entity, other);
    ApplyUpdate(o.update, lr, R, grel.data(), p.relation_width, st.relation, x.r);
    if (rel.active()) rel.Updated(x.r);
    model.Constrain(p.E(fix));
    model.Constrain(p.E(other));
  }
};

}  // namespace

float ScheduledLr(const TrainOptions& o, double epochs_done) {
  const int length = o.schedule_epochs > 0 ? o.schedule_epochs : o.start_epoch + o.epochs;
  if (!o.linear_decay || length <= 0) return o.lr;
  return static_cast<float>(o.lr * std::max(1e-4, 1.0 - epochs_done / length));
}

Result<TrainReport> Train(const Model& model, Params& params, OptimizerState& state, const Dataset& ds,
                          const TrainOptions& o, const std::function<void(const EpochReport&)>& on_epoch) {
  if (o.epochs < 0) return Status::InvalidArgument("epochs must be >= 0");
  if (o.negatives < 1) return Status::InvalidArgument("negatives must be >= 1");
  if (o.batch < 1) return Status::InvalidArgument("batch must be >= 1");
  if (!(o.lr > 0) || !std::isfinite(o.lr)) return Status::InvalidArgument("learning rate must be a finite number > 0");
  if (!(o.margin >= 0) || !std::isfinite(o.margin))
    return Status::InvalidArgument("margin must be a finite number >= 0");
  if (!(o.adversarial_temperature >= 0) || !std::isfinite(o.adversarial_temperature))
    return Status::InvalidArgument("adversarial temperature must be a finite number >= 0 (0: plain mean)");
  if (params.num_entities != ds.num_entities() || params.num_relations != ds.num_relations() ||
      params.entity_width != model.entity_width() || params.relation_width != model.relation_width())
    return Status::InvalidArgument("parameter tables do not match the model and dataset");
  if (ds.train.empty()) return Status::InvalidArgument("no training triples");
  if (o.schedule_epochs < 0 || (o.schedule_epochs > 0 && o.schedule_epochs < o.start_epoch + o.epochs))
    return Status::InvalidArgument(fmt::format("the lr schedule's {} epochs end before the run's last epoch ({})",
                                               o.schedule_epochs, o.start_epoch + o.epochs));
  state.kind = o.update.kind;
  state.Prepare(params);
  const int threads = ThreadsFor(o, ds.train.size());
  auto head_prob = BernoulliHeadProb(ds);
  std::unique_ptr<KnownTriples> known;
  if (o.filter_negatives) known = std::make_unique<KnownTriples>(std::vector{&ds.train});
  std::unique_ptr<KnownTriples> all_known;
  std::vector<Triple> valid = ds.valid;
  bool validate = o.valid_every > 0 && !valid.empty();
  if (validate) {
    all_known = std::make_unique<KnownTriples>(std::vector{&ds.train, &ds.valid, &ds.test});
    if (o.valid_sample > 0 && valid.size() > o.valid_sample) {
      Rng vr(o.seed ^ 0x5eed);
      for (size_t i = 0; i < o.valid_sample; ++i) std::swap(valid[i], valid[i + vr.Below(static_cast<uint32_t>(valid.size() - i))]);
      valid.resize(o.valid_sample);
    }
  }

  const bool partitioned = Partitioned(o, threads, ds.num_entities(), ds.train.size());
  // Per-thread relation copies (partitioned epochs) cost two copies of the relation table per
  // thread: taken when those come to at most 64 MiB (they do for every model but TransR on
  // many relations).
  const bool local_relations =
      partitioned && params.relation.size() * sizeof(float) * 2 * static_cast<size_t>(threads) <= (64u << 20);
  // A relation's copy is merged after as many updates of its own as the most frequent relation
  // gets in 128 positives (Worker::rel), at least kMinRelationMerge: on a graph of many
  // relations of similar size a merge, and its lock, would otherwise come with every update.
  constexpr uint32_t kMinRelationMerge = 16;
  uint32_t merge_every = 128;
  if (local_relations && !ds.train.empty()) {
    std::vector<size_t> per(ds.num_relations());
    for (const Triple& x : ds.train) ++per[x.r];
    const double top = static_cast<double>(*std::max_element(per.begin(), per.end()));
    merge_every = std::max(kMinRelationMerge,
                           static_cast<uint32_t>(std::ceil(128.0 * top / static_cast<double>(ds.train.size()))));
  }
  if (partitioned)
    LOG_DBG("partitioned epochs: {} parts, {} rounds, relation copies per thread: {} (merged after {} updates)",
            2 * threads, 2 * threads - 1, local_relations ? "yes" : "no", merge_every);
  std::vector<Triple> order;  // shuffled copy: the hot loop reads it in sequence
  TrainReport rep;
  rep.partitioned = partitioned;
  // The best epoch's tables and the optimizer state that goes with them (kept together, so that
  // --resume from the tables kept continues with their own moments and epoch count).
  Params best;
  OptimizerState best_state;
  int since_best = 0;
  Progress progress("train", static_cast<uint64_t>(o.epochs) * ds.train.size(), "triples");
  for (int ep = 0; ep < o.epochs; ++ep) {
    int epoch = o.start_epoch + ep;
    // The epoch's time (and so triples/s) includes its shuffle: 0.25 ms of WN18RR's 9-15 ms.
    auto t0 = std::chrono::steady_clock::now();
    // An epoch's order depends on the seed and the epoch's number only, as its workers'
    // generators do: a run resumed after N epochs goes on as the uninterrupted run did.
    order = ds.train;
    Rng shuffler(HashCombine(o.seed, static_cast<uint64_t>(epoch)));
    for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[shuffler.Below(static_cast<uint32_t>(i))]);
    std::vector<double> losses(static_cast<size_t>(threads));
    std::vector<size_t> diverged(static_cast<size_t>(threads)), trained(static_cast<size_t>(threads));
    float first_lr = 0, last_lr = 0;  // written by the first and the last thread only
    size_t batch = static_cast<size_t>(std::max(1, o.batch));
    // Trains w on xs[0..n); the rate follows the schedule from epoch position `from` to `to`.
    // The last batch's rate and position are returned, not stored: no store to shared memory in
    // the hot loop.
    auto run = [&](Worker& w, const Triple* xs, size_t n, double from, double to) {
      std::pair<float, double> last{0.0f, -1.0};
      if (n > 0) w.PrepareNegatives();
      for (size_t i = 0; i < n; i += batch) {
        last.second = from + (to - from) * double(i) / double(n);
        last.first = ScheduledLr(o, epoch + last.second);
        size_t m = std::min(batch, n - i);
        w.Batch(xs + i, m, last.first, i + m < n ? xs + i + m : nullptr);
      }
      w.trained += n;
      return last;
    };
    auto seed_of = [&](int tid, int round) {
      return o.seed * 1000003ull + static_cast<uint64_t>(epoch) * 7919 + static_cast<uint64_t>(tid) +
             static_cast<uint64_t>(round) * 104729;
    };
    if (!partitioned) {
      RunThreads(threads, [&](int tid) {
        Worker w(model, params, state, o, known.get(), head_prob, seed_of(tid, 0));
        size_t n = order.size(), b = n * tid / threads, e = n * (tid + 1) / threads;
        if (tid == 0) first_lr = ScheduledLr(o, epoch);
        float lr = run(w, order.data() + b, e - b, 0, 1).first;
        if (tid == threads - 1) last_lr = lr;
        losses[static_cast<size_t>(tid)] = w.loss;
        diverged[static_cast<size_t>(tid)] = w.diverged;
        trained[static_cast<size_t>(tid)] = w.trained;
      });
    } else {
      // Rounds (embed/partition.h): in each, thread t owns the two parts of pair t and trains
      // the triples of the buckets between them (and in the first round those within each).
      EpochPlan plan = PlanEpoch(order, ds.num_entities(), threads, HashCombine(o.seed ^ 0xb10c, uint64_t(epoch)));
      const int rounds = plan.rounds;
      const double total = static_cast<double>(order.size());
      first_lr = ScheduledLr(o, epoch);
      std::mutex merge_lock;
      // The rate and epoch position of each thread's last batch (the run's last rate is the one
      // furthest on, whichever thread trained it).
      std::vector<std::pair<float, double>> last(static_cast<size_t>(threads), {0.0f, -1.0});
      // One thread per slot for the whole epoch, meeting at a barrier between rounds; each
      // keeps one Worker (and its relation copies) across the rounds.
      std::vector<ChunkCursor> cursor(static_cast<size_t>(rounds * threads));
      std::barrier<> round_end(threads);
      RunThreads(threads, [&](int tid) {
        std::unique_ptr<Worker> w;
        auto& mine = last[static_cast<size_t>(tid)];
        for (int round = 0; round < rounds; ++round) {
          try {
            std::vector<uint32_t> pool = plan.Pool(round, tid);
            if (!w) {
              w = std::make_unique<Worker>(model, params, state, o, known.get(), head_prob, seed_of(tid, round));
              if (local_relations)
                w->rel.Init(params.relation.data(), params.num_relations, params.relation_width, &merge_lock, merge_every);
            }
            w->rng = Rng(seed_of(tid, round));
            // Negatives from the thread's own parts (from every entity when both are empty: on a
            // tiny graph, a thread with no part of its own can still help with the others' lists).
            w->pool = pool.empty() ? nullptr : pool.data();
            w->pool_size = static_cast<uint32_t>(pool.size());
            // The round's share of the schedule is its share of the epoch's triples.
            const double from = double(plan.start[size_t(round * threads)]) / total;
            const double to = double(plan.start[size_t((round + 1) * threads)]) / total;
            // The thread takes its own list in chunks, then helps with the others' (a hub
            // entity's part can hold most of a round's triples); only then does it write rows of
            // parts it does not own, as plain hogwild would.
            for (int k = 0; k < threads; ++k) {
              const int list = (tid + k) % threads;
              const Triple* xs = plan.Begin(round, list);
              const size_t n = plan.Size(round, list);
              for (;;) {
                auto [c, m] = cursor[size_t(round * threads + list)].Claim(n, threads);
                if (m == 0) break;
                const double a = from + (to - from) * double(c) / double(n), b = from + (to - from) * double(c + m) / double(n);
                auto at = run(*w, xs + c, m, a, b);
                if (at.second > mine.second) mine = at;
              }
            }
            if (local_relations) w->rel.Sweep();
            w->pool = nullptr;
          } catch (...) {
            // The others go on without this thread (they help with its lists) and do not wait
            // for it at the barrier; the epoch's error is this one (RunThreads rethrows it).
            round_end.arrive_and_drop();
            throw;
          }
          round_end.arrive_and_wait();
        }
        losses[static_cast<size_t>(tid)] = w->loss;
        diverged[static_cast<size_t>(tid)] = w->diverged;
        trained[static_cast<size_t>(tid)] = w->trained;
      }, [&](int missing) {
        for (int i = 0; i < missing; ++i) round_end.arrive_and_drop();
      });
      last_lr = std::max_element(last.begin(), last.end(), [](auto& x, auto& y) { return x.second < y.second; })->first;
    }
    if (ep == 0) rep.first_lr = first_lr;
    rep.last_lr = last_lr;
    double secs = SecondsSince(t0);
    rep.seconds += secs;
    rep.epochs_run = ep + 1;
    size_t bad = 0;
    for (size_t d : diverged) bad += d;
    for (size_t t : trained) rep.positives += t;
    if (bad > 0)
      return Status::Aborted(fmt::format(
          "training diverged in epoch {}: {} training triples scored NaN or infinity (the tables overflowed); "
          "lower the learning rate (--lr) or add regularisation (--reg)",
          epoch + 1, bad));
    double loss = 0;
    for (double l : losses) loss += l;
    loss /= static_cast<double>(ds.train.size());
    rep.final_loss = loss;
    progress.Add(ds.train.size());
    EpochReport er{epoch + 1, loss, secs, -1, false};
    if (validate && ((ep + 1) % o.valid_every == 0 || ep + 1 == o.epochs)) {
      EvalOptions eo;
      eo.threads = threads;
      eo.per_relation = false;
      auto r = Evaluate(model, params, valid, *all_known, eo);
      er.valid_mrr = r.filtered.mrr;
      if (r.filtered.mrr > rep.best_valid_mrr) {
        rep.best_valid_mrr = r.filtered.mrr;
        rep.best_epoch = epoch + 1;
        er.best = true;
        best = params;
        best_state = state;
        since_best = 0;
      } else {
        ++since_best;
      }
      LOG_INF("epoch {}: loss {:.4f}, valid MRR {:.4f}{}", epoch + 1, loss, r.filtered.mrr, er.best ? " (best)" : "");
    }
    if (on_epoch) on_epoch(er);
    if (validate && o.patience > 0 && since_best >= o.patience) {
      LOG_INF("early stop after epoch {}: no better valid MRR in {} checks (best {:.4f} at epoch {})", epoch + 1,
              o.patience, rep.best_valid_mrr, rep.best_epoch);
      break;
    }
  }
  progress.Finish();
  rep.kept_epoch = o.start_epoch + rep.epochs_run;
  if (validate && rep.best_epoch > 0 && !best.entity.empty()) {
    params = std::move(best);
    state = std::move(best_state);
    rep.kept_epoch = rep.best_epoch;
  }
  // The last updates, and rows no positive scored, are checked here: no NaN leaves training.
  for (const FloatTable* t : {&params.entity, &params.relation})
    for (float v : *t)
      if (!std::isfinite(v))
        return Status::Aborted("training diverged: the tables hold NaN or infinite values; lower the learning rate "
                               "(--lr) or add regularisation (--reg)");
  rep.triples_per_second = rep.seconds > 0 ? rep.epochs_run * double(ds.train.size()) / rep.seconds : 0;
  return rep;
}

}  // namespace kgp::embed
