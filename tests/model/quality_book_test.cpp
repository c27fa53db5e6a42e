#include <catch2/catch.hpp>

#include "model/quality_book.hpp"
#include "model/queue_order.hpp"

using namespace hishamos::model;

TEST_CASE("the quality book adds every node's evidence and keeps this node's "
          "part apart",
          "[unit][routing]") {
  quality_book book{{}, {{"n2", {{{"a", "c"}, {4, 1}}}}}};
  book.observe({"a", "c"}, 1.0, 1.0);
  auto q = book.cluster({"a", "c"});
  CHECK(q.successes == Approx(5));
  CHECK(q.failures == Approx(1));
  auto rows = book.entries();
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].agent == "a");
  CHECK(rows[0].here_successes == Approx(1));
  CHECK(rows[0].mean == Approx(6.0 / 8.0));
}

TEST_CASE("a peer's report replaces what was known of it, and an empty one "
          "keeps it",
          "[unit][routing]") {
  quality_book book{{}, {{"n2", {{{"a", "c"}, {4, 1}}}}}};
  book.replace_peer("n2", {});
  CHECK(book.cluster({"a", "c"}).successes == Approx(4));
  book.replace_peer("n2", {{{"a", "c"}, {1, 0}}});
  CHECK(book.cluster({"a", "c"}).successes == Approx(1));
  CHECK(book.own().empty());
}

TEST_CASE("waiting steps keep their order as they age: a low priority that "
          "waited long enough goes before a higher one that just came",
          "[unit][routing]") {
  double aging = 1.0;
  auto early_low = queue_key(0, aging, 100.0);  // came at t = 100 s
  auto late_high = queue_key(5, aging, 110.0);  // came 10 s later
  auto later_high = queue_key(5, aging, 104.0); // came 4 s later
  CHECK(early_low > late_high);                 // waited 10 s: +10 beats +5
  CHECK(early_low < later_high);                // waited 4 s: +4 loses to +5
  CHECK(effective_priority(0, aging, 10) == Approx(10));
}
