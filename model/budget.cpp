#include "model/budget.hpp"

#include <cstdio>

namespace hishamos::model {

// A peer can send any number as an enum (CAF decodes them unchecked), and
// logging its message renders it: never index out of range.
template <size_t N>
const char* name_of(const char* const (&names)[N], unsigned i) {
  return i < N ? names[i] : "invalid";
}

const char* to_string(budget_scope x) {
  constexpr const char* names[] = {"execution", "workflow", "department"};
  return name_of(names, static_cast<unsigned>(x));
}

const char* to_string(budget_action x) {
  constexpr const char* names[] = {"none", "warn", "downgrade", "pause"};
  return name_of(names, static_cast<unsigned>(x));
}

const char* to_string(budget_period x) {
  return x == budget_period::day ? "day" : "month";
}

namespace {

std::string usd(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4f USD", x);
  return buf;
}

// The workflow or department the budget counts for `q`; "" = it does not
// apply.
std::string subject(const budget& b, const budget_question& q) {
  const auto& own =
      b.scope == budget_scope::department ? q.department : q.workflow;
  if (own.empty() || (!b.name.empty() && b.name != own))
    return "";
  return own;
}

std::string name_of(const budget& b, const std::string& who) {
  return b.scope == budget_scope::execution
             ? "the execution budget of workflow " + who
             : std::string{to_string(b.scope)} + " " + who + "'s " +
                   (b.period == budget_period::day ? "daily" : "monthly") +
                   " budget";
}

std::string describe(const budget& b, const std::string& who, double spent) {
  return name_of(b, who) + " (" + usd(b.limit_usd) +
         ") is reached: " + usd(spent) + " spent";
}

} // namespace

budget_verdict judge_budgets(const std::vector<budget>& budgets,
                             const budget_question& q,
                             const period_spend& spent) {
  budget_verdict out;
  bool approved = q.execution_spent < q.approved_until;
  for (const auto& b : budgets) {
    auto who = subject(b, q);
    if (who.empty())
      continue;
    double s = b.scope == budget_scope::execution
                   ? q.execution_spent
                   : spent(b.scope, who, b.period);
    if (s < b.limit_usd)
      continue;
    auto action = b.action;
    if (action == budget_action::pause && approved)
      continue; // a person let it run on past this
    if (action <= out.action)
      continue;
    out = {action, describe(b, who, s),
           name_of(b, who) + " of " + usd(b.limit_usd), b.downgrade_model,
           b.limit_usd};
  }
  return out;
}

} // namespace hishamos::model
