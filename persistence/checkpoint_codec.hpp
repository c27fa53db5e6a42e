#pragma once

// How a checkpoint's output is stored (a versioned msgpack envelope) and
// how a stored checkpoint is known to be the one that was written (a
// checksum beside it, verified on every read); likewise an execution's
// definition kept by hash.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "persistence/errors.hpp"
#include "persistence/records.hpp"

namespace hishamos::persistence {

/// Encodes a step output for the execution_steps.output column: a msgpack
/// map {"v": 1, "output": text}, so the format can evolve with its version.
[[nodiscard]] std::string encode_output(const std::string& output);

/// Decodes what `encode_output` wrote; nullopt when the bytes are not a
/// known version.
[[nodiscard]] std::optional<std::string>
decode_output(const std::string& bytes);

/// The checksum stored beside a checkpoint (execution_steps.checksum): the
/// first 8 bytes of SHA-256, in hex, over its execution, step, attempt,
/// epoch, agent, timings, cost (in micro-USD, as the store keeps it) and
/// its encoded output.
[[nodiscard]] std::string checkpoint_checksum(const checkpoint& cp,
                                              const std::string& encoded);

/// A cost as both stores keep it, rounded to micro-USD, so that the
/// checksum of what was written and of what is read agree.
[[nodiscard]] double stored_cost(double usd);

/// The ledger line a store with store_settings::ledger_with_checkpoints
/// keeps in `cp`'s own row: its one line, when that line names the same
/// execution, step and agent, cost and latency as the row says already;
/// nullptr when its lines go to task_results, as other lines do.
[[nodiscard]] const task_result_record* line_in_row(const checkpoint& cp);

/// Fills `cp.output` from a stored row's encoded output after checking
/// the row's checksum: on a mismatch, or bytes of no known encoding,
/// `cp.damage` says what is wrong and `cp.output` stays empty. A row
/// without a checksum (written before migration 0012/0013) is checked by
/// decoding alone.
void restore_output(checkpoint& cp, const std::string& encoded,
                    const std::optional<std::string>& checksum);

/// The name an execution's definition is kept under when the store keeps
/// each definition once (execution_record::definition_hash): its SHA-256,
/// in hex.
[[nodiscard]] std::string definition_hash_of(const std::string& definition);

/// What is wrong with an execution's definition as read back ("" =
/// nothing): kept by hash, but missing from the store, or not the text
/// its hash names.
[[nodiscard]] std::string definition_damage(const execution_record& x);

/// The distinct definitions of `xs` kept by hash (hash -> the definition,
/// pointing into `xs`), for a store to write once. Invalid when a hash is
/// not the definition's own (`definition_hash_of`).
[[nodiscard]] outcome<std::map<std::string, const std::string*>>
definitions_by_hash(const std::vector<execution_record>& xs);

} // namespace hishamos::persistence
