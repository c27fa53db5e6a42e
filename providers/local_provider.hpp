#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/agent.hpp"
#include "model/command_template.hpp"

namespace hishamos::providers {

/// What an agent asks of a model: the rendered prompt and the identity of
/// the call (so simulated failures differ between attempts).
struct completion_request {
  std::string prompt;
  std::string call_key; ///< Execution, step and attempt; seeds fail_rate.
  const model::agent_def* agent = nullptr;
  const model::output_spec* output = nullptr;
};

/// A model's answer (or a failure) with its accounting.
struct completion {
  bool ok = true;
  std::string text; ///< The output, or the error message when !ok.
  bool retryable = false;
  int tokens_in = 0;
  int tokens_out = 0;
  std::int64_t latency_ms =
      0; ///< How long the caller should wait before delivering it.
};

/// The built-in provider: no network, no keys. Its output is derived
/// deterministically from the prompt and says plainly that no model wrote
/// it. `latency_ms`, `fail_rate` and `quality` of the agent shape it for
/// demos and tests. Pure: computing the answer takes microseconds, and the
/// caller delays delivery by `latency_ms` with a timer, never a sleep.
class local_provider {
public:
  [[nodiscard]] completion complete(const completion_request& req) const;
};

/// 64-bit FNV-1a hash, stable across runs and platforms.
[[nodiscard]] std::uint64_t stable_hash(const std::string& text);

/// Rough token count (4 characters a token), for accounting.
[[nodiscard]] int estimate_tokens(const std::string& text);

} // namespace hishamos::providers
