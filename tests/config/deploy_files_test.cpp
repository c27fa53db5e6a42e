// The deployment files, checked statically (no container runtime runs
// here): the Dockerfile's stages, user, health check and runtime packages
// (every library the binary needs), the compose file's services and their
// hardening, the node configs (parsed by the node's own parser) and the
// Prometheus config (promtool check config).

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "config/node_config.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

using namespace hishamos;

namespace {

const std::string source = HISHAMOS_SOURCE_DIR;

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in{text};
  for (std::string line; std::getline(in, line);)
    out.push_back(line);
  return out;
}

// The Dockerfile's last stage (from its last FROM on), continuation lines
// joined.
std::string runtime_stage(const std::string& dockerfile) {
  auto at = dockerfile.rfind("\nFROM ");
  REQUIRE(at != std::string::npos);
  return std::regex_replace(dockerfile.substr(at), std::regex{"\\\\\n"}, " ");
}

// The Debian packages of the libraries `binary` names as NEEDED.
std::set<std::string> packages_needed_by(const std::string& binary) {
  auto dynamic = test::run_process({"readelf", "-d", binary});
  REQUIRE(dynamic.exit_code == 0);
  std::set<std::string> out;
  std::regex needed{R"(\(NEEDED\)\s+Shared library: \[([^\]]+)\])"};
  for (std::sregex_iterator it{dynamic.out.begin(), dynamic.out.end(), needed},
       end;
       it != end; ++it) {
    auto found = test::run_process(
        {"sh", "-c",
         "dpkg -S \"$(readlink -f \"$(ldconfig -p | awk '$1 == \"" +
             (*it)[1].str() + "\" {print $NF; exit}')\")\" | cut -d: -f1"});
    INFO((*it)[1].str() << ": " << found.err);
    REQUIRE(found.exit_code == 0);
    out.insert(found.out.substr(0, found.out.find('\n')));
  }
  return out;
}

// `n` with YAML merge keys (`<<: *anchor`, which compose reads and
// yaml-cpp does not) applied, throughout.
YAML::Node merged(const YAML::Node& n) {
  if (n.IsSequence()) {
    YAML::Node out{YAML::NodeType::Sequence};
    for (const auto& x : n)
      out.push_back(merged(x));
    return out;
  }
  if (!n.IsMap())
    return n;
  YAML::Node out{YAML::NodeType::Map};
  if (auto base = n["<<"])
    for (const auto& kv : merged(base))
      out[kv.first.as<std::string>()] = kv.second;
  for (const auto& kv : n)
    if (kv.first.as<std::string>() != "<<")
      out[kv.first.as<std::string>()] = merged(kv.second);
  return out;
}

} // namespace

TEST_CASE("the Dockerfile builds in one stage and runs the node in a slim "
          "one, unprivileged, with a health check and every library the "
          "binary needs",
          "[unit][deploy]") {
  auto dockerfile = test::read_text(source + "/deploy/docker/Dockerfile");
  REQUIRE_FALSE(dockerfile.empty());
  std::vector<std::string> froms;
  for (const auto& line : lines_of(dockerfile))
    if (line.rfind("FROM ", 0) == 0)
      froms.push_back(line);
  REQUIRE(froms.size() == 2);
  CHECK(froms[0] == "FROM debian:bookworm AS build");
  CHECK(froms[1] == "FROM debian:bookworm-slim AS runtime");
  CHECK(dockerfile.find(":latest") == std::string::npos);
  auto runtime = runtime_stage(dockerfile);
  std::smatch user;
  REQUIRE(std::regex_search(runtime, user, std::regex{R"(\nUSER (\d+))"}));
  CHECK(std::stoi(user[1]) >= 1000); // not root
  CHECK(runtime.find("\nHEALTHCHECK ") != std::string::npos);
  CHECK(runtime.find("/health") != std::string::npos);
  CHECK(runtime.find("\nVOLUME [\"/var/lib/hishamos\"]") != std::string::npos);
  // What the base image has anyway, or what another package pulls in.
  const std::set<std::string> in_base{"libc6", "libgcc-s1", "libstdc++6"};
  for (const auto& pkg : packages_needed_by(HISHAMOS_BINARY)) {
    INFO("the binary needs a library of " << pkg);
    if (!in_base.count(pkg))
      CHECK(std::regex_search(runtime, std::regex{"\\s" + pkg + "(\\s|$)"}));
  }
}

TEST_CASE("the compose file runs three hardened nodes beside PostgreSQL, "
          "Redis, Prometheus and Grafana, published on loopback only",
          "[unit][deploy]") {
  auto compose = merged(YAML::LoadFile(source + "/deploy/docker/compose.yaml"));
  auto services = compose["services"];
  for (const char* s : {"postgres", "redis", "bootstrap", "n1", "n2", "n3",
                        "prometheus", "grafana"})
    CHECK(services[s].IsDefined());
  std::set<std::string> ids;
  for (const char* id : {"n1", "n2", "n3"}) {
    INFO("service " << id);
    auto n = services[id];
    CHECK(n["read_only"].as<bool>());
    CHECK(n["user"].as<std::string>().rfind("0:", 0) != 0);
    CHECK(n["cap_drop"][0].as<std::string>() == "ALL");
    CHECK(n["security_opt"][0].as<std::string>() == "no-new-privileges:true");
    CHECK_THAT(n["healthcheck"]["test"][3].as<std::string>(),
               Catch::EndsWith("/ready"));
    CHECK(n["depends_on"]["bootstrap"]["condition"].as<std::string>() ==
          "service_completed_successfully");
    CHECK(n["command"][2].as<std::string>() == "/etc/hishamos/cluster.yaml");
    ids.insert(n["environment"]["HISHAMOS_NODE_ID"].as<std::string>());
    CHECK(n["environment"]["HISHAMOS_NODE_LISTEN"].as<std::string>() ==
          std::string{id} + ":4242");
  }
  CHECK(ids.size() == 3);
  for (const auto& s : services)
    for (const auto& port : s.second["ports"]) {
      INFO(s.first.as<std::string>());
      CHECK_THAT(port.as<std::string>(), Catch::StartsWith("127.0.0.1:"));
    }
}

TEST_CASE("the images' node configs are valid node configs", "[unit][deploy]") {
  for (const char* file : {"node.yaml", "cluster.yaml"}) {
    auto cfg =
        config::load_node_config(source + "/deploy/docker/config/" + file);
    INFO(file << ": " << (cfg ? "" : model::to_string(cfg.errors())));
    REQUIRE(cfg);
    CHECK(cfg->shutdown_grace_ms < 30000); // inside the termination grace
    CHECK(cfg->http_listen == "0.0.0.0:8080");
  }
}

TEST_CASE("the Kubernetes ConfigMap holds a valid node config",
          "[unit][deploy]") {
  auto map = YAML::LoadFile(source + "/deploy/k8s/configmap.yaml");
  auto cfg = config::parse_node_config(
      map["data"]["cluster.yaml"].as<std::string>(), "configmap.yaml");
  INFO((cfg ? "" : model::to_string(cfg.errors())));
  REQUIRE(cfg);
  CHECK(cfg->shutdown_grace_ms < 30000);
}

TEST_CASE("the Prometheus config of the compose file is valid and loads "
          "the alert rules",
          "[unit][deploy][ops]") {
  test::temp_dir dir;
  auto config = test::read_text(source + "/deploy/prometheus/prometheus.yml");
  auto key = dir / "prometheus.key";
  std::ofstream{key} << "hsk_example\n";
  config = std::regex_replace(config, std::regex{"/keys/prometheus"}, key);
  std::ofstream{dir / "prometheus.yml"} << config;
  std::filesystem::copy_file(source + "/deploy/prometheus/alerts.yml",
                             dir / "alerts.yml");
  auto checked = test::run_process(
      {"promtool", "check", "config", dir / "prometheus.yml"});
  INFO(checked.out << checked.err);
  CHECK(checked.exit_code == 0);
  CHECK_THAT(checked.out, Catch::Contains("SUCCESS: 12 rules found"));
}
