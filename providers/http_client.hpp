#pragma once

// Asynchronous HTTP for provider calls: libcurl's multi interface driven by
// one thread of its own. Calls are submitted from any thread and answered
// by a callback on that thread (the gateway turns it into a message), so
// no thread waits per call and no actor thread touches the network.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace hishamos::providers {

struct http_request {
  std::string url;
  std::vector<std::string> headers; ///< "Name: value".
  std::string body;                 ///< POSTed when not empty.
  std::int64_t connect_timeout_ms = 5000;
  std::int64_t timeout_ms = 120000;
  std::size_t max_response_bytes = 4 << 20;
};

struct http_response {
  int status = 0; ///< 0 when the transfer failed.
  std::string body;
  std::map<std::string, std::string> headers; ///< Names in lower case.
  /// Transport failure in words ("" = a response came): timeout, refused,
  /// dropped connection, too large.
  std::string error;
  bool timed_out = false;
  bool too_large = false;
};

class http_client {
public:
  using callback = std::function<void(http_response)>;

  /// `max_host_connections`: connections open to one host at once; more
  /// calls wait inside curl for one to free, instead of flooding the
  /// provider with connection attempts.
  explicit http_client(long max_host_connections = 256);
  ~http_client(); ///< Stops the thread; unfinished calls are answered.
  http_client(const http_client&) = delete;
  http_client& operator=(const http_client&) = delete;

  /// Starts `req`; `done` runs on the client's thread when it ends. It
  /// must be quick (send a message, no I/O).
  void submit(http_request req, callback done);
  /// Calls submitted and not answered yet.
  [[nodiscard]] std::size_t in_flight() const;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace hishamos::providers
