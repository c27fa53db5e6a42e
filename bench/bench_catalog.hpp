#pragma once

// The catalog the benchmarks share: agents that answer at once (or after a
// simulated model latency) and one template, `cmd_step` with a string
// parameter `n`.

#include <memory>
#include <string>
#include <vector>

#include "model/catalog.hpp"

namespace hishamos::bench {

inline std::shared_ptr<model::catalog>
bench_catalog(const std::vector<std::string>& agents, int capacity,
              int latency_ms = 0) {
  auto cat = std::make_shared<model::catalog>();
  for (const auto& id : agents) {
    auto a = *model::parse_agent(
        "{id: " + id + ", capacity: " + std::to_string(capacity) +
            ", latency_ms: " + std::to_string(latency_ms) + "}",
        "bench");
    cat->agents[a.id] = a;
  }
  auto tpl = *model::parse_command_template(
      "id: cmd_step\nparams: {n: {type: string}}\nprompt: 'step {{n}}'\n",
      "bench");
  cat->templates[tpl.id] = tpl;
  return cat;
}

} // namespace hishamos::bench
