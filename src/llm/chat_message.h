// One chat turn and the streaming callback, shared by the backends (llm/backend.h) and the
// native engine (llm/engine/chat.h, llm/engine/generate.h).
#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace kgp::llm {

// role is "system", "user" or "assistant" (other roles are written as given).
struct ChatMessage {
  std::string role;
  std::string content;
};

// Called with each piece of text as it is generated (streaming); return false to stop early.
using TokenCallback = std::function<bool(std::string_view piece)>;

}  // namespace kgp::llm
