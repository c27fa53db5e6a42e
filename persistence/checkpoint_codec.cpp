#include "persistence/checkpoint_codec.hpp"

#include <cmath>
#include <map>

#include <msgpack.hpp>

#include "model/digest.hpp"

namespace hishamos::persistence {

namespace {
constexpr int codec_version = 1;
constexpr size_t checksum_bytes = 8;
} // namespace

std::string encode_output(const std::string& output) {
  msgpack::sbuffer buf;
  msgpack::packer<msgpack::sbuffer> pk{buf};
  pk.pack_map(2);
  pk.pack(std::string{"v"});
  pk.pack(codec_version);
  pk.pack(std::string{"output"});
  pk.pack(output);
  return {buf.data(), buf.size()};
}

std::optional<std::string> decode_output(const std::string& bytes) {
  try {
    auto handle = msgpack::unpack(bytes.data(), bytes.size());
    auto map = handle.get().as<std::map<std::string, msgpack::object>>();
    if (map.at("v").as<int>() != codec_version)
      return std::nullopt;
    return map.at("output").as<std::string>();
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::string checkpoint_checksum(const checkpoint& cp,
                                const std::string& encoded) {
  // Fields are separated by NUL (none of them holds one but the output,
  // which comes last), so no two checkpoints frame to the same text.
  std::string text;
  text.reserve(encoded.size() + 128);
  for (const auto& field :
       {cp.execution_id, cp.step_id, std::to_string(cp.attempt),
        std::to_string(cp.epoch), cp.agent_id, std::to_string(cp.started_at_ms),
        std::to_string(cp.finished_at_ms),
        std::to_string(std::llround(cp.cost * 1e6))}) {
    text += field;
    text += '\0';
  }
  text += encoded;
  return model::sha256_hex(text, checksum_bytes);
}

double stored_cost(double usd) {
  return static_cast<double>(std::llround(usd * 1e6)) / 1e6;
}

const task_result_record* line_in_row(const checkpoint& cp) {
  if (cp.ledger.size() != 1)
    return nullptr;
  const auto& x = cp.ledger.front();
  // The row's columns stand for these fields of the line: kept there
  // only when they say the same.
  bool same = x.execution_id == cp.execution_id && x.step_id == cp.step_id &&
              x.agent_id == cp.agent_id &&
              stored_cost(x.cost) == stored_cost(cp.cost) &&
              x.latency_ms == cp.finished_at_ms - cp.started_at_ms;
  return same ? &x : nullptr;
}

void restore_output(checkpoint& cp, const std::string& encoded,
                    const std::optional<std::string>& checksum) {
  cp.output.clear();
  cp.damage.clear();
  if (checksum) {
    auto computed = checkpoint_checksum(cp, encoded);
    if (computed != *checksum) {
      cp.damage = "checkpoint " + cp.execution_id + "/" + cp.step_id +
                  " fails its checksum (stored " + checksum->substr(0, 16) +
                  ", computed " + computed +
                  "): the row changed after it "
                  "was committed";
      return;
    }
  }
  auto output = decode_output(encoded);
  if (!output) {
    cp.damage = "checkpoint " + cp.execution_id + "/" + cp.step_id +
                " has an output of no known encoding (" +
                std::to_string(encoded.size()) + " bytes)";
    return;
  }
  cp.output = std::move(*output);
}

std::string definition_hash_of(const std::string& definition) {
  return model::sha256_hex(definition);
}

std::string definition_damage(const execution_record& x) {
  if (x.definition_hash.empty())
    return {};
  if (x.definition.empty())
    return "its definition, kept under hash " +
           x.definition_hash.substr(0, 16) +
           ", is missing from the store (execution_definitions)";
  if (definition_hash_of(x.definition) != x.definition_hash)
    return "its definition is not the one kept under hash " +
           x.definition_hash.substr(0, 16) +
           ": the row changed after it was committed";
  return {};
}

outcome<std::map<std::string, const std::string*>>
definitions_by_hash(const std::vector<execution_record>& xs) {
  outcome<std::map<std::string, const std::string*>> out;
  for (const auto& x : xs) {
    if (x.definition_hash.empty())
      continue;
    auto [at, added] = out.value.emplace(x.definition_hash, &x.definition);
    // Hashed once per distinct definition; the others must be the same.
    bool same = added ? definition_hash_of(x.definition) == x.definition_hash
                      : *at->second == x.definition;
    if (!same)
      return {{errc::invalid, "execution " + x.id.substr(0, 64) +
                                  ": its definition_hash is not the SHA-256 "
                                  "of its definition (definition_hash_of)"}};
  }
  return out;
}

} // namespace hishamos::persistence
