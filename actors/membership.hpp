#pragma once

// Membership: this node's view of the cluster.
//
// Accepts:
//   (peers_atom, vector<peer_address>) -> every heartbeat, with the live
//       nodes of the table: a peer not among them lost its lease and is
//       dropped as if it were down (it greets again once it renews); connects
//       (CAF middleman, on a detached helper: connecting blocks) to every live
//       peer and every seed it is not connected to yet and greets it with a
//       hello; then sends every peer a directory_update with this node's agents
//       and dispatched loads.
//   directory_update -> a peer's periodic update, passed to the
//       dispatcher; dropped (and logged) unless it comes from an accepted
//       peer's membership actor, in this protocol version, with valid
//       agents.
//   hello -> hello. A peer greets this node: a peer with another
//       protocol_version is refused (logged here and answered with an error
//       the peer logs); a valid one is remembered, monitored, and its agents
//       go to the dispatcher.
//   directory_atom -> std::string: the peers as JSON (id, http_address,
//       agent count).
// Names the cluster's lock authority to the dispatcher, (authority_atom,
// actor), once it has tried the peers of its first nodes table and
// whenever the members change: the authority of the member that started
// first. When that is this node's own, its authority hears
// (authority_atom, member ids) and settles before it grants. A peer that
// goes is also sent to this node's authority (leave_atom), which frees its
// locks.
// A peer whose membership actor goes down (process death, or no middleman
// heartbeat for the connection timeout) is forgotten and its agents leave
// the dispatcher. Messages it does not understand are logged and dropped.
// Persists nothing: the nodes table (read by the lease keeper) says who the
// peers are. A crash ends this node's part in the cluster: peers see its
// membership actor go down and drop its agents; the node is not restarted
// in place (restart the process: its executions are resumed).

#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "actors/interfaces.hpp"
#include "actors/messages.hpp"

namespace hishamos::actors {

struct membership_settings {
  std::string node_id;
  std::string http_address;
  dispatcher_actor dispatcher;
  std::vector<agent_entry> agents; ///< Hosted here at start (then: the
                                   ///< dispatcher's, every heartbeat).
  /// node.seeds: addresses to connect to besides the nodes table's (their
  /// node_id is unused: a seed says who it is in its hello).
  std::vector<peer_address> seeds;
  /// Connect through CAF's openssl module (the system has it loaded and
  /// holds this node's certificate, key and CA).
  bool tls = false;
  /// This node's lock authority (actors/lock_authority.hpp), and when the
  /// node started (wall clock, ms): the oldest member's authority grants
  /// the cluster's locks.
  caf::actor lock_authority;
  std::int64_t started_at_ms = 0;
};

caf::actor spawn_membership(caf::actor_system& sys,
                            membership_settings settings);

} // namespace hishamos::actors
