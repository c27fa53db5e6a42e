#include "model/lock_table.hpp"

#include <algorithm>

namespace hishamos::model {

std::vector<std::string>
lock_table::blockers(const std::vector<lock_request>& wanted) const {
  std::set<std::string> out;
  for (const auto& w : wanted) {
    auto it = by_resource_.find(w.resource);
    if (it == by_resource_.end())
      continue;
    const auto& h = it->second;
    if (!h.exclusive.empty())
      out.insert(h.exclusive);
    if (w.exclusive)
      out.insert(h.shared.begin(), h.shared.end());
  }
  return {out.begin(), out.end()};
}

void lock_table::grant(const std::string& holder,
                       const std::vector<lock_request>& wanted) {
  if (wanted.empty())
    return;
  for (const auto& w : wanted) {
    auto& h = by_resource_[w.resource];
    if (w.exclusive)
      h.exclusive = holder;
    else
      h.shared.insert(holder);
  }
  auto& mine = by_holder_[holder];
  mine.insert(mine.end(), wanted.begin(), wanted.end());
}

void lock_table::release(const std::string& holder) {
  auto it = by_holder_.find(holder);
  if (it == by_holder_.end())
    return;
  for (const auto& w : it->second) {
    auto r = by_resource_.find(w.resource);
    if (r == by_resource_.end())
      continue;
    if (r->second.exclusive == holder)
      r->second.exclusive.clear();
    r->second.shared.erase(holder);
    if (r->second.exclusive.empty() && r->second.shared.empty())
      by_resource_.erase(r);
  }
  by_holder_.erase(it);
}

std::string describe(const std::vector<lock_request>& locks) {
  std::string out;
  for (const auto& l : locks)
    out += (out.empty() ? "" : ", ") + l.resource +
           (l.exclusive ? " (exclusive)" : " (shared)");
  return out;
}

} // namespace hishamos::model
