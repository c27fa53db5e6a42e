// SQLite: workflows with their versions, and command templates.

#include <nlohmann/json.hpp>

#include "persistence/sqlite/connection.hpp"

namespace hishamos::persistence::sqlite {

namespace {

constexpr const char* workflow_columns =
    "id, version, status, department, definition, description, "
    "latest_version, created_at, updated_at";

workflow_row read_workflow(const statement& s) {
  return {s.text(0),
          static_cast<int>(s.integer(1)),
          s.text(2),
          s.text(3),
          s.text(4),
          s.text(5),
          static_cast<int>(s.integer(6)),
          s.integer(7),
          s.integer(8)};
}

constexpr const char* version_columns =
    "workflow_id, version, definition, source, created_at";

workflow_version_row read_version(const statement& s) {
  return {s.text(0), static_cast<int>(s.integer(1)), s.text(2), s.text(3),
          s.integer(4)};
}

// Definitions are compared as JSON, not as text: key order and spacing
// do not make a new version.
bool same_json(const std::string& a, const std::string& b) {
  return nlohmann::json::parse(a, nullptr, false) ==
         nlohmann::json::parse(b, nullptr, false);
}

std::string field(const std::string& definition, const char* key) {
  auto j = nlohmann::json::parse(definition, nullptr, false);
  return j.is_object() && j.contains(key) && j[key].is_string()
             ? j[key].get<std::string>()
             : std::string{};
}

} // namespace

outcome<std::optional<workflow_row>>
sqlite_store::workflow_of(const std::string& name) {
  statement s{db_.get(), (std::string{"SELECT "} + workflow_columns +
                          " FROM workflows WHERE id = ?")
                             .c_str()};
  s.bind(name);
  int rc = s.step();
  if (rc == SQLITE_DONE)
    return {{}, std::nullopt};
  if (rc != SQLITE_ROW)
    return {s.error("reading workflow " + name, rc)};
  return {{}, read_workflow(s)};
}

status sqlite_store::insert_version(const workflow_draft& x, int version) {
  statement s{db_.get(), "INSERT INTO workflow_versions (workflow_id, "
                         "version, definition, source, created_at) VALUES "
                         "(?, ?, ?, ?, ?)"};
  s.bind(x.name, version, x.definition, x.source, now_ms());
  if (int rc = s.step(); rc != SQLITE_DONE)
    return s.error("storing a version of workflow " + x.name, rc);
  return {};
}

status sqlite_store::activate(const std::string& name, int version) {
  statement v{db_.get(), "SELECT definition FROM workflow_versions WHERE "
                         "workflow_id = ? AND version = ?"};
  v.bind(name, version);
  if (int rc = v.step(); rc != SQLITE_ROW)
    return rc == SQLITE_DONE
               ? status{errc::not_found, "workflow '" + name +
                                             "' has no version " +
                                             std::to_string(version)}
               : v.error("reading workflow " + name, rc);
  auto def = v.text(0);
  statement s{db_.get(), "UPDATE workflows SET version = ?, status = "
                         "'active', definition = ?, department = ?, "
                         "description = ?, updated_at = ? WHERE id = ?"};
  s.bind(version, def, field(def, "department"), field(def, "description"),
         now_ms(), name);
  if (int rc = s.step(); rc != SQLITE_DONE)
    return s.error("activating workflow " + name, rc);
  return {};
}

status sqlite_store::seed(const workflow_draft& x, bool& kept) {
  kept = true; // false: people authored the active version
  auto known = workflow_of(x.name);
  if (!known)
    return known.st;
  if (!known.value) {
    statement s{db_.get(),
                "INSERT INTO workflows (id, version, status, department, "
                "definition, description, latest_version, created_at, "
                "updated_at) VALUES (?, 1, 'active', ?, ?, ?, 1, ?, ?)"};
    auto now = now_ms();
    s.bind(x.name, x.department, x.definition, x.description, now, now);
    if (int rc = s.step(); rc != SQLITE_DONE)
      return s.error("storing workflow " + x.name, rc);
    return insert_version(x, 1);
  }
  statement active{db_.get(), "SELECT source, definition FROM "
                              "workflow_versions WHERE workflow_id = ? AND "
                              "version = ?"};
  active.bind(x.name, known.value->version);
  if (int rc = active.step(); rc != SQLITE_ROW)
    return active.error("reading workflow " + x.name, rc);
  if (same_json(active.text(1), x.definition))
    return {};
  if (active.text(0) != "catalog") {
    kept = false;
    return {};
  }
  int next = known.value->latest_version + 1;
  if (auto st = insert_version(x, next); !st)
    return st;
  statement up{db_.get(),
               "UPDATE workflows SET latest_version = ? WHERE id = ?"};
  up.bind(next, x.name);
  if (int rc = up.step(); rc != SQLITE_DONE)
    return up.error("storing workflow " + x.name, rc);
  return activate(x.name, next);
}

outcome<std::vector<std::string>>
sqlite_store::sync_workflows(const std::vector<workflow_draft>& xs) {
  std::vector<std::string> ignored;
  auto st = transaction([&]() -> status {
    ignored.clear();
    for (const auto& x : xs) {
      bool kept = true;
      if (auto st = seed(x, kept); !st)
        return st;
      if (!kept)
        ignored.push_back(x.name);
    }
    return {};
  });
  return {st, st ? ignored : std::vector<std::string>{}};
}

outcome<workflow_row> sqlite_store::create_workflow(const workflow_draft& x) {
  outcome<workflow_row> out;
  out.st = transaction([&]() -> status {
    statement s{db_.get(),
                "INSERT OR IGNORE INTO workflows (id, version, status, "
                "department, definition, description, latest_version, "
                "created_at, updated_at) VALUES (?, 1, 'draft', ?, ?, ?, 1, "
                "?, ?)"};
    auto now = now_ms();
    s.bind(x.name, x.department, x.definition, x.description, now, now);
    if (int rc = s.step(); rc != SQLITE_DONE)
      return s.error("creating workflow " + x.name, rc);
    if (sqlite3_changes(db_.get()) == 0)
      return {errc::conflict, "a workflow named '" + x.name +
                                  "' exists; PUT a new version of it instead"};
    if (auto st = insert_version(x, 1); !st)
      return st;
    auto made = workflow_of(x.name);
    out.value = made.value.value_or(workflow_row{});
    return made.st;
  });
  return out;
}

outcome<workflow_version_row>
sqlite_store::add_workflow_version(const workflow_draft& x) {
  outcome<workflow_version_row> out;
  out.st = transaction([&]() -> status {
    auto known = workflow_of(x.name);
    if (!known)
      return known.st;
    if (!known.value)
      return {errc::not_found, "no workflow named '" + x.name + "'"};
    if (known.value->status == "archived")
      return {errc::conflict, "workflow '" + x.name + "' is archived"};
    int next = known.value->latest_version + 1;
    if (auto st = insert_version(x, next); !st)
      return st;
    statement s{db_.get(), "UPDATE workflows SET latest_version = ?, "
                           "updated_at = ? WHERE id = ?"};
    s.bind(next, now_ms(), x.name);
    if (int rc = s.step(); rc != SQLITE_DONE)
      return s.error("adding a version of workflow " + x.name, rc);
    out.value = {x.name, next, x.definition, x.source, now_ms()};
    return {};
  });
  return out;
}

outcome<workflow_row> sqlite_store::activate_workflow(const std::string& name,
                                                      int version) {
  outcome<workflow_row> out;
  out.st = transaction([&]() -> status {
    auto known = workflow_of(name);
    if (!known)
      return known.st;
    if (!known.value)
      return {errc::not_found, "no workflow named '" + name + "'"};
    int v = version > 0 ? version : known.value->latest_version;
    if (auto st = activate(name, v); !st)
      return st;
    auto now = workflow_of(name);
    out.value = now.value.value_or(workflow_row{});
    return now.st;
  });
  return out;
}

outcome<workflow_row> sqlite_store::archive_workflow(const std::string& name) {
  outcome<workflow_row> out;
  out.st = transaction([&]() -> status {
    statement s{db_.get(), "UPDATE workflows SET status = 'archived', "
                           "updated_at = ? WHERE id = ?"};
    s.bind(now_ms(), name);
    if (int rc = s.step(); rc != SQLITE_DONE)
      return s.error("archiving workflow " + name, rc);
    if (sqlite3_changes(db_.get()) == 0)
      return {errc::not_found, "no workflow named '" + name + "'"};
    auto now = workflow_of(name);
    out.value = now.value.value_or(workflow_row{});
    return now.st;
  });
  return out;
}

outcome<std::optional<workflow_row>>
sqlite_store::find_workflow(const std::string& name) {
  return workflow_of(name);
}

outcome<std::vector<workflow_version_row>>
sqlite_store::workflow_versions(const std::string& name) {
  statement s{db_.get(), (std::string{"SELECT "} + version_columns +
                          " FROM workflow_versions WHERE workflow_id = ? "
                          "ORDER BY version")
                             .c_str()};
  s.bind(name);
  outcome<std::vector<workflow_version_row>> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW)
    out.value.push_back(read_version(s));
  if (rc != SQLITE_DONE)
    out.st = s.error("reading versions of workflow " + name, rc);
  return out;
}

outcome<std::optional<workflow_version_row>>
sqlite_store::find_workflow_version(const std::string& name, int version) {
  statement s{db_.get(), (std::string{"SELECT "} + version_columns +
                          " FROM workflow_versions WHERE workflow_id = ? AND "
                          "version = ?")
                             .c_str()};
  s.bind(name, version);
  int rc = s.step();
  if (rc == SQLITE_DONE)
    return {{}, std::nullopt};
  if (rc != SQLITE_ROW)
    return {s.error("reading a version of workflow " + name, rc)};
  return {{}, read_version(s)};
}

namespace {

constexpr const char* template_columns =
    "id, version, name, category, definition, created_at";

template_row read_template(const statement& s) {
  return {s.text(0), static_cast<int>(s.integer(1)),
          s.text(2), s.text(3),
          s.text(4), s.integer(5)};
}

} // namespace

status sqlite_store::sync_templates(const std::vector<template_row>& xs) {
  return transaction([&]() -> status {
    for (const auto& t : xs) {
      statement s{db_.get(), "INSERT OR IGNORE INTO command_templates (id, "
                             "version, name, category, definition, "
                             "created_at) VALUES (?, ?, ?, ?, ?, ?)"};
      s.bind(t.id, t.version, t.name, t.category, t.definition, now_ms());
      if (int rc = s.step(); rc != SQLITE_DONE)
        return s.error("storing template " + t.id, rc);
    }
    return {};
  });
}

outcome<std::vector<template_row>> sqlite_store::list_templates() {
  statement s{db_.get(), (std::string{"SELECT "} + template_columns +
                          " FROM command_templates t WHERE version = (SELECT "
                          "max(version) FROM command_templates u WHERE u.id "
                          "= t.id) ORDER BY id")
                             .c_str()};
  outcome<std::vector<template_row>> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW)
    out.value.push_back(read_template(s));
  if (rc != SQLITE_DONE)
    out.st = s.error("listing templates", rc);
  return out;
}

outcome<std::vector<template_row>>
sqlite_store::template_versions(const std::string& id) {
  statement s{db_.get(), (std::string{"SELECT "} + template_columns +
                          " FROM command_templates WHERE id = ? ORDER BY "
                          "version")
                             .c_str()};
  s.bind(id);
  outcome<std::vector<template_row>> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW)
    out.value.push_back(read_template(s));
  if (rc != SQLITE_DONE)
    out.st = s.error("reading versions of template " + id, rc);
  return out;
}

} // namespace hishamos::persistence::sqlite
