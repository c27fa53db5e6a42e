#pragma once

#include <string>
#include <vector>

#include "model/result.hpp"
#include "model/workflow.hpp"

namespace hishamos::model {

/// The dependency graph of a workflow's steps, by step index.
/// Edges come from `depends_on`, or from `order` for steps without it: a
/// step with order k depends on every ordered step with the next-lower order.
class dag {
public:
  /// Builds the graph; reports unknown `depends_on` targets and cycles (with
  /// the steps in the cycle named in order).
  static result<dag> build(const workflow_def& wf);

  [[nodiscard]] size_t size() const { return parents_.size(); }
  [[nodiscard]] const std::vector<int>& parents(int step) const {
    return parents_[step];
  }
  [[nodiscard]] const std::vector<int>& children(int step) const {
    return children_[step];
  }

  /// True when `ancestor` must finish before `step` can start (transitively).
  [[nodiscard]] bool is_upstream(int ancestor, int step) const;

  /// Steps not yet started whose parents are all done: they may run now.
  [[nodiscard]] std::vector<int>
  ready_set(const std::vector<bool>& done,
            const std::vector<bool>& started) const;

  /// Steps nothing depends on: their outputs are the execution's outputs.
  [[nodiscard]] std::vector<int> leaves() const;

private:
  std::vector<std::vector<int>> parents_;
  std::vector<std::vector<int>> children_;
};

} // namespace hishamos::model
