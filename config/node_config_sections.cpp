// node.yaml's sections with lists and maps of their own: providers,
// dispatch and budgets (config/internal/node_config_sections.hpp).

#include "config/internal/node_config_sections.hpp"

namespace hishamos::config {

using model::yaml_reader;

void parse_providers(yaml_reader& in, const YAML::Node& n, node_config& cfg) {
  if (!in.expect_map(n, "providers"))
    return;
  for (const auto& kv : n) {
    auto name = kv.first.as<std::string>();
    if (!in.expect_map(kv.second, "providers." + name))
      continue;
    const auto& m = kv.second;
    in.reject_unknown_keys(
        m,
        {"type", "base_url", "api_key", "connect_timeout_ms", "timeout_ms",
         "max_retries", "backoff_ms", "max_backoff_ms", "breaker_failures",
         "breaker_open_ms", "requests_per_minute", "tokens_per_minute",
         "max_response_bytes", "prices", "limit_window_ms"},
        "providers." + name);
    provider_settings p;
    p.type = in.string(m, "type", "local");
    p.base_url = in.string(m, "base_url", "");
    p.api_key = in.string(m, "api_key", "");
    p.connect_timeout_ms =
        in.integer(m, "connect_timeout_ms", p.connect_timeout_ms, 1);
    p.timeout_ms = in.integer(m, "timeout_ms", p.timeout_ms, 1);
    p.max_retries =
        static_cast<int>(in.integer(m, "max_retries", p.max_retries, 0));
    p.backoff_ms = in.integer(m, "backoff_ms", p.backoff_ms, 0);
    p.max_backoff_ms = in.integer(m, "max_backoff_ms", p.max_backoff_ms, 0);
    p.breaker_failures = static_cast<int>(
        in.integer(m, "breaker_failures", p.breaker_failures, 1));
    p.breaker_open_ms = in.integer(m, "breaker_open_ms", p.breaker_open_ms, 1);
    p.requests_per_minute =
        in.integer(m, "requests_per_minute", p.requests_per_minute, 0);
    p.tokens_per_minute =
        in.integer(m, "tokens_per_minute", p.tokens_per_minute, 0);
    p.limit_window_ms = in.integer(m, "limit_window_ms", p.limit_window_ms, 1);
    p.max_response_bytes =
        in.integer(m, "max_response_bytes", p.max_response_bytes, 1024);
    if (auto prices = m["prices"]; prices && in.expect_map(prices, "prices"))
      for (const auto& pm : prices) {
        auto model = pm.first.as<std::string>();
        if (!in.expect_map(pm.second, "prices." + model))
          continue;
        in.reject_unknown_keys(pm.second, {"input", "output"},
                               "prices." + model);
        p.prices[model] = {in.number(pm.second, "input", 0, 0, 1e6),
                           in.number(pm.second, "output", 0, 0, 1e6)};
      }
    if (p.type != "local" && p.type != "openai" && p.type != "anthropic")
      in.fail(m["type"], "", "unknown provider type '" + p.type + "'",
              "use local, openai or anthropic");
    if (p.type != "local" && p.base_url.rfind("http://", 0) != 0 &&
        p.base_url.rfind("https://", 0) != 0)
      in.fail(m, "",
              "provider '" + name + "' (" + p.type +
                  ") needs a base_url starting with http:// or https://",
              "set base_url to the API's root, e.g. http://127.0.0.1:11434/v1 "
              "for a local OpenAI-compatible server");
    if (!p.api_key.empty() && p.api_key.rfind("secret://", 0) != 0 &&
        p.api_key.rfind("env://", 0) != 0)
      in.fail(m["api_key"], "",
              "provider '" + name +
                  "': api_key must be a reference, not the key itself",
              "write api_key: env://OPENAI_API_KEY or secret://openai");
    cfg.providers[name] = p;
  }
}

void parse_dispatch(yaml_reader& in, const YAML::Node& n, dispatch_config& d) {
  auto& w = d.weights;
  if (auto weights = n["weights"];
      weights && in.expect_map(weights, "dispatch.weights")) {
    in.reject_unknown_keys(
        weights, {"quality", "capacity", "capability", "price", "latency"},
        "dispatch.weights");
    w.quality = in.number(weights, "quality", w.quality, 0, 100);
    w.capacity = in.number(weights, "capacity", w.capacity, 0, 100);
    w.capability = in.number(weights, "capability", w.capability, 0, 100);
    w.price = in.number(weights, "price", w.price, 0, 100);
    w.latency = in.number(weights, "latency", w.latency, 0, 100);
  }
  w.exploration = in.number(n, "exploration", w.exploration, 0, 1);
  w.decay = in.number(n, "decay", w.decay, 0.5, 1);
  d.aging_per_second =
      in.number(n, "aging_per_second", d.aging_per_second, 0, 1e6);
  if (auto q = n["department_quotas"];
      q && in.expect_map(q, "dispatch.department_quotas"))
    for (const auto& kv : q) {
      auto dept = kv.first.as<std::string>();
      d.department_quotas[dept] =
          static_cast<int>(in.integer(q, dept.c_str(), 1, 1));
    }
  auto most = in.integer(n, "max_candidates", d.max_candidates, 1);
  if (most > 10000)
    in.fail(n["max_candidates"], "",
            "dispatch.max_candidates " + std::to_string(most) +
                " is above 10000: every decision would score that many",
            "keep it small (the default is 32)");
  else
    d.max_candidates = static_cast<int>(most);
  d.agents_on_demand = in.boolean(n, "agents_on_demand", d.agents_on_demand);
}

// budgets: a list of {scope, name, limit_usd, action, period,
// downgrade_model}.
void parse_budgets(yaml_reader& in, const YAML::Node& n, node_config& cfg) {
  if (!n.IsSequence())
    return in.fail(n, "", "budgets must be a list",
                   "write budgets: [{scope: execution, limit_usd: 1.0, "
                   "action: pause}]");
  for (size_t i = 0; i < n.size(); ++i) {
    const auto& m = n[i];
    auto where = "budgets[" + std::to_string(i) + "]";
    if (!in.expect_map(m, where))
      continue;
    in.reject_unknown_keys(
        m,
        {"scope", "name", "limit_usd", "action", "period", "downgrade_model"},
        where);
    model::budget b;
    auto scope = in.required_string(m, "scope");
    if (scope == "execution")
      b.scope = model::budget_scope::execution;
    else if (scope == "workflow")
      b.scope = model::budget_scope::workflow;
    else if (scope == "department")
      b.scope = model::budget_scope::department;
    else if (!scope.empty())
      in.fail(m["scope"], "", where + ": unknown scope '" + scope + "'",
              "use execution, workflow or department");
    b.name = in.string(m, "name", "");
    if (!m["limit_usd"])
      in.fail(m, "", where + " has no limit_usd",
              "say how many USD it may spend, e.g. limit_usd: 5");
    b.limit_usd = in.number(m, "limit_usd", 0, 0, 1e9);
    auto action = in.string(m, "action", "warn");
    if (action == "warn")
      b.action = model::budget_action::warn;
    else if (action == "downgrade")
      b.action = model::budget_action::downgrade;
    else if (action == "pause")
      b.action = model::budget_action::pause;
    else
      in.fail(m["action"], "", where + ": unknown action '" + action + "'",
              "use warn, downgrade or pause");
    b.downgrade_model = in.string(m, "downgrade_model", "");
    if (b.action == model::budget_action::downgrade &&
        b.downgrade_model.empty())
      in.fail(m, "", where + " downgrades but names no model",
              "add downgrade_model: the cheaper model to switch to");
    auto period = in.string(m, "period", "day");
    if (period == "month")
      b.period = model::budget_period::month;
    else if (period != "day")
      in.fail(m["period"], "", where + ": unknown period '" + period + "'",
              "use day or month");
    if (b.scope == model::budget_scope::execution && m["period"])
      in.fail(m["period"], "",
              where + ": an execution budget counts the execution's whole "
                      "life, it has no period",
              "remove period, or use scope: workflow");
    cfg.budgets.push_back(std::move(b));
  }
}

} // namespace hishamos::config
