#include "tests/support/cluster_members.hpp"

#include <catch2/catch.hpp>

#include "tests/support/wait.hpp"

namespace hishamos::test {

std::unique_ptr<httplib::Client> member::client() const {
  auto c = std::make_unique<httplib::Client>(host, http);
  c->set_default_headers({{"X-API-Key", api_key}});
  return c;
}

nlohmann::json member::nodes() const {
  auto res = client()->Get("/api/v1/nodes");
  return res && res->status == 200 ? nlohmann::json::parse(res->body)
                                   : nlohmann::json{};
}

std::vector<member> three(const std::vector<std::vector<std::string>>& agents) {
  std::vector<member> out(3);
  for (size_t i = 0; i < 3; ++i) {
    out[i].id = "n" + std::to_string(i + 1);
    out[i].agents = agents[i];
  }
  return out;
}

void start(node_cluster& c, member& m, node_spec spec) {
  m.api_key = c.api_key;
  spec.lease_ms = cluster_lease_ms;
  spec.peer_port = m.peer;
  spec.agents = m.agents;
  m.process = c.start(m.id, m.http, std::move(spec));
}

bool sees(const member& m, const std::vector<member>& all) {
  auto view = m.nodes();
  if (!view.contains("nodes"))
    return false;
  for (const auto& other : all) {
    bool found = false;
    for (const auto& n : view["nodes"])
      if (n["id"] == other.id && n["connected"] == true &&
          n["lease"] == "live" && n["agents"].size() == other.agents.size())
        found = true;
    if (!found)
      return false;
  }
  return true;
}

void wait_for_mesh(const std::vector<member>& all) {
  for (const auto& m : all) {
    INFO("node " << m.id << " sees " << m.nodes().dump());
    REQUIRE(wait_until([&] { return sees(m, all); }, std::chrono::seconds{15}));
  }
}

} // namespace hishamos::test
