// Workflows and templates as the store keeps them: authored through the
// API (validated as `hishamos validate` does), versioned, activated and
// archived; seeded from catalog files at start (node_services.cpp).

#include "model/validation.hpp"
#include "runtime/internal/node_impl.hpp"

namespace hishamos {

namespace {

nlohmann::json parsed(const std::string& text) {
  return nlohmann::json::parse(text, nullptr, false);
}

workflow_info info_of(const persistence::workflow_row& r) {
  return {r.name,          r.version,       r.status,
          r.department,    r.description,   r.latest_version,
          r.created_at_ms, r.updated_at_ms, parsed(r.definition)};
}

workflow_version_info version_of(const persistence::workflow_version_row& v,
                                 int active) {
  return {v.name,          v.version,           v.source, v.version == active,
          v.created_at_ms, parsed(v.definition)};
}

} // namespace

// A workflow text (YAML or JSON) parsed and checked against this node's
// catalog: every problem with its line, as `hishamos validate` says them.
outcome<persistence::workflow_draft>
node::impl::draft_of(const std::string& text, const std::string& name) {
  using result_t = outcome<persistence::workflow_draft>;
  if (text.size() > 1 << 20)
    return result_t{{errc::invalid, "the definition is over 1 MiB"}, {}};
  auto wf = model::parse_workflow(text, "request");
  if (!wf)
    return result_t{{errc::invalid, "the workflow does not parse", wf.errors()},
                    {}};
  if (wf->name.size() < 3 || wf->name.size() > 255)
    return result_t{
        {errc::invalid, "a workflow name has 3 to 255 characters (got " +
                            std::to_string(wf->name.size()) + ")"},
        {}};
  if (!name.empty() && wf->name != name)
    return result_t{{errc::invalid, "the definition is named '" +
                                        wf->name.substr(0, 255) + "', not '" +
                                        name.substr(0, 255) + "'"},
                    {}};
  std::shared_ptr<const model::catalog> cat;
  {
    std::lock_guard<std::mutex> guard{mx};
    cat = catalog;
  }
  if (auto found = model::validate(*wf, *cat); !found.empty())
    return result_t{{errc::invalid, "the workflow is not valid", found}, {}};
  return result_t{{},
                  {wf->name, model::to_json(*wf).dump(), wf->department,
                   wf->description, "api"}};
}

outcome<workflow_info> node::create_workflow(const std::string& text) {
  auto draft = impl_->draft_of(text, "");
  if (!draft)
    return {draft.st, {}};
  auto made = impl_->pool->with("create_workflow", [&](persistence::store& db) {
    return db.create_workflow(draft.value);
  });
  impl_->workflows->forget(draft.value.name);
  if (!made)
    return {from_store(made.st), {}};
  return {{}, info_of(made.value)};
}

outcome<workflow_version_info> node::update_workflow(const std::string& name,
                                                     const std::string& text) {
  auto draft = impl_->draft_of(text, name);
  if (!draft)
    return {draft.st, {}};
  auto made =
      impl_->pool->with("add_workflow_version", [&](persistence::store& db) {
        return db.add_workflow_version(draft.value);
      });
  if (!made)
    return {from_store(made.st), {}};
  return {{}, version_of(made.value, 0)};
}

outcome<workflow_info> node::activate_workflow(const std::string& name,
                                               int version) {
  auto got =
      impl_->pool->with("activate_workflow", [&](persistence::store& db) {
        return db.activate_workflow(name, version);
      });
  impl_->workflows->forget(name);
  if (!got)
    return {from_store(got.st), {}};
  return {{}, info_of(got.value)};
}

outcome<workflow_info> node::archive_workflow(const std::string& name) {
  auto got = impl_->pool->with("archive_workflow", [&](persistence::store& db) {
    return db.archive_workflow(name);
  });
  impl_->workflows->forget(name);
  if (!got)
    return {from_store(got.st), {}};
  return {{}, info_of(got.value)};
}

outcome<std::optional<workflow_info>> node::workflow(const std::string& name) {
  auto got = impl_->pool->with("find_workflow", [&](persistence::store& db) {
    return db.find_workflow(name);
  });
  if (!got || !got.value)
    return {from_store(got.st), std::nullopt};
  return {{}, info_of(*got.value)};
}

outcome<std::vector<workflow_version_info>>
node::workflow_versions(const std::string& name) {
  struct both {
    std::optional<persistence::workflow_row> row;
    std::vector<persistence::workflow_version_row> versions;
  };
  auto got = impl_->pool->with("find_workflow", [&](persistence::store& db) {
    persistence::outcome<both> out;
    auto row = db.find_workflow(name);
    if (out.st = row.st; !out.st || !row.value)
      return out;
    auto vs = db.workflow_versions(name);
    out.st = vs.st;
    out.value = {std::move(row.value), std::move(vs.value)};
    return out;
  });
  if (!got)
    return {from_store(got.st), {}};
  if (!got.value.row)
    return {
        {errc::not_found, "no workflow named '" + name.substr(0, 255) + "'"},
        {}};
  std::vector<workflow_version_info> out;
  for (const auto& v : got.value.versions)
    out.push_back(version_of(v, got.value.row->version));
  return {{}, std::move(out)};
}

namespace {

template_view template_of(const persistence::template_row& t) {
  return {t.id,           t.version, t.name, t.category, parsed(t.definition),
          t.created_at_ms};
}

} // namespace

outcome<std::vector<template_view>> node::templates() {
  auto got = impl_->pool->with("list_templates", [](persistence::store& db) {
    return db.list_templates();
  });
  std::vector<template_view> out;
  for (const auto& t : got.value)
    out.push_back(template_of(t));
  return {from_store(got.st), std::move(out)};
}

outcome<std::vector<template_view>>
node::template_versions(const std::string& id) {
  auto got =
      impl_->pool->with("template_versions", [&](persistence::store& db) {
        return db.template_versions(id);
      });
  std::vector<template_view> out;
  for (const auto& t : got.value)
    out.push_back(template_of(t));
  if (got && out.empty())
    return {
        {errc::not_found, "no template with id '" + id.substr(0, 255) + "'"},
        {}};
  return {from_store(got.st), std::move(out)};
}

} // namespace hishamos
