#pragma once

// The typed interfaces of the node's central actors: what each accepts and
// what it answers, checked by the compiler at every send and request.
// Included by actors/ and runtime/ sources only (it pulls in CAF).
//
// The agents, membership, lock authority, provider gateway and budget keeper
// stay dynamically typed: their handles cross nodes or are swapped for an
// embedder's own actor (an agent), and a peer's message that fits no handler
// must be dropped and logged there, not refused at compile time.

#include <cstdint>
#include <string>
#include <vector>

#include <caf/replies_to.hpp>
#include <caf/send.hpp>
#include <caf/typed_actor.hpp>

#include "actors/messages.hpp"

namespace hishamos::actors {

/// The persistence supervisor (actors/persistence_supervisor.hpp).
using persistence_actor = caf::typed_actor<
    caf::replies_to<persistence::checkpoint>::with<store_ack>,
    caf::replies_to<persistence::state_change>::with<store_ack>,
    caf::replies_to<creation_batch>::with<creation_ack>,
    caf::replies_to<writer_atom>::with<caf::actor>,
    caf::reacts_to<respawn_atom, int>, caf::reacts_to<overdue_atom>>;

/// The batch processor (actors/batch_processor.hpp).
using batch_actor =
    caf::typed_actor<caf::reacts_to<persistence::agent_stat_record>,
                     caf::reacts_to<flush_atom, std::uint64_t>>;

/// A workflow execution (actors/workflow_execution.hpp).
using execution_actor = caf::typed_actor<
    caf::reacts_to<start_atom>, caf::reacts_to<retry_atom, int>,
    caf::reacts_to<drain_atom>, caf::reacts_to<resend_atom, int>,
    caf::reacts_to<cancel_atom>,
    caf::replies_to<snapshot_atom>::with<model::execution_snapshot>,
    caf::replies_to<approve_atom, double>::with<double>>;

/// The dispatcher (actors/dispatcher.hpp).
using dispatcher_actor = caf::typed_actor<
    caf::replies_to<assign_step>::with<model::task_reply>,
    caf::reacts_to<cancel_atom, std::string>,
    caf::reacts_to<rate_atom, std::string, std::string, double>,
    caf::replies_to<join_atom, model::agent_def, caf::actor>::with<bool>,
    caf::replies_to<join_atom, std::vector<model::agent_def>>::with<bool>,
    caf::reacts_to<directory_update>,
    caf::replies_to<sync_atom>::with<directory_update>,
    caf::reacts_to<retry_atom>, caf::reacts_to<lock_granted_atom, std::string>,
    caf::reacts_to<lock_denied_atom, std::string, std::string>,
    caf::reacts_to<authority_atom, caf::actor>,
    caf::reacts_to<leave_atom, std::string>,
    caf::reacts_to<features_atom, std::string, std::string>,
    caf::replies_to<directory_atom>::with<
        std::vector<model::agent_directory_entry>>,
    caf::replies_to<lock_release_atom,
                    directory_atom>::with<model::lock_table_snapshot>,
    caf::replies_to<stats_atom>::with<std::vector<model::quality_entry>>>;

/// Sends from a typed actor to a dynamically typed one (an agent, the lock
/// authority, a listener), as `self`, so that the receiver can answer it.
/// CAF 0.17 lets typed actors send() only to typed ones; this is its
/// escape hatch, used where the receiver's interface cannot be a type.
template <class Self, class... Ts>
void tell(Self* self, const caf::actor& dest, Ts&&... xs) {
  caf::unsafe_send_as(self, dest, std::forward<Ts>(xs)...);
}

} // namespace hishamos::actors
