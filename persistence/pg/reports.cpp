// PostgreSQL: the reports operators read (lists, daily series, cost
// roll-ups), each one query shaped to use the indexes of 0002_indexes.

#include "persistence/ledger_sql.hpp"
#include "persistence/pg/connection.hpp"

namespace hishamos::persistence::pg {

outcome<execution_page>
pg_store::list_executions(const model::execution_query& q) {
  outcome<execution_page> out;
  if (out.st = invalid_if(model::check(q)); !out.st)
    return out;
  out.st = guarded("listing executions", [&]() -> status {
    pqxx::work tx{*conn_};
    std::string where = " WHERE true";
    if (q.state == "quarantined")
      where += std::string{" AND e.state = 'failed' AND e.error LIKE '"} +
               model::quarantined_prefix + "%'";
    else if (!q.state.empty())
      where += " AND e.state = " + tx.quote(q.state);
    if (!q.workflow.empty())
      where += " AND e.workflow_id = " + tx.quote(q.workflow);
    if (!q.department.empty())
      where += " AND e.department = " + tx.quote(q.department);
    if (q.from_ms > 0)
      where += " AND e.created_at >= to_timestamp(" + tx.quote(q.from_ms) +
               " / 1000.0)";
    if (q.to_ms > 0)
      where += " AND e.created_at < to_timestamp(" + tx.quote(q.to_ms) +
               " / 1000.0)";
    out.value.total =
        tx.exec1("SELECT count(*) FROM workflow_executions e" + where)[0]
            .as<std::int64_t>();
    out.value.items = read_executions(tx.exec(
        std::string{"SELECT "} + execution_columns +
        " FROM workflow_executions e" + where +
        " ORDER BY e.created_at DESC, e.id LIMIT " + std::to_string(q.limit) +
        " OFFSET " +
        std::to_string((static_cast<std::int64_t>(q.page) - 1) * q.limit)));
    return {};
  });
  return out;
}

outcome<workflow_page> pg_store::list_workflows(const workflow_query& q) {
  outcome<workflow_page> out;
  if (out.st = invalid_if(model::check(q)); !out.st)
    return out;
  out.st = guarded("listing workflows", [&]() -> status {
    pqxx::work tx{*conn_};
    constexpr const char* filter =
        " WHERE ($1 = '' OR w.status = $1) AND ($2 = '' OR w.department = "
        "$2)";
    out.value.total =
        tx.exec_params1(std::string{"SELECT count(*) FROM workflows w"} +
                            filter,
                        q.status, q.department)[0]
            .as<std::int64_t>();
    // One index-only probe of (workflow_id, state, created_at) per
    // workflow on the page, instead of grouping every execution.
    auto rows = tx.exec_params(
        std::string{"SELECT w.id, w.version, w.status, w.department, s.n, "
                    "COALESCE((extract(epoch FROM s.last) * 1000)::bigint, 0), "
                    "(extract(epoch FROM w.created_at) * 1000)::bigint "
                    "FROM workflows w LEFT JOIN LATERAL (SELECT count(*) AS n, "
                    "max(e.created_at) AS last FROM workflow_executions e "
                    "WHERE e.workflow_id = w.id) s ON true"} +
            filter + " ORDER BY w.created_at DESC, w.id LIMIT $3 OFFSET $4",
        q.status, q.department, q.limit, (q.page - 1) * q.limit);
    for (const auto& r : rows)
      out.value.items.push_back({r[0].c_str(), r[1].as<int>(), r[2].c_str(),
                                 r[3].c_str(), r[4].as<std::int64_t>(),
                                 r[5].as<std::int64_t>(),
                                 r[6].as<std::int64_t>()});
    return {};
  });
  return out;
}

outcome<std::vector<daily_point>>
pg_store::agent_daily_series(const std::string& agent_id,
                             const std::string& from_day,
                             const std::string& to_day) {
  outcome<std::vector<daily_point>> out;
  if (out.st = invalid_if(model::check_day_range(from_day, to_day)); !out.st)
    return out;
  out.st = guarded("reading the daily series of " + agent_id, [&]() -> status {
    pqxx::work tx{*conn_};
    // generate_series supplies the days without results. The range's lines
    // are chosen first, through the (created_at, agent_id, ...) indexes of
    // both tables under ledger_lines: a day's range in the join's
    // condition would not reach them, and the planner would read both
    // tables whole.
    auto rows = tx.exec_params(
        "SELECT to_char(d, 'YYYY-MM-DD'), count(DISTINCT t.execution_id), "
        "count(t.created_at), COALESCE(avg(t.quality_score), 0), "
        "COALESCE(sum(t.cost), 0)::float8, "
        "COALESCE(avg(t.latency_ms), 0)::float8 FROM "
        "generate_series($2::timestamp, $3::timestamp, interval '1 "
        "day') AS d LEFT JOIN (SELECT * FROM ledger_lines WHERE agent_id = $1 "
        "AND created_at >= ($2::timestamp AT TIME ZONE 'UTC') AND created_at "
        "< (($3::timestamp + interval '1 day') AT TIME ZONE 'UTC')) t ON "
        "t.created_at >= (d AT TIME ZONE 'UTC') AND t.created_at < "
        "((d + interval '1 day') AT TIME ZONE 'UTC') GROUP BY d ORDER BY d",
        agent_id, from_day, to_day);
    for (const auto& r : rows)
      out.value.push_back({r[0].c_str(), r[1].as<std::int64_t>(),
                           r[2].as<std::int64_t>(), r[3].as<double>(),
                           r[4].as<double>(), r[5].as<double>()});
    return {};
  });
  return out;
}

outcome<std::vector<model::workflow_stat>>
pg_store::workflow_stats(std::int64_t from_ms, std::int64_t to_ms) {
  outcome<std::vector<model::workflow_stat>> out;
  out.st = guarded("summing executions by workflow", [&]() -> status {
    pqxx::work tx{*conn_};
    auto rows = tx.exec_params(
        "SELECT workflow_id, count(*), count(*) FILTER (WHERE state = "
        "'completed'), count(*) FILTER (WHERE state = 'failed'), count(*) "
        "FILTER (WHERE state = 'cancelled'), count(*) FILTER (WHERE state IN "
        "('pending', 'running', 'paused')), COALESCE(avg(extract(epoch FROM "
        "updated_at - created_at) * 1000) FILTER (WHERE state = "
        "'completed'), 0)::float8 FROM workflow_executions WHERE ($1 = 0 OR "
        "created_at >= to_timestamp($1 / 1000.0)) AND ($2 = 0 OR created_at "
        "< to_timestamp($2 / 1000.0)) GROUP BY workflow_id ORDER BY "
        "workflow_id",
        from_ms, to_ms);
    for (const auto& r : rows)
      out.value.push_back({r[0].c_str(), r[1].as<std::int64_t>(),
                           r[2].as<std::int64_t>(), r[3].as<std::int64_t>(),
                           r[4].as<std::int64_t>(), r[5].as<std::int64_t>(),
                           r[6].as<double>()});
    return {};
  });
  return out;
}

outcome<std::vector<cost_row>> pg_store::cost_rollup(const cost_query& q) {
  outcome<std::vector<cost_row>> out;
  if (out.st = invalid_if(model::check(q)); !out.st)
    return out;
  out.st = guarded("summing the cost ledger", [&]() -> status {
    pqxx::work tx{*conn_};
    sql_dialect d{"to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')",
                  [&](std::int64_t ms) {
                    return "to_timestamp(" + tx.quote(ms) + " / 1000.0)";
                  },
                  [&](const std::string& x) { return tx.quote(x); }};
    for (const auto& r : tx.exec(cost_rollup_sql(q, d)))
      out.value.push_back({r[0].c_str(), r[1].as<std::int64_t>(),
                           r[2].as<std::int64_t>(), r[3].as<std::int64_t>(),
                           r[4].as<std::int64_t>(), r[5].as<double>(),
                           r[6].as<double>(), r[7].as<double>()});
    return {};
  });
  return out;
}

} // namespace hishamos::persistence::pg
