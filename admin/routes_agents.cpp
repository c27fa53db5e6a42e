// Agents: what routing learned of them, their daily series, and people's
// ratings of their results.

#include "admin/audit.hpp"
#include "admin/errors.hpp"
#include "admin/json_views.hpp"
#include "admin/pagination.hpp"
#include "admin/params.hpp"
#include "admin/routes.hpp"
#include "hishamos/node.hpp"

namespace hishamos::admin {

namespace {

// A result id is <execution_id>.<step_id>; nullopt when it is not one.
std::optional<std::pair<std::string, std::string>>
split_result_id(const std::string& id) {
  auto dot = id.find('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 == id.size())
    return std::nullopt;
  return std::pair{id.substr(0, dot), id.substr(dot + 1)};
}

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
  auto parts = split_result_id(id);
  if (!parts)
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
  auto st = n.rate_result(parts->first, parts->second,
                          body.value["score"].get<double>(), req.who.user_id);
  if (!st)
    return error_response(error_of(st, {.not_found = "result_not_found",
                                        .invalid = "invalid_rating",
                                        .invalid_status = 422}));
  audit(n, req, "result.rate",
        {{"result_id", id}, {"score", body.value["score"]}});
  return json_response(200,
                       {{"result_id", id}, {"score", body.value["score"]}});
}

response get_result(node& n, const request& req) {
  auto parts = split_result_id(req.param("id"));
  if (!parts)
    return error_response({400, "invalid_result_id",
                           "a result id is <execution_id>.<step_id>, got '" +
                               bounded(req.param("id")) + "'"});
  auto got = n.result(parts->first, parts->second);
  if (!got)
    return error_response(error_of(got.st));
  if (!got.value)
    return error_response(
        {404, "result_not_found", "no result " + bounded(req.param("id"))});
  return json_response(200, to_json(*got.value));
}

response list_agents(node& n, const request& req) {
  auto page = page_of(req);
  if (!page)
    return error_response(*page.error);
  auto got = n.agents();
  if (!got)
    return error_response(error_of(got.st));
  return json_response(
      200, page_json(got.value, page.value, "agents",
                     [](const agent_view& a) { return to_json(a); }));
}

response get_agent(node& n, const request& req) {
  auto got = n.agents();
  if (!got)
    return error_response(error_of(got.st));
  for (const auto& a : got.value)
    if (a.id == req.param("id"))
      return json_response(200, to_json(a));
  return error_response(
      {404, "agent_not_found",
       "no agent with id '" + bounded(req.param("id")) + "'"});
}

} // namespace

void add_agent_routes(router& r, node& n) {
  r.add(
      "GET", "/api/v1/agents/quality", permission::read, [&n](const request&) {
        return json_response(200, {{"learned", to_json(n.learned_quality())}});
      });
  r.add("GET", "/api/v1/agents", permission::read,
        [&n](const request& req) { return list_agents(n, req); });
  r.add("GET", "/api/v1/agents/{id}", permission::read,
        [&n](const request& req) { return get_agent(n, req); });
  r.add("GET", "/api/v1/results/{id}", permission::read,
        [&n](const request& req) { return get_result(n, req); });
  r.add("GET", "/api/v1/agents/{id}/daily", permission::read,
        [&n](const request& req) { return daily(n, req); });
  r.add("POST", "/api/v1/results/{id}/rating", permission::rate_result,
        [&n](const request& req) { return rate(n, req); });
}

} // namespace hishamos::admin
