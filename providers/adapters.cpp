#include "providers/adapters.hpp"

#include <chrono>
#include <ctime>

#include <nlohmann/json.hpp>

namespace hishamos::providers {

namespace {

using nlohmann::json;

std::string excerpt(const std::string& body) {
  return body.size() <= 200 ? body : body.substr(0, 200) + "...";
}

std::string trimmed_base(const std::string& base) {
  auto out = base;
  while (!out.empty() && out.back() == '/')
    out.pop_back();
  return out;
}

int count(const json& usage, const char* key) {
  auto it = usage.find(key);
  return it != usage.end() && it->is_number_integer() ? it->get<int>() : 0;
}

// The text of an OpenAI-compatible answer, or why there is none.
chat_result read_openai(const json& j) {
  chat_result r;
  auto choices = j.find("choices");
  if (choices == j.end() || !choices->is_array() || choices->empty())
    return {false, "the answer has no choices", false};
  const auto& c = (*choices)[0];
  if (!c.is_object() || !c.contains("message") || !c["message"].is_object() ||
      !c["message"].contains("content") || !c["message"]["content"].is_string())
    return {false, "the answer's first choice has no message content", false};
  r.ok = true;
  r.text = c["message"]["content"].get<std::string>();
  if (auto u = j.find("usage"); u != j.end() && u->is_object()) {
    r.tokens_in = count(*u, "prompt_tokens");
    r.tokens_out = count(*u, "completion_tokens");
    if (auto d = u->find("prompt_tokens_details");
        d != u->end() && d->is_object())
      r.cached_tokens = count(*d, "cached_tokens");
  }
  return r;
}

chat_result read_anthropic(const json& j) {
  chat_result r;
  auto content = j.find("content");
  if (content == j.end() || !content->is_array())
    return {false, "the answer has no content list", false};
  bool any = false;
  for (const auto& block : *content)
    if (block.is_object() && block.value("type", "") == "text" &&
        block.contains("text") && block["text"].is_string()) {
      r.text += block["text"].get<std::string>();
      any = true;
    }
  if (!any)
    return {false, "the answer has no text block", false};
  r.ok = true;
  if (auto u = j.find("usage"); u != j.end() && u->is_object()) {
    r.tokens_in = count(*u, "input_tokens");
    r.tokens_out = count(*u, "output_tokens");
    r.cached_tokens = count(*u, "cache_read_input_tokens");
  }
  return r;
}

} // namespace

http_request build_request(const config::provider_settings& p,
                           const chat_call& call, const std::string& api_key) {
  http_request req;
  req.connect_timeout_ms = p.connect_timeout_ms;
  req.timeout_ms = p.timeout_ms;
  req.max_response_bytes = static_cast<std::size_t>(p.max_response_bytes);
  req.headers.push_back("Content-Type: application/json");
  json messages = json::array({{{"role", "user"}, {"content", call.prompt}}});
  json body{{"model", call.model},
            {"messages", messages},
            {"max_tokens", call.max_tokens},
            {"temperature", call.temperature}};
  if (p.type == "anthropic") {
    req.url = trimmed_base(p.base_url) + "/v1/messages";
    req.headers.push_back("anthropic-version: 2023-06-01");
    if (!api_key.empty())
      req.headers.push_back("x-api-key: " + api_key);
  } else {
    req.url = trimmed_base(p.base_url) + "/chat/completions";
    if (!api_key.empty())
      req.headers.push_back("Authorization: Bearer " + api_key);
  }
  req.body = body.dump();
  return req;
}

chat_result parse_response(const std::string& type, const http_response& res) {
  if (res.status == 0)
    return {false,
            res.too_large ? res.error
                          : "no answer: " + res.error +
                                (res.timed_out ? " (timed out)" : ""),
            !res.too_large};
  if (res.status < 200 || res.status >= 300) {
    chat_result r{
        false, "HTTP " + std::to_string(res.status) + ": " + excerpt(res.body),
        res.status == 429 || res.status == 408 || res.status >= 500};
    if (auto h = res.headers.find("retry-after"); h != res.headers.end())
      r.retry_after_ms = retry_after_ms(
          h->second, std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count());
    return r;
  }
  auto j = json::parse(res.body, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return {false, "the answer is not a JSON object: " + excerpt(res.body),
            false};
  auto r = type == "anthropic" ? read_anthropic(j) : read_openai(j);
  if (!r.ok)
    r.text += ": " + excerpt(res.body);
  return r;
}

std::int64_t retry_after_ms(const std::string& value, std::int64_t now_ms) {
  if (value.empty())
    return -1;
  if (value.find_first_not_of("0123456789") == std::string::npos) {
    if (value.size() > 9)
      return -1;
    return std::stoll(value) * 1000;
  }
  std::tm tm{}; // IMF-fixdate: "Wed, 21 Oct 2015 07:28:00 GMT"
  if (!strptime(value.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm))
    return -1;
  auto at = static_cast<std::int64_t>(timegm(&tm)) * 1000;
  return at > now_ms ? at - now_ms : 0;
}

} // namespace hishamos::providers
