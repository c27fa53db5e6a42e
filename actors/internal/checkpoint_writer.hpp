#pragma once

// The persistence supervisor's checkpoint writers (the supervisor is in
// actors/persistence_supervisor.hpp): each a detached actor with its own
// store connection that commits what waits in its mailbox in one
// transaction, then acknowledges each request.
//
// Accepts:
//   persistence::checkpoint       -> store_ack once committed
//   persistence::state_change     -> store_ack once committed
//   creation_batch                -> creation_ack once stored
// It quits when its connection fails (a retryable error), after answering
// `unavailable`, so that its supervisor opens a fresh one.

#include <memory>

#include <caf/fwd.hpp>

#include "actors/persistence_supervisor.hpp"

namespace hishamos::actors {

/// Spawns a writer on a thread of its own (store calls block); the caller
/// monitors it.
caf::actor spawn_checkpoint_writer(caf::actor_system& sys,
                                   store_factory factory,
                                   std::shared_ptr<node_metrics> metrics);

} // namespace hishamos::actors
