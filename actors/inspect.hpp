#pragma once

// How CAF serializes the model's, the store's and the HTTP client's types
// that travel in messages (actors/messages.hpp holds the actors' own). Each
// inspect() lists every field in order: a field added to a struct must be
// added here too, or it is silently lost on the wire. Included by
// actors/messages.hpp only.

#include <caf/meta/type_name.hpp>

#include "model/agent.hpp"
#include "model/budget.hpp"
#include "model/events.hpp"
#include "model/lock_table.hpp"
#include "model/snapshots.hpp"
#include "model/task.hpp"
#include "model/workflow.hpp"
#include "persistence/effect_ledger.hpp"
#include "persistence/store.hpp"
#include "providers/http_client.hpp"

namespace hishamos::model {

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, consensus_policy& x) {
  return f(caf::meta::type_name("consensus_policy"), x.agents, x.strategy,
           x.judge_agent, x.judge_template);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, judge_evaluator& x) {
  return f(caf::meta::type_name("judge_evaluator"), x.agent, x.template_id);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, lock_request& x) {
  return f(caf::meta::type_name("lock_request"), x.resource, x.exclusive);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, agent_def& x) {
  return f(caf::meta::type_name("agent_def"), x.id, x.name, x.department,
           x.capabilities, x.capacity, x.provider, x.model,
           x.fallback_providers, x.temperature, x.max_tokens, x.price_per_call,
           x.overlap, x.latency_ms, x.fail_rate, x.quality);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, step_event& x) {
  return f(caf::meta::type_name("step_event"), x.execution_id, x.step_id,
           x.kind, x.attempt, x.agent_id, x.detail, x.at_ms);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, execution_finished& x) {
  return f(caf::meta::type_name("execution_finished"), x.execution_id,
           x.workflow, x.state, x.output, x.error);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, task_request& x) {
  return f(caf::meta::type_name("task_request"), x.task_id, x.execution_id,
           x.step_id, x.attempt, x.agent_id, x.template_id, x.params, x.prompt,
           x.epoch, x.owner_node, x.conversation, x.model);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, task_reply& x) {
  return f(caf::meta::type_name("task_reply"), x.task_id, x.ok, x.output,
           x.retryable, x.agent_id, x.tokens_in, x.tokens_out, x.busy,
           x.quality, x.judged, x.decision, x.cost, x.template_version,
           x.tokens_cached, x.cost_avoided, x.provider, x.model);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, step_snapshot& x) {
  return f(caf::meta::type_name("step_snapshot"), x.id, x.state, x.attempt,
           x.agent_id, x.error, x.decision, x.template_version,
           x.started_at_ms);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, execution_snapshot& x) {
  return f(caf::meta::type_name("execution_snapshot"), x.state, x.steps,
           x.spent_usd, x.budget, x.downgraded_to);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f,
                                        agent_directory_entry& x) {
  return f(caf::meta::type_name("agent_directory_entry"), x.id, x.node,
           x.department, x.capabilities, x.capacity, x.load, x.load_from_here,
           x.latency_ms);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, peer_entry& x) {
  return f(caf::meta::type_name("peer_entry"), x.id, x.http_address, x.agents);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, lock_entry& x) {
  return f(caf::meta::type_name("lock_entry"), x.task_id, x.node, x.holder,
           x.locks);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, lock_table_snapshot& x) {
  return f(caf::meta::type_name("lock_table_snapshot"), x.authority, x.held,
           x.waiting, x.awaiting_sync);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, quality_entry& x) {
  return f(caf::meta::type_name("quality_entry"), x.agent, x.category,
           x.successes, x.failures, x.mean, x.here_successes, x.here_failures);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, budget& x) {
  return f(caf::meta::type_name("budget"), x.scope, x.name, x.limit_usd,
           x.action, x.period, x.downgrade_model);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, budget_status& x) {
  return f(caf::meta::type_name("budget_status"), x.config, x.spent_usd);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, budget_snapshot& x) {
  return f(caf::meta::type_name("budget_snapshot"), x.keeper, x.budgets,
           x.ledger_read_at_ms, x.ledger_error);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, budget_question& x) {
  return f(caf::meta::type_name("budget_question"), x.workflow, x.department,
           x.execution_spent, x.approved_until);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, budget_verdict& x) {
  return f(caf::meta::type_name("budget_verdict"), x.action, x.reason, x.budget,
           x.model, x.limit_usd);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, gateway_stats& x) {
  return f(caf::meta::type_name("gateway_stats"), x.in_flight,
           x.upstream_requests, x.coalesced, x.l1_entries, x.l1_bytes,
           x.l1_hits, x.l1_misses, x.l2_hits, x.l2_misses, x.l2_down,
           x.breakers);
}

} // namespace hishamos::model

namespace hishamos::providers {

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, http_response& x) {
  return f(caf::meta::type_name("http_response"), x.status, x.body, x.headers,
           x.error, x.timed_out, x.too_large);
}

} // namespace hishamos::providers

namespace hishamos::persistence {

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, task_result_record& x) {
  return f(caf::meta::type_name("task_result_record"), x.execution_id,
           x.step_id, x.agent_id, x.quality_score, x.cost, x.tokens_in,
           x.tokens_out, x.latency_ms, x.created_at_ms, x.decision,
           x.template_version, x.tokens_cached, x.cost_avoided, x.provider,
           x.model, x.workflow, x.department);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, agent_stat_record& x) {
  return f(caf::meta::type_name("agent_stat_record"), x.agent_id, x.category,
           x.successes, x.failures, x.node_id);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, audit_event& x) {
  return f(caf::meta::type_name("audit_event"), x.user_id, x.action, x.details,
           x.created_at_ms);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, record_batch& x) {
  return f(caf::meta::type_name("record_batch"), x.task_results, x.audit_events,
           x.agent_stats);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, effect& x) {
  return f(caf::meta::type_name("effect"), x.execution_id, x.step_id, x.attempt,
           x.node, x.agent, x.epoch, x.at_ms);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, attempt_record& x) {
  return f(caf::meta::type_name("attempt_record"), x.execution_id, x.step_id,
           x.epoch, x.attempt, x.node_id, x.agent_id, x.started_at_ms,
           x.finished_at_ms, x.outcome, x.error);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, checkpoint& x) {
  return f(caf::meta::type_name("checkpoint"), x.execution_id, x.step_id,
           x.attempt, x.epoch, x.output, x.agent_id, x.started_at_ms,
           x.finished_at_ms, x.cost, x.ledger, x.audit, x.attempts, x.damage);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, state_change& x) {
  return f(caf::meta::type_name("state_change"), x.execution_id, x.epoch,
           x.state, x.output, x.error, x.budget_approved_until, x.audit,
           x.attempts);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, execution_record& x) {
  return f(caf::meta::type_name("execution_record"), x.id, x.workflow_name,
           x.definition, x.input, x.state, x.owner_node, x.epoch, x.output,
           x.error, x.created_at_ms, x.updated_at_ms, x.budget_approved_until,
           x.idempotency_key, x.workflow_version, x.department);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, creation& x) {
  return f(caf::meta::type_name("creation"), x.created, x.stored);
}

} // namespace hishamos::persistence
