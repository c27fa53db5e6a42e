#!/usr/bin/env bash
# Runs bench_step_throughput binaries interleaved, so that builds are
# compared in one sitting on one machine (machines of one kind differ by
# 2-4x): chain and fan, SQLite and PostgreSQL, ROUNDS rounds.
#   bench/side_by_side.sh [--rounds N] BINARY...
# PostgreSQL: HISHAMOS_BENCH_PG_ADMIN (default the local hishamos role)
# names a server where database hishamos_bench is made anew for each run.
set -euo pipefail
rounds=3
if [[ ${1:-} == --rounds ]]; then rounds=$2; shift 2; fi
(($#)) || { echo "usage: $0 [--rounds N] BINARY..." >&2; exit 2; }
admin=${HISHAMOS_BENCH_PG_ADMIN:-postgresql://hishamos:hishamos@localhost:5432/postgres}
pg=${admin%/*}/hishamos_bench
for shape in chain fan; do
  for store in sqlite postgresql; do
    for ((round = 1; round <= rounds; round++)); do
      for bin in "$@"; do
        args=(--shape "$shape")
        if [[ $store == postgresql ]]; then
          psql "$admin" -qc "DROP DATABASE IF EXISTS hishamos_bench" \
            -c "CREATE DATABASE hishamos_bench" >/dev/null 2>&1
          args+=(--store "$pg")
        fi
        line=$( { /usr/bin/time -f "cpu_s=%U+%S" "$bin" "${args[@]}"; } 2>&1 | tail -2 | tr '\n' ' ')
        echo "$bin $line"
      done
    done
  done
done
