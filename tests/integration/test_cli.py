#!/usr/bin/env python3
"""End-to-end tests of ecs-ca-status: the real binary against the local ECS emulator.

    python3 tests/integration/test_cli.py [--bin PATH] [--qemu CMD] [--only SUBSTRING ...]
                                          [--jobs N] [--list] [--keep] [-v]

Python 3.11 standard library only.  Makes a throwaway PKI (tests/emulator/mkpki.sh), starts a
small pool of ECS emulators (tests/emulator/ecs_emulator.py) plus dedicated emulators and
metadata-service emulators where a test needs start-up flags, runs the binary as a subprocess
with a minimal environment (PATH, a temporary HOME, the emulator CA, and whatever the test
needs), and checks exit codes, stdout (parsed back and compared field by field with
tests/emulator/fixtures.py), stderr and the emulator's /__emu/stats.

Every output of every run is collected; the last test checks that no secret, security token or
proxy password used anywhere appears in any of them (raw or percent-encoded).

Last line: "integration: N passed, N failed[, N skipped]"; exit status 1 if anything failed.
"""

import argparse
import base64
import concurrent.futures
import contextlib
import functools
import http.client
import json
import math
import os
import queue
import random
import re
import shlex
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
EMU_DIR = os.path.join(ROOT, "tests", "emulator")
TRANSPORT_DIR = os.path.join(ROOT, "tests", "transport")
sys.path.insert(0, EMU_DIR)
sys.dont_write_bytecode = True   # leave no __pycache__ in tests/emulator

import fixtures  # noqa: E402
import ecs_emulator  # noqa: E402  (ERRORS, CONFIG_DEFAULTS, percent_encode: data only)

PROG = "ecs-ca-status"
REGION = "cn-hangzhou"
SH_REGION = "cn-shanghai"
PY = sys.executable or "python3"
SLACK = 1.0          # multiplier for time bounds (--slack; 3 by default under --qemu)

# ---------------------------------------------------------------------------------------------
# Credentials (the keys built into the emulators)
# ---------------------------------------------------------------------------------------------

AK_ID, AK_SECRET = "testid", "testsecret"
STS_ID, STS_SECRET, STS_TOKEN = "STS.testid", "sts+/=&%~* secret", "tok/en+=&%"
ODD_ID, ODD_SECRET = "oddid", "a+b/c=d&e%f~g*h i"
WRONG_SECRET = "wrong-Secret+/=&%"         # a bad secret for testid: SignatureDoesNotMatch
FILE_SECRET = "fileSecret+/=&%~*xyz"        # only ever written into malformed files
PROXY_PASSWORD = "proxyPa55+/=w0rd"

SECRETS = [AK_SECRET, STS_SECRET, STS_TOKEN, ODD_SECRET, WRONG_SECRET, FILE_SECRET, PROXY_PASSWORD]

AK = {"ALIBABA_CLOUD_ACCESS_KEY_ID": AK_ID, "ALIBABA_CLOUD_ACCESS_KEY_SECRET": AK_SECRET}
STS = {"ALIBABA_CLOUD_ACCESS_KEY_ID": STS_ID, "ALIBABA_CLOUD_ACCESS_KEY_SECRET": STS_SECRET,
       "ALIBABA_CLOUD_SECURITY_TOKEN": STS_TOKEN}
ODD = {"ALIBABA_CLOUD_ACCESS_KEY_ID": ODD_ID, "ALIBABA_CLOUD_ACCESS_KEY_SECRET": ODD_SECRET}

RETRYABLE_PREFIXES = ("Throttling", "ServiceUnavailable", "InternalError")

# ---------------------------------------------------------------------------------------------
# Fixtures
# ---------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=None)
def fx_items(region, now):
    return tuple(fixtures.instances(region, now))


@functools.lru_cache(maxsize=None)
def fx_by_id(region, now):
    return {it["InstanceId"]: it for it in fx_items(region, now)}


ALL_IDS = {r: [it["InstanceId"] for it in fixtures.instances(r, 0)] for r in fixtures.REGIONS}
FIXTURE_ID_SET = set(i for ids in ALL_IDS.values() for i in ids)
ALIVE = {r: [it["InstanceId"] for it in fixtures.instances(r, 0) if it["CloudAssistantStatus"] == "true"]
         for r in fixtures.REGIONS}
DEAD = {r: [it["InstanceId"] for it in fixtures.instances(r, 0) if it["CloudAssistantStatus"] == "false"]
        for r in fixtures.REGIONS}
# agent never installed (empty version), and installed but stopped
ABSENT = [it["InstanceId"] for it in fixtures.instances(REGION, 0) if not it["CloudAssistantVersion"]]
STOPPED = [it["InstanceId"] for it in fixtures.instances(REGION, 0)
           if it["CloudAssistantVersion"] and it["CloudAssistantStatus"] == "false"]


def madeup_id(n):
    """A well-formed id that no fixture has (reported as not found)."""
    alnum = "abcdefghijklmnopqrstuvwxyz0123456789"
    h = __import__("hashlib").sha256(b"notfound/%d" % n).digest()
    i = "i-bp1" + "".join(alnum[b % 36] for b in h[:17])
    assert i not in FIXTURE_ID_SET
    return i


def mixed_ids(n, seed):
    """n distinct ids: hangzhou fixture ids first (at most 300), then made-up ones, shuffled."""
    real = ALL_IDS[REGION][:min(n, 300)]
    ids = real + [madeup_id(k) for k in range(n - len(real))]
    random.Random(seed).shuffle(ids)
    return ids


def sample(ids, k, seed):
    return random.Random(seed).sample(ids, k)


# ---------------------------------------------------------------------------------------------
# Expected renderings of a fixture item, per output format
# ---------------------------------------------------------------------------------------------

TSV_FIELDS = ["InstanceId", "CloudAssistantStatus", "CloudAssistantVersion", "OSType", "LastHeartbeatTime",
              "LastInvokedTime", "ActiveTaskCount", "InvocationCount", "SupportSessionManager"]
TABLE_COLS = ["INSTANCE_ID", "AGENT", "VERSION", "OS", "HEARTBEAT", "TASKS", "RUNS", "SSM"]


def _txt(v):
    if v is None or v == "":
        return "-"
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def tsv_expected(item):
    return [_txt(item.get(k)) for k in TSV_FIELDS]


def tsv_notfound(iid):
    return [iid, "notfound"] + ["-"] * 7


def _digits(v):
    return "-" if v in (None, "", "-") else re.sub(r"[^0-9]", "", v)


def _age_class(v):
    """The table shows the heartbeat as an age ("42s", "3m", "5h", "12d"): compare its form."""
    if v in (None, "", "-"):
        return "-"
    return "age" if re.fullmatch(r"[0-9]+[smhd]", v) else v


def table_expected(item):
    return {
        "INSTANCE_ID": item["InstanceId"],
        "AGENT": "yes" if item["CloudAssistantStatus"] == "true" else "no",
        "VERSION": _txt(item.get("CloudAssistantVersion")),
        "OS": _txt(item.get("OSType")),
        "HEARTBEAT": "age" if item.get("LastHeartbeatTime") else "-",
        "TASKS": _txt(item.get("ActiveTaskCount")),
        "RUNS": _txt(item.get("InvocationCount")),
        "SSM": "yes" if item.get("SupportSessionManager") else "no",
    }


def table_normalize(row):
    row = dict(row)
    row["HEARTBEAT"] = _age_class(row.get("HEARTBEAT"))
    row["SSM"] = {"true": "yes", "false": "no"}.get(row.get("SSM"), row.get("SSM"))
    return row


def json_expected(item):
    return {k: v for k, v in item.items() if v != ""}


def json_normalize(obj):
    return {k: v for k, v in obj.items() if v != ""} if isinstance(obj, dict) else obj


def json_types_ok(obj):
    """API value types: strings, SupportSessionManager a bool, counts ints (not bools)."""
    for k, v in obj.items():
        if k == "SupportSessionManager":
            if not isinstance(v, bool):
                return "%s is %r, not a JSON boolean" % (k, v)
        elif k in ("ActiveTaskCount", "InvocationCount"):
            if isinstance(v, bool) or not isinstance(v, int):
                return "%s is %r, not a JSON integer" % (k, v)
        elif not isinstance(v, str):
            return "%s is %r, not a JSON string" % (k, v)
    return None


# ---------------------------------------------------------------------------------------------
# Output parsers
# ---------------------------------------------------------------------------------------------


class TestFailure(Exception):
    pass


class TestSkip(Exception):
    pass


def parse_tsv(out):
    rows = []
    for n, line in enumerate(out.split("\n")):
        if line == "" and n == len(out.split("\n")) - 1:
            continue
        cols = line.split("\t")
        if len(cols) != 9:
            raise TestFailure("tsv line %d has %d columns, want 9: %r" % (n + 1, len(cols), line))
        rows.append(cols)
    if out and not out.endswith("\n"):
        raise TestFailure("tsv output does not end with a newline")
    return rows


def parse_table(out):
    lines = [ln for ln in out.split("\n") if ln.strip()]
    if not lines:
        raise TestFailure("table output is empty")
    header = lines[0]
    matches = list(re.finditer(r"\S+", header))
    names = [m.group() for m in matches]
    if names != TABLE_COLS:
        raise TestFailure("table header is %r, want columns %s" % (header, " ".join(TABLE_COLS)))
    starts = [m.start() for m in matches]
    if starts[0] != 0:
        raise TestFailure("table header does not start with INSTANCE_ID: %r" % header)
    rows = []
    for ln in lines[1:]:
        vals = []
        for i, s in enumerate(starts):
            if i and len(ln) > s and ln[s - 1] != " ":
                raise TestFailure("table row not aligned with column %s: %r (header %r)"
                                  % (TABLE_COLS[i], ln, header))
            end = starts[i + 1] if i + 1 < len(starts) else None
            vals.append(ln[s:end].strip())
        rows.append(dict(zip(TABLE_COLS, vals)))
    return rows


def parse_json(out):
    try:
        doc = json.loads(out)
    except ValueError as e:
        raise TestFailure("stdout is not one JSON document: %s: %r" % (e, out[:300]))
    if not isinstance(doc, dict):
        raise TestFailure("JSON output is not an object")
    try:
        items = doc["InstanceCloudAssistantStatusSet"]["InstanceCloudAssistantStatus"]
    except (KeyError, TypeError):
        raise TestFailure("JSON output lacks InstanceCloudAssistantStatusSet.InstanceCloudAssistantStatus: %r"
                          % out[:300])
    if not isinstance(items, list):
        raise TestFailure("InstanceCloudAssistantStatus is not a list")
    for key, typ in (("TotalCount", int), ("RequestIds", list), ("NotFound", list)):
        if key not in doc or not isinstance(doc[key], typ) or isinstance(doc[key], bool):
            raise TestFailure("JSON output: %s missing or not a %s: %r" % (key, typ.__name__, doc.get(key)))
    return doc, items


# ---------------------------------------------------------------------------------------------
# Processes
# ---------------------------------------------------------------------------------------------

PROCS = []
PROCS_LOCK = threading.Lock()


def spawn(argv, log_path, **kw):
    logf = open(log_path, "ab")
    p = subprocess.Popen(argv, stdout=kw.pop("stdout", logf), stderr=logf, stdin=kw.pop("stdin", subprocess.DEVNULL),
                         start_new_session=True, **kw)
    logf.close()
    with PROCS_LOCK:
        PROCS.append(p)
    return p


def stop(p):
    if p is None or p.poll() is not None:
        return
    try:
        os.killpg(p.pid, signal.SIGTERM)
    except OSError:
        pass
    try:
        p.wait(3)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except OSError:
            pass
        p.wait(3)


def stop_all():
    with PROCS_LOCK:
        procs = list(PROCS)
    for p in procs:
        stop(p)


def wait_port_file(p, path, log_path, what, timeout=15):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with open(path) as f:
                text = f.read().strip()
            if text:
                return int(text)
        except (OSError, ValueError):
            pass
        if p.poll() is not None:
            break
        time.sleep(0.02)
    stop(p)
    try:
        with open(log_path, errors="replace") as f:
            log = f.read()[-2000:]
    except OSError:
        log = ""
    raise TestFailure("%s did not start (exit %s): %s" % (what, p.poll(), log))


def free_closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Ecs:
    """One ECS emulator process."""

    def __init__(self, suite, args=()):
        self.suite = suite
        d = tempfile.mkdtemp(prefix="ecs.", dir=suite.tmp)
        self.log = os.path.join(d, "log")
        pf = os.path.join(d, "port")
        argv = [PY, os.path.join(EMU_DIR, "ecs_emulator.py"), "--port", "0", "--port-file", pf,
                "--cert", suite.pki_cert, "--key", suite.pki_key] + list(args)
        self.proc = spawn(argv, self.log)
        self.port = wait_port_file(self.proc, pf, self.log, "ecs emulator %s" % " ".join(args))

    def _ctl(self, method, path, body=None):
        conn = http.client.HTTPSConnection("127.0.0.1", self.port, timeout=10, context=self.suite.ssl_ctx)
        try:
            data = json.dumps(body).encode() if body is not None else None
            conn.request(method, path, body=data,
                         headers={"Content-Type": "application/json"} if data is not None else {})
            resp = conn.getresponse()
            text = resp.read().decode()
            if resp.status != 200:
                raise TestFailure("emulator %s %s -> %d %s" % (method, path, resp.status, text))
            return json.loads(text)
        finally:
            conn.close()

    def stats(self):
        return self._ctl("GET", "/__emu/stats")

    def reset(self):
        return self._ctl("POST", "/__emu/reset")

    def configure(self, **cfg):
        full = dict(ecs_emulator.CONFIG_DEFAULTS)
        full.update(cfg)
        return self._ctl("POST", "/__emu/config", full)

    def alive(self):
        return self.proc.poll() is None


class Metadata:
    """One metadata-service emulator process (plain HTTP)."""

    def __init__(self, suite, args=()):
        d = tempfile.mkdtemp(prefix="md.", dir=suite.tmp)
        self.log = os.path.join(d, "log")
        pf = os.path.join(d, "port")
        argv = [PY, os.path.join(EMU_DIR, "metadata_emulator.py"), "--port", "0", "--port-file", pf] + list(args)
        self.proc = spawn(argv, self.log)
        self.port = wait_port_file(self.proc, pf, self.log, "metadata emulator")
        self.addr = "127.0.0.1:%d" % self.port

    def stats(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request("GET", "/__emu/stats")
            return json.loads(conn.getresponse().read().decode())
        finally:
            conn.close()


class Proxy:
    """tests/transport/connect_proxy.py (prints port=N; exits when its stdin closes)."""

    def __init__(self, suite, args=()):
        d = tempfile.mkdtemp(prefix="px.", dir=suite.tmp)
        log = os.path.join(d, "log")
        self.proc = spawn([PY, os.path.join(TRANSPORT_DIR, "connect_proxy.py")] + list(args), log,
                          stdout=subprocess.PIPE, stdin=subprocess.PIPE)
        line = self.proc.stdout.readline().decode()
        m = re.match(r"port=(\d+)", line)
        if not m:
            stop(self.proc)
            raise TestFailure("connect_proxy did not start: %r" % line)
        self.port = int(m.group(1))

    def stats(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request("GET", "/stats")
            return json.loads(conn.getresponse().read().decode())
        finally:
            conn.close()

    def close(self):
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        stop(self.proc)


# ---------------------------------------------------------------------------------------------
# Suite and per-test context
# ---------------------------------------------------------------------------------------------


class Run:
    def __init__(self, cmd, env, stdin, rc, out, err, t0, t1):
        self.cmd, self.env, self.stdin = cmd, env, stdin
        self.rc, self.out, self.err = rc, out, err
        self.t0, self.t1 = t0, t1

    @property
    def elapsed(self):
        return self.t1 - self.t0

    def describe(self, limit=2500):
        def cut(s):
            return s if len(s) <= limit else s[:limit] + "\n... (%d more chars)" % (len(s) - limit)
        envs = " ".join("%s=%s" % (k, shlex.quote(v)) for k, v in sorted(self.env.items()) if k != "PATH")
        lines = ["  command: %s" % shlex.join(self.cmd),
                 "  env:     %s" % envs]
        if self.stdin is not None:
            lines.append("  stdin:   %r" % (self.stdin[:300],))
        lines += ["  exit:    %s   (%.2f s)" % (self.rc, self.elapsed),
                  "  stdout:  " + cut(self.out).replace("\n", "\n           "),
                  "  stderr:  " + cut(self.err).replace("\n", "\n           ")]
        return "\n".join(lines)


class Suite:
    def __init__(self, args):
        self.bin = args.bin
        self.prefix = shlex.split(args.qemu) if args.qemu else []
        self.jobs = args.jobs
        self.keep = args.keep
        self.tmp = tempfile.mkdtemp(prefix="ecs-ca-status-it.")
        self.runs = []
        self.runs_lock = threading.Lock()
        self.pool = queue.Queue()

    def setup(self):
        pki, other = os.path.join(self.tmp, "pki"), os.path.join(self.tmp, "other-pki")
        procs = [subprocess.Popen(["sh", os.path.join(EMU_DIR, "mkpki.sh"), d],
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT) for d in (pki, other)]
        for p in procs:
            out = p.communicate(timeout=60)[0]
            if p.returncode != 0:
                raise RuntimeError("mkpki.sh failed: %s" % out.decode(errors="replace"))
        self.ca = os.path.join(pki, "ca.pem")
        self.other_ca = os.path.join(other, "ca.pem")
        self.pki_cert = os.path.join(pki, "server.pem")
        self.pki_key = os.path.join(pki, "server.key")
        self.ssl_ctx = ssl.create_default_context(cafile=self.ca)
        with concurrent.futures.ThreadPoolExecutor(self.jobs) as ex:
            for emu in ex.map(lambda _: Ecs(self), range(self.jobs)):
                self.pool.put(emu)

    def cleanup(self):
        stop_all()
        if not self.keep:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def record(self, name, run):
        with self.runs_lock:
            self.runs.append((name, run))

    @contextlib.contextmanager
    def pooled(self, cfg):
        emu = self.pool.get()
        try:
            if not emu.alive():
                emu = Ecs(self)
            emu.configure(**cfg)
            emu.reset()
            yield emu
        finally:
            self.pool.put(emu)


class T:
    """What one test sees."""

    def __init__(self, suite, name):
        self.suite = suite
        self.name = name
        self.dir = tempfile.mkdtemp(prefix=re.sub(r"[^A-Za-z0-9]+", "_", name)[:40] + ".", dir=suite.tmp)
        self.home = os.path.join(self.dir, "home")
        os.mkdir(self.home)
        self.runs = []
        self.cleanups = []

    # -- servers ------------------------------------------------------------------------------
    def ecs(self, **cfg):
        """A pooled emulator, reset, with config cfg (keys of ecs_emulator.CONFIG_DEFAULTS)."""
        return self.suite.pooled(cfg)

    @contextlib.contextmanager
    def ecs_proc(self, *args):
        """A dedicated emulator started with command-line flags."""
        emu = Ecs(self.suite, args)
        try:
            yield emu
        finally:
            stop(emu.proc)

    @contextlib.contextmanager
    def metadata(self, *args):
        md = Metadata(self.suite, args)
        try:
            yield md
        finally:
            stop(md.proc)

    @contextlib.contextmanager
    def proxy(self, *args):
        if not os.path.exists(os.path.join(TRANSPORT_DIR, "connect_proxy.py")):
            raise TestSkip("tests/transport/connect_proxy.py missing")
        px = Proxy(self.suite, args)
        try:
            yield px
        finally:
            px.close()

    # -- files --------------------------------------------------------------------------------
    def write(self, rel, text, mode=0o600):
        path = os.path.join(self.dir, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, mode)
        return path

    def config_json(self, profiles, current="default", rel="cfg/config.json", mode=0o600):
        return self.write(rel, json.dumps({"current": current, "profiles": profiles, "meta_path": ""}, indent=2),
                          mode)

    # -- running ------------------------------------------------------------------------------
    def env(self, *dicts, ca=True, meta=False, **kw):
        e = {"PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"), "HOME": self.home}
        for k, v in os.environ.items():          # qemu-user needs its own variables
            if k.startswith("QEMU_"):
                e[k] = v
        if ca:
            e["SSL_CERT_FILE"] = self.suite.ca
        if not meta:
            e["ALIBABA_CLOUD_ECS_METADATA_DISABLED"] = "true"
        for d in dicts:
            e.update(d)
        e.update(kw)
        return {k: v for k, v in e.items() if v is not None}

    def run(self, args, env, stdin=None, timeout=60):
        cmd = self.suite.prefix + [self.suite.bin] + [str(a) for a in args]
        t0 = time.time()
        timeout = timeout * SLACK
        p = subprocess.Popen(cmd, stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=self.dir,
                             start_new_session=True)
        try:
            out, err = p.communicate(stdin.encode() if stdin is not None else None, timeout=timeout)
            rc = p.returncode
        except subprocess.TimeoutExpired:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except OSError:
                pass
            out, err = p.communicate()
            rc = "timeout after %ss" % timeout
        r = Run(cmd, env, stdin, rc, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"), t0, time.time())
        self.runs.append(r)
        self.suite.record(self.name, r)
        return r

    def call(self, emu, args, env=None, region=REGION, stdin=None, timeout=60):
        """Run against an emulator: --endpoint 127.0.0.1:PORT [-r REGION] ARGS."""
        pre = []
        if emu is not None:
            pre += ["--endpoint", "127.0.0.1:%d" % (emu if isinstance(emu, int) else emu.port)]
        if region:
            pre += ["-r", region]
        return self.run(pre + list(args), env if env is not None else self.env(AK), stdin, timeout)

    # -- assertions ---------------------------------------------------------------------------
    def fail(self, msg):
        raise TestFailure(msg)

    def check(self, cond, msg):
        if not cond:
            raise TestFailure(msg)

    def eq(self, got, want, what):
        if got != want:
            raise TestFailure("%s: got %r, want %r" % (what, got, want))

    def exit(self, r, *codes):
        if r.rc not in codes:
            raise TestFailure("exit status %s, want %s" % (r.rc, " or ".join(map(str, codes))))

    def err_line(self, r, *needles, one_line=False):
        """stderr has a line starting 'ecs-ca-status: ' and contains every needle."""
        lines = [ln for ln in r.err.split("\n") if ln.strip()]
        self.check(any(ln.startswith(PROG + ": ") for ln in lines),
                   "no stderr line starts with %r" % (PROG + ": "))
        if one_line:
            self.check(len(lines) == 1, "stderr has %d lines, want exactly one error line" % len(lines))
        flat = " ".join(r.err.split())
        for n in needles:
            if isinstance(n, (tuple, list)):
                self.check(any(" ".join(x.split()).lower() in flat.lower() for x in n),
                           "stderr mentions none of %r" % (n,))
            else:
                self.check(" ".join(n.split()) in flat, "stderr does not mention %r" % n)

    def stat_eq(self, st, key, want):
        self.eq(st[key], want, "emulator stats %s" % key)

    # -- output checks against the fixtures ---------------------------------------------------
    def _nows(self, r, skew=0):
        return range(int(r.t0 + skew) - 2, int(r.t1 + skew) + 3)

    def _candidates(self, region, iid, nows):
        out = []
        for n in nows:
            it = fx_by_id(region, n).get(iid)
            if it is not None:
                out.append(it)
        return out

    def tsv(self, r, ids, region=REGION, skew=0):
        """stdout is tsv with one line per id, in order, matching the fixtures."""
        rows = parse_tsv(r.out)
        self.eq([row[0] for row in rows][:len(ids) + 5], list(ids)[:len(ids) + 5], "tsv instance ids in order")
        self.eq(len(rows), len(ids), "tsv line count")
        nows = self._nows(r, skew)
        for row in rows:
            cands = self._candidates(region, row[0], nows)
            if not cands:
                self.eq(row, tsv_notfound(row[0]), "tsv line of a not-found id")
                continue
            exps = [tsv_expected(c) for c in cands]
            if row not in exps:
                self.fail("tsv line for %s:\n  got  %r\n  want %r" % (row[0], row, exps[0]))
        return rows

    def table(self, r, ids, region=REGION):
        rows = parse_table(r.out)
        self.eq([row["INSTANCE_ID"] for row in rows], list(ids), "table instance ids in order")
        nows = self._nows(r)
        for row in rows:
            cands = self._candidates(region, row["INSTANCE_ID"], nows)
            if not cands:
                self.eq(row["AGENT"], "NOT FOUND", "table AGENT of not-found %s" % row["INSTANCE_ID"])
                rest = [v for k, v in row.items() if k not in ("INSTANCE_ID", "AGENT")]
                self.check(all(v in ("-", "") for v in rest),
                           "table row of not-found %s has values: %r" % (row["INSTANCE_ID"], row))
                continue
            got = table_normalize(row)
            exps = [table_expected(c) for c in cands]
            if got not in exps:
                self.fail("table row for %s:\n  got  %r\n  want %r" % (row["INSTANCE_ID"], row, exps[0]))
        return rows

    def json_items(self, r, ids, region=REGION, skew=0, notfound=None, requests=None):
        """JSON output: the found ids in input order, field by field; NotFound; RequestIds."""
        doc, items = parse_json(r.out)
        nows = self._nows(r, skew)
        found = [i for i in ids if self._candidates(region, i, nows)]
        missing = [i for i in ids if i not in found] if notfound is None else notfound
        self.eq([it.get("InstanceId") for it in items], found, "JSON item InstanceIds in input order")
        for it in items:
            bad = json_types_ok(it)
            if bad:
                self.fail("JSON item %s: %s" % (it.get("InstanceId"), bad))
            self.check(it.get("CloudAssistantStatus") in ("true", "false"),
                       "JSON CloudAssistantStatus must be the string \"true\"/\"false\": %r" % it)
            self.eq(it.get("RegionId"), region, "JSON RegionId of %s" % it.get("InstanceId"))
            got = json_normalize({k: v for k, v in it.items() if k != "RegionId"})
            exps = [json_expected(c) for c in self._candidates(region, it["InstanceId"], nows)]
            if got not in exps:
                self.fail("JSON item for %s:\n  got  %r\n  want %r" % (it["InstanceId"], it, exps[0]))
        self.eq(doc["NotFound"], missing, "JSON NotFound")
        self.eq(doc["TotalCount"], len(items), "JSON TotalCount (items merged)")
        if requests is not None:
            self.eq(len(doc["RequestIds"]), requests, "JSON RequestIds count")
        self.check(all(isinstance(x, str) and x for x in doc["RequestIds"]), "JSON RequestIds must be strings")
        self.eq(len(set(doc["RequestIds"])), len(doc["RequestIds"]), "JSON RequestIds distinct")
        return doc, items


# ---------------------------------------------------------------------------------------------
# Stats helpers
# ---------------------------------------------------------------------------------------------


def lr_params(lr):
    p = dict(lr.get("query") or {})
    p.update(lr.get("form") or {})
    return p


def lr_ids(lr):
    p = lr_params(lr)
    ids = [(int(k.split(".", 1)[1]), v) for k, v in p.items() if re.fullmatch(r"InstanceId\.\d+", k)]
    return [v for _, v in sorted(ids)]


def lr_key(lr):
    if lr.get("signature_version") == "v3":
        m = re.search(r"Credential=([^,\s]+)", lr["headers"].get("authorization", ""))
        return m.group(1) if m else None
    return lr_params(lr).get("AccessKeyId")


def lr_token(lr):
    if lr.get("signature_version") == "v3":
        return lr["headers"].get("x-acs-security-token")
    return lr_params(lr).get("SecurityToken")


def nreq(n, batch=50):
    return max(1, math.ceil(n / batch))


# ---------------------------------------------------------------------------------------------
# Registry
# ---------------------------------------------------------------------------------------------

TESTS = []


def test(name):
    def deco(fn):
        TESTS.append((name, fn))
        return fn
    return deco


def add(name, fn, *a, **kw):
    TESTS.append((name, lambda t: fn(t, *a, **kw)))


# =============================================================================================
# The tests
# =============================================================================================

# --- basics -----------------------------------------------------------------------------------


@test("basic/quiet-success-v3-default")
def _(t):
    ids = sample(ALL_IDS[REGION], 5, 1)
    with t.ecs() as emu:
        r = t.call(emu, ["-o", "tsv"] + ids)
        st = emu.stats()
    t.exit(r, 0)
    t.eq(r.err, "", "stderr of a successful run without -v")
    t.eq(st["last_request"]["signature_version"], "v3", "default signature version")
    t.stat_eq(st, "requests", 1)
    t.stat_eq(st, "errors", {})
    t.tsv(r, ids)


@test("help")
def _(t):
    for flag in ("--help", "-h"):
        r = t.run([flag], t.env())
        t.exit(r, 0)
        text = r.out
        for f in ("-r", "--region", "-a", "--all", "--os-type", "-o", "--output", "--check", "--endpoint", "--vpc",
                  "--signature", "--batch-size", "--ca-file", "--proxy", "--no-proxy", "--profile",
                  "--connect-timeout", "--read-timeout", "--retries", "--dry-run", "-v", "--verbose", "-h", "--help",
                  "-V", "--version", "-i", "--instance-id"):
            t.check(re.search(r"(^|[\s,\[])%s\b" % re.escape(f), text), "%s does not list %s" % (flag, f))
        for word in ("table", "json", "tsv", "v3", "v1"):
            t.check(word in text, "%s does not mention %r" % (flag, word))
        m = re.search(r"exit", text, re.I)
        t.check(m, "%s has no exit status section" % flag)
        tail = text[m.start():]
        for code in range(6):
            t.check(re.search(r"(^|\D)%d(\D|$)" % code, tail), "%s exit section lacks exit code %d" % (flag, code))


@test("version")
def _(t):
    for flag in ("--version", "-V"):
        r = t.run([flag], t.env())
        t.exit(r, 0)
        first = r.out.split("\n")[0]
        t.check(PROG in first, "%s first line lacks %r: %r" % (flag, PROG, first))
        t.check(re.search(r"\d+\.\d+", first), "%s first line has no version number: %r" % (flag, first))
        t.check("mbedTLS" in r.out, "%s does not mention mbedTLS: %r" % (flag, r.out))


# --- signatures and keys ----------------------------------------------------------------------

def _signature(t, sig, creds, key_id, token, region=REGION):
    ids = sample(ALL_IDS[region], 7, len(key_id) + (sig == "v1"))
    args = ["-o", "tsv"] + (["--signature", sig] if sig else []) + ids
    with t.ecs() as emu:
        r = t.call(emu, args, env=t.env(creds), region=region)
        st = emu.stats()
    t.exit(r, 0)
    lr = st["last_request"]
    t.eq(lr["signature_version"], sig or "v3", "signature version seen by the emulator")
    t.eq(lr_key(lr), key_id, "AccessKeyId seen by the emulator")
    t.eq(lr_token(lr), token, "security token seen by the emulator")
    t.stat_eq(st, "errors", {})
    t.stat_eq(st, "ok", 1)
    t.tsv(r, ids, region)


for _sig in ("v1", "v3"):
    add("signature/%s-ak" % _sig, _signature, _sig, AK, AK_ID, None)
    add("signature/%s-sts-env" % _sig, _signature, _sig, STS, STS_ID, STS_TOKEN)
    add("signature/%s-odd-secret" % _sig, _signature, _sig, ODD, ODD_ID, None)
add("signature/v1-shanghai", _signature, "v1", AK, AK_ID, None, region=SH_REGION)


@test("signature/wrong-secret-v3")
def _(t):
    _wrong_secret(t, "v3")


@test("signature/wrong-secret-v1")
def _(t):
    _wrong_secret(t, "v1")


def _wrong_secret(t, sig):
    with t.ecs() as emu:
        r = t.call(emu, ["--signature", sig, ALL_IDS[REGION][0]],
                   env=t.env({"ALIBABA_CLOUD_ACCESS_KEY_ID": AK_ID, "ALIBABA_CLOUD_ACCESS_KEY_SECRET": WRONG_SECRET}))
        st = emu.stats()
    t.exit(r, 3)
    t.err_line(r, "SignatureDoesNotMatch", "400", one_line=True)
    t.stat_eq(st, "requests", 1)   # client errors are never retried


@test("signature/unknown-access-key")
def _(t):
    with t.ecs() as emu:
        r = t.call(emu, [ALL_IDS[REGION][0]],
                   env=t.env({"ALIBABA_CLOUD_ACCESS_KEY_ID": "nosuchkey", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": AK_SECRET}))
        st = emu.stats()
    t.exit(r, 3)
    t.err_line(r, "InvalidAccessKeyId.NotFound", "404")
    t.stat_eq(st, "requests", 1)


@test("signature/sts-key-without-token")
def _(t):
    env = t.env({"ALIBABA_CLOUD_ACCESS_KEY_ID": STS_ID, "ALIBABA_CLOUD_ACCESS_KEY_SECRET": STS_SECRET})
    with t.ecs() as emu:
        r = t.call(emu, [ALL_IDS[REGION][0]], env=env)
    t.exit(r, 3)
    t.err_line(r, "MissingSecurityToken")


# --- ids, batching, connection reuse ----------------------------------------------------------

def _batch(t, n, sig=None):
    ids = mixed_ids(n, n)
    with t.ecs() as emu:
        r = t.call(emu, ["-o", "tsv", "--parallel", "1"] + (["--signature", sig] if sig else []) + ids,
                   timeout=90)
        st = emu.stats()
    t.exit(r, 0)
    want = nreq(n, 100)
    t.stat_eq(st, "requests", want)
    t.stat_eq(st, "ok", want)
    t.stat_eq(st, "connections", 1)
    t.stat_eq(st, "max_requests_per_connection", want)
    t.eq(lr_ids(st["last_request"]), ids[(want - 1) * 100:], "InstanceId.N of the last request")
    t.tsv(r, ids)


for _n in (1, 100, 101, 1000):
    add("batch/%d-ids" % _n, _batch, _n)
add("batch/220-ids-v1", _batch, 220, "v1")


def _batch_size(t, n, size):
    ids = mixed_ids(n, size)
    with t.ecs() as emu:
        r = t.call(emu, ["-o", "tsv", "--parallel", "1", "--batch-size", str(size)] + ids)
        st = emu.stats()
    t.exit(r, 0)
    want = nreq(n, size)
    t.stat_eq(st, "requests", want)
    t.stat_eq(st, "connections", 1)
    t.eq(lr_ids(st["last_request"]), ids[(want - 1) * size:], "InstanceId.N of the last request")
    t.tsv(r, ids)


add("batch-size/1", _batch_size, 5, 1)
add("batch-size/7", _batch_size, 20, 7)
add("batch-size/100", _batch_size, 100, 100)
add("batch-size/100-of-250", _batch_size, 250, 100)


@test("batch-size/101-usage-error")
def _(t):
    with t.ecs() as emu:
        r = t.call(emu, ["--batch-size", "101", ALL_IDS[REGION][0]])
        st = emu.stats()
    t.exit(r, 2)
    t.err_line(r, ("--batch-size", "batch-size"))
    t.stat_eq(st, "requests", 0)


@test("ids/dedup")
def _(t):
    a, b, c = ALL_IDS[REGION][:3]
    x = madeup_id(1)
    with t.ecs() as emu:
        r = t.call(emu, ["-o", "tsv", a, b, a, x, c, b, a, x])
        st = emu.stats()
    t.exit(r, 0)
    t.stat_eq(st, "requests", 1)
    t.eq(lr_ids(st["last_request"]), [a, b, x, c], "ids sent (de-duplicated, first occurrence order)")
    t.tsv(r, [a, b, x, c])


@test("ids/dedup-60-to-50-one-request")
def _(t):
    ids = ALL_IDS[REGION][:50]
    with t.ecs() as emu:
        r = t.call(emu, ["-o", "tsv"] + ids + ids[:10])
        st = emu.stats()
    t.exit(r, 0)
    t.stat_eq(st, "requests", 1)
    t.tsv(r, ids)


@test("ids/-i-repeated")
def _(t):
    a, b, c = sample(ALL_IDS[REGION], 3, 5)
    with t.ecs() as emu:
        r = t.call(emu, ["-o", "tsv", "-i", a, "--instance-id", b, "-i", c])
    t.exit(r, 0)
    t.tsv(r, [a, b, c])


@test("ids/stdin")
def _(t):
    ids = mixed_ids(220, 77)
    text = ""
    for k, i in enumerate(ids):
        text += i + ("\n" if k % 3 == 0 else " " if k % 3 == 1 else "\t \n\n")
    with t.ecs() as emu:
        r = t.call(emu, ["-o", "tsv", "--parallel", "1", "-"], stdin=text)
        st = emu.stats()
    t.exit(r, 0)
    t.stat_eq(st, "requests", 3)
    t.stat_eq(st, "connections", 1)
    t.tsv(r, ids)


@test("ids/stdin-crlf")
def _(t):
    ids = sample(ALL_IDS[REGION], 4, 78)
    with t.ecs() as emu:
        r = t.call(emu, ["-o", "tsv", "-"], stdin="\r\n".join(ids) + "\r\n")
    t.exit(r, 0)
    t.tsv(r, ids)


@test("ids/stdin-empty")
def _(t):
    with t.ecs() as emu:
        r = t.call(emu, ["-o", "tsv", "-"], stdin="")
        st = emu.stats()
    t.exit(r, 2)
    t.err_line(r)
    t.stat_eq(st, "requests", 0)


@test("ids/mixed-sources")
def _(t):
    a, b, c, d, e = sample(ALL_IDS[REGION], 5, 9)
    with t.ecs() as emu:
        r = t.call(emu, ["-o", "tsv", "-i", a, b, "-", "-i", c], stdin="%s\n%s %s\n" % (d, e, a))
        st = emu.stats()
    t.exit(r, 0)
    t.stat_eq(st, "requests", 1)
    rows = parse_tsv(r.out)
    t.eq(sorted(row[0] for row in rows), sorted([a, b, c, d, e]), "ids from -i, positional and stdin")
    t.eq(sorted(lr_ids(st["last_request"])), sorted([a, b, c, d, e]), "ids sent")


@test("ids/64-char-id-accepted")
def _(t):
    iid = "i-" + "a1" * 31
    t.eq(len(iid), 64, "id length")
    with t.ecs() as emu:
        r = t.call(emu, ["-o", "tsv", iid])
    t.exit(r, 0)
    t.tsv(r, [iid])


def _bad_id(t, args, needle, stdin=None):
    with t.ecs() as emu:
        r = t.call(emu, args, stdin=stdin)
        st = emu.stats()
    t.exit(r, 2)
    if needle is None:
        t.err_line(r)
    else:
        t.err_line(r, needle)
    t.stat_eq(st, "requests", 0)
    t.eq(r.out, "", "stdout")


_ok = ALL_IDS[REGION][0]
add("bad-id/bang", _bad_id, [_ok, "i-bad!"], "i-bad!")
add("bad-id/65-chars", _bad_id, [_ok, "i-" + "b" * 63], "i-" + "b" * 38)   # a long id may be shortened
add("bad-id/empty-positional", _bad_id, [_ok, ""], None)
add("bad-id/empty-i", _bad_id, ["-i", "", _ok], None)
add("bad-id/underscore", _bad_id, ["i_abc"], "i_abc")
add("bad-id/slash", _bad_id, ["i-a/b"], "i-a/b")
add("bad-id/non-ascii", _bad_id, ["i-\u00e9t\u00e9"], "i-\u00e9t\u00e9")
add("bad-id/via-i", _bad_id, ["-i", "i-bad!"], "i-bad!")
add("bad-id/via-stdin", _bad_id, ["-"], "i-bad!", stdin="%s\ni-bad!\n" % _ok)


@test("settings/aliyun-cli-environment")
def _(t):
    # issue 14: the endpoint, endpoint type, timeout and retry settings aliyun-cli takes from the
    # environment are honoured below the flags
    iid = ALL_IDS[REGION][0]
    with t.ecs() as emu:
        ep = "127.0.0.1:%d" % emu.port
        r = t.run(["-r", REGION, "-o", "tsv", iid], t.env(AK, {"ALIBABA_CLOUD_ENDPOINT": ep}))
        t.exit(r, 0)
        t.tsv(r, [iid])
        # the flag wins over the variable
        r = t.call(emu, ["-o", "tsv", iid], env=t.env(AK, {"ALIBABA_CLOUD_ENDPOINT": "127.0.0.1:1"}))
        t.exit(r, 0)
        st = emu.stats()
    t.stat_eq(st, "requests", 2)
    for var, val in (("ALIBABA_CLOUD_CONNECT_TIMEOUT", "soon"), ("ALIBABA_CLOUD_READ_TIMEOUT", "0"),
                     ("ALIBABA_CLOUD_RETRY_COUNT", "99"), ("ALIBABA_CLOUD_ENDPOINT_TYPE", "intranet")):
        r = t.run(["-r", REGION, "--dry-run", iid], t.env(AK, {var: val}))
        t.exit(r, 2)
        t.err_line(r, var)
    r = t.run(["-r", REGION, "--dry-run", iid], t.env(AK, {"ALIBABA_CLOUD_ENDPOINT_TYPE": "vpc"}))
    t.exit(r, 0)
    t.check("host: ecs-vpc.%s.aliyuncs.com" % REGION in r.out, "vpc endpoint type not used: %r" % r.out[:300])
    r = t.run(["-r", REGION, "--retries", "1", "--dry-run", iid], t.env(AK, {"ALIBABA_CLOUD_RETRY_COUNT": "99"}))
    t.exit(r, 0)  # the flag given: the (bad) variable is not even read


@test("settings/aliyun-cli-profile")
def _(t):
    # issue 14: a config.json profile's endpoint, endpoint_type and timeouts, as aliyun-cli keeps
    # them, below the flags and above the environment
    iid = ALL_IDS[REGION][0]
    with t.ecs() as emu:
        prof = {"name": "default", "mode": "AK", "access_key_id": AK_ID, "access_key_secret": AK_SECRET,
                "region_id": REGION, "endpoint": "127.0.0.1:%d" % emu.port, "read_timeout": 7,
                "retry_timeout": 99, "connect_timeout": 4000, "retry_count": 50}
        cfg = t.config_json([prof])
        env = t.env({"ALIBABA_CLOUD_CONFIG_FILE": cfg, "ALIBABA_CLOUD_ENDPOINT": "127.0.0.1:1",
                     "ALIBABA_CLOUD_RETRY_COUNT": "bad"})
        r = t.run(["-o", "tsv", "-v", iid], env)
        st = emu.stats()
    t.exit(r, 0)
    t.tsv(r, [iid])
    t.stat_eq(st, "requests", 1)
    bad = dict(prof, read_timeout="7")
    r = t.run(["-o", "tsv", iid], t.env({"ALIBABA_CLOUD_CONFIG_FILE": t.config_json([bad], rel="cfg/bad.json")}))
    t.exit(r, 2)
    t.err_line(r, "read_timeout")


@test("usage/no-ids-no-all")
def _(t):
    with t.ecs() as emu:
        r = t.call(emu, [])
        st = emu.stats()
    t.exit(r, 2)
    t.err_line(r)
    t.stat_eq(st, "requests", 0)


@test("usage/no-region")
def _(t):
    with t.ecs() as emu:
        r = t.call(emu, [ALL_IDS[REGION][0]], region=None)
        st = emu.stats()
    t.exit(r, 2)
    t.err_line(r, ("region", "--region"))
    t.stat_eq(st, "requests", 0)


# --- bad flags --------------------------------------------------------------------------------

LONG_OF = {"-r": "--region", "-o": "--output", "-Z": "-Z"}


def _bad_flag(t, args, needle):
    with t.ecs() as emu:
        r = t.call(emu, [ALL_IDS[REGION][0]] + args)
        st = emu.stats()
    t.exit(r, 2)
    # the flag as typed, its long form, or the long name without dashes ("batch-size: ...")
    long = LONG_OF.get(needle, needle)
    t.err_line(r, (needle, long, long.lstrip("-")) if long.startswith("--") else needle)
    t.stat_eq(st, "requests", 0)
    t.eq(r.out, "", "stdout")


for _name, _args, _needle in [
    ("unknown-long", ["--bogus"], "--bogus"),
    ("unknown-short", ["-Z"], "-Z"),
    ("missing-value-region", ["--region"], "--region"),
    ("missing-value-r", ["-r"], "-r"),
    ("missing-value-output", ["-o"], "-o"),
    ("missing-value-endpoint", ["--endpoint"], "--endpoint"),
    ("missing-value-profile", ["--profile"], "--profile"),
    ("missing-value-batch-size", ["--batch-size"], "--batch-size"),
    ("output-xml", ["-o", "xml"], "-o"),
    ("output-long-yaml", ["--output", "yaml"], "--output"),
    ("batch-size-0", ["--batch-size", "0"], "--batch-size"),
    ("batch-size-101", ["--batch-size", "101"], "--batch-size"),
    ("batch-size-abc", ["--batch-size", "abc"], "--batch-size"),
    ("batch-size-negative", ["--batch-size", "-5"], "--batch-size"),
    ("batch-size-trailing", ["--batch-size", "10x"], "--batch-size"),
    ("signature-v2", ["--signature", "v2"], "--signature"),
    ("os-type-solaris", ["--os-type", "Solaris"], "--os-type"),
    ("connect-timeout-abc", ["--connect-timeout", "abc"], "--connect-timeout"),
    ("read-timeout-abc", ["--read-timeout", "x1"], "--read-timeout"),
    ("retries-abc", ["--retries", "many"], "--retries"),
    ("retries-negative", ["--retries", "-1"], "--retries"),
    ("endpoint-port-out-of-range", ["--endpoint", "127.0.0.1:99999"], "--endpoint"),
    ("endpoint-empty", ["--endpoint", ""], "--endpoint"),
    ("proxy-not-http", ["--proxy", "ftp://127.0.0.1:21"], "--proxy"),
    ("proxy-bad-port", ["--proxy", "http://127.0.0.1:notaport"], "--proxy"),
]:
    add("bad-flag/" + _name, _bad_flag, _args, _needle)


# --- output formats ---------------------------------------------------------------------------

def _format_ids():
    ids = sample(ALL_IDS[REGION], 60, 3) + [madeup_id(900), madeup_id(901)]
    # make sure both agent states, an absent agent and a stopped one are in
    for extra in (ABSENT[0], ABSENT[1], STOPPED[0]):
        if extra not in ids:
            ids.append(extra)
    random.Random(4).shuffle(ids)
    return ids


@test("output/tsv")
def _(t):
    ids = _format_ids()
    with t.ecs() as emu:
        r = t.call(emu, ["-o", "tsv"] + ids)
    t.exit(r, 0)
    t.tsv(r, ids)


@test("output/json")
def _(t):
    ids = _format_ids()
    with t.ecs() as emu:
        r = t.call(emu, ["-o", "json"] + ids)
        st = emu.stats()
    t.exit(r, 0)
    doc, _ = t.json_items(r, ids, requests=st["ok"])
    t.eq(sorted(doc["NotFound"]), sorted([madeup_id(900), madeup_id(901)]), "NotFound ids")


@test("output/table-default")
def _(t):
    ids = _format_ids()
    with t.ecs() as emu:
        r = t.call(emu, ids)
    t.exit(r, 0)
    t.table(r, ids)


@test("output/table-explicit")
def _(t):
    ids = sample(ALL_IDS[SH_REGION], 10, 8) + [madeup_id(5)]
    with t.ecs() as emu:
        r = t.call(emu, ["-o", "table"] + ids, region=SH_REGION)
    t.exit(r, 0)
    t.table(r, ids, SH_REGION)


@test("output/json-shanghai")
def _(t):
    ids = sample(ALL_IDS[SH_REGION], 20, 2)
    with t.ecs() as emu:
        r = t.call(emu, ["-o", "json"] + ids, region=SH_REGION)
    t.exit(r, 0)
    t.json_items(r, ids, SH_REGION, requests=1)


def _tolerant(t, cfg, fmt):
    ids = _format_ids()
    with t.ecs(**cfg) as emu:
        r = t.call(emu, ["-o", fmt] + ids)
    t.exit(r, 0)
    if fmt == "tsv":
        t.tsv(r, ids)
    else:
        t.json_items(r, ids)


for _cfg in ("bool_status", "title_status", "misspelled"):
    add("server-variant/%s-tsv" % _cfg, _tolerant, {_cfg: True}, "tsv")
    add("server-variant/%s-json" % _cfg, _tolerant, {_cfg: True}, "json")


# --- --all ------------------------------------------------------------------------------------

def _all(t, region=REGION, os_type=None, fmt="tsv", cfg=None, sig=None):
    args = ["--all", "-o", fmt] + (["--os-type", os_type] if os_type else []) + (["--signature", sig] if sig else [])
    with t.ecs(**(cfg or {})) as emu:
        r = t.call(emu, args, region=region)
        st = emu.stats()
    t.exit(r, 0)
    want_ids = [it["InstanceId"] for it in fixtures.select(region, 0, None, os_type)]
    want_req = nreq(len(want_ids))
    t.stat_eq(st, "requests", want_req)
    t.stat_eq(st, "connections", 1)
    t.stat_eq(st, "errors", {})
    p = lr_params(st["last_request"])
    t.eq(p.get("MaxResults"), "50", "MaxResults of the last page request")
    if want_req > 1:
        t.check(p.get("NextToken"), "the last page request carries no NextToken")
    if os_type:
        t.eq(p.get("OSType"), os_type, "OSType sent")
    if fmt == "tsv":
        rows = t.tsv(r, want_ids, region)
        t.eq(len(set(row[0] for row in rows)), len(want_ids), "each instance exactly once")
    else:
        t.json_items(r, want_ids, region, requests=want_req)


add("all/hangzhou-300-tsv", _all)
add("all/hangzhou-json", _all, fmt="json")
add("all/os-type-windows", _all, os_type="Windows")
add("all/os-type-windows-json", _all, os_type="Windows", fmt="json")
add("all/shanghai-freebsd", _all, region=SH_REGION, os_type="FreeBSD")
add("all/shanghai-linux", _all, region=SH_REGION, os_type="Linux")
add("all/odd-next-token-v3", _all, cfg={"odd_next_token": True})
add("all/odd-next-token-v1", _all, cfg={"odd_next_token": True}, sig="v1")


@test("all/table")
def _(t):
    with t.ecs() as emu:
        r = t.call(emu, ["-a"], region=SH_REGION)
    t.exit(r, 0)
    t.table(r, ALL_IDS[SH_REGION], SH_REGION)


# --- --check ----------------------------------------------------------------------------------

def _check(t, ids, want, extra=()):
    with t.ecs() as emu:
        r = t.call(emu, ["--check", "-o", "tsv"] + list(extra) + ids)
    t.exit(r, want)
    return r


add("check/all-alive-0", _check, ALIVE[REGION][:20], 0)
add("check/one-stopped-1", _check, ALIVE[REGION][:20] + [STOPPED[0]], 1)
add("check/one-absent-1", _check, [ABSENT[0]] + ALIVE[REGION][:5], 1)
add("check/missing-id-1", _check, ALIVE[REGION][:5] + [madeup_id(42)], 1)
add("check/all-alive-json-0", _check, ALIVE[REGION][:3], 0, ["-o", "json"])


@test("check/with-all-1")
def _(t):
    with t.ecs() as emu:
        r = t.call(emu, ["--check", "--all", "-o", "tsv"])
    t.exit(r, 1)


@test("check/api-error-is-3")
def _(t):
    with t.ecs(force_error="InvalidParameter") as emu:
        r = t.call(emu, ["--check", ALIVE[REGION][0]])
    t.exit(r, 3)


# --- credentials ------------------------------------------------------------------------------

def _cred_ok(t, env, key_id, token=None, args=(), region=REGION, ids=None, flag_region=True):
    """flag_region=False: no -r, the region must come from the environment or a profile."""
    ids = ids or sample(ALL_IDS[region], 3, 11)
    with t.ecs() as emu:
        r = t.call(emu, ["-o", "tsv"] + list(args) + ids, env=env, region=region if flag_region else None)
        st = emu.stats()
    t.exit(r, 0)
    lr = st["last_request"]
    t.eq(lr_key(lr), key_id, "access key id used")
    t.eq(lr_token(lr), token, "security token used")
    t.tsv(r, ids, region)
    return r, st


@test("creds/env-ak")
def _(t):
    _cred_ok(t, t.env(AK), AK_ID)


for _i, (_kid, _ksec) in enumerate([("ALIBABACLOUD_ACCESS_KEY_ID", "ALIBABACLOUD_ACCESS_KEY_SECRET"),
                                    ("ALICLOUD_ACCESS_KEY_ID", "ALICLOUD_ACCESS_KEY_SECRET"),
                                    ("ACCESS_KEY_ID", "ACCESS_KEY_SECRET"),
                                    ("ALICLOUD_ACCESS_KEY", "ALICLOUD_SECRET_KEY")]):
    add("creds/env-alias-" + _kid, lambda t, a=_kid, b=_ksec: _cred_ok(t, t.env({a: AK_ID, b: AK_SECRET}), AK_ID))


@test("creds/env-alias-sts-ALICLOUD")
def _(t):
    env = t.env({"ALICLOUD_ACCESS_KEY": STS_ID, "ALICLOUD_SECRET_KEY": STS_SECRET, "ALICLOUD_SECURITY_TOKEN": STS_TOKEN})
    _cred_ok(t, env, STS_ID, STS_TOKEN, ["-v"])


@test("creds/env-alias-sts-ALIBABACLOUD")
def _(t):
    env = t.env({"ALIBABACLOUD_ACCESS_KEY_ID": STS_ID, "ALIBABACLOUD_ACCESS_KEY_SECRET": STS_SECRET,
                 "ALIBABACLOUD_SECURITY_TOKEN": STS_TOKEN})
    _cred_ok(t, env, STS_ID, STS_TOKEN)


@test("creds/env-sts-verbose-v1")
def _(t):
    r, _ = _cred_ok(t, t.env(STS), STS_ID, STS_TOKEN, ["-v", "--signature", "v1"])
    t.check(any(ln.startswith("* ") for ln in r.err.split("\n")), "-v printed no '* ' trace line")


@test("creds/env-sts-verbose-v3")
def _(t):
    r, _ = _cred_ok(t, t.env(STS), STS_ID, STS_TOKEN, ["-v", "--signature", "v3"])
    t.check(any(ln.startswith("* ") for ln in r.err.split("\n")), "-v printed no '* ' trace line")


@test("creds/env-id-without-secret")
def _(t):
    with t.ecs() as emu:
        r = t.call(emu, [ALL_IDS[REGION][0]], env=t.env({"ALIBABA_CLOUD_ACCESS_KEY_ID": AK_ID}))
        st = emu.stats()
    t.exit(r, 2, 5)
    t.err_line(r, ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "secret"))
    t.stat_eq(st, "requests", 0)


for _k, _v in (("ALIBABA_CLOUD_REGION_ID", REGION), ("ALIBABACLOUD_REGION_ID", REGION),
               ("ALICLOUD_REGION_ID", REGION), ("ALICLOUD_REGION", REGION)):
    add("region/env-" + _k, lambda t, k=_k, v=_v: _cred_ok(t, t.env(AK, {k: v}), AK_ID, flag_region=False))


@test("region/flag-beats-env")
def _(t):
    ids = sample(ALL_IDS[REGION], 3, 13)
    env = t.env(AK, ALIBABA_CLOUD_REGION_ID=SH_REGION)
    with t.ecs() as emu:
        r = t.call(emu, ["-o", "tsv"] + ids, env=env, region=REGION)
        st = emu.stats()
    t.exit(r, 0)
    t.eq(lr_params(st["last_request"]).get("RegionId"), REGION, "RegionId sent")
    t.tsv(r, ids)


@test("region/unknown-region-api-error")
def _(t):
    with t.ecs() as emu:
        r = t.call(emu, [ALL_IDS[REGION][0]], region="cn-nowhere-9")
    t.exit(r, 3)
    t.err_line(r, "InvalidRegionId.NotFound", "404")


# config.json

def _profile(name="default", mode="AK", **kw):
    p = {"name": name, "mode": mode, "access_key_id": "", "access_key_secret": "", "sts_token": "",
         "ram_role_name": "", "ram_role_arn": "", "ram_session_name": "", "region_id": "",
         "output_format": "json", "language": "en"}
    p.update(kw)
    return p


AK_PROFILE = dict(access_key_id=AK_ID, access_key_secret=AK_SECRET)
BAD_PROFILE = dict(access_key_id=AK_ID, access_key_secret=WRONG_SECRET)


@test("creds/config-json-ak")
def _(t):
    cfg = t.config_json([_profile(**AK_PROFILE)])
    _cred_ok(t, t.env(ALIBABA_CLOUD_CONFIG_FILE=cfg), AK_ID)


@test("creds/config-json-default-path")
def _(t):
    path = os.path.join(t.home, ".aliyun", "config.json")
    os.makedirs(os.path.dirname(path))
    with open(path, "w") as f:
        json.dump({"current": "default", "profiles": [_profile(**AK_PROFILE)]}, f)
    os.chmod(path, 0o600)
    _cred_ok(t, t.env(), AK_ID)


def _config_sts(t, sig):
    cfg = t.config_json([_profile(mode="StsToken", access_key_id=STS_ID, access_key_secret=STS_SECRET,
                                  sts_token=STS_TOKEN)])
    _cred_ok(t, t.env(ALIBABA_CLOUD_CONFIG_FILE=cfg), STS_ID, STS_TOKEN, ["--signature", sig, "-v"])


add("creds/config-json-ststoken-v3", _config_sts, "v3")
add("creds/config-json-ststoken-v1", _config_sts, "v1")


@test("creds/config-json-ecsramrole")
def _(t):
    with t.metadata("--role", "CfgRole") as md:
        cfg = t.config_json([_profile(mode="EcsRamRole", ram_role_name="CfgRole")])
        env = t.env(ALIBABA_CLOUD_CONFIG_FILE=cfg, ECS_CA_STATUS_METADATA_ENDPOINT=md.addr, meta=True)
        _cred_ok(t, env, STS_ID, STS_TOKEN, ["-v"])
        ms = md.stats()
    t.check(ms["credential_requests"] >= 1, "metadata credentials never fetched: %r" % ms)
    t.check(ms["last_path"].endswith("/CfgRole"), "role fetched: %r" % ms["last_path"])


@test("creds/config-json-region-from-profile")
def _(t):
    cfg = t.config_json([_profile(region_id=SH_REGION, **AK_PROFILE)])
    _cred_ok(t, t.env(ALIBABA_CLOUD_CONFIG_FILE=cfg), AK_ID, region=SH_REGION, flag_region=False)


@test("creds/config-json-region-flag-wins")
def _(t):
    cfg = t.config_json([_profile(region_id=SH_REGION, **AK_PROFILE)])
    _cred_ok(t, t.env(ALIBABA_CLOUD_CONFIG_FILE=cfg), AK_ID, region=REGION)


@test("creds/config-json-profile-flag")
def _(t):
    cfg = t.config_json([_profile(**BAD_PROFILE), _profile("other", **AK_PROFILE)], current="default")
    _cred_ok(t, t.env(ALIBABA_CLOUD_CONFIG_FILE=cfg), AK_ID, args=["--profile", "other"])


@test("creds/config-json-profile-env")
def _(t):
    cfg = t.config_json([_profile(**BAD_PROFILE), _profile("other", **AK_PROFILE)], current="default")
    _cred_ok(t, t.env(ALIBABA_CLOUD_CONFIG_FILE=cfg, ALIBABA_CLOUD_PROFILE="other"), AK_ID)


@test("creds/config-json-current-not-first")
def _(t):
    cfg = t.config_json([_profile(**BAD_PROFILE), _profile("second", **AK_PROFILE)], current="second")
    _cred_ok(t, t.env(ALIBABA_CLOUD_CONFIG_FILE=cfg), AK_ID)


@test("creds/config-json-current-profile-bad-secret")
def _(t):
    # proves the current profile (not the first one with a key) is used
    cfg = t.config_json([_profile("good", **AK_PROFILE), _profile("default", **BAD_PROFILE)], current="default")
    with t.ecs() as emu:
        r = t.call(emu, [ALL_IDS[REGION][0]], env=t.env(ALIBABA_CLOUD_CONFIG_FILE=cfg))
    t.exit(r, 3)
    t.err_line(r, "SignatureDoesNotMatch")


# credentials INI

def _ini(t, text, rel="cred/credentials", mode=0o600):
    return t.write(rel, text, mode)


INI_AK = "[default]\ntype = access_key\naccess_key_id = %s\naccess_key_secret = %s\n" % (AK_ID, AK_SECRET)


@test("creds/ini-access-key")
def _(t):
    _cred_ok(t, t.env(ALIBABA_CLOUD_CREDENTIALS_FILE=_ini(t, INI_AK)), AK_ID)


@test("creds/ini-default-path")
def _(t):
    path = os.path.join(t.home, ".alibabacloud", "credentials")
    os.makedirs(os.path.dirname(path))
    with open(path, "w") as f:
        f.write(INI_AK)
    os.chmod(path, 0o600)
    _cred_ok(t, t.env(), AK_ID)


@test("creds/ini-odd-secret-and-comments")
def _(t):
    text = ("# comment\n; other comment\n\n[default]\n  type=access_key  \naccess_key_id=%s\n"
            "access_key_secret = %s\n" % (ODD_ID, ODD_SECRET))
    _cred_ok(t, t.env(ALIBABA_CLOUD_CREDENTIALS_FILE=_ini(t, text)), ODD_ID)


@test("creds/ini-profile-section")
def _(t):
    text = ("[default]\ntype = access_key\naccess_key_id = %s\naccess_key_secret = %s\n\n"
            "[other]\ntype = access_key\naccess_key_id = %s\naccess_key_secret = %s\n"
            % (AK_ID, WRONG_SECRET, AK_ID, AK_SECRET))
    _cred_ok(t, t.env(ALIBABA_CLOUD_CREDENTIALS_FILE=_ini(t, text)), AK_ID, args=["--profile", "other"])


@test("creds/ini-profile-env")
def _(t):
    text = ("[default]\ntype = access_key\naccess_key_id = %s\naccess_key_secret = %s\n\n"
            "[other]\ntype = access_key\naccess_key_id = %s\naccess_key_secret = %s\n"
            % (AK_ID, WRONG_SECRET, AK_ID, AK_SECRET))
    _cred_ok(t, t.env(ALIBABA_CLOUD_CREDENTIALS_FILE=_ini(t, text), ALIBABA_CLOUD_PROFILE="other"), AK_ID)


@test("creds/ini-ecs-ram-role")
def _(t):
    with t.metadata("--role", "IniRole") as md:
        ini = _ini(t, "[default]\ntype = ecs_ram_role\nrole_name = IniRole\n")
        env = t.env(ALIBABA_CLOUD_CREDENTIALS_FILE=ini, ECS_CA_STATUS_METADATA_ENDPOINT=md.addr, meta=True)
        _cred_ok(t, env, STS_ID, STS_TOKEN, ["-v"])
        ms = md.stats()
    t.check(ms["last_path"].endswith("/IniRole"), "role fetched: %r" % ms["last_path"])


# metadata service (default chain)

def _md_env(t, md, **kw):
    return t.env(ECS_CA_STATUS_METADATA_ENDPOINT=md.addr if md else "127.0.0.1:%d" % free_closed_port(),
                 meta=True, **kw)


@test("creds/metadata-discovered-role")
def _(t):
    with t.metadata() as md:
        _cred_ok(t, _md_env(t, md), STS_ID, STS_TOKEN, ["-v"])
        ms = md.stats()
    t.check(ms["role_list_requests"] >= 1, "role never discovered: %r" % ms)
    t.check(ms["credential_requests"] >= 1, "credentials never fetched: %r" % ms)


@test("creds/metadata-role-from-env")
def _(t):
    with t.metadata("--role", "NamedRole") as md:
        _cred_ok(t, _md_env(t, md, ALIBABA_CLOUD_ECS_METADATA="NamedRole"), STS_ID, STS_TOKEN)
        ms = md.stats()
    t.eq(ms["role_list_requests"], 0, "role-list requests when the role is given")
    t.check(ms["last_path"].endswith("/NamedRole"), "role fetched: %r" % ms["last_path"])


@test("creds/metadata-hardened-require-token")
def _(t):
    with t.metadata("--require-token") as md:
        _cred_ok(t, _md_env(t, md, ALIBABA_CLOUD_IMDSV1_DISABLED="true"), STS_ID, STS_TOKEN, ["-v"])
        ms = md.stats()
    t.check(ms["token_requests"] >= 1, "no token PUT: %r" % ms)
    t.eq(ms["unauthorized"], 0, "metadata 401 answers")
    t.check("x-aliyun-ecs-metadata-token" in (ms["last_headers"] or {}), "token header not sent: %r" % ms)


@test("creds/metadata-no-token-endpoint-falls-back")
def _(t):
    with t.metadata("--no-token-endpoint") as md:
        _cred_ok(t, _md_env(t, md), STS_ID, STS_TOKEN)
        ms = md.stats()
    t.check(ms["token_requests"] >= 1, "token endpoint never tried: %r" % ms)
    t.check(ms["credential_requests"] >= 1, "credentials never fetched: %r" % ms)


@test("creds/metadata-no-token-endpoint-imdsv1-disabled")
def _(t):
    with t.metadata("--no-token-endpoint") as md, t.ecs() as emu:
        r = t.call(emu, [ALL_IDS[REGION][0]], env=_md_env(t, md, ALIBABA_CLOUD_IMDSV1_DISABLED="true"))
        ms, st = md.stats(), emu.stats()
    t.exit(r, 5)
    t.err_line(r)
    t.eq(ms["credential_requests"], 0, "credential requests without a token")
    t.stat_eq(st, "requests", 0)


def _md_bad(t, *flags, env_kw=None):
    with t.metadata(*flags) as md, t.ecs() as emu:
        r = t.call(emu, [ALL_IDS[REGION][0]], env=_md_env(t, md, **(env_kw or {})), timeout=60)
        st = emu.stats()
    t.exit(r, 5)
    t.err_line(r, ("metadata", "role"))
    t.stat_eq(st, "requests", 0)


add("creds/metadata-bad-json", _md_bad, "--bad-json")
add("creds/metadata-code-not-success", _md_bad, "--code", "Failure")
add("creds/metadata-role-not-found", _md_bad, "--role", "Real", env_kw={"ALIBABA_CLOUD_ECS_METADATA": "Wrong"})


@test("creds/metadata-unreachable")
def _(t):
    with t.ecs() as emu:
        r = t.call(emu, [ALL_IDS[REGION][0]], env=_md_env(t, None), timeout=60)
        st = emu.stats()
    t.exit(r, 5)
    t.err_line(r, ("metadata", "role"))
    t.stat_eq(st, "requests", 0)


# precedence of the chain

@test("creds/precedence-env-over-config")
def _(t):
    cfg = t.config_json([_profile(**BAD_PROFILE)])
    _cred_ok(t, t.env(AK, ALIBABA_CLOUD_CONFIG_FILE=cfg), AK_ID)


@test("creds/precedence-config-over-ini")
def _(t):
    cfg = t.config_json([_profile(access_key_id=ODD_ID, access_key_secret=ODD_SECRET)])
    ini = _ini(t, "[default]\ntype = access_key\naccess_key_id = %s\naccess_key_secret = %s\n" % (AK_ID, WRONG_SECRET))
    _cred_ok(t, t.env(ALIBABA_CLOUD_CONFIG_FILE=cfg, ALIBABA_CLOUD_CREDENTIALS_FILE=ini), ODD_ID)


@test("creds/precedence-ini-over-metadata")
def _(t):
    with t.metadata() as md:
        ini = _ini(t, INI_AK)
        _cred_ok(t, _md_env(t, md, ALIBABA_CLOUD_CREDENTIALS_FILE=ini), AK_ID)
        ms = md.stats()
    t.eq(ms["credential_requests"] + ms["role_list_requests"] + ms["token_requests"], 0,
         "metadata requests when a credentials file works")


# bad files

def _bad_file(t, env_kw, needles, codes=(2, 5), args=()):
    with t.ecs() as emu:
        r = t.call(emu, list(args) + [ALL_IDS[REGION][0]], env=t.env(**env_kw))
        st = emu.stats()
    t.exit(r, *codes)
    t.err_line(r, *needles)
    t.stat_eq(st, "requests", 0)
    return r


@test("files/config-json-is-a-directory")
def _(t):
    d = os.path.join(t.dir, "cfgdir")
    os.mkdir(d)
    _bad_file(t, {"ALIBABA_CLOUD_CONFIG_FILE": d}, [d])


@test("files/credentials-is-a-directory")
def _(t):
    d = os.path.join(t.dir, "creddir")
    os.mkdir(d)
    _bad_file(t, {"ALIBABA_CLOUD_CREDENTIALS_FILE": d}, [d])


@test("files/config-json-truncated")
def _(t):
    text = json.dumps({"current": "default", "profiles": [_profile(access_key_id=AK_ID, access_key_secret=FILE_SECRET)]})
    path = t.write("cfg/config.json", text[:len(text) * 2 // 3])
    _bad_file(t, {"ALIBABA_CLOUD_CONFIG_FILE": path}, [path])


@test("files/config-json-not-json")
def _(t):
    path = t.write("cfg/config.json", "access_key_secret = %s\n" % FILE_SECRET)
    _bad_file(t, {"ALIBABA_CLOUD_CONFIG_FILE": path}, [path])


@test("files/config-json-wrong-shape")
def _(t):
    path = t.write("cfg/config.json", json.dumps({"current": "default", "profiles": {"default": FILE_SECRET}}))
    _bad_file(t, {"ALIBABA_CLOUD_CONFIG_FILE": path}, [path])


@test("files/config-json-current-missing")
def _(t):
    path = t.config_json([_profile("a", **AK_PROFILE)], current="nosuchprofile")
    _bad_file(t, {"ALIBABA_CLOUD_CONFIG_FILE": path}, ["nosuchprofile"])


@test("files/config-json-profile-flag-missing")
def _(t):
    path = t.config_json([_profile(**AK_PROFILE)])
    _bad_file(t, {"ALIBABA_CLOUD_CONFIG_FILE": path}, ["nosuchprofile"], args=["--profile", "nosuchprofile"])


@test("files/config-json-ak-without-secret")
def _(t):
    path = t.config_json([_profile(access_key_id=AK_ID)])
    _bad_file(t, {"ALIBABA_CLOUD_CONFIG_FILE": path}, [("secret", "access_key_secret")])


@test("files/config-json-unsupported-mode")
def _(t):
    path = t.config_json([_profile(mode="RamRoleArn", access_key_id=AK_ID, access_key_secret=FILE_SECRET,
                                   ram_role_arn="acs:ram::1:role/x")])
    _bad_file(t, {"ALIBABA_CLOUD_CONFIG_FILE": path}, ["RamRoleArn"])


@test("files/ini-malformed")
def _(t):
    path = _ini(t, "[default\ntype = access_key\naccess_key_id = %s\naccess_key_secret = %s\n" % (AK_ID, FILE_SECRET))
    _bad_file(t, {"ALIBABA_CLOUD_CREDENTIALS_FILE": path}, [path])


@test("files/ini-line-without-equals")
def _(t):
    path = _ini(t, "[default]\ntype = access_key\naccess_key_id %s\naccess_key_secret %s\n" % (AK_ID, FILE_SECRET))
    _bad_file(t, {"ALIBABA_CLOUD_CREDENTIALS_FILE": path}, [path])


@test("files/ini-unknown-type")
def _(t):
    path = _ini(t, "[default]\ntype = oidc_role_arn\naccess_key_id = %s\naccess_key_secret = %s\n" % (AK_ID, FILE_SECRET))
    _bad_file(t, {"ALIBABA_CLOUD_CREDENTIALS_FILE": path}, ["oidc_role_arn"])


@test("files/ini-access-key-without-secret")
def _(t):
    path = _ini(t, "[default]\ntype = access_key\naccess_key_id = %s\n" % AK_ID)
    _bad_file(t, {"ALIBABA_CLOUD_CREDENTIALS_FILE": path}, [("secret", "access_key_secret")])


@test("files/group-readable-warning")
def _(t):
    cfg = t.config_json([_profile(**AK_PROFILE)], mode=0o644)
    with t.ecs() as emu:
        r = t.call(emu, ["-o", "tsv", ALL_IDS[REGION][0]], env=t.env(ALIBABA_CLOUD_CONFIG_FILE=cfg))
    t.exit(r, 0)
    t.check("warn" in r.err.lower(), "no warning for a group/other-readable credentials file: %r" % r.err)
    t.check(cfg in r.err or os.path.basename(cfg) in r.err, "the warning does not name the file")


@test("files/private-file-no-warning")
def _(t):
    cfg = t.config_json([_profile(**AK_PROFILE)], mode=0o600)
    with t.ecs() as emu:
        r = t.call(emu, ["-o", "tsv", ALL_IDS[REGION][0]], env=t.env(ALIBABA_CLOUD_CONFIG_FILE=cfg))
    t.exit(r, 0)
    t.eq(r.err, "", "stderr with a 0600 file")


@test("creds/none-lists-what-was-tried")
def _(t):
    with t.ecs() as emu:
        r = t.call(emu, [ALL_IDS[REGION][0]], env=t.env())
        st = emu.stats()
    t.exit(r, 5)
    t.err_line(r, ("ALIBABA_CLOUD_ACCESS_KEY_ID", "environment"), "config.json", ".alibabacloud/credentials",
               ("metadata", "ram role", "ecs_ram_role", "EcsRamRole"))
    t.stat_eq(st, "requests", 0)


# --- retries and faults -----------------------------------------------------------------------

def _fault_recovered(t, flag, err_key, sig=None):
    ids = mixed_ids(4, 31)
    with t.ecs_proc(flag, "2") as emu:
        r = t.call(emu, ["-v", "-o", "tsv", "--batch-size", "1"] + (["--signature", sig] if sig else []) + ids)
        st = emu.stats()
    t.exit(r, 0)
    t.stat_eq(st, "ok", 4)
    t.stat_eq(st, "requests", 7)          # 1 ok, then every 2nd fails and is retried
    if err_key:
        t.stat_eq(st, "errors", {err_key: 3})
    else:
        t.stat_eq(st, "dropped", 3)
    t.check(re.search(r"retry", r.err, re.I), "-v does not trace the retries with 'retry'")
    t.tsv(r, ids)


add("retry/throttle-every-2", _fault_recovered, "--throttle-every", "Throttling.User")
add("retry/throttle-every-2-v1", _fault_recovered, "--throttle-every", "Throttling.User", "v1")
add("retry/5xx-every-2", _fault_recovered, "--error-every", "ServiceUnavailable")
add("retry/drop-every-2", _fault_recovered, "--drop-every", None)


@test("retry/retries-0-throttled-exit-3")
def _(t):
    with t.ecs(throttle_every=1) as emu:
        r = t.call(emu, ["--retries", "0", ALL_IDS[REGION][0]])
        st = emu.stats()
    t.exit(r, 3)
    t.err_line(r, "Throttling.User", "400")
    t.stat_eq(st, "requests", 1)


@test("retry/retries-exhausted")
def _(t):
    with t.ecs(error_every=1) as emu:
        r = t.call(emu, ["--retries", "2", ALL_IDS[REGION][0]])
        st = emu.stats()
    t.exit(r, 3)
    t.err_line(r, "ServiceUnavailable", "503")
    t.stat_eq(st, "requests", 3)


@test("retry/default-3-retries")
def _(t):
    with t.ecs(throttle_every=1) as emu:
        r = t.call(emu, [ALL_IDS[REGION][0]])
        st = emu.stats()
    t.exit(r, 3)
    t.stat_eq(st, "requests", 4)


@test("retry/drop-retries-0-exit-4")
def _(t):
    with t.ecs(drop_every=1) as emu:
        r = t.call(emu, ["--retries", "0", ALL_IDS[REGION][0]])
        st = emu.stats()
    t.exit(r, 4)
    t.err_line(r)
    t.stat_eq(st, "requests", 1)


@test("retry/read-timeout-exit-4")
def _(t):
    with t.ecs_proc("--delay-ms", "5000") as emu:
        r = t.call(emu, ["--read-timeout", "1", "--retries", "0", ALL_IDS[REGION][0]])
        st = emu.stats()
    t.exit(r, 4)
    t.err_line(r)
    t.stat_eq(st, "requests", 1)
    t.check(r.elapsed < 4 * SLACK, "--read-timeout 1 took %.1f s" % r.elapsed)


@test("retry/read-timeout-retried")
def _(t):
    with t.ecs_proc("--delay-ms", "5000") as emu:
        r = t.call(emu, ["--read-timeout", "1", "--retries", "1", ALL_IDS[REGION][0]])
        time.sleep(0.2)
        st = emu.stats()
    t.exit(r, 4)
    t.stat_eq(st, "requests", 2)
    t.check(r.elapsed < 8 * SLACK, "two 1 s read timeouts took %.1f s" % r.elapsed)


# --- clock skew -------------------------------------------------------------------------------

def _skew(t, seconds, sig=None, n=3):
    ids = sample(ALL_IDS[REGION], n, 21)
    with t.ecs_proc("--skew-seconds", str(seconds)) as emu:
        r = t.call(emu, ["-v", "-o", "tsv"] + (["--signature", sig] if sig else []) + ids)
        st = emu.stats()
    t.exit(r, 0)
    t.check("clock skew" in r.err, "-v does not say 'clock skew'")
    # batches signed before the first answer corrected the clock each fail once, no more
    t.check(st["errors"].get("InvalidTimeStamp.Expired", 0) <= nreq(n, 100),
            "InvalidTimeStamp.Expired more than once per batch: %r" % st["errors"])
    t.stat_eq(st, "ok", nreq(n, 100))
    t.tsv(r, ids, skew=seconds)


add("skew/plus-7200-v3", _skew, 7200)
add("skew/plus-7200-v1", _skew, 7200, "v1")
add("skew/minus-7200-v3", _skew, -7200)
add("skew/plus-3-years-v1", _skew, 3 * 365 * 86400, "v1")
add("skew/plus-7200-3-batches", _skew, 7200, None, 220)


# --- every API error code ---------------------------------------------------------------------

def _api_error(t, code, status=None):
    if code == "InvalidInstance.NotFound":
        return _stale_single(t)
    spec = code if status is None else "%s:%d" % (code, status)
    status = status or ecs_emulator.ERRORS[code][0]
    message = ecs_emulator.ERRORS[code][1]
    with t.ecs(force_error=spec) as emu:
        r = t.call(emu, ["--retries", "0", "-o", "tsv", ALL_IDS[REGION][0]])
        st = emu.stats()
    t.exit(r, 3)
    t.err_line(r, code, message, one_line=True)
    t.check(re.search(r"(^|\D)%d(\D|$)" % status, r.err), "stderr lacks the HTTP status %d" % status)
    t.check(re.search(r"[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}", r.err),
            "stderr lacks the RequestId")
    t.check("api.aliyun.com/troubleshoot?q=" + urllib.parse.quote(code) in r.err, "stderr lacks the Recommend URL")
    if code == "InvalidTimeStamp.Expired":
        t.check(st["requests"] <= 2, "requests: %d" % st["requests"])
    else:
        t.stat_eq(st, "requests", 1)


def _stale_single(t):
    """404 InvalidInstance.NotFound on a batch means a stale id: a batch of one is that id, reported
    as not found (issue 10), sent once."""
    with t.ecs(force_error="InvalidInstance.NotFound") as emu:
        r = t.call(emu, ["--retries", "2", "-o", "tsv", ALL_IDS[REGION][0]])
        st = emu.stats()
    t.exit(r, 0)
    t.eq(r.out, ALL_IDS[REGION][0] + "\tnotfound" + "\t-" * 7 + "\n", "output")
    t.stat_eq(st, "requests", 1)


def _retry_class(t, code):
    """--retries 2: retryable codes are sent 3 times, the others once."""
    if code == "InvalidInstance.NotFound":
        return _stale_single(t)
    retryable = code.startswith(RETRYABLE_PREFIXES) or ecs_emulator.ERRORS[code][0] >= 500
    with t.ecs(force_error=code) as emu:
        r = t.call(emu, ["--retries", "2", ALL_IDS[REGION][0]])
        st = emu.stats()
    t.exit(r, 3)
    if code == "InvalidTimeStamp.Expired":
        t.check(st["requests"] <= 2, "requests: %d" % st["requests"])
    else:
        t.eq(st["requests"], 3 if retryable else 1,
             "requests for %s (%s)" % (code, "retryable" if retryable else "not retryable"))


for _code in sorted(ecs_emulator.ERRORS):
    add("api-error/" + _code, _api_error, _code)
    add("retry-class/" + _code, _retry_class, _code)
add("api-error/ServiceUnavailable-500", _api_error, "ServiceUnavailable", 500)


@test("api-error/json-stdout-stays-valid")
def _(t):
    """A failed run must not leave a half-written JSON document on stdout."""
    with t.ecs(force_error="InvalidParameter") as emu:
        r = t.call(emu, ["-o", "json", ALL_IDS[REGION][0]])
    t.exit(r, 3)
    if r.out.strip():
        try:
            json.loads(r.out)
        except ValueError:
            t.fail("stdout after an API error is neither empty nor valid JSON: %r" % r.out[:300])


@test("api-error/json-second-batch-fails")
def _(t):
    ids = ALL_IDS[REGION][:51]
    with t.ecs(throttle_every=2) as emu:
        r = t.call(emu, ["-o", "json", "--retries", "0", "--batch-size", "50", "--parallel", "1"] + ids)
        st = emu.stats()
    t.exit(r, 3)
    t.stat_eq(st, "requests", 2)
    t.err_line(r, "Throttling.User")
    if r.out.strip():
        try:
            json.loads(r.out)
        except ValueError:
            t.fail("stdout after a failed second batch is neither empty nor valid JSON: %r" % r.out[-300:])


@test("api-error/unlisted-code")
def _(t):
    with t.ecs(force_error="Weird.Code:409") as emu:
        r = t.call(emu, ["--retries", "0", ALL_IDS[REGION][0]])
    t.exit(r, 3)
    t.err_line(r, "Weird.Code", "409")


@test("api-error/exceed-limit-server-max-50")
def _(t):
    """An older server (50 ids): the batch is split and 50 used from then on (issue 10)."""
    ids = ALL_IDS[REGION][:100]
    with t.ecs(max_ids=50) as emu:
        r = t.call(emu, ["-o", "tsv", "--batch-size", "100"] + ids)
        st = emu.stats()
    t.exit(r, 0)
    t.tsv(r, ids)
    t.eq(st["errors"].get("InstanceIds.ExceedLimit", 0), 1, "ExceedLimit answers")
    t.stat_eq(st, "requests", 3)


@test("api-error/exceed-limit-below-50-fails")
def _(t):
    """A server taking fewer than 50: nothing smaller to fall back to, the API error stands."""
    ids = ALL_IDS[REGION][:50]
    with t.ecs(max_ids=20) as emu:
        r = t.call(emu, ids)
    t.exit(r, 3)
    t.err_line(r, "InstanceIds.ExceedLimit", "403")


# --- network, TLS, proxies --------------------------------------------------------------------

@test("tls/untrusted-ca-exit-4")
def _(t):
    with t.ecs() as emu:
        r = t.call(emu, [ALL_IDS[REGION][0]], env=t.env(AK, SSL_CERT_FILE=t.suite.other_ca))
        st = emu.stats()
    t.exit(r, 4)
    t.err_line(r, ("certificate", "verif", "tls", "x509"))
    t.stat_eq(st, "requests", 0)


@test("tls/ca-file-flag")
def _(t):
    ids = sample(ALL_IDS[REGION], 2, 40)
    with t.ecs() as emu:
        r = t.call(emu, ["--ca-file", t.suite.ca, "-o", "tsv"] + ids, env=t.env(AK, ca=False))
    t.exit(r, 0)
    t.tsv(r, ids)


@test("tls/ca-file-flag-beats-env")
def _(t):
    with t.ecs() as emu:
        r = t.call(emu, ["--ca-file", t.suite.other_ca, ALL_IDS[REGION][0]], env=t.env(AK))
    t.exit(r, 4)


@test("tls/ca-file-missing")
def _(t):
    missing = os.path.join(t.dir, "no-such-ca.pem")
    with t.ecs() as emu:
        r = t.call(emu, ["--ca-file", missing, ALL_IDS[REGION][0]])
        st = emu.stats()
    t.exit(r, 2, 4)
    t.err_line(r, missing)
    t.stat_eq(st, "requests", 0)


@test("tls/no-ca-configured-exit-4")
def _(t):
    with t.ecs() as emu:
        r = t.call(emu, [ALL_IDS[REGION][0]], env=t.env(AK, ca=False))
    t.exit(r, 4)
    t.err_line(r)


@test("tls/plain-http-server-exit-4")
def _(t):
    with t.metadata() as md:
        r = t.call(md.port, ["--retries", "0", "--read-timeout", "3", ALL_IDS[REGION][0]])
    t.exit(r, 4)
    t.err_line(r)


@test("net/connection-refused-exit-4")
def _(t):
    r = t.call(free_closed_port(), ["--retries", "0", ALL_IDS[REGION][0]])
    t.exit(r, 4)
    t.err_line(r, "127.0.0.1")


@test("net/connection-refused-default-retries")
def _(t):
    r = t.call(free_closed_port(), [ALL_IDS[REGION][0]])
    t.exit(r, 4)
    t.check(r.elapsed < 30 * SLACK, "took %.1f s" % r.elapsed)


@test("proxy/connect-tunnel")
def _(t):
    ids = mixed_ids(60, 50)
    with t.proxy() as px, t.ecs() as emu:
        r = t.call(emu, ["--proxy", "http://127.0.0.1:%d" % px.port, "-o", "tsv"] + ids)
        ps, st = px.stats(), emu.stats()
    t.exit(r, 0)
    t.eq(ps["tunnels"], 1, "proxy tunnels (one kept-alive connection)")
    t.eq(ps["connects"][0]["target"], "127.0.0.1:%d" % emu.port, "CONNECT target")
    t.stat_eq(st, "connections", 1)
    t.tsv(r, ids)


@test("proxy/auth-password-not-leaked")
def _(t):
    with t.proxy("--auth", "user:" + PROXY_PASSWORD) as px, t.ecs() as emu:
        url = "http://user:%s@127.0.0.1:%d" % (urllib.parse.quote(PROXY_PASSWORD, safe=""), px.port)
        r = t.call(emu, ["-v", "-o", "tsv", ALL_IDS[REGION][0]], env=t.env(AK, {"HTTPS_PROXY": url}))
        ps = px.stats()
    t.exit(r, 0)
    t.check(ps["connects"] and ps["connects"][0]["auth_ok"], "proxy credentials not accepted: %r" % ps)


@test("proxy/userinfo-on-argv-refused")
def _(t):
    # issue 9.15: argv is world-readable (ps, /proc/PID/cmdline): no flag takes a secret
    with t.proxy("--auth", "user:" + PROXY_PASSWORD) as px, t.ecs() as emu:
        for user in ("user:%s" % urllib.parse.quote(PROXY_PASSWORD, safe=""), "justuser"):
            url = "http://%s@127.0.0.1:%d" % (user, px.port)
            r = t.call(emu, ["--proxy", url, "-o", "tsv", ALL_IDS[REGION][0]])
            t.exit(r, 2)
            t.err_line(r, "--proxy", "HTTPS_PROXY")
        ps = px.stats()
        st = emu.stats()
    t.eq(len(ps["connects"]), 0, "proxy connections")
    t.stat_eq(st, "requests", 0)


@test("proxy/no-proxy-bypasses")
def _(t):
    with t.proxy() as px, t.ecs() as emu:
        r = t.call(emu, ["--proxy", "http://127.0.0.1:%d" % px.port, "--no-proxy", "127.0.0.1", "-o", "tsv",
                         ALL_IDS[REGION][0]])
        ps = px.stats()
    t.exit(r, 0)
    t.eq(ps["requests"], 0, "CONNECT requests despite --no-proxy")


@test("proxy/https-proxy-env")
def _(t):
    with t.proxy() as px, t.ecs() as emu:
        r = t.call(emu, ["-o", "tsv", ALL_IDS[REGION][0]],
                   env=t.env(AK, HTTPS_PROXY="http://127.0.0.1:%d" % px.port))
        ps = px.stats()
    t.exit(r, 0)
    t.eq(ps["tunnels"], 1, "proxy tunnels with HTTPS_PROXY set")


@test("proxy/no-proxy-env")
def _(t):
    with t.proxy() as px, t.ecs() as emu:
        r = t.call(emu, ["-o", "tsv", ALL_IDS[REGION][0]],
                   env=t.env(AK, HTTPS_PROXY="http://127.0.0.1:%d" % px.port, NO_PROXY="localhost,127.0.0.1"))
        ps = px.stats()
    t.exit(r, 0)
    t.eq(ps["requests"], 0, "CONNECT requests despite NO_PROXY")


@test("proxy/refused-403-exit-4")
def _(t):
    with t.proxy("--refuse", "403") as px, t.ecs() as emu:
        r = t.call(emu, ["--retries", "0", "--proxy", "http://127.0.0.1:%d" % px.port, ALL_IDS[REGION][0]])
    t.exit(r, 4)
    t.err_line(r, ("proxy", "403"))


@test("proxy/unreachable-exit-4")
def _(t):
    with t.ecs() as emu:
        r = t.call(emu, ["--retries", "0", "--proxy", "http://127.0.0.1:%d" % free_closed_port(), ALL_IDS[REGION][0]])
    t.exit(r, 4)
    t.err_line(r)


# --- dry run ----------------------------------------------------------------------------------

REQ_LINE = re.compile(r"^(GET|POST) (/\S*)( HTTP/1\.[01])?\r?$", re.M)


def _dry(t, env, extra, n=101, emu_args=True):
    ids = mixed_ids(n, 60)
    with t.ecs() as emu:
        r = t.call(emu if emu_args else None, ["--dry-run"] + extra + ids, env=env)
        st = emu.stats()
    t.exit(r, 0)
    t.stat_eq(st, "requests", 0)
    t.stat_eq(st, "connections", 0)
    t.check(st["tcp_connections"] <= 1, "the binary connected during --dry-run (%d TCP connections)"
            % st["tcp_connections"])
    lines = REQ_LINE.findall(r.out)
    t.eq(len(lines), nreq(n, 100), "request lines printed")
    t.check(all(i in r.out for i in ids), "not every id appears in the dry-run output")
    t.dry_lines = lines
    return r


def _dry_version(t):
    """Checked last, so that the other dry-run checks report first."""
    for method, target, version in t.dry_lines:
        t.check(version, "dry-run request line has no HTTP version: %r" % ("%s %s" % (method, target))[:200])


def _header(text, name):
    return re.findall(r"^%s:[ \t]*(.*?)\r?$" % re.escape(name), text, re.M | re.I)


@test("dry-run/v3")
def _(t):
    r = _dry(t, t.env(AK), [])
    auth = _header(r.out, "Authorization")
    t.eq(len(auth), 2, "Authorization headers")
    for a in auth:
        t.check(re.fullmatch(r"ACS3-HMAC-SHA256 Credential=testid,SignedHeaders=[a-z0-9;-]+,Signature=<redacted>", a),
                "Authorization line: %r" % a)
    t.eq(_header(r.out, "x-acs-action"), ["DescribeCloudAssistantStatus"] * 2, "x-acs-action headers")
    t.eq(_header(r.out, "x-acs-version"), ["2014-05-26"] * 2, "x-acs-version headers")
    t.eq(_header(r.out, "Host"), ["127.0.0.1:%d" % int(re.search(r"--endpoint 127\.0\.0\.1:(\d+)",
                                                                  shlex.join(r.cmd)).group(1))] * 2, "Host headers")
    _dry_version(t)


@test("dry-run/v1")
def _(t):
    r = _dry(t, t.env(AK), ["--signature", "v1"])
    for m in REQ_LINE.finditer(r.out):
        target = m.group(2)
        t.check("Signature=<redacted>" in target, "v1 request line without Signature=<redacted>: %r" % target)
        t.check("AccessKeyId=testid" in target, "v1 request line without AccessKeyId: %r" % target)
        t.check("Action=DescribeCloudAssistantStatus" in target, "v1 request line without Action: %r" % target)
        t.check("SignatureMethod=HMAC-SHA1" in target, "v1 request line without SignatureMethod: %r" % target)
    _dry_version(t)


@test("dry-run/v3-sts-token-redacted")
def _(t):
    r = _dry(t, t.env(STS), [], n=3)
    t.eq(_header(r.out, "x-acs-security-token"), ["<redacted>"], "x-acs-security-token header")
    _dry_version(t)


@test("dry-run/v1-sts-token-redacted")
def _(t):
    r = _dry(t, t.env(STS), ["--signature", "v1"], n=3)
    t.check("SecurityToken=<redacted>" in r.out, "v1 dry-run lacks SecurityToken=<redacted>")
    _dry_version(t)


@test("dry-run/default-endpoint")
def _(t):
    r = _dry(t, t.env(AK), [], n=2, emu_args=False)
    t.eq(_header(r.out, "Host"), ["ecs.cn-hangzhou.aliyuncs.com"], "Host header")


@test("dry-run/vpc-endpoint")
def _(t):
    r = _dry(t, t.env(AK), ["--vpc"], n=2, emu_args=False)
    t.eq(_header(r.out, "Host"), ["ecs-vpc.cn-hangzhou.aliyuncs.com"], "Host header")


@test("verbose/trace-lines")
def _(t):
    with t.ecs() as emu:
        r = t.call(emu, ["-v", "-o", "tsv", "--signature", "v1", ALL_IDS[REGION][0]], env=t.env(ODD))
    t.exit(r, 0)
    lines = [ln for ln in r.err.split("\n") if ln]
    t.check(lines and all(ln.startswith("* ") for ln in lines), "-v stderr lines not all '* ': %r" % lines[:5])


# --- secrets never printed (runs last, over every output of every test) ----------------------

def leak_forms(secret):
    forms = {secret, urllib.parse.quote(secret, safe=""), urllib.parse.quote(secret, safe="-_.~"),
             urllib.parse.quote_plus(secret), ecs_emulator.percent_encode(secret),
             ecs_emulator.percent_encode(secret).lower(), json.dumps(secret)[1:-1],
             json.dumps(secret)[1:-1].replace("/", "\\/"), base64.b64encode(secret.encode()).decode()}
    forms.update(part for part in secret.split(" ") if len(part) >= 8)
    forms.update(f.replace("~", "%7E") for f in list(forms) if "%" in f)
    return sorted(forms)


def check_leaks(suite):
    problems = []
    with suite.runs_lock:
        runs = list(suite.runs)
    for secret in SECRETS:
        for form in leak_forms(secret):
            for name, r in runs:
                for stream, text in (("stdout", r.out), ("stderr", r.err)):
                    if form in text:
                        problems.append("%s: %s contains %r (form of a secret)\n%s" % (name, stream, form, r.describe(600)))
    return problems


# =============================================================================================
# Runner
# =============================================================================================


def find_binary():
    for p in (os.path.join(ROOT, "ecs-ca-status"), os.path.join(ROOT, "build", "host", "ecs-ca-status")):
        if os.path.isfile(p) and os.access(p, os.X_OK):
            return p
    return None


def run_one(suite, name, fn, verbose):
    t = T(suite, name)
    t0 = time.time()
    try:
        fn(t)
        status, detail = "PASS", ""
    except TestSkip as e:
        status, detail = "SKIP", str(e)
    except TestFailure as e:
        status, detail = "FAIL", str(e)
    except Exception:
        status, detail = "FAIL", "test error:\n" + traceback.format_exc()
    if status == "FAIL" and t.runs:
        detail += "\n" + "\n".join(r.describe() for r in t.runs[-2:])
    elif verbose == "show" and t.runs:
        detail += "\n" + "\n".join(r.describe() for r in t.runs)
    return name, status, detail, time.time() - t0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", help="binary under test (default ./ecs-ca-status or build/host/ecs-ca-status)")
    ap.add_argument("--qemu", help="command prefix for a cross-built binary, e.g. 'qemu-aarch64 -L /usr/aarch64-linux-gnu'")
    ap.add_argument("--only", action="append", default=[], help="run tests whose name contains SUBSTRING (repeatable)")
    ap.add_argument("--jobs", type=int, default=4, help="tests run in parallel (default 4)")
    ap.add_argument("--slack", type=float, help="multiplier for time bounds (default 1, or 3 with --qemu)")
    ap.add_argument("--list", action="store_true", help="list the tests and exit")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    ap.add_argument("-v", "--verbose", action="store_true", help="print passing tests too")
    ap.add_argument("--show", action="store_true", help="print every run of every test (implies -v)")
    args = ap.parse_args()

    tests = [(n, f) for n, f in TESTS if not args.only or any(s in n for s in args.only)]
    if args.list:
        for n, _ in tests:
            print(n)
        return 0
    if not args.bin:
        args.bin = find_binary()
    if not args.bin or not os.path.exists(args.bin):
        print("integration: binary not found (%s); build it or pass --bin" % (args.bin or "ecs-ca-status"))
        print("integration: 0 passed, 1 failed")
        return 1
    args.bin = os.path.abspath(args.bin)
    global SLACK
    SLACK = args.slack or (3.0 if args.qemu else 1.0)
    args.jobs = max(1, args.jobs)

    suite = Suite(args)

    def on_signal(signum, frame):
        suite.cleanup()
        os._exit(130)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    passed = failed = skipped = 0
    start = time.time()
    try:
        suite.setup()
        # slow tests first so they overlap with the many quick ones
        slow = ("batch/1000", "retry/", "skew/", "retry-class/Throttling", "retry-class/Service",
                "retry-class/Internal", "creds/metadata", "net/connection-refused-default")
        tests.sort(key=lambda nf: 0 if any(s in nf[0] for s in slow) else 1)
        with concurrent.futures.ThreadPoolExecutor(args.jobs) as ex:
            futs = [ex.submit(run_one, suite, n, f, "show" if args.show else args.verbose) for n, f in tests]
            for fut in concurrent.futures.as_completed(futs):
                name, status, detail, dt = fut.result()
                if status == "PASS":
                    passed += 1
                    if args.verbose or args.show:
                        print("PASS %s (%.1f s)%s" % (name, dt, detail and ": " + detail), flush=True)
                elif status == "SKIP":
                    skipped += 1
                    print("SKIP %s: %s" % (name, detail), flush=True)
                else:
                    failed += 1
                    print("FAIL %s (%.1f s): %s\n" % (name, dt, detail), flush=True)
        if suite.runs:
            problems = check_leaks(suite)
            if problems:
                failed += 1
                print("FAIL secrets/never-printed:\n" + "\n".join(problems[:20]), flush=True)
            else:
                passed += 1
                if args.verbose:
                    print("PASS secrets/never-printed (%d runs checked)" % len(suite.runs))
    except Exception:
        traceback.print_exc()
        failed += 1
    finally:
        suite.cleanup()
    tail = ", %d skipped" % skipped if skipped else ""
    print("(%.1f s, %d binary runs)" % (time.time() - start, len(suite.runs)))
    print("integration: %d passed, %d failed%s" % (passed, failed, tail))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
