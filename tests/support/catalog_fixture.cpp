#include "tests/support/catalog_fixture.hpp"

#include <stdexcept>

namespace hishamos::test {

namespace {

template <class T> T must(model::result<T> r) {
  if (!r)
    throw std::runtime_error(model::to_string(r.errors()));
  return std::move(*r);
}

} // namespace

std::shared_ptr<model::catalog> make_catalog() {
  auto cat = std::make_shared<model::catalog>();
  for (const char* yaml :
       {"{id: fast, department: engineering, capabilities: [write], capacity: "
        "4}",
        "{id: slow, department: engineering, capabilities: [write, review], "
        "capacity: 8, latency_ms: 300}",
        "{id: flaky, department: operations, capabilities: [write], fail_rate: "
        "1.0}"}) {
    auto a = must(model::parse_agent(yaml, "test agent"));
    cat->agents[a.id] = a;
  }
  auto t = must(model::parse_command_template(
      "id: cmd_echo\ncategory: test.echo\nparams:\n  text: {type: string, "
      "required: true}\n"
      "  count: {type: integer, default: 1}\nprompt: 'Echo {{text}} "
      "x{{count}}'\n"
      "output: {format: markdown, sections: [Answer]}\n",
      "test template"));
  cat->templates[t.id] = t;
  return cat;
}

std::shared_ptr<const model::workflow_def> workflow(const std::string& yaml) {
  return std::make_shared<const model::workflow_def>(
      must(model::parse_workflow(yaml, "test.yaml")));
}

} // namespace hishamos::test
