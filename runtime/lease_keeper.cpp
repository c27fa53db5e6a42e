#include "runtime/lease_keeper.hpp"

#include <spdlog/spdlog.h>

namespace hishamos::runtime {

lease_keeper::lease_keeper(lease_settings settings)
    : cfg_(std::move(settings)), thread_([this] { run(); }) {}

lease_keeper::~lease_keeper() { stop(); }

void lease_keeper::stop() {
  {
    std::lock_guard<std::mutex> guard{mx_};
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable())
    thread_.join();
}

void lease_keeper::poke() {
  {
    std::lock_guard<std::mutex> guard{mx_};
    poked_ = true;
  }
  cv_.notify_all();
}

void lease_keeper::run() {
  std::unique_lock<std::mutex> lock{mx_};
  while (!stopping_) {
    poked_ = false;
    lock.unlock();
    tick();
    lock.lock();
    cv_.wait_for(lock, cfg_.heartbeat, [this] { return stopping_ || poked_; });
  }
}

void lease_keeper::tick() {
  if (!db_) { // (re)connect lazily: the database may be down for a while
    auto opened = cfg_.factory();
    if (!opened) {
      if (cfg_.on_renewal_failed)
        cfg_.on_renewal_failed(); // nothing renewed while it is away
      spdlog::warn("lease keeper cannot reach the store: {}",
                   opened.st.message);
      return;
    }
    db_ = std::move(opened.value);
  }
  // A poke between heartbeats only claims: renewing on every ended
  // execution would cost a write each.
  auto now = std::chrono::steady_clock::now();
  if (now < next_heartbeat_) {
    if (cfg_.accepting())
      take_over_expired();
    return;
  }
  // An embedded store has no leases: there is nothing to renew.
  auto* leases = db_->leases();
  if (leases)
    if (auto hb = leases->heartbeat(cfg_.node_id, cfg_.lease.count()); !hb) {
      spdlog::warn("lease keeper: {}", hb.message);
      if (cfg_.on_renewal_failed)
        cfg_.on_renewal_failed();
      if (persistence::is_retryable(hb.code))
        db_.reset();
      return;
    }
  next_heartbeat_ = now + cfg_.heartbeat;
  if (cfg_.on_nodes && leases) {
    if (auto nodes = leases->nodes(); nodes)
      cfg_.on_nodes(std::move(nodes.value));
    else
      spdlog::warn("lease keeper: {}", nodes.st.message);
  }
  if (cfg_.accepting())
    take_over_expired();
}

void lease_keeper::take_over_expired() {
  int limit = cfg_.claim_limit;
  int reserved = 0;
  if (cfg_.room)
    limit = reserved = cfg_.room(limit);
  if (limit <= 0)
    return;
  // The reservation ends once what was claimed runs (or nothing was).
  struct settle {
    const lease_settings& cfg;
    int n;
    ~settle() {
      if (n > 0)
        cfg.release_room(n);
    }
  } settled{cfg_, reserved};
  auto claimed = db_->claim_expired(cfg_.node_id, limit);
  if (!claimed) {
    spdlog::warn("lease keeper: {}", claimed.st.message);
    return;
  }
  if (claimed.value.empty())
    return;
  std::vector<std::string> ids;
  for (const auto& rec : claimed.value)
    ids.push_back(rec.id);
  auto cps = db_->checkpoints_of(ids);
  if (!cps) {
    // Ours now but not running: the next start of this node resumes them.
    spdlog::warn("lease keeper: {}", cps.st.message);
    return;
  }
  spdlog::info("took over {} execution(s) of nodes whose lease expired",
               claimed.value.size());
  for (auto& rec : claimed.value) {
    auto done = std::move(cps.value[rec.id]);
    cfg_.resume(std::move(rec), std::move(done));
  }
}

} // namespace hishamos::runtime
