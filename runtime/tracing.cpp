#include "runtime/tracing.hpp"

#include <spdlog/spdlog.h>

#include "model/redaction.hpp"

namespace hishamos::runtime {

model::result<std::shared_ptr<providers::span_exporter>>
make_span_exporter(const config::node_config& cfg) {
  const auto& t = cfg.tracing;
  if (t.otlp_endpoint.empty())
    return std::shared_ptr<providers::span_exporter>{};
  auto shown = model::redact_url(t.otlp_endpoint).substr(0, 200);
  bool https = t.otlp_endpoint.rfind("https://", 0) == 0;
  if (!https && t.otlp_endpoint.rfind("http://", 0) != 0)
    return model::problem{"", 0, "",
                          "the OTLP traces endpoint '" + shown +
                              "' is not an http:// or https:// URL",
                          "set tracing.otlp_endpoint (or "
                          "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) to the "
                          "collector's URL, e.g. "
                          "http://collector:4318/v1/traces"};
  providers::span_exporter_settings s;
  s.endpoint = t.otlp_endpoint;
  s.service_name = t.service_name;
  s.sample_ratio = t.sample_ratio;
  s.node_id = cfg.node_id;
  s.version = HISHAMOS_VERSION;
  spdlog::info("traces: spans go to {} ({}% of new traces)", shown,
               static_cast<int>(t.sample_ratio * 100));
  return std::make_shared<providers::span_exporter>(std::move(s));
}

} // namespace hishamos::runtime
