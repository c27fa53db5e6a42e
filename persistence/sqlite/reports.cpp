// SQLite: the reports operators read (lists, daily series, cost roll-ups).

#include "persistence/ledger_sql.hpp"
#include "persistence/sqlite/connection.hpp"

namespace hishamos::persistence::sqlite {

outcome<execution_page>
sqlite_store::list_executions(const model::execution_query& q) {
  if (auto st = invalid_if(model::check(q)); !st)
    return {st};
  // ?8: how a quarantined execution's error begins, as a LIKE pattern.
  constexpr const char* where =
      " WHERE (?1 = '' OR state = ?1 OR (?1 = 'quarantined' AND state = "
      "'failed' AND error LIKE ?8)) AND (?2 = '' OR workflow_name = ?2) "
      "AND (?3 = '' OR department = ?3) AND (?4 = 0 OR created_at >= ?4) "
      "AND (?5 = 0 OR created_at < ?5)";
  statement count{
      db_.get(),
      (std::string{"SELECT count(*) FROM workflow_executions"} + where)
          .c_str()};
  const std::string quarantined = std::string{model::quarantined_prefix} + "%";
  count.bind(q.state, q.workflow, q.department, q.from_ms, q.to_ms, 0, 0,
             quarantined);
  if (int rc = count.step(); rc != SQLITE_ROW)
    return {count.error("counting executions", rc)};
  outcome<execution_page> out;
  out.value.total = count.integer(0);
  statement s{db_.get(), (std::string{"SELECT "} + execution_columns +
                          " FROM workflow_executions" + where +
                          " ORDER BY created_at DESC, id LIMIT ?6 OFFSET ?7")
                             .c_str()};
  s.bind(q.state, q.workflow, q.department, q.from_ms, q.to_ms, q.limit,
         (static_cast<std::int64_t>(q.page) - 1) * q.limit, quarantined);
  int rc;
  while ((rc = s.step()) == SQLITE_ROW)
    out.value.items.push_back(read_execution(s));
  if (rc != SQLITE_DONE)
    return {s.error("listing executions", rc)};
  return out;
}

outcome<workflow_page> sqlite_store::list_workflows(const workflow_query& q) {
  if (auto st = invalid_if(model::check(q)); !st)
    return {st};
  constexpr const char* filter =
      " WHERE (?1 = '' OR w.status = ?1) AND (?2 = '' OR w.department = ?2)";
  statement count{
      db_.get(),
      (std::string{"SELECT count(*) FROM workflows w"} + filter).c_str()};
  count.bind(q.status, q.department);
  if (int rc = count.step(); rc != SQLITE_ROW)
    return {count.error("counting workflows", rc)};
  outcome<workflow_page> out;
  out.value.total = count.integer(0);
  statement s{db_.get(),
              (std::string{"SELECT w.id, w.version, w.status, w.department, "
                           "(SELECT count(*) FROM workflow_executions e "
                           "WHERE e.workflow_name = w.id), "
                           "(SELECT COALESCE(max(e.created_at), 0) FROM "
                           "workflow_executions e WHERE e.workflow_name = "
                           "w.id), w.created_at FROM workflows w"} +
               filter + " ORDER BY w.created_at DESC, w.id LIMIT ?3 OFFSET ?4")
                  .c_str()};
  s.bind(q.status, q.department, q.limit, (q.page - 1) * q.limit);
  int rc;
  while ((rc = s.step()) == SQLITE_ROW)
    out.value.items.push_back({s.text(0), static_cast<int>(s.integer(1)),
                               s.text(2), s.text(3), s.integer(4), s.integer(5),
                               s.integer(6)});
  if (rc != SQLITE_DONE)
    return {s.error("listing workflows", rc)};
  return out;
}

outcome<std::vector<daily_point>>
sqlite_store::agent_daily_series(const std::string& agent_id,
                                 const std::string& from_day,
                                 const std::string& to_day) {
  if (auto st = invalid_if(model::check_day_range(from_day, to_day)); !st)
    return {st};
  // A recursive CTE stands in for generate_series. The range's lines are
  // chosen first: a condition of the join would not reach the two tables
  // under ledger_lines, and SQLite would read them whole.
  statement s{db_.get(),
              "WITH RECURSIVE days(d) AS (SELECT date(?2) UNION ALL SELECT "
              "date(d, '+1 day') FROM days WHERE d < date(?3)) "
              "SELECT d, count(DISTINCT t.execution_id), count(t.created_at), "
              "COALESCE(avg(t.quality_score), 0), COALESCE(sum(t.cost), 0), "
              "COALESCE(avg(t.latency_ms), 0) FROM days LEFT JOIN (SELECT * "
              "FROM ledger_lines WHERE agent_id = ?1 AND created_at >= "
              "unixepoch(?2) * 1000 AND created_at < unixepoch(?3, '+1 day') "
              "* 1000) t ON t.created_at >= unixepoch(d) * 1000 AND "
              "t.created_at < unixepoch(d, '+1 day') * 1000 GROUP BY d ORDER "
              "BY d"};
  s.bind(agent_id, from_day, to_day);
  outcome<std::vector<daily_point>> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW)
    out.value.push_back({s.text(0), s.integer(1), s.integer(2), s.real(3),
                         s.real(4), s.real(5)});
  if (rc != SQLITE_DONE)
    return {s.error("reading the daily series of " + agent_id, rc)};
  return out;
}

namespace {

std::string quote_text(const std::string& x) {
  std::string out = "'";
  for (char c : x)
    out += c == '\'' ? std::string{"''"} : std::string{c};
  return out + "'";
}

} // namespace

outcome<std::vector<model::workflow_stat>>
sqlite_store::workflow_stats(std::int64_t from_ms, std::int64_t to_ms) {
  statement s{db_.get(),
              "SELECT workflow_name, count(*), sum(state = 'completed'), "
              "sum(state = 'failed'), sum(state = 'cancelled'), sum(state IN "
              "('pending', 'running', 'paused')), COALESCE(avg(CASE WHEN "
              "state = 'completed' THEN updated_at - created_at END), 0) FROM "
              "workflow_executions WHERE (?1 = 0 OR created_at >= ?1) AND (?2 "
              "= 0 OR created_at < ?2) GROUP BY workflow_name ORDER BY "
              "workflow_name"};
  s.bind(from_ms, to_ms);
  outcome<std::vector<model::workflow_stat>> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW)
    out.value.push_back({s.text(0), s.integer(1), s.integer(2), s.integer(3),
                         s.integer(4), s.integer(5), s.real(6)});
  if (rc != SQLITE_DONE)
    out.st = s.error("summing executions by workflow", rc);
  return out;
}

outcome<std::vector<cost_row>> sqlite_store::cost_rollup(const cost_query& q) {
  if (auto st = invalid_if(model::check(q)); !st)
    return {st};
  sql_dialect d{"strftime('%Y-%m-%d', created_at / 1000, 'unixepoch')",
                [](std::int64_t ms) { return std::to_string(ms); }, quote_text};
  statement s{db_.get(), cost_rollup_sql(q, d).c_str()};
  outcome<std::vector<cost_row>> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW)
    out.value.push_back({s.text(0), s.integer(1), s.integer(2), s.integer(3),
                         s.integer(4), s.real(5), s.real(6), s.real(7)});
  if (rc != SQLITE_DONE)
    return {s.error("summing the cost ledger", rc)};
  return out;
}

} // namespace hishamos::persistence::sqlite
