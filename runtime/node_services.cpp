// The order in which a node's services start, and the reverse in which
// they stop. Start: store (migrate, check durability, catalog), actor
// system, persistence supervisor, batch processor, provider gateway,
// budget keeper, lock authority, agents and dispatcher, membership, then
// recovery (runtime/recovery.cpp). Stop: the lease keeper first (no more
// claims), then every actor, then the lease is released so that another
// node takes over at once.

#include <cstdlib>

#include <caf/io/middleman.hpp>
#include <spdlog/spdlog.h>

#include "actors/agent.hpp"
#include "actors/batch_processor.hpp"
#include "actors/budget_keeper.hpp"
#include "actors/dispatcher.hpp"
#include "actors/lock_authority.hpp"
#include "actors/message_types.hpp"
#include "actors/persistence_supervisor.hpp"
#include "actors/provider_gateway.hpp"
#include "persistence/open_store.hpp"
#include "providers/redis_cache.hpp"
#include "runtime/internal/node_impl.hpp"
#include "runtime/stored_secrets.hpp"
#include "runtime/tracing.hpp"

namespace hishamos {

namespace {

std::vector<persistence::workflow_draft>
workflow_drafts(const model::catalog& cat) {
  std::vector<persistence::workflow_draft> out;
  for (const auto& [name, wf] : cat.workflows)
    out.push_back({name, model::to_json(*wf).dump(), wf->department,
                   wf->description, "catalog"});
  return out;
}

std::vector<persistence::template_row>
template_rows(const model::catalog& cat) {
  std::vector<persistence::template_row> out;
  for (const auto& [id, t] : cat.templates)
    out.push_back(
        {id, t.version, t.name, t.category, model::to_json(t).dump(), 0});
  return out;
}

// Migrates the store, refuses settings that lose commits, and stores the
// catalog's workflows.
model::result<bool> prepare_store(persistence::store_pool& pool,
                                  const model::catalog& cat) {
  if (auto st = pool.with("migrate", [](auto& db) { return db.migrate(); });
      !st)
    return store_problem("cannot migrate store", st);
  if (auto st = pool.with("check_durability",
                          [](auto& db) { return db.check_durability(); });
      !st)
    return model::problem{"", 0, "", "refusing to start: " + st.message, ""};
  auto kept = pool.with("sync_workflows", [&](auto& db) {
    return db.sync_workflows(workflow_drafts(cat));
  });
  if (!kept)
    return store_problem("cannot store the catalog's workflows", kept.st);
  for (const auto& name : kept.value)
    spdlog::warn("workflow '{}': its active version was made through the "
                 "API, so the catalog file's definition is not used (PUT it "
                 "as a new version to use it)",
                 name);
  if (auto st = pool.with(
          "sync_templates",
          [&](auto& db) { return db.sync_templates(template_rows(cat)); });
      !st)
    return store_problem("cannot store the catalog's templates", st);
  return true;
}

// The actor system's settings: message types, the middleman for peers
// (with heartbeats, or a hung peer is never noticed) and TLS.
model::result<bool> configure_system(caf::actor_system_config& cfg,
                                     const node_options& o) {
  actors::add_message_types(cfg);
  if (!o.config.listen.empty()) {
    cfg.load<caf::io::middleman>();
    cfg.set("middleman.heartbeat-interval",
            caf::timespan{std::chrono::milliseconds{500}});
    cfg.set("middleman.connection-timeout",
            caf::timespan{std::chrono::seconds{2}});
    if (auto ok = use_tls(cfg, o.config.tls); !ok)
      return ok.errors();
  }
  if (o.scheduler_threads > 0)
    cfg.set("scheduler.max-threads", o.scheduler_threads);
  return true;
}

// The dispatcher's routing: configured weights and quotas, the catalog's
// template categories, and the quality learned before (from the store).
model::result<actors::dispatch_settings>
dispatch_settings(const node_options& o, const model::catalog& cat,
                  persistence::store_pool& pool) {
  actors::dispatch_settings ds;
  const auto& d = o.config.dispatch;
  ds.weights = d.weights;
  ds.aging_per_second = d.aging_per_second;
  ds.department_quotas = d.department_quotas;
  ds.max_candidates = d.max_candidates;
  for (const auto& [id, tpl] : cat.templates)
    ds.categories[id] = tpl.category;
  auto stats =
      pool.with("agent_stats", [](auto& db) { return db.agent_stats(); });
  if (!stats)
    return store_problem("cannot read learned agent quality", stats.st);
  for (const auto& x : stats.value)
    if (x.node_id.empty() || x.node_id == o.config.node_id) {
      // "" = written before learned quality was kept per node: this node's.
      auto& q = ds.learned[{x.agent_id, x.category}];
      q.successes += x.successes;
      q.failures += x.failures;
    } else {
      ds.learned_elsewhere[x.node_id][{x.agent_id, x.category}] = {x.successes,
                                                                   x.failures};
    }
  ds.wait_for_peers = !o.config.listen.empty();
  ds.node_id = o.config.node_id;
  return ds;
}

} // namespace

model::problem store_problem(const std::string& what,
                             const persistence::status& st) {
  return {"", 0, "", what + ": " + st.message,
          "check that the store is reachable and writable"};
}

model::result<std::unique_ptr<node>> node::start(node_options options) {
  if (!options.catalog)
    return model::problem{"", 0, "", "no catalog given",
                          "load one with config::load_catalog"};
  auto p = std::make_unique<impl>(std::move(options));
  auto& o = p->opts;
  p->catalog = o.catalog;
  p->started_at_ms = persistence::now_ms();
  auto lock = runtime::store_lock::acquire(o.config.store_url);
  if (!lock)
    return lock.errors();
  p->lock = std::move(*lock);
  if (!o.store_factory)
    o.store_factory = [url = o.config.store_url] {
      return persistence::open_store(url);
    };
  if (o.effect_ledger.empty())
    if (const char* env = std::getenv("HISHAMOS_EFFECT_LEDGER"))
      o.effect_ledger = env;
  persistence::pool_options po;
  if (o.config.store_pool_size > 0)
    po.size = static_cast<size_t>(o.config.store_pool_size);
  // Every pool call timed by name; one slower than http.slow_call_ms is
  // logged (its name only: never its arguments).
  po.on_call = [m = p->metrics, slow_ms = o.config.http.slow_call_ms](
                   const char* call, double seconds) {
    m->store_call(call, seconds);
    if (seconds * 1000 > static_cast<double>(slow_ms))
      spdlog::warn("slow store call {} took {:.0f} ms", call, seconds * 1000);
  };
  p->pool = std::make_unique<persistence::store_pool>(o.store_factory, po);
  p->audits = std::make_unique<persistence::audit_writer>(*p->pool);
  p->workflows = std::make_unique<runtime::workflow_cache>(*p->pool);
  if (auto ok = prepare_store(*p->pool, *p->catalog); !ok)
    return ok.errors();
  if (auto seen = runtime::store_watermark::seen_file_of(
          o.config.store_url, o.config.store_seen_file);
      !seen.empty()) {
    auto kept = runtime::store_watermark::check(*p->pool, seen, o.start_afresh);
    if (!kept)
      return kept.errors();
    p->watermark = std::move(*kept);
  }
  auto spans = runtime::make_span_exporter(o.config);
  if (!spans)
    return spans.errors();
  p->spans = std::move(*spans);
  if (auto ok = configure_system(p->cfg, o); !ok)
    return ok.errors();
  p->sys = std::make_unique<caf::actor_system>(p->cfg);
  if (auto ok = p->start_services(); !ok)
    return ok.errors();
  p->watch_health();
  p->watch_executions();
  if (auto ok = p->resume(); !ok)
    return ok.errors();
  return std::unique_ptr<node>{new node{std::move(p)}};
}

model::result<bool> node::impl::start_services() {
  const auto& o = opts;
  // SQLite serialises writers anyway: one writer batches best there.
  bool embedded = o.config.store_url.rfind("sqlite:", 0) == 0;
  supervisor = actors::spawn_persistence_supervisor(
      *sys, o.store_factory, metrics, embedded ? 1 : o.config.store_writers);
  actors::batch_settings bs;
  bs.max_batch = static_cast<size_t>(o.config.batch_size);
  bs.interval = std::chrono::milliseconds{o.config.batch_interval_ms};
  bs.factory = o.store_factory;
  bs.metrics = metrics;
  batch = actors::spawn_batch_processor(*sys, std::move(bs));
  if (!o.effect_ledger.empty())
    ledger = actors::spawn_effect_recorder(*sys, o.effect_ledger);
  if (auto ok = start_gateway(); !ok)
    return ok.errors();
  start_budget_keeper();
  actors::lock_authority_settings las;
  las.wait_to_be_named = !o.config.listen.empty();
  lock_authority = actors::spawn_lock_authority(*sys, las);
  if (auto ok = host_agents(); !ok)
    return ok.errors();
  return join_cluster();
}

// Spawns the provider gateway when the config has an HTTP provider, and
// checks that every agent's providers are configured.
model::result<bool> node::impl::start_gateway() {
  const auto& providers = opts.config.providers;
  for (const auto& [id, a] : catalog->agents) {
    std::vector<std::string> names{a.provider};
    names.insert(names.end(), a.fallback_providers.begin(),
                 a.fallback_providers.end());
    for (const auto& name : names)
      if (name != "local" && !providers.count(name))
        return model::problem{"", 0, "",
                              "agent '" + id + "' uses provider '" + name +
                                  "', which the node config does not define",
                              "add providers." + name +
                                  " {type: openai|anthropic, base_url: ...} to "
                                  "the node config"};
  }
  if (const auto& url = opts.config.redis_url; !url.empty())
    if (auto where = providers::parse_redis_url(url); !where)
      return where.errors();
  bool http = false;
  for (const auto& [name, p] : providers)
    http = http || p.type != "local";
  if (!http)
    return true;
  auto stored = load_stored_secrets(opts.config, *pool);
  if (!stored)
    return stored.errors();
  actors::gateway_settings gs{providers, opts.config.secrets_dir,
                              opts.config.l1_cache_bytes,
                              opts.config.redis_url};
  gs.stored_secrets = *stored;
  gs.spans = spans;
  gateway = actors::spawn_provider_gateway(*sys, std::move(gs));
  return true;
}

void node::impl::start_budget_keeper() {
  if (opts.config.budgets.empty())
    return;
  actors::budget_keeper_settings bs;
  bs.budgets = opts.config.budgets;
  bs.read_ledger = [p = pool.get()](const model::cost_query& q) {
    return p->with([&](persistence::store& db) { return db.cost_rollup(q); });
  };
  // The batch processor writes the ledger at least this often.
  bs.flush_window =
      std::chrono::milliseconds{2 * opts.config.batch_interval_ms + 1000};
  budgets = actors::spawn_budget_keeper(*sys, std::move(bs));
}

// An agent renders with the catalog the node started with: templates do
// not change while it runs, and the current catalog would cost each agent
// registered later a copy holding every agent registered before it
// (10,000 registered one by one took 17 GiB).
caf::actor node::impl::spawn_agent(model::agent_def def,
                                   model::agent_function fn,
                                   caf::actor delegate) {
  actors::agent_settings s{std::move(def),      opts.catalog,
                           std::move(fn),       std::move(delegate),
                           opts.config.node_id, ledger};
  s.gateway = gateway;
  return actors::spawn_agent(*sys, std::move(s));
}

model::result<bool> node::impl::host_agents() {
  std::vector<std::string> ids = opts.config.agents;
  if (ids.empty())
    for (const auto& [id, def] : catalog->agents)
      ids.push_back(id);
  auto ds = dispatch_settings(opts, *catalog, *pool);
  if (!ds)
    return ds.errors();
  bool on_demand = opts.config.dispatch.agents_on_demand;
  std::vector<std::pair<model::agent_def, caf::actor>> pairs;
  for (const auto& id : ids) {
    const auto* def = catalog->find_agent(id);
    if (!def)
      return model::problem{"", 0, "",
                            "node config hosts unknown agent '" + id + "'",
                            "list only agent ids of the catalog under agents:"};
    if (on_demand) { // the dispatcher spawns its actor while it has tasks
      ds->on_demand_agents.push_back(*def);
      continue;
    }
    auto a = spawn_agent(*def, {}, {});
    hosted[id] = a;
    pairs.emplace_back(*def, a);
  }
  if (on_demand) // called by the dispatcher: no member read under its feet
    ds->spawn_on_demand = [sys = sys.get(), cat = catalog, gw = gateway,
                           led = ledger, node_id = opts.config.node_id,
                           table = functions](const model::agent_def& def) {
      model::agent_function fn; // none: a catalog agent
      {
        std::lock_guard<std::mutex> guard{table->mx};
        if (auto it = table->fns.find(def.id); it != table->fns.end())
          fn = it->second;
      }
      actors::agent_settings s{def, cat, std::move(fn), {}, node_id, led};
      s.gateway = gw;
      return actors::spawn_agent(*sys, std::move(s));
    };
  ds->batch = batch;
  ds->lock_authority = lock_authority;
  ds->metrics = metrics;
  dispatcher = actors::spawn_dispatcher(*sys, std::move(pairs), std::move(*ds));
  return true;
}

// Adds an agent to the catalog (copy on write) and hosts it; an agent
// already hosted under the same id is replaced.
void node::impl::register_hosted(model::agent_def def, caf::actor delegate) {
  caf::actor a;
  {
    std::lock_guard<std::mutex> guard{mx};
    auto next = std::make_shared<model::catalog>(*catalog);
    next->agents[def.id] = def;
    catalog = std::move(next);
    a = spawn_agent(def, {}, std::move(delegate));
    hosted[def.id] = a;
  }
  // Wait for the dispatcher so that work submitted after this call
  // reaches the new agent, never the one it replaces.
  caf::scoped_actor self{*sys};
  self->request(dispatcher, std::chrono::seconds{10}, actors::join_atom::value,
                std::move(def), a)
      .receive([](bool) {}, [](caf::error&) {});
}

// Many function agents with one catalog copy. On demand, each is a record
// in the dispatcher and its function waits in the table; otherwise each
// gets its actor now, as register_hosted does.
void node::impl::register_functions(
    std::vector<std::pair<model::agent_def, model::agent_function>> agents) {
  bool on_demand = opts.config.dispatch.agents_on_demand;
  std::vector<model::agent_def> records;
  std::vector<std::pair<model::agent_def, caf::actor>> spawned;
  {
    std::lock_guard<std::mutex> guard{mx};
    auto next = std::make_shared<model::catalog>(*catalog);
    for (const auto& [def, fn] : agents)
      next->agents[def.id] = def;
    catalog = std::move(next);
    std::lock_guard<std::mutex> table{functions->mx};
    for (auto& [def, fn] : agents) {
      if (on_demand) {
        functions->fns[def.id] = std::move(fn);
        hosted.erase(def.id); // the dispatcher stops its actor, if any
        records.push_back(std::move(def));
        continue;
      }
      auto a = spawn_agent(def, std::move(fn), {});
      hosted[def.id] = a;
      spawned.emplace_back(std::move(def), std::move(a));
    }
  }
  // As register_hosted: work submitted after this call reaches them.
  caf::scoped_actor self{*sys};
  if (!records.empty())
    self->request(dispatcher, std::chrono::seconds{60},
                  actors::join_atom::value, std::move(records))
        .receive([](bool) {}, [](caf::error&) {});
  for (auto& [def, a] : spawned)
    self->request(dispatcher, std::chrono::seconds{10},
                  actors::join_atom::value, std::move(def), a)
        .receive([](bool) {}, [](caf::error&) {});
}

node::impl::~impl() {
  poller.reset();
  draining = true;
  // Moved out under the lock (executions read it when they end), stopped
  // outside it (its thread may be spawning an execution, which locks).
  std::unique_ptr<runtime::lease_keeper> stopping;
  {
    std::lock_guard<std::mutex> guard{mx};
    stopping = std::move(leases);
  }
  stopping.reset();
  if (!sys)
    return;
  for (auto& a : executions.all())
    caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  std::vector<caf::actor> all;
  {
    std::lock_guard<std::mutex> guard{mx};
    for (auto& [id, a] : hosted)
      all.push_back(a);
    hosted.clear();
  }
  all.insert(all.end(), {caf::actor_cast<caf::actor>(dispatcher),
                         caf::actor_cast<caf::actor>(batch),
                         caf::actor_cast<caf::actor>(supervisor), ledger,
                         membership, lock_authority, gateway, budgets});
  for (auto& a : all)
    if (a) // a failed start leaves some unset
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  // CAF waits until detached actors are destroyed: hold no handles.
  all.clear();
  dispatcher = nullptr;
  supervisor = nullptr;
  batch = nullptr;
  ledger = membership = lock_authority = gateway = budgets = nullptr;
  sys.reset(); // waits for every actor to finish
  // Nothing of ours writes any more: let another node take over at once.
  if (pool)
    if (auto st =
            pool->with("release_lease",
                       [&](persistence::store& db) -> persistence::status {
                         if (auto* l = db.leases())
                           return l->release_lease(opts.config.node_id);
                         return {};
                       });
        !st)
      spdlog::warn("could not release the lease: {}", st.message);
}

} // namespace hishamos
