#pragma once

// The error vocabulary of the persistence module: one code enum, a status
// and a value-or-status. Every store role answers with these.

#include <string>

namespace hishamos::persistence {

/// Error codes of the persistence module.
enum class errc {
  ok = 0,
  unavailable, ///< Retryable: the database could not be reached or was busy.
  stale_epoch, ///< Final: the writer no longer owns the execution (fenced).
  not_found,   ///< Final: no such execution.
  invalid,     ///< Final: bad input (e.g. an unsupported store URL).
  corrupt,     ///< Final: stored data could not be decoded.
  conflict,    ///< Final: the request does not fit the current state.
};

/// True for errors worth retrying (the same call may succeed later).
[[nodiscard]] constexpr bool is_retryable(errc x) {
  return x == errc::unavailable;
}

/// The outcome of a store call without a value.
struct [[nodiscard]] status {
  errc code = errc::ok;
  std::string message; ///< What failed and how to fix it; never holds secrets.
  explicit operator bool() const { return code == errc::ok; }
};

/// A value or the status that prevented it.
template <class T> struct [[nodiscard]] outcome {
  status st;
  T value{};
  explicit operator bool() const { return static_cast<bool>(st); }
};

} // namespace hishamos::persistence
