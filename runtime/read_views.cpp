// The read side of the embedder API: executions (stored state with the
// live step states of a running one on top; their results are in
// result_views.cpp), lists and reports from the
// store, and what the node's actors say of the cluster, locks, learned
// quality, budgets and provider calls. Every actor is asked through one
// helper (runtime/internal/ask.hpp).

#include "hishamos/log_output.hpp"
#include "model/routing.hpp"
#include "model/trace_context.hpp"
#include "runtime/internal/ask.hpp"
#include "runtime/internal/attempt_views.hpp"
#include "runtime/internal/node_impl.hpp"

namespace hishamos {

namespace {

constexpr std::chrono::seconds view_timeout{2};

// A damaged checkpoint shows as such, with what is wrong as its error.
step_status from_checkpoint(const persistence::checkpoint& cp) {
  return {cp.step_id,
          "",
          cp.damage.empty() ? "completed" : "damaged",
          cp.attempt,
          cp.agent_id,
          cp.output,
          cp.damage,
          cp.started_at_ms,
          cp.finished_at_ms};
}

std::string trace_id_of(const std::string& traceparent) {
  auto t = model::parse_traceparent(traceparent);
  return t ? t->trace_id : "";
}

execution_status from_record(const persistence::execution_record& r) {
  return {r.id,
          r.workflow_name,
          persistence::to_string(r.state),
          r.owner_node,
          r.epoch,
          {},
          {},
          r.error,
          {},
          r.created_at_ms,
          r.updated_at_ms,
          trace_id_of(r.trace_context)};
}

nlohmann::json parse_or_null(const std::string& text) {
  return nlohmann::json::parse(text, nullptr, false);
}

struct stored_execution {
  std::optional<persistence::execution_record> record;
  std::vector<persistence::checkpoint> checkpoints;
  std::map<std::string, persistence::step_result_meta> decisions;
  persistence::attempt_history history;
};

persistence::outcome<stored_execution> read_stored(persistence::store& db,
                                                   const std::string& id) {
  persistence::outcome<stored_execution> out;
  auto rec = db.find_execution(id);
  if (out.st = rec.st; !out.st || !rec.value)
    return out;
  auto cps = db.checkpoints(id);
  if (out.st = cps.st; !out.st)
    return out;
  auto decisions = db.decisions_of(id);
  if (out.st = decisions.st; !out.st)
    return out;
  auto history = db.attempts_of(id);
  out.st = history.st;
  out.value = {std::move(rec.value), std::move(cps.value),
               std::move(decisions.value), std::move(history.value)};
  return out;
}

// The steps of the definition, with what their checkpoints and newest
// results say.
void add_steps(execution_status& out, const stored_execution& got) {
  auto def = parse_or_null(got.record->definition);
  if (!def.is_discarded()) {
    for (const auto& s : def["steps"])
      out.steps.push_back({s.value("id", ""), s.value("name", ""), "pending"});
    out.definition = std::move(def);
  }
  for (const auto& cp : got.checkpoints)
    for (auto& step : out.steps)
      if (step.id == cp.step_id) {
        auto name = step.name;
        step = from_checkpoint(cp);
        step.name = name;
      }
  for (auto& step : out.steps)
    if (auto d = got.decisions.find(step.id); d != got.decisions.end()) {
      if (!d->second.decision.empty())
        step.decision = model::parse_decision(d->second.decision);
      step.template_version = d->second.template_version;
    }
  if (out.state == "failed") // the error names the failed step first
    for (auto& step : out.steps)
      if (out.error.rfind("step '" + step.id + "'", 0) == 0)
        step.state = "failed";
}

} // namespace

status from_store(const persistence::status& st) {
  using persistence::errc;
  switch (st.code) {
  case errc::ok:
    return {};
  case errc::unavailable:
    return {hishamos::errc::unavailable, st.message};
  case errc::stale_epoch:
    return {hishamos::errc::fenced, st.message};
  case errc::not_found:
    return {hishamos::errc::not_found, st.message};
  case errc::invalid:
    return {hishamos::errc::invalid, st.message};
  case errc::corrupt:
    return {hishamos::errc::corrupt, st.message};
  case errc::conflict:
    return {hishamos::errc::conflict, st.message};
  }
  return {hishamos::errc::unavailable, st.message};
}

const char* to_string(errc x) {
  constexpr const char* names[] = {"ok",      "unavailable", "not_found",
                                   "invalid", "conflict",    "corrupt",
                                   "fenced"};
  auto i = static_cast<unsigned>(x);
  return i < std::size(names) ? names[i] : "unknown";
}

// Live step states (running, retrying, ...) come from the execution actor;
// the store only knows committed steps.
void node::impl::overlay_live(execution_status& out) {
  auto snap = runtime::ask<model::execution_snapshot>(
      *sys, executions.find(out.id), view_timeout,
      actors::snapshot_atom::value);
  if (!snap)
    return;
  for (const auto& s : snap->steps)
    for (auto& step : out.steps) {
      if (step.id != s.id)
        continue;
      if (step.state != "completed") {
        step.state = s.state;
        step.attempt = s.attempt;
        step.agent_id = s.agent_id;
        step.error = s.error;
        step.started_at_ms = s.started_at_ms;
      }
      if (!s.decision.empty())
        step.decision = model::parse_decision(s.decision);
      if (s.template_version > 0)
        step.template_version = s.template_version;
    }
}

outcome<std::optional<execution_status>>
node::execution(const std::string& id) {
  auto got = impl_->pool->with("read_execution", [&](persistence::store& db) {
    return read_stored(db, id);
  });
  if (!got || !got.value.record)
    return {from_store(got.st), std::nullopt};
  const auto& r = *got.value.record;
  auto out = from_record(r);
  out.input = parse_or_null(r.input);
  out.output =
      r.output.empty() ? nlohmann::json::object() : parse_or_null(r.output);
  add_steps(out, got.value);
  runtime::add_attempts(out, r.owner_node, got.value.checkpoints,
                        got.value.history);
  // Once the store holds the end, it is the whole story: an actor still
  // stopping has nothing newer to say, and its view may lag the store's.
  if (!persistence::is_terminal(r.state))
    impl_->overlay_live(out);
  return {{}, std::move(out)};
}

outcome<execution_page> node::executions(const model::execution_query& q) {
  auto rows = impl_->pool->with("list_executions", [&](persistence::store& db) {
    return db.list_executions(q);
  });
  outcome<execution_page> out{from_store(rows.st), {}};
  for (const auto& r : rows.value.items)
    out.value.items.push_back(from_record(r));
  out.value.total = rows.value.total;
  return out;
}

outcome<std::vector<execution_status>> node::executions(int limit) {
  model::execution_query q;
  q.limit = limit;
  auto page = executions(q);
  return {page.st, std::move(page.value.items)};
}

outcome<model::workflow_page> node::workflows(const model::workflow_query& q) {
  auto got = impl_->pool->with("list_workflows", [&](persistence::store& db) {
    return db.list_workflows(q);
  });
  return {from_store(got.st), std::move(got.value)};
}

outcome<std::vector<model::daily_point>>
node::agent_daily_series(const std::string& agent_id,
                         const std::string& from_day,
                         const std::string& to_day) {
  auto got =
      impl_->pool->with("agent_daily_series", [&](persistence::store& db) {
        return db.agent_daily_series(agent_id, from_day, to_day);
      });
  return {from_store(got.st), std::move(got.value)};
}

outcome<std::vector<model::workflow_stat>>
node::workflow_stats(std::int64_t from_ms, std::int64_t to_ms) {
  auto got = impl_->pool->with("workflow_stats", [&](persistence::store& db) {
    return db.workflow_stats(from_ms, to_ms);
  });
  return {from_store(got.st), std::move(got.value)};
}

outcome<std::vector<model::cost_row>> node::costs(const model::cost_query& q) {
  auto got = impl_->pool->with(
      "cost_rollup", [&](persistence::store& db) { return db.cost_rollup(q); });
  return {from_store(got.st), std::move(got.value)};
}

outcome<cluster_view> node::cluster() {
  using rows_outcome = persistence::outcome<std::vector<persistence::node_row>>;
  auto rows =
      impl_->pool->with("nodes", [](persistence::store& db) -> rows_outcome {
        if (auto* leases = db.leases())
          return leases->nodes();
        return {};
      });
  if (!rows)
    return {from_store(rows.st), {}};
  auto& sys = *impl_->sys;
  auto agents = runtime::ask<std::vector<model::agent_directory_entry>>(
      sys, impl_->dispatcher, view_timeout, actors::directory_atom::value);
  auto peers = runtime::ask<std::vector<model::peer_entry>>(
      sys, impl_->membership, view_timeout, actors::directory_atom::value);
  const auto& me = impl_->opts.config.node_id;
  if (rows.value.empty()) // embedded store: no nodes table
    rows.value.push_back(
        {me, impl_->address, impl_->opts.config.http_listen, 0, 0, true});
  cluster_view out{me, {}};
  for (const auto& r : rows.value) {
    node_view v{r.id,           r.id == me, r.address,
                r.http_address, r.alive,    r.lease_expires_at_ms,
                r.id == me,     {}};
    if (peers)
      for (const auto& p : *peers)
        v.connected = v.connected || p.id == r.id;
    if (agents)
      for (const auto& a : *agents)
        if (a.node == (v.self ? "" : r.id))
          v.agents.push_back(a);
    out.nodes.push_back(std::move(v));
  }
  return {{}, std::move(out)};
}

void node::impl::watch_executions() {
  model::execution_observer w;
  w.on_step = [this](const model::step_event& e) { hub.step(e); };
  w.on_finish = [this](const model::execution_finished& e) { hub.finished(e); };
  watcher = std::make_shared<const model::execution_observer>(std::move(w));
  poller = std::make_unique<runtime::execution_poller>(
      hub, *pool,
      [this](const std::string& id) { return !!executions.find(id); });
}

std::shared_ptr<void>
node::watch(const std::string& execution_id,
            std::function<void(const execution_event&)> fn) {
  return impl_->hub.watch(execution_id, std::move(fn));
}

std::vector<model::quality_entry> node::learned_quality() {
  auto got = runtime::ask<std::vector<model::quality_entry>>(
      *impl_->sys, impl_->dispatcher, view_timeout, actors::stats_atom::value);
  return got ? std::move(*got) : std::vector<model::quality_entry>{};
}

model::lock_table_snapshot node::locks() {
  auto got = runtime::ask<model::lock_table_snapshot>(
      *impl_->sys, impl_->dispatcher, view_timeout,
      actors::lock_release_atom::value, actors::directory_atom::value);
  return got ? std::move(*got) : model::lock_table_snapshot{};
}

outcome<model::budget_snapshot> node::budgets() {
  if (!impl_->budgets)
    return {};
  auto got = runtime::ask<model::budget_snapshot>(
      *impl_->sys, impl_->budgets, view_timeout, actors::directory_atom::value);
  if (!got)
    return {{errc::unavailable, "the budget keeper did not answer: " +
                                    impl_->sys->render(got.error())},
            {}};
  return {{}, std::move(*got)};
}

std::string node::metrics_text() {
  auto pool = impl_->pool->snapshot();
  impl_->metrics->store_pool(pool.open, pool.in_use,
                             static_cast<double>(pool.failed_connects));
  impl_->metrics->log_lines_dropped(log_lines_dropped());
  if (impl_->spans)
    impl_->metrics->trace_spans(impl_->spans->exported(),
                                impl_->spans->dropped());
  impl_->metrics->ready(static_cast<bool>(ready()));
  if (impl_->gateway)
    if (auto s = runtime::ask<model::gateway_stats>(*impl_->sys, impl_->gateway,
                                                    view_timeout,
                                                    actors::stats_atom::value))
      impl_->metrics->providers(*s);
  return impl_->metrics->serialize();
}

} // namespace hishamos
