#pragma once

// Persistence supervisor; its checkpoint writers are in
// actors/internal/checkpoint_writer.hpp.
//
// The supervisor is the stable address executions write to. It owns a pool
// of checkpoint writers: detached actors (threads of their own, since store
// calls block), each with its own store connection. A writer commits all
// checkpoints waiting in its mailbox in one transaction (group commit) and
// then acknowledges each.
//
// Supervisor accepts (and forwards to the writer):
//   persistence::checkpoint       -> store_ack once the checkpoint is committed
//   persistence::state_change     -> store_ack once the change is committed
//   creation_batch                -> creation_ack once the executions are
//                                    stored (one transaction, joined with
//                                    other batches waiting), one result each
//   writer_atom                   -> caf::actor: the first writer (tests)
//   (respawn_atom, i)             -> (from itself) restarts writer i
//   overdue_atom                  -> (from itself) answers overdue requests
// The interface is checked by the compiler (actors/interfaces.hpp).
// While the writer is down every request is answered with a retryable
// `unavailable` ack; the sender tries again later.
//
// The writer answers store_ack with the store's code: ok, stale_epoch (the
// sender no longer owns the execution), or unavailable. When its connection
// fails (a retryable error) it answers `unavailable` and dies; the supervisor
// restarts it with exponential backoff (50 ms doubling to 5 s). A request
// a writer holds longer than `answer_within` (a store that hangs) is
// answered `unavailable` by the supervisor; the writer's later ack is
// dropped. So every request is answered, and senders ask with no timeout
// of their own (each would cost CAF's clock thread two wake-ups).
//
// Persists: checkpoints, execution rows and state changes.
// The supervisor itself holds only handles and in-flight promises: if it
// crashed, the executions' requests would fail and be resent to nothing,
// so the node treats its loss as fatal (nothing restarts it).

#include <chrono>
#include <functional>
#include <memory>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "actors/interfaces.hpp"
#include "actors/metrics.hpp"
#include "persistence/store.hpp"

namespace hishamos::actors {

/// Opens a new store connection (called by each writer incarnation).
using store_factory =
    std::function<persistence::outcome<std::unique_ptr<persistence::store>>()>;

/// Spawns the supervisor with `writers` checkpoint writers (each with its
/// own connection; an execution's writes always go to the same one). A
/// request a writer holds longer than `answer_within` is answered
/// `unavailable` for its sender to send again (node_options says 30 s).
persistence_actor
spawn_persistence_supervisor(caf::actor_system& sys, store_factory factory,
                             std::shared_ptr<node_metrics> metrics, int writers,
                             std::chrono::milliseconds answer_within);

} // namespace hishamos::actors
