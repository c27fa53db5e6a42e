// PostgreSQL: workflows with their versions, and command templates.

#include "persistence/pg/connection.hpp"

namespace hishamos::persistence::pg {

namespace {

constexpr const char* workflow_columns =
    "w.id, w.version, w.status, w.department, w.definition::text, "
    "w.description, w.latest_version, "
    "(extract(epoch FROM w.created_at) * 1000)::bigint, "
    "(extract(epoch FROM w.updated_at) * 1000)::bigint";

workflow_row read_workflow(const pqxx::row& r) {
  return {r[0].c_str(),           r[1].as<int>(),
          r[2].c_str(),           r[3].c_str(),
          r[4].c_str(),           r[5].c_str(),
          r[6].as<int>(),         r[7].as<std::int64_t>(),
          r[8].as<std::int64_t>()};
}

constexpr const char* version_columns =
    "workflow_id, version, definition, source, "
    "(extract(epoch FROM created_at) * 1000)::bigint";

workflow_version_row read_version(const pqxx::row& r) {
  return {r[0].c_str(), r[1].as<int>(), r[2].c_str(), r[3].c_str(),
          r[4].as<std::int64_t>()};
}

std::optional<workflow_row> locked_workflow(pqxx::work& tx,
                                            const std::string& name) {
  auto r = tx.exec_params(std::string{"SELECT "} + workflow_columns +
                              " FROM workflows w WHERE w.id = $1 FOR UPDATE",
                          name);
  if (r.empty())
    return std::nullopt;
  return read_workflow(r[0]);
}

void insert_version(pqxx::work& tx, const workflow_draft& x, int version) {
  tx.exec_params0("INSERT INTO workflow_versions (workflow_id, version, "
                  "definition, source) VALUES ($1, $2, $3, $4)",
                  x.name, version, x.definition, x.source);
}

// Makes `version` the active one (its definition, department and
// description), and the workflow active.
workflow_row activate(pqxx::work& tx, const std::string& name, int version) {
  return read_workflow(tx.exec_params1(
      std::string{"UPDATE workflows w SET version = v.version, status = "
                  "'active', definition = v.definition::jsonb, department = "
                  "COALESCE(v.definition::jsonb->>'department', ''), "
                  "description = COALESCE(v.definition::jsonb->>"
                  "'description', ''), updated_at = now() FROM "
                  "workflow_versions v WHERE w.id = $1 AND v.workflow_id = "
                  "w.id AND v.version = $2 RETURNING "} +
          workflow_columns,
      name, version));
}

// A catalog file's workflow: created and activated when new; a new active
// version when its active version came from a catalog and differs; left
// alone (false) when people authored the active version.
bool seed(pqxx::work& tx, const workflow_draft& x) {
  auto known = locked_workflow(tx, x.name);
  if (!known) {
    tx.exec_params0("INSERT INTO workflows (id, version, status, department, "
                    "definition, description, latest_version) VALUES ($1, 1, "
                    "'active', $2, $3::jsonb, $4, 1)",
                    x.name, x.department, x.definition, x.description);
    insert_version(tx, x, 1);
    return true;
  }
  auto active = tx.exec_params1(
      "SELECT source, definition::jsonb = $3::jsonb FROM workflow_versions "
      "WHERE workflow_id = $1 AND version = $2",
      x.name, known->version, x.definition);
  if (active[1].as<bool>())
    return true;
  if (std::string{active[0].c_str()} != "catalog")
    return false;
  int next = known->latest_version + 1;
  insert_version(tx, x, next);
  tx.exec_params0("UPDATE workflows SET latest_version = $2 WHERE id = $1",
                  x.name, next);
  activate(tx, x.name, next);
  return true;
}

} // namespace

outcome<std::vector<std::string>>
pg_store::sync_workflows(const std::vector<workflow_draft>& xs) {
  outcome<std::vector<std::string>> out;
  out.st = guarded("storing catalog workflows", [&]() -> status {
    out.value.clear();
    pqxx::work tx{*conn_};
    for (const auto& x : xs)
      if (!seed(tx, x))
        out.value.push_back(x.name);
    tx.commit();
    return {};
  });
  return out;
}

outcome<workflow_row> pg_store::create_workflow(const workflow_draft& x) {
  outcome<workflow_row> out;
  out.st = guarded("creating workflow " + x.name, [&]() -> status {
    pqxx::work tx{*conn_};
    auto r = tx.exec_params(
        std::string{"INSERT INTO workflows AS w (id, version, status, "
                    "department, definition, description, latest_version) "
                    "VALUES ($1, 1, 'draft', $2, $3::jsonb, $4, 1) ON "
                    "CONFLICT (id) DO NOTHING RETURNING "} +
            workflow_columns,
        x.name, x.department, x.definition, x.description);
    if (r.empty())
      return {errc::conflict, "a workflow named '" + x.name +
                                  "' exists; PUT a new version of it instead"};
    insert_version(tx, x, 1);
    out.value = read_workflow(r[0]);
    tx.commit();
    return {};
  });
  return out;
}

outcome<workflow_version_row>
pg_store::add_workflow_version(const workflow_draft& x) {
  outcome<workflow_version_row> out;
  out.st = guarded("adding a version of workflow " + x.name, [&]() -> status {
    pqxx::work tx{*conn_};
    auto known = locked_workflow(tx, x.name);
    if (!known)
      return {errc::not_found, "no workflow named '" + x.name + "'"};
    if (known->status == "archived")
      return {errc::conflict, "workflow '" + x.name + "' is archived"};
    int next = known->latest_version + 1;
    insert_version(tx, x, next);
    tx.exec_params0("UPDATE workflows SET latest_version = $2, updated_at = "
                    "now() WHERE id = $1",
                    x.name, next);
    out.value = read_version(tx.exec_params1(
        std::string{"SELECT "} + version_columns +
            " FROM workflow_versions WHERE workflow_id = $1 AND version = $2",
        x.name, next));
    tx.commit();
    return {};
  });
  return out;
}

outcome<workflow_row> pg_store::activate_workflow(const std::string& name,
                                                  int version) {
  outcome<workflow_row> out;
  out.st = guarded("activating workflow " + name, [&]() -> status {
    pqxx::work tx{*conn_};
    auto known = locked_workflow(tx, name);
    if (!known)
      return {errc::not_found, "no workflow named '" + name + "'"};
    int v = version > 0 ? version : known->latest_version;
    if (v > known->latest_version)
      return {errc::not_found,
              "workflow '" + name + "' has no version " + std::to_string(v)};
    out.value = activate(tx, name, v);
    tx.commit();
    return {};
  });
  return out;
}

outcome<workflow_row> pg_store::archive_workflow(const std::string& name) {
  outcome<workflow_row> out;
  out.st = guarded("archiving workflow " + name, [&]() -> status {
    pqxx::work tx{*conn_};
    auto r = tx.exec_params(
        std::string{"UPDATE workflows w SET status = 'archived', updated_at = "
                    "now() WHERE w.id = $1 RETURNING "} +
            workflow_columns,
        name);
    if (r.empty())
      return {errc::not_found, "no workflow named '" + name + "'"};
    out.value = read_workflow(r[0]);
    tx.commit();
    return {};
  });
  return out;
}

outcome<std::optional<workflow_row>>
pg_store::find_workflow(const std::string& name) {
  outcome<std::optional<workflow_row>> out;
  out.st = guarded("reading workflow " + name, [&]() -> status {
    pqxx::nontransaction tx{*conn_};
    auto r = tx.exec_params(std::string{"SELECT "} + workflow_columns +
                                " FROM workflows w WHERE w.id = $1",
                            name);
    if (!r.empty())
      out.value = read_workflow(r[0]);
    return {};
  });
  return out;
}

outcome<std::vector<workflow_version_row>>
pg_store::workflow_versions(const std::string& name) {
  outcome<std::vector<workflow_version_row>> out;
  out.st = guarded("reading versions of workflow " + name, [&]() -> status {
    pqxx::nontransaction tx{*conn_};
    for (const auto& r :
         tx.exec_params(std::string{"SELECT "} + version_columns +
                            " FROM workflow_versions WHERE workflow_id = $1 "
                            "ORDER BY version",
                        name))
      out.value.push_back(read_version(r));
    return {};
  });
  return out;
}

outcome<std::optional<workflow_version_row>>
pg_store::find_workflow_version(const std::string& name, int version) {
  outcome<std::optional<workflow_version_row>> out;
  out.st = guarded("reading a version of workflow " + name, [&]() -> status {
    pqxx::nontransaction tx{*conn_};
    auto r = tx.exec_params(
        std::string{"SELECT "} + version_columns +
            " FROM workflow_versions WHERE workflow_id = $1 AND version = $2",
        name, version);
    if (!r.empty())
      out.value = read_version(r[0]);
    return {};
  });
  return out;
}

namespace {

constexpr const char* template_columns =
    "id, version, name, category, definition::text, "
    "(extract(epoch FROM created_at) * 1000)::bigint";

template_row read_template(const pqxx::row& r) {
  return {r[0].c_str(), r[1].as<int>(), r[2].c_str(),
          r[3].c_str(), r[4].c_str(),   r[5].as<std::int64_t>()};
}

} // namespace

status pg_store::sync_templates(const std::vector<template_row>& xs) {
  return guarded("storing catalog templates", [&]() -> status {
    pqxx::work tx{*conn_};
    for (const auto& t : xs)
      tx.exec_params0("INSERT INTO command_templates (id, version, name, "
                      "category, definition) VALUES ($1, $2, $3, $4, "
                      "$5::jsonb) ON CONFLICT DO NOTHING",
                      t.id, t.version, t.name, t.category, t.definition);
    tx.commit();
    return {};
  });
}

outcome<std::vector<template_row>> pg_store::list_templates() {
  outcome<std::vector<template_row>> out;
  out.st = guarded("listing templates", [&]() -> status {
    pqxx::nontransaction tx{*conn_};
    for (const auto& r :
         tx.exec(std::string{"SELECT DISTINCT ON (id) "} + template_columns +
                 " FROM command_templates ORDER BY id, "
                 "version DESC"))
      out.value.push_back(read_template(r));
    return {};
  });
  return out;
}

outcome<std::vector<template_row>>
pg_store::template_versions(const std::string& id) {
  outcome<std::vector<template_row>> out;
  out.st = guarded("reading versions of template " + id, [&]() -> status {
    pqxx::nontransaction tx{*conn_};
    for (const auto& r :
         tx.exec_params(std::string{"SELECT "} + template_columns +
                            " FROM command_templates WHERE id = $1 ORDER BY "
                            "version",
                        id))
      out.value.push_back(read_template(r));
    return {};
  });
  return out;
}

} // namespace hishamos::persistence::pg
