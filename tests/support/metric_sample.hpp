#pragma once

#include <string>

namespace hishamos::test {

/// The value of an unlabelled series in Prometheus text (0 when absent):
/// its sample line, not the # HELP or # TYPE line naming it.
inline double metric_sample(const std::string& text,
                            const std::string& series) {
  auto at = text.find("\n" + series + " ");
  return at == std::string::npos
             ? 0
             : std::stod(text.substr(at + series.size() + 2));
}

} // namespace hishamos::test
