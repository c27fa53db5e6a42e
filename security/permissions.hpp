#pragma once

// Roles and what each may do. Every API route declares the one permission
// it needs; a route that declares none (`undeclared`) is refused to all.

#include <string>
#include <vector>

namespace hishamos::security {

enum class permission {
  undeclared,      ///< A route that forgot to say: refused to everyone.
  open,            ///< /health and /ready only: no credential at all.
  sign_in,         ///< Login, refresh, first setup: the body is the credential.
  authenticated,   ///< Any signed-in person or key: their own session.
  read,            ///< Executions, workflows, agents, costs, cluster, docs.
  run_execution,   ///< Start, cancel and retry executions.
  approve_budget,  ///< Let a paused execution spend more.
  rate_result,     ///< Rate a result (one rating per person and result).
  create_workflow, ///< Create, version, activate, archive workflows.
  manage_users,    ///< Users, their roles and anyone's API keys.
  read_audit,      ///< The audit log.
};

[[nodiscard]] const char* to_string(permission p);

/// admin (everything), operator (read, run, approve, rate), author (read,
/// workflows), viewer (read).
[[nodiscard]] bool is_role(const std::string& role);
[[nodiscard]] bool role_permits(const std::string& role, permission p);
/// The names of what `role` may do (authenticated, read, ...), so that a
/// client such as the console shows only what the API will let it do.
[[nodiscard]] std::vector<std::string> permissions_of(const std::string& role);
/// Whether `role` may hand out `granted` (an API key's role): only roles
/// whose permissions it has all of.
[[nodiscard]] bool role_covers(const std::string& role,
                               const std::string& granted);

} // namespace hishamos::security
