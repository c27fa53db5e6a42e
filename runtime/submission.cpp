// Submission: a new execution is validated, stored (its row committed
// before anything runs) and started here, or stored unowned when the node
// is at node.max_executions, for the first node with room.

#include <random>
#include <thread>

#include "actors/workflow_execution.hpp"
#include "model/validation.hpp"
#include "runtime/internal/node_impl.hpp"

namespace hishamos {

namespace {

std::string new_execution_id() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  char buf[33];
  std::snprintf(buf, sizeof buf, "%016llx%016llx",
                static_cast<unsigned long long>(rng()),
                static_cast<unsigned long long>(rng()));
  return buf;
}

} // namespace

actors::execution_actor
node::impl::spawn_execution(persistence::execution_record rec,
                            std::shared_ptr<const model::workflow_def> wf,
                            std::vector<persistence::checkpoint> done,
                            model::execution_observer observer,
                            caf::actor listener) {
  actors::execution_settings s;
  s.record = std::move(rec);
  s.workflow = std::move(wf);
  s.done = std::move(done);
  s.dispatcher = dispatcher;
  s.persistence = supervisor;
  s.batch = batch;
  s.metrics = metrics;
  if (observer.on_step || observer.on_finish)
    s.observer =
        std::make_shared<const model::execution_observer>(std::move(observer));
  s.listener = std::move(listener);
  s.budgets = budgets;
  auto id = s.record.id;
  return executions.add(
      id, [&] { return actors::spawn_execution(*sys, std::move(s)); },
      [this] {
        if (opts.config.max_executions <= 0)
          return;
        std::lock_guard<std::mutex> guard{mx};
        if (leases)
          leases->poke(); // room for a queued execution
      });
}

model::result<std::string>
node::impl::submit(std::shared_ptr<const model::workflow_def> wf,
                   const nlohmann::json& input,
                   model::execution_observer observer, caf::actor listener) {
  if (draining)
    return model::problem{"", 0, "",
                          "node " + opts.config.node_id + " is shutting down",
                          "submit to another node or try again after restart"};
  auto checked = model::validate_inputs(*wf, input);
  if (!checked)
    return checked.errors();
  persistence::execution_record rec;
  rec.id = new_execution_id();
  rec.workflow_name = wf->name;
  rec.definition = model::to_json(*wf).dump();
  rec.input = checked->dump();
  rec.state = persistence::execution_state::running;
  rec.owner_node = opts.config.node_id;
  rec.epoch = 1;
  // At its limit the node stores the execution unowned: the first node
  // with room claims it (this one included, once it has room).
  // A slot is reserved now, while the row is written, so that claims in
  // the meantime see it taken.
  bool queued = !executions.reserve_one();
  struct slot_release {
    runtime::execution_registry& registry;
    bool held;
    ~slot_release() {
      if (held)
        registry.release(1);
    }
  } release_slot{executions, !queued}; // after the spawn below registers it
  if (queued) {
    rec.state = persistence::execution_state::pending;
    rec.owner_node.clear();
  }
  // The execution exists once its row is committed; a restarting writer
  // answers "unavailable", so try again for a few seconds.
  caf::scoped_actor self{*sys};
  actors::store_ack ack{persistence::errc::unavailable,
                        "no answer from the store"};
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{10};
  do {
    self->request(supervisor, std::chrono::seconds{10}, rec)
        .receive([&](actors::store_ack& a) { ack = std::move(a); },
                 [&](caf::error& e) { ack.message = sys->render(e); });
    if (ack.code == persistence::errc::ok ||
        !persistence::is_retryable(ack.code))
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds{50});
  } while (std::chrono::steady_clock::now() < deadline);
  if (ack.code != persistence::errc::ok)
    return store_problem("cannot store the execution", {ack.code, ack.message});
  auto id = rec.id;
  if (queued) // observers and listeners follow executions run here only
    return id;
  spawn_execution(std::move(rec), std::move(wf), {}, std::move(observer),
                  std::move(listener));
  return id;
}

model::result<std::string> node::submit(const std::string& name,
                                        const nlohmann::json& input,
                                        model::execution_observer observer) {
  auto wf = catalog()->find_workflow(name);
  if (!wf)
    return model::problem{"", 0, "", "no workflow named '" + name + "'",
                          "use a name listed by GET /api/v1/workflows"};
  return impl_->submit(std::move(wf), input, std::move(observer), {});
}

model::result<std::string>
node::submit(std::shared_ptr<const model::workflow_def> wf,
             const nlohmann::json& input, model::execution_observer observer) {
  if (auto found = model::validate(*wf, *catalog()); !found.empty())
    return found;
  return impl_->submit(std::move(wf), input, std::move(observer), {});
}

model::result<std::string> node::submit(const std::string& name,
                                        const nlohmann::json& input,
                                        const caf::actor& listener) {
  auto wf = catalog()->find_workflow(name);
  if (!wf)
    return model::problem{"", 0, "", "no workflow named '" + name + "'", ""};
  return impl_->submit(std::move(wf), input, {}, listener);
}

} // namespace hishamos
