#include "model/log_context.hpp"

#include <utility>

namespace hishamos::model {

namespace {

thread_local log_ids current;

void keep_outer(std::string& inner, const std::string& outer) {
  if (inner.empty())
    inner = outer;
}

} // namespace

const log_ids& current_log_ids() { return current; }

log_scope::log_scope(log_ids ids) : saved_(current) {
  keep_outer(ids.execution, saved_.execution);
  keep_outer(ids.step, saved_.step);
  keep_outer(ids.request, saved_.request);
  keep_outer(ids.trace, saved_.trace);
  current = std::move(ids);
}

log_scope::~log_scope() { current = std::move(saved_); }

} // namespace hishamos::model
