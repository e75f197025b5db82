#include "cli/cli.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <limits>
#include <new>

#include "common/huge_alloc.h"
#include "common/log.h"
#include "common/progress.h"
#include "common/status.h"
#include "common/strings.h"

namespace kgp::cli {

namespace {

// A finite number that ok accepts; the refusal names what it must be and what was given.
// as_float: the option is a float, so the number is checked as the float it becomes (1e39 is
// infinite as a float, 1e-50 is 0), not as the double it is written as.
CLI::Validator FiniteNumber(bool (*ok)(double), const char* what, const char* name, bool as_float = false) {
  return CLI::Validator(
      [ok, what, as_float](std::string& s) -> std::string {
        char* end = nullptr;
        double x = std::strtod(s.c_str(), &end);
        if (as_float) x = static_cast<double>(static_cast<float>(x));
        if (end == s.c_str() || *end != '\0' || !std::isfinite(x) || !ok(x)) return fmt::format("must be {}, not '{}'", what, s);
        return {};
      },
      name);
}

// A whole number from min to max in decimal digits: CLI11 reads an option with strtoull or
// strtoll in base 0, so "-1" in an unsigned option wrapped round to 18446744073709551615 and
// "010" meant octal 8. A sign, fraction, exponent, hex prefix or leading zero is refused.
CLI::Validator WholeNumber(uint64_t min, uint64_t max, const char* what, const char* name) {
  return CLI::Validator(
      [min, max, what](std::string& s) -> std::string {
        if (s.size() > 1 && s[0] == '0' && s.find_first_not_of("0123456789") == std::string::npos)
          return fmt::format("must be a whole number without leading zeros, not '{}' (read as an octal number)", s);
        errno = 0;
        const unsigned long long x = std::strtoull(s.c_str(), nullptr, 10);
        if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos || errno == ERANGE || x < min || x > max)
          return fmt::format("must be {}, not '{}'", what, s);
        return {};
      },
      name);
}

}  // namespace

std::string OutOfMemoryMessage(const CLI::App& app) {
  const CLI::App* cmd = &app;
  std::string path = "kgprofile";  // the app's own name is argv[0] once parsed
  while (!cmd->get_subcommands().empty()) {
    cmd = cmd->get_subcommands().front();
    path += " " + cmd->get_name();
  }
  // --dim only where the command has it (text ner pointed to an option it lacks).
  const bool dim = cmd->get_option_no_throw("--dim") != nullptr;
  return fmt::format("out of memory in '{}' (the input or the sizes asked for{} need more memory than there is)", path,
                     dim ? ", e.g. --dim," : "");
}

const CLI::Validator& PositiveFinite() {
  static const CLI::Validator v = FiniteNumber([](double x) { return x > 0; }, "a finite number above 0", "POSITIVE");
  return v;
}

const CLI::Validator& NonNegativeFinite() {
  static const CLI::Validator v =
      FiniteNumber([](double x) { return x >= 0; }, "a finite number of 0 or more", "NON-NEGATIVE");
  return v;
}

const CLI::Validator& PositiveFiniteFloat() {
  static const CLI::Validator v = FiniteNumber([](double x) { return x > 0; },
                                               "a number above 0 that a 32-bit float holds (about 1.4e-45 to 3.4e38)",
                                               "POSITIVE", true);
  return v;
}

const CLI::Validator& NonNegativeFiniteFloat() {
  static const CLI::Validator v = FiniteNumber([](double x) { return x >= 0; },
                                               "a number of 0 or more that a 32-bit float holds (at most 3.4e38)",
                                               "NON-NEGATIVE", true);
  return v;
}

const CLI::Validator& PositiveInt() {
  static const CLI::Validator v =
      WholeNumber(1, std::numeric_limits<int>::max(), "a whole number from 1 to 2147483647", "POSITIVE");
  return v;
}

const CLI::Validator& NonNegativeInt() {
  static const CLI::Validator v =
      WholeNumber(0, std::numeric_limits<int>::max(), "a whole number from 0 to 2147483647", "NON-NEGATIVE");
  return v;
}

const CLI::Validator& Unsigned() {
  static const CLI::Validator v = WholeNumber(0, std::numeric_limits<uint64_t>::max(),
                                              "a whole number of 0 or more (digits only)", "UINT");
  return v;
}

const CLI::Validator& ShareBelowOne() {
  static const CLI::Validator v =
      FiniteNumber([](double x) { return x >= 0 && x < 1; }, "a number from 0 up to (not including) 1", "[0,1)");
  return v;
}

const CLI::Validator& Share() {
  static const CLI::Validator v = FiniteNumber([](double x) { return x >= 0 && x <= 1; }, "a number from 0 to 1", "[0,1]");
  return v;
}

void EmitDumped(const Globals& g, const std::string& json, const std::function<void()>& text) {
  if (g.json) {
    std::cout << json << std::endl;
  } else {
    text();
    std::cout.flush();
  }
}

void Emit(const Globals& g, const nlohmann::json& j, const std::function<void()>& text) {
  // Workspaces from before ingest checked UTF-8 may hold invalid bytes: U+FFFD, as the service.
  EmitDumped(g, g.json ? j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) : std::string(), text);
}

int Main(int argc, char** argv) {
  TuneMallocForBulkWork();
  CLI::App app{
      "kgprofile: e-commerce user profiles on a knowledge graph.\n"
      "Typical run: init a workspace, ingest logs and catalogues, build the graph, export it."};
  app.set_version_flag("--version", "kgprofile 0.1.0");
  app.require_subcommand(1);
  // --json, -q and -v also after the subcommand ("kgprofile profile show WS --user 7 --json"):
  // an option a subcommand does not know falls through to its parents (inherited setting).
  app.fallthrough();
  Globals g;
  app.add_flag("--json", g.json, "print results as JSON");
  app.add_flag("-q,--quiet", g.quiet, "no progress lines or informational logs");
  app.add_flag("-v,--verbose", g.verbose, "debug logs");
  Runner selected;
  Registry reg{&g, &selected};
  AddInitCommand(app, reg);
  AddIngestCommand(app, reg);
  AddGraphCommands(app, reg);
  AddKgeCommands(app, reg);
  AddExportCommand(app, reg);
  AddGenerateCommand(app, reg);
  AddDemoCommand(app, reg);
  AddTextCommands(app, reg);
  AddProfileCommands(app, reg);
  AddAudienceCommand(app, reg);
  AddRecommendCommands(app, reg);
  AddEvalCommands(app, reg);
  CLI::App* llm = AddLlmCommands(app, reg);
  AddLlmEngineCommands(llm, reg);
  AddPrivacyCommands(app, reg);
  AddServeCommands(app, reg);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // "kgprofile bogus" left CLI11 saying "A subcommand is required": name the word it did not
    // know when the command reached takes subcommands and none was chosen.
    const CLI::App* cmd = &app;
    std::string path = "kgprofile";
    while (!cmd->get_subcommands().empty()) {
      cmd = cmd->get_subcommands().front();
      path += " " + cmd->get_name();
    }
    const bool takes_subcommands = !cmd->get_subcommands([](const CLI::App*) { return true; }).empty();
    if (takes_subcommands && e.get_exit_code() != 0) {  // not --help
      for (const std::string& word : app.remaining(true)) {  // a word a subcommand did not know goes back up
        if (word.empty() || word[0] == '-') continue;
        std::fprintf(stderr, "error: unknown command '%s' (%s --help lists the commands)\n", word.c_str(), path.c_str());
        return e.get_exit_code();
      }
    }
    return app.exit(e);
  }
  if (g.quiet) {
    SetLogLevel(LogLevel::kWarn);
    Progress::SetEnabled(false);
  }
  if (g.verbose) SetLogLevel(LogLevel::kDebug);
  if (const char* t = std::getenv("GLIBC_TUNABLES"); t && std::strstr(t, "glibc.malloc.hugetlb=1"))
    LOG_DBG("memory: malloc advises transparent huge pages (GLIBC_TUNABLES={})", t);
  if (!selected) {
    std::cerr << app.help();
    return 2;
  }
  // The boundary: run-ending errors from any layer become one clear message and exit code 1.
  try {
    return selected();
  } catch (const Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "error: %s\n", OutOfMemoryMessage(app).c_str());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}

namespace {
constexpr size_t kMaxLineBytes = 1 << 16;
}  // namespace

const char* const kLineTooLong = "over 64 KiB";

void ForEachLine(const std::string& path, const LineFn& fn) {
  std::ifstream f;
  std::istream* in = &std::cin;
  const bool stdin_ = path.empty() || path == "-";
  if (!stdin_) {
    f.open(path, std::ios::binary);
    if (!f) throw Error(Status::NotFound(fmt::format("{}: cannot open", path)));
    in = &f;
  }
  std::streambuf* sb = in->rdbuf();
  std::string line;
  uint64_t n = 0;
  for (int c = 0; c != EOF;) {
    line.clear();
    bool too_long = false;
    while ((c = sb->sbumpc()) != EOF && c != '\n') {
      if (line.size() <= kMaxLineBytes) line.push_back(static_cast<char>(c));  // one byte for a CR
      else too_long = true;
    }
    if (c == EOF && line.empty() && !too_long) break;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (n == 0 && StartsWith(line, "\xEF\xBB\xBF")) line.erase(0, 3);  // a UTF-8 BOM
    too_long |= line.size() > kMaxLineBytes;
    const char* problem = too_long ? kLineTooLong : line.empty() ? "empty" : !IsValidUtf8(line) ? "invalid UTF-8" : nullptr;
    ++n;
    fn(fmt::format("{}:{}", stdin_ ? "stdin" : path, n), n, too_long ? std::string() : line, problem);
  }
}

}  // namespace kgp::cli
