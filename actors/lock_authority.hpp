#pragma once

// Lock authority: grants the resource locks that steps declare, for every
// dispatcher that turns to it. Each node runs one; a cluster uses the
// oldest live node's (membership says which), so an exclusive lock is
// exclusive across the whole cluster.
//
// Accepts:
//   lock_ask -> the request waits in order (its `order`, then arrival); a
//       pass grants, in that order, every request whose locks are all free
//       and not wanted by a conflicting request ahead of it, all at once
//       (no holder ever waits for more: no deadlock). Answered to the
//       asking actor: (lock_granted_atom, task_id), or after its timeout
//       (lock_denied_atom, task_id, holders), holders naming who keeps the
//       locks.
//   (lock_release_atom, task_id) -> frees the task's locks, or withdraws
//       its request.
//   lock_sync -> replaces everything known of that node: its held locks
//       are taken as held (a conflict with another holder is logged: it
//       can only come from two authorities granting during a membership
//       change), its waiting requests queue again.
//   (leave_atom, node) -> the node is gone: its locks are freed, its
//       requests dropped.
//   (authority_atom, vector<string> members) -> this authority has just
//       become the cluster's (with `wait_to_be_named`, it grants nothing
//       before that): it grants nothing until every member has
//       synced (or `settle_timeout` passed), so a lock held under the
//       previous authority is never granted to another step meanwhile.
//   directory_atom -> model::lock_table_snapshot: what it holds, who waits
//       (in queue order) and which members have not synced yet.
// Persists nothing: the dispatchers hold the truth and sync it.
// A crash loses its table; the dispatcher that spawned it is linked to it
// and goes down too (a lone node), or membership names another member's
// authority, to which every dispatcher syncs what it holds and waits for
// before that one grants anything (a cluster).

#include <chrono>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

namespace hishamos::actors {

struct lock_authority_settings {
  /// How long a new authority waits for members' syncs before it grants.
  std::chrono::milliseconds settle_timeout{3000};
  /// In a cluster, an authority grants nothing until membership has named
  /// it the cluster's: a peer that turned to it early (it saw the previous
  /// authority's node go first) must not be granted what a member that has
  /// not synced yet still holds. A lone node's grants from the start.
  bool wait_to_be_named = false;
};

caf::actor spawn_lock_authority(caf::actor_system& sys,
                                lock_authority_settings settings = {});

} // namespace hishamos::actors
