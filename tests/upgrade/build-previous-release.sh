#!/usr/bin/env bash
# Builds the `hishamos` binary of the previous release (the commit named in
# tests/upgrade/PREVIOUS_RELEASE) into <out>/src/build/apps/hishamos/, for
# the rolling-upgrade test. Its source comes from this clone's history; the
# build shares ccache entries with this tree's (same layout, relative paths),
# so only the files changed since that release compile again.
#   tests/upgrade/build-previous-release.sh <out>     (./dev.sh test runs it)
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
out=$(realpath -m "${1:?usage: build-previous-release.sh <output directory>}")
commit=$(grep -v '^#' "$src/tests/upgrade/PREVIOUS_RELEASE" | head -n 1)
binary=$out/src/build/apps/hishamos/hishamos

if [[ -x $binary && "$(cat "$out/built-from" 2>/dev/null)" == "$commit" ]]; then
  exit 0
fi
if ! git -C "$src" cat-file -e "$commit^{commit}" 2>/dev/null; then
  echo "build-previous-release: commit $commit is not in this clone's" \
       "history (a shallow clone or a source archive); the rolling-upgrade" \
       "test fails until it is (git fetch --unshallow)" >&2
  exit 1
fi
echo "building the previous release ($commit) for the upgrade test"
rm -rf "$out"
mkdir -p "$out/src"
git -C "$src" archive "$commit" | tar -x -C "$out/src"
export CCACHE_BASEDIR=$out/src CCACHE_NOHASHDIR=true
cmake -S "$out/src" -B "$out/src/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DHISHAMOS_BUILD_TESTS=OFF >/dev/null
cmake --build "$out/src/build" --target hishamos -j "$(nproc)" >/dev/null
echo "$commit" >"$out/built-from"
