// Starting executions and following, cancelling and approving them.

#include "admin/errors.hpp"
#include "admin/json_views.hpp"
#include "admin/params.hpp"
#include "admin/routes.hpp"
#include "hishamos/node.hpp"
#include "model/validation.hpp"

namespace hishamos::admin {

namespace {

json problems_json(const model::problems& xs) {
  auto out = json::array();
  for (const auto& p : xs)
    out.push_back({{"message", p.message}, {"fix", p.fix}});
  return out;
}

api_error no_execution(const std::string& id) {
  return {404, "execution_not_found",
          "no execution with id '" + bounded(id) + "'"};
}

// POST /api/v1/workflows/{name}/execute {"input": {...}}
response execute(node& n, const request& req) {
  const auto& name = req.param("name");
  auto wf = n.catalog()->find_workflow(name);
  if (!wf)
    return error_response({404,
                           "workflow_not_found",
                           "no workflow named '" + bounded(name) + "'",
                           {{"fix", "GET /api/v1/workflows lists the names"}}});
  auto body = json_body(req, "{\"input\": {...}}");
  if (!body)
    return error_response(*body.error);
  auto input = body.value.value("input", json::object());
  if (auto checked = model::validate_inputs(*wf, input); !checked)
    return error_response({422,
                           "invalid_input",
                           "the input does not fit workflow '" + name + "'",
                           {{"problems", problems_json(checked.errors())}}});
  // No store ping here: submit reports a store that cannot write.
  if (!n.accepting())
    return error_response(
        {503, "not_ready", "node " + n.id() + " is not accepting work"});
  auto id = n.submit(name, input);
  if (!id)
    return error_response(
        {503, "store_unavailable", model::to_string(id.errors())});
  n.audit(
      "execution.start",
      {{"execution_id", *id}, {"workflow", name}, {"from", req.remote_addr}});
  // A node at node.max_executions stores it `pending` for a node with room.
  std::string state = "running";
  if (auto x = n.execution(*id); x && x.value)
    state = x.value->state;
  auto res =
      json_response(202, {{"execution_id", *id},
                          {"state", state},
                          {"links", {{"self", "/api/v1/executions/" + *id}}}});
  res.headers["Location"] = "/api/v1/executions/" + *id;
  return res;
}

// GET /api/v1/executions?limit=1..100
response list_executions(node& n, const request& req) {
  auto limit = int_query(req, "limit", 20, 1, 100, "invalid_limit");
  if (!limit)
    return error_response(*limit.error);
  auto got = n.executions(limit.value);
  if (!got)
    return error_response(error_of(got.st));
  auto out = json::array();
  for (const auto& x : got.value)
    out.push_back(to_json(x, false));
  return json_response(200, {{"executions", out}});
}

// GET /api/v1/executions/{id}: with its steps and its cost.
response get_execution(node& n, const request& req) {
  auto x = n.execution(req.param("id"));
  if (!x)
    return error_response(error_of(x.st));
  if (!x.value)
    return error_response(no_execution(req.param("id")));
  auto out = to_json(*x.value, true);
  model::cost_query q;
  q.by = model::cost_grouping::execution;
  q.execution_id = x.value->id;
  if (auto c = n.costs(q); c && !c.value.empty())
    out["cost"] = to_json(c.value.front());
  return json_response(200, out);
}

// Why an execution does not run here: 404, or 409 naming its state and
// owner.
response not_here(node& n, const std::string& id, const std::string& code,
                  const std::string& fix) {
  auto x = n.execution(id);
  if (!x)
    return error_response(error_of(x.st));
  if (!x.value)
    return error_response(no_execution(id));
  return error_response(
      {409,
       code,
       "execution " + id + " is " + x.value->state +
           (x.value->owner_node.empty() ? std::string{}
                                        : " on node " + x.value->owner_node),
       {{"fix", fix}}});
}

// POST /api/v1/executions/{id}/cancel
response cancel(node& n, const request& req) {
  const auto& id = req.param("id");
  if (n.cancel(id)) {
    n.audit("execution.cancel",
            {{"execution_id", id}, {"from", req.remote_addr}});
    return json_response(202, {{"execution_id", id}, {"state", "cancelling"}});
  }
  return not_here(n, id, "not_running",
                  "only a running execution can be cancelled, on the node "
                  "that owns it");
}

// POST /api/v1/executions/{id}/approve [{"extra_usd": N}]: a person lets
// an execution a budget paused spend N USD more (default: that budget's
// limit).
response approve(node& n, const request& req) {
  const auto& id = req.param("id");
  auto body = json_body(req, "{\"extra_usd\": 2.5}");
  if (body && body.value.contains("extra_usd") &&
      !body.value["extra_usd"].is_number())
    body.error = api_error{400, "invalid_json",
                           "the body must be empty or a JSON object like "
                           "{\"extra_usd\": 2.5}"};
  if (!body)
    return error_response(*body.error);
  double extra = body.value.value("extra_usd", 0.0);
  auto got = n.approve_budget(id, extra);
  if (got.st.code == errc::not_found)
    return not_here(n, id, "not_here",
                    "approve it through the node that owns it");
  if (!got)
    return error_response(error_of(got.st, {.invalid = "invalid_amount",
                                            .invalid_status = 422,
                                            .conflict = "not_paused"}));
  n.audit("execution.budget_approve", {{"execution_id", id},
                                       {"extra_usd", extra},
                                       {"approved_until", got.value},
                                       {"from", req.remote_addr}});
  return json_response(200, {{"execution_id", id},
                             {"state", "running"},
                             {"approved_until_usd", got.value}});
}

} // namespace

void add_execution_routes(router& r, node& n) {
  r.add("POST", "/api/v1/workflows/{name}/execute",
        [&n](const request& req) { return execute(n, req); });
  r.add("GET", "/api/v1/executions",
        [&n](const request& req) { return list_executions(n, req); });
  r.add("GET", "/api/v1/executions/{id}",
        [&n](const request& req) { return get_execution(n, req); });
  r.add("POST", "/api/v1/executions/{id}/cancel",
        [&n](const request& req) { return cancel(n, req); });
  r.add("POST", "/api/v1/executions/{id}/approve",
        [&n](const request& req) { return approve(n, req); });
}

} // namespace hishamos::admin
