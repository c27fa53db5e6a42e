#include <catch2/catch.hpp>

#include "model/evaluator.hpp"
#include "providers/local_provider.hpp"

using namespace hishamos;

TEST_CASE("the local provider's quality is the share of outputs that "
          "satisfy the evaluator, also over prompts that differ only at the "
          "end",
          "[unit][providers]") {
  model::output_spec spec;
  spec.sections = {"Summary", "Findings", "Risks"};
  for (double quality : {0.2, 0.5, 0.9}) {
    model::agent_def agent;
    agent.id = "a";
    agent.quality = quality;
    int satisfied = 0;
    for (int i = 0; i < 1000; ++i) {
      providers::completion_request req{"Report on t" + std::to_string(i),
                                        "key", &agent, &spec};
      auto out = providers::local_provider{}.complete(req);
      satisfied += model::evaluate(spec, out.text).satisfied();
    }
    INFO("quality " << quality);
    CHECK(satisfied / 1000.0 == Approx(quality).margin(0.06));
  }
}

TEST_CASE("the local provider's fail_rate is the share of calls that fail",
          "[unit][providers]") {
  model::agent_def agent;
  agent.id = "a";
  agent.fail_rate = 0.3;
  int failed = 0;
  for (int i = 0; i < 1000; ++i) {
    providers::completion_request req{"p", "e1/s1/" + std::to_string(i), &agent,
                                      nullptr};
    failed += !providers::local_provider{}.complete(req).ok;
  }
  CHECK(failed / 1000.0 == Approx(0.3).margin(0.06));
}
