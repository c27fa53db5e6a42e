#pragma once

#include <memory>
#include <string>

#include "persistence/store.hpp"

namespace hishamos::persistence::pg {

/// Opens a PostgreSQL store (one connection) at a postgresql:// URL.
/// Checkpoint and state writes are fenced by epoch under a row lock, so a
/// former owner can never write once another node claimed the execution.
outcome<std::unique_ptr<store>> open(const std::string& url);

} // namespace hishamos::persistence::pg
