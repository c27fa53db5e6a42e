#pragma once

#include <map>
#include <memory>
#include <string>

#include "model/snapshots.hpp"

#include <cstdint>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

namespace hishamos::actors {

/// The Prometheus metrics a node's actors update. Thread-safe; shared by
/// all actors of a node through a shared_ptr.
/// Moves a counter sampled from a running total up to that total (a
/// counter only grows: a smaller total, after a restart, changes nothing).
void advance_to(prometheus::Counter& c, double total);

class node_metrics {
public:
  node_metrics();

  /// Counts an execution entering `state` (running, completed, ...).
  void execution_entered(const std::string& state);
  /// Counts a completed step, its duration from start to checkpoint and
  /// what it cost (USD, by its workflow's department: a catalog's few).
  void step_completed(double seconds, double cost_usd = 0,
                      const std::string& department = "");
  void step_retried() { step_retries_.Increment(); }
  /// Counts a budget action taken (warn, downgrade, pause, approve).
  void budget_action(const std::string& action) {
    budget_actions_.Add({{"action", action}}).Increment();
  }
  void checkpoint_resent() { checkpoint_resends_.Increment(); }
  /// Counts an execution quarantined for damaged state (an alert).
  void execution_quarantined() { quarantined_.Increment(); }
  /// Counts an execution claimed from a node whose lease expired.
  void execution_taken_over() { taken_over_.Increment(); }
  /// Counts a lease renewal that failed (the store refused or was away).
  void lease_renewal_failed() { lease_failures_.Increment(); }
  /// Steps waiting for an agent (or their locks) in the dispatcher now.
  void steps_waiting(size_t n) { waiting_.Set(static_cast<double>(n)); }
  /// Whether the node is ready (/ready), sampled when metrics are scraped.
  void ready(bool yes) { ready_.Set(yes ? 1 : 0); }
  void writer_restarted() { writer_restarts_.Increment(); }
  /// Counts one group commit of `n` checkpoints.
  void checkpoints_committed(size_t n);
  /// Counts records written by the batch processor, and failed writes.
  void records_flushed(size_t n) {
    records_flushed_.Increment(static_cast<double>(n));
  }
  void flush_failed() { flush_failures_.Increment(); }
  /// Times one HTTP request by its route pattern (never its path: paths
  /// hold ids), method and status.
  void http_request(const std::string& route, const std::string& method,
                    int status, double seconds);
  /// Times one store call by what it did ("save_checkpoints", ...).
  void store_call(const std::string& call, double seconds);
  /// The read pool's state, sampled when metrics are scraped.
  void store_pool(size_t open, size_t in_use, double failed_connects) {
    pool_open_.Set(static_cast<double>(open));
    pool_in_use_.Set(static_cast<double>(in_use));
    advance_to(pool_failed_connects_, failed_connects);
  }
  /// Log lines lost so far (a full or failing log disk), sampled when
  /// metrics are scraped.
  void log_lines_dropped(std::uint64_t total) {
    advance_to(log_dropped_, static_cast<double>(total));
  }
  /// Spans the collector took, and spans lost (queue full, collector
  /// away), sampled when metrics are scraped.
  void trace_spans(std::uint64_t exported, std::uint64_t dropped) {
    advance_to(spans_exported_, static_cast<double>(exported));
    advance_to(spans_dropped_, static_cast<double>(dropped));
  }

  /// The provider gateway's state, sampled when metrics are scraped:
  /// breaker state per provider ("closed", "open", "half_open").
  void providers(const model::gateway_stats& s);

  /// The registry in Prometheus text format.
  [[nodiscard]] std::string serialize() const;

private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& executions_;
  prometheus::Gauge& running_;
  prometheus::Counter& steps_completed_;
  prometheus::Counter& step_retries_;
  prometheus::Counter& checkpoint_resends_;
  prometheus::Counter& quarantined_;
  prometheus::Counter& writer_restarts_;
  prometheus::Histogram& step_duration_;
  prometheus::Counter& checkpoint_commits_;
  prometheus::Histogram& checkpoint_batch_;
  prometheus::Counter& records_flushed_;
  prometheus::Counter& flush_failures_;
  prometheus::Gauge& pool_open_;
  prometheus::Gauge& pool_in_use_;
  prometheus::Counter& pool_failed_connects_;
  prometheus::Counter& log_dropped_;
  prometheus::Counter& spans_exported_;
  prometheus::Counter& spans_dropped_;
  prometheus::Counter& taken_over_;
  prometheus::Counter& lease_failures_;
  prometheus::Gauge& waiting_;
  prometheus::Gauge& ready_;
  prometheus::Family<prometheus::Gauge>& breaker_state_;
  prometheus::Gauge& provider_in_flight_;
  prometheus::Counter& provider_upstream_;
  prometheus::Counter& provider_coalesced_;
  prometheus::Family<prometheus::Counter>& provider_cache_;
  prometheus::Family<prometheus::Counter>& budget_actions_;
  prometheus::Family<prometheus::Counter>& cost_;
  prometheus::Family<prometheus::Histogram>& http_requests_;
  prometheus::Family<prometheus::Histogram>& store_calls_;
};

} // namespace hishamos::actors
