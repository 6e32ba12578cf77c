#include "conn.h"

#include <stdarg.h>
#include <stddef.h>
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
	memset(c, 0, offsetof(conn, preq));
	c->rbuf = c->rbuf_own;
	c->o = *o;
	c->fd = PORT_FD_NONE;
}

void conn_share_rbuf(conn *c, char *buf)
{
	c->rbuf = buf;
}

void conn_set_addrs(conn *c, const port_addr *a, size_t n)
{
	if (n > PORT_ADDRS_MAX)
		n = PORT_ADDRS_MAX;
	memcpy(c->addrs, a, n * sizeof(a[0]));
	c->naddrs = n;
}

ecs_status conn_resolve(const conn_opts *o, int64_t deadline_ms, port_addr *a, size_t *n,
			ecs_err *err)
{
	char detail[ECS_ERR_MSG_MAX - 64];
	const char *host = o->use_proxy ? o->proxy.host : o->host;
	uint16_t port = o->use_proxy ? o->proxy.port : o->port;
	port_status ps =
		port_resolve(host, port, deadline_ms, a, PORT_ADDRS_MAX, n, detail, sizeof(detail));

	if (ps == PORT_OK)
		return ECS_OK;
	if (o->use_proxy)
		return err_set(err, ECS_E_PROXY, "proxy: %s", detail);
	return err_set(err, ps == PORT_E_TIMEOUT ? ECS_E_TIMEOUT : ECS_E_DNS, "%s", detail);
}

port_fd conn_fd(const conn *c)
{
	return c->fd;
}

unsigned conn_events(const conn *c)
{
	return c->want;
}

int64_t conn_deadline(const conn *c)
{
	int64_t d = c->deadline_ms;

	if (c->state == CONN_S_CONNECTING && c->addr_deadline_ms != 0 && c->addr_deadline_ms < d)
		d = c->addr_deadline_ms;
	if (c->max_deadline_ms != 0 && c->max_deadline_ms < d)
		return c->max_deadline_ms;
	return d;
}

static int timed_out(const conn *c)
{
	return port_time_ms() >= conn_deadline(c);
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

/* Sends what the socket takes of p[*off..n). ECS_OK with *off == n when all went out, or
 * with c->want set when it would block. */
static ecs_status raw_send_some(conn *c, const char *p, size_t n, size_t *off, ecs_err *err)
{
	while (*off < n) {
		size_t sent;
		port_status ps = port_send_nb(c->fd, p + *off, n - *off, &sent);
		if (ps == PORT_E_AGAIN) {
			c->want = PORT_POLL_OUT;
			return ECS_OK;
		}
		if (ps != PORT_OK)
			return io_error(c, ps, "sending to", err);
		*off += sent;
	}
	return ECS_OK;
}

/* mbedTLS bio callbacks over the non-blocking socket. */
#define BIO_FAILED (-0x004C) /* MBEDTLS_ERR_NET_RECV_FAILED's value: passed through as is */

static int bio_send(void *ctx, const unsigned char *buf, size_t len)
{
	conn *c = ctx;
	size_t sent;
	port_status ps = port_send_nb(c->fd, buf, len, &sent);

	if (ps == PORT_E_AGAIN) {
		c->want = PORT_POLL_OUT;
		return MBEDTLS_ERR_SSL_WANT_WRITE;
	}
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
	port_status ps = port_recv_nb(c->fd, buf, len, &got);

	if (ps == PORT_E_AGAIN) {
		c->want = PORT_POLL_IN;
		return MBEDTLS_ERR_SSL_WANT_READ;
	}
	if (ps != PORT_OK) {
		c->io_status = ps;
		return BIO_FAILED;
	}
	return (int)(got > 0x7fffffff ? 0x7fffffff : got);
}

/* ---- proxy tunnel ---- */

static ecs_status proxy_prepare(conn *c, ecs_err *err)
{
	char auth[ECS_HOST_MAX * 2];
	const char *h = c->o.host;
	int v6 = strchr(h, ':') != NULL, n;

	auth[0] = '\0';
	if (c->o.proxy.userinfo_len > 0) {
		char b64[ECS_HOST_MAX * 2];
		if (url_base64((const unsigned char *)c->o.proxy.userinfo, c->o.proxy.userinfo_len,
			       b64, sizeof(b64)) != ECS_OK)
			return err_set(err, ECS_E_USAGE, "proxy user information too long");
		snprintf(auth, sizeof(auth), "Proxy-Authorization: Basic %s\r\n", b64);
		memset(b64, 0, sizeof(b64));
	}
	n = snprintf(c->preq, sizeof(c->preq),
		     "CONNECT %s%s%s:%u HTTP/1.1\r\nHost: %s%s%s:%u\r\n%s\r\n", v6 ? "[" : "", h,
		     v6 ? "]" : "", (unsigned)c->o.port, v6 ? "[" : "", h, v6 ? "]" : "",
		     (unsigned)c->o.port, auth);
	memset(auth, 0, sizeof(auth));
	if (n < 0 || (size_t)n >= sizeof(c->preq)) {
		memset(c->preq, 0, sizeof(c->preq));
		return err_set(err, ECS_E_USAGE, "CONNECT request too long");
	}
	c->preq_len = (size_t)n;
	c->preq_off = 0;
	c->pstatus_len = 0;
	c->pstatus[0] = '\0';
	/* The reply to CONNECT has no body we need: parse it as if answering HEAD. */
	http_resp_init(&c->pr, c->phdr, sizeof(c->phdr), c->pbody, sizeof(c->pbody), 1);
	trace(c, "proxy: CONNECT %s:%u via %s:%u%s", h, (unsigned)c->o.port, c->o.proxy.host,
	      (unsigned)c->o.proxy.port, c->o.proxy.userinfo_len ? " (with Basic auth)" : "");
	c->state = CONN_S_PROXY_SEND;
	return ECS_OK;
}

static ecs_status proxy_send(conn *c, ecs_err *err)
{
	ecs_status st = raw_send_some(c, c->preq, c->preq_len, &c->preq_off, err);

	if (st != ECS_OK) {
		memset(c->preq, 0, sizeof(c->preq));
		err_prefix(err, "proxy %s:%u", c->o.proxy.host, (unsigned)c->o.proxy.port);
		return ECS_E_PROXY;
	}
	if (c->preq_off == c->preq_len) {
		memset(c->preq, 0, sizeof(c->preq)); /* held the proxy password */
		c->state = CONN_S_PROXY_RECV;
	}
	return ECS_OK;
}

/* Keeps the printable first line of the proxy's answer for messages. */
static void proxy_status_line(conn *c, size_t got)
{
	size_t i;

	for (i = 0; i < got && c->pstatus_len < sizeof(c->pstatus) - 1; i++) {
		if (c->rbuf[i] == '\r' || c->rbuf[i] == '\n')
			break;
		if (c->pstatus_len == 0 && http_resp_started(&c->pr))
			break;
		c->pstatus[c->pstatus_len++] =
			(c->rbuf[i] >= 0x20 && c->rbuf[i] < 0x7f) ? c->rbuf[i] : '?';
	}
	c->pstatus[c->pstatus_len] = '\0';
}

static ecs_status proxy_recv(conn *c, ecs_err *err)
{
	const char *ph = c->o.proxy.host;
	unsigned pp = (unsigned)c->o.proxy.port;

	while (!http_resp_done(&c->pr)) {
		size_t got, used;
		port_status ps = port_recv_nb(c->fd, c->rbuf, ECS_NET_CHUNK, &got);
		if (ps == PORT_E_AGAIN) {
			c->want = PORT_POLL_IN;
			return ECS_OK;
		}
		if (ps != PORT_OK) {
			io_error(c, ps, "waiting for the proxy's answer about", err);
			return ECS_E_PROXY;
		}
		if (got == 0)
			return err_set(err, ECS_E_PROXY,
				       "proxy %s:%u closed the connection during CONNECT", ph, pp);
		proxy_status_line(c, got);
		if (http_resp_feed(&c->pr, c->rbuf, got, &used, err) != ECS_OK) {
			err_prefix(err, "proxy %s:%u answered CONNECT with a broken response", ph,
				   pp);
			return ECS_E_PROXY;
		}
		if (http_resp_done(&c->pr) && (c->pr.status < 200 || c->pr.status > 299))
			break; /* a refusal's body (squid sends HTML) is not read */
		if (http_resp_done(&c->pr) && used < got)
			return err_set(err, ECS_E_PROXY,
				       "proxy %s:%u sent data after its CONNECT answer", ph, pp);
	}
	if (c->pr.status < 200 || c->pr.status > 299)
		return err_set(err, ECS_E_PROXY, "proxy refused CONNECT to %s:%u: %s", c->o.host,
			       (unsigned)c->o.port, c->pstatus);
	trace(c, "proxy: tunnel open (%s)", c->pstatus);
	return ECS_OK;
}

/* ---- TLS ---- */

static ecs_status tls_start(conn *c, ecs_err *err)
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
	c->state = CONN_S_HANDSHAKE;
	return ECS_OK;
}

static ecs_status tls_handshake_step(conn *c, int *finished, ecs_err *err)
{
	int rc;

	*finished = 0;
	c->io_status = PORT_OK;
	rc = mbedtls_ssl_handshake(&c->ssl);
	if (rc == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE)
		return ECS_OK; /* c->want set by the bio callback */
	if (rc == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED)
		return tls_verify_error(&c->ssl, c->o.host, err);
	if (rc != 0) {
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
	*finished = 1;
	return ECS_OK;
}

/* ---- opening ---- */

/* Adds why one address failed to the list the final message shows. */
static void note_fail(conn *c, const char *why)
{
	size_t n = strlen(c->last_detail);

	snprintf(c->last_detail + n, sizeof(c->last_detail) - n, "%s%s", n > 0 ? "; " : "", why);
}

static ecs_status connect_fail(conn *c, ecs_status s, ecs_err *err)
{
	const char *host = c->o.use_proxy ? c->o.proxy.host : c->o.host;

	const char *why = c->last_detail[0] != '\0' ? c->last_detail : "no address";

	if (c->o.use_proxy)
		return err_set(err, ECS_E_PROXY, "proxy: could not connect to %s (%s)", host, why);
	return err_set(err, s, "could not connect to %s (%s)", host, why);
}

/* Starts connecting to the next address that accepts a connect() call. */
static ecs_status connect_next(conn *c, ecs_err *err)
{
	while (c->addr_i < c->naddrs) {
		char why[200];
		int64_t now = port_time_ms(), left = c->deadline_ms - now;
		port_status ps = port_connect_start(&c->addrs[c->addr_i], &c->fd, why, sizeof(why));
		if (ps == PORT_OK) {
			/* each address an equal share of the time left (the last all of it): one
			 * silent address cannot use up the deadline of those after it */
			c->addr_deadline_ms = now + left / (int64_t)(c->naddrs - c->addr_i);
			c->state = CONN_S_CONNECTING;
			c->want = PORT_POLL_OUT;
			return ECS_OK;
		}
		note_fail(c, why);
		c->addr_i++;
	}
	return connect_fail(c, ECS_E_NET, err);
}

static ecs_status open_begin(conn *c, ecs_err *err)
{
	const char *host = c->o.use_proxy ? c->o.proxy.host : c->o.host;
	uint16_t port = c->o.use_proxy ? c->o.proxy.port : c->o.port;
	ecs_status st;

	c->deadline_ms = port_time_ms() + c->o.connect_timeout_ms;
	trace(c, "connect: %s:%u%s", host, (unsigned)port, c->o.use_proxy ? " (proxy)" : "");
	if (c->naddrs == 0) {
		st = conn_resolve(&c->o, conn_deadline(c), c->addrs, &c->naddrs, err);
		if (st != ECS_OK)
			return st;
	}
	c->last_detail[0] = '\0';
	c->addr_i = 0;
	return connect_next(c, err);
}

/* The socket became writable: connected, or try the next address. */
static ecs_status connected(conn *c, ecs_err *err)
{
	char why[200];
	port_status ps = port_connect_result(c->fd, &c->addrs[c->addr_i], why, sizeof(why));

	if (ps != PORT_OK) {
		note_fail(c, why);
		port_close(c->fd);
		c->fd = PORT_FD_NONE;
		c->addr_i++;
		return connect_next(c, err);
	}
	c->open = 1;
	c->connects++;
	c->requests_on_conn = 0;
	if (c->o.use_proxy)
		return proxy_prepare(c, err);
	if (c->o.tls)
		return tls_start(c, err);
	c->state = CONN_S_IDLE;
	return ECS_OK;
}

void conn_close(conn *c)
{
	if (c->tls_up) {
		if (c->open)
			(void)mbedtls_ssl_close_notify(&c->ssl); /* best effort, never waits */
		mbedtls_ssl_free(&c->ssl);
		c->tls_up = 0;
	}
	if (c->fd != PORT_FD_NONE) {
		port_close(c->fd);
		c->fd = PORT_FD_NONE;
	}
	if (c->open) {
		c->open = 0;
		trace(c, "connection to %s closed", c->o.host);
	}
	c->state = CONN_S_CLOSED;
	c->want = 0;
}

/* ---- one exchange ---- */

ecs_status conn_begin(conn *c, const char *req, size_t req_len, http_resp *r, ecs_err *err)
{
	ecs_status st = ECS_OK;

	c->req = req;
	c->req_len = req_len;
	c->req_off = 0;
	c->r = r;
	if (c->state == CONN_S_IDLE) {
		c->was_used = c->requests_on_conn > 0;
		c->deadline_ms = port_time_ms() + c->o.read_timeout_ms;
		c->state = CONN_S_SEND;
		c->want = PORT_POLL_OUT;
		return ECS_OK;
	}
	conn_close(c);
	c->was_used = 0;
	st = open_begin(c, err);
	if (st != ECS_OK)
		conn_close(c);
	return st;
}

static ecs_status closed_early(conn *c, ecs_err *err)
{
	return err_set(err, ECS_E_CLOSED, "%s closed the kept-alive connection before answering",
		       c->o.host);
}

static ecs_status send_step(conn *c, ecs_err *err)
{
	ecs_status st = ECS_OK;

	if (!c->o.tls) {
		st = raw_send_some(c, c->req, c->req_len, &c->req_off, err);
	} else {
		while (c->req_off < c->req_len) {
			int rc;
			c->io_status = PORT_OK;
			rc = mbedtls_ssl_write(&c->ssl, (const unsigned char *)c->req + c->req_off,
					       c->req_len - c->req_off);
			if (rc == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE)
				return ECS_OK;
			if (rc < 0) {
				st = c->io_status != PORT_OK
					     ? io_error(c, c->io_status, "sending to", err)
					     : err_set(err, ECS_E_TLS, "sending to %s: %s",
						       c->o.host, tls_strerror(rc));
				break;
			}
			c->req_off += (size_t)rc;
		}
	}
	if (st != ECS_OK)
		return c->was_used ? err_set(err, ECS_E_CLOSED,
					     "%s closed the kept-alive connection", c->o.host)
				   : st;
	if (c->req_off == c->req_len) {
		c->requests_on_conn++;
		c->state = CONN_S_RECV;
	}
	return ECS_OK;
}

/* Receives some bytes into c->rbuf: *got = 0 and c->want = 0 means the peer closed; *got = 0
 * with c->want set means nothing yet. */
static ecs_status recv_some(conn *c, size_t *got, ecs_err *err)
{
	*got = 0;
	if (!c->o.tls) {
		port_status ps = port_recv_nb(c->fd, c->rbuf, ECS_NET_CHUNK, got);
		if (ps == PORT_E_AGAIN) {
			c->want = PORT_POLL_IN;
			return ECS_OK;
		}
		return ps == PORT_OK ? ECS_OK : io_error(c, ps, "receiving from", err);
	}
	for (;;) {
		int rc;
		c->io_status = PORT_OK;
		rc = mbedtls_ssl_read(&c->ssl, (unsigned char *)c->rbuf, ECS_NET_CHUNK);
		if (rc == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE)
			return ECS_OK;
		if (rc == MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET)
			continue;
		if (rc == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY || rc == MBEDTLS_ERR_SSL_CONN_EOF ||
		    rc == 0)
			return ECS_OK;
		if (rc < 0) {
			if (c->io_status != PORT_OK)
				return io_error(c, c->io_status, "receiving from", err);
			return err_set(err, ECS_E_TLS, "receiving from %s: %s", c->o.host,
				       tls_strerror(rc));
		}
		*got = (size_t)rc;
		return ECS_OK;
	}
}

static ecs_status recv_step(conn *c, int *done, ecs_err *err)
{
	while (!http_resp_done(c->r)) {
		size_t got = 0, used = 0;
		ecs_status st = recv_some(c, &got, err);
		if (st != ECS_OK)
			return c->was_used && !http_resp_started(c->r) ? closed_early(c, err) : st;
		if (got == 0 && c->want != 0)
			return ECS_OK;
		if (got == 0) {
			if (c->was_used && !http_resp_started(c->r))
				return closed_early(c, err);
			st = http_resp_eof(c->r, err);
			if (st != ECS_OK) {
				/* a close before the end (a FIN, like an RST) is a dropped request
				 * that the caller may send again, not bad HTTP */
				if (c->r->error == HTTP_E_EOF_HEADERS ||
				    c->r->error == HTTP_E_EOF_BODY) {
					st = ECS_E_CLOSED;
					if (err != NULL)
						err->status = st;
				}
				err_prefix(err, "HTTP response from %s", c->o.host);
				return st;
			}
			conn_close(c);
			break;
		}
		st = http_resp_feed(c->r, c->rbuf, got, &used, err);
		if (st != ECS_OK) {
			err_prefix(err, "HTTP response from %s", c->o.host);
			return st;
		}
		if (http_resp_done(c->r) && used < got) {
			/* We never pipeline: extra bytes mean the connection is unusable. */
			trace(c, "%s sent %u bytes after the response; closing", c->o.host,
			      (unsigned)(got - used));
			conn_close(c);
		}
	}
	*done = 1;
	c->req = NULL;
	c->want = 0;
	if ((c->r->flags & HTTP_F_CLOSE) != 0 || c->state != CONN_S_RECV)
		conn_close(c);
	else
		c->state = CONN_S_IDLE;
	return ECS_OK;
}

static void note_timeout(conn *c)
{
	char why[200];

	snprintf(why, sizeof(why), "%s port %u: timed out", c->addrs[c->addr_i].text,
		 (unsigned)(c->o.use_proxy ? c->o.proxy.port : c->o.port));
	note_fail(c, why);
}

/* The share of one address ran out while others are left: on to the next. */
static int next_after_timeout(conn *c, ecs_status *st, ecs_err *err)
{
	int64_t now = port_time_ms();

	if (c->state != CONN_S_CONNECTING || c->addr_i + 1 >= c->naddrs || now >= c->deadline_ms ||
	    (c->max_deadline_ms != 0 && now >= c->max_deadline_ms))
		return 0;
	note_timeout(c);
	port_close(c->fd);
	c->fd = PORT_FD_NONE;
	c->addr_i++;
	*st = connect_next(c, err);
	return 1;
}

static ecs_status timeout_error(conn *c, ecs_err *err)
{
	const char *h = c->o.host;

	if (c->max_deadline_ms != 0 && port_time_ms() >= c->max_deadline_ms)
		return err_set(err, ECS_E_TIMEOUT, "the time limit passed while talking to %s", h);
	switch (c->state) {
	case CONN_S_CONNECTING:
		note_timeout(c);
		return connect_fail(c, ECS_E_TIMEOUT, err);
	case CONN_S_PROXY_SEND:
	case CONN_S_PROXY_RECV:
		io_error(c, PORT_E_TIMEOUT, "waiting for the proxy's answer about", err);
		return ECS_E_PROXY;
	case CONN_S_HANDSHAKE:
		return err_set(err, ECS_E_TIMEOUT, "TLS handshake with %s:%u timed out", h,
			       (unsigned)c->o.port);
	default:
		return err_set(err, ECS_E_TIMEOUT,
			       "no complete response from %s within %u ms (timed out)", h,
			       (unsigned)c->o.read_timeout_ms);
	}
}

/* One state's work; may change c->state, set c->want (wait) or *done. */
static ecs_status step_state(conn *c, int *done, ecs_err *err)
{
	int fin = 0;
	ecs_status st;

	switch (c->state) {
	case CONN_S_CONNECTING: {
		port_pollfd p = {c->fd, PORT_POLL_OUT, 0};
		if (port_poll(&p, 1, 0) <= 0) {
			c->want = PORT_POLL_OUT;
			return ECS_OK;
		}
		return connected(c, err);
	}
	case CONN_S_PROXY_SEND:
		return proxy_send(c, err);
	case CONN_S_PROXY_RECV:
		st = proxy_recv(c, err);
		if (st != ECS_OK || c->want != 0)
			return st;
		if (c->o.tls)
			return tls_start(c, err);
		c->state = CONN_S_IDLE;
		return ECS_OK;
	case CONN_S_HANDSHAKE:
		st = tls_handshake_step(c, &fin, err);
		if (st == ECS_OK && fin)
			c->state = CONN_S_IDLE;
		return st;
	case CONN_S_IDLE:
		if (c->req == NULL) {
			*done = 1;
			return ECS_OK;
		}
		c->was_used = c->requests_on_conn > 0;
		c->deadline_ms = port_time_ms() + c->o.read_timeout_ms;
		c->state = CONN_S_SEND;
		return ECS_OK;
	case CONN_S_SEND:
		return send_step(c, err);
	case CONN_S_RECV:
		return recv_step(c, done, err);
	default:
		return err_set(err, ECS_E_INTERNAL, "conn_step on a closed connection");
	}
}

ecs_status conn_step(conn *c, int *done, ecs_err *err)
{
	*done = 0;
	for (;;) {
		ecs_status st;
		c->want = 0;
		st = step_state(c, done, err);
		if (st != ECS_OK) {
			c->req = NULL;
			conn_close(c);
			return st;
		}
		if (*done)
			return ECS_OK;
		if (c->want != 0) {
			if (!timed_out(c))
				return ECS_OK;
			if (next_after_timeout(c, &st, err)) {
				if (st == ECS_OK)
					continue;
				c->req = NULL;
				conn_close(c);
				return st;
			}
			st = timeout_error(c, err);
			c->req = NULL;
			conn_close(c);
			return st;
		}
	}
}

/* Blocking: drives one exchange with a poll on this one socket. */
static ecs_status run_one(conn *c, const char *req, size_t req_len, http_resp *r, ecs_err *err)
{
	int done = 0;
	ecs_status st = conn_begin(c, req, req_len, r, err);

	while (st == ECS_OK) {
		st = conn_step(c, &done, err);
		if (st != ECS_OK || done)
			break;
		{
			port_pollfd p = {c->fd, c->want, 0};
			if (port_poll(&p, 1, conn_deadline(c)) < 0) {
				conn_close(c);
				return err_set(err, ECS_E_INTERNAL, "poll failed: %s",
					       port_strerror());
			}
		}
	}
	return st;
}

ecs_status conn_exchange(conn *c, const char *req, size_t req_len, http_resp *r, int *reused,
			 ecs_err *err)
{
	ecs_status st = run_one(c, req, req_len, r, err);

	if (reused != NULL)
		*reused = c->was_used;
	if (st != ECS_E_CLOSED || !c->was_used || c->o.no_resend)
		return st;
	trace(c, "kept-alive connection was closed by %s; reconnecting", c->o.host);
	st = run_one(c, req, req_len, r, err);
	if (reused != NULL)
		*reused = c->was_used;
	if (st == ECS_E_CLOSED)
		return err_set(err, ECS_E_CLOSED, "%s closed the connection before answering",
			       c->o.host);
	return st;
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
