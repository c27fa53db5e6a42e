#!/usr/bin/env bash
# Installs web/'s npm packages (package-lock.json pins them): Swagger UI,
# built into the node, and the API's test tools (Redocly lint, newman,
# openapi-to-postmanv2, ajv, fast-check, kubernetes-models for the
# manifests' schemas). ReDoc's standalone bundle comes
# from its package tarball (installing redoc 3.0.1 as a dependency fails
# on a missing peer). Idempotent: does nothing when all are in place.
set -euo pipefail
cd "$(dirname "$0")/../web"

redoc_version=3.0.1

if [[ ! -f node_modules/.package-lock.json ||
      package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "installing web/ npm packages"
  SCARF_ANALYTICS=false npm ci --no-audit --no-fund --ignore-scripts \
    --loglevel=error
fi

if [[ ! -f vendor/redoc.standalone.js ||
      $(cat vendor/redoc.version 2>/dev/null) != "$redoc_version" ]]; then
  echo "fetching redoc $redoc_version"
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack "redoc@$redoc_version" --silent >/dev/null)
  tar xzf "$tmp"/redoc-*.tgz -C "$tmp" package/bundles/redoc.standalone.js
  mkdir -p vendor
  mv "$tmp/package/bundles/redoc.standalone.js" vendor/
  echo "$redoc_version" > vendor/redoc.version
fi
