#!/usr/bin/env python3
"""Runs the libFuzzer targets built by `make fuzzers` (build/fuzz/fuzz/fuzz_<name>).

  run_fuzz.py --root DIR --replay [--only NAME]
      runs each target once over every file of its seed corpus tests/fuzz/corpus/<name>/
      (a regression test: fails if any input crashes or trips an invariant)
  run_fuzz.py --root DIR --seconds N [--only NAME] [--jobs J]
      fuzzes each target for N seconds, starting from a scratch copy of its seeds in
      build/fuzz/corpus-work/<name>/ (the repository's corpus is never written to); crashing
      inputs go to build/fuzz/artifacts/<name>-*. Prints executions and exec/s per target.

Both end with the line "fuzz: N passed, N failed" and exit 1 if any target failed.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

# Larger than any seed: HTTP responses and config files need room to grow.
MAX_LEN = 8192
# A single input that takes longer than this is a finding too (a hang or a quadratic path).
TIMEOUT_S = 10
RSS_LIMIT_MB = 2048


def targets(root, only):
    bindir = os.path.join(root, "build/fuzz/fuzz")
    srcdir = os.path.join(root, "tests/fuzz")
    names = sorted(f[len("fuzz_"):-2] for f in os.listdir(srcdir)
                   if f.startswith("fuzz_") and f.endswith(".c"))
    if only:
        unknown = [n for n in only if n not in names]
        if unknown:
            sys.exit("run_fuzz: unknown target(s): %s (have: %s)" % (", ".join(unknown),
                                                                    ", ".join(names)))
        names = [n for n in names if n in only]
    return [(n, os.path.join(bindir, "fuzz_" + n), os.path.join(srcdir, "corpus", n))
            for n in names]


def tail(text, lines=40):
    return "\n".join(text.splitlines()[-lines:])


def crash_lines(text):
    """The lines that say what went wrong."""
    keep = [l for l in text.splitlines()
            if re.search(r"invariant failed|ERROR: |SUMMARY: |runtime error|Test unit written",
                         l)]
    return "\n".join(keep[:12])


def replay(name, binary, corpus):
    if not os.path.isdir(corpus) or not os.listdir(corpus):
        return False, "no seed corpus in %s" % corpus, {}
    files = sorted(os.path.join(corpus, f) for f in os.listdir(corpus))
    # Passing files (not the directory) runs each exactly once, with no mutation.
    cmd = [binary, "-runs=1", "-timeout=%d" % TIMEOUT_S, "-rss_limit_mb=%d" % RSS_LIMIT_MB,
           "-max_len=%d" % MAX_LEN] + files
    t0 = time.monotonic()
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       errors="replace")
    dt = time.monotonic() - t0
    if p.returncode != 0:
        return False, "exit %d\n%s\n%s" % (p.returncode, crash_lines(p.stdout),
                                           tail(p.stdout, 15)), {}
    return True, "%d inputs in %.1fs" % (len(files), dt), {"inputs": len(files)}


def fuzz(root, name, binary, corpus, seconds):
    work = os.path.join(root, "build/fuzz/corpus-work", name)
    arts = os.path.join(root, "build/fuzz/artifacts")
    os.makedirs(arts, exist_ok=True)
    os.makedirs(work, exist_ok=True)
    # Scratch corpus: previous runs' finds are kept, the seeds are (re)added.
    if os.path.isdir(corpus):
        for f in os.listdir(corpus):
            shutil.copyfile(os.path.join(corpus, f), os.path.join(work, "seed-" + f))
    log = os.path.join(root, "build/fuzz", "fuzz-%s.log" % name)
    cmd = [binary, work, "-max_total_time=%d" % seconds, "-print_final_stats=1",
           "-timeout=%d" % TIMEOUT_S, "-rss_limit_mb=%d" % RSS_LIMIT_MB,
           "-max_len=%d" % MAX_LEN, "-artifact_prefix=%s/%s-" % (arts, name)]
    t0 = time.monotonic()
    with open(log, "w") as out:
        p = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT)
    dt = time.monotonic() - t0
    with open(log, errors="replace") as f:
        text = f.read()
    stats = {}
    m = re.search(r"stat::number_of_executed_units:\s*(\d+)", text)
    if m:
        stats["execs"] = int(m.group(1))
    m = re.search(r"stat::average_exec_per_sec:\s*(\d+)", text)
    if m:
        stats["exec_s"] = int(m.group(1))
    m = re.findall(r"cov: (\d+) ft: (\d+) corp: (\d+)", text)
    if m:
        stats["cov"], stats["ft"], stats["corp"] = (int(x) for x in m[-1])
    if p.returncode != 0:
        arts_found = re.findall(r"Test unit written to (\S+)", text)
        return False, "exit %d, log %s\n%s\n%s" % (p.returncode, log, crash_lines(text),
                                                   "artifact: " + ", ".join(arts_found)
                                                   if arts_found else ""), stats
    if "execs" not in stats:
        return False, "no final stats in %s" % log, stats
    return True, "%.0fs" % dt, stats


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--root", required=True, help="repository root")
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument("--replay", action="store_true", help="run each seed corpus once")
    mode.add_argument("--seconds", type=int, help="fuzz each target for N seconds")
    ap.add_argument("--only", action="append", default=[],
                    help="target name (http, json_page, ...); repeatable or comma-separated")
    ap.add_argument("--jobs", type=int, default=0,
                    help="targets fuzzed at the same time (default: number of CPUs)")
    a = ap.parse_args()
    root = os.path.abspath(a.root)
    only = [n for o in a.only for n in o.split(",") if n]
    tl = targets(root, only)
    missing = [b for _, b, _ in tl if not os.access(b, os.X_OK)]
    if missing:
        sys.exit("run_fuzz: not built: %s (run `make fuzzers`)" % ", ".join(missing))

    if a.replay:
        results = [(n,) + replay(n, b, c) for n, b, c in tl]
    else:
        jobs = a.jobs or os.cpu_count() or 1
        print("fuzzing %d target(s) for %ds each, %d at a time" % (len(tl), a.seconds, jobs),
              flush=True)
        with ThreadPoolExecutor(max_workers=jobs) as ex:
            futs = [(n, ex.submit(fuzz, root, n, b, c, a.seconds)) for n, b, c in tl]
            results = [(n,) + f.result() for n, f in futs]

    passed = failed = 0
    for name, ok, detail, stats in results:
        if ok:
            passed += 1
        else:
            failed += 1
        if a.replay:
            print("%s %-10s %s" % ("ok  " if ok else "FAIL", name, detail.splitlines()[0]))
        else:
            print("%s %-10s executions %12s  exec/s %8s  cov %5s  corpus %5s  (%s)" % (
                "ok  " if ok else "FAIL", name, stats.get("execs", "?"),
                stats.get("exec_s", "?"), stats.get("cov", "?"), stats.get("corp", "?"),
                detail.splitlines()[0]))
        if not ok:
            for line in detail.splitlines()[1:]:
                print("     " + line)
    print("fuzz: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
