#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "model/events.hpp"
#include "model/workflow.hpp"

namespace hishamos::cli {

/// Collects an execution's events from actor threads and shows them on the
/// main thread: a live table on a terminal, plain lines otherwise.
class progress {
public:
  progress(const model::workflow_def& wf, bool terminal);

  /// Callbacks to pass to node::submit.
  model::execution_observer observer();

  /// Shows events until the execution finishes; returns how it finished.
  model::execution_finished wait();

private:
  struct row {
    std::string state = "pending";
    int attempt = 0;
    std::string agent;
    std::string detail;
    std::chrono::steady_clock::time_point since;
    double seconds = 0;
  };
  void apply(const model::step_event& e);
  void draw_table(bool first);

  const model::workflow_def& wf_;
  bool terminal_;
  std::chrono::steady_clock::time_point start_ =
      std::chrono::steady_clock::now();
  std::map<std::string, row> rows_;
  std::mutex mx_;
  std::condition_variable cv_;
  std::deque<model::step_event> events_;
  std::optional<model::execution_finished> finished_;
};

} // namespace hishamos::cli
