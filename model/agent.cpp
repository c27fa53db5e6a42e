#include "model/agent.hpp"

#include <algorithm>

#include "model/yaml_reader.hpp"

namespace hishamos::model {

bool agent_def::has_capabilities(const std::vector<std::string>& wanted) const {
  return std::all_of(wanted.begin(), wanted.end(), [this](const auto& w) {
    return std::find(capabilities.begin(), capabilities.end(), w) !=
           capabilities.end();
  });
}

result<agent_def> parse_agent(const std::string& text,
                              const std::string& file) {
  problems errors;
  yaml_reader in{file, errors};
  auto root = in.parse(text);
  if (!root)
    return errors;
  if (!in.expect_map(*root, "an agent file"))
    return errors;
  in.reject_unknown_keys(
      *root,
      {"id", "name", "department", "capabilities", "capacity", "provider",
       "model", "temperature", "max_tokens", "latency_ms", "fail_rate",
       "quality", "price_per_call", "description", "fallback_providers"},
      "agent");
  agent_def a;
  a.id = in.required_string(*root, "id");
  a.name = in.string(*root, "name", a.id);
  a.department = in.string(*root, "department", "");
  a.capabilities = in.strings(*root, "capabilities");
  a.capacity = static_cast<int>(in.integer(*root, "capacity", 1, 1));
  a.provider = in.string(*root, "provider", "local");
  a.model = in.string(*root, "model", "local-echo");
  a.fallback_providers = in.strings(*root, "fallback_providers");
  a.temperature = in.number(*root, "temperature", 0.0, 0.0, 2.0);
  a.max_tokens = static_cast<int>(in.integer(*root, "max_tokens", 1024, 1));
  a.latency_ms = in.integer(*root, "latency_ms", 0, 0);
  a.fail_rate = in.number(*root, "fail_rate", 0.0, 0.0, 1.0);
  a.quality = in.number(*root, "quality", 1.0, 0.0, 1.0);
  a.price_per_call = in.number(*root, "price_per_call", 0.0, 0.0, 1e9);
  a.overlap = in.string(*root, "overlap", "enqueue");
  if (a.overlap != "enqueue" && a.overlap != "reject" &&
      a.overlap != "interrupt" && a.overlap != "rollback")
    in.fail((*root)["overlap"], "",
            "unknown overlap policy '" + a.overlap + "'",
            "use enqueue, reject, interrupt or rollback");
  if (!errors.empty())
    return errors;
  return a;
}

} // namespace hishamos::model
