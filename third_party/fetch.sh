#!/bin/sh
# Fetch pinned third-party sources into third_party/build (git-ignored) and verify them.
# Source: Debian's source archive (mirror taken from this machine's own apt configuration),
# falling back to the upstream release tarballs when no Debian archive is configured.
# Usage: fetch.sh OUTDIR
set -eu
OUT=${1:?usage: fetch.sh OUTDIR}
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/versions.sh"
mkdir -p "$OUT"
cd "$OUT"

verify() { # file sha256
	[ -f "$1" ] || return 1
	got=$(sha256sum "$1" | cut -d' ' -f1)
	[ "$got" = "$2" ] && return 0
	echo "fetch: checksum mismatch for $1: got $got, want $2" >&2
	rm -f "$1"
	return 1
}

apt_uri() {
	u=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
	[ -n "$u" ] || u=$(awk '$1=="deb"{for(i=2;i<=NF;i++) if($i ~ /^[a-z]+:\/\//){print $i; exit}}' \
		/etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | head -n 1 || true)
	echo "$u"
}

fetch_apt() {
	command -v apt-get >/dev/null 2>&1 || return 1
	uri=$(apt_uri)
	[ -n "$uri" ] || return 1
	state=$OUT/.apt
	mkdir -p "$state/lists/partial" "$state/cache/archives/partial" "$state/sources.list.d"
	printf 'Types: deb-src\nURIs: %s\nSuites: bookworm trixie\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
		"$uri" >"$state/sources.list.d/src.sources"
	set -- -o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$state/sources.list.d" \
		-o "Dir::State::Lists=$state/lists" -o "Dir::Cache=$state/cache" \
		-o Dir::State::status=/var/lib/dpkg/status -o "APT::Sandbox::User=$(id -un)" -o Debug::NoLocking=1
	if [ ! -f "$state/updated" ]; then
		apt-get "$@" update -q >"$state/update.log" 2>&1 || { cat "$state/update.log" >&2; return 1; }
		touch "$state/updated"
	fi
	verify "$MBEDTLS_DEB_TAR" "$MBEDTLS_DEB_SHA256" ||
		apt-get "$@" source --tar-only "$MBEDTLS_DEB_SRC" >/dev/null || return 1
	verify "$JSMN_DEB_TAR" "$JSMN_DEB_SHA256" ||
		apt-get "$@" source --tar-only "$JSMN_DEB_SRC" >/dev/null || return 1
	verify "$MBEDTLS_DEB_TAR" "$MBEDTLS_DEB_SHA256" && verify "$JSMN_DEB_TAR" "$JSMN_DEB_SHA256"
}

fetch_upstream() {
	dl() { # url file
		if command -v curl >/dev/null 2>&1; then curl -fsSL -o "$2" "$1"
		else wget -q -O "$2" "$1"; fi
	}
	verify "$MBEDTLS_UP_TAR" "$MBEDTLS_UP_SHA256" || { dl "$MBEDTLS_UP_URL" "$MBEDTLS_UP_TAR" &&
		verify "$MBEDTLS_UP_TAR" "$MBEDTLS_UP_SHA256"; } || return 1
	verify "$JSMN_UP_TAR" "$JSMN_UP_SHA256" || { dl "$JSMN_UP_URL" "$JSMN_UP_TAR" &&
		verify "$JSMN_UP_TAR" "$JSMN_UP_SHA256"; } || return 1
	MBEDTLS_DEB_TAR=$MBEDTLS_UP_TAR JSMN_DEB_TAR=$JSMN_UP_TAR
}

# The built-in roots: the pinned ca-certificates .deb through the same private apt state (a
# binary index of one suite), each mozilla/NAME.crt turned into DER with base64(1) and checked
# against its pinned fingerprint. Writes anchors/NAME.der and anchors/list (names in order).
fetch_anchors() {
	if ! verify "$CACERTS_DEB" "$CACERTS_DEB_SHA256" 2>/dev/null; then
		command -v apt-get >/dev/null 2>&1 || { echo "fetch: apt-get needed for $CACERTS_DEB" >&2; return 1; }
		uri=$(apt_uri)
		[ -n "$uri" ] || { echo "fetch: no Debian archive configured for $CACERTS_DEB" >&2; return 1; }
		state=$OUT/.apt-deb
		mkdir -p "$state/lists/partial" "$state/cache/archives/partial" "$state/sources.list.d"
		printf 'Types: deb\nURIs: %s\nSuites: %s\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
			"$uri" "$CACERTS_SUITE" >"$state/sources.list.d/deb.sources"
		set -- -o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$state/sources.list.d" \
			-o "Dir::State::Lists=$state/lists" -o "Dir::Cache=$state/cache" \
			-o Dir::State::status=/var/lib/dpkg/status -o "APT::Sandbox::User=$(id -un)" -o Debug::NoLocking=1
		if [ ! -f "$state/updated" ]; then
			apt-get "$@" update -q >"$state/update.log" 2>&1 || { cat "$state/update.log" >&2; return 1; }
			touch "$state/updated"
		fi
		apt-get "$@" download "ca-certificates=$CACERTS_VERSION" >/dev/null || return 1
		[ -f "$CACERTS_DEB" ] || mv -f ca-certificates_*"$CACERTS_VERSION"*_all.deb "$CACERTS_DEB" 2>/dev/null || true
		verify "$CACERTS_DEB" "$CACERTS_DEB_SHA256" || return 1
	fi
	rm -rf cacerts anchors
	mkdir -p cacerts anchors
	dpkg-deb -x "$CACERTS_DEB" cacerts
	i=1
	while eval "a=\${ANCHOR_$i:-}"; [ -n "$a" ]; do
		name=${a% *} fp=${a#* } i=$((i + 1))
		crt=cacerts/usr/share/ca-certificates/mozilla/$name.crt
		[ -f "$crt" ] || { echo "fetch: $name.crt is not in $CACERTS_DEB" >&2; return 1; }
		sed -n '/-----BEGIN CERTIFICATE-----/,/-----END CERTIFICATE-----/p' "$crt" | grep -v -- ----- |
			base64 -d >"anchors/$name.der"
		verify "anchors/$name.der" "$fp" || { echo "fetch: $name: fingerprint differs from the pin" >&2; return 1; }
		echo "$name" >>anchors/list
	done
	echo "fetch: $(wc -l <anchors/list) built-in roots from $CACERTS_DEB verified"
}

if verify "$MBEDTLS_DEB_TAR" "$MBEDTLS_DEB_SHA256" 2>/dev/null && verify "$JSMN_DEB_TAR" "$JSMN_DEB_SHA256" 2>/dev/null; then
	:
elif fetch_apt; then
	echo "fetch: sources from the Debian archive verified"
elif fetch_upstream; then
	echo "fetch: upstream release tarballs verified"
else
	echo "fetch: could not fetch mbedTLS $MBEDTLS_VERSION / jsmn $JSMN_VERSION (no Debian source archive, no upstream access)" >&2
	exit 1
fi

rm -rf "mbedtls-$MBEDTLS_VERSION" "jsmn-$JSMN_VERSION"
case "$MBEDTLS_DEB_TAR" in
*.bz2) tar xjf "$MBEDTLS_DEB_TAR" ;;
*) tar xzf "$MBEDTLS_DEB_TAR" ;;
esac
tar xzf "$JSMN_DEB_TAR"
[ -f "jsmn-$JSMN_VERSION/jsmn.h" ] || { echo "fetch: jsmn.h missing" >&2; exit 1; }
verify "jsmn-$JSMN_VERSION/jsmn.h" "$JSMN_H_SHA256"
for p in "$HERE"/patches/mbedtls-*.patch; do
	[ -f "$p" ] || continue
	patch -d "mbedtls-$MBEDTLS_VERSION" -p1 -s --forward <"$p"
	echo "fetch: applied $(basename "$p")"
done
fetch_anchors || { echo "fetch: could not get the built-in trust anchors" >&2; exit 1; }
touch .stamp
