#pragma once

// Role: the definitions a cluster shares: workflows with their versions,
// and command templates by version. Workflows created through the API and
// those seeded from catalog files live here alike; executions start from
// a workflow's active version.

#include <optional>
#include <string>
#include <vector>

#include "persistence/errors.hpp"
#include "persistence/records.hpp"

namespace hishamos::persistence {

/// A new version of a workflow, as the API or a catalog file gives it.
struct workflow_draft {
  std::string name;
  std::string definition; ///< JSON.
  std::string department;
  std::string description;
  std::string source = "api"; ///< api | catalog
};

class workflow_store {
public:
  virtual ~workflow_store() = default;

  /// Seeds catalog workflows at a node's start: a workflow the store does
  /// not know is created and activated; one whose active version came from
  /// a catalog gets the file's definition as a new active version when it
  /// differs; one authored through the API is left as it is (its name is
  /// returned, so that the node can say the file is ignored).
  virtual outcome<std::vector<std::string>>
  sync_workflows(const std::vector<workflow_draft>& xs) = 0;
  /// Creates a workflow at version 1, status draft; `conflict` when the
  /// name is taken.
  virtual outcome<workflow_row> create_workflow(const workflow_draft& x) = 0;
  /// Adds a version (a draft until activated); `not_found` without the
  /// workflow, `conflict` when it is archived.
  virtual outcome<workflow_version_row>
  add_workflow_version(const workflow_draft& x) = 0;
  /// Makes `version` (0 = the latest) the active one; `not_found` when
  /// there is no such version.
  virtual outcome<workflow_row> activate_workflow(const std::string& name,
                                                  int version) = 0;
  /// Archives a workflow: it starts no more executions; its versions and
  /// executions stay.
  virtual outcome<workflow_row> archive_workflow(const std::string& name) = 0;
  virtual outcome<std::optional<workflow_row>>
  find_workflow(const std::string& name) = 0;
  /// Oldest first.
  virtual outcome<std::vector<workflow_version_row>>
  workflow_versions(const std::string& name) = 0;
  virtual outcome<std::optional<workflow_version_row>>
  find_workflow_version(const std::string& name, int version) = 0;

  /// Stores catalog templates by (id, version); known ones are kept.
  virtual status sync_templates(const std::vector<template_row>& xs) = 0;
  /// The newest version of every template, by id.
  virtual outcome<std::vector<template_row>> list_templates() = 0;
  /// Every version of one template, oldest first (empty: unknown id).
  virtual outcome<std::vector<template_row>>
  template_versions(const std::string& id) = 0;
};

} // namespace hishamos::persistence
