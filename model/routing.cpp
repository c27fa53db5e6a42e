#include "model/routing.hpp"

#include <algorithm>
#include <cmath>

namespace hishamos::model {

void quality_stats::observe(double score, double decay) {
  score = std::clamp(score, 0.0, 1.0);
  successes = successes * decay + score;
  failures = failures * decay + (1 - score);
}

double quality_stats::mean() const {
  return (successes + 1) / (successes + failures + 2);
}

double quality_stats::sample(std::mt19937_64& rng) const {
  // Beta(a, b) = X / (X + Y) with X ~ Gamma(a), Y ~ Gamma(b).
  std::gamma_distribution<double> x{successes + 1, 1.0};
  std::gamma_distribution<double> y{failures + 1, 1.0};
  double a = x(rng), b = y(rng);
  return a / (a + b);
}

namespace {

// 1 for the smallest value of `field` among the candidates, 0 for the
// largest; all 1 when they are equal.
template <class Field>
std::vector<double> cheapness(const std::vector<candidate>& xs, Field field) {
  double hi = 0;
  for (const auto& c : xs)
    hi = std::max(hi, field(c));
  std::vector<double> out;
  for (const auto& c : xs)
    out.push_back(hi > 0 ? 1 - field(c) / hi : 1.0);
  return out;
}

// `x` to four significant digits: a decision is read by people and stored
// with every step's ledger line, where 0.67022477600367 costs ten bytes of
// WAL more than 0.6702 and tells no one more.
double shown(double x) {
  if (x == 0 || !std::isfinite(x))
    return x;
  double scale = std::pow(10.0, 3 - std::floor(std::log10(std::abs(x))));
  return std::round(x * scale) / scale;
}

// `j` set to the text `value`, in the string it holds if it holds one
// (assigning a string to a json allocates a new one).
void set_text(nlohmann::json& j, const std::string& value) {
  if (j.is_string())
    j.get_ref<std::string&>() = value;
  else
    j = value;
}

} // namespace

decision choose(const routing_weights& w, const std::vector<candidate>& xs,
                std::mt19937_64& rng) {
  decision d;
  if (xs.empty())
    return d;
  auto price = cheapness(xs, [](const candidate& c) { return c.price; });
  auto speed = cheapness(xs, [](const candidate& c) { return c.latency_ms; });
  for (size_t i = 0; i < xs.size(); ++i) {
    const auto& c = xs[i];
    candidate_score s;
    s.quality_sample = c.quality.sample(rng);
    s.quality_mean = c.quality.mean();
    s.free_share =
        std::max(0.0, 1.0 - static_cast<double>(c.load) / c.capacity);
    s.price_score = price[i];
    s.latency_score = speed[i];
    s.total = w.quality * s.quality_sample + w.capacity * s.free_share +
              w.capability * c.capability_match + w.price * s.price_score +
              w.latency * s.latency_score;
    d.scores.push_back(s);
  }
  std::uniform_real_distribution<double> coin{0.0, 1.0};
  if (xs.size() > 1 && coin(rng) < w.exploration) {
    std::uniform_int_distribution<int> any{0, static_cast<int>(xs.size()) - 1};
    d.chosen = any(rng);
    d.explored = true;
    return d;
  }
  d.chosen = 0;
  for (size_t i = 1; i < xs.size(); ++i) {
    const auto& best = d.scores[static_cast<size_t>(d.chosen)];
    const auto& s = d.scores[i];
    bool tie = std::abs(s.total - best.total) < 1e-9;
    if (s.total > best.total + 1e-9 ||
        (tie && xs[i].price < xs[static_cast<size_t>(d.chosen)].price))
      d.chosen = static_cast<int>(i);
  }
  return d;
}

namespace {

// The candidates a decision shows: the best `top` by score, and the
// chosen one if it is not among them.
std::vector<size_t> shown_candidates(const decision& d,
                                     const std::vector<candidate>& xs,
                                     size_t top) {
  std::vector<size_t> order;
  for (size_t i = 0; i < xs.size() && i < d.scores.size(); ++i)
    order.push_back(i);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return d.scores[a].total > d.scores[b].total;
  });
  if (order.size() > top) {
    auto chosen = static_cast<size_t>(d.chosen);
    bool kept = std::find(order.begin(), order.begin() + static_cast<long>(top),
                          chosen) != order.begin() + static_cast<long>(top);
    order.resize(top);
    if (d.chosen >= 0 && !kept)
      order.push_back(chosen);
  }
  return order;
}

// `list` resized to `n` elements, each of `kind`, keeping those it has.
void resize_list(nlohmann::json& list, size_t n, nlohmann::json::value_t kind) {
  if (!list.is_array())
    list = nlohmann::json::array();
  while (list.size() > n)
    list.erase(list.size() - 1);
  while (list.size() < n)
    list.emplace_back(kind);
}

} // namespace

void write_json(const decision& d, const std::vector<candidate>& xs,
                nlohmann::json& out, size_t top) {
  auto order = shown_candidates(d, xs, top);
  // Written over the last decision: its objects, keys and strings stay
  // allocated and only values change. Built afresh, nlohmann allocated
  // every key and value, which was most of the dispatcher's work a step.
  if (!out.is_object())
    out = nlohmann::json::object();
  auto& list = out["candidates"];
  resize_list(list, order.size(), nlohmann::json::value_t::object);
  for (size_t k = 0; k < order.size(); ++k) {
    auto i = order[k];
    const auto& s = d.scores[i];
    auto& c = list[k];
    set_text(c["agent"], xs[i].agent_id);
    set_text(c["node"], xs[i].node);
    c["score"] = shown(s.total);
    c["quality_sample"] = shown(s.quality_sample);
    c["quality_mean"] = shown(s.quality_mean);
    c["free_share"] = shown(s.free_share);
    c["capability_match"] = shown(xs[i].capability_match);
    c["price"] = shown(xs[i].price);
    c["latency_ms"] = shown(xs[i].latency_ms);
  }
  out["candidate_count"] = xs.size();
  out["explored"] = d.explored;
  if (d.chosen >= 0)
    set_text(out["chosen"], xs[static_cast<size_t>(d.chosen)].agent_id);
  else
    out.erase("chosen");
}

nlohmann::json to_json(const decision& d, const std::vector<candidate>& xs,
                       size_t top) {
  nlohmann::json out;
  write_json(d, xs, out, top);
  return out;
}

namespace {

// Where each value sits in the compact form (write_compact_json).
enum compact_slot : size_t {
  form_version,
  candidate_count,
  chosen,
  explored,
  category,
  priority,
  waited_ms,
  candidates,
  compact_slots
};
constexpr const char* candidate_keys[] = {"agent",
                                          "node",
                                          "score",
                                          "quality_sample",
                                          "quality_mean",
                                          "free_share",
                                          "capability_match",
                                          "price",
                                          "latency_ms"};
constexpr size_t candidate_slots = std::size(candidate_keys);

} // namespace

void write_compact_json(const decision& d, const std::vector<candidate>& xs,
                        const decision_step& step, nlohmann::json& out,
                        size_t top) {
  auto order = shown_candidates(d, xs, top);
  resize_list(out, compact_slots, nlohmann::json::value_t::null);
  out[form_version] = 1;
  out[candidate_count] = xs.size();
  if (d.chosen >= 0)
    set_text(out[chosen], xs[static_cast<size_t>(d.chosen)].agent_id);
  else
    out[chosen] = nullptr;
  out[explored] = d.explored;
  set_text(out[category], step.category);
  out[priority] = step.priority;
  out[waited_ms] = step.waited_ms;
  auto& list = out[candidates];
  resize_list(list, order.size(), nlohmann::json::value_t::array);
  for (size_t k = 0; k < order.size(); ++k) {
    auto i = order[k];
    const auto& s = d.scores[i];
    auto& c = list[k];
    resize_list(c, candidate_slots, nlohmann::json::value_t::null);
    set_text(c[0], xs[i].agent_id);
    set_text(c[1], xs[i].node);
    c[2] = shown(s.total);
    c[3] = shown(s.quality_sample);
    c[4] = shown(s.quality_mean);
    c[5] = shown(s.free_share);
    c[6] = shown(xs[i].capability_match);
    c[7] = shown(xs[i].price);
    c[8] = shown(xs[i].latency_ms);
  }
}

nlohmann::json parse_decision(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_array())
    return j;
  auto malformed = nlohmann::json(nlohmann::json::value_t::discarded);
  if (j.size() != compact_slots || j[form_version] != 1 ||
      !j[candidate_count].is_number_unsigned() ||
      !(j[chosen].is_string() || j[chosen].is_null()) ||
      !j[explored].is_boolean() || !j[category].is_string() ||
      !j[priority].is_number_integer() || !j[waited_ms].is_number_integer() ||
      !j[candidates].is_array())
    return malformed;
  nlohmann::json out = nlohmann::json::object();
  auto& list = out["candidates"] = nlohmann::json::array();
  for (auto& c : j[candidates]) {
    if (!c.is_array() || c.size() != candidate_slots || !c[0].is_string() ||
        !c[1].is_string())
      return malformed;
    auto& o = list.emplace_back(nlohmann::json::object());
    for (size_t k = 0; k < candidate_slots; ++k) {
      if (k > 1 && !c[k].is_number())
        return malformed;
      o[candidate_keys[k]] = std::move(c[k]);
    }
  }
  out["candidate_count"] = j[candidate_count];
  if (j[chosen].is_string())
    out["chosen"] = std::move(j[chosen]);
  out["explored"] = j[explored];
  out["category"] = std::move(j[category]);
  out["priority"] = j[priority];
  out["waited_ms"] = j[waited_ms];
  return out;
}

} // namespace hishamos::model
