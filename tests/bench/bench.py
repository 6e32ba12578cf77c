#!/usr/bin/env python3
"""make bench: footprint and speed of ecs-ca-status against the local ECS emulator, side by side
with curl (same TLS + HTTP work, no signing) and Alibaba's official Node.js SDK
(@alicloud/ecs20140526), all in one run.  Prints Markdown: a figures table with ratios, the
stripped sizes (`make size`) and notes.  Progress goes to stderr.

A benchmark prints figures; it asserts nothing about speed.  Exit 0 unless something is broken
(the emulator does not start, our binary fails or gives a wrong answer, the installed SDK fails).
An unreachable npm registry only empties the Node column.  See tests/bench/README.md.
"""
import argparse
import datetime
import json
import os
import platform
import random
import re
import shutil
import signal
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
EMU_DIR = os.path.join(os.path.dirname(HERE), "emulator")
sys.path.insert(0, EMU_DIR)
import fixtures  # noqa: E402

REGION = "cn-hangzhou"
SYSTEM_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
NODE_DEPS = {"@alicloud/ecs20140526": "^7.0.0", "@alicloud/openapi-core": "^1.0.0"}
BIG_IDS = 10000
BATCH = 50
DEFAULT_PARALLEL = 8   # ecs-ca-status's default --parallel
RSS_BUDGET_KIB = 1024  # issue 13: 10,000 ids at default settings in at most 1 MiB
POOL_RE = re.compile(r"tls pool high-water: (\d+) bytes(?: of (\d+))?")
FETCH_POOL_RE = re.compile(r"pool_high_water=(\d+)")


class Broken(Exception):
    """Something the benchmark depends on does not work: exit 1."""


def log(msg):
    sys.stderr.write("bench: %s\n" % msg)
    sys.stderr.flush()


# -------------------------------------------------------------------------------------------
# Running a child and measuring it
# -------------------------------------------------------------------------------------------

class Run:
    __slots__ = ("wall", "cpu", "rss_kib", "maxrss_kib", "exit_rss_kib", "rc", "out", "err")


RUNRSS = None   # path of the built launcher (see runrss.c), None = measure from Python


def build_runrss(root):
    """Build tests/bench/runrss.c into build/bench/runrss, static so that the RSS floor it adds
    to a measured child is a few pages.  Returns None (and Python measures, with the RSS figure
    inflated by the interpreter's pages) if no compiler works."""
    src = os.path.join(HERE, "runrss.c")
    out = os.path.join(root, "build", "bench", "runrss")
    if os.path.exists(out) and os.path.getmtime(out) >= os.path.getmtime(src):
        return out
    os.makedirs(os.path.dirname(out), exist_ok=True)
    for cc in (["musl-gcc", "-static"], ["cc", "-static"], ["cc"]):
        if not shutil.which(cc[0]):
            continue
        p = subprocess.run(cc + ["-Os", "-Wall", "-o", out + ".tmp", src], capture_output=True, text=True)
        if p.returncode == 0:
            os.replace(out + ".tmp", out)
            return out
    return None


def measure(argv, env, stdin_path=None, cwd=None, timeout=600):
    """Run argv once: wall time (s), CPU time (user+sys, s) and peak RSS (KiB) of that child
    alone, from wait4's rusage, taken by the small runrss launcher.  stdout/stderr are captured
    through files (a pipe could fill up while the child runs)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile(prefix="runrss-") as fig:
        stdin = open(stdin_path, "rb") if stdin_path else subprocess.DEVNULL
        cmd = [RUNRSS, fig.name] + argv if RUNRSS else argv
        try:
            t0 = time.perf_counter()
            p = subprocess.Popen(cmd, env=env, cwd=cwd, stdin=stdin, stdout=out, stderr=err,
                                 start_new_session=True)
            # Blocking wait (no polling that would steal CPU from the child); a timer kills the
            # child's process group if it hangs.
            expired = []
            timer = threading.Timer(timeout, lambda: (expired.append(1), _killpg(p.pid)))
            timer.start()
            try:
                _, status, ru = os.wait4(p.pid, 0)
            finally:
                timer.cancel()
            if expired:
                p.returncode = -9
                raise Broken("timed out after %ds: %s" % (timeout, " ".join(argv)))
            wall = time.perf_counter() - t0
            p.returncode = os.waitstatus_to_exitcode(status)  # tell Popen it is reaped
        finally:
            if stdin is not subprocess.DEVNULL:
                stdin.close()
        r = Run()
        r.wall, r.cpu, r.rc = wall, ru.ru_utime + ru.ru_stime, p.returncode
        r.rss_kib = r.maxrss_kib = ru.ru_maxrss
        r.exit_rss_kib = None
        if RUNRSS:
            figs = dict(kv.split("=") for kv in open(fig.name).read().split())
            if not figs:
                raise Broken("runrss wrote no figures for %s" % " ".join(argv))
            r.wall = int(figs["wall_ns"]) / 1e9
            r.cpu = (int(figs["utime_us"]) + int(figs["stime_us"])) / 1e6
            r.maxrss_kib = int(figs["maxrss_kib"])
            exit_rss, exit_hwm = int(figs.get("exit_rss_kib", -1)), int(figs.get("exit_hwm_kib", -1))
            r.exit_rss_kib = exit_rss if exit_rss >= 0 else None
            # ru_maxrss and VmHWM can read low (per-CPU RSS counters); the resident set at exit
            # is exact but may be below an earlier peak: the largest of the three is the best
            # lower bound of the peak (see runrss.c).
            r.rss_kib = max(r.maxrss_kib, exit_rss, exit_hwm)
        out.seek(0)
        err.seek(0)
        r.out = out.read().decode("utf-8", "replace")
        r.err = err.read().decode("utf-8", "replace")
        return r


def _killpg(pid):
    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        pass


class Series:
    """Repeated measurements of one thing."""

    def __init__(self):
        self.runs = []
        self.note = None      # why there are no runs (tool missing, npm unreachable, ...)
        self.extra = {}

    def add(self, r):
        self.runs.append(r)

    def med(self, field):
        vals = [getattr(r, field) for r in self.runs]
        return statistics.median(vals) if vals else None

    def rng(self, field):
        vals = [getattr(r, field) for r in self.runs]
        return (min(vals), max(vals)) if vals else None


# -------------------------------------------------------------------------------------------
# Emulator
# -------------------------------------------------------------------------------------------

class Emulator:
    def __init__(self, workdir):
        self.dir = workdir
        self.ca = os.path.join(workdir, "ca.pem")
        subprocess.run(["sh", os.path.join(EMU_DIR, "mkpki.sh"), workdir], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = os.path.join(workdir, "ecs.port")
        self.log = open(os.path.join(workdir, "emulator.log"), "wb")
        self.proc = subprocess.Popen(
            [sys.executable, os.path.join(EMU_DIR, "ecs_emulator.py"), "--port", "0",
             "--port-file", port_file, "--cert", os.path.join(workdir, "server.pem"),
             "--key", os.path.join(workdir, "server.key")],
            stdout=self.log, stderr=self.log, start_new_session=True)
        for _ in range(200):
            if os.path.exists(port_file) or self.proc.poll() is not None:
                break
            time.sleep(0.05)
        if not os.path.exists(port_file):
            self.stop()
            raise Broken("the ECS emulator did not start (see %s)" % self.log.name)
        self.port = int(open(port_file).read().strip())
        self.endpoint = "127.0.0.1:%d" % self.port
        self.ctx = ssl.create_default_context(cafile=self.ca)

    def _call(self, method, path):
        req = urllib.request.Request("https://%s%s" % (self.endpoint, path), method=method,
                                     data=b"" if method == "POST" else None)
        with urllib.request.urlopen(req, context=self.ctx, timeout=10) as resp:
            return json.loads(resp.read().decode())

    def reset(self):
        self._call("POST", "/__emu/reset")

    def stats(self):
        return self._call("GET", "/__emu/stats")

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()


# -------------------------------------------------------------------------------------------
# The three clients
# -------------------------------------------------------------------------------------------

def base_env(home):
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": home, "LANG": "C"}


def ours_env(home, pool_stats=False):
    env = base_env(home)
    env.update({"ALIBABA_CLOUD_ACCESS_KEY_ID": "testid",
                "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "testsecret",
                "ALIBABA_CLOUD_ECS_METADATA_DISABLED": "true"})
    if pool_stats:
        env["ECS_POOL_STATS"] = "1"
    return env


def node_setup(root, reinstall):
    """npm install the SDK into build/bench/node (kept between runs).  Returns (node_modules,
    note); node_modules is None when the SDK is not available, note says why."""
    if not shutil.which("node") or not shutil.which("npm"):
        return None, "node/npm not installed"
    d = os.path.join(root, "build", "bench", "node")
    nm = os.path.join(d, "node_modules")
    if reinstall and os.path.isdir(d):
        shutil.rmtree(d)
    if all(os.path.exists(os.path.join(nm, name, "package.json")) for name in NODE_DEPS):
        return nm, None
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "package.json"), "w") as f:
        json.dump({"name": "ecs-ca-status-bench-node", "private": True,
                   "description": "scratch install for tests/bench/bench.py",
                   "dependencies": NODE_DEPS}, f, indent=2)
    log("npm install %s into %s (once; cached)" % (" ".join(NODE_DEPS), d))
    try:
        p = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--ignore-scripts",
                            "--loglevel=error"], cwd=d, capture_output=True, text=True, timeout=600)
    except subprocess.TimeoutExpired:
        return None, "npm install timed out (registry unreachable?)"
    if p.returncode != 0:
        why = [ln.replace("npm error", "").strip() for ln in p.stderr.splitlines()
               if ln.startswith("npm err") and "complete log" not in ln and ln.strip() != "npm error"]
        why = "; ".join(why[:2]) or "exit %d" % p.returncode
        return None, "npm install failed (registry unreachable?): %s" % why[:160]
    return nm, None


def node_pkg_version(nm, name):
    try:
        with open(os.path.join(nm, name, "package.json")) as f:
            return json.load(f).get("version", "?")
    except OSError:
        return "?"


# -------------------------------------------------------------------------------------------
# Formatting
# -------------------------------------------------------------------------------------------

def fmt_ms(s):
    if s is None:
        return None
    ms = s * 1000.0
    if ms >= 1000:
        return "%.2f s" % (ms / 1000.0)
    if ms >= 100:
        return "%.0f ms" % ms
    return "%.1f ms" % ms


def fmt_kib(k):
    if k is None:
        return None
    if k >= 10240:
        return "%.0f MiB" % (k / 1024.0)
    if k >= 1024:
        return "%.1f MiB" % (k / 1024.0)
    return "%d KiB" % k


def fmt_bytes(b):
    if b is None:
        return None
    if b >= 1 << 20:
        return "%.1f MiB" % (b / 1048576.0)
    return "%.1f KiB" % (b / 1024.0)


def ratio(other, ours):
    if other is None or ours is None:
        return "–"
    if ours <= 0:
        return "–"
    r = other / ours
    return "%.0f×" % r if r >= 100 else ("%.1f×" % r if r >= 10 else "%.2f×" % r)


def cell(value, note):
    if value is not None:
        return value
    return note or "–"


# -------------------------------------------------------------------------------------------
# Machine description
# -------------------------------------------------------------------------------------------

def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.lower().startswith(("model name", "cpu model", "hardware")):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def first_line(argv):
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=20)
        return (p.stdout or p.stderr).strip().splitlines()[0]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return None


def git_commit(root):
    try:
        c = subprocess.run(["git", "-C", root, "rev-parse", "--short", "HEAD"], capture_output=True,
                           text=True, timeout=20).stdout.strip()
        dirty = subprocess.run(["git", "-C", root, "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=20).stdout.strip()
        return (c or "unknown") + (" (with uncommitted changes)" if dirty else "")
    except OSError:
        return "unknown"


def loadavg():
    try:
        return " ".join(open("/proc/loadavg").read().split()[:3])
    except OSError:
        return "?"


def disk_footprint_curl():
    """/usr/bin/curl plus every shared library ldd resolves for it, in bytes."""
    curl = shutil.which("curl")
    if not curl:
        return None
    total = os.path.getsize(os.path.realpath(curl))
    try:
        out = subprocess.run(["ldd", curl], capture_output=True, text=True, timeout=20).stdout
    except OSError:
        return None
    seen = set()
    for m in re.finditer(r"(/\S+) \(0x", out):
        path = os.path.realpath(m.group(1))
        if path not in seen and os.path.exists(path):
            seen.add(path)
            total += os.path.getsize(path)
    return total


def disk_footprint_node(nm):
    node = shutil.which("node")
    if not node or not nm:
        return None
    total = os.path.getsize(os.path.realpath(node))
    for dirpath, _, files in os.walk(nm):
        for fn in files:
            try:
                total += os.path.getsize(os.path.join(dirpath, fn))
            except OSError:
                pass
    return total


# -------------------------------------------------------------------------------------------
# Main
# -------------------------------------------------------------------------------------------

def make_ids(n):
    """The 300 fixture ids of cn-hangzhou plus well-formed made-up ones (i-bp1 + 17 chars, not
    in the fixtures), shuffled with a fixed seed so every batch mixes found and not found."""
    real = [fixtures.instance_id(REGION, i) for i in range(len(fixtures.instances(REGION, 0)))]
    ids, seen = list(real), set(real)
    rnd = random.Random(20140526)
    alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"
    while len(ids) < n:
        x = "i-bp1" + "".join(rnd.choice(alphabet) for _ in range(17))
        if x not in seen:
            seen.add(x)
            ids.append(x)
    rnd.shuffle(ids)
    return ids, len(real)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--root", required=True, help="the source tree (build outputs are read from it)")
    ap.add_argument("--bin", help="binary to measure (default ROOT/ecs-ca-status)")
    ap.add_argument("--fetch", help="ecs-fetch for the pool fallback (default ROOT/build/<arch>/ecs-fetch)")
    ap.add_argument("--repeat", type=int, default=20, help="one-call runs of ours and curl (median)")
    ap.add_argument("--node-repeat", type=int, default=5, help="one-call runs of the Node SDK")
    ap.add_argument("--big-repeat", type=int, default=3, help="10,000-id runs of each client")
    ap.add_argument("--no-node", action="store_true", help="skip the Node.js SDK column")
    ap.add_argument("--node-reinstall", action="store_true", help="wipe build/bench/node first")
    ap.add_argument("--json", help="also write the raw figures here")
    a = ap.parse_args()
    root = os.path.abspath(a.root)
    binary = os.path.abspath(a.bin or os.path.join(root, "ecs-ca-status"))
    fetch = os.path.abspath(a.fetch or os.path.join(root, "build", os.uname().machine, "ecs-fetch"))
    if not os.access(binary, os.X_OK):
        log("no binary %s (run make first)" % binary)
        return 1
    started = datetime.datetime.now(datetime.timezone.utc)
    load_start = loadavg()
    global RUNRSS
    RUNRSS = build_runrss(root)
    if not RUNRSS:
        log("cannot build tests/bench/runrss.c: peak RSS figures will include this Python's pages")

    # Node SDK first: the install may take a while and does not need the emulator.
    nm, node_note = (None, "skipped (--no-node)") if a.no_node else node_setup(root, a.node_reinstall)
    curl = shutil.which("curl")
    curl_note = None if curl else "curl not installed"
    node_script = os.path.join(HERE, "node_sdk_bench.js")

    with tempfile.TemporaryDirectory(prefix="ecs-bench-") as work:
        home = os.path.join(work, "home")
        os.makedirs(home)
        try:
            emu = Emulator(work)
        except (subprocess.CalledProcessError, OSError) as e:
            log("cannot start the emulator: %s" % e)
            return 1
        try:
            return run_all(a, root, binary, fetch, work, home, emu, curl, curl_note, nm,
                           node_note, node_script, started, load_start)
        except Broken as e:
            log("BROKEN: %s" % e)
            return 1
        finally:
            emu.stop()


def run_all(a, root, binary, fetch, work, home, emu, curl, curl_note, nm, node_note, node_script,
            started, load_start):
    ids, n_real = make_ids(BIG_IDS)
    ids5 = [fixtures.instance_id(REGION, i) for i in range(5)]
    big_file = os.path.join(work, "ids10k.txt")
    with open(big_file, "w") as f:
        f.write("\n".join(ids) + "\n")
    five_file = os.path.join(work, "ids5.txt")
    with open(five_file, "w") as f:
        f.write("\n".join(ids5) + "\n")

    bundle = None
    if os.path.exists(SYSTEM_BUNDLE):
        bundle = os.path.join(work, "system-plus-emulator.pem")
        with open(bundle, "wb") as out:
            for src in (SYSTEM_BUNDLE, emu.ca):
                with open(src, "rb") as f:
                    data = f.read()
                out.write(data if data.endswith(b"\n") else data + b"\n")
        n_certs = open(bundle, "rb").read().count(b"-----BEGIN CERTIFICATE-----")
    cas = [("emulator CA only", emu.ca)]
    if bundle:
        cas.append(("system bundle + emulator CA (%d certs, %s)"
                    % (n_certs, fmt_bytes(os.path.getsize(bundle))), bundle))

    ours_base = [binary, "--region", REGION, "--endpoint", emu.endpoint, "-o", "tsv"]
    # curl does the same TLS + HTTP exchange as one call of ours: same method, same URL (the
    # query our binary sends for 5 ids), no signature -> the emulator answers a 400 error.
    query = "&".join("InstanceId.%d=%s" % (i + 1, x) for i, x in enumerate(ids5)) + "&RegionId=" + REGION
    curl_url = "https://%s/?%s" % (emu.endpoint, query)

    def curl_argv(ca, n=1):
        argv = [curl, "-s", "-o", "/dev/null", "--cacert", ca, "-X", "POST"]
        return argv + [curl_url] * n

    def node_env(ca):
        env = ours_env(home)
        env["NODE_PATH"] = nm
        env["NODE_EXTRA_CA_CERTS"] = ca
        return env

    node_argv = ["node", node_script, "--endpoint", emu.endpoint, "--region", REGION,
                 "--batch", str(BATCH)]

    def check_ours_one(r):
        lines = r.out.splitlines()
        if r.rc != 0 or len(lines) != 5 or any("\tnotfound\t" in ln for ln in lines):
            raise Broken("one call of %s: exit %d, %d lines\n%s" % (binary, r.rc, len(lines),
                                                                    r.err[-2000:]))

    def check_node(r, calls, found):
        if r.rc != 0:
            raise Broken("Node SDK: exit %d\n%s" % (r.rc, r.err[-2000:]))
        res = json.loads(r.out.strip().splitlines()[-1])
        if res["calls"] != calls or res["instances"] != found:
            raise Broken("Node SDK: unexpected answer %s" % res)
        return res

    # --- one call, per trust-anchor set -------------------------------------------------------
    one = []   # (label, ours, curl, node)
    # warm-up (page cache, emulator threads); not counted
    measure(ours_base + ["--ca-file", emu.ca] + ids5, ours_env(home))
    if curl:
        measure(curl_argv(emu.ca), base_env(home))
    for label, ca in cas:
        s_ours, s_curl, s_node = Series(), Series(), Series()
        s_curl.note, s_node.note = curl_note, node_note
        log("one call (5 ids), %s: %d x ours, %d x curl, %d x Node SDK"
            % (label, a.repeat, a.repeat if curl else 0, a.node_repeat if nm else 0))
        emu.reset()
        for i in range(max(a.repeat, a.node_repeat if nm else 0)):
            # interleaved, so that drift in machine load hits every column alike
            if i < a.repeat:
                r = measure(ours_base + ["--ca-file", ca] + ids5, ours_env(home))
                check_ours_one(r)
                s_ours.add(r)
                if curl:
                    r = measure(curl_argv(ca), base_env(home))
                    if r.rc != 0:
                        raise Broken("curl: exit %d %s" % (r.rc, r.err[-500:]))
                    s_curl.add(r)
            if nm and i < a.node_repeat:
                r = measure(node_argv, node_env(ca), stdin_path=five_file)
                res = check_node(r, 1, 5)
                s_node.extra.setdefault("call_ms", []).append(res["ms"])
                s_node.extra.setdefault("load_ms", []).append(res.get("load_ms", 0))
                s_node.add(r)
        one.append((label, s_ours, s_curl, s_node))

    # --- 10,000 ids ----------------------------------------------------------------------------
    log("%d ids (%d in the fixtures), batches of %d: %d x ours, %d x curl (%d requests), %d x Node SDK"
        % (BIG_IDS, n_real, BATCH, a.big_repeat, a.big_repeat if curl else 0, BIG_IDS // BATCH,
           a.big_repeat if nm else 0))
    b_ours, b_curl, b_node = Series(), Series(), Series()
    b_curl.note, b_node.note = curl_note, node_note
    for i in range(a.big_repeat):
        emu.reset()
        r = measure(ours_base + ["--ca-file", emu.ca, "--batch-size", str(BATCH), "-"],
                    ours_env(home), stdin_path=big_file)
        lines = r.out.splitlines()
        nf = sum(1 for ln in lines if "\tnotfound\t" in ln)
        if r.rc != 0 or len(lines) != BIG_IDS or nf != BIG_IDS - n_real:
            raise Broken("10,000 ids: exit %d, %d lines, %d not found\n%s"
                         % (r.rc, len(lines), nf, r.err[-2000:]))
        st = emu.stats()
        b_ours.extra = {"requests": st["requests"], "connections": st["connections"],
                        "ok": st["ok"], "errors": st["errors"]}
        b_ours.add(r)
        if curl:
            emu.reset()
            r = measure(curl_argv(emu.ca, BIG_IDS // BATCH), base_env(home))
            if r.rc != 0:
                raise Broken("curl x%d: exit %d %s" % (BIG_IDS // BATCH, r.rc, r.err[-500:]))
            st = emu.stats()
            b_curl.extra = {"requests": st["requests"], "connections": st["connections"]}
            b_curl.add(r)
        if nm:
            emu.reset()
            r = measure(node_argv, node_env(emu.ca), stdin_path=big_file)
            res = check_node(r, BIG_IDS // BATCH, n_real)
            b_node.extra.setdefault("call_ms", []).append(res["ms"])
            b_node.extra.setdefault("load_ms", []).append(res.get("load_ms", 0))
            b_node.extra.setdefault("calls_cpu_ms", []).append(res.get("cpu_ms", 0))
            st = emu.stats()
            b_node.extra.update({"requests": st["requests"], "connections": st["connections"],
                                 "ok": st["ok"], "errors": st["errors"]})
            b_node.add(r)

    # --- 10,000 ids at default settings (--parallel 8, batches of 100): the RSS budget -------
    log("%d ids at default settings: %d x ours" % (BIG_IDS, a.big_repeat))
    b_default = Series()
    for i in range(a.big_repeat):
        emu.reset()
        r = measure(ours_base + ["--ca-file", emu.ca, "-"], ours_env(home), stdin_path=big_file)
        lines = r.out.splitlines()
        if r.rc != 0 or len(lines) != BIG_IDS:
            raise Broken("10,000 ids, default settings: exit %d, %d lines\n%s"
                         % (r.rc, len(lines), r.err[-2000:]))
        b_default.add(r)
    b_ours.default_settings = b_default

    # --- mbedTLS pool high-water ---------------------------------------------------------------
    log("mbedTLS pool high-water (separate runs with ECS_POOL_STATS=1)")
    pool = []   # (what, bytes, pool size, source)
    # (what, argv, stdin, connections): the high-water is also shown per connection
    cases = [("one call, " + label, ours_base + ["-v", "--ca-file", ca] + ids5, None, 1)
             for label, ca in cas]
    for k in (1, 4, DEFAULT_PARALLEL):
        cases.append(("{:,} ids, --parallel {}".format(BIG_IDS, k),
                      ours_base + ["-v", "--ca-file", emu.ca, "--parallel", str(k), "-"], big_file, k))
    need_fallback = False
    for what, argv, stdin, conns in cases:
        r = measure(argv, ours_env(home, pool_stats=True), stdin_path=stdin)
        m = POOL_RE.search(r.err)
        if r.rc != 0:
            raise Broken("pool run (%s): exit %d\n%s" % (what, r.rc, r.err[-2000:]))
        if m:
            pool.append((what, int(m.group(1)), int(m.group(2)) if m.group(2) else None,
                         "ecs-ca-status -v", conns))
        else:
            need_fallback = True
    if need_fallback:
        if not os.access(fetch, os.X_OK):
            pool.append(("(not measured)", None, None, "the binary prints no pool figure and %s "
                         "is missing" % fetch, 1))
        for label, ca in cas if os.access(fetch, os.X_OK) else []:
            r = measure([fetch, "--stats", "--ca-file", ca,
                         "https://%s/__emu/stats" % emu.endpoint], ours_env(home))
            m = FETCH_POOL_RE.search(r.err)
            if r.rc != 0 or not m:
                raise Broken("ecs-fetch --stats: exit %d\n%s" % (r.rc, r.err[-1000:]))
            pool.append(("one GET, " + label, int(m.group(1)), None,
                         "ecs-fetch --stats (same TLS layer; the binary prints no pool figure)", 1))

    # --- negotiated TLS (for the notes) ----------------------------------------------------------
    tls = {}
    r = measure(ours_base + ["-v", "--ca-file", emu.ca] + ids5, ours_env(home))
    m = re.search(r"^\* tls: (.*)$", r.err, re.M)
    tls["ours"] = m.group(1) if m else "?"
    m = re.search(r"^\* response: HTTP \d+, (\d+) bytes", r.err, re.M)
    tls["ours_body"] = m.group(1) if m else "?"
    if curl:
        r = measure([curl, "-sv", "-o", "/dev/null", "-w", "%{size_download}", "--cacert", emu.ca,
                     "-X", "POST", curl_url], base_env(home))
        m = re.search(r"SSL connection using (.*)$", r.err, re.M)
        tls["curl"] = m.group(1).strip() if m else "?"
        tls["curl_body"] = r.out.strip() or "?"

    floor = measure([RUNRSS], base_env(home)).maxrss_kib if RUNRSS else None
    tls["floor"] = floor

    # --- sizes -----------------------------------------------------------------------------------
    size_out = subprocess.run(["make", "--no-print-directory", "-s", "size"], cwd=root,
                              capture_output=True, text=True).stdout.rstrip()
    size_ours = os.path.getsize(binary)
    size_curl = disk_footprint_curl()
    size_node = disk_footprint_node(nm)

    # --- report ----------------------------------------------------------------------------------
    versions = {
        "ours": first_line([binary, "--version"]),
        "curl": first_line([curl, "--version"]) if curl else None,
        "node": first_line(["node", "--version"]) if shutil.which("node") else None,
        "sdk": ("@alicloud/ecs20140526 %s, @alicloud/openapi-core %s"
                % (node_pkg_version(nm, "@alicloud/ecs20140526"),
                   node_pkg_version(nm, "@alicloud/openapi-core"))) if nm else None,
    }
    report(a, root, binary, started, load_start, versions, one, (b_ours, b_curl, b_node), pool,
           size_out, (size_ours, size_curl, size_node), tls, n_real)
    if a.json:
        dump_json(a.json, one, (b_ours, b_curl, b_node), pool, (size_ours, size_curl, size_node))
    return 0


def report(a, root, binary, started, load_start, versions, one, big, pool, size_out, sizes,
           tls, n_real):
    b_ours, b_curl, b_node = big
    P = print
    P("## ecs-ca-status benchmark")
    P()
    P("- machine: %s, %s, %d CPUs, Linux %s" % (os.uname().machine, cpu_model(), os.cpu_count() or 0,
                                                os.uname().release))
    P("- date: %s; commit %s; load average %s at start, %s at end"
      % (started.strftime("%Y-%m-%d %H:%M UTC"), git_commit(root), load_start, loadavg()))
    P("- ours: `%s` (%s)" % (os.path.relpath(binary, root), versions["ours"] or "?"))
    P("- curl: %s" % (versions["curl"] or "not installed"))
    P("- Node SDK: %s" % ("%s on Node.js %s" % (versions["sdk"], versions["node"]) if versions["sdk"]
                          else (b_node.note or "n/a")))
    P("- server: local ECS emulator (Python, HTTPS on 127.0.0.1, EC P-256 certificate); it is slower "
      "than any client here, so wall times are mostly the server's; CPU time is the client's own")
    P()
    P("| measurement | ecs-ca-status | curl | Node.js SDK | curl ÷ ours | Node ÷ ours |")
    P("|---|--:|--:|--:|--:|--:|")

    def row(name, o, c, n, fmt, cnote=None, nnote=None):
        P("| %s | %s | %s | %s | %s | %s |" % (
            name, cell(fmt(o), "–"), cell(fmt(c), "n/a" if cnote else None),
            cell(fmt(n), "n/a" if nnote else None),
            ratio(c, o), ratio(n, o)))

    for label, so, sc, sn in one:
        nrep = "median of %d" % len(so.runs)
        if sn.runs and len(sn.runs) != len(so.runs):
            nrep += ", Node %d" % len(sn.runs)
        P("| **one call, 5 ids — %s** (%s) | | | | | |" % (label, nrep))
        row("wall time", so.med("wall"), sc.med("wall"), sn.med("wall"), fmt_ms, sc.note, sn.note)
        row("CPU time (user+sys)", so.med("cpu"), sc.med("cpu"), sn.med("cpu"), fmt_ms, sc.note, sn.note)
        row("peak RSS", so.med("rss_kib"), sc.med("rss_kib"), sn.med("rss_kib"), fmt_kib, sc.note, sn.note)
        if sn.runs:
            P("| Node: start-up + loading the SDK / the call itself | | | %s | | |" % node_split(sn))
    P("| **%s ids, batches of %d** (%s; curl: the same request %d times over one connection, "
      "transport only) | | | | | |" % ("{:,}".format(BIG_IDS), BATCH,
                                      "median of %d" % len(b_ours.runs), BIG_IDS // BATCH))
    row("wall time", b_ours.med("wall"), b_curl.med("wall"), b_node.med("wall"), fmt_ms,
        b_curl.note, b_node.note)
    row("CPU time (user+sys)", b_ours.med("cpu"), b_curl.med("cpu"), b_node.med("cpu"), fmt_ms,
        b_curl.note, b_node.note)
    # The marginal cost of the 9,995 extra ids: start-up (process, TLS set-up, SDK loading) excluded.
    o1, c1 = one[0][1].med("cpu"), one[0][2].med("cpu")

    def minus(x, y):
        return None if x is None or y is None else max(x - y, 0.0)
    # Node: its own process.cpuUsage() around the 200 calls (a difference of two medians of
    # second-long, noisy runs would say little); ours and curl: 10,000-id CPU minus one-call CPU.
    n_calls = (statistics.median(b_node.extra["calls_cpu_ms"]) / 1000.0
               if b_node.extra.get("calls_cpu_ms") else None)
    row("CPU without start-up (ours, curl: minus one-call CPU; Node: CPU inside the calls)",
        minus(b_ours.med("cpu"), o1), minus(b_curl.med("cpu"), c1), n_calls, fmt_ms,
        b_curl.note, b_node.note)
    row("peak RSS", b_ours.med("rss_kib"), b_curl.med("rss_kib"), b_node.med("rss_kib"), fmt_kib,
        b_curl.note, b_node.note)
    bd = getattr(b_ours, "default_settings", None)
    if bd is not None and bd.runs:
        lo, hi = bd.rng("rss_kib")
        P("| peak RSS, %s ids at default settings (--parallel %d, batches of 100; budget %s) | "
          "%s (%s–%s) | | | | |" % ("{:,}".format(BIG_IDS), DEFAULT_PARALLEL,
                                    fmt_kib(RSS_BUDGET_KIB), fmt_kib(bd.med("rss_kib")),
                                    fmt_kib(lo), fmt_kib(hi)))

    def reqs(s):
        if not s.runs:
            return None
        return "%s / %s" % (s.extra.get("requests", "?"), s.extra.get("connections", "?"))
    P("| requests / connections (emulator stats) | %s | %s | %s | | |"
      % (reqs(b_ours) or "–", reqs(b_curl) or "n/a", reqs(b_node) or "n/a"))
    if b_node.runs:
        P("| Node: start-up + loading the SDK / the 200 calls | | | %s | | |" % node_split(b_node))
    P("| **footprint** | | | | | |")
    for what, val, size, src, conns in pool:
        v = ("%s (%d bytes%s)" % (fmt_bytes(val), val, ", pool %s" % fmt_bytes(size) if size else "")
             if val is not None else src)
        if val is not None and conns > 1:
            v += "; %s per connection" % fmt_bytes(val / conns)
        P("| mbedTLS pool high-water, %s | %s | | | | |" % (what, v))
    s_ours, s_curl, s_node = sizes
    row("program on disk (ours: static binary; curl: curl + its shared libs; Node: node + node_modules)",
        s_ours, s_curl, s_node, fmt_bytes, b_curl.note, b_node.note)
    P()
    srcs = sorted(set(src for _, v, _, src, _ in pool if v is not None))
    P("Ratios are the other client's figure divided by ours (above 1×: ours is smaller or faster). "
      "Wall time runs from spawn to exit; CPU time comes from `wait4` for that one process%s. "
      "Pool figures from: %s."
      % ((", taken by a static launcher (tests/bench/runrss.c, RSS floor %d KiB); peak RSS is the "
          "largest of ru_maxrss, VmHWM and the exact resident set (smaps_rollup) read as the "
          "process exits" % tls["floor"])
         if tls.get("floor") is not None else
         "; NO launcher could be built: peak RSS is ru_maxrss and includes the Python parent's pages",
         "; ".join(srcs) or "none"))
    so = one[-1][1]
    if so.runs and so.runs[0].exit_rss_kib is not None:
        P("For ours (%s) the kernel's ru_maxrss says %s, the resident set at exit is %s: on Linux "
          "6.2+ ru_maxrss of a small process reads low (per-CPU RSS counters), so it is not used "
          "alone." % (one[-1][0].split(" (")[0], fmt_kib(so.med("maxrss_kib")),
                      fmt_kib(so.med("exit_rss_kib"))))
    P("Negotiated TLS: ours %s; curl %s." % (tls.get("ours", "?"), tls.get("curl", "not run")))
    P("curl sends the same `POST /?InstanceId.1=…&RegionId=…` without a signature and gets a "
      "%s-byte 400 JSON error; ours signs it (V3) and gets, parses and prints the %s-byte answer."
      % (tls.get("curl_body", "?"), tls.get("ours_body", "?")))
    P()
    P("Stripped sizes (`make size`):")
    P()
    P("```")
    P(size_out or "(make size printed nothing)")
    P("```")
    P()
    P("Rerun: `make bench` (or `python3 tests/bench/bench.py --root .`; `--repeat N`, "
      "`--node-repeat N`, `--big-repeat N`, `--no-node`).")


def node_split(s):
    """'2.28 s / 48 ms': medians of the SDK's own timers (process start to SDK loaded; calls)."""
    return "%s / %s" % (fmt_ms(statistics.median(s.extra["load_ms"]) / 1000.0),
                        fmt_ms(statistics.median(s.extra["call_ms"]) / 1000.0))


def dump_json(path, one, big, pool, sizes):
    def ser(s):
        return {"note": s.note, "extra": s.extra,
                "runs": [{"wall_s": r.wall, "cpu_s": r.cpu, "peak_rss_kib": r.rss_kib,
                          "ru_maxrss_kib": r.maxrss_kib, "exit_rss_kib": r.exit_rss_kib}
                         for r in s.runs]}
    data = {"one_call": [{"ca": label, "ours": ser(o), "curl": ser(c), "node": ser(n)}
                         for label, o, c, n in one],
            "ids_10000": {"ours": ser(big[0]), "curl": ser(big[1]), "node": ser(big[2])},
            "ids_10000_default_settings": ser(getattr(big[0], "default_settings", Series())),
            "pool": [{"what": w, "bytes": v, "pool_size": s, "source": src, "connections": k}
                     for w, v, s, src, k in pool],
            "disk_bytes": {"ours": sizes[0], "curl": sizes[1], "node": sizes[2]}}
    with open(path, "w") as f:
        json.dump(data, f, indent=1)


if __name__ == "__main__":
    sys.exit(main())
