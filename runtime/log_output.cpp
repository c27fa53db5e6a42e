#include "hishamos/log_output.hpp"

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <mutex>
#include <string>

#include <unistd.h>

#include <nlohmann/json.hpp>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include "model/log_context.hpp"

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

// One JSON object a line; nlohmann::json escapes what the message holds.
class json_formatter final : public spdlog::formatter {
public:
  explicit json_formatter(std::string node) : node_(std::move(node)) {}
  void format(const spdlog::details::log_msg& msg,
              spdlog::memory_buf_t& dest) override {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                  msg.time.time_since_epoch())
                  .count();
    std::time_t secs = ms / 1000;
    std::tm utc{};
    gmtime_r(&secs, &utc);
    char ts[32];
    auto n = std::strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &utc);
    std::snprintf(ts + n, sizeof ts - n, ".%03dZ", static_cast<int>(ms % 1000));
    auto level = spdlog::level::to_string_view(msg.level);
    nlohmann::json line{
        {"ts", ts},
        {"level", std::string{level.data(), level.size()}},
        {"msg", std::string{msg.payload.data(), msg.payload.size()}}};
    if (!node_.empty())
      line["node"] = node_;
    // Formatted on the thread that logs: its scope's ids are this line's.
    const auto& ids = model::current_log_ids();
    for (const auto& [key, value] : {std::pair{"execution_id", &ids.execution},
                                     std::pair{"step_id", &ids.step},
                                     std::pair{"request_id", &ids.request},
                                     std::pair{"trace_id", &ids.trace}})
      if (!value->empty())
        line[key] = *value;
    auto text =
        line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) +
        "\n";
    dest.append(text.data(), text.data() + text.size());
  }
  [[nodiscard]] std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<json_formatter>(node_);
  }

private:
  std::string node_;
};

} // namespace

void log_to_stdout(bool json, const std::string& node_id) {
  auto sink = std::make_shared<failsafe_stdout_sink>();
  if (json)
    sink->set_formatter(std::make_unique<json_formatter>(node_id));
  auto logger = std::make_shared<spdlog::logger>("", std::move(sink));
  logger->set_level(spdlog::default_logger()->level());
  spdlog::set_default_logger(std::move(logger));
}

std::uint64_t log_lines_dropped() {
  return dropped.load(std::memory_order_relaxed);
}

} // namespace hishamos
