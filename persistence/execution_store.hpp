#pragma once

// Role: executions and their checkpoints, and who owns them. Every write
// here is fenced by the execution's epoch, so a stale owner cannot write.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "persistence/errors.hpp"
#include "persistence/records.hpp"

namespace hishamos::persistence {

class execution_store {
public:
  virtual ~execution_store() = default;

  /// Stores a new execution (state, owner and epoch as given). Creating an
  /// existing id again changes nothing, so a create whose commit outcome
  /// was unknown can simply be retried.
  virtual status create_execution(const execution_record& x) = 0;
  /// Stores new executions in one transaction. One whose id, or whose
  /// idempotency key, is stored already is not created again: its result
  /// says so and holds the stored execution. One result per record.
  virtual outcome<std::vector<creation>>
  create_executions(const std::vector<execution_record>& xs) = 0;
  /// Commits all checkpoints in one transaction. Saving a step twice keeps
  /// the first row. A checkpoint whose epoch is not the execution's current
  /// epoch is rejected (stale_epoch) inside the same transaction; the
  /// result has one status per checkpoint.
  virtual outcome<std::vector<status>>
  save_checkpoints(const std::vector<checkpoint>& xs) = 0;
  /// Changes an execution's state if `x.epoch` is current.
  virtual status change_state(const state_change& x) = 0;
  /// Many state changes in one transaction (the writer's group commit): a
  /// stale one is refused (stale_epoch) and the others are kept; one
  /// status per change. This default makes them one by one, for stores
  /// that wrap another.
  virtual outcome<std::vector<status>>
  change_states(const std::vector<state_change>& xs) {
    outcome<std::vector<status>> out;
    for (const auto& x : xs)
      out.value.push_back(change_state(x));
    return out;
  }

  /// What save_group answers: each part as save_checkpoints and
  /// change_states would.
  struct group_outcome {
    outcome<std::vector<status>> checkpoints;
    outcome<std::vector<status>> changes;
  };
  /// The checkpoints, then the state changes, of one writer flush in one
  /// transaction (one commit): a change never lands before a checkpoint
  /// of its group. If the transaction fails, both parts carry its error.
  /// This default makes two transactions, for stores that wrap another.
  virtual group_outcome save_group(const std::vector<checkpoint>& cps,
                                   const std::vector<state_change>& changes) {
    return {save_checkpoints(cps), change_states(changes)};
  }

  virtual outcome<std::optional<execution_record>>
  find_execution(const std::string& id) = 0;
  virtual outcome<std::vector<checkpoint>>
  checkpoints(const std::string& execution_id) = 0;
  /// The checkpoints of many executions in one round trip (recovery reads
  /// hundreds at once): execution id -> its checkpoints, as checkpoints().
  virtual outcome<std::map<std::string, std::vector<checkpoint>>>
  checkpoints_of(const std::vector<std::string>& execution_ids) = 0;

  /// The attempts of an execution that ended without a result, and the
  /// changes of its owner (empty for an execution never retried or taken
  /// over; `not_found` is not checked here).
  virtual outcome<attempt_history>
  attempts_of(const std::string& execution_id) = 0;

  /// At a node's start: takes its own unfinished executions and those no
  /// live node owns: sets the owner, bumps the epoch (fencing any previous
  /// owner), records each change of owner (execution_owners) and returns
  /// them.
  virtual outcome<std::vector<execution_record>>
  claim_unfinished(const std::string& node_id) = 0;
  /// While running: takes up to `limit` unfinished executions that no live
  /// node owns (queued unowned, or owned by a node whose lease expired), as
  /// claim_unfinished does. Rows another transaction holds are skipped,
  /// not waited for.
  virtual outcome<std::vector<execution_record>>
  claim_expired(const std::string& node_id, int limit) = 0;
  /// Reopens a failed or cancelled execution to run again on `node_id`:
  /// state running, this node the owner, the epoch bumped; its checkpoints
  /// stay, so only the steps without one run. `not_found` without it,
  /// `conflict` when it is not failed or cancelled.
  virtual outcome<execution_record>
  reopen_execution(const std::string& id, const std::string& node_id) = 0;
  /// Gives up this node's ownership of executions it claimed but will not
  /// run now (more than node.max_executions): they become unowned (running
  /// ones `pending`, paused ones stay paused) for the first node with room,
  /// which claims them as claim_expired does.
  virtual status release_executions(const std::string& node_id,
                                    const std::vector<std::string>& ids) = 0;
};

} // namespace hishamos::persistence
