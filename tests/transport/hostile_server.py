#!/usr/bin/env python3
"""A hostile HTTP server for the transport tests.

    hostile_server.py --cert C --key K          TLS; the request path selects a scenario
    hostile_server.py --plain MODE              not TLS at all (for a TLS client)

Prints "port=<n>" on stdout. In TLS mode every scenario reads the request head first, then
writes raw bytes (SCENARIOS below; `--list` prints them) and ends the connection as the
scenario says: "notify" (TLS close_notify + FIN), "abrupt" (FIN, no close_notify), "reset"
(RST via SO_LINGER 0), "hang" (keep the connection open and silent until the client goes
away), or "keep" (serve the next request on the same connection).

Plain modes (the server speaks first after the client's first bytes arrive, or not at all):
  http     answers a ClientHello with "HTTP/1.1 400 Bad Request..." (a plain HTTP server)
  random   answers with 4096 random bytes
  record   answers with a TLS-looking record header (handshake, 16 KiB) and random bytes
  close    closes right after accept, before reading anything
  reset    resets (SO_LINGER 0) right after accept
  silent   reads and never answers (the handshake deadline must fire)
"""

import argparse
import os
import socket
import ssl
import struct
import time

import srvutil

MAX_LIFE = 120.0  # no scenario thread outlives this


def status_head(*headers, status=b"HTTP/1.1 200 OK"):
    return status + b"\r\n" + b"".join(h + b"\r\n" for h in headers) + b"\r\n"


def drip(prefix):
    """prefix, then one 'a' per second until the client goes away."""

    def gen(sock):
        sock.sendall(prefix)
        end = time.monotonic() + MAX_LIFE
        while time.monotonic() < end:
            time.sleep(1.0)
            sock.sendall(b"a")

    return gen


def pieces(*parts, pause=0.0):
    """Writes each part separately (its own TLS record), pausing between them."""

    def gen(sock):
        for p in parts:
            sock.sendall(p)
            if pause:
                time.sleep(pause)

    return gen


def reset_mid_body(sock):
    sock.sendall(status_head(b"Content-Length: 1000") + b"x" * 100)
    time.sleep(0.3)  # let the client read the head and block in recv for the rest


def huge_headers(sock):
    sock.sendall(b"HTTP/1.1 200 OK\r\n")
    line = b"X-Filler: " + b"f" * 90 + b"\r\n"  # 102 bytes
    for _ in range(1000):  # ~100 KB
        sock.sendall(line)
    sock.sendall(b"Content-Length: 2\r\n\r\nok")


EXTRA_FORGED = b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nforged"

# name -> (writer: bytes or callable(sock), how the connection ends)
SCENARIOS = {
    "ok": (status_head(b"Content-Length: 2") + b"ok", "keep"),
    "bad-status": (status_head(b"Content-Length: 0", status=b"HTTP/1.1 two hundred OK"), "notify"),
    "bad-status-proto": (status_head(b"Content-Length: 0", status=b"ICY 200 OK"), "notify"),
    "bad-status-http2": (status_head(b"Content-Length: 0", status=b"HTTP/2 200"), "notify"),
    "bad-status-code": (status_head(b"Content-Length: 0", status=b"HTTP/1.1 20 OK"), "notify"),
    "huge-headers": (huge_headers, "notify"),
    "long-header-line": (
        status_head(b"X-Long: " + b"l" * 10000, b"Content-Length: 2") + b"ok",
        "notify",
    ),
    "bad-header": (status_head(b"NoColonHere", b"Content-Length: 2") + b"ok", "notify"),
    "nul-header": (status_head(b"X-Nul: a\x00b", b"Content-Length: 2") + b"ok", "notify"),
    "obs-fold": (
        status_head(b"X-Folded: first", b"  continued", b"Content-Length: 2") + b"ok",
        "notify",
    ),
    "short-body": (status_head(b"Content-Length: 100") + b"0123456789", "notify"),
    "short-body-abrupt": (status_head(b"Content-Length: 100") + b"0123456789", "abrupt"),
    "short-chunked": (
        status_head(b"Transfer-Encoding: chunked") + b"a\r\n01234",
        "notify",
    ),
    "eof-in-headers": (b"HTTP/1.1 200 OK\r\nContent-", "notify"),
    "eof-immediately": (b"", "notify"),
    "cl-and-chunked": (
        status_head(b"Content-Length: 5", b"Transfer-Encoding: chunked") + b"5\r\nhello\r\n0\r\n\r\n",
        "notify",
    ),
    "two-cl": (status_head(b"Content-Length: 5", b"Content-Length: 6") + b"hello!", "notify"),
    "cl-list": (status_head(b"Content-Length: 5, 6") + b"hello!", "notify"),
    "same-cl-twice": (status_head(b"Content-Length: 5", b"Content-Length: 5") + b"hello", "notify"),
    "bad-cl": (status_head(b"Content-Length: abc") + b"hello", "notify"),
    "negative-cl": (status_head(b"Content-Length: -1") + b"hello", "notify"),
    "plus-cl": (status_head(b"Content-Length: +5") + b"hello", "notify"),
    "huge-cl": (status_head(b"Content-Length: 99999999999999999999999") + b"hello", "notify"),
    "te-gzip": (status_head(b"Transfer-Encoding: gzip") + b"\x1f\x8b\x08\x00", "notify"),
    "te-gzip-chunked": (
        status_head(b"Transfer-Encoding: gzip, chunked") + b"4\r\n\x1f\x8b\x08\x00\r\n0\r\n\r\n",
        "notify",
    ),
    "chunk-ffff": (
        status_head(b"Transfer-Encoding: chunked") + b"ffffffffffffffff\r\n" + b"x" * 1000,
        "notify",
    ),
    # 2^68 + 5: a parser that wraps at 64 bits reads a 5-byte chunk and "succeeds"
    "chunk-overflow": (
        status_head(b"Transfer-Encoding: chunked") + b"100000000000000005\r\nhello\r\n0\r\n\r\n",
        "notify",
    ),
    "chunk-negative": (status_head(b"Transfer-Encoding: chunked") + b"-5\r\nhello\r\n0\r\n\r\n", "notify"),
    "chunk-zz": (status_head(b"Transfer-Encoding: chunked") + b"zz\r\nhello\r\n0\r\n\r\n", "notify"),
    "chunk-empty-size": (status_head(b"Transfer-Encoding: chunked") + b"\r\nhello\r\n0\r\n\r\n", "notify"),
    "chunk-junk": (
        status_head(b"Transfer-Encoding: chunked") + b"5\r\nhelloXX\r\n0\r\n\r\n",
        "notify",
    ),
    "bad-trailer": (
        status_head(b"Transfer-Encoding: chunked") + b"5\r\nhello\r\n0\r\nNoColonTrailer\r\n\r\n",
        "notify",
    ),
    "too-big": (status_head(b"Content-Length: 65537") + b"b" * 65537, "notify"),
    "too-big-chunked": (
        status_head(b"Transfer-Encoding: chunked")
        + b"".join(b"3e8\r\n" + b"c" * 1000 + b"\r\n" for _ in range(70))
        + b"0\r\n\r\n",
        "notify",
    ),
    "too-big-close": (status_head() + b"d" * 70000, "notify"),
    "reset-mid-body": (reset_mid_body, "reset"),
    "drip-headers": (drip(b"HTTP/1.1 200 OK\r\nX-Drip: "), "notify"),
    "drip-body": (drip(status_head(b"Content-Length: 1000")), "notify"),
    "status-hang": (b"HTTP/1.1 200 OK\r\n", "hang"),
    "header-hang": (status_head(b"Content-Length: 100"), "hang"),
    "silent": (b"", "hang"),
    "many-1xx": (b"HTTP/1.1 100 Continue\r\n\r\n" * 200 + status_head(b"Content-Length: 2") + b"ok", "notify"),
    # a complete response followed by a forged second one in the same write: the client must
    # not take "forged" as the answer to its next request on this connection
    "extra-data": (status_head(b"Content-Length: 2") + b"ok" + EXTRA_FORGED, "keep"),
    "bare-lf": (b"HTTP/1.1 200 OK\nContent-Length: 2\n\nok", "notify"),
}


class TlsHandler:
    def __init__(self, ctx):
        self.ctx = ctx

    def __call__(self, conn, addr):
        conn.settimeout(MAX_LIFE)
        try:
            tls = self.ctx.wrap_socket(conn, server_side=True)
        except (ssl.SSLError, OSError) as e:
            srvutil.log("handshake from %s failed: %s" % (addr, e))
            return
        buf = b""
        ending = "notify"
        try:
            while True:
                head, buf = srvutil.read_head(tls, buf=buf)
                if head is None:
                    ending = "abrupt"
                    return
                _, target, _, _ = srvutil.parse_head(head)
                name = target.split("?")[0].lstrip("/")
                writer, ending = SCENARIOS.get(
                    name, (status_head(b"Content-Length: 16") + b"unknown scenario", "notify")
                )
                try:
                    if callable(writer):
                        writer(tls)
                    elif writer:
                        tls.sendall(writer)
                except (OSError, ssl.SSLError) as e:
                    srvutil.log("%s: client went away: %s" % (name, e))
                    ending = "abrupt"
                    return
                if ending != "keep":
                    return
        finally:
            end(tls, ending)


def end(tls, how):
    if how == "reset":
        # wrap_socket() detached raw: the fd now belongs to tls
        tls.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        tls.close()
        return
    if how == "hang":
        deadline = time.monotonic() + MAX_LIFE
        tls.settimeout(1.0)
        while time.monotonic() < deadline:
            try:
                if not tls.recv(4096):
                    break
            except socket.timeout:
                continue
            except (OSError, ssl.SSLError):
                break
    if how in ("notify", "hang", "keep"):
        try:
            tls.setblocking(False)
            tls.unwrap()
        except (ssl.SSLError, OSError, ValueError):
            pass
    try:
        tls.close()
    except OSError:
        pass


def plain_handler(mode):
    def handle(conn, addr):
        conn.settimeout(MAX_LIFE)
        if mode == "reset":
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            return
        if mode == "close":
            return
        first = conn.recv(4096)
        if not first:
            return
        if mode == "http":
            conn.sendall(
                b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n"
                b"Connection: close\r\n\r\nbad request"
            )
            time.sleep(0.5)  # let the client read it before our FIN
        elif mode == "random":
            conn.sendall(os.urandom(4096))
            time.sleep(0.5)
        elif mode == "record":
            conn.sendall(b"\x16\x03\x03\x40\x00" + os.urandom(16384))
            time.sleep(0.5)
        elif mode == "silent":
            end_at = time.monotonic() + MAX_LIFE
            conn.settimeout(1.0)
            while time.monotonic() < end_at:
                try:
                    if not conn.recv(4096):
                        break
                except socket.timeout:
                    continue

    return handle


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--plain", choices=["http", "random", "record", "close", "reset", "silent"])
    ap.add_argument("--list", action="store_true")
    args = ap.parse_args()
    if args.list:
        for name, (_, how) in SCENARIOS.items():
            print("%-20s %s" % (name, how))
        return
    if args.plain:
        srvutil.run_forever(srvutil.listen(), plain_handler(args.plain), "plain-" + args.plain)
    if not (args.cert and args.key):
        ap.error("--cert and --key are required in TLS mode")
    ctx = srvutil.server_context(args.cert, args.key)
    srvutil.run_forever(srvutil.listen(), TlsHandler(ctx), "hostile_server")


if __name__ == "__main__":
    main()
