#!/bin/sh
# Throwaway PKI for the emulators: a CA and a server certificate for localhost / 127.0.0.1.
#   mkpki.sh DIR [ec|rsa]        (default ec = P-256; rsa = RSA-2048; env MKPKI_ALG works too)
# Writes DIR/ca.pem ca.key server.pem server.key (server.pem = leaf only; chain.pem = leaf + CA).
# Idempotent: if the files exist, chain to the CA and stay valid for another day, nothing changes.
set -eu

dir=${1:?usage: mkpki.sh DIR [ec|rsa]}
alg=${2:-${MKPKI_ALG:-ec}}
mkdir -p "$dir"
cd "$dir"

if [ -s ca.pem ] && [ -s ca.key ] && [ -s server.pem ] && [ -s server.key ] && [ -s chain.pem ] &&
   openssl verify -CAfile ca.pem server.pem >/dev/null 2>&1 &&
   openssl x509 -in server.pem -noout -checkend 86400 >/dev/null 2>&1; then
    exit 0
fi

newkey() {
    case "$alg" in
    ec)  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null ;;
    rsa) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1" 2>/dev/null ;;
    *)   echo "mkpki.sh: unknown algorithm '$alg' (ec|rsa)" >&2; exit 2 ;;
    esac
}

umask 077
tmp=$(mktemp -d ./.mkpki.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

newkey "$tmp/ca.key"
openssl req -x509 -new -key "$tmp/ca.key" -sha256 -days 3650 -subj "/CN=ecs-ca-status test CA" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -addext "subjectKeyIdentifier=hash" -out "$tmp/ca.pem"

newkey "$tmp/server.key"
openssl req -new -key "$tmp/server.key" -subj "/CN=localhost" -out "$tmp/server.csr"
cat >"$tmp/ext.cnf" <<'EXT'
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=DNS:localhost,IP:127.0.0.1
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
EXT
openssl x509 -req -in "$tmp/server.csr" -CA "$tmp/ca.pem" -CAkey "$tmp/ca.key" -CAcreateserial \
    -sha256 -days 825 -extfile "$tmp/ext.cnf" -out "$tmp/server.pem" 2>/dev/null
cat "$tmp/server.pem" "$tmp/ca.pem" >"$tmp/chain.pem"

chmod 644 "$tmp/ca.pem" "$tmp/server.pem" "$tmp/chain.pem"
for f in ca.key ca.pem server.key server.pem chain.pem; do mv -f "$tmp/$f" "./$f"; done
