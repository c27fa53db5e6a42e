// SQLite: executions, checkpoints and their ownership. The embedded store
// is single-node (the node holds a file lock), so ownership only moves
// between this node and "unowned" (queued while the node was at its limit).
// The writer's group commits are in sqlite/group_commit.cpp.

#include <set>

#include "persistence/checkpoint_codec.hpp"
#include "persistence/internal/creations.hpp"
#include "persistence/sqlite/connection.hpp"

namespace hishamos::persistence::sqlite {

// An execution's definition is in its row, or kept once by hash
// (migration 0017); a hash whose row is missing reads as "" and is named
// by definition_damage.
const char* const execution_columns =
    "id, workflow_name, CASE WHEN definition_hash IS NULL THEN definition "
    "ELSE COALESCE((SELECT d.definition FROM execution_definitions d WHERE "
    "d.hash = definition_hash), '') END, input, state, owner_node, epoch, "
    "COALESCE(output, ''), COALESCE(error, ''), created_at, updated_at, "
    "budget_approved_until, COALESCE(idempotency_key, ''), workflow_version, "
    "department, trace_context, trace_parent_span, COALESCE(definition_hash, "
    "'')";

execution_record read_execution(const statement& s) {
  execution_record x;
  x.id = s.text(0);
  x.workflow_name = s.text(1);
  x.definition = s.text(2);
  x.input = s.text(3);
  x.state = parse_execution_state(s.text(4)).value_or(execution_state::failed);
  x.owner_node = s.text(5);
  x.epoch = s.integer(6);
  x.output = s.text(7);
  x.error = s.text(8);
  x.created_at_ms = s.integer(9);
  x.updated_at_ms = s.integer(10);
  x.budget_approved_until = s.real(11);
  x.idempotency_key = s.text(12);
  x.workflow_version = static_cast<int>(s.integer(13));
  x.department = s.text(14);
  x.trace_context = s.text(15);
  x.trace_parent_span = s.text(16);
  x.definition_hash = s.text(17);
  return x;
}

status sqlite_store::create_execution(const execution_record& x) {
  return create_executions({x}).st;
}

outcome<std::optional<execution_record>>
sqlite_store::stored_like(const execution_record& x) {
  statement s{db_.get(),
              (std::string{"SELECT "} + execution_columns +
               " FROM workflow_executions WHERE id = ?1 OR (?2 != '' AND "
               "idempotency_key = ?2) ORDER BY id = ?1 DESC LIMIT 1")
                  .c_str()};
  s.bind(x.id, x.idempotency_key);
  int rc = s.step();
  if (rc == SQLITE_DONE)
    return {{}, std::nullopt};
  if (rc != SQLITE_ROW)
    return {s.error("reading execution " + x.id, rc)};
  return {{}, read_execution(s)};
}

outcome<std::vector<creation>>
sqlite_store::create_executions(const std::vector<execution_record>& xs) {
  std::set<std::string> inserted;
  std::vector<execution_record> stored;
  auto definitions = definitions_by_hash(xs);
  if (!definitions)
    return {definitions.st};
  auto st = transaction([&]() -> status {
    inserted.clear();
    stored.clear();
    for (const auto& [hash, definition] : definitions.value) {
      auto s = kept("INSERT OR IGNORE INTO execution_definitions (hash, "
                    "definition, created_at) VALUES (?, ?, ?)");
      s.bind(hash, *definition, now_ms());
      if (int rc = s.step(); rc != SQLITE_DONE)
        return s.error("keeping a definition by hash", rc);
    }
    for (const auto& x : xs) {
      auto s = kept("INSERT OR IGNORE INTO workflow_executions (id, "
                    "workflow_name, definition, definition_hash, input, "
                    "state, owner_node, epoch, created_at, updated_at, "
                    "idempotency_key, workflow_version, department, "
                    "trace_context, trace_parent_span) VALUES (?, ?, ?, "
                    "NULLIF(?, ''), ?, ?, ?, ?, ?, ?, NULLIF(?, ''), ?, ?, ?, "
                    "?)");
      auto now = now_ms();
      bool by_hash = !x.definition_hash.empty();
      s.bind(x.id, x.workflow_name, by_hash ? std::string{} : x.definition,
             x.definition_hash, x.input, to_string(x.state), x.owner_node,
             x.epoch, now, now, x.idempotency_key, x.workflow_version,
             x.department, x.trace_context, x.trace_parent_span);
      if (int rc = s.step(); rc != SQLITE_DONE)
        return s.error("creating execution " + x.id, rc);
      if (sqlite3_changes(db_.get()) > 0) {
        inserted.insert(x.id);
        continue;
      }
      auto found = stored_like(x);
      if (!found)
        return found.st;
      if (found.value)
        stored.push_back(std::move(*found.value));
    }
    return {};
  });
  if (!st)
    return {st};
  return {{}, match_creations(xs, inserted, stored)};
}

template <class... Ts>
status sqlite_store::record_owners(const std::string& which,
                                   const std::string& node_id,
                                   const Ts&... xs) {
  statement s{
      db_.get(),
      ("INSERT INTO execution_owners (execution_id, epoch, node_id, "
       "previous_node, reason, at_ms) SELECT id, epoch + 1, ?1, "
       "COALESCE(owner_node, ''), CASE WHEN owner_node = ?1 THEN 'restart' "
       "WHEN COALESCE(owner_node, '') = '' THEN 'queued' ELSE 'takeover' "
       "END, ?2 FROM workflow_executions WHERE " +
       which + " ON CONFLICT DO NOTHING")
          .c_str()};
  s.bind(node_id, now_ms(), xs...);
  if (int rc = s.step(); rc != SQLITE_DONE)
    return s.error("recording the owners of claimed executions", rc);
  return {};
}

outcome<std::optional<execution_record>>
sqlite_store::find_execution(const std::string& id) {
  statement s{db_.get(), (std::string{"SELECT "} + execution_columns +
                          " FROM workflow_executions WHERE id = ?")
                             .c_str()};
  s.bind(id);
  int rc = s.step();
  if (rc == SQLITE_DONE)
    return {{}, std::nullopt};
  if (rc != SQLITE_ROW)
    return {s.error("reading execution " + id, rc)};
  return {{}, read_execution(s)};
}

outcome<std::vector<checkpoint>>
sqlite_store::checkpoints(const std::string& id) {
  statement s{db_.get(),
              "SELECT step_id, attempt, epoch, output, agent_id, started_at, "
              "finished_at, cost, checksum FROM execution_steps WHERE "
              "execution_id = ? ORDER BY finished_at, step_id"};
  s.bind(id);
  std::vector<checkpoint> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) {
    checkpoint cp{id,           s.text(0),    static_cast<int>(s.integer(1)),
                  s.integer(2), "",           s.text(4),
                  s.integer(5), s.integer(6), s.real(7)};
    restore_output(cp, s.text(3),
                   s.is_null(8) ? std::nullopt
                                : std::optional<std::string>{s.text(8)});
    out.push_back(std::move(cp));
  }
  if (rc != SQLITE_DONE)
    return {s.error("reading checkpoints of " + id, rc)};
  return {{}, std::move(out)};
}

// Local reads cost no round trip: one query per execution is fine.
outcome<std::map<std::string, std::vector<checkpoint>>>
sqlite_store::checkpoints_of(const std::vector<std::string>& ids) {
  outcome<std::map<std::string, std::vector<checkpoint>>> out;
  for (const auto& id : ids) {
    auto one = checkpoints(id);
    if (!one)
      return {one.st};
    if (!one.value.empty())
      out.value[id] = std::move(one.value);
  }
  return out;
}

outcome<std::vector<execution_record>>
sqlite_store::select_executions(const std::string& sql) {
  statement s{db_.get(), sql.c_str()};
  std::vector<execution_record> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW)
    out.push_back(read_execution(s));
  if (rc != SQLITE_DONE)
    return {s.error("listing executions", rc)};
  return {{}, std::move(out)};
}

outcome<std::vector<execution_record>>
sqlite_store::claim_unfinished(const std::string& node_id) {
  outcome<std::vector<execution_record>> out;
  out.st = transaction([&]() -> status {
    if (auto noted =
            record_owners("state IN ('pending', 'running', 'paused')", node_id);
        !noted)
      return noted;
    statement up{
        db_.get(),
        "UPDATE workflow_executions SET owner_node = ?, epoch = epoch + 1, "
        "updated_at = ? WHERE state IN ('pending', 'running', 'paused')"};
    up.bind(node_id, now_ms());
    if (int rc = up.step(); rc != SQLITE_DONE)
      return up.error("claiming unfinished executions", rc);
    auto rows = select_executions(std::string{"SELECT "} + execution_columns +
                                  " FROM workflow_executions WHERE state IN "
                                  "('pending', 'running', 'paused') ORDER BY "
                                  "created_at");
    out.value = std::move(rows.value);
    return rows.st;
  });
  return out;
}

// There are no other owners to fence or leases to keep: what no live node
// owns are the executions queued unowned while the node was at its limit.
outcome<std::vector<execution_record>>
sqlite_store::claim_expired(const std::string& node_id, int limit) {
  const std::string queued =
      "id IN (SELECT id FROM workflow_executions WHERE state IN ('pending', "
      "'paused') AND COALESCE(owner_node, '') = '' ORDER BY created_at, id "
      "LIMIT ?3)";
  outcome<std::vector<execution_record>> out;
  out.st = transaction([&]() -> status {
    out.value.clear();
    if (auto noted = record_owners(queued, node_id, limit); !noted)
      return noted;
    statement s{db_.get(),
                (std::string{"UPDATE workflow_executions SET owner_node = ?1, "
                             "epoch = epoch + 1, state = CASE WHEN state = "
                             "'paused' THEN 'paused' ELSE 'running' END, "
                             "updated_at = ?2 WHERE "} +
                 queued + " RETURNING " + execution_columns)
                    .c_str()};
    s.bind(node_id, now_ms(), limit);
    int rc;
    while ((rc = s.step()) == SQLITE_ROW)
      out.value.push_back(read_execution(s));
    if (rc != SQLITE_DONE)
      return s.error("claiming queued executions", rc);
    return {};
  });
  return out;
}

outcome<execution_record>
sqlite_store::reopen_execution(const std::string& id,
                               const std::string& node_id) {
  outcome<execution_record> out;
  out.st = transaction([&]() -> status {
    auto known = find_execution(id);
    if (!known)
      return known.st;
    if (!known.value)
      return {errc::not_found, "no execution with id '" + id + "'"};
    auto state = known.value->state;
    if (state != execution_state::failed && state != execution_state::cancelled)
      return {errc::conflict,
              "execution " + id + " is " + to_string(state) +
                  "; only a failed or cancelled one is retried"};
    statement owner{db_.get(),
                    "INSERT INTO execution_owners (execution_id, epoch, "
                    "node_id, previous_node, reason, at_ms) SELECT id, epoch "
                    "+ 1, ?, COALESCE(owner_node, ''), 'retry', ? FROM "
                    "workflow_executions WHERE id = ? ON CONFLICT DO NOTHING"};
    owner.bind(node_id, now_ms(), id);
    if (int rc = owner.step(); rc != SQLITE_DONE)
      return owner.error("reopening execution " + id, rc);
    statement s{db_.get(),
                "UPDATE workflow_executions SET state = 'running', "
                "owner_node = ?, epoch = epoch + 1, error = '', output = '', "
                "updated_at = ? WHERE id = ?"};
    s.bind(node_id, now_ms(), id);
    if (int rc = s.step(); rc != SQLITE_DONE)
      return s.error("reopening execution " + id, rc);
    auto now = find_execution(id);
    out.value = now.value.value_or(execution_record{});
    return now.st;
  });
  return out;
}

status sqlite_store::release_executions(const std::string& node_id,
                                        const std::vector<std::string>& ids) {
  return transaction([&]() -> status {
    for (const auto& id : ids) {
      statement s{db_.get(),
                  "UPDATE workflow_executions SET owner_node = NULL, state = "
                  "CASE WHEN state = 'running' THEN 'pending' ELSE state "
                  "END, updated_at = ? WHERE owner_node = ? AND id = ?"};
      s.bind(now_ms(), node_id, id);
      if (int rc = s.step(); rc != SQLITE_DONE)
        return s.error("releasing execution " + id, rc);
    }
    return {};
  });
}

} // namespace hishamos::persistence::sqlite
