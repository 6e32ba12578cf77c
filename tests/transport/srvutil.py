"""Shared bits of the transport test servers (Python 3.11 standard library only).

Every server binds 127.0.0.1 port 0, prints one line "port=<n>" on stdout and then serves in
daemon threads until stdin reaches EOF (the runner holds the write end of a pipe, so a server
never outlives its runner, even when the runner is killed) or it gets SIGTERM.
"""

import os
import signal
import socket
import ssl
import sys
import threading


def listen(host="127.0.0.1", port=0, backlog=64):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, port))
    s.listen(backlog)
    return s


def announce(port):
    sys.stdout.write("port=%d\n" % port)
    sys.stdout.flush()


def _watch_stdin():
    try:
        while os.read(0, 4096):
            pass
    except OSError:
        pass
    os._exit(0)


def run_forever(lsock, handler, name="server"):
    """Accepts forever; handler(conn, addr) runs in its own daemon thread."""
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    if not os.isatty(0):
        threading.Thread(target=_watch_stdin, daemon=True).start()
    announce(lsock.getsockname()[1])
    while True:
        try:
            conn, addr = lsock.accept()
        except OSError:
            continue
        t = threading.Thread(target=_guard, args=(handler, conn, addr, name), daemon=True)
        t.start()


def _guard(handler, conn, addr, name):
    try:
        handler(conn, addr)
    except (OSError, ssl.SSLError, ValueError) as e:
        log("%s: %s: %s" % (name, addr, e))
    except Exception as e:  # keep serving whatever one connection did
        log("%s: %s: unexpected %r" % (name, addr, e))
    finally:
        try:
            conn.close()
        except OSError:
            pass


def log(msg):
    sys.stderr.write(msg.rstrip("\n") + "\n")
    sys.stderr.flush()


def server_context(cert, key):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(cert, key)
    return ctx


class HeadTooBig(Exception):
    pass


def read_head(sock, limit=65536, buf=b""):
    """Reads until CRLFCRLF. Returns (head bytes without the blank line, leftover bytes), or
    (None, buf) on EOF before a complete head."""
    while b"\r\n\r\n" not in buf:
        if len(buf) > limit:
            raise HeadTooBig()
        try:
            chunk = sock.recv(16384)
        except (ConnectionResetError, ssl.SSLError, OSError):
            return None, buf
        if not chunk:
            return None, buf
        buf += chunk
    head, _, rest = buf.partition(b"\r\n\r\n")
    return head, rest


def parse_head(head):
    """Returns (method, target, version, [(name_lower, value)])."""
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3:
        raise ValueError("bad request line %r" % lines[0])
    headers = []
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep:
            raise ValueError("bad header line %r" % line)
        headers.append((name.strip().lower(), value.strip()))
    return parts[0], parts[1], parts[2], headers


def header(headers, name):
    for n, v in headers:
        if n == name:
            return v
    return None


def big_body(n):
    """The deterministic body of /big?n=N (the runner computes the same bytes)."""
    unit = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-\n"
    reps = n // len(unit) + 1
    return (unit * reps)[:n]
