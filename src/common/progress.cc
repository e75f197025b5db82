#include "common/progress.h"

#include <unistd.h>

#include <atomic>
#include <cstdio>

#include <fmt/format.h>

#include "common/time.h"

namespace kgp {
namespace {
std::atomic<bool> g_enabled{true};

std::string Human(double v) {
  if (v >= 1e9) return fmt::format("{:.2f}G", v / 1e9);
  if (v >= 1e6) return fmt::format("{:.2f}M", v / 1e6);
  if (v >= 1e3) return fmt::format("{:.1f}k", v / 1e3);
  return fmt::format("{:.0f}", v);
}
}  // namespace

std::string FormatDuration(double s) {
  if (!(s >= 0)) s = 0;  // negative or NaN
  if (s >= 1e8) return ">27777h";  // over three years: and no integer below can overflow
  const int64_t t = static_cast<int64_t>(s + 0.5);
  if (t >= 3600) return fmt::format("{}h{:02}m", t / 3600, (t / 60) % 60);
  if (t >= 60) return fmt::format("{}m{:02}s", t / 60, t % 60);
  return fmt::format("{}s", t);
}

void Progress::SetEnabled(bool enabled) { g_enabled = enabled; }

Progress::Progress(std::string label, uint64_t total, std::string unit)
    : label_(std::move(label)), unit_(std::move(unit)), total_(total), tty_(isatty(2) != 0) {
  start_ = last_draw_ = std::chrono::steady_clock::now();
}

Progress::~Progress() { Finish(); }

double Progress::Seconds() const {
  return SecondsSince(start_);
}

void Progress::MaybeDraw(bool force) {
  if (!g_enabled) return;
  auto now = std::chrono::steady_clock::now();
  double since_start = std::chrono::duration<double>(now - start_).count();
  double since_draw = std::chrono::duration<double>(now - last_draw_).count();
  if (!force && (since_start < 1.0 || since_draw < (tty_ ? 0.2 : 5.0))) return;
  if (force && !shown_ && since_start < 1.0) return;
  last_draw_ = now;
  double rate = since_start > 0 ? done_ / since_start : 0;
  std::string line = fmt::format("{}: {} {}", label_, Human(done_), unit_);
  if (total_ > 0) {
    double pct = 100.0 * done_ / total_;
    line += fmt::format(" / {} ({:.1f}%)", Human(total_), pct > 100 ? 100 : pct);
  }
  line += fmt::format(", {} {}/s", Human(rate), unit_);
  if (force) {
    line += fmt::format(", {} elapsed", FormatDuration(since_start));
  } else if (total_ > 0 && rate > 0 && done_ <= total_) {
    line += fmt::format(", ETA {}", FormatDuration((total_ - done_) / rate));
  }
  if (tty_) {
    std::fprintf(stderr, "\r%-79s%s", line.c_str(), force ? "\n" : "");
  } else {
    std::fprintf(stderr, "%s\n", line.c_str());
  }
  std::fflush(stderr);
  shown_ = true;
}

void Progress::Finish() {
  if (finished_) return;
  finished_ = true;
  MaybeDraw(true);
}

}  // namespace kgp
