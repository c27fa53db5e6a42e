#pragma once

#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace hishamos::model {

/// One problem found in an input file or value: where, what and how to fix it.
struct problem {
  std::string file;    ///< File or source name ("" when not from a file).
  int line = 0;        ///< 1-based line, 0 when unknown.
  std::string step;    ///< Step id the problem belongs to, "" for the workflow.
  std::string message; ///< What is wrong.
  std::string fix;     ///< How to fix it.

  /// Renders `file:line: step 'x': message; fix: ...` on one line.
  [[nodiscard]] std::string to_string() const;
};

/// A list of problems; empty means valid.
using problems = std::vector<problem>;

/// Joins problems one per line.
[[nodiscard]] std::string to_string(const problems& xs);

/// A value or the problems that prevented it (CAF-free `expected`).
template <class T> class [[nodiscard]] result {
public:
  result(T value) : data_(std::move(value)) {}
  result(problems errors) : data_(std::move(errors)) {}
  result(problem error) : data_(problems{std::move(error)}) {}

  explicit operator bool() const noexcept { return data_.index() == 0; }
  T& value() & { return std::get<0>(data_); }
  const T& value() const& { return std::get<0>(data_); }
  T&& value() && { return std::get<0>(std::move(data_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const problems& errors() const { return std::get<1>(data_); }

private:
  std::variant<T, problems> data_;
};

} // namespace hishamos::model
