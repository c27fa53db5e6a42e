#!/usr/bin/env bash
# ctest splits a discovered test name at ';' and then runs a name that
# matches no test case, which passes having run nothing. Fails, naming
# them, when a test binary given here has a test name holding one.
set -u
bad=0
for binary in "$@"; do
  if "$binary" --list-test-names-only | grep -n ';'; then
    echo "in $binary: a test name holds ';'; ctest would run nothing for it" >&2
    bad=1
  fi
done
exit $bad
