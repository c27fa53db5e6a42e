#include "model/consensus.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <map>
#include <string>

namespace hishamos::model {

namespace {

std::string normalized(const std::string& text) {
  std::string out;
  bool space = false;
  for (unsigned char c : text) {
    if (std::isspace(c)) {
      space = !out.empty();
      continue;
    }
    if (space)
      out += ' ';
    space = false;
    out += static_cast<char>(c);
  }
  return out;
}

// Better: a higher score; equal scores keep the earlier one.
int best_of(const std::vector<candidate_result>& xs,
            const std::vector<int>& among) {
  int best = -1;
  for (int i : among)
    if (best < 0 || xs[i].quality > xs[best].quality)
      best = i;
  return best;
}

} // namespace

int pick_result(const std::string& strategy,
                const std::vector<candidate_result>& xs) {
  std::vector<int> all;
  for (size_t i = 0; i < xs.size(); ++i)
    all.push_back(static_cast<int>(i));
  if (strategy != "majority")
    return best_of(xs, all);
  std::map<std::string, std::vector<int>> groups;
  for (int i : all)
    groups[normalized(xs[i].output)].push_back(i);
  size_t most = 0;
  for (const auto& [text, members] : groups)
    most = std::max(most, members.size());
  std::vector<int> leaders; // members of the largest groups
  for (const auto& [text, members] : groups)
    if (members.size() == most)
      leaders.insert(leaders.end(), members.begin(), members.end());
  std::sort(leaders.begin(), leaders.end());
  return best_of(xs, leaders);
}

int judged_choice(const std::string& answer, size_t count) {
  for (size_t i = 0; i < answer.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(answer[i])))
      continue;
    size_t n = 0;
    while (i < answer.size() &&
           std::isdigit(static_cast<unsigned char>(answer[i])) && n < 1000000)
      n = n * 10 + static_cast<size_t>(answer[i++] - '0');
    return n >= 1 && n <= count ? static_cast<int>(n - 1) : -1;
  }
  return -1;
}

double judged_score(const std::string& answer) {
  for (size_t i = 0; i < answer.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(answer[i])))
      continue;
    char* end = nullptr;
    auto text = answer.substr(i, 32);
    double v = std::strtod(text.c_str(), &end); // no throw on "1e400"
    if (*end == '%')
      v /= 100;
    return v >= 0 && v <= 1 ? v : -1;
  }
  return -1;
}

} // namespace hishamos::model
