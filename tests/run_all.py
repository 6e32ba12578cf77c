#!/usr/bin/env python3
"""Runs every test suite of ecs-ca-status and prints one closing line 'check: N passed, N failed'.

Suites: cmocka unit tests (glibc build and ASan+UBSan build), the emulator self-test, the
transport suite (static musl ecs-fetch and the ASan one), the CLI integration suite, the server
faults suite, the issue 9 "never lies" suite, the monitoring suite (nagios, prom,
--output-file, terminals), name resolution against dnsmasq in a private network namespace and
the trust-anchor suite, each on the static musl binary and the ASan one, fuzz corpus replay, a
valgrind memcheck run, checks on the release binary itself (static, no /dev/random, no random
source at all is a clear error), what ships
with it (options in sync with the completions and the man page, man page lint, bash/zsh
completion, make install/uninstall, make release: tests/ship/test_ship.py) and make dist with
two offline builds that must give the same bytes (tests/ship/test_dist.py). With --cross ARCH
only the suites that run a cross-built binary under qemu-user are run.
"""
import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import time

ROOT = None
results = []  # (name, ok, detail)


def run(name, cmd, timeout=900, env=None, expect_rc=0):
    t0 = time.time()
    print(f"=== {name}: {' '.join(cmd)}", flush=True)
    try:
        p = subprocess.run(cmd, cwd=ROOT, env=env, timeout=timeout,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           errors="replace")
        out = p.stdout
        ok = p.returncode == expect_rc
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
        out += f"\n[timed out after {timeout}s]"
        ok = False
    sys.stdout.write(out if len(out) < 20000 else out[:4000] + "\n[...]\n" + out[-12000:])
    dt = time.time() - t0
    results.append((name, ok, f"{dt:.1f}s"))
    print(f"=== {name}: {'ok' if ok else 'FAILED'} ({dt:.1f}s)", flush=True)
    return ok, out


def check_static(binary):
    out = subprocess.run(["file", "-L", binary], capture_output=True, text=True).stdout
    ok = "statically linked" in out or "static-pie linked" in out
    results.append((f"static binary {binary}", ok, out.strip()))
    print(f"=== static: {out.strip()} -> {'ok' if ok else 'FAILED'}")


def check_no_dev_random(binary):
    if not shutil.which("strace"):
        results.append(("no /dev/random", False, "strace missing"))
        return
    p = subprocess.run(["strace", "-f", "-e", "trace=open,openat", binary, "--version"],
                       capture_output=True, text=True)
    ok = p.returncode == 0 and "/dev/random" not in p.stderr
    results.append(("strace --version opens no /dev/random", ok, ""))
    print(f"=== strace: {'ok' if ok else 'FAILED'}\n{p.stderr[-2000:]}")


def check_no_random_is_clear(fetch):
    """getrandom() failing and /dev/urandom unopenable (strace fault injection): the TLS set-up
    says so in words, before any handshake, instead of a handshake error code."""
    if not shutil.which("strace") or not os.path.exists(fetch):
        results.append(("no random source: clear error", False, "strace or " + fetch + " missing"))
        return
    with socket.socket() as srv:  # accepts into the backlog, never answers: TLS set-up is first
        srv.bind(("127.0.0.1", 0))
        srv.listen(1)
        url = "https://127.0.0.1:%d/" % srv.getsockname()[1]
        p = subprocess.run(["strace", "-qq", "-f", "-o", "/dev/null", "-e", "trace=getrandom,open,openat",
                            "-e", "inject=getrandom:error=ENOSYS", "-e", "inject=open,openat:error=ENOENT",
                            fetch, "--read-timeout-ms", "2000", url],
                           capture_output=True, text=True, timeout=30,
                           env={k: v for k, v in os.environ.items() if not k.startswith("SSL_CERT")})
    want = "TLS: no random bytes from the OS (getrandom() and /dev/urandom failed)"
    ok = p.returncode == 4 and want in p.stderr
    results.append(("no random source: clear error", ok, ""))
    print(f"=== no random source: {'ok' if ok else 'FAILED'} (rc {p.returncode})\n{p.stderr[-2000:]}")


def main():
    global ROOT
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--cross", default=None)
    ap.add_argument("--only", default=None, help="run suites whose name contains this")
    a = ap.parse_args()
    ROOT = a.root
    py = sys.executable
    want = lambda n: a.only is None or a.only in n

    if a.cross:
        qemu = {"aarch64": "qemu-aarch64-static", "armhf": "qemu-arm-static",
                "mipsel": "qemu-mipsel-static -cpu 24Kc", "mips": "qemu-mips-static -cpu 24Kc"}[a.cross]
        binary = f"./ecs-ca-status-{a.cross}"
        check_static(binary)
        if want("integration"):
            run(f"integration ({a.cross} under qemu)",
                [py, "tests/integration/test_cli.py", "--bin", binary, "--qemu", qemu], timeout=1200)
        if want("transport"):
            run(f"transport ({a.cross} under qemu)",
                [py, "tests/transport/run_transport.py", "--fetch", f"build/{a.cross}/ecs-fetch",
                 "--qemu", qemu], timeout=900)
    else:
        if want("static"):
            check_static("./ecs-ca-status")
            check_no_dev_random("./ecs-ca-status")
            check_no_random_is_clear(os.path.join(ROOT, "build", os.uname().machine, "ecs-fetch"))
        for variant in ("host", "asan"):
            d = os.path.join(ROOT, "build", variant, "unit")
            if want("unit") and os.path.isdir(d):
                for t in sorted(os.listdir(d)):
                    run(f"unit {t} ({variant})", [os.path.join(d, t)], timeout=300)
        if want("emulator"):
            run("emulator self-test", [py, "tests/emulator/test_emulator.py"], timeout=300)
        if want("transport"):
            run("transport (static musl)", [py, "tests/transport/run_transport.py", "--fetch",
                                            f"build/{os.uname().machine}/ecs-fetch"], timeout=600)
            run("transport (asan)", [py, "tests/transport/run_transport.py", "--fetch",
                                     "build/asan/ecs-fetch"], timeout=600)
            # Containers and chroots often have no /etc/hosts: the suite must still pass there
            # (it falls back to 127.0.0.1 and says so). Masked in a private mount namespace.
            fetch = f"build/{os.uname().machine}/ecs-fetch"
            if subprocess.run(["unshare", "-m", "true"], capture_output=True).returncode == 0:
                run("transport without /etc/hosts (static musl)",
                    ["unshare", "-m", "sh", "-c", "mount --bind /dev/null /etc/hosts && exec \"$@\"", "sh",
                     py, "tests/transport/run_transport.py", "--fetch", fetch], timeout=600)
            else:
                print("=== transport without /etc/hosts: not run: no private mount namespace "
                      "here (unshare -m needs root, and fails inside a chroot)", flush=True)
        if want("integration"):
            run("integration (static musl)", [py, "tests/integration/test_cli.py", "--bin",
                                              "./ecs-ca-status"], timeout=900)
            run("integration (asan)", [py, "tests/integration/test_cli.py", "--bin",
                                       "build/asan/ecs-ca-status"], timeout=900)
            run("integration fleet (static musl)", [py, "tests/integration/test_fleet.py",
                                                    "--bin", "./ecs-ca-status"], timeout=300)
            run("integration fleet (asan)", [py, "tests/integration/test_fleet.py", "--bin",
                                             "build/asan/ecs-ca-status", "--slack", "2"],
                timeout=300)
            run("server faults (static musl)", [py, "tests/integration/test_server_faults.py",
                                                "--bin", "./ecs-ca-status"], timeout=300)
            run("server faults (asan)", [py, "tests/integration/test_server_faults.py", "--bin",
                                         "build/asan/ecs-ca-status"], timeout=300)
        if want("integration never-lies"):  # --only integration or --only never-lies
            run("never-lies (static musl)", [py, "tests/integration/test_never_lies.py", "--bin",
                                             "./ecs-ca-status"], timeout=300)
            run("never-lies (asan)", [py, "tests/integration/test_never_lies.py", "--bin",
                                      "build/asan/ecs-ca-status"], timeout=300)
        if want("integration monitoring"):
            run("integration monitoring (static musl)", [py, "tests/integration/test_monitoring.py",
                                                         "--bin", "./ecs-ca-status"], timeout=300)
            run("integration monitoring (asan)", [py, "tests/integration/test_monitoring.py", "--bin",
                                                  "build/asan/ecs-ca-status", "--slack", "2"],
                timeout=300)
        if want("integration creds"):
            run("integration creds chain (static musl)",
                [py, "tests/integration/test_creds_chain.py", "--bin", "./ecs-ca-status"],
                timeout=300)
            run("integration creds chain (asan)",
                [py, "tests/integration/test_creds_chain.py", "--bin", "build/asan/ecs-ca-status"],
                timeout=300)
        for variant, binary in (("static musl", "./ecs-ca-status"),
                                ("asan", "build/asan/ecs-ca-status")):
            if want("dns"):
                run(f"dns ({variant})", [py, "tests/dns/test_dns.py", "--bin", binary],
                    timeout=300)
            if want("trust"):
                run(f"trust ({variant})", [py, "tests/trust/test_trust.py", "--bin", binary],
                    timeout=300)
        if want("fuzz") and os.path.exists(os.path.join(ROOT, "tests/fuzz/run_fuzz.py")):
            run("fuzz corpus replay", [py, "tests/fuzz/run_fuzz.py", "--root", ROOT, "--replay"],
                timeout=600)
        if want("valgrind") and os.path.exists(os.path.join(ROOT, "tests/valgrind_run.py")):
            run("valgrind memcheck", [py, "tests/valgrind_run.py", "--root", ROOT], timeout=600)
        if want("ship"):
            run("ship: options in sync, man page lint, completions, install, release",
                [py, "tests/ship/test_ship.py", "--bin", "./ecs-ca-status"], timeout=600)
        if want("dist") and not os.path.exists(os.path.join(ROOT, ".git")):
            print("=== dist: not run: this is not a git checkout (an unpacked dist tarball?), and "
                  "make dist lists the tree with git ls-files", flush=True)
        elif want("dist"):
            run("dist: tarball, offline and reproducible builds", [py, "tests/ship/test_dist.py"],
                timeout=1800)

    passed = sum(1 for r in results if r[1])
    failed = len(results) - passed
    print("\nsummary:")
    for name, ok, detail in results:
        print(f"  {'ok  ' if ok else 'FAIL'} {name} {detail}")
    print(f"check: {passed} passed, {failed} failed")
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
