// Chat templates: renders a conversation into the prompt text a chat model was trained on.
// Like llama.cpp's llm_chat_apply_template this is not a Jinja interpreter: the template is
// recognised by markers in tokenizer.chat_template (or given by name) and rendered by code.
// Supported: "chatml" (Qwen, <|im_start|>), "llama3" (<|start_header_id|>), "llama2" and
// "llama2-sys" ([INST], with <<SYS>> when the template has it). The BOS token is not part of
// the text: Tokenizer::Encode(add_special=true) adds it. Encode the result with
// parse_special=true so that the markers become their control tokens.
// Thread safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "llm/chat_message.h"
#include "llm/engine/gguf.h"

namespace kgp::llm {

enum class ChatTemplate { kChatMl, kLlama3, kLlama2, kLlama2Sys };

// A template name ("chatml", "llama3", "llama2", "llama2-sys") or the Jinja text of a
// tokenizer.chat_template, recognised by its markers. NotFound when neither.
Result<ChatTemplate> DetectChatTemplate(std::string_view name_or_template);

// Renders msgs; add_generation_prompt appends the opening of the assistant's turn (chatml,
// llama3; llama2's prompt already ends where the assistant answers).
std::string RenderChat(ChatTemplate t, const std::vector<ChatMessage>& msgs, bool add_generation_prompt);

// The template of a model file: tokenizer.chat_template, recognised as above; NotFound when
// the file has none or it is not one of the supported kinds.
Result<std::string> ApplyChatTemplate(const GgufFile& f, const std::vector<ChatMessage>& msgs,
                                      bool add_generation_prompt);
// The same with a template name or Jinja text given by the caller.
Result<std::string> ApplyChatTemplate(std::string_view name_or_template, const std::vector<ChatMessage>& msgs,
                                      bool add_generation_prompt);

}  // namespace kgp::llm
