// The plain-HTTP server's connection loop (cpp-httplib 0.11 parses and routes each request;
// this class owns the connection around them). httplib's own loop gives a thread to each
// connection for as long as the client keeps it: a client that sends nothing waits out the
// keep-alive timeout, one that trickles a header byte every few seconds keeps the thread for
// ever (the read timeout applies to each recv), and Stop() waits for both. Here:
//   * a request must arrive in full (request line, headers, body) within request_timeout_s of
//     its first byte, or the connection is closed, and its answer must be taken by the client
//     within as long again from its first byte; a header section over 64 KiB closes it too;
//   * an idle connection is closed after keep_alive_s;
//   * CloseConnections() (at stop) wakes every connection: shutdown(2) of its reading side,
//     so a request in flight still gets its answer, or of both sides (hard);
//   * CloseAfterResponse() (from a handler, on the worker thread) closes the connection once
//     the current response is written: after a malformed request, whose framing cannot be
//     trusted, or a body left unread.
// HTTPS (SSLServer) keeps httplib's own loop.
#pragma once

#include <httplib.h>

#include <mutex>
#include <set>

namespace kgp::service {

class ConnectionServer : public httplib::Server {
 public:
  void set_request_timeout(int seconds) { request_timeout_s_ = seconds; }
  // Wakes every open connection and refuses new ones (hard: their answers too). Thread-safe.
  void CloseConnections(bool hard);
  // Closes the calling worker's connection after the response being written.
  static void CloseAfterResponse();

 private:
  bool process_and_close_socket(socket_t sock) override;

  std::mutex mu_;
  std::set<socket_t> open_;  // GUARDED_BY(mu_)
  bool closing_ = false;     // GUARDED_BY(mu_)
  int request_timeout_s_ = 30;
};

}  // namespace kgp::service
