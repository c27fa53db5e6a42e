// An array's text form, as array_in reads it: elements between double
// quotes, where only '"' and '\' need a backslash.

#include "persistence/pg/arrays.hpp"

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
  // Runs without a character to escape are copied whole.
  for (auto at = value.find_first_of("\"\\"); at != std::string_view::npos;
       at = value.find_first_of("\"\\")) {
    out_.append(value.substr(0, at)).append(1, '\\').append(1, value[at]);
    value.remove_prefix(at + 1);
  }
  out_.append(value);
  out_ += '"';
  return *this;
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
  out_ += std::to_string(value);
  return *this;
}

array_literal& array_literal::number(double value) {
  separate();
  out_ += '"'; // NaN and Infinity read as such, quoted or not
  out_ += pqxx::to_string(value);
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
