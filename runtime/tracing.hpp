#pragma once

// The node's span exporter, from its tracing settings.

#include <memory>

#include "config/node_config.hpp"
#include "model/result.hpp"
#include "providers/span_exporter.hpp"

namespace hishamos::runtime {

/// The exporter to tracing.otlp_endpoint; null when none is set; a
/// problem when the endpoint is not an http(s) URL.
model::result<std::shared_ptr<providers::span_exporter>>
make_span_exporter(const config::node_config& cfg);

} // namespace hishamos::runtime
