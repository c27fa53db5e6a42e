// Agents: what routing learned of them, their daily series, and people's
// ratings of their results.

#include "admin/errors.hpp"
#include "admin/json_views.hpp"
#include "admin/params.hpp"
#include "admin/routes.hpp"
#include "hishamos/node.hpp"

namespace hishamos::admin {

namespace {

// GET /api/v1/agents/{id}/daily?from=YYYY-MM-DD&to=YYYY-MM-DD, both
// included (UTC days).
response daily(node& n, const request& req) {
  const auto& agent = req.param("id");
  if (!req.has_query("from") || !req.has_query("to"))
    return error_response(
        {400, "invalid_query",
         "from and to are required, e.g. ?from=2026-11-01&to=2026-11-30"});
  auto got = n.agent_daily_series(agent, req.query_value("from"),
                                  req.query_value("to"));
  if (!got)
    return error_response(error_of(got.st, {.invalid = "invalid_query"}));
  auto days = json::array();
  for (const auto& d : got.value)
    days.push_back(to_json(d));
  return json_response(200, {{"agent_id", agent}, {"days", days}});
}

// POST /api/v1/results/{execution_id}.{step_id}/rating {"score": 0..1}: a
// result is named by its execution and step (the execution's API lists
// each step's result_id).
response rate(node& n, const request& req) {
  const auto& id = req.param("id");
  auto dot = id.find('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 == id.size())
    return error_response(
        {400,
         "invalid_result_id",
         "a result id is <execution_id>.<step_id>, got '" + bounded(id) + "'",
         {{"fix", "take result_id from GET /api/v1/executions/{id}"}}});
  auto body = json_body(req, "{\"score\": 0.8}");
  if (body &&
      (!body.value.contains("score") || !body.value["score"].is_number()))
    body.error = api_error{400, "invalid_json",
                           "the body must be a JSON object like "
                           "{\"score\": 0.8}"};
  if (!body)
    return error_response(*body.error);
  auto st = n.rate_result(id.substr(0, dot), id.substr(dot + 1),
                          body.value["score"].get<double>());
  if (!st)
    return error_response(error_of(st, {.not_found = "result_not_found",
                                        .invalid = "invalid_rating",
                                        .invalid_status = 422}));
  n.audit("result.rate", {{"result_id", id},
                          {"score", body.value["score"]},
                          {"from", req.remote_addr}});
  return json_response(200,
                       {{"result_id", id}, {"score", body.value["score"]}});
}

} // namespace

void add_agent_routes(router& r, node& n) {
  r.add("GET", "/api/v1/agents/quality", [&n](const request&) {
    return json_response(200, {{"learned", to_json(n.learned_quality())}});
  });
  r.add("GET", "/api/v1/agents/{id}/daily",
        [&n](const request& req) { return daily(n, req); });
  r.add("POST", "/api/v1/results/{id}/rating",
        [&n](const request& req) { return rate(n, req); });
}

} // namespace hishamos::admin
