#!/usr/bin/env python3
"""Transport test suite: drives `ecs-fetch` against real local servers.

    run_transport.py --fetch PATH [--only NAME[,NAME...]] [--qemu CMD] [--pki DIR]
                     [--jobs N] [--slack F] [--keep] [--list] [-v]

Makes a throwaway PKI (mkpki.sh; --pki DIR reuses/creates one there), starts openssl s_server
instances, the Python servers of this folder (tls_http_server.py, hostile_server.py,
connect_proxy.py) and in-process sockets (closed port, full-backlog port), then runs every
scenario as a subprocess with a hard timeout. Each scenario asserts the exit code, the
stdout framing ("status=<code> length=<n> reused=<0|1>\\n" + body + "\\n" per URL) and
substrings of the "ecs-fetch: <message>" line on stderr. Any exit by signal or exit code
other than 0/2/4 fails the scenario. The last line is exactly
"transport: N passed, N failed"; the exit status is 1 if anything failed.

--only takes names or fnmatch patterns (e.g. 'proxy-*,hostile-chunk-*'); may repeat.
--qemu prefixes the tool's command line (e.g. 'qemu-aarch64-static'); time bounds are then
multiplied by --slack (default 3 with --qemu, else 1).
Python 3.11 standard library only.
"""

import argparse
import base64
import concurrent.futures
import ctypes
import fnmatch
import json
import os
import re
import selectors
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

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import srvutil  # noqa: E402  (big_body: the bytes /big?n=N serves)

ENV_CLEAR = (
    "SSL_CERT_FILE", "SSL_CERT_DIR",
    "HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy",
    "NO_PROXY", "no_proxy",
)
SECRET = "secret"
SECRET_B64 = base64.b64encode(b"user:" + SECRET.encode()).decode()


class Fail(Exception):
    pass


# --------------------------------------------------------------------------------------------
# processes

def _pdeathsig():
    """preexec_fn: the child gets SIGKILL when the runner dies (children are only started
    from the main thread, which lives until the end)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:
        pass


def kill_group(proc):
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            try:
                proc.kill()
            except ProcessLookupError:
                pass
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        pass


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Server:
    def __init__(self, name, kind, argv):
        self.name, self.kind, self.argv = name, kind, argv
        self.proc = None
        self.port = None
        self.log = None


def server_specs(pki):
    """name -> (kind, argv). kind "py": prints port=N; kind "s_server": argv with {port}."""
    py = sys.executable

    def web(cert, *extra):
        return ("py", [py, os.path.join(HERE, "tls_http_server.py"), "--cert",
                       os.path.join(pki, cert + ".crt"), "--key",
                       os.path.join(pki, cert + ".key"), *extra])

    def s_server(cert, *opts):
        return ("s_server", ["openssl", "s_server", "-accept", "127.0.0.1:{port}", "-cert",
                             os.path.join(pki, cert + ".crt"), "-key",
                             os.path.join(pki, cert + ".key"), "-www", *opts])

    hostile = os.path.join(HERE, "hostile_server.py")
    proxy = os.path.join(HERE, "connect_proxy.py")
    specs = {
        "s13-rsa": s_server("rsa", "-tls1_3"),
        "s13-ec": s_server("ec", "-tls1_3"),
        # TLS 1.2 only with an RSA key: the server signs ServerKeyExchange with RSA-PSS
        # (needs the mbedTLS 3.6.6 patch, toolchain-notes section 3)
        "s12-rsa": s_server("rsa", "-tls1_2"),
        "s12-ec": s_server("ec", "-tls1_2"),
        # the server asks for a client certificate it does not require: the client (which
        # has no key, mbedTLS patch 0002) answers with an empty Certificate message
        "s13-optauth": s_server("rsa", "-tls1_3", "-verify", "1"),
        "s12-optauth": s_server("ec", "-tls1_2", "-verify", "1"),
        "web-rsa": web("rsa"),
        "web-ec": web("ec"),
        "web-chain": web("chain"),
        "web-ka": web("rsa"),
        "web-idle-first": web("rsa", "--idle-close", "after-first"),
        "web-idle-second": web("rsa", "--idle-close", "on-second"),
        "web-wronghost": web("wronghost"),
        "web-expired": web("expired"),
        "web-notyet": web("notyet"),
        "web-unknownca": web("unknownca"),
        "hostile": ("py", [py, hostile, "--cert", os.path.join(pki, "rsa.crt"), "--key",
                           os.path.join(pki, "rsa.key")]),
        "proxy": ("py", [py, proxy]),
        "proxy-auth": ("py", [py, proxy, "--auth", "user:" + SECRET]),
        "proxy-403": ("py", [py, proxy, "--refuse", "403", "--refusal-close"]),
        "proxy-403-empty": ("py", [py, proxy, "--refuse", "403", "--empty-body"]),
        "proxy-unused": ("py", [py, proxy]),
        "proxy-env": ("py", [py, proxy]),
    }
    for mode in ("http", "random", "record", "close", "reset", "silent"):
        specs["plain-" + mode] = ("py", [py, hostile, "--plain", mode])
    return specs


class Servers:
    def __init__(self, pki, logdir, verbose=False):
        self.specs = server_specs(pki)
        self.logdir = logdir
        self.verbose = verbose
        self.running = {}

    def start(self, names):
        pending = []
        for name in names:
            kind, argv = self.specs[name]
            srv = Server(name, kind, argv)
            srv.log = open(os.path.join(self.logdir, name + ".log"), "wb")
            if kind == "py":
                srv.proc = subprocess.Popen(
                    argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=srv.log,
                    start_new_session=True, preexec_fn=_pdeathsig, cwd=HERE)
            else:
                self._spawn_s_server(srv)
            self.running[name] = srv
            pending.append(srv)
        for srv in pending:
            if srv.kind == "py":
                srv.port = self._read_port(srv)
            else:
                self._wait_s_server(srv)
            if self.verbose:
                print("server %-16s port %d" % (srv.name, srv.port), flush=True)

    def _spawn_s_server(self, srv):
        srv.port = free_port()
        argv = [a.replace("{port}", str(srv.port)) for a in srv.argv]
        srv.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=srv.log,
                                    stderr=subprocess.STDOUT, start_new_session=True,
                                    preexec_fn=_pdeathsig, cwd=self.logdir)

    def _wait_s_server(self, srv):
        for attempt in range(3):
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                if srv.proc.poll() is not None:
                    break  # could not bind (port taken meanwhile?): retry on another port
                try:
                    socket.create_connection(("127.0.0.1", srv.port), timeout=1).close()
                    return
                except OSError:
                    time.sleep(0.05)
            kill_group(srv.proc)
            if attempt < 2:
                self._spawn_s_server(srv)
        raise RuntimeError("openssl s_server %s did not start (see %s.log)" % (srv.name, srv.name))

    def _read_port(self, srv):
        sel = selectors.DefaultSelector()
        sel.register(srv.proc.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + 15
        line = b""
        while not line.endswith(b"\n") and time.monotonic() < deadline:
            if sel.select(timeout=max(0.0, deadline - time.monotonic())):
                c = os.read(srv.proc.stdout.fileno(), 1)
                if not c:
                    break
                line += c
        sel.close()
        m = re.match(rb"port=(\d+)\n", line)
        if not m:
            raise RuntimeError("server %s did not report its port (got %r; see %s.log)"
                               % (srv.name, line, srv.name))
        return int(m.group(1))

    def stop(self):
        for srv in self.running.values():
            if srv.proc is not None:
                if srv.proc.stdin:
                    try:
                        srv.proc.stdin.close()
                    except OSError:
                        pass
                kill_group(srv.proc)
                for f in (srv.proc.stdout,):
                    if f:
                        f.close()
            if srv.log:
                srv.log.close()
        self.running.clear()


# --------------------------------------------------------------------------------------------
# results

class Resp:
    def __init__(self, status, length, reused, body):
        self.status, self.length, self.reused, self.body = status, length, reused, body

    def __repr__(self):
        b = self.body if len(self.body) <= 60 else self.body[:60] + b"..."
        return "status=%d length=%d reused=%d body=%r" % (self.status, self.length, self.reused, b)


def parse_stdout(out):
    resps = []
    i = 0
    while i < len(out):
        nl = out.find(b"\n", i)
        line = out[i:nl] if nl >= 0 else out[i:]
        m = re.fullmatch(rb"status=(\d{3}) length=(\d+) reused=([01])", line)
        if nl < 0 or not m:
            raise Fail("stdout: unparsable at byte %d: %r" % (i, out[i:i + 100]))
        n = int(m.group(2))
        body = out[nl + 1:nl + 1 + n]
        if len(body) < n or out[nl + 1 + n:nl + 2 + n] != b"\n":
            raise Fail("stdout: response %d: body shorter than length=%d or no final newline"
                       % (len(resps) + 1, n))
        resps.append(Resp(int(m.group(1)), n, int(m.group(3)), body))
        i = nl + 2 + n
    return resps


class Result:
    def __init__(self, t, argv, env_note, rc, out, err, elapsed, killed):
        self.t, self.argv, self.env_note = t, argv, env_note
        self.rc, self.out, self.err, self.elapsed, self.killed = rc, out, err, elapsed, killed

    def describe(self):
        cmd = " ".join(shlex.quote(a) for a in self.argv)
        out = self.out if len(self.out) <= 800 else self.out[:800] + b"...(%d bytes)" % len(self.out)
        err = self.err if len(self.err) <= 2000 else self.err[:2000] + "...(truncated)"
        return ("    command: %s%s\n    exit: %s   elapsed: %.2fs%s\n    stdout: %r\n    stderr: %s"
                % (self.env_note, cmd, self.rc, self.elapsed,
                   "   (KILLED by the runner's hard timeout)" if self.killed else "",
                   out, err.rstrip("\n").replace("\n", "\n            ") or "(empty)"))

    def fail(self, why):
        raise Fail("%s\n%s" % (why, self.describe()))

    def _sanity(self):
        if self.killed:
            self.fail("did not finish within the hard timeout")
        if self.rc < 0:
            self.fail("died from signal %d" % -self.rc)
        if self.rc not in (0, 2, 4):
            self.fail("exit code %d is not one of 0/2/4" % self.rc)

    def responses(self):
        try:
            return parse_stdout(self.out)
        except Fail as e:
            self.fail(str(e))

    def ok(self, count=None):
        """Exit 0, parsable stdout, no error line. Returns the responses."""
        self._sanity()
        if self.rc != 0:
            self.fail("expected success (exit 0), got exit %d" % self.rc)
        resps = self.responses()
        if count is not None and len(resps) != count:
            self.fail("expected %d responses on stdout, got %d" % (count, len(resps)))
        if "ecs-fetch:" in self.err:
            self.fail("success but an error line on stderr")
        return resps

    def fails(self, *need, any_of=(), rc=4, done=0, usage_ok=False):
        """Exit rc (int or tuple), stderr has an 'ecs-fetch: ' line containing every string
        in need and (if given) at least one of any_of; stdout holds exactly `done` complete
        responses (nothing partial). usage_ok: a 'usage: ' text counts as the message (for
        exit 2), and the strings are searched in the whole stderr."""
        self._sanity()
        rcs = rc if isinstance(rc, tuple) else (rc,)
        if self.rc not in rcs:
            self.fail("expected exit %s, got %d" % ("/".join(map(str, rcs)), self.rc))
        lines = [l for l in self.err.splitlines() if l.startswith("ecs-fetch: ")]
        if usage_ok and "usage:" in self.err:
            lines = self.err.splitlines()
        if not lines:
            self.fail("no 'ecs-fetch: <message>' line on stderr")
        msg = "\n".join(lines)
        for s in need:
            if s not in msg:
                self.fail("error message lacks %r" % s)
        if any_of and not any(s in msg for s in any_of):
            self.fail("error message has none of %r" % (list(any_of),))
        resps = self.responses()
        if len(resps) != done:
            self.fail("expected %d complete responses before the failure, got %d"
                      % (done, len(resps)))
        return msg

    def within(self, lo, hi):
        hi *= self.t.slack
        if not (lo <= self.elapsed <= hi):
            self.fail("took %.2fs, expected between %.1fs and %.1fs" % (self.elapsed, lo, hi))

    def absent(self, *strings):
        for s in strings:
            if s.encode() in self.out or s in self.err:
                self.fail("%r appears in the output" % s)


# --------------------------------------------------------------------------------------------
# the context handed to scenarios

def name_host():
    """The host name scenarios connect to: "localhost" when it resolves to 127.0.0.1 (so that
    DNS-name SAN checks, Host headers and NO_PROXY by name are exercised), else 127.0.0.1 (the
    certificates also carry IP:127.0.0.1), with one line saying why and what to fix."""
    try:
        addrs = {ai[4][0] for ai in socket.getaddrinfo("localhost", 443, socket.AF_INET)}
    except socket.gaierror as e:
        addrs, why = set(), str(e)
    else:
        why = "it gives %s" % ", ".join(sorted(addrs))
    if "127.0.0.1" in addrs:
        return "localhost"
    print("transport: the name localhost does not resolve to 127.0.0.1 here (%s): scenarios use "
          "127.0.0.1, so host names are checked by IP only; add the line '127.0.0.1 localhost' "
          "to /etc/hosts to test them by name" % why, flush=True)
    return "127.0.0.1"


class T:
    def __init__(self, args, pki, servers, sockets):
        self.fetch_argv = shlex.split(args.qemu) + [args.fetch] if args.qemu else [args.fetch]
        self.slack = args.slack
        self.pki = pki
        self.bundle = os.path.join(pki, "bundle.pem")
        self.cadir = os.path.join(pki, "cadir")
        self.servers = servers
        self.sockets = sockets
        self.host = name_host()
        self.locks = {}
        self.locks_guard = threading.Lock()
        self.active = set()
        self.stopping = False

    def kill_active(self):
        with self.locks_guard:
            procs = list(self.active)
        for p in procs:
            kill_group(p)

    def port(self, name):
        if name in self.sockets:
            return self.sockets[name]
        return self.servers.running[name].port

    def url(self, name, path="/", host=None):
        return "https://%s:%d%s" % (host or self.host, self.port(name), path)

    def lock(self, name):
        with self.locks_guard:
            return self.locks.setdefault(name, threading.Lock())

    def run(self, args, env=None, timeout=20.0, ca=True):
        """Runs the tool. ca=True adds --ca-file bundle.pem first."""
        full = list(self.fetch_argv) + (["--ca-file", self.bundle] if ca else []) + list(args)
        child_env = {k: v for k, v in os.environ.items() if k not in ENV_CLEAR}
        note = ""
        if env:
            child_env.update(env)
            note = " ".join("%s=%s" % (k, shlex.quote(v)) for k, v in env.items()) + " "
        timeout *= self.slack
        if self.stopping:
            raise Fail("runner is stopping")
        t0 = time.monotonic()
        proc = subprocess.Popen(full, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=child_env, start_new_session=True)
        with self.locks_guard:
            self.active.add(proc)
        killed = False
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            killed = True
            kill_group(proc)
            out, err = proc.communicate()
        finally:
            if proc.poll() is None:
                kill_group(proc)
            with self.locks_guard:
                self.active.discard(proc)
        elapsed = time.monotonic() - t0
        return Result(self, full, note, proc.returncode, out, err.decode("utf-8", "replace"),
                      elapsed, killed)

    def web_stats(self, name):
        ctx = ssl.create_default_context(cafile=self.bundle)
        with socket.create_connection(("127.0.0.1", self.port(name)), timeout=5) as raw:
            with ctx.wrap_socket(raw, server_hostname="localhost") as s:
                s.sendall(b"GET /stats HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                data = b""
                while True:
                    try:
                        c = s.recv(65536)
                    except (ssl.SSLError, OSError):
                        break
                    if not c:
                        break
                    data += c
        return json.loads(data.partition(b"\r\n\r\n")[2])

    def proxy_stats(self, name):
        with socket.create_connection(("127.0.0.1", self.port(name)), timeout=5) as s:
            s.sendall(b"GET /stats HTTP/1.1\r\nHost: proxy\r\n\r\n")
            data = b""
            while True:
                c = s.recv(65536)
                if not c:
                    break
                data += c
        return json.loads(data.partition(b"\r\n\r\n")[2])


# --------------------------------------------------------------------------------------------
# scenarios

class Scenario:
    def __init__(self, name, fn, needs):
        self.name, self.fn, self.needs = name, fn, needs


SCENARIOS = []


def scenario(name, needs=()):
    def deco(fn):
        if any(s.name == name for s in SCENARIOS):
            raise RuntimeError("duplicate scenario " + name)
        SCENARIOS.append(Scenario(name, fn, tuple(needs)))
        return fn
    return deco


def expect(cond, r, why):
    if not cond:
        r.fail(why)


def body_is(r, resp, want):
    if resp.body != want:
        r.fail("body mismatch: expected %r, got %r" % (want[:200], resp.body[:200]))
    if resp.length != len(want):
        r.fail("length=%d but expected %d" % (resp.length, len(want)))


def status_is(r, resp, want):
    if resp.status != want:
        r.fail("expected status %d, got %d" % (want, resp.status))


def reused_are(r, resps, want):
    got = [x.reused for x in resps]
    if got != want:
        r.fail("reused flags %s, expected %s" % (got, want))


# --- handshakes ------------------------------------------------------------------------------

def _s_server(name, proto):
    @scenario("handshake-" + name, needs=[name])
    def _(t):
        r = t.run([t.url(name)])
        (x,) = r.ok(1)
        status_is(r, x, 200)
        expect(b"Protocol  : " + proto.encode() in x.body, r,
               "s_server page does not report %s" % proto)
        expect(x.reused == 0, r, "first request cannot be reused=1")


for _n, _p in (("s13-rsa", "TLSv1.3"), ("s13-ec", "TLSv1.3"), ("s12-rsa", "TLSv1.2"),
               ("s12-ec", "TLSv1.2"), ("s13-optauth", "TLSv1.3"), ("s12-optauth", "TLSv1.2")):
    _s_server(_n, _p)


@scenario("s_server-http10-close-twice", needs=["s12-rsa"])
def _(t):
    # HTTP/1.0 + close-delimited body: the second URL must use a new connection
    r = t.run([t.url("s12-rsa", "/a"), t.url("s12-rsa", "/b")])
    resps = r.ok(2)
    reused_are(r, resps, [0, 0])
    for x in resps:
        status_is(r, x, 200)
        expect(b"Ciphers supported in s_server binary" in x.body, r, "unexpected s_server page")


def _py_hello(name, cert_name):
    @scenario("handshake-py-" + cert_name, needs=[name])
    def _(t):
        r = t.run([t.url(name, "/hello")])
        (x,) = r.ok(1)
        status_is(r, x, 200)
        body_is(r, x, b"hello world")


_py_hello("web-rsa", "rsa")
_py_hello("web-ec", "ec")
_py_hello("web-chain", "intermediate-chain")


@scenario("ip-address-san", needs=["web-rsa"])
def _(t):
    r = t.run([t.url("web-rsa", "/hello", host="127.0.0.1")])
    body_is(r, r.ok(1)[0], b"hello world")


@scenario("ca-dir-option", needs=["web-rsa", "web-ec"])
def _(t):
    r = t.run(["--ca-file", t.cadir, t.url("web-rsa", "/hello"), t.url("web-ec", "/hello")],
              ca=False)
    resps = r.ok(2)
    reused_are(r, resps, [0, 0])
    for x in resps:
        body_is(r, x, b"hello world")


@scenario("ca-dir-option-trailing-slash", needs=["web-ec"])
def _(t):
    r = t.run(["--ca-file", t.cadir + "/", t.url("web-ec", "/hello")], ca=False)
    body_is(r, r.ok(1)[0], b"hello world")


@scenario("ssl-cert-file-env", needs=["web-rsa", "web-ec"])
def _(t):
    r = t.run([t.url("web-rsa", "/hello"), t.url("web-ec", "/hello")], ca=False,
              env={"SSL_CERT_FILE": t.bundle})
    for x in r.ok(2):
        body_is(r, x, b"hello world")


@scenario("ssl-cert-dir-env", needs=["web-rsa", "web-ec"])
def _(t):
    r = t.run([t.url("web-rsa", "/hello"), t.url("web-ec", "/hello")], ca=False,
              env={"SSL_CERT_DIR": t.cadir})
    for x in r.ok(2):
        body_is(r, x, b"hello world")


@scenario("ca-file-missing", needs=["web-rsa"])
def _(t):
    r = t.run(["--ca-file", os.path.join(t.pki, "no-such-bundle.pem"), t.url("web-rsa", "/hello")],
              ca=False)
    r.fails(rc=(2, 4))


@scenario("ca-file-other-ca", needs=["web-rsa"])
def _(t):
    r = t.run(["--ca-file", os.path.join(t.pki, "other-ca.crt"), t.url("web-rsa", "/hello")],
              ca=False)
    r.fails("issued by an unknown CA", t.host)


# --- certificate errors ------------------------------------------------------------------------

for _name, _srv, _msg in (
    ("cert-wrong-host", "web-wronghost", "does not match the host name"),
    ("cert-expired", "web-expired", "certificate has expired"),
    ("cert-not-yet-valid", "web-notyet", "certificate is not yet valid"),
    ("cert-unknown-ca", "web-unknownca", "issued by an unknown CA"),
):
    def _cert(name=_name, srv=_srv, msg=_msg):
        @scenario(name, needs=[srv])
        def _(t):
            r = t.run([t.url(srv, "/hello")])
            r.fails(msg, t.host)
            r.within(0, 5)
    _cert()


@scenario("cert-wrong-host-by-ip", needs=["web-wronghost"])
def _(t):
    r = t.run([t.url("web-wronghost", "/hello", host="127.0.0.1")])
    r.fails("does not match the host name", "127.0.0.1")


# --- keep-alive and framing on a good server ---------------------------------------------------

STATS_RE = re.compile(r"^stats: pool_high_water=(\d+) connections=(\d+)( \(system heap build\))?$", re.M)


def stats_line(r):
    m = STATS_RE.search(r.err)
    if not m:
        r.fail("no 'stats: pool_high_water=<bytes> connections=<n>' line on stderr")
    return int(m.group(1)), int(m.group(2))


@scenario("keepalive-three-urls", needs=["web-ka"])
def _(t):
    with t.lock("web-ka"):
        before = t.web_stats("web-ka")
        r = t.run(["--stats", t.url("web-ka", "/hello"), t.url("web-ka", "/hello"),
                   t.url("web-ka", "/stats")])
        after = t.web_stats("web-ka")
    resps = r.ok(3)
    reused_are(r, resps, [0, 1, 1])
    body_is(r, resps[0], b"hello world")
    body_is(r, resps[1], b"hello world")
    seen = json.loads(resps[2].body)
    expect(seen["connections"] - before["connections"] == 1, r,
           "/stats (3rd URL) reports %r, before the run %r: expected 1 new connection"
           % (seen, before))
    expect(after["connections"] - before["connections"] == 1
           and after["requests"] - before["requests"] == 2, r,
           "server saw %d connections / %d requests, expected 1 / 2"
           % (after["connections"] - before["connections"], after["requests"] - before["requests"]))
    hw, conns = stats_line(r)
    expect(conns == 1, r, "stats line says connections=%d, expected 1" % conns)


@scenario("stats-pool-high-water", needs=["web-rsa"])
def _(t):
    # after a TLS handshake the mbedTLS pool high-water mark cannot be 0
    # the lead's tls.c paints (measures) the pool only when ECS_POOL_STATS is set
    r = t.run(["--stats", t.url("web-rsa", "/hello")], env={"ECS_POOL_STATS": "1"})
    r.ok(1)
    hw, conns = stats_line(r)
    expect(conns == 1, r, "stats line says connections=%d, expected 1" % conns)
    if "(system heap build)" in r.err:
        return  # sanitizer builds use the system heap so ASan sees every allocation
    expect(hw > 0, r, "pool_high_water=0 after a TLS handshake: the pool is not measured")


@scenario("keepalive-mixed-framing", needs=["web-rsa"])
def _(t):
    paths = ["/hello", "/chunked", "/big?n=1000", "/big?n=3000&chunked=1", "/continue",
             "/status/204", "/status/500", "/early-hints", "/big?n=65536", "/hello"]
    want = [b"hello world", b"hello, chunked world!", srvutil.big_body(1000),
            srvutil.big_body(3000), b"continued", b"", b"status 500", b"hinted",
            srvutil.big_body(65536), b"hello world"]
    r = t.run([t.url("web-rsa", p) for p in paths])
    resps = r.ok(len(paths))
    reused_are(r, resps, [0] + [1] * (len(paths) - 1))
    for x, w in zip(resps, want):
        body_is(r, x, w)
    status_is(r, resps[5], 204)
    status_is(r, resps[6], 500)


@scenario("reconnect-after-idle-close", needs=["web-idle-first"])
def _(t):
    # the server closes every connection after its first response, without Connection: close
    with t.lock("web-idle-first"):
        before = t.web_stats("web-idle-first")
        r = t.run(["--stats", t.url("web-idle-first", "/hello"), t.url("web-idle-first", "/hello")])
        after = t.web_stats("web-idle-first")
    resps = r.ok(2)
    for x in resps:
        body_is(r, x, b"hello world")
    expect(resps[0].reused == 0, r, "first response reused=1")
    expect(after["connections"] - before["connections"] == 2, r,
           "server saw %d connections, expected 2" % (after["connections"] - before["connections"]))
    expect(stats_line(r)[1] == 2, r, "stats line should count 2 connections")


@scenario("reconnect-after-stale-request", needs=["web-idle-second"])
def _(t):
    # the server reads the second request on a connection and closes without an answer
    with t.lock("web-idle-second"):
        before = t.web_stats("web-idle-second")
        r = t.run([t.url("web-idle-second", "/hello"), t.url("web-idle-second", "/hello"),
                   t.url("web-idle-second", "/hello")])
        after = t.web_stats("web-idle-second")
    resps = r.ok(3)
    for x in resps:
        body_is(r, x, b"hello world")
    expect(after["connections"] - before["connections"] == 3, r,
           "server saw %d connections, expected 3" % (after["connections"] - before["connections"]))


@scenario("connection-close-response", needs=["web-rsa"])
def _(t):
    r = t.run([t.url("web-rsa", "/close"), t.url("web-rsa", "/hello")])
    resps = r.ok(2)
    body_is(r, resps[0], b"closing")
    body_is(r, resps[1], b"hello world")
    reused_are(r, resps, [0, 0])


@scenario("http10-response-not-reused", needs=["web-rsa"])
def _(t):
    r = t.run([t.url("web-rsa", "/http10"), t.url("web-rsa", "/hello")])
    resps = r.ok(2)
    body_is(r, resps[0], b"http/1.0 body")
    reused_are(r, resps, [0, 0])


@scenario("close-delimited-body", needs=["web-rsa"])
def _(t):
    r = t.run([t.url("web-rsa", "/close-delimited"), t.url("web-rsa", "/hello")])
    resps = r.ok(2)
    body_is(r, resps[0], b"until the connection closes")
    body_is(r, resps[1], b"hello world")
    reused_are(r, resps, [0, 0])


@scenario("request-head", needs=["web-rsa"])
def _(t):
    r = t.run([t.url("web-rsa", "/headers?x=1")])
    (x,) = r.ok(1)
    head = x.body.decode("latin-1")
    lines = head.split("\r\n")
    expect(lines[0] == "GET /headers?x=1 HTTP/1.1", r, "request line is %r" % lines[0])
    hosts = [l for l in lines[1:] if l.lower().startswith("host:")]
    expect(len(hosts) == 1, r, "expected exactly one Host header, got %r" % hosts)
    expect(hosts[0].split(":", 1)[1].strip() == "%s:%d" % (t.host, t.port("web-rsa")), r,
           "Host header is %r" % hosts[0])
    expect(head.endswith("\r\n\r\n"), r, "request head does not end with an empty line")


@scenario("method-head", needs=["web-rsa"])
def _(t):
    r = t.run(["--method", "HEAD", t.url("web-rsa", "/hello"), t.url("web-rsa", "/hello")])
    resps = r.ok(2)
    for x in resps:
        status_is(r, x, 200)
        body_is(r, x, b"")
    reused_are(r, resps, [0, 1])


@scenario("status-204-304-no-body", needs=["web-rsa"])
def _(t):
    r = t.run([t.url("web-rsa", "/status/204"), t.url("web-rsa", "/status/304"),
               t.url("web-rsa", "/hello")])
    resps = r.ok(3)
    status_is(r, resps[0], 204)
    status_is(r, resps[1], 304)
    body_is(r, resps[0], b"")
    body_is(r, resps[1], b"")
    body_is(r, resps[2], b"hello world")
    reused_are(r, resps, [0, 1, 1])


@scenario("status-404-is-not-a-transport-error", needs=["web-rsa"])
def _(t):
    r = t.run([t.url("web-rsa", "/nothing-here")])
    (x,) = r.ok(1)
    status_is(r, x, 404)
    body_is(r, x, b"no such path")


@scenario("chunked-extensions-trailer", needs=["web-rsa"])
def _(t):
    r = t.run([t.url("web-rsa", "/chunked")])
    body_is(r, r.ok(1)[0], b"hello, chunked world!")


@scenario("chunked-one-byte-records", needs=["web-rsa"])
def _(t):
    r = t.run([t.url("web-rsa", "/chunked?split=1"), t.url("web-rsa", "/hello")])
    resps = r.ok(2)
    body_is(r, resps[0], b"hello, chunked world!")
    body_is(r, resps[1], b"hello world")
    reused_are(r, resps, [0, 1])


@scenario("continue-100-skipped", needs=["web-rsa"])
def _(t):
    r = t.run([t.url("web-rsa", "/continue")])
    (x,) = r.ok(1)
    status_is(r, x, 200)
    body_is(r, x, b"continued")


@scenario("early-hints-103-skipped", needs=["web-rsa"])
def _(t):
    r = t.run([t.url("web-rsa", "/early-hints")])
    (x,) = r.ok(1)
    status_is(r, x, 200)
    body_is(r, x, b"hinted")


for _suffix, _q in (("", ""), ("-chunked", "&chunked=1"), ("-close", "&close=1")):
    def _big(suffix=_suffix, q=_q):
        @scenario("body-65536" + suffix, needs=["web-rsa"])
        def _(t):
            r = t.run([t.url("web-rsa", "/big?n=65536" + q)])
            body_is(r, r.ok(1)[0], srvutil.big_body(65536))

        @scenario("body-65537" + suffix, needs=["web-rsa"])
        def _(t):
            r = t.run([t.url("web-rsa", "/big?n=65537" + q)])
            r.fails("body larger than")
    _big()


@scenario("read-deadline-slow-server", needs=["web-rsa"])
def _(t):
    r = t.run(["--read-timeout-ms", "1500", t.url("web-rsa", "/delay?ms=6000")])
    r.fails("timed out")
    r.within(1.2, 4)


@scenario("read-deadline-not-too-eager", needs=["web-rsa"])
def _(t):
    r = t.run(["--read-timeout-ms", "3000", t.url("web-rsa", "/delay?ms=800")])
    body_is(r, r.ok(1)[0], b"late")


# --- proxy ------------------------------------------------------------------------------------

def _tunnels(t, proxy, fn):
    with t.lock(proxy):
        before = t.proxy_stats(proxy)
        r = fn()
        after = t.proxy_stats(proxy)
    new = after["connects"][len(before["connects"]):]
    return r, after["tunnels"] - before["tunnels"], new


@scenario("proxy-connect", needs=["proxy", "web-rsa"])
def _(t):
    r, tunnels, connects = _tunnels(t, "proxy", lambda: t.run(
        ["--proxy", "http://127.0.0.1:%d" % t.port("proxy"), t.url("web-rsa", "/hello"),
         t.url("web-rsa", "/hello")]))
    resps = r.ok(2)
    for x in resps:
        body_is(r, x, b"hello world")
    reused_are(r, resps, [0, 1])
    expect(tunnels == 1, r, "proxy established %d tunnels, expected 1" % tunnels)
    target = "%s:%d" % (t.host, t.port("web-rsa"))
    expect(connects and connects[0]["target"] == target, r,
           "CONNECT target %r, expected %r" % (connects and connects[0]["target"], target))
    expect(connects[0]["request_line"] == "CONNECT %s HTTP/1.1" % target, r,
           "CONNECT request line %r" % connects[0]["request_line"])


def _auth_ok(t, r, connects):
    (x,) = r.ok(1)
    head = x.body.decode("latin-1").lower()
    expect("proxy-authorization" not in head, r,
           "Proxy-Authorization leaked through the tunnel to the origin server")
    expect([(c["status"], c["auth_ok"]) for c in connects] == [(200, True)], r,
           "proxy did not see exactly one CONNECT with valid credentials: %r" % connects)
    r.absent(SECRET, SECRET_B64)


@scenario("proxy-auth-option", needs=["proxy-auth", "web-rsa"])
def _(t):
    r, tunnels, connects = _tunnels(t, "proxy-auth", lambda: t.run(
        ["--proxy", "http://user:%s@127.0.0.1:%d" % (SECRET, t.port("proxy-auth")),
         t.url("web-rsa", "/headers")]))
    _auth_ok(t, r, connects)
    expect(tunnels == 1, r, "proxy established %d tunnels, expected 1" % tunnels)


@scenario("proxy-auth-env", needs=["proxy-auth", "web-rsa"])
def _(t):
    r, tunnels, connects = _tunnels(t, "proxy-auth", lambda: t.run(
        [t.url("web-rsa", "/headers")],
        env={"HTTPS_PROXY": "http://user:%s@127.0.0.1:%d" % (SECRET, t.port("proxy-auth"))}))
    _auth_ok(t, r, connects)
    expect(tunnels == 1, r, "proxy established %d tunnels, expected 1" % tunnels)


@scenario("proxy-407-no-credentials", needs=["proxy-auth", "web-rsa"])
def _(t):
    # the refusal keeps the connection open with a Content-Length body (like squid): the
    # client must parse it, not wait for EOF
    r, tunnels, connects = _tunnels(t, "proxy-auth", lambda: t.run(
        ["--proxy", "http://127.0.0.1:%d" % t.port("proxy-auth"), t.url("web-rsa", "/hello")]))
    expect(tunnels == 0 and [c["status"] for c in connects] == [407], r,
           "proxy log: %r" % connects)
    expect(not connects[0]["auth_header_seen"], r, "sent Proxy-Authorization without credentials")
    r.fails("proxy refused CONNECT", "HTTP/1.1 407 Proxy Authentication Required",
            "%s:%d" % (t.host, t.port("web-rsa")))
    r.within(0, 4)


@scenario("proxy-407-wrong-password", needs=["proxy-auth", "web-rsa"])
def _(t):
    r, tunnels, connects = _tunnels(t, "proxy-auth", lambda: t.run(
        ["--proxy", "http://user:badpass9@127.0.0.1:%d" % t.port("proxy-auth"),
         t.url("web-rsa", "/hello")]))
    expect(tunnels == 0 and [c["status"] for c in connects] == [407], r,
           "proxy log: %r" % connects)
    r.fails("proxy refused CONNECT", "407")
    r.absent("badpass9", base64.b64encode(b"user:badpass9").decode())
    r.within(0, 4)


@scenario("proxy-403", needs=["proxy-403", "web-rsa"])
def _(t):
    r = t.run(["--proxy", "http://127.0.0.1:%d" % t.port("proxy-403"), t.url("web-rsa", "/hello")])
    r.fails("proxy refused CONNECT", "HTTP/1.1 403 Forbidden")


@scenario("proxy-403-empty-body", needs=["proxy-403-empty", "web-rsa"])
def _(t):
    # same refusal with Content-Length: 0 and the connection left open
    r = t.run(["--proxy", "http://127.0.0.1:%d" % t.port("proxy-403-empty"),
               t.url("web-rsa", "/hello")])
    r.fails("proxy refused CONNECT", "HTTP/1.1 403 Forbidden")
    r.within(0, 4)


@scenario("proxy-502-upstream-down", needs=["proxy"])
def _(t):
    r, _, _ = _tunnels(t, "proxy", lambda: t.run(
        ["--proxy", "http://127.0.0.1:%d" % t.port("proxy"), t.url("closed", "/hello")]))
    r.fails("proxy refused CONNECT", "502")


@scenario("proxy-cert-check-through-tunnel", needs=["proxy", "web-wronghost"])
def _(t):
    r, tunnels, _ = _tunnels(t, "proxy", lambda: t.run(
        ["--proxy", "http://127.0.0.1:%d" % t.port("proxy"), t.url("web-wronghost", "/hello")]))
    expect(tunnels == 1, r, "proxy established %d tunnels, expected 1" % tunnels)
    r.fails("does not match the host name", t.host)


@scenario("proxy-unreachable", needs=[])
def _(t):
    r = t.run(["--proxy", "http://127.0.0.1:%d" % t.port("closed"), "https://%s:1/x" % t.host])
    r.fails(any_of=("connection refused", "could not connect"))


def _via_env(name, env_fn, proxy, want_tunnels, args_fn=lambda t: []):
    @scenario(name, needs=[proxy, "web-rsa"])
    def _(t):
        r, tunnels, _c = _tunnels(t, proxy, lambda: t.run(
            args_fn(t) + [t.url("web-rsa", "/hello")], env=env_fn(t)))
        body_is(r, r.ok(1)[0], b"hello world")
        expect(tunnels == want_tunnels, r,
               "proxy established %d tunnels, expected %d" % (tunnels, want_tunnels))


def _p(t, name):
    return "http://127.0.0.1:%d" % t.port(name)


_via_env("proxy-env-HTTPS_PROXY", lambda t: {"HTTPS_PROXY": _p(t, "proxy-env")}, "proxy-env", 1)
_via_env("proxy-env-https_proxy", lambda t: {"https_proxy": _p(t, "proxy-env")}, "proxy-env", 1)
_via_env("proxy-env-ALL_PROXY", lambda t: {"ALL_PROXY": _p(t, "proxy-env")}, "proxy-env", 1)
_via_env("proxy-env-all_proxy", lambda t: {"all_proxy": _p(t, "proxy-env")}, "proxy-env", 1)
_via_env("no-proxy-env-localhost",
         lambda t: {"HTTPS_PROXY": _p(t, "proxy-unused"), "NO_PROXY": t.host},
         "proxy-unused", 0)
_via_env("no-proxy-env-lowercase",
         lambda t: {"https_proxy": _p(t, "proxy-unused"), "no_proxy": t.host},
         "proxy-unused", 0)
_via_env("no-proxy-env-list",
         lambda t: {"HTTPS_PROXY": _p(t, "proxy-unused"), "NO_PROXY": "example.com, " + t.host},
         "proxy-unused", 0)
_via_env("no-proxy-env-other-host",
         lambda t: {"HTTPS_PROXY": _p(t, "proxy-env"), "NO_PROXY": "example.com"},
         "proxy-env", 1)
_via_env("no-proxy-option", lambda t: {}, "proxy-unused", 0,
         args_fn=lambda t: ["--proxy", _p(t, "proxy-unused"), "--no-proxy", t.host])


# --- hostile servers -------------------------------------------------------------------------

HOSTILE = {
    # path: (required substrings, any_of alternatives)
    "bad-status": (["malformed status line"], ()),
    "bad-status-proto": (["malformed status line"], ()),
    "bad-status-http2": (["malformed status line"], ()),
    "bad-status-code": (["malformed status line"], ()),
    "huge-headers": (["header section larger than"], ()),
    "long-header-line": (["header section larger than"], ()),
    "bad-header": (["malformed header line"], ()),
    "nul-header": (["malformed header line"], ()),
    "obs-fold": (["obsolete header line folding"], ()),
    "short-body": (["connection closed before the body ended"], ()),
    "short-body-abrupt": (["connection closed before the body ended"], ()),
    "short-chunked": (["connection closed before the body ended"], ()),
    "eof-in-headers": (["connection closed before the headers ended"], ()),
    "eof-immediately": (["connection closed before the headers ended"], ()),
    "cl-and-chunked": (["both Transfer-Encoding and Content-Length"], ()),
    "two-cl": (["conflicting Content-Length values"], ()),
    "cl-list": ([], ("conflicting Content-Length values", "invalid Content-Length")),
    "bad-cl": (["invalid Content-Length"], ()),
    "negative-cl": (["invalid Content-Length"], ()),
    "plus-cl": (["invalid Content-Length"], ()),
    "huge-cl": ([], ("invalid Content-Length", "body larger than")),
    "te-gzip": (["unsupported Transfer-Encoding"], ()),
    "te-gzip-chunked": (["unsupported Transfer-Encoding"], ()),
    "chunk-ffff": ([], ("invalid chunk size", "body larger than")),
    "chunk-overflow": ([], ("invalid chunk size", "body larger than")),
    "chunk-negative": (["invalid chunk size"], ()),
    "chunk-zz": (["invalid chunk size"], ()),
    "chunk-empty-size": (["invalid chunk size"], ()),
    "chunk-junk": (["junk after chunk data"], ()),
    "bad-trailer": (["malformed trailer"], ()),
    "too-big": (["body larger than"], ()),
    "too-big-chunked": (["body larger than"], ()),
    "too-big-close": (["body larger than"], ()),
    "reset-mid-body": (["connection reset"], ()),
    "many-1xx": ([], ("1xx", "interim", "informational")),
}
# A close before the response ends is a dropped request (retryable, like an RST), never
# "bad HTTP": the stable error name says which class the client put it in.
CLOSED_HOSTILE = ("short-body", "short-body-abrupt", "short-chunked", "eof-in-headers",
                  "eof-immediately")
for _path in CLOSED_HOSTILE:
    def _closed(path=_path):
        @scenario("hostile-%s-is-closed" % path, needs=["hostile"])
        def _(t):
            r = t.run([t.url("hostile", "/" + path)])
            r.fails("[closed]")
    _closed()


@scenario("hostile-reset-mid-body-is-net", needs=["hostile"])
def _(t):
    r = t.run([t.url("hostile", "/reset-mid-body")])
    r.fails("[net]")


SLOW_HOSTILE = ("drip-headers", "drip-body", "status-hang", "header-hang", "silent")

for _path, (_need, _any) in HOSTILE.items():
    def _hostile(path=_path, need=_need, any_=_any):
        @scenario("hostile-" + path, needs=["hostile"])
        def _(t):
            r = t.run([t.url("hostile", "/" + path)])
            r.fails(*need, any_of=any_)
            r.within(0, 5)
    _hostile()

for _path in SLOW_HOSTILE:
    def _slow(path=_path):
        @scenario("hostile-" + path, needs=["hostile"])
        def _(t):
            r = t.run(["--read-timeout-ms", "3000", t.url("hostile", "/" + path)])
            r.fails("timed out")
            r.within(2.5, 6)
    _slow()


@scenario("hostile-same-cl-twice", needs=["hostile"])
def _(t):
    # identical duplicate Content-Length values may be accepted (RFC 9110 8.6); http.h rejects
    # only *different* values
    r = t.run([t.url("hostile", "/same-cl-twice")])
    body_is(r, r.ok(1)[0], b"hello")


@scenario("hostile-extra-data-not-taken-as-next-response", needs=["hostile"])
def _(t):
    # "ok" + a forged complete response in the same write, then a second request on the same
    # host: the forged bytes must never become the answer to the second request
    r = t.run([t.url("hostile", "/extra-data"), t.url("hostile", "/ok")])
    r.absent("forged")
    if r.rc == 0:
        resps = r.ok(2)
        for x in resps:
            body_is(r, x, b"ok")
    else:
        r.fails(done=(1 if r.out else 0))


@scenario("hostile-bare-lf-no-crash", needs=["hostile"])
def _(t):
    # bare LF line ends: accepting (RFC 9112 2.2 MAY) or rejecting are both fine
    r = t.run([t.url("hostile", "/bare-lf")])
    if r.rc == 0:
        body_is(r, r.ok(1)[0], b"ok")
    else:
        r.fails()


for _mode in ("http", "random", "record"):
    def _plain(mode=_mode):
        @scenario("not-tls-" + mode, needs=["plain-" + mode])
        def _(t):
            r = t.run([t.url("plain-" + mode, "/")])
            r.fails("TLS handshake with", t.host)
            r.within(0, 5)
    _plain()


@scenario("not-tls-close", needs=["plain-close"])
def _(t):
    r = t.run([t.url("plain-close", "/")])
    r.fails(any_of=("TLS handshake with", "connection closed", "connection reset"))
    r.within(0, 5)


@scenario("not-tls-reset", needs=["plain-reset"])
def _(t):
    r = t.run([t.url("plain-reset", "/")])
    # The reset may land before the connect completes; qemu-user (MIPS) then hands back the
    # host's errno untranslated, so the text after "could not connect" can be anything.
    r.fails(any_of=("TLS handshake with", "connection reset", "could not connect"))
    r.within(0, 5)


@scenario("not-tls-silent-handshake-deadline", needs=["plain-silent"])
def _(t):
    r = t.run(["--connect-timeout-ms", "3000", "--read-timeout-ms", "3000",
               t.url("plain-silent", "/")])
    r.fails("timed out")
    r.within(2.5, 6.5)


# --- network errors and arguments ------------------------------------------------------------

@scenario("connection-refused", needs=[])
def _(t):
    r = t.run([t.url("closed", "/hello")])
    r.fails(any_of=("connection refused", "could not connect"))
    r.within(0, 5)


@scenario("connect-timeout", needs=[])
def _(t):
    # a listening socket whose accept queue is full: the kernel drops our SYNs
    r = t.run(["--connect-timeout-ms", "1500", t.url("blackhole", "/hello")])
    r.fails("timed out")
    r.within(1.2, 4.5)


@scenario("dns-failure", needs=[])
def _(t):
    r = t.run(["--connect-timeout-ms", "3000", "https://no-such-host.invalid/x"])
    r.fails(rc=4)


@scenario("args-no-url", needs=[])
def _(t):
    t.run([], ca=False).fails(rc=2, usage_ok=True)


@scenario("args-unknown-option", needs=["web-rsa"])
def _(t):
    r = t.run(["--no-such-option", t.url("web-rsa", "/hello")])
    r.fails(rc=2, usage_ok=True)
    expect("--no-such-option" in r.err, r, "the message does not name the unknown option")


@scenario("args-bad-timeout", needs=["web-rsa"])
def _(t):
    t.run(["--connect-timeout-ms", "soon", t.url("web-rsa", "/hello")]).fails(rc=2, usage_ok=True)


@scenario("args-missing-value", needs=[])
def _(t):
    t.run(["--proxy"], ca=False).fails(rc=2, usage_ok=True)


@scenario("args-bad-url", needs=[])
def _(t):
    t.run(["not a url"]).fails(rc=(2, 4), usage_ok=True)


@scenario("args-bad-proxy-url", needs=["web-rsa"])
def _(t):
    t.run(["--proxy", "socks5://127.0.0.1:1", t.url("web-rsa", "/hello")]).fails(
        rc=(2, 4), usage_ok=True)


# --------------------------------------------------------------------------------------------

def select(patterns):
    if not patterns:
        return list(SCENARIOS)
    pats = [p.strip() for arg in patterns for p in arg.split(",") if p.strip()]
    chosen = [s for s in SCENARIOS if any(fnmatch.fnmatchcase(s.name, p) for p in pats)]
    unknown = [p for p in pats if not any(fnmatch.fnmatchcase(s.name, p) for s in SCENARIOS)]
    if unknown:
        raise SystemExit("run_transport: no scenario matches %s (see --list)" % ", ".join(unknown))
    return chosen


def make_sockets():
    """In-process helpers: a closed port and a port whose accept queue is full."""
    socks = {}
    keep = []
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks["closed"] = s.getsockname()[1]
    s.close()
    bh = socket.socket()
    bh.bind(("127.0.0.1", 0))
    bh.listen(0)
    socks["blackhole"] = bh.getsockname()[1]
    keep.append(bh)
    for _ in range(2):  # backlog 0 admits one; fill it (the second attempt just times out)
        c = socket.socket()
        c.settimeout(0.3)
        try:
            c.connect(("127.0.0.1", socks["blackhole"]))
        except OSError:
            pass
        keep.append(c)
    return socks, keep


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--fetch", help="path of the ecs-fetch binary")
    ap.add_argument("--only", action="append", default=[])
    ap.add_argument("--qemu", help="command prefix, e.g. qemu-aarch64-static")
    ap.add_argument("--pki", help="PKI directory to create or reuse")
    ap.add_argument("--jobs", type=int, default=6)
    ap.add_argument("--slack", type=float, help="multiplier for time bounds")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir (server logs)")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    if args.list:
        for s in SCENARIOS:
            print(s.name)
        return 0
    if not args.fetch:
        ap.error("--fetch PATH is required")
    args.fetch = os.path.abspath(args.fetch)
    if not (os.path.isfile(args.fetch) and os.access(args.fetch, os.X_OK)):
        ap.error("--fetch %s is not an executable file" % args.fetch)
    if args.slack is None:
        args.slack = 3.0 if args.qemu else 1.0
    chosen = select(args.only)

    tmp = tempfile.mkdtemp(prefix="ecs-transport-")
    pki = os.path.abspath(args.pki) if args.pki else os.path.join(tmp, "pki")
    logdir = os.path.join(tmp, "logs")
    os.makedirs(logdir)
    servers = Servers(pki, logdir, args.verbose)
    keep_socks = []
    passed = failed = 0
    failures = []
    t_start = time.monotonic()
    interrupted = False

    t = ex = None

    def on_term(signum, frame):
        # once: `timeout` and shells may deliver the signal twice (process and group)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        raise KeyboardInterrupt()

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    try:
        subprocess.run(["sh", os.path.join(HERE, "mkpki.sh"), pki], check=True)
        socks, keep_socks = make_sockets()
        needed = []
        for s in chosen:
            for n in s.needs:
                if n not in needed:
                    needed.append(n)
        servers.start(needed)
        t = T(args, pki, servers, socks)
        # slow scenarios first, so they overlap with everything else
        order = sorted(chosen, key=lambda s: 0 if any(
            k in s.name for k in ("drip", "hang", "silent", "timeout", "deadline")) else 1)
        print_lock = threading.Lock()

        def run_one(s):
            t0 = time.monotonic()
            try:
                s.fn(t)
                err = None
            except Fail as e:
                err = str(e)
            except Exception:
                err = "runner error:\n" + traceback.format_exc()
            dt = time.monotonic() - t0
            with print_lock:
                if err is None:
                    print("PASS %-50s %5.2fs" % (s.name, dt), flush=True)
                else:
                    print("FAIL %-50s %5.2fs\n  %s" % (s.name, dt, err), flush=True)
            return s, err

        ex = concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs))
        for s, err in ex.map(run_one, order):
            if err is None:
                passed += 1
            else:
                failed += 1
                failures.append(s.name)
    except KeyboardInterrupt:
        interrupted = True
        print("run_transport: interrupted", file=sys.stderr)
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        if t is not None:
            t.stopping = True
            t.kill_active()
        if ex is not None:
            ex.shutdown(wait=True, cancel_futures=True)
        servers.stop()
        for s in keep_socks:
            s.close()
        if args.keep or failed:
            print("run_transport: logs and PKI kept in %s" % tmp, file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    if failures:
        print("failed: " + " ".join(failures))
    print("(%.1fs)" % (time.monotonic() - t_start))
    print("transport: %d passed, %d failed" % (passed, failed + (1 if interrupted else 0)))
    return 1 if failed or interrupted else 0


if __name__ == "__main__":
    sys.exit(main())
