#!/usr/bin/env bash
# Makes a throwaway CA and certificates signed by it, for TLS between nodes
# in tests and trials (never for production: the keys are unencrypted).
#
#   deploy/make-test-certs.sh DIR NODE...
#
# writes DIR/ca.pem, DIR/ca.key and, for each NODE, DIR/NODE.pem and
# DIR/NODE.key (for NODE, localhost and 127.0.0.1). Point each node at them:
#   node: {tls: {certificate: DIR/n1.pem, key: DIR/n1.key, ca: DIR/ca.pem}}
#   http: {tls_certificate: DIR/n1.pem, tls_key: DIR/n1.key}
# A node whose certificate another CA signed cannot join.
set -euo pipefail

if [[ $# -lt 2 ]]; then
  echo "usage: $0 DIR NODE..." >&2
  exit 2
fi
dir=$1
shift
mkdir -p "$dir"
days=30

openssl req -x509 -newkey rsa:2048 -nodes -days "$days" \
  -subj "/CN=HishamOS test CA" \
  -keyout "$dir/ca.key" -out "$dir/ca.pem" 2>/dev/null

for node in "$@"; do
  openssl req -newkey rsa:2048 -nodes -subj "/CN=$node" \
    -keyout "$dir/$node.key" -out "$dir/$node.csr" 2>/dev/null
  # Named by the node and by loopback, so that HTTPS clients on the same
  # host verify it too.
  printf 'subjectAltName=DNS:%s,DNS:localhost,IP:127.0.0.1\n' "$node" \
    > "$dir/$node.ext"
  openssl x509 -req -in "$dir/$node.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" \
    -CAcreateserial -days "$days" -extfile "$dir/$node.ext" \
    -out "$dir/$node.pem" 2>/dev/null
  rm -f "$dir/$node.ext"
  rm -f "$dir/$node.csr"
done
rm -f "$dir/ca.srl"
echo "test CA and certificates for: $* in $dir"
