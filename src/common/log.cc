#include "common/log.h"

#include <atomic>
#include <cstdio>
#include <mutex>

namespace kgp {
namespace {
std::atomic<int> g_level{static_cast<int>(LogLevel::kInfo)};
std::mutex g_mu;
LogCallback g_cb;  // GUARDED_BY(g_mu)
}  // namespace

void SetLogCallback(LogCallback cb) {
  std::lock_guard<std::mutex> lock(g_mu);
  g_cb = std::move(cb);
}
void SetLogLevel(LogLevel level) { g_level = static_cast<int>(level); }
LogLevel GetLogLevel() { return static_cast<LogLevel>(g_level.load()); }

void LogMessage(LogLevel level, std::string_view msg) {
  std::lock_guard<std::mutex> lock(g_mu);
  if (g_cb) {
    g_cb(level, msg);
    return;
  }
  static const char* kNames[] = {"debug", "info", "warning", "error", ""};
  std::fprintf(stderr, "%s: %.*s\n", kNames[static_cast<int>(level)], static_cast<int>(msg.size()),
               msg.data());
}

}  // namespace kgp
