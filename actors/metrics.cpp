#include "actors/metrics.hpp"

#include <prometheus/text_serializer.h>

namespace hishamos::actors {

namespace {

prometheus::Counter& counter(prometheus::Registry& r, const char* name,
                             const char* help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(r).Add({});
}

prometheus::Gauge& gauge(prometheus::Registry& r, const char* name,
                         const char* help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(r).Add({});
}

} // namespace

void advance_to(prometheus::Counter& c, double total) {
  if (total > c.Value())
    c.Increment(total - c.Value());
}

node_metrics::node_metrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      executions_(prometheus::BuildCounter()
                      .Name("hishamos_executions_total")
                      .Help("Executions that entered each state")
                      .Register(*registry_)),
      running_(prometheus::BuildGauge()
                   .Name("hishamos_executions_running")
                   .Help("Executions running on this node now")
                   .Register(*registry_)
                   .Add({})),
      steps_completed_(counter(*registry_, "hishamos_steps_completed_total",
                               "Steps whose checkpoint was committed")),
      step_retries_(counter(*registry_, "hishamos_step_retries_total",
                            "Step attempts that failed and were retried")),
      checkpoint_resends_(
          counter(*registry_, "hishamos_checkpoint_resends_total",
                  "Checkpoints sent again after no acknowledgement")),
      quarantined_(counter(
          *registry_, "hishamos_executions_quarantined_total",
          "Executions set failed because their stored state is damaged")),
      writer_restarts_(
          counter(*registry_, "hishamos_checkpoint_writer_restarts_total",
                  "Checkpoint writers restarted by their supervisor")),
      step_duration_(
          prometheus::BuildHistogram()
              .Name("hishamos_step_duration_seconds")
              .Help("Time from a step's start to its committed checkpoint")
              .Register(*registry_)
              .Add({},
                   prometheus::Histogram::BucketBoundaries{
                       0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
                       120})),
      checkpoint_commits_(counter(*registry_,
                                  "hishamos_checkpoint_commits_total",
                                  "Transactions that committed checkpoints")),
      checkpoint_batch_(prometheus::BuildHistogram()
                            .Name("hishamos_checkpoint_batch_size")
                            .Help("Checkpoints per group commit")
                            .Register(*registry_)
                            .Add({},
                                 prometheus::Histogram::BucketBoundaries{
                                     1, 2, 4, 8, 16, 32, 64, 128, 256})),
      records_flushed_(
          counter(*registry_, "hishamos_batch_records_written_total",
                  "Append-only records written by the batch processor")),
      flush_failures_(counter(*registry_, "hishamos_batch_write_failures_total",
                              "Batch writes that failed and will be retried")),
      pool_open_(gauge(*registry_, "hishamos_store_pool_open_connections",
                       "Open connections of the read pool")),
      pool_in_use_(gauge(*registry_, "hishamos_store_pool_busy_connections",
                         "Read pool connections in use")),
      pool_failed_connects_(
          counter(*registry_, "hishamos_store_pool_failed_connects_total",
                  "Failed connection attempts of the read pool")),
      log_dropped_(counter(*registry_, "hishamos_log_lines_dropped_total",
                           "Log lines lost because the log output refused "
                           "them (a full or failing disk)")),
      spans_exported_(counter(*registry_, "hishamos_trace_spans_exported_total",
                              "Spans the OTLP collector accepted")),
      spans_dropped_(counter(*registry_, "hishamos_trace_spans_dropped_total",
                             "Spans lost: the export queue was full, or the "
                             "collector refused them or did not answer")),
      taken_over_(counter(*registry_, "hishamos_executions_taken_over_total",
                          "Executions claimed from nodes whose lease expired")),
      lease_failures_(counter(*registry_,
                              "hishamos_lease_renewal_failures_total",
                              "Lease renewals that failed")),
      waiting_(gauge(*registry_, "hishamos_dispatch_steps_waiting",
                     "Steps waiting for an agent or their locks")),
      ready_(gauge(*registry_, "hishamos_node_ready",
                   "1 while the node takes work and its store takes writes")),
      breaker_state_(prometheus::BuildGauge()
                         .Name("hishamos_provider_breaker_state")
                         .Help("1 for the circuit breaker state each provider "
                               "is in (closed, open, half_open)")
                         .Register(*registry_)),
      provider_in_flight_(
          gauge(*registry_, "hishamos_provider_calls_in_flight",
                "Provider gateway calls waiting for an answer")),
      provider_upstream_(
          counter(*registry_, "hishamos_provider_upstream_requests_total",
                  "Requests the provider gateway sent to providers")),
      provider_coalesced_(counter(
          *registry_, "hishamos_provider_coalesced_calls_total",
          "Calls answered by joining an identical call already in flight")),
      provider_cache_(prometheus::BuildCounter()
                          .Name("hishamos_provider_cache_lookups_total")
                          .Help("Provider cache lookups by result: l1_hit "
                                "(this node), l2_hit (Redis) or miss")
                          .Register(*registry_)),
      budget_actions_(prometheus::BuildCounter()
                          .Name("hishamos_budget_actions_total")
                          .Help("Budget actions taken: warn, downgrade, "
                                "pause, and approvals")
                          .Register(*registry_)),
      cost_(prometheus::BuildCounter()
                .Name("hishamos_step_cost_usd_total")
                .Help("What committed steps cost, in USD, by department "
                      "(the cost ledger has every line)")
                .Register(*registry_)),
      http_requests_(prometheus::BuildHistogram()
                         .Name("hishamos_http_request_duration_seconds")
                         .Help("Admin API requests by route, method and "
                               "status")
                         .Register(*registry_)),
      store_calls_(prometheus::BuildHistogram()
                       .Name("hishamos_store_call_duration_seconds")
                       .Help("Store calls by what they did")
                       .Register(*registry_)) {
  // Known label values start at 0, so that rate() and increase() see the
  // first event.
  for (const char* state : {"running", "completed", "failed", "cancelled"})
    executions_.Add({{"state", state}});
  for (const char* action : {"warn", "downgrade", "pause", "approve"})
    budget_actions_.Add({{"action", action}});
}

void node_metrics::execution_entered(const std::string& state) {
  executions_.Add({{"state", state}}).Increment();
  if (state == "running")
    running_.Increment();
  else
    running_.Decrement();
}

void node_metrics::step_completed(double seconds, double cost_usd,
                                  const std::string& department) {
  steps_completed_.Increment();
  step_duration_.Observe(seconds);
  if (cost_usd > 0)
    cost_.Add({{"department", department}}).Increment(cost_usd);
}

void node_metrics::providers(const model::gateway_stats& s) {
  provider_in_flight_.Set(static_cast<double>(s.in_flight));
  advance_to(provider_upstream_, s.upstream_requests);
  advance_to(provider_coalesced_, s.coalesced);
  for (const auto& [result, v] : {std::pair{"l1_hit", s.l1_hits},
                                  {"l2_hit", s.l2_hits},
                                  {"miss", s.l1_misses - s.l2_hits}})
    advance_to(provider_cache_.Add({{"result", result}}), v);
  for (const auto& [provider, state] : s.breakers)
    for (const char* x : {"closed", "open", "half_open"})
      breaker_state_.Add({{"provider", provider}, {"state", x}})
          .Set(state == x ? 1 : 0);
}

namespace {
const prometheus::Histogram::BucketBoundaries latency_buckets{
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
    0.1,    0.25,  0.5,    1,     2.5,  5,     10};
} // namespace

void node_metrics::http_request(const std::string& route,
                                const std::string& method, int status,
                                double seconds) {
  http_requests_
      .Add({{"route", route},
            {"method", method},
            {"code", std::to_string(status)}},
           latency_buckets)
      .Observe(seconds);
}

void node_metrics::store_call(const std::string& call, double seconds) {
  store_calls_.Add({{"call", call}}, latency_buckets).Observe(seconds);
}

std::string node_metrics::serialize() const {
  return prometheus::TextSerializer{}.Serialize(registry_->Collect());
}

void node_metrics::checkpoints_committed(size_t n) {
  checkpoint_commits_.Increment();
  checkpoint_batch_.Observe(static_cast<double>(n));
}

} // namespace hishamos::actors
