#pragma once

// Provider gateway: every model call of the node's agents to the HTTP
// providers (openai, anthropic) goes through it.
//
// Accepts:
//   provider_call -> provider_answer. In order: the L1 cache (calls at
//       temperature 0, or that opt in) answers a repeated call at no
//       cost; an identical call already on its way is joined (coalesced),
//       not repeated; the L2 cache (Redis, shared by the cluster, on a
//       detached actor; an outage degrades to L1 with a warning); the
//       provider's admission limits (requests and tokens per minute, per
//       provider, model and key) make it wait its turn, never fail; its circuit
//       breaker fails it at once while open; then the request goes out through
//       the HTTP client (libcurl multi, on a thread of its own). 429, 5xx,
//       timeouts and dropped connections are retried with exponential backoff
//       and full jitter, honouring Retry-After; a provider that fails for good
//       hands the call to the next fallback. The key is resolved at call time
//       and redacted from every error.
//   stats_atom -> model::gateway_stats: calls in flight, upstream
//       requests, coalesced calls, L1 and L2 hits and misses, Redis's state
//       and each provider's breaker.
// Persists nothing itself (answers go to Redis through the L2 cache actor,
// actors/l2_cache.hpp). A crash loses the calls in flight (their agents'
// requests fail, and the steps are retried), the L1 cache, the breakers and
// the per-node admission windows; the node does not restart it.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "config/node_config.hpp"
#include "providers/secrets.hpp"
#include "providers/span_exporter.hpp"

namespace hishamos::actors {

struct gateway_settings {
  std::map<std::string, config::provider_settings> providers;
  std::string secrets_dir;
  std::int64_t l1_cache_bytes = 64 << 20;
  /// L2: Redis shared by the cluster (cache.redis_url); "" = L1 only.
  std::string redis_url;
  std::chrono::milliseconds l2_ttl = std::chrono::hours{24};
  std::uint64_t seed = 0; ///< Backoff jitter; 0 = from the clock.
  /// The store's secrets, decrypted at the node's start (secret://).
  std::shared_ptr<const providers::secret_values> stored_secrets;
  /// Where each upstream request's span goes; null = nowhere (the request
  /// still carries the caller's trace on in its traceparent).
  std::shared_ptr<providers::span_exporter> spans;
};

caf::actor spawn_provider_gateway(caf::actor_system& sys,
                                  gateway_settings settings);

} // namespace hishamos::actors
