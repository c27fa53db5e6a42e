#pragma once

// The provider gateway's state and what its two files share:
// actors/provider_gateway.cpp (caches, coalescing, stats, the behavior) and
// actors/gateway_upstream.cpp (admission, retries, breakers, fallbacks).
// Included by those two only: it pulls in CAF.

#include <map>
#include <memory>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include <caf/all.hpp>

#include "actors/messages.hpp"
#include "actors/provider_gateway.hpp"
#include "model/trace_context.hpp"
#include "providers/http_client.hpp"
#include "providers/resilience.hpp"
#include "providers/response_cache.hpp"

namespace hishamos::actors::gateway_internal {

using providers::clock;
using providers::milliseconds;

/// One call on its way: the agents waiting for it (more than one when
/// identical calls were coalesced), and where it is.
struct pending_call {
  provider_call call;
  std::vector<caf::typed_response_promise<provider_answer>> waiters;
  std::string key;     ///< Cache key; "" = not cacheable.
  size_t provider = 0; ///< 0 = call.provider, i = call.fallbacks[i - 1].
  int retry = 0;       ///< Retries on the current provider.
  int attempts = 0;    ///< Upstream requests, all providers.
  std::string api_key; ///< Resolved for the request under way only.
  std::int64_t reservation = -1;  ///< In this node's window.
  std::string shared_reservation; ///< In Redis's window; "" = none.
  std::string window;             ///< Admission window of the reservation.
  std::string last_error;
  bool last_retryable = false;
  model::trace_context trace; ///< The calling step's; empty = none.
  std::string request_span;   ///< The upstream request under way's span.
  std::int64_t request_start_ns = 0;
};

struct gateway_state {
  static inline const char* name = "hishamos.provider_gateway";
  gateway_settings cfg;
  std::unique_ptr<providers::http_client> http;
  std::map<std::string, providers::circuit_breaker> breakers;
  std::map<std::string, providers::minute_window> windows;
  std::unique_ptr<providers::response_cache> l1;
  std::unordered_map<std::uint64_t, pending_call> calls;
  std::unordered_map<std::string, std::uint64_t> upstream; ///< key -> call
  std::uint64_t next_id = 0;
  std::mt19937_64 rng;
  std::uint64_t upstream_requests = 0, hits = 0, misses = 0, coalesced = 0;
  caf::actor l2; ///< null = no Redis configured.
  std::uint64_t l2_hits = 0, l2_misses = 0;
  std::string l2_down;  ///< Why Redis is not used now, as last heard.
  std::string instance; ///< Names this gateway's reservations in Redis.
  std::uint64_t reservations = 0;
};

using gateway_self = caf::stateful_actor<gateway_state>;

/// What the model call's price table says it costs.
double price_of(const config::provider_settings& p, const std::string& model,
                int in, int out);
/// Answers every agent waiting for call `id` and forgets it.
void deliver(gateway_self* self, std::uint64_t id, provider_answer a);
/// Sends call `id` on its way: admission, then upstream (gateway_upstream).
void attempt(gateway_self* self, std::uint64_t id);
/// An upstream answer to call `id` arrived (gateway_upstream).
void answered(gateway_self* self, std::uint64_t id,
              providers::http_response& r);
/// What the L2 cache actor said of Redis; logs a change.
void note_l2(gateway_self* self, const std::string& down);

} // namespace hishamos::actors::gateway_internal
