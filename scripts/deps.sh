#!/bin/sh
# Installs (as root, with apt-get) or names (otherwise) what the build and the tests need.
# Usage: deps.sh build|demo|test|package|cross ARCH [test]
#   build    the static musl build (make, make install, make dist)
#   demo     build + what tests/demo.py runs (python3, openssl for the throwaway PKI)
#   test     everything make check runs (compilers, cmocka, sanitizers, valgrind, man-page lint,
#            bash and zsh for the completion tests, git and unshare for the dist tests)
#   package  make check-package: dpkg-buildpackage with debhelper, lintian
#   cross    cross toolchain and qemu-user for ARCH; with "test" also what check-cross runs
set -eu
need=""
want() { # command package
	command -v "$1" >/dev/null 2>&1 || need="$need $2"
}
want_file() { # path package
	[ -e "$1" ] || need="$need $2"
}
want_arch_musl() { # arch
	case "$1" in
	x86_64 | native) want musl-gcc musl-tools ;;
	# musl-dev:ARCH pulls in gcc-<gnu-triple> and installs the <musl-triple>-gcc wrapper.
	aarch64) want aarch64-linux-musl-gcc musl-dev:arm64; want qemu-aarch64-static qemu-user-static ;;
	armhf) want arm-linux-musleabihf-gcc musl-dev:armhf; want qemu-arm-static qemu-user-static ;;
	# Soft-float musl built by scripts/musl-mips.sh: the cross gcc (with binutils: ar, objdump),
	# xz for glibc's soft-fp sources, flock to serialise concurrent builds.
	mipsel | mips)
		want "$1-linux-gnu-gcc" "gcc-$1-linux-gnu"; want xz xz-utils; want flock util-linux
		want "qemu-$1-static" qemu-user-static
		;;
	*) echo "deps: unknown ARCH '$1' (x86_64 aarch64 armhf mipsel mips)" >&2; exit 2 ;;
	esac
	want file file # the Makefile and tests/run_all.py report `file` output
}
want_build() {
	# file: the "built ..." line and the static-binary check report its output
	want musl-gcc musl-tools; want make make; want bzip2 bzip2; want patch patch
	want file file
}
case "${1:-build}" in
build) want_build ;;
demo) want_build; want python3 python3; want openssl openssl ;;
package)
	want_build; want dpkg-buildpackage dpkg-dev; want dh debhelper; want lintian lintian
	want python3 python3
	;;
test)
	want_build
	want gcc gcc; want clang clang; want python3 python3; want openssl openssl
	want mandoc mandoc; want bash bash; want zsh zsh; want git git; want unshare util-linux
	want_file /usr/share/bash-completion/bash_completion bash-completion
	want_file /usr/include/cmocka.h libcmocka-dev
	want valgrind valgrind; want strace strace; want file file; want curl curl
	want unshare util-linux; want bash bash # test_never_lies.py: private tmpfs, ulimit, PIPESTATUS
	want dnsmasq dnsmasq-base; want ip iproute2 # tests/dns: a DNS server in a private network
	# -o prom is checked with a real text-format parser (run with /usr/bin/python3)
	want_file /usr/lib/python3/dist-packages/prometheus_client/parser.py python3-prometheus-client
	clangrt=$(ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a 2>/dev/null | head -n 1 || true)
	[ -n "$clangrt" ] || need="$need libclang-rt-dev"
	;;
cross) # cross ARCH [test]: toolchain, qemu-user; with "test" also what check-cross's suites run
	want_arch_musl "${2:?ARCH}"
	if [ "${3:-}" = test ]; then want python3 python3; want openssl openssl; fi
	;;
*) echo "usage: deps.sh build|demo|test|package|cross ARCH [test]" >&2; exit 2 ;;
esac
[ -z "$need" ] && exit 0
# Unique, keep order.
pkgs=$(printf '%s\n' $need | awk '!seen[$0]++' | tr '\n' ' ')
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	for p in $pkgs; do
		case "$p" in *:*) dpkg --add-architecture "${p#*:}" ;; esac
	done
	echo "deps: installing $pkgs"
	# A foreign architecture's security index may be mid-sync: tolerate a partial update.
	apt-get update -q >/dev/null 2>&1 || echo "deps: apt-get update reported errors; trying anyway" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $pkgs >/dev/null
else
	echo "deps: missing:$need" >&2
	echo "deps: install them, e.g. on Debian/Ubuntu: apt-get install $pkgs" >&2
	exit 1
fi
