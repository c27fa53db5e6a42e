#include "persistence/checkpoint_codec.hpp"

#include <map>

#include <msgpack.hpp>

namespace hishamos::persistence {

namespace {
constexpr int codec_version = 1;
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

} // namespace hishamos::persistence
