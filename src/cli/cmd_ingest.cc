// kgprofile init | ingest
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "cli/cli.h"
#include "cli/common.h"
#include "common/config.h"
#include "common/csv.h"
#include "common/strings.h"
#include "ingest/ingest.h"
#include "store/workspace.h"

namespace kgp::cli {

void AddInitCommand(CLI::App& app, Registry& reg) {
  auto* cmd = app.add_subcommand("init", "create a workspace folder (kgprofile.db, kgprofile.conf)");
  auto dir = std::make_shared<std::string>();
  auto opts = std::make_shared<WorkspaceOptions>();
  cmd->add_option("DIR", *dir, "workspace folder (created if missing)")->required();
  cmd->add_flag("--pseudonymize", opts->pseudonymize,
                "store keyed HMAC-SHA256 pseudonyms instead of raw user ids (key in DIR/pseudonym.key "
                "or $KGPROFILE_PSEUDONYM_KEY)");
  cmd->add_flag("--store-pii", opts->store_pii,
                "keep users' contact fields (name, phone, email, address) in clear in the user_pii table; "
                "without it they are dropped at ingest");
  cmd->callback([&reg, dir, opts] {
    *reg.selected = [&reg, dir, opts] {
      auto ws = Workspace::Init(*dir, *opts);
      if (!ws.ok()) throw Error(ws.status());
      Emit(*reg.globals, {{"workspace", *dir}, {"database", (*ws)->Path(kDbFile)}}, [&] {
        std::cout << fmt::format("workspace ready: {} (database {})\n", *dir, (*ws)->Path(kDbFile));
      });
      return 0;
    };
  });
}

namespace {

// Reads a mapping config: key = value lines; keys are logical fields (user, item, …) or the
// settings delimiter, header, default_type, encoding.
Status LoadMapConfig(const std::string& path, IngestOptions& o) {
  auto kv = ReadKeyValueFile(path);
  if (!kv.ok()) return kv.status();
  for (auto [k, v] : *kv) {
    if (k == "delimiter") {
      if (v == "\\t" || v == "tab") v = "\t";
      if (v.size() != 1) return Status::InvalidArgument(fmt::format("{}: delimiter must be one character", path));
      o.reader.delimiter = v[0];
    } else if (k == "header") {
      o.reader.has_header = (v == "true" || v == "1" || v == "yes");
    } else if (k == "default_type") {
      o.reader.default_type = v;
    } else if (k == "encoding") {
      o.reader.encoding = v;
    } else if (k == "format") {
      o.format = v;
    } else {
      o.reader.columns[k] = v;
    }
  }
  return Status::Ok();
}

}  // namespace

nlohmann::json IngestReportJson(const IngestReport& r) {
  nlohmann::json reasons = r.rejects_by_reason;
  return {{"path", r.path},
          {"format", r.format},
          {"skipped", r.skipped},
          {"aborted", r.aborted},
          {"records", r.records},
          {"events_new", r.counts.events_new},
          {"events_duplicate", r.counts.events_dup},
          {"users_new", r.counts.users_new},
          {"items_new", r.counts.items_new},
          {"categories_new", r.counts.categories_new},
          {"brands_new", r.counts.brands_new},
          {"texts_new", r.counts.texts_new},
          {"triples_new", r.counts.triples_new},
          {"rejects", r.rejects},
          {"rejects_by_reason", reasons},
          {"rejects_file", r.rejects_file},
          {"seconds", r.seconds}};
}

void PrintIngestReport(const IngestReport& r, const IngestOptions& o) {
  if (r.skipped) {
    std::cout << fmt::format("{}: already ingested (same content); nothing to do. Use --force to re-read.\n", r.path);
    return;
  }
  std::cout << fmt::format(
      "{} [{}]: {} new events ({} already present or duplicate), {} users, {} items, {} categories, "
      "{} brands, {} texts, {} triples new; {} rows rejected; {:.2f}s\n",
      r.path, r.format, r.counts.events_new, r.counts.events_dup, r.counts.users_new,
      r.counts.items_new, r.counts.categories_new, r.counts.brands_new, r.counts.texts_new,
      r.counts.triples_new, r.rejects, r.seconds);
  for (const auto& [reason, n] : r.rejects_by_reason) std::cout << fmt::format("  rejected {:>8}  {}\n", n, reason);
  for (const auto& rj : r.first_rejects) std::cerr << fmt::format("  {}:{}: {}: {}\n", r.path, rj.line, rj.field, rj.reason);
  if (!r.rejects_file.empty()) std::cout << fmt::format("  rejects report: {}\n", r.rejects_file);
  // Advice to name an encoding, when none was named.
  if (IsUtf8Name(o.reader.encoding) &&
      std::any_of(r.rejects_by_reason.begin(), r.rejects_by_reason.end(),
                  [](const auto& kv) { return kv.first.ends_with(kInvalidUtf8Reason); }))
    std::cout << fmt::format(
        "  hint: rows that are not UTF-8 were rejected; if {} is GB18030, GBK, Big5 or Latin-1, read it "
        "again with --encoding NAME --force (rows already in are not added twice)\n",
        r.path);
  if (r.aborted)
    std::cerr << fmt::format("error: {}: more than {} rows rejected; the file was rolled back\n", r.path, o.max_errors);
}

void AddIngestCommand(CLI::App& app, Registry& reg) {
  std::string formats = "input formats:\n";
  for (const auto& f : Formats()) formats += fmt::format("  {:<16} {}\n", f.name, f.description);
  auto* cmd = app.add_subcommand("ingest", "read logs, catalogues, users, texts or KG triples into a workspace");
  cmd->footer(formats +
              "\nEach file lands in one transaction (whole or not at all). Rejected rows are listed in\n"
              "WORKSPACE/rejects/ with file, line, field and reason. Re-ingesting adds nothing.");
  struct Args {
    std::string ws;
    std::vector<std::string> files;
    IngestOptions o;
    std::vector<std::string> maps;
    std::string config, delimiter, encoding;
    bool no_header = false;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("WORKSPACE", a->ws, "workspace folder")->required();
  cmd->add_option("FILES", a->files, "input files (or a MovieLens folder)")->required();
  cmd->add_option("-f,--format", a->o.format, "input format (detected from the file when omitted)");
  cmd->add_option("--map", a->maps, "events-csv column mapping FIELD=COLUMN (user, item, type, time, price, "
                                    "session, category, category_code, brand, rating, variant)");
  cmd->add_option("--config", a->config, "events-csv mapping file (key = value lines, same keys as --map, "
                                         "plus delimiter, header, default_type, encoding)");
  cmd->add_option("--delimiter", a->delimiter, "events-csv field delimiter (default ',', 'tab' for TSV)");
  cmd->add_option("--encoding", a->encoding,
                  "the files' text encoding when it is not UTF-8: GB18030, GBK, BIG5, LATIN1, UTF-16 … "
                  "(`iconv -l`); converted to UTF-8 as read");
  cmd->add_flag("--no-header", a->no_header, "events-csv has no header row: --map takes 0-based column numbers");
  cmd->add_option("--default-type", a->o.reader.default_type, "event type when the mapping has no type column")
      ->capture_default_str();
  cmd->add_option("--sequence-type", a->o.reader.sequence_type, "event type of each item in a sequences file")
      ->capture_default_str();
  cmd->add_option("--max-errors", a->o.max_errors, "roll the file back when more rows than this are rejected "
                                                   "(0 = no limit)")
      ->capture_default_str()->check(Unsigned());
  cmd->add_flag("--force", a->o.force, "read a file again even if the same content already landed");
  cmd->callback([&reg, a] {
    *reg.selected = [&reg, a] {
      if (!a->config.empty()) ThrowIfError(LoadMapConfig(a->config, a->o));
      for (const auto& m : a->maps) {
        size_t eq = m.find('=');
        if (eq == std::string::npos || eq == 0)
          throw Error(Status::InvalidArgument(fmt::format("--map {}: expected FIELD=COLUMN", m)));
        a->o.reader.columns[m.substr(0, eq)] = m.substr(eq + 1);
      }
      if (!a->delimiter.empty()) {
        std::string d = a->delimiter == "tab" || a->delimiter == "\\t" ? "\t" : a->delimiter;
        if (d.size() != 1) throw Error(Status::InvalidArgument("--delimiter must be one character"));
        a->o.reader.delimiter = d[0];
      }
      if (a->no_header) a->o.reader.has_header = false;
      if (!a->encoding.empty()) a->o.reader.encoding = a->encoding;  // the command line wins over --config
      if (!a->o.reader.columns.empty() && a->o.format.empty()) a->o.format = "events-csv";
      auto ws = OpenWorkspace(a->ws);
      nlohmann::json out = nlohmann::json::array();
      int rc = 0;
      for (const auto& file : a->files) {
        auto reps = Ingest(*ws, file, a->o);
        if (!reps.ok()) {
          std::cerr << "error: " << reps.status().message() << "\n";
          out.push_back({{"path", file}, {"error", reps.status().message()}});
          rc = 1;
          continue;
        }
        for (const auto& r : *reps) {
          out.push_back(IngestReportJson(r));
          if (r.aborted) rc = 1;
          if (!reg.globals->json) PrintIngestReport(r, a->o);
        }
      }
      if (reg.globals->json)
        std::cout << out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
      return rc;
    };
  });
}

}  // namespace kgp::cli
