#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "model/task.hpp"

namespace hishamos::model {

/// A step of an execution started, completed, is being retried or failed.
struct step_event {
  std::string execution_id;
  std::string step_id;
  std::string kind; ///< started | completed | retrying | failed
  int attempt = 0;
  std::string agent_id;
  std::string detail; ///< Error text, or empty.
  std::int64_t at_ms = 0;
};

/// An execution reached a terminal state (sent once).
struct execution_finished {
  std::string execution_id;
  std::string workflow;
  std::string state;  ///< completed | failed | cancelled
  std::string output; ///< JSON object: leaf step id -> output.
  std::string error;
};

/// Callbacks for one execution; called on actor threads, so they must be
/// quick and thread-safe.
struct execution_observer {
  std::function<void(const step_event&)> on_step;
  std::function<void(const execution_finished&)> on_finish;
};

/// An agent implemented as a C++ function. It runs on a thread of its own
/// per call (it may block); at most `capacity` calls run at once.
using agent_function = std::function<task_reply(const task_request&)>;

} // namespace hishamos::model
