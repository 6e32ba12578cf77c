#!/usr/bin/env python3
"""Fleet-scale tests of ecs-ca-status: the batch engine (--parallel, adaptive batch size, stale-id
bisection, throttling, faults on several connections, --max-time) against the local ECS
emulator, some of them through a TCP relay that adds 50 ms of round trip.

    python3 tests/integration/test_fleet.py [--bin PATH] [--only SUBSTRING] [--slack F] [-v]

Python 3.11 standard library only. Last line: "fleet: N passed, N failed"; exit 1 on failure.
"""
import argparse
import json
import os
import random
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
EMU_DIR = os.path.join(ROOT, "tests", "emulator")
sys.path.insert(0, EMU_DIR)
sys.dont_write_bytecode = True
import fixtures  # noqa: E402

REGION = "cn-hangzhou"
SECRET = "testsecret"
RTT_MS = 50
PY = sys.executable or "python3"


class Fail(Exception):
    pass


def expect(cond, why):
    if not cond:
        raise Fail(why)


def wait_port(proc, path, what):
    t0 = time.time()
    while time.time() - t0 < 15:
        if os.path.exists(path):
            return int(open(path).read().strip())
        if proc.poll() is not None:
            raise RuntimeError("%s exited with %d" % (what, proc.returncode))
        time.sleep(0.05)
    raise RuntimeError("%s did not start" % what)


class World:
    """PKI, one emulator, one 50 ms relay in front of it, and the binary."""

    def __init__(self, binary, slack, verbose):
        self.bin = binary
        self.slack = slack
        self.verbose = verbose
        self.dir = tempfile.mkdtemp(prefix="ecs-fleet-")
        self.procs = []
        subprocess.run(["sh", os.path.join(EMU_DIR, "mkpki.sh"), self.dir], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.ca = os.path.join(self.dir, "ca.pem")
        self.ctx = ssl.create_default_context(cafile=self.ca)
        self.port = self._spawn([PY, os.path.join(EMU_DIR, "ecs_emulator.py"), "--port", "0",
                                 "--cert", os.path.join(self.dir, "server.pem"),
                                 "--key", os.path.join(self.dir, "server.key")], "ecs")
        self.relay = self._spawn([PY, os.path.join(ROOT, "tests", "bench", "relay.py"),
                                  "--upstream", "127.0.0.1:%d" % self.port,
                                  "--rtt-ms", str(RTT_MS)], "relay")
        self.emu_pid = self.procs[0].pid
        self.outputs = []
        fixture_ids = [it["InstanceId"] for it in fixtures.instances(REGION, 0)]
        self.known = fixture_ids
        made_up = ["i-fleet%015d" % i for i in range(9700)]
        self.ids10k = fixture_ids + made_up
        random.Random(10).shuffle(self.ids10k)

    def _spawn(self, argv, name):
        pf = os.path.join(self.dir, name + ".port")
        log = open(os.path.join(self.dir, name + ".log"), "ab")
        p = subprocess.Popen(argv + ["--port-file", pf], stdout=log, stderr=log,
                             start_new_session=True)
        log.close()
        self.procs.append(p)
        return wait_port(p, pf, name)

    def emu_cpu(self):
        """CPU seconds the emulator and the relay have used (utime + stime)."""
        total = 0
        for p in self.procs:
            with open("/proc/%d/stat" % p.pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        return total / os.sysconf("SC_CLK_TCK")

    def stop(self):
        for p in self.procs:
            try:
                os.killpg(p.pid, signal.SIGTERM)
                p.wait(3)
            except (OSError, subprocess.TimeoutExpired):
                p.kill()

    def emu(self, path, body=None):
        url = "https://127.0.0.1:%d%s" % (self.port, path)
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(url, data=data, method="POST" if body is not None else "GET")
        with urllib.request.urlopen(req, context=self.ctx, timeout=10) as r:
            return json.loads(r.read())

    def configure(self, **cfg):
        base = {"throttle_every": 0, "error_every": 0, "drop_every": 0, "delay_ms": 0,
                "max_ids": 0, "not_found": None}
        base.update(cfg)
        self.emu("/__emu/config", base)
        self.emu("/__emu/reset", {})

    def run(self, args, ids, relay=False, timeout=60):
        port = self.relay if relay else self.port
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": self.dir,
               "ALIBABA_CLOUD_ACCESS_KEY_ID": "testid",
               "ALIBABA_CLOUD_ACCESS_KEY_SECRET": SECRET}
        argv = [self.bin, "-r", REGION, "--endpoint", "127.0.0.1:%d" % port, "--ca-file",
                self.ca] + args + ["-"]
        cpu0, t0 = self.emu_cpu(), time.time()
        p = subprocess.run(argv, input="\n".join(ids) + "\n", capture_output=True, text=True,
                           env=env, timeout=timeout * self.slack)
        wall = time.time() - t0
        self.last_emu_cpu = self.emu_cpu() - cpu0
        self.outputs.append(p.stdout + p.stderr)
        if self.verbose:
            sys.stderr.write("  $ %s -> %d in %.2fs\n%s" % (" ".join(args), p.returncode, wall,
                                                           p.stderr[-3000:]))
        return p.returncode, p.stdout, p.stderr, wall


def tsv_rows(out):
    rows = [ln.split("\t") for ln in out.split("\n") if ln]
    for r in rows:
        expect(len(r) == 9, "tsv row with %d columns: %r" % (len(r), r))
    return rows


def round_trips(w, wall):
    """Wall time in relay round trips, without the CPU time of the emulator and the relay: each
    is one Python process (serialised by the GIL), and a server's processing time is not a
    round trip the client could save."""
    return (wall - w.last_emu_cpu) * 1000 / RTT_MS


def check_answers(w, ids, out, stale=()):
    """Every id once, in input order; fixture ids with their status, others notfound."""
    rows = tsv_rows(out)
    expect([r[0] for r in rows] == list(ids),
           "rows are not the input ids in input order (%d rows for %d ids)" % (len(rows), len(ids)))
    truth = {it["InstanceId"]: it for it in fixtures.instances(REGION, 0)}
    for r in rows:
        if r[0] in truth and r[0] not in stale:
            expect(r[1] == truth[r[0]]["CloudAssistantStatus"],
                   "%s: status %s, fixture says %s" % (r[0], r[1], truth[r[0]]["CloudAssistantStatus"]))
        else:
            expect(r[1] == "notfound", "%s should be notfound, got %s" % (r[0], r[1]))
    return rows


TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


def timed_10k(w, extra, check):
    """Runs the 10,000 ids through the relay up to 3 times and keeps the fastest: the bound is
    on what the client needs, and a machine shared with other jobs only ever adds time (a
    client that really needs 200 round trips fails every attempt)."""
    best = None
    for attempt in range(3):
        w.emu("/__emu/reset", {})
        rc, out, err, wall = w.run(["-o", "tsv"] + extra, w.ids10k, relay=True)
        expect(rc == 0, "exit %d: %s" % (rc, err[-500:]))
        check_answers(w, w.ids10k, out)
        check(w.emu("/__emu/stats"), err)
        rtts = round_trips(w, wall)
        print("     %.1f round trips (%.2f s wall, emulator + relay CPU %.2f s)"
              % (rtts, wall, w.last_emu_cpu))
        best = rtts if best is None else min(best, rtts)
        if best <= 32 * w.slack:
            return
    expect(False, "took %.1f round trips at best, want <= 32 (x%.1f slack)" % (best, w.slack))


@test
def fleet_10k_relay_server_100(w):
    """10,000 ids through the 50 ms relay, default settings: at most 32 round trips."""
    w.configure()

    def check(st, err):
        expect(st["requests"] == 100, "%d requests, want 100 (batches of 100)" % st["requests"])
        expect(1 < st["connections"] <= 8, "%d connections, want 2..8" % st["connections"])
    timed_10k(w, [], check)


@test
def fleet_10k_relay_server_50(w):
    """The same against a server that takes only 50 ids (403 InstanceIds.ExceedLimit)."""
    w.configure(max_ids=50)

    def check(st, err):
        expect("batches of 50 for the rest of the run" in err, "-v does not say the size fell to 50")
        limit_errors = st["errors"].get("InstanceIds.ExceedLimit", 0)
        expect(1 <= limit_errors <= 16, "%d ExceedLimit answers, want 1..16" % limit_errors)
        expect(st["requests"] == 200 + limit_errors, "%d requests" % st["requests"])
    timed_10k(w, ["-v"], check)


@test
def explicit_batch_size_is_never_raised(w):
    w.configure()
    ids = w.known[:95]
    rc, out, err, _ = w.run(["-o", "tsv", "--batch-size", "30"], ids)
    expect(rc == 0, "exit %d: %s" % (rc, err[-300:]))
    check_answers(w, ids, out)
    st = w.emu("/__emu/stats")
    expect(st["requests"] == 4, "%d requests for 95 ids in batches of 30, want 4" % st["requests"])


def stale_ids(w):
    ids = list(w.known[:160])
    stale = ["i-stale%014d" % k for k in range(3)]
    for s, pos in zip(stale, (11, 77, 150)):
        ids.insert(pos, s)
    return ids, stale


@test
def stale_ids_are_bisected(w):
    """163 ids, 3 stale, a server failing any batch with a stale id: exit 0, 160 answered."""
    w.configure(not_found="error")
    ids, stale = stale_ids(w)
    rc, out, err, _ = w.run(["-o", "tsv", "-v"], ids)
    expect(rc == 0, "exit %d: %s" % (rc, err[-500:]))
    rows = check_answers(w, ids, out, stale)
    expect(sum(1 for r in rows if r[1] != "notfound") == 160, "not 160 answered")
    expect([r[0] for r in rows if r[1] == "notfound"] == stale, "the notfound rows are not the stale ids")
    st = w.emu("/__emu/stats")
    expect(st["requests"] <= 50, "%d requests, want at most 50" % st["requests"])
    expect("bisecting" in err, "-v does not mention the bisection")


@test
def stale_ids_fail_check(w):
    w.configure(not_found="error")
    ids, stale = stale_ids(w)
    rc, out, err, _ = w.run(["-o", "json", "--check"], ids)
    expect(rc == 1, "--check exit %d, want 1: %s" % (rc, err[-300:]))
    doc = json.loads(out)
    expect(doc["NotFound"] == stale, "JSON NotFound is %r" % doc["NotFound"][:5])
    rc, out, err, _ = w.run(["--check"], ids)
    expect(rc == 1, "table --check exit %d" % rc)
    for s in stale:
        expect(any(ln.startswith(s) and "NOT FOUND" in ln for ln in out.split("\n")),
               "no NOT FOUND row for %s" % s)


@test
def other_4xx_still_fails_the_run(w):
    w.configure()
    w.emu("/__emu/config", {"force_error": "Operation.Forbidden"})
    rc, out, err, _ = w.run(["-o", "tsv"], w.known[:250])
    w.emu("/__emu/config", {"force_error": None})
    expect(rc == 3, "exit %d, want 3" % rc)
    expect("Operation.Forbidden" in err, "the API's Code is not shown: %s" % err[-300:])


@test
def throttling_halves_concurrency(w):
    w.configure(throttle_every=4, delay_ms=30)
    ids = w.ids10k[:2000]
    rc, out, err, _ = w.run(["-o", "tsv", "-v", "--retries", "6"], ids)
    expect(rc == 0, "exit %d: %s" % (rc, err[-500:]))
    check_answers(w, ids, out)
    expect("lowering concurrency to 4 connection(s)" in err, "-v does not say concurrency was halved")
    expect("Throttling.User" in err, "-v does not name the throttling code")
    st = w.emu("/__emu/stats")
    expect(st["errors"].get("Throttling.User", 0) >= 1, "no throttling happened")
    expect(st["max_in_flight"] <= 8, "%d requests in flight at once, more than --parallel" % st["max_in_flight"])


@test
def drops_and_5xx_on_several_connections(w):
    w.configure(drop_every=7, error_every=5)
    ids = w.ids10k[:3000]
    rc, out, err, _ = w.run(["-o", "tsv", "--retries", "6"], ids)
    expect(rc == 0, "exit %d: %s" % (rc, err[-500:]))
    check_answers(w, ids, out)
    st = w.emu("/__emu/stats")
    expect(st["dropped"] >= 2 and st["errors"].get("ServiceUnavailable", 0) >= 2,
           "faults did not happen: %r" % st["errors"])
    expect(len([n for n in st["per_connection"] if n > 0]) >= 3,
           "answers came over fewer than 3 connections: %r" % st["per_connection"])


@test
def parallel_one_uses_one_connection(w):
    w.configure()
    ids = w.ids10k[:450]
    rc, out, err, _ = w.run(["-o", "tsv", "--parallel", "1"], ids)
    expect(rc == 0, "exit %d" % rc)
    check_answers(w, ids, out)
    st = w.emu("/__emu/stats")
    expect(st["connections"] == 1 and st["requests"] == 5, "stats %r" % st["per_connection"])
    expect(st["max_in_flight"] == 1, "max in flight %d" % st["max_in_flight"])


@test
def parallel_flag_bounds(w):
    for v in ("0", "17", "x"):
        rc, out, err, _ = w.run(["--parallel", v], w.known[:2])
        expect(rc == 2, "--parallel %s: exit %d, want 2" % (v, rc))
        expect("--parallel" in err or "parallel" in err, "message does not name the flag")


@test
def max_time_ends_the_run(w):
    w.configure(delay_ms=1500)
    t0 = time.time()
    rc, out, err, wall = w.run(["-o", "json", "--max-time", "1"], w.ids10k[:3000])
    expect(rc == 4, "exit %d, want 4: %s" % (rc, err[-300:]))
    expect(wall < 1.0 + 1.0 * w.slack, "took %.2f s with --max-time 1" % wall)
    expect("time limit" in err and "instance ids answered" in err, "message: %s" % err[-300:])
    w.configure()


@test
def no_secret_in_any_output(w):
    for o in w.outputs:
        expect(SECRET not in o, "the secret appears in an output")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(ROOT, "ecs-ca-status"))
    ap.add_argument("--only", default=None)
    ap.add_argument("--slack", type=float, default=1.0)
    ap.add_argument("-v", action="store_true")
    a = ap.parse_args()
    w = World(os.path.abspath(a.bin), a.slack, a.v)
    passed = failed = 0
    t_all = time.time()
    try:
        for fn in TESTS:
            if a.only and a.only not in fn.__name__:
                continue
            t0 = time.time()
            try:
                fn(w)
                passed += 1
                print("PASS %-45s %.2fs" % (fn.__name__, time.time() - t0), flush=True)
            except Fail as e:
                failed += 1
                print("FAIL %-45s %s" % (fn.__name__, e), flush=True)
            except Exception:
                failed += 1
                print("FAIL %-45s\n%s" % (fn.__name__, traceback.format_exc()), flush=True)
    finally:
        w.stop()
    print("(%.1f s)" % (time.time() - t_all))
    print("fleet: %d passed, %d failed" % (passed, failed))
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main())
