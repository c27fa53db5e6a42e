#pragma once

#include <memory>
#include <string>

#include "persistence/store.hpp"

namespace hishamos::persistence {

/// Opens a store by URL: `sqlite:PATH` (the embedded default, single node;
/// the parent directory is created) or `postgresql://...` (production and
/// clusters). Does not migrate.
outcome<std::unique_ptr<store>> open_store(const std::string& url);

/// A URL with any password replaced by "***", for messages and logs.
[[nodiscard]] std::string redact_url(const std::string& url);

} // namespace hishamos::persistence
