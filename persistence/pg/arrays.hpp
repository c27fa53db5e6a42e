#pragma once

// A batch's column as one PostgreSQL array, bound as a parameter of a
// prepared statement that reads its rows with unnest($1, $2, ...). The
// server then parses and plans the batch's statement once per connection,
// not at every flush, as it did for the same rows spelt out as literals.

#include <cstdint>
#include <string>
#include <string_view>

namespace hishamos::persistence::pg {

/// The text form of a one-dimensional array ('{"a","b",NULL}'), element by
/// element. Every element is quoted and escaped, so any text is safe; a
/// text element ends at a NUL character.
class array_literal {
public:
  array_literal& text(std::string_view value);
  /// NULL for "", else as text().
  array_literal& text_or_null(std::string_view value);
  /// Raw bytes as a bytea element (hex form).
  array_literal& bytes(std::string_view raw);
  array_literal& number(std::int64_t value);
  array_literal& number(double value);
  array_literal& null();

  /// The literal; the builder is spent.
  [[nodiscard]] std::string done() &&;

private:
  void separate();
  std::string out_{"{"};
};

} // namespace hishamos::persistence::pg
