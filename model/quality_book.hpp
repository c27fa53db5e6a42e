#pragma once

// The learned-quality book of one node's dispatcher: what this node learned
// itself, per (agent, category), and what each peer reported it learned.
// Routing scores an agent by the sum of every node's evidence. Pure: the
// dispatcher persists this node's part and exchanges it with peers.

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "model/routing.hpp"
#include "model/snapshots.hpp"

namespace hishamos::model {

/// (agent id, category).
using quality_key = std::pair<std::string, std::string>;
using quality_map = std::map<quality_key, quality_stats>;

class quality_book {
public:
  quality_book() = default;
  /// Starts from what was stored: this node's evidence, and each other
  /// node's by node id.
  quality_book(quality_map own, std::map<std::string, quality_map> elsewhere)
      : own_(std::move(own)), elsewhere_(std::move(elsewhere)) {}

  /// Adds one result's score in [0, 1] to this node's evidence (decaying
  /// what came before) and returns the new totals of that key.
  const quality_stats& observe(const quality_key& key, double score,
                               double decay);
  /// What a peer reported it learned replaces what was known of it; an
  /// empty report (a hello carries none) keeps it.
  void replace_peer(const std::string& node, quality_map learned);
  /// The evidence of every node for `key`, added up.
  [[nodiscard]] quality_stats cluster(const quality_key& key) const;
  /// This node's own evidence, for persisting and reporting to peers.
  [[nodiscard]] const quality_map& own() const { return own_; }
  /// Every key any node has evidence for: the cluster's sum and this
  /// node's part.
  [[nodiscard]] std::vector<quality_entry> entries() const;

private:
  quality_map own_;
  std::map<std::string, quality_map> elsewhere_;
};

} // namespace hishamos::model
