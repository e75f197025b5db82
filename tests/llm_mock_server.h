// A mock OpenAI-compatible server for the language-model tests: httplib::Server on 127.0.0.1
// on a free port, run in a thread; the handler is the test's. Counts requests and the peak of
// requests in flight, and keeps every request body.
#pragma once

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace kgp::test {

class MockLlmServer {
 public:
  using Handler = std::function<void(const httplib::Request&, httplib::Response&, int call)>;
  explicit MockLlmServer(Handler h) : handler_(std::move(h)) {
    const auto route = [this](const httplib::Request& req, httplib::Response& res) {
      const int n = ++calls_;
      const int now = ++in_flight_;
      int peak = peak_.load();
      while (now > peak && !peak_.compare_exchange_weak(peak, now)) {
      }
      {
        std::lock_guard<std::mutex> l(mu_);
        bodies_.push_back(req.body);
        auth_ = req.get_header_value("Authorization");
      }
      handler_(req, res, n);
      --in_flight_;
    };
    server_.Post("/v1/chat/completions", route);
    server_.Post("/v1/completions", route);
    port_ = server_.bind_to_any_port("127.0.0.1");
    if (port_ <= 0) throw std::runtime_error("mock model server: cannot bind a port on 127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // Bounded: a listener that failed at once would otherwise be waited on until ctest's timeout.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!server_.is_running() && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  }
  ~MockLlmServer() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/v1"; }
  int calls() const { return calls_; }
  int peak_in_flight() const { return peak_; }
  std::vector<std::string> bodies() {
    std::lock_guard<std::mutex> l(mu_);
    return bodies_;
  }
  std::string auth() {
    std::lock_guard<std::mutex> l(mu_);
    return auth_;
  }

 private:
  Handler handler_;
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::atomic<int> calls_{0}, in_flight_{0}, peak_{0};
  std::mutex mu_;
  std::vector<std::string> bodies_;
  std::string auth_;
};

// {"choices":[{"message":{"content": text}}]} (chat) or {"choices":[{"text": text}]}.
inline std::string CompletionJson(const std::string& text, bool chat = true) {
  nlohmann::json c = chat ? nlohmann::json{{"index", 0}, {"message", {{"role", "assistant"}, {"content", text}}}, {"finish_reason", "stop"}}
                          : nlohmann::json{{"index", 0}, {"text", text}, {"finish_reason", "stop"}};
  return nlohmann::json{{"id", "x"}, {"model", "mock-1"}, {"choices", {c}}, {"usage", {{"prompt_tokens", 10}, {"completion_tokens", 3}}}}.dump();
}

}  // namespace kgp::test
