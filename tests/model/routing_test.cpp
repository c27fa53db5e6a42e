// Routing and the rule evaluator, without actors: what the dispatcher
// learns from and how it chooses.

#include <algorithm>

#include <catch2/catch.hpp>

#include "model/command_template.hpp"
#include "model/evaluator.hpp"
#include "model/routing.hpp"

using namespace hishamos;

TEST_CASE("the evaluator scores each required section, the JSON schema and "
          "the length bounds as one rule each",
          "[unit][evaluator]") {
  model::output_spec md;
  md.sections = {"Overview", "Risks"};
  auto full = model::evaluate(md, "# Overview\ntext\n## Risks\nnone\n");
  CHECK(full.satisfied());
  CHECK(full.score == 1.0);
  auto half = model::evaluate(md, "## Overview\ntext\n");
  CHECK_FALSE(half.satisfied());
  CHECK(half.score == 0.5);
  REQUIRE(half.failed.size() == 1);
  CHECK(half.failed[0] == "section 'Risks' is missing");

  model::output_spec js;
  js.format = "json";
  js.schema = {{"required", {"title"}},
               {"properties", {{"count", {{"type", "integer"}}}}}};
  CHECK(model::evaluate(js, R"({"title": "x", "count": 2})").satisfied());
  CHECK(model::evaluate(js, R"({"count": "two"})").failed.size() == 2);
  CHECK(model::evaluate(js, "not json").score == 0.0);

  model::output_spec bounded;
  bounded.format = "text";
  bounded.min_length = 3;
  bounded.max_length = 5;
  CHECK(model::evaluate(bounded, "abcd").satisfied());
  CHECK_FALSE(model::evaluate(bounded, "ab").satisfied());
  CHECK_FALSE(model::evaluate(bounded, "abcdef").satisfied());
  CHECK(model::evaluate(model::output_spec{}, "anything").score == 1.0);
}

TEST_CASE("a template's output schema that is not the supported subset is "
          "refused with the rule",
          "[unit][evaluator]") {
  auto t = model::parse_command_template(
      "id: t\nprompt: p\noutput:\n  format: json\n  schema: {required: [a], "
      "properties: {a: {type: text}}}\n",
      "t.yaml");
  REQUIRE_FALSE(t);
  CHECK_THAT(model::to_string(t.errors()),
             Catch::Contains("t.yaml:5: output.schema property 'a' needs a "
                             "type"));
}

namespace {

// Runs `tasks` routing decisions between agents whose results satisfy
// their evaluators with the given probabilities; returns how many went to
// each. Learning happens as in the dispatcher: every result is observed.
std::vector<int> route(std::vector<model::candidate>& agents,
                       const std::vector<double>& quality, int tasks,
                       std::mt19937_64& rng) {
  model::routing_weights w;
  std::bernoulli_distribution dummy;
  std::vector<int> counts(agents.size());
  for (int t = 0; t < tasks; ++t) {
    auto d = model::choose(w, agents, rng);
    auto i = static_cast<size_t>(d.chosen);
    ++counts[i];
    std::bernoulli_distribution good{quality[i]};
    agents[i].quality.observe(good(rng) ? 1.0 : 0.0, w.decay);
  }
  return counts;
}

} // namespace

TEST_CASE("routing learns which of two otherwise equal agents is better and "
          "follows when their qualities swap",
          "[unit][routing]") {
  std::mt19937_64 rng{20261201}; // seeded: a failure can be replayed
  std::vector<model::candidate> agents(2);
  agents[0].agent_id = "good";
  agents[1].agent_id = "poor";
  route(agents, {0.9, 0.3}, 200, rng);
  auto after_learning = route(agents, {0.9, 0.3}, 100, rng);
  CHECK(after_learning[0] >= 80);
  // The qualities swap: within 100 tasks routing has moved over.
  route(agents, {0.3, 0.9}, 100, rng);
  auto after_swap = route(agents, {0.3, 0.9}, 100, rng);
  CHECK(after_swap[1] >= 80);
}

TEST_CASE("an agent with the lowest learned quality still gets a share of "
          "tasks through the exploration floor",
          "[unit][routing]") {
  std::mt19937_64 rng{7};
  std::vector<model::candidate> agents(2);
  for (int i = 0; i < 200; ++i) {
    agents[0].quality.observe(1.0, 1.0);
    agents[1].quality.observe(0.0, 1.0);
  }
  model::routing_weights w;
  int poor = 0;
  for (int t = 0; t < 2000; ++t)
    poor += model::choose(w, agents, rng).chosen == 1;
  CHECK(poor > 2000 * w.exploration / 4); // about half of the random picks
  CHECK(poor < 2000 * w.exploration);
}

TEST_CASE("between candidates that score the same, the cheaper one wins",
          "[unit][routing]") {
  std::mt19937_64 rng{3};
  model::routing_weights w;
  w.quality = 0; // equal scores but for price
  w.exploration = 0;
  w.price = 0;
  std::vector<model::candidate> agents(3);
  agents[0].price = 0.3;
  agents[1].price = 0.1;
  agents[2].price = 0.2;
  CHECK(model::choose(w, agents, rng).chosen == 1);
  w.price = 1; // and with price weighed, too
  CHECK(model::choose(w, agents, rng).chosen == 1);
}

TEST_CASE("the decision names the chosen agent and every candidate's scores",
          "[unit][routing]") {
  std::mt19937_64 rng{5};
  std::vector<model::candidate> agents(2);
  agents[0].agent_id = "a";
  agents[1].agent_id = "b";
  agents[1].load = 1;
  agents[1].capacity = 2;
  auto d = model::choose(model::routing_weights{}, agents, rng);
  auto j = model::to_json(d, agents);
  CHECK(j["chosen"] == agents[static_cast<size_t>(d.chosen)].agent_id);
  REQUIRE(j["candidates"].size() == 2);
  CHECK(j["candidates"][1]["free_share"] == 0.5);
  CHECK(j["candidates"][0].contains("quality_sample"));
}

TEST_CASE("a decision shows its numbers to four significant digits, however "
          "small",
          "[unit][routing]") {
  std::mt19937_64 rng{7};
  std::vector<model::candidate> agents(1);
  agents[0].agent_id = "a";
  agents[0].price = 0.0000021234567;
  agents[0].latency_ms = 1234.5678;
  agents[0].quality.observe(0.9, 1.0);
  auto d = model::choose(model::routing_weights{}, agents, rng);
  auto c = model::to_json(d, agents)["candidates"][0];
  CHECK(c["price"].get<double>() == 0.000002123);
  CHECK(c["latency_ms"].get<double>() == 1235.0);
  // (0.9 + 1) / (0.9 + 0.1 + 2) = 0.63333...; a sample is rounded too.
  CHECK(c["quality_mean"].get<double>() == 0.6333);
  for (const char* field : {"score", "quality_sample"}) {
    // Significant digits: those after the leading zeros ("0.0123": 3).
    auto text = c[field].dump();
    auto first = text.find_first_not_of("0.");
    auto digits =
        first == std::string::npos
            ? 0
            : std::count_if(text.begin() + static_cast<long>(first), text.end(),
                            [](char ch) { return ch >= '0' && ch <= '9'; });
    INFO(field << " = " << text);
    CHECK(digits <= 4);
  }
}

TEST_CASE("a decision written over the last one reads as one written afresh",
          "[unit][routing]") {
  std::mt19937_64 rng{11};
  std::vector<model::candidate> three(3), one(1);
  for (size_t i = 0; i < three.size(); ++i)
    three[i].agent_id = "agent-with-a-long-name-" + std::to_string(i);
  three[1].node = "n2";
  one[0].agent_id = "x";
  auto wide = model::choose(model::routing_weights{}, three, rng);
  auto narrow = model::choose(model::routing_weights{}, one, rng);
  model::decision none; // nothing chosen: no "chosen" key
  REQUIRE(none.chosen < 0);

  nlohmann::json scratch;
  model::write_json(wide, three, scratch);
  CHECK(scratch.dump() == model::to_json(wide, three).dump());
  model::write_json(narrow, one, scratch);
  CHECK(scratch.dump() == model::to_json(narrow, one).dump());
  model::write_json(none, {}, scratch);
  CHECK(scratch.dump() == model::to_json(none, {}).dump());
  CHECK_FALSE(scratch.contains("chosen"));
  model::write_json(wide, three, scratch);
  CHECK(scratch.dump() == model::to_json(wide, three).dump());
  CHECK(scratch["candidates"].size() == 3);
}

namespace {

// The object the dispatcher reports: write_json and the step's keys.
nlohmann::json full_decision(const model::decision& d,
                             const std::vector<model::candidate>& xs,
                             const model::decision_step& step, size_t top) {
  auto out = model::to_json(d, xs, top);
  out["category"] = step.category;
  out["priority"] = step.priority;
  out["waited_ms"] = step.waited_ms;
  return out;
}

} // namespace

TEST_CASE("a decision in its compact form reads back as the object the API "
          "shows, a third of its size, also written over another one",
          "[unit][routing]") {
  std::mt19937_64 rng{13};
  std::vector<model::candidate> ten(10), one(1);
  for (size_t i = 0; i < ten.size(); ++i) {
    ten[i].agent_id = "agent \"" + std::to_string(i) + "\" \u00e9";
    ten[i].node = i % 2 ? "n" + std::to_string(i) : "";
    ten[i].price = 0.001 * static_cast<double>(i);
    ten[i].latency_ms = 12.345 * static_cast<double>(i);
    ten[i].quality.observe(0.1 * static_cast<double>(i), 1.0);
  }
  one[0].agent_id = "quick";
  auto wide = model::choose(model::routing_weights{}, ten, rng);
  // The chosen one outside the best three: it is shown fourth.
  auto worst = wide;
  worst.chosen = static_cast<int>(
      std::min_element(wide.scores.begin(), wide.scores.end(),
                       [](auto& a, auto& b) { return a.total < b.total; }) -
      wide.scores.begin());
  auto narrow = model::choose(model::routing_weights{}, one, rng);
  model::decision none;
  const std::vector<model::candidate> nobody;
  std::string general = "general", odd = "c\\at\negory";
  struct example {
    const model::decision& d;
    const std::vector<model::candidate>& xs;
    model::decision_step step;
    size_t top;
  };
  example examples[] = {{wide, ten, {general, 5, 120}, 8},
                        {worst, ten, {odd, -3, 0}, 3},
                        {narrow, one, {general, 0, 7}, 8},
                        {none, nobody, {general, 0, 0}, 8},
                        {wide, ten, {odd, 2, 1}, 8}};
  nlohmann::json scratch; // written over, as the dispatcher does
  for (const auto& e : examples) {
    model::write_compact_json(e.d, e.xs, e.step, scratch, e.top);
    auto text = scratch.dump();
    auto full = full_decision(e.d, e.xs, e.step, e.top);
    INFO(text);
    auto back = model::parse_decision(text);
    CHECK(back == full);
    CHECK(back.dump() == full.dump());
    CHECK(model::parse_decision(full.dump()) == full); // the object as it is
    CHECK(back.contains("chosen") == (e.d.chosen >= 0));
    if (&e.d == &worst) // the best three and the chosen one
      CHECK(back["candidates"].size() == 4);
    if (e.xs.size() == 1)
      CHECK(text.size() * 2 < full.dump().size());
  }
}

TEST_CASE("a malformed compact decision reads as discarded, other JSON as it "
          "is",
          "[unit][routing]") {
  for (const char* bad :
       {"[]", "[2,1,null,false,\"c\",0,0,[]]", "[1,-1,null,false,\"c\",0,0,[]]",
        "[1,1,5,false,\"c\",0,0,[]]", "[1,1,null,false,\"c\",0,0,[[\"a\"]]]",
        "[1,1,null,false,\"c\",0,0,[[\"a\",\"\",\"x\",0,0,0,0,0,0]]]",
        "[1,1,null,false,\"c\",0,0]", "not json"}) {
    INFO(bad);
    CHECK(model::parse_decision(bad).is_discarded());
  }
  auto consensus = R"({"chosen":"a","consensus":{"strategy":"vote"}})";
  CHECK(model::parse_decision(consensus) == nlohmann::json::parse(consensus));
  CHECK(model::parse_decision("[1,0,null,false,\"c\",0,0,[]]") ==
        nlohmann::json::parse(R"({"candidate_count":0,"candidates":[],
          "category":"c","explored":false,"priority":0,"waited_ms":0})"));
}
