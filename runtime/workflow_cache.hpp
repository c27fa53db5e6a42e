#pragma once

// The stored workflows' active versions, parsed once and kept for a second:
// every submission needs one, and the store is the cluster's truth (a
// version activated on another node is used here within `ttl`). A change
// made through this node is seen at once (forget()). Thread-safe.

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "model/workflow.hpp"
#include "persistence/store_pool.hpp"

namespace hishamos::runtime {

/// A workflow's active version as submissions use it.
struct active_workflow {
  std::shared_ptr<const model::workflow_def> def;
  std::string definition; ///< Its JSON text, copied into each execution.
  int version = 1;
  std::string status; ///< draft | active | archived
};

class workflow_cache {
public:
  explicit workflow_cache(
      persistence::store_pool& pool,
      std::chrono::milliseconds ttl = std::chrono::milliseconds{1000})
      : pool_(pool), ttl_(ttl) {}

  /// The workflow named `name` (nullopt: the store has none), from the
  /// cache while it is fresh; `corrupt` when its stored definition does
  /// not parse.
  [[nodiscard]] persistence::outcome<std::optional<active_workflow>>
  get(const std::string& name);
  /// Drops what is known of `name` (this node changed it).
  void forget(const std::string& name);

private:
  struct entry {
    std::optional<active_workflow> value;
    std::chrono::steady_clock::time_point fetched;
  };
  persistence::store_pool& pool_;
  const std::chrono::milliseconds ttl_;
  std::mutex mx_;
  std::map<std::string, entry> entries_;
};

} // namespace hishamos::runtime
