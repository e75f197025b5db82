#include "llm/sse.h"

#include <fmt/format.h>

namespace kgp::llm {

bool SseParser::Append(std::string_view part) {
  if (part.size() > max_ - line_.size()) {
    error_ = fmt::format("a line longer than {} bytes (event {})", max_, events_ + 1);
    return false;
  }
  line_.append(part);
  return true;
}

bool SseParser::Feed(std::string_view chunk, const Handler& on_event) {
  size_t i = 0;
  if (skip_lf_ && !chunk.empty()) {
    if (chunk[0] == '\n') i = 1;
    skip_lf_ = false;
  }
  while (i < chunk.size()) {
    size_t end = chunk.find_first_of("\r\n", i);
    if (end == std::string_view::npos) return Append(chunk.substr(i));
    if (!Append(chunk.substr(i, end - i))) return false;
    if (chunk[end] == '\r') {
      if (end + 1 < chunk.size()) {
        if (chunk[end + 1] == '\n') ++end;
      } else {
        skip_lf_ = true;
      }
    }
    i = end + 1;
    std::string line = std::move(line_);
    line_.clear();
    if (!Line(line, on_event)) return false;
  }
  return true;
}

bool SseParser::Finish(const Handler& on_event) {
  if (!line_.empty()) {
    std::string line = std::move(line_);
    line_.clear();
    if (!Line(line, on_event)) return false;
  }
  return Dispatch(on_event);
}

bool SseParser::Line(std::string_view line, const Handler& on_event) {
  if (line.empty()) return Dispatch(on_event);
  if (line[0] == ':') return true;  // comment (keep-alive)
  std::string_view field = line, value;
  if (size_t colon = line.find(':'); colon != std::string_view::npos) {
    field = line.substr(0, colon);
    value = line.substr(colon + 1);
    if (!value.empty() && value[0] == ' ') value.remove_prefix(1);
  }
  if (field == "data") {
    if (value.size() + 1 > max_ - cur_.data.size()) {
      error_ = fmt::format("event {} has more than {} bytes of data", events_ + 1, max_);
      return false;
    }
    if (has_data_) cur_.data.push_back('\n');
    cur_.data.append(value);
    has_data_ = true;
  } else if (field == "event") {
    cur_.event = std::string(value);
  } else if (field == "id") {
    cur_.id = std::string(value);
  }
  // "retry" and unknown fields are ignored, as the standard says.
  return true;
}

bool SseParser::Dispatch(const Handler& on_event) {
  if (!has_data_) {
    cur_.event.clear();
    return true;
  }
  SseEvent ev = std::move(cur_);
  cur_ = SseEvent{};
  has_data_ = false;
  ++events_;
  return on_event(ev);
}

}  // namespace kgp::llm
