#!/bin/sh
# Throwaway PKI for the transport tests (openssl 3.0 CLI only). Idempotent: a finished
# OUTDIR (marked by OUTDIR/.done) is left alone; a half-made one is rebuilt from scratch.
#
#   CAs:    rsa-ca (RSA-2048), ec-ca (ECDSA P-384), other-ca (RSA-2048, NOT in the bundle),
#           int-ca (RSA-2048 intermediate signed by rsa-ca)
#   leaves: rsa        RSA-2048, SAN DNS:localhost,IP:127.0.0.1, by rsa-ca
#           ec         ECDSA P-256, same SAN, by ec-ca
#           wronghost  RSA-2048, SAN DNS:wrong.example only, by rsa-ca
#           expired    RSA-2048, localhost SAN, valid 2020-01-01..2020-02-01, by rsa-ca
#           notyet     RSA-2048, localhost SAN, valid 2099-01-01..2100-01-01, by rsa-ca
#           unknownca  RSA-2048, localhost SAN, by other-ca
#           chain      RSA-2048, localhost SAN, by int-ca; chain.crt = leaf + int-ca
#   bundle.pem = rsa-ca + ec-ca; cadir/rsa-ca.crt, cadir/ec-ca.crt (OpenWrt style)
#
# Each leaf is NAME.crt + NAME.key. openssl 3.0's `x509 -req` has no -not_before/-not_after,
# so the back- and forward-dated leaves are signed with `openssl ca -startdate/-enddate`
# and a minimal throwaway config.
set -eu

[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
OUT=$1
if [ -f "$OUT/.done" ]; then
	exit 0
fi
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
cd "$OUT"
rm -rf ./* ./.done
mkdir -p cadir ca-db

ossl() { openssl "$@" 2>>"$OUT/openssl.log" >>"$OUT/openssl.log" || {
	echo "mkpki: openssl $* failed; see $OUT/openssl.log" >&2
	exit 1
}; }

# --- CAs -----------------------------------------------------------------------------------
ca_ext='basicConstraints=critical,CA:TRUE
keyUsage=critical,keyCertSign,cRLSign
subjectKeyIdentifier=hash'
printf '%s\n' "$ca_ext" >ca.ext

mkca() { # name "CN" keyopts...
	n=$1 cn=$2
	shift 2
	ossl req -x509 -new "$@" -nodes -keyout "$n.key" -out "$n.crt" -days 3650 \
		-subj "/O=ecs-ca-status tests/CN=$cn" \
		-addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign"
}
mkca rsa-ca "Test RSA CA" -newkey rsa:2048 -sha256
mkca ec-ca "Test EC CA" -newkey ec -pkeyopt ec_paramgen_curve:P-384 -sha384
mkca other-ca "Unknown Test CA" -newkey rsa:2048 -sha256

# intermediate CA signed by rsa-ca
ossl req -new -newkey rsa:2048 -nodes -keyout int-ca.key -out int-ca.csr \
	-subj "/O=ecs-ca-status tests/CN=Test Intermediate CA"
ossl x509 -req -in int-ca.csr -CA rsa-ca.crt -CAkey rsa-ca.key -set_serial 0x1001 \
	-days 3650 -sha256 -out int-ca.crt -extfile ca.ext

# --- leaves ----------------------------------------------------------------------------------
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n' >san.ext
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n' >san-ec.ext
printf 'subjectAltName=DNS:wrong.example\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' >wrong.ext

serial=4096
leaf() { # name ca keyopt extfile CN
	n=$1 ca=$2 kopt=$3 ext=$4 cn=$5
	serial=$((serial + 1))
	ossl req -new -newkey "$kopt" -nodes -keyout "$n.key" -out "$n.csr" \
		-subj "/O=ecs-ca-status tests/CN=$cn"
	ossl x509 -req -in "$n.csr" -CA "$ca.crt" -CAkey "$ca.key" -set_serial "$serial" \
		-days 825 -sha256 -out "$n.crt" -extfile "$ext"
}
leaf rsa rsa-ca rsa:2048 san.ext localhost
ossl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ec.key -out ec.csr \
	-subj "/O=ecs-ca-status tests/CN=localhost"
ossl x509 -req -in ec.csr -CA ec-ca.crt -CAkey ec-ca.key -set_serial 0x2001 -days 825 \
	-sha384 -out ec.crt -extfile san-ec.ext
leaf wronghost rsa-ca rsa:2048 wrong.ext wrong.example
leaf unknownca other-ca rsa:2048 san.ext localhost
leaf chain-leaf int-ca rsa:2048 san.ext localhost
cat chain-leaf.crt int-ca.crt >chain.crt
cp chain-leaf.key chain.key

# --- back/forward dated leaves via `openssl ca` ------------------------------------------------
: >ca-db/index.txt
echo 3001 >ca-db/serial
cat >ca.cnf <<EOF
[ ca ]
default_ca = testca
[ testca ]
dir = $OUT/ca-db
database = \$dir/index.txt
serial = \$dir/serial
new_certs_dir = \$dir
certificate = $OUT/rsa-ca.crt
private_key = $OUT/rsa-ca.key
default_md = sha256
policy = anything
unique_subject = no
copy_extensions = none
x509_extensions = leaf_ext
[ anything ]
organizationName = optional
commonName = supplied
[ leaf_ext ]
subjectAltName = DNS:localhost,IP:127.0.0.1
extendedKeyUsage = serverAuth
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
EOF
dated() { # name start end
	ossl req -new -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" \
		-subj "/O=ecs-ca-status tests/CN=localhost"
	ossl ca -batch -config ca.cnf -notext -in "$1.csr" -out "$1.crt" \
		-startdate "$2" -enddate "$3"
}
dated expired 20200101000000Z 20200201000000Z
dated notyet 20990101000000Z 21000101000000Z

# --- bundles -------------------------------------------------------------------------------
cat rsa-ca.crt ec-ca.crt >bundle.pem
cp rsa-ca.crt cadir/rsa-ca.crt
cp ec-ca.crt cadir/ec-ca.crt
rm -f ./*.csr
touch .done
