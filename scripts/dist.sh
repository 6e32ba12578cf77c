#!/bin/sh
# make dist: NAME.tar.gz with the tree (every file git tracks, as in the working tree) and the
# third-party files fetch.sh downloaded into TPDIR (top level only: not the unpacked trees, not
# the apt state). Each bundled file must have its SHA-256 pinned in third_party/versions.sh, so
# the tarball carries only verified sources; unpacked, `make` then fetches nothing.
# Reproducible: sorted names, owner 0, mode from git, mtime SOURCE_DATE_EPOCH (default: the
# last commit's date), gzip -n. Usage: dist.sh NAME TPDIR
set -eu
NAME=${1:?usage: dist.sh NAME TPDIR}
TPDIR=${2:?usage: dist.sh NAME TPDIR}
if ! command -v git >/dev/null 2>&1 || ! git rev-parse --git-dir >/dev/null 2>&1; then
	echo "dist: needs a git checkout (the file list is git ls-files)" >&2
	exit 2
fi
: "${SOURCE_DATE_EPOCH:=$(git log -1 --format=%ct)}"
pinned=$(sed -n 's/^[A-Z0-9_]*_SHA256=\([0-9a-f]\{64\}\)$/\1/p' third_party/versions.sh)
stage=$(mktemp -d "${TMPDIR:-/tmp}/ecs-dist.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir "$stage/$NAME"
# The tree: tracked files that exist (a file deleted but not yet committed is left out).
git ls-files -z | xargs -0 sh -c 'for f; do [ -f "$f" ] && printf "%s\n" "$f"; done' sh >"$stage/files"
tar -cf - -T "$stage/files" | tar -C "$stage/$NAME" -xf -
# The source date travels with the tarball (no git there): mk/build.mk takes the binary's
# "clock is wrong" floor from it, so a build of the tarball equals one of the checkout.
echo "$SOURCE_DATE_EPOCH" >"$stage/$NAME/.source-date-epoch"
n=0
mkdir -p "$stage/$NAME/$TPDIR"
for f in "$TPDIR"/*; do
	[ -f "$f" ] || continue
	sum=$(sha256sum "$f" | cut -d' ' -f1)
	if ! printf '%s\n' "$pinned" | grep -qx "$sum"; then
		echo "dist: $f has no SHA-256 pinned in third_party/versions.sh ($sum): not bundling an unverified file" >&2
		exit 1
	fi
	cp "$f" "$stage/$NAME/$TPDIR/"
	n=$((n + 1))
done
[ "$n" -gt 0 ] || { echo "dist: nothing fetched in $TPDIR (run make fetch)" >&2; exit 1; }
tar -C "$stage" --sort=name --mtime="@$SOURCE_DATE_EPOCH" --owner=0 --group=0 --numeric-owner \
	--mode='u+rw,go+r,go-w' --format=gnu -cf - "$NAME" | gzip -9n >"$NAME.tar.gz.tmp"
mv "$NAME.tar.gz.tmp" "$NAME.tar.gz"
echo "dist: $NAME.tar.gz ($(wc -c <"$NAME.tar.gz") bytes; $n verified third-party files bundled)"
