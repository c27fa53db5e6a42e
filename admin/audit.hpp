#pragma once

// Audit events of the API: who (user and credential), from where (client
// address), which request, and what.

#include <string>

#include <nlohmann/json.hpp>

#include "admin/router.hpp"

namespace hishamos {
class node;
} // namespace hishamos

namespace hishamos::admin {

/// Records `action` with `details` plus the request's user, credential,
/// client address and request id.
void audit(node& n, const request& req, const std::string& action,
           nlohmann::json details = nlohmann::json::object());

} // namespace hishamos::admin
