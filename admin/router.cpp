#include "admin/router.hpp"

#include <optional>
#include <set>

#include "admin/errors.hpp"

namespace hishamos::admin {

namespace {

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> out;
  size_t pos = 1;
  while (pos <= path.size()) {
    auto end = path.find('/', pos);
    if (end == std::string::npos)
      end = path.size();
    out.push_back(path.substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}

// The path parameters a pattern binds, or nullopt when it does not match.
std::optional<std::map<std::string, std::string>>
match_route(const std::vector<std::string>& pattern,
            const std::vector<std::string>& segments) {
  if (pattern.size() != segments.size())
    return std::nullopt;
  std::map<std::string, std::string> bound;
  for (size_t i = 0; i < pattern.size(); ++i) {
    const auto& p = pattern[i];
    if (p.size() > 2 && p.front() == '{' && p.back() == '}') {
      if (segments[i].empty())
        return std::nullopt;
      bound[p.substr(1, p.size() - 2)] = segments[i];
    } else if (p != segments[i]) {
      return std::nullopt;
    }
  }
  return bound;
}

} // namespace

const std::string& request::param(const std::string& name) const {
  static const std::string none;
  auto it = params.find(name);
  return it == params.end() ? none : it->second;
}

bool request::has_query(const std::string& name) const {
  return query.count(name) > 0;
}

std::string request::query_value(const std::string& name) const {
  auto it = query.find(name);
  return it == query.end() ? std::string{} : it->second;
}

void router::add(const std::string& method, const std::string& pattern,
                 permission needs, handler h) {
  routes_.push_back(
      {method, pattern, split_path(pattern), needs, std::move(h)});
}

std::optional<router::route_info> router::match(const request& req) const {
  auto segments = req.segments.empty() ? split_path(req.path) : req.segments;
  for (const auto& r : routes_)
    if (r.method == req.method && match_route(r.segments, segments))
      return route_info{r.pattern, r.needs};
  return std::nullopt;
}

std::vector<std::pair<std::string, permission>> router::permissions() const {
  std::vector<std::pair<std::string, permission>> out;
  for (const auto& r : routes_)
    out.emplace_back(r.method + " " + r.pattern, r.needs);
  return out;
}

std::vector<std::string> router::table() const {
  std::vector<std::string> out;
  for (const auto& r : routes_)
    out.push_back(r.method + " " + r.pattern);
  return out;
}

response router::dispatch(request req) const {
  auto segments = req.segments.empty() ? split_path(req.path) : req.segments;
  std::set<std::string> allowed;
  for (const auto& r : routes_) {
    auto params = match_route(r.segments, segments);
    if (!params)
      continue;
    if (r.method != req.method) {
      allowed.insert(r.method);
      continue;
    }
    req.params = std::move(*params);
    return r.h(req);
  }
  if (allowed.empty())
    return error_response(
        {404,
         "not_found",
         "no route for " + bounded(req.method, 16) + " " +
             bounded(req.path, 200),
         {{"fix", "GET /api/openapi.json lists the routes"}}});
  std::string allow;
  for (const auto& m : allowed)
    allow += (allow.empty() ? "" : ", ") + m;
  auto res = error_response(
      {405,
       "method_not_allowed",
       bounded(req.method, 16) + " is not allowed on " + bounded(req.path, 200),
       {{"allow", allow}}});
  res.headers["Allow"] = allow;
  return res;
}

} // namespace hishamos::admin
