#include "actors/budget_keeper.hpp"
#include "actors/internal/exceptions.hpp"

#include <ctime>
#include <deque>
#include <map>
#include <set>
#include <tuple>

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "actors/messages.hpp"

namespace hishamos::actors {

namespace {

using model::budget_period;
using model::budget_scope;
using key = std::tuple<budget_scope, std::string, budget_period>;

/// This node's spend that the ledger may not show yet.
struct local_spend {
  std::int64_t at_ms;
  std::string workflow, department;
  double usd;
};

struct keeper_state {
  static inline const char* name = "hishamos.budget_keeper";
  budget_keeper_settings cfg;
  std::map<key, double> ledger; ///< As of the last refresh.
  std::int64_t refreshed_at_ms = 0;
  std::deque<local_spend> recent;
  bool counts_workflows = false, counts_departments = false;
  bool counts_days = false, counts_months = false;
  std::string read_error; ///< Logged once until the ledger reads again.
};

using keeper_self = caf::stateful_actor<keeper_state>;

// The start of the current UTC day or month, in ms.
std::int64_t period_start_ms(budget_period p, std::int64_t now_ms) {
  std::time_t t = now_ms / 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
  if (p == budget_period::month)
    tm.tm_mday = 1;
  return static_cast<std::int64_t>(timegm(&tm)) * 1000;
}

void refresh(keeper_self* self) {
  auto& st = self->state;
  auto now = persistence::now_ms();
  std::map<key, double> totals;
  auto read = [&](budget_scope scope, budget_period period) {
    persistence::cost_query q;
    q.by = scope == budget_scope::workflow
               ? persistence::cost_grouping::workflow
               : persistence::cost_grouping::department;
    q.from_ms = period_start_ms(period, now);
    q.limit = 1000;
    auto rows = st.cfg.read_ledger(q);
    if (!rows)
      return rows.st.message;
    for (const auto& r : rows.value)
      totals[{scope, r.key, period}] = r.cost;
    return std::string{};
  };
  std::string error;
  for (auto scope : {budget_scope::workflow, budget_scope::department})
    for (auto period : {budget_period::day, budget_period::month}) {
      bool used =
          (scope == budget_scope::workflow ? st.counts_workflows
                                           : st.counts_departments) &&
          (period == budget_period::day ? st.counts_days : st.counts_months);
      if (used && error.empty())
        error = read(scope, period);
    }
  if (!error.empty()) {
    if (st.read_error.empty())
      spdlog::warn("budgets: cannot read the cost ledger, judging with the "
                   "last totals and this node's spend: {}",
                   error);
    st.read_error = error;
    return;
  }
  if (!st.read_error.empty())
    spdlog::info("budgets: the cost ledger reads again");
  st.read_error.clear();
  st.ledger = std::move(totals);
  st.refreshed_at_ms = now;
  auto keep_from = now - st.cfg.flush_window.count();
  while (!st.recent.empty() && st.recent.front().at_ms < keep_from)
    st.recent.pop_front();
}

double spent(const keeper_state& st, budget_scope scope,
             const std::string& name, budget_period period) {
  auto now = persistence::now_ms();
  auto since = period_start_ms(period, now);
  // Totals from an earlier period no longer count.
  double total = 0;
  if (st.refreshed_at_ms >= since)
    if (auto it = st.ledger.find({scope, name, period}); it != st.ledger.end())
      total = it->second;
  for (const auto& s : st.recent)
    if (s.at_ms >= since &&
        (scope == budget_scope::workflow ? s.workflow : s.department) == name)
      total += s.usd;
  return total;
}

// Each budget with what counts against it now.
model::budget_snapshot describe(const keeper_state& st) {
  model::budget_snapshot out{true, {}, st.refreshed_at_ms, st.read_error};
  for (const auto& b : st.cfg.budgets) {
    model::budget_status x{b, {}};
    if (b.scope != budget_scope::execution) {
      // Every workflow or department with spend in the period.
      std::set<std::string> names;
      for (const auto& [k, usd] : st.ledger)
        if (std::get<0>(k) == b.scope && std::get<2>(k) == b.period)
          names.insert(std::get<1>(k));
      for (const auto& s : st.recent)
        names.insert(b.scope == budget_scope::workflow ? s.workflow
                                                       : s.department);
      for (const auto& n : names)
        if (!n.empty() && (b.name.empty() || n == b.name))
          x.spent_usd[n] = spent(st, b.scope, n, b.period);
    }
    out.budgets.push_back(std::move(x));
  }
  return out;
}

caf::behavior budget_keeper(keeper_self* self, budget_keeper_settings cfg) {
  log_exceptions(self, "budget keeper");
  auto& st = self->state;
  st.cfg = std::move(cfg);
  for (const auto& b : st.cfg.budgets) {
    if (b.scope == budget_scope::execution)
      continue;
    (b.scope == budget_scope::workflow ? st.counts_workflows
                                       : st.counts_departments) = true;
    (b.period == budget_period::day ? st.counts_days : st.counts_months) = true;
  }
  bool reads =
      st.cfg.read_ledger && (st.counts_workflows || st.counts_departments);
  if (reads) {
    refresh(self);
    self->delayed_send(self, st.cfg.refresh, refresh_atom::value);
  }
  return {
      [self](const model::budget_question& q) {
        auto& st = self->state;
        return model::judge_budgets(st.cfg.budgets, q,
                                    [&](budget_scope scope,
                                        const std::string& name,
                                        budget_period period) {
                                      return spent(st, scope, name, period);
                                    });
      },
      [self](spent_atom, const std::string& workflow,
             const std::string& department, double usd) {
        auto& st = self->state;
        if (usd <= 0 || !(st.counts_workflows || st.counts_departments))
          return;
        auto now = persistence::now_ms();
        st.recent.push_back({now, workflow, department, usd});
        // Without a ledger to read, this is all there is: keep the month.
        auto month = period_start_ms(budget_period::month, now);
        while (st.recent.front().at_ms < month)
          st.recent.pop_front();
      },
      [self](directory_atom) { return describe(self->state); },
      [self](refresh_atom) {
        refresh(self);
        self->delayed_send(self, self->state.cfg.refresh, refresh_atom::value);
      },
  };
}

} // namespace

caf::actor spawn_budget_keeper(caf::actor_system& sys,
                               budget_keeper_settings settings) {
  return sys.spawn<caf::detached>(budget_keeper, std::move(settings));
}

} // namespace hishamos::actors
