// The embedder API's façade (hishamos/node.hpp): its small members. The
// rest is in files of one job each (see runtime/internal/node_impl.hpp).

#include "runtime/internal/node_impl.hpp"

namespace hishamos {

node::node(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
node::~node() = default;

const std::string& node::id() const { return impl_->opts.config.node_id; }

const config::node_config& node::config() const { return impl_->opts.config; }

void node::record_http(const std::string& route, const std::string& method,
                       int status, double seconds) {
  impl_->metrics->http_request(route, method, status, seconds);
}

providers::span_exporter* node::spans() const { return impl_->spans.get(); }

std::shared_ptr<const model::catalog> node::catalog() const {
  std::lock_guard<std::mutex> guard{impl_->mx};
  return impl_->catalog;
}

size_t node::resumed() const { return impl_->resumed; }

caf::actor_system& node::system() { return *impl_->sys; }

caf::actor node::persistence() const {
  return caf::actor_cast<caf::actor>(impl_->supervisor);
}

void node::drain() {
  impl_->draining = true;
  for (const auto& a : impl_->executions.all())
    caf::anon_send(a, actors::drain_atom::value);
}

bool node::wait_drained(std::chrono::milliseconds grace) {
  return impl_->executions.wait_empty(grace);
}

bool node::accepting() const { return !impl_->draining; }

status node::ready() {
  if (impl_->draining)
    return {errc::unavailable, "it is draining"};
  if (auto why = unhealthy_reason(); !why.empty())
    return {errc::unavailable, "it is unhealthy: " + why};
  // A write, not a read: a store that cannot take writes (a full or
  // failing disk) must take the node out of service.
  return from_store(impl_->pool->with(
      "probe_write", [](auto& db) { return db.probe_write(); }));
}

void node::register_agent(model::agent_def def, model::agent_function fn) {
  std::vector<impl::registered_agent> one;
  one.push_back({std::move(def), std::move(fn), {}});
  impl_->register_agents(std::move(one));
}

void node::register_agents(
    std::vector<std::pair<model::agent_def, model::agent_function>> agents) {
  std::vector<impl::registered_agent> xs;
  xs.reserve(agents.size());
  for (auto& [def, fn] : agents)
    xs.push_back({std::move(def), std::move(fn), {}});
  impl_->register_agents(std::move(xs));
}

void node::register_agent(model::agent_def def, const caf::actor& a) {
  std::vector<impl::registered_agent> one;
  one.push_back({std::move(def), {}, a});
  impl_->register_agents(std::move(one));
}

} // namespace hishamos
