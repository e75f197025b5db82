// Incremental parser of server-sent events (the text/event-stream format of the WHATWG HTML
// standard, as OpenAI-compatible servers stream completions). Bytes arrive in chunks split
// anywhere (mid-line, mid-UTF-8, between CR and LF); lines end in LF, CRLF or CR; lines
// starting with ':' are comments; an empty line dispatches the event; data lines are joined
// with '\n'. Not thread-safe: one parser per stream.
#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace kgp::llm {

struct SseEvent {
  std::string event;  // "event:" field, empty when absent ("message")
  std::string data;
  std::string id;
};

class SseParser {
 public:
  // Return false to stop: Feed() then returns false and ignores the rest of the chunk.
  using Handler = std::function<bool(const SseEvent&)>;
  // A line or an event's data longer than this stops the parser (error() says which): a
  // server sending bytes without a newline was buffered until memory ran out. A completion
  // chunk is well under a kilobyte.
  static constexpr size_t kMaxEventBytes = 1 << 20;
  explicit SseParser(size_t max_event_bytes = kMaxEventBytes) : max_(max_event_bytes) {}

  // Parses a chunk, calling on_event for each complete event.
  bool Feed(std::string_view chunk, const Handler& on_event);
  // End of stream: a last event not followed by a blank line is dispatched (servers that
  // close right after "data: [DONE]\n" are common).
  bool Finish(const Handler& on_event);
  size_t events() const { return events_; }
  // Why Feed() or Finish() returned false when the handler did not stop it; empty otherwise.
  const std::string& error() const { return error_; }

 private:
  bool Append(std::string_view part);  // to line_, within max_
  bool Line(std::string_view line, const Handler& on_event);
  bool Dispatch(const Handler& on_event);
  std::string line_;       // the incomplete line carried between chunks
  bool skip_lf_ = false;   // the previous chunk ended in CR: a leading LF belongs to it
  SseEvent cur_;
  bool has_data_ = false;
  size_t events_ = 0;
  size_t max_;
  std::string error_;
};

}  // namespace kgp::llm
