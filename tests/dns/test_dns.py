#!/usr/bin/env python3
"""Name resolution of ecs-ca-status against a real DNS server, in a private network.

    python3 tests/dns/test_dns.py --bin PATH [--only SUBSTRING ...] [-v]

Needs root (or user namespaces): the script re-runs itself under `unshare --net --mount`, so it
has a network of its own (only `lo`, brought up here) and a mount namespace in which each case
mounts a private /etc (tmpfs) holding only that case's resolv.conf and hosts. In it run Debian's
dnsmasq on 127.0.0.1:53 (A and AAAA answers, REFUSED for AAAA of an A-only name, NXDOMAIN), two
small servers of our own (127.0.0.2: reads and drops every query; 127.0.0.3: answers over UDP
with TC set and no records, and properly over TCP), the ECS emulator on 127.0.0.1 with a
certificate for the test names, and the metadata emulator. Each case runs the client and checks
its exit status, its message and, for the deadline cases, that it kept the deadline within
0.5 s.

Last line: "dns: N passed, N failed"; exit status 1 if anything failed.
"""

import argparse
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
EMU_DIR = os.path.join(ROOT, "tests", "emulator")
sys.path.insert(0, EMU_DIR)
sys.dont_write_bytecode = True
import fixtures  # noqa: E402
import sts_emulator  # noqa: E402  (ACCOUNT: the account of the emulator's RAM roles)

PY = sys.executable or "python3"
REGION = "cn-hangzhou"
IDS = [it["InstanceId"] for it in fixtures.instances(REGION, 0)][:2]
AK = {"ALIBABA_CLOUD_ACCESS_KEY_ID": "testid", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "testsecret"}
NAMES = ["both.test", "v4.test", "tc.test", "hosted.test", "nx.test", "meta.test", "v4",
         "other.example", "sts.test"]
SLACK_S = 0.5  # the bound on how far past a deadline the client may run


# --- small DNS servers of our own --------------------------------------------------------------

def qname_end(msg):
    o = 12
    while o < len(msg) and msg[o] != 0:
        o += 1 + msg[o]
    return o + 1 + 4  # root label, type, class


def answer(msg, tc, with_a):
    """A reply to query msg: optionally TC, optionally one A record 127.0.0.1."""
    end = qname_end(msg)
    qtype = struct.unpack(">H", msg[end - 4:end - 2])[0]
    flags = 0x8180 | (0x0200 if tc else 0)
    rr = b""
    if with_a and qtype == 1:
        rr = b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 60, 4) + socket.inet_aton("127.0.0.1")
    return msg[:2] + struct.pack(">HHHHH", flags, 1, 1 if rr else 0, 0, 0) + msg[12:end] + rr


def serve_drop(addr):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, 53))
    while True:
        s.recv(4096)  # and nothing else: a nameserver that never answers


def serve_tc(addr):
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind((addr, 53))
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    t.bind((addr, 53))
    t.listen(8)

    def udp():
        while True:
            m, peer = u.recvfrom(4096)
            u.sendto(answer(m, True, False), peer)

    def tcp():
        while True:
            c, _ = t.accept()
            with c:
                n = struct.unpack(">H", c.recv(2, socket.MSG_WAITALL))[0]
                m = c.recv(n, socket.MSG_WAITALL)
                r = answer(m, False, True)
                c.sendall(struct.pack(">H", len(r)) + r)

    threading.Thread(target=udp, daemon=True).start()
    threading.Thread(target=tcp, daemon=True).start()


# --- the private network ---------------------------------------------------------------------

def sh(*argv):
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def make_pki(d):
    san = ",".join("DNS:" + n for n in NAMES) + ",IP:127.0.0.1"
    sh("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
       "-nodes", "-keyout", d + "/ca.key", "-out", d + "/ca.pem", "-days", "2",
       "-subj", "/CN=dns test CA", "-addext", "basicConstraints=critical,CA:TRUE")
    sh("openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
       "-keyout", d + "/srv.key", "-out", d + "/srv.csr", "-subj", "/CN=both.test")
    with open(d + "/ext", "w") as f:
        f.write("subjectAltName=%s\nextendedKeyUsage=serverAuth\n" % san)
    sh("openssl", "x509", "-req", "-in", d + "/srv.csr", "-CA", d + "/ca.pem", "-CAkey",
       d + "/ca.key", "-CAcreateserial", "-out", d + "/srv.pem", "-days", "2", "-extfile",
       d + "/ext")


def start(argv, log, port_file=None):
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=open(log, "w"))
    t0 = time.time()
    while port_file and not os.path.exists(port_file):
        if p.poll() is not None or time.time() - t0 > 20:
            sys.exit("dns: %s did not start: %s" % (argv[1], open(log).read()))
        time.sleep(0.05)
    return p, (int(open(port_file).read()) if port_file else None)


class Net:
    def __init__(self, d):
        self.d = d
        sh("ip", "link", "set", "lo", "up")
        for a in ("127.0.0.2", "127.0.0.3"):
            sh("ip", "addr", "add", a + "/8", "dev", "lo")
        make_pki(d)
        self.procs = []
        dnsmasq = shutil.which("dnsmasq") or "/usr/sbin/dnsmasq"
        p, _ = start([dnsmasq, "--keep-in-foreground", "--conf-file=/dev/null", "--no-hosts",
                      "--no-resolv", "--user=root", "--listen-address=127.0.0.1",
                      "--bind-interfaces", "--host-record=both.test,127.0.0.1,::1",
                      "--host-record=v4.test,127.0.0.1", "--local=/nx.test/"], d + "/dnsmasq.log")
        self.procs.append(p)
        threading.Thread(target=serve_drop, args=("127.0.0.2",), daemon=True).start()
        serve_tc("127.0.0.3")
        p, self.ecs = start([PY, os.path.join(EMU_DIR, "ecs_emulator.py"), "--port", "0",
                             "--port-file", d + "/ecs.port", "--cert", d + "/srv.pem", "--key",
                             d + "/srv.key"], d + "/ecs.log", d + "/ecs.port")
        self.procs.append(p)
        p, self.meta = start([PY, os.path.join(EMU_DIR, "metadata_emulator.py"), "--port", "0",
                              "--port-file", d + "/meta.port"], d + "/meta.log", d + "/meta.port")
        self.procs.append(p)
        self.wait_dnsmasq(d + "/dnsmasq.log")
        with open(d + "/cfg.json", "w") as f:  # a RamRoleArn profile: the run asks STS first
            json.dump({"current": "default", "profiles": [{
                "name": "default", "mode": "RamRoleArn", "access_key_id": AK[
                    "ALIBABA_CLOUD_ACCESS_KEY_ID"],
                "access_key_secret": AK["ALIBABA_CLOUD_ACCESS_KEY_SECRET"],
                "ram_role_arn": "acs:ram::%s:role/ops" % sts_emulator.ACCOUNT,
                "ram_session_name": "dns-test", "region_id": REGION}]}, f)
        os.chmod(d + "/cfg.json", 0o600)

    def wait_dnsmasq(self, log):
        """Until dnsmasq answers a query (it may start slowly on a loaded machine)."""
        q = struct.pack(">HHHHHH", 7, 0x0100, 1, 0, 0, 0) + b"\x02v4\x04test\x00\x00\x01\x00\x01"
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(0.2)
        t0 = time.time()
        while time.time() - t0 < 15:
            if self.procs[0].poll() is not None:
                break
            try:
                s.sendto(q, ("127.0.0.1", 53))
                if s.recv(512)[:2] == q[:2]:
                    s.close()
                    return
            except OSError:
                time.sleep(0.1)
        s.close()
        self.close()
        sys.exit("dns: dnsmasq does not answer on 127.0.0.1:53: %s" % open(log).read())

    def close(self):
        for p in self.procs:
            p.kill()


def private_etc(resolv, hosts):
    """Mounts a fresh tmpfs on /etc holding only the given files (None = absent)."""
    subprocess.run(["umount", "/etc"], stderr=subprocess.DEVNULL)
    sh("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", "/etc")
    for name, text in (("resolv.conf", resolv), ("hosts", hosts)):
        if text is not None:
            with open("/etc/" + name, "w") as f:
                f.write(text)


# --- cases -----------------------------------------------------------------------------------

CASES = []


def case(name, resolv, hosts, host, args=(), rc=0, needles=(), deadline=None, env=None,
         endpoint_port=None):
    CASES.append(dict(name=name, resolv=resolv, hosts=hosts, host=host, args=list(args), rc=rc,
                      needles=list(needles), deadline=deadline, env=env,
                      endpoint_port=endpoint_port))


NS1 = "nameserver 127.0.0.1\n"
case("a-and-aaaa", NS1, "", "both.test")
case("aaaa-refused-a-works", NS1, "", "v4.test")
case("search-ndots", "search test\n" + NS1, "", "v4")
case("hosts-before-dns", "nameserver 127.0.0.2\n", "127.0.0.1 hosted.test\n", "hosted.test",
     ["--connect-timeout", "1"], deadline=0.3)
case("truncated-answer-tcp", "nameserver 127.0.0.3\n", "", "tc.test")
case("nxdomain", NS1, "", "nx.test", rc=4,
     needles=["cannot resolve nx.test", "does not exist (NXDOMAIN)", "--resolve nx.test:"],
     deadline=1.0)
case("never-answers", "nameserver 127.0.0.2\noptions timeout:5 attempts:2\n", "", "both.test",
     ["--connect-timeout", "1"], rc=4,
     needles=["cannot resolve both.test", "nameserver 127.0.0.2 did not answer within 1",
              "--resolve"], deadline=1.0)
case("never-answers-then-good", "nameserver 127.0.0.2\nnameserver 127.0.0.1\n", "", "v4.test",
     ["--connect-timeout", "2"], deadline=1.0)
# Without a nameserver line, or without resolv.conf, 127.0.0.1 is asked (as every libc does):
# dnsmasq answers for its names and REFUSES the others (it has no upstream server).
case("no-nameserver-line", "search test\n", "", "other.example", ["--connect-timeout", "1"],
     rc=4, needles=["cannot resolve other.example: /etc/resolv.conf lists no nameserver, so the "
                    "default nameserver was asked: nameserver 127.0.0.1 answered REFUSED"],
     deadline=0.3)
case("missing-resolv-conf", None, "", "other.example", ["--connect-timeout", "1"], rc=4,
     needles=["/etc/resolv.conf does not exist, so the default nameserver was asked: nameserver "
              "127.0.0.1 answered REFUSED", "--resolve other.example:"], deadline=0.3)
case("missing-resolv-conf-default-works", None, "", "v4.test")
case("resolve-flag-no-dns", None, None, "nx.test",
     ["--resolve", "nx.test:{port}:127.0.0.1", "--connect-timeout", "1"], deadline=2.0)
case("resolve-flag-ipv6-first-refused", None, None, "nx.test",
     ["--resolve", "nx.test:{port}:[::1],127.0.0.1"])
case("hosts-v6-first-falls-back", NS1, "127.0.0.1 hosted.test\n::1 hosted.test\n", "hosted.test",
     ["--retries", "0"], rc=4, endpoint_port="closed",
     needles=["could not connect to hosted.test (::1 port {closed}: Connection refused; "
              "127.0.0.1 port {closed}: Connection refused)"])
case("hosts-v6-refused-v4-works", NS1, "127.0.0.1 hosted.test\n::1 hosted.test\n",
     "hosted.test")
case("both-refused-in-order", NS1, "", "both.test", ["--retries", "0"], rc=4,
     needles=["could not connect to both.test", "::1 port {closed}: Connection refused; "
              "127.0.0.1 port {closed}: Connection refused"], endpoint_port="closed")
case("resolve-bad-port", NS1, "", "v4.test", ["--resolve", "v4.test:http:127.0.0.1"], rc=2,
     needles=["resolve: 'v4.test:http:127.0.0.1': the port must be 1..65535"])
case("resolve-bad-address", NS1, "", "v4.test", ["--resolve", "v4.test:443:[127.0.0.1]"], rc=2,
     needles=["'[127.0.0.1]' is not an IPv4 or [IPv6] address"])
case("resolve-other-port-asks-dns", NS1, "", "v4.test", ["--resolve", "v4.test:1:192.0.2.1"])
case("metadata-host-honours-resolve", None, None, "nx.test",
     ["--resolve", "nx.test:{port}:127.0.0.1", "--resolve", "meta.test:{meta}:127.0.0.1"],
     env={"ECS_CA_STATUS_METADATA_ENDPOINT": "meta.test:{meta}"})
case("sts-host-unresolved-fails", None, None, "nx.test", ["--resolve", "nx.test:{port}:127.0.0.1"],
     rc=4, needles=["STS AssumeRole", "cannot resolve sts.test", "--resolve sts.test:{port}:"],
     env={"ALIBABA_CLOUD_STS_ENDPOINT": "sts.test:{port}", "ALIBABA_CLOUD_CONFIG_FILE": "{cfg}",
          "ALIBABA_CLOUD_ECS_METADATA_DISABLED": "true"})
case("sts-host-honours-resolve", None, None, "nx.test",
     ["--resolve", "nx.test:{port}:127.0.0.1", "--resolve", "sts.test:{port}:127.0.0.1"],
     env={"ALIBABA_CLOUD_STS_ENDPOINT": "sts.test:{port}", "ALIBABA_CLOUD_CONFIG_FILE": "{cfg}",
          "ALIBABA_CLOUD_ECS_METADATA_DISABLED": "true"})


def closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def run_case(net, binary, c, verbose):
    closed = closed_port()
    sub = lambda s: s.format(port=net.ecs, meta=net.meta, closed=closed, cfg=net.d + "/cfg.json")
    port = closed if c["endpoint_port"] == "closed" else net.ecs
    env = {"PATH": "/usr/bin:/bin", "HOME": net.d, "SSL_CERT_FILE": net.d + "/ca.pem"}
    if c["env"]:
        env.update({k: sub(v) for k, v in c["env"].items()})
    else:
        env.update(AK)
        env["ALIBABA_CLOUD_ECS_METADATA_DISABLED"] = "true"
    private_etc(c["resolv"], c["hosts"])
    argv = [binary, "--endpoint", "%s:%d" % (c["host"], port), "-r", REGION, "-o", "tsv"]
    argv += [sub(a) for a in c["args"]] + IDS
    t0 = time.monotonic()
    p = subprocess.run(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=60)
    dt = time.monotonic() - t0
    problems = []
    if p.returncode != c["rc"]:
        problems.append("exit %d, want %d" % (p.returncode, c["rc"]))
    for n in c["needles"]:
        if sub(n) not in p.stderr:
            problems.append("stderr lacks %r" % sub(n))
    if c["rc"] == 0 and [ln.split("\t")[0] for ln in p.stdout.splitlines()] != IDS:
        problems.append("stdout is not the two instances")
    if c["deadline"] is not None and dt > c["deadline"] + SLACK_S:
        problems.append("took %.2f s, bound %.1f s + %.1f s" % (dt, c["deadline"], SLACK_S))
    if verbose or problems:
        print("  %s\n  rc=%d %.2fs\n  stderr: %s" % (" ".join(argv), p.returncode, dt,
                                                     p.stderr.strip()))
    return problems, dt


def inner(a):
    d = tempfile.mkdtemp(prefix="ecs-dns.")
    net = Net(d)
    passed = failed = 0
    try:
        for c in CASES:
            if a.only and not any(o in c["name"] for o in a.only):
                continue
            problems, dt = run_case(net, os.path.abspath(a.bin), c, a.verbose)
            if problems:
                failed += 1
                print("FAIL %s (%.2fs): %s" % (c["name"], dt, "; ".join(problems)), flush=True)
            else:
                passed += 1
                print("ok   %s (%.2fs)" % (c["name"], dt), flush=True)
    finally:
        subprocess.run(["umount", "/etc"], stderr=subprocess.DEVNULL)
        net.close()
        shutil.rmtree(d, ignore_errors=True)
    print("dns: %d passed, %d failed" % (passed, failed))
    return 1 if failed or not passed else 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--only", nargs="*")
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.inner:
        return inner(a)
    for tool in ("unshare", "dnsmasq", "ip", "openssl"):
        if not shutil.which(tool) and not os.path.exists("/usr/sbin/" + tool):
            print("dns: %s is missing (scripts/deps.sh test installs it)" % tool)
            print("dns: 0 passed, 1 failed")
            return 1
    probe = subprocess.run(["unshare", "--net", "--mount", "--propagation", "private", "true"],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        # e.g. inside a chroot, where / is not a mount point: no private mount namespace can be
        # made, and without one the suite would change the real /etc/resolv.conf
        print("dns: not run: cannot make a private network and mount namespace here (%s)"
              % (probe.stderr.strip() or "unshare exit %d" % probe.returncode))
        print("dns: 0 passed, 0 failed, %d skipped" % len(CASES))
        return 0
    argv = ["unshare", "--net", "--mount", "--propagation", "private", PY,
            os.path.abspath(__file__), "--inner", "--bin", os.path.abspath(a.bin)]
    if a.only:
        argv += ["--only"] + a.only
    if a.verbose:
        argv.append("-v")
    return subprocess.call(argv, cwd=ROOT)


if __name__ == "__main__":
    sys.exit(main())
