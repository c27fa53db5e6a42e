// The workflows the cluster knows.

#include "admin/errors.hpp"
#include "admin/json_views.hpp"
#include "admin/params.hpp"
#include "admin/routes.hpp"
#include "hishamos/node.hpp"

namespace hishamos::admin {

namespace {

// GET /api/v1/workflows?page=&limit=&status=&department=
response list_workflows(node& n, const request& req) {
  model::workflow_query q;
  q.status = req.query_value("status");
  q.department = req.query_value("department");
  auto page = int_query(req, "page", 1, 1, 1000000);
  auto limit = int_query(req, "limit", 20, 1, 100);
  for (const auto* p : {&page, &limit})
    if (!*p)
      return error_response(*p->error);
  q.page = page.value;
  q.limit = limit.value;
  auto got = n.workflows(q);
  if (!got)
    return error_response(error_of(got.st, {.invalid = "invalid_query"}));
  auto cat = n.catalog();
  auto out = json::array();
  for (const auto& w : got.value.items) {
    // Catalog details when this node knows the workflow; statistics always.
    auto wf = cat->find_workflow(w.name);
    out.push_back(to_json(w, wf ? summary_json(*wf) : json::object()));
  }
  return json_response(200, {{"workflows", out},
                             {"page", q.page},
                             {"limit", q.limit},
                             {"total", got.value.total}});
}

} // namespace

void add_workflow_routes(router& r, node& n) {
  r.add("GET", "/api/v1/workflows",
        [&n](const request& req) { return list_workflows(n, req); });
}

} // namespace hishamos::admin
