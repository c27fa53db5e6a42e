// Recovery: at start a node reclaims its own unfinished executions and
// those no live node owns, and resumes each from its checkpoints; while it
// runs, its lease keeper (runtime/lease_keeper.hpp) takes over those of
// nodes whose lease expired.

#include <algorithm>

#include <spdlog/spdlog.h>

#include "actors/membership.hpp"
#include "runtime/internal/node_impl.hpp"

namespace hishamos {

namespace {

using claimed_execution = std::pair<persistence::execution_record,
                                    std::vector<persistence::checkpoint>>;

// Claims what this node resumes at start: oldest first; beyond
// node.max_executions the rest go back unowned for the first node with
// room (this one too, later).
persistence::outcome<std::vector<claimed_execution>>
claim_at_start(persistence::store& db, const config::node_config& c) {
  persistence::outcome<std::vector<claimed_execution>> out;
  // Hold a fresh lease first, so nobody takes what we are about to reclaim.
  if (auto* leases = db.leases())
    if (out.st = leases->heartbeat(c.node_id, c.lease_ms); !out.st)
      return out;
  auto recs = db.claim_unfinished(c.node_id);
  if (out.st = recs.st; !out.st)
    return out;
  std::stable_sort(recs.value.begin(), recs.value.end(),
                   [](const auto& x, const auto& y) {
                     return x.created_at_ms < y.created_at_ms;
                   });
  if (c.max_executions > 0 &&
      recs.value.size() > static_cast<size_t>(c.max_executions)) {
    std::vector<std::string> extra;
    for (auto i = static_cast<size_t>(c.max_executions); i < recs.value.size();
         ++i)
      extra.push_back(recs.value[i].id);
    if (out.st = db.release_executions(c.node_id, extra); !out.st)
      return out;
    spdlog::info("node.max_executions is {}: {} unfinished execution(s) "
                 "wait for a node with room",
                 c.max_executions, extra.size());
    recs.value.resize(static_cast<size_t>(c.max_executions));
  }
  std::vector<std::string> ids;
  for (const auto& rec : recs.value)
    ids.push_back(rec.id);
  auto cps = db.checkpoints_of(ids); // one round trip for all of them
  if (out.st = cps.st; !out.st)
    return out;
  for (auto& rec : recs.value) {
    auto done = std::move(cps.value[rec.id]);
    out.value.emplace_back(std::move(rec), std::move(done));
  }
  return out;
}

} // namespace

// Spawns an execution claimed from the store (at start or by takeover).
// Executions of one workflow share its parsed definition.
void node::impl::resume_one(persistence::execution_record rec,
                            std::vector<persistence::checkpoint> cps) {
  if (parsed_definitions.size() > 256) // bounded: definitions change rarely
    parsed_definitions.clear();
  // Keyed by hash and text: each pair is checked once.
  auto key = rec.definition_hash + '\n' + rec.definition;
  auto& wf = parsed_definitions[key];
  if (!wf) {
    std::string damage;
    auto def = definition_of(rec, damage);
    if (!def) {
      parsed_definitions.erase(key);
      return quarantine(rec, damage);
    }
    wf = std::make_shared<const model::workflow_def>(std::move(*def));
  }
  if (auto damage = damage_of(cps); !damage.empty())
    return quarantine(rec, damage);
  spdlog::debug(
      "resuming execution {} of '{}' at epoch {} ({} step(s) already done)",
      rec.id, rec.workflow_name, rec.epoch, cps.size());
  spawn_execution(std::move(rec), wf, std::move(cps), {}, {});
}

model::result<bool> node::impl::resume() {
  const auto& c = opts.config;
  auto claimed =
      pool->with([&](persistence::store& db) { return claim_at_start(db, c); });
  if (!claimed)
    return store_problem("cannot claim unfinished executions", claimed.st);
  for (auto& [rec, cps] : claimed.value) {
    resume_one(std::move(rec), std::move(cps));
    ++resumed;
  }
  if (resumed > 0)
    spdlog::info("resumed {} execution(s) from their checkpoints", resumed);
  runtime::lease_settings ls;
  ls.node_id = c.node_id;
  ls.lease = std::chrono::milliseconds{c.lease_ms};
  ls.heartbeat = std::chrono::milliseconds{c.heartbeat_ms};
  ls.factory = opts.store_factory;
  ls.resume = [this](auto rec, auto cps) {
    metrics->execution_taken_over();
    resume_one(std::move(rec), std::move(cps));
  };
  ls.on_renewal_failed = [m = metrics] { m->lease_renewal_failed(); };
  ls.accepting = [this] { return !draining; };
  if (c.max_executions > 0) {
    ls.room = [this](int wanted) { return executions.reserve(wanted); };
    ls.release_room = [this](int n) { executions.release(n); };
  }
  if (membership)
    ls.on_nodes = [this](std::vector<persistence::node_row> rows) {
      std::vector<actors::peer_address> peers;
      for (const auto& r : rows) {
        if (!r.alive || r.id == opts.config.node_id || r.address.empty())
          continue;
        if (auto hp = config::split_host_port(r.address, "peer address"))
          peers.push_back(
              {r.id, hp->first, static_cast<std::uint16_t>(hp->second)});
      }
      caf::anon_send(membership, actors::peers_atom::value, std::move(peers));
    };
  auto keeper = std::make_unique<runtime::lease_keeper>(std::move(ls));
  std::lock_guard<std::mutex> guard{mx};
  leases = std::move(keeper);
  return true;
}

} // namespace hishamos
