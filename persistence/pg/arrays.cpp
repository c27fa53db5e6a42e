// An array's text form, as array_in reads it: elements between double
// quotes, where only '"' and '\' need a backslash.

#include "persistence/pg/arrays.hpp"

#include <charconv>
#include <cmath>

#include <pqxx/strconv>

namespace hishamos::persistence::pg {

void array_literal::separate() {
  if (out_.size() > 1)
    out_ += ',';
}

array_literal& array_literal::text(std::string_view value) {
  // PostgreSQL's text holds no NUL, and a parameter ends at the first: the
  // text stops there, as libpq's quoting of a literal stopped it.
  value = value.substr(0, value.find('\0'));
  separate();
  out_ += '"';
  // Runs without a character to escape are copied whole; an escaped one
  // starts the next run. (find_first_of with a set calls memchr for every
  // character: 2% of a node's samples.)
  const char* run = value.data();
  const char* end = run + value.size();
  for (const char* at = run; at != end; ++at)
    if (*at == '"' || *at == '\\') {
      out_.append(run, at).append(1, '\\');
      run = at;
    }
  out_.append(run, end);
  out_ += '"';
  return *this;
}

array_literal& array_literal::text_or_null(std::string_view value) {
  return value.empty() ? null() : text(value);
}

array_literal& array_literal::bytes(std::string_view raw) {
  static constexpr char hex[] = "0123456789abcdef";
  separate();
  out_ += "\"\\\\x"; // bytea's hex form, its backslash escaped
  out_.reserve(out_.size() + 2 * raw.size() + 1);
  for (unsigned char c : raw) {
    out_ += hex[c >> 4];
    out_ += hex[c & 15];
  }
  out_ += '"';
  return *this;
}

array_literal& array_literal::number(std::int64_t value) {
  separate();
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  out_.append(buf, end);
  return *this;
}

array_literal& array_literal::number(double value) {
  separate();
  out_ += '"'; // NaN and Infinity read as such, quoted or not
  if (std::isfinite(value)) {
    // The shortest text that reads back as the same double, without the
    // locale and stream pqxx::to_string goes through.
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
    out_.append(buf, end);
  } else {
    out_ += pqxx::to_string(value);
  }
  out_ += '"';
  return *this;
}

array_literal& array_literal::null() {
  separate();
  out_ += "NULL";
  return *this;
}

std::string array_literal::done() && {
  out_ += '}';
  return std::move(out_);
}

} // namespace hishamos::persistence::pg
