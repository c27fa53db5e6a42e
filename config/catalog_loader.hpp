#pragma once

#include <memory>
#include <string>
#include <vector>

#include "model/catalog.hpp"
#include "model/result.hpp"

namespace hishamos::config {

/// The catalog shipped in the source tree (config/catalog).
[[nodiscard]] std::string builtin_catalog_path();

/// Loads agents/, templates/ and workflows/ (*.yaml, *.yml, *.json) below
/// each path, in path order; later paths add to earlier ones. Every
/// workflow is validated against the whole catalog. All problems of all
/// files are returned together.
model::result<std::shared_ptr<const model::catalog>>
load_catalog(const std::vector<std::string>& paths);

/// Reads and parses one workflow file and validates it against `cat`.
model::result<std::shared_ptr<const model::workflow_def>>
load_workflow_file(const std::string& path, const model::catalog& cat);

} // namespace hishamos::config
