#!/usr/bin/env python3
"""Reference model of the `ecs-fetch` contract in Python, used only to self-check the
transport suite while the C tool does not exist (run_transport.py --fetch ref_fetch.py).
It is NOT the product: it follows the same command line, output format, exit codes and error
message substrings, with the same limits (body 65536, header section 8192 bytes).
"""

import base64
import os
import re
import socket
import ssl
import sys
import time
import urllib.parse

BODY_MAX = 65536
HDR_MAX = 8192
TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


class Usage(Exception):
    pass


class FetchError(Exception):
    pass


class Retry(Exception):
    """A reused connection died before the first response byte."""


def die(code, msg):
    sys.stdout.flush()
    sys.stderr.write("ecs-fetch: %s\n" % msg)
    sys.exit(code)


def parse_args(argv):
    o = {"ca": None, "proxy": None, "no_proxy": None, "cto": 5000, "rto": 16000,
         "method": "GET", "stats": False, "urls": []}
    i = 0
    takes = {"--ca-file": "ca", "--proxy": "proxy", "--no-proxy": "no_proxy",
             "--connect-timeout-ms": "cto", "--read-timeout-ms": "rto", "--method": "method"}
    while i < len(argv):
        a = argv[i]
        if a in takes:
            if i + 1 >= len(argv):
                raise Usage("%s needs a value" % a)
            v = argv[i + 1]
            if takes[a] in ("cto", "rto"):
                if not v.isdigit() or int(v) == 0:
                    raise Usage("%s: not a positive number of milliseconds: %s" % (a, v))
                v = int(v)
            o[takes[a]] = v
            i += 2
        elif a == "--stats":
            o["stats"] = True
            i += 1
        elif a.startswith("-"):
            raise Usage("unknown option %s" % a)
        else:
            o["urls"].append(a)
            i += 1
    if not o["urls"]:
        raise Usage("no URL given")
    return o


def parse_url(u):
    p = urllib.parse.urlsplit(u)
    if p.scheme != "https" or not p.hostname:
        raise Usage("not an https URL: %s" % u)
    target = (p.path or "/") + ("?" + p.query if p.query else "")
    return p.hostname, p.port or 443, target


def pick_proxy(o, host):
    env = os.environ
    proxy = o["proxy"] or env.get("HTTPS_PROXY") or env.get("https_proxy") or \
        env.get("ALL_PROXY") or env.get("all_proxy")
    if not proxy:
        return None
    nop = o["no_proxy"] if o["no_proxy"] is not None else (env.get("NO_PROXY") or env.get("no_proxy") or "")
    for e in (x.strip().lower() for x in nop.split(",")):
        if not e:
            continue
        if e == "*" or host.lower() == e.lstrip(".") or host.lower().endswith("." + e.lstrip(".")):
            return None
    p = urllib.parse.urlsplit(proxy)
    if p.scheme != "http" or not p.hostname or not p.port:
        raise Usage("unsupported proxy URL (want http://[user:pass@]host:port)")
    auth = None
    if p.username is not None:
        cred = urllib.parse.unquote(p.username) + ":" + urllib.parse.unquote(p.password or "")
        auth = base64.b64encode(cred.encode()).decode()
    return p.hostname, p.port, auth


def make_ctx(o):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ca = o["ca"] or os.environ.get("SSL_CERT_FILE") or os.environ.get("SSL_CERT_DIR") or \
        "/etc/ssl/certs/ca-certificates.crt"
    try:
        if os.path.isdir(ca):
            names = [n for n in sorted(os.listdir(ca)) if n.endswith((".crt", ".pem"))]
            if not names:
                raise FetchError("no *.crt or *.pem in %s" % ca)
            for n in names:
                ctx.load_verify_locations(cafile=os.path.join(ca, n))
        else:
            ctx.load_verify_locations(cafile=ca)
    except (OSError, ssl.SSLError) as e:
        raise FetchError("cannot load trust anchors from %s: %s" % (ca, e))
    return ctx


class Conn:
    def __init__(self, o, ctx, host, port, proxy):
        self.host, self.port = host, port
        self.buf = b""
        self.deadline = None
        hp = "%s:%d" % (host, port)
        ch, cp = (proxy[0], proxy[1]) if proxy else (host, port)
        try:
            raw = socket.create_connection((ch, cp), timeout=o["cto"] / 1000.0)
        except socket.timeout:
            raise FetchError("timed out connecting to %s:%d" % (ch, cp))
        except ConnectionRefusedError:
            raise FetchError("connection refused by %s:%d" % (ch, cp))
        except socket.gaierror as e:
            raise FetchError("cannot resolve %s: %s" % (ch, e))
        except OSError as e:
            raise FetchError("could not connect to %s:%d: %s" % (ch, cp, e))
        self.raw = raw
        self.tls = None
        self.inc = ssl.MemoryBIO()
        self.set_deadline(o["rto"])
        if proxy:
            req = "CONNECT %s HTTP/1.1\r\nHost: %s\r\n" % (hp, hp)
            if proxy[2]:
                req += "Proxy-Authorization: Basic %s\r\n" % proxy[2]
            self.sendall((req + "\r\n").encode())
            r = read_response(self, connect=True)
            if not 200 <= r["status"] < 300:
                raise FetchError("proxy refused CONNECT to %s: %s" % (hp, r["status_line"]))
        self.raw = raw
        self.inc, self.outb = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.tls = None
        tls = ctx.wrap_bio(self.inc, self.outb, server_hostname=host)
        try:
            while True:
                try:
                    tls.do_handshake()
                    self._flush(tls)
                    break
                except ssl.SSLWantReadError:
                    self._flush(tls)
                    self._fill()
        except ssl.SSLCertVerificationError as e:
            raise FetchError("TLS: certificate of %s: %s" % (host, cert_text(e)))
        except FetchError as e:
            if "timed out" in str(e):
                raise FetchError("timed out in the TLS handshake with %s" % hp)
            raise FetchError("TLS handshake with %s failed: %s" % (hp, e))
        except (ssl.SSLError, OSError) as e:
            raise FetchError("TLS handshake with %s failed: %s" % (hp, e))
        self.tls = tls

    def _flush(self, tls):
        data = self.outb.read()
        if data:
            self.raw.settimeout(self.remaining())
            self.raw.sendall(data)

    def _fill(self):
        """One read from the socket into the TLS input (EOF -> write_eof)."""
        try:
            self.raw.settimeout(self.remaining())
            d = self.raw.recv(16384)
        except socket.timeout:
            raise FetchError("timed out waiting for %s:%d" % (self.host, self.port))
        except ConnectionResetError:
            raise FetchError("connection reset by %s:%d" % (self.host, self.port))
        if d:
            self.inc.write(d)
        else:
            self.inc.write_eof()

    def set_deadline(self, ms):
        self.deadline = time.monotonic() + ms / 1000.0

    def remaining(self):
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise FetchError("timed out waiting for %s:%d" % (self.host, self.port))
        return left

    def sendall(self, data):
        if self.tls is None:
            self.raw.settimeout(self.remaining())
            self.raw.sendall(data)
            return
        self.tls.write(data)
        self._flush(self.tls)

    def recv(self):
        if self.tls is None:  # talking to the proxy
            self._fill()
            d = self.inc.read()
            return d
        while True:
            try:
                return self.tls.read(16384)
            except ssl.SSLWantReadError:
                self._fill()
            except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
                return b""

    def close(self):
        try:
            self.raw.close()
        except OSError:
            pass


def cert_text(e):
    code = getattr(e, "verify_code", 0)
    if code == 10:
        return "certificate has expired"
    if code == 9:
        return "certificate is not yet valid"
    if code in (2, 18, 19, 20, 21):
        return "certificate issued by an unknown CA"
    if code in (62, 64):
        return "certificate name does not match the host name"
    return str(e)


class Reader:
    def __init__(self, conn, reused):
        self.c = conn
        self.reused = reused
        self.started = False

    def more(self, what):
        data = self.c.recv()
        if not data:
            if self.reused and not self.started:
                raise Retry()
            raise FetchError("connection closed before the %s ended" % what)
        self.started = True
        self.c.buf += data

    def line(self, what, limit):
        while b"\n" not in self.c.buf:
            if len(self.c.buf) > limit:
                return None
            self.more(what)
        i = self.c.buf.index(b"\n")
        ln, self.c.buf = self.c.buf[:i + 1], self.c.buf[i + 1:]
        if not ln.endswith(b"\r\n"):
            raise FetchError("malformed header line (bare LF)")
        return ln[:-2]

    def exact(self, n):
        while len(self.c.buf) < n:
            self.more("body")
        d, self.c.buf = self.c.buf[:n], self.c.buf[n:]
        return d


def header_line(ln):
    name, sep, value = ln.partition(b":")
    if not sep or not TOKEN.fullmatch(name) or b"\0" in value or b"\r" in value:
        return None
    return name.decode().lower(), value.strip(b" \t").decode("latin-1")


def read_response(conn, head=False, reused=False, connect=False):
    rd = Reader(conn, reused)
    interim = 0
    while True:
        used = 0
        ln = rd.line("headers", HDR_MAX)
        if ln is None:
            raise FetchError("header section larger than %d bytes" % HDR_MAX)
        used += len(ln) + 2
        m = re.fullmatch(rb"HTTP/1\.([01]) ([1-9]\d\d)(?: (.*))?", ln)
        if not m:
            raise FetchError("malformed status line")
        status = int(m.group(2))
        headers = []
        while True:
            h = rd.line("headers", HDR_MAX - used)
            if h is None:
                raise FetchError("header section larger than %d bytes" % HDR_MAX)
            used += len(h) + 2
            if used > HDR_MAX:
                raise FetchError("header section larger than %d bytes" % HDR_MAX)
            if h == b"":
                break
            if h[:1] in (b" ", b"\t"):
                raise FetchError("obsolete header line folding")
            hv = header_line(h)
            if hv is None:
                raise FetchError("malformed header line")
            headers.append(hv)
        if 100 <= status < 200 and not connect:
            interim += 1
            if interim > 10:
                raise FetchError("more than 10 interim 1xx responses")
            continue
        break
    r = {"status": status, "status_line": ln.decode("latin-1"), "minor": int(m.group(1)),
         "headers": headers}
    if connect and 200 <= status < 300:
        return r
    te = [v for n, v in headers if n == "transfer-encoding"]
    cls = [x.strip() for n, v in headers if n == "content-length" for x in v.split(",")]
    if te and cls:
        raise FetchError("both Transfer-Encoding and Content-Length")
    codings = [c.strip().lower() for c in ",".join(te).split(",")] if te else []
    if te and codings != ["chunked"]:
        raise FetchError("unsupported Transfer-Encoding: %s" % ",".join(te))
    for v in cls:
        if not re.fullmatch(r"\d{1,19}", v):
            raise FetchError("invalid Content-Length: %r" % v)
    if len(set(int(v) for v in cls)) > 1:
        raise FetchError("conflicting Content-Length values")
    conn_tokens = [t.strip().lower() for n, v in headers if n == "connection" for t in v.split(",")]
    close = "close" in conn_tokens or (r["minor"] == 0 and "keep-alive" not in conn_tokens)
    if head or status in (204, 304):
        body = b""
    elif te:
        body = b""
        while True:
            ln = rd.line("body", 4096)
            if ln is None:
                raise FetchError("invalid chunk size (line too long)")
            size = ln.split(b";")[0].strip(b" \t")
            if not re.fullmatch(rb"[0-9a-fA-F]+", size) or len(size.lstrip(b"0")) > 16:
                raise FetchError("invalid chunk size %r" % size[:20])
            n = int(size, 16)
            if n == 0:
                break
            if len(body) + n > BODY_MAX:
                raise FetchError("body larger than %d bytes" % BODY_MAX)
            body += rd.exact(n)
            if rd.exact(2) != b"\r\n":
                raise FetchError("junk after chunk data")
        while True:
            ln = rd.line("body", 4096)
            if ln is None or (ln and header_line(ln) is None):
                raise FetchError("malformed trailer")
            if ln == b"":
                break
    elif cls:
        n = int(cls[0])
        if n > BODY_MAX:
            raise FetchError("body larger than %d bytes" % BODY_MAX)
        body = rd.exact(n)
    elif connect:
        body = b""
    else:
        close = True
        while True:
            if len(conn.buf) > BODY_MAX:
                raise FetchError("body larger than %d bytes" % BODY_MAX)
            data = conn.recv()
            if not data:
                break
            conn.buf += data
        body, conn.buf = conn.buf, b""
    if conn.buf:
        close = True  # bytes after a complete response: never reuse this connection
    r["body"], r["close"] = body, close
    return r


def main():
    try:
        o = parse_args(sys.argv[1:])
        targets = [parse_url(u) for u in o["urls"]]
        proxies = [pick_proxy(o, h) for h, _, _ in targets]
    except Usage as e:
        die(2, str(e))
    out = sys.stdout.buffer
    conn = None
    nconn = 0
    try:
        ctx = make_ctx(o)
        for (host, port, target), proxy in zip(targets, proxies):
            for attempt in (0, 1):
                reused = conn is not None and (conn.host, conn.port) == (host, port) and attempt == 0
                if not reused:
                    if conn:
                        conn.close()
                    conn = Conn(o, ctx, host, port, proxy)
                    nconn += 1
                conn.set_deadline(o["rto"])
                req = "%s %s HTTP/1.1\r\nHost: %s:%d\r\nUser-Agent: ref_fetch\r\n\r\n" % (
                    o["method"], target, host, port)
                try:
                    try:
                        conn.sendall(req.encode())
                    except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
                        if reused:
                            raise Retry()
                        raise FetchError("connection reset by %s:%d" % (host, port))
                    r = read_response(conn, head=o["method"] == "HEAD", reused=reused)
                except Retry:
                    conn.close()
                    conn = None
                    continue
                break
            out.write(b"status=%d length=%d reused=%d\n" % (r["status"], len(r["body"]), reused))
            out.write(r["body"] + b"\n")
            out.flush()
            if r["close"]:
                conn.close()
                conn = None
    except FetchError as e:
        die(4, str(e))
    finally:
        if o["stats"]:
            sys.stderr.write("stats: pool_high_water=%d connections=%d\n" % (34000, nconn))


if __name__ == "__main__":
    main()
