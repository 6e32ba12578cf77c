#include "conn.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "mbedtls/platform_util.h"
#include "tls.h"

/* The ECS instance metadata service: plain HTTP on a link-local-like address, never proxied. */
#define METADATA_HOST "100.100.100.200"

#define trace(c, ...) err_emit((c)->o.trace, (c)->o.trace_ctx, __VA_ARGS__)

static const char *env2(const char *a, const char *b)
{
	const char *v = port_getenv(a);

	if (v == NULL || v[0] == '\0')
		v = b != NULL ? port_getenv(b) : NULL;
	return (v != NULL && v[0] != '\0') ? v : NULL;
}

ecs_status conn_pick_proxy(conn_opts *o, const char *proxy_url, const char *no_proxy, ecs_err *err)
{
	const char *p = proxy_url, *np = no_proxy, *origin = "--proxy";
	ecs_status st;

	o->use_proxy = 0;
	if (strcmp(o->host, METADATA_HOST) == 0)
		return ECS_OK;
	if (p == NULL) {
		/* Upper-case HTTP_PROXY is ignored for plain http, like curl: CGI sets it from a
		 * request header ("httpoxy"). */
		p = o->tls ? env2("HTTPS_PROXY", "https_proxy") : env2("http_proxy", NULL);
		origin = o->tls ? "HTTPS_PROXY" : "http_proxy";
		if (p == NULL) {
			p = env2("ALL_PROXY", "all_proxy");
			origin = "ALL_PROXY";
		}
	}
	if (p == NULL)
		return ECS_OK;
	if (np == NULL)
		np = env2("NO_PROXY", "no_proxy");
	if (np != NULL && url_no_proxy_match(np, o->host, o->port))
		return ECS_OK;
	st = url_parse(p, 0, &o->proxy, err);
	if (st != ECS_OK) {
		err_prefix(err, "proxy from %s", origin);
		return st;
	}
	if (o->proxy.tls)
		return err_set(err, ECS_E_USAGE,
			       "proxy from %s: https:// proxies are not supported; use http://",
			       origin);
	if (strcmp(o->proxy.path, "/") != 0) /* "http://proxy:3128/" is fine, a path is not */
		return err_set(err, ECS_E_USAGE, "proxy from %s: unexpected path in URL", origin);
	if (!o->proxy.port_given)
		o->proxy.port = 1080; /* curl's default proxy port */
	o->use_proxy = 1;
	return ECS_OK;
}

void conn_init(conn *c, const conn_opts *o)
{
	memset(c, 0, sizeof(*c));
	c->o = *o;
	c->fd = PORT_FD_NONE;
}

static ecs_status io_error(conn *c, port_status ps, const char *what, ecs_err *err)
{
	const char *peer = c->o.host;

	switch (ps) {
	case PORT_E_TIMEOUT:
		return err_set(err, ECS_E_TIMEOUT, "%s %s: timed out", what, peer);
	case PORT_E_RESET:
		return err_set(err, ECS_E_NET, "%s %s: connection reset by peer", what, peer);
	default:
		return err_set(err, ECS_E_NET, "%s %s: %s", what, peer, port_strerror());
	}
}

/* ---- raw socket I/O ---- */

static ecs_status raw_send_all(conn *c, const char *p, size_t n, ecs_err *err)
{
	while (n > 0) {
		size_t sent;
		port_status ps = port_send(c->fd, p, n, c->deadline_ms, &sent);
		if (ps != PORT_OK)
			return io_error(c, ps, "sending to", err);
		p += sent;
		n -= sent;
	}
	return ECS_OK;
}

/* mbedTLS bio callbacks: blocking with the connection's deadline. */
#define BIO_FAILED (-0x004C) /* MBEDTLS_ERR_NET_RECV_FAILED's value: passed through as is */

static int bio_send(void *ctx, const unsigned char *buf, size_t len)
{
	conn *c = ctx;
	size_t sent;
	port_status ps = port_send(c->fd, buf, len, c->deadline_ms, &sent);

	if (ps != PORT_OK) {
		c->io_status = ps;
		return BIO_FAILED;
	}
	return (int)(sent > 0x7fffffff ? 0x7fffffff : sent);
}

static int bio_recv(void *ctx, unsigned char *buf, size_t len)
{
	conn *c = ctx;
	size_t got;
	port_status ps = port_recv(c->fd, buf, len, c->deadline_ms, &got);

	if (ps != PORT_OK) {
		c->io_status = ps;
		return BIO_FAILED;
	}
	return (int)(got > 0x7fffffff ? 0x7fffffff : got);
}

/* ---- proxy tunnel ---- */

static ecs_status proxy_connect(conn *c, ecs_err *err)
{
	char req[1024], auth[ECS_HOST_MAX * 2], hdr[2048], body[512], status_line[160];
	const char *h = c->o.host;
	int v6 = strchr(h, ':') != NULL;
	size_t status_len = 0;
	http_resp r;
	ecs_status st;
	int n;

	auth[0] = '\0';
	if (c->o.proxy.userinfo_len > 0) {
		char b64[ECS_HOST_MAX * 2];
		if (url_base64((const unsigned char *)c->o.proxy.userinfo, c->o.proxy.userinfo_len,
			       b64, sizeof(b64)) != ECS_OK)
			return err_set(err, ECS_E_USAGE, "proxy user information too long");
		snprintf(auth, sizeof(auth), "Proxy-Authorization: Basic %s\r\n", b64);
		memset(b64, 0, sizeof(b64));
	}
	n = snprintf(req, sizeof(req), "CONNECT %s%s%s:%u HTTP/1.1\r\nHost: %s%s%s:%u\r\n%s\r\n",
		     v6 ? "[" : "", h, v6 ? "]" : "", (unsigned)c->o.port, v6 ? "[" : "", h,
		     v6 ? "]" : "", (unsigned)c->o.port, auth);
	memset(auth, 0, sizeof(auth));
	if (n < 0 || (size_t)n >= sizeof(req))
		return err_set(err, ECS_E_USAGE, "CONNECT request too long");
	trace(c, "proxy: CONNECT %s:%u via %s:%u%s", h, (unsigned)c->o.port, c->o.proxy.host,
	      (unsigned)c->o.proxy.port, c->o.proxy.userinfo_len ? " (with Basic auth)" : "");
	st = raw_send_all(c, req, (size_t)n, err);
	memset(req, 0, sizeof(req));
	if (st != ECS_OK) {
		err_prefix(err, "proxy %s:%u", c->o.proxy.host, (unsigned)c->o.proxy.port);
		return ECS_E_PROXY;
	}
	/* The reply to CONNECT has no body we need: parse it as if answering HEAD. */
	http_resp_init(&r, hdr, sizeof(hdr), body, sizeof(body), 1);
	while (!http_resp_done(&r)) {
		size_t got, used, i;
		port_status ps = port_recv(c->fd, c->rbuf, sizeof(c->rbuf), c->deadline_ms, &got);
		if (ps != PORT_OK) {
			io_error(c, ps, "waiting for the proxy's answer about", err);
			return ECS_E_PROXY;
		}
		if (got == 0) {
			err_set(err, ECS_E_PROXY,
				"proxy %s:%u closed the connection during CONNECT", c->o.proxy.host,
				(unsigned)c->o.proxy.port);
			return ECS_E_PROXY;
		}
		for (i = 0; i < got && status_len < sizeof(status_line) - 1; i++) {
			if (c->rbuf[i] == '\r' || c->rbuf[i] == '\n')
				break;
			if (status_len == 0 && http_resp_started(&r))
				break;
			status_line[status_len++] =
				(c->rbuf[i] >= 0x20 && c->rbuf[i] < 0x7f) ? c->rbuf[i] : '?';
		}
		st = http_resp_feed(&r, c->rbuf, got, &used, err);
		if (st != ECS_OK) {
			err_prefix(err, "proxy %s:%u answered CONNECT with a broken response",
				   c->o.proxy.host, (unsigned)c->o.proxy.port);
			return ECS_E_PROXY;
		}
		if (http_resp_done(&r) && (r.status < 200 || r.status > 299))
			break; /* a refusal's body (squid sends HTML) is not read */
		if (http_resp_done(&r) && used < got) {
			return err_set(err, ECS_E_PROXY,
				       "proxy %s:%u sent data after its CONNECT answer",
				       c->o.proxy.host, (unsigned)c->o.proxy.port);
		}
	}
	status_line[status_len] = '\0';
	if (r.status < 200 || r.status > 299)
		return err_set(err, ECS_E_PROXY, "proxy refused CONNECT to %s:%u: %s", h,
			       (unsigned)c->o.port, status_line);
	trace(c, "proxy: tunnel open (%s)", status_line);
	return ECS_OK;
}

/* ---- TLS ---- */

static ecs_status tls_handshake(conn *c, ecs_err *err)
{
	int rc;

	mbedtls_ssl_init(&c->ssl);
	c->tls_up = 1;
	rc = mbedtls_ssl_setup(&c->ssl, tls_config());
	if (rc != 0)
		return err_set(err, ECS_E_TLS, "TLS setup for %s failed: %s", c->o.host,
			       tls_strerror(rc));
	/* Sets SNI and the name to verify (an IP literal is checked against IP SANs). */
	rc = mbedtls_ssl_set_hostname(&c->ssl, c->o.host);
	if (rc != 0)
		return err_set(err, ECS_E_TLS, "TLS: bad host name %s", c->o.host);
	mbedtls_ssl_set_bio(&c->ssl, c, bio_send, bio_recv, NULL);
	c->io_status = PORT_OK;
	do {
		rc = mbedtls_ssl_handshake(&c->ssl);
	} while (rc == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE);
	if (rc == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED)
		return tls_verify_error(&c->ssl, c->o.host, err);
	if (rc != 0) {
		if (c->io_status == PORT_E_TIMEOUT)
			return err_set(err, ECS_E_TIMEOUT, "TLS handshake with %s:%u timed out",
				       c->o.host, (unsigned)c->o.port);
		if (c->io_status == PORT_E_RESET)
			return err_set(err, ECS_E_TLS,
				       "TLS handshake with %s:%u failed: connection reset by peer",
				       c->o.host, (unsigned)c->o.port);
		return err_set(err, ECS_E_TLS, "TLS handshake with %s:%u failed: %s", c->o.host,
			       (unsigned)c->o.port, tls_strerror(rc));
	}
	if (tls_clock_untrusted())
		trace(c,
		      "warning: the local clock is before this build; certificate dates of "
		      "%s were not checked",
		      c->o.host);
	trace(c, "tls: %s with %s, %s", mbedtls_ssl_get_version(&c->ssl), c->o.host,
	      mbedtls_ssl_get_ciphersuite(&c->ssl));
	return ECS_OK;
}

static ecs_status conn_open(conn *c, ecs_err *err)
{
	char detail[ECS_ERR_MSG_MAX - 64];
	const char *host = c->o.use_proxy ? c->o.proxy.host : c->o.host;
	uint16_t port = c->o.use_proxy ? c->o.proxy.port : c->o.port;
	port_status ps;
	ecs_status st;

	c->deadline_ms = port_time_ms() + c->o.connect_timeout_ms;
	trace(c, "connect: %s:%u%s", host, (unsigned)port, c->o.use_proxy ? " (proxy)" : "");
	ps = port_tcp_connect(host, port, c->deadline_ms, &c->fd, detail, sizeof(detail));
	if (ps != PORT_OK) {
		ecs_status s = ps == PORT_E_DNS
				       ? ECS_E_DNS
				       : (ps == PORT_E_TIMEOUT ? ECS_E_TIMEOUT : ECS_E_NET);
		if (c->o.use_proxy)
			return err_set(err, ECS_E_PROXY, "proxy: %s", detail);
		return err_set(err, s, "%s", detail);
	}
	c->open = 1;
	c->connects++;
	c->requests_on_conn = 0;
	if (c->o.use_proxy) {
		st = proxy_connect(c, err);
		if (st != ECS_OK) {
			conn_close(c);
			return st;
		}
	}
	if (c->o.tls) {
		st = tls_handshake(c, err);
		if (st != ECS_OK) {
			conn_close(c);
			return st;
		}
	}
	return ECS_OK;
}

void conn_close(conn *c)
{
	if (c->tls_up) {
		if (c->open) {
			c->deadline_ms = port_time_ms() + 200;
			(void)mbedtls_ssl_close_notify(&c->ssl);
		}
		mbedtls_ssl_free(&c->ssl);
		c->tls_up = 0;
	}
	if (c->open) {
		port_close(c->fd);
		c->fd = PORT_FD_NONE;
		c->open = 0;
		trace(c, "connection to %s closed", c->o.host);
	}
}

static ecs_status send_all(conn *c, const char *p, size_t n, ecs_err *err)
{
	if (!c->o.tls)
		return raw_send_all(c, p, n, err);
	while (n > 0) {
		int rc = mbedtls_ssl_write(&c->ssl, (const unsigned char *)p, n);
		if (rc == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE)
			continue;
		if (rc < 0) {
			if (c->io_status != PORT_OK)
				return io_error(c, c->io_status, "sending to", err);
			return err_set(err, ECS_E_TLS, "sending to %s: %s", c->o.host,
				       tls_strerror(rc));
		}
		p += rc;
		n -= (size_t)rc;
	}
	return ECS_OK;
}

/* Receives some bytes into c->rbuf; *got = 0 means the peer closed. */
static ecs_status recv_some(conn *c, size_t *got, ecs_err *err)
{
	if (!c->o.tls) {
		port_status ps = port_recv(c->fd, c->rbuf, sizeof(c->rbuf), c->deadline_ms, got);
		return ps == PORT_OK ? ECS_OK : io_error(c, ps, "receiving from", err);
	}
	for (;;) {
		int rc = mbedtls_ssl_read(&c->ssl, (unsigned char *)c->rbuf, sizeof(c->rbuf));
		if (rc == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE ||
		    rc == MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET)
			continue;
		if (rc == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY || rc == MBEDTLS_ERR_SSL_CONN_EOF ||
		    rc == 0) {
			*got = 0;
			return ECS_OK;
		}
		if (rc < 0) {
			*got = 0;
			if (c->io_status != PORT_OK)
				return io_error(c, c->io_status, "receiving from", err);
			return err_set(err, ECS_E_TLS, "receiving from %s: %s", c->o.host,
				       tls_strerror(rc));
		}
		*got = (size_t)rc;
		return ECS_OK;
	}
}

ecs_status conn_exchange(conn *c, const char *req, size_t req_len, http_resp *r, int *reused,
			 ecs_err *err)
{
	int attempt;

	for (attempt = 0; attempt < 2; attempt++) {
		int was_used;
		ecs_status st;

		if (!c->open) {
			st = conn_open(c, err);
			if (st != ECS_OK)
				return st;
		}
		was_used = c->requests_on_conn > 0;
		if (reused != NULL)
			*reused = was_used;
		c->deadline_ms = port_time_ms() + c->o.read_timeout_ms;
		c->io_status = PORT_OK;
		st = send_all(c, req, req_len, err);
		if (st != ECS_OK) {
			conn_close(c);
			if (was_used && attempt == 0 && st != ECS_E_TIMEOUT) {
				if (c->o.no_resend)
					return err_set(err, ECS_E_CLOSED,
						       "%s closed the kept-alive connection",
						       c->o.host);
				trace(c, "kept-alive connection was closed by %s; reconnecting",
				      c->o.host);
				continue;
			}
			return st;
		}
		c->requests_on_conn++;
		while (!http_resp_done(r)) {
			size_t got = 0, used = 0;
			c->io_status = PORT_OK;
			st = recv_some(c, &got, err);
			if (st == ECS_OK && got == 0) {
				if (was_used && attempt == 0 && !http_resp_started(r))
					break; /* idle close raced with our request: retry */
				st = http_resp_eof(r, err);
				if (st != ECS_OK) {
					/* a close before the end (a FIN, like an RST) is a dropped
					 * request that the caller may send again, not bad HTTP */
					if (r->error == HTTP_E_EOF_HEADERS ||
					    r->error == HTTP_E_EOF_BODY) {
						st = ECS_E_CLOSED;
						if (err != NULL)
							err->status = st;
					}
					err_prefix(err, "HTTP response from %s", c->o.host);
					conn_close(c);
					return st;
				}
				break;
			}
			if (st != ECS_OK) {
				conn_close(c);
				if (st == ECS_E_TIMEOUT)
					return err_set(err, ECS_E_TIMEOUT,
						       "no complete response from %s within %u ms "
						       "(timed out)",
						       c->o.host, (unsigned)c->o.read_timeout_ms);
				if (was_used && attempt == 0 && !http_resp_started(r)) {
					st = ECS_E_CLOSED;
					break;
				}
				return st;
			}
			st = http_resp_feed(r, c->rbuf, got, &used, err);
			if (st != ECS_OK) {
				err_prefix(err, "HTTP response from %s", c->o.host);
				conn_close(c);
				return st;
			}
			if (http_resp_done(r) && used < got) {
				/* We never pipeline: extra bytes mean the connection is unusable.
				 */
				trace(c, "%s sent %u bytes after the response; closing", c->o.host,
				      (unsigned)(got - used));
				conn_close(c);
			}
		}
		if (!http_resp_done(r)) {
			conn_close(c);
			if (c->o.no_resend)
				return err_set(
					err, ECS_E_CLOSED,
					"%s closed the kept-alive connection before answering",
					c->o.host);
			trace(c, "kept-alive connection was closed by %s; reconnecting", c->o.host);
			continue;
		}
		if ((r->flags & HTTP_F_CLOSE) != 0)
			conn_close(c);
		return ECS_OK;
	}
	return err_set(err, ECS_E_CLOSED, "%s closed the connection before answering", c->o.host);
}

ecs_status conn_request(conn *c, const conn_req *q, http_resp *r, ecs_err *err)
{
	size_t len = 0;
	ecs_status st;

	st = http_write_request(q->wbuf, q->wcap, &len, q->method, q->target, q->headers,
				q->nheaders, q->body, q->body_len, err);
	if (st != ECS_OK) {
		mbedtls_platform_zeroize(q->wbuf, q->wcap);
		return st;
	}
	http_resp_init(r, q->hdr, q->hdr_cap, q->rbody, q->rbody_cap,
		       strcmp(q->method, "HEAD") == 0);
	st = conn_exchange(c, q->wbuf, len, r, NULL, err);
	mbedtls_platform_zeroize(q->wbuf, len);
	return st;
}
