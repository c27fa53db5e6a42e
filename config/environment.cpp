// The environment variables that override a node config: what differs
// between the nodes of one deployment (ids, addresses, the store's URL with
// its password) without a file per node.

#include <cstdlib>

#include "config/node_config.hpp"

namespace hishamos::config {

void apply_environment(node_config& cfg) {
  auto set = [](const char* name, std::string& field) {
    if (const char* v = std::getenv(name); v && *v)
      field = v;
  };
  set("HISHAMOS_STORE_URL", cfg.store_url);
  set("HISHAMOS_REDIS_URL", cfg.redis_url);
  set("HISHAMOS_HTTP_LISTEN", cfg.http_listen);
  set("HISHAMOS_NODE_ID", cfg.node_id);
  set("HISHAMOS_LOG_FORMAT", cfg.log_format);
  // A pod's own address for peers (Kubernetes' downward API).
  set("HISHAMOS_NODE_LISTEN", cfg.listen);
  // OpenTelemetry's own variables, as every OTLP exporter reads them.
  if (const char* base = std::getenv("OTEL_EXPORTER_OTLP_ENDPOINT");
      base && *base) {
    std::string url = base;
    while (!url.empty() && url.back() == '/')
      url.pop_back();
    cfg.tracing.otlp_endpoint = url + "/v1/traces";
  }
  set("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", cfg.tracing.otlp_endpoint);
  set("OTEL_SERVICE_NAME", cfg.tracing.service_name);
}

} // namespace hishamos::config
