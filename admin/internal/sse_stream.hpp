#pragma once

// The producers' side of a streaming (SSE) response: thread-safe, bounded
// (a client 1 MiB behind is dropped), and harmless once the connection is
// gone. The connection takes what is queued on its own strand.

#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "admin/event_stream.hpp"

namespace hishamos::admin {

/// Bytes a slow SSE client may leave unread before it is dropped.
constexpr size_t max_stream_backlog = 1 << 20;

class sse_stream final : public event_stream {
public:
  /// `wake` asks the connection to write what is queued (from any thread).
  explicit sse_stream(std::function<void()> wake) : wake_(std::move(wake)) {}
  bool send(std::string text) override;
  void close() override;
  bool closed() const override {
    std::lock_guard<std::mutex> guard{mx_};
    return closed_;
  }
  void on_close(std::function<void()> fn) override;
  /// The session takes what is queued (on its strand).
  std::deque<std::string> take(bool& closing);
  /// The connection ended: runs the on_close callbacks.
  void ended();

private:
  std::function<void()> wake_;
  mutable std::mutex mx_;
  std::deque<std::string> queue_;
  size_t bytes_ = 0;
  bool closed_ = false;
  bool ended_ = false;
  std::vector<std::function<void()>> on_close_;
};

} // namespace hishamos::admin
