// Command-line front end: builds the subcommand table (CLI11; each option declared once with
// its default and help) and runs the chosen command. Results go to stdout (text or --json),
// progress and logs to stderr. Holds no logic beyond parsing and printing (ARCHITECTURE.md).
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <type_traits>

namespace kgp {
class Workspace;
struct IngestOptions;
struct IngestReport;
}

namespace kgp::cli {

struct Globals {
  bool json = false;
  bool quiet = false;
  bool verbose = false;
};

// Option check: a finite number above zero (an epsilon, a k): 0, negatives, nan and inf are
// refused by name instead of meaning "not given".
const CLI::Validator& PositiveFinite();
// A finite number of 0 or more.
const CLI::Validator& NonNegativeFinite();
// The same for a float option: the number is checked as the float it is stored as, so one
// beyond float's range (1e39: infinite as a float) or a positive one that rounds to 0 is refused
// here instead of training with inf or writing a checkpoint with null in it.
const CLI::Validator& PositiveFiniteFloat();
const CLI::Validator& NonNegativeFiniteFloat();
// Whole numbers in decimal digits, for int options: 1 to INT_MAX, 0 to INT_MAX (the refusal says
// the range; CLI::PositiveNumber's said "not in range 0.000000 to 1797…").
const CLI::Validator& PositiveInt();
const CLI::Validator& NonNegativeInt();
// For an unsigned option (size_t, uint64_t) without a narrower range: digits only, so "-1" is
// refused instead of wrapping round to 18446744073709551615 (CLI11 reads it with strtoull).
const CLI::Validator& Unsigned();
// A share from 0 up to, not including, 1 (a held-out fraction: all of it leaves nothing to train on).
const CLI::Validator& ShareBelowOne();
// A share from 0 to 1, both included (a probability).
const CLI::Validator& Share();


// Lines of FILE (or stdin when empty or "-"), without CR and the first without a UTF-8 BOM.
// fn(where, n, line, problem): `where` is "FILE:n" for messages; `problem` is null for a line to
// use, else why it is to be skipped ("empty", "invalid UTF-8", kLineTooLong: such a line is read
// on and dropped, never held whole). `text` and `erase --users` read their inputs so.
extern const char* const kLineTooLong;  // "over 64 KiB"
using LineFn = std::function<void(const std::string&, uint64_t, const std::string&, const char*)>;
void ForEachLine(const std::string& path, const LineFn& fn);

// Each command group adds its subcommands; the callback it sets returns the exit code.
using Runner = std::function<int()>;
struct Registry {
  Globals* globals;
  Runner* selected;  // set by the chosen subcommand's callback
};

// One file's ingest report as `ingest --json` lists it, and as `ingest` prints it: the counts,
// rejects by reason and the rejects report on stdout, the first rejected rows (FILE:LINE: field:
// reason) on stderr, or "already ingested". `profile update FILES` reports its files so too.
nlohmann::json IngestReportJson(const IngestReport& r);
void PrintIngestReport(const IngestReport& r, const IngestOptions& o);

void AddInitCommand(CLI::App& app, Registry& reg);
void AddIngestCommand(CLI::App& app, Registry& reg);
void AddGraphCommands(CLI::App& app, Registry& reg);
void AddExportCommand(CLI::App& app, Registry& reg);
void AddGenerateCommand(CLI::App& app, Registry& reg);
void AddDemoCommand(CLI::App& app, Registry& reg);
void AddKgeCommands(CLI::App& app, Registry& reg);
void AddTextCommands(CLI::App& app, Registry& reg);
void AddProfileCommands(CLI::App& app, Registry& reg);
void AddProfileEvalCommand(CLI::App* profile, Registry& reg);  // under `profile`
void AddAudienceCommand(CLI::App& app, Registry& reg);
void AddRecommendCommands(CLI::App& app, Registry& reg);
void AddEvalCommands(CLI::App& app, Registry& reg);  // eval rec
CLI::App* AddLlmCommands(CLI::App& app, Registry& reg);   // returns the llm parent; summary | copy | explain | reason | refresh | faithfulness
void AddLlmEngineCommands(CLI::App* llm, Registry& reg);  // llm generate | bench | info
// erase, privacy keygen|rotate|budget|segments, kge train-federated. REQUIRES: after AddKgeCommands.
void AddPrivacyCommands(CLI::App& app, Registry& reg);
// `export --k-anonymous K`: the profile table, k-anonymous (cmd_privacy.cc).
// serve (HTTP API and web page) and serve-keys create|list|revoke (cmd_serve.cc).
void AddServeCommands(CLI::App& app, Registry& reg);
int RunProfileExportKAnon(const Globals& g, Workspace& ws, const std::string& out, size_t k,
                          double max_suppression);

// Prints j as JSON when --json, else calls text().
void Emit(const Globals& g, const nlohmann::json& j, const std::function<void()>& text);
// The same for an ordered_json, keeping its key order (the profile's JSON is in the order of
// docs/profile.md). A template so that a braced list still means nlohmann::json.
void EmitDumped(const Globals& g, const std::string& json, const std::function<void()>& text);
template <typename J, typename = std::enable_if_t<std::is_same_v<J, nlohmann::ordered_json>>>
void Emit(const Globals& g, const J& j, const std::function<void()>& text) {
  EmitDumped(g, g.json ? j.dump(2, ' ', false, J::error_handler_t::replace) : std::string(), text);
}

int Main(int argc, char** argv);
// The message for a command that ran out of memory: the command's name, and --dim as a size to
// lower only when the command has that option.
std::string OutOfMemoryMessage(const CLI::App& app);

}  // namespace kgp::cli
