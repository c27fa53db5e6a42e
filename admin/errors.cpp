#include "admin/errors.hpp"

namespace hishamos::admin {

response error_response(const api_error& e) {
  return json_response(
      e.status,
      {{"error", e.code}, {"message", e.message}, {"details", e.details}});
}

api_error error_of(const status& st, const error_names& names) {
  switch (st.code) {
  case errc::unavailable:
    return {503,
            "store_unavailable",
            "the store cannot be reached: " + st.message,
            {{"fix", "retry later; /ready says when the store is back"}}};
  case errc::not_found:
    return {404, names.not_found, st.message};
  case errc::invalid: {
    api_error e{names.invalid_status, names.invalid, st.message};
    if (!st.problems.empty()) {
      auto problems = nlohmann::json::array();
      for (const auto& p : st.problems) {
        nlohmann::json x{{"message", p.message}, {"fix", p.fix}};
        if (p.line > 0)
          x["line"] = p.line;
        if (!p.step.empty())
          x["step"] = p.step;
        problems.push_back(std::move(x));
      }
      e.details["problems"] = std::move(problems);
    }
    return e;
  }
  case errc::conflict:
  case errc::fenced:
    return {409, names.conflict, st.message};
  case errc::ok:
  case errc::corrupt:
    break;
  }
  return {500, "store_error", st.message};
}

response json_response(int status, const nlohmann::json& body) {
  response res;
  res.status = status;
  // Replace invalid UTF-8 rather than throw: a stored value is shown, not
  // trusted.
  res.body = body.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
  return res;
}

std::string bounded(const std::string& text, size_t limit) {
  if (text.size() <= limit)
    return text;
  return text.substr(0, limit) + "... (" + std::to_string(text.size()) +
         " bytes)";
}

} // namespace hishamos::admin
