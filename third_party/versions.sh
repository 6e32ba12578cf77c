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
