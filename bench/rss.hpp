#pragma once

// The benchmark's own resident memory, for figures of memory per thing.

#include <fstream>
#include <string>

namespace hishamos::bench {

/// VmRSS of this process in KiB; -1 if /proc does not say.
inline long rss_kib() {
  std::ifstream in{"/proc/self/status"};
  for (std::string line; std::getline(in, line);)
    if (line.rfind("VmRSS:", 0) == 0)
      return std::stol(line.substr(6));
  return -1;
}

} // namespace hishamos::bench
