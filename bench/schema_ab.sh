#!/usr/bin/env bash
# Measures a schema change in one sitting without a second build: runs one
# bench_step_throughput binary on PostgreSQL, interleaved, on a fresh
# database as this release migrates it ("after") and on one where
# BEFORE_SQL, run after migrating, undid the change ("before": an index
# made again, a store setting cleared). Each run starts from empty tables.
#   bench/schema_ab.sh [--rounds N] [--shape chain|fan] [--workflows N] \
#     BINARY BEFORE_SQL
# e.g. what items 27-29 of docs/performance.md changed:
#   bench/schema_ab.sh --rounds 8 build/bench/bench_step_throughput \
#     "UPDATE store_identity SET compact_decisions = FALSE;
#      CREATE INDEX ON task_results (department, created_at)"
# Prints each run, then for each side the range and median of steps/s and
# the median CPU and WAL per step, and in how many rounds "after" was the
# faster of its pair (machines of this kind drift by a third within
# minutes: only interleaved rounds compare).
# HISHAMOS_BENCH_PG_ADMIN (default the local hishamos role) names a server
# where database hishamos_bench is made anew for each run.
set -euo pipefail
rounds=3 shape=chain workflows=3000
while [[ ${1:-} == --* ]]; do
  case $1 in
  --rounds) rounds=$2 ;;
  --shape) shape=$2 ;;
  --workflows) workflows=$2 ;;
  *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift 2
done
(($# == 2)) || { echo "usage: $0 [--rounds N] [--shape chain|fan] [--workflows N] BINARY BEFORE_SQL" >&2; exit 2; }
bin=$1 before_sql=$2
admin=${HISHAMOS_BENCH_PG_ADMIN:-postgresql://hishamos:hishamos@localhost:5432/postgres}
pg=${admin%/*}/hishamos_bench
runs=$(mktemp)
trap 'rm -f "$runs"' EXIT
for ((round = 1; round <= rounds; round++)); do
  for side in before after; do
    psql "$admin" -qc "DROP DATABASE IF EXISTS hishamos_bench" \
      -c "CREATE DATABASE hishamos_bench" >/dev/null 2>&1
    "$bin" --store "$pg" --workflows 10 >/dev/null # migrates
    psql "$pg" -qc "TRUNCATE execution_steps, step_attempts, execution_owners, task_results, workflow_executions CASCADE" >/dev/null 2>&1
    if [[ $side == before ]]; then
      psql "$pg" -v ON_ERROR_STOP=1 -qc "$before_sql" >/dev/null
    fi
    line=$("$bin" --store "$pg" --shape "$shape" --workflows "$workflows" | tail -1)
    echo "$side $line" | tee -a "$runs"
  done
done
awk '
  function field(name,   i, kv) {
    for (i = 2; i <= NF; ++i) { split($i, kv, "="); if (kv[1] == name) return kv[2] + 0 }
    return -1
  }
  function median(a, n,   i, j, t) {
    for (i = 2; i <= n; ++i) for (j = i; j > 1 && a[j - 1] > a[j]; --j) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  {
    s = $1; n[s]++
    sps[s, n[s]] = field("steps/s"); wal[s, n[s]] = field("wal_bytes_per_step")
    node[s, n[s]] = field("node_cpu_ms_per_step"); pgc[s, n[s]] = field("pg_cpu_ms_per_step")
    if (s == "after" && sps["after", n[s]] > sps["before", n[s]]) faster++
  }
  END {
    for (k = 0; k < 2; ++k) {
      s = k ? "after" : "before"; m = n[s]
      lo = hi = sps[s, 1]
      for (i = 1; i <= m; ++i) {
        a[i] = sps[s, i]; b[i] = wal[s, i]; c[i] = node[s, i]; d[i] = pgc[s, i]
        if (a[i] < lo) lo = a[i]; if (a[i] > hi) hi = a[i]
      }
      printf "%s: steps/s %d-%d (median %d), WAL bytes per step %d, CPU per step node %.3f ms / PostgreSQL %.3f ms (medians)\n", \
        s, lo, hi, median(a, m), median(b, m), median(c, m), median(d, m)
    }
    printf "after was the faster in %d of %d rounds\n", faster, n["after"]
  }' "$runs"
