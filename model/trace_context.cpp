#include "model/trace_context.hpp"

#include <random>

namespace hishamos::model {

namespace {

bool lower_hex(std::string_view s) {
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
      return false;
  return true;
}

bool all_zero(std::string_view s) {
  return s.find_first_not_of('0') == std::string_view::npos;
}

std::string hex_of(std::uint64_t v) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i, v >>= 4)
    out[static_cast<size_t>(i)] = digits[v & 0xf];
  return out;
}

std::uint64_t random_nonzero() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  std::uint64_t v = 0;
  while (v == 0)
    v = rng();
  return v;
}

} // namespace

std::string trace_context::traceparent() const {
  return "00-" + trace_id + "-" + span_id + (sampled ? "-01" : "-00");
}

trace_context trace_context::child() const {
  return {trace_id, new_span_id(), sampled};
}

std::optional<trace_context> parse_traceparent(std::string_view h) {
  // version "-" trace-id "-" parent-id "-" flags: 2+1+32+1+16+1+2 = 55.
  if (h.size() < 55 || h[2] != '-' || h[35] != '-' || h[52] != '-')
    return std::nullopt;
  auto version = h.substr(0, 2);
  auto trace = h.substr(3, 32);
  auto span = h.substr(36, 16);
  auto flags = h.substr(53, 2);
  if (!lower_hex(version) || version == "ff" || !lower_hex(trace) ||
      !lower_hex(span) || !lower_hex(flags) || all_zero(trace) ||
      all_zero(span))
    return std::nullopt;
  // Version 00 has exactly these fields; a later one may add some after a
  // dash, which this reader ignores as the specification asks.
  if (version == "00" ? h.size() != 55 : (h.size() > 55 && h[55] != '-'))
    return std::nullopt;
  int f = std::stoi(std::string{flags}, nullptr, 16);
  return trace_context{std::string{trace}, std::string{span}, (f & 1) != 0};
}

trace_context new_trace(bool sampled) {
  return {hex_of(random_nonzero()) + hex_of(random_nonzero()), new_span_id(),
          sampled};
}

std::string new_span_id() { return hex_of(random_nonzero()); }

std::string span_id_of(std::string_view seed) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : seed) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return hex_of(h == 0 ? 1 : h);
}

} // namespace hishamos::model
