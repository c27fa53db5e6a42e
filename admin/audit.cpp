#include "admin/audit.hpp"

#include <spdlog/spdlog.h>

#include "hishamos/node.hpp"

namespace hishamos::admin {

void audit(node& n, const request& req, const std::string& action,
           nlohmann::json details) {
  details["client"] = req.remote_addr;
  details["request_id"] = req.request_id;
  if (!req.who.username.empty())
    details["username"] = req.who.username;
  if (!req.who.api_key_id.empty())
    details["api_key_id"] = req.who.api_key_id;
  // The request's own record was committed before its handler ran; this
  // one says what it did. Its loss is logged, not hidden.
  if (auto st = n.audit(action, details, req.who.user_id); !st)
    spdlog::error("audit event {} of request {} was not stored: {}", action,
                  req.request_id, st.message);
}

} // namespace hishamos::admin
