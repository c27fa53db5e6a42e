#include <catch2/catch.hpp>

#include "model/clip.hpp"

using hishamos::model::clip_utf8;

TEST_CASE("text within the limit is kept as it is", "[unit][clip]") {
  CHECK(clip_utf8("", 0).empty());
  CHECK(clip_utf8("abc", 3) == "abc");
}

TEST_CASE("text over the limit is cut and marked", "[unit][clip]") {
  CHECK(clip_utf8("abcdef", 3) == "abc\xE2\x80\xA6");
}

TEST_CASE("a cut never splits a UTF-8 character", "[unit][clip]") {
  // "é" is two bytes (C3 A9), "€" three (E2 82 AC).
  const std::string text = "a\xC3\xA9\xE2\x82\xAC";
  CHECK(clip_utf8(text, 2) == "a\xE2\x80\xA6");         // inside é
  CHECK(clip_utf8(text, 3) == "a\xC3\xA9\xE2\x80\xA6"); // after é
  CHECK(clip_utf8(text, 4) == "a\xC3\xA9\xE2\x80\xA6"); // inside €
  CHECK(clip_utf8(text, 5) == "a\xC3\xA9\xE2\x80\xA6"); // inside €
  CHECK(clip_utf8(text, 6) == text);
}
