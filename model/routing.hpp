#pragma once

// Which agent runs a step: candidates (already filtered by id, or by
// department and capabilities, and with a free slot) are scored by learned
// quality for the step's category, free capacity, capability match, price
// and recent latency, with configurable weights. Learned quality is a Beta
// posterior sampled per decision (Thompson sampling), so routing explores
// while it learns; a floor of random choices keeps retrying agents that
// may have recovered. Pure: the dispatcher actor feeds it and records its
// decisions.

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace hishamos::model {

/// Learned quality of one agent for one command category: a Beta posterior
/// over the share of its results that satisfy their evaluators (or that
/// people rate well). Old observations decay, so the posterior follows an
/// agent that gets better or worse.
struct quality_stats {
  double successes = 0; ///< Decayed sum of scores.
  double failures = 0;  ///< Decayed sum of (1 - score).

  /// Adds one result's score in [0, 1] after decaying what came before.
  void observe(double score, double decay);
  /// The posterior mean, (s + 1) / (s + f + 2).
  [[nodiscard]] double mean() const;
  /// A draw from Beta(s + 1, f + 1).
  [[nodiscard]] double sample(std::mt19937_64& rng) const;
};

/// How much each signal counts, and how routing explores.
struct routing_weights {
  double quality = 1.0;    ///< Sampled learned quality.
  double capacity = 0.2;   ///< Share of the agent's slots that are free.
  double capability = 0.1; ///< Share of the agent's capabilities the step asks.
  double price = 0.1;      ///< Cheaper than the dearest candidate.
  double latency = 0.1;    ///< Faster than the slowest candidate.
  /// Share of decisions that pick a random candidate: the floor that
  /// retries an agent whose learned quality is low.
  double exploration = 0.05;
  /// Weight kept by earlier observations at each new one (1 = never
  /// forget); 0.95 remembers about the last 20 results.
  double decay = 0.95;
};

/// One agent that could run the step.
struct candidate {
  std::string agent_id;
  std::string node; ///< Hosting node ("" = this one).
  int load = 0;     ///< Tasks running on it, cluster-wide.
  int capacity = 1;
  double capability_match = 1.0; ///< In [0, 1].
  double price = 0;              ///< Per call.
  double latency_ms = 0;         ///< Recent average.
  quality_stats quality;
};

/// What routing weighed for one candidate.
struct candidate_score {
  double total = 0;
  double quality_sample = 0;
  double quality_mean = 0;
  double free_share = 0;
  double price_score = 0;
  double latency_score = 0;
};

/// The choice and why.
struct decision {
  int chosen = -1;       ///< Index into the candidates; -1 if there were none.
  bool explored = false; ///< Chosen at random (the exploration floor).
  std::vector<candidate_score> scores; ///< Parallel to the candidates.
};

/// Scores every candidate and picks the best (ties go to the cheaper); with
/// probability `w.exploration` picks one at random instead.
[[nodiscard]] decision choose(const routing_weights& w,
                              const std::vector<candidate>& candidates,
                              std::mt19937_64& rng);

/// The decision as JSON for the execution's API: chosen agent, whether it
/// was explored, how many candidates there were and the `top` best of them
/// (and the chosen one) with their scores.
[[nodiscard]] nlohmann::json to_json(const decision& d,
                                     const std::vector<candidate>& candidates,
                                     size_t top = 8);
/// The same into `out`, over what `out` held from the last call (its
/// objects and keys stay allocated): the dispatcher writes one for every
/// step. Keys of `out` beyond these are the caller's to set or erase.
void write_json(const decision& d, const std::vector<candidate>& candidates,
                nlohmann::json& out, size_t top = 8);

/// What the dispatcher adds to a decision about the step itself.
struct decision_step {
  const std::string& category;
  std::int64_t priority = 0;
  std::int64_t waited_ms = 0;
};

/// The decision, with the step's `category`, `priority` and `waited_ms`,
/// as the compact form a store keeps with each ledger line when every node
/// reads it (store_identity.compact_decisions): an array of the values
/// without their keys, a third of the object's bytes,
///   [1, candidate_count, chosen or null, explored, category, priority,
///    waited_ms, [[agent, node, score, quality_sample, quality_mean,
///                 free_share, capability_match, price, latency_ms], ...]]
/// (1: the form's version). Written over `out` as write_json is.
void write_compact_json(const decision& d,
                        const std::vector<candidate>& candidates,
                        const decision_step& step, nlohmann::json& out,
                        size_t top = 8);

/// A stored or reported decision's text as the API shows it: the object
/// that write_json and the step's keys make, from either form. Other JSON
/// (a consensus, an evaluation) comes back as it is; text that is not
/// JSON, or a compact form that is malformed, comes back discarded
/// (is_discarded()).
[[nodiscard]] nlohmann::json parse_decision(const std::string& text);

} // namespace hishamos::model
