#include "llm/engine/chat.h"

#include <cctype>

#include <fmt/format.h>

namespace kgp::llm {

namespace {

// Leading and trailing ASCII whitespace off (the llama3 template's `| trim`).
std::string_view TrimSpace(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool Contains(std::string_view s, std::string_view what) { return s.find(what) != std::string_view::npos; }

}  // namespace

Result<ChatTemplate> DetectChatTemplate(std::string_view t) {
  if (t == "chatml") return ChatTemplate::kChatMl;
  if (t == "llama3") return ChatTemplate::kLlama3;
  if (t == "llama2") return ChatTemplate::kLlama2;
  if (t == "llama2-sys") return ChatTemplate::kLlama2Sys;
  // Same markers, in the same order, as llama.cpp's llm_chat_detect_template.
  if (Contains(t, "<|im_start|>")) return ChatTemplate::kChatMl;
  if (Contains(t, "[INST]")) return Contains(t, "<<SYS>>") ? ChatTemplate::kLlama2Sys : ChatTemplate::kLlama2;
  if (Contains(t, "<|start_header_id|>") && Contains(t, "<|end_header_id|>")) return ChatTemplate::kLlama3;
  return Status::NotFound(fmt::format("chat template not recognised (supported: chatml, llama3, llama2, "
                                      "llama2-sys): '{}'", t.substr(0, 80)));
}

std::string RenderChat(ChatTemplate t, const std::vector<ChatMessage>& msgs, bool add_generation_prompt) {
  std::string out;
  switch (t) {
    case ChatTemplate::kChatMl:
      for (const ChatMessage& m : msgs) out += "<|im_start|>" + m.role + "\n" + m.content + "<|im_end|>\n";
      if (add_generation_prompt) out += "<|im_start|>assistant\n";
      break;
    case ChatTemplate::kLlama3:
      for (const ChatMessage& m : msgs) {
        out += "<|start_header_id|>" + m.role + "<|end_header_id|>\n\n";
        out += TrimSpace(m.content);
        out += "<|eot_id|>";
      }
      if (add_generation_prompt) out += "<|start_header_id|>assistant<|end_header_id|>\n\n";
      break;
    case ChatTemplate::kLlama2:
    case ChatTemplate::kLlama2Sys: {
      // [INST] <<SYS>>\nsys\n<</SYS>>\n\nuser [/INST]answer</s>[INST] ... ; the first BOS is the
      // tokenizer's. Without <<SYS>> support a system message is written as a plain line.
      bool inside_turn = true;
      out += "[INST] ";
      for (const ChatMessage& m : msgs) {
        if (!inside_turn) {
          inside_turn = true;
          out += "[INST] ";
        }
        if (m.role == "system") {
          out += t == ChatTemplate::kLlama2Sys ? "<<SYS>>\n" + m.content + "\n<</SYS>>\n\n" : m.content + "\n";
        } else if (m.role == "user") {
          out += m.content + " [/INST]";
        } else {
          out += m.content + "</s>";
          inside_turn = false;
        }
      }
      break;
    }
  }
  return out;
}

Result<std::string> ApplyChatTemplate(std::string_view name_or_template, const std::vector<ChatMessage>& msgs,
                                      bool add_generation_prompt) {
  Result<ChatTemplate> t = DetectChatTemplate(name_or_template);
  if (!t.ok()) return t.status();
  return RenderChat(*t, msgs, add_generation_prompt);
}

Result<std::string> ApplyChatTemplate(const GgufFile& f, const std::vector<ChatMessage>& msgs,
                                      bool add_generation_prompt) {
  Result<std::string> tmpl = f.GetString("tokenizer.chat_template");
  if (!tmpl.ok()) {
    return Status::NotFound(fmt::format("{}: no usable tokenizer.chat_template: {}", f.path(), tmpl.status().message()));
  }
  return ApplyChatTemplate(std::string_view(*tmpl), msgs, add_generation_prompt);
}

}  // namespace kgp::llm
