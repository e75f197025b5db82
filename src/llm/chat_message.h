// One chat turn, shared by the backends (llm/backend.h) and the native engine's chat
// templates (llm/engine/chat.h).
#pragma once

#include <string>

namespace kgp::llm {

// role is "system", "user" or "assistant" (other roles are written as given).
struct ChatMessage {
  std::string role;
  std::string content;
};

}  // namespace kgp::llm
