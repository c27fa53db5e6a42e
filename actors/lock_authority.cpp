#include "actors/lock_authority.hpp"
#include "actors/internal/exceptions.hpp"

#include <map>
#include <set>
#include <unordered_map>

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "actors/messages.hpp"
#include "actors/wire_checks.hpp"
#include "model/lock_table.hpp"

namespace hishamos::actors {

namespace {

struct entry {
  lock_ask ask;
  caf::actor client; ///< The dispatcher that asked.
};

/// Waiting requests: higher order first, then arrival.
using queue_key = std::pair<double, std::uint64_t>;
struct queue_order {
  bool operator()(const queue_key& a, const queue_key& b) const {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  }
};

struct authority_state {
  static inline const char* name = "hishamos.lock_authority";
  lock_authority_settings cfg;
  model::lock_table table; ///< Held locks, by task id.
  std::unordered_map<std::string, entry> held;
  std::map<queue_key, entry, queue_order> waiting;
  std::unordered_map<std::string, queue_key> waiting_key; ///< by task id
  std::uint64_t arrivals = 0;
  /// Nodes that synced with this authority (all they hold is known here).
  std::set<std::string> synced;
  /// Members whose sync a new authority waits for before it grants.
  std::set<std::string> awaiting;
  std::uint64_t settle_round = 0;
  bool named = false; ///< Membership named it the cluster's (or no cluster).
};

using authority_self = caf::stateful_actor<authority_state>;

// Grants, in queue order, every request whose locks are free and that no
// conflicting request ahead of it wants: a request that cannot be granted
// reserves its locks against the ones behind it, so they are granted in
// order too.
void grant_pass(authority_self* self) {
  auto& st = self->state;
  if (!st.named || !st.awaiting.empty())
    return; // settling: a member may still hold what it has not synced
  model::lock_table ahead;
  for (auto it = st.waiting.begin(); it != st.waiting.end();) {
    auto& e = it->second;
    if (!st.table.blockers(e.ask.locks).empty() ||
        !ahead.blockers(e.ask.locks).empty()) {
      ahead.grant(e.ask.task_id, e.ask.locks);
      ++it;
      continue;
    }
    st.table.grant(e.ask.task_id, e.ask.locks);
    self->send(e.client, lock_granted_atom::value, e.ask.task_id);
    st.waiting_key.erase(e.ask.task_id);
    auto id = e.ask.task_id;
    st.held.emplace(std::move(id), std::move(e));
    it = st.waiting.erase(it);
  }
}

void enqueue(authority_self* self, lock_ask ask, caf::actor client) {
  auto& st = self->state;
  queue_key key{ask.order, st.arrivals++};
  if (ask.timeout_ms > 0)
    self->delayed_send(self, std::chrono::milliseconds{ask.timeout_ms},
                       lock_timeout_atom::value, ask.task_id, key.second);
  st.waiting_key[ask.task_id] = key;
  st.waiting.emplace(key, entry{std::move(ask), std::move(client)});
}

// Forgets a task's locks or its request; true if there was one.
bool forget(authority_self* self, const std::string& task_id) {
  auto& st = self->state;
  if (auto h = st.held.find(task_id); h != st.held.end()) {
    st.table.release(task_id);
    st.held.erase(h);
    return true;
  }
  if (auto k = st.waiting_key.find(task_id); k != st.waiting_key.end()) {
    st.waiting.erase(k->second);
    st.waiting_key.erase(k);
    return true;
  }
  return false;
}

// Forgets everything of one node.
void forget_node(authority_self* self, const std::string& node) {
  auto& st = self->state;
  std::vector<std::string> ids;
  for (const auto& [id, e] : st.held)
    if (e.ask.node_id == node)
      ids.push_back(id);
  for (const auto& [key, e] : st.waiting)
    if (e.ask.node_id == node)
      ids.push_back(e.ask.task_id);
  for (const auto& id : ids)
    forget(self, id);
}

void sync(authority_self* self, lock_sync& s, const caf::actor& client) {
  auto& st = self->state;
  forget_node(self, s.node_id);
  for (auto& ask : s.held) {
    if (auto who = st.table.blockers(ask.locks); !who.empty())
      spdlog::warn("lock conflict after a change of lock authority: {} holds "
                   "{} and so does {}",
                   ask.holder, model::describe(ask.locks),
                   st.held.at(who.front()).ask.holder);
    st.table.grant(ask.task_id, ask.locks);
    auto id = ask.task_id;
    st.held.emplace(std::move(id), entry{std::move(ask), client});
  }
  for (auto& ask : s.waiting)
    enqueue(self, std::move(ask), client);
  st.synced.insert(s.node_id);
  st.awaiting.erase(s.node_id);
  grant_pass(self);
}

// Who keeps a waiting request's locks from it: the holders, else the
// conflicting requests queued ahead of it.
std::string holders_of(const authority_state& st, const entry& e,
                       const queue_key& key) {
  std::string out;
  auto add = [&](const std::string& who) {
    out += (out.empty() ? "" : ", ") + who;
  };
  for (const auto& id : st.table.blockers(e.ask.locks))
    add(st.held.at(id).ask.holder);
  if (!out.empty())
    return out;
  model::lock_table ahead;
  for (const auto& [k, other] : st.waiting) {
    if (!queue_order{}(k, key))
      break;
    ahead.grant(other.ask.task_id, other.ask.locks);
  }
  for (const auto& id : ahead.blockers(e.ask.locks))
    if (auto k = st.waiting_key.find(id); k != st.waiting_key.end())
      add(st.waiting.at(k->second).ask.holder + " (waiting ahead of it)");
  return out.empty() ? "nobody (it was about to be granted)" : out;
}

void timeout(authority_self* self, const std::string& task_id,
             std::uint64_t arrival) {
  auto& st = self->state;
  auto k = st.waiting_key.find(task_id);
  if (k == st.waiting_key.end() || k->second.second != arrival)
    return; // granted, withdrawn or asked again since
  auto key = k->second;
  auto& e = st.waiting.at(key);
  self->send(e.client, lock_denied_atom::value, task_id,
             holders_of(st, e, key));
  st.waiting.erase(key);
  st.waiting_key.erase(task_id);
  grant_pass(self); // the ones it held back may go now
}

void become_authority(authority_self* self,
                      const std::vector<std::string>& members) {
  auto& st = self->state;
  st.named = true;
  st.awaiting.clear();
  for (const auto& m : members)
    if (!st.synced.count(m))
      st.awaiting.insert(m);
  if (st.awaiting.empty())
    return grant_pass(self);
  spdlog::info("lock authority: waiting for {} member(s) to sync before "
               "granting locks",
               st.awaiting.size());
  self->delayed_send(self, st.cfg.settle_timeout, authority_atom::value,
                     ++st.settle_round);
}

model::lock_entry entry_of(const lock_ask& a) {
  return {a.task_id, a.node_id, a.holder, a.locks};
}

// What it holds and who waits, in queue order.
model::lock_table_snapshot describe(const authority_state& st) {
  model::lock_table_snapshot out;
  out.authority = true;
  for (const auto& [id, e] : st.held)
    out.held.push_back(entry_of(e.ask));
  for (const auto& [key, e] : st.waiting)
    out.waiting.push_back(entry_of(e.ask));
  out.awaiting_sync.assign(st.awaiting.begin(), st.awaiting.end());
  return out;
}

caf::behavior lock_authority(authority_self* self,
                             lock_authority_settings cfg) {
  log_exceptions(self, "lock authority");
  ignore_stray_errors(self, "lock authority");
  self->state.cfg = cfg;
  self->state.named = !cfg.wait_to_be_named;
  auto sender = [self] {
    return caf::actor_cast<caf::actor>(self->current_sender());
  };
  return {
      [self, sender](lock_ask& ask) {
        if (auto why = check_lock_ask(ask); !why.empty())
          return spdlog::warn("lock authority dropped a request: {}", why);
        forget(self, ask.task_id); // asked again: the new request counts
        enqueue(self, std::move(ask), sender());
        grant_pass(self);
      },
      [self](lock_release_atom, const std::string& task_id) {
        if (forget(self, task_id))
          grant_pass(self);
      },
      [self, sender](lock_sync& s) {
        for (const auto* xs : {&s.held, &s.waiting})
          for (const auto& ask : *xs)
            if (auto why = check_lock_ask(ask); !why.empty())
              return spdlog::warn("lock authority dropped a sync from node "
                                  "{}: {}",
                                  s.node_id, why);
        sync(self, s, sender());
      },
      [self](leave_atom, const std::string& node) {
        self->state.synced.erase(node);
        self->state.awaiting.erase(node);
        forget_node(self, node);
        grant_pass(self);
      },
      [self](authority_atom, const std::vector<std::string>& members) {
        become_authority(self, members);
      },
      [self](authority_atom, std::uint64_t round) {
        auto& st = self->state;
        if (round != st.settle_round || st.awaiting.empty())
          return;
        spdlog::warn("lock authority: no sync from {} member(s) within {} "
                     "ms; granting locks anyway",
                     st.awaiting.size(), st.cfg.settle_timeout.count());
        st.awaiting.clear();
        grant_pass(self);
      },
      [self](lock_timeout_atom, const std::string& task_id,
             std::uint64_t arrival) { timeout(self, task_id, arrival); },
      [self](directory_atom) { return describe(self->state); },
  };
}

} // namespace

caf::actor spawn_lock_authority(caf::actor_system& sys,
                                lock_authority_settings settings) {
  return sys.spawn(lock_authority, settings);
}

} // namespace hishamos::actors
