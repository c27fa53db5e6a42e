#pragma once

// The state of a running node, shared by the files that make up its
// façade (hishamos/node.hpp), one job each:
//   runtime/node_services.cpp   the order in which services start and stop
//   runtime/recovery.cpp        resuming executions at start, takeovers
//   runtime/submission.cpp      storing and starting new executions
//   runtime/read_views.cpp      executions, cluster, locks, budgets, metrics
//   runtime/attempt_views.cpp   an execution's attempts and owners
//   runtime/admin_commands.cpp  rate, approve, cancel, audit
//   runtime/node.cpp            the façade's small members
// Included by those only: it pulls in CAF.

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include <caf/all.hpp>

#include "actors/interfaces.hpp"
#include "actors/metrics.hpp"
#include "hishamos/node.hpp"
#include "persistence/audit_writer.hpp"
#include "persistence/store_pool.hpp"
#include "providers/span_exporter.hpp"
#include "runtime/event_hub.hpp"
#include "runtime/execution_poller.hpp"
#include "runtime/execution_registry.hpp"
#include "runtime/lease_keeper.hpp"
#include "runtime/store_lock.hpp"
#include "runtime/store_watermark.hpp"
#include "runtime/workflow_cache.hpp"

namespace hishamos {

/// The first damage of `cps` ("" when every checkpoint is intact).
std::string damage_of(const std::vector<persistence::checkpoint>& cps);

/// `rec`'s workflow as it was when started; else what is wrong with its
/// stored definition (missing, not the one its hash names, or does not
/// parse), to quarantine it for.
model::result<model::workflow_def>
definition_of(const persistence::execution_record& rec, std::string& damage);

struct node::impl {
  explicit impl(node_options o)
      : opts(std::move(o)), executions(opts.config.max_executions) {}
  ~impl(); // node_services.cpp: stops everything in order

  node_options opts;
  std::shared_ptr<actors::node_metrics> metrics =
      std::make_shared<actors::node_metrics>();
  /// Spans to the OTLP collector (tracing.otlp_endpoint); null = none.
  std::shared_ptr<providers::span_exporter> spans;
  std::mutex mx; // guards catalog, hosted and leases
  std::shared_ptr<const model::catalog> catalog;
  std::map<std::string, caf::actor> hosted; ///< agent id -> actor
  /// The functions of agents hosted on demand (dispatch.agents_on_demand):
  /// register_agents writes them, the dispatcher reads one when it spawns
  /// that agent's actor.
  struct function_table {
    std::mutex mx;
    std::unordered_map<std::string, model::agent_function> fns;
  };
  std::shared_ptr<function_table> functions =
      std::make_shared<function_table>();
  runtime::execution_registry executions;
  runtime::event_hub hub;
  /// Every execution's events go to the hub through this.
  std::shared_ptr<const model::execution_observer> watcher;
  /// Watches executions of other nodes through the store; stops first.
  std::unique_ptr<runtime::execution_poller> poller;
  /// Connections for reads and admin calls from plain threads.
  std::unique_ptr<persistence::store_pool> pool;
  /// Routing decisions in their compact form: the store says every node
  /// reads it (store_identity.compact_decisions, read once at start).
  bool compact_decisions = false;
  /// Keeps the record of the store this node saw (store_watermark.hpp).
  std::unique_ptr<runtime::store_watermark> watermark;
  /// node::audit's events, each committed before the call returns.
  std::unique_ptr<persistence::audit_writer> audits;
  /// Stored workflows' active versions, for submissions.
  std::unique_ptr<runtime::workflow_cache> workflows;
  runtime::store_lock lock; ///< Held while the node runs on an embedded store.
  std::atomic<bool> draining{false};
  size_t resumed = 0;
  std::int64_t started_at_ms = 0;
  std::string address; ///< host:port peers reach this node at.

  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  actors::persistence_actor supervisor;
  actors::dispatcher_actor dispatcher;
  actors::batch_actor batch;
  caf::actor ledger;     ///< Effect recorder (tests); unset normally.
  caf::actor membership; ///< Set when the node listens for peers.
  caf::actor lock_authority;
  caf::actor gateway; ///< Set when a provider of the config is HTTP.
  caf::actor budgets; ///< Set when the config has budgets.
  std::unique_ptr<runtime::lease_keeper> leases; ///< Stops first: no claims.

  // node_services.cpp (and agent_hosting.cpp: spawn_agent, host_agents,
  // register_agents)
  model::result<bool> start_services();
  model::result<bool> start_gateway();
  void start_budget_keeper();
  model::result<bool> host_agents();
  model::result<bool> join_cluster();
  caf::actor spawn_agent(model::agent_def def, model::agent_function fn,
                         caf::actor delegate);
  /// An agent an embedder registers: a function, or an actor of its own.
  struct registered_agent {
    model::agent_def def;
    model::agent_function fn;
    caf::actor delegate;
  };
  void register_agents(std::vector<registered_agent> agents);

  /// Publishes every execution's events to the hub, and starts watching
  /// other nodes' executions through the store (read_views.cpp).
  void watch_executions();

  // health.cpp
  /// Marks the node unhealthy when a node-wide actor fails.
  void watch_health();
  /// Why the node is unhealthy ("" = it is not); guarded by mx.
  std::string broken;

  // quarantine.cpp
  /// Stores `rec` failed as quarantined for `why` (its damaged state),
  /// audited and counted; it is never run on.
  void quarantine(const persistence::execution_record& rec,
                  const std::string& why);

  // recovery.cpp
  model::result<bool> resume();
  void resume_one(persistence::execution_record rec,
                  std::vector<persistence::checkpoint> cps);
  /// Parsed definitions of resumed executions, by their JSON text. Used by
  /// the starting thread, then only by the lease keeper's.
  std::map<std::string, std::shared_ptr<const model::workflow_def>>
      parsed_definitions;

  // submission.cpp
  actors::execution_actor
  spawn_execution(persistence::execution_record rec,
                  std::shared_ptr<const model::workflow_def> wf,
                  std::vector<persistence::checkpoint> done,
                  model::execution_observer observer, caf::actor listener);
  /// A submission checked, with its row and the slot it may hold.
  struct prepared {
    persistence::execution_record record;
    std::shared_ptr<const model::workflow_def> workflow;
    bool holds_slot = false;
  };
  outcome<prepared> prepare(const submission& x);
  /// Gives `rec` its trace context, under the caller's `traceparent`.
  void trace_execution(persistence::execution_record& rec,
                       const std::string& traceparent) const;
  outcome<prepared> prepare(std::shared_ptr<const model::workflow_def> wf,
                            std::string definition, int version,
                            const submission& x);
  /// The JSON text of a workflow an embedder submits as a definition,
  /// kept for the last few definitions by identity: an embedder submits
  /// the same one many times, and rendering it took a twentieth of a
  /// step's CPU.
  std::string
  definition_text(const std::shared_ptr<const model::workflow_def>& wf);
  struct rendered_definition {
    std::weak_ptr<const model::workflow_def> wf; ///< Its identity.
    std::string text;
  };
  std::mutex rendered_mx;
  std::vector<rendered_definition> rendered; ///< At most 16; oldest goes.
  outcome<std::vector<persistence::creation>>
  store_new(const std::vector<persistence::execution_record>& rows);
  /// Stores what was prepared in one commit and starts what runs here.
  std::vector<outcome<submitted>> start(std::vector<outcome<prepared>> ps,
                                        model::execution_observer observer,
                                        caf::actor listener);
  std::vector<outcome<submitted>> submit(const std::vector<submission>& xs,
                                         model::execution_observer observer,
                                         caf::actor listener);

  // read_views.cpp
  void overlay_live(execution_status& out);

  // workflow_admin.cpp
  outcome<persistence::workflow_draft> draft_of(const std::string& text,
                                                const std::string& name);
};

/// Loads mutual TLS between nodes into `cfg` when node.tls is set
/// (cluster_join.cpp); a problem when it is set only in part.
model::result<bool> use_tls(caf::actor_system_config& cfg,
                            const config::tls_settings& tls);

/// The embedder API's status for a store's (same codes, same message).
status from_store(const persistence::status& st);

/// A problem for a store call that failed, naming what was attempted.
model::problem store_problem(const std::string& what,
                             const persistence::status& st);

} // namespace hishamos
