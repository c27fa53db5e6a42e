#pragma once

// Membership: this node's view of the cluster.
//
// Accepts:
//   (peers_atom, vector<peer_address>) -> connects (CAF middleman, on a
//       detached helper: connecting blocks) to every live peer it is not
//       connected to yet, then greets it with a hello.
//   hello -> hello. A peer greets this node: a peer with another
//       protocol_version is refused (logged here and answered with an error
//       the peer logs); a valid one is remembered, monitored, and its agents
//       go to the dispatcher.
//   directory_atom -> std::string: the peers as JSON (id, http_address,
//       agent count).
// A peer whose membership actor goes down (process death, or no middleman
// heartbeat for the connection timeout) is forgotten and its agents leave
// the dispatcher. Messages it does not understand are logged and dropped.
// Persists nothing: the nodes table (read by the lease keeper) says who the
// peers are.

#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "actors/messages.hpp"

namespace hishamos::actors {

struct membership_settings {
  std::string node_id;
  std::string http_address;
  caf::actor dispatcher;
  std::vector<agent_entry> agents; ///< Hosted here; sent to every peer.
  /// Connect through CAF's openssl module (the system has it loaded and
  /// holds this node's certificate, key and CA).
  bool tls = false;
};

caf::actor spawn_membership(caf::actor_system& sys,
                            membership_settings settings);

} // namespace hishamos::actors
