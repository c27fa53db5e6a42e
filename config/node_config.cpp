#include "config/node_config.hpp"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "config/internal/node_config_sections.hpp"
#include "model/yaml_reader.hpp"

namespace hishamos::config {

using model::problem;
using model::yaml_reader;

model::result<std::string> read_file(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  if (!in)
    return problem{path, 0, "", "cannot read file",
                   "check that the path exists and is readable"};
  std::ostringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

namespace {

void parse_node_section(yaml_reader& in, const YAML::Node& n,
                        node_config& cfg) {
  if (!in.expect_map(n, "node"))
    return;
  in.reject_unknown_keys(n,
                         {"id", "listen", "seeds", "tls", "lease_ms",
                          "heartbeat_ms", "shutdown_grace_ms",
                          "max_executions"},
                         "node");
  cfg.shutdown_grace_ms =
      in.integer(n, "shutdown_grace_ms", cfg.shutdown_grace_ms, 0);
  cfg.lease_ms = in.integer(n, "lease_ms", cfg.lease_ms, 100);
  cfg.max_executions =
      static_cast<int>(in.integer(n, "max_executions", cfg.max_executions, 0));
  cfg.heartbeat_ms = in.integer(n, "heartbeat_ms", cfg.heartbeat_ms, 10);
  if (cfg.heartbeat_ms * 2 > cfg.lease_ms)
    in.fail(n, "", "node.heartbeat_ms must be at most half of node.lease_ms",
            "renew the lease at least twice per lease period");
  cfg.node_id = in.string(n, "id", cfg.node_id);
  cfg.listen = in.string(n, "listen", "");
  cfg.seeds = in.strings(n, "seeds");
  for (const auto& seed : cfg.seeds)
    if (auto hp = split_host_port(seed, "node.seeds entry");
        !hp || hp->second == 0)
      in.fail(n["seeds"], "",
              "node.seeds entry '" + seed + "' is not host:port",
              "list peers' node.listen addresses, e.g. [127.0.0.1:7102]");
  if (auto t = n["tls"]; t && in.expect_map(t, "node.tls")) {
    in.reject_unknown_keys(t, {"certificate", "key", "ca"}, "node.tls");
    cfg.tls = {in.string(t, "certificate", ""), in.string(t, "key", ""),
               in.string(t, "ca", "")};
  }
}

void parse_http_section(yaml_reader& in, const YAML::Node& n,
                        node_config& cfg) {
  auto& h = cfg.http;
  cfg.http_listen = in.string(n, "listen", cfg.http_listen);
  h.max_body_bytes = in.integer(n, "max_body_bytes", h.max_body_bytes, 1024);
  h.max_header_bytes =
      in.integer(n, "max_header_bytes", h.max_header_bytes, 1024);
  h.max_headers =
      static_cast<int>(in.integer(n, "max_headers", h.max_headers, 8));
  h.max_url_bytes = in.integer(n, "max_url_bytes", h.max_url_bytes, 256);
  h.max_json_depth =
      static_cast<int>(in.integer(n, "max_json_depth", h.max_json_depth, 2));
  h.header_timeout_ms =
      in.integer(n, "header_timeout_ms", h.header_timeout_ms, 100);
  h.body_timeout_ms = in.integer(n, "body_timeout_ms", h.body_timeout_ms, 100);
  h.idle_timeout_ms = in.integer(n, "idle_timeout_ms", h.idle_timeout_ms, 100);
  h.workers = static_cast<int>(in.integer(n, "workers", h.workers, 1));
  h.queue = static_cast<int>(in.integer(n, "queue", h.queue, 1));
  h.requests_per_second =
      static_cast<double>(in.integer(n, "requests_per_second", 0, 0));
  h.slow_call_ms = in.integer(n, "slow_call_ms", h.slow_call_ms, 1);
  h.tls_terminated_by_proxy =
      in.boolean(n, "tls_terminated_by_proxy", h.tls_terminated_by_proxy);
  h.tls_certificate = in.string(n, "tls_certificate", h.tls_certificate);
  h.tls_key = in.string(n, "tls_key", h.tls_key);
  h.user_requests_per_window =
      in.integer(n, "user_requests_per_window", h.user_requests_per_window, 0);
  h.key_requests_per_window =
      in.integer(n, "key_requests_per_window", h.key_requests_per_window, 0);
  h.rate_window_s = in.integer(n, "rate_window_s", h.rate_window_s, 1);
  h.login_attempts_per_account = in.integer(n, "login_attempts_per_account",
                                            h.login_attempts_per_account, 1);
  h.login_attempts_per_address = in.integer(n, "login_attempts_per_address",
                                            h.login_attempts_per_address, 1);
}

template <class F>
void section(yaml_reader& in, const YAML::Node& root, const char* key,
             std::initializer_list<const char*> known, F read) {
  auto n = root[key];
  if (!n || n.IsNull() || !in.expect_map(n, key))
    return;
  in.reject_unknown_keys(n, known, key);
  read(n);
}

} // namespace

model::result<node_config> parse_node_config(const std::string& text,
                                             const std::string& file) {
  model::problems errors;
  yaml_reader in{file, errors};
  auto root = in.parse(text);
  node_config cfg;
  if (!root)
    return errors;
  if (root->IsNull())
    return cfg;
  if (!in.expect_map(*root, "a node config"))
    return errors;
  in.reject_unknown_keys(*root,
                         {"node", "http", "store", "cache", "catalog", "agents",
                          "providers", "dispatch", "secrets", "budgets",
                          "limits", "log", "tracing"},
                         "node config");
  if (auto n = (*root)["node"]; n)
    parse_node_section(in, n, cfg);
  section(in, *root, "http",
          {"listen",
           "max_body_bytes",
           "max_header_bytes",
           "max_headers",
           "max_url_bytes",
           "max_json_depth",
           "header_timeout_ms",
           "body_timeout_ms",
           "idle_timeout_ms",
           "workers",
           "queue",
           "requests_per_second",
           "slow_call_ms",
           "tls_terminated_by_proxy",
           "tls_certificate",
           "tls_key",
           "user_requests_per_window",
           "key_requests_per_window",
           "rate_window_s",
           "login_attempts_per_account",
           "login_attempts_per_address"},
          [&](const auto& n) { parse_http_section(in, n, cfg); });
  section(
      in, *root, "store",
      {"url", "writers", "pool_size", "batch_size", "batch_interval_ms",
       "seen_file", "definitions_by_hash"},
      [&](const auto& n) {
        cfg.store_url = in.string(n, "url", cfg.store_url);
        cfg.store_seen_file = in.string(n, "seen_file", "");
        cfg.store_writers =
            static_cast<int>(in.integer(n, "writers", cfg.store_writers, 0));
        cfg.store_pool_size = static_cast<int>(
            in.integer(n, "pool_size", cfg.store_pool_size, 0));
        cfg.batch_size =
            static_cast<int>(in.integer(n, "batch_size", cfg.batch_size, 1));
        cfg.batch_interval_ms =
            in.integer(n, "batch_interval_ms", cfg.batch_interval_ms, 1);
        if (n["definitions_by_hash"])
          cfg.definitions_by_hash = in.boolean(n, "definitions_by_hash", false);
      });
  section(in, *root, "limits", {"warn_payload_bytes", "max_payload_bytes"},
          [&](const auto& n) {
            auto& l = cfg.limits;
            l.max_payload_bytes =
                in.integer(n, "max_payload_bytes", l.max_payload_bytes, 1);
            l.warn_payload_bytes =
                in.integer(n, "warn_payload_bytes", l.warn_payload_bytes, 1);
          });
  section(in, *root, "cache", {"redis_url", "l1_bytes"}, [&](const auto& n) {
    cfg.redis_url = in.string(n, "redis_url", "");
    cfg.l1_cache_bytes = in.integer(n, "l1_bytes", cfg.l1_cache_bytes, 0);
  });
  section(in, *root, "secrets", {"dir", "kek_file"}, [&](const auto& n) {
    cfg.secrets_dir = in.string(n, "dir", cfg.secrets_dir);
    cfg.kek_file = in.string(n, "kek_file", cfg.kek_file);
  });
  section(in, *root, "dispatch",
          {"weights", "exploration", "decay", "aging_per_second",
           "department_quotas", "max_candidates", "agents_on_demand"},
          [&](const auto& n) { parse_dispatch(in, n, cfg.dispatch); });
  section(in, *root, "log", {"format"}, [&](const auto& n) {
    cfg.log_format = in.string(n, "format", cfg.log_format);
    if (cfg.log_format != "text" && cfg.log_format != "json")
      in.fail(n["format"], "", "log.format '" + cfg.log_format + "' is unknown",
              "use text or json");
  });
  section(in, *root, "tracing",
          {"otlp_endpoint", "service_name", "sample_ratio"},
          [&](const auto& n) {
            auto& t = cfg.tracing;
            t.otlp_endpoint = in.string(n, "otlp_endpoint", "");
            t.service_name = in.string(n, "service_name", t.service_name);
            t.sample_ratio = in.number(n, "sample_ratio", t.sample_ratio, 0, 1);
            if (!t.otlp_endpoint.empty() &&
                t.otlp_endpoint.rfind("http://", 0) != 0 &&
                t.otlp_endpoint.rfind("https://", 0) != 0)
              in.fail(n["otlp_endpoint"], "",
                      "tracing.otlp_endpoint is not an http:// or https:// URL",
                      "give the collector's OTLP/HTTP traces URL, e.g. "
                      "http://collector:4318/v1/traces");
          });
  section(in, *root, "catalog", {"paths"},
          [&](const auto& n) { cfg.catalog_paths = in.strings(n, "paths"); });
  cfg.agents = in.strings(*root, "agents");
  if (auto n = (*root)["providers"]; n)
    parse_providers(in, n, cfg);
  if (auto n = (*root)["budgets"]; n && !n.IsNull())
    parse_budgets(in, n, cfg);
  if (!errors.empty())
    return errors;
  return cfg;
}

model::result<node_config> load_node_config(const std::string& path) {
  auto text = read_file(path);
  if (!text)
    return text.errors();
  return parse_node_config(*text, path);
}

model::result<std::pair<std::string, int>>
split_host_port(const std::string& text, const std::string& what) {
  auto colon = text.rfind(':');
  int port = -1;
  if (colon != std::string::npos && colon > 0) {
    try {
      size_t used = 0;
      port = std::stoi(text.substr(colon + 1), &used);
      if (used != text.size() - colon - 1)
        port = -1;
    } catch (const std::exception&) {
      port = -1;
    }
  }
  if (port < 0 || port > 65535)
    return problem{"", 0, "", what + " '" + text + "' is not host:port",
                   "write e.g. 127.0.0.1:8080"};
  return std::pair{text.substr(0, colon), port};
}

int checkpoint_writers(const node_config& cfg, unsigned cores) {
  if (cfg.store_url.rfind("sqlite:", 0) == 0)
    return 1;
  if (cfg.store_writers > 0)
    return cfg.store_writers;
  return std::max(1, static_cast<int>(cores / 2));
}

} // namespace hishamos::config
