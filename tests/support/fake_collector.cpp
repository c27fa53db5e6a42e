#include "tests/support/fake_collector.hpp"

#include <catch2/catch.hpp>

#include "tests/support/wait.hpp"

namespace hishamos::test {

using nlohmann::json;

fake_collector::fake_collector() {
  server_.Post("/v1/traces",
               [this](const httplib::Request& req, httplib::Response& res) {
                 take(req, res);
               });
  port_ = server_.bind_to_any_port("127.0.0.1");
  thread_ = std::thread{[this] { server_.listen_after_bind(); }};
  // Until it listens, stop() would not stop it.
  REQUIRE(wait_until([this] { return server_.is_running(); }));
}

fake_collector::~fake_collector() {
  server_.stop();
  thread_.join();
}

void fake_collector::take(const httplib::Request& req, httplib::Response& res) {
  auto body = json::parse(req.body, nullptr, false);
  std::lock_guard<std::mutex> guard{mx_};
  ++requests_;
  if (body.is_discarded() || !body.contains("resourceSpans") ||
      req.get_header_value("Content-Type") != "application/json") {
    ++malformed_;
    res.status = 400;
    return;
  }
  for (const auto& rs : body["resourceSpans"]) {
    resource_ = json::object();
    for (const auto& a : rs["resource"]["attributes"])
      resource_[a["key"].get<std::string>()] = a["value"]["stringValue"];
    for (const auto& ss : rs["scopeSpans"])
      for (auto s : ss["spans"]) {
        s["node"] = resource_.value("service.instance.id", "");
        spans_.push_back(std::move(s));
      }
  }
  res.set_content("{}", "application/json");
}

std::string fake_collector::url() const {
  return "http://127.0.0.1:" + std::to_string(port_) + "/v1/traces";
}

std::vector<json> fake_collector::spans_of(const std::string& id) {
  std::lock_guard<std::mutex> guard{mx_};
  std::vector<json> out;
  for (const auto& s : spans_)
    if (id.empty() || s["traceId"] == id)
      out.push_back(s);
  return out;
}

int fake_collector::requests() {
  std::lock_guard<std::mutex> guard{mx_};
  return requests_;
}

int fake_collector::malformed() {
  std::lock_guard<std::mutex> guard{mx_};
  return malformed_;
}

json fake_collector::last_resource() {
  std::lock_guard<std::mutex> guard{mx_};
  return resource_;
}

} // namespace hishamos::test
