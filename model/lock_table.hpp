#pragma once

// Resource locks that steps declare (`locks: [{resource: repo:main, mode:
// exclusive}]`). A step gets all of its locks at once or none (so no step
// ever holds some while waiting for others: no deadlock), shared locks of a
// resource coexist, an exclusive one excludes every other. Pure: the
// dispatcher decides who asks in which order (priority, then arrival).

#include <cstddef>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace hishamos::model {

/// The most locks one step may declare (a lock request with more is
/// refused on the wire).
constexpr std::size_t max_step_locks = 64;

/// One lock a step asks for.
struct lock_request {
  std::string resource;
  bool exclusive = true; ///< false: shared.
};

/// Who holds which resource, and how.
class lock_table {
public:
  /// The holders that keep `wanted` from being granted now (each named
  /// once); empty when all of it can be granted.
  [[nodiscard]] std::vector<std::string>
  blockers(const std::vector<lock_request>& wanted) const;
  /// Grants all of `wanted` to `holder` (check blockers() first).
  void grant(const std::string& holder,
             const std::vector<lock_request>& wanted);
  /// Releases everything `holder` holds.
  void release(const std::string& holder);
  /// True when nobody holds anything.
  [[nodiscard]] bool empty() const { return by_resource_.empty(); }

private:
  struct holders {
    std::set<std::string> shared;
    std::string exclusive; ///< "" = none.
  };
  std::map<std::string, holders> by_resource_;
  std::map<std::string, std::vector<lock_request>> by_holder_;
};

/// Describes a lock set for messages: "repo:main (exclusive), db (shared)".
[[nodiscard]] std::string describe(const std::vector<lock_request>& locks);

} // namespace hishamos::model
