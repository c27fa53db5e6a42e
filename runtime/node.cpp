#include "hishamos/node.hpp"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include <caf/all.hpp>
#include <caf/io/middleman.hpp>
#include <caf/openssl/manager.hpp>
#include <caf/openssl/publish.hpp>
#include <spdlog/spdlog.h>

#include "actors/agent.hpp"
#include "actors/batch_processor.hpp"
#include "actors/budget_keeper.hpp"
#include "actors/dispatcher.hpp"
#include "actors/lock_authority.hpp"
#include "actors/membership.hpp"
#include "actors/message_types.hpp"
#include "actors/messages.hpp"
#include "actors/persistence_supervisor.hpp"
#include "actors/provider_gateway.hpp"
#include "actors/workflow_execution.hpp"
#include "model/validation.hpp"
#include "persistence/open_store.hpp"
#include "persistence/store_pool.hpp"
#include "providers/redis_cache.hpp"
#include "runtime/lease_keeper.hpp"
#include "runtime/store_lock.hpp"

namespace hishamos {

namespace {

std::string new_execution_id() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  char buf[33];
  std::snprintf(buf, sizeof buf, "%016llx%016llx",
                static_cast<unsigned long long>(rng()),
                static_cast<unsigned long long>(rng()));
  return buf;
}

model::problem store_problem(const std::string& what,
                             const persistence::status& st) {
  return {"", 0, "", what + ": " + st.message,
          "check that the store is reachable and writable"};
}

// Mutual TLS between nodes: every peer must present a certificate signed by
// the CA, or the handshake fails before any actor message is read.
model::result<bool> use_tls(caf::actor_system_config& cfg,
                            const config::tls_settings& tls) {
  int given = !tls.certificate.empty() + !tls.key.empty() + !tls.ca.empty();
  if (given == 0)
    return true;
  if (given != 3)
    return model::problem{"", 0, "",
                          "node.tls needs certificate, key and ca together",
                          "set all three, or none for plain TCP"};
  for (const auto* path : {&tls.certificate, &tls.key, &tls.ca})
    if (std::FILE* f = std::fopen(path->c_str(), "r"))
      std::fclose(f);
    else
      return model::problem{"", 0, "", "node.tls: cannot read '" + *path + "'",
                            "make test files with deploy/make-test-certs.sh"};
  cfg.load<caf::openssl::manager>();
  cfg.openssl_certificate = tls.certificate;
  cfg.openssl_key = tls.key;
  cfg.openssl_cafile = tls.ca;
  return true;
}

std::vector<persistence::workflow_row>
workflow_rows(const model::catalog& cat) {
  std::vector<persistence::workflow_row> out;
  for (const auto& [name, wf] : cat.workflows)
    out.push_back({name, wf->version, "active", wf->department,
                   model::to_json(*wf).dump()});
  return out;
}

} // namespace

struct node::impl {
  node_options opts;
  std::shared_ptr<actors::node_metrics> metrics =
      std::make_shared<actors::node_metrics>();
  std::mutex mx;                        // guards catalog, hosted and live
  std::condition_variable live_changed; ///< Signalled when `live` shrinks.
  std::shared_ptr<const model::catalog> catalog;
  std::map<std::string, caf::actor> hosted; ///< agent id -> actor
  std::map<std::string, caf::actor> live;   ///< execution id -> actor
  /// Connections for reads and admin calls from plain threads.
  std::unique_ptr<persistence::store_pool> pool;
  runtime::store_lock lock; ///< Held while the node runs on an embedded store.
  std::atomic<bool> draining{false};
  int reserved = 0; ///< Room the lease keeper holds for claims (under mx).
  size_t resumed = 0;
  caf::actor supervisor;
  caf::actor dispatcher;
  caf::actor batch;
  caf::actor ledger;     ///< Effect recorder (tests); unset normally.
  caf::actor membership; ///< Set when the node listens for peers.
  caf::actor lock_authority;
  caf::actor gateway; ///< Set when a provider of the config is HTTP.
  caf::actor budgets; ///< Set when the config has budgets.
  std::int64_t started_at_ms = persistence::now_ms();
  std::string address; ///< host:port peers reach this node at.
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys; // last: stops first

  std::unique_ptr<runtime::lease_keeper> leases; ///< Stops first: no claims.

  ~impl() {
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
    std::vector<caf::actor> all;
    {
      std::lock_guard<std::mutex> guard{mx};
      for (auto& [id, a] : live)
        all.push_back(a);
      for (auto& [id, a] : hosted)
        all.push_back(a);
    }
    all.push_back(dispatcher);
    all.push_back(batch);
    all.push_back(supervisor);
    all.push_back(ledger);
    all.push_back(membership);
    all.push_back(lock_authority);
    all.push_back(gateway);
    all.push_back(budgets);
    for (auto& a : all)
      if (a) // a failed start leaves some unset
        caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    // CAF waits until detached actors are destroyed: hold no handles.
    all.clear();
    dispatcher = supervisor = batch = ledger = membership = lock_authority =
        gateway = budgets = nullptr;
    {
      std::lock_guard<std::mutex> guard{mx};
      hosted.clear();
    }
    sys.reset(); // waits for every actor to finish
    // Nothing of ours writes any more: let another node take over at once.
    if (pool)
      if (auto st = pool->with(
              [&](persistence::store& db) -> persistence::status {
                if (auto* leases = db.leases())
                  return leases->release_lease(opts.config.node_id);
                return {};
              });
          !st)
        spdlog::warn("could not release the lease: {}", st.message);
  }

  caf::actor spawn_agent(model::agent_def def, model::agent_function fn,
                         caf::actor delegate) {
    actors::agent_settings s{std::move(def),      catalog,
                             std::move(fn),       std::move(delegate),
                             opts.config.node_id, ledger};
    s.gateway = gateway;
    return actors::spawn_agent(*sys, std::move(s));
  }

  caf::actor spawn_execution(persistence::execution_record rec,
                             std::shared_ptr<const model::workflow_def> wf,
                             std::vector<persistence::checkpoint> done,
                             model::execution_observer observer,
                             caf::actor listener) {
    actors::execution_settings s;
    s.record = std::move(rec);
    s.workflow = std::move(wf);
    s.done = std::move(done);
    s.dispatcher = dispatcher;
    s.persistence = supervisor;
    s.batch = batch;
    s.metrics = metrics;
    if (observer.on_step || observer.on_finish)
      s.observer = std::make_shared<const model::execution_observer>(
          std::move(observer));
    s.listener = std::move(listener);
    s.budgets = budgets;
    auto id = s.record.id;
    // Registered under the lock before the actor can run, so that its
    // removal on exit cannot come before its insertion.
    std::lock_guard<std::mutex> guard{mx};
    auto a = actors::spawn_execution(*sys, std::move(s));
    live[id] = a;
    a->attach_functor([this, id] {
      std::lock_guard<std::mutex> guard{mx};
      live.erase(id);
      live_changed.notify_all();
      if (opts.config.max_executions > 0 && leases)
        leases->poke(); // room for a queued execution
    });
    return a;
  }

  // Adds an agent to the catalog (copy on write) and hosts it; an agent
  // already hosted under the same id is replaced.
  void register_hosted(model::agent_def def, model::agent_function fn,
                       caf::actor delegate) {
    caf::actor a;
    {
      std::lock_guard<std::mutex> guard{mx};
      auto next = std::make_shared<model::catalog>(*catalog);
      next->agents[def.id] = def;
      catalog = std::move(next);
      a = spawn_agent(def, std::move(fn), std::move(delegate));
      hosted[def.id] = a;
    }
    // Wait for the dispatcher so that work submitted after this call
    // reaches the new agent, never the one it replaces.
    caf::scoped_actor self{*sys};
    self->request(dispatcher, std::chrono::seconds{10},
                  actors::join_atom::value, std::move(def), a)
        .receive([](bool) {}, [](caf::error&) {});
  }

  model::result<bool> host_agents();
  model::result<bool> start_gateway();
  void start_budget_keeper();
  model::result<actors::dispatch_settings> dispatch_settings();
  model::result<bool> join_cluster();
  model::result<bool> resume();
  using definition_cache =
      std::map<std::string, std::shared_ptr<const model::workflow_def>>;
  void resume_one(persistence::execution_record rec,
                  std::vector<persistence::checkpoint> cps);
  /// Parsed definitions of resumed executions, by their JSON text. Used by
  /// the starting thread, then only by the lease keeper's.
  definition_cache parsed_definitions;
  model::result<std::string>
  submit(std::shared_ptr<const model::workflow_def> wf,
         const nlohmann::json& input, model::execution_observer observer,
         caf::actor listener);
  void overlay_live(execution_status& out);
};

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
  actors::gateway_settings gs{providers, opts.config.secrets_dir,
                              opts.config.l1_cache_bytes,
                              opts.config.redis_url};
  gateway = actors::spawn_provider_gateway(*sys, std::move(gs));
  return true;
}

void node::impl::start_budget_keeper() {
  if (opts.config.budgets.empty())
    return;
  actors::budget_keeper_settings bs;
  bs.budgets = opts.config.budgets;
  bs.read_ledger = [p = pool.get()](const persistence::cost_query& q) {
    return p->with([&](persistence::store& db) { return db.cost_rollup(q); });
  };
  // The batch processor writes the ledger at least this often.
  bs.flush_window =
      std::chrono::milliseconds{2 * opts.config.batch_interval_ms + 1000};
  budgets = actors::spawn_budget_keeper(*sys, std::move(bs));
}

model::result<bool> node::impl::host_agents() {
  std::vector<std::string> ids = opts.config.agents;
  if (ids.empty())
    for (const auto& [id, def] : catalog->agents)
      ids.push_back(id);
  std::vector<std::pair<model::agent_def, caf::actor>> pairs;
  for (const auto& id : ids) {
    const auto* def = catalog->find_agent(id);
    if (!def)
      return model::problem{"", 0, "",
                            "node config hosts unknown agent '" + id + "'",
                            "list only agent ids of the catalog under agents:"};
    auto a = spawn_agent(*def, {}, {});
    hosted[id] = a;
    pairs.emplace_back(*def, a);
  }
  auto ds = dispatch_settings();
  if (!ds)
    return ds.errors();
  dispatcher = actors::spawn_dispatcher(*sys, std::move(pairs), std::move(*ds));
  return true;
}

// The dispatcher's routing: configured weights and quotas, the catalog's
// template categories, and the quality learned before (from the store).
model::result<actors::dispatch_settings> node::impl::dispatch_settings() {
  actors::dispatch_settings ds;
  const auto& d = opts.config.dispatch;
  ds.weights = d.weights;
  ds.aging_per_second = d.aging_per_second;
  ds.department_quotas = d.department_quotas;
  for (const auto& [id, tpl] : catalog->templates)
    ds.categories[id] = tpl.category;
  auto stats = pool->with([](auto& db) { return db.agent_stats(); });
  if (!stats)
    return store_problem("cannot read learned agent quality", stats.st);
  for (const auto& x : stats.value)
    if (x.node_id.empty() || x.node_id == opts.config.node_id) {
      // "" = written before learned quality was kept per node: this node's.
      auto& q = ds.learned[{x.agent_id, x.category}];
      q.successes += x.successes;
      q.failures += x.failures;
    } else {
      ds.learned_elsewhere[x.node_id][{x.agent_id, x.category}] = {x.successes,
                                                                   x.failures};
    }
  ds.batch = batch;
  ds.wait_for_peers = !opts.config.listen.empty();
  ds.node_id = opts.config.node_id;
  actors::lock_authority_settings las;
  las.wait_to_be_named = ds.wait_for_peers;
  lock_authority = actors::spawn_lock_authority(*sys, las);
  ds.lock_authority = lock_authority;
  return ds;
}

// Opens the middleman port, greets peers through the membership actor and
// records this node's address in the nodes table for the others.
model::result<bool> node::impl::join_cluster() {
  const auto& c = opts.config;
  if (c.listen.empty())
    return true;
  if (c.store_url.rfind("sqlite:", 0) == 0)
    return model::problem{"", 0, "",
                          "node.listen is set but the store is embedded "
                          "(SQLite): a cluster shares one PostgreSQL",
                          "set store.url to a postgresql:// URL, or remove "
                          "node.listen"};
  auto hp = config::split_host_port(c.listen, "node.listen");
  if (!hp)
    return hp.errors();
  actors::membership_settings ms;
  ms.node_id = c.node_id;
  ms.http_address = c.http_listen;
  ms.dispatcher = dispatcher;
  ms.tls = !c.tls.certificate.empty();
  ms.lock_authority = lock_authority;
  ms.started_at_ms = started_at_ms;
  for (const auto& seed : c.seeds) {
    auto shp = config::split_host_port(seed, "node.seeds");
    if (!shp)
      return shp.errors();
    ms.seeds.push_back(
        {"", shp->first, static_cast<std::uint16_t>(shp->second)});
  }
  bool tls = ms.tls;
  {
    std::lock_guard<std::mutex> guard{mx};
    for (const auto& [id, a] : hosted)
      if (const auto* def = catalog->find_agent(id))
        ms.agents.push_back({*def, a});
  }
  membership = actors::spawn_membership(*sys, std::move(ms));
  auto wanted = static_cast<std::uint16_t>(hp->second);
  auto port =
      tls ? caf::openssl::publish(membership, wanted, hp->first.c_str(), true)
          : sys->middleman().publish(membership, wanted, hp->first.c_str(),
                                     true);
  if (!port)
    return model::problem{"", 0, "",
                          "cannot listen for peers on " + c.listen + ": " +
                              sys->render(port.error()),
                          "free the port or change node.listen"};
  address = hp->first + ":" + std::to_string(*port);
  persistence::node_row me{c.node_id, address, c.http_listen};
  if (auto st = pool->with(
          [&](persistence::store& db) -> persistence::status {
            if (auto* leases = db.leases())
              return leases->register_node(me, c.lease_ms);
            return {};
          });
      !st)
    return store_problem("cannot register this node", st);
  spdlog::info("node {} listens for peers on {}", c.node_id, address);
  return true;
}

// Spawns an execution claimed from the store (at start or by takeover).
// Executions of one workflow share its parsed definition.
void node::impl::resume_one(persistence::execution_record rec,
                            std::vector<persistence::checkpoint> cps) {
  if (parsed_definitions.size() > 256) // bounded: definitions change rarely
    parsed_definitions.clear();
  auto& wf = parsed_definitions[rec.definition];
  if (!wf) {
    auto def = model::workflow_from_json(
        nlohmann::json::parse(rec.definition, nullptr, false));
    if (!def) {
      spdlog::error("execution {} cannot be resumed: {}", rec.id,
                    model::to_string(def.errors()));
      return;
    }
    wf = std::make_shared<const model::workflow_def>(std::move(*def));
  }
  spdlog::debug(
      "resuming execution {} of '{}' at epoch {} ({} step(s) already done)",
      rec.id, rec.workflow_name, rec.epoch, cps.size());
  spawn_execution(std::move(rec), wf, std::move(cps), {}, {});
}

model::result<bool> node::impl::resume() {
  const auto& c = opts.config;
  // Hold a fresh lease first, so nobody takes what we are about to reclaim.
  using claimed_execution = std::pair<persistence::execution_record,
                                      std::vector<persistence::checkpoint>>;
  auto claimed = pool->with([&](persistence::store& db) {
    persistence::outcome<std::vector<claimed_execution>> out;
    if (auto* leases = db.leases())
      if (out.st = leases->heartbeat(c.node_id, c.lease_ms); !out.st)
        return out;
    auto recs = db.claim_unfinished(c.node_id);
    if (out.st = recs.st; !out.st)
      return out;
    // Oldest first: beyond node.max_executions, the rest go back unowned
    // for the first node with room (this one too, later).
    std::stable_sort(recs.value.begin(), recs.value.end(),
                     [](const auto& x, const auto& y) {
                       return x.created_at_ms < y.created_at_ms;
                     });
    if (c.max_executions > 0 &&
        recs.value.size() > static_cast<size_t>(c.max_executions)) {
      std::vector<std::string> extra;
      for (auto i = static_cast<size_t>(c.max_executions);
           i < recs.value.size(); ++i)
        extra.push_back(recs.value[i].id);
      if (out.st = db.release_executions(c.node_id, extra); !out.st)
        return out;
      spdlog::info("node.max_executions is {}: {} unfinished execution(s) "
                   "wait for a node with room",
                   c.max_executions, extra.size());
      recs.value.resize(static_cast<size_t>(c.max_executions));
    }
    std::vector<std::string> ids;
    for (const auto& rec : recs.value)
      ids.push_back(rec.id);
    auto cps = db.checkpoints_of(ids); // one round trip for all of them
    if (out.st = cps.st; !out.st)
      return out;
    for (auto& rec : recs.value) {
      auto done = std::move(cps.value[rec.id]);
      out.value.emplace_back(std::move(rec), std::move(done));
    }
    return out;
  });
  if (!claimed)
    return store_problem("cannot claim unfinished executions", claimed.st);
  for (auto& [rec, cps] : claimed.value) {
    resume_one(std::move(rec), std::move(cps));
    ++resumed;
  }
  if (resumed > 0)
    spdlog::info("resumed {} execution(s) from their checkpoints", resumed);
  runtime::lease_settings ls;
  ls.node_id = c.node_id;
  ls.lease = std::chrono::milliseconds{c.lease_ms};
  ls.heartbeat = std::chrono::milliseconds{c.heartbeat_ms};
  ls.factory = opts.store_factory;
  ls.resume = [this](auto rec, auto cps) {
    resume_one(std::move(rec), std::move(cps));
  };
  ls.accepting = [this] { return !draining; };
  if (c.max_executions > 0) {
    ls.room = [this](int wanted) {
      std::lock_guard<std::mutex> guard{mx};
      int free =
          opts.config.max_executions - static_cast<int>(live.size()) - reserved;
      int take = std::max(0, std::min(free, wanted));
      reserved += take;
      return take;
    };
    ls.release_room = [this](int n) {
      std::lock_guard<std::mutex> guard{mx};
      reserved -= n;
    };
  }
  if (membership)
    ls.on_nodes = [this](std::vector<persistence::node_row> rows) {
      std::vector<actors::peer_address> peers;
      for (const auto& r : rows) {
        if (!r.alive || r.id == opts.config.node_id || r.address.empty())
          continue;
        if (auto hp = config::split_host_port(r.address, "peer address"))
          peers.push_back(
              {r.id, hp->first, static_cast<std::uint16_t>(hp->second)});
      }
      caf::anon_send(membership, actors::peers_atom::value, std::move(peers));
    };
  auto keeper = std::make_unique<runtime::lease_keeper>(std::move(ls));
  std::lock_guard<std::mutex> guard{mx};
  leases = std::move(keeper);
  return true;
}

model::result<std::unique_ptr<node>> node::start(node_options options) {
  auto p = std::make_unique<impl>();
  p->opts = std::move(options);
  auto& o = p->opts;
  if (!o.catalog)
    return model::problem{"", 0, "", "no catalog given",
                          "load one with config::load_catalog"};
  p->catalog = o.catalog;
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
  p->pool = std::make_unique<persistence::store_pool>(o.store_factory, po);
  if (auto st = p->pool->with([](auto& db) { return db.migrate(); }); !st)
    return store_problem("cannot migrate store", st);
  if (auto st = p->pool->with([](auto& db) { return db.check_durability(); });
      !st)
    return model::problem{"", 0, "", "refusing to start: " + st.message, ""};
  if (auto st = p->pool->with([&](auto& db) {
        return db.sync_workflows(workflow_rows(*p->catalog));
      });
      !st)
    return store_problem("cannot store the catalog's workflows", st);
  actors::add_message_types(p->cfg);
  if (!o.config.listen.empty()) {
    p->cfg.load<caf::io::middleman>();
    // Without heartbeats a hung peer (SIGSTOP) is never noticed.
    p->cfg.set("middleman.heartbeat-interval",
               caf::timespan{std::chrono::milliseconds{500}});
    p->cfg.set("middleman.connection-timeout",
               caf::timespan{std::chrono::seconds{2}});
    if (auto ok = use_tls(p->cfg, o.config.tls); !ok)
      return ok.errors();
  }
  if (o.scheduler_threads > 0)
    p->cfg.set("scheduler.max-threads", o.scheduler_threads);
  p->sys = std::make_unique<caf::actor_system>(p->cfg);
  // SQLite serialises writers anyway: one writer batches best there.
  bool embedded = o.config.store_url.rfind("sqlite:", 0) == 0;
  p->supervisor = actors::spawn_persistence_supervisor(
      *p->sys, o.store_factory, p->metrics,
      embedded ? 1 : o.config.store_writers);
  actors::batch_settings bs;
  bs.max_batch = static_cast<size_t>(o.config.batch_size);
  bs.interval = std::chrono::milliseconds{o.config.batch_interval_ms};
  bs.factory = o.store_factory;
  bs.metrics = p->metrics;
  p->batch = actors::spawn_batch_processor(*p->sys, std::move(bs));
  if (!o.effect_ledger.empty())
    p->ledger = actors::spawn_effect_recorder(*p->sys, o.effect_ledger);
  if (auto ok = p->start_gateway(); !ok)
    return ok.errors();
  p->start_budget_keeper();
  if (auto ok = p->host_agents(); !ok)
    return ok.errors();
  if (auto ok = p->join_cluster(); !ok)
    return ok.errors();
  if (auto ok = p->resume(); !ok)
    return ok.errors();
  return std::unique_ptr<node>{new node{std::move(p)}};
}

node::node(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
node::~node() = default;

const std::string& node::id() const { return impl_->opts.config.node_id; }

std::shared_ptr<const model::catalog> node::catalog() const {
  std::lock_guard<std::mutex> guard{impl_->mx};
  return impl_->catalog;
}

size_t node::resumed() const { return impl_->resumed; }

caf::actor_system& node::system() { return *impl_->sys; }

caf::actor node::persistence() const { return impl_->supervisor; }

std::string node::metrics_text() const {
  auto pool = impl_->pool->snapshot();
  impl_->metrics->store_pool(pool.open, pool.in_use,
                             static_cast<double>(pool.failed_connects));
  if (impl_->gateway) {
    caf::scoped_actor self{*impl_->sys};
    std::string text = "{}";
    self->request(impl_->gateway, std::chrono::seconds{2},
                  actors::stats_atom::value)
        .receive([&](std::string& s) { text = std::move(s); },
                 [](caf::error&) {});
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_object() && j.contains("l1")) {
      actors::node_metrics::provider_sample s;
      s.in_flight = j.value("in_flight", 0.0);
      s.upstream_requests = j.value("upstream_requests", 0.0);
      s.coalesced = j.value("coalesced", 0.0);
      s.l1_hits = j["l1"].value("hits", 0.0);
      s.l2_hits = j["l2"].value("hits", 0.0);
      s.cache_misses = j["l1"].value("misses", 0.0);
      for (const auto& [name, state] : j["breakers"].items())
        s.breakers[name] = state.get<std::string>();
      impl_->metrics->providers(s);
    }
  }
  return impl_->metrics->serialize();
}

void node::drain() {
  impl_->draining = true;
  std::lock_guard<std::mutex> guard{impl_->mx};
  for (const auto& [id, a] : impl_->live)
    caf::anon_send(a, actors::drain_atom::value);
}

bool node::wait_drained(std::chrono::milliseconds grace) {
  std::unique_lock<std::mutex> lock{impl_->mx};
  return impl_->live_changed.wait_for(lock, grace,
                                      [this] { return impl_->live.empty(); });
}

bool node::accepting() const { return !impl_->draining; }

bool node::ready() {
  if (impl_->draining)
    return false;
  return static_cast<bool>(
      impl_->pool->with([](auto& db) { return db.ping(); }));
}

model::result<std::string>
node::impl::submit(std::shared_ptr<const model::workflow_def> wf,
                   const nlohmann::json& input,
                   model::execution_observer observer, caf::actor listener) {
  if (draining)
    return model::problem{"", 0, "",
                          "node " + opts.config.node_id + " is shutting down",
                          "submit to another node or try again after restart"};
  auto checked = model::validate_inputs(*wf, input);
  if (!checked)
    return checked.errors();
  persistence::execution_record rec;
  rec.id = new_execution_id();
  rec.workflow_name = wf->name;
  rec.definition = model::to_json(*wf).dump();
  rec.input = checked->dump();
  rec.state = persistence::execution_state::running;
  rec.owner_node = opts.config.node_id;
  rec.epoch = 1;
  // At its limit the node stores the execution unowned: the first node
  // with room claims it (this one included, once it has room).
  // A slot is reserved now, while the row is written, so that claims in
  // the meantime see it taken.
  bool queued = false;
  bool holds_slot = false;
  if (opts.config.max_executions > 0) {
    std::lock_guard<std::mutex> guard{mx};
    queued =
        static_cast<int>(live.size()) + reserved >= opts.config.max_executions;
    if (!queued) {
      ++reserved;
      holds_slot = true;
    }
  }
  struct slot_release {
    impl& self;
    bool held;
    ~slot_release() {
      if (!held)
        return;
      std::lock_guard<std::mutex> guard{self.mx};
      --self.reserved;
    }
  } release_slot{*this, holds_slot}; // after the spawn below adds to live
  if (queued) {
    rec.state = persistence::execution_state::pending;
    rec.owner_node.clear();
  }
  // The execution exists once its row is committed; a restarting writer
  // answers "unavailable", so try again for a few seconds.
  caf::scoped_actor self{*sys};
  actors::store_ack ack{persistence::errc::unavailable,
                        "no answer from the store"};
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{10};
  do {
    self->request(supervisor, std::chrono::seconds{10}, rec)
        .receive([&](actors::store_ack& a) { ack = std::move(a); },
                 [&](caf::error& e) { ack.message = sys->render(e); });
    if (ack.code == persistence::errc::ok ||
        !persistence::is_retryable(ack.code))
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds{50});
  } while (std::chrono::steady_clock::now() < deadline);
  if (ack.code != persistence::errc::ok)
    return store_problem("cannot store the execution", {ack.code, ack.message});
  auto id = rec.id;
  if (queued) // observers and listeners follow executions run here only
    return id;
  spawn_execution(std::move(rec), std::move(wf), {}, std::move(observer),
                  std::move(listener));
  return id;
}

model::result<std::string> node::submit(const std::string& name,
                                        const nlohmann::json& input,
                                        model::execution_observer observer) {
  auto wf = catalog()->find_workflow(name);
  if (!wf)
    return model::problem{"", 0, "", "no workflow named '" + name + "'",
                          "use a name listed by GET /api/v1/workflows"};
  return impl_->submit(std::move(wf), input, std::move(observer), {});
}

model::result<std::string>
node::submit(std::shared_ptr<const model::workflow_def> wf,
             const nlohmann::json& input, model::execution_observer observer) {
  if (auto found = model::validate(*wf, *catalog()); !found.empty())
    return found;
  return impl_->submit(std::move(wf), input, std::move(observer), {});
}

model::result<std::string> node::submit(const std::string& name,
                                        const nlohmann::json& input,
                                        const caf::actor& listener) {
  auto wf = catalog()->find_workflow(name);
  if (!wf)
    return model::problem{"", 0, "", "no workflow named '" + name + "'", ""};
  return impl_->submit(std::move(wf), input, {}, listener);
}

namespace {

step_status from_checkpoint(const persistence::checkpoint& cp) {
  return {cp.step_id, "", "completed",      cp.attempt,       cp.agent_id,
          cp.output,  "", cp.started_at_ms, cp.finished_at_ms};
}

} // namespace

// Live step states (running, retrying, ...) come from the execution actor;
// the store only knows committed steps.
void node::impl::overlay_live(execution_status& out) {
  caf::actor a;
  {
    std::lock_guard<std::mutex> guard{mx};
    if (auto it = live.find(out.id); it != live.end())
      a = it->second;
  }
  if (!a)
    return;
  caf::scoped_actor self{*sys};
  std::string snap;
  self->request(a, std::chrono::seconds{2}, actors::snapshot_atom::value)
      .receive([&](std::string& s) { snap = std::move(s); },
               [](caf::error&) {});
  auto j = nlohmann::json::parse(snap, nullptr, false);
  if (j.is_discarded())
    return;
  for (const auto& s : j["steps"])
    for (auto& step : out.steps)
      if (step.id == s["id"] && step.state != "completed") {
        step.state = s["state"];
        step.attempt = s["attempt"];
        step.agent_id = s["agent_id"];
        step.error = s["error"];
      }
  for (const auto& s : j["steps"])
    for (auto& step : out.steps)
      if (step.id == s["id"]) {
        if (s.contains("decision"))
          step.decision = s["decision"];
        if (s.contains("template_version"))
          step.template_version = s["template_version"];
      }
}

namespace {

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
          r.updated_at_ms};
}

} // namespace

persistence::outcome<std::optional<execution_status>>
node::execution(const std::string& id) {
  struct stored {
    std::optional<persistence::execution_record> record;
    std::vector<persistence::checkpoint> checkpoints;
    std::map<std::string, persistence::step_result_meta> decisions;
  };
  auto got = impl_->pool->with([&](persistence::store& db) {
    persistence::outcome<stored> out;
    auto rec = db.find_execution(id);
    if (out.st = rec.st; !out.st || !rec.value)
      return out;
    auto cps = db.checkpoints(id);
    if (out.st = cps.st; !out.st)
      return out;
    auto decisions = db.decisions_of(id);
    out.st = decisions.st;
    out.value = {std::move(rec.value), std::move(cps.value),
                 std::move(decisions.value)};
    return out;
  });
  if (!got || !got.value.record)
    return {got.st, std::nullopt};
  const auto& r = *got.value.record;
  auto out = from_record(r);
  out.input = nlohmann::json::parse(r.input, nullptr, false);
  out.output = r.output.empty()
                   ? nlohmann::json::object()
                   : nlohmann::json::parse(r.output, nullptr, false);
  auto def = nlohmann::json::parse(r.definition, nullptr, false);
  if (!def.is_discarded())
    for (const auto& s : def["steps"])
      out.steps.push_back({s.value("id", ""), s.value("name", ""), "pending"});
  for (const auto& cp : got.value.checkpoints)
    for (auto& step : out.steps)
      if (step.id == cp.step_id) {
        auto name = step.name;
        step = from_checkpoint(cp);
        step.name = name;
      }
  for (auto& step : out.steps)
    if (auto d = got.value.decisions.find(step.id);
        d != got.value.decisions.end()) {
      if (!d->second.decision.empty())
        step.decision =
            nlohmann::json::parse(d->second.decision, nullptr, false);
      step.template_version = d->second.template_version;
    }
  if (out.state == "failed") // the error names the failed step first
    for (auto& step : out.steps)
      if (out.error.rfind("step '" + step.id + "'", 0) == 0)
        step.state = "failed";
  impl_->overlay_live(out);
  return {{}, std::move(out)};
}

persistence::outcome<std::vector<execution_status>>
node::executions(int limit) {
  auto rows = impl_->pool->with(
      [&](persistence::store& db) { return db.list_executions(limit); });
  persistence::outcome<std::vector<execution_status>> out{rows.st, {}};
  for (const auto& r : rows.value)
    out.value.push_back(from_record(r));
  return out;
}

persistence::outcome<persistence::workflow_page>
node::workflows(const persistence::workflow_query& q) {
  return impl_->pool->with(
      [&](persistence::store& db) { return db.list_workflows(q); });
}

persistence::outcome<std::vector<persistence::daily_point>>
node::agent_daily_series(const std::string& agent_id,
                         const std::string& from_day,
                         const std::string& to_day) {
  return impl_->pool->with([&](persistence::store& db) {
    return db.agent_daily_series(agent_id, from_day, to_day);
  });
}

persistence::outcome<nlohmann::json> node::cluster() {
  auto rows = impl_->pool->with(
      [](persistence::store& db) -> persistence::outcome<std::vector<persistence::node_row>> {
        if (auto* leases = db.leases())
          return leases->nodes();
        return {};
      });
  if (!rows)
    return {rows.st, {}};
  caf::scoped_actor self{*impl_->sys};
  auto ask = [&](const caf::actor& a) {
    std::string text = "[]";
    if (a)
      self->request(a, std::chrono::seconds{2}, actors::directory_atom::value)
          .receive([&](std::string& s) { text = std::move(s); },
                   [](caf::error&) {});
    return nlohmann::json::parse(text, nullptr, false);
  };
  auto agents = ask(impl_->dispatcher);
  auto peers = ask(impl_->membership);
  const auto& me = impl_->opts.config.node_id;
  if (rows.value.empty()) // embedded store: no nodes table
    rows.value.push_back(
        {me, impl_->address, impl_->opts.config.http_listen, 0, 0, true});
  auto out = nlohmann::json::array();
  for (const auto& r : rows.value) {
    bool connected = r.id == me;
    for (const auto& p : peers)
      connected = connected || p.value("id", "") == r.id;
    nlohmann::json node_agents = nlohmann::json::array();
    for (const auto& a : agents)
      if (a.value("node", "") == (r.id == me ? "" : r.id))
        node_agents.push_back({{"id", a["id"]},
                               {"department", a["department"]},
                               {"capabilities", a["capabilities"]},
                               {"capacity", a["capacity"]},
                               {"load", a["load"]},
                               {"load_from_here", a["load_from_here"]}});
    out.push_back({{"id", r.id},
                   {"self", r.id == me},
                   {"address", r.address},
                   {"http_address", r.http_address},
                   {"lease", r.alive ? "live" : "expired"},
                   {"lease_expires_at_ms", r.lease_expires_at_ms},
                   {"connected", connected},
                   {"agents", node_agents}});
  }
  return {{}, {{"node", me}, {"nodes", out}}};
}

persistence::status node::rate_result(const std::string& execution_id,
                                      const std::string& step_id,
                                      double score) {
  using persistence::errc;
  if (!(score >= 0 && score <= 1))
    return {errc::invalid, "a rating is a number from 0 to 1"};
  std::string agent, template_id;
  auto st = impl_->pool->with([&](persistence::store& db) {
    auto rec = db.find_execution(execution_id);
    if (!rec)
      return rec.st;
    if (!rec.value)
      return persistence::status{errc::not_found,
                                 "no execution with id '" + execution_id + "'"};
    auto wf = model::workflow_from_json(
        nlohmann::json::parse(rec.value->definition, nullptr, false));
    if (wf)
      if (int i = wf->index_of(step_id); i >= 0)
        template_id = wf->steps[static_cast<size_t>(i)].command_template_id;
    auto cps = db.checkpoints(execution_id);
    if (!cps)
      return cps.st;
    for (const auto& cp : cps.value)
      if (cp.step_id == step_id)
        agent = cp.agent_id;
    if (agent.empty())
      return persistence::status{errc::not_found,
                                 "execution " + execution_id +
                                     " has no committed result for step '" +
                                     step_id + "'"};
    return db.rate_result(execution_id, step_id, score);
  });
  if (!st)
    return st;
  const auto* tpl = catalog()->find_template(template_id);
  caf::anon_send(impl_->dispatcher, actors::rate_atom::value, agent,
                 tpl ? tpl->category : template_id, score);
  return {};
}

nlohmann::json node::learned_quality() {
  caf::scoped_actor self{*impl_->sys};
  std::string text = "[]";
  self->request(impl_->dispatcher, std::chrono::seconds{2},
                actors::stats_atom::value)
      .receive([&](std::string& s) { text = std::move(s); },
               [](caf::error&) {});
  return nlohmann::json::parse(text, nullptr, false);
}

nlohmann::json node::locks() {
  caf::scoped_actor self{*impl_->sys};
  std::string text = R"({"authority": null})";
  self->request(impl_->dispatcher, std::chrono::seconds{2},
                actors::lock_release_atom::value, actors::directory_atom::value)
      .receive([&](std::string& s) { text = std::move(s); },
               [](caf::error&) {});
  return nlohmann::json::parse(text, nullptr, false);
}

void node::audit(const std::string& action, const nlohmann::json& details,
                 const std::string& user_id) {
  caf::anon_send(impl_->batch,
                 persistence::audit_event{user_id, action, details.dump(),
                                          persistence::now_ms()});
}

bool node::cancel(const std::string& id) {
  std::lock_guard<std::mutex> guard{impl_->mx};
  auto it = impl_->live.find(id);
  if (it == impl_->live.end())
    return false;
  caf::anon_send(it->second, actors::cancel_atom::value);
  return true;
}

persistence::outcome<double> node::approve_budget(const std::string& id,
                                                  double extra_usd) {
  using persistence::errc;
  if (!(extra_usd >= 0) || extra_usd > 1e9)
    return {{errc::invalid, "extra_usd must be a number of USD from 0 to 1e9 "
                            "(0 = the limit of the budget that paused it)"},
            0};
  caf::actor execution;
  {
    std::lock_guard<std::mutex> guard{impl_->mx};
    if (auto it = impl_->live.find(id); it != impl_->live.end())
      execution = it->second;
  }
  if (!execution)
    return {{errc::not_found, "execution " + id +
                                  " is not running on this node; approve it "
                                  "on the node that owns it"},
            0};
  persistence::outcome<double> out{{errc::unavailable, "no answer"}, 0};
  caf::scoped_actor self{*impl_->sys};
  self->request(execution, std::chrono::seconds{10},
                actors::approve_atom::value, extra_usd)
      .receive(
          [&](double until) {
            out = {{}, until};
          },
          [&](caf::error& e) {
            out.st = e == caf::sec::unexpected_message
                         ? persistence::status{errc::conflict,
                                               "execution " + id +
                                                   " is not paused by a "
                                                   "budget"}
                         : persistence::status{errc::unavailable,
                                               "the execution did not "
                                               "confirm the approval: " +
                                                   impl_->sys->render(e)};
          });
  return out;
}

nlohmann::json node::budgets() {
  if (!impl_->budgets)
    return {{"budgets", nlohmann::json::array()}};
  caf::scoped_actor self{*impl_->sys};
  std::string text =
      R"({"budgets": null, "error": "the budget keeper did not answer"})";
  self->request(impl_->budgets, std::chrono::seconds{2},
                actors::directory_atom::value)
      .receive([&](std::string& s) { text = std::move(s); },
               [](caf::error&) {});
  return nlohmann::json::parse(text, nullptr, false);
}

persistence::outcome<std::vector<persistence::cost_row>>
node::costs(const persistence::cost_query& q) {
  return impl_->pool->with(
      [&](persistence::store& db) { return db.cost_rollup(q); });
}

void node::register_agent(model::agent_def def, model::agent_function fn) {
  impl_->register_hosted(std::move(def), std::move(fn), {});
}

void node::register_agent(model::agent_def def, const caf::actor& a) {
  impl_->register_hosted(std::move(def), {}, a);
}

} // namespace hishamos
