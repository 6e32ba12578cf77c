"""STS (2015-04-01) mode of the ECS emulator: AssumeRole (signed, RPC v1 or V3, checked by the
ECS emulator's own signature code) and the anonymous AssumeRoleWithOIDC.  The temporary keys it
hands out go into the ECS emulator's key table with their SecurityToken and an expiry, so the
ECS call signed with them is accepted until they expire (then InvalidSecurityToken.Expired).

Imported by ecs_emulator.py; standard library only.  See README.md beside this file.
"""

import re
import secrets
import time

STS_VERSION = "2015-04-01"
ACTIONS = ("AssumeRole", "AssumeRoleWithOIDC")
ACCOUNT = "1234567890123456"
ROLE_RE = re.compile(r"acs:ram::([0-9]{1,20}):role/([A-Za-z0-9._-]{1,64})")
OIDC_PROVIDER_RE = re.compile(r"acs:ram::([0-9]{1,20}):oidc-provider/([A-Za-z0-9._-]{1,128})")
SESSION_RE = re.compile(r"[A-Za-z0-9.@_-]{2,64}")
DEFAULT_OIDC_TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJlbXVsYXRvciJ9.ZW11bGF0b3Itc2ln"
# Roles that exist, and what they need.  "denied" exists but trusts nobody.
ROLES = ("ops", "ops2", "ops3", "oidc-role", "needs-external-id", "denied")
EXTERNAL_ID = "ext-42"

# code -> (HTTP status, message); real STS codes (the OIDC token one: no primary source, our
# choice, see README).
ERRORS = {
    "InvalidParameter.RoleArn": (400, "The parameter RoleArn is wrongly formed."),
    "EntityNotExist.Role": (404, "The role not exists: %s."),
    "InvalidParameter.DurationSeconds": (400, "The Min/Max value of DurationSeconds is 15min/1hr."),
    "InvalidParameter.RoleSessionName": (400, "The parameter RoleSessionName is wrongly formed."),
    "MissingRoleArn": (400, "RoleArn is mandatory for this action."),
    "MissingRoleSessionName": (400, "RoleSessionName is mandatory for this action."),
    "NoPermission": (403, "You are not authorized to do this action. You should be authorized by RAM."),
    "InvalidParameter.OIDCProviderArn": (400, "The parameter OIDCProviderArn is wrongly formed."),
    "AuthenticationFail.OIDCToken.Invalid": (400, "The OIDCToken is invalid."),
    "MissingOIDCToken": (400, "OIDCToken is mandatory for this action."),
}

CONFIG_DEFAULTS = {"sts_lifetime": 0, "sts_expired": False, "oidc_token": DEFAULT_OIDC_TOKEN}


def iso(ts):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(ts)))


class StsError(Exception):
    def __init__(self, code, *fmt):
        super().__init__(code)
        self.code = code
        self.status, msg = ERRORS[code]
        self.message = msg % fmt if fmt else msg


def _role(params):
    arn = params.get("RoleArn") or ""
    if not arn:
        raise StsError("MissingRoleArn")
    m = ROLE_RE.fullmatch(arn)
    if not m:
        raise StsError("InvalidParameter.RoleArn")
    if m.group(1) != ACCOUNT or m.group(2) not in ROLES:
        raise StsError("EntityNotExist.Role", arn)
    return m.group(2)


def _session_and_duration(params):
    session = params.get("RoleSessionName") or ""
    if not session:
        raise StsError("MissingRoleSessionName")
    if not SESSION_RE.fullmatch(session):
        raise StsError("InvalidParameter.RoleSessionName")
    text = params.get("DurationSeconds") or "3600"
    if not re.fullmatch(r"[0-9]{1,9}", text) or not 900 <= int(text) <= 3600:
        raise StsError("InvalidParameter.DurationSeconds")
    return session, int(text)


def issue(state, role, session, duration, now):
    """A new temporary key in the ECS emulator's key table; the STS answer for it."""
    cfg = state.config
    lifetime = cfg.get("sts_lifetime") or duration
    expires = int(now) + (-60 if cfg.get("sts_expired") else int(lifetime))
    key_id = "STS.emu" + secrets.token_hex(8)
    secret = "tmp+/=" + secrets.token_urlsafe(18)
    token = "CAIS" + secrets.token_urlsafe(48) + "+/="
    with state.lock:
        state.keys[key_id] = {"secret": secret, "sts_token": token, "expires": expires}
        state.sts_issued.append({"id": key_id, "secret": secret, "token": token, "role": role,
                                 "expires": expires})
        del state.sts_issued[:-200]
    return {
        "AssumedRoleUser": {"Arn": "acs:ram::%s:role/%s/%s" % (ACCOUNT, role, session),
                            "AssumedRoleId": "3%s:%s" % (secrets.randbelow(10 ** 16), session)},
        "Credentials": {"SecurityToken": token, "AccessKeyId": key_id, "AccessKeySecret": secret,
                        "Expiration": iso(expires)},
    }


def assume_role(state, params, caller_key_id, now):
    role = _role(params)
    session, duration = _session_and_duration(params)
    if role == "denied":
        raise StsError("NoPermission")
    if role == "needs-external-id" and params.get("ExternalId") != EXTERNAL_ID:
        raise StsError("NoPermission")
    return issue(state, role, session, duration, now)


def assume_role_with_oidc(state, params, now):
    role = _role(params)
    session, duration = _session_and_duration(params)
    provider = params.get("OIDCProviderArn") or ""
    if not OIDC_PROVIDER_RE.fullmatch(provider):
        raise StsError("InvalidParameter.OIDCProviderArn")
    token = params.get("OIDCToken") or ""
    if not token:
        raise StsError("MissingOIDCToken")
    if token != state.config.get("oidc_token"):
        raise StsError("AuthenticationFail.OIDCToken.Invalid")
    return issue(state, role, session, duration, now)


def record(state, action, params, sig, key_id, token_sent):
    """What the last STS call carried, for tests (never a secret: no token, no OIDC token)."""
    with state.lock:
        state.sts_requests += 1
        state.sts_last = {
            "action": action, "signature_version": sig, "key_id": key_id,
            "RoleArn": params.get("RoleArn"), "RoleSessionName": params.get("RoleSessionName"),
            "DurationSeconds": params.get("DurationSeconds"), "Policy": params.get("Policy"),
            "ExternalId": params.get("ExternalId"), "OIDCProviderArn": params.get("OIDCProviderArn"),
            "has_oidc_token": bool(params.get("OIDCToken")),
            "has_security_token": bool(token_sent),
        }
        state.sts_log.append(state.sts_last)
        del state.sts_log[:-200]
