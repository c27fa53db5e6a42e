// PostgreSQL: the history of an execution's attempts beyond its
// checkpoints (step_attempts) and of its owners (execution_owners). The
// owners are written by the statements that bump the epoch
// (pg/executions.cpp); the attempts ride with checkpoints and changes.

#include "persistence/pg/connection.hpp"

namespace hishamos::persistence::pg {

// One multi-row INSERT of attempts; one already stored stays as it is.
void insert_attempts(pqxx::work& tx, const std::vector<attempt_record>& xs) {
  if (xs.empty())
    return;
  std::string sql =
      "INSERT INTO step_attempts (execution_id, step_id, epoch, attempt, "
      "node_id, agent_id, started_at, finished_at, outcome, error) VALUES ";
  for (size_t i = 0; i < xs.size(); ++i) {
    const auto& a = xs[i];
    sql += (i ? ",(" : "(") + tx.quote(a.execution_id) + "," +
           tx.quote(a.step_id) + "," + tx.quote(a.epoch) + "," +
           tx.quote(a.attempt) + "," + tx.quote(a.node_id) + "," +
           tx.quote(a.agent_id) + "," + tx.quote(a.started_at_ms) + "," +
           tx.quote(a.finished_at_ms) + "," + tx.quote(a.outcome) + "," +
           tx.quote(a.error) + ")";
  }
  tx.exec0(sql + " ON CONFLICT DO NOTHING");
}

outcome<attempt_history> pg_store::attempts_of(const std::string& id) {
  outcome<attempt_history> out;
  out.st = guarded("reading the attempts of execution " + id, [&]() -> status {
    out.value = {};
    pqxx::work tx{*conn_};
    for (const auto& r : tx.exec_params(
             "SELECT step_id, epoch, attempt, node_id, agent_id, started_at, "
             "finished_at, outcome, error FROM step_attempts WHERE "
             "execution_id = $1 ORDER BY started_at, step_id, epoch, attempt",
             id))
      out.value.attempts.push_back(
          {id, r[0].c_str(), r[1].as<std::int64_t>(), r[2].as<int>(),
           r[3].c_str(), r[4].c_str(), r[5].as<std::int64_t>(),
           r[6].as<std::int64_t>(), r[7].c_str(), r[8].c_str()});
    for (const auto& r : tx.exec_params(
             "SELECT epoch, node_id, previous_node, reason, at_ms FROM "
             "execution_owners WHERE execution_id = $1 ORDER BY epoch",
             id))
      out.value.owners.push_back({r[0].as<std::int64_t>(), r[1].c_str(),
                                  r[2].c_str(), r[3].c_str(),
                                  r[4].as<std::int64_t>()});
    return {};
  });
  return out;
}

} // namespace hishamos::persistence::pg
