// The results of an execution's steps as the embedder API shows them:
// each result's ledger line (cost, tokens, routing decision) with the
// output its checkpoint committed.

#include "model/routing.hpp"
#include "runtime/internal/node_impl.hpp"

namespace hishamos {

namespace {

result_view result_of(const persistence::task_result_record& r,
                      const std::vector<persistence::checkpoint>& cps) {
  result_view v;
  v.execution_id = r.execution_id;
  v.step_id = r.step_id;
  v.agent_id = r.agent_id;
  v.quality_score = r.quality_score;
  v.cost = r.cost;
  v.tokens_in = r.tokens_in;
  v.tokens_out = r.tokens_out;
  v.tokens_cached = r.tokens_cached;
  v.latency_ms = r.latency_ms;
  v.provider = r.provider;
  v.model = r.model;
  v.template_version = r.template_version;
  v.decision =
      r.decision.empty() ? nlohmann::json{} : model::parse_decision(r.decision);
  v.created_at_ms = r.created_at_ms;
  for (const auto& cp : cps) // the committed output is the checkpoint's
    if (cp.step_id == r.step_id) {
      v.output = cp.output;
      v.attempt = cp.attempt;
    }
  return v;
}

} // namespace

outcome<std::vector<result_view>>
node::results(const std::string& execution_id) {
  struct both {
    bool exists = false;
    std::vector<persistence::task_result_record> results;
    std::vector<persistence::checkpoint> checkpoints;
  };
  auto got = impl_->pool->with("find_execution", [&](persistence::store& db) {
    persistence::outcome<both> out;
    auto rec = db.find_execution(execution_id);
    if (out.st = rec.st; !out.st || !rec.value)
      return out;
    out.value.exists = true;
    auto rs = db.results_of(execution_id);
    if (out.st = rs.st; !out.st)
      return out;
    auto cps = db.checkpoints(execution_id);
    out.st = cps.st;
    out.value.results = std::move(rs.value);
    out.value.checkpoints = std::move(cps.value);
    return out;
  });
  if (!got)
    return {from_store(got.st), {}};
  if (!got.value.exists)
    return {{errc::not_found,
             "no execution with id '" + execution_id.substr(0, 64) + "'"},
            {}};
  std::vector<result_view> out;
  for (const auto& r : got.value.results)
    out.push_back(result_of(r, got.value.checkpoints));
  return {{}, std::move(out)};
}

outcome<std::optional<result_view>>
node::result(const std::string& execution_id, const std::string& step_id) {
  auto all = results(execution_id);
  if (all.st.code == errc::not_found)
    return {{}, std::nullopt};
  if (!all)
    return {all.st, std::nullopt};
  std::optional<result_view> newest;
  for (auto& r : all.value)
    if (r.step_id == step_id)
      newest = std::move(r);
  return {{}, std::move(newest)};
}

} // namespace hishamos
