// The `local` backend (GGUF engine behind the backend interface): configuration errors name
// the setting or the file; on the shop model it gives the engine's own greedy continuation,
// streams it, and cuts a prompt longer than the context instead of failing.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include <fmt/format.h>

#include "llm/backend.h"
#include "test_util.h"

namespace kgp::llm {
namespace {

TEST(LlmLocalBackend, NeedsAModelPath) {
  BackendConfig c;
  c.kind = "local";
  auto b = MakeBackend(c);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(b.status().message().find("llm.model_path"), std::string::npos) << b.status().message();
}

TEST(LlmLocalBackend, MissingFileAndBadSettingsAreNamed) {
  BackendConfig c;
  c.kind = "local";
  c.model_path = "/nonexistent/dir/model.gguf";
  auto b = MakeBackend(c);
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.status().message().find("/nonexistent/dir/model.gguf"), std::string::npos) << b.status().message();
  ASSERT_TRUE(SetBackendOption(c, "threads", "two").ok());  // kept for the adapter, checked there
  auto bad = MakeBackend(c);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("llm.threads"), std::string::npos) << bad.status().message();
}

BackendConfig LocalConfig(const std::string& model, const std::string& threads) {
  BackendConfig c;
  c.kind = "local";
  c.model_path = model;
  EXPECT_TRUE(SetBackendOption(c, "threads", threads).ok());
  return c;
}

// A context of 1 is refused naming llm.n_ctx (the prompt was cut one past its end: the heap was
// corrupted, 'munmap_chunk(): invalid pointer'); 2, the least, answers with one token.
TEST(LlmLocalBackend, ContextTooSmallForAnAnswerIsRefused) {
  KGP_REQUIRE_DATA(model, "llm/shop-tiny-f32.gguf");
  BackendConfig c = LocalConfig(model, "1");
  ASSERT_TRUE(SetBackendOption(c, "n_ctx", "1").ok());
  auto b = MakeBackend(c);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(b.status().message().find("a context of 1 token (llm.n_ctx"), std::string::npos) << b.status().message();
  ASSERT_TRUE(SetBackendOption(c, "n_ctx", "2").ok());
  auto backend = Unwrap(MakeBackend(c));
  ChatRequest req;
  req.messages = {{"user", "Because Alice bought coffee beans from Tyrell"}};
  req.max_tokens = 8;
  Completion out = Unwrap(backend->Complete(req));
  EXPECT_EQ(out.prompt_tokens, 1);
  EXPECT_EQ(out.completion_tokens, 1);
}

// A temperature out of range is refused: in kgprofile.conf naming the key, in a request from code
// by the backend (a NaN temperature drew from NaN weights: token 0 at every step).
TEST(LlmLocalBackend, TemperatureOutOfRangeIsRefused) {
  BackendConfig conf;
  for (const char* bad : {"nan", "-1", "inf"}) {
    Status st = SetBackendOption(conf, "temperature", bad);
    EXPECT_EQ(st.message(), fmt::format("llm.temperature = '{}': expected a number >= 0", bad));
  }
  KGP_REQUIRE_DATA(model, "llm/shop-tiny-f32.gguf");
  auto backend = Unwrap(MakeBackend(LocalConfig(model, "1")));
  ChatRequest req;
  req.messages = {{"user", "Because Alice bought"}};
  req.max_tokens = 4;
  for (double t : {std::nan(""), -1.0}) {
    req.temperature = t;
    auto out = backend->Complete(req);
    ASSERT_FALSE(out.ok()) << t;
    EXPECT_EQ(out.status().message(),
              fmt::format("llm backend 'local': sampling: temperature = {}: must be a finite number >= 0", t));
  }
}

TEST(LlmLocalBackend, GreedyTextStreamsAndLongPromptsAreCut) {
  KGP_REQUIRE_DATA(model, "llm/shop-tiny-f32.gguf");
  BackendConfig c = LocalConfig(model, "2");
  auto backend = Unwrap(MakeBackend(c));
  EXPECT_EQ(backend->Name(), "local");
  EXPECT_NE(backend->Model().find("shop-tiny-f32.gguf"), std::string::npos);

  ChatRequest req;
  req.messages = {{"user", "Because Alice bought"}};
  req.temperature = 0;
  req.max_tokens = 48;
  std::string streamed;
  req.on_token = [&](std::string_view piece) {
    streamed += piece;
    return true;
  };
  Completion out = Unwrap(backend->Complete(req));
  // The engine's greedy continuation of this prompt (llm_engine_test checks it against llama.cpp).
  EXPECT_EQ(out.text, " coffee beans from Tyrell, we recommend more smart watches.");
  EXPECT_EQ(streamed, out.text);
  EXPECT_EQ(out.finish_reason, "stop");
  EXPECT_GT(out.prompt_tokens, 1);
  EXPECT_GT(out.completion_tokens, 5);

  // max_tokens ends the text: "length".
  req.on_token = {};
  req.max_tokens = 3;
  Completion shortened = Unwrap(backend->Complete(req));
  EXPECT_EQ(shortened.completion_tokens, 3);
  EXPECT_EQ(shortened.finish_reason, "length");

  // A prompt far past the context: cut from the front, still answered.
  std::string longer;
  for (int i = 0; i < 3000; ++i) longer += "Because Alice bought coffee beans. ";
  req.messages = {{"system", "Write about the shop."}, {"user", longer + "Because Alice bought"}};
  req.max_tokens = 16;
  Completion cut = Unwrap(backend->Complete(req));
  EXPECT_FALSE(cut.text.empty());
  EXPECT_LE(cut.prompt_tokens + 16, 4096);
}

}  // namespace
}  // namespace kgp::llm
