// The admin API's transport: cpp-httplib serving the router's routes.

#include "admin/http_server.hpp"

#include <cctype>
#include <thread>

#include <httplib.h>

#include "admin/router.hpp"
#include "admin/routes.hpp"

namespace hishamos::admin {

namespace {

request request_of(const httplib::Request& in) {
  request out;
  out.method = in.method;
  out.path = in.path;
  for (const auto& [k, v] : in.params)
    out.query.emplace(k, v); // the first of each name
  for (const auto& [k, v] : in.headers) {
    std::string name = k;
    for (auto& c : name)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.headers.emplace(std::move(name), v);
  }
  out.body = in.body;
  out.remote_addr = in.remote_addr;
  return out;
}

void write(const response& in, httplib::Response& out) {
  out.status = in.status;
  for (const auto& [k, v] : in.headers)
    out.set_header(k.c_str(), v);
  out.set_content(in.body, in.content_type.c_str());
}

} // namespace

struct http_server::impl {
  explicit impl(node& n) {
    add_cluster_routes(routes, n);
    add_execution_routes(routes, n);
    add_workflow_routes(routes, n);
    add_agent_routes(routes, n);
    add_cost_routes(routes, n);
    // Every path reaches the router, which answers 404 and 405 itself.
    auto all = [this](const httplib::Request& req, httplib::Response& res) {
      write(routes.dispatch(request_of(req)), res);
    };
    server.Get(".*", all);
    server.Post(".*", all);
    server.Put(".*", all);
    server.Patch(".*", all);
    server.Delete(".*", all);
    server.Options(".*", all);
  }
  router routes;
  httplib::Server server;
  std::thread thread;
};

http_server::http_server(node& n) : impl_(std::make_unique<impl>(n)) {}

http_server::~http_server() { stop(); }

model::result<int> http_server::start(const std::string& host, int port) {
  int bound = port == 0 ? impl_->server.bind_to_any_port(host)
                        : (impl_->server.bind_to_port(host, port) ? port : -1);
  if (bound <= 0)
    return model::problem{
        "", 0, "", "cannot listen on " + host + ":" + std::to_string(port),
        "free the port or set http.listen / HISHAMOS_HTTP_LISTEN"};
  impl_->thread = std::thread{[this] { impl_->server.listen_after_bind(); }};
  return bound;
}

void http_server::stop() {
  if (!impl_->thread.joinable())
    return;
  impl_->server.stop();
  impl_->thread.join();
}

} // namespace hishamos::admin
