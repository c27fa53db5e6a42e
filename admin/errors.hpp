#pragma once

// Every error the admin API answers, in one format:
// {"error": code, "message": what went wrong, "details": {...}}. The one
// mapping from the embedder API's error codes to HTTP statuses is here.

#include <string>

#include <nlohmann/json.hpp>

#include "admin/router.hpp"
#include "hishamos/api_types.hpp"

namespace hishamos::admin {

/// An error answer: its HTTP status and body.
struct api_error {
  int status = 500;
  std::string code;    ///< Machine-readable: "execution_not_found", ...
  std::string message; ///< What went wrong, and where.
  nlohmann::json details = nlohmann::json::object(); ///< fix, problems, ...
};

/// The response for an error.
[[nodiscard]] response error_response(const api_error& e);

/// The names one route gives the errors of the embedder API: which error
/// code each gets, and whether a value the route rejects is a bad request
/// (400) or a request it cannot process (422).
struct error_names {
  std::string not_found = "not_found";
  std::string invalid = "invalid_request";
  int invalid_status = 400;
  std::string conflict = "conflict";
};

/// The error for a failed call: unavailable -> 503 (retry later),
/// not_found -> 404, invalid -> 400 or 422, conflict and fenced -> 409,
/// corrupt -> 500.
[[nodiscard]] api_error error_of(const status& st,
                                 const error_names& names = {});

/// A 200-range response with a JSON body.
[[nodiscard]] response json_response(int status, const nlohmann::json& body);

/// At most `limit` characters of a user value, for a message: no user value
/// goes unbounded into an answer or a log.
[[nodiscard]] std::string bounded(const std::string& text, size_t limit = 64);

} // namespace hishamos::admin
