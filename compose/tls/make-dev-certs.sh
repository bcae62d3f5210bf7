#!/usr/bin/env bash
# A development certificate authority and one certificate per name, for TLS and
# mutual TLS between the services (kit: TLS_CERT_FILE, TLS_KEY_FILE, TLS_CA_FILE).
# ECDSA P-256, 825 days (the longest browsers accept); each certificate names
# itself, localhost and 127.0.0.1, and may serve and be presented as a client.
# Keeps an existing CA, so certificates can be added or renewed one at a time.
#   ./make-dev-certs.sh certs kafka auth profile posts feed gateway prometheus   (what compose.yaml mounts)
set -euo pipefail
if [ $# -lt 2 ] || [ "${1:-}" = "--help" ]; then
  echo "usage: make-dev-certs.sh DIR NAME..." >&2
  exit 2
fi
dir=$1
shift
mkdir -p "$dir"
umask 077
if [ ! -f "$dir/ca.pem" ]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 825 \
    -subj "/CN=CivilDIY development CA" -keyout "$dir/ca.key" -out "$dir/ca.pem" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
fi
for name in "$@"; do
  case "$name" in
    *[!a-z0-9.-]*) echo "make-dev-certs: \"$name\" is not a host name" >&2; exit 2 ;;
  esac
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$name" \
    -keyout "$dir/$name.key" -out "$dir/$name.csr" 2>/dev/null
  openssl x509 -req -in "$dir/$name.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial \
    -days 825 -out "$dir/$name.pem" -extfile <(printf '%s\n' \
      "subjectAltName=DNS:$name,DNS:localhost,IP:127.0.0.1" \
      "extendedKeyUsage=serverAuth,clientAuth" \
      "keyUsage=critical,digitalSignature") 2>/dev/null
  rm -f "$dir/$name.csr"
  # Kafka's PEM keystore (ssl.keystore.type=PEM) is the key and the chain in one file.
  cat "$dir/$name.key" "$dir/$name.pem" > "$dir/$name.key-and-cert.pem"
  chmod 644 "$dir/$name.pem" "$dir/ca.pem"
  echo "make-dev-certs: $dir/$name.pem, $name.key and $name.key-and-cert.pem (CA $dir/ca.pem)"
done
