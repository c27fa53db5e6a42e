#include "model/result.hpp"

namespace hishamos::model {

std::string problem::to_string() const {
  std::string out;
  if (!file.empty()) {
    out += file;
    if (line > 0)
      out += ":" + std::to_string(line);
    out += ": ";
  }
  if (!step.empty())
    out += "step '" + step + "': ";
  out += message;
  if (!fix.empty())
    out += "; fix: " + fix;
  return out;
}

std::string to_string(const problems& xs) {
  std::string out;
  for (const auto& x : xs) {
    if (!out.empty())
      out += '\n';
    out += x.to_string();
  }
  return out;
}

} // namespace hishamos::model
