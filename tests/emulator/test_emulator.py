#!/usr/bin/env python3
"""Self-test of the ECS and metadata emulators.

Starts both emulators (with a throwaway PKI from mkpki.sh), talks to them with http.client + ssl
and a client-side signer written here independently of the emulator's (urllib.parse.quote based),
and checks the official signature vectors, accept/reject paths, paging, response modes, faults,
stats and the metadata service.  Last line: "emulator: N passed, N failed"; exit 1 on failure.
"""

import base64
import email.utils
import hashlib
import hmac
import http.client
import json
import os
import random
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid

sys.dont_write_bytecode = True   # keep the source tree free of __pycache__
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import ecs_emulator as emu  # noqa: E402
import fixtures  # noqa: E402

PASSED = 0
FAILED = 0


def check(name, cond, detail=""):
    global PASSED, FAILED
    if cond:
        PASSED += 1
    else:
        FAILED += 1
        print("FAIL: %s %s" % (name, detail), flush=True)
    return cond


def eq(name, got, want):
    return check(name, got == want, "got %r, want %r" % (got, want))


# ---------------------------------------------------------------------------------------------
# Client-side signing (independent of ecs_emulator's implementation)
# ---------------------------------------------------------------------------------------------

def enc(s):
    return urllib.parse.quote(s, safe="-_.~")   # '~' kept, space -> %20, '*' -> %2A


def c_canon(params):
    items = sorted(params.items() if isinstance(params, dict) else params)
    return "&".join("%s=%s" % (enc(k), enc(v)) for k, v in items)


def c_v1(secret, method, params):
    sts = "%s&%s&%s" % (method, enc("/"), enc(c_canon({k: v for k, v in params.items() if k != "Signature"})))
    sig = base64.b64encode(hmac.new((secret + "&").encode(), sts.encode(), hashlib.sha1).digest()).decode()
    return sig, sts


def c_v3(secret, method, query, headers, body):
    names = sorted(headers)
    canon = "%s\n/\n%s\n%s\n%s\n%s" % (
        method, c_canon(query), "".join("%s:%s\n" % (n, headers[n].strip()) for n in names),
        ";".join(names), hashlib.sha256(body).hexdigest())
    sts = "ACS3-HMAC-SHA256\n" + hashlib.sha256(canon.encode()).hexdigest()
    return hmac.new(secret.encode(), sts.encode(), hashlib.sha256).hexdigest(), names, sts


def iso(ts):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


KEYS = {k["id"]: k for k in emu.DEFAULT_KEYS}


# ---------------------------------------------------------------------------------------------
# Process and connection helpers
# ---------------------------------------------------------------------------------------------

def start(script, args, tmp, name):
    port_file = os.path.join(tmp, name + ".port")
    proc = subprocess.Popen([sys.executable, os.path.join(HERE, script), "--port", "0",
                             "--port-file", port_file] + args)
    deadline = time.time() + 10
    while time.time() < deadline:
        if os.path.exists(port_file):
            with open(port_file) as f:
                text = f.read()
            if text.endswith("\n"):
                return proc, int(text)
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    proc.kill()
    raise RuntimeError("%s did not start" % script)


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()
        return None


class Resp:
    def __init__(self, r):
        self.status = r.status
        self.headers = {k.lower(): v for k, v in r.getheaders()}
        self.raw = r.read()
        try:
            self.json = json.loads(self.raw)
        except ValueError:
            self.json = None

    @property
    def code(self):
        return (self.json or {}).get("Code")

    @property
    def date(self):
        return int(email.utils.parsedate_to_datetime(self.headers["date"]).timestamp())


class Ecs:
    """A client of one ECS emulator; keeps one keep-alive connection unless told otherwise."""

    def __init__(self, port, ctx, host="127.0.0.1"):
        self.port, self.ctx, self.host = port, ctx, host
        self.conn = None

    def connect(self):
        if self.ctx is None:
            return http.client.HTTPConnection(self.host, self.port, timeout=10)
        return http.client.HTTPSConnection(self.host, self.port, context=self.ctx, timeout=10)

    def raw(self, method, path, body=None, headers=None, fresh=False):
        if fresh or self.conn is None:
            if self.conn:
                self.conn.close()
            self.conn = self.connect()
        self.conn.request(method, path, body=body, headers=headers or {})
        return Resp(self.conn.getresponse())

    def control(self, method, path, obj=None):
        c = self.connect()
        try:
            c.request(method, path, body=None if obj is None else json.dumps(obj))
            return json.loads(c.getresponse().read())
        finally:
            c.close()

    def v1(self, api, key_id="testid", secret=None, method="GET", form=False, over=None, drop=(),
           now=None, tamper=False, headers=None, fresh=False, nonce=None):
        key = KEYS.get(key_id, {"secret": "x", "sts_token": None})
        secret = key["secret"] if secret is None else secret
        common = {"Action": "DescribeCloudAssistantStatus", "Version": "2014-05-26", "Format": "JSON",
                  "AccessKeyId": key_id, "SignatureMethod": "HMAC-SHA1", "SignatureVersion": "1.0",
                  "SignatureNonce": nonce or uuid.uuid4().hex, "Timestamp": iso(now or time.time())}
        if key.get("sts_token"):
            common["SecurityToken"] = key["sts_token"]
        common.update(over or {})
        for d in drop:
            common.pop(d, None)
        query = dict(common)
        if not form:
            query.update(api)
        sig, sts = c_v1(secret, method, dict(query, **(api if form else {})))
        if tamper:
            sig = "A" + sig[1:] if sig[0] != "A" else "B" + sig[1:]
        query["Signature"] = sig
        path = "/?" + "&".join("%s=%s" % (enc(k), enc(v)) for k, v in query.items())
        hdrs = dict(headers or {})
        body = None
        if form:
            body = "&".join("%s=%s" % (enc(k), enc(v)) for k, v in api.items()).encode()
            hdrs["Content-Type"] = "application/x-www-form-urlencoded"
        r = self.raw(method, path, body, hdrs, fresh)
        r.client_sts = sts
        return r

    def v3(self, api, key_id="testid", secret=None, method="POST", form=False, now=None,
           extra_headers=None, unsigned_headers=None, drop=(), tamper=False, body_hash=None,
           host=None, fresh=False, nonce=None):
        key = KEYS.get(key_id, {"secret": "x", "sts_token": None})
        secret = key["secret"] if secret is None else secret
        body = b""
        query = dict(api)
        if form:
            body = "&".join("%s=%s" % (enc(k), enc(v)) for k, v in api.items()).encode()
            query = {}
        h = {"host": host or "%s:%d" % (self.host, self.port),
             "x-acs-action": "DescribeCloudAssistantStatus", "x-acs-version": "2014-05-26",
             "x-acs-date": iso(now or time.time()), "x-acs-signature-nonce": nonce or uuid.uuid4().hex,
             "x-acs-content-sha256": body_hash or hashlib.sha256(body).hexdigest()}
        if key.get("sts_token"):
            h["x-acs-security-token"] = key["sts_token"]
        if form:
            h["content-type"] = "application/x-www-form-urlencoded"
        h.update(extra_headers or {})
        for d in drop:
            h.pop(d, None)
        sig, names, sts = c_v3(secret, method, query, h, body)
        if tamper:
            sig = ("0" if sig[0] != "0" else "1") + sig[1:]
        hdrs = dict(h, **(unsigned_headers or {}))
        hdrs["Authorization"] = "ACS3-HMAC-SHA256 Credential=%s,SignedHeaders=%s,Signature=%s" % (
            key_id, ";".join(names), sig)
        path = "/" + ("?" + "&".join("%s=%s" % (enc(k), enc(v)) for k, v in query.items()) if query else "")
        r = self.raw(method, path, body if method == "POST" else None, hdrs, fresh)
        r.client_sts = sts
        return r


def items_of(r, item_key="InstanceCloudAssistantStatus"):
    return r.json["InstanceCloudAssistantStatusSet"][item_key]


# ---------------------------------------------------------------------------------------------
# Tests
# ---------------------------------------------------------------------------------------------

def test_vectors():
    p = dict(AccessKeyId="testid", Action="DescribeRegions", Format="XML", SignatureMethod="HMAC-SHA1",
             SignatureNonce="3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf", SignatureVersion="1.0",
             Timestamp="2016-02-23T12:46:24Z", Version="2014-05-26")
    eq("v1 vector string to sign", emu.v1_string_to_sign("GET", p),
       "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML%26SignatureMethod%3DHMAC-SHA1"
       "%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26SignatureVersion%3D1.0%26Timestamp%3D"
       "2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26")
    eq("v1 vector DescribeRegions", emu.v1_signature("testsecret", "GET", p), "OLeaidS1JvxuMvnyHOwuJ+uX5qY=")
    eq("v1 vector DescribeRegions (client)", c_v1("testsecret", "GET", p)[0], "OLeaidS1JvxuMvnyHOwuJ+uX5qY=")
    eq("v1 TimeStamp pitfall", emu.v1_signature("testsecret", "GET",
       {("TimeStamp" if k == "Timestamp" else k): v for k, v in p.items()}), "CT9X0VtwR86fNWSnsc6v8YGOjuE=")
    p2 = dict(AccessKeyId="testid", Action="DescribeDedicatedHosts", Format="JSON", RegionId="cn-beijing",
              SignatureMethod="HMAC-SHA1", SignatureNonce="edb2b34af0af9a6d14deaf7c1a5315eb",
              SignatureVersion="1.0", Timestamp="2023-03-13T08:34:30Z", Version="2014-05-26")
    eq("v1 vector DescribeDedicatedHosts", emu.v1_signature("testsecret", "GET", p2), "9NaGiOspFP5UPcwX8Iwt2YJXXuk=")
    p3 = dict(p, Action="DescribeCloudAssistantStatus", Format="JSON", RegionId="cn-hangzhou")
    p3["InstanceId.1"] = "i-bp1iudwa5b1tqa****"
    p3["InstanceId.2"] = "i-bp11f7trr4hbi1****"
    eq("v1 doc DescribeCloudAssistantStatus GET", emu.v1_signature("testsecret", "GET", p3), "UkQS59qIo8MutAGnZ0aT0rLPy3o=")
    eq("v1 doc DescribeCloudAssistantStatus POST", emu.v1_signature("testsecret", "POST", p3), "xH7eu7Yaa5SdE7xf8rI3Yl+ZcxA=")

    h = {"host": "ecs.cn-shanghai.aliyuncs.com", "x-acs-action": "RunInstances",
         "x-acs-content-sha256": emu.EMPTY_SHA256, "x-acs-date": "2023-10-26T10:22:32Z",
         "x-acs-signature-nonce": "3156853299f313e23d1673dc12e1703d", "x-acs-version": "2014-05-26"}
    q = [("ImageId", "win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd"), ("RegionId", "cn-shanghai")]
    cr = emu.v3_canonical_request("POST", "/", q, h, list(h), emu.EMPTY_SHA256)
    eq("v3 vector HashedCanonicalRequest", hashlib.sha256(cr.encode()).hexdigest(),
       "7ea06492da5221eba5297e897ce16e55f964061054b7695beedaac1145b1e259")
    want = "06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0"
    eq("v3 vector signature", emu.v3_signature("YourAccessKeySecret", emu.v3_string_to_sign(cr)), want)
    eq("v3 vector signature (client)", c_v3("YourAccessKeySecret", "POST", dict(q), h, b"")[0], want)

    eq("percent-encode", emu.percent_encode("a b*c~d/e+f=g&h%é"), "a%20b%2Ac~d%2Fe%2Bf%3Dg%26h%25%C3%A9")
    eq("percent-decode", emu.percent_decode("a+b%2Bc%zz%C3%A9"), "a b+c%zzé")
    # Emulator vs client canonicalisation on random awkward strings.
    rnd = random.Random(7)
    alphabet = "aZ09-_.~ *+/=&%?#:;,'\"!$@[]()é中\U0001F600"
    ok = True
    for _ in range(300):
        params = {"".join(rnd.choice(alphabet) for _ in range(rnd.randint(1, 6))):
                  "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 12))) for _ in range(5)}
        ok &= emu.v1_signature("s+/=&", "POST", params) == c_v1("s+/=&", "POST", params)[0]
        raw = "&".join("%s=%s" % (enc(k), enc(v)) for k, v in params.items())
        ok &= dict(emu.parse_pairs(raw.encode())) == params
    check("random params: emulator and client signatures agree, decode round-trips", ok)


def test_accept(c):
    r = c.v1({"RegionId": "cn-hangzhou"})
    if eq("v1 GET accepted", r.status, 200):
        j = r.json
        eq("v1 GET keys", list(j), ["RequestId", "TotalCount", "PageNumber", "PageSize", "NextToken",
                                    "InstanceCloudAssistantStatusSet"])
        eq("v1 GET TotalCount", j["TotalCount"], 300)
        eq("v1 GET default page", (j["PageNumber"], j["PageSize"], j["NextToken"]), (1, 10, ""))
        eq("v1 GET items = fixtures[0:10]", items_of(r), fixtures.instances("cn-hangzhou", r.date)[:10])
        eq("x-acs-request-id header", r.headers.get("x-acs-request-id"), j["RequestId"])
        check("RequestId uuid-shaped", len(j["RequestId"]) == 36 and j["RequestId"].count("-") == 4)
        it = items_of(r)[0]
        check("field types", isinstance(it["CloudAssistantStatus"], str)
              and isinstance(it["SupportSessionManager"], bool) and isinstance(it["ActiveTaskCount"], int))
    check("Date header near real time", abs(r.date - time.time()) < 5, r.headers.get("date"))
    eq("keep-alive header", r.headers.get("connection"), "keep-alive")

    all_hz = fixtures.instances("cn-hangzhou", 0)
    ids = [all_hz[5]["InstanceId"], "i-bp1doesnotexist00000", all_hz[2]["InstanceId"], all_hz[200]["InstanceId"]]
    api = {"RegionId": "cn-hangzhou"}
    api.update({"InstanceId.%d" % (i + 1): v for i, v in enumerate(ids)})
    api["MaxResults"] = "1"   # ignored with InstanceId
    r = c.v1(api, method="POST", form=True)
    if eq("v1 POST (form body) accepted", r.status, 200):
        eq("InstanceId set in fixture order, unknown absent", [i["InstanceId"] for i in items_of(r)],
           [all_hz[2]["InstanceId"], all_hz[5]["InstanceId"], all_hz[200]["InstanceId"]])
    r = c.v1(api, method="POST")
    eq("v1 POST (all in query) accepted", r.status, 200)
    r = c.v1({"RegionId": "cn-shanghai", "InstanceId.1": fixtures.instance_id("cn-shanghai", 3)}, key_id="STS.testid")
    eq("v1 STS key with SecurityToken accepted", (r.status, len(items_of(r)) if r.json else None), (200, 1))
    r = c.v1({"RegionId": "cn-shanghai", "OSType": "wINDOWS"}, key_id="oddid")
    if eq("v1 odd secret + OSType filter accepted", r.status, 200):
        eq("OSType filter", r.json["TotalCount"], len(fixtures.select("cn-shanghai", 0, None, "Windows")))

    r = c.v3({"RegionId": "cn-hangzhou", "MaxResults": "5"})
    if eq("v3 POST accepted", r.status, 200):
        eq("v3 POST items", items_of(r), fixtures.instances("cn-hangzhou", r.date)[:5])
    r = c.v3({"RegionId": "cn-hangzhou", "PageSize": "3"}, method="GET")
    eq("v3 GET accepted", (r.status, len(items_of(r)) if r.status == 200 else r.json), (200, 3))
    r = c.v3({"RegionId": "cn-hangzhou", "InstanceId.1": all_hz[7]["InstanceId"]}, form=True)
    eq("v3 POST with form body accepted", (r.status, len(items_of(r)) if r.status == 200 else r.json), (200, 1))
    r = c.v3({"RegionId": "cn-shanghai"}, key_id="STS.testid", extra_headers={"x-acs-accesskey-id": "STS.testid"})
    eq("v3 STS key accepted", r.status, 200)
    r = c.v3({"RegionId": "cn-shanghai", "OSType": "FreeBSD"}, key_id="oddid", host="127.0.0.1:%d" % c.port)
    eq("v3 odd secret accepted", r.status, 200)
    st = c.control("GET", "/__emu/stats")
    eq("stats last_request signature_version", st["last_request"]["signature_version"], "v3")
    eq("stats last_request headers lower-case", st["last_request"]["headers"].get("x-acs-action"),
       "DescribeCloudAssistantStatus")


def test_reject(c):
    def expect(name, r, status, code):
        eq(name, (r.status, r.code), (status, code))
        return r

    r = expect("bad v1 signature", c.v1({"RegionId": "cn-hangzhou"}, tamper=True), 400, "SignatureDoesNotMatch")
    eq("SignatureDoesNotMatch message carries server string to sign", r.json["Message"],
       "Specified signature is not matched with our calculation. server string to sign is:" + r.client_sts)
    eq("error body keys", sorted(r.json), ["Code", "HostId", "Message", "Recommend", "RequestId"])
    eq("Recommend", r.json["Recommend"], "https://api.aliyun.com/troubleshoot?q=SignatureDoesNotMatch"
       "&product=Ecs&requestId=" + r.json["RequestId"])
    expect("wrong v1 secret", c.v1({"RegionId": "cn-hangzhou"}, secret="nope"), 400, "SignatureDoesNotMatch")
    r = expect("bad v3 signature", c.v3({"RegionId": "cn-hangzhou"}, tamper=True), 400, "SignatureDoesNotMatch")
    check("v3 server string to sign", r.json["Message"].endswith(r.client_sts))
    expect("expired v1 timestamp", c.v1({"RegionId": "cn-hangzhou"}, now=time.time() - 16 * 60), 400,
           "InvalidTimeStamp.Expired")
    r = c.v1({"RegionId": "cn-hangzhou"}, now=time.time() + 3600)
    eq("expired message", r.json["Message"], "Specified time stamp or date value is expired.")
    expect("v1 timestamp 14 min off accepted", c.v1({"RegionId": "cn-hangzhou"}, now=time.time() - 14 * 60), 200, None)
    expect("expired v3 date", c.v3({"RegionId": "cn-hangzhou"}, now=time.time() + 20 * 60), 400,
           "InvalidTimeStamp.Expired")
    expect("bad timestamp format", c.v1({"RegionId": "cn-hangzhou"}, over={"Timestamp": "2024-01-01 00:00:00"}),
           400, "InvalidTimeStamp.Format")
    nonce = uuid.uuid4().hex
    expect("nonce first use", c.v1({"RegionId": "cn-hangzhou"}, nonce=nonce), 200, None)
    r = expect("nonce reuse", c.v1({"RegionId": "cn-hangzhou"}, nonce=nonce), 400, "SignatureNonceUsed")
    eq("nonce message", r.json["Message"], "Specified signature nonce was used already.")
    expect("nonce reuse v3", c.v3({"RegionId": "cn-hangzhou"}, nonce=nonce), 400, "SignatureNonceUsed")
    r = expect("unknown key id", c.v1({"RegionId": "cn-hangzhou"}, key_id="nosuchkey"), 404,
               "InvalidAccessKeyId.NotFound")
    eq("unknown key message", r.json["Message"], "Specified access key is not found.")
    expect("unknown key id v3", c.v3({"RegionId": "cn-hangzhou"}, key_id="nosuchkey"), 404,
           "InvalidAccessKeyId.NotFound")
    expect("STS token mismatch", c.v1({"RegionId": "cn-hangzhou"}, key_id="STS.testid",
                                      over={"SecurityToken": "wrong"}), 400, "InvalidSecurityToken.Mismatch")
    expect("STS token missing", c.v1({"RegionId": "cn-hangzhou"}, key_id="STS.testid", drop=("SecurityToken",)),
           400, "MissingSecurityToken")
    expect("STS token missing v3", c.v3({"RegionId": "cn-hangzhou"}, key_id="STS.testid",
                                        drop=("x-acs-security-token",)), 400, "MissingSecurityToken")
    expect("token with non-STS key", c.v1({"RegionId": "cn-hangzhou"}, over={"SecurityToken": "x"}), 400,
           "InvalidSecurityToken.Mismatch")
    expect("missing Timestamp", c.v1({"RegionId": "cn-hangzhou"}, drop=("Timestamp",)), 400, "MissingParameter")
    expect("missing SignatureNonce", c.v1({"RegionId": "cn-hangzhou"}, drop=("SignatureNonce",)), 400,
           "MissingParameter")
    expect("no signature at all", c.raw("GET", "/?RegionId=cn-hangzhou"), 400, "MissingParameter")
    expect("wrong action", c.v1({"RegionId": "cn-hangzhou"}, over={"Action": "DescribeInstances"}), 404,
           "InvalidAction.NotFound")
    expect("Format=XML", c.v1({"RegionId": "cn-hangzhou"}, over={"Format": "XML"}), 400, "InvalidParameter.Format")
    expect("v3 unsigned x-acs header", c.v3({"RegionId": "cn-hangzhou"}, unsigned_headers={"x-acs-foo": "1"}),
           400, "IncompleteSignature")
    expect("v3 missing x-acs-date", c.v3({"RegionId": "cn-hangzhou"}, drop=("x-acs-date",)), 400, "MissingParameter")
    expect("v3 content sha mismatch", c.v3({"RegionId": "cn-hangzhou"}, body_hash="0" * 64), 400,
           "IncompleteSignature")
    expect("v3 wrong host signed", c.v3({"RegionId": "cn-hangzhou"}, host="ecs.aliyuncs.com:1"), 200, None)
    expect("missing RegionId", c.v1({}), 400, "MissingParameter.RegionId")
    r = expect("unknown region", c.v1({"RegionId": "cn-nowhere"}), 404, "InvalidRegionId.NotFound")
    eq("unknown region message", r.json["Message"], "The RegionId provided does not exist in our records.")
    expect("bad OSType", c.v1({"RegionId": "cn-hangzhou", "OSType": "Solaris"}), 400, "InvalidParameter.OSType")
    expect("MaxResults 51", c.v1({"RegionId": "cn-hangzhou", "MaxResults": "51"}), 400, "InvalidParameter.MaxResults")
    expect("MaxResults 0", c.v3({"RegionId": "cn-hangzhou", "MaxResults": "0"}), 400, "InvalidParameter.MaxResults")
    expect("PageSize 51", c.v1({"RegionId": "cn-hangzhou", "PageSize": "51"}), 400, "InvalidParam.PageSize")
    expect("PageNumber 0", c.v1({"RegionId": "cn-hangzhou", "PageNumber": "0"}), 400, "InvalidParam.PageNumber")
    expect("bad NextToken", c.v1({"RegionId": "cn-hangzhou", "NextToken": "AAAAAgarbage"}), 400,
           "InvalidParameter.NextToken")
    many = {"RegionId": "cn-hangzhou"}
    many.update({"InstanceId.%d" % i: "i-x%d" % i for i in range(1, 102)})
    expect("101 instance ids", c.v1(many, method="POST", form=True), 403, "InstanceIds.ExceedLimit")
    del many["InstanceId.101"]
    expect("100 instance ids", c.v1(many, method="POST", form=True), 200, None)
    expect("InstanceId.0", c.v1({"RegionId": "cn-hangzhou", "InstanceId.0": "i-x"}), 400, "InvalidParameter")
    expect("empty InstanceId.1", c.v1({"RegionId": "cn-hangzhou", "InstanceId.1": ""}), 400, "MissingParam.InstanceId")
    expect("PUT", c.raw("PUT", "/", b"x"), 400, "UnsupportedHTTPMethod")
    expect("other path", c.raw("GET", "/foo"), 404, "InvalidAction.NotFound")
    r = c.raw("HEAD", "/")
    eq("HEAD gets headers only", (r.status, r.raw), (400, b""))
    r = c.raw("GET", "/?RegionId=cn-hangzhou", headers={"Content-Length": "zz"})
    eq("bad Content-Length", (r.status, r.code, r.headers.get("connection")), (400, "BadRequest", "close"))


def test_paging(c):
    seen, token, pages = [], None, 0
    while pages < 20:
        api = {"RegionId": "cn-hangzhou", "MaxResults": "50"}
        if token:
            api["NextToken"] = token
        r = c.v1(api) if pages % 2 == 0 else c.v3(api)
        if not eq("NextToken page %d" % pages, r.status, 200):
            break
        pages += 1
        seen += [i["InstanceId"] for i in items_of(r)]
        token = r.json["NextToken"]
        if token == "":
            break
    all_ids = [i["InstanceId"] for i in fixtures.instances("cn-hangzhou", 0)]
    eq("NextToken walk: pages", pages, 6)
    eq("NextToken walk: every hangzhou instance exactly once, in order", seen, all_ids)

    win = [i["InstanceId"] for i in fixtures.select("cn-hangzhou", 0, None, "windows")]
    seen, token = [], None
    for _ in range(20):
        api = {"RegionId": "cn-hangzhou", "MaxResults": "7", "OSType": "Windows"}
        if token:
            api["NextToken"] = token
        r = c.v1(api)
        seen += [i["InstanceId"] for i in items_of(r)]
        token = r.json["NextToken"]
        if not token:
            break
    eq("NextToken walk with OSType", seen, win)
    r = c.v1({"RegionId": "cn-hangzhou", "MaxResults": "5"})
    r2 = c.v1({"RegionId": "cn-shanghai", "NextToken": r.json["NextToken"]})
    eq("NextToken of another region rejected", r2.code, "InvalidParameter.NextToken")

    seen = []
    for page in range(1, 8):
        r = c.v3({"RegionId": "cn-hangzhou", "PageNumber": str(page), "PageSize": "50"})
        eq("PageNumber %d meta" % page, (r.json["PageNumber"], r.json["PageSize"], r.json["TotalCount"]), (page, 50, 300))
        seen += [i["InstanceId"] for i in items_of(r)]
    eq("PageNumber walk covers all once", seen, all_ids)
    r = c.v1({"RegionId": "cn-shanghai", "PageNumber": "3", "PageSize": "7"})
    eq("PageNumber 3 size 7", items_of(r), fixtures.instances("cn-shanghai", r.date)[14:21])

    c.control("POST", "/__emu/config", {"odd_next_token": True})
    seen, token = [], None
    for _ in range(10):
        api = {"RegionId": "cn-shanghai", "MaxResults": "50"}
        if token:
            api["NextToken"] = token
        r = c.v3(api) if token else c.v1(api)
        seen += [i["InstanceId"] for i in items_of(r)]
        token = r.json["NextToken"]
        if token:
            check("odd NextToken has + / =", all(ch in token for ch in "+/"), token)
        if not token:
            break
    eq("odd NextToken walk", len(seen), 120)
    c.control("POST", "/__emu/config", {"odd_next_token": False})


def test_misbehaving_paging(c):
    for n in (1, 3, 7):
        c.control("POST", "/__emu/config", {"page_loop": n})
        tokens, pages, token = [], [], None
        for _ in range(n + 2):
            api = {"RegionId": "cn-hangzhou", "MaxResults": "50"}
            if token:
                api["NextToken"] = token
            r = c.v1(api)
            pages.append([i["InstanceId"] for i in items_of(r)])
            token = r.json["NextToken"]
            tokens.append(token)
        eq("page_loop %d: tokens cycle" % n, tokens[:n + 1],
           ["LOOP-%d-cn-hangzhou" % k for k in list(range(1, n + 1)) + [1]])
        all_ids = [i["InstanceId"] for i in fixtures.instances("cn-hangzhou", 0)]
        eq("page_loop %d: page of token k starts at 50k mod 300" % n, [p[0] for p in pages[:n + 1]],
           [all_ids[(k * 50) % 300] for k in range(n + 1)])
    r = c.v1({"RegionId": "cn-hangzhou", "NextToken": "LOOP-2-cn-shanghai"})
    eq("page_loop: token of another region rejected", r.code, "InvalidParameter.NextToken")
    c.control("POST", "/__emu/config", {"page_loop": 0, "page_overlap": True})
    seen, tokens, token = [], [], None
    for _ in range(20):
        api = {"RegionId": "cn-hangzhou", "MaxResults": "50"}
        if token:
            api["NextToken"] = token
        r = c.v3(api)
        seen.append([i["InstanceId"] for i in items_of(r)])
        token = r.json["NextToken"]
        if not token:
            break
        tokens.append(token)
    check("page_overlap: each page starts with the last of the page before",
          all(a[-1] == b[0] for a, b in zip(seen, seen[1:])) and len(seen) > 2, [p[:1] for p in seen])
    eq("page_overlap: tokens all different", len(set(tokens)), len(tokens))
    c.control("POST", "/__emu/config", {"page_overlap": False, "hostile_text": True})
    r = c.v1({"RegionId": "cn-hangzhou", "PageSize": "3"})
    check("hostile_text: raw 0x9B byte and escapes in the body",
          b"\x9b2J" in r.raw and b"\\u009b31m" in r.raw and b"\\u202e" in r.raw, r.raw[:300])
    c.control("POST", "/__emu/config", {"force_error": "Forbidden.RAM"})
    r = c.v1({"RegionId": "cn-hangzhou"})
    check("hostile_text: in error messages", r.status == 403 and b"\x9b2J" in r.raw, r.raw[:300])
    c.control("POST", "/__emu/config", {"hostile_text": False, "force_error": None})
    r = c.v1({"RegionId": "cn-hangzhou", "PageSize": "3"})
    check("hostile_text off: plain body", b"\x9b" not in r.raw and b"\\u202e" not in r.raw)


def test_modes(c):
    cfg = c.control("POST", "/__emu/config", {"bool_status": True})
    eq("config echo", cfg["bool_status"], True)
    r = c.v1({"RegionId": "cn-hangzhou", "PageSize": "20"})
    vals = [i["CloudAssistantStatus"] for i in items_of(r)]
    check("bool_status", set(vals) == {True, False}, vals)
    c.control("POST", "/__emu/config", {"bool_status": False, "title_status": True})
    r = c.v1({"RegionId": "cn-hangzhou", "PageSize": "20"})
    eq("title_status", set(i["CloudAssistantStatus"] for i in items_of(r)), {"True", "False"})
    c.control("POST", "/__emu/config", {"title_status": False, "misspelled": True})
    r = c.v1({"RegionId": "cn-hangzhou", "PageSize": "2"})
    its = items_of(r, "InstanceCloudAssitantStatus")
    check("misspelled keys", "CloudAssitantStatus" in its[0] and "CloudAssistantStatus" not in its[0], its[0])
    c.control("POST", "/__emu/config", {"misspelled": False, "odd_versions": True})
    r = c.v1({"RegionId": "cn-hangzhou", "PageSize": "20"})
    eq("odd_versions", [i["CloudAssistantVersion"] for i in items_of(r)],
       [fixtures.odd_version(i["CloudAssistantVersion"]) for i in fixtures.instances("cn-hangzhou", r.date)[:20]])
    check("odd_versions: the suffix has the characters", all(ch in fixtures.ODD_VERSION_SUFFIX for ch in '"\\\n\u202e'))
    c.control("POST", "/__emu/config", {"odd_versions": False})
    err = c.control("POST", "/__emu/config", {"no_such_switch": 1})
    check("config rejects unknown key", "error" in err)


def test_faults(c):
    c.control("POST", "/__emu/config", {"throttle_every": 2})
    r1 = c.v1({"RegionId": "cn-hangzhou"})
    r2 = c.v1({"RegionId": "cn-hangzhou"})
    r3 = c.v1({"RegionId": "cn-hangzhou"})
    eq("throttle every 2nd", (r1.status, r2.status, r2.code, r3.status), (200, 400, "Throttling.User", 200))
    eq("throttle message", r2.json["Message"], "Request was denied due to user flow control.")
    eq("x-acs-retry-after", r2.headers.get("x-acs-retry-after"), "200")
    c.control("POST", "/__emu/config", {"throttle_every": 0, "error_every": 1})
    r = c.v1({"RegionId": "cn-hangzhou"})
    eq("error_every -> 503", (r.status, r.code), (503, "ServiceUnavailable"))
    c.control("POST", "/__emu/config", {"error_every": None, "drop_every": 2})
    eq("drop: 1st answered", c.v1({"RegionId": "cn-hangzhou"}).status, 200)
    try:
        c.v1({"RegionId": "cn-hangzhou"})
        check("drop: 2nd dropped", False, "got an answer")
    except (http.client.HTTPException, OSError):
        check("drop: 2nd dropped", True)
    eq("drop: 3rd answered on a new connection", c.v1({"RegionId": "cn-hangzhou"}, fresh=True).status, 200)
    c.control("POST", "/__emu/config", {"drop_every": 0, "delay_ms": 300})
    t0 = time.time()
    c.v1({"RegionId": "cn-hangzhou"})
    check("delay_ms", time.time() - t0 >= 0.3)
    c.control("POST", "/__emu/config", {"delay_ms": 0, "skew_seconds": 3600})
    r = c.v1({"RegionId": "cn-hangzhou"})
    eq("skew: real-time request expired", r.code, "InvalidTimeStamp.Expired")
    check("skew: Date header +1h", abs(r.date - (time.time() + 3600)) < 5, r.headers.get("date"))
    r = c.v1({"RegionId": "cn-hangzhou"}, now=r.date)
    eq("skew: request at server time accepted", r.status, 200)
    eq("skew: heartbeats relative to server clock", items_of(r), fixtures.instances("cn-hangzhou", r.date)[:10])
    c.control("POST", "/__emu/config", {"skew_seconds": 0})

    bad = []
    for code, (status, msg) in emu.ERRORS.items():
        c.control("POST", "/__emu/config", {"force_error": code})
        r = c.v1({"RegionId": "cn-hangzhou"})
        if (r.status, r.code) != (status, code) or not r.json["Message"].startswith(msg):
            bad.append((code, r.status, r.code))
    check("force_error: every code with its status and message", not bad, bad)
    c.control("POST", "/__emu/config", {"force_error": "ServiceUnavailable:500"})
    r = c.v3({"RegionId": "cn-hangzhou"})
    eq("force_error CODE:STATUS", (r.status, r.code), (500, "ServiceUnavailable"))
    err = c.control("POST", "/__emu/config", {"force_error": "NoSuchCode"})
    check("force_error unknown code rejected", "error" in err)
    c.control("POST", "/__emu/config", {"force_error": None})
    eq("force_error cleared", c.v1({"RegionId": "cn-hangzhou"}).status, 200)
    c.control("POST", "/__emu/config", {"max_ids": 2})
    r = c.v1({"RegionId": "cn-hangzhou", "InstanceId.1": "i-a", "InstanceId.2": "i-b", "InstanceId.3": "i-c"})
    eq("max_ids", r.code, "InstanceIds.ExceedLimit")
    c.control("POST", "/__emu/config", {"max_ids": 0})


def test_stats(c):
    c.control("POST", "/__emu/reset", None)
    st = c.control("GET", "/__emu/stats")
    eq("reset zeroes", (st["requests"], st["connections"], st["ok"], st["errors"]), (0, 0, 0, {}))
    c.v1({"RegionId": "cn-hangzhou"}, fresh=True)
    c.v3({"RegionId": "cn-hangzhou"})
    st = c.control("GET", "/__emu/stats")
    eq("two requests on one keep-alive connection",
       (st["requests"], st["connections"], st["max_requests_per_connection"], st["ok"]), (2, 1, 2, 2))
    check("tcp_connections counts control calls too", st["tcp_connections"] >= 2, st["tcp_connections"])
    c.v1({"RegionId": "cn-hangzhou"}, tamper=True)
    st = c.control("GET", "/__emu/stats")
    eq("stats errors by code", st["errors"], {"SignatureDoesNotMatch": 1})
    eq("last_request v1", (st["last_request"]["method"], st["last_request"]["signature_version"],
                           st["last_request"]["query"].get("RegionId")), ("GET", "v1", "cn-hangzhou"))
    r = c.v1({"RegionId": "cn-hangzhou"}, headers={"Connection": "close"})
    eq("Connection: close answered with Connection: close", r.headers.get("connection"), "close")
    r = c.v1({"RegionId": "cn-hangzhou"})   # http.client reconnects after a close
    st = c.control("GET", "/__emu/stats")
    eq("connections after close", (st["connections"], st["requests"]), (2, 5))
    # The server must really close: read to EOF on a raw socket.
    s = c.ctx.wrap_socket(socket.create_connection(("127.0.0.1", c.port), timeout=3), server_hostname="localhost")
    s.sendall(b"GET /?RegionId=cn-hangzhou HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
    data = b""
    try:
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        check("server closes after Connection: close", data.startswith(b"HTTP/1.1 400"), data[:40])
    except socket.timeout:
        check("server closes after Connection: close", False, "no EOF within 3 s")
    s.close()


def test_regions(c):
    """DescribeRegions: signed like the other action (v1 and V3), every fixture region."""
    c.control("POST", "/__emu/reset", None)
    want = [{"RegionId": r, "LocalName": fixtures.region_name(r), "RegionEndpoint": "ecs.%s.aliyuncs.com" % r}
            for r in fixtures.REGIONS]
    r = c.v1({}, over={"Action": "DescribeRegions"})
    eq("DescribeRegions v1 status", r.status, 200)
    eq("DescribeRegions v1 regions", (r.json or {}).get("Regions"), {"Region": want})
    check("DescribeRegions RequestId", isinstance((r.json or {}).get("RequestId"), str) and r.json["RequestId"],
          r.json)
    eq("DescribeRegions keys", sorted(r.json or {}), ["Regions", "RequestId"])
    r = c.v3({"AcceptLanguage": "en-US"}, extra_headers={"x-acs-action": "DescribeRegions"})
    eq("DescribeRegions V3 en-US", [x["LocalName"] for x in r.json["Regions"]["Region"]],
       ["China (Hangzhou)", "China (Shanghai)"])
    r = c.v3({"RegionId": "cn-shanghai"}, method="GET", extra_headers={"x-acs-action": "DescribeRegions"})
    eq("DescribeRegions ignores RegionId", [x["RegionId"] for x in r.json["Regions"]["Region"]],
       list(fixtures.REGIONS))
    r = c.v1({}, over={"Action": "DescribeRegions"}, tamper=True)
    eq("DescribeRegions v1 bad signature", (r.status, r.code), (400, "SignatureDoesNotMatch"))
    r = c.v3({}, extra_headers={"x-acs-action": "DescribeRegions"}, tamper=True)
    eq("DescribeRegions V3 bad signature", (r.status, r.code), (400, "SignatureDoesNotMatch"))
    r = c.v1({}, over={"Action": "DescribeRegions", "Version": "2016-03-14"})
    eq("DescribeRegions wrong version", r.code, "InvalidVersion")
    r = c.v1({"AcceptLanguage": "fr"}, over={"Action": "DescribeRegions"})
    eq("DescribeRegions bad AcceptLanguage", (r.status, r.code), (400, "InvalidParameter"))
    r = c.v1({}, over={"Action": "DescribeZones"})
    eq("other actions still unknown", r.code, "InvalidAction.NotFound")
    c.control("POST", "/__emu/config", {"force_error": "Throttling.User"})
    r = c.v1({}, over={"Action": "DescribeRegions"})
    eq("faults apply to DescribeRegions", r.code, "Throttling.User")
    c.control("POST", "/__emu/config", {"force_error": None})
    st = c.control("GET", "/__emu/stats")
    eq("stats actions", st["actions"], {"DescribeRegions": 8, "DescribeZones": 1})
    eq("stats log: one entry per API request", len(st["log"]), 9)
    eq("stats log entry", {k: st["log"][2][k] for k in ("action", "region", "ids", "status")},
       {"action": "DescribeRegions", "region": "cn-shanghai", "ids": 0, "status": 200})


def test_agents_up(c):
    """agents_up_after=N: agents that are down are live from N s after the switch (or a reset)."""
    ids = [it["InstanceId"] for it in fixtures.instances("cn-hangzhou", 0)[:20]]
    api = dict({"RegionId": "cn-hangzhou"}, **{"InstanceId.%d" % (k + 1): i for k, i in enumerate(ids)})
    down = [it["InstanceId"] for it in fixtures.instances("cn-hangzhou", 0)[:20]
            if it["CloudAssistantStatus"] == "false"]
    check("agents_up: the sample has down agents", len(down) >= 2, down)
    cfg = c.control("POST", "/__emu/config", {"agents_up_after": 1.5})
    eq("agents_up_after echoed", cfg["agents_up_after"], 1.5)
    t0 = time.time()
    r = c.v1(api)
    eq("agents_up: before N s, fixtures as usual", items_of(r), fixtures.instances("cn-hangzhou", r.date)[:20])
    eq("agents_up: stats before", c.control("GET", "/__emu/stats")["agents_up"], False)
    time.sleep(max(0, 1.6 - (time.time() - t0)))
    r = c.v1(api)
    got = items_of(r)
    eq("agents_up: after N s every agent live", [i["CloudAssistantStatus"] for i in got], ["true"] * 20)
    eq("agents_up: items as fixtures.instances(all_up=True)", got,
       fixtures.instances("cn-hangzhou", r.date, all_up=True)[:20])
    came = [i for i in got if i["InstanceId"] in down]
    check("agents_up: came-up agents have a version and a fresh heartbeat",
          all(i["CloudAssistantVersion"] and r.date - emu.parse_timestamp(i["LastHeartbeatTime"]) < 5
              for i in came), came)
    eq("agents_up: stats after", c.control("GET", "/__emu/stats")["agents_up"], True)
    c.control("POST", "/__emu/reset", None)
    r = c.v1(api)
    check("agents_up: reset restarts the clock", any(i["CloudAssistantStatus"] == "false" for i in items_of(r)))
    c.control("POST", "/__emu/config", {"agents_up_after": 0})
    time.sleep(0.1)
    r = c.v1(api)
    check("agents_up_after 0 = off", any(i["CloudAssistantStatus"] == "false" for i in items_of(r)))
    err = c.control("POST", "/__emu/config", {"agents_up_after": "soon"})
    check("agents_up_after must be a number", "error" in err, err)


def test_garbage(c, port, ctx):
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=5), server_hostname="localhost")
    s.sendall(b"\x00\x01garbage\r\n\r\n")
    data = s.recv(4096)
    s.close()
    check("garbage request line -> 400", data.startswith(b"HTTP/1.1 400") or data.startswith(b"HTTP/1.0 400"), data[:60])
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(b"not tls at all\r\n\r\n")
    try:
        s.recv(100)
    except OSError:
        pass
    s.close()
    eq("still serving after garbage", c.v1({"RegionId": "cn-hangzhou"}, fresh=True).status, 200)


def test_plain_http(tmp):
    creds = os.path.join(tmp, "creds.json")
    with open(creds, "w") as f:
        json.dump({"keys": [{"id": "k1", "secret": "s e c r e t", "sts_token": None}]}, f)
    proc, port = start("ecs_emulator.py", ["--http", "--creds", creds, "--bool-status", "--throttle-every", "3"],
                       tmp, "plain")
    try:
        c = Ecs(port, None, "127.0.0.1")
        KEYS["k1"] = {"secret": "s e c r e t", "sts_token": None}
        r = c.v1({"RegionId": "cn-hangzhou"}, key_id="k1")
        eq("--http + --creds key accepted", r.status, 200)
        check("--bool-status flag", r.status == 200 and isinstance(items_of(r)[0]["CloudAssistantStatus"], bool))
        eq("--creds replaces built-in keys", c.v1({"RegionId": "cn-hangzhou"}).code, "InvalidAccessKeyId.NotFound")
        eq("--throttle-every flag", c.v1({"RegionId": "cn-hangzhou"}, key_id="k1").code, "Throttling.User")
    finally:
        eq("SIGTERM exits cleanly", stop(proc), 0)


class Meta:
    def __init__(self, port):
        self.port = port

    def req(self, method, path, headers=None, body=None):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        try:
            c.request(method, path, body=body, headers=headers or {})
            r = c.getresponse()
            return r.status, r.read().decode()
        finally:
            c.close()

    def config(self, **kw):
        return json.loads(self.req("POST", "/__emu/config", body=json.dumps(kw))[1])


def test_metadata(tmp, ecs):
    proc, port = start("metadata_emulator.py", ["--require-token"], tmp, "meta")
    m = Meta(port)
    base = "/latest/meta-data/ram/security-credentials/"
    try:
        eq("IMDS without token -> 401", m.req("GET", base)[0], 401)
        eq("IMDS token TTL 0 -> 400", m.req("PUT", "/latest/api/token",
                                            {"X-aliyun-ecs-metadata-token-ttl-seconds": "0"})[0], 400)
        eq("IMDS token TTL 21601 -> 400", m.req("PUT", "/latest/api/token",
                                                {"X-aliyun-ecs-metadata-token-ttl-seconds": "21601"})[0], 400)
        status, token = m.req("PUT", "/latest/api/token", {"X-aliyun-ecs-metadata-token-ttl-seconds": "21600"})
        eq("IMDS token", status, 200)
        th = {"X-aliyun-ecs-metadata-token": token}
        eq("IMDS bad token -> 401", m.req("GET", base, {"X-aliyun-ecs-metadata-token": "nope"})[0], 401)
        status, role = m.req("GET", base, th)
        eq("IMDS role list", (status, role), (200, "EcsRamRoleTest"))
        status, text = m.req("GET", base + role, th)
        doc = json.loads(text)
        eq("IMDS credentials", (status, doc["Code"], doc["AccessKeyId"], doc["AccessKeySecret"], doc["SecurityToken"]),
           (200, "Success", "STS.testid", "sts+/=&%~* secret", "tok/en+=&%"))
        exp = emu.parse_timestamp(doc["Expiration"])
        check("IMDS Expiration ~ now+6h", exp is not None and abs(exp - time.time() - 6 * 3600) < 10, doc["Expiration"])
        eq("IMDS unknown role", m.req("GET", base + "Other", th)[0], 404)

        # End to end: sign an ECS call with what IMDS handed out.
        KEYS["STS.testid"] = {"secret": doc["AccessKeySecret"], "sts_token": doc["SecurityToken"]}
        eq("IMDS creds work against the ECS emulator (v1)", ecs.v1({"RegionId": "cn-hangzhou"}, key_id=doc["AccessKeyId"]).status, 200)
        eq("IMDS creds work against the ECS emulator (v3)", ecs.v3({"RegionId": "cn-hangzhou"}, key_id=doc["AccessKeyId"]).status, 200)

        m.config(expired=True)
        doc = json.loads(m.req("GET", base + role, th)[1])
        check("IMDS expired", emu.parse_timestamp(doc["Expiration"]) < time.time(), doc["Expiration"])
        m.config(expired=False, code="Failed")
        eq("IMDS code", json.loads(m.req("GET", base + role, th)[1])["Code"], "Failed")
        m.config(code="Success", bad_json=True)
        try:
            json.loads(m.req("GET", base + role, th)[1])
            check("IMDS bad json", False)
        except ValueError:
            check("IMDS bad json", True)
        m.config(bad_json=False, no_token_endpoint=True, require_token=False)
        eq("IMDS no token endpoint -> 404", m.req("PUT", "/latest/api/token",
                                                  {"X-aliyun-ecs-metadata-token-ttl-seconds": "60"})[0], 404)
        eq("IMDS without token allowed when not required", m.req("GET", base)[0], 200)
        st = json.loads(m.req("GET", "/__emu/stats")[1])
        eq("IMDS stats", (st["token_requests"], st["role_list_requests"], st["credential_requests"], st["unauthorized"]),
           (4, 2, 5, 2))
        check("IMDS stats last headers", "host" in (st["last_headers"] or {}))
    finally:
        eq("metadata SIGTERM exits cleanly", stop(proc), 0)


def test_sts(c):
    """STS mode (sts_emulator.py): signed AssumeRole, anonymous AssumeRoleWithOIDC, temporary keys
    the ECS action accepts until they expire, STS error codes."""
    import sts_emulator as sts
    arn = "acs:ram::%s:role/%%s" % sts.ACCOUNT
    over = {"Action": "AssumeRole", "Version": sts.STS_VERSION}
    v3h = {"x-acs-action": "AssumeRole", "x-acs-version": sts.STS_VERSION}
    c.control("POST", "/__emu/config", {"sts_lifetime": 0, "sts_expired": False})
    api = {"RoleArn": arn % "ops", "RoleSessionName": "selftest", "DurationSeconds": "900"}
    r = c.v1(api, method="POST", form=True, over=over)
    eq("sts v1 AssumeRole", r.status, 200)
    cred = r.json.get("Credentials", {})
    check("sts answer has the four fields",
          all(cred.get(k) for k in ("AccessKeyId", "AccessKeySecret", "SecurityToken", "Expiration")),
          r.json)
    exp = emu.parse_timestamp(cred.get("Expiration"))
    check("sts Expiration = now + DurationSeconds", exp is not None and abs(exp - time.time() - 900) < 5)
    eq("sts v1 tampered", c.v1(api, method="POST", form=True, over=over, tamper=True).code,
       "SignatureDoesNotMatch")
    eq("sts v3 AssumeRole", c.v3(api, form=True, extra_headers=v3h).status, 200)
    KEYS[cred["AccessKeyId"]] = {"secret": cred["AccessKeySecret"], "sts_token": cred["SecurityToken"]}
    eq("ECS call with the temporary key", c.v1({"RegionId": "cn-hangzhou"},
                                              key_id=cred["AccessKeyId"]).status, 200)
    KEYS[cred["AccessKeyId"]] = {"secret": cred["AccessKeySecret"], "sts_token": "CAISwrong"}
    eq("ECS call with the wrong token", c.v1({"RegionId": "cn-hangzhou"}, key_id=cred["AccessKeyId"]).code,
       "InvalidSecurityToken.Mismatch")
    for name, change, code, status in [
            ("malformed ARN", {"RoleArn": "acs:ram::1:rol/x"}, "InvalidParameter.RoleArn", 400),
            ("unknown role", {"RoleArn": arn % "nosuch"}, "EntityNotExist.Role", 404),
            ("denied role", {"RoleArn": arn % "denied"}, "NoPermission", 403),
            ("external id missing", {"RoleArn": arn % "needs-external-id"}, "NoPermission", 403),
            ("short duration", {"DurationSeconds": "899"}, "InvalidParameter.DurationSeconds", 400),
            ("long duration", {"DurationSeconds": "3601"}, "InvalidParameter.DurationSeconds", 400),
            ("bad session name", {"RoleSessionName": "a b"}, "InvalidParameter.RoleSessionName", 400)]:
        r = c.v1(dict(api, **change), method="POST", form=True, over=over)
        eq("sts %s" % name, (r.status, r.code), (status, code))
    c.control("POST", "/__emu/config", {"sts_lifetime": 1})
    r = c.v1(api, method="POST", form=True, over=over)
    cred = r.json["Credentials"]
    KEYS[cred["AccessKeyId"]] = {"secret": cred["AccessKeySecret"], "sts_token": cred["SecurityToken"]}
    time.sleep(1.2)
    eq("ECS call with an expired temporary key", c.v1({"RegionId": "cn-hangzhou"},
                                                       key_id=cred["AccessKeyId"]).code,
       "InvalidSecurityToken.Expired")
    c.control("POST", "/__emu/config", {"sts_lifetime": 0})
    form = {"Action": "AssumeRoleWithOIDC", "Version": sts.STS_VERSION, "Format": "JSON",
            "Timestamp": iso(time.time()), "RoleArn": arn % "oidc-role", "RoleSessionName": "pod",
            "OIDCProviderArn": "acs:ram::%s:oidc-provider/p" % sts.ACCOUNT,
            "OIDCToken": sts.DEFAULT_OIDC_TOKEN}
    body = lambda f: "&".join("%s=%s" % (enc(k), enc(v)) for k, v in f.items()).encode()  # noqa: E731
    hdr = {"Content-Type": "application/x-www-form-urlencoded"}
    r = c.raw("POST", "/", body(form), hdr)
    eq("sts AssumeRoleWithOIDC (anonymous)", r.status, 200)
    r = c.raw("POST", "/", body(dict(form, OIDCToken="eyJ.other")), hdr)
    eq("sts OIDC wrong token", r.code, "AuthenticationFail.OIDCToken.Invalid")
    r = c.raw("POST", "/", body(dict(form, OIDCProviderArn="x")), hdr)
    eq("sts OIDC bad provider", r.code, "InvalidParameter.OIDCProviderArn")
    st = c.control("GET", "/__emu/stats")
    eq("sts stats: last action", st["sts_last"]["action"], "AssumeRoleWithOIDC")
    check("sts stats: issued keys listed", len(st["sts_issued"]) >= 3, len(st["sts_issued"]))


def main():
    t0 = time.time()
    tmp = tempfile.mkdtemp(prefix="emu-test-")
    pki = os.path.join(tmp, "pki")
    subprocess.run(["sh", os.path.join(HERE, "mkpki.sh"), pki], check=True)
    first = os.path.getmtime(os.path.join(pki, "server.pem"))
    subprocess.run(["sh", os.path.join(HERE, "mkpki.sh"), pki], check=True)
    eq("mkpki.sh idempotent", os.path.getmtime(os.path.join(pki, "server.pem")), first)

    ctx = ssl.create_default_context(cafile=os.path.join(pki, "ca.pem"))
    proc, port = start("ecs_emulator.py", ["--cert", os.path.join(pki, "server.pem"),
                                           "--key", os.path.join(pki, "server.key")], tmp, "ecs")
    try:
        c = Ecs(port, ctx)
        ip = Ecs(port, ctx, "127.0.0.1")
        eq("TLS to 127.0.0.1 (IP SAN)", ip.v1({"RegionId": "cn-hangzhou"}).status, 200)
        for name, fn in [("vectors", test_vectors), ("accept", lambda: test_accept(c)),
                         ("reject", lambda: test_reject(c)), ("paging", lambda: test_paging(c)),
                         ("modes", lambda: test_modes(c)), ("faults", lambda: test_faults(c)),
                         ("misbehaving paging", lambda: test_misbehaving_paging(c)),
                         ("stats", lambda: test_stats(c)), ("garbage", lambda: test_garbage(c, port, ctx)),
                         ("regions", lambda: test_regions(c)), ("agents up", lambda: test_agents_up(c)),
                         ("plain http", lambda: test_plain_http(tmp)),
                         ("metadata", lambda: test_metadata(tmp, c)),
                         ("sts", lambda: test_sts(c))]:
            try:
                fn()
            except Exception as e:  # a crash in one group must not hide the others
                import traceback
                traceback.print_exc()
                check("group %s ran without exceptions" % name, False, repr(e))
        c.v1({"RegionId": "cn-hangzhou"})   # leave an idle keep-alive connection open
    finally:
        t_stop = time.time()
        eq("ECS emulator SIGTERM exits cleanly", stop(proc), 0)
        check("SIGTERM does not wait for idle connections", time.time() - t_stop < 2, time.time() - t_stop)
        subprocess.run(["rm", "-rf", tmp])
    print("(%.1f s)" % (time.time() - t0))
    print("emulator: %d passed, %d failed" % (PASSED, FAILED))
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
