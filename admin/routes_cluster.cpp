// Health, readiness, metrics, and the cluster as this node sees it.

#include "admin/errors.hpp"
#include "admin/json_views.hpp"
#include "admin/routes.hpp"
#include "hishamos/node.hpp"

namespace hishamos::admin {

void add_cluster_routes(router& r, node& n) {
  // 503 once a node-wide actor failed: restart the process.
  r.add("GET", "/health", permission::open, [&n](const request&) {
    if (auto why = n.unhealthy_reason(); !why.empty())
      return error_response(
          {503,
           "unhealthy",
           "node " + n.id() + " is unhealthy: " + why,
           {{"fix", "restart the node; its executions resume from their "
                    "checkpoints"}}});
    return json_response(200, {{"status", "ok"}, {"node", n.id()}});
  });
  // 503 while the node drains or its store does not take writes.
  r.add("GET", "/ready", permission::open, [&n](const request&) {
    auto st = n.ready();
    if (st)
      return json_response(200, {{"status", "ready"}, {"node", n.id()}});
    return error_response(
        {503,
         "not_ready",
         "node " + n.id() + " is not ready: " + st.message,
         {{"fix", "wait; a drain ends in a stop, a store fault when it is "
                  "lifted"}}});
  });
  r.add("GET", "/metrics", permission::read, [&n](const request&) {
    response res;
    res.body = n.metrics_text();
    res.content_type = "text/plain; version=0.0.4";
    return res;
  });
  r.add("GET", "/api/v1/nodes", permission::read, [&n](const request&) {
    auto got = n.cluster();
    if (!got)
      return error_response(error_of(got.st));
    return json_response(200, to_json(got.value));
  });
  r.add("GET", "/api/v1/locks", permission::read, [&n](const request&) {
    return json_response(200, to_json(n.locks()));
  });
}

} // namespace hishamos::admin
