#!/bin/sh
# make release: the static binaries an appliance builder downloads, one per ARCH, named
# ecs-ca-status-VERSION-ARCH, and SHA256SUMS over them, in DIR. Each ARCH is built with the
# cross machinery of mk/arch.mk (make ARCH=...); the toolchains are installed by deps.sh.
# Usage: release.sh VERSION DIR ARCH...
set -eu
VERSION=${1:?usage: release.sh VERSION DIR ARCH...}
DIR=${2:?usage: release.sh VERSION DIR ARCH...}
shift 2
[ $# -gt 0 ] || { echo "release: no ARCH given" >&2; exit 2; }
host=$(uname -m)
mkdir -p "$DIR"
rm -f "$DIR/SHA256SUMS"
for a in "$@"; do
	make --no-print-directory ARCH="$a" all
	if [ "$a" = "$host" ]; then src=ecs-ca-status; else src=ecs-ca-status-$a; fi
	cp "$src" "$DIR/ecs-ca-status-$VERSION-$a"
done
(cd "$DIR" && for a in "$@"; do sha256sum "ecs-ca-status-$VERSION-$a"; done >SHA256SUMS.tmp &&
	mv SHA256SUMS.tmp SHA256SUMS && cat SHA256SUMS)
echo "release: $# binaries and SHA256SUMS in $DIR"
