#pragma once

// W3C Trace Context (traceparent, version 00): which trace a piece of work
// belongs to and which span caused it, so that a client's trace goes on
// through the API, the execution, its steps and the provider calls they
// make, on whichever nodes they run.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hishamos::model {

struct trace_context {
  std::string trace_id; ///< 32 lowercase hex digits, not all zero.
  std::string span_id;  ///< 16 lowercase hex digits, not all zero.
  bool sampled = false; ///< Flag 01: the caller records this trace.

  /// "00-<trace_id>-<span_id>-<flags>".
  [[nodiscard]] std::string traceparent() const;
  /// The same trace, sampling and a new span id: the context of work this
  /// span causes.
  [[nodiscard]] trace_context child() const;
  [[nodiscard]] bool empty() const { return trace_id.empty(); }
};

/// A `traceparent` header as the specification reads it: version 00 with
/// exactly its four fields, or a later version (not ff) whose first four
/// fields have the same form; anything else (wrong length, upper case, an
/// all-zero id) is no context, and the caller starts a new trace.
[[nodiscard]] std::optional<trace_context>
parse_traceparent(std::string_view header);

/// A new trace with a random trace and span id.
[[nodiscard]] trace_context new_trace(bool sampled);

/// A random span id (16 hex digits, never all zero).
[[nodiscard]] std::string new_span_id();

/// A span id derived from `seed` (FNV-1a): the same on every node and
/// after every restart, for a span that more than one process may end
/// (an execution's).
[[nodiscard]] std::string span_id_of(std::string_view seed);

} // namespace hishamos::model
