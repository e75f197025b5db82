// Embedding benchmark (make bench): TransE dim 100, one negative, margin loss, SGD — the
// configuration C++ KGE trainers are usually compared on — on a KG folder (WN18RR by
// default). Reports, as medians over runs: training triples/s with 1 and 2 threads (scaling,
// also by the median epoch, and by epochs of one training alternating between 1 and 2 threads),
// against a plain single-threaded reference loop written here
// without prefetching, SIMD dispatch or the optimizer layer (the host's own 2-thread scaling on
// arithmetic alone is printed with its probe, and on this very work by the 1-thread training
// run twice at once); and filtered evaluation of the test split, tiled
// against one query at a time. Peak memory and start-up are measured by scripts/bench-kge.sh around
// the CLI.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "embed/ann.h"
#include "embed/dataset.h"
#include "embed/evaluator.h"
#include "embed/kge.h"
#include "embed/predict.h"
#include "embed/presets.h"
#include "common/progress.h"
#include "common/log.h"
#include "common/rng.h"
#include "common/threads.h"
#include "common/time.h"

namespace kgp::embed {
namespace {
using Clock = std::chrono::steady_clock;

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

TrainOptions SpeedOptions(int threads, int epochs, Partition partition) {
  TrainOptions o;
  o.threads = threads;
  o.partition = partition;
  o.epochs = epochs;
  o.negatives = 1;
  o.loss = Loss::kMargin;
  o.margin = 1;
  o.lr = 0.01f;
  o.update.kind = OptimizerKind::kSgd;
  return o;
}

// Reference: the textbook TransE SGD loop (L1, margin 1, one uniform corruption).
double ReferenceTriplesPerSecond(const Dataset& ds, int epochs) {
  size_t d = 100, n = ds.num_entities();
  std::vector<float> E(n * d), R(ds.num_relations() * d);
  Rng rng(1);
  for (auto& x : E) x = rng.Uniform(-0.6f, 0.6f);
  for (auto& x : R) x = rng.Uniform(-0.6f, 0.6f);
  std::vector<float> g(d);
  auto t0 = Clock::now();
  for (int ep = 0; ep < epochs; ++ep) {
    for (const Triple& x : ds.train) {
      uint32_t c = rng.Below(uint32_t(n));
      bool head = rng.Next() & 1;
      const float *h = &E[x.h * d], *r = &R[x.r * d], *t = &E[x.t * d];
      const float *h2 = head ? &E[c * d] : h, *t2 = head ? t : &E[c * d];
      float pos = 0, neg = 0;
      for (size_t i = 0; i < d; ++i) pos += std::fabs(h[i] + r[i] - t[i]), neg += std::fabs(h2[i] + r[i] - t2[i]);
      if (1 + pos - neg <= 0) continue;
      for (size_t i = 0; i < d; ++i) {
        float sp = (h[i] + r[i] - t[i]) > 0 ? 0.01f : -0.01f;
        float sn = (h2[i] + r[i] - t2[i]) > 0 ? 0.01f : -0.01f;
        E[x.h * d + i] -= sp;
        R[x.r * d + i] -= sp - sn;
        E[x.t * d + i] += sp;
        E[(head ? c : x.h) * d + i] += sn;
        E[(head ? x.t : c) * d + i] -= sn;
      }
    }
  }
  return epochs * double(ds.train.size()) / SecondsSince(t0);
}

// Top-k tails of (h, r, ?) from the HNSW tail index (as recommendation retrieves items for a
// user in large catalogues) against scoring every entity: build time, latency, recall.
void TailIndexSection(const Model& m, const Params& p, const Dataset& ds) {
  std::vector<size_t> per_rel(ds.num_relations());
  for (const Triple& x : ds.train) ++per_rel[x.r];
  const auto r = static_cast<uint32_t>(std::max_element(per_rel.begin(), per_rel.end()) - per_rel.begin());
  std::vector<float> scratch, scores(p.num_entities);
  m.PrepareRelation(p, r, &scratch);
  std::vector<uint32_t> all(p.num_entities);
  for (uint32_t e = 0; e < all.size(); ++e) all[e] = e;
  auto t0 = Clock::now();
  auto index = TailIndex::Build(m, p, r, scratch, all);
  const double build_s = SecondsSince(t0);
  if (!index.ok()) return (void)std::fprintf(stderr, "%s\n", index.status().ToString().c_str());
  std::printf("\n%-58s\n", "best tails of (h, most frequent relation, ?), 500 test heads, 1 thread");
  std::printf("%-58s %9.2f s\n", "  tail index build (all entities, HNSW M=16 ef=200)", build_s);
  const size_t queries = std::min<size_t>(ds.test.size(), 500);
  for (size_t k : {10, 100}) {
    std::vector<double> exact_us, ann_us;
    double hits = 0;
    for (size_t i = 0; i < queries; ++i) {
      const uint32_t h = ds.test[i].h;
      auto q0 = Clock::now();
      m.ScoreTails(p, h, r, scratch, scores.data());
      auto exact = TopK(scores, k);
      exact_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - q0).count());
      q0 = Clock::now();
      auto approx = (*index)->Top(p, h, k);
      ann_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - q0).count());
      for (const auto& a : approx)
        for (const auto& x : exact) hits += a.id == x.id;
    }
    std::sort(exact_us.begin(), exact_us.end());
    std::sort(ann_us.begin(), ann_us.end());
    const auto pct = [](const std::vector<double>& v, int q) { return v[v.size() * q / 100]; };
    std::printf("  k = %-53zu\n", k);
    std::printf("%-58s %7.0f us / %.0f us\n", "    scan every entity + top-k, p50 / p99", pct(exact_us, 50), pct(exact_us, 99));
    std::printf("%-58s %7.0f us / %.0f us\n", "    tail index (over-fetch, exact re-score), p50 / p99", pct(ann_us, 50),
                pct(ann_us, 99));
    std::printf("%-58s %11.2fx\n", "    speed-up at p50", pct(exact_us, 50) / pct(ann_us, 50));
    std::printf("%-58s %12.3f\n", "    recall of the index vs the scan", hits / double(queries * k));
  }
}

// What this host charges for two cores writing the same table, which is what hogwild training
// does (and partitioned epochs avoid): random read-modify-writes of 400-byte rows of a table
// the size of the entity table, by 1 thread, by 2 threads over the whole table (a row the other core wrote last must move
// between the cores' caches), and by 2 threads over disjoint halves (no row is shared).
// Millions of rows per second, medians.
// Also the most two threads can gain on this host at all: the same arithmetic on each thread's
// own 4 KB of data (no memory traffic, nothing shared), 2 threads against 1 (on some VMs the
// two cores do not both run at full speed).
struct HostProbe {
  double one = 0, shared = 0, halves = 0, compute_scaling = 0;
};

volatile double g_sink;  // keeps the arithmetic's results used

// Seconds for `threads` threads each running the same arithmetic on its own 4 KB.
double ComputeSeconds(int threads) {
  std::vector<double> sink(static_cast<size_t>(threads) * 8);  // one cache line per thread
  auto t0 = Clock::now();
  RunThreads(threads, [&](int tid) {
    float data[1024], acc[16] = {};
    for (int i = 0; i < 1024; ++i) data[i] = 1.0f + static_cast<float>(i % 7) * 1e-3f;
    for (int rep = 0; rep < 200000; ++rep)
      for (int i = 0; i < 1024; i += 16)
        for (int k = 0; k < 16; ++k) acc[k] = acc[k] * 0.999f + data[i + k];
    double s = 0;
    for (float a : acc) s += a;
    sink[static_cast<size_t>(tid) * 8] = s;
  });
  const double secs = SecondsSince(t0);
  g_sink = sink[0];
  return secs;
}

HostProbe ProbeHost(size_t rows, int runs) {
  constexpr size_t kWidth = 100;
  constexpr uint64_t kTouches = 8'000'000;
  std::vector<float> table(rows * kWidth, 1.0f);
  auto rate = [&](int threads, bool halves) {
    auto t0 = Clock::now();
    RunThreads(threads, [&](int tid) {
      Rng rng(977 + static_cast<uint64_t>(tid));
      const size_t span = halves ? rows / 2 : rows, base = halves ? span * static_cast<size_t>(tid) : 0;
      for (uint64_t i = 0; i < kTouches / static_cast<uint64_t>(threads); ++i) {
        float* row = table.data() + (base + rng.Below(static_cast<uint32_t>(span))) * kWidth;
        for (size_t j = 0; j < kWidth; j += 16) row[j] += 1e-9f;  // one write per cache line
      }
    });
    return static_cast<double>(kTouches) / SecondsSince(t0) / 1e6;
  };
  std::vector<double> one, shared, halves, compute;
  for (int i = 0; i < runs; ++i) {
    one.push_back(rate(1, false));
    shared.push_back(rate(2, false));
    halves.push_back(rate(2, true));
    compute.push_back(2 * ComputeSeconds(1) / ComputeSeconds(2));
  }
  return {Median(one), Median(shared), Median(halves), Median(compute)};
}

// Epochs of one training on 1 and on 2 threads in turn (1, 2, 2, 1, 1, 2, ...), on the same
// tables: each 2-thread epoch is set against the mean of the nearest 1-thread epochs before and
// after it, a few milliseconds apart. Runs of 1 and then 2 threads are seconds apart, and the
// host's speed drifts between them (runs a minute apart differed by a third); an epoch and its
// neighbours share that drift, and the shortening of epochs as training goes on. The ratios'
// median is the scaling of this training, its own overheads included (the epoch's plan, the
// barriers, rows moving between the cores when parts change); their quartiles show how much
// the host moves within a few epochs. Returns the ratios (empty if a training failed).
std::vector<double> AlternatingScaling(const Dataset& ds, const ModelConfig& mc, int pairs) {
  auto model = MakeModel(mc);
  if (!model.ok()) return {};
  Params params;
  OptimizerState state;
  Rng rng(1);
  (*model)->Allocate(params, ds.num_entities(), ds.num_relations(), rng);
  std::vector<double> secs;  // per epoch, in order
  std::vector<int> threads_of;
  for (int ep = 0; ep < 4 * pairs + 1; ++ep) {
    const int threads = ((ep + 1) / 2) % 2 == 0 ? 1 : 2;  // 1 2 2 1 1 2 2 1 ...
    TrainOptions o = SpeedOptions(threads, 1, Partition::kAuto);
    o.start_epoch = ep;
    auto rep = Train(**model, params, state, ds, o, [&](const EpochReport& er) { secs.push_back(er.seconds); });
    if (!rep.ok() || secs.size() != static_cast<size_t>(ep + 1)) return {};
    threads_of.push_back(threads);
  }
  std::vector<double> ratios;
  for (size_t i = 1; i + 1 < secs.size(); ++i) {
    if (threads_of[i] != 2) continue;
    size_t a = i - 1, b = i + 1;
    while (a > 0 && threads_of[a] != 1) --a;
    while (b + 1 < secs.size() && threads_of[b] != 1) ++b;
    if (threads_of[a] != 1 || threads_of[b] != 1) continue;
    ratios.push_back((secs[a] + secs[b]) / 2 / secs[i]);
  }
  return ratios;
}

int Run(const std::string& dir, int runs, int epochs) {
  auto ds = LoadDatasetDir(dir);
  if (!ds.ok()) {
    std::fprintf(stderr, "kge bench: %s\n", ds.status().ToString().c_str());
    return 1;
  }
  std::printf("data: %s (%zu entities, %zu relations, %zu train, %zu test); %d runs x %d epochs, medians\n\n",
              dir.c_str(), ds->num_entities(), ds->num_relations(), ds->train.size(), ds->test.size(), runs, epochs);
  ModelConfig mc;
  mc.name = "transe";
  mc.dim = 100;
  // 2 threads as trained by default (partitioned epochs on a graph this size, auto) and as
  // plain hogwild (--partition off), interleaved with the 1-thread runs.
  std::vector<double> t1, t2, t2h, ref;
  // Every epoch's seconds: a run's rate is its mean, which one slow epoch (the host busy
  // elsewhere for a moment) pulls down; the median epoch is steadier.
  std::vector<double> e1, e2, e2h;
  // The 1-thread training twice at once, each on its own tables: how much two cores of this
  // host do of this very work (its memory traffic included) against one core alone. Nothing is
  // shared, so this is the most two threads of one training can gain here; the arithmetic probe
  // below leaves memory out.
  std::vector<double> epair;
  Checkpoint last;
  bool parted = false;  // whether the default 2-thread runs were partitioned
  for (int i = 0; i < runs; ++i) {
    for (auto [threads, part] : {std::pair{1, Partition::kAuto}, {2, Partition::kAuto}, {2, Partition::kOff}}) {
      TrainReport rep;
      auto& secs = threads == 1 ? e1 : part == Partition::kOff ? e2h : e2;
      auto ck = TrainModel(*ds, mc, SpeedOptions(threads, epochs, part), nullptr, &rep,
                           [&](const EpochReport& er) { secs.push_back(er.seconds); });
      if (!ck.ok()) return std::fprintf(stderr, "%s\n", ck.status().ToString().c_str()), 1;
      (threads == 1 ? t1 : part == Partition::kOff ? t2h : t2).push_back(rep.triples_per_second);
      if (threads == 2 && part == Partition::kAuto) last = std::move(*ck), parted = rep.partitioned;
    }
    ref.push_back(ReferenceTriplesPerSecond(*ds, epochs));
    // Each epoch's [start, end): only epochs run while the other training was running one too
    // count (the two start and finish at different moments; an epoch run alone would read as
    // the host's two cores at work).
    std::vector<std::pair<double, double>> spans[2];
    bool failed[2] = {false, false};
    const auto t0 = Clock::now();
    RunThreads(2, [&](int tid) {
      failed[tid] = !TrainModel(*ds, mc, SpeedOptions(1, epochs, Partition::kAuto), nullptr, nullptr,
                                [&](const EpochReport& er) {
                                  const double end = SecondsSince(t0);
                                  spans[tid].emplace_back(end - er.seconds, end);
                                })
                         .ok();
    });
    if (failed[0] || failed[1]) return std::fprintf(stderr, "kge bench: a paired 1-thread run failed\n"), 1;
    if (spans[0].empty() || spans[1].empty()) continue;
    const double from = std::max(spans[0].front().first, spans[1].front().first);
    const double to = std::min(spans[0].back().second, spans[1].back().second);
    for (const auto& s : spans)
      for (auto [a, b] : s)
        if (a >= from && b <= to) epair.push_back(b - a);
  }
  std::printf("%-58s %12s\n", "TransE d=100, 1 negative, margin, SGD", "triples/s");
  std::printf("%-58s %12.0f\n", "  reference loop (plain, 1 thread)", Median(ref));
  std::printf("%-58s %12.0f\n", "  kgprofile, 1 thread", Median(t1));
  std::printf("%-58s %12.0f\n", parted ? "  kgprofile, 2 threads (default: partitioned)" : "  kgprofile, 2 threads (default: hogwild)",
              Median(t2));
  std::printf("%-58s %12.0f\n", "  kgprofile, 2 threads, hogwild (--partition off)", Median(t2h));
  std::printf("%-58s %11.2fx\n", "  scaling 1 -> 2 threads (default)", Median(t2) / Median(t1));
  std::printf("%-58s %11.2fx\n", "  scaling 1 -> 2 threads (hogwild)", Median(t2h) / Median(t1));
  std::printf("%-58s %11.2fx\n", "  2 threads (default) vs reference", Median(t2) / Median(ref));
  std::printf("%-58s %5.2f / %.2f / %.2f ms\n", "  median epoch: 1 thread / 2 default / 2 hogwild", Median(e1) * 1e3,
              Median(e2) * 1e3, Median(e2h) * 1e3);
  std::printf("%-58s %11.2fx\n", "  scaling 1 -> 2 threads (default), by median epoch", Median(e1) / Median(e2));
  if (epair.empty()) {
    std::printf("  1 thread, two trainings at once: no epoch ran while the other's did (more epochs)\n\n");
  } else {
    const double pair_scaling = 2 * Median(e1) / Median(epair);
    std::printf("%-58s %8.2f ms (%zu epochs)\n", "  1 thread, two trainings at once: median epoch", Median(epair) * 1e3,
                epair.size());
    std::printf("%-58s %11.2fx\n", "  host: two at once vs one alone (the most 2 threads gain)", pair_scaling);
    std::printf("%-58s %11.0f%%\n\n", "  2 threads (default) as a share of that, by median epoch",
                100 * (Median(e1) / Median(e2)) / pair_scaling);
  }
  std::vector<double> ratios;
  for (int i = 0; i < runs; ++i) {
    auto r = AlternatingScaling(*ds, mc, 2 * epochs);
    if (r.empty()) return std::fprintf(stderr, "kge bench: the alternating-epochs training failed\n"), 1;
    ratios.insert(ratios.end(), r.begin(), r.end());
  }
  std::sort(ratios.begin(), ratios.end());
  const auto quantile = [&](size_t num, size_t den) { return ratios[(ratios.size() - 1) * num / den]; };
  const auto at_target = std::count_if(ratios.begin(), ratios.end(), [](double r) { return r >= 1.85; });
  std::printf("%-58s %11.2fx\n", "  scaling 1 -> 2 threads (default), alternating epochs", quantile(1, 2));
  std::printf("%-58s %5.2f / %.2f\n", "    its quartiles (25% / 75%)", quantile(1, 4), quantile(3, 4));
  std::printf("%-58s %5td of %zu\n\n", "    2-thread epochs >= 1.85x their 1-thread neighbours", at_target, ratios.size());
  const HostProbe hp = ProbeHost(ds->num_entities(), runs);
  std::printf("%-58s %12s\n", "host: random updates of 400-byte rows (entity table size)", "M rows/s");
  std::printf("%-58s %12.1f\n", "  1 thread", hp.one);
  std::printf("%-58s %12.1f\n", "  2 threads, one shared table (as hogwild)", hp.shared);
  std::printf("%-58s %12.1f\n", "  2 threads, each its own half", hp.halves);
  std::printf("%-58s %11.2fx\n\n", "host: 1 -> 2 threads on arithmetic alone (the most to expect)", hp.compute_scaling);

  auto model = ModelOf(last);
  KnownTriples known({&ds->train, &ds->valid, &ds->test});
  std::vector<double> tiled, single, lat;
  for (int i = 0; i < runs; ++i) {
    EvalOptions eo;
    eo.threads = 2;
    tiled.push_back(Evaluate(**model, last.params, ds->test, known, eo).seconds);
    // Baseline: one query at a time (the entity table streams once per query), 1 thread.
    std::vector<float> scores(ds->num_entities()), scratch;
    auto t0 = Clock::now();
    size_t sample = std::min<size_t>(ds->test.size(), 500);
    for (size_t k = 0; k < sample; ++k) {
      const Triple& x = ds->test[k];
      auto q0 = Clock::now();
      (*model)->ScoreTails(last.params, x.h, x.r, scratch, scores.data());
      (*model)->ScoreHeads(last.params, x.r, x.t, scratch, scores.data());
      lat.push_back(std::chrono::duration<double, std::micro>(Clock::now() - q0).count() / 2);
    }
    single.push_back(SecondsSince(t0) * ds->test.size() / sample);
  }
  std::sort(lat.begin(), lat.end());
  std::printf("%-58s %12s\n", "filtered evaluation of the test split", "seconds");
  std::printf("%-58s %12.2f\n", "  one query at a time, 1 thread (extrapolated from 500)", Median(single));
  std::printf("%-58s %12.2f\n", "  kgprofile (tiled batches), 2 threads", Median(tiled));
  std::printf("%-58s %9.0f us / %.0f us\n", "  single-query scoring latency p50 / p99", lat[lat.size() / 2],
              lat[lat.size() * 99 / 100]);
  TailIndexSection(**model, last.params, *ds);
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  std::printf("\npeak RSS of this benchmark process: %.1f MB\n", ru.ru_maxrss / 1024.0);
  return 0;
}

}  // namespace
}  // namespace kgp::embed

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: kgprofile_bench_kge KG_DIR [runs=3] [epochs=10]\n");
    return 2;
  }
  kgp::Progress::SetEnabled(false);
  return kgp::embed::Run(argv[1], argc > 2 ? std::atoi(argv[2]) : 3, argc > 3 ? std::atoi(argv[3]) : 10);
}
