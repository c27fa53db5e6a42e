#!/usr/bin/env bash
# Where a step's WAL goes on PostgreSQL: runs bench_step_throughput on a
# fresh database and breaks the WAL it wrote down by record type with
# pg_walinspect (PostgreSQL 15's contrib; needs a superuser role).
#   bench/wal_profile.sh BINARY [bench arguments...]
# HISHAMOS_BENCH_PG_ADMIN as for side_by_side.sh.
set -euo pipefail
bin=${1:?usage: $0 BINARY [bench arguments...]}; shift
admin=${HISHAMOS_BENCH_PG_ADMIN:-postgresql://hishamos:hishamos@localhost:5432/postgres}
pg=${admin%/*}/hishamos_bench
psql "$admin" -qc "DROP DATABASE IF EXISTS hishamos_bench" \
  -c "CREATE DATABASE hishamos_bench" >/dev/null
psql "$pg" -qc "CREATE EXTENSION IF NOT EXISTS pg_walinspect" >/dev/null
start=$(psql "$pg" -qtAc "SELECT pg_current_wal_lsn()")
"$bin" --store "$pg" "$@" | tail -1
end=$(psql "$pg" -qtAc "SELECT pg_current_wal_lsn()")
steps=$(psql "$pg" -qtAc "SELECT count(*) FROM execution_steps")
echo "steps: $steps"
psql "$pg" -P pager=off -c "
  SELECT \"resource_manager/record_type\" AS record,
         count,
         round(combined_size::numeric / $steps, 1) AS bytes_per_step,
         round(fpi_size::numeric / $steps, 1) AS fpi_bytes_per_step,
         round(combined_size_percentage::numeric, 1) AS pct
    FROM pg_get_wal_stats('$start', '$end', true)
   WHERE count > 0 ORDER BY combined_size DESC LIMIT 20"
