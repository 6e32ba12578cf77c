#!/usr/bin/env python3
"""An HTTP CONNECT proxy for the transport tests (threads, bidirectional relay).

    connect_proxy.py [--auth USER:PASS] [--refuse CODE] [--refusal-close] [--log FILE]

Prints "port=<n>" on stdout.
  --auth USER:PASS  require "Proxy-Authorization: Basic base64(USER:PASS)"; otherwise answer
                    407 with Proxy-Authenticate: Basic realm="test"
  --refuse CODE     answer every CONNECT with CODE (e.g. 403)
  --refusal-close   close the connection after a refusal. Without it a refusal carries a
                    Content-Length body and the connection stays open (as squid does), so a
                    client that waits for EOF instead of parsing the response hangs.
  --empty-body      refusals carry no body (Content-Length: 0)
  --log FILE        one JSON line per CONNECT

GET /stats (origin-form, straight to the proxy) answers JSON:
  {"tunnels": <established>, "requests": <CONNECT requests>, "connects": [
     {"target", "request_line", "host_header", "auth_header_seen", "auth_ok", "status"}, ...]}
The password is never logged: only whether the header was seen and whether it matched.
"""

import argparse
import base64
import http
import json
import socket
import threading

import srvutil

LOCK = threading.Lock()
STATS = {"tunnels": 0, "requests": 0, "connects": []}


def relay(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    try:
        dst.shutdown(socket.SHUT_WR)
    except OSError:
        pass


class Proxy:
    def __init__(self, args):
        self.auth = None
        if args.auth:
            self.auth = "Basic " + base64.b64encode(args.auth.encode()).decode()
        self.refuse = args.refuse
        self.refusal_close = args.refusal_close
        self.empty_body = args.empty_body
        self.logf = open(args.log, "a") if args.log else None

    def log(self, entry):
        if self.logf:
            with LOCK:
                self.logf.write(json.dumps(entry) + "\n")
                self.logf.flush()

    def answer(self, conn, code, headers=(), body=b"", close=False):
        if code != 200 and self.empty_body:
            body = b""
        reason = http.HTTPStatus(code).phrase
        lines = ["HTTP/1.1 %d %s" % (code, reason)]
        lines += ["%s: %s" % h for h in headers]
        lines.append("Content-Length: %d" % len(body))
        if close:
            lines.append("Connection: close")
        conn.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + body)

    def __call__(self, conn, addr):
        conn.settimeout(60)
        buf = b""
        while True:
            head, buf = srvutil.read_head(conn, limit=16384, buf=buf)
            if head is None:
                return
            method, target, version, headers = srvutil.parse_head(head)
            if method == "GET" and target == "/stats":
                with LOCK:
                    body = json.dumps(STATS).encode()
                self.answer(conn, 200, [("Content-Type", "application/json")], body, close=True)
                return
            if method != "CONNECT":
                self.answer(conn, 405, body=b"CONNECT only\n", close=True)
                return
            got = srvutil.header(headers, "proxy-authorization")
            entry = {
                "target": target,
                "request_line": head.split(b"\r\n")[0].decode("latin-1"),
                "host_header": srvutil.header(headers, "host"),
                "auth_header_seen": got is not None,
                "auth_ok": None,
            }
            with LOCK:
                STATS["requests"] += 1
                STATS["connects"].append(entry)
            if self.auth is not None:
                entry["auth_ok"] = got is not None and self._auth_matches(got)
            if self.refuse:
                entry["status"] = self.refuse
                self.log(entry)
                self.answer(conn, self.refuse, [("Content-Type", "text/plain")],
                            b"refused by the test proxy\n", close=self.refusal_close)
                if self.refusal_close:
                    return
                continue
            if self.auth is not None and not entry["auth_ok"]:
                entry["status"] = 407
                self.log(entry)
                self.answer(conn, 407, [("Proxy-Authenticate", 'Basic realm="test"'),
                                        ("Content-Type", "text/plain")],
                            b"proxy authentication required\n", close=self.refusal_close)
                if self.refusal_close:
                    return
                continue
            host, _, port = target.rpartition(":")
            host = host.strip("[]")
            try:
                up = socket.create_connection((host, int(port)), timeout=5)
            except (OSError, ValueError) as e:
                entry["status"] = 502
                entry["error"] = str(e)
                self.log(entry)
                self.answer(conn, 502, body=b"upstream connect failed\n", close=True)
                return
            entry["status"] = 200
            self.log(entry)
            with LOCK:
                STATS["tunnels"] += 1
            conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            up.settimeout(None)
            conn.settimeout(None)
            if buf:
                up.sendall(buf)
            t = threading.Thread(target=relay, args=(up, conn), daemon=True)
            t.start()
            relay(conn, up)
            t.join(120)
            up.close()
            return

    def _auth_matches(self, value):
        scheme, _, cred = value.strip().partition(" ")
        return scheme.lower() == "basic" and "Basic " + cred.strip() == self.auth


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--auth")
    ap.add_argument("--refuse", type=int)
    ap.add_argument("--refusal-close", action="store_true")
    ap.add_argument("--empty-body", action="store_true")
    ap.add_argument("--log")
    args = ap.parse_args()
    srvutil.run_forever(srvutil.listen(), Proxy(args), "connect_proxy")


if __name__ == "__main__":
    main()
