// The metrics a live node serves on /metrics, after a provider call and
// API requests (what labelled families fill on): they pass
// `promtool check metrics`, follow Prometheus naming (base units, `_total`
// counters, `_seconds` durations), and include every metric the alert
// rules (deploy/prometheus/alerts.yml) and the Grafana dashboards
// (deploy/grafana/dashboards/) name; every dashboard query is valid PromQL.

#include <catch2/catch.hpp>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "admin/http_server.hpp"
#include "config/node_config.hpp"
#include "tests/support/credentials.hpp"
#include "tests/support/fake_model_server.hpp"
#include "tests/support/node_fixture.hpp"
#include "tests/support/process.hpp"
#include "tests/support/wait.hpp"

using namespace hishamos;

namespace {

// `# TYPE name kind` lines: name -> kind.
std::map<std::string, std::string> families(const std::string& text) {
  std::map<std::string, std::string> out;
  std::regex type_line{R"(# TYPE (\S+) (\S+))"};
  for (std::sregex_iterator it{text.begin(), text.end(), type_line}, end;
       it != end; ++it)
    out[(*it)[1]] = (*it)[2];
  return out;
}

// The PromQL expressions of the Grafana dashboards, with their template
// variables replaced by what they may stand for.
std::vector<std::string> dashboard_queries() {
  std::vector<std::string> out;
  auto dir = std::string{HISHAMOS_SOURCE_DIR} + "/deploy/grafana/dashboards";
  for (const auto& f : std::filesystem::directory_iterator{dir}) {
    auto board = nlohmann::json::parse(test::read_text(f.path()));
    INFO(f.path().string());
    REQUIRE_FALSE(board["panels"].empty());
    for (const auto& panel : board["panels"]) {
      REQUIRE_FALSE(panel["targets"].empty());
      for (const auto& t : panel["targets"])
        out.push_back(std::regex_replace(t["expr"].get<std::string>(),
                                         std::regex{R"(\$instance)"}, ".*"));
    }
  }
  return out;
}

// Every hishamos_* metric `text` names, as the family it belongs to (a
// histogram's _bucket, _count and _sum are its).
std::set<std::string> metrics_named(const std::string& text) {
  std::set<std::string> out;
  std::regex metric{R"(hishamos_[a-z_]+)"};
  for (std::sregex_iterator it{text.begin(), text.end(), metric}, end;
       it != end; ++it) {
    auto name = it->str();
    for (const char* suffix : {"_bucket", "_count", "_sum"})
      if (name.size() > std::strlen(suffix) &&
          name.compare(name.size() - std::strlen(suffix), std::string::npos,
                       suffix) == 0)
        name.resize(name.size() - std::strlen(suffix));
    out.insert(name);
  }
  return out;
}

} // namespace

TEST_CASE("a live node's /metrics passes promtool, follows Prometheus naming "
          "and exports every metric the alert rules and dashboards name",
          "[providers][metrics][ops]") {
  test::fake_model_server server;
  test::temp_dir dir;
  ::setenv("HISHAMOS_METRICS_TEST_KEY", "sk-metrics-test", 1);
  auto cat = test::make_catalog();
  auto gpt = *model::parse_agent(
      "{id: gpt, capacity: 4, provider: fake, model: m1, max_tokens: 50}", "t");
  cat->agents[gpt.id] = gpt;
  auto o = test::test_options(dir, cat);
  config::provider_settings p;
  p.type = "openai";
  p.base_url = server.base_url();
  p.api_key = "env://HISHAMOS_METRICS_TEST_KEY";
  p.prices["m1"] = {1.0, 2.0};
  o.config.providers["fake"] = p;
  auto n = test::start_node(std::move(o));
  admin::http_server http{*n};
  auto port = http.start("127.0.0.1", 0);
  REQUIRE(port);
  httplib::Client client{"127.0.0.1", *port};
  client.set_default_headers(
      {{"X-API-Key", test::make_api_key(http.accounts())}});
  test::event_log log;
  REQUIRE(n->submit(test::workflow("name: M\nsteps:\n  - {id: a, agent_id: "
                                   "gpt, command_template_id: cmd_echo, "
                                   "params: {text: one}}\n"),
                    {}, log.observer()));
  REQUIRE(test::wait_until([&] { return log.finished(); }));
  CHECK(log.outcome().state == "completed");

  auto listed = client.Get("/api/v1/executions");
  REQUIRE(listed);
  CHECK(listed->status == 200);
  auto res = client.Get("/metrics");
  REQUIRE(res);
  REQUIRE(res->status == 200);
  auto file = dir / "metrics.txt";
  std::ofstream{file} << res->body;
  auto lint = test::run_process(
      {"sh", "-c", "promtool check metrics < '" + file + "'"});
  INFO(res->body);
  INFO("promtool: " << lint.out << lint.err);
  CHECK(lint.exit_code == 0);
  CHECK(lint.out + lint.err == "");

  auto exported = families(res->body);
  for (const auto& [name, kind] : exported) {
    INFO(name << " is a " << kind);
    bool total = name.size() > 6 && name.substr(name.size() - 6) == "_total";
    CHECK(total == (kind == "counter")); // _total is for counters only
    if (name.find("duration") != std::string::npos)
      CHECK(name.substr(name.size() - 8) == "_seconds");
  }
  auto queries = dashboard_queries();
  std::string all_queries;
  for (const auto& q : queries)
    all_queries += q + "\n";
  for (const auto& [source, text] :
       {std::pair{"an alert rule",
                  test::read_text(std::string{HISHAMOS_SOURCE_DIR} +
                                  "/deploy/prometheus/alerts.yml")},
        std::pair{"a dashboard", all_queries}})
    for (const auto& name : metrics_named(text)) {
      INFO(name << " is named by " << source);
      CHECK(exported.count(name) == 1);
    }
  // Every dashboard query is valid PromQL: promtool checks them as
  // recording rules.
  std::string rules = "groups:\n  - name: dashboards\n    rules:\n";
  for (size_t i = 0; i < queries.size(); ++i)
    rules += "      - record: dashboard:query_" + std::to_string(i) +
             "\n        expr: " + nlohmann::json(queries[i]).dump() + "\n";
  auto rules_file = dir / "dashboard_rules.yml";
  std::ofstream{rules_file} << rules;
  auto checked = test::run_process({"promtool", "check", "rules", rules_file});
  INFO(checked.out << checked.err);
  CHECK(checked.exit_code == 0);
  CHECK(exported.count("hishamos_provider_upstream_requests_total") == 1);
}
