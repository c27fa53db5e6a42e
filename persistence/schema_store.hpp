#pragma once

// Role: the store's own upkeep: its schema, its liveness, its settings.

#include "persistence/errors.hpp"
#include "persistence/records.hpp"

namespace hishamos::persistence {

class schema_store {
public:
  virtual ~schema_store() = default;

  /// Applies pending forward-only migrations.
  virtual status migrate() = 0;
  /// Highest applied migration version.
  virtual outcome<int> schema_version() = 0;
  /// Cheap liveness check.
  virtual status ping() = 0;
  /// A write of no consequence (a counter in the store identity's row):
  /// fails while the store cannot take writes (a full or failing disk, a
  /// read-only database), which a read cannot show.
  virtual status probe_write() = 0;
  /// Refreshes planner statistics and reports expected indexes that are
  /// missing or invalid.
  virtual outcome<optimize_report> optimize() = 0;
  /// Refuses settings that lose committed data (fsync off, asynchronous
  /// commit), saying what to change.
  virtual status check_durability() = 0;
  /// The store's identity and how many executions and checkpoints it
  /// holds (store_mark.id is "" before migrations made it).
  virtual outcome<store_mark> mark() = 0;
  /// What the store says its nodes write (read once migrated).
  virtual outcome<store_settings> settings() = 0;
  /// Says from now on to write every format this release has: definitions
  /// by hash and compact routing decisions (`hishamos db finalize`, once
  /// every node sharing the store runs this release or later).
  virtual status adopt_release_formats() = 0;
};

} // namespace hishamos::persistence
