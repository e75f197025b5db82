#include "service/connections.h"

#include <arpa/inet.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>

namespace kgp::service {
namespace {

using Clock = std::chrono::steady_clock;

thread_local bool t_close_after_response = false;

// Waits up to timeout_ms for fd to be readable (or writable); false on timeout or error.
bool WaitFor(int fd, short events, int64_t timeout_ms) {
  timeout_ms = std::max<int64_t>(timeout_ms, 0);  // past a deadline: what is there already
  pollfd p{fd, events, 0};
  for (;;) {
    const int r = poll(&p, 1, static_cast<int>(std::min<int64_t>(timeout_ms, 1 << 30)));
    if (r < 0 && errno == EINTR) continue;
    return r > 0;
  }
}

void Address(const sockaddr_storage& a, std::string& ip, int& port) {
  char buf[INET6_ADDRSTRLEN] = {0};
  if (a.ss_family == AF_INET) {
    const auto& in = reinterpret_cast<const sockaddr_in&>(a);
    inet_ntop(AF_INET, &in.sin_addr, buf, sizeof buf);
    port = ntohs(in.sin_port);
  } else if (a.ss_family == AF_INET6) {
    const auto& in6 = reinterpret_cast<const sockaddr_in6&>(a);
    inet_ntop(AF_INET6, &in6.sin6_addr, buf, sizeof buf);
    port = ntohs(in6.sin6_port);
  }
  ip = buf;
}

// A connection's socket as httplib reads and writes it, with a read buffer (httplib reads
// request lines and headers a byte at a time) and a deadline for the request being read.
class ConnStream final : public httplib::Stream {
 public:
  ConnStream(int fd, time_t read_timeout_s, time_t write_timeout_s)
      : fd_(fd), read_ms_(read_timeout_s * 1000), write_ms_(write_timeout_s * 1000) {}

  // A request starts: its deadline, and its header section counted afresh.
  // (The answer gets as long again from its first byte: a client reading it a few bytes now and
  // then does not hold the worker for ever.)
  void StartRequest(Clock::time_point deadline) {
    answer_time_ = deadline - Clock::now();
    writing_ = false;
    deadline_ = deadline;
    header_bytes_ = 0;
    in_headers_ = true;
    tail_ = 0;
  }
  bool buffered() const { return off_ < size_; }

  bool is_readable() const override { return buffered() || WaitReadable(); }
  bool is_writable() const override {
    const int64_t left = writing_ ? std::chrono::duration_cast<std::chrono::milliseconds>(write_deadline_ - Clock::now()).count()
                                  : write_ms_;
    return left > 0 && WaitFor(fd_, POLLOUT, std::min<int64_t>(write_ms_, left));
  }

  ssize_t read(char* ptr, size_t n) override {
    if (off_ >= size_) {
      if (!WaitReadable()) return -1;
      off_ = size_ = 0;
      if (n >= sizeof buf_) return CountHeaders(ptr, Recv(ptr, n));
      const ssize_t r = Recv(buf_, sizeof buf_);
      if (r <= 0) return r;
      size_ = static_cast<size_t>(r);
    }
    const size_t k = std::min(n, size_ - off_);
    std::memcpy(ptr, buf_ + off_, k);
    off_ += k;
    return CountHeaders(ptr, static_cast<ssize_t>(k));
  }

  ssize_t write(const char* ptr, size_t n) override {
    if (!writing_) {
      writing_ = true;
      write_deadline_ = Clock::now() + answer_time_;
    }
    if (!is_writable()) return -1;
    for (;;) {
      const ssize_t r = send(fd_, ptr, n, MSG_NOSIGNAL);
      if (r < 0 && errno == EINTR) continue;
      return r;
    }
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    sockaddr_storage a{};
    socklen_t len = sizeof a;
    if (getpeername(fd_, reinterpret_cast<sockaddr*>(&a), &len) == 0) Address(a, ip, port);
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    sockaddr_storage a{};
    socklen_t len = sizeof a;
    if (getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) == 0) Address(a, ip, port);
  }
  socket_t socket() const override { return fd_; }

 private:
  // Readable within the read timeout and before the request's deadline.
  bool WaitReadable() const {
    const int64_t left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - Clock::now()).count();
    return WaitFor(fd_, POLLIN, std::min<int64_t>(read_ms_, left));
  }
  // httplib reads a request line or header line until its newline, however long, and checks
  // its size limits only then: the header section (up to the blank line) is capped here, so a
  // line of gigabytes ends the connection instead of growing the server's memory.
  ssize_t CountHeaders(const char* p, ssize_t r) {
    if (r <= 0 || !in_headers_) return r;
    for (ssize_t i = 0; i < r && in_headers_; ++i) {
      ++header_bytes_;
      if (p[i] == '\r') continue;
      if (p[i] == '\n' && tail_ == '\n') in_headers_ = false;  // the blank line ("\r\n\r\n" or "\n\n")
      tail_ = p[i];
    }
    return in_headers_ && header_bytes_ > kMaxHeaderBytes ? -1 : r;
  }
  ssize_t Recv(char* p, size_t n) {
    for (;;) {
      const ssize_t r = recv(fd_, p, n, 0);
      if (r < 0 && errno == EINTR) continue;
      return r;
    }
  }

  int fd_;
  int64_t read_ms_, write_ms_;
  Clock::time_point deadline_ = Clock::now();
  Clock::duration answer_time_{};
  Clock::time_point write_deadline_;
  bool writing_ = false;
  char buf_[4096];
  size_t off_ = 0, size_ = 0;
  static constexpr size_t kMaxHeaderBytes = 64 * 1024;  // request line and headers together
  size_t header_bytes_ = 0;
  bool in_headers_ = true;
  char tail_ = 0;  // the last byte of the header section seen, carriage returns skipped
};

}  // namespace

void ConnectionServer::CloseAfterResponse() { t_close_after_response = true; }

void ConnectionServer::CloseConnections(bool hard) {
  std::lock_guard lock(mu_);
  closing_ = true;
  for (socket_t s : open_) shutdown(s, hard ? SHUT_RDWR : SHUT_RD);
}

bool ConnectionServer::process_and_close_socket(socket_t sock) {
  {
    std::lock_guard lock(mu_);
    if (closing_) {
      close(sock);
      return false;
    }
    open_.insert(sock);
  }
  bool ok = true;
  // One stream for the connection: bytes read past a request (the next one, pipelined) stay in
  // its buffer for the next (httplib's stream per request dropped them).
  ConnStream strm(sock, read_timeout_sec_, write_timeout_sec_);
  for (size_t left = keep_alive_max_count_; left > 0 && svr_sock_ != INVALID_SOCKET; --left) {
    // Idle until the next request starts, at most the keep-alive timeout; then the whole
    // request has request_timeout_s_ to arrive.
    if (!strm.buffered() && !WaitFor(sock, POLLIN, static_cast<int64_t>(keep_alive_timeout_sec_) * 1000)) break;
    strm.StartRequest(Clock::now() + std::chrono::seconds(request_timeout_s_));
    t_close_after_response = false;
    bool closed = false;
    ok = process_request(strm, left == 1, closed, nullptr);
    if (!ok || closed || t_close_after_response) break;
  }
  {
    std::lock_guard lock(mu_);
    open_.erase(sock);
  }
  shutdown(sock, SHUT_RDWR);
  close(sock);
  return ok;
}

}  // namespace kgp::service
