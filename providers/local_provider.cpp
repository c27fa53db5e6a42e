#include "providers/local_provider.hpp"

#include <cstdio>

#include <nlohmann/json.hpp>

namespace hishamos::providers {

std::uint64_t stable_hash(const std::string& text) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

int estimate_tokens(const std::string& text) {
  return static_cast<int>((text.size() + 3) / 4);
}

namespace {

// A uniform number in [0, 1) derived from a key, the same on every run.
// FNV-1a alone leaves the high bits of keys that differ only at the end
// ("t200", "t201", ...) nearly equal, so its value is mixed first
// (splitmix64's finalizer): otherwise `quality` and `fail_rate` would not
// hold for a run of similar prompts.
double unit_interval(const std::string& key) {
  auto z = stable_hash(key);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  z ^= z >> 31;
  return static_cast<double>(z >> 11) * 0x1.0p-53;
}

std::string hex(std::uint64_t x) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(x));
  return buf;
}

std::string excerpt(const std::string& prompt) {
  auto line = prompt.substr(0, prompt.find('\n'));
  return line.size() > 160 ? line.substr(0, 157) + "..." : line;
}

std::string markdown_body(const completion_request& req,
                          const std::string& digest, bool complete) {
  std::string out =
      "> Written by HishamOS's built-in local provider for agent " +
      req.agent->id + ": no language model produced this text.\n\n" +
      "Task: " + excerpt(req.prompt) + "\n";
  auto sections =
      req.output ? req.output->sections : std::vector<std::string>{};
  // A low-quality answer leaves out its last required section, which the
  // step's evaluator notices.
  if (!complete && !sections.empty())
    sections.pop_back();
  for (const auto& s : sections)
    out += "\n## " + s + "\n" + s + " for prompt " + digest + ".\n";
  return out;
}

} // namespace

completion local_provider::complete(const completion_request& req) const {
  completion out;
  out.latency_ms = req.agent->latency_ms;
  out.tokens_in = estimate_tokens(req.prompt);
  auto digest = hex(stable_hash(req.prompt));
  if (req.agent->fail_rate > 0 &&
      unit_interval("fail/" + req.call_key) < req.agent->fail_rate) {
    out.ok = false;
    out.retryable = true;
    out.text = "local provider: simulated failure (fail_rate " +
               std::to_string(req.agent->fail_rate) + " of agent " +
               req.agent->id + ")";
    return out;
  }
  bool complete = unit_interval("quality/" + req.prompt) < req.agent->quality;
  auto format = req.output ? req.output->format : std::string{"text"};
  if (format == "json")
    out.text = nlohmann::json{
        {"provider", "local"},
        {"note", "no language model produced this output"},
        {"agent", req.agent->id},
        {"prompt_digest",
         digest}}.dump();
  else if (format == "markdown")
    out.text = markdown_body(req, digest, complete);
  else
    out.text = "[local provider, no model] " + excerpt(req.prompt) + " (" +
               digest + ")";
  out.tokens_out = estimate_tokens(out.text);
  return out;
}

} // namespace hishamos::providers
