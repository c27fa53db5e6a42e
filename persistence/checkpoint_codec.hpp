#pragma once

#include <optional>
#include <string>

namespace hishamos::persistence {

/// Encodes a step output for the execution_steps.output column: a msgpack
/// map {"v": 1, "output": text}, so the format can evolve with its version.
[[nodiscard]] std::string encode_output(const std::string& output);

/// Decodes what `encode_output` wrote; nullopt when the bytes are not a
/// known version.
[[nodiscard]] std::optional<std::string>
decode_output(const std::string& bytes);

} // namespace hishamos::persistence
