#include "privacy/federated.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "common/csv.h"
#include "common/hash.h"
#include "common/log.h"
#include "common/out_file.h"
#include "common/strings.h"
#include "common/time.h"
#include "embed/kge.h"
#include "embed/presets.h"
#include "privacy/files.h"

extern char** environ;

namespace kgp::privacy {
namespace fs = std::filesystem;
using namespace kgp::embed;

namespace {

bool IsUser(const std::string& name) { return name.rfind("user:", 0) == 0; }

Result<TrainOptions> WorkerTrainOptions(const std::string& preset, const std::string& model, size_t entities, int epochs,
                                        uint64_t seed, int threads) {
  auto p = GetPreset(preset, model, entities);
  if (!p.ok()) return p.status();
  TrainOptions to = p->train;
  to.epochs = epochs;
  to.seed = seed;
  to.threads = threads;
  to.valid_every = 0;  // no validation split at a shard
  to.patience = 0;
  return to;
}

// SIGINT, SIGTERM, SIGHUP and SIGPIPE while the work folder holds shard data (user ids and their
// triples): the handler only records the signal; the coordinator sees it within milliseconds
// while it waits for workers (or between its own steps), kills the workers, removes the folder
// and then hands the signal to the handler that was there before, by default ending the
// process as that signal does (a shell reports 130 for SIGINT, 143 for SIGTERM). A signal
// ignored when the run started (nohup) stays ignored.
// Atomic, not volatile sig_atomic_t: the handler may run on another thread than the one that
// reads it (a lock-free atomic is safe in a handler).
std::atomic<int> g_stop_signal{0};
static_assert(std::atomic<int>::is_always_lock_free);
extern "C" void OnStopSignal(int sig) { g_stop_signal.store(sig, std::memory_order_relaxed); }

class StopSignals {
 public:
  StopSignals() {
    g_stop_signal = 0;
    struct sigaction sa {};
    sa.sa_handler = OnStopSignal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    for (size_t i = 0; i < kCount; ++i) {
      sigaction(kSignals[i], nullptr, &old_[i]);
      installed_[i] = old_[i].sa_handler != SIG_IGN && sigaction(kSignals[i], &sa, nullptr) == 0;
    }
  }
  // A signal recorded after the last check (the final averaging, an error's way out) still ends
  // the process, after the clean-ups declared later have run.
  ~StopSignals() { Redeliver(); }
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;
  int received() const { return g_stop_signal; }
  void Restore() {
    for (size_t i = 0; i < kCount; ++i)
      if (installed_[i]) sigaction(kSignals[i], &old_[i], nullptr), installed_[i] = false;
  }
  // The previous handlers back, and the signal received given to them (by default the process
  // ends here). Returns when they let it go on.
  void Redeliver() {
    const int sig = g_stop_signal.exchange(0);  // once: the destructor calls this too
    Restore();
    if (sig) ::raise(sig);
  }

 private:
  // SIGPIPE: stderr piped into a reader that went away (`2>&1 | head`) killed the run at its
  // next log line, before any clean-up.
  static constexpr int kSignals[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE};
  static constexpr size_t kCount = std::size(kSignals);
  struct sigaction old_[kCount] {};
  bool installed_[kCount] = {};
};

// Starts argv with its stderr in the file log; returns its process id.
Result<pid_t> Spawn(const std::vector<std::string>& args, const std::string& log) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  pid_t pid = 0;
  int rc = posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) return Status::IoError(fmt::format("{}: cannot start worker: {}", args[0], std::strerror(rc)));
  return pid;
}

struct Running {
  pid_t pid;
  int shard;
};

// Kills and reaps the workers still running (a failed or interrupted round).
void KillAll(std::vector<Running>& running) {
  for (const Running& r : running) ::kill(r.pid, SIGKILL);
  for (const Running& r : running) ::waitpid(r.pid, nullptr, 0);
  running.clear();
}

// The worker's stderr, as lines, with the work folder's path left out: the files it names are
// gone when the message is read.
std::vector<std::string> WorkerLog(const fs::path& log, const fs::path& work) {
  std::ifstream in(log, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::vector<std::string> lines;
  const std::string prefix = work.string() + "/";
  const std::string text = ss.str();  // Split's views point into it (ss.str() is a temporary)
  for (std::string_view l : Split(text, '\n')) {
    std::string line(Trim(l));
    for (size_t at; (at = line.find(prefix)) != std::string::npos;) line.erase(at, prefix.size());
    if (!line.empty()) lines.push_back(Printable(line));
  }
  return lines;
}

Metrics EvaluateTest(const Checkpoint& ck, const Dataset& ds, size_t sample) {
  auto model = ModelOf(ck);
  if (!model.ok() || ds.test.empty()) return {};
  KnownTriples known({&ds.train, &ds.valid, &ds.test});
  std::vector<Triple> test = ds.test;
  if (sample && test.size() > sample) test.resize(sample);
  EvalOptions eo;
  eo.threads = 2;
  eo.per_relation = false;
  return Evaluate(**model, ck.params, test, known, eo).filtered;
}

// One shard as the coordinator sees it: the rows its triples touch (its users, the catalogue
// they and the replicated triples name, the relations), and how many of its triples touch
// each, the FedAvg weights.
struct Shard {
  std::vector<uint32_t> ents, rels;  // shard row -> global row, ascending
  std::vector<float> ent_w, rel_w;   // per shard row
  size_t own = 0;                    // triples of its own (naming its users); the rest are replicated
};

// What a shard's worker receives: the global rows of its entities and relations, under their
// names, in the shard's own numbering (the one its triple file uses).
Checkpoint ShardView(const Checkpoint& global, const Shard& sh) {
  Checkpoint v;
  v.config = global.config;
  v.epochs_done = global.epochs_done;
  const Params& g = global.params;
  Params& p = v.params;
  p.entity_width = g.entity_width;
  p.relation_width = g.relation_width;
  p.num_entities = sh.ents.size();
  p.num_relations = sh.rels.size();
  p.entity.resize(p.num_entities * p.entity_width);
  p.relation.resize(p.num_relations * p.relation_width);
  for (size_t i = 0; i < sh.ents.size(); ++i) {
    std::copy(g.E(sh.ents[i]), g.E(sh.ents[i]) + g.entity_width, p.E(static_cast<uint32_t>(i)));
    v.entity_names.push_back(global.entity_names[sh.ents[i]]);
  }
  for (size_t i = 0; i < sh.rels.size(); ++i) {
    std::copy(g.R(sh.rels[i]), g.R(sh.rels[i]) + g.relation_width, p.R(static_cast<uint32_t>(i)));
    v.relation_names.push_back(global.relation_names[sh.rels[i]]);
  }
  return v;
}

// A shard file: one triple a line, head<TAB>relation<TAB>tail as row numbers of the shard's
// checkpoint (names, which may hold tabs and newlines, travel in the checkpoint).
Status ReadShardTriples(const std::string& path, size_t entities, size_t relations, std::vector<Triple>* out) {
  CsvReader reader(path, CsvOptions('\t', /*quote=*/false, /*skip=*/true));
  KGP_RETURN_IF_ERROR(reader.status());
  while (reader.Next()) {
    std::optional<uint64_t> f[3];
    for (size_t i = 0; i < 3 && reader.size() == 3; ++i) f[i] = ParseUint(reader[i]);
    if (reader.size() != 3 || !f[0] || !f[1] || !f[2] || *f[0] >= entities || *f[1] >= relations || *f[2] >= entities)
      return Status::Corruption(fmt::format("{}:{}: not a triple of the shard's {} entities and {} relations", path,
                                            reader.line(), entities, relations));
    out->push_back({static_cast<uint32_t>(*f[0]), static_cast<uint32_t>(*f[1]), static_cast<uint32_t>(*f[2])});
  }
  return reader.status();
}

}  // namespace

int ShardOf(const std::string& head, const std::string& tail, int shards, bool by_user) {
  const std::string* key = nullptr;
  if (!by_user) key = &head;
  else if (IsUser(head)) key = &head;
  else if (IsUser(tail)) key = &tail;
  if (!key) return -1;
  return static_cast<int>(Hash64(*key, 0xFEDA) % static_cast<uint64_t>(shards));
}

namespace {

// A shard without triples of its own has nothing to train: with a plain KG its worker failed
// with "no training triples"; with users it trained only the replicated catalogue, with no
// user to learn from. Refused before any worker starts, with the most shards (below the number
// asked) that give every shard triples of its own: shards are chosen by a hash of the user (or
// head entity), so with few of them some stay empty.
Status CheckEveryShardTrains(const Dataset& ds, const std::vector<size_t>& own, bool by_user) {
  const int S = static_cast<int>(own.size());
  const int empty = static_cast<int>(std::count(own.begin(), own.end(), size_t{0}));
  if (empty == 0) return Status::Ok();
  if (ds.train.empty()) return Status::InvalidArgument("federated: no training triples");
  std::vector<const std::string*> keys;  // the names triples are sharded by, once each
  std::vector<char> seen(ds.num_entities());
  for (const Triple& t : ds.train) {
    const std::string &h = ds.entities.name(t.h), &tl = ds.entities.name(t.t);
    const bool head = !by_user || IsUser(h);
    if (!head && !IsUser(tl)) continue;  // names no user: in every shard
    if (!seen[head ? t.h : t.t]++) keys.push_back(head ? &h : &tl);
  }
  int fits = 1;
  for (int n = std::min(S - 1, static_cast<int>(keys.size())); n > 1 && fits == 1; --n) {
    std::vector<char> used(static_cast<size_t>(n));
    for (const std::string* k : keys) used[static_cast<size_t>(ShardOf(*k, *k, n, by_user))] = 1;
    if (std::count(used.begin(), used.end(), 1) == n) fits = n;
  }
  return Status::InvalidArgument(fmt::format(
      "--shards {}: only {} of the {} shards get {} (the data's {} {} are hashed to shards); use --shards {}{}", S,
      S - empty, S, by_user ? "users" : "training triples", keys.size(), by_user ? "users" : "head entities", fits,
      fits > 1 ? " (the most that leaves none empty)" : ""));
}

}  // namespace

nlohmann::json FederatedReport::Json() const {
  // No test split: no figures (null), not a measured-looking 0.
  auto m = [&](const Metrics& x, bool ran) -> nlohmann::json {
    if (!ran || test_triples == 0) return nullptr;
    return {{"mrr", x.mrr}, {"hits@1", x.hits1}, {"hits@10", x.hits10}, {"count", x.count}};
  };
  nlohmann::json rj = nlohmann::json::array();
  for (const auto& r : rounds)
    rj.push_back({{"round", r.round}, {"seconds", r.seconds},
                  {"test_mrr_sample", r.valid_mrr < 0 ? nlohmann::json(nullptr) : nlohmann::json(r.valid_mrr)},
                  {"lr_first", r.lr_first}, {"lr_last", r.lr_last}});
  return {{"entities", entities}, {"relations", relations}, {"train_triples", train_triples},
          {"test_triples", test_triples}, {"shard_triples", shard_triples}, {"replicated_triples", replicated_triples},
          {"workers_at_once", workers_at_once}, {"rounds", rj}, {"federated", m(federated, true)},
          {"central", m(central, has_central)},
          {"seconds", {{"federated", federated_seconds}, {"central", central_seconds}}}};
}

Status RunFederatedWorker(const WorkerArgs& a) {
  auto view = LoadCheckpoint(a.global);
  if (!view.ok()) return view.status();
  Dataset ds = SeededDataset(view->entity_names, view->relation_names);
  KGP_RETURN_IF_ERROR(ReadShardTriples(a.triples, ds.num_entities(), ds.num_relations(), &ds.train));
  auto to = WorkerTrainOptions(a.preset, view->config.name, ds.num_entities(), a.epochs, a.seed, 1);
  if (!to.ok()) return to.status();
  to->schedule_epochs = a.schedule_epochs;  // the whole run's: view->epochs_done are behind it
  view->has_optimizer = false;  // local optimizer state starts fresh each round
  TrainReport rep;
  auto local = TrainModel(ds, view->config, *to, &*view, &rep);
  if (!local.ok()) return local.status();
  local->has_optimizer = false;  // only parameters leave the shard
  // Not the training options and counts TrainModel records (train_triples): the rates used,
  // which follow from what the coordinator sent.
  local->info = {{"first_lr", rep.first_lr}, {"last_lr", rep.last_lr}};
  return SaveCheckpoint(a.out, *local);
}

Result<FederatedReport> TrainFederated(const Dataset& ds, const FederatedOptions& opts, Checkpoint* global_out) {
  if (opts.shards < 1 || opts.rounds < 1 || opts.local_epochs < 1)
    return Status::InvalidArgument("federated: shards, rounds and local epochs must be >= 1");
  if (opts.binary.empty()) return Status::InvalidArgument("federated: no worker binary");
  if (opts.dim < 0) return Status::InvalidArgument(fmt::format("federated: dimension {} is negative (0 = the preset's)", opts.dim));
  if (opts.max_workers < 0) return Status::InvalidArgument("federated: workers at once must be >= 0 (0 = cores)");
  // The workers look the preset up too (by its resolved name: a shard's entity count must not
  // choose another one for "auto"): an unknown one fails here, before any worker starts.
  auto preset = GetPreset(opts.preset, opts.model, ds.num_entities());
  if (!preset.ok()) return preset.status();
  const int total_epochs = opts.rounds * opts.local_epochs;
  FederatedReport rep;
  rep.entities = ds.num_entities();
  rep.relations = ds.num_relations();
  rep.train_triples = ds.train.size();
  rep.test_triples = ds.test.size();
  const int S = opts.shards;
  const size_t E = ds.num_entities(), R = ds.num_relations();
  const int jobs = std::min(S, opts.max_workers > 0 ? opts.max_workers : DefaultThreads());
  rep.workers_at_once = jobs;

  // Shards: which triples each owns (the rest are replicated to all), checked before anything is written.
  bool by_user = false;
  for (size_t e = 0; e < E && !by_user; ++e) by_user = IsUser(ds.entities.name(static_cast<uint32_t>(e)));
  std::vector<int> shard_of(ds.train.size());
  std::vector<Shard> shards(static_cast<size_t>(S));
  for (size_t i = 0; i < ds.train.size(); ++i) {
    const Triple& t = ds.train[i];
    shard_of[i] = ShardOf(ds.entities.name(t.h), ds.entities.name(t.t), S, by_user);
    if (shard_of[i] < 0) ++rep.replicated_triples;
    else ++shards[static_cast<size_t>(shard_of[i])].own;
  }
  {
    std::vector<size_t> own;
    for (const Shard& sh : shards) own.push_back(sh.own);
    if (Status s = CheckEveryShardTrains(ds, own, by_user); !s.ok()) return s;
  }

  // From here until the folder is removed, a stop signal removes it first (StopSignals).
  StopSignals signals;
  fs::path work;
  {
    // Named as a temporary file is (OutFile::IsTempName), so that the folder of a run killed
    // outright is known for a dead writer's; mode 0700.
    const auto make_in = [&](const fs::path& parent) {
      for (int attempt = 0; attempt < 100; ++attempt) {
        fs::path p = OutFile::TempName((parent / kFederatedWorkName).string());
        if (::mkdir(p.c_str(), 0700) == 0) return p;
        if (errno != EEXIST) break;
      }
      return fs::path();
    };
    if (!opts.work_parent.empty()) {
      work = make_in(opts.work_parent);
      // A workspace one may read but not write (training it with -o elsewhere): $TMPDIR, where
      // a killed run's folder is out of erasure's reach, as said.
      if (work.empty())
        LOG_WRN("federated: cannot create a work folder in {} ({}); using {}, where a killed run's folder is not "
                "removed by kgprofile erase", opts.work_parent, std::strerror(errno), fs::temp_directory_path().string());
    }
    if (work.empty()) work = make_in(fs::temp_directory_path());
    if (work.empty())
      return Status::IoError(fmt::format("federated: cannot create a work folder in {}: {}",
                                         fs::temp_directory_path().string(), std::strerror(errno)));
  }
  std::vector<Running> running;  // the workers started and not yet reaped
  struct Cleanup {
    fs::path p;
    std::vector<Running>& running;
    ~Cleanup() {
      KillAll(running);
      std::error_code ec;
      fs::remove_all(p, ec);
    }
  } cleanup{work, running};
  auto interrupted = [&]() -> Status {
    KillAll(running);
    std::error_code ec;
    fs::remove_all(work, ec);
    LOG_WRN("federated: interrupted by signal {}: workers stopped, work folder {} removed", int{signals.received()},
            work.string());
    signals.Redeliver();  // by default the process ends here, as killed by the signal
    return Status::Aborted("federated: interrupted");
  };
  auto path = [&](const char* what, int s) { return (work / fmt::format("{}{}", what, s)).string(); };

  // Shard files in each shard's numbering, and the per-row weights.
  rep.shard_triples.assign(static_cast<size_t>(S), 0);
  {
    constexpr uint32_t kNone = UINT32_MAX;
    std::vector<uint32_t> ent_row(E, kNone), rel_row(R, kNone);
    for (int s = 0; s < S; ++s) {
      if (signals.received()) return interrupted();
      Shard& sh = shards[static_cast<size_t>(s)];
      auto mine = [&](size_t i) { return shard_of[i] < 0 || shard_of[i] == s; };
      std::vector<char> used_e(E), used_r(R);
      for (size_t i = 0; i < ds.train.size(); ++i)
        if (mine(i)) used_e[ds.train[i].h] = used_e[ds.train[i].t] = used_r[ds.train[i].r] = 1;
      for (size_t e = 0; e < E; ++e) {
        ent_row[e] = used_e[e] ? static_cast<uint32_t>(sh.ents.size()) : kNone;
        if (used_e[e]) sh.ents.push_back(static_cast<uint32_t>(e));
      }
      for (size_t r = 0; r < R; ++r) {
        rel_row[r] = used_r[r] ? static_cast<uint32_t>(sh.rels.size()) : kNone;
        if (used_r[r]) sh.rels.push_back(static_cast<uint32_t>(r));
      }
      sh.ent_w.assign(sh.ents.size(), 0.0f);
      sh.rel_w.assign(sh.rels.size(), 0.0f);
      OutFile f;
      KGP_RETURN_IF_ERROR(f.Open(path("shard", s)));
      for (size_t i = 0; i < ds.train.size(); ++i) {
        if (!mine(i)) continue;
        const Triple& t = ds.train[i];
        const uint32_t h = ent_row[t.h], r = rel_row[t.r], tl = ent_row[t.t];
        f.Write(fmt::format("{}\t{}\t{}\n", h, r, tl));
        sh.ent_w[h] += 1;
        sh.ent_w[tl] += 1;
        sh.rel_w[r] += 1;
        ++rep.shard_triples[static_cast<size_t>(s)];
      }
      KGP_RETURN_IF_ERROR(f.Close());
    }
  }

  // Round 0: the coordinator initialises the global model (no training).
  auto t_fed = std::chrono::steady_clock::now();
  auto model = MakeModel([&] {
    ModelConfig mc = preset->model;
    mc.name = opts.model;
    if (opts.dim > 0) mc.dim = opts.dim;
    return mc;
  }());
  if (!model.ok()) return model.status();
  Checkpoint global;
  global.config = (*model)->config();
  Rng rng(opts.seed);
  (*model)->Allocate(global.params, E, R, rng);
  global.entity_names = ds.entities.names();
  global.relation_names = ds.relations.names();

  for (int round = 1; round <= opts.rounds; ++round) {
    auto t0 = std::chrono::steady_clock::now();
    global.epochs_done = (round - 1) * opts.local_epochs;
    // At most `jobs` workers at once, each loading its shard's view; polled, so that a stop
    // signal is seen while they run.
    Status failed;
    for (int next = 0; next < S || !running.empty();) {
      if (signals.received()) return interrupted();
      while (next < S && static_cast<int>(running.size()) < jobs) {
        const int s = next++;
        KGP_RETURN_IF_ERROR(SaveCheckpoint(path("view", s), ShardView(global, shards[static_cast<size_t>(s)])));
        auto pid = Spawn({opts.binary, "-q", "kge", "federated-worker", "--global", path("view", s), "--triples",
                          path("shard", s), "--out", path("update", s), "--preset", preset->name, "--epochs",
                          std::to_string(opts.local_epochs), "--schedule-epochs", std::to_string(total_epochs), "--seed",
                          std::to_string(opts.seed * 1000003 + static_cast<uint64_t>(round) * 101 + static_cast<uint64_t>(s))},
                         path("worker", s));
        if (!pid.ok()) return pid.status();
        running.push_back({*pid, s});
      }
      bool reaped = false;
      for (size_t i = 0; i < running.size() && failed.ok();) {
        int st = 0;
        const pid_t got = ::waitpid(running[i].pid, &st, WNOHANG);
        if (got == 0) {
          ++i;
          continue;
        }
        reaped = true;
        const int s = running[i].shard;
        running.erase(running.begin() + static_cast<std::ptrdiff_t>(i));
        auto log = WorkerLog(path("worker", s), work);
        if (got > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0) {
          for (const auto& l : log) LOG_WRN("federated: shard {}: {}", s, l);
          continue;
        }
        const std::string how = got < 0                ? std::string("lost")
                                : WIFSIGNALED(st) ? fmt::format("killed by signal {}", WTERMSIG(st))
                                                  : fmt::format("exit status {}", WEXITSTATUS(st));
        std::string said = log.empty() ? "it wrote no message" : log.back();
        if (StartsWith(said, "error: ")) said.erase(0, 7);
        failed = Status::Aborted(
            fmt::format("federated: the worker for shard {} failed in round {} ({}): {}", s, round, how, said));
      }
      if (!failed.ok()) {  // the others' updates would not be used
        KillAll(running);
        next = S;
      }
      if (!reaped) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (signals.received()) return interrupted();
    KGP_RETURN_IF_ERROR(failed);
    // FedAvg, row by row, weighted by the shard's triples touching the row; in shard order.
    std::vector<double> ent(global.params.entity.size(), 0.0), rel(global.params.relation.size(), 0.0);
    std::vector<double> ent_sum(E, 0.0), rel_sum(R, 0.0);
    const size_t ew = global.params.entity_width, rw = global.params.relation_width;
    FederatedRound fr;
    for (int s = 0; s < S; ++s) {
      const Shard& sh = shards[static_cast<size_t>(s)];
      auto local = LoadCheckpoint(path("update", s));
      if (!local.ok()) return local.status();
      if (local->params.num_entities != sh.ents.size() || local->params.num_relations != sh.rels.size() ||
          local->params.entity_width != ew || local->params.relation_width != rw)
        return Status::Corruption(fmt::format("federated: shard {} returned tables of the wrong size", s));
      if (s == 0 && local->info.is_object()) {
        fr.lr_first = local->info.value("first_lr", 0.0f);
        fr.lr_last = local->info.value("last_lr", 0.0f);
      }
      for (size_t i = 0; i < sh.ents.size(); ++i) {
        const double w = sh.ent_w[i];
        const size_t e = sh.ents[i];
        ent_sum[e] += w;
        for (size_t d = 0; d < ew; ++d) ent[e * ew + d] += w * local->params.entity[i * ew + d];
      }
      for (size_t i = 0; i < sh.rels.size(); ++i) {
        const double w = sh.rel_w[i];
        const size_t r = sh.rels[i];
        rel_sum[r] += w;
        for (size_t d = 0; d < rw; ++d) rel[r * rw + d] += w * local->params.relation[i * rw + d];
      }
    }
    for (size_t e = 0; e < E; ++e)
      if (ent_sum[e] > 0)
        for (size_t d = 0; d < ew; ++d) global.params.entity[e * ew + d] = static_cast<float>(ent[e * ew + d] / ent_sum[e]);
    for (size_t r = 0; r < R; ++r)
      if (rel_sum[r] > 0)
        for (size_t d = 0; d < rw; ++d) global.params.relation[r * rw + d] = static_cast<float>(rel[r * rw + d] / rel_sum[r]);
    fr.round = round;
    fr.seconds = SecondsSince(t0);
    if (!ds.test.empty()) {
      fr.valid_mrr = EvaluateTest(global, ds, 500).mrr;
      LOG_INF("federated round {}/{}: {:.2f}s, test MRR (500 sampled) {:.4f}", round, opts.rounds, fr.seconds, fr.valid_mrr);
    } else {
      LOG_INF("federated round {}/{}: {:.2f}s (no test split)", round, opts.rounds, fr.seconds);
    }
    rep.rounds.push_back(fr);
  }
  // The shard data is not needed any more: removed before the central baseline trains.
  {
    std::error_code ec;
    fs::remove_all(work, ec);
    signals.Redeliver();  // a signal that came after the last round's check ends the run here
  }
  global.epochs_done = total_epochs;
  global.info = {{"federated", {{"shards", S}, {"rounds", opts.rounds}, {"local_epochs", opts.local_epochs},
                                {"preset", preset->name}}}};
  // Its held-out edges, so that kge train --resume of it tests only on edges it did not train on.
  if (nlohmann::json h = HoldoutRecord(ds, nullptr); !h.is_null()) global.info["holdout"] = std::move(h);
  rep.federated_seconds = SecondsSince(t_fed);
  rep.federated = EvaluateTest(global, ds, 0);

  if (opts.central) {
    auto t0 = std::chrono::steady_clock::now();
    auto to = WorkerTrainOptions(preset->name, opts.model, E, total_epochs, opts.seed, opts.central_threads);
    if (!to.ok()) return to.status();
    auto central = TrainModel(ds, global.config, *to, nullptr, nullptr);
    if (!central.ok()) return central.status();
    rep.central_seconds = SecondsSince(t0);
    rep.central = EvaluateTest(*central, ds, 0);
    rep.has_central = true;
  }
  if (global_out) *global_out = std::move(global);
  return rep;
}

}  // namespace kgp::privacy
