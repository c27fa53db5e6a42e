#include "runtime/workflow_cache.hpp"

namespace hishamos::runtime {

persistence::outcome<std::optional<active_workflow>>
workflow_cache::get(const std::string& name) {
  auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard<std::mutex> guard{mx_};
    if (auto it = entries_.find(name);
        it != entries_.end() && now - it->second.fetched < ttl_)
      return {{}, it->second.value};
  }
  auto row = pool_.with("find_workflow", [&](persistence::store& db) {
    return db.find_workflow(name);
  });
  if (!row)
    return {row.st, std::nullopt};
  std::optional<active_workflow> found;
  if (row.value) {
    auto def = model::workflow_from_json(
        nlohmann::json::parse(row.value->definition, nullptr, false));
    if (!def)
      return {{persistence::errc::corrupt,
               "the stored definition of workflow '" + name +
                   "' does not parse: " + model::to_string(def.errors())},
              std::nullopt};
    def->version = row.value->version;
    found = active_workflow{
        std::make_shared<const model::workflow_def>(std::move(*def)),
        std::move(row.value->definition), row.value->version,
        row.value->status};
  }
  std::lock_guard<std::mutex> guard{mx_};
  if (entries_.size() > 4096) // bounded: names come from requests
    entries_.clear();
  entries_[name] = {found, now};
  return {{}, std::move(found)};
}

void workflow_cache::forget(const std::string& name) {
  std::lock_guard<std::mutex> guard{mx_};
  entries_.erase(name);
}

} // namespace hishamos::runtime
