// Shows the embedder API: start a HishamOS node inside your own program,
// host an agent written in C++, submit a workflow, and receive its
// completion as an actor message.

#include <iostream>

#include "hishamos/actor_api.hpp"
#include "model/workflow.hpp"

namespace {

// The catalog is usually loaded from files (config::load_catalog); here it
// is built in code to keep the example self-contained.
std::shared_ptr<hishamos::model::catalog> make_catalog() {
  using namespace hishamos::model;
  auto cat = std::make_shared<catalog>();
  auto tpl = parse_command_template(
      "id: cmd_greet\nparams:\n  name: {type: string, required: true}\n"
      "prompt: 'Greet {{name}} warmly.'\noutput: {format: text}\n",
      "example");
  cat->templates["cmd_greet"] = *tpl;
  auto wf = parse_workflow(
      "name: Greeting\ninputs:\n  name: {type: string, required: "
      "true}\nsteps:\n"
      "  - {id: greet, agent_id: greeter, command_template_id: cmd_greet, "
      "params: {name: '{{inputs.name}}'}}\n"
      "  - {id: shout, depends_on: [greet], agent_id: greeter, "
      "command_template_id: cmd_greet, "
      "params: {name: '{{steps.greet.output}}'}}\n",
      "example");
  // The agent must be known before the workflow is validated.
  agent_def greeter;
  greeter.id = "greeter";
  greeter.capacity = 2;
  cat->agents["greeter"] = greeter;
  cat->workflows["Greeting"] = std::make_shared<const workflow_def>(*wf);
  return cat;
}

} // namespace

int main() {
  hishamos::node_options options;
  options.config.node_id = "embedded";
  options.config.store_url = "sqlite:var/embed-example.db";
  options.catalog = make_catalog();
  auto started = hishamos::node::start(options);
  if (!started) {
    std::cerr << hishamos::model::to_string(started.errors()) << "\n";
    return 1;
  }
  auto& node = **started;

  // An agent implemented in C++: it runs on a thread of its own per call and
  // replaces the local-provider stand-in the node hosts for the catalog entry.
  hishamos::model::agent_def greeter = node.catalog()->agents.at("greeter");
  node.register_agent(greeter, [](const hishamos::task_request& task) {
    hishamos::task_reply reply;
    reply.ok = true;
    reply.output = "[" + task.step_id + "] " + task.prompt;
    return reply;
  });

  // Submit and wait for the completion as an actor message.
  caf::scoped_actor self{node.system()};
  auto id = node.submit("Greeting", {{"name", "Ada"}}, caf::actor{self});
  if (!id) {
    std::cerr << hishamos::model::to_string(id.errors()) << "\n";
    return 1;
  }
  int rc = 1;
  self->receive(
      [&](hishamos::execution_finished& done) {
        std::cout << "execution " << done.execution_id << " " << done.state
                  << "\n"
                  << done.output << "\n";
        rc = done.state == "completed" ? 0 : 1;
      },
      caf::after(std::chrono::seconds{30}) >>
          [] { std::cerr << "no completion in 30 s\n"; });
  return rc;
}
