// The OpenAI-compatible backend against a mock server on 127.0.0.1: plain and streamed chat and
// completions, SSE chunks split anywhere, retries with back-off on 5xx, no retry on 401,
// timeouts honoured, malformed events reported, the concurrency bound; the SSE parser alone.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <thread>

#include <nlohmann/json.hpp>

#include "common/time.h"
#include "llm/openai.h"
#include "llm/sse.h"
#include "llm_mock_server.h"

namespace kgp::llm {
namespace {

using test::CompletionJson;
using test::MockLlmServer;

// A mock server's backend settings (any server with url()).
template <class Server>
BackendConfig Config(const Server& s) {
  BackendConfig c;
  c.kind = "openai";
  c.base_url = s.url();
  c.model = "mock-1";
  c.api_key_env = "KGP_TEST_LLM_KEY";
  c.backoff_s = 0.01;
  c.read_timeout_s = 5;
  c.total_timeout_s = 10;
  return c;
}

ChatRequest Hello() {
  ChatRequest r;
  r.messages = {{"system", "be brief"}, {"user", "hello"}};
  r.max_tokens = 16;
  return r;
}

std::string Chunk(const std::string& delta, bool chat = true) {
  nlohmann::json c = chat ? nlohmann::json{{"index", 0}, {"delta", {{"content", delta}}}, {"finish_reason", nullptr}}
                          : nlohmann::json{{"index", 0}, {"text", delta}, {"finish_reason", nullptr}};
  return "data: " + nlohmann::json{{"model", "mock-1"}, {"choices", {c}}}.dump() + "\n\n";
}

// Hello() through a backend made from c; *took: the seconds the call took.
Result<Completion> TimedHello(const BackendConfig& c, double* took) {
  auto backend = Unwrap(OpenAiBackend::Create(c));
  const auto t0 = std::chrono::steady_clock::now();
  auto r = backend->Complete(Hello());
  *took = kgp::SecondsSince(t0);
  return r;
}

// A handler that answers after `ms` milliseconds.
MockLlmServer::Handler AnswerAfter(int ms) {
  return [ms](const httplib::Request&, httplib::Response& res, int) {
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    res.set_content(CompletionJson("late"), "application/json");
  };
}

// Streams `body` in pieces of `piece` bytes, so events and lines are split mid-way.
void StreamInPieces(httplib::Response& res, std::string body, size_t piece) {
  auto pos = std::make_shared<size_t>(0);
  auto text = std::make_shared<std::string>(std::move(body));
  res.set_chunked_content_provider("text/event-stream", [pos, text, piece](size_t, httplib::DataSink& sink) {
    if (*pos >= text->size()) {
      sink.done();
      return true;
    }
    const size_t n = std::min(piece, text->size() - *pos);
    sink.write(text->data() + *pos, n);
    *pos += n;
    return true;
  });
}

TEST(LlmOpenAi, ChatNonStreamedSendsModelMessagesAndKey) {
  MockLlmServer s([](const httplib::Request&, httplib::Response& res, int) {
    res.set_content(CompletionJson("Hi there."), "application/json");
  });
  ::setenv("KGP_TEST_LLM_KEY", "sk-test-123", 1);
  auto b = OpenAiBackend::Create(Config(s));
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  auto r = (*b)->Complete(Hello());
  ::unsetenv("KGP_TEST_LLM_KEY");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->text, "Hi there.");
  EXPECT_EQ(r->model, "mock-1");
  EXPECT_EQ(r->finish_reason, "stop");
  EXPECT_EQ(r->prompt_tokens, 10);
  EXPECT_EQ(r->attempts, 1);
  EXPECT_EQ(s.auth(), "Bearer sk-test-123");
  auto body = nlohmann::json::parse(s.bodies().at(0));
  EXPECT_EQ(body["model"], "mock-1");
  EXPECT_EQ(body["messages"].size(), 2u);
  EXPECT_EQ(body["messages"][1]["content"], "hello");
  EXPECT_EQ(body["stream"], false);
  EXPECT_EQ(body["max_tokens"], 16);
}

// Nothing listening: the error says the connection could not be made (httplib's own word was
// "Connection"), after the configured retries.
TEST(LlmOpenAi, ARefusedConnectionIsNamed) {
  int port = 0;
  {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);  // a port just free: bound, then closed
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(a);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), len), 0);
    ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len), 0);
    port = ntohs(a.sin_port);
    ::close(fd);
  }
  BackendConfig c;
  c.kind = "openai";
  c.base_url = "http://127.0.0.1:" + std::to_string(port) + "/v1";
  c.model = "mock-1";
  c.backoff_s = 0.01;
  c.max_retries = 1;
  auto r = Unwrap(OpenAiBackend::Create(c))->Complete(Hello());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find(": could not connect (refused, or no route to the host) (after 2 attempts)"),
            std::string::npos)
      << r.status().message();
}

TEST(LlmOpenAi, CompletionsEndpointSendsAPrompt) {
  MockLlmServer s([](const httplib::Request& req, httplib::Response& res, int) {
    EXPECT_EQ(req.path, "/v1/completions");
    res.set_content(CompletionJson("done", false), "application/json");
  });
  auto c = Config(s);
  c.endpoint = "completions";
  c.base_url = "http://127.0.0.1:" + s.url().substr(17, s.url().size() - 17 - 3);  // without "/v1": it is added
  auto b = OpenAiBackend::Create(c);
  ASSERT_TRUE(b.ok());
  auto r = (*b)->Complete(Hello());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->text, "done");
  auto body = nlohmann::json::parse(s.bodies().at(0));
  EXPECT_NE(body["prompt"].get<std::string>().find("user:\nhello"), std::string::npos);
  EXPECT_FALSE(body.contains("messages"));
}

TEST(LlmOpenAi, StreamedChatWithChunksSplitMidLineAndCrlf) {
  std::string body = ": keep-alive comment\r\n\r\n";
  for (const char* d : {"你好", "，", "world", "!"}) body += Chunk(d);
  body += "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\r\n\r\n";
  body += "data: [DONE]\n\n";
  for (size_t piece : {1, 3, 7, 64}) {
    MockLlmServer s([&](const httplib::Request&, httplib::Response& res, int) { StreamInPieces(res, body, piece); });
    auto c = Config(s);
    c.stream = true;
    auto b = OpenAiBackend::Create(c);
    ASSERT_TRUE(b.ok());
    ChatRequest req = Hello();
    std::vector<std::string> deltas;
    req.on_token = [&](std::string_view d) {
      deltas.emplace_back(d);
      return true;
    };
    auto r = (*b)->Complete(req);
    ASSERT_TRUE(r.ok()) << "piece " << piece << ": " << r.status().ToString();
    EXPECT_EQ(r->text, "你好，world!") << piece;
    EXPECT_EQ(r->finish_reason, "stop");
    EXPECT_EQ(deltas.size(), 4u);
    EXPECT_EQ(nlohmann::json::parse(s.bodies().at(0))["stream"], true);
  }
}

// An answer beyond what max_tokens allows (32 bytes a token and 4 KiB: 7296 bytes for 100) is
// refused with a clear error, streamed or not, and not retried (a 5 MB answer to max_tokens 400
// was kept whole); one within it is accepted.
TEST(LlmOpenAi, AnAnswerFarBeyondMaxTokensIsRefused) {
  ChatRequest req = Hello();
  req.max_tokens = 100;
  for (const bool stream : {false, true})
    for (const size_t bytes : {size_t{7296}, size_t{7297}, size_t{3} << 20}) {
      const std::string text(bytes, 'a');
      MockLlmServer s([&](const httplib::Request&, httplib::Response& res, int) {
        if (!stream) return res.set_content(CompletionJson(text), "application/json");
        std::string body;
        for (size_t at = 0; at < text.size(); at += 1000) body += Chunk(text.substr(at, 1000));
        StreamInPieces(res, body + "data: [DONE]\n\n", 1 << 16);
      });
      auto c = Config(s);
      c.stream = stream;
      auto b = Unwrap(OpenAiBackend::Create(c));
      auto r = b->Complete(req);
      if (bytes == 7296) {
        ASSERT_TRUE(r.ok()) << r.status().ToString();
        EXPECT_EQ(r->text.size(), bytes);
        continue;
      }
      ASSERT_FALSE(r.ok()) << "stream " << stream << ", " << bytes << " bytes";
      EXPECT_NE(r.status().message().find("more than max_tokens 100 allows (7296 bytes); the answer was refused"), std::string::npos)
          << r.status().ToString();
      EXPECT_EQ(s.calls(), 1);
    }
}

TEST(LlmOpenAi, StreamedCompletionsEndpoint) {
  std::string body = Chunk("a", false) + Chunk("b", false) + "data: [DONE]\n\n";
  MockLlmServer s([&](const httplib::Request&, httplib::Response& res, int) { StreamInPieces(res, body, 5); });
  auto c = Config(s);
  c.stream = true;
  c.endpoint = "completions";
  auto r = (*OpenAiBackend::Create(c))->Complete(Hello());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->text, "ab");
}

TEST(LlmOpenAi, RetriesServerErrorsWithBackoffThenSucceeds) {
  MockLlmServer s([](const httplib::Request&, httplib::Response& res, int call) {
    if (call <= 2) {
      res.status = call == 1 ? 500 : 503;
      res.set_content(R"({"error":{"message":"overloaded"}})", "application/json");
      return;
    }
    res.set_content(CompletionJson("ok"), "application/json");
  });
  auto c = Config(s);
  c.max_retries = 3;
  c.backoff_s = 0.05;
  double took = 0;
  auto r = TimedHello(c, &took);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->text, "ok");
  EXPECT_EQ(r->attempts, 3);
  EXPECT_EQ(s.calls(), 3);
  EXPECT_GE(took, 0.05 + 0.10 - 0.01);  // back-off 0.05 s then 0.10 s
}

TEST(LlmOpenAi, GivesUpAfterMaxRetries) {
  MockLlmServer s([](const httplib::Request&, httplib::Response& res, int) {
    res.status = 502;
    res.set_content("bad gateway", "text/plain");
  });
  auto c = Config(s);
  c.max_retries = 2;
  auto r = (*OpenAiBackend::Create(c))->Complete(Hello());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(s.calls(), 3);
  EXPECT_NE(r.status().message().find("HTTP 502"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("3 attempts"), std::string::npos) << r.status().message();
}

TEST(LlmOpenAi, UnauthorizedIsNotRetried) {
  MockLlmServer s([](const httplib::Request&, httplib::Response& res, int) {
    res.status = 401;
    res.set_content(R"({"error":{"message":"invalid api key"}})", "application/json");
  });
  auto c = Config(s);
  c.max_retries = 3;
  auto r = (*OpenAiBackend::Create(c))->Complete(Hello());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(s.calls(), 1);
  EXPECT_NE(r.status().message().find("HTTP 401: invalid api key"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("KGP_TEST_LLM_KEY"), std::string::npos);
}

TEST(LlmOpenAi, ReadTimeoutIsHonoured) {
  MockLlmServer s(AnswerAfter(1500));
  auto c = Config(s);
  c.read_timeout_s = 0.3;
  c.max_retries = 0;
  double took = 0;
  auto r = TimedHello(c, &took);
  ASSERT_FALSE(r.ok());
  EXPECT_LT(took, 1.0);
  EXPECT_NE(r.status().message().find("read_timeout_s"), std::string::npos) << r.status().message();
}

// A server on 127.0.0.1 that answers one connection with a status line and then a header line
// every 100 ms for 5 s, never ending the headers (httplib's per-read timeout never fires).
class TrickleHeadersServer {
 public:
  TrickleHeadersServer() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(a);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&a), len), 0);
    EXPECT_EQ(::listen(fd_, 4), 0);
    EXPECT_EQ(::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len), 0);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] {
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      char buf[4096];
      (void)::recv(c, buf, sizeof(buf), 0);
      std::string line = "HTTP/1.1 200 OK\r\n";
      for (int i = 0; i < 50 && !stop_; ++i) {
        if (::send(c, line.data(), line.size(), MSG_NOSIGNAL) < 0) break;
        line = "X-Pad: a\r\n";
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      ::close(c);
    });
  }
  ~TrickleHeadersServer() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    thread_.join();
    ::close(fd_);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/v1"; }

 private:
  int fd_ = -1, port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// The total timeout bounds a call while header lines trickle in (each reset the read timeout:
// with --timeout 5 the call still waited after 30 s).
TEST(LlmOpenAi, TotalTimeoutHoldsWhileHeadersTrickle) {
  TrickleHeadersServer s;
  auto c = Config(s);  // read timeout 5 s
  c.total_timeout_s = 0.6;
  c.max_retries = 0;
  double took = 0;
  auto r = TimedHello(c, &took);
  ASSERT_FALSE(r.ok());
  EXPECT_LT(took, 2.0);
  EXPECT_NE(r.status().message().find("timed out after"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("llm.total_timeout_s"), std::string::npos) << r.status().message();
}

// A silent server: the error names the time it waited and the setting that bounded it (it said
// 'no response within 60s (llm.read_timeout_s)' after a 5 s --timeout).
TEST(LlmOpenAi, TimeoutErrorNamesTheEffectiveTimeout) {
  MockLlmServer s(AnswerAfter(1200));
  auto c = Config(s);  // read timeout 5 s
  c.total_timeout_s = 0.4;
  c.max_retries = 0;
  auto r = (*OpenAiBackend::Create(c))->Complete(Hello());
  ASSERT_FALSE(r.ok());
  const std::string& m = r.status().message();
  EXPECT_NE(m.find("llm.total_timeout_s"), std::string::npos) << m;
  EXPECT_EQ(m.find("llm.read_timeout_s"), std::string::npos) << m;
  EXPECT_EQ(m.find("within 5"), std::string::npos) << m;
  EXPECT_NE(m.find("timed out after "), std::string::npos) << m;  // whichever of the two timers fired
}

TEST(LlmOpenAi, TotalTimeoutBoundsRetries) {
  MockLlmServer s(AnswerAfter(400));
  auto c = Config(s);
  c.read_timeout_s = 0.2;
  c.total_timeout_s = 0.7;
  c.max_retries = 10;
  c.backoff_s = 0.05;
  double took = 0;
  auto r = TimedHello(c, &took);
  ASSERT_FALSE(r.ok());
  EXPECT_LT(took, 1.2);
  EXPECT_LT(s.calls(), 5);
}

TEST(LlmOpenAi, MalformedStreamEventIsAClearError) {
  std::string body = Chunk("fine") + "data: {\"choices\": [oops\n\n" + "data: [DONE]\n\n";
  MockLlmServer s([&](const httplib::Request&, httplib::Response& res, int) { StreamInPieces(res, body, 9); });
  auto c = Config(s);
  c.stream = true;
  c.max_retries = 2;
  auto r = (*OpenAiBackend::Create(c))->Complete(Hello());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kCorruption);
  EXPECT_NE(r.status().message().find("malformed stream event"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("{\"choices\": [oops"), std::string::npos);
  EXPECT_EQ(s.calls(), 1);  // a broken stream is not retried
}

TEST(LlmOpenAi, StreamCutBeforeDoneIsAnError) {
  std::string body = Chunk("partial");
  MockLlmServer s([&](const httplib::Request&, httplib::Response& res, int) { StreamInPieces(res, body, 100); });
  auto c = Config(s);
  c.stream = true;
  auto r = (*OpenAiBackend::Create(c))->Complete(Hello());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("before [DONE]"), std::string::npos) << r.status().message();
}

TEST(LlmOpenAi, NonJsonResponseIsAClearError) {
  MockLlmServer s([](const httplib::Request&, httplib::Response& res, int) { res.set_content("<html>proxy</html>", "text/html"); });
  auto r = (*OpenAiBackend::Create(Config(s)))->Complete(Hello());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("not JSON"), std::string::npos);
}

TEST(LlmOpenAi, ConcurrencyLimitIsRespected) {
  MockLlmServer s([](const httplib::Request&, httplib::Response& res, int) {
    std::this_thread::sleep_for(std::chrono::milliseconds(60));
    res.set_content(CompletionJson("ok"), "application/json");
  });
  auto c = Config(s);
  c.max_concurrency = 2;
  auto b = OpenAiBackend::Create(c);
  ASSERT_TRUE(b.ok());
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&] {
      if ((*b)->Complete(Hello()).ok()) ++ok;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok, 8);
  EXPECT_EQ(s.calls(), 8);
  EXPECT_LE(s.peak_in_flight(), 2);
  EXPECT_EQ((*b)->peak_in_flight(), 2);
}

TEST(LlmOpenAi, ConnectionRefusedIsRetriedThenReported) {
  BackendConfig c;
  c.base_url = "http://127.0.0.1:1/v1";
  c.max_retries = 1;
  c.backoff_s = 0.01;
  c.connect_timeout_s = 0.5;
  auto r = (*OpenAiBackend::Create(c))->Complete(Hello());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("2 attempts"), std::string::npos) << r.status().message();
}

TEST(LlmOpenAi, BadBaseUrlIsRejected) {
  BackendConfig c;
  c.base_url = "ftp://example.com";
  EXPECT_FALSE(OpenAiBackend::Create(c).ok());
  c.base_url = "http://127.0.0.1:8080/v1";
  c.endpoint = "embeddings";
  EXPECT_FALSE(OpenAiBackend::Create(c).ok());
}

TEST(LlmSse, SplitsAnywhereAndHandlesLineEndingsCommentsAndMultilineData) {
  const std::string stream =
      ": comment\r\nevent: delta\r\ndata: one\r\ndata: two\r\n\r\nid: 7\rdata: three\r\rdata: four\n\nretry: 10\ndata: five";
  for (size_t piece = 1; piece <= stream.size(); ++piece) {
    SseParser p;
    std::vector<SseEvent> got;
    const auto on = [&](const SseEvent& e) {
      got.push_back(e);
      return true;
    };
    for (size_t i = 0; i < stream.size(); i += piece) ASSERT_TRUE(p.Feed(std::string_view(stream).substr(i, piece), on));
    ASSERT_TRUE(p.Finish(on));
    ASSERT_EQ(got.size(), 4u) << "piece " << piece;
    EXPECT_EQ(got[0].event, "delta");
    EXPECT_EQ(got[0].data, "one\ntwo");
    EXPECT_EQ(got[1].data, "three");
    EXPECT_EQ(got[1].id, "7");
    EXPECT_EQ(got[2].data, "four");
    EXPECT_EQ(got[3].data, "five");
  }
}

// A line, or an event's data lines together, longer than the limit stop the parser with an
// error saying which (both were buffered without bound).
TEST(LlmSse, LinesAndEventsAreBounded) {
  const auto on = [](const SseEvent&) { return true; };
  SseParser line(64);
  EXPECT_TRUE(line.Feed("data: " + std::string(58, 'a'), on));  // 64 bytes: still fits
  EXPECT_FALSE(line.Feed("a", on));
  EXPECT_EQ(line.error(), "a line longer than 64 bytes (event 1)");
  SseParser event(64);
  std::string lines;
  for (int i = 0; i < 10; ++i) lines += "data: 0123456789\n";
  EXPECT_FALSE(event.Feed(lines, on));
  EXPECT_EQ(event.error(), "event 1 has more than 64 bytes of data");
  SseParser fine(64);  // three lines of 10 bytes, then the next event starts from empty
  EXPECT_TRUE(fine.Feed(lines.substr(0, 17 * 3) + "\n" + lines.substr(0, 17 * 3) + "\n", on));
  EXPECT_EQ(fine.events(), 2u);
  EXPECT_TRUE(fine.error().empty());
}

// A server streaming bytes with no newline is cut at the line limit with a Corruption error (it
// was buffered at network speed until the total timeout: 600 MB in 4 s).
TEST(LlmOpenAi, StreamWithoutNewlinesIsCutAtTheLineLimit) {
  MockLlmServer s([](const httplib::Request&, httplib::Response& res, int) {
    auto sent = std::make_shared<size_t>(0);
    res.set_chunked_content_provider("text/event-stream", [sent](size_t, httplib::DataSink& sink) {
      if (*sent >= 3 * SseParser::kMaxEventBytes) {
        sink.done();
        return true;
      }
      const std::string chunk = *sent == 0 ? "data: " : std::string(64 << 10, 'a');
      *sent += chunk.size();
      return sink.write(chunk.data(), chunk.size());
    });
  });
  auto c = Config(s);
  c.stream = true;
  auto r = (*OpenAiBackend::Create(c))->Complete(Hello());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kCorruption);
  EXPECT_NE(r.status().message().find("stream: a line longer than 1048576 bytes"), std::string::npos)
      << r.status().message();
  EXPECT_EQ(s.calls(), 1);
}

TEST(LlmSse, HandlerCanStop) {
  SseParser p;
  int n = 0;
  EXPECT_FALSE(p.Feed("data: a\n\ndata: b\n\n", [&](const SseEvent&) { return ++n < 1; }));
  EXPECT_EQ(n, 1);
}

}  // namespace
}  // namespace kgp::llm
