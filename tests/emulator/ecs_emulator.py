#!/usr/bin/env python3
"""Local emulator of the Alibaba Cloud ECS endpoint for DescribeCloudAssistantStatus (and
DescribeRegions, answered for the regions the fixtures know).

Python 3 standard library only.  It verifies both signature styles with its own code, written from
the algorithm descriptions in shared/docs/alibaba-ecs-api.md (sections 2 and 3):
  * RPC v1  (HMAC-SHA1, params in the query / form body, Signature param)
  * V3      (ACS3-HMAC-SHA256, Authorization header)
and answers from deterministic fixtures (fixtures.py), with switchable faults for testing a
client's retry, skew and tolerance logic.  See README.md beside this file.

The signing helpers at the top (percent_encode, canonical_query, v1_*, v3_*) are importable and are
checked against the official test vectors by test_emulator.py.
"""

import argparse
import base64
import collections
import datetime
import email.utils
import hashlib
import hmac
import json
import os
import re
import signal
import socket
import ssl
import struct
import sys
import threading
import time
import traceback
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.dont_write_bytecode = True   # keep the source tree free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fixtures  # noqa: E402
import sts_emulator  # noqa: E402

ACTION = "DescribeCloudAssistantStatus"
REGIONS_ACTION = "DescribeRegions"
ACTIONS = (ACTION, REGIONS_ACTION)
LOG_MAX = 2000                 # entries kept in /__emu/stats "log" (the oldest are dropped)
API_VERSION = "2014-05-26"
V3_ALGORITHM = "ACS3-HMAC-SHA256"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
TIME_WINDOW = 15 * 60          # accepted |request time - server clock|, seconds
NONCE_MEMORY = 2 * TIME_WINDOW + 60
MAX_NONCES = 200000            # bound on remembered nonces (oldest forgotten first)
MAX_BODY = 1 << 20             # request bodies above this get 413
DEFAULT_MAX_IDS = 100
RETRY_AFTER_MS = "200"

# ---------------------------------------------------------------------------------------------
# Signature reference code (independent of any SDK; straight from the algorithm descriptions)
# ---------------------------------------------------------------------------------------------

_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")


def _bytes(value):
    """str -> bytes, keeping undecodable input bytes (carried as surrogates) intact."""
    if isinstance(value, bytes):
        return value
    return value.encode("utf-8", "surrogateescape")


def percent_encode(value):
    """RFC 3986 encoding used by both signatures: UTF-8 bytes, A-Za-z0-9 - _ . ~ kept, every
    other byte %XY with upper-case hex (space -> %20, * -> %2A, / -> %2F)."""
    return "".join(chr(b) if b in _UNRESERVED else "%%%02X" % b for b in _bytes(value))


def percent_decode(raw):
    """Decode one query/form component (bytes or str).  '+' means space (form encoding, as Java
    servers do), %XY sequences become bytes, malformed % sequences stay literal.  Invalid UTF-8
    survives as surrogates so that re-encoding gives back the same bytes."""
    raw = urllib.parse.unquote_to_bytes(_bytes(raw).replace(b"+", b" "))
    return raw.decode("utf-8", "surrogateescape")


def parse_pairs(raw):
    """b'a=1&b=&c' -> [('a','1'), ('b',''), ('c','')], decoded, in wire order."""
    pairs = []
    for part in _bytes(raw).split(b"&"):
        if not part:
            continue
        name, _, value = part.partition(b"=")
        pairs.append((percent_decode(name), percent_decode(value)))
    return pairs


def _pairs_of(params):
    return list(params.items()) if isinstance(params, dict) else list(params)


def canonical_query(params):
    """Sorted (byte order of names, then values) 'name=value' pairs, both percent-encoded,
    joined by '&'.  Used by v1 (CanonicalizedQueryString) and V3 (CanonicalQueryString)."""
    pairs = sorted(_pairs_of(params), key=lambda p: (_bytes(p[0]), _bytes(p[1])))
    return "&".join(percent_encode(k) + "=" + percent_encode(v) for k, v in pairs)


def v1_string_to_sign(method, params):
    """StringToSign = METHOD & %2F & percentEncode(CanonicalizedQueryString); every parameter
    except Signature takes part."""
    pairs = [(k, v) for k, v in _pairs_of(params) if k != "Signature"]
    return method.upper() + "&" + percent_encode("/") + "&" + percent_encode(canonical_query(pairs))


def v1_sign_string(secret, string_to_sign):
    mac = hmac.new(_bytes(secret) + b"&", string_to_sign.encode("ascii"), hashlib.sha1)
    return base64.b64encode(mac.digest()).decode("ascii")


def v1_signature(secret, method, params):
    """Base64(HMAC-SHA1(secret + '&', StringToSign)) for a dict or list of (name, value)."""
    return v1_sign_string(secret, v1_string_to_sign(method, params))


def v3_canonical_request(method, uri, query_params, headers, signed_headers, payload_hash):
    """CanonicalRequest of the V3 algorithm.  headers: lower-case name -> value; signed_headers:
    the names to sign (lower-cased and sorted here).  Each canonical header is 'name:trimmed\\n', so
    a blank line separates them from the SignedHeaders line."""
    names = sorted(h.lower() for h in signed_headers)
    canon_headers = "".join("%s:%s\n" % (n, headers.get(n, "").strip()) for n in names)
    return "\n".join([method.upper(), uri, canonical_query(query_params), canon_headers,
                      ";".join(names), payload_hash])


def v3_string_to_sign(canonical_request):
    return V3_ALGORITHM + "\n" + hashlib.sha256(_bytes(canonical_request)).hexdigest()


def v3_signature(secret, string_to_sign):
    """hex(HMAC-SHA256(secret, StringToSign)) - the key has no '&' in V3."""
    return hmac.new(_bytes(secret), _bytes(string_to_sign), hashlib.sha256).hexdigest()


# ---------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------

_MISSING_MSG = 'The input parameter "%s" that is mandatory for processing this request is not supplied.'

# code -> (HTTP status, message).  Sections 1 and 6 of the API doc, then the codes this emulator
# adds where the doc has none (marked).  --force-error accepts any of these.
ERRORS = {
    # section 1 (DescribeCloudAssistantStatus)
    "RegionId.ApiNotSupported": (400, "The api is not supported in this region."),
    "MissingParam.InstanceId": (400, "The parameter instanceId is missing or empty."),
    "InvalidParam.PageSize": (400, "The specified parameter is invalid."),
    "InvalidParam.PageNumber": (400, "The specified parameter is invalid."),
    "InvalidParameter.NextToken": (400, "The specified parameter NextToken is not valid."),
    "InvalidParameter.MaxResults": (400, "The specified parameter MaxResults is not valid."),
    "InstanceIds.ExceedLimit": (403, "The number of instance IDs exceeds the upper limit."),
    "Operation.Forbidden": (403, "The operation is not permitted."),
    "InvalidRegionId.NotFound": (404, "The RegionId provided does not exist in our records."),
    "InvalidInstance.NotFound": (404, "The specified instance does not exist."),
    "InternalError.Dispatch": (500, "An error occurred when you dispatched the request."),
    # DOC-API lists 500, the ECS common table 503; 503 here (force "ServiceUnavailable:500" for the other)
    "ServiceUnavailable": (503, "The request has failed due to a temporary failure of the server."),
    # section 6 (common)
    "Throttling": (400, "Request was denied due to request throttling."),
    "Throttling.User": (400, "Request was denied due to user flow control."),
    "Throttling.Api": (400, "Request was denied due to api flow control."),
    "InternalError": (500, "The request processing has failed due to some unknown error, exception or failure."),
    "SignatureDoesNotMatch": (400, "Specified signature is not matched with our calculation. server string to sign is:"),
    "IncompleteSignature": (400, "The request signature does not conform to Aliyun standards."),
    "InvalidAccessKeyId.NotFound": (404, "Specified access key is not found."),
    "InvalidTimeStamp.Expired": (400, "Specified time stamp or date value is expired."),
    "SignatureNonceUsed": (400, "Specified signature nonce was used already."),
    "MissingParameter": (400, "The input parameter that is mandatory for processing this request is not supplied."),
    "InvalidParameter": (400, "The specified parameter is not valid."),
    "Forbidden.RAM": (403, "User not authorized to operate on the specified resource, or this API doesn't support RAM."),
    # emulator additions (no primary source for code/message; see doc open question 5)
    "InvalidTimeStamp.Format": (400, "Specified time stamp or date value is not well formatted."),
    "MissingSecurityToken": (400, "SecurityToken is mandatory for this request."),
    "InvalidSecurityToken.Mismatch": (400, "Specified SecurityToken does not match the access key."),
    "InvalidSecurityToken.Expired": (400, "Specified SecurityToken is expired."),
    "MissingParameter.RegionId": (400, _MISSING_MSG % "RegionId"),
    "InvalidAction.NotFound": (404, "Specified api is not found, please check your url and method."),
    "UnsupportedHTTPMethod": (400, "This http method is not supported."),
    "InvalidVersion": (400, "Specified parameter Version is not valid."),
    "InvalidParameter.OSType": (400, "The specified parameter OSType is not valid."),
    "InvalidParameter.Format": (400, "The specified parameter Format is not valid."),
    "InvalidParameter.SignatureMethod": (400, "The specified parameter SignatureMethod is not valid."),
    "InvalidParameter.SignatureVersion": (400, "The specified parameter SignatureVersion is not valid."),
    "BadRequest": (400, "The request could not be parsed."),
    "RequestEntityTooLarge": (413, "The request body is too large."),
}


class ApiError(Exception):
    def __init__(self, code, message=None, status=None):
        super().__init__(code)
        default_status, default_msg = ERRORS.get(code, (400, "Error."))
        self.code = code
        self.status = status or default_status
        self.message = message if message is not None else default_msg


def parse_forced_error(spec):
    """'Code' or 'Code:STATUS' -> (code, status); unknown codes need an explicit status."""
    if not spec:
        return None
    code, _, status = spec.partition(":")
    if status:
        if not status.isdigit() or not 400 <= int(status) <= 599:
            raise ValueError("bad status in force_error %r" % spec)
        return code, int(status)
    if code not in ERRORS:
        raise ValueError("unknown error code %r (known: %s; or give CODE:STATUS)"
                         % (code, ", ".join(sorted(ERRORS))))
    return code, ERRORS[code][0]


# ---------------------------------------------------------------------------------------------
# Keys, clock, nonces, stats
# ---------------------------------------------------------------------------------------------

DEFAULT_KEYS = [
    {"id": "testid", "secret": "testsecret", "sts_token": None},
    {"id": "STS.testid", "secret": "sts+/=&%~* secret", "sts_token": "tok/en+=&%"},
    {"id": "oddid", "secret": "a+b/c=d&e%f~g*h i", "sts_token": None},
]


def load_keys(path):
    if not path:
        keys = DEFAULT_KEYS
    else:
        with open(path, encoding="utf-8") as f:
            keys = json.load(f)["keys"]
    out = {}
    for k in keys:
        if not isinstance(k.get("id"), str) or not isinstance(k.get("secret"), str):
            raise ValueError("each key needs string 'id' and 'secret'")
        out[k["id"]] = {"secret": k["secret"], "sts_token": k.get("sts_token")}
    return out


_TS_RE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})Z")


def parse_timestamp(text):
    """'YYYY-MM-DDThh:mm:ssZ' -> Unix seconds, or None if malformed."""
    m = _TS_RE.fullmatch(text or "")
    if not m:
        return None
    try:
        dt = datetime.datetime(*(int(g) for g in m.groups()), tzinfo=datetime.timezone.utc)
    except ValueError:
        return None
    return int(dt.timestamp())


CONFIG_DEFAULTS = {
    "throttle_every": 0, "error_every": 0, "drop_every": 0, "delay_ms": 0, "skew_seconds": 0,
    "force_error": None, "max_ids": DEFAULT_MAX_IDS, "not_found": None,
    "bool_status": False, "title_status": False, "misspelled": False, "odd_next_token": False,
    "script": None, "retry_after_ms": None,
    "page_loop": 0, "page_overlap": False, "hostile_text": False,
    "agents_up_after": 0, "odd_versions": False,
}
CONFIG_DEFAULTS.update(sts_emulator.CONFIG_DEFAULTS)
_INT_KEYS = ("throttle_every", "error_every", "drop_every", "delay_ms", "skew_seconds", "max_ids",
             "page_loop", "sts_lifetime")
_BOOL_KEYS = ("bool_status", "title_status", "misspelled", "odd_next_token", "page_overlap",
              "hostile_text", "odd_versions", "sts_expired")
_FAULTS = ("drop_every", "throttle_every", "error_every")


_SCRIPT_KINDS = ("answer", "drop", "cut", "reset")


def _check_script(value):
    """A list of canned answers, one per API request, used up in order (None = off)."""
    if value is None:
        return None
    if not isinstance(value, list):
        raise ValueError("script must be a list")
    out = []
    for e in value:
        if not isinstance(e, dict) or e.get("kind", "answer") not in _SCRIPT_KINDS:
            raise ValueError("script entries are objects with kind in %s" % (_SCRIPT_KINDS,))
        e = dict(e)
        e.setdefault("kind", "answer")
        e.setdefault("status", 200)
        e.setdefault("body", "")
        e.setdefault("headers", [])
        if not isinstance(e["body"], str) or not isinstance(e["status"], int):
            raise ValueError("script entry: body must be a string, status an integer")
        out.append(e)
    return out


class State:
    """Everything shared between handler threads, behind one lock."""

    def __init__(self, keys, config):
        self.lock = threading.Lock()
        self.keys = keys
        self.sts_issued = []              # temporary keys handed out by the STS mode
        self.config = dict(CONFIG_DEFAULTS)
        self.reset()
        self.apply_config(config)

    def reset(self):
        with self.lock:
            self.up_since = time.time()   # agents_up_after counts from here (and config changes)
            self.log = collections.deque(maxlen=LOG_MAX)
            self.actions = collections.Counter()
            self.requests = 0
            self.connections = 0          # connections that carried >= 1 API request
            self.tcp_connections = 0      # every accepted connection, control calls included
            self.ok = 0
            self.dropped = 0
            self.scripted = 0
            self.errors = collections.Counter()
            self.max_per_conn = 0
            self.per_connection = []      # API requests carried by each connection, in order
            self.in_flight = 0            # API requests being answered right now
            self.max_in_flight = 0
            self.last_request = None
            self.nonces = collections.OrderedDict()   # (key id, nonce) -> time seen
            self.fault_counters = dict.fromkeys(_FAULTS, 0)
            self.sts_requests = 0
            self.sts_last = None
            self.sts_log = []

    def apply_config(self, changes):
        """Validate and apply {name: value}; raises ValueError.  0/None/false disable."""
        new = dict(self.config)
        for name, value in changes.items():
            if name not in CONFIG_DEFAULTS:
                raise ValueError("unknown config key %r" % name)
            if name in _INT_KEYS:
                if value is None:
                    value = 0
                if isinstance(value, bool) or not isinstance(value, (int, float)):
                    raise ValueError("%s must be a number" % name)
                if name != "skew_seconds":
                    value = int(value)
                    if value < 0:
                        raise ValueError("%s must be >= 0" % name)
                if name == "max_ids" and value == 0:
                    value = DEFAULT_MAX_IDS
            elif name in _BOOL_KEYS:
                value = bool(value)
            elif name == "not_found":
                value = value or None
                if value not in (None, "error", "absent"):
                    raise ValueError("not_found must be 'error' or 'absent'")
                if value == "absent":
                    value = None
            elif name == "script":
                value = _check_script(value)
            elif name == "retry_after_ms":
                if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                          or value < 0):
                    raise ValueError("retry_after_ms must be an integer >= 0 or null")
            elif name == "agents_up_after":
                if value is None or value is False:
                    value = 0
                if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                    raise ValueError("agents_up_after must be a number of seconds >= 0")
            elif name == "force_error":
                value = value or None
                if value is not None:
                    if not isinstance(value, str):
                        raise ValueError("force_error must be a string")
                    parse_forced_error(value)
            new[name] = value
        if new["bool_status"] and new["title_status"]:
            raise ValueError("bool_status and title_status exclude each other")
        if "agents_up_after" in changes and new["agents_up_after"] != self.config["agents_up_after"]:
            self.up_since = time.time()                   # a new agents_up_after counts from now
        self.config = new
        self.fault_counters = dict.fromkeys(_FAULTS, 0)   # "every Nth" counts from the change

    def now(self):
        return time.time() + self.config["skew_seconds"]

    def agents_up(self, cfg):
        """agents_up_after=N: True once N s have passed since it was set (or the last reset)."""
        return bool(cfg["agents_up_after"]) and time.time() - self.up_since >= cfg["agents_up_after"]

    def note(self, action, params, status):
        """One entry of the request log (called with the lock held)."""
        self.log.append({"t": round(time.time() - self.up_since, 3), "action": action,
                         "region": params.get("RegionId"),
                         "ids": sum(1 for k in params if k.startswith("InstanceId.")),
                         "status": status})
        if action:
            self.actions[action] += 1

    def check_nonce(self, key_id, nonce, now):
        """True if fresh (and remember it), False if seen within the window."""
        with self.lock:
            while self.nonces:
                (_, seen) = next(iter(self.nonces.items()))
                if seen >= now - NONCE_MEMORY and len(self.nonces) < MAX_NONCES:
                    break
                self.nonces.popitem(last=False)
            k = (key_id, nonce)
            if k in self.nonces:
                return False
            self.nonces[k] = now
            return True

    def snapshot(self):
        with self.lock:
            return {
                "requests": self.requests,
                "connections": self.connections,
                "tcp_connections": self.tcp_connections,
                "ok": self.ok,
                "dropped": self.dropped,
                "scripted": self.scripted,
                "errors": dict(self.errors),
                "max_requests_per_connection": self.max_per_conn,
                "per_connection": list(self.per_connection),
                "max_in_flight": self.max_in_flight,
                "last_request": self.last_request,
                "config": dict(self.config),
                "actions": dict(self.actions),
                "agents_up": self.agents_up(self.config),
                "log": list(self.log),
                "sts_requests": self.sts_requests,
                "sts_last": self.sts_last,
                "sts_log": list(self.sts_log),
                "sts_issued": list(self.sts_issued),
            }


# ---------------------------------------------------------------------------------------------
# Authentication
# ---------------------------------------------------------------------------------------------

class Auth:
    """Outcome of checking a request's signature."""

    def __init__(self):
        self.version = None          # "v1" | "v3" | None
        self.error = None            # ApiError or None
        self.string_to_sign = None
        self.canonical_request = None
        self.key_id = None
        self.action = None


def _check_time(text, now):
    ts = parse_timestamp(text)
    if ts is None:
        raise ApiError("InvalidTimeStamp.Format")
    if abs(ts - now) > TIME_WINDOW:
        raise ApiError("InvalidTimeStamp.Expired")


def _check_key(state, key_id):
    key = state.keys.get(key_id)
    if key is None:
        raise ApiError("InvalidAccessKeyId.NotFound")
    return key


def _check_token(key, token, now=None):
    expected = key.get("sts_token")
    if expected and key.get("expires") is not None and now is not None and now >= key["expires"]:
        raise ApiError("InvalidSecurityToken.Expired")
    if expected:
        if token is None or token == "":
            raise ApiError("MissingSecurityToken")
        if not hmac.compare_digest(_bytes(token), _bytes(expected)):
            raise ApiError("InvalidSecurityToken.Mismatch")
    elif token:
        raise ApiError("InvalidSecurityToken.Mismatch",
                       "A SecurityToken was sent with an access key that is not an STS key.")


def _version_of(action):
    """The API version an action belongs to: ECS's, STS's (sts_emulator), or None."""
    if action in ACTIONS:
        return API_VERSION
    if action == "AssumeRole":
        return sts_emulator.STS_VERSION
    return None


def _sig_mismatch(sts):
    return ApiError("SignatureDoesNotMatch", ERRORS["SignatureDoesNotMatch"][1] + sts)


def auth_v1(state, auth, method, params, now):
    def need(name):
        v = params.get(name)
        if v is None or v == "":
            raise ApiError("MissingParameter", _MISSING_MSG % name)
        return v

    action = need("Action")
    version = _version_of(action)
    if version is None:
        raise ApiError("InvalidAction.NotFound")
    auth.action = action
    if need("Version") != version:
        raise ApiError("InvalidVersion")
    for name in ("AccessKeyId", "Signature", "SignatureMethod", "SignatureVersion",
                 "SignatureNonce", "Timestamp"):
        need(name)
    if params["SignatureMethod"] != "HMAC-SHA1":
        raise ApiError("InvalidParameter.SignatureMethod")
    if params["SignatureVersion"] != "1.0":
        raise ApiError("InvalidParameter.SignatureVersion")
    fmt = params.get("Format")
    if fmt is not None and fmt.upper() != "JSON":
        if fmt.upper() == "XML":
            raise ApiError("InvalidParameter.Format", "Format=XML: only JSON is emulated.")
        raise ApiError("InvalidParameter.Format")
    _check_time(params["Timestamp"], now)
    auth.key_id = params["AccessKeyId"]
    key = _check_key(state, auth.key_id)
    auth.string_to_sign = v1_string_to_sign(method, params)
    expected = v1_sign_string(key["secret"], auth.string_to_sign)
    if not hmac.compare_digest(_bytes(params["Signature"]), expected.encode()):
        raise _sig_mismatch(auth.string_to_sign)
    _check_token(key, params.get("SecurityToken"), now)
    if not state.check_nonce(auth.key_id, params["SignatureNonce"], now):
        raise ApiError("SignatureNonceUsed")


_V3_REQUIRED = ("x-acs-action", "x-acs-version", "x-acs-date", "x-acs-signature-nonce",
                "x-acs-content-sha256", "host")


def parse_v3_authorization(value):
    """'ACS3-HMAC-SHA256 Credential=a,SignedHeaders=b;c,Signature=d' -> dict; IncompleteSignature
    if malformed."""
    algo, _, rest = value.strip().partition(" ")
    if algo != V3_ALGORITHM:
        raise ApiError("IncompleteSignature", "Unsupported signature algorithm %r." % algo)
    fields = {}
    for part in rest.split(","):
        name, eq, val = part.strip().partition("=")
        if not eq:
            raise ApiError("IncompleteSignature", "Malformed Authorization header.")
        fields[name.strip()] = val.strip()
    for name in ("Credential", "SignedHeaders", "Signature"):
        if not fields.get(name):
            raise ApiError("IncompleteSignature", "Authorization header lacks %s." % name)
    return fields


def auth_v3(state, auth, method, uri, query_pairs, headers, body, now):
    fields = parse_v3_authorization(headers["authorization"])
    for name in _V3_REQUIRED:
        if not headers.get(name, "").strip():
            raise ApiError("MissingParameter", _MISSING_MSG % name)
    version = _version_of(headers["x-acs-action"].strip())
    if version is None:
        raise ApiError("InvalidAction.NotFound")
    auth.action = headers["x-acs-action"].strip()
    if headers["x-acs-version"].strip() != version:
        raise ApiError("InvalidVersion")
    signed = fields["SignedHeaders"].split(";")
    signed_set = set(h.lower() for h in signed)
    for name in headers:
        if (name.startswith("x-acs-") or name == "host") and name not in signed_set:
            raise ApiError("IncompleteSignature", "Header %s is present but not signed." % name)
    for name in signed_set:
        if name not in headers:
            raise ApiError("IncompleteSignature", "Signed header %s is not in the request." % name)
    _check_time(headers["x-acs-date"].strip(), now)
    payload_hash = hashlib.sha256(body).hexdigest()
    if headers["x-acs-content-sha256"].strip() != payload_hash:
        raise ApiError("IncompleteSignature",
                       "x-acs-content-sha256 does not match the request body (expected %s)." % payload_hash)
    auth.key_id = fields["Credential"]
    key = _check_key(state, auth.key_id)
    auth.canonical_request = v3_canonical_request(method, uri, query_pairs, headers, signed, payload_hash)
    auth.string_to_sign = v3_string_to_sign(auth.canonical_request)
    expected = v3_signature(key["secret"], auth.string_to_sign)
    if not hmac.compare_digest(_bytes(fields["Signature"]), expected.encode()):
        raise _sig_mismatch(auth.string_to_sign)
    _check_token(key, headers.get("x-acs-security-token"), now)
    if not state.check_nonce(auth.key_id, headers["x-acs-signature-nonce"].strip(), now):
        raise ApiError("SignatureNonceUsed")


def authenticate(state, method, uri, query_pairs, params, headers, body, now):
    """Return an Auth; auth.error is set when the request must be rejected."""
    auth = Auth()
    try:
        if headers.get("authorization", "").strip().startswith("ACS3-"):
            auth.version = "v3"
            auth_v3(state, auth, method, uri, query_pairs, headers, body, now)
        else:
            auth.version = "v1"
            auth_v1(state, auth, method, params, now)
    except ApiError as e:
        auth.error = e
    return auth


# ---------------------------------------------------------------------------------------------
# The action
# ---------------------------------------------------------------------------------------------

_TOKEN_KEY = b"ecs-emulator next-token key"
_TOKEN_PREFIX = "AAAAA"
_ODD_TOKEN_PREFIX = "AAAA+/"


def make_next_token(region, os_type, offset, odd=False):
    """Opaque, tamper-evident token for the page starting at `offset`."""
    payload = "%d:%s:%s" % (offset, region, (os_type or "").lower())
    tag = hmac.new(_TOKEN_KEY, payload.encode(), hashlib.sha256).hexdigest()[:10]
    data = (payload + ":" + tag).encode()
    if odd:  # characters that need percent-encoding: '+', '/', '='
        return _ODD_TOKEN_PREFIX + base64.b64encode(data).decode()
    return _TOKEN_PREFIX + base64.urlsafe_b64encode(data).decode().rstrip("=")


def parse_next_token(token, region, os_type):
    """Offset encoded in a token from make_next_token, or ApiError InvalidParameter.NextToken."""
    bad = ApiError("InvalidParameter.NextToken")
    try:
        if token.startswith(_ODD_TOKEN_PREFIX):
            data = base64.b64decode(token[len(_ODD_TOKEN_PREFIX):], validate=True)
        elif token.startswith(_TOKEN_PREFIX):
            body = token[len(_TOKEN_PREFIX):]
            data = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        else:
            raise bad
        offset, tok_region, tok_os, tag = data.decode().split(":")
    except (ValueError, UnicodeDecodeError):
        raise bad from None
    payload = "%s:%s:%s" % (offset, tok_region, tok_os)
    good = hmac.new(_TOKEN_KEY, payload.encode(), hashlib.sha256).hexdigest()[:10]
    if not hmac.compare_digest(_bytes(tag), good.encode()):
        raise bad
    if tok_region != region or tok_os != (os_type or "").lower():
        raise bad
    return int(offset)


# A server whose paging misbehaves (page_loop, page_overlap): tokens "LOOP-k-REGION", where k
# counts the pages reached through a token; not tamper-evident, they only have to differ.
_LOOP_PREFIX = "LOOP-"

# Display attacks in server text (hostile_text): CSI as U+009B (a JSON escape), a raw 0x9B byte
# (invalid UTF-8 on the wire; carried here as the lone surrogate U+DC9B and put on the wire by
# _send), RIGHT-TO-LEFT OVERRIDE U+202E, RIGHT-TO-LEFT ISOLATE U+2067 and ESC.
HOSTILE_TEXT = "\u009b31m\udc9b2J\u202egpj\u2067\x1b[0m"
_RAW_BYTE_MARK = b"\\udc9b"   # how json.dumps writes U+DC9B


def _loop_page(params, region, cfg, total):
    """(offset, next_token) of a page in page_loop mode: the page reached through token k is
    followed by token k+1, and token N by token 1 again (A->B->...->A); the page of token k
    starts at k*MaxResults, wrapping around the region."""
    max_results = _int_param(params, "MaxResults", "InvalidParameter.MaxResults", 1, 50, 10)
    token = params.get("NextToken") or ""
    k = 0
    if token:
        m = re.fullmatch(re.escape(_LOOP_PREFIX) + r"([0-9]{1,6})-" + re.escape(region), token)
        if not m:
            raise ApiError("InvalidParameter.NextToken")
        k = int(m.group(1))
    nxt = k + 1 if k < cfg["page_loop"] else 1
    return (k * max_results) % max(total, 1), max_results, "%s%d-%s" % (_LOOP_PREFIX, nxt, region)


def _int_param(params, name, code, lo, hi, default):
    text = params.get(name)
    if text is None or text == "":
        return default
    if not re.fullmatch(r"[0-9]{1,9}", text) or not lo <= int(text) <= hi:
        raise ApiError(code)
    return int(text)


_INSTANCE_KEY_RE = re.compile(r"InstanceId\.([1-9][0-9]{0,8})")


def describe(params, now, cfg):
    """DescribeCloudAssistantStatus on the fixtures -> response dict (raises ApiError)."""
    region = params.get("RegionId")
    if not region:
        raise ApiError("MissingParameter.RegionId")
    if region not in fixtures.REGIONS:
        raise ApiError("InvalidRegionId.NotFound")

    ids = []
    for name, value in params.items():
        if not name.startswith("InstanceId."):
            continue
        m = _INSTANCE_KEY_RE.fullmatch(name)
        if not m:
            raise ApiError("InvalidParameter", "The specified parameter %s is not valid "
                           "(InstanceId.N is 1-based)." % name)
        if int(m.group(1)) > cfg["max_ids"]:
            raise ApiError("InstanceIds.ExceedLimit")
        if value.strip() == "":
            raise ApiError("MissingParam.InstanceId")
        ids.append(value)
    if len(ids) > cfg["max_ids"]:
        raise ApiError("InstanceIds.ExceedLimit")

    os_type = params.get("OSType") or None
    if os_type is not None and os_type.lower() not in ("windows", "linux", "freebsd"):
        raise ApiError("InvalidParameter.OSType")

    if ids and cfg["not_found"] == "error":
        # Like a server that fails the whole batch when one id no longer exists.
        known = {it["InstanceId"] for it in fixtures.select(region, now, ids)}
        if any(i not in known for i in ids):
            raise ApiError("InvalidInstance.NotFound")
    items = fixtures.select(region, now, ids or None, os_type, all_up=cfg.get("_agents_up", False))
    total = len(items)
    next_token = ""
    if ids:
        # Paging parameters are ignored with InstanceId; the set follows fixture order.
        page_number, page_size, page = 1, len(ids), items
    elif cfg["page_loop"] and (params.get("MaxResults") or params.get("NextToken")):
        offset, max_results, next_token = _loop_page(params, region, cfg, total)
        page = items[offset:offset + max_results]
        page_number, page_size = offset // max_results + 1, max_results
    elif params.get("MaxResults") not in (None, "") or params.get("NextToken") not in (None, ""):
        max_results = _int_param(params, "MaxResults", "InvalidParameter.MaxResults", 1, 50, 10)
        token = params.get("NextToken") or ""
        offset = parse_next_token(token, region, os_type) if token else 0
        if offset > total:
            raise ApiError("InvalidParameter.NextToken")
        page = items[offset:offset + max_results]
        step = max_results - 1 if cfg["page_overlap"] and max_results > 1 else max_results
        if offset + max_results < total:
            next_token = make_next_token(region, os_type, offset + step, cfg["odd_next_token"])
        page_number, page_size = offset // max_results + 1, max_results
    else:
        page_size = _int_param(params, "PageSize", "InvalidParam.PageSize", 1, 50, 10)
        page_number = _int_param(params, "PageNumber", "InvalidParam.PageNumber", 1, 10 ** 9, 1)
        start = (page_number - 1) * page_size
        page = items[start:start + page_size]

    item_key, status_key = "InstanceCloudAssistantStatus", "CloudAssistantStatus"
    if cfg["misspelled"]:
        item_key, status_key = "InstanceCloudAssitantStatus", "CloudAssitantStatus"
    out_items = []
    for it in page:
        o = {}
        for k, v in it.items():
            if k == "CloudAssistantStatus":
                if cfg["bool_status"]:
                    v = (v == "true")
                elif cfg["title_status"]:
                    v = v.title()
                k = status_key
            elif k == "CloudAssistantVersion" and (cfg["hostile_text"] or cfg["odd_versions"]):
                if cfg["odd_versions"]:
                    v = fixtures.odd_version(v)
                if cfg["hostile_text"]:
                    v = (v or "1.0") + HOSTILE_TEXT
            o[k] = v
        out_items.append(o)
    return {
        "TotalCount": total,
        "PageNumber": page_number,
        "PageSize": page_size,
        "NextToken": next_token,
        "InstanceCloudAssistantStatusSet": {item_key: out_items},
    }


def describe_regions(params):
    """DescribeRegions: every region of the fixtures, in fixture order.  AcceptLanguage zh-CN
    (default), en-US or ja picks LocalName; RegionId, InstanceChargeType and ResourceType are
    accepted and ignored, as the real call ignores them for this list."""
    lang = params.get("AcceptLanguage") or "zh-CN"
    if lang not in ("zh-CN", "en-US", "ja"):
        raise ApiError("InvalidParameter", "The specified parameter AcceptLanguage is not valid.")
    return {"Regions": {"Region": [
        {"RegionId": r, "LocalName": fixtures.region_name(r, lang),
         "RegionEndpoint": "ecs.%s.aliyuncs.com" % r} for r in fixtures.REGIONS]}}


# ---------------------------------------------------------------------------------------------
# HTTP
# ---------------------------------------------------------------------------------------------

def _jsonable(s):
    return s.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ecs-emulator/1.0"
    sys_version = ""
    timeout = 30  # idle keep-alive connections are closed after this many seconds
    disable_nagle_algorithm = True

    def setup(self):
        super().setup()
        self.api_count = 0      # API requests on this connection
        self._note = None       # (action, params) of the request being answered, for the log
        self.now = None         # emulator clock for the current request

    @property
    def state(self):
        return self.server.state

    # Every method (GET, POST, PUT, HEAD, FOO, ...) goes to dispatch, so unknown methods get a JSON
    # UnsupportedHTTPMethod instead of http.server's HTML 501.
    def __getattr__(self, name):
        if name.startswith("do_"):
            return self.dispatch
        raise AttributeError(name)

    def date_time_string(self, timestamp=None):
        if timestamp is None:
            timestamp = self.now if self.now is not None else self.state.now()
        return email.utils.formatdate(timestamp, usegmt=True)

    def log_request(self, code="-", size="-"):
        pass  # we log our own line in _finish_log

    def log_message(self, fmt, *args):
        if self.server.log:
            sys.stderr.write("ecs-emulator: %s %s\n" % (self.client_address[0], fmt % args))

    def _finish_log(self, status, code):
        note = getattr(self, "_note", None)
        if note is not None:
            self._note = None
            with self.state.lock:
                self.state.note(note[0], note[1], status)
        if self.server.log:
            sig = getattr(self, "_sig", None) or "-"
            sys.stderr.write("ecs-emulator: %s \"%s\" %s %s sig=%s\n"
                             % (self.client_address[0], self.requestline, status, code or "OK", sig))

    # -- responses --------------------------------------------------------------------------
    def _send(self, status, body_obj, extra_headers=(), request_id=None):
        body = json.dumps(body_obj, separators=(",", ":")).encode()
        if self.state.config["hostile_text"]:
            body = body.replace(_RAW_BYTE_MARK, b"\x9b")
        if getattr(self, "request_version", "HTTP/0.9") == "HTTP/0.9":
            self.request_version = "HTTP/1.1"   # garbage/0.9 request lines still get a status line
            self.close_connection = True
        self.send_response(status)
        self.send_header("Content-Type", "application/json;charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        if request_id:
            self.send_header("x-acs-request-id", request_id)
        for k, v in extra_headers:
            self.send_header(k, v)
        self.send_header("Connection", "close" if self.close_connection else "keep-alive")
        # Head and body in one write: one TLS record / TCP segment for small answers.
        self._headers_buffer.append(b"\r\n")
        if self.command != "HEAD":
            self._headers_buffer.append(body)
        self.flush_headers()

    def _scripted(self, e):
        """One scripted answer: raw body as given; drop = close without a byte; cut = headers
        and the first half of the body, then FIN; reset = the same, then RST."""
        body = e["body"].encode("utf-8", "surrogateescape")
        with self.state.lock:
            self.state.scripted += 1
        if e["kind"] == "drop":
            self._finish_log("-", "(scripted drop)")
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        self.send_response(e["status"])
        self.send_header("Content-Type", "application/json;charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        for k, v in e["headers"]:
            self.send_header(k, v)
        self.send_header("Connection", "keep-alive")
        self._headers_buffer.append(b"\r\n")
        if e["kind"] == "answer":
            self._headers_buffer.append(body)
            self.flush_headers()
            self._finish_log(e["status"], "(scripted)")
            return
        self._headers_buffer.append(body[:len(body) // 2])
        self.flush_headers()
        self.wfile.flush()
        self._finish_log(e["status"], "(scripted %s)" % e["kind"])
        self.close_connection = True
        try:
            if e["kind"] == "reset":
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                           struct.pack("ii", 1, 0))
                self.connection.close()
            else:
                self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _send_error(self, err, count=True):
        request_id = str(uuid.uuid4()).upper()
        body = {
            "RequestId": request_id,
            "HostId": "ecs.aliyuncs.com",
            "Code": err.code,
            "Message": err.message + (HOSTILE_TEXT if self.state.config["hostile_text"] else ""),
            "Recommend": "https://api.aliyun.com/troubleshoot?q=%s&product=Ecs&requestId=%s"
                         % (urllib.parse.quote(err.code), request_id),
        }
        with self.state.lock:
            ra = self.state.config["retry_after_ms"]
        ra = RETRY_AFTER_MS if ra is None else str(ra)
        extra = [("x-acs-retry-after", ra)] if err.code.startswith("Throttling") else []
        if count:
            with self.state.lock:
                self.state.errors[err.code] += 1
        self._send(err.status, body, extra, request_id)
        self._finish_log(err.status, err.code)

    def send_error(self, code, message=None, explain=None):
        """http.server's own parse errors (bad request line, huge headers, ...): JSON, then close."""
        self.close_connection = True
        if not hasattr(self, "command") or self.command is None:
            self.command = "GET"
        if not hasattr(self, "requestline"):
            self.requestline = ""
        with self.state.lock:
            self.state.requests += 1
        name = "RequestEntityTooLarge" if code == 413 else "BadRequest"
        try:
            self._send_error(ApiError(name, message or ERRORS[name][1], code if code >= 400 else 400))
        except OSError:
            pass

    def _control_reply(self, status, obj):
        self._send(status, obj)

    # -- body -------------------------------------------------------------------------------
    def _read_body(self):
        """Request body bytes; raises ApiError (connection then closes) on bad framing."""
        te = self.headers.get("Transfer-Encoding")
        cl = self.headers.get("Content-Length")
        if te is not None:
            if te.strip().lower() != "chunked" or cl is not None:
                self.close_connection = True
                raise ApiError("BadRequest", "Unsupported Transfer-Encoding.")
            return self._read_chunked()
        if cl is None:
            return b""
        if not re.fullmatch(r"[0-9]{1,12}", cl.strip()):
            self.close_connection = True
            raise ApiError("BadRequest", "Invalid Content-Length.")
        n = int(cl)
        if n > MAX_BODY:
            self.close_connection = True
            raise ApiError("RequestEntityTooLarge")
        body = self.rfile.read(n)
        if len(body) != n:
            self.close_connection = True
            raise ConnectionError("short body")
        return body

    def _read_chunked(self):
        body = b""
        while True:
            line = self.rfile.readline(1024)
            size_text = line.split(b";", 1)[0].strip()
            if not re.fullmatch(rb"[0-9a-fA-F]{1,8}", size_text):
                self.close_connection = True
                raise ApiError("BadRequest", "Malformed chunk size.")
            size = int(size_text, 16)
            if size == 0:
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return body
            if len(body) + size > MAX_BODY:
                self.close_connection = True
                raise ApiError("RequestEntityTooLarge")
            body += self.rfile.read(size)
            self.rfile.readline(1024)

    # -- dispatch ---------------------------------------------------------------------------
    def dispatch(self):
        self._sig = None
        target = self.path
        if target.startswith(("http://", "https://")):  # absolute-form request target
            parts = urllib.parse.urlsplit(target)
            target = (parts.path or "/") + ("?" + parts.query if parts.query else "")
        path, _, raw_query = target.partition("?")
        if path.startswith("/__emu/"):
            return self.control(path)
        self.now = None
        try:
            body = self._read_body()
        except ApiError as e:
            with self.state.lock:
                self.state.requests += 1
            return self._send_error(e)
        except (ConnectionError, socket.timeout):
            self.close_connection = True
            return
        self.handle_api(path, raw_query, body)

    def handle_api(self, path, raw_query, body):
        try:
            self._handle_api(path, raw_query, body)
        finally:
            with self.state.lock:
                self.state.in_flight -= 1

    def _handle_api(self, path, raw_query, body):
        st = self.state
        self.api_count += 1
        with st.lock:
            st.requests += 1
            # a connection kept across a stats reset counts as a new one after it
            if self.api_count == 1 or getattr(self, "conn_epoch", None) is not st.per_connection:
                st.connections += 1
                self.conn_index = len(st.per_connection)
                self.conn_epoch = st.per_connection
                st.per_connection.append(0)
            st.per_connection[self.conn_index] += 1
            st.in_flight += 1
            st.max_in_flight = max(st.max_in_flight, st.in_flight)
            st.max_per_conn = max(st.max_per_conn, self.api_count)
            cfg = dict(st.config)
        self.now = now = int(st.now())
        method = self.command

        # Headers: lower-case names; repeated headers joined with ','.  http.server decodes header
        # bytes as latin-1; turn them back into the UTF-8 view used for signing.
        headers = {}
        for name, value in self.headers.items():
            value = value.encode("latin-1", "replace").decode("utf-8", "surrogateescape")
            n = name.lower()
            headers[n] = headers[n] + "," + value if n in headers else value

        # http.server decoded the request line as latin-1: back to the bytes on the wire.
        query_pairs = parse_pairs(raw_query.encode("latin-1", "replace"))
        form_pairs = []
        ctype = headers.get("content-type", "").split(";")[0].strip().lower()
        if method == "POST" and ctype == "application/x-www-form-urlencoded":
            form_pairs = parse_pairs(body)
        params, dup = {}, None
        for k, v in query_pairs + form_pairs:
            if k in params:
                dup = k
            params[k] = v

        auth = None
        early = None
        self._note = (params.get("Action") or headers.get("x-acs-action", "").strip() or None, params)
        if headers.get("authorization", "").strip().startswith("ACS3-"):
            action = headers.get("x-acs-action", "").strip()
        else:
            action = params.get("Action", "")
        if method not in ("GET", "POST"):
            early = ApiError("UnsupportedHTTPMethod")
        elif path != "/":
            early = ApiError("InvalidAction.NotFound")
        elif dup is not None:
            early = ApiError("InvalidParameter", "Parameter %s is given more than once." % dup)
        elif action == "AssumeRoleWithOIDC":
            return self.handle_sts(action, params, None, now, False)   # anonymous: no signature
        else:
            auth = authenticate(st, method, path, query_pairs, params, headers, body, now)
            self._sig = auth.version

        with st.lock:
            st.last_request = {
                "method": method,
                "path": _jsonable(self.path),
                "query": {_jsonable(k): _jsonable(v) for k, v in query_pairs},
                "form": {_jsonable(k): _jsonable(v) for k, v in form_pairs},
                "headers": {k: _jsonable(v) for k, v in headers.items()},
                "body": _jsonable(body[:4096].decode("utf-8", "surrogateescape")),
                "signature_version": auth.version if auth else None,
                "server_string_to_sign": auth.string_to_sign if auth else None,
                "server_canonical_request": auth.canonical_request if auth else None,
            }
            hits = {}
            for name in _FAULTS:
                every = cfg[name]
                if every:
                    st.fault_counters[name] += 1
                    hits[name] = st.fault_counters[name] % every == 0

        if cfg["delay_ms"]:
            time.sleep(cfg["delay_ms"] / 1000.0)

        if hits.get("drop_every"):
            with st.lock:
                st.dropped += 1
            self._finish_log("-", "(dropped)")
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        if early is None and auth.error is None:
            with st.lock:
                entry = st.config["script"].pop(0) if st.config["script"] else None
            if entry is not None:
                return self._scripted(entry)
        if cfg["force_error"]:
            code, status = parse_forced_error(cfg["force_error"])
            msg = ERRORS.get(code, (status, "Forced error %s." % code))[1]
            if code == "SignatureDoesNotMatch" and auth and auth.string_to_sign:
                msg += auth.string_to_sign
            return self._send_error(ApiError(code, msg, status))
        if hits.get("throttle_every"):
            return self._send_error(ApiError("Throttling.User"))
        if hits.get("error_every"):
            return self._send_error(ApiError("ServiceUnavailable"))
        if early is not None:
            return self._send_error(early)
        if auth.error is not None:
            return self._send_error(auth.error)
        if action == "AssumeRole":
            token_sent = params.get("SecurityToken") or headers.get("x-acs-security-token")
            return self.handle_sts(action, params, auth, now, token_sent)
        try:
            if auth.action == REGIONS_ACTION:
                result = describe_regions(params)
            else:
                cfg["_agents_up"] = st.agents_up(cfg)
                result = describe(params, now, cfg)
        except ApiError as e:
            return self._send_error(e)
        request_id = str(uuid.uuid4()).upper()
        with st.lock:
            st.ok += 1
        self._send(200, dict([("RequestId", request_id)] + list(result.items())), (), request_id)
        self._finish_log(200, None)

    def handle_sts(self, action, params, auth, now, token_sent):
        """STS mode (sts_emulator): AssumeRole after the signature check, or AssumeRoleWithOIDC."""
        st = self.state
        sts_emulator.record(st, action, params, auth.version if auth else None,
                            auth.key_id if auth else None, token_sent)
        try:
            if action == "AssumeRole":
                result = sts_emulator.assume_role(st, params, auth.key_id, now)
            else:
                result = sts_emulator.assume_role_with_oidc(st, params, now)
        except sts_emulator.StsError as e:
            return self._send_error(ApiError(e.code, e.message, e.status))
        request_id = str(uuid.uuid4()).upper()
        with st.lock:
            st.ok += 1
        self._send(200, dict([("RequestId", request_id)] + list(result.items())), (), request_id)
        self._finish_log(200, action)

    # -- control API ------------------------------------------------------------------------
    def control(self, path):
        st = self.state
        try:
            body = self._read_body()
        except (ApiError, ConnectionError, socket.timeout):
            self.close_connection = True
            return
        self.now = None
        if path == "/__emu/stats" and self.command == "GET":
            return self._control_reply(200, st.snapshot())
        if path == "/__emu/config" and self.command == "GET":
            with st.lock:
                cfg = dict(st.config)
            return self._control_reply(200, cfg)
        if path == "/__emu/reset" and self.command == "POST":
            st.reset()
            return self._control_reply(200, {"reset": True})
        if path == "/__emu/config" and self.command == "POST":
            try:
                changes = json.loads(body.decode() or "{}")
                if not isinstance(changes, dict):
                    raise ValueError("body must be a JSON object")
                with st.lock:
                    st.apply_config(changes)
                    cfg = dict(st.config)
            except (ValueError, UnicodeDecodeError) as e:
                return self._control_reply(400, {"error": str(e)})
            return self._control_reply(200, cfg)
        return self._control_reply(404, {"error": "unknown control endpoint %s %s" % (self.command, path)})


class Server(ThreadingHTTPServer):
    daemon_threads = True    # never joined: SIGTERM does not wait for idle keep-alive connections
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, addr, state, ssl_ctx, log, idle_timeout):
        self.state = state
        self.ssl_ctx = ssl_ctx
        self.log = log
        handler = type("BoundHandler", (Handler,), {"timeout": idle_timeout})
        super().__init__(addr, handler)

    def finish_request(self, request, client_address):
        # Runs in the connection's own thread: the TLS handshake happens here, not in the accept
        # loop, so a stuck client cannot block other connections.
        with self.state.lock:
            self.state.tcp_connections += 1
        if self.ssl_ctx is None:
            return super().finish_request(request, client_address)
        request.settimeout(10)
        try:
            tls = self.ssl_ctx.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError) as e:
            if self.log:
                sys.stderr.write("ecs-emulator: %s TLS handshake failed: %s\n" % (client_address[0], e))
            return
        try:
            self.RequestHandlerClass(tls, client_address, self)
        finally:
            try:
                tls.close()
            except OSError:
                pass

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        if isinstance(exc, OSError):   # resets, TLS EOFs, timeouts: the client's business
            return
        sys.stderr.write("ecs-emulator: internal error on a connection from %s:\n" % (client_address,))
        traceback.print_exc()


def write_port_file(path, port):
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.replace(tmp, path)


def main(argv=None):
    p = argparse.ArgumentParser(description="ECS DescribeCloudAssistantStatus emulator")
    p.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1 (0 = pick a free one)")
    p.add_argument("--port-file", help="write the port number here (atomically) once listening")
    p.add_argument("--cert", help="server certificate chain (PEM)")
    p.add_argument("--key", help="server private key (PEM)")
    p.add_argument("--http", action="store_true", help="serve plain HTTP instead of TLS")
    p.add_argument("--tls-max", choices=("1.2", "1.3"), help="highest TLS version offered")
    p.add_argument("--creds", help='JSON {"keys":[{"id":..,"secret":..,"sts_token":null|".."}]}')
    p.add_argument("--log", action="store_true", help="one line per request on stderr")
    p.add_argument("--idle-timeout", type=float, default=30, help="close idle connections after S seconds")
    p.add_argument("--throttle-every", type=int, default=0)
    p.add_argument("--error-every", type=int, default=0)
    p.add_argument("--drop-every", type=int, default=0)
    p.add_argument("--delay-ms", type=int, default=0)
    p.add_argument("--skew-seconds", type=float, default=0)
    p.add_argument("--force-error", help="answer every API request with CODE (or CODE:STATUS)")
    p.add_argument("--max-ids", type=int, default=DEFAULT_MAX_IDS)
    p.add_argument("--not-found", choices=("error", "absent"), default=None,
                   help="error: 404 InvalidInstance.NotFound for a batch holding an unknown id")
    p.add_argument("--bool-status", action="store_true", help="CloudAssistantStatus as JSON true/false")
    p.add_argument("--title-status", action="store_true", help='CloudAssistantStatus as "True"/"False"')
    p.add_argument("--misspelled", action="store_true",
                   help="item key InstanceCloudAssitantStatus, field CloudAssitantStatus")
    p.add_argument("--odd-next-token", action="store_true", help="NextToken values containing + / =")
    p.add_argument("--page-loop", type=int, default=0,
                   help="NextTokens cycle through N tokens (A->B->...->A) and never end")
    p.add_argument("--page-overlap", action="store_true",
                   help="each NextToken page repeats the last instance of the page before")
    p.add_argument("--hostile-text", action="store_true",
                   help="C1, bidi and ESC characters (and a raw 0x9B byte) in versions and error messages")
    p.add_argument("--odd-versions", action="store_true",
                   help="CloudAssistantVersion with a quote, backslash, newline, non-ASCII, bidi control")
    p.add_argument("--agents-up-after", type=float, default=0, metavar="S",
                   help="agents that are down come up S seconds after start (or reset)")
    p.add_argument("--sts-lifetime", type=int, default=0,
                   help="STS mode: temporary keys live S seconds (0 = DurationSeconds)")
    p.add_argument("--sts-expired", action="store_true", help="STS mode: answer already expired keys")
    p.add_argument("--oidc-token", default=sts_emulator.DEFAULT_OIDC_TOKEN,
                   help="STS mode: the one OIDC token AssumeRoleWithOIDC accepts")
    a = p.parse_args(argv)

    try:
        keys = load_keys(a.creds)
        config = {name: getattr(a, name) for name in CONFIG_DEFAULTS if hasattr(a, name)}
        state = State(keys, config)
    except (OSError, ValueError, KeyError) as e:
        p.error(str(e))

    ssl_ctx = None
    if not a.http:
        if not a.cert or not a.key:
            p.error("--cert and --key are required unless --http is given")
        ssl_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ssl_ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        if a.tls_max == "1.2":
            ssl_ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        ssl_ctx.load_cert_chain(a.cert, a.key)

    # Hand the GIL over sooner than the default 5 ms: with many connections at once, a handler
    # thread that waits 5 ms for it per switch adds latency no real server has.
    sys.setswitchinterval(0.0005)
    server = Server(("127.0.0.1", a.port), state, ssl_ctx, a.log, a.idle_timeout)
    port = server.server_address[1]

    def stop(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    if a.port_file:
        write_port_file(a.port_file, port)
    if a.log:
        sys.stderr.write("ecs-emulator: listening on %s://127.0.0.1:%d\n" % ("http" if a.http else "https", port))
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
