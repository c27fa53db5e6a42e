#include "model/quality_book.hpp"

#include <set>

namespace hishamos::model {

const quality_stats& quality_book::observe(const quality_key& key, double score,
                                           double decay) {
  auto& q = own_[key];
  q.observe(score, decay);
  return q;
}

void quality_book::replace_peer(const std::string& node, quality_map learned) {
  if (!learned.empty())
    elsewhere_[node] = std::move(learned);
}

quality_stats quality_book::cluster(const quality_key& key) const {
  quality_stats q;
  auto add = [&](const quality_map& xs) {
    if (auto it = xs.find(key); it != xs.end()) {
      q.successes += it->second.successes;
      q.failures += it->second.failures;
    }
  };
  add(own_);
  for (const auto& [node, xs] : elsewhere_)
    add(xs);
  return q;
}

std::vector<quality_entry> quality_book::entries() const {
  std::set<quality_key> keys;
  for (const auto& [key, q] : own_)
    keys.insert(key);
  for (const auto& [node, xs] : elsewhere_)
    for (const auto& [key, q] : xs)
      keys.insert(key);
  std::vector<quality_entry> out;
  for (const auto& key : keys) {
    auto q = cluster(key);
    if (q.successes + q.failures <= 0)
      continue;
    auto here = own_.find(key);
    auto mine = here == own_.end() ? quality_stats{} : here->second;
    out.push_back({key.first, key.second, q.successes, q.failures, q.mean(),
                   mine.successes, mine.failures});
  }
  return out;
}

} // namespace hishamos::model
