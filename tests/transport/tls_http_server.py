#!/usr/bin/env python3
"""A well-behaved HTTP/1.1 keep-alive server over TLS for the transport tests.

    tls_http_server.py --cert C --key K [--idle-close after-first|on-second]

Prints "port=<n>" on stdout. Endpoints (GET and HEAD):
  /hello                  "hello world" (11 bytes, Content-Length)
  /headers                the request head, echoed as the body
  /chunked[?split=1]      chunked with extensions, upper-case hex, leading zeros and a trailer;
                          decoded body "hello, chunked world!". split=1 sends one byte per TLS
                          record
  /big?n=N[&chunked=1|&close=1]   N deterministic bytes (srvutil.big_body), by Content-Length,
                          chunked (1000-byte chunks) or close-delimited
  /continue               "HTTP/1.1 100 Continue" then 200 "continued"
  /early-hints            103 Early Hints (with Link headers) + 100 Continue, then 200 "hinted"
  /status/NNN             that status; 204 and 304 without a body
  /close                  200 "closing" with Connection: close, then closes (with close_notify)
  /http10                 an HTTP/1.0 response with Content-Length, then closes
  /close-delimited        HTTP/1.1 200 without Content-Length/Transfer-Encoding, body until close
  /delay?ms=N             waits N ms, then 200 "late"
  /stats                  JSON {"connections", "requests", "proxy_auth_seen", "close_requests"}
                          not counting /stats itself: a connection is counted when it serves
                          its first non-/stats request

A request with "Connection: close" (or HTTP/1.0 without keep-alive) gets "Connection: close"
and the connection is closed after the response.

--idle-close after-first: after the first response on a connection, close it (TLS close_notify
  + FIN) WITHOUT having sent "Connection: close" (an idle keep-alive timeout).
--idle-close on-second: read the second request on a connection, then close without answering
  (the stale keep-alive race).
Both test the client's one transparent reconnect.
"""

import argparse
import json
import socket
import ssl
import threading
import time
import urllib.parse

import srvutil

LOCK = threading.Lock()
STATS = {"connections": 0, "requests": 0, "proxy_auth_seen": 0, "close_requests": 0}

CHUNKED_PARTS = [
    b"0005;ext=1\r\nhello\r\n",
    b'2;name="quoted;value"\r\n, \r\n',
    b"D\r\nchunked world\r\n",
    b"1;a;b=c\r\n!\r\n",
    b"0;last=yes\r\nX-Trailer: yes\r\nX-Checksum: 42\r\n\r\n",
]


def tls_close(tls, notify=True):
    """Closes a TLS socket; with notify, sends close_notify first without waiting for the
    peer's."""
    if notify:
        try:
            tls.setblocking(False)
            tls.unwrap()
        except (ssl.SSLError, OSError, ValueError):
            pass
    try:
        tls.close()
    except OSError:
        pass


def response(status, reason, body=b"", headers=(), version="HTTP/1.1", length=True):
    lines = ["%s %d %s" % (version, status, reason)]
    lines += ["%s: %s" % h for h in headers]
    if length:
        lines.append("Content-Length: %d" % len(body))
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"), body


class Handler:
    def __init__(self, ctx, idle_close):
        self.ctx = ctx
        self.idle_close = idle_close

    def __call__(self, conn, addr):
        conn.settimeout(60)
        try:
            tls = self.ctx.wrap_socket(conn, server_side=True)
        except (ssl.SSLError, OSError) as e:
            srvutil.log("handshake from %s failed: %s" % (addr, e))
            return
        counted = False
        served = 0
        buf = b""
        try:
            while True:
                try:
                    head, buf = srvutil.read_head(tls, buf=buf)
                except srvutil.HeadTooBig:
                    tls.sendall(b"HTTP/1.1 431 Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                    break
                if head is None:
                    break
                method, target, version, headers = srvutil.parse_head(head)
                cl = srvutil.header(headers, "content-length")
                if cl:
                    need = int(cl)
                    while len(buf) < need:
                        more = tls.recv(16384)
                        if not more:
                            return
                        buf += more
                    buf = buf[need:]
                url = urllib.parse.urlsplit(target)
                path = url.path
                query = urllib.parse.parse_qs(url.query)
                conn_hdr = (srvutil.header(headers, "connection") or "").lower()
                wants_close = "close" in conn_hdr or (
                    version == "HTTP/1.0" and "keep-alive" not in conn_hdr
                )
                with LOCK:
                    if path != "/stats":
                        if not counted:
                            STATS["connections"] += 1
                            counted = True
                        STATS["requests"] += 1
                        if srvutil.header(headers, "proxy-authorization") is not None:
                            STATS["proxy_auth_seen"] += 1
                        if wants_close:
                            STATS["close_requests"] += 1
                served += 1
                if self.idle_close == "on-second" and served >= 2:
                    tls_close(tls, notify=False)
                    return
                close_after = self.serve(tls, method, path, query, head, wants_close)
                if close_after or wants_close:
                    break
                if self.idle_close == "after-first":
                    break
        finally:
            tls_close(tls)

    def serve(self, tls, method, path, query, head, wants_close):
        """Writes one response. Returns True if the connection must close afterwards."""
        extra = [("Connection", "close")] if wants_close else []
        is_head = method == "HEAD"

        def send(status, reason, body=b"", headers=(), **kw):
            h, b = response(status, reason, body, list(headers) + extra, **kw)
            tls.sendall(h if is_head else h + b)

        if path == "/hello":
            send(200, "OK", b"hello world", [("Content-Type", "text/plain")])
        elif path == "/headers":
            send(200, "OK", head + b"\r\n\r\n")
        elif path == "/chunked":
            hdr = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Trailer, X-Checksum\r\n"
            hdr += b"".join(b"%s: %s\r\n" % (n.encode(), v.encode()) for n, v in extra) + b"\r\n"
            if is_head:
                tls.sendall(hdr)
            elif query.get("split") == ["1"]:
                for i in range(len(hdr)):
                    tls.sendall(hdr[i : i + 1])
                data = b"".join(CHUNKED_PARTS)
                for i in range(len(data)):
                    tls.sendall(data[i : i + 1])
            else:
                tls.sendall(hdr)
                for part in CHUNKED_PARTS:
                    tls.sendall(part)
        elif path == "/big":
            n = int(query.get("n", ["1000"])[0])
            body = srvutil.big_body(n)
            if query.get("chunked") == ["1"]:
                out = [b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"]
                out += [b"%s: %s\r\n" % (a.encode(), b.encode()) for a, b in extra]
                out.append(b"\r\n")
                if not is_head:
                    for i in range(0, n, 1000):
                        piece = body[i : i + 1000]
                        out.append(b"%x\r\n%s\r\n" % (len(piece), piece))
                    out.append(b"0\r\n\r\n")
                tls.sendall(b"".join(out))
            elif query.get("close") == ["1"]:
                h, b = response(200, "OK", body, [("Connection", "close")], length=False)
                tls.sendall(h if is_head else h + b)
                return True
            else:
                send(200, "OK", body)
        elif path == "/continue":
            tls.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
            time.sleep(0.05)
            send(200, "OK", b"continued")
        elif path == "/early-hints":
            tls.sendall(
                b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload; as=style\r\n"
                b"Link: </script.js>; rel=preload; as=script\r\n\r\n"
            )
            time.sleep(0.05)
            tls.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
            send(200, "OK", b"hinted")
        elif path.startswith("/status/"):
            code = int(path[len("/status/") :])
            if code in (204, 304):
                h, _ = response(code, "No Body", b"", extra, length=False)
                tls.sendall(h)
            else:
                send(code, "Status", b"status %d" % code)
        elif path == "/close":
            h, b = response(200, "OK", b"closing", [("Connection", "close")])
            tls.sendall(h if is_head else h + b)
            return True
        elif path == "/http10":
            h, b = response(200, "OK", b"http/1.0 body", [], version="HTTP/1.0")
            tls.sendall(h if is_head else h + b)
            return True
        elif path == "/close-delimited":
            h, b = response(200, "OK", b"until the connection closes", [], length=False)
            tls.sendall(h if is_head else h + b)
            return True
        elif path == "/delay":
            time.sleep(int(query.get("ms", ["1000"])[0]) / 1000.0)
            send(200, "OK", b"late")
        elif path == "/stats":
            with LOCK:
                body = json.dumps(STATS).encode()
            send(200, "OK", body, [("Content-Type", "application/json")])
        else:
            send(404, "Not Found", b"no such path")
        return False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--idle-close", choices=["after-first", "on-second"])
    args = ap.parse_args()
    ctx = srvutil.server_context(args.cert, args.key)
    srvutil.run_forever(srvutil.listen(), Handler(ctx, args.idle_close), "tls_http_server")


if __name__ == "__main__":
    main()
