// The audit log for admins: filtered and paged, and the verdict of its
// hash chain.

#include "admin/errors.hpp"
#include "admin/internal/server_core.hpp"
#include "admin/pagination.hpp"
#include "admin/params.hpp"
#include "admin/routes.hpp"

namespace hishamos::admin {

namespace {

using nlohmann::json;

response store_failure(const persistence::status& st) {
  if (st.code == persistence::errc::unavailable)
    return error_response(
        {503,
         "store_unavailable",
         "the store cannot be reached",
         {{"fix", "retry later; /ready says when it is back"}}});
  return error_response({500, "store_error", bounded(st.message, 300)});
}

json row_json(const persistence::audit_row& r) {
  auto details = json::parse(r.event.details, nullptr, false);
  return {{"id", r.id},
          {"user_id", r.event.user_id},
          {"action", r.event.action},
          {"details", details.is_discarded() ? json::object() : details},
          {"created_at_ms", r.event.created_at_ms},
          {"hash", r.hash}};
}

// GET /api/v1/audit?user_id=&action=&from=YYYY-MM-DD&to=...&page=&limit=
response list(server_core& core, const request& req) {
  auto page = page_of(req);
  auto from = day_query(req, "from", false);
  auto to = day_query(req, "to", true);
  for (const auto* bad : {&page.error, &from.error, &to.error})
    if (*bad)
      return error_response(**bad);
  persistence::audit_query q;
  q.user_id = bounded(req.query_value("user_id"), 64);
  q.action = bounded(req.query_value("action"), 64);
  q.from_ms = from.value;
  q.to_ms = to.value;
  q.page = page.value.page;
  q.limit = page.value.limit;
  auto got = core.auth_pool.with(
      "list_audit", [&](persistence::store& db) { return db.list_audit(q); });
  if (!got)
    return store_failure(got.st);
  auto rows = json::array();
  for (const auto& r : got.value.rows)
    rows.push_back(row_json(r));
  return json_response(200, {{"events", rows},
                             {"page", q.page},
                             {"limit", q.limit},
                             {"total", got.value.total}});
}

// GET /api/v1/audit/verify: walks the whole chain.
response verify(server_core& core) {
  persistence::audit_check check;
  auto st = core.auth_pool.with("verify_audit", [&](persistence::store& db) {
    persistence::status read;
    check = persistence::verify_audit_chain(db, read);
    return read;
  });
  if (!st)
    return store_failure(st);
  return json_response(200, {{"ok", check.ok},
                             {"rows", check.rows},
                             {"first_bad_id", check.first_bad_id},
                             {"problem", check.problem}});
}

} // namespace

void add_audit_routes(router& r, server_core& core) {
  r.add("GET", "/api/v1/audit", permission::read_audit,
        [&core](const request& req) { return list(core, req); });
  r.add("GET", "/api/v1/audit/verify", permission::read_audit,
        [&core](const request&) { return verify(core); });
}

} // namespace hishamos::admin
