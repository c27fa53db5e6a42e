// Quarantine: an execution whose stored state is damaged (a checkpoint
// that fails its checksum or does not decode, a definition that does not
// parse) is never run on. It is set `failed` with an error that names the
// execution, the step and what is wrong, fenced by the epoch this node
// claimed it at, audited in the same transaction, counted
// (hishamos_executions_quarantined_total) and logged; every other
// execution goes on.

#include <spdlog/spdlog.h>

#include "model/log_context.hpp"
#include "model/reports.hpp"
#include "model/trace_context.hpp"
#include "persistence/checkpoint_codec.hpp"
#include "runtime/internal/node_impl.hpp"

namespace hishamos {

std::string damage_of(const std::vector<persistence::checkpoint>& cps) {
  for (const auto& cp : cps)
    if (!cp.damage.empty())
      return cp.damage;
  return {};
}

model::result<model::workflow_def>
definition_of(const persistence::execution_record& rec, std::string& damage) {
  damage = persistence::definition_damage(rec);
  if (!damage.empty())
    return model::problem{"", 0, "", damage, ""};
  auto def = model::workflow_from_json(
      nlohmann::json::parse(rec.definition, nullptr, false));
  if (!def)
    damage = "its stored definition does not parse: " +
             model::to_string(def.errors());
  return def;
}

void node::impl::quarantine(const persistence::execution_record& rec,
                            const std::string& why) {
  auto trace = model::parse_traceparent(rec.trace_context);
  model::log_scope about{{rec.id, "", "", trace ? trace->trace_id : ""}};
  metrics->execution_quarantined();
  spdlog::error("execution {} quarantined: {}", rec.id, why);
  persistence::state_change x{rec.id, rec.epoch,
                              persistence::execution_state::failed, "",
                              model::quarantined_prefix + why};
  nlohmann::json details{{"execution_id", rec.id}, {"reason", why}};
  x.audit.push_back(
      {"", "execution.quarantine", details.dump(), persistence::now_ms()});
  auto st = pool->with(
      "quarantine", [&](persistence::store& db) { return db.change_state(x); });
  // Not stored: it stays claimed by this node and unfinished, so the next
  // start (or takeover) reads it again and quarantines it then.
  if (!st)
    spdlog::error("execution {} could not be marked quarantined: {}", rec.id,
                  st.message);
}

} // namespace hishamos
