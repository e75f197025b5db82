#include "llm/openai.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <thread>

#include <fmt/format.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "common/strings.h"
#include "common/time.h"
#include "llm/sse.h"

namespace kgp::llm {
namespace {

// The most of an error body kept (a server that never stops is cut here, not when memory runs
// out); a successful body is bounded by the answer it may carry (MaxAnswerBytes).
constexpr size_t kMaxResponseBytes = 64u << 20;

// The most answer text accepted for a request of max_tokens: 32 bytes a token (a token is a
// few bytes of UTF-8; 32 leaves room for any tokenizer) and 4 KiB. A server that sends more
// has not honoured max_tokens: its answer is refused, not kept (it would be checked, stored
// and printed whole: a 5 MB answer to max_tokens 400 took 490 MB).
size_t MaxAnswerBytes(int max_tokens) { return 32 * static_cast<size_t>(std::max(max_tokens, 1)) + 4096; }
// A JSON body around such an answer: escapes (\uXXXX for 3 bytes of UTF-8), metadata, logprobs.
size_t MaxBodyBytes(int max_tokens) { return std::max<size_t>(1u << 20, 8 * MaxAnswerBytes(max_tokens)); }

using Clock = std::chrono::steady_clock;

// Stops the client's request once the deadline passes: httplib's timeouts are per read, so a
// server sending a header line or a byte now and then never trips them (a call with --timeout
// 5 still waited after 30 s). stop() shuts the socket; it is repeated until the send returns,
// since a connect still in progress has no socket to shut yet.
class Watchdog {
 public:
  Watchdog(httplib::Client& cli, Clock::time_point deadline) : cli_(cli), deadline_(deadline) {
    thread_ = std::thread([this] { Run(); });
  }
  ~Watchdog() { Finish(); }
  // Ends the watch; true when the deadline passed first.
  bool Finish() {
    {
      std::lock_guard<std::mutex> lk(mu_);
      done_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
    return expired_;
  }

 private:
  void Run() {
    std::unique_lock<std::mutex> lk(mu_);
    if (cv_.wait_until(lk, deadline_, [this] { return done_; })) return;
    expired_ = true;
    do cli_.stop();
    while (!cv_.wait_for(lk, std::chrono::milliseconds(20), [this] { return done_; }));
  }
  httplib::Client& cli_;
  const Clock::time_point deadline_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false, expired_ = false;
  std::thread thread_;
};

void SetTimeout(double s, const std::function<void(time_t, time_t)>& set) {
  s = std::max(s, 0.001);
  const auto sec = static_cast<time_t>(s);
  set(sec, static_cast<time_t>((s - static_cast<double>(sec)) * 1e6));
}

std::string Excerpt(std::string_view s, size_t n = 120) {
  std::string out(s.substr(0, n));
  if (s.size() > n) out += "…";
  return out;
}

// The message of an error body ({"error": {"message": …}} or {"error": "…"}), else the body.
std::string ErrorMessage(const std::string& body) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (!j.is_discarded() && j.is_object() && j.contains("error")) {
    const auto& e = j["error"];
    if (e.is_string()) return e.get<std::string>();
    if (e.is_object() && e.contains("message") && e["message"].is_string()) return e["message"].get<std::string>();
  }
  return Excerpt(body);
}

void ReadUsage(const nlohmann::json& j, Completion& c) {
  if (!j.contains("usage") || !j["usage"].is_object()) return;
  const auto& u = j["usage"];
  if (u.contains("prompt_tokens") && u["prompt_tokens"].is_number()) c.prompt_tokens = u["prompt_tokens"].get<int>();
  if (u.contains("completion_tokens") && u["completion_tokens"].is_number())
    c.completion_tokens = u["completion_tokens"].get<int>();
}

// The text of choices[0] (message.content, delta.content or text), "" when absent or null.
std::string ChoiceText(const nlohmann::json& choice, bool chat, bool delta) {
  if (chat) {
    const char* key = delta ? "delta" : "message";
    if (choice.contains(key) && choice[key].is_object()) {
      const auto& m = choice[key];
      if (m.contains("content") && m["content"].is_string()) return m["content"].get<std::string>();
    }
    return "";
  }
  return choice.contains("text") && choice["text"].is_string() ? choice["text"].get<std::string>() : "";
}

}  // namespace

std::string RequestBody(const BackendConfig& c, const ChatRequest& req, bool stream) {
  nlohmann::json j;
  if (!c.model.empty()) j["model"] = c.model;
  if (c.endpoint == "completions") {
    std::string prompt;
    for (const auto& m : req.messages) prompt += m.role + ":\n" + m.content + "\n\n";
    prompt += "assistant:\n";
    j["prompt"] = prompt;
  } else {
    j["messages"] = nlohmann::json::array();
    for (const auto& m : req.messages) j["messages"].push_back({{"role", m.role}, {"content", m.content}});
  }
  j["max_tokens"] = req.max_tokens;
  j["temperature"] = req.temperature;
  if (req.seed) j["seed"] = req.seed;
  if (!req.stop.empty()) j["stop"] = req.stop;
  j["stream"] = stream;
  return j.dump();
}

Result<std::unique_ptr<OpenAiBackend>> OpenAiBackend::Create(const BackendConfig& c) {
  std::string url = std::string(Trim(c.base_url));
  const size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos || (url.substr(0, scheme_end) != "http" && url.substr(0, scheme_end) != "https"))
    return Status::InvalidArgument(fmt::format("llm.base_url '{}': expected http(s)://host[:port][/path]", c.base_url));
  const size_t path_at = url.find('/', scheme_end + 3);
  std::unique_ptr<OpenAiBackend> b(new OpenAiBackend(c));
  b->origin_ = url.substr(0, path_at);
  std::string path = path_at == std::string::npos ? "" : url.substr(path_at);
  while (!path.empty() && path.back() == '/') path.pop_back();
  if (path.size() < 3 || path.substr(path.size() - 3) != "/v1") path += "/v1";
  b->path_ = path;
  if (b->origin_.size() <= scheme_end + 3)
    return Status::InvalidArgument(fmt::format("llm.base_url '{}': no host", c.base_url));
  if (c.endpoint != "chat" && c.endpoint != "completions")
    return Status::InvalidArgument(fmt::format("llm.endpoint '{}': expected chat or completions", c.endpoint));
  b->cfg_.max_concurrency = std::max(1, c.max_concurrency);
  return b;
}

int OpenAiBackend::peak_in_flight() const {
  std::lock_guard<std::mutex> l(mu_);
  return peak_;
}

Result<Completion> OpenAiBackend::Complete(const ChatRequest& req) {
  const auto t0 = Clock::now();
  for (int attempt = 1;; ++attempt) {
    bool retryable = false, delivered = false;
    double retry_after = 0;
    Result<Completion> r = Status::Internal("not run");
    {
      // At most max_concurrency attempts in flight; back-off sleeps do not hold a slot.
      std::unique_lock<std::mutex> l(mu_);
      cv_.wait(l, [&] { return in_flight_ < cfg_.max_concurrency; });
      peak_ = std::max(peak_, ++in_flight_);
      l.unlock();
      r = Attempt(req, cfg_.total_timeout_s - SecondsSince(t0), &retryable, &delivered, &retry_after);
      l.lock();
      --in_flight_;
      cv_.notify_one();
    }
    if (r.ok()) {
      r->attempts = attempt;
      r->seconds = SecondsSince(t0);
      return r;
    }
    const std::string why = r.status().message();
    if (!retryable || delivered || attempt > cfg_.max_retries)
      return attempt > 1 ? Status::IoError(fmt::format("{} (after {} attempts)", why, attempt)) : r.status();
    double delay = cfg_.backoff_s * std::pow(2.0, attempt - 1);
    if (retry_after > 0) delay = std::max(delay, std::min(retry_after, 30.0));
    if (SecondsSince(t0) + delay >= cfg_.total_timeout_s)
      return Status::IoError(fmt::format("{} (gave up after {} attempts: llm.total_timeout_s {}s)", why, attempt,
                                         cfg_.total_timeout_s));
    std::this_thread::sleep_for(std::chrono::duration<double>(delay));
  }
}

Result<Completion> OpenAiBackend::Attempt(const ChatRequest& req, double budget_s, bool* retryable, bool* delivered,
                                          double* retry_after_s) {
  const bool chat = cfg_.endpoint != "completions";
  const std::string path = path_ + (chat ? "/chat/completions" : "/completions");
  const std::string where = "openai: POST " + origin_ + path;
  if (budget_s <= 0) return Status::IoError(where + ": no time left (llm.total_timeout_s)");
  const auto t0 = Clock::now();
  httplib::Client cli(origin_);
  SetTimeout(std::min(cfg_.connect_timeout_s, budget_s), [&](time_t s, time_t us) { cli.set_connection_timeout(s, us); });
  // Each read and write waits at most the read timeout or what is left of the total, which
  // the error then names.
  const double read_s = std::min(cfg_.read_timeout_s, budget_s);
  const char* read_key = read_s < cfg_.read_timeout_s ? "llm.total_timeout_s" : "llm.read_timeout_s";
  SetTimeout(read_s, [&](time_t s, time_t us) { cli.set_read_timeout(s, us); });
  SetTimeout(read_s, [&](time_t s, time_t us) { cli.set_write_timeout(s, us); });
  cli.set_keep_alive(false);

  httplib::Request hreq;
  hreq.method = "POST";
  hreq.path = path;
  hreq.body = RequestBody(cfg_, req, cfg_.stream);
  hreq.set_header("Content-Type", "application/json");
  hreq.set_header("Accept", cfg_.stream ? "text/event-stream" : "application/json");
  if (const char* key = std::getenv(cfg_.api_key_env.c_str()); key && *key)
    hreq.set_header("Authorization", std::string("Bearer ") + key);

  int status = 0;
  bool sse = false;
  std::string body, retry_after;
  hreq.response_handler = [&](const httplib::Response& res) {
    status = res.status;
    retry_after = res.get_header_value("Retry-After");
    sse = cfg_.stream && res.get_header_value("Content-Type").find("text/event-stream") != std::string::npos;
    return true;
  };
  Completion out;
  const size_t max_answer = MaxAnswerBytes(req.max_tokens);
  const auto too_long = [&](const std::string& what) {
    return Status::Corruption(fmt::format("{}: {}, more than max_tokens {} allows ({} bytes); the answer was refused", where,
                                          what, req.max_tokens, max_answer));
  };
  SseParser parser;
  Status stream_error;
  bool done = false, stopped = false;
  const SseParser::Handler on_event = [&](const SseEvent& ev) {
    if (done) return true;  // after [DONE]: ignore whatever follows
    if (ev.data == "[DONE]") {
      done = true;
      return true;
    }
    auto j = nlohmann::json::parse(ev.data, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      stream_error = Status::Corruption(fmt::format("{}: malformed stream event {} (not a JSON object): '{}'", where,
                                                    parser.events(), Excerpt(ev.data)));
      return false;
    }
    if (j.contains("error")) {
      stream_error = Status::IoError(fmt::format("{}: error event in stream: {}", where, ErrorMessage(ev.data)));
      return false;
    }
    if (j.contains("model") && j["model"].is_string()) out.model = j["model"].get<std::string>();
    ReadUsage(j, out);
    if (!j.contains("choices") || !j["choices"].is_array()) {
      if (j.contains("usage")) return true;  // a usage-only chunk
      stream_error = Status::Corruption(fmt::format("{}: stream event {} has no choices: '{}'", where, parser.events(),
                                                    Excerpt(ev.data)));
      return false;
    }
    if (j["choices"].empty()) return true;
    const auto& c = j["choices"][0];
    if (c.contains("finish_reason") && c["finish_reason"].is_string()) out.finish_reason = c["finish_reason"].get<std::string>();
    std::string delta = ChoiceText(c, chat, /*delta=*/true);
    if (delta.empty()) return true;
    if (delta.size() > max_answer - out.text.size()) {
      stream_error = too_long(fmt::format("the streamed text passed {} bytes at event {}", max_answer, parser.events()));
      return false;
    }
    out.text += delta;
    if (req.on_token) {
      *delivered = true;
      if (!req.on_token(delta)) {
        stopped = true;
        return false;
      }
    }
    return true;
  };
  // The parser stopped on its own size limits (not the handler): a Corruption naming them.
  const auto parser_failed = [&] {
    if (!parser.error().empty())
      stream_error = Status::Corruption(fmt::format("{}: stream: {}", where, parser.error()));
    return false;
  };
  bool body_too_long = false;
  hreq.content_receiver = [&](const char* data, size_t n, uint64_t, uint64_t) {
    if (status == 200 && !sse && body.size() + n > MaxBodyBytes(req.max_tokens)) {
      body_too_long = true;  // stop reading: the answer in it is refused anyway
      return false;
    }
    if (status != 200 || !sse) {
      if (body.size() < kMaxResponseBytes) body.append(data, n);
      return true;
    }
    return parser.Feed(std::string_view(data, n), on_event) || parser_failed();
  };

  httplib::Response res;
  httplib::Error err = httplib::Error::Success;
  std::optional<Watchdog> watchdog;
  try {
    watchdog.emplace(cli, t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(budget_s)));
  } catch (const std::system_error& e) {
    return Status::IoError(fmt::format("{}: cannot start the timeout watch ({})", where, e.what()));
  }
  const bool sent = cli.send(hreq, res, err);
  const bool timed_out = watchdog->Finish();
  if (!stream_error.ok()) return stream_error;
  if (body_too_long) return too_long(fmt::format("the response body passed {} bytes", MaxBodyBytes(req.max_tokens)));
  if (stopped) {
    out.finish_reason = "cancelled";
    return out;
  }
  if (timed_out)
    return Status::IoError(fmt::format("{}: timed out after {:.1f}s (llm.total_timeout_s)", where, SecondsSince(t0)));
  if (!sent) {
    *retryable = true;
    // A read bounded by what was left of the total is the total running out, whichever of the
    // two timers saw it first.
    if (err == httplib::Error::Read && read_key == std::string_view("llm.total_timeout_s") &&
        SecondsSince(t0) >= read_s * 0.9)
      return Status::IoError(fmt::format("{}: timed out after {:.1f}s (llm.total_timeout_s)", where, SecondsSince(t0)));
    if (err == httplib::Error::Read)
      return Status::IoError(
          fmt::format("{}: no response within {:.1f}s ({}) or connection closed", where, read_s, read_key));
    if (err == httplib::Error::ConnectionTimeout)
      return Status::IoError(fmt::format("{}: could not connect within {}s (llm.connect_timeout_s)", where,
                                         cfg_.connect_timeout_s));
    if (err == httplib::Error::Connection)  // httplib says only "Connection"
      return Status::IoError(fmt::format("{}: could not connect (refused, or no route to the host)", where));
    return Status::IoError(fmt::format("{}: {}", where, httplib::to_string(err)));
  }
  if (status != 200) {
    *retryable = status == 408 || status == 429 || status >= 500;
    if (auto s = ParseDouble(retry_after)) *retry_after_s = *s;
    std::string hint = status == 401 || status == 403
                           ? fmt::format(" (is ${} set to a valid key?)", cfg_.api_key_env)
                           : "";
    return Status::IoError(fmt::format("{}: HTTP {}: {}{}", where, status, ErrorMessage(body), hint));
  }
  if (sse) {
    if (!parser.Finish(on_event)) parser_failed();
    if (!stream_error.ok()) return stream_error;
    if (parser.events() == 0) return Status::Corruption(where + ": the stream ended without any event");
    if (!done && out.finish_reason.empty())
      return Status::IoError(where + ": the stream ended before [DONE] or a finish_reason (connection cut?)");
    return out;
  }
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return Status::Corruption(fmt::format("{}: response is not JSON: '{}'", where, Excerpt(body)));
  if (!j.contains("choices") || !j["choices"].is_array() || j["choices"].empty())
    return Status::Corruption(fmt::format("{}: response has no choices: '{}'", where, Excerpt(body)));
  const auto& c = j["choices"][0];
  out.text = ChoiceText(c, chat, /*delta=*/false);
  if (out.text.size() > max_answer) return too_long(fmt::format("the answer has {} bytes", out.text.size()));
  if (c.contains("finish_reason") && c["finish_reason"].is_string()) out.finish_reason = c["finish_reason"].get<std::string>();
  if (j.contains("model") && j["model"].is_string()) out.model = j["model"].get<std::string>();
  ReadUsage(j, out);
  if (req.on_token && !out.text.empty()) {
    *delivered = true;
    req.on_token(out.text);
  }
  return out;
}

}  // namespace kgp::llm
