#pragma once

#include <memory>
#include <string>

#include "model/catalog.hpp"

namespace hishamos::test {

/// A small catalog for tests: agents `fast` (no latency, engineering,
/// [write]), `slow` (300 ms, engineering, [write, review]) and `flaky`
/// (fail_rate 1, operations); template `cmd_echo` with a required `text`
/// and an optional integer `count`.
std::shared_ptr<model::catalog> make_catalog();

/// Parses a workflow from YAML; fails the test on problems.
std::shared_ptr<const model::workflow_def> workflow(const std::string& yaml);

} // namespace hishamos::test
