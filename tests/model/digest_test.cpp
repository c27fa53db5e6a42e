#include <catch2/catch.hpp>

#include <string>

#include "model/digest.hpp"

using hishamos::model::sha256_hex;

TEST_CASE("sha256_hex gives the standard SHA-256 digests, whole or cut to "
          "their first bytes",
          "[unit][model][digest]") {
  // FIPS 180-2's test vectors.
  CHECK(sha256_hex("abc") ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(sha256_hex("") ==
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sha256_hex(std::string(1000000, 'a')) ==
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  CHECK(sha256_hex("abc", 8) == "ba7816bf8f01cfea");
  CHECK(sha256_hex("abc", 64) == sha256_hex("abc")); // at most 32 bytes
  // Text with NUL bytes is hashed whole, not up to the first NUL.
  CHECK(sha256_hex(std::string("a\0b", 3)) != sha256_hex("a"));
}
