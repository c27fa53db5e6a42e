#pragma once

// L2 cache actor: the provider gateway's door to Redis, shared by every
// node of the cluster. Redis calls block, so it runs on a thread of its own.
//
// Accepts:
//   (l2_get_atom, key)        -> l2_entry: a cached answer (found false for a
//                                miss), and `down` when Redis is unavailable.
//   (l2_put_atom, key, entry) -> stores an answer with the TTL.
//   admission_request         -> admission_answer: the cluster-wide request
//                                and token window of a (provider, model, key),
//                                decided by one server-side script by the
//                                Redis clock.
//   (settle_atom, window, reservation, tokens) -> replaces a reservation's
//                                estimate by the real usage.
// An outage is never an error here: every answer says `down`, and the
// gateway then uses L1 and per-node limits. Reconnects after a pause.
// Persists what it is given in Redis (with a TTL). Linked to the gateway
// that spawned it: they stop together, and a crash of either restarts
// neither (the node has lost its provider calls).

#include <chrono>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "providers/redis_cache.hpp"

namespace hishamos::actors {

/// Spawns the L2 cache actor, linked to `parent` (the gateway).
caf::actor spawn_l2_cache(caf::local_actor* parent,
                          providers::redis_address where,
                          std::chrono::milliseconds ttl);

} // namespace hishamos::actors
