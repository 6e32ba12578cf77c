#!/usr/bin/env python3
"""Fleet benchmark: 10,000 ids through a TCP relay that adds 50 ms of round trip (relay.py) in
front of the local ECS emulator. Wall time in round trips, CPU time, peak RSS, requests and
connections of ecs-ca-status with --parallel 1, 4, 8 and the default, beside the official Node
SDK doing the same ids in batches of 50, one call after the other. Prints a Markdown table on
stdout (progress on stderr), with the mbedTLS pool's high-water per connection from separate
ECS_POOL_STATS runs. It prints figures and asserts nothing about speed; exit 1 only when
something is broken (a wrong answer, a client failing).

    python3 tests/bench/fleet_bench.py --root . [--bin FILE] [--repeat N] [--rtt-ms N] [--no-node]
"""
import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bench  # noqa: E402  (measure, Emulator, make_ids, node_setup, runrss)

DEFAULT_PARALLEL = bench.DEFAULT_PARALLEL


def start_relay(upstream, rtt_ms, workdir):
    pf = os.path.join(workdir, "relay.port")
    log = open(os.path.join(workdir, "relay.log"), "wb")
    p = subprocess.Popen([sys.executable, os.path.join(HERE, "relay.py"), "--upstream", upstream,
                          "--rtt-ms", str(rtt_ms), "--port-file", pf], stdout=log, stderr=log,
                         start_new_session=True)
    for _ in range(200):
        if os.path.exists(pf):
            return p, int(open(pf).read().strip())
        time.sleep(0.05)
    raise bench.Broken("the relay did not start")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", default=os.path.dirname(os.path.dirname(HERE)))
    ap.add_argument("--bin", default=None)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--rtt-ms", type=int, default=50)
    ap.add_argument("--no-node", action="store_true")
    a = ap.parse_args()
    root = os.path.abspath(a.root)
    binary = os.path.abspath(a.bin or os.path.join(root, "ecs-ca-status"))
    bench.RUNRSS = bench.build_runrss(root)
    ids, nreal = bench.make_ids(10000)
    rows = []
    with tempfile.TemporaryDirectory(prefix="ecs-fleet-bench-") as work:
        home = os.path.join(work, "home")
        os.makedirs(home)
        idfile = os.path.join(work, "ids.txt")
        with open(idfile, "w") as f:
            f.write("\n".join(ids) + "\n")
        emu = bench.Emulator(work)
        relay, rport = start_relay(emu.endpoint, a.rtt_ms, work)
        try:
            base = [binary, "-r", bench.REGION, "--endpoint", "127.0.0.1:%d" % rport,
                    "--ca-file", emu.ca, "-o", "tsv", "-"]
            for label, extra in (("--parallel 1", ["--parallel", "1"]),
                                 ("--parallel 4", ["--parallel", "4"]),
                                 ("--parallel 8", ["--parallel", "8"]),
                                 ("default (8, batches of 100)", [])):
                runs = []
                for _ in range(a.repeat):
                    emu.reset()
                    r = bench.measure(base[:-1] + extra + ["-"], bench.ours_env(home), idfile)
                    lines = r.out.splitlines()
                    if r.rc != 0 or len(lines) != 10000 or \
                            sum(1 for ln in lines if "\tnotfound\t" in ln) != 10000 - nreal:
                        raise bench.Broken("%s: exit %d, %d lines\n%s" % (label, r.rc, len(lines),
                                                                         r.err[-800:]))
                    st = emu.stats()
                    runs.append((r, st["requests"], st["connections"]))
                    bench.log("%s: %.2f s" % (label, r.wall))
                runs.sort(key=lambda x: x[0].wall)
                r, req, conns = runs[len(runs) // 2]
                # the mbedTLS pool's high-water, from a separate run (ECS_POOL_STATS paints the
                # pool, which would inflate the RSS of a timed run)
                k = int(extra[1]) if extra else DEFAULT_PARALLEL
                p = bench.measure(base[:-1] + extra + ["-v", "-"], bench.ours_env(home, True), idfile)
                m = bench.POOL_RE.search(p.err)
                pool = (int(m.group(1)), k) if p.rc == 0 and m else None
                rows.append(("ecs-ca-status " + label, r, req, conns, pool))
            if not a.no_node:
                nm, note = bench.node_setup(root, False)
                if nm is None:
                    bench.log("Node SDK column skipped: %s" % note)
                else:
                    env = bench.ours_env(home)
                    env["NODE_PATH"] = nm
                    env["NODE_EXTRA_CA_CERTS"] = emu.ca
                    emu.reset()
                    r = bench.measure(["node", os.path.join(HERE, "node_sdk_bench.js"),
                                       "--endpoint", "127.0.0.1:%d" % rport, "--region",
                                       bench.REGION, "--batch", "50"], env, idfile, timeout=900)
                    if r.rc != 0:
                        raise bench.Broken("Node SDK: exit %d\n%s" % (r.rc, r.err[-800:]))
                    st = emu.stats()
                    rows.append(("Node SDK, batches of 50, sequential", r, st["requests"],
                                 st["connections"], None))
        finally:
            os.killpg(relay.pid, signal.SIGTERM)
            relay.wait()
            emu.stop()
    rtt = a.rtt_ms / 1000.0
    print("10,000 ids (%d known to the emulator), relay adding %d ms of round trip; median of %d"
          % (nreal, a.rtt_ms, a.repeat))
    print()
    print("| client | wall | round trips | CPU | peak RSS | mbedTLS pool high-water (per connection) "
          "| requests | connections |")
    print("|---|---|---|---|---|---|---|---|")
    for label, r, req, conns, pool in rows:
        hw = ("%.1f KiB (%.1f KiB)" % (pool[0] / 1024.0, pool[0] / 1024.0 / pool[1])
              if pool else "–")
        print("| %s | %.2f s | %.1f | %.0f ms | %d KiB | %s | %d | %d |"
              % (label, r.wall, r.wall / rtt, r.cpu * 1000, r.rss_kib, hw, req, conns))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except bench.Broken as e:
        sys.stderr.write("fleet bench: broken: %s\n" % e)
        sys.exit(1)
