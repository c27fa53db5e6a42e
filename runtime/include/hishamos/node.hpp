#pragma once

// The embedder API: start a HishamOS node inside a program, host agents
// written in C++, submit workflows and follow them. CAF stays out of this
// header (caf::actor and caf::actor_system are only declared); programs that
// talk to the node with actor messages include hishamos/actor_api.hpp too.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/node_config.hpp"
#include "hishamos/api_types.hpp"
#include "model/catalog.hpp"
#include "model/events.hpp"
#include "model/reports.hpp"
#include "model/result.hpp"
#include "model/snapshots.hpp"

namespace caf {
class actor;
class actor_system;
} // namespace caf

namespace hishamos::providers {
class span_exporter;
} // namespace hishamos::providers

namespace hishamos::persistence {
class store;
template <class T> struct outcome;
} // namespace hishamos::persistence

namespace hishamos {

/// How to start a node.
struct node_options {
  config::node_config config; ///< Ids, addresses, store URL.
  std::shared_ptr<const model::catalog>
      catalog; ///< Agents, templates, workflows.
  /// Opens a store connection; default: `open_store(config.store_url)`.
  /// A hook for tests and for embedders that wrap the store: its types are
  /// persistence/'s (persistence/open_store.hpp), the only ones here.
  std::function<persistence::outcome<std::unique_ptr<persistence::store>>()>
      store_factory;
  /// Effect ledger for tests (a postgresql:// or sqlite: URL; see
  /// persistence/effect_ledger.hpp); default: $HISHAMOS_EFFECT_LEDGER.
  std::string effect_ledger;
  /// Worker threads of the cooperative scheduler; 0 = one per core.
  int scheduler_threads = 0;
  /// How long a checkpoint writer may hold a write (a store that hangs)
  /// before its sender hears `unavailable` and sends it again.
  std::chrono::milliseconds store_answer_within{30000};
  /// Start even on a store that is empty, another or younger than the one
  /// this node saw (store.seen_file), replacing the node's record of it.
  bool start_afresh = false;
};

/// A running node: actor system, persistence supervisor, dispatcher, agents
/// and executions. Thread-safe. Destroying it stops the actors; unfinished
/// executions stay in the store and resume at the next start.
class node {
public:
  /// Migrates the store, spawns the actors and resumes every unfinished
  /// execution from its checkpoints.
  static model::result<std::unique_ptr<node>> start(node_options options);
  ~node();
  node(const node&) = delete;
  node& operator=(const node&) = delete;

  [[nodiscard]] const std::string& id() const;
  /// The config the node runs with.
  [[nodiscard]] const config::node_config& config() const;
  /// Times an admin API request into the node's metrics (by route
  /// pattern, method and status).
  void record_http(const std::string& route, const std::string& method,
                   int status, double seconds);
  /// Where spans go (tracing.otlp_endpoint); null when they go nowhere.
  [[nodiscard]] providers::span_exporter* spans() const;
  /// The current catalog (register_agent replaces it; hold the pointer,
  /// not a reference into it).
  [[nodiscard]] std::shared_ptr<const model::catalog> catalog() const;

  /// Starts an execution of a stored workflow's active version: validates
  /// the input once, stores the execution in one commit and starts it (or
  /// stores it for a node with room). `not_found` for an unknown workflow,
  /// `conflict` for one that is not active, or for an id or idempotency
  /// key used before by another request; `invalid` with problems for a bad
  /// input. A submission whose id or key names a stored execution answers
  /// it, `existed` set, and starts nothing.
  outcome<submitted> submit(const submission& x,
                            model::execution_observer observer = {});
  /// Many submissions, stored in one commit; one outcome each, in order.
  std::vector<outcome<submitted>>
  submit_batch(const std::vector<submission>& xs);
  /// Starts a catalog workflow by name. Validates the input (missing
  /// required, wrong types, unknown names) and stores the execution before
  /// returning its id.
  model::result<std::string> submit(const std::string& workflow_name,
                                    const nlohmann::json& input,
                                    model::execution_observer observer = {});
  /// Starts a workflow given as a definition (already validated). The
  /// running execution shares `*wf`, so it must not change once submitted
  /// (submit a new one instead); submitting the same one again is cheaper.
  model::result<std::string>
  submit(std::shared_ptr<const model::workflow_def> wf,
         const nlohmann::json& input, model::execution_observer observer = {});
  /// As above; `listener` receives model::execution_finished as a message.
  model::result<std::string> submit(const std::string& workflow_name,
                                    const nlohmann::json& input,
                                    const caf::actor& listener);

  /// The execution, or nullopt if there is none with this id; an error
  /// when the store cannot be read (`unavailable`: try again).
  [[nodiscard]] outcome<std::optional<execution_status>>
  execution(const std::string& id);
  /// The prompt a step's agent was (or will be) given, rendered again from
  /// the stored definition, input, outputs and template version: the store
  /// keeps no rendered prompts. `not_found` without the execution or step;
  /// `conflict` while a step it depends on has no output.
  [[nodiscard]] outcome<step_prompt> prompt_of(const std::string& execution_id,
                                               const std::string& step_id);
  /// Newest first, without step details.
  [[nodiscard]] outcome<std::vector<execution_status>> executions(int limit);
  /// A filtered page of executions, newest first, with the total;
  /// `invalid` for a query out of range.
  [[nodiscard]] outcome<execution_page>
  executions(const model::execution_query& q);
  /// Every result of an execution's steps (oldest first); `not_found`
  /// without the execution.
  [[nodiscard]] outcome<std::vector<result_view>>
  results(const std::string& execution_id);
  /// A step's newest result, or nullopt.
  [[nodiscard]] outcome<std::optional<result_view>>
  result(const std::string& execution_id, const std::string& step_id);
  /// The catalog's agents with their load, learned quality, cost and
  /// latency.
  [[nodiscard]] outcome<std::vector<agent_view>> agents();
  /// Runs a failed or cancelled execution again on this node, from its
  /// checkpoints (finished steps do not run again); `conflict` for one in
  /// another state.
  outcome<submitted> retry(const std::string& execution_id);

  /// Creates a workflow from its definition (YAML or JSON text) at version
  /// 1, a draft until activated; `invalid` with problems (lines, steps)
  /// for a definition that does not parse or validate, `conflict` for a
  /// name in use.
  outcome<workflow_info> create_workflow(const std::string& text);
  /// Adds a version (a draft) of the workflow named `name`.
  outcome<workflow_version_info> update_workflow(const std::string& name,
                                                 const std::string& text);
  /// Makes `version` (0 = the latest) the one new executions start with.
  outcome<workflow_info> activate_workflow(const std::string& name,
                                           int version);
  /// Archives a workflow: it starts no more executions.
  outcome<workflow_info> archive_workflow(const std::string& name);
  [[nodiscard]] outcome<std::optional<workflow_info>>
  workflow(const std::string& name);
  [[nodiscard]] outcome<std::vector<workflow_version_info>>
  workflow_versions(const std::string& name);
  /// The newest version of every command template.
  [[nodiscard]] outcome<std::vector<template_view>> templates();
  /// Every version of one template; `not_found` for an unknown id.
  [[nodiscard]] outcome<std::vector<template_view>>
  template_versions(const std::string& id);
  /// Stored workflows (the catalogs of every node) with execution_count
  /// and last_execution; `invalid` for a page or limit out of range.
  [[nodiscard]] outcome<model::workflow_page>
  workflows(const model::workflow_query& q);
  /// An agent's results per UTC day; `invalid` for a bad date range.
  [[nodiscard]] outcome<std::vector<model::daily_point>>
  agent_daily_series(const std::string& agent_id, const std::string& from_day,
                     const std::string& to_day);
  /// The cluster as this node sees it: every node of the nodes table with
  /// its lease state, whether this node is connected to it, and its agents
  /// with their load: `load` is the cluster's (this node's tasks plus what
  /// each peer reported at its last heartbeat), `load_from_here` this
  /// node's.
  [[nodiscard]] outcome<cluster_view> cluster();
  /// A person's rating in [0, 1] of a step's committed result: stored as
  /// the result's quality score and learned by routing for the agent that
  /// produced it and the template's category. `invalid` for a score out of
  /// range, `not_found` when the execution or its step has no result.
  /// With a `rater`, one rating per rater and result counts: a second
  /// replaces the first's score and teaches routing nothing more.
  status rate_result(const std::string& execution_id,
                     const std::string& step_id, double score,
                     const std::string& rater = "");
  /// Learned quality per (agent, category) as this node's dispatcher has
  /// it: the cluster's sum and this node's part.
  [[nodiscard]] std::vector<model::quality_entry> learned_quality();
  /// The locks of the cluster's lock authority, as this node's dispatcher
  /// turns to it (`authority` false before membership has named one).
  [[nodiscard]] model::lock_table_snapshot locks();
  /// Records an audit event (audit_logs): committed (with others asked
  /// for at the same time) before it returns; `unavailable` when it could
  /// not be within 5 s.
  status audit(const std::string& action, const nlohmann::json& details,
               const std::string& user_id = "");
  /// A person approves more spending for an execution a budget paused: it
  /// may spend `extra_usd` more (0 = the pausing budget's limit) and runs
  /// on. Answers how far its spend may now go (USD); `not_found` when it
  /// does not run here, `conflict` when no budget paused it, `invalid` for
  /// a bad amount.
  outcome<double> approve_budget(const std::string& id, double extra_usd);
  /// The configured budgets with what counts against each now (`keeper`
  /// false and no budgets without any); `unavailable` when the budget
  /// keeper does not answer.
  [[nodiscard]] outcome<model::budget_snapshot> budgets();
  /// Per workflow: executions created in [from_ms, to_ms) by state, and
  /// how long the completed ones took (0 = no bound).
  [[nodiscard]] outcome<std::vector<model::workflow_stat>>
  workflow_stats(std::int64_t from_ms, std::int64_t to_ms);
  /// The cost ledger summed as `q` says; `invalid` for a bad query.
  [[nodiscard]] outcome<std::vector<model::cost_row>>
  costs(const model::cost_query& q);
  /// Calls `fn` with every event of the execution (its steps started,
  /// completed, checkpointed, retried or failed, and its end) until the
  /// returned handle is released. Events of an execution another node runs
  /// come from the store, half a second late and without the steps' start.
  /// `fn` runs on the node's threads: quick, and thread-safe.
  [[nodiscard]] std::shared_ptr<void>
  watch(const std::string& execution_id,
        std::function<void(const execution_event&)> fn);
  /// Cancels a running execution; false if it is not running here.
  bool cancel(const std::string& id);
  /// Executions resumed from the store when this node started.
  [[nodiscard]] size_t resumed() const;

  /// Hosts an agent implemented as a C++ function (see agent_function).
  /// Each call copies the catalog: to host many, use register_agents.
  void register_agent(model::agent_def def, model::agent_function fn);
  /// Hosts many function agents with one catalog update, replacing agents
  /// of the same ids. With dispatch.agents_on_demand each is a record
  /// until it gets a task, and its actor lives only while it has tasks
  /// (a million take about 1 KB each); otherwise each gets its actor now.
  void register_agents(
      std::vector<std::pair<model::agent_def, model::agent_function>> agents);
  /// Hosts an agent implemented as an actor that answers
  /// model::task_request with model::task_reply.
  void register_agent(model::agent_def def, const caf::actor& impl);

  /// True unless the node drains (no I/O: cheap on every request).
  [[nodiscard]] bool accepting() const;
  /// Ok while the node accepts work and its store takes writes; else why
  /// not (draining, unhealthy, or the store's error).
  [[nodiscard]] status ready();
  /// "" while every node-wide actor (dispatcher, persistence supervisor,
  /// ...) runs; else which one failed and why. An unhealthy node is to be
  /// restarted: its executions resume from their checkpoints.
  [[nodiscard]] std::string unhealthy_reason();
  /// Stops accepting and claiming work (ready() turns false at once) and
  /// asks every execution to start no new step.
  void drain();
  /// After drain(): waits until every execution stopped (their in-flight
  /// steps finished and were checkpointed) or `grace` passed; true if all
  /// stopped. Destroying the node then releases its lease.
  bool wait_drained(std::chrono::milliseconds grace);
  /// The node's metrics in Prometheus text (readiness sampled with a
  /// write probe).
  [[nodiscard]] std::string metrics_text();
  /// The node's actor system, for embedders that spawn their own actors.
  caf::actor_system& system();
  /// The persistence supervisor (tests use it to reach the writer).
  [[nodiscard]] caf::actor persistence() const;

  struct impl;

private:
  explicit node(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

} // namespace hishamos
