#pragma once

// Role: the workflows a cluster knows, as stored definitions.

#include <vector>

#include "persistence/errors.hpp"
#include "persistence/records.hpp"

namespace hishamos::persistence {

class workflow_store {
public:
  virtual ~workflow_store() = default;

  /// Makes the workflows table hold these catalog workflows (by name;
  /// created_at of known ones is kept).
  virtual status sync_workflows(const std::vector<workflow_row>& xs) = 0;
};

} // namespace hishamos::persistence
