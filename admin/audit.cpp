#include "admin/audit.hpp"

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
  n.audit(action, details, req.who.user_id);
}

} // namespace hishamos::admin
