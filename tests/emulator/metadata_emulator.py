#!/usr/bin/env python3
"""Emulator of the ECS instance metadata service (IMDS, normally http://100.100.100.200), just the
parts the RAM-role credential path uses (doc section 5).  Plain HTTP on 127.0.0.1, standard library
only.  The credentials it hands out are the STS key built into ecs_emulator.py, so the RAM-role path
works end to end.  See README.md beside this file.
"""

import argparse
import collections
import json
import os
import re
import secrets
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOKEN_HEADER = "X-aliyun-ecs-metadata-token"
TTL_HEADER = "X-aliyun-ecs-metadata-token-ttl-seconds"
CRED_PREFIX = "/latest/meta-data/ram/security-credentials"
MAX_TOKENS = 1000

# Must match the STS key built into ecs_emulator.DEFAULT_KEYS.
DEFAULT_STS = {"id": "STS.testid", "secret": "sts+/=&%~* secret", "sts_token": "tok/en+=&%"}


def iso(ts):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(ts)))


CONFIG_DEFAULTS = {"role": "EcsRamRoleTest", "require_token": False, "no_token_endpoint": False,
                   "expired": False, "bad_json": False, "code": "Success"}


class State:
    def __init__(self, config, sts_key):
        self.lock = threading.Lock()
        self.config = dict(CONFIG_DEFAULTS)
        self.config.update(config)
        self.sts_key = sts_key
        self.tokens = collections.OrderedDict()   # token -> expiry (Unix seconds)
        self.reset()

    def reset(self):
        with self.lock:
            self.counts = collections.Counter()
            self.last_headers = None
            self.last_path = None

    def new_token(self, ttl):
        token = secrets.token_urlsafe(32)
        with self.lock:
            self.tokens[token] = time.time() + ttl
            while len(self.tokens) > MAX_TOKENS:
                self.tokens.popitem(last=False)
        return token

    def token_ok(self, token):
        with self.lock:
            exp = self.tokens.get(token or "")
        return exp is not None and exp > time.time()

    def snapshot(self):
        with self.lock:
            return {
                "token_requests": self.counts["token"],
                "role_list_requests": self.counts["role_list"],
                "credential_requests": self.counts["credentials"],
                "unauthorized": self.counts["unauthorized"],
                "other_requests": self.counts["other"],
                "last_path": self.last_path,
                "last_headers": self.last_headers,
                "config": dict(self.config),
            }


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "metadata-emulator/1.0"
    sys_version = ""
    timeout = 30
    disable_nagle_algorithm = True

    def log_request(self, code="-", size="-"):
        if self.server.log:
            sys.stderr.write("metadata-emulator: \"%s\" %s\n" % (self.requestline, code))

    def log_message(self, fmt, *args):
        if self.server.log:
            sys.stderr.write("metadata-emulator: %s\n" % (fmt % args))

    def reply(self, status, body, ctype="text/plain"):
        if isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def read_body(self):
        n = self.headers.get("Content-Length", "0").strip()
        if not re.fullmatch(r"[0-9]{1,6}", n):
            self.close_connection = True
            return None
        return self.rfile.read(int(n))

    def do_PUT(self):
        st = self.server.state
        body = self.read_body()
        if body is None:
            return self.reply(400, "bad Content-Length")
        if self.path != "/latest/api/token":
            return self.reply(404, "404 - Not Found")
        with st.lock:
            st.counts["token"] += 1
            st.last_path = self.path
            st.last_headers = {k.lower(): v for k, v in self.headers.items()}
            cfg = dict(st.config)
        if cfg["no_token_endpoint"]:
            return self.reply(404, "404 - Not Found")
        ttl = (self.headers.get(TTL_HEADER) or "").strip()
        if not re.fullmatch(r"[0-9]{1,6}", ttl) or not 1 <= int(ttl) <= 21600:
            return self.reply(400, "invalid %s" % TTL_HEADER)
        return self.reply(200, st.new_token(int(ttl)))

    def do_POST(self):
        st = self.server.state
        body = self.read_body()
        if body is None:
            return self.reply(400, "bad Content-Length")
        if self.path == "/__emu/reset":
            st.reset()
            return self.reply(200, '{"reset":true}', "application/json")
        if self.path == "/__emu/config":
            try:
                changes = json.loads(body.decode() or "{}")
                if not isinstance(changes, dict):
                    raise ValueError("body must be a JSON object")
                for k, v in changes.items():
                    if k not in CONFIG_DEFAULTS:
                        raise ValueError("unknown config key %r" % k)
                    if k in ("role", "code"):
                        if not isinstance(v, str) or not v:
                            raise ValueError("%s must be a non-empty string" % k)
                    else:
                        changes[k] = bool(v)
                with st.lock:
                    st.config.update(changes)
                    cfg = dict(st.config)
            except (ValueError, UnicodeDecodeError) as e:
                return self.reply(400, json.dumps({"error": str(e)}), "application/json")
            return self.reply(200, json.dumps(cfg), "application/json")
        return self.reply(405, "405 - Method Not Allowed")

    def do_GET(self):
        st = self.server.state
        path = self.path.split("?", 1)[0]
        if path == "/__emu/stats":
            return self.reply(200, json.dumps(st.snapshot()), "application/json")
        with st.lock:
            st.last_path = self.path
            st.last_headers = {k.lower(): v for k, v in self.headers.items()}
            cfg = dict(st.config)
        if cfg["require_token"] and not st.token_ok(self.headers.get(TOKEN_HEADER)):
            with st.lock:
                st.counts["unauthorized"] += 1
            return self.reply(401, "401 - Unauthorized")
        if path in (CRED_PREFIX, CRED_PREFIX + "/"):
            with st.lock:
                st.counts["role_list"] += 1
            return self.reply(200, cfg["role"])
        if path.startswith(CRED_PREFIX + "/"):
            with st.lock:
                st.counts["credentials"] += 1
            if path[len(CRED_PREFIX) + 1:] != cfg["role"]:
                return self.reply(404, "404 - Not Found")
            return self.reply(200, self.credentials(cfg), "text/plain")
        with st.lock:
            st.counts["other"] += 1
        if path == "/latest/meta-data/region-id":
            return self.reply(200, "cn-hangzhou")
        if path == "/latest/meta-data/instance-id":
            return self.reply(200, "i-bp1emulatedinstance")
        return self.reply(404, "404 - Not Found")

    do_HEAD = do_GET

    def credentials(self, cfg):
        now = time.time()
        key = self.server.state.sts_key
        expiration = now - 3600 if cfg["expired"] else now + 6 * 3600
        doc = {
            "AccessKeyId": key["id"],
            "AccessKeySecret": key["secret"],
            "Expiration": iso(expiration),
            "SecurityToken": key["sts_token"],
            "LastUpdated": iso(now - 7 * 3600 if cfg["expired"] else now),
            "Code": cfg["code"],
        }
        text = json.dumps(doc, indent=2)   # the real service pretty-prints
        if cfg["bad_json"]:
            text = text[: len(text) // 2]
        return text


class Server(ThreadingHTTPServer):
    daemon_threads = True    # never joined: SIGTERM does not wait for idle keep-alive connections
    allow_reuse_address = True

    def __init__(self, addr, state, log):
        self.state = state
        self.log = log
        super().__init__(addr, Handler)

    def handle_error(self, request, client_address):
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)


def main(argv=None):
    p = argparse.ArgumentParser(description="ECS instance metadata service emulator")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--port-file")
    p.add_argument("--role", default=CONFIG_DEFAULTS["role"])
    p.add_argument("--require-token", action="store_true", help="GETs need a valid token (401 otherwise)")
    p.add_argument("--no-token-endpoint", action="store_true", help="PUT /latest/api/token answers 404")
    p.add_argument("--expired", action="store_true", help="Expiration in the past")
    p.add_argument("--bad-json", action="store_true", help="truncated credentials JSON")
    p.add_argument("--code", default="Success", help="value of Code in the credentials")
    p.add_argument("--creds", help="ecs_emulator --creds file: hand out its first key with an sts_token")
    p.add_argument("--log", action="store_true")
    a = p.parse_args(argv)

    sts_key = DEFAULT_STS
    if a.creds:
        with open(a.creds, encoding="utf-8") as f:
            keys = [k for k in json.load(f)["keys"] if k.get("sts_token")]
        if not keys:
            p.error("%s has no key with an sts_token" % a.creds)
        sts_key = keys[0]
    config = {"role": a.role, "require_token": a.require_token, "no_token_endpoint": a.no_token_endpoint,
              "expired": a.expired, "bad_json": a.bad_json, "code": a.code}
    server = Server(("127.0.0.1", a.port), State(config, sts_key), a.log)

    def stop(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    if a.port_file:
        tmp = "%s.tmp.%d" % (a.port_file, os.getpid())
        with open(tmp, "w") as f:
            f.write("%d\n" % server.server_address[1])
        os.replace(tmp, a.port_file)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
