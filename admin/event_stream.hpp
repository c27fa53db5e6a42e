#pragma once

// A response that goes on: Server-Sent Events. A route that streams sets
// response::stream; once the headers are out, the server calls it with the
// stream, which producers on any thread write events to until it closes.

#include <functional>
#include <memory>
#include <string>

namespace hishamos::admin {

class event_stream {
public:
  virtual ~event_stream() = default;
  /// Queues text to send (thread-safe). False once the stream is closed,
  /// or when the client reads too slowly (then it is closed).
  virtual bool send(std::string text) = 0;
  /// Ends the stream once what is queued is sent.
  virtual void close() = 0;
  [[nodiscard]] virtual bool closed() const = 0;
  /// Runs `fn` once when the stream ends (closed, or the client left).
  virtual void on_close(std::function<void()> fn) = 0;
};

/// One SSE event: `event: kind`, `id: id`, `data: json` lines.
[[nodiscard]] std::string sse_event(const std::string& kind,
                                    const std::string& data,
                                    const std::string& id = "");

} // namespace hishamos::admin
