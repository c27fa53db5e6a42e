#include "security/permissions.hpp"

#include <initializer_list>

namespace hishamos::security {

namespace {

constexpr permission all[] = {
    permission::authenticated, permission::read,
    permission::run_execution, permission::approve_budget,
    permission::rate_result,   permission::create_workflow,
    permission::manage_users,  permission::read_audit};

bool in(permission p, std::initializer_list<permission> xs) {
  for (auto x : xs)
    if (x == p)
      return true;
  return false;
}

} // namespace

const char* to_string(permission p) {
  switch (p) {
  case permission::undeclared:
    return "undeclared";
  case permission::open:
    return "open";
  case permission::sign_in:
    return "sign_in";
  case permission::authenticated:
    return "authenticated";
  case permission::read:
    return "read";
  case permission::run_execution:
    return "run_execution";
  case permission::approve_budget:
    return "approve_budget";
  case permission::rate_result:
    return "rate_result";
  case permission::create_workflow:
    return "create_workflow";
  case permission::manage_users:
    return "manage_users";
  case permission::read_audit:
    return "read_audit";
  }
  return "undeclared";
}

bool is_role(const std::string& role) {
  return role == "admin" || role == "operator" || role == "author" ||
         role == "viewer";
}

bool role_permits(const std::string& role, permission p) {
  if (p == permission::undeclared)
    return false;
  if (p == permission::open || p == permission::sign_in)
    return true;
  if (role == "admin")
    return true;
  if (role == "operator")
    return in(p, {permission::authenticated, permission::read,
                  permission::run_execution, permission::approve_budget,
                  permission::rate_result});
  if (role == "author")
    return in(p, {permission::authenticated, permission::read,
                  permission::create_workflow});
  if (role == "viewer")
    return in(p, {permission::authenticated, permission::read});
  return false;
}

std::vector<std::string> permissions_of(const std::string& role) {
  std::vector<std::string> out;
  for (auto p : all)
    if (role_permits(role, p))
      out.emplace_back(to_string(p));
  return out;
}

bool role_covers(const std::string& role, const std::string& granted) {
  if (!is_role(granted))
    return false;
  for (auto p : all)
    if (role_permits(granted, p) && !role_permits(role, p))
      return false;
  return true;
}

} // namespace hishamos::security
