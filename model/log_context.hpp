#pragma once

// Which execution, step, API request and trace a log line is about. A
// scope sets them for the thread that logs (spdlog formats each line on
// the thread that writes it); JSON logs make them fields of the line
// (execution_id, step_id, request_id, trace_id), so that a collector finds
// every line of one execution or request without parsing messages.

#include <string>

namespace hishamos::model {

struct log_ids {
  std::string execution;
  std::string step;
  std::string request;
  std::string trace;
};

/// The ids of what this thread works on now (all empty when nothing).
[[nodiscard]] const log_ids& current_log_ids();

/// Sets this thread's ids while it lives; the ids it replaced come back at
/// its end. An empty id keeps the outer scope's.
class log_scope {
public:
  explicit log_scope(log_ids ids);
  ~log_scope();
  log_scope(const log_scope&) = delete;
  log_scope& operator=(const log_scope&) = delete;

private:
  log_ids saved_;
};

} // namespace hishamos::model
