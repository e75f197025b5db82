// One-line progress report on stderr (fastText printInfo style): done/total, rate, ETA.
// Silent for steps shorter than a second. On a terminal the line is redrawn with '\r';
// otherwise (CI, logs) one line is printed every few seconds. Not thread-safe: one owner.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace kgp {

// "42s", "3m07s", "5h02m"; ">27777h" from 10^8 s up; 0s for negatives and NaN.
std::string FormatDuration(double seconds);

class Progress {
 public:
  // total == 0 means unknown (no percentage or ETA). unit names what is counted.
  Progress(std::string label, uint64_t total, std::string unit = "rows");
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void Add(uint64_t n) {
    done_ += n;
    if (++calls_ % 1024 == 0) MaybeDraw(false);
  }
  void Set(uint64_t done) {
    done_ = done;
    if (++calls_ % 1024 == 0) MaybeDraw(false);
  }
  void SetTotal(uint64_t total) { total_ = total; }
  void Finish();  // prints the final line if anything was shown
  double Seconds() const;
  uint64_t done() const { return done_; }

  // Globally silence progress (tests, --quiet).
  static void SetEnabled(bool enabled);

 private:
  void MaybeDraw(bool force);
  std::string label_;
  std::string unit_;
  uint64_t total_;
  uint64_t done_ = 0;
  uint64_t calls_ = 0;
  bool shown_ = false;
  bool finished_ = false;
  bool tty_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace kgp
