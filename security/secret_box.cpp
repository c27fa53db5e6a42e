#include "security/secret_box.hpp"

#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>

#include <openssl/evp.h>

#include "persistence/records.hpp"
#include "security/crypto.hpp"

namespace hishamos::security {

namespace {

constexpr size_t key_bytes = 32, nonce_bytes = 12, tag_bytes = 16;

struct ctx_deleter {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};

const unsigned char* bytes(const std::string& s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// nonce | ciphertext | tag
std::string seal(const std::string& key, const std::string& plain,
                 const std::string& aad) {
  auto nonce = random_bytes(nonce_bytes);
  std::unique_ptr<EVP_CIPHER_CTX, ctx_deleter> c{EVP_CIPHER_CTX_new()};
  std::string out(plain.size(), '\0');
  std::string tag(tag_bytes, '\0');
  int n = 0, m = 0;
  if (!c ||
      EVP_EncryptInit_ex(c.get(), EVP_aes_256_gcm(), nullptr, bytes(key),
                         bytes(nonce)) != 1 ||
      EVP_EncryptUpdate(c.get(), nullptr, &n, bytes(aad),
                        static_cast<int>(aad.size())) != 1 ||
      EVP_EncryptUpdate(c.get(), reinterpret_cast<unsigned char*>(out.data()),
                        &n, bytes(plain),
                        static_cast<int>(plain.size())) != 1 ||
      EVP_EncryptFinal_ex(
          c.get(), reinterpret_cast<unsigned char*>(out.data()) + n, &m) != 1 ||
      EVP_CIPHER_CTX_ctrl(c.get(), EVP_CTRL_GCM_GET_TAG, tag_bytes,
                          tag.data()) != 1)
    throw std::runtime_error("AES-256-GCM encryption failed");
  return nonce + out + tag;
}

std::optional<std::string> unseal(const std::string& key,
                                  const std::string& sealed,
                                  const std::string& aad) {
  if (sealed.size() < nonce_bytes + tag_bytes || key.size() != key_bytes)
    return std::nullopt;
  auto nonce = sealed.substr(0, nonce_bytes);
  auto body =
      sealed.substr(nonce_bytes, sealed.size() - nonce_bytes - tag_bytes);
  auto tag = sealed.substr(sealed.size() - tag_bytes);
  std::unique_ptr<EVP_CIPHER_CTX, ctx_deleter> c{EVP_CIPHER_CTX_new()};
  std::string out(body.size(), '\0');
  int n = 0, m = 0;
  if (!c ||
      EVP_DecryptInit_ex(c.get(), EVP_aes_256_gcm(), nullptr, bytes(key),
                         bytes(nonce)) != 1 ||
      EVP_DecryptUpdate(c.get(), nullptr, &n, bytes(aad),
                        static_cast<int>(aad.size())) != 1 ||
      EVP_DecryptUpdate(c.get(), reinterpret_cast<unsigned char*>(out.data()),
                        &n, bytes(body), static_cast<int>(body.size())) != 1 ||
      EVP_CIPHER_CTX_ctrl(c.get(), EVP_CTRL_GCM_SET_TAG, tag_bytes,
                          tag.data()) != 1 ||
      EVP_DecryptFinal_ex(
          c.get(), reinterpret_cast<unsigned char*>(out.data()) + n, &m) != 1)
    return std::nullopt;
  return out;
}

model::problem ring_problem(const std::string& where, const std::string& why) {
  return {"", 0, "", "key-encryption keys in " + where + ": " + why,
          "write lines `ID BASE64KEY` (32 bytes); `hishamos secret new-kek` "
          "prints one"};
}

std::optional<kek> parse_kek(const std::string& id, const std::string& b64) {
  auto raw = base64url_decode(b64);
  if (id.empty() || !raw || raw->size() != key_bytes)
    return std::nullopt;
  return kek{id, *raw};
}

model::problem row_problem(const persistence::secret_row& row,
                           const std::string& why) {
  return {"", 0, "", "secret " + row.name + ": " + why,
          "set it again with `hishamos secret set " + row.name +
              "`, or restore the store from a backup"};
}

} // namespace

const kek* key_ring::find(const std::string& id) const {
  for (const auto& k : keys)
    if (k.id == id)
      return &k;
  return nullptr;
}

model::result<key_ring> load_key_ring(const std::string& file) {
  key_ring ring;
  if (file.empty()) {
    const char* env = std::getenv("HISHAMOS_KEK");
    if (!env || !*env)
      return ring_problem("HISHAMOS_KEK", "not set");
    std::string text = env;
    auto colon = text.find(':');
    auto k = colon == std::string::npos
                 ? std::nullopt
                 : parse_kek(text.substr(0, colon), text.substr(colon + 1));
    if (!k)
      return ring_problem("HISHAMOS_KEK", "not `ID:BASE64KEY` of 32 bytes");
    ring.keys.push_back(*k);
    return ring;
  }
  std::ifstream in{file};
  if (!in)
    return ring_problem(file, "cannot be read");
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty() || line[0] == '#')
      continue;
    std::istringstream words{line};
    std::string id, b64;
    words >> id >> b64;
    auto k = parse_kek(id, b64);
    if (!k)
      return ring_problem(file, "line " + std::to_string(number) +
                                    " is not `ID BASE64KEY` of 32 bytes");
    ring.keys.push_back(*k);
  }
  if (ring.keys.empty())
    return ring_problem(file, "no key");
  return ring;
}

std::string new_kek_line() {
  return "kek-" + random_token(6) + " " + random_token(key_bytes);
}

persistence::secret_row seal_secret(const key_ring& ring,
                                    const std::string& name,
                                    const std::string& value) {
  const auto& k = ring.keys.front();
  auto data_key = random_bytes(key_bytes);
  return {name, k.id,
          base64url_encode(seal(k.key, data_key, name + "\n" + k.id)),
          base64url_encode(seal(data_key, value, name)), persistence::now_ms()};
}

model::result<std::string> open_secret(const key_ring& ring,
                                       const persistence::secret_row& row) {
  const auto* k = ring.find(row.kek_id);
  if (!k)
    return row_problem(row, "wrapped by key-encryption key " + row.kek_id +
                                ", which the key ring does not have");
  auto wrapped = base64url_decode(row.wrapped_key);
  auto sealed = base64url_decode(row.ciphertext);
  if (!wrapped || !sealed)
    return row_problem(row, "the row is not base64url: it was damaged");
  auto data_key = unseal(k->key, *wrapped, row.name + "\n" + row.kek_id);
  if (!data_key)
    return row_problem(row, "its data key fails its GCM tag check: the row "
                            "was tampered with, or moved");
  auto value = unseal(*data_key, *sealed, row.name);
  if (!value)
    return row_problem(row, "its value fails its GCM tag check: the row was "
                            "tampered with, or moved");
  return *value;
}

model::result<persistence::secret_row>
rewrap_secret(const key_ring& ring, const persistence::secret_row& row) {
  const auto* k = ring.find(row.kek_id);
  auto wrapped = base64url_decode(row.wrapped_key);
  auto data_key = k && wrapped
                      ? unseal(k->key, *wrapped, row.name + "\n" + row.kek_id)
                      : std::nullopt;
  if (!data_key)
    return row_problem(row, "its data key cannot be unwrapped with "
                            "key-encryption key " +
                                row.kek_id);
  auto out = row;
  const auto& active = ring.keys.front();
  out.kek_id = active.id;
  out.wrapped_key = base64url_encode(
      seal(active.key, *data_key, row.name + "\n" + active.id));
  out.updated_at_ms = persistence::now_ms();
  return out;
}

} // namespace hishamos::security
