#!/usr/bin/env bash
# Installs the Debian 12 packages HishamOS builds, tests and runs with, then
# web/'s npm packages (deploy/install-web.sh). Idempotent: prints nothing
# and touches nothing when all are present.
set -euo pipefail

packages=(
  build-essential cmake pkg-config ccache git
  libcaf-dev libssl-dev libpqxx-dev libpq-dev libhiredis-dev
  libmsgpack-cxx-dev prometheus-cpp-dev catch2 libsqlite3-dev sqlite3
  libcurl4-openssl-dev libcpp-httplib-dev libboost-dev nlohmann-json3-dev
  libyaml-cpp-dev libspdlog-dev libfmt-dev libcli11-dev
  libjwt-dev liboath-dev libargon2-dev
  curl procps openssl iproute2 clang libclang-rt-14-dev
)
if [[ "${1:-}" == "--with-services" ]]; then
  # and what the tests need: the databases, and a browser for the pages
  packages+=(postgresql postgresql-client redis-server chromium faketime
             fiu-utils prometheus)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" \
    || missing+=("$p")
done
# Node.js and npm, for web/: Debian's, unless a node with npm is there.
command -v npm >/dev/null || missing+=(nodejs npm)

if [[ ${#missing[@]} -gt 0 ]]; then
  echo "installing: ${missing[*]}"
  sudo_cmd=()
  [[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

bash "$(dirname "$0")/install-web.sh"
