#pragma once

#include "model/budget.hpp"
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "model/result.hpp"
#include "model/routing.hpp"

namespace hishamos::config {

/// TLS material for links between nodes (all three or none).
struct tls_settings {
  std::string certificate; ///< PEM file of this node's certificate.
  std::string key;         ///< PEM file of its private key.
  std::string ca;          ///< PEM file of the CA that signs peers.
};

/// A model provider entry: `openai: {type: openai, base_url: ..., api_key:
/// ...}`.
struct provider_settings {
  std::string type = "local"; ///< local | openai | anthropic.
  /// Endpoint for HTTP providers: the part before /chat/completions
  /// (openai) or /v1/messages (anthropic).
  std::string base_url;
  std::string
      api_key; ///< A reference (secret://name, env://NAME), never a key.
  std::int64_t connect_timeout_ms = 5000;
  std::int64_t timeout_ms = 120000; ///< Whole call, connect to last byte.
  /// Retries of one call on 429, 5xx, timeouts and dropped connections,
  /// with exponential backoff and full jitter (Retry-After honoured).
  int max_retries = 3;
  std::int64_t backoff_ms = 250;
  std::int64_t max_backoff_ms = 20000;
  /// Consecutive failed calls that open the endpoint's circuit breaker,
  /// and how long it stays open before one trial call (half-open).
  int breaker_failures = 5;
  std::int64_t breaker_open_ms = 30000;
  /// Admission limits per (provider, model, key); 0 = none.
  std::int64_t requests_per_minute = 0;
  std::int64_t tokens_per_minute = 0;
  /// The window those limits count over: a minute, unless a test needs
  /// one that passes quicker.
  std::int64_t limit_window_ms = 60000;
  std::int64_t max_response_bytes = 4 << 20; ///< Larger answers fail.
  /// Price per 1,000 tokens by model: {input, output}.
  std::map<std::string, std::pair<double, double>> prices;
};

/// How the dispatcher routes and queues (`dispatch:`).
struct dispatch_config {
  /// dispatch.weights (quality, capacity, capability, price, latency),
  /// dispatch.exploration and dispatch.decay; see model/routing.hpp.
  model::routing_weights weights;
  /// dispatch.aging_per_second: priority a waiting step gains per second.
  double aging_per_second = 1.0;
  /// dispatch.department_quotas: tasks running at once on a department's
  /// agents, per node; a department not listed has no quota.
  std::map<std::string, int> department_quotas;
  /// dispatch.max_candidates: free matching agents routing scores per
  /// decision (a random run of them when more match).
  int max_candidates = 32;
  /// dispatch.agents_on_demand: the catalog agents this node hosts are
  /// records, each given an actor only while it has tasks. For nodes with
  /// very many agents (a million idle ones fit in about 1 GiB); peers
  /// cannot route to such agents, so a cluster that shares agents
  /// leaves it off.
  bool agents_on_demand = false;
};

/// The admin HTTP server's limits (`http:`). Every input has one: a
/// request over a limit is answered in the error format and dropped.
struct http_limits {
  std::int64_t max_body_bytes = 2 << 20;  ///< http.max_body_bytes (413)
  std::int64_t max_header_bytes = 16384;  ///< http.max_header_bytes (431)
  int max_headers = 100;                  ///< http.max_headers (431)
  std::int64_t max_url_bytes = 8192;      ///< http.max_url_bytes (414)
  int max_json_depth = 64;                ///< http.max_json_depth (400)
  std::int64_t header_timeout_ms = 10000; ///< A request's headers (408).
  std::int64_t body_timeout_ms = 30000;   ///< Its body, after the headers.
  std::int64_t idle_timeout_ms = 60000;   ///< A kept-alive connection.
  /// http.workers: threads that run route handlers (handlers block on the
  /// store); http.queue: requests that may wait for one (beyond: 503).
  int workers = 32;
  int queue = 1024;
  /// http.requests_per_second: the node's request throttle; 0 = off. Over
  /// it, requests are answered 503 with Retry-After, never queued.
  double requests_per_second = 0;
  /// http.slow_call_ms: a route or store call slower than this is logged.
  std::int64_t slow_call_ms = 5000;
  /// http.tls_terminated_by_proxy: the admin API is plain HTTP behind a
  /// proxy that terminates TLS. Without it a node refuses to listen on an
  /// address other than loopback (credentials would cross the network in
  /// clear); with it, it warns at start.
  bool tls_terminated_by_proxy = false;
  /// http.tls_certificate / http.tls_key: PEM files; with them the admin
  /// API speaks HTTPS only (TLS 1.2 or later) and may listen anywhere.
  std::string tls_certificate;
  std::string tls_key;
  /// Requests a signed-in user (http.user_requests_per_window) and an API
  /// key (http.key_requests_per_window) may make in any sliding window of
  /// http.rate_window_s seconds (default: 1,000 and 5,000 an hour); over
  /// it, 429 with Retry-After. Cluster-wide with cache.redis_url, per node
  /// without. 0 = no limit.
  std::int64_t user_requests_per_window = 1000;
  std::int64_t key_requests_per_window = 5000;
  std::int64_t rate_window_s = 3600;
  /// Sign-in attempts per account and per client address in any 15
  /// minutes (http.login_attempts_per_account / _per_address).
  std::int64_t login_attempts_per_account = 20;
  std::int64_t login_attempts_per_address = 100;
};

/// How large a workflow's input and a step's output may be (`limits:`):
/// larger than `warn_payload_bytes` is logged (its size, never its text);
/// larger than `max_payload_bytes` is refused with a typed error and
/// nothing of it is stored: an input fails its submission, an output its
/// step (not retried), and so its execution.
struct payload_limits {
  std::int64_t warn_payload_bytes = 256 << 10;
  std::int64_t max_payload_bytes = 2 << 20;
};

/// tracing: spans of API requests, executions, steps and provider calls
/// sent to an OpenTelemetry collector (OTLP/HTTP, JSON). The W3C trace
/// context is carried through whether or not spans are sent.
struct tracing_settings {
  /// tracing.otlp_endpoint: the URL spans are POSTed to, e.g.
  /// http://collector:4318/v1/traces; "" = no spans. Env
  /// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, or OTEL_EXPORTER_OTLP_ENDPOINT
  /// with /v1/traces added.
  std::string otlp_endpoint;
  /// tracing.service_name: service.name of the spans. Env OTEL_SERVICE_NAME.
  std::string service_name = "hishamos";
  /// tracing.sample_ratio: the part of new traces recorded; a trace a
  /// client started follows the client's sampled flag.
  double sample_ratio = 1.0;
};

/// Everything one `hishamos` node is configured with (node.yaml).
struct node_config {
  std::string node_id = "n1"; ///< Unique in the cluster. Env HISHAMOS_NODE_ID.
  std::string listen;         ///< CAF middleman address; "" = no peers.
  std::vector<std::string> seeds; ///< Peer middleman addresses.
  std::int64_t lease_ms =
      10000; ///< node.lease_ms: validity of a lease renewal.
  std::int64_t heartbeat_ms =
      2000; ///< node.heartbeat_ms: renewal/takeover period.
  /// node.shutdown_grace_ms: on SIGTERM, how long in-flight steps may take
  /// to finish and checkpoint before the node stops anyway.
  std::int64_t shutdown_grace_ms = 25000;
  tls_settings tls; ///< Node-to-node TLS; empty = off.
  /// node.max_executions: executions this node runs at once; 0 = no limit.
  /// Beyond it, new executions wait in the store (unowned) until a node
  /// with room claims them.
  int max_executions = 0;
  std::string http_listen =
      "127.0.0.1:8080"; ///< Admin HTTP. Env HISHAMOS_HTTP_LISTEN.
  http_limits http;
  payload_limits limits;
  std::string store_url = "sqlite:var/hishamos.db"; ///< Env HISHAMOS_STORE_URL.
  /// Checkpoint writers, each with its own connection (PostgreSQL; the
  /// embedded store always uses one); 0 = one per two cores, at least one
  /// (checkpoint_writers).
  int store_writers = 0;
  /// store.pool_size: connections for reads and admin calls; 0 = (cores *
  /// 2) + 1.
  int store_pool_size = 0;
  /// store.seen_file: where the node remembers the store it saw (its
  /// identity and how much it held), to refuse a store that is empty,
  /// another or younger. "" = beside an SQLite store's file (`<file>.seen`);
  /// none for PostgreSQL unless set. "off" = never.
  std::string store_seen_file;
  /// store.definitions_by_hash: keep each distinct execution definition
  /// once, under its SHA-256, instead of in every execution's row (1 KB
  /// and more per execution). Unset = as the store says: on in a store
  /// this release made, off in one an earlier release made (whose nodes
  /// cannot read such executions). Turn it on there once no node of an
  /// earlier release shares the store; roll back only to this release or
  /// later once it is on. The node sets it at start to what it does.
  std::optional<bool> definitions_by_hash;
  int batch_size = 100; ///< store.batch_size: records per batch write.
  std::int64_t batch_interval_ms =
      1000;              ///< store.batch_interval_ms: longest wait.
  std::string redis_url; ///< L2 cache; "" = none. Env HISHAMOS_REDIS_URL.
  std::vector<std::string>
      catalog_paths; ///< Each holds agents/, templates/, workflows/.
  std::vector<std::string>
      agents; ///< Hosted agent ids; empty = all in the catalog.
  std::map<std::string, provider_settings> providers{{"local", {}}};
  /// secrets.dir: where secret://NAME references are read from (one file
  /// per secret, as container platforms mount them).
  std::string secrets_dir = "/run/secrets/hishamos";
  /// secrets.kek_file: the key-encryption keys of the store's secrets
  /// (lines `ID BASE64KEY`, the active first); "" = HISHAMOS_KEK.
  std::string kek_file;
  /// log.format: "text" (one line per event) or "json" (one object per
  /// line: ts, level, node, msg) for log collectors.
  std::string log_format = "text";
  tracing_settings tracing;
  /// cache.l1_bytes: the in-process response cache's bound.
  std::int64_t l1_cache_bytes = 64 << 20;
  dispatch_config dispatch;
  /// budgets: what executions, workflows and departments may spend.
  std::vector<model::budget> budgets;
};

/// How many checkpoint writers a node with `cfg` runs on `cores` cores:
/// one for the embedded store, which serialises writers anyway; as
/// store.writers says when set; else one per two cores, at least one.
/// Each writer's PostgreSQL backend takes its share of the cores the node
/// runs on, and one writer's group commits grow with the load: on two
/// cores one writer commits fewer, larger groups, for less of the
/// server's CPU per step than two (docs/performance.md, item 35).
[[nodiscard]] int checkpoint_writers(const node_config& cfg, unsigned cores);

/// Reads a node config file. Unknown keys are errors naming the file, line
/// and key. Environment overrides are not applied here.
model::result<node_config> load_node_config(const std::string& path);

/// Parses node config text (`file` names it in problems).
model::result<node_config> parse_node_config(const std::string& text,
                                             const std::string& file);

/// Applies HISHAMOS_STORE_URL, HISHAMOS_REDIS_URL, HISHAMOS_HTTP_LISTEN,
/// HISHAMOS_NODE_ID, HISHAMOS_LOG_FORMAT, HISHAMOS_NODE_LISTEN and the
/// OpenTelemetry exporter variables (tracing_settings) from the
/// environment.
void apply_environment(node_config& cfg);

/// Host and port of "host:port"; problems when malformed.
model::result<std::pair<std::string, int>>
split_host_port(const std::string& text, const std::string& what);

/// Reads a whole file; a problem naming the path when it cannot be read.
model::result<std::string> read_file(const std::string& path);

} // namespace hishamos::config
