#include "admin/internal/sse_stream.hpp"

namespace hishamos::admin {

bool sse_stream::send(std::string text) {
  {
    std::lock_guard<std::mutex> guard{mx_};
    if (closed_)
      return false;
    bytes_ += text.size();
    if (bytes_ > max_stream_backlog) {
      closed_ = true; // a client this slow is dropped
      queue_.clear();
    } else {
      queue_.push_back(std::move(text));
    }
  }
  wake_();
  return true;
}

void sse_stream::close() {
  {
    std::lock_guard<std::mutex> guard{mx_};
    closed_ = true;
  }
  wake_();
}

std::deque<std::string> sse_stream::take(bool& closing) {
  std::lock_guard<std::mutex> guard{mx_};
  auto out = std::move(queue_);
  queue_.clear();
  bytes_ = 0;
  closing = closed_;
  return out;
}

void sse_stream::on_close(std::function<void()> fn) {
  bool run_now = false;
  {
    std::lock_guard<std::mutex> guard{mx_};
    if (ended_)
      run_now = true;
    else
      on_close_.push_back(std::move(fn));
  }
  if (run_now)
    fn();
}

void sse_stream::ended() {
  std::vector<std::function<void()>> fns;
  {
    std::lock_guard<std::mutex> guard{mx_};
    if (ended_)
      return;
    ended_ = closed_ = true;
    fns = std::move(on_close_);
  }
  for (auto& fn : fns)
    fn();
}

std::string sse_event(const std::string& kind, const std::string& data,
                      const std::string& id) {
  std::string out;
  if (!id.empty())
    out += "id: " + id + "\n";
  out += "event: " + kind + "\n";
  size_t pos = 0;
  do { // a newline in the data starts another data line
    auto end = data.find('\n', pos);
    out += "data: " + data.substr(pos, end - pos) + "\n";
    pos = end == std::string::npos ? end : end + 1;
  } while (pos != std::string::npos);
  return out + "\n";
}

} // namespace hishamos::admin
