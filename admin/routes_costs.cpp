// The cost ledger and the budgets that act on it.

#include "admin/errors.hpp"
#include "admin/json_views.hpp"
#include "admin/params.hpp"
#include "admin/routes.hpp"
#include "hishamos/node.hpp"

namespace hishamos::admin {

namespace {

// GET /api/v1/costs?by=step|execution|agent|workflow|department|day
// &from=YYYY-MM-DD&to=YYYY-MM-DD (UTC days, both included)
// &execution_id=&workflow=&limit=1..1000
response costs(node& n, const request& req) {
  model::cost_query q;
  auto by = req.has_query("by") ? req.query_value("by") : "day";
  auto grouping = model::parse_cost_grouping(by);
  if (!grouping)
    return error_response({400, "invalid_query",
                           "by must be step, execution, agent, workflow, "
                           "department or day (got '" +
                               bounded(by) + "')"});
  q.by = *grouping;
  auto from = day_query(req, "from", false);
  auto to = day_query(req, "to", true);
  auto limit = int_query(req, "limit", 100, 1, 1000);
  if (!from || !to || !limit)
    return error_response(!from ? *from.error : !to ? *to.error : *limit.error);
  q.from_ms = from.value;
  q.to_ms = to.value;
  q.limit = limit.value;
  q.execution_id = req.query_value("execution_id");
  q.workflow = req.query_value("workflow");
  auto got = n.costs(q);
  if (got.st.code == errc::invalid)
    return error_response({400,
                           "invalid_query",
                           got.st.message,
                           {{"fix", "to is not before from"}}});
  if (!got)
    return error_response(error_of(got.st));
  auto rows = json::array();
  for (const auto& r : got.value)
    rows.push_back(to_json(r));
  return json_response(200, {{"by", by}, {"rows", rows}});
}

// GET /api/v1/analytics/workflows?from=&to=: executions per workflow by
// state, and how long the completed ones took.
response workflow_analytics(node& n, const request& req) {
  auto from = day_query(req, "from", false);
  auto to = day_query(req, "to", true);
  if (!from || !to)
    return error_response(!from ? *from.error : *to.error);
  if (to.value > 0 && to.value < from.value)
    return error_response({400, "invalid_query", "to is before from"});
  auto got = n.workflow_stats(from.value, to.value);
  if (!got)
    return error_response(error_of(got.st));
  auto rows = json::array();
  for (const auto& s : got.value)
    rows.push_back({{"workflow", s.workflow},
                    {"executions", s.executions},
                    {"completed", s.completed},
                    {"failed", s.failed},
                    {"cancelled", s.cancelled},
                    {"unfinished", s.unfinished},
                    {"avg_duration_ms", s.avg_duration_ms}});
  return json_response(200, {{"workflows", rows}});
}

} // namespace

void add_cost_routes(router& r, node& n) {
  r.add("GET", "/api/v1/analytics/workflows", permission::read,
        [&n](const request& req) { return workflow_analytics(n, req); });
  r.add("GET", "/api/v1/analytics/costs", permission::read,
        [&n](const request& req) { return costs(n, req); });
  r.add("GET", "/api/v1/costs", permission::read,
        [&n](const request& req) { return costs(n, req); });
  r.add("GET", "/api/v1/budgets", permission::read, [&n](const request&) {
    auto got = n.budgets();
    if (!got)
      return error_response(error_of(got.st));
    return json_response(200, to_json(got.value));
  });
}

} // namespace hishamos::admin
