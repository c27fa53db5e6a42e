// The records' few behaviours. Kept apart from the backends, so that code
// that only names states, like the wire fuzzer, links without them.

#include "persistence/records.hpp"

#include <map>

#include "persistence/internal/creations.hpp"

#include <chrono>
#include <iterator>

namespace hishamos::persistence {

namespace {
constexpr const char* state_names[] = {"pending",   "running", "paused",
                                       "completed", "failed",  "cancelled"};
} // namespace

const char* to_string(execution_state x) {
  // A peer can send any number here (CAF decodes enums unchecked), and
  // logging its message renders it: never index out of range.
  auto i = static_cast<unsigned>(x);
  return i < std::size(state_names) ? state_names[i] : "invalid";
}

std::optional<execution_state> parse_execution_state(const std::string& x) {
  for (int i = 0; i < static_cast<int>(std::size(state_names)); ++i)
    if (x == state_names[i])
      return static_cast<execution_state>(i);
  return std::nullopt;
}

bool is_terminal(execution_state x) {
  return x == execution_state::completed || x == execution_state::failed ||
         x == execution_state::cancelled;
}

void record_batch::prepend(record_batch earlier) {
  earlier.task_results.insert(earlier.task_results.end(), task_results.begin(),
                              task_results.end());
  earlier.audit_events.insert(earlier.audit_events.end(), audit_events.begin(),
                              audit_events.end());
  earlier.agent_stats.insert(earlier.agent_stats.end(), agent_stats.begin(),
                             agent_stats.end());
  *this = std::move(earlier);
}

void record_batch::put_stat(agent_stat_record x) {
  // Linear: a batch holds at most a few hundred records, and usually a
  // handful of keys.
  for (auto& y : agent_stats)
    if (y.agent_id == x.agent_id && y.category == x.category &&
        y.node_id == x.node_id) {
      y = std::move(x);
      return;
    }
  agent_stats.push_back(std::move(x));
}

std::vector<creation>
match_creations(const std::vector<execution_record>& asked,
                const std::set<std::string>& inserted_ids,
                const std::vector<execution_record>& stored) {
  std::vector<creation> out;
  // An id asked for twice in one batch was inserted for the first asking
  // only; the later ones find that record.
  std::map<std::string, const execution_record*> created;
  for (const auto& x : asked) {
    if (inserted_ids.count(x.id) && !created.count(x.id)) {
      creation c{true, x};
      c.stored.created_at_ms = c.stored.updated_at_ms = now_ms();
      out.push_back(std::move(c));
      created.emplace(x.id, &x);
      continue;
    }
    const execution_record* found = nullptr;
    if (auto it = created.find(x.id); it != created.end())
      found = it->second;
    for (const auto& s : stored)
      if (!found && s.id == x.id)
        found = &s;
    if (!found && !x.idempotency_key.empty())
      for (const auto& s : stored)
        if (s.idempotency_key == x.idempotency_key)
          found = &s;
    out.push_back({false, found ? *found : x});
  }
  return out;
}

std::int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch())
      .count();
}

} // namespace hishamos::persistence
