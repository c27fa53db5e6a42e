#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/result.hpp"

namespace hishamos::model {

/// A configured agent: who it is, what it can do, how many tasks it takes at
/// once and which model provider answers for it.
struct agent_def {
  std::string id;                        ///< Unique id, e.g. agent_cto_001.
  std::string name;                      ///< Human-readable name.
  std::string department;                ///< e.g. engineering.
  std::vector<std::string> capabilities; ///< e.g. [architecture, review].
  int capacity = 1;                      ///< Concurrent tasks (>= 1).
  std::string provider = "local";   ///< Provider name from the node config.
  std::string model = "local-echo"; ///< Model name passed to the provider.
  /// Providers tried in order when `provider` fails a call for good (its
  /// retries used up, or its circuit breaker open); same model name.
  std::vector<std::string> fallback_providers;
  double temperature = 0.0;  ///< 0 = deterministic (cacheable).
  int max_tokens = 1024;     ///< Upper bound on output tokens.
  double price_per_call = 0; ///< What one call costs; routing weighs it.
  /// What a task for a conversation this agent already works on does:
  /// enqueue (wait for it), reject (fail at once), interrupt (the running
  /// task stops with a retryable failure, so its step runs again later,
  /// and the new one runs now) or rollback (the running task stops with a
  /// final failure: its work is discarded and its step fails).
  std::string overlap = "enqueue";
  // Local provider only, for demos and tests:
  std::int64_t latency_ms =
      0;                  ///< Simulated model latency (a timer, no thread).
  double fail_rate = 0.0; ///< Share of calls that fail (retryable).
  double quality = 1.0;   ///< Share of outputs that satisfy the evaluator.

  /// True when the agent has every capability in `wanted`.
  [[nodiscard]] bool
  has_capabilities(const std::vector<std::string>& wanted) const;
};

/// Parses one agent file (YAML or JSON); `file` names it in problems.
result<agent_def> parse_agent(const std::string& text, const std::string& file);

} // namespace hishamos::model
