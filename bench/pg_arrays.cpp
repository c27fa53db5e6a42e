// What a PostgreSQL group's columns cost to write in array text form
// (persistence/pg/arrays.hpp), per row, with no database: a step's
// checkpoint row and ledger line as the benchmark's chain writes them.
//
//   bench_pg_arrays [--rows N]   (default 1,000,000)
//
// Prints nanoseconds per row of each kind.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "persistence/pg/arrays.hpp"

using hishamos::persistence::pg::array_literal;

namespace {

const std::string execution_id = "01a25163ecbd408230f8e698885a5906";
const std::string output(96, 'o'); // an encoded output, as bytes
const std::string checksum(64, 'c');
const std::string decision =
    R"({"candidate_count":1,"candidates":[{"agent":"quick",)"
    R"("capability_match":1.0,"free_share":1.0,"latency_ms":0.05056,)"
    R"("node":"","price":0.0,"quality_mean":0.6667,"quality_sample":0.6702,)"
    R"("score":1.07}],"category":"general","chosen":"quick",)"
    R"("explored":false,"priority":0,"waited_ms":0})";

// Rows in groups of 25 (a chain's average flush), `rows` in all; returns
// ns per row, and adds the literals' length to `sink` so nothing is
// optimised away.
template <class Row> double ns_per_row(long rows, std::size_t& sink, Row row) {
  auto start = std::chrono::steady_clock::now();
  for (long done = 0; done < rows; done += 25) {
    std::vector<array_literal> columns(row.columns);
    for (int i = 0; i < 25; ++i)
      row(columns, done + i);
    for (auto& c : columns)
      sink += std::move(c).done().size();
  }
  return std::chrono::duration<double, std::nano>(
             std::chrono::steady_clock::now() - start)
             .count() /
         static_cast<double>(rows);
}

struct checkpoint_row {
  std::size_t columns = 10;
  void operator()(std::vector<array_literal>& c, long i) const {
    c[0].text(execution_id);
    c[1].text("s" + std::to_string(i % 5));
    c[2].number(std::int64_t{1});
    c[3].number(std::int64_t{1});
    c[4].bytes(output);
    c[5].text("quick");
    c[6].number(std::int64_t{1733590000000} + i);
    c[7].number(std::int64_t{1733590000001} + i);
    c[8].number(0.000125 * static_cast<double>(i % 100));
    c[9].text(checksum);
  }
};

struct ledger_row {
  std::size_t columns = 12;
  void operator()(std::vector<array_literal>& c, long i) const {
    c[0].text(execution_id);
    c[1].text("s" + std::to_string(i % 5));
    c[2].text("quick");
    c[3].null();
    c[4].number(0.000125 * static_cast<double>(i % 100));
    c[5].number(std::int64_t{2});
    c[6].number(std::int64_t{30});
    c[7].text(decision);
    c[8].text("local");
    c[9].text("local-echo");
    c[10].text("Bench");
    c[11].text("");
  }
};

} // namespace

int main(int argc, char** argv) {
  long rows = 1000000;
  for (int i = 1; i + 1 < argc; i += 2)
    if (std::string{argv[i]} == "--rows")
      rows = std::max(25L, std::stol(argv[i + 1]));
  std::size_t sink = 0;
  double checkpoints = ns_per_row(rows, sink, checkpoint_row{});
  double ledger = ns_per_row(rows, sink, ledger_row{});
  std::printf("rows=%ld checkpoint_ns_per_row=%.0f ledger_ns_per_row=%.0f "
              "bytes=%zu\n",
              rows, checkpoints, ledger, sink);
  return 0;
}
