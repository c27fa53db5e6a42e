#pragma once

// The admin API's routes, by area; each function adds its area's routes
// to the router (docs/api.md describes them).

#include "admin/router.hpp"

namespace hishamos {
class node;
} // namespace hishamos

namespace hishamos::admin {

struct server_core;

/// /api/v1/auth/... (login, refresh, logout, me, 2FA, first setup),
/// /api/v1/users and /api/v1/api-keys.
void add_auth_routes(router& r, server_core& core);
/// GET /api/v1/audit and /api/v1/audit/verify.
void add_audit_routes(router& r, server_core& core);

/// /health, /ready, /metrics, /api/v1/nodes, /api/v1/locks.
void add_cluster_routes(router& r, node& n);
/// POST /api/v1/workflows/{name}/execute, /api/v1/executions...
void add_execution_routes(router& r, node& n);
/// POST /api/v1/executions/{id}/cancel, .../approve, .../retry.
void add_execution_action_routes(router& r, node& n);
/// /api/v1/workflows... (create, versions, activate, archive) and
/// /api/v1/templates...
void add_workflow_routes(router& r, node& n);
/// /api/v1/agents/..., /api/v1/results/{id}, POST .../rating.
void add_agent_routes(router& r, node& n);
/// GET /api/v1/costs, GET /api/v1/budgets, /api/v1/analytics/...
void add_cost_routes(router& r, node& n);
/// /api/openapi.json and .yaml, Swagger UI at /api/docs, ReDoc at
/// /api/redoc (and the files those pages load).
void add_docs_routes(router& r);
/// The admin console: GET / and the files it loads (/console/...).
void add_console_routes(router& r);

} // namespace hishamos::admin
