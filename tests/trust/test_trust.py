#!/usr/bin/env python3
"""Trust anchors of ecs-ca-status: the built-in roots, --show-ca, and what is reported when the
trust source cannot be read.

    python3 tests/trust/test_trust.py --bin PATH [--only SUBSTRING ...] [-v]

The built-in roots are compared byte for byte with the certificate files of the pinned Debian
ca-certificates package that the build unpacked (third_party/build/cacerts/), and --show-ca
and a real call run in an empty chroot (no /etc at all; needs root and a static binary, so the
chroot cases are skipped for a dynamic one). The ECS emulator with a throwaway PKI
(tests/emulator/mkpki.sh) is the server. The file-descriptor cases run the client under
RLIMIT_NOFILE 3 and 4; the unreadable --ca-file case runs it as nobody when run as root.

Last line: "trust: N passed, N failed[, N skipped]"; exit status 1 if anything failed.
"""

import argparse
import base64
import hashlib
import os
import re
import resource
import shutil
import stat
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
EMU_DIR = os.path.join(ROOT, "tests", "emulator")
sys.path.insert(0, EMU_DIR)
sys.dont_write_bytecode = True
import fixtures  # noqa: E402

PY = sys.executable or "python3"
REGION = "cn-hangzhou"
ID = [it["InstanceId"] for it in fixtures.instances(REGION, 0)][0]
AK = {"ALIBABA_CLOUD_ACCESS_KEY_ID": "testid", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "testsecret",
      "ALIBABA_CLOUD_ECS_METADATA_DISABLED": "true"}


class Skip(Exception):
    pass


class Fail(Exception):
    pass


def pinned_anchors():
    """(name, sha256 hex) from third_party/versions.sh, in order."""
    out = []
    for line in open(os.path.join(ROOT, "third_party", "versions.sh")):
        m = re.match(r'ANCHOR_\d+="(\S+) ([0-9a-f]{64})"', line)
        if m:
            out.append((m.group(1), m.group(2)))
    return out


def debian_der(name):
    path = os.path.join(ROOT, "third_party", "build", "cacerts", "usr", "share",
                        "ca-certificates", "mozilla", name + ".crt")
    text = open(path).read()
    body = text.split("-----BEGIN CERTIFICATE-----")[1].split("-----END CERTIFICATE-----")[0]
    return base64.b64decode("".join(body.split()))


def _der_len(b, i):
    """(content length, header length) of the DER element at b[i]."""
    if b[i + 1] < 0x80:
        return b[i + 1], 2
    k = b[i + 1] & 0x7F
    return int.from_bytes(b[i + 2:i + 2 + k], "big"), 2 + k


def without_signature(der):
    """The certificate with its signatureValue replaced by an empty BIT STRING: how the build
    keeps the built-in roots (written here independently of third_party/gen_anchors.sh)."""
    n, h = _der_len(der, 0)
    assert der[0] == 0x30 and h + n == len(der)
    p = h
    for _ in range(2):  # tbsCertificate, signatureAlgorithm
        assert der[p] == 0x30
        n2, h2 = _der_len(der, p)
        p += h2 + n2
    assert der[p] == 0x03
    body = der[h:p] + b"\x03\x01\x00"
    ln = len(body)
    head = bytes([ln]) if ln < 0x80 else bytes([0x81, ln]) if ln < 0x100 else \
        bytes([0x82, ln >> 8, ln & 0xFF])
    return b"\x30" + head + body


def pem_der(path):
    text = open(path).read()
    body = text.split("-----BEGIN CERTIFICATE-----")[1].split("-----END CERTIFICATE-----")[0]
    return base64.b64decode("".join(body.split()))


class Env:
    def __init__(self, binary, verbose):
        self.bin = os.path.abspath(binary)
        self.verbose = verbose
        self.d = tempfile.mkdtemp(prefix="ecs-trust.")
        os.chmod(self.d, 0o755)  # the unreadable-file case runs a copy of the binary as nobody
        pki = os.path.join(self.d, "pki")
        subprocess.run(["sh", os.path.join(EMU_DIR, "mkpki.sh"), pki], check=True,
                       stdout=subprocess.DEVNULL)
        self.ca = os.path.join(pki, "ca.pem")
        pf = os.path.join(self.d, "port")
        self.emu = subprocess.Popen([PY, os.path.join(EMU_DIR, "ecs_emulator.py"), "--port", "0",
                                     "--port-file", pf, "--cert", os.path.join(pki, "server.pem"),
                                     "--key", os.path.join(pki, "server.key")],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        t0 = time.time()
        while not os.path.exists(pf):
            if self.emu.poll() is not None or time.time() - t0 > 20:
                raise SystemExit("trust: the ECS emulator did not start")
            time.sleep(0.05)
        self.port = int(open(pf).read())
        self.static = b"statically linked" in subprocess.run(
            ["file", "-L", self.bin], capture_output=True).stdout

    def run(self, args, env=None, chroot=None, preexec=None, binary=None):
        e = {"PATH": "/usr/bin:/bin", "HOME": self.d}
        e.update(env or {})
        argv = [binary or self.bin] + args
        if chroot:
            argv = ["/usr/sbin/chroot", chroot, "/ecs-ca-status"] + args
        p = subprocess.run(argv, env=e, capture_output=True, text=True, timeout=60,
                           preexec_fn=preexec)
        if self.verbose:
            print("  $ %s\n  rc=%d\n  out: %s\n  err: %s" % (" ".join(argv), p.returncode,
                                                           p.stdout.strip(), p.stderr.strip()))
        return p

    def call(self, extra, env=None, **kw):
        return self.run(["--endpoint", "127.0.0.1:%d" % self.port, "-r", REGION] + extra + [ID],
                        env=dict(AK, **(env or {})), **kw)

    def empty_root(self):
        if os.geteuid() != 0:
            raise Skip("chroot needs root")
        if not self.static:
            raise Skip("a dynamic binary cannot run in an empty root")
        r = tempfile.mkdtemp(prefix="root.", dir=self.d)
        shutil.copy(self.bin, os.path.join(r, "ecs-ca-status"))
        return r

    def close(self):
        self.emu.kill()
        shutil.rmtree(self.d, ignore_errors=True)


def expect(cond, what):
    if not cond:
        raise Fail(what)


TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


@test
def builtin_anchors_are_debians_bytes(t):
    """Each pinned root, as in Debian's .crt file, is in the binary byte for byte except its
    signature value (which nothing checks for a trust anchor)."""
    pins = pinned_anchors()
    expect(len(pins) == 8, "versions.sh pins %d roots, want 8" % len(pins))
    blob = open(t.bin, "rb").read()
    for name, fp in pins:
        der = debian_der(name)
        expect(hashlib.sha256(der).hexdigest() == fp, "%s: Debian's file differs from pin" % name)
        expect(without_signature(der) in blob,
               "%s: its certificate (without the signature) is not in the binary" % name)
        expect(der not in blob, "%s: still kept with its signature" % name)


@test
def anchor_without_signature_verifies_a_chain(t):
    """The emulator's CA with its signature value removed, as the built-in roots are kept,
    still anchors the emulator's chain: verification never reads a trusted root's signature.
    The same CA with a changed key does not (the check is real)."""
    der = without_signature(pem_der(t.ca))
    f = os.path.join(t.d, "nosig.pem")
    with open(f, "w") as out:
        out.write("-----BEGIN CERTIFICATE-----\n%s\n-----END CERTIFICATE-----\n" %
                  base64.encodebytes(der).decode().strip())
    r = t.call(["--ca-file", f, "-o", "tsv"])
    expect(r.returncode in (0, 1), "exit %d with a signature-less anchor: %s" %
           (r.returncode, r.stderr.strip()))
    expect(ID in r.stdout, "no answer row: %r" % r.stdout)
    i = len(der) - 40  # inside the subjectPublicKeyInfo, before the empty signature
    bad = der[:i] + bytes([der[i] ^ 0x01]) + der[i + 1:]
    with open(f, "w") as out:
        out.write("-----BEGIN CERTIFICATE-----\n%s\n-----END CERTIFICATE-----\n" %
                  base64.encodebytes(bad).decode().strip())
    r = t.call(["--ca-file", f, "-o", "tsv"])
    expect(r.returncode == 4, "exit %d with a changed anchor key, want 4" % r.returncode)


@test
def show_ca_in_empty_root(t):
    r = t.run(["--show-ca"], chroot=t.empty_root(), env={})
    expect(r.returncode == 0, "exit %d" % r.returncode)
    lines = r.stdout.splitlines()
    expect(lines and lines[0].startswith("trust anchors: built-in"), "first line %r" % lines[:1])
    got = [ln.split()[0][len("SHA256:"):] for ln in lines[1:]]
    want = [hashlib.sha256(debian_der(n)).hexdigest() for n, _ in pinned_anchors()]
    expect(got == want, "fingerprints %s, want %s" % (got, want))
    expect("CN=GlobalSign Root R46" in r.stdout and "CN=DigiCert Global Root G3" in r.stdout,
           "subjects missing")


@test
def real_call_in_empty_root_is_unknown_ca(t):
    r = t.call(["-v"], chroot=t.empty_root())
    expect(r.returncode == 4, "exit %d, want 4" % r.returncode)
    expect("issued by an unknown CA" in r.stderr, "no unknown-CA message")
    expect("built-in" in r.stderr, "the message does not name the built-in trust source")
    expect("* trust anchors: built-in" in r.stderr, "-v does not say which trust source")
    expect("no CA certificates found" not in r.stderr, "says no CA certificates found")


@test
def empty_cert_dir_means_builtin(t):
    """A rescue image with an empty /etc/ssl/certs still gets the built-in roots."""
    r = t.empty_root()
    os.makedirs(os.path.join(r, "etc", "ssl", "certs"))
    p = t.run(["--show-ca"], chroot=r)
    expect(p.returncode == 0 and p.stdout.startswith("trust anchors: built-in"),
           "empty directory chosen: %r" % p.stdout[:80])
    open(os.path.join(r, "etc", "ssl", "certs", "x.pem"), "w").write(open(t.ca).read())
    p = t.run(["--show-ca"], chroot=r)
    expect(p.stdout.startswith("trust anchors: /etc/ssl/certs (system directory)"),
           "directory with a certificate not chosen: %r" % p.stdout[:80])


@test
def system_bundle_wins(t):
    if not os.path.isfile("/etc/ssl/certs/ca-certificates.crt"):
        raise Skip("no system bundle on this machine")
    r = t.run(["--show-ca"])
    expect(r.returncode == 0 and "/etc/ssl/certs/ca-certificates.crt" in r.stdout and
           "SHA256:" not in r.stdout, "system bundle not chosen: %r" % r.stdout)


def nofile(n):
    return lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (n, n))


@test
def fd_exhaustion_reading_the_ca_file(t):
    """RLIMIT_NOFILE 4: the socket takes fd 3, the CA file cannot be opened."""
    r = t.call(["--ca-file", t.ca, "--retries", "0"], preexec=nofile(4))
    expect(r.returncode == 4, "exit %d, want 4" % r.returncode)
    expect("unknown CA" not in r.stderr, "blamed on an unknown CA")
    expect("cannot read %s" % t.ca in r.stderr and "Too many open files" in r.stderr,
           "does not say the CA file could not be opened for lack of descriptors")


@test
def fd_exhaustion_connecting(t):
    """RLIMIT_NOFILE 3: no socket at all (the system bundle is found with stat() alone)."""
    if not t.static:
        raise Skip("a dynamic binary's loader needs a fourth descriptor")
    r = t.call(["--retries", "0"], preexec=nofile(3))
    expect(r.returncode == 4, "exit %d, want 4" % r.returncode)
    expect("System error" not in r.stderr and "cannot resolve 127.0.0.1" not in r.stderr,
           "blamed on name resolution")
    expect("could not connect to 127.0.0.1" in r.stderr and "out of file descriptors" in r.stderr,
           "does not name descriptor exhaustion")


@test
def fd_exhaustion_at_start(t):
    if not t.static:
        raise Skip("a dynamic binary's loader needs a fourth descriptor")
    r = t.call(["--ca-file", t.ca], preexec=nofile(3))
    expect(r.returncode == 2, "exit %d, want 2" % r.returncode)
    expect("--ca-file %s: out of file descriptors" % t.ca in r.stderr, "no descriptor message")


@test
def unreadable_ca_file(t):
    ca = os.path.join(t.d, "unreadable.pem")
    shutil.copy(t.ca, ca)
    os.chmod(ca, 0)
    pre = None
    if os.geteuid() == 0:
        d = t.d
        while True:  # uid 65534 must be able to reach the copy of the binary
            if not os.stat(d).st_mode & stat.S_IXOTH:
                raise Skip("%s is not searchable by others (a chroot made by mktemp?): uid "
                           "65534 cannot reach the binary" % d)
            if d == "/":
                break
            d = os.path.dirname(d)

        def pre():
            os.setgid(65534)
            os.setuid(65534)
    binary = os.path.join(t.d, "bin-copy")
    shutil.copy(t.bin, binary)
    os.chmod(binary, 0o755)
    r = t.call(["--ca-file", ca], preexec=pre, binary=binary)
    expect(r.returncode == 2, "exit %d, want 2" % r.returncode)
    expect("--ca-file %s: permission denied" % ca in r.stderr, "no permission message")


@test
def fifo_ca_file(t):
    f = os.path.join(t.d, "fifo.pem")
    os.mkfifo(f)
    r = t.call(["--ca-file", f])
    expect(r.returncode == 2, "exit %d, want 2" % r.returncode)
    expect("--ca-file %s: not a regular file (a FIFO)" % f in r.stderr, "no FIFO message")


@test
def dev_null_ca_file(t):
    r = t.call(["--ca-file", "/dev/null"])
    expect(r.returncode == 2, "exit %d, want 2" % r.returncode)
    expect("--ca-file /dev/null: not a regular file (a device)" in r.stderr, "no device message")


@test
def missing_ca_file(t):
    f = os.path.join(t.d, "absent.pem")
    r = t.call(["--ca-file", f])
    expect(r.returncode == 2, "exit %d, want 2" % r.returncode)
    expect("--ca-file %s: No such file or directory" % f in r.stderr, "no missing-file message")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--only", nargs="*")
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args()
    t = Env(a.bin, a.verbose)
    passed = failed = skipped = 0
    try:
        for fn in TESTS:
            if a.only and not any(o in fn.__name__ for o in a.only):
                continue
            try:
                fn(t)
                passed += 1
                print("ok   %s" % fn.__name__, flush=True)
            except Skip as e:
                skipped += 1
                print("skip %s: %s" % (fn.__name__, e), flush=True)
            except Fail as e:
                failed += 1
                print("FAIL %s: %s" % (fn.__name__, e), flush=True)
    finally:
        t.close()
    print("trust: %d passed, %d failed%s" % (passed, failed,
                                             ", %d skipped" % skipped if skipped else ""))
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main())
