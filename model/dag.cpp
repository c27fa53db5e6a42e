#include "model/dag.hpp"

#include <algorithm>
#include <map>

namespace hishamos::model {

namespace {

void add_order_edges(const workflow_def& wf,
                     std::vector<std::vector<int>>& parents) {
  std::map<std::int64_t, std::vector<int>> by_order;
  for (size_t i = 0; i < wf.steps.size(); ++i)
    if (wf.steps[i].depends_on.empty() && wf.steps[i].order)
      by_order[*wf.steps[i].order].push_back(static_cast<int>(i));
  const std::vector<int>* previous = nullptr;
  for (const auto& [order, group] : by_order) {
    if (previous)
      for (int step : group)
        parents[step] = *previous;
    previous = &group;
  }
}

// Depth-first search that returns the first cycle found, as step indices.
struct cycle_finder {
  const std::vector<std::vector<int>>& children;
  std::vector<int> color; // 0 new, 1 on stack, 2 done
  std::vector<int> stack;

  std::vector<int> visit(int v) {
    color[v] = 1;
    stack.push_back(v);
    for (int c : children[v]) {
      if (color[c] == 1) {
        auto from = std::find(stack.begin(), stack.end(), c);
        return {from, stack.end()};
      }
      if (color[c] == 0)
        if (auto cycle = visit(c); !cycle.empty())
          return cycle;
    }
    stack.pop_back();
    color[v] = 2;
    return {};
  }
};

} // namespace

result<dag> dag::build(const workflow_def& wf) {
  problems errors;
  dag g;
  auto n = wf.steps.size();
  g.parents_.resize(n);
  g.children_.resize(n);
  for (size_t i = 0; i < n; ++i)
    for (const auto& dep : wf.steps[i].depends_on) {
      int p = wf.index_of(dep);
      if (p < 0)
        errors.push_back({wf.file, wf.steps[i].line, wf.steps[i].id,
                          "depends_on names unknown step '" + dep + "'",
                          "use the id of a step in this workflow"});
      else
        g.parents_[i].push_back(p);
    }
  add_order_edges(wf, g.parents_);
  for (size_t i = 0; i < n; ++i)
    for (int p : g.parents_[i])
      g.children_[p].push_back(static_cast<int>(i));
  cycle_finder finder{g.children_, std::vector<int>(n, 0), {}};
  for (size_t i = 0; i < n && errors.empty(); ++i) {
    if (finder.color[i] != 0)
      continue;
    if (auto cycle = finder.visit(static_cast<int>(i)); !cycle.empty()) {
      std::string path;
      for (int s : cycle)
        path += wf.steps[s].id + " -> ";
      path += wf.steps[cycle.front()].id;
      errors.push_back({wf.file, wf.steps[cycle.front()].line,
                        wf.steps[cycle.front()].id,
                        "steps form a cycle: " + path,
                        "remove one of these depends_on entries"});
    }
  }
  if (!errors.empty())
    return errors;
  return g;
}

bool dag::is_upstream(int ancestor, int step) const {
  std::vector<int> todo = parents_[step];
  std::vector<bool> seen(size(), false);
  while (!todo.empty()) {
    int s = todo.back();
    todo.pop_back();
    if (s == ancestor)
      return true;
    if (!seen[s]) {
      seen[s] = true;
      todo.insert(todo.end(), parents_[s].begin(), parents_[s].end());
    }
  }
  return false;
}

std::vector<int> dag::ready_set(const std::vector<bool>& done,
                                const std::vector<bool>& started) const {
  std::vector<int> out;
  for (size_t i = 0; i < size(); ++i) {
    if (done[i] || started[i])
      continue;
    if (std::all_of(parents_[i].begin(), parents_[i].end(),
                    [&](int p) { return done[p]; }))
      out.push_back(static_cast<int>(i));
  }
  return out;
}

std::vector<int> dag::leaves() const {
  std::vector<int> out;
  for (size_t i = 0; i < size(); ++i)
    if (children_[i].empty())
      out.push_back(static_cast<int>(i));
  return out;
}

} // namespace hishamos::model
