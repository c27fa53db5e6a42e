// Submission: new executions are validated once, stored in one commit
// (the persistence writer joins what waits together) and started here, or
// stored unowned when the node is at node.max_executions, for the first
// node with room. A client may name an execution (its id, or an
// idempotency key): a second submission of it finds the first.

#include <chrono>
#include <random>
#include <thread>

#include <spdlog/spdlog.h>

#include "actors/workflow_execution.hpp"
#include "model/trace_context.hpp"
#include "model/validation.hpp"
#include "persistence/checkpoint_codec.hpp"
#include "providers/span_exporter.hpp"
#include "runtime/internal/ask.hpp"
#include "runtime/internal/node_impl.hpp"

namespace hishamos {

namespace {

// 32 hex digits: the wall clock in ms (12), then 80 random bits (20).
// Ids made close in time sort close, so the executions of one commit
// land on few pages of every index keyed by execution id, not one page
// each (fewer pages written per commit); 80 random bits keep them
// unique and unguessable.
std::string new_execution_id() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count();
  char buf[33];
  std::snprintf(buf, sizeof buf, "%012llx%04llx%016llx",
                static_cast<unsigned long long>(ms) & 0xffffffffffffULL,
                static_cast<unsigned long long>(rng()) & 0xffffULL,
                static_cast<unsigned long long>(rng()));
  return buf;
}

bool valid_id(const std::string& id) {
  if (id.empty() || id.size() > 64)
    return false;
  for (char c : id)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' &&
        c != '.')
      return false;
  return true;
}

status invalid(std::string why, model::problems problems = {}) {
  return {errc::invalid, std::move(why), std::move(problems)};
}

// Whether a stored execution is what this submission asked for again.
status same_request(const persistence::execution_record& stored,
                    const persistence::execution_record& asked) {
  if (stored.workflow_name == asked.workflow_name &&
      nlohmann::json::parse(stored.input, nullptr, false) ==
          nlohmann::json::parse(asked.input, nullptr, false))
    return {};
  return {errc::conflict,
          "execution " + stored.id +
              " exists with another workflow or input: an id or "
              "idempotency key names one request only"};
}

} // namespace

// The execution's span: a child of the caller's (the API request's) when
// there is one, else the root of a new trace, recorded as the node's
// sampling ratio says.
void node::impl::trace_execution(persistence::execution_record& rec,
                                 const std::string& traceparent) const {
  auto caller = model::parse_traceparent(traceparent);
  auto own =
      caller ? caller->child() : model::new_trace(spans && spans->sample());
  rec.trace_context = own.traceparent();
  rec.trace_parent_span = caller ? caller->span_id : "";
}

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
  s.metrics = metrics;
  if (observer.on_step || observer.on_finish)
    s.observer =
        std::make_shared<const model::execution_observer>(std::move(observer));
  s.listener = std::move(listener);
  s.budgets = budgets;
  s.max_output_bytes = opts.config.limits.max_payload_bytes;
  s.warn_output_bytes = opts.config.limits.warn_payload_bytes;
  s.watcher = watcher;
  s.spans = spans;
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

// Checks one submission and makes its row: running here when a slot is
// free (it then holds the slot), else pending and unowned.
outcome<node::impl::prepared> node::impl::prepare(const submission& x) {
  if (!x.execution_id.empty() && !valid_id(x.execution_id))
    return {invalid("execution_id must be 1 to 64 of A-Z, a-z, 0-9, '.', "
                    "'-' and '_'"),
            {}};
  if (x.idempotency_key.size() > 255)
    return {invalid("the idempotency key has more than 255 characters"), {}};
  auto found = workflows->get(x.workflow);
  if (!found)
    return {from_store(found.st), {}};
  if (!found.value)
    return {{errc::not_found,
             "no workflow named '" + x.workflow.substr(0, 255) + "'"},
            {}};
  const auto& wf = *found.value;
  if (wf.status != "active")
    return {{errc::conflict, "workflow '" + x.workflow + "' is " + wf.status +
                                 "; activate a version of it first"},
            {}};
  return prepare(wf.def, wf.definition, wf.version, x);
}

outcome<node::impl::prepared>
node::impl::prepare(std::shared_ptr<const model::workflow_def> wf,
                    std::string definition, int version, const submission& x) {
  auto checked = model::validate_inputs(*wf, x.input);
  if (!checked)
    return {invalid("the input does not fit workflow '" + wf->name + "'",
                    checked.errors()),
            {}};
  auto input =
      checked->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  const auto& limits = opts.config.limits;
  auto size = static_cast<std::int64_t>(input.size());
  if (size > limits.max_payload_bytes)
    return {invalid("the input of workflow '" + wf->name + "' is " +
                        std::to_string(size) + " bytes, over the limit of " +
                        std::to_string(limits.max_payload_bytes),
                    {{"", 0, "",
                      "input_too_large: " + std::to_string(size) +
                          " bytes, over limits.max_payload_bytes",
                      "send less, or raise limits.max_payload_bytes"}}),
            {}};
  if (size > limits.warn_payload_bytes)
    spdlog::warn("an input of workflow '{}' is {} bytes (limits."
                 "warn_payload_bytes is {})",
                 wf->name, size, limits.warn_payload_bytes);
  prepared p;
  auto& rec = p.record;
  rec.id = x.execution_id.empty() ? new_execution_id() : x.execution_id;
  rec.idempotency_key = x.idempotency_key;
  rec.workflow_name = wf->name;
  rec.workflow_version = version;
  rec.department = wf->department;
  rec.definition = std::move(definition);
  if (opts.config.definitions_by_hash.value_or(false))
    rec.definition_hash = persistence::definition_hash_of(rec.definition);
  rec.input = std::move(input);
  rec.epoch = 1;
  trace_execution(rec, x.traceparent);
  // A slot is reserved now, while the row is written, so that claims in
  // the meantime see it taken.
  p.holds_slot = executions.reserve_one();
  rec.state = p.holds_slot ? persistence::execution_state::running
                           : persistence::execution_state::pending;
  rec.owner_node = p.holds_slot ? opts.config.node_id : "";
  p.workflow = std::move(wf);
  return {{}, std::move(p)};
}

// Stores the rows in one commit; a restarting writer answers
// "unavailable", so this tries again for a few seconds.
outcome<std::vector<persistence::creation>>
node::impl::store_new(const std::vector<persistence::execution_record>& rows) {
  actors::creation_ack ack{
      persistence::errc::unavailable, "no answer from the store", {}};
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{10};
  do {
    auto got = runtime::ask<actors::creation_ack>(*sys, supervisor,
                                                  std::chrono::seconds{10},
                                                  actors::creation_batch{rows});
    ack = got ? std::move(*got)
              : actors::creation_ack{persistence::errc::unavailable,
                                     sys->render(got.error()),
                                     {}};
    if (ack.code == persistence::errc::ok ||
        !persistence::is_retryable(ack.code))
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds{50});
  } while (std::chrono::steady_clock::now() < deadline);
  if (ack.code != persistence::errc::ok)
    return {
        from_store({ack.code, "cannot store the execution: " + ack.message}),
        {}};
  return {{}, std::move(ack.results)};
}

std::vector<outcome<submitted>>
node::impl::start(std::vector<outcome<prepared>> ps,
                  model::execution_observer observer, caf::actor listener) {
  std::vector<persistence::execution_record> rows;
  for (const auto& p : ps)
    if (p)
      rows.push_back(p.value.record);
  auto stored = rows.empty() ? outcome<std::vector<persistence::creation>>{}
                             : store_new(rows);
  std::vector<outcome<submitted>> out;
  size_t next = 0;
  for (auto& p : ps) {
    if (!p) {
      out.push_back({p.st, {}});
      continue;
    }
    auto& rec = p.value.record;
    submitted s{rec.id, rec.workflow_name, rec.workflow_version,
                persistence::to_string(rec.state), false};
    status st = stored.st;
    if (stored) {
      auto& made = stored.value[next++];
      // The row found may be this very call's, stored by a try whose
      // answer was lost (a writer that restarted mid-commit): its trace
      // context, new for each submission, says so. It is new, and nobody
      // else will run it.
      if (!made.created && !rec.trace_context.empty() &&
          made.stored.trace_context == rec.trace_context)
        made.created = true;
      if (!made.created) {
        st = same_request(made.stored, rec);
        s = {made.stored.id, made.stored.workflow_name,
             made.stored.workflow_version,
             persistence::to_string(made.stored.state), true};
      } else if (p.value.holds_slot) {
        spawn_execution(std::move(rec), p.value.workflow, {}, observer,
                        listener);
      }
    }
    if (p.value.holds_slot) // the spawn above (if any) now counts instead
      executions.release(1);
    out.push_back({st, st ? std::move(s) : submitted{}});
  }
  return out;
}

std::vector<outcome<submitted>>
node::impl::submit(const std::vector<submission>& xs,
                   model::execution_observer observer, caf::actor listener) {
  std::vector<outcome<prepared>> ps;
  for (const auto& x : xs)
    ps.push_back(draining ? outcome<prepared>{{errc::unavailable,
                                               "node " + opts.config.node_id +
                                                   " is shutting down; submit "
                                                   "to another node"},
                                              {}}
                          : prepare(x));
  return start(std::move(ps), std::move(observer), std::move(listener));
}

outcome<submitted> node::submit(const submission& x,
                                model::execution_observer observer) {
  return std::move(impl_->submit({x}, std::move(observer), {}).front());
}

std::vector<outcome<submitted>>
node::submit_batch(const std::vector<submission>& xs) {
  return impl_->submit(xs, {}, {});
}

namespace {

// The embedder API's older form: the id, or the problems.
model::result<std::string> id_or_problems(outcome<submitted> got) {
  if (got)
    return std::move(got.value.id);
  if (!got.st.problems.empty())
    return got.st.problems;
  return model::problem{"", 0, "", got.st.message,
                        got.st.code == errc::not_found
                            ? "use a name listed by GET /api/v1/workflows"
                            : ""};
}

} // namespace

model::result<std::string> node::submit(const std::string& name,
                                        const nlohmann::json& input,
                                        model::execution_observer observer) {
  return id_or_problems(
      submit(submission{name, input, "", ""}, std::move(observer)));
}

model::result<std::string> node::submit(const std::string& name,
                                        const nlohmann::json& input,
                                        const caf::actor& listener) {
  return id_or_problems(std::move(
      impl_->submit({submission{name, input, "", ""}}, {}, listener).front()));
}

std::string node::impl::definition_text(
    const std::shared_ptr<const model::workflow_def>& wf) {
  // The same control block is the same definition: a weak_ptr keeps it
  // from being reused by another while it is remembered here.
  auto same = [&](const rendered_definition& r) {
    return !r.wf.owner_before(wf) && !wf.owner_before(r.wf);
  };
  {
    std::lock_guard<std::mutex> guard{rendered_mx};
    for (const auto& r : rendered)
      if (same(r))
        return r.text;
  }
  auto text = model::to_json(*wf).dump();
  std::lock_guard<std::mutex> guard{rendered_mx};
  constexpr size_t kept_definitions = 16;
  if (rendered.size() >= kept_definitions)
    rendered.erase(rendered.begin());
  rendered.push_back({wf, text});
  return text;
}

model::result<std::string>
node::submit(std::shared_ptr<const model::workflow_def> wf,
             const nlohmann::json& input, model::execution_observer observer) {
  if (auto found = model::validate(*wf, *catalog()); !found.empty())
    return found;
  if (impl_->draining)
    return model::problem{"", 0, "", "node " + id() + " is shutting down",
                          "submit to another node or try again after restart"};
  auto definition = impl_->definition_text(wf);
  int version = wf->version;
  std::vector<outcome<impl::prepared>> ps;
  ps.push_back(impl_->prepare(std::move(wf), std::move(definition), version,
                              submission{"", input, "", ""}));
  return id_or_problems(
      std::move(impl_->start(std::move(ps), std::move(observer), {}).front()));
}

} // namespace hishamos
