#!/usr/bin/env python3
"""make demo: start the local ECS emulator (HTTPS, throwaway CA) and run the real binary
against it: a handful of ids as a table, then --all as TSV (first lines), then --check.
Stops the emulator at the end, whatever happens. Exits 1 if a command's exit code is not the
one the demo expects (so `make demo` fails when the binary does)."""
import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "emulator"))
import fixtures  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    a = ap.parse_args()
    binary = os.path.abspath(a.bin)
    with tempfile.TemporaryDirectory(prefix="ecs-demo-") as d:
        subprocess.run(["sh", os.path.join(HERE, "emulator", "mkpki.sh"), d], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = os.path.join(d, "ecs.port")
        emu = subprocess.Popen([sys.executable, os.path.join(HERE, "emulator", "ecs_emulator.py"),
                                "--port", "0", "--port-file", port_file,
                                "--cert", os.path.join(d, "server.pem"),
                                "--key", os.path.join(d, "server.key")],
                               start_new_session=True)
        try:
            for _ in range(100):
                if os.path.exists(port_file):
                    break
                time.sleep(0.05)
            port = open(port_file).read().strip()
            env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": d,
                   "ALIBABA_CLOUD_ACCESS_KEY_ID": "testid",
                   "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "testsecret",
                   "ALIBABA_CLOUD_ECS_METADATA_DISABLED": "true",
                   "SSL_CERT_FILE": os.path.join(d, "ca.pem")}
            common = [binary, "--region", "cn-hangzhou", "--endpoint", f"127.0.0.1:{port}"]
            ids = [fixtures.instance_id("cn-hangzhou", i) for i in (0, 1, 2, 7, 11)] + \
                ["i-bp1doesnotexist0000"]

            wrong = []

            def show(title, args, stdin=None, head=None, want=0):
                print(f"\n$ ecs-ca-status {' '.join(args[1:])}" + (" | head -n %d" % head if head else ""))
                print(f"  ({title})", flush=True)
                p = subprocess.run(args, env=env, input=stdin, capture_output=True, text=True,
                                   timeout=60)
                lines = p.stdout.splitlines()
                print("\n".join(lines[:head] if head else lines))
                if p.stderr:
                    print(p.stderr, end="", file=sys.stderr)
                print(f"  [exit {p.returncode}]", flush=True)
                if p.returncode != want:
                    wrong.append(f"{title}: exit {p.returncode}, expected {want}")
                return p.returncode

            print(f"local ECS emulator on https://127.0.0.1:{port} (throwaway CA {d}/ca.pem)")
            show("a handful of ids, table", common + ids)
            show("every instance of the region, TSV for awk/cut", common + ["--all", "-o", "tsv"],
                 head=8)
            show("--check: exit 1 because one agent is down or an id is missing",
                 common + ["--check", "-o", "tsv"] + ids[:3] + ids[-1:], want=1)
            show("JSON, signed with RPC v1 (HMAC-SHA1)",
                 common + ["-o", "json", "--signature", "v1"] + ids[:2])
            for w in wrong:
                print("demo: FAILED: " + w, file=sys.stderr)
            return 1 if wrong else 0
        finally:
            os.killpg(emu.pid, signal.SIGTERM)
            emu.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
