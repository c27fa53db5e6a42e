#include "apps/hishamos/progress.hpp"

#include <cstdio>
#include <iostream>

namespace hishamos::cli {

namespace {

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t)
      .count();
}

std::string fixed(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f s", x);
  return buf;
}

std::string pad(std::string s, size_t n) {
  if (s.size() > n)
    return s.substr(0, n - 1) + "~";
  return s + std::string(n - s.size(), ' ');
}

std::string first_line(const std::string& s) {
  return s.substr(0, s.find('\n'));
}

} // namespace

progress::progress(const model::workflow_def& wf, bool terminal)
    : wf_(wf), terminal_(terminal) {
  for (const auto& s : wf.steps)
    rows_[s.id] = {};
}

model::execution_observer progress::observer() {
  return {[this](const model::step_event& e) {
            std::lock_guard<std::mutex> guard{mx_};
            events_.push_back(e);
            cv_.notify_one();
          },
          [this](const model::execution_finished& f) {
            std::lock_guard<std::mutex> guard{mx_};
            finished_ = f;
            cv_.notify_one();
          }};
}

void progress::apply(const model::step_event& e) {
  auto& r = rows_[e.step_id];
  r.state = e.kind == "started" ? "running" : e.kind;
  r.attempt = e.attempt;
  r.agent = e.agent_id.empty() ? r.agent : e.agent_id;
  r.detail = first_line(e.detail);
  if (e.kind == "started")
    r.since = std::chrono::steady_clock::now();
  if (e.kind == "completed")
    r.seconds = seconds_since(r.since);
  if (terminal_)
    return;
  std::cout << "[" << fixed(seconds_since(start_)) << "] step " << e.step_id
            << ": " << e.kind;
  if (e.kind == "started")
    std::cout << " (attempt " << e.attempt << ")";
  if (e.kind == "completed")
    std::cout << " by " << r.agent << " in " << fixed(r.seconds);
  if (!r.detail.empty())
    std::cout << ": " << r.detail;
  std::cout << std::endl;
}

void progress::draw_table(bool first) {
  if (!first)
    std::cout << "\033[" << wf_.steps.size() << "A";
  for (const auto& s : wf_.steps) {
    const auto& r = rows_[s.id];
    const char* mark = r.state == "completed" ? "\033[32m✔\033[0m"
                       : r.state == "failed"  ? "\033[31m✘\033[0m"
                       : r.state == "pending" ? "·"
                                              : "\033[33m●\033[0m";
    auto when = r.state == "completed" ? fixed(r.seconds)
                : r.state == "pending" ? std::string{}
                                       : fixed(seconds_since(r.since));
    std::cout << "\033[2K " << mark << " " << pad(s.id, 14) << pad(s.name, 24)
              << pad(r.state, 11) << pad(r.agent, 20) << pad(when, 9)
              << pad(r.detail, 40) << "\n";
  }
  std::cout << std::flush;
}

model::execution_finished progress::wait() {
  if (terminal_)
    draw_table(true);
  std::unique_lock<std::mutex> lock{mx_};
  for (;;) {
    // Wake at least every 100 ms so the elapsed times on a terminal move.
    cv_.wait_for(lock, std::chrono::milliseconds{100},
                 [this] { return !events_.empty() || finished_; });
    while (!events_.empty()) {
      apply(events_.front());
      events_.pop_front();
    }
    if (terminal_)
      draw_table(false);
    if (finished_)
      return *finished_;
  }
}

} // namespace hishamos::cli
