#pragma once

#include <memory>
#include <string>

#include "persistence/store.hpp"

namespace hishamos::persistence::sqlite {

/// Opens the embedded SQLite store at `path` (WAL journal, synchronous=FULL
/// so a committed checkpoint survives a power cut). Several instances may
/// share one file; each is one connection.
outcome<std::unique_ptr<store>> open(const std::string& path);

} // namespace hishamos::persistence::sqlite
