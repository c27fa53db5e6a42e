#pragma once

// Commands for an execution another node owns (cancel, approve) are
// forwarded to that node's admin API, with the caller's credentials and
// request id, and its answer is relayed. A forwarded request is never
// forwarded again (X-HishamOS-Forwarded-By).

#include <optional>
#include <string>

#include "admin/router.hpp"

namespace hishamos {
class node;
} // namespace hishamos

namespace hishamos::admin {

/// The owner's answer to `req`, or nullopt when it cannot be forwarded
/// (the owner is this node, is not live, or the request came forwarded).
/// A live owner that does not answer in time gives a 504 in the error
/// format.
[[nodiscard]] std::optional<response>
forward_to_owner(node& n, const request& req, const std::string& owner);

} // namespace hishamos::admin
