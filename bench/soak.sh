#!/usr/bin/env bash
# The 30-minute soak, run by hand: the chaos suite's soak test (node kills,
# pauses, PostgreSQL restarts, a partition; tests/apps/soak_chaostest.cpp)
# for HISHAMOS_SOAK_SECONDS (default 1800; CI runs it for 60). Needs root
# (network namespaces) and the test environment:
#   HISHAMOS_TEST_PG_URL=postgresql://... bench/soak.sh [build-dir]
# Prints one line: executions, faults by kind, the longest recovery, and
# the steady node's RSS and file descriptors after warm-up against the end.
# HISHAMOS_FAULT_SEED picks another fault schedule (or replays one).
set -euo pipefail
build=${1:-build}
export HISHAMOS_SOAK_SECONDS=${HISHAMOS_SOAK_SECONDS:-1800}
exec "$build/tests/hishamos_chaos_tests" "[soak]"
