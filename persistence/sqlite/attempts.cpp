// SQLite: the history of an execution's attempts beyond its checkpoints
// (step_attempts) and of its owners (execution_owners). The owners are
// written by the claims that bump the epoch (sqlite/executions.cpp); the
// attempts ride with checkpoints and changes.

#include "persistence/sqlite/connection.hpp"

namespace hishamos::persistence::sqlite {

status sqlite_store::insert_attempts(const std::vector<attempt_record>& xs) {
  for (const auto& a : xs) {
    auto s = kept("INSERT INTO step_attempts (execution_id, step_id, epoch, "
                  "attempt, node_id, agent_id, started_at, finished_at, "
                  "outcome, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON "
                  "CONFLICT DO NOTHING");
    s.bind(a.execution_id, a.step_id, a.epoch, a.attempt, a.node_id, a.agent_id,
           a.started_at_ms, a.finished_at_ms, a.outcome, a.error);
    if (int rc = s.step(); rc != SQLITE_DONE)
      return s.error("saving an attempt of " + a.execution_id, rc);
  }
  return {};
}

outcome<attempt_history> sqlite_store::attempts_of(const std::string& id) {
  outcome<attempt_history> out;
  statement a{db_.get(),
              "SELECT step_id, epoch, attempt, node_id, agent_id, started_at, "
              "finished_at, outcome, error FROM step_attempts WHERE "
              "execution_id = ? ORDER BY started_at, step_id, epoch, attempt"};
  a.bind(id);
  int rc;
  while ((rc = a.step()) == SQLITE_ROW)
    out.value.attempts.push_back(
        {id, a.text(0), a.integer(1), static_cast<int>(a.integer(2)), a.text(3),
         a.text(4), a.integer(5), a.integer(6), a.text(7), a.text(8)});
  if (rc != SQLITE_DONE)
    return {a.error("reading the attempts of " + id, rc)};
  statement o{db_.get(),
              "SELECT epoch, node_id, previous_node, reason, at_ms FROM "
              "execution_owners WHERE execution_id = ? ORDER BY epoch"};
  o.bind(id);
  while ((rc = o.step()) == SQLITE_ROW)
    out.value.owners.push_back(
        {o.integer(0), o.text(1), o.text(2), o.text(3), o.integer(4)});
  if (rc != SQLITE_DONE)
    return {o.error("reading the owners of " + id, rc)};
  return out;
}

} // namespace hishamos::persistence::sqlite
