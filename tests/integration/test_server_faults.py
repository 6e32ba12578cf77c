#!/usr/bin/env python3
"""A server that misbehaves: the real binary against the ECS emulator's scripted answers.

    python3 tests/integration/test_server_faults.py [--bin PATH] [--only SUBSTRING ...] [-v]

Python 3 standard library only. One TLS ECS emulator (tests/emulator/ecs_emulator.py); each test
loads a script of canned answers through /__emu/config (the emulator still verifies every
signature first), runs the binary and checks exit code, stdout, stderr and the emulator's
stats. Covers issue 9 items 7-12, 17, 21, 22 (server side). Last line:
"server-faults: N passed, N failed"; exit status 1 if anything failed.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.request
import ssl

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
EMU_DIR = os.path.join(ROOT, "tests", "emulator")
sys.path.insert(0, EMU_DIR)
sys.dont_write_bytecode = True
import fixtures  # noqa: E402

REGION = "cn-hangzhou"
AK_ID, AK_SECRET = "testid", "testsecret"
STS_ID, STS_SECRET, STS_TOKEN = "STS.testid", "sts+/=&%~* secret", "tok/en+=&%"
AK = {"ALIBABA_CLOUD_ACCESS_KEY_ID": AK_ID, "ALIBABA_CLOUD_ACCESS_KEY_SECRET": AK_SECRET}
STS = {"ALIBABA_CLOUD_ACCESS_KEY_ID": STS_ID, "ALIBABA_CLOUD_ACCESS_KEY_SECRET": STS_SECRET,
       "ALIBABA_CLOUD_SECURITY_TOKEN": STS_TOKEN}
IDS = [it["InstanceId"] for it in fixtures.instances(REGION, 0)]


class Fail(Exception):
    pass


class Suite:
    def __init__(self, binary, verbose):
        self.bin = binary
        self.verbose = verbose
        self.dir = tempfile.mkdtemp(prefix="ecs-faults-")
        subprocess.run(["sh", os.path.join(EMU_DIR, "mkpki.sh"), self.dir], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.ca = os.path.join(self.dir, "ca.pem")
        pf = os.path.join(self.dir, "ecs.port")
        self.emu = subprocess.Popen(
            [sys.executable, os.path.join(EMU_DIR, "ecs_emulator.py"), "--port", "0", "--port-file",
             pf, "--cert", os.path.join(self.dir, "server.pem"), "--key",
             os.path.join(self.dir, "server.key")], stdout=subprocess.DEVNULL)
        for _ in range(200):
            if os.path.exists(pf):
                break
            time.sleep(0.05)
        self.port = int(open(pf).read())
        self.ssl = ssl.create_default_context(cafile=self.ca)

    def close(self):
        self.emu.terminate()
        self.emu.wait(10)
        shutil.rmtree(self.dir, ignore_errors=True)

    def control(self, path, obj=None):
        data = None if obj is None else json.dumps(obj).encode()
        req = urllib.request.Request("https://127.0.0.1:%d%s" % (self.port, path), data=data,
                                     method="GET" if obj is None else "POST")
        with urllib.request.urlopen(req, context=self.ssl, timeout=10) as r:
            return json.loads(r.read())

    def setup(self, script=None, **cfg):
        self.control("/__emu/config", {"script": None, "retry_after_ms": None, "drop_every": 0, "delay_ms": 0,
                                       "throttle_every": 0, "force_error": None})
        self.control("/__emu/reset", {})
        cfg["script"] = script
        self.control("/__emu/config", cfg)

    def stats(self):
        return self.control("/__emu/stats")

    def run(self, args, env=None, stdin=None, endpoint=True, timeout=120):
        e = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": self.dir,
             "SSL_CERT_FILE": self.ca, "ALIBABA_CLOUD_ECS_METADATA_DISABLED": "true"}
        e.update(AK if env is None else env)
        pre = ["--endpoint", "127.0.0.1:%d" % self.port] if endpoint else []
        cmd = [self.bin] + pre + ["-r", REGION] + [str(a) for a in args]
        p = subprocess.run(cmd, input=stdin.encode() if stdin else None, env=e, timeout=timeout,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           stdin=None if stdin else subprocess.DEVNULL)
        r = type("Run", (), {})()
        r.rc, r.out, r.err = p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode(
            "utf-8", "replace")
        if self.verbose:
            print("  $ %s\n  rc=%s\n  out=%s\n  err=%s" % (" ".join(cmd), r.rc, r.out[:600],
                                                         r.err[-1500:]))
        return r


# ---- helpers -------------------------------------------------------------------------------

def item(iid, **over):
    it = {"InstanceId": iid, "CloudAssistantStatus": "true", "CloudAssistantVersion": "2.2.3.857",
          "OSType": "Linux", "LastHeartbeatTime": "2024-12-10T02:38:04Z",
          "LastInvokedTime": "2024-12-08T16:02:45Z", "ActiveTaskCount": 0, "InvocationCount": 4,
          "SupportSessionManager": True}
    it.update(over)
    return it


def page(items, next_token="", total=None, **top):
    d = {"RequestId": "REQ-1", "TotalCount": len(items) if total is None else total,
         "NextToken": next_token,
         "InstanceCloudAssistantStatusSet": {"InstanceCloudAssistantStatus": items}}
    d.update(top)
    return {"body": json.dumps(d)}


def raw(obj, status=200, headers=()):
    return {"status": status, "body": obj if isinstance(obj, str) else json.dumps(obj),
            "headers": [list(h) for h in headers]}


def want_rc(r, *codes):
    if r.rc not in codes:
        raise Fail("exit %s, want %s; stderr: %s" % (r.rc, codes, r.err.strip()[-400:]))


def want_in(text, needle, what="stderr"):
    if needle.lower() not in " ".join(text.split()).lower():
        raise Fail("%s does not mention %r: %s" % (what, needle, text.strip()[-400:]))


def want_not_in(text, needle, what="stderr"):
    if needle in text:
        raise Fail("%s contains %r" % (what, needle))


def no_notfound(r):
    if "notfound" in r.out or "NOT FOUND" in r.out.upper():
        raise Fail("an instance was reported not found: %s" % r.out[:300])


TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


# ---- item 7: NextToken that is not a string; id mode answers that say "more" ------------------

@test
def t07_next_token_number_all(s):
    s.setup([{"body": json.dumps({"RequestId": "R", "NextToken": 12345, "TotalCount": 60,
                                  "InstanceCloudAssistantStatusSet": {
                                      "InstanceCloudAssistantStatus": [item(IDS[0])]}})}])
    r = s.run(["--all", "-o", "tsv"])
    want_rc(r, 4)
    want_in(r.err, "NextToken")


@test
def t07_next_token_object_all(s):
    s.setup([{"body": json.dumps({"RequestId": "R", "NextToken": {"a": 1},
                                  "InstanceCloudAssistantStatusSet": {
                                      "InstanceCloudAssistantStatus": [item(IDS[0])]}})}])
    r = s.run(["--all", "-o", "tsv"])
    want_rc(r, 4)
    want_in(r.err, "NextToken")


@test
def t07_id_mode_paged_answer(s):
    # two ids asked, one answered, and the answer says there is another page
    s.setup([page([item(IDS[0])], next_token="MORE", total=2)])
    r = s.run(["-o", "tsv", IDS[0], IDS[1]])
    want_rc(r, 4)
    no_notfound(r)
    want_in(r.err, "page")


@test
def t07_id_mode_total_count_more(s):
    s.setup([page([item(IDS[0])], next_token="", total=2)])
    r = s.run(["-o", "tsv", IDS[0], IDS[1]])
    want_rc(r, 4)
    no_notfound(r)
    want_in(r.err, "TotalCount")


@test
def t07_id_mode_all_answered_with_token_is_fine(s):
    # every asked id is in the answer: a stray NextToken cannot hide anything asked for
    s.setup([page([item(IDS[0]), item(IDS[1])], next_token="MORE", total=5)])
    r = s.run(["-o", "tsv", IDS[0], IDS[1]])
    want_rc(r, 0)
    no_notfound(r)


# ---- item 8: a 200 without the result set ---------------------------------------------------

@test
def t08_200_error_body(s):
    s.setup([raw({"RequestId": "R8", "Code": "Forbidden.RAM",
                  "Message": "User not authorized to operate on the specified resource."})])
    r = s.run(["-o", "tsv", IDS[0]])
    want_rc(r, 4)
    no_notfound(r)
    want_in(r.err, "Forbidden.RAM")
    want_in(r.err, "User not authorized")


@test
def t08_200_empty_object(s):
    s.setup([raw({})])
    r = s.run(["-o", "tsv", IDS[0]])
    want_rc(r, 4)
    no_notfound(r)
    want_in(r.err, "InstanceCloudAssistantStatusSet")


@test
def t08_200_empty_object_all(s):
    s.setup([raw({"RequestId": "R"})])
    r = s.run(["--all", "-o", "json"])
    want_rc(r, 4)
    want_in(r.err, "InstanceCloudAssistantStatusSet")


@test
def t08_200_set_null(s):
    s.setup([raw({"RequestId": "R", "InstanceCloudAssistantStatusSet": None})])
    r = s.run(["-o", "tsv", IDS[0]])
    want_rc(r, 4)
    no_notfound(r)


@test
def t08_empty_set_is_still_not_found(s):
    # the real "none of these exist" answer: an empty list, not a protocol error
    s.setup([page([])])
    r = s.run(["-o", "tsv", IDS[0]])
    want_rc(r, 0)
    want_in(r.out, "notfound", "stdout")


# ---- item 9: long fields are kept or refused loudly ------------------------------------------

LONG_VERSION = "2.2.3.857-" + "x" * 60          # 70 bytes: over the old 48
LONG_OS = "Linux-Enterprise-Edition"             # 24 bytes: over the old 16
LONG_TIME = "2024-12-10T02:38:04.123456789+08:00"  # 35 bytes: over the old 32


@test
def t09_long_fields_kept(s):
    s.setup([page([item(IDS[0], CloudAssistantVersion=LONG_VERSION, OSType=LONG_OS,
                        LastHeartbeatTime=LONG_TIME, LastInvokedTime=LONG_TIME)])])
    r = s.run(["-o", "json", IDS[0]])
    want_rc(r, 0)
    json.loads(r.out)
    for v in (LONG_VERSION, LONG_OS, LONG_TIME):
        want_in(r.out, v, "json stdout")
    s.setup([page([item(IDS[0], CloudAssistantVersion=LONG_VERSION, OSType=LONG_OS,
                        LastHeartbeatTime=LONG_TIME)])])
    r = s.run(["-o", "tsv", IDS[0]])
    want_rc(r, 0)
    f = r.out.rstrip("\n").split("\t")
    if f[2] != LONG_VERSION or f[3] != LONG_OS or f[4] != LONG_TIME:
        raise Fail("tsv fields changed: %r" % f)


@test
def t09_field_past_limit_is_loud(s):
    s.setup([page([item(IDS[0], CloudAssistantVersion="9" * 600)])])
    r = s.run(["-o", "tsv", IDS[0]])
    want_rc(r, 4)
    want_in(r.err, "CloudAssistantVersion")
    if r.out.strip():
        raise Fail("a row was printed: %r" % r.out[:200])


# ---- item 10: long Message/Recommend, long Code ----------------------------------------------

@test
def t10_long_message_kept(s):
    msg = "Specified signature is not matched with our calculation. server string to sign is:" \
          + "POST&%2F&" + "A" * 400 + "END-OF-MESSAGE"
    s.setup([raw({"RequestId": "R10", "Code": "SignatureDoesNotMatch", "Message": msg,
                  "Recommend": "https://api.aliyun.com/troubleshoot?q=" + "r" * 300},
                 status=400)])
    r = s.run(["-o", "tsv", IDS[0]])
    want_rc(r, 3)
    want_not_in(r.err, "(no message)")
    want_in(r.err, "Specified signature is not matched")
    want_in(r.err, "Recommend")


@test
def t10_long_code_keeps_retry_class(s):
    code = "Throttling.User." + "X" * 100
    s.setup([raw({"RequestId": "R", "Code": code, "Message": "slow down"}, status=400),
             page([item(IDS[0])])])
    r = s.run(["-o", "tsv", "--retries", "2", IDS[0]])
    want_rc(r, 0)
    if s.stats()["requests"] != 2:
        raise Fail("want 2 requests (one retry), got %d" % s.stats()["requests"])


# ---- item 11: more than 100 records ---------------------------------------------------------

@test
def t11_too_many_records(s):
    s.setup([page([item("i-bp1x%016d" % k) for k in range(101)])])
    r = s.run(["-o", "tsv", IDS[0]])
    want_rc(r, 4)
    want_in(r.err, "100")


# ---- item 12: dropped on a fresh connection; FIN mid-body ------------------------------------

@test
def t12_drop_on_fresh_connection_retried(s):
    s.setup([{"kind": "drop"}])
    r = s.run(["-o", "tsv", "-v", "--retries", "2", IDS[0]])
    want_rc(r, 0)
    want_in(r.err, "retry 1/2")
    st = s.stats()
    if st["requests"] != 2:
        raise Fail("want 2 requests, got %d" % st["requests"])


@test
def t12_fin_mid_body_retried(s):
    s.setup([dict(page([item(IDS[0])]), kind="cut")])
    r = s.run(["-o", "tsv", "-v", "--retries", "2", IDS[0]])
    want_rc(r, 0)
    want_in(r.err, "retry 1/2")
    if s.stats()["requests"] != 2:
        raise Fail("want 2 requests, got %d" % s.stats()["requests"])


@test
def t12_rst_mid_body_retried(s):
    s.setup([dict(page([item(IDS[0])]), kind="reset")])
    r = s.run(["-o", "tsv", "-v", "--retries", "2", IDS[0]])
    want_rc(r, 0)
    want_in(r.err, "retry 1/2")


@test
def t12_drops_bounded_by_retries(s):
    s.setup([{"kind": "drop"}] * 5)
    r = s.run(["-o", "tsv", "-v", "--retries", "2", IDS[0]])
    want_rc(r, 4)
    if s.stats()["requests"] != 3:
        raise Fail("want 3 requests (1 + 2 retries), got %d" % s.stats()["requests"])
    want_in(r.err, "3 attempts")


# ---- item 17: secrets echoed by the server ---------------------------------------------------

@test
def t17_echoed_secrets_redacted(s):
    echo = "string to sign: x-acs-security-token:%s secret=%s" % (STS_TOKEN, STS_SECRET)
    for status in (400, 200):
        s.setup([raw({"RequestId": "R17", "Code": "SignatureDoesNotMatch", "Message": echo,
                      "Recommend": "see " + STS_TOKEN}, status=status)])
        r = s.run(["-o", "tsv", "-v", IDS[0]], env=STS)
        want_rc(r, 3, 4)
        for sec in (STS_TOKEN, STS_SECRET):
            want_not_in(r.err + r.out, sec)
        want_in(r.err, "<redacted>")


@test
def t17_emulator_signature_mismatch_echo(s):
    # the emulator's own SignatureDoesNotMatch quotes its string-to-sign, token included (v1)
    s.setup(None, force_error="SignatureDoesNotMatch")
    r = s.run(["-o", "tsv", "-v", "--signature", "v1", IDS[0]], env=STS)
    want_rc(r, 3)
    want_in(r.err, "server string to sign is:GET&")
    for sec in (STS_TOKEN, STS_SECRET, "tok%2Fen%2B%3D%26%25", "tok%252Fen%252B%253D%2526%2525"):
        want_not_in(r.err + r.out, sec)
    want_in(r.err, "<redacted>")


# ---- item 21: a long dry run -----------------------------------------------------------------

@test
def t21_dry_run_1000_batches(s):
    ids = "\n".join("i-%010d" % k for k in range(100000)) + "\n"
    for sig in ("v3", "v1"):
        r = s.run(["--dry-run", "--signature", sig, "--batch-size", "100", "-"], stdin=ids,
                  timeout=300)
        want_rc(r, 0)
        n = r.out.count("InstanceId.1=")
        if n != 1000:
            raise Fail("%s: %d requests shown, want 1000" % (sig, n))


# ---- item 22 (server side) -------------------------------------------------------------------

@test
def t22_timeout_message_counts_attempts(s):
    s.setup(None, delay_ms=1500)
    r = s.run(["-o", "tsv", "--read-timeout", "1", "--retries", "1", IDS[0]])
    want_rc(r, 4)
    want_in(r.err, "2 attempts")


@test
def t22_retry_after_wait_notice(s):
    s.setup([raw({"RequestId": "R", "Code": "Throttling.User", "Message": "slow"}, status=400,
                 headers=[("x-acs-retry-after", "3500")]), page([item(IDS[0])])])
    t0 = time.time()
    r = s.run(["-o", "tsv", IDS[0]])
    want_rc(r, 0)
    want_in(r.err, "x-acs-retry-after")
    if time.time() - t0 < 3:
        raise Fail("did not wait for x-acs-retry-after")


@test
def t22_too_large_counts_ids_not_region(s):
    # 100 ids of 64 bytes and a 4000-byte token that encodes to 3 bytes a byte: too large
    ids = "\n".join("i-" + "a" * 58 + "%04d" % k for k in range(100)) + "\n"
    env = dict(STS, ALIBABA_CLOUD_SECURITY_TOKEN="/" * 4000)
    for sig in ("v1", "v3"):
        r = s.run(["--dry-run", "--signature", sig, "--batch-size", "100", "--os-type", "Linux",
                   "-"], stdin=ids, env=env)
        want_rc(r, 2)
        want_in(r.err, "100 ids")


@test
def t22_unasked_long_id_does_not_abort(s):
    s.setup([page([item(IDS[0]), item("i-" + "z" * 70), item("i-evil\x1b[31m\u009b")])])
    r = s.run(["-o", "tsv", IDS[0], IDS[1]])
    want_rc(r, 0)
    rows = [ln.split("\t") for ln in r.out.splitlines()]
    if [x[0] for x in rows] != [IDS[0], IDS[1]] or rows[0][1] != "true" or rows[1][1] != "notfound":
        raise Fail("rows: %r" % rows)
    want_in(r.err, "did not ask for (InstanceId longer than 64 bytes")
    want_in(r.err, "instance i-evil?[31m?? that this request did not ask for")
    want_not_in(r.err, "\x1b")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(ROOT, "ecs-ca-status"))
    ap.add_argument("--only", action="append")
    ap.add_argument("-v", action="store_true")
    a = ap.parse_args()
    s = Suite(os.path.abspath(a.bin), a.v)
    passed = failed = 0
    try:
        for fn in TESTS:
            if a.only and not any(o in fn.__name__ for o in a.only):
                continue
            t0 = time.time()
            try:
                fn(s)
                passed += 1
                print("ok   %s (%.1fs)" % (fn.__name__, time.time() - t0), flush=True)
            except Exception as e:
                failed += 1
                detail = str(e) if isinstance(e, Fail) else traceback.format_exc()
                print("FAIL %s: %s" % (fn.__name__, detail), flush=True)
    finally:
        s.close()
    print("server-faults: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
