#pragma once

// Cost budgets: what an execution, a workflow or a department may spend,
// and what happens when it has: `warn` (log and audit, run on),
// `downgrade` (run on with a cheaper model) or `pause` (the execution
// waits until a person approves more through the API). Pure: the budget
// keeper actor supplies the spend, the execution acts on the verdict.

#include <functional>
#include <string>
#include <vector>

namespace hishamos::model {

enum class budget_scope { execution, workflow, department };
enum class budget_action { none, warn, downgrade, pause };
enum class budget_period { day, month }; ///< UTC; execution budgets: its life.

[[nodiscard]] const char* to_string(budget_scope x);
[[nodiscard]] const char* to_string(budget_action x);
[[nodiscard]] const char* to_string(budget_period x);

struct budget {
  budget_scope scope = budget_scope::execution;
  /// The workflow (execution and workflow scopes) or department it is for;
  /// "" = each one on its own.
  std::string name;
  double limit_usd = 0;
  budget_action action = budget_action::warn;
  budget_period period = budget_period::day; ///< Workflow and department.
  std::string downgrade_model; ///< For `downgrade`: the cheaper model.
};

/// What one execution asks before it starts steps.
struct budget_question {
  std::string workflow;
  std::string department;
  double execution_spent = 0; ///< USD, of its finished steps.
  /// A person approved spending until the execution's spend reaches this.
  double approved_until = 0;
};

/// The strongest action of the budgets reached.
struct budget_verdict {
  budget_action action = budget_action::none;
  std::string reason; ///< Which budget, its limit and the spend.
  std::string budget; ///< Which budget, without the spend (stable).
  std::string model;  ///< For downgrade.
  double limit_usd = 0;
};

/// What a workflow or department has spent in the current period (USD).
using period_spend =
    std::function<double(budget_scope, const std::string& name, budget_period)>;

/// Judges `q` against every budget that applies to it. A budget is reached
/// when the spend is at or over its limit. While the execution's spend is
/// below what a person approved, no budget pauses it.
[[nodiscard]] budget_verdict judge_budgets(const std::vector<budget>& budgets,
                                           const budget_question& q,
                                           const period_spend& spent);

} // namespace hishamos::model
