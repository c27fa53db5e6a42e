#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>

#include "config/catalog_loader.hpp"
#include "config/node_config.hpp"
#include "model/validation.hpp"
#include "tests/support/temp_dir.hpp"

using namespace hishamos;

TEST_CASE("the node config reads every documented section", "[unit][config]") {
  auto cfg = config::parse_node_config(R"(node:
  id: n7
  listen: 127.0.0.1:7101
  seeds: [127.0.0.1:7102]
http: {listen: 127.0.0.1:9090}
store: {url: "sqlite:/tmp/x.db"}
cache: {redis_url: "redis://localhost:6379/0"}
catalog: {paths: [a, b]}
agents: [agent_cto_001]
providers:
  openai: {type: openai, base_url: "http://127.0.0.1:1", api_key: "env://OPENAI_KEY"}
)",
                                       "node.yaml");
  REQUIRE(cfg);
  CHECK(cfg->node_id == "n7");
  CHECK(cfg->seeds == std::vector<std::string>{"127.0.0.1:7102"});
  CHECK(cfg->http_listen == "127.0.0.1:9090");
  CHECK(cfg->store_url == "sqlite:/tmp/x.db");
  CHECK(cfg->catalog_paths.size() == 2);
  CHECK(cfg->agents == std::vector<std::string>{"agent_cto_001"});
  CHECK(cfg->providers.at("openai").api_key == "env://OPENAI_KEY");
}

TEST_CASE("an unknown key in the node config names file, line and key",
          "[unit][config]") {
  auto cfg = config::parse_node_config(
      "node:\n  id: n1\nhttp:\n  listne: 1.2.3.4:80\n", "node.yaml");
  REQUIRE_FALSE(cfg);
  CHECK_THAT(model::to_string(cfg.errors()),
             Catch::Contains("node.yaml:4: unknown key 'listne' in http; fix: "
                             "remove it or use one of: listen"));
  auto top = config::parse_node_config("stroe: {url: x}\n", "node.yaml");
  REQUIRE_FALSE(top);
  CHECK_THAT(model::to_string(top.errors()),
             Catch::Contains("node.yaml:1: unknown key 'stroe'"));
}

TEST_CASE("a seed that is not host:port names the file, line and the entry",
          "[unit][config]") {
  auto cfg = config::parse_node_config(
      "node:\n  id: n1\n  seeds: [127.0.0.1:7102, peer-two]\n", "node.yaml");
  REQUIRE_FALSE(cfg);
  CHECK_THAT(model::to_string(cfg.errors()),
             Catch::Contains("node.yaml:3: node.seeds entry 'peer-two' is not "
                             "host:port"));
}

TEST_CASE("environment variables override the node config", "[unit][config]") {
  auto cfg = config::parse_node_config(
      "node: {id: n1}\nstore: {url: 'sqlite:a.db'}\n", "n.yaml");
  REQUIRE(cfg);
  setenv("HISHAMOS_STORE_URL", "sqlite:b.db", 1);
  setenv("HISHAMOS_NODE_ID", "n9", 1);
  setenv("HISHAMOS_HTTP_LISTEN", "127.0.0.1:1234", 1);
  setenv("HISHAMOS_NODE_LISTEN", "10.1.2.3:4242", 1);
  config::apply_environment(*cfg);
  unsetenv("HISHAMOS_STORE_URL");
  unsetenv("HISHAMOS_NODE_ID");
  unsetenv("HISHAMOS_HTTP_LISTEN");
  unsetenv("HISHAMOS_NODE_LISTEN");
  CHECK(cfg->store_url == "sqlite:b.db");
  CHECK(cfg->node_id == "n9");
  CHECK(cfg->http_listen == "127.0.0.1:1234");
  CHECK(cfg->listen == "10.1.2.3:4242");
}

TEST_CASE("a missing config file is a clear error", "[unit][config]") {
  auto cfg = config::load_node_config("/nonexistent/node.yaml");
  REQUIRE_FALSE(cfg);
  CHECK_THAT(model::to_string(cfg.errors()),
             Catch::Contains("/nonexistent/node.yaml: cannot read file"));
}

TEST_CASE("the built-in catalog loads and its workflows are valid",
          "[unit][config]") {
  auto cat = config::load_catalog({config::builtin_catalog_path()});
  REQUIRE(cat);
  const auto& c = **cat;
  CHECK(c.agents.size() == 5);
  for (const char* id :
       {"agent_cto_001", "agent_backend_001", "agent_frontend_001",
        "agent_reviewer_001", "agent_devops_001"})
    CHECK(c.find_agent(id));
  auto wf = c.find_workflow("Build New Feature");
  REQUIRE(wf);
  CHECK(wf->steps.size() == 5);
  CHECK(model::validate(*wf, c).empty());
}

TEST_CASE("a bad catalog file is reported with its path", "[unit][config]") {
  test::temp_dir dir;
  dir.write("agents/a.yaml", "id: a\ncapacity: zero\n");
  auto cat = config::load_catalog({dir.path().string()});
  REQUIRE_FALSE(cat);
  CHECK_THAT(
      model::to_string(cat.errors()),
      Catch::Contains("agents/a.yaml:2: 'capacity' must be an integer >= 1"));
}

TEST_CASE("the example node config parses, with its dispatch section",
          "[unit][config]") {
  auto example =
      std::filesystem::path{config::builtin_catalog_path()}.parent_path() /
      "node.example.yaml";
  auto cfg = config::load_node_config(example.string());
  if (!cfg)
    FAIL(model::to_string(cfg.errors()));
  CHECK(cfg->dispatch.weights.quality == 1.0);
  CHECK(cfg->dispatch.aging_per_second == 1.0);
}

TEST_CASE("dispatch settings are read and checked", "[unit][config]") {
  auto cfg = config::parse_node_config(
      "dispatch:\n  weights: {quality: 2, price: 0.5}\n  exploration: 0.1\n"
      "  department_quotas: {engineering: 3}\n",
      "n.yaml");
  REQUIRE(cfg);
  CHECK(cfg->dispatch.weights.quality == 2.0);
  CHECK(cfg->dispatch.weights.price == 0.5);
  CHECK(cfg->dispatch.weights.exploration == 0.1);
  CHECK(cfg->dispatch.department_quotas.at("engineering") == 3);
  auto bad = config::parse_node_config(
      "dispatch:\n  exploration: 2\n  weights: {qualty: 1}\n", "n.yaml");
  REQUIRE_FALSE(bad);
  auto text = model::to_string(bad.errors());
  CHECK_THAT(text, Catch::Contains("n.yaml:2"));
  CHECK_THAT(text, Catch::Contains("unknown key 'qualty' in dispatch.weights"));
}

TEST_CASE("dispatch.agents_on_demand and dispatch.max_candidates are read, "
          "off and 32 by default, and a max_candidates out of range is an "
          "error naming the line",
          "[unit][config]") {
  auto defaults = config::parse_node_config("", "n.yaml");
  REQUIRE(defaults);
  CHECK_FALSE(defaults->dispatch.agents_on_demand);
  CHECK(defaults->dispatch.max_candidates == 32);
  auto set = config::parse_node_config(
      "dispatch:\n  agents_on_demand: true\n  max_candidates: 8\n", "n.yaml");
  REQUIRE(set);
  CHECK(set->dispatch.agents_on_demand);
  CHECK(set->dispatch.max_candidates == 8);
  for (const auto* wrong : {"0", "10001"}) {
    auto bad = config::parse_node_config(
        std::string{"dispatch:\n  max_candidates: "} + wrong + "\n", "n.yaml");
    REQUIRE_FALSE(bad);
    auto text = model::to_string(bad.errors());
    CHECK_THAT(text, Catch::Contains("n.yaml:2"));
    CHECK_THAT(text, Catch::Contains("max_candidates"));
  }
}

TEST_CASE("log.format is text or json — anything else is an error naming "
          "the line",
          "[unit][config]") {
  auto json = config::parse_node_config("log: {format: json}\n", "n.yaml");
  REQUIRE(json);
  CHECK(json->log_format == "json");
  CHECK(config::parse_node_config("", "n.yaml")->log_format == "text");
  auto bad = config::parse_node_config("log:\n  format: xml\n", "n.yaml");
  REQUIRE_FALSE(bad);
  CHECK_THAT(model::to_string(bad.errors()),
             Catch::Contains("n.yaml:2") &&
                 Catch::Contains("log.format 'xml' is unknown") &&
                 Catch::Contains("use text or json"));
}

TEST_CASE("tracing is read and checked, and OpenTelemetry's variables "
          "override it",
          "[unit][config][trace]") {
  auto cfg = config::parse_node_config(
      "tracing: {otlp_endpoint: 'http://collector:4318/v1/traces', "
      "service_name: agents, sample_ratio: 0.25}\n",
      "n.yaml");
  REQUIRE(cfg);
  CHECK(cfg->tracing.otlp_endpoint == "http://collector:4318/v1/traces");
  CHECK(cfg->tracing.service_name == "agents");
  CHECK(cfg->tracing.sample_ratio == 0.25);
  CHECK(config::parse_node_config("", "n.yaml")->tracing.otlp_endpoint.empty());
  auto bad = config::parse_node_config(
      "tracing:\n  otlp_endpoint: 'collector:4318'\n", "n.yaml");
  REQUIRE_FALSE(bad);
  CHECK_THAT(model::to_string(bad.errors()),
             Catch::Contains("n.yaml:2") &&
                 Catch::Contains("not an http:// or https:// URL"));
  CHECK_FALSE(config::parse_node_config("tracing: {sample_ratio: 2}\n", "n"));

  ::setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://otel:4318/", 1);
  ::setenv("OTEL_SERVICE_NAME", "svc", 1);
  config::apply_environment(*cfg);
  CHECK(cfg->tracing.otlp_endpoint == "http://otel:4318/v1/traces");
  CHECK(cfg->tracing.service_name == "svc");
  // The traces endpoint, when given, is the whole URL.
  ::setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://t:1/x", 1);
  config::apply_environment(*cfg);
  CHECK(cfg->tracing.otlp_endpoint == "http://t:1/x");
  for (auto* v : {"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_SERVICE_NAME",
                  "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"})
    ::unsetenv(v);
}

TEST_CASE("checkpoint writers: one for the embedded store, as store.writers "
          "says, else one per two cores",
          "[unit][config]") {
  auto parsed = [](const std::string& store) {
    auto cfg = config::parse_node_config(store, "node.yaml");
    if (!cfg)
      FAIL(model::to_string(cfg.errors()));
    return *cfg;
  };
  auto pg = parsed("store: {url: \"postgresql://h/db\"}");
  CHECK(pg.store_writers == 0); // unset
  CHECK(config::checkpoint_writers(pg, 1) == 1);
  CHECK(config::checkpoint_writers(pg, 2) == 1);
  CHECK(config::checkpoint_writers(pg, 8) == 4);
  auto three = parsed("store: {url: \"postgresql://h/db\", writers: 3}");
  CHECK(config::checkpoint_writers(three, 2) == 3);
  auto embedded = parsed("store: {url: \"sqlite:/tmp/x.db\", writers: 3}");
  CHECK(config::checkpoint_writers(embedded, 8) == 1);
  auto negative = config::parse_node_config(
      "store: {url: \"postgresql://h/db\", writers: -1}", "node.yaml");
  REQUIRE_FALSE(negative);
  CHECK_THAT(model::to_string(negative.errors()), Catch::Contains("writers"));
}
