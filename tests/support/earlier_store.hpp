#pragma once

// A store as a release before migration 18 left it, made from one this
// release migrated: the statements undo migrations 18 and later (the
// store's settings, the ledger lines kept with checkpoints) in SQLite and
// PostgreSQL alike, so that migrating again applies them as an upgrade
// does.

namespace hishamos::test {

inline constexpr const char* undo_migrations_from_18 =
    "DROP VIEW ledger_lines; "
    "DROP INDEX idx_execution_steps_line_workflow; "
    "DROP INDEX idx_execution_steps_line_agent_quality; "
    "ALTER TABLE execution_steps DROP COLUMN line_at; "
    "ALTER TABLE execution_steps DROP COLUMN quality_score; "
    "ALTER TABLE execution_steps DROP COLUMN tokens_in; "
    "ALTER TABLE execution_steps DROP COLUMN tokens_out; "
    "ALTER TABLE execution_steps DROP COLUMN decision; "
    "ALTER TABLE execution_steps DROP COLUMN template_version; "
    "ALTER TABLE execution_steps DROP COLUMN tokens_cached; "
    "ALTER TABLE execution_steps DROP COLUMN cost_avoided; "
    "ALTER TABLE execution_steps DROP COLUMN provider; "
    "ALTER TABLE execution_steps DROP COLUMN model; "
    "ALTER TABLE execution_steps DROP COLUMN workflow; "
    "ALTER TABLE execution_steps DROP COLUMN department; "
    "ALTER TABLE store_identity DROP COLUMN definitions_by_hash; "
    "ALTER TABLE store_identity DROP COLUMN compact_decisions; "
    "ALTER TABLE store_identity DROP COLUMN ledger_with_checkpoints; "
    "DELETE FROM schema_migrations WHERE version >= 18";

} // namespace hishamos::test
