// What operators do to an execution: cancel it, approve a paused one's
// spending, retry a failed one. Cancel and approve act on the node that
// runs the execution: another node forwards them there.

#include "admin/audit.hpp"
#include "admin/errors.hpp"
#include "admin/forwarding.hpp"
#include "admin/json_views.hpp"
#include "admin/params.hpp"
#include "admin/routes.hpp"
#include "hishamos/node.hpp"

namespace hishamos::admin {

namespace {

// An execution that does not run here: forwarded to its live owner, or
// 404, or 409 naming its state and owner.
response elsewhere(node& n, const request& req, const std::string& code,
                   const std::string& fix) {
  const auto& id = req.param("id");
  auto x = n.execution(id);
  if (!x)
    return error_response(error_of(x.st));
  if (!x.value)
    return error_response({404, "execution_not_found",
                           "no execution with id '" + bounded(id) + "'"});
  const auto& state = x.value->state;
  if (state == "running" || state == "paused")
    if (auto answer = forward_to_owner(n, req, x.value->owner_node))
      return *answer;
  return error_response(
      {409,
       code,
       "execution " + id + " is " + state +
           (x.value->owner_node.empty() ? std::string{}
                                        : " on node " + x.value->owner_node),
       {{"fix", fix}}});
}

// POST /api/v1/executions/{id}/cancel
response cancel(node& n, const request& req) {
  const auto& id = req.param("id");
  if (!n.cancel(id))
    return elsewhere(n, req, "not_running",
                     "only a running execution can be cancelled");
  audit(n, req, "execution.cancel", {{"execution_id", id}});
  return json_response(202, {{"execution_id", id}, {"state", "cancelling"}});
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
    return elsewhere(n, req, "not_here", "only a paused execution is approved");
  if (!got)
    return error_response(error_of(got.st, {.invalid = "invalid_amount",
                                            .invalid_status = 422,
                                            .conflict = "not_paused"}));
  audit(n, req, "execution.budget_approve",
        {{"execution_id", id},
         {"extra_usd", extra},
         {"approved_until", got.value}});
  return json_response(200, {{"execution_id", id},
                             {"state", "running"},
                             {"approved_until_usd", got.value}});
}

// POST /api/v1/executions/{id}/retry: a failed or cancelled execution runs
// again here, from its checkpoints.
response retry(node& n, const request& req) {
  const auto& id = req.param("id");
  auto got = n.retry(id);
  if (!got)
    return error_response(error_of(got.st, {.not_found = "execution_not_found",
                                            .conflict = "not_retryable"}));
  audit(n, req, "execution.retry", {{"execution_id", id}});
  return json_response(202, to_json(got.value));
}

} // namespace

void add_execution_action_routes(router& r, node& n) {
  r.add("POST", "/api/v1/executions/{id}/cancel", permission::run_execution,
        [&n](const request& req) { return cancel(n, req); });
  r.add("POST", "/api/v1/executions/{id}/approve", permission::approve_budget,
        [&n](const request& req) { return approve(n, req); });
  r.add("POST", "/api/v1/executions/{id}/retry", permission::run_execution,
        [&n](const request& req) { return retry(n, req); });
}

} // namespace hishamos::admin
