#!/bin/sh
# Soft-float musl for MIPS32r2 router CPUs (many have no FPU), built into build/sysroot-ARCH.
#
#   musl-mips.sh mipsel|mips                  build build/sysroot-ARCH/bin/musl-gcc (idempotent:
#                                             returns at once when built from the same inputs)
#   musl-mips.sh check-fpu mipsel|mips FILE…  fail if FILE contains any FPU instruction
#
# Why not Debian's packages: musl-dev:mipsel is hard-float (its printf_core saves $f20-$f24 with
# sdc1, so every printf dies with SIGILL on an FPU-less CPU such as qemu's -cpu 24Kc) and there is
# no musl-dev:mips at all. So musl comes from Debian's source package (bookworm's musl 1.2.3-1
# has no Debian patches: the orig tarball is the whole source), pinned by checksum, fetched with a
# private apt state so that /etc/apt and /var/lib/apt stay untouched, and built with Debian's
# gcc-ARCH-linux-gnu and -msoft-float.
#
# Debian's cross libgcc.a is hard-float only: its __adddf3 is `add.d $f0,$f12,$f14`, i.e. FPU
# instructions and the hard-float calling convention (wrong results even on a CPU with an FPU).
# musl's vfprintf (fmt_fp, for %e %f %g %a) and frexp need __adddf3 __subdf3 __muldf3 __nedf2
# __fixdfsi __fixunsdfsi __floatsidf __floatunsidf, so any program calling printf would link
# them. Soft-float versions are built from glibc's soft-fp (the code libgcc's own soft-float
# builds use; LGPL with the libgcc linking exception) into sysroot/lib/libsoftfp.a, which the
# musl-gcc specs put ahead of libgcc.a. libgcc.a still supplies the integer helpers (__divdi3 …):
# ld warns "uses -msoft-float … uses -mhard-float" for those; they contain no FPU instruction.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)

MUSL_VERSION=1.2.3
MUSL_DEB_SRC=musl/bookworm
MUSL_TAR=musl_$MUSL_VERSION.orig.tar.gz
MUSL_SHA256=7d5b0b6062521e4627e099e4c9dc8248d32a30285e959b7eecaa780cf8cfd4a4
MUSL_CFLAGS="-msoft-float -Os"
GLIBC_DEB_SRC=glibc/bookworm
GLIBC_VERSION=2.36
GLIBC_TAR=glibc_$GLIBC_VERSION.orig.tar.xz
GLIBC_SHA256=a543c02070d46ccaf866957efd13f10c924daa74c86a90a0254db09a92a708ee
SOFTFP="adddf3 subdf3 muldf3 divdf3 negdf2 eqdf2 gedf2 ledf2 unorddf2 fixdfsi fixunsdfsi fixdfdi
	fixunsdfdi floatsidf floatunsidf floatdidf floatundidf extendsfdf2 truncdfsf2 addsf3 subsf3
	mulsf3 divsf3 negsf2 eqsf2 gesf2 lesf2 unordsf2 fixsfsi fixunssfsi fixsfdi fixunssfdi
	floatsisf floatunsisf floatdisf floatundisf"

usage() { echo "usage: musl-mips.sh mipsel|mips  |  musl-mips.sh check-fpu mipsel|mips FILE..." >&2; exit 2; }
arch_ok() { case "${1:-}" in mipsel | mips) ;; *) usage ;; esac; }

# Every instruction that touches coprocessor 1: any $fN operand, FPU loads/stores and moves,
# FCSR access, branches on the FP condition, compares and conversions.
fpu_report() { # triple file -> "function: count" lines, empty when clean
	"$1-objdump" -d --no-show-raw-insn "$2" | awk '
		/^[0-9a-f]+ <.*>:$/ { fn = $2; next }
		/^ *[0-9a-f]+:\t/ {
			split($0, f, "\t"); m = f[2]; ops = f[3]
			if (ops ~ /\$f[0-9]/ || m ~ /^([ls][wd]x?c1|[ls]uxc1|m[tf]h?c1|[ct]fc1|bc1[ft]l?|c\.[a-z]+\.[sdp]s?|cvt\.|trunc\.|round\.|ceil\.|floor\.)/)
				n[fn]++
		}
		END { for (k in n) printf "%s %d\n", k, n[k] }'
}

if [ "${1:-}" = check-fpu ]; then
	arch_ok "${2:-}"
	T=$2-linux-gnu
	shift 2
	[ $# -gt 0 ] || usage
	bad=0
	for f in "$@"; do
		r=$(fpu_report "$T" "$f")
		if [ -n "$r" ]; then
			echo "check-fpu: $f has FPU instructions in:" >&2
			printf '%s\n' "$r" | sed 's/^/  /' >&2
			bad=1
		else
			echo "check-fpu: $f: no FPU instructions"
		fi
	done
	exit $bad
fi

ARCH=${1:-}
arch_ok "$ARCH"
TRIPLE=$ARCH-linux-gnu
SRC=$ROOT/third_party/build/musl # download cache: survives `make clean`, like mbedTLS's
SYSROOT=$ROOT/build/sysroot-$ARCH
WORK=$ROOT/build/musl-$ARCH
command -v "$TRIPLE-gcc" >/dev/null 2>&1 || {
	echo "musl-mips: $TRIPLE-gcc missing (sh scripts/deps.sh cross $ARCH)" >&2
	exit 1
}
# Everything the sysroot depends on; any change rebuilds it.
KEY="musl $MUSL_SHA256 softfp $GLIBC_SHA256 cflags=$MUSL_CFLAGS gcc=$("$TRIPLE-gcc" -dumpfullversion) script=$(sha256sum "$0" | cut -d' ' -f1)"
STAMP=$SYSROOT/.stamp
built() { [ -x "$SYSROOT/bin/musl-gcc" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$KEY" ]; }
built && exit 0

mkdir -p "$SRC" "$ROOT/build"
# Serialise concurrent builds of the same sysroot (two make runs in one tree).
if command -v flock >/dev/null 2>&1 && [ -z "${MUSL_MIPS_LOCKED:-}" ]; then
	MUSL_MIPS_LOCKED=1 exec flock "$ROOT/build/.musl-$ARCH.lock" sh "$0" "$@"
fi
built && exit 0

verify() { # file sha256
	[ -f "$1" ] || return 1
	got=$(sha256sum "$1" | cut -d' ' -f1)
	[ "$got" = "$2" ] && return 0
	echo "musl-mips: checksum mismatch for $1: got $got, want $2" >&2
	rm -f "$1"
	return 1
}

apt_uri() { # the Debian mirror this machine already uses (as third_party/fetch.sh does)
	u=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
	[ -n "$u" ] || u=$(awk '$1=="deb"{for(i=2;i<=NF;i++) if($i ~ /^[a-z]+:\/\//){print $i; exit}}' \
		/etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | head -n 1 || true)
	echo "$u"
}

fetch() ( # private apt state in $SRC/.apt; /etc/apt and /var/lib/apt are only read
	cd "$SRC"
	exec 9>"$SRC/.lock"
	if command -v flock >/dev/null 2>&1; then flock 9; fi
	verify "$MUSL_TAR" "$MUSL_SHA256" 2>/dev/null && verify "$GLIBC_TAR" "$GLIBC_SHA256" 2>/dev/null && exit 0
	command -v apt-get >/dev/null 2>&1 || { echo "musl-mips: apt-get missing" >&2; exit 1; }
	uri=$(apt_uri)
	[ -n "$uri" ] || { echo "musl-mips: no Debian mirror in /etc/apt" >&2; exit 1; }
	state=$SRC/.apt
	mkdir -p "$state/lists/partial" "$state/cache/archives/partial" "$state/sources.list.d"
	printf 'Types: deb-src\nURIs: %s\nSuites: bookworm\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
		"$uri" >"$state/sources.list.d/src.sources"
	aptp() {
		apt-get -o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$state/sources.list.d" \
			-o "Dir::State::Lists=$state/lists" -o "Dir::Cache=$state/cache" \
			-o Dir::State::status=/var/lib/dpkg/status -o "APT::Sandbox::User=$(id -un)" \
			-o Debug::NoLocking=1 "$@"
	}
	if [ ! -f "$state/updated" ]; then
		aptp update -q >"$state/update.log" 2>&1 || { cat "$state/update.log" >&2; exit 1; }
		touch "$state/updated"
	fi
	get() { # source-package tarball sha256
		verify "$2" "$3" 2>/dev/null && return 0
		aptp source --tar-only "$1" >"$state/source.log" 2>&1 || { cat "$state/source.log" >&2; return 1; }
		verify "$2" "$3" || return 1
		echo "musl-mips: $2 from the Debian archive verified"
	}
	get "$MUSL_DEB_SRC" "$MUSL_TAR" "$MUSL_SHA256" && get "$GLIBC_DEB_SRC" "$GLIBC_TAR" "$GLIBC_SHA256"
)

fetch || { echo "musl-mips: could not fetch $MUSL_TAR / $GLIBC_TAR from the Debian archive" >&2; exit 1; }

t0=$(date +%s)
echo "musl-mips: building soft-float musl $MUSL_VERSION for $ARCH into build/sysroot-$ARCH"
rm -rf "$WORK" "$SYSROOT"
mkdir -p "$WORK/musl" "$WORK/softfp"
tar xzf "$SRC/$MUSL_TAR" -C "$WORK/musl" --strip-components=1
cd "$WORK/musl"
# Run from make (`make ARCH=mipsel`), MAKEFLAGS would carry the command-line ARCH=mipsel into
# musl's own make and override its ARCH = mips; a CC or LDFLAGS in the environment would
# replace the cross compiler.
clean_env() { env -u MAKEFLAGS -u MFLAGS -u MAKEOVERRIDES -u MAKELEVEL -u ARCH -u CC -u CPPFLAGS \
	-u LDFLAGS -u LIBCC -u CROSS_COMPILE "$@"; }
clean_env ./configure --target="$TRIPLE" CROSS_COMPILE="$TRIPLE-" CFLAGS="$MUSL_CFLAGS" --prefix="$SYSROOT" \
	--syslibdir="$SYSROOT/lib" --disable-shared --enable-wrapper=gcc >configure.log 2>&1 ||
	{ cat configure.log >&2; exit 1; }
# configure takes the subarch from the compiler flags: it must be the soft-float one (el-sf, sf).
sub=$(sed -n 's/^SUBARCH = //p' config.mak)
case "$sub" in
*sf) ;;
*) echo "musl-mips: expected a soft-float subarch, configure chose '$sub'" >&2; exit 1 ;;
esac
clean_env make -j"$(nproc 2>/dev/null || echo 2)" >build.log 2>&1 || { tail -n 40 build.log >&2; exit 1; }
clean_env make install >install.log 2>&1 || { tail -n 40 install.log >&2; exit 1; }
[ -x "$SYSROOT/bin/musl-gcc" ] || { echo "musl-mips: no musl-gcc wrapper installed" >&2; exit 1; }
CC=$SYSROOT/bin/musl-gcc

# Soft-float libgcc helpers from glibc's soft-fp.
cd "$WORK/softfp"
G=glibc-$GLIBC_VERSION
tar xJf "$SRC/$GLIBC_TAR" --strip-components=1 --wildcards "$G/soft-fp/*" "$G/stdlib/longlong.h" \
	"$G/sysdeps/mips/mips32/sfp-machine.h"
cat >soft-fp/sfp-machine.h <<'EOF'
/* glibc's MIPS o32 definitions, plus what glibc's own headers would add. */
#include <endian.h>
#include "../sysdeps/mips/mips32/sfp-machine.h"
#define strong_alias(name, aliasname) \
	extern __typeof(name) aliasname __attribute__((alias(#name)));
EOF
cp stdlib/longlong.h soft-fp/
for f in $SOFTFP; do
	"$CC" $MUSL_CFLAGS -ffunction-sections -I soft-fp -c "soft-fp/$f.c" -o "$f.o"
done
"$TRIPLE-ar" rcs "$SYSROOT/lib/libsoftfp.a" *.o
# Link it ahead of Debian's hard-float libgcc.a.
awk -v lib="$SYSROOT/lib/libsoftfp.a" 'prev == "*libgcc:" { $0 = lib " " $0 } { print; prev = $0 }' \
	"$SYSROOT/lib/musl-gcc.specs" >specs.new
grep -q libsoftfp.a specs.new || { echo "musl-mips: could not add libsoftfp.a to musl-gcc.specs" >&2; exit 1; }
mv specs.new "$SYSROOT/lib/musl-gcc.specs"

# Self-test: floating point through printf and strtod, static, no FPU instruction anywhere, and
# (when qemu-user is here) the right output on an FPU-less 24Kc.
cat >t.c <<'EOF'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
int main(int argc, char **argv)
{
	volatile double a = 1.5, b = argc + 0.25;
	char s[128];
	(void)argv;
	snprintf(s, sizeof(s), "%.3f %g %e %a %d %.2f", a * b, a / b, a - b, a + b, (int)(a * 10),
	         strtod("2.5e3", 0) / 7);
	puts(s);
	return strcmp(s, "1.875 1.2 2.500000e-01 0x1.6p+1 15 357.14") != 0;
}
EOF
"$CC" $MUSL_CFLAGS -static -o t t.c 2>/dev/null
r=$(fpu_report "$TRIPLE" t)
[ -z "$r" ] || { echo "musl-mips: self-test binary has FPU instructions:" >&2; echo "$r" >&2; exit 1; }
if command -v "qemu-$ARCH-static" >/dev/null 2>&1; then
	out=$("qemu-$ARCH-static" -cpu 24Kc ./t) || { echo "musl-mips: self-test failed under qemu -cpu 24Kc: $out" >&2; exit 1; }
fi

printf '%s\n' "$KEY" >"$STAMP"
cd "$ROOT"
rm -rf "$WORK"
echo "musl-mips: build/sysroot-$ARCH ready (subarch $sub, soft-float helpers, $(($(date +%s) - t0)) s)"
