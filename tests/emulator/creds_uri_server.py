#!/usr/bin/env python3
"""A credentials-URI server (ALIBABA_CLOUD_CREDENTIALS_URI): GET on any path answers
{"Code":"Success","AccessKeyId":..,"AccessKeySecret":..,"SecurityToken":..,"Expiration":..}
with the ECS emulator's STS key (or the first key with an sts_token of --creds), so the ECS call
signed with it is accepted.  Plain HTTP on 127.0.0.1, standard library only.  README.md beside
this file lists the switches.
"""

import argparse
import json
import os
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DEFAULT_STS = {"id": "STS.testid", "secret": "sts+/=&%~* secret", "sts_token": "tok/en+=&%"}
CONFIG_DEFAULTS = {"code": "Success", "status": 200, "bad_json": False, "huge": False,
                   "expires_in": 3600, "omit": None}


def iso(ts):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(ts)))


class State:
    def __init__(self, key):
        self.lock = threading.Lock()
        self.key = key
        self.config = dict(CONFIG_DEFAULTS)
        self.requests = 0
        self.last_path = None

    def document(self):
        cfg = self.config
        if cfg["huge"]:
            return json.dumps({"Code": "Success", "Padding": "x" * 40000}).encode()
        doc = {"Code": cfg["code"], "AccessKeyId": self.key["id"],
               "AccessKeySecret": self.key["secret"], "SecurityToken": self.key["sts_token"],
               "Expiration": iso(time.time() + cfg["expires_in"]),
               "LastUpdated": iso(time.time())}
        if cfg["omit"]:
            doc.pop(cfg["omit"], None)
        body = json.dumps(doc).encode()
        return body[: len(body) // 2] if cfg["bad_json"] else body


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "creds-uri/1.0"
    sys_version = ""
    timeout = 30

    def log_message(self, fmt, *args):
        pass

    def reply(self, status, body):
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        st = self.server.state
        if self.path == "/__emu/stats":
            with st.lock:
                snap = {"requests": st.requests, "last_path": st.last_path,
                        "config": dict(st.config)}
            return self.reply(200, json.dumps(snap).encode())
        with st.lock:
            st.requests += 1
            st.last_path = self.path
            status, body = st.config["status"], st.document()
        self.reply(status, body)

    def do_POST(self):
        st = self.server.state
        n = int(self.headers.get("Content-Length", "0") or 0)
        body = self.rfile.read(n)
        if self.path == "/__emu/reset":
            with st.lock:
                st.requests = 0
                st.last_path = None
            return self.reply(200, b'{"reset":true}')
        if self.path != "/__emu/config":
            return self.reply(404, b'{"error":"not found"}')
        try:
            changes = json.loads(body or b"{}")
            with st.lock:
                for k, v in changes.items():
                    if k not in CONFIG_DEFAULTS:
                        raise ValueError("unknown config key %r" % k)
                    st.config[k] = v
                cfg = dict(st.config)
        except ValueError as e:
            return self.reply(400, json.dumps({"error": str(e)}).encode())
        self.reply(200, json.dumps(cfg).encode())


def main(argv=None):
    p = argparse.ArgumentParser(description="credentials-URI server")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--port-file")
    p.add_argument("--creds", help="hand out the first key with an sts_token of this ECS emulator creds file")
    p.add_argument("--expires-in", type=int, default=3600, help="Expiration = now + S seconds")
    a = p.parse_args(argv)
    key = DEFAULT_STS
    if a.creds:
        with open(a.creds, encoding="utf-8") as f:
            key = next(k for k in json.load(f)["keys"] if k.get("sts_token"))
    server = ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    server.daemon_threads = True
    server.state = State(key)
    server.state.config["expires_in"] = a.expires_in

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
