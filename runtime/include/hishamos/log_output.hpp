#pragma once

// Where a node's log goes: standard output, through a sink that a full or
// failing disk cannot stop. The log is diagnostic, never the record of
// what was acknowledged (that is the store's, audit included), so a line
// that cannot be written is counted and skipped rather than retried,
// blocking or ending the process; the first line written after a loss says
// how many were lost and why, and hishamos_log_lines_dropped_total counts
// them for an alert.

#include <cstdint>
#include <string>

namespace hishamos {

/// Makes spdlog's default logger write through that sink (call at start,
/// before other threads log; again once the config says how): `json` makes
/// each line one JSON object {"ts", "level", "node", "msg"}, with the
/// execution_id, step_id, request_id and trace_id of the logging thread's
/// scope (model/log_context.hpp) when it has them, for log collectors;
/// else lines are text.
void log_to_stdout(bool json = false, const std::string& node_id = "");

/// Log lines lost so far because standard output refused them.
std::uint64_t log_lines_dropped();

} // namespace hishamos
