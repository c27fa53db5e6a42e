#!/usr/bin/env bash
# The two quick-start commands of HishamOS on a fresh Debian 12 machine:
#   ./dev.sh demo   install what is missing, build, run the demo workflow,
#                   then (at a terminal) serve the admin console
#   ./dev.sh test   install what is missing, build, run the whole test suite
# Also: ./dev.sh build
set -euo pipefail
cd "$(dirname "$0")"

command=${1:-}
build_dir=${HISHAMOS_BUILD_DIR:-build}

# Configures once, then builds the given targets (all when none).
build() {
  if [[ ! -f "$build_dir/CMakeCache.txt" ]]; then
    cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  fi
  local targets=()
  for t in "$@"; do targets+=(--target "$t"); done
  cmake --build "$build_dir" -j "$(nproc)" "${targets[@]}"
}

case "$command" in
  demo)
    bash deploy/install-deps.sh
    build hishamos # the demo needs the one binary, no test or benchmark
    "$build_dir/apps/hishamos/hishamos" run \
      config/catalog/workflows/build_new_feature.yaml \
      --input feature="user sign-in with passkeys"
    # At a terminal, a dev node on the same store then serves the console,
    # the execution above in it, until Ctrl-C; scripts get the run alone.
    if [[ -t 1 && -z "${CI:-}" ]]; then
      echo
      echo "Now serving the admin console with the execution above; Ctrl-C stops."
      exec "$build_dir/apps/hishamos/hishamos" dev
    fi
    ;;
  test)
    bash deploy/install-deps.sh --with-services
    # shellcheck source=deploy/start-services.sh
    source deploy/start-services.sh
    build
    # the rolling-upgrade test runs the previous release beside this one
    tests/upgrade/build-previous-release.sh "$build_dir/previous-release" \
      || echo "the previous release did not build: the upgrade test fails" >&2
    cd "$build_dir"
    ctest -j 2 --output-on-failure --timeout 600
    ;;
  build)
    bash deploy/install-deps.sh
    build
    ;;
  *)
    echo "usage: ./dev.sh demo | test | build" >&2
    exit 2
    ;;
esac
