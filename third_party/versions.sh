# Pinned third-party versions and checksums (sourced by fetch.sh).
# The Debian .orig tarballs are the primary source and their sums were verified here. The upstream
# fallback pins the same sums on the assumption that Debian's .orig files are the unmodified
# upstream release archives; that could not be checked from a machine without upstream access,
# so a mismatch there fails loudly rather than building from an unverified file.
MBEDTLS_VERSION=3.6.6
MBEDTLS_DEB_SRC=mbedtls/trixie
MBEDTLS_DEB_TAR=mbedtls_3.6.6.orig.tar.bz2
MBEDTLS_DEB_SHA256=8fb65fae8dcae5840f793c0a334860a411f884cc537ea290ce1c52bb64ca007a
MBEDTLS_UP_URL=https://github.com/Mbed-TLS/mbedtls/releases/download/mbedtls-3.6.6/mbedtls-3.6.6.tar.bz2
MBEDTLS_UP_TAR=mbedtls-3.6.6.tar.bz2
MBEDTLS_UP_SHA256=8fb65fae8dcae5840f793c0a334860a411f884cc537ea290ce1c52bb64ca007a
JSMN_VERSION=1.1.0
JSMN_DEB_SRC=jsmn/bookworm
JSMN_DEB_TAR=jsmn_1.1.0.orig.tar.gz
JSMN_DEB_SHA256=5f0913a10657fe7ec8d5794ccf00a01000e3e1f2f1e1f143c34a0f7b47edcb38
JSMN_UP_URL=https://github.com/zserge/jsmn/archive/refs/tags/v1.1.0.tar.gz
JSMN_UP_TAR=jsmn-1.1.0.tar.gz
JSMN_UP_SHA256=5f0913a10657fe7ec8d5794ccf00a01000e3e1f2f1e1f143c34a0f7b47edcb38
JSMN_H_SHA256=1ed6154dedf009212a08a397e9c4ed50a0ce31d5a8301bb294e137ae3188c13b
# Built-in trust anchors (used only when no CA bundle or directory is found): Debian's
# ca-certificates binary package, the eight roots that Alibaba Cloud's API endpoints chain to
# or that Alibaba tells embedded clients to carry for rotation. The .deb is pinned by version
# and SHA-256; each root is pinned again by the SHA-256 fingerprint of its DER encoding (what
# `openssl x509 -fingerprint -sha256` prints), so a different file can never slip in.
# ANCHOR_N="NAME SHA256" (NAME.crt in mozilla/), numbered from 1 without gaps; one line each
# because mk/build.mk includes this file too.
CACERTS_VERSION=20230311+deb12u1
CACERTS_SUITE=bookworm
CACERTS_DEB=ca-certificates_20230311+deb12u1_all.deb
CACERTS_DEB_SHA256=0d5f444f594e48c1e16a41d8fc628a09b24c658916a1274025c2330f2a802bed
ANCHOR_1="GlobalSign_Root_CA ebd41040e4bb3ec742c9e381d31ef2a41a48b6685c96e7cef3c1df6cd4331c99"
ANCHOR_2="GlobalSign_Root_CA_-_R3 cbb522d7b7f127ad6a0113865bdf1cd4102e7d0759af635a7cf4720dc963c53b"
ANCHOR_3="GlobalSign_Root_CA_-_R6 2cabeafe37d06ca22aba7391c0033d25982952c453647349763a3ab5ad6ccf69"
ANCHOR_4="GlobalSign_Root_R46 4fa3126d8d3a11d1c4855a4f807cbad6cf919d3a5a88b03bea2c6372d93c40c9"
ANCHOR_5="GlobalSign_Root_E46 cbb9c44d84b8043e1050ea31a69f514955d7bfd2e2c6b49301019ad61d9f5058"
ANCHOR_6="DigiCert_Global_Root_CA 4348a0e9444c78cb265e058d5e8944b4d84f9662bd26db257f8934a443c70161"
ANCHOR_7="DigiCert_Global_Root_G2 cb3ccbb76031e5e0138f8dd39a23f9de47ffc35e43c1144cea27d46a5ab1cb5f"
ANCHOR_8="DigiCert_Global_Root_G3 31ad6648f8104138c738f39ea4320133393e3a18cc02296ef97c2ac9ef6731d0"
