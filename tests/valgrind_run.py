#!/usr/bin/env python3
"""valgrind memcheck of the glibc-dynamic host build against the local ECS emulator.

    python3 tests/valgrind_run.py --root DIR [--only NAME]

Builds nothing: expects DIR/build/host/ecs-ca-status and DIR/build/host/ecs-fetch (`make host`).
Starts the emulator (HTTPS, throwaway CA), then runs real scenarios under
`valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite`: a scenario
passes when the program exits with the code it should (0, or 4/5 for the failure scenarios),
valgrind reports no error, and the emulator saw what the scenario is about.  Prints each
valgrind report that is not clean, and a last line `valgrind: N passed, N failed`; exit 1 on any
failure or when a prerequisite is missing.

Note: the host build keeps mbedTLS on its static pool (no ECS_SYSTEM_HEAP), so memcheck sees our
code, jsmn and libc, and the pool as one block: out-of-bounds use inside the pool is for the
ASan build (which uses the system heap) to find.
"""
import argparse
import json
import os
import re
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
EMU_DIR = os.path.join(HERE, "emulator")
sys.path.insert(0, EMU_DIR)
import fixtures  # noqa: E402

REGION = "cn-hangzhou"
VALGRIND = ["valgrind", "--error-exitcode=99", "--leak-check=full",
            "--errors-for-leak-kinds=definite", "--show-leak-kinds=definite", "--num-callers=30"]
SUMMARY_RE = re.compile(r"ERROR SUMMARY: (\d+) errors")


class Emulator:
    def __init__(self, pki):
        self.ca = os.path.join(pki, "ca.pem")
        port_file = os.path.join(pki, "ecs.port")
        self.log = open(os.path.join(pki, "emulator.log"), "wb")
        self.proc = subprocess.Popen(
            [sys.executable, os.path.join(EMU_DIR, "ecs_emulator.py"), "--port", "0",
             "--port-file", port_file, "--cert", os.path.join(pki, "server.pem"),
             "--key", os.path.join(pki, "server.key")],
            stdout=self.log, stderr=self.log, start_new_session=True)
        for _ in range(200):
            if os.path.exists(port_file) or self.proc.poll() is not None:
                break
            time.sleep(0.05)
        if not os.path.exists(port_file):
            self.stop()
            raise RuntimeError("the ECS emulator did not start (log: %s)" % self.log.name)
        self.endpoint = "127.0.0.1:%d" % int(open(port_file).read())
        self.ctx = ssl.create_default_context(cafile=self.ca)

    def control(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else (b"" if method == "POST" else None)
        req = urllib.request.Request("https://%s/__emu/%s" % (self.endpoint, path), data=data,
                                     method=method)
        with urllib.request.urlopen(req, context=self.ctx, timeout=10) as r:
            return json.loads(r.read().decode())

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()


def main():
    ap = argparse.ArgumentParser(description="valgrind memcheck of the host build")
    ap.add_argument("--root", required=True)
    ap.add_argument("--only", help="run scenarios whose name contains this")
    a = ap.parse_args()
    root = os.path.abspath(a.root)
    binary = os.path.join(root, "build", "host", "ecs-ca-status")
    fetch = os.path.join(root, "build", "host", "ecs-fetch")
    missing = [p for p in (binary, fetch) if not os.access(p, os.X_OK)]
    if missing:
        print("valgrind_run: missing %s (run `make host` first)" % ", ".join(missing))
        print("valgrind: 0 passed, 1 failed")
        return 1
    try:
        subprocess.run(["valgrind", "--version"], capture_output=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        print("valgrind_run: valgrind is not installed (apt-get install valgrind)")
        print("valgrind: 0 passed, 1 failed")
        return 1

    t_start = time.time()
    with tempfile.TemporaryDirectory(prefix="ecs-valgrind-") as d:
        pki, other = os.path.join(d, "pki"), os.path.join(d, "other-pki")
        home, empty_home = os.path.join(d, "home"), os.path.join(d, "empty-home")
        for p in (home, empty_home):
            os.makedirs(p)
        procs = [subprocess.Popen(["sh", os.path.join(EMU_DIR, "mkpki.sh"), p],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                 for p in (pki, other)]
        if any(p.wait() != 0 for p in procs):
            print("valgrind_run: mkpki.sh failed")
            print("valgrind: 0 passed, 1 failed")
            return 1
        emu = Emulator(pki)
        try:
            passed, failed = run_scenarios(a, d, binary, fetch, emu, home, empty_home,
                                           os.path.join(other, "ca.pem"))
        finally:
            emu.stop()
    print("valgrind: %d passed, %d failed (%.1f s)" % (passed, failed, time.time() - t_start))
    return 0 if failed == 0 and passed > 0 else 1


def run_scenarios(a, d, binary, fetch, emu, home, empty_home, wrong_ca):
    ids = [fixtures.instance_id(REGION, i) for i in range(100)]
    env_ok = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": home, "LANG": "C",
              "ALIBABA_CLOUD_ACCESS_KEY_ID": "testid", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "testsecret",
              "ALIBABA_CLOUD_ECS_METADATA_DISABLED": "true", "SSL_CERT_FILE": emu.ca}
    env_nocreds = {"PATH": env_ok["PATH"], "HOME": empty_home, "LANG": "C",
                   "ALIBABA_CLOUD_ECS_METADATA_DISABLED": "true", "SSL_CERT_FILE": emu.ca}
    common = [binary, "--region", REGION, "--endpoint", emu.endpoint]
    base_url = "https://%s/__emu/" % emu.endpoint

    def lines(n):
        return lambda out, st: len(out.splitlines()) == n or "expected %d output lines, got %d" % (
            n, len(out.splitlines()))

    def api(requests, errors=None):
        def check(out, st):
            if st["requests"] != requests:
                return "emulator saw %d API requests, expected %d" % (st["requests"], requests)
            for code, n in (errors or {}).items():
                if st["errors"].get(code, 0) != n:
                    return "emulator errors %s, expected %s=%d" % (st["errors"], code, n)
            return True
        return check

    def json_ok(out, st):
        try:
            doc = json.loads(out)
            n = len(doc["InstanceCloudAssistantStatusSet"]["InstanceCloudAssistantStatus"])
        except (ValueError, KeyError, TypeError) as e:
            return "output is not the expected JSON: %s" % e
        return n == 3 or "JSON has %d instances, expected 3" % n

    all_count = len(fixtures.instances(REGION, 0))
    # name, argv, env, stdin, expected exit code, emulator config, checks
    scenarios = [
        ("one call v3 (table)", common + ids[:5], env_ok, None, 0, None,
         [lines(6), api(1)]),
        ("one call v1 -o json", common + ["--signature", "v1", "-o", "json"] + ids[:3], env_ok, None,
         0, None, [json_ok, api(1)]),
        ("--all -o tsv", common + ["--all", "-o", "tsv"], env_ok, None, 0, None,
         [lines(all_count)]),
        ("ids on stdin, -v, --check", common + ["-v", "--check", "-o", "tsv", "-"], env_ok,
         "\n".join(ids[:3] + ["i-bp1doesnotexist0000"]) + "\n", 1, None, [lines(4), api(1)]),
        ("throttled retry (--throttle-every 2)", common + ["-o", "tsv", "--batch-size", "50"] + ids,
         env_ok, None, 0, {"throttle_every": 2},
         [lines(100), api(3, {"Throttling.User": 1})]),
        ("TLS failure: wrong CA", common + ["--ca-file", wrong_ca] + ids[:2], env_ok, None, 4, None,
         [api(0)]),
        ("no credentials", common + ids[:2], env_nocreds, None, 5, None, [api(0)]),
        ("ecs-fetch: two GETs on one connection, --stats",
         [fetch, "--stats", "--ca-file", emu.ca, base_url + "stats", base_url + "config"], env_ok,
         None, 0, None, [lambda out, st: out.count("status=200") == 2 and "reused=1" in out
                         or "expected two 200 answers, the second on a reused connection"]),
        ("ecs-fetch: TLS failure: wrong CA",
         [fetch, "--ca-file", wrong_ca, base_url + "stats"], env_ok, None, 4, None, []),
    ]

    passed = failed = 0
    for n, (name, argv, env, stdin, want_rc, config, checks) in enumerate(scenarios):
        if a.only and a.only not in name:
            continue
        emu.control("POST", "config", {"throttle_every": 0})
        if config:
            emu.control("POST", "config", config)
        emu.control("POST", "reset")
        vlog = os.path.join(d, "valgrind-%d.log" % n)
        t0 = time.time()
        try:
            p = subprocess.run(VALGRIND + ["--log-file=" + vlog] + argv, env=env, input=stdin,
                               capture_output=True, text=True, errors="replace", timeout=120)
            rc, out, err = p.returncode, p.stdout, p.stderr
        except subprocess.TimeoutExpired:
            rc, out, err = None, "", "timed out after 120 s"
        st = emu.control("GET", "stats")
        report = open(vlog, errors="replace").read() if os.path.exists(vlog) else ""
        m = SUMMARY_RE.search(report)
        problems = []
        if rc == 99:
            problems.append("valgrind reported errors (exit 99)")
        elif rc != want_rc:
            problems.append("exit %s, expected %d" % (rc, want_rc))
        if not m:
            problems.append("no valgrind ERROR SUMMARY (did valgrind run?)")
        elif int(m.group(1)) != 0:
            problems.append("ERROR SUMMARY: %s errors" % m.group(1))
        if not problems:
            for check in checks:
                res = check(out, st)
                if res is not True:
                    problems.append(res if isinstance(res, str) else "check failed")
        dt = time.time() - t0
        if problems:
            failed += 1
            print("FAIL %-48s %5.1fs  %s" % (name, dt, "; ".join(problems)))
            print("     $ %s" % " ".join(os.path.basename(argv[0]) if i == 0 else x
                                       for i, x in enumerate(argv)))
            print("     --- program stderr ---\n%s" % err[-3000:])
            print("     --- valgrind report ---\n%s" % report[-8000:])
        else:
            passed += 1
            print("ok   %-48s %5.1fs  exit %d" % (name, dt, rc))
        sys.stdout.flush()
    return passed, failed


if __name__ == "__main__":
    sys.exit(main())
