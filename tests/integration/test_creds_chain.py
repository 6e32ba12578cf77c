#!/usr/bin/env python3
"""End-to-end tests of the credential chain (issue 12): RamRoleArn, ChainableRamRoleArn, OIDC
(environment, config.json, INI), credentials URI, external process, refresh before expiry,
half-configured sources and the "no credentials" list, through the real binary.

    python3 tests/integration/test_creds_chain.py [--bin PATH] [--only SUBSTRING ...] [-v]

The ECS emulator runs with its STS mode (tests/emulator/sts_emulator.py): AssumeRole is checked
with the emulator's own signature code, the temporary keys it hands out are what the ECS call
must then be signed with (checked from the emulator's last request), and they expire. A
credentials-URI server (tests/emulator/creds_uri_server.py) hands out the emulator's STS key.
Every output of every run is kept; the last test checks that no secret (source keys, temporary
keys and tokens, the OIDC token, a process's keys) appears in any of them, raw or encoded.
Last line: "creds-chain: N passed, N failed"; exit status 1 if anything failed.
"""

import argparse
import http.client
import json
import os
import re
import shutil
import signal
import ssl
import stat
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
EMU = os.path.join(ROOT, "tests", "emulator")
sys.path.insert(0, EMU)
sys.dont_write_bytecode = True
import sts_emulator  # noqa: E402

PY = sys.executable or "python3"
ACCT = sts_emulator.ACCOUNT
ARN = lambda role: "acs:ram::%s:role/%s" % (ACCT, role)  # noqa: E731
PROVIDER = "acs:ram::%s:oidc-provider/ack-rrsa" % ACCT
OIDC_TOKEN = sts_emulator.DEFAULT_OIDC_TOKEN
AK_ID, AK_SECRET = "testid", "testsecret"
STS_ID, STS_SECRET, STS_TOKEN = "STS.testid", "sts+/=&%~* secret", "tok/en+=&%"
PROC_SECRET = "procSecret+/=&%xyz"     # a key only the external process prints
PROXY_PASSWORD = "chainPr0xy+/=pw"
IDS = ["i-bp1" + "%017d" % n for n in range(3)]
SECRETS = [AK_SECRET, "wrong" + AK_SECRET, STS_SECRET, STS_TOKEN, OIDC_TOKEN, PROC_SECRET,
           PROXY_PASSWORD]
OUTPUTS = []                            # (test, text) of every run
FILTERED = []                           # --only given: not every scenario ran


class Fail(Exception):
    pass


def check(cond, what, *ctx):
    if not cond:
        raise Fail(what + "".join("\n    " + (str(c) if len(str(c)) < 3000
                                                 else str(c)[:1000] + " ... " + str(c)[-1500:])
                                  for c in ctx))


class Servers:
    def __init__(self, tmp):
        self.tmp = tmp
        pki = os.path.join(tmp, "pki")
        subprocess.run(["sh", os.path.join(EMU, "mkpki.sh"), pki], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.ca = os.path.join(pki, "ca.pem")
        self.ctx = ssl.create_default_context(cafile=self.ca)
        self.procs = []
        self.ecs = self._start("ecs", [PY, os.path.join(EMU, "ecs_emulator.py"), "--cert",
                                       os.path.join(pki, "server.pem"), "--key",
                                       os.path.join(pki, "server.key")])
        self.uri = self._start("uri", [PY, os.path.join(EMU, "creds_uri_server.py")])

    def _start(self, name, argv):
        pf = os.path.join(self.tmp, name + ".port")
        log = open(os.path.join(self.tmp, name + ".log"), "w")
        p = subprocess.Popen(argv + ["--port", "0", "--port-file", pf], stdout=log,
                             stderr=subprocess.STDOUT)
        self.procs.append(p)
        for _ in range(300):
            if os.path.exists(pf):
                return int(open(pf).read())
            check(p.poll() is None, "%s server died" % name)
            time.sleep(0.05)
        raise Fail("%s server did not start" % name)

    def ctl(self, which, method, path, body=None):
        if which == "ecs":
            c = http.client.HTTPSConnection("127.0.0.1", self.ecs, timeout=10, context=self.ctx)
        else:
            c = http.client.HTTPConnection("127.0.0.1", self.uri, timeout=10)
        try:
            c.request(method, path, body=json.dumps(body).encode() if body is not None else None)
            r = c.getresponse()
            return json.loads(r.read().decode())
        finally:
            c.close()

    def stats(self):
        return self.ctl("ecs", "GET", "/__emu/stats")

    def setup(self, ecs_cfg=None, uri_cfg=None):
        full = {"delay_ms": 0, "sts_lifetime": 0, "sts_expired": False, "skew_seconds": 0}
        full.update(ecs_cfg or {})
        self.ctl("ecs", "POST", "/__emu/config", full)
        self.ctl("ecs", "POST", "/__emu/reset")
        u = {"code": "Success", "status": 200, "bad_json": False, "huge": False,
             "expires_in": 3600, "omit": None}
        u.update(uri_cfg or {})
        self.ctl("uri", "POST", "/__emu/config", u)
        self.ctl("uri", "POST", "/__emu/reset")

    def stop(self):
        for p in self.procs:
            p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()


class T:
    def __init__(self, suite, name):
        self.s = suite
        self.name = name
        self.dir = tempfile.mkdtemp(prefix="t.", dir=suite.tmp)
        self.home = os.path.join(self.dir, "home")
        os.mkdir(self.home)

    def write(self, rel, text, mode=0o600):
        path = os.path.join(self.dir, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, mode)
        return path

    def config_json(self, profiles, current="default"):
        return self.write("cfg/config.json", json.dumps({"current": current, "profiles": profiles}))

    def env(self, **kw):
        e = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": self.home,
             "SSL_CERT_FILE": self.s.srv.ca, "ALIBABA_CLOUD_ECS_METADATA_DISABLED": "true",
             "ALIBABA_CLOUD_STS_ENDPOINT": "127.0.0.1:%d" % self.s.srv.ecs}
        e.update(kw)
        return {k: v for k, v in e.items() if v is not None}

    def run(self, env, args=(), ids=IDS, timeout=60):
        cmd = [self.s.bin, "--endpoint", "127.0.0.1:%d" % self.s.srv.ecs, "-r", "cn-hangzhou",
               "-o", "tsv"] + list(args) + list(ids)
        p = subprocess.run(cmd, env=env, cwd=self.dir, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=timeout)
        out, err = p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")
        OUTPUTS.append((self.name, out + "\n" + err))
        return p.returncode, out, err

    def ok(self, env, args=(), ids=IDS):
        rc, out, err = self.run(env, args, ids)
        check(rc == 0, "exit %d, expected 0" % rc, err)
        check(len(out.strip().splitlines()) == len(ids), "one line per id", out)
        return out, err

    def fails(self, env, rc_want, needles, args=()):
        rc, out, err = self.run(env, args)
        check(rc == rc_want, "exit %d, expected %d" % (rc, rc_want), err)
        for n in needles:
            check(n in err, "stderr lacks %r" % n, err)
        check(out == "", "no output on failure", out)
        return err


def ecs_key(stats):
    """(AccessKeyId, SecurityToken) of the emulator's last ECS request."""
    lr = stats["last_request"]
    h = lr["headers"]
    if lr["signature_version"] == "v3":
        auth = h["authorization"]
        return auth.split("Credential=")[1].split(",")[0], h.get("x-acs-security-token")
    return lr["query"].get("AccessKeyId"), lr["query"].get("SecurityToken")


def signed_with_issued(stats, nth=-1):
    """The ECS call was signed with the STS mode's nth issued key and its token."""
    issued = stats["sts_issued"][nth]
    key, token = ecs_key(stats)
    check(stats["ok"] >= 1 and not stats["errors"], "ECS call accepted", stats["errors"])
    check(key == issued["id"], "ECS call signed with the temporary key", key, issued["id"])
    check(token == issued["token"], "ECS call carries the temporary SecurityToken")
    return issued


TESTS = []


def test(name):
    def deco(fn):
        TESTS.append((name, fn))
        return fn
    return deco


def ram_profile(name="default", **kw):
    p = {"name": name, "mode": "RamRoleArn", "access_key_id": AK_ID, "access_key_secret": AK_SECRET,
         "ram_role_arn": ARN("ops"), "ram_session_name": "ops-session", "region_id": "cn-hangzhou"}
    p.update(kw)
    return p


# ---- RamRoleArn ------------------------------------------------------------------------------

@test("ramrolearn/config-json-v3")
def _(t):
    t.s.srv.setup()
    cfg = t.config_json([ram_profile(expired_seconds=900, policy='{"Version":"1"}')])
    t.ok(t.env(ALIBABA_CLOUD_CONFIG_FILE=cfg), ["-v"])
    st = t.s.srv.stats()
    last = st["sts_last"]
    check(last["action"] == "AssumeRole" and last["signature_version"] == "v3",
          "AssumeRole signed V3", last)
    check(last["key_id"] == AK_ID and last["RoleArn"] == ARN("ops"), "with the source key", last)
    check(last["RoleSessionName"] == "ops-session" and last["DurationSeconds"] == "900",
          "session name and duration sent", last)
    check(last["Policy"] == '{"Version":"1"}', "policy sent", last)
    signed_with_issued(st)


@test("ramrolearn/config-json-v1-external-id")
def _(t):
    t.s.srv.setup()
    cfg = t.config_json([ram_profile(ram_role_arn=ARN("needs-external-id"), external_id="ext-42")])
    t.ok(t.env(ALIBABA_CLOUD_CONFIG_FILE=cfg), ["--signature", "v1"])
    st = t.s.srv.stats()
    check(st["sts_last"]["signature_version"] == "v1", "AssumeRole signed v1", st["sts_last"])
    check(st["sts_last"]["ExternalId"] == "ext-42", "ExternalId sent", st["sts_last"])
    signed_with_issued(st)
    check(st["last_request"]["signature_version"] == "v1", "ECS call v1 too")


@test("ramrolearn/ini")
def _(t):
    t.s.srv.setup()
    ini = t.write("c/credentials", "[default]\ntype = ram_role_arn\naccess_key_id = %s\n"
                  "access_key_secret = %s\nrole_arn = %s\nrole_session_name = ini-s\n"
                  % (AK_ID, AK_SECRET, ARN("ops")))
    t.ok(t.env(ALIBABA_CLOUD_CREDENTIALS_FILE=ini))
    st = t.s.srv.stats()
    check(st["sts_last"]["RoleSessionName"] == "ini-s", "INI session name", st["sts_last"])
    signed_with_issued(st)


@test("ramrolearn/inferred-from-fields-sts-region-endpoint-from-profile")
def _(t):
    t.s.srv.setup()
    p = ram_profile(sts_endpoint="https://127.0.0.1:%d/" % t.s.srv.ecs)
    del p["mode"]
    cfg = t.config_json([p])
    t.ok(t.env(ALIBABA_CLOUD_CONFIG_FILE=cfg, ALIBABA_CLOUD_STS_ENDPOINT=None))
    signed_with_issued(t.s.srv.stats())


@test("ramrolearn/sts-errors-surface-with-code")
def _(t):
    t.s.srv.setup()
    cases = [(ARN("ops").replace("role/", "rol/"), "InvalidParameter.RoleArn"),
             (ARN("nosuch"), "EntityNotExist.Role"), (ARN("denied"), "NoPermission"),
             (ARN("needs-external-id"), "NoPermission")]
    for arn, code in cases:
        cfg = t.config_json([ram_profile(ram_role_arn=arn)])
        err = t.fails(t.env(ALIBABA_CLOUD_CONFIG_FILE=cfg), 3, [code, "AssumeRole"])
        check("RequestId" in err, "RequestId shown", err)
    cfg = t.config_json([ram_profile(expired_seconds=7200)])
    t.fails(t.env(ALIBABA_CLOUD_CONFIG_FILE=cfg), 3, ["InvalidParameter.DurationSeconds"])
    # a wrong source secret: STS quotes its string to sign, which holds the source's token
    cfg = t.config_json([ram_profile(access_key_id=STS_ID, access_key_secret="wrong" + AK_SECRET,
                                     sts_token=STS_TOKEN)])
    for sig in ("v1", "v3"):
        err = t.fails(t.env(ALIBABA_CLOUD_CONFIG_FILE=cfg), 3, ["SignatureDoesNotMatch"],
                      ["--signature", sig, "-v"])
        check("string to sign ..." in err, "the server's string to sign is cut", err)
    check(t.s.srv.stats()["ok"] == 0, "no ECS call after a failed AssumeRole")


@test("ramrolearn/half-configured")
def _(t):
    t.s.srv.setup()
    p = ram_profile()
    del p["ram_session_name"]
    cfg = t.config_json([p])
    t.fails(t.env(ALIBABA_CLOUD_CONFIG_FILE=cfg), 5, ["has no ram_session_name", "RamRoleArn"])
    cfg = t.config_json([ram_profile(expired_seconds=600)])
    t.fails(t.env(ALIBABA_CLOUD_CONFIG_FILE=cfg), 2, ["expired_seconds must be 900..43200"])
    cfg = t.config_json([ram_profile(sts_endpoint="http://127.0.0.1:1")])
    t.fails(t.env(ALIBABA_CLOUD_CONFIG_FILE=cfg), 2, ["plain http:// is refused"])
    check(t.s.srv.stats()["sts_requests"] == 0, "nothing sent")


@test("ramrolearn/already-expired-answer")
def _(t):
    t.s.srv.setup({"sts_expired": True})
    cfg = t.config_json([ram_profile()])
    t.fails(t.env(ALIBABA_CLOUD_CONFIG_FILE=cfg), 5, ["already expired"])


@test("ramrolearn/sts-through-the-proxy")
def _(t):
    t.s.srv.setup()
    px = subprocess.Popen([PY, os.path.join(ROOT, "tests", "transport", "connect_proxy.py"),
                           "--auth", "u:" + PROXY_PASSWORD], stdout=subprocess.PIPE,
                          stdin=subprocess.PIPE, stderr=subprocess.DEVNULL,
                          cwd=os.path.join(ROOT, "tests", "transport"))
    try:
        port = int(px.stdout.readline().decode().strip().split("=")[1])
        cfg = t.config_json([ram_profile()])
        t.ok(t.env(ALIBABA_CLOUD_CONFIG_FILE=cfg,
                   HTTPS_PROXY="http://u:%s@127.0.0.1:%d" % (
                       urllib.parse.quote(PROXY_PASSWORD, safe=""), port)), ["-v"])
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        c.request("GET", "/stats")
        st = json.loads(c.getresponse().read().decode())
        c.close()
        check(st["tunnels"] == 2 and all(x["auth_ok"] for x in st["connects"]),
              "STS and then ECS through the proxy, with its password", st)
        signed_with_issued(t.s.srv.stats())
    finally:
        px.stdin.close()
        px.wait(5)


@test("ramrolearn/wrong-local-clock")
def _(t):
    # The emulator's clock runs an hour ahead: AssumeRole is signed again with the server's
    # Date once (the ECS call corrects its own skew as before).
    t.s.srv.setup({"skew_seconds": 3600})
    cfg = t.config_json([ram_profile()])
    out, err = t.ok(t.env(ALIBABA_CLOUD_CONFIG_FILE=cfg), ["-v"])
    m = re.search(r"STS says the clock is off by (\d+) s", err)
    check(m is not None and abs(int(m.group(1)) - 3600) <= 3, "STS skew traced", err)
    st = t.s.srv.stats()
    check(st["sts_requests"] == 1 and st["errors"] == {"InvalidTimeStamp.Expired": 2},
          "one AssumeRole and one ECS call rejected for the clock, then accepted",
          st["sts_requests"], st["errors"])
    check(ecs_key(st) == (st["sts_issued"][-1]["id"], st["sts_issued"][-1]["token"]),
          "ECS call signed with the temporary key")


# ---- ChainableRamRoleArn ---------------------------------------------------------------------

@test("chain/two-links")
def _(t):
    t.s.srv.setup()
    cfg = t.config_json([
        {"name": "base", "mode": "AK", "access_key_id": AK_ID, "access_key_secret": AK_SECRET},
        {"name": "mid", "mode": "ChainableRamRoleArn", "source_profile": "base",
         "ram_role_arn": ARN("ops"), "ram_session_name": "mid-s"},
        {"name": "top", "mode": "ChainableRamRoleArn", "source_profile": "mid",
         "ram_role_arn": ARN("ops2"), "ram_session_name": "top-s"}], current="top")
    t.ok(t.env(ALIBABA_CLOUD_CONFIG_FILE=cfg))
    st = t.s.srv.stats()
    log = st["sts_log"]
    check(len(log) == 2, "two AssumeRole calls", log)
    check(log[0]["key_id"] == AK_ID and log[0]["RoleArn"] == ARN("ops"), "inner role first", log)
    check(log[1]["key_id"] == st["sts_issued"][-2]["id"] and log[1]["has_security_token"],
          "outer role signed with the inner role's temporary key and token", log)
    check(log[1]["RoleArn"] == ARN("ops2"), "outer role second", log)
    signed_with_issued(st)


@test("chain/cycle-and-missing-source")
def _(t):
    t.s.srv.setup()
    cfg = t.config_json([
        {"name": "a", "mode": "ChainableRamRoleArn", "source_profile": "b",
         "ram_role_arn": ARN("ops"), "ram_session_name": "s-a"},
        {"name": "b", "mode": "ChainableRamRoleArn", "source_profile": "a",
         "ram_role_arn": ARN("ops"), "ram_session_name": "s-b"},
        {"name": "c", "mode": "ChainableRamRoleArn", "source_profile": "nosuch",
         "ram_role_arn": ARN("ops"), "ram_session_name": "s-c"}], current="a")
    t.fails(t.env(ALIBABA_CLOUD_CONFIG_FILE=cfg), 5, ["source_profile 'a' makes a cycle"])
    t.fails(t.env(ALIBABA_CLOUD_CONFIG_FILE=cfg), 5, ["source_profile 'nosuch'", "not found"],
            ["--profile", "c"])
    check(t.s.srv.stats()["sts_requests"] == 0, "nothing sent")


# ---- OIDC ------------------------------------------------------------------------------------

def oidc_env(t, **kw):
    tok = t.write("oidc/token", OIDC_TOKEN + "\n")
    e = dict(ALIBABA_CLOUD_ROLE_ARN=ARN("oidc-role"), ALIBABA_CLOUD_OIDC_PROVIDER_ARN=PROVIDER,
             ALIBABA_CLOUD_OIDC_TOKEN_FILE=tok)
    e.update(kw)
    return t.env(**e)


@test("oidc/environment")
def _(t):
    t.s.srv.setup()
    t.ok(oidc_env(t, ALIBABA_CLOUD_ROLE_SESSION_NAME="pod-1"), ["-v"])
    st = t.s.srv.stats()
    last = st["sts_last"]
    check(last["action"] == "AssumeRoleWithOIDC" and last["key_id"] is None, "anonymous OIDC", last)
    check(last["OIDCProviderArn"] == PROVIDER and last["has_oidc_token"], "provider and token", last)
    check(last["RoleSessionName"] == "pod-1", "session name from the environment", last)
    signed_with_issued(st)


@test("oidc/environment-beats-config-json")
def _(t):
    t.s.srv.setup()
    cfg = t.config_json([{"name": "default", "mode": "AK", "access_key_id": "nobody",
                          "access_key_secret": "x"}])
    t.ok(oidc_env(t, ALIBABA_CLOUD_CONFIG_FILE=cfg))
    signed_with_issued(t.s.srv.stats())


@test("oidc/half-configured-environment")
def _(t):
    t.s.srv.setup()
    t.fails(t.env(ALIBABA_CLOUD_ROLE_ARN=ARN("oidc-role")), 5,
            ["ALIBABA_CLOUD_OIDC_PROVIDER_ARN is not set", "half configured"])
    t.fails(oidc_env(t, ALIBABA_CLOUD_OIDC_TOKEN_FILE=os.path.join(t.dir, "nope")), 5,
            ["cannot read the OIDC token file", "not found"])
    t.write("oidc/empty", "")
    t.fails(oidc_env(t, ALIBABA_CLOUD_OIDC_TOKEN_FILE=os.path.join(t.dir, "oidc/empty")), 5,
            ["is empty"])
    t.write("oidc/big", "x" * 9000)
    t.fails(oidc_env(t, ALIBABA_CLOUD_OIDC_TOKEN_FILE=os.path.join(t.dir, "oidc/big")), 5,
            ["larger than 8191 bytes"])
    check(t.s.srv.stats()["sts_requests"] == 0, "nothing sent")


@test("oidc/bad-token-and-provider")
def _(t):
    t.s.srv.setup()
    tok = t.write("oidc/wrong", "eyJ.wrong.token")
    t.fails(oidc_env(t, ALIBABA_CLOUD_OIDC_TOKEN_FILE=tok), 3,
            ["AuthenticationFail.OIDCToken.Invalid"])
    t.fails(oidc_env(t, ALIBABA_CLOUD_OIDC_PROVIDER_ARN="acs:ram::1:nope"), 3,
            ["InvalidParameter.OIDCProviderArn"])


@test("oidc/config-json-and-ini")
def _(t):
    t.s.srv.setup()
    tok = t.write("oidc/token", OIDC_TOKEN)
    cfg = t.config_json([{"name": "default", "mode": "OIDC", "oidc_provider_arn": PROVIDER,
                          "oidc_token_file": tok, "ram_role_arn": ARN("oidc-role"),
                          "ram_session_name": "cfg-oidc"}])
    t.ok(t.env(ALIBABA_CLOUD_CONFIG_FILE=cfg))
    st = t.s.srv.stats()
    check(st["sts_last"]["RoleSessionName"] == "cfg-oidc", "config.json OIDC", st["sts_last"])
    signed_with_issued(st)
    t.s.srv.setup()
    ini = t.write("c/credentials", "[default]\ntype = oidc_role_arn\noidc_provider_arn = %s\n"
                  "oidc_token_file_path = %s\nrole_arn = %s\n" % (PROVIDER, tok, ARN("oidc-role")))
    t.ok(t.env(ALIBABA_CLOUD_CREDENTIALS_FILE=ini))
    st = t.s.srv.stats()
    check(st["sts_last"]["RoleSessionName"].startswith("ecs-ca-status-"), "default session name",
          st["sts_last"])
    signed_with_issued(st)


# ---- credentials URI -------------------------------------------------------------------------

def uri(t, path="/creds?x=1"):
    return "http://127.0.0.1:%d%s" % (t.s.srv.uri, path)


@test("uri/environment-and-ini")
def _(t):
    t.s.srv.setup()
    t.ok(t.env(ALIBABA_CLOUD_CREDENTIALS_URI=uri(t)))
    st = t.s.srv.stats()
    check(ecs_key(st) == (STS_ID, STS_TOKEN), "ECS call signed with the URI's key", ecs_key(st))
    ini = t.write("c/credentials", "[default]\ntype = credentials_uri\ncredentials_uri = %s\n"
                  % uri(t, "/ini"))
    t.ok(t.env(ALIBABA_CLOUD_CREDENTIALS_FILE=ini))
    check(t.s.srv.ctl("uri", "GET", "/__emu/stats")["last_path"] == "/ini", "INI URI used")
    cfg = t.config_json([{"name": "default", "mode": "CredentialsURI",
                          "credentials_uri": uri(t, "/cfg")}])
    t.ok(t.env(ALIBABA_CLOUD_CONFIG_FILE=cfg))
    check(t.s.srv.ctl("uri", "GET", "/__emu/stats")["last_path"] == "/cfg", "config.json URI used")


@test("uri/refuses-bad-answers")
def _(t):
    e = t.env(ALIBABA_CLOUD_CREDENTIALS_URI=uri(t))
    for cfg, rc, needle in [({"code": "Failed"}, 5, "Code 'Failed'"),
                            ({"status": 500}, 5, "answered HTTP 500"),
                            ({"bad_json": True}, 4, "not valid JSON"),
                            ({"omit": "SecurityToken"}, 5, "has no SecurityToken"),
                            ({"expires_in": -10}, 5, "already expired"),
                            ({"huge": True}, 4, "16384")]:
        t.s.srv.setup(uri_cfg=cfg)
        err = t.fails(e, rc, [needle])
        check("x=1" not in err, "the URI's query is never shown", err)
    t.fails(t.env(ALIBABA_CLOUD_CREDENTIALS_URI="http://127.0.0.1:1/creds"), 4,
            ["credentials URI"])
    check(t.s.srv.stats()["ok"] == 0, "no ECS call")


# ---- external process ------------------------------------------------------------------------

def helper(t, body, name="helper.sh"):
    return t.write("bin dir/" + name, "#!/bin/sh\n" + body, 0o700)


@test("external/process-command")
def _(t):
    t.s.srv.setup()
    h = helper(t, 'echo "helper-stderr-line $1" >&2\n'
               'if read line; then echo "stdin was not closed"; exit 1; fi\n'
               'printf \'{"mode":"AK","access_key_id":"testid","access_key_secret":"%s"}\'\n'
               % AK_SECRET)
    cfg = t.config_json([{"name": "default", "mode": "External",
                          "process_command": "'%s' \"arg one\"" % h}])
    out, err = t.ok(t.env(ALIBABA_CLOUD_CONFIG_FILE=cfg))
    check("helper-stderr-line arg one" in err, "the process's stderr is passed through, argv split",
          err)
    check(ecs_key(t.s.srv.stats()) == (AK_ID, None), "ECS call signed with the process's key")


@test("external/refuses-what-it-cannot-bound")
def _(t):
    t.s.srv.setup()
    cases = [('sleep 5\n', "did not finish within 300 ms"),
             ('head -c 20000 /dev/zero\n', "printed more than 16384 bytes"),
             ('exit 3\n', "exited with status 3"),
             ('echo "{}"\n', "has no access_key_id"),
             ('printf \'{"mode":"StsToken","access_key_id":"a","access_key_secret":"%s"}\'\n'
              % PROC_SECRET, "has no sts_token")]
    for i, (body, needle) in enumerate(cases):
        h = helper(t, body, "h%d.sh" % i)
        cfg = t.config_json([{"name": "default", "mode": "External", "process_command": "'%s'" % h}])
        t0 = time.time()
        t.fails(t.env(ALIBABA_CLOUD_CONFIG_FILE=cfg, ECS_CA_STATUS_PROCESS_TIMEOUT_MS="300"), 5,
                [needle])
        check(time.time() - t0 < 4, "killed at the deadline", needle)
    for cmd, needle in [("'unclosed", "unclosed quote"), ("", "has no process_command"),
                        ("/nonexistent/helper", "No such file")]:
        cfg = t.config_json([{"name": "default", "mode": "External", "process_command": cmd}])
        t.fails(t.env(ALIBABA_CLOUD_CONFIG_FILE=cfg), 5, [needle])
    cfg = t.config_json([{"name": "default", "mode": "External", "process_command": "/bin/true"}])
    t.fails(t.env(ALIBABA_CLOUD_CONFIG_FILE=cfg, ALIBABA_CLOUD_DISABLE_EXTERNAL_PROCESS="true"), 5,
            ["ALIBABA_CLOUD_DISABLE_EXTERNAL_PROCESS"])


# ---- refresh before expiry ---------------------------------------------------------------------

@test("refresh/sts-credentials-expiring-mid-run")
def _(t):
    # Keys live 4 s; 14 batches of one id, 400 ms each, one after the other (--parallel 1): the
    # run outlives two keys. Without a
    # refresh the ECS emulator answers InvalidSecurityToken.Expired after 4 s.
    t.s.srv.setup({"sts_lifetime": 4, "delay_ms": 400})
    ids = ["i-bp1" + "%017d" % n for n in range(14)]
    cfg = t.config_json([ram_profile()])
    out, err = t.ok(t.env(ALIBABA_CLOUD_CONFIG_FILE=cfg), ["--batch-size", "1", "--parallel", "1", "-v"], ids)
    st = t.s.srv.stats()
    check(st["errors"] == {}, "no ECS error", st["errors"])
    check(3 <= st["sts_requests"] <= 5, "one AssumeRole per expiry (about 6 s / 2 s)",
          st["sts_requests"])
    check("refreshing from" in err, "refresh traced", err)
    signed_with_issued(st)


@test("refresh/credentials-uri")
def _(t):
    t.s.srv.setup({"delay_ms": 400}, {"expires_in": 3})
    ids = ["i-bp1" + "%017d" % n for n in range(8)]
    t.ok(t.env(ALIBABA_CLOUD_CREDENTIALS_URI=uri(t)), ["--batch-size", "1", "--parallel", "1"], ids)
    n = t.s.srv.ctl("uri", "GET", "/__emu/stats")["requests"]
    check(2 <= n <= 4, "the URI asked again before expiry", n)


# ---- the chain ---------------------------------------------------------------------------------

@test("chain/no-credentials-lists-every-source")
def _(t):
    t.s.srv.setup()
    e = t.env(ALIBABA_CLOUD_ECS_METADATA_DISABLED=None, ECS_CA_STATUS_METADATA_ENDPOINT="127.0.0.1:1")
    err = t.fails(e, 5, ["no credentials found", "environment", "OIDC (ALIBABA_CLOUD_ROLE_ARN not set)",
                         "config.json", "credentials (not found)", "ECS metadata service",
                         "credentials URI (ALIBABA_CLOUD_CREDENTIALS_URI not set)"])
    check(err.index("OIDC") < err.index("config.json") < err.index("metadata") < err.index("URI"),
          "in the official order", err)


@test("chain/order-ini-over-uri")
def _(t):
    t.s.srv.setup()
    ini = t.write("c/credentials", "[default]\ntype = access_key\naccess_key_id = %s\n"
                  "access_key_secret = %s\n" % (AK_ID, AK_SECRET))
    t.ok(t.env(ALIBABA_CLOUD_CREDENTIALS_FILE=ini, ALIBABA_CLOUD_CREDENTIALS_URI=uri(t)))
    check(ecs_key(t.s.srv.stats()) == (AK_ID, None), "INI before the credentials URI")
    check(t.s.srv.ctl("uri", "GET", "/__emu/stats")["requests"] == 0, "URI not asked")


def encodings(s):
    return {s, urllib.parse.quote(s, safe=""), urllib.parse.quote_plus(s),
            json.dumps(s)[1:-1], urllib.parse.quote(urllib.parse.quote(s, safe=""), safe="")}


@test("zz/no-secret-in-any-output")
def _(t):
    st = t.s.srv.stats()
    secrets = list(SECRETS)
    for k in st["sts_issued"]:
        secrets += [k["secret"], k["token"]]
    check(len(secrets) > len(SECRETS) or FILTERED, "temporary keys were issued")
    for name, text in OUTPUTS:
        for s in secrets:
            for enc in encodings(s):
                check(enc not in text, "a secret (%s...) in the output of %s" % (s[:4], name))
    check(len(OUTPUTS) > 0, "outputs collected", len(OUTPUTS))


class Suite:
    def __init__(self, binary, verbose):
        self.bin = os.path.abspath(binary)
        self.verbose = verbose
        self.tmp = tempfile.mkdtemp(prefix="creds-chain.")
        self.srv = Servers(self.tmp)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(ROOT, "ecs-ca-status"))
    ap.add_argument("--only", action="append")
    ap.add_argument("-v", action="store_true")
    a = ap.parse_args()
    suite = Suite(a.bin, a.v)
    FILTERED.extend(a.only or [])
    passed = failed = 0
    t0 = time.time()
    try:
        for name, fn in TESTS:
            if a.only and not any(o in name for o in a.only) and not name.startswith("zz/"):
                continue
            t1 = time.time()
            try:
                fn(T(suite, name))
                passed += 1
                print("ok   %s (%.1f s)" % (name, time.time() - t1))
            except Exception as e:  # noqa: BLE001 - report every failure the same way
                failed += 1
                print("FAIL %s: %s" % (name, e))
                if a.v or not isinstance(e, Fail):
                    traceback.print_exc()
    finally:
        suite.srv.stop()
        shutil.rmtree(suite.tmp, ignore_errors=True)
    print("(%.1f s)" % (time.time() - t0))
    print("creds-chain: %d passed, %d failed" % (passed, failed))
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main())
