#!/usr/bin/env python3
"""make size: the bytes of one linked binary by origin (ours / mbedTLS / C library).

The C library's share is exact: its objects are not LTO objects, so the link map names the
archive member of every input section. The rest of the binary comes out of the LTO link as one
object; its named symbols are ours when our own objects (compiled without LTO for the stack
report, build/ARCH/su) define that name, else mbedTLS's. String literals and padding of the LTO
part carry no name: they are shown as their own line.

usage: size_origin.py BUILD_DIR   (BUILD_DIR/ecs-ca-status.unstripped and its .map, BUILD_DIR/su)
"""
import bisect
import os
import re
import subprocess
import sys

ALLOC = (".text", ".rodata", ".data", ".init", ".fini")
SUFFIX = re.compile(r"\.(lto_priv|constprop|isra|part|cold|localalias)(\.[0-9]+)*$")


def map_sections(path):
    """Bytes of the allocated input sections in the map: C library (with its start-up files and
    libgcc), the LTO part, anything else; and the address ranges of the LTO part."""
    libc = lto = other = 0
    ranges = []
    pending = None
    started = False
    with open(path, errors="replace") as f:
        for line in f:
            if not started:
                started = line.startswith("Linker script and memory map")
                continue
            if line.startswith(" .") or (pending and line.startswith("     ")):
                parts = line.split()
                if line.startswith(" .") and len(parts) == 1:
                    pending = parts[0]
                    continue
                if line.startswith(" ."):
                    sec, rest = parts[0], parts[1:]
                else:
                    sec, rest = pending, parts
                pending = None
                if len(rest) < 3 or not rest[1].startswith("0x"):
                    continue
                if not sec.startswith(ALLOC):
                    continue
                addr, size, src = int(rest[0], 16), int(rest[1], 16), rest[2]
                if "libc.a(" in src or "/crt" in src or "libgcc" in src:
                    libc += size
                elif "ltrans" in src or src.endswith(".ltrans.o"):
                    lto += size
                    ranges.append((addr, addr + size))
                else:
                    other += size
            else:
                pending = None
    return libc, lto, other, ranges


def defined_names(paths):
    out = subprocess.run(["nm", "--defined-only"] + paths, capture_output=True, text=True).stdout
    return {f[-1] for f in (l.split() for l in out.splitlines()) if len(f) >= 3}


def main():
    build = sys.argv[1]
    unstripped = os.path.join(build, "ecs-ca-status.unstripped")
    mapfile = unstripped + ".map"
    if not os.path.exists(mapfile):
        return 0
    libc, lto, other, ranges = map_sections(mapfile)
    ranges.sort()
    starts = [r[0] for r in ranges]
    su = [os.path.join(d, f) for d, _, fs in os.walk(os.path.join(build, "su")) for f in fs
          if f.endswith(".o")]
    ours_names = defined_names(su) if su else set()
    ours = mbed = 0
    out = subprocess.run(["nm", "-S", "--defined-only", unstripped], capture_output=True,
                         text=True).stdout
    for l in out.splitlines():
        f = l.split()
        if len(f) != 4 or f[2] not in "tTrRdDwWvV":
            continue
        name = SUFFIX.sub("", f[3])
        addr, size = int(f[0], 16), int(f[1], 16)
        i = bisect.bisect_right(starts, addr) - 1
        if i < 0 or addr >= ranges[i][1]:
            continue  # the C library's
        if name in ours_names or name.startswith("anchor_"):
            ours += size
        else:
            mbed += size
    unnamed = max(0, lto - ours - mbed)
    total = libc + lto + other
    pct = lambda n: 100.0 * n / total if total else 0
    print("%-24s by origin: ours %d (%.0f%%), mbedTLS %d (%.0f%%), C library %d (%.0f%%), "
          "strings and padding %d (%.0f%%)" % ("", ours, pct(ours), mbed, pct(mbed), libc + other,
                                               pct(libc + other), unnamed, pct(unnamed)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
