// kgprofile erase (one user or a list) | privacy keygen | rotate | budget | segments | categories, kge train-federated (and its
// hidden worker), and the k-anonymous profile export behind `export --k-anonymous K`.
// The logic lives in src/privacy/; this file parses and prints (docs/privacy.md).
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "cli/cli.h"
#include "cli/common.h"
#include "common/strings.h"
#include "embed/kge.h"
#include "privacy/budget.h"
#include "privacy/dp_query.h"
#include "privacy/erase.h"
#include "privacy/export_profiles.h"
#include "privacy/federated.h"
#include "privacy/pseudonym.h"
#include "service/event_merger.h"
#include "store/commit_lock.h"

namespace kgp::cli {
namespace {

using namespace kgp::privacy;

std::string SelfBinary() {
  std::error_code ec;
  auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string("/proc/self/exe") : p.string();
}

// The release options shared by the DP aggregate commands (segments, categories).
struct ReleaseArgs {
  std::string mechanism;
  double epsilon = -1;
  bool exact = false;
};

void AddReleaseOptions(CLI::App* cmd, ReleaseArgs& a) {
  cmd->add_option("--dp-epsilon", a.epsilon, "epsilon of this release (default: the workspace's dp_epsilon)")
      ->check(PositiveFinite());
  cmd->add_option("--dp-mechanism", a.mechanism, "laplace or gaussian (default: the workspace's dp_mechanism)");
  cmd->add_flag("--exact", a.exact, "exact figures, flagged dp: false (refused when the workspace sets dp_required)");
}

DpOptions ReleaseOptions(const Workspace& ws, const ReleaseArgs& a) {
  if (a.exact && DpRequired(ws))
    throw Error(Status::InvalidArgument("this workspace sets dp_required: exact aggregates are not released"));
  if (a.exact && !a.mechanism.empty())
    throw Error(Status::InvalidArgument("--dp-mechanism and --exact: an exact release adds no noise; give one of them"));
  DpOptions o;
  o.epsilon = a.exact ? 0 : a.epsilon;
  o.mechanism = a.mechanism;
  return o;
}

std::string ReleaseLine(const ReleaseInfo& r) {
  return r.dp ? fmt::format("dp: yes, epsilon {} ({}, noise scale {:.3g})\n", r.epsilon, r.mechanism, r.noise_scale)
              : std::string("dp: no (exact)\n");
}

void PrintRekey(const RekeyReport& r, const char* what) {
  std::cout << fmt::format("{}: {} user ids re-keyed (key chain of {}); tables: {}\n", what, r.users, r.chain_length,
                           r.tables.empty() ? "-" : fmt::format("{}", fmt::join(r.tables, ", ")));
  for (const auto& f : r.files_rewritten) std::cout << "  rewritten " << f << "\n";
  for (const auto& f : r.files_removed) std::cout << "  removed   " << f << " (an export under the old ids)\n";
  std::cout << fmt::format("  database vacuumed: {}, WAL truncated: {}\n", r.vacuumed ? "yes" : "NO",
                           r.wal_truncated ? "yes" : "NO (another connection is open)");
}

// The ids of an --users file ('-': standard input), with their line numbers (ForEachLine: CR and
// a BOM dropped): one per line, spaces around it trimmed; blank lines and lines starting with #
// skipped. A line that cannot be an id (invalid UTF-8, over 64 KiB) stops the command before
// anything is erased.
std::vector<std::pair<size_t, std::string>> ReadIdLines(const std::string& path) {
  std::vector<std::pair<size_t, std::string>> out;
  ForEachLine(path, [&](const std::string& where, uint64_t n, const std::string& line, const char* problem) {
    const std::string_view id = Trim(line);
    if (problem && std::string_view(problem) != "empty")
      throw Error(Status::InvalidArgument(fmt::format("--users {}: {}", where, problem)));
    if (!id.empty() && id.front() != '#') out.emplace_back(n, std::string(id));
  });
  return out;
}

}  // namespace

// Used by `export --k-anonymous K` (cmd_graph.cc).
int RunProfileExportKAnon(const Globals& g, Workspace& w, const std::string& out_arg, size_t k,
                          double max_suppression) {
  std::string out = out_arg.empty() ? w.Path(fmt::format("export/profiles-k{}.csv", k)) : out_arg;
  KAnonOptions o;
  o.k = k;
  o.max_suppression = max_suppression;
  auto r = Unwrap(ExportProfilesKAnonymous(w, out, o));
  nlohmann::json j = r.Json();
  j["k"] = k;
  Emit(g, j, [&] {
    std::cout << fmt::format("exported {} of {} profiles to {}: {}-anonymous (smallest group {}), {} rows suppressed, "
                             "{} groups, information loss {:.3f}\n",
                             r.kanon.rows_released, r.kanon.rows, r.path, k, r.kanon.k_achieved, r.kanon.rows_suppressed,
                             r.kanon.groups, r.kanon.information_loss);
    std::cout << "  generalisation levels: " << r.kanon.LevelsText(ProfileExportQis()) << "\n";
  });
  return 0;
}

void AddPrivacyCommands(CLI::App& app, Registry& reg) {
  {
    auto* cmd = app.add_subcommand("erase", "erase users from every table and file of the workspace (with a receipt each)");
    struct Args {
      std::string ws, users_file;
      std::vector<std::string> users;
      bool no_verify = false;
    };
    auto a = std::make_shared<Args>();
    cmd->add_option("WORKSPACE", a->ws, "workspace folder")->required();
    cmd->add_option("--user", a->users, "user id as ingested (or its stored pseudonym); repeat for several")
        ->expected(1)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
        ->allow_extra_args(false);  // one id per --user: `--user A B` is not two users
    cmd->add_option("--users", a->users_file,
                    "file of user ids, one per line ('-': standard input; blank lines and lines starting with # skipped): "
                    "all erased in one run");
    cmd->add_flag("--no-verify", a->no_verify, "skip the final scan of every workspace file for the ids");
    cmd->callback([&reg, a] {
      *reg.selected = [&reg, a] {
        // Where each id came from, for the report (which prints no id).
        std::vector<std::string> ids, from;
        for (size_t i = 0; i < a->users.size(); ++i) ids.push_back(a->users[i]), from.push_back(fmt::format("--user #{}", i + 1));
        if (!a->users_file.empty()) {
          auto lines = ReadIdLines(a->users_file);
          for (auto& [line, id] : lines) ids.push_back(std::move(id)), from.push_back(fmt::format("{}:{}", a->users_file, line));
        }
        if (ids.empty())
          throw Error(Status::InvalidArgument(a->users_file.empty() ? "erase: give --user ID or --users FILE"
                                                                    : fmt::format("erase: {} lists no user id", a->users_file)));
        auto w = OpenWorkspace(a->ws);
        const bool single = ids.size() == 1 && a->users_file.empty();
        auto hold = Unwrap(ServeLock::Share(
            *w, "erase",
            single ? fmt::format("erase through it (DELETE /v1/users/{}) or stop it first", ids[0])
                   : std::string("erase the list through it (POST /v1/erasures) or stop it first")));
        // Events a server acknowledged but did not store (it was killed) go to `events` first,
        // where the erasure finds them: left staged, the user's came back with the next move.
        Unwrap(service::RecoverStagedEvents(*w));
        EraseOptions o;
        o.verify = !a->no_verify;
        auto results = Unwrap(EraseUsers(*w, ids, o));
        const auto verdict = [&](const ErasureReceipt& r) {
          return !o.verify                  ? "skipped"
                 : r.verified               ? "yes (no file holds the id)"
                 : !r.residual_files.empty() ? "NO"
                                            : "NO (deleted pages may stay in the WAL until the other connection closes)";
        };
        const auto print = [&](const ErasureReceipt& r) {
          std::cout << fmt::format("erased: receipt {}\n", r.id);
          for (const auto& [t, n] : r.rows) std::cout << fmt::format("  {:<16} {:>8} rows\n", t, n);
          for (const auto& f : r.files_rewritten) std::cout << "  rewritten " << f << "\n";
          for (const auto& f : r.files_removed) std::cout << "  removed   " << f << "\n";
          std::cout << fmt::format("  database vacuumed: {}, WAL truncated: {}, verified: {}\n", r.vacuumed ? "yes" : "NO",
                                   r.wal_truncated ? "yes" : "NO (another connection is open)", verdict(r));
          for (const auto& f : r.residual_files) std::cout << "  still holds the id: " << f << "\n";
          std::cout << fmt::format("  verification code (give it to the requester; it is not stored): {}\n",
                                   r.verification_code);
        };
        // One --user: the receipt alone, and an id that is not a user is an error, as ever.
        if (single) {
          const ErasureReceipt r = Unwrap(std::move(results[0]));
          Emit(*reg.globals, r.Json(), [&] { print(r); });
          return o.verify && !r.verified ? 1 : 0;
        }
        size_t erased = 0, failed = 0, unverified = 0;
        nlohmann::json list = nlohmann::json::array();
        std::map<std::string, std::string> receipt_from;  // receipt → where its first id came from
        std::vector<std::string> same(results.size());     // an id naming a user named before: where
        for (size_t i = 0; i < results.size(); ++i) {
          nlohmann::json e = {{"from", from[i]}};
          if (results[i].ok()) {
            if (auto [it, fresh] = receipt_from.emplace(results[i]->id, from[i]); !fresh) {
              same[i] = it->second;
              e["same_user_as"] = same[i];
              list.push_back(std::move(e));
              continue;
            }
            ++erased;
            unverified += o.verify && !results[i]->verified;
            e["receipt"] = results[i]->Json();
          } else {
            ++failed;
            e["error"] = results[i].status().message();
          }
          list.push_back(std::move(e));
        }
        const nlohmann::json j = {{"erased", erased}, {"not_erased", failed}, {"results", list}};
        Emit(*reg.globals, j, [&] {
          for (size_t i = 0; i < results.size(); ++i) {
            std::cout << from[i] << ": ";
            if (!same[i].empty())
              std::cout << "the same user as " << same[i] << " (one receipt)\n";
            else if (results[i].ok())
              print(*results[i]);
            else
              std::cout << results[i].status().message() << "\n";
          }
          std::cout << fmt::format("{} users erased in one run ({} ids given){}\n", erased, results.size(),
                                   unverified ? fmt::format(", {} not verified", unverified) : std::string());
        });
        return failed || unverified ? 1 : 0;
      };
    });
  }
  auto* privacy = app.add_subcommand("privacy", "pseudonym keys and the differential-privacy budget");
  privacy->require_subcommand(1);
  {
    auto* cmd = privacy->add_subcommand("keygen", "create the pseudonym key (0600) and pseudonymise stored ids");
    auto ws = std::make_shared<std::string>();
    cmd->add_option("WORKSPACE", *ws, "workspace folder")->required();
    cmd->callback([&reg, ws] {
      *reg.selected = [&reg, ws] {
        auto w = OpenWorkspace(*ws);
        auto hold = Unwrap(ServeLock::Share(*w, "privacy keygen", "stop it first"));
        auto r = Unwrap(GenerateKey(*w));
        Emit(*reg.globals, r.Json(), [&] { PrintRekey(r, fmt::format("key written to {}", w->PseudonymKeyPath()).c_str()); });
        return 0;
      };
    });
  }
  {
    auto* cmd = privacy->add_subcommand("rotate", "add a fresh key to the chain and re-key every stored user id");
    auto ws = std::make_shared<std::string>();
    cmd->add_option("WORKSPACE", *ws, "workspace folder")->required();
    cmd->callback([&reg, ws] {
      *reg.selected = [&reg, ws] {
        auto w = OpenWorkspace(*ws);
        auto hold = Unwrap(ServeLock::Share(*w, "privacy rotate", "stop it first"));
        auto r = Unwrap(RotateKey(*w));
        Emit(*reg.globals, r.Json(), [&] { PrintRekey(r, "key rotated"); });
        return 0;
      };
    });
  }
  {
    auto* cmd = privacy->add_subcommand("budget", "differential-privacy budget: total, spent, left, recent releases");
    struct Args {
      std::string ws;
      size_t ledger = 10;
    };
    auto a = std::make_shared<Args>();
    cmd->add_option("WORKSPACE", a->ws, "workspace folder")->required();
    cmd->add_option("--ledger", a->ledger, "recent ledger entries shown")->capture_default_str()->check(CLI::Range(size_t{0}, size_t{100000}));
    cmd->callback([&reg, a] {
      *reg.selected = [&reg, a] {
        auto w = OpenWorkspace(a->ws);
        PrivacyAccountant acc(*w);
        auto s = Unwrap(acc.State());
        auto ledger = acc.Ledger(a->ledger);
        nlohmann::json j = s.Json();
        j["ledger"] = nlohmann::json::array();
        for (const auto& e : ledger)
          j["ledger"].push_back({{"id", e.id}, {"ts", e.ts}, {"query", e.query}, {"mechanism", e.mechanism},
                                 {"epsilon", e.epsilon}, {"delta", e.delta}});
        Emit(*reg.globals, j, [&] {
          std::cout << fmt::format("epsilon: {:.4g} spent of {:.4g} ({:.4g} left)\n", s.epsilon_spent, s.epsilon_budget,
                                   std::max(0.0, s.epsilon_left()));
          std::cout << fmt::format("delta:   {:.3g} spent of {:.3g} ({:.3g} left)\n", s.delta_spent, s.delta_budget,
                                   std::max(0.0, s.delta_left()));
          std::cout << fmt::format("{} releases\n", s.queries);
          for (const auto& e : ledger)
            std::cout << fmt::format("  #{:<4} eps {:<6.4g} delta {:<8.3g} {:<8} {}\n", e.id, e.epsilon, e.delta,
                                     e.mechanism, e.query);
        });
        return 0;
      };
    });
  }
  {
    auto* cmd = privacy->add_subcommand("segments", "segment (profile cluster) sizes, differentially private by default");
    struct Args {
      std::string ws;
      ReleaseArgs release;
    };
    auto a = std::make_shared<Args>();
    cmd->add_option("WORKSPACE", a->ws, "workspace folder")->required();
    AddReleaseOptions(cmd, a->release);
    cmd->callback([&reg, a] {
      *reg.selected = [&reg, a] {
        auto w = OpenWorkspace(a->ws);
        auto r = Unwrap(DpSegmentSizes(*w, ReleaseOptions(*w, a->release)));
        nlohmann::json segs = nlohmann::json::array();
        for (const auto& s : r.segments) segs.push_back({{"id", s.id}, {"label", s.label}, {"size", s.size}});
        nlohmann::json j = r.release.Json();
        j["segments"] = segs;
        Emit(*reg.globals, j, [&] {
          for (const auto& s : r.segments) std::cout << fmt::format("  segment {} {:>8} users  {}\n", s.id, s.size, s.label);
          std::cout << ReleaseLine(r.release);
        });
        return 0;
      };
    });
  }
  {
    auto* cmd = privacy->add_subcommand("categories", "users per category of one tree level, differentially private by default");
    struct Args {
      std::string ws;
      int level = 1, per_user = 1;
      ReleaseArgs release;
    };
    auto a = std::make_shared<Args>();
    cmd->add_option("WORKSPACE", a->ws, "workspace folder")->required();
    cmd->add_option("--level", a->level, "level of the category tree (1 = top level)")->capture_default_str();
    cmd->add_option("--per-user", a->per_user, "each user counts in this many of their strongest categories of the level")
        ->capture_default_str();
    AddReleaseOptions(cmd, a->release);
    cmd->callback([&reg, a] {
      *reg.selected = [&reg, a] {
        auto w = OpenWorkspace(a->ws);
        auto r = Unwrap(DpCategoryUsers(*w, a->level, a->per_user, ReleaseOptions(*w, a->release)));
        nlohmann::json cats = nlohmann::json::array();
        for (const auto& c : r.categories) cats.push_back({{"category", c.code}, {"name", c.name}, {"users", c.users}});
        nlohmann::json j = r.release.Json();
        j["level"] = r.level;
        j["per_user"] = r.per_user;
        j["categories"] = cats;
        Emit(*reg.globals, j, [&] {
          for (const auto& c : r.categories) std::cout << fmt::format("  {:<32} {:>8} users  {}\n", c.code, c.users, c.name);
          std::cout << ReleaseLine(r.release);
        });
        return 0;
      };
    });
  }

  // Federated embeddings, under the existing `kge` group.
  CLI::App* kge = nullptr;
  try {
    kge = app.get_subcommand("kge");
  } catch (const CLI::OptionNotFound&) {
  }
  if (!kge) return;
  {
    auto* cmd = kge->add_subcommand("train-federated",
                                    "train embeddings over user shards in separate processes (parameters travel)");
    struct Args {
      std::string ws, data, out;
      FederatedOptions o;
      int threads = 0;
    };
    auto a = std::make_shared<Args>();
    cmd->add_option("WORKSPACE", a->ws, "workspace folder (its graph, split by user; writes WORKSPACE/models/kge-federated.bin)");
    cmd->add_option("--data", a->data, "or a triple folder (train.txt, valid.txt, test.txt), split by head entity");
    cmd->add_option("-o,--out", a->out, "checkpoint file to write (default: the workspace's; with --data, none)");
    cmd->add_option("--shards", a->o.shards, "shards (one worker process each)")->capture_default_str()
        ->check(CLI::Range(1, 1024));
    cmd->add_option("--rounds", a->o.rounds, "communication rounds")->capture_default_str()->check(CLI::Range(1, 1000000));
    cmd->add_option("--local-epochs", a->o.local_epochs, "epochs each shard trains per round")->capture_default_str()
        ->check(CLI::Range(1, 1000000));
    cmd->add_option("--preset", a->o.preset, "hyperparameter preset (embed/presets.h)")->capture_default_str();
    cmd->add_option("-m,--model", a->o.model, "transe, transr, distmult, complex, rotate")->capture_default_str();
    cmd->add_option("--dim", a->o.dim, "dimension (0 = the preset's)")->capture_default_str()->check(CLI::Range(0, 100000));
    cmd->add_option("--seed", a->o.seed, "seed")->capture_default_str()->check(Unsigned());
    cmd->add_option("-j,--threads", a->threads,
                    "worker processes run at once, and the centralised baseline's threads (0 = all cores)")
        ->capture_default_str()->check(CLI::Range(0, 1024));
    cmd->add_flag("!--no-central", a->o.central, "skip the centralised baseline");
    cmd->callback([&reg, a] {
      *reg.selected = [&reg, a] {
        if (a->ws.empty() == a->data.empty())
          throw Error(Status::InvalidArgument("give either WORKSPACE or --data DIR"));
        embed::Dataset ds;
        std::unique_ptr<Workspace> w;
        if (!a->data.empty()) {
          ds = Unwrap(embed::LoadDatasetDir(a->data));
        } else {
          w = OpenWorkspace(a->ws);
          Graph g = LoadGraph(*w);
          ds = embed::DatasetFromGraph(g, 0.05, 2000);
        }
        const std::string out = !a->out.empty() ? a->out
                                : w ? (std::filesystem::path(w->dir()) / "models" / "kge-federated.bin").string()
                                    : std::string();
        if (!out.empty()) RequireWritableFile(a->out.empty() ? "checkpoint" : "-o", out);
        a->o.binary = SelfBinary();
        a->o.max_workers = a->threads;
        a->o.central_threads = a->threads;
        if (w) a->o.work_parent = w->dir();  // a killed run's folder is then erasure's to remove
        embed::Checkpoint ck;
        auto r = Unwrap(TrainFederated(ds, a->o, &ck));
        nlohmann::json j = r.Json();
        if (!out.empty()) {
          // As kge train: under the commit lock, without the users erased while it trained.
          std::optional<CommitLock> commit;
          if (w) {
            commit.emplace(Unwrap(CommitLock::Acquire(*w, "kge train-federated")));
            if (auto gone = ErasedUserEntities(w->db(), ck); !gone.empty())
              j["erased_rows_dropped"] = RemoveEntities(ck, gone);
          }
          ThrowIfError(embed::SaveCheckpoint(out, ck));
          j["checkpoint"] = out;
        }
        const bool tested = r.test_triples > 0;
        Emit(*reg.globals, j, [&] {
          std::cout << fmt::format("{} train triples over {} shards ({} catalogue triples in every shard, {} workers at "
                                   "once); {}\n",
                                   r.train_triples, a->o.shards, r.replicated_triples, r.workers_at_once,
                                   tested ? fmt::format("{} test triples", r.test_triples)
                                          : std::string("no test split: nothing is measured"));
          for (const auto& x : r.rounds)
            std::cout << fmt::format("  round {:>3}  {:.2f}s  lr {:.3g} to {:.3g}{}\n", x.round, x.seconds, x.lr_first,
                                     x.lr_last, tested ? fmt::format("  test MRR (sample) {:.4f}", x.valid_mrr) : "");
          auto figures = [&](const embed::Metrics& m) {
            return tested ? fmt::format("filtered MRR {:.4f}  Hits@10 {:.4f}", m.mrr, m.hits10) : std::string("no test split");
          };
          std::cout << fmt::format("federated   ({} rounds x {} local epochs): {}  ({:.1f}s)\n", a->o.rounds,
                                   a->o.local_epochs, figures(r.federated), r.federated_seconds);
          if (r.has_central)
            std::cout << fmt::format("centralised ({} epochs):               {}  ({:.1f}s)\n",
                                     a->o.rounds * a->o.local_epochs, figures(r.central), r.central_seconds);
          if (j.contains("checkpoint")) std::cout << "checkpoint: " << j["checkpoint"].get<std::string>() << "\n";
          else std::cout << "no checkpoint written (-o FILE writes one)\n";
        });
        return 0;
      };
    });
  }
  {
    auto* cmd = kge->add_subcommand("federated-worker", "one shard's local round (started by train-federated)");
    cmd->group("");  // hidden from help
    auto a = std::make_shared<WorkerArgs>();
    cmd->add_option("--global", a->global)->required();
    cmd->add_option("--triples", a->triples)->required();
    cmd->add_option("--out", a->out)->required();
    cmd->add_option("--preset", a->preset);
    cmd->add_option("--epochs", a->epochs);
    cmd->add_option("--schedule-epochs", a->schedule_epochs);
    cmd->add_option("--seed", a->seed);
    cmd->callback([&reg, a] {
      *reg.selected = [a] {
        ThrowIfError(RunFederatedWorker(*a));
        return 0;
      };
    });
  }
}

}  // namespace kgp::cli
