#include "admin/forwarding.hpp"

#include <httplib.h>

#include "admin/errors.hpp"
#include "hishamos/node.hpp"

namespace hishamos::admin {

namespace {

constexpr const char* forwarded_header = "x-hishamos-forwarded-by";

// Headers that carry who asks (and which request this is) go along.
httplib::Headers forwarded_headers(const request& req, const std::string& me) {
  httplib::Headers out;
  for (const char* name :
       {"authorization", "x-api-key", "x-request-id", "content-type"})
    if (auto it = req.headers.find(name); it != req.headers.end())
      out.emplace(name, it->second);
  out.emplace(forwarded_header, me);
  // The owner's work is a child of this node's span of the request.
  if (!req.trace.empty())
    out.emplace("traceparent", req.trace.traceparent());
  return out;
}

std::string with_query(const request& req) {
  std::string out = req.path;
  char sep = '?';
  for (const auto& [k, v] : req.query) {
    out += sep + httplib::detail::encode_query_param(k) + "=" +
           httplib::detail::encode_query_param(v);
    sep = '&';
  }
  return out;
}

} // namespace

std::optional<response> forward_to_owner(node& n, const request& req,
                                         const std::string& owner) {
  if (owner.empty() || owner == n.id() || req.headers.count(forwarded_header))
    return std::nullopt;
  auto cluster = n.cluster();
  if (!cluster)
    return std::nullopt;
  std::string address;
  for (const auto& x : cluster.value.nodes)
    if (x.id == owner && x.lease_live)
      address = x.http_address;
  auto colon = address.rfind(':');
  if (address.empty() || colon == std::string::npos)
    return std::nullopt;
  httplib::Client client{address.substr(0, colon),
                         std::stoi(address.substr(colon + 1))};
  client.set_connection_timeout(2);
  client.set_read_timeout(10);
  auto headers = forwarded_headers(req, n.id());
  auto path = with_query(req);
  auto got = req.method == "POST" ? client.Post(path.c_str(), headers, req.body,
                                                "application/json")
                                  : client.Get(path.c_str(), headers);
  if (!got)
    return error_response(
        {504,
         "owner_unreachable",
         "node " + owner + " owns the execution but did not answer at " +
             address,
         {{"fix", "retry; if the node is gone, another takes the execution "
                  "over within its lease"}}});
  response res;
  res.status = got->status;
  res.body = got->body;
  res.content_type = got->get_header_value("Content-Type");
  res.headers["X-HishamOS-Answered-By"] = owner;
  return res;
}

} // namespace hishamos::admin
