#include "config/catalog_loader.hpp"

#include <algorithm>
#include <filesystem>

#include "config/node_config.hpp"
#include "model/validation.hpp"

namespace hishamos::config {

namespace fs = std::filesystem;
using model::problems;

std::string builtin_catalog_path() { return HISHAMOS_BUILTIN_CATALOG; }

namespace {

std::vector<fs::path> data_files(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    return out;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    auto ext = entry.path().extension().string();
    if (entry.is_regular_file() &&
        (ext == ".yaml" || ext == ".yml" || ext == ".json"))
      out.push_back(entry.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Parses every file of one kind and inserts the results by key.
template <class Parse, class Insert>
void load_kind(const fs::path& dir, Parse parse, Insert insert,
               problems& errors) {
  for (const auto& file : data_files(dir)) {
    auto text = read_file(file.string());
    if (!text) {
      errors.insert(errors.end(), text.errors().begin(), text.errors().end());
      continue;
    }
    auto parsed = parse(*text, file.string());
    if (!parsed)
      errors.insert(errors.end(), parsed.errors().begin(),
                    parsed.errors().end());
    else
      insert(std::move(*parsed), file.string());
  }
}

} // namespace

model::result<std::shared_ptr<const model::catalog>>
load_catalog(const std::vector<std::string>& paths) {
  auto cat = std::make_shared<model::catalog>();
  problems errors;
  std::vector<std::shared_ptr<const model::workflow_def>> workflows;
  for (const auto& root : paths) {
    if (!fs::is_directory(root)) {
      errors.push_back(
          {root, 0, "", "catalog directory does not exist",
           "create it with agents/, templates/ and workflows/ below it"});
      continue;
    }
    load_kind(
        fs::path{root} / "agents", model::parse_agent,
        [&](model::agent_def a, const std::string&) {
          cat->agents[a.id] = std::move(a);
        },
        errors);
    load_kind(
        fs::path{root} / "templates", model::parse_command_template,
        [&](model::command_template t, const std::string&) {
          cat->templates[t.id] = std::move(t);
        },
        errors);
    load_kind(
        fs::path{root} / "workflows", model::parse_workflow,
        [&](model::workflow_def w, const std::string& file) {
          if (auto old = cat->find_workflow(w.name))
            errors.push_back(
                {file, 0, "",
                 "workflow name '" + w.name + "' is also used by " + old->file,
                 "give each workflow a unique name"});
          auto ptr = std::make_shared<const model::workflow_def>(std::move(w));
          cat->workflows[ptr->name] = ptr;
          workflows.push_back(ptr);
        },
        errors);
  }
  for (const auto& wf : workflows) {
    auto found = model::validate(*wf, *cat);
    errors.insert(errors.end(), found.begin(), found.end());
  }
  if (!errors.empty())
    return errors;
  return std::shared_ptr<const model::catalog>{std::move(cat)};
}

model::result<std::shared_ptr<const model::workflow_def>>
load_workflow_file(const std::string& path, const model::catalog& cat) {
  auto text = read_file(path);
  if (!text)
    return text.errors();
  auto wf = model::parse_workflow(*text, path);
  if (!wf)
    return wf.errors();
  if (auto found = model::validate(*wf, cat); !found.empty())
    return found;
  return std::make_shared<const model::workflow_def>(std::move(*wf));
}

} // namespace hishamos::config
