// Levelled logging through a callback the caller may replace (LightGBM / llama_log_set style).
// Macros skip argument evaluation below the current level. Thread-safe.
#pragma once

#include <fmt/format.h>

#include <functional>
#include <string_view>

namespace kgp {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3, kQuiet = 4 };

using LogCallback = std::function<void(LogLevel, std::string_view)>;

// Default sink writes "level: message\n" to stderr.
void SetLogCallback(LogCallback cb);
void SetLogLevel(LogLevel level);
LogLevel GetLogLevel();
void LogMessage(LogLevel level, std::string_view msg);

}  // namespace kgp

#define KGP_LOG(level, ...)                                                          \
  do {                                                                               \
    if (static_cast<int>(level) >= static_cast<int>(::kgp::GetLogLevel()))           \
      ::kgp::LogMessage(level, fmt::format(__VA_ARGS__));                            \
  } while (0)
#define LOG_DBG(...) KGP_LOG(::kgp::LogLevel::kDebug, __VA_ARGS__)
#define LOG_INF(...) KGP_LOG(::kgp::LogLevel::kInfo, __VA_ARGS__)
#define LOG_WRN(...) KGP_LOG(::kgp::LogLevel::kWarn, __VA_ARGS__)
#define LOG_ERR(...) KGP_LOG(::kgp::LogLevel::kError, __VA_ARGS__)
