#!/bin/sh
# make size: for every built binary, the stripped size against its budget, text/data/bss of
# the unstripped link, the largest stack frame of our own code (from -fstack-usage), and the
# split of the bytes by origin (scripts/size_origin.py).
# Budgets (issue 13): x86_64 240 KiB, armhf 180 KiB, aarch64 252 KiB, mipsel/mips 300 KiB.
# SIZE_STRICT=1 (.ci/run) fails when a binary is over its ceiling: its budget, or, for a target
# that does not meet its budget yet, the size it had when the ceiling was last lowered, so
# that a target can only get smaller until it meets its budget.
set -u
budget() {
	case $1 in
	x86_64) echo 245760 ;; armhf) echo 184320 ;; aarch64) echo 258048 ;;
	mipsel | mips) echo 307200 ;; *) echo 0 ;;
	esac
}
ceiling() {
	case $1 in
	x86_64) echo 263680 ;; armhf) echo 197552 ;; aarch64) echo 273432 ;;
	mipsel) echo 328520 ;; mips) echo 328200 ;; *) echo 0 ;;
	esac
}
host=$(uname -m)
over=0
for f in ecs-ca-status ecs-ca-status-*; do
	[ -f "$f" ] || continue
	case $f in *.tar.gz | *.deb) continue ;; esac
	arch=${f#ecs-ca-status-}
	[ "$f" = ecs-ca-status ] && arch=$host
	bytes=$(wc -c <"$f")
	goal=$(budget "$arch")
	ceil=$(ceiling "$arch")
	[ "$ceil" -gt 0 ] && [ "$ceil" -lt "$goal" ] && ceil=$goal
	verdict="no budget"
	if [ "$goal" -gt 0 ]; then
		if [ "$bytes" -le "$goal" ]; then verdict="within $goal"; else
			verdict="OVER $goal by $((bytes - goal))"; fi
		if [ "$bytes" -gt "$ceil" ]; then
			verdict="$verdict, ABOVE THE CEILING $ceil"
			over=1
		elif [ "$ceil" -gt "$goal" ]; then
			verdict="$verdict (ceiling $ceil holds)"
		fi
	fi
	printf '%-24s %8d bytes  %s\n' "$f" "$bytes" "$verdict"
	u=build/$arch/ecs-ca-status.unstripped
	if [ -f "$u" ]; then
		size "$u" 2>/dev/null | awk 'NR == 2 {printf "%-24s text %d, data %d, bss %d\n", "", $1, $2, $3}'
	fi
	if [ -d "build/$arch" ]; then
		${MAKE:-make} --no-print-directory -f mk/build.mk VARIANT=release ARCH="$arch" \
			stack-report 2>/dev/null
		python3 scripts/size_origin.py "build/$arch" 2>/dev/null
	fi
done
[ "${SIZE_STRICT:-0}" = 1 ] && [ "$over" = 1 ] && exit 1
exit 0
