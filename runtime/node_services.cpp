// The order in which a node's services start, and the reverse in which
// they stop. Start: store (migrate, check durability, catalog), actor
// system, persistence supervisor, batch processor, provider gateway,
// budget keeper, lock authority, agents and dispatcher
// (runtime/agent_hosting.cpp), membership, then recovery
// (runtime/recovery.cpp). Stop: the lease keeper first (no more claims),
// then every actor, then the lease is released so that another node takes
// over at once.

#include <algorithm>
#include <cstdlib>
#include <thread>

#include <caf/io/middleman.hpp>
#include <spdlog/spdlog.h>

#include "actors/agent.hpp" // spawn_effect_recorder
#include "actors/batch_processor.hpp"
#include "actors/budget_keeper.hpp"
#include "actors/lock_authority.hpp"
#include "actors/message_types.hpp"
#include "actors/persistence_supervisor.hpp"
#include "actors/provider_gateway.hpp"
#include "persistence/open_store.hpp"
#include "providers/redis_cache.hpp"
#include "runtime/internal/ask.hpp"
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

// Where the node's configuration is silent, it writes as the store says:
// a store an earlier release made keeps definitions in each row and
// decisions as objects, since nodes of that release may share it.
model::result<bool> follow_store_settings(node::impl& p) {
  auto got = p.pool->with("settings", [](auto& db) { return db.settings(); });
  if (!got)
    return store_problem("cannot read the store's settings", got.st);
  auto& cfg = p.opts.config;
  if (!cfg.definitions_by_hash)
    cfg.definitions_by_hash = got.value.definitions_by_hash;
  p.compact_decisions = got.value.compact_decisions;
  spdlog::info("execution definitions are kept {}, routing decisions {}, "
               "ledger lines {}",
               *cfg.definitions_by_hash ? "once each, by hash"
                                        : "in each execution's row",
               p.compact_decisions ? "in their compact form" : "as objects",
               got.value.ledger_with_checkpoints ? "with their checkpoints"
                                                 : "in rows of their own");
  return true;
}

// Worker threads of the cooperative scheduler: as node_options says, or
// one per core (at least two). CAF's own default is at least four, which
// on a machine of two cores wakes and switches between more threads than
// there are cores to run them: side by side on such a machine, two workers
// were faster than four in 16 of 19 rounds, on both stores and shapes
// (docs/performance.md, item 30).
size_t scheduler_threads(const node_options& o) {
  if (o.scheduler_threads > 0)
    return static_cast<size_t>(o.scheduler_threads);
  return std::max(2u, std::thread::hardware_concurrency());
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
  cfg.set("scheduler.max-threads", scheduler_threads(o));
  return true;
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
  if (auto ok = follow_store_settings(*p); !ok)
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
  int writers =
      config::checkpoint_writers(o.config, std::thread::hardware_concurrency());
  spdlog::info("{} checkpoint writer(s)", writers);
  supervisor = actors::spawn_persistence_supervisor(
      *sys, o.store_factory, metrics, writers, o.store_answer_within);
  // It spawns its writers when it first runs: asked once, they are up, as
  // every actor of the node is once start returns.
  if (!runtime::ask<caf::actor>(*sys, supervisor, std::chrono::seconds{10},
                                actors::writer_atom::value))
    return model::problem{"", 0, "", "the checkpoint writers did not start",
                          "see the log for why; then start the node again"};
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
