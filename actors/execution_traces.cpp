// The spans of an execution and of its step attempts. The execution's
// span is ended by the node that stores its final state, however many
// nodes ran it, and starts when it was created; each attempt's span is
// the parent of what its agent does (the provider calls), on any node.

#include "actors/internal/execution_state.hpp"

namespace hishamos::actors::execution_internal {

namespace {

bool recording(execution_self* self) {
  return self->state.cfg.spans && self->state.trace.sampled;
}

} // namespace

void start_trace(execution_self* self) {
  auto& st = self->state;
  st.started_ns = providers::unix_now_ns();
  if (auto t = model::parse_traceparent(st.cfg.record.trace_context))
    st.trace = std::move(*t);
}

std::string open_step_span(execution_self* self, int i) {
  auto& st = self->state;
  auto& r = st.steps[i];
  if (st.trace.empty())
    return {};
  auto attempt = st.trace.child();
  r.span_id = attempt.span_id;
  r.span_start_ns = providers::unix_now_ns();
  return attempt.traceparent();
}

void close_step_span(execution_self* self, int i,
                     const model::task_reply& reply) {
  auto& st = self->state;
  auto& r = st.steps[i];
  if (!recording(self) || r.span_id.empty())
    return;
  providers::span s;
  s.trace_id = st.trace.trace_id;
  s.span_id = std::move(r.span_id);
  s.parent_span_id = st.trace.span_id;
  s.name = "step " + def_of(self, i).id;
  s.start_ns = r.span_start_ns;
  s.end_ns = providers::unix_now_ns();
  s.error = !reply.ok;
  if (!reply.ok)
    s.status_message = reply.output;
  s.attributes = {{"hishamos.execution_id", exec_id(self)},
                  {"hishamos.step_id", def_of(self, i).id},
                  {"hishamos.agent_id", r.agent_id},
                  {"hishamos.owner_node", st.cfg.record.owner_node}};
  if (!reply.provider.empty())
    s.attributes.emplace_back("hishamos.provider", reply.provider);
  if (!reply.model.empty())
    s.attributes.emplace_back("gen_ai.response.model", reply.model);
  s.numbers = {{"hishamos.attempt", r.attempt},
               {"gen_ai.usage.input_tokens", reply.tokens_in},
               {"gen_ai.usage.output_tokens", reply.tokens_out}};
  st.cfg.spans->record(std::move(s));
  r.span_id.clear();
}

void close_execution_span(execution_self* self) {
  auto& st = self->state;
  if (!recording(self))
    return;
  const auto& change = st.final_change;
  providers::span s;
  s.trace_id = st.trace.trace_id;
  s.span_id = st.trace.span_id;
  s.parent_span_id = st.cfg.record.trace_parent_span;
  s.name = "execution " + st.cfg.workflow->name;
  s.start_ns = st.cfg.record.created_at_ms > 0
                   ? st.cfg.record.created_at_ms * 1000000
                   : st.started_ns;
  s.end_ns = providers::unix_now_ns();
  s.error = change.state == persistence::execution_state::failed;
  if (s.error)
    s.status_message = change.error;
  s.attributes = {{"hishamos.execution_id", exec_id(self)},
                  {"hishamos.workflow", st.cfg.workflow->name},
                  {"hishamos.state", persistence::to_string(change.state)}};
  s.numbers = {{"hishamos.workflow_version", st.cfg.record.workflow_version}};
  st.cfg.spans->record(std::move(s));
}

} // namespace hishamos::actors::execution_internal
