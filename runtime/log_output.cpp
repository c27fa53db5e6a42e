#include "hishamos/log_output.hpp"

#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <string>

#include <unistd.h>

#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

namespace hishamos {

namespace {

std::atomic<std::uint64_t> dropped{0};

// All of `text` to standard output, or the errno that stopped it.
int write_all(const char* text, size_t size) {
  while (size > 0) {
    auto n = ::write(STDOUT_FILENO, text, size);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return n < 0 ? errno : EIO;
    text += n;
    size -= static_cast<size_t>(n);
  }
  return 0;
}

// Unbuffered writes, so that nothing lost sits in a buffer to be written
// out of order later, and a failed write costs one system call.
class failsafe_stdout_sink final : public spdlog::sinks::base_sink<std::mutex> {
protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    if (unreported_ > 0) {
      auto notice = "log: " + std::to_string(unreported_) +
                    " line(s) could not be written (" +
                    std::strerror(last_error_) + ") and are lost\n";
      if (int err = write_all(notice.data(), notice.size()); err != 0)
        return lose(err);
      unreported_ = 0;
    }
    spdlog::memory_buf_t line;
    formatter_->format(msg, line);
    if (int err = write_all(line.data(), line.size()); err != 0)
      lose(err);
  }
  void flush_() override {}

private:
  void lose(int err) {
    ++unreported_;
    last_error_ = err;
    dropped.fetch_add(1, std::memory_order_relaxed);
  }

  std::uint64_t unreported_ = 0;
  int last_error_ = 0;
};

} // namespace

void log_to_stdout() {
  auto logger = std::make_shared<spdlog::logger>(
      "", std::make_shared<failsafe_stdout_sink>());
  logger->set_level(spdlog::default_logger()->level());
  spdlog::set_default_logger(std::move(logger));
}

std::uint64_t log_lines_dropped() {
  return dropped.load(std::memory_order_relaxed);
}

} // namespace hishamos
