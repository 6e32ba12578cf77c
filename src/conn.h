/*
 * A connection to one endpoint: TCP through the port layer, optionally tunnelled through an
 * HTTP proxy with CONNECT, optionally TLS. It carries HTTP exchanges and keeps the connection
 * alive between them when the server allows; a kept-alive connection that the server closed
 * while idle is reopened once, transparently.
 */
#ifndef ECS_CONN_H
#define ECS_CONN_H

#include <stddef.h>
#include <stdint.h>

#include "ecs_limits.h"
#include "err.h"
#include "http.h"
#include "mbedtls/ssl.h"
#include "port.h"
#include "url.h"

/* Where to go and how. */
typedef struct {
	char host[ECS_HOST_MAX];
	uint16_t port;
	int tls;
	int use_proxy;
	url_parts proxy; /* userinfo is a secret: never printed */
	uint32_t connect_timeout_ms;
	uint32_t read_timeout_ms; /* whole-response deadline, from sending to the last byte */
	/* 1: never resend the same bytes on a new connection (signed requests carry a one-time
	 * nonce); conn_exchange then returns ECS_E_CLOSED and the caller re-signs. */
	int no_resend;
	/* -v trace sink (NULL = quiet). Lines never contain secrets. */
	void (*trace)(void *ctx, const char *line);
	void *trace_ctx;
} conn_opts;

/* Where a connection is in its non-blocking life. */
typedef enum {
	CONN_S_CLOSED = 0, /* no socket */
	CONN_S_CONNECTING, /* TCP connect in progress (to addrs[addr_i]) */
	CONN_S_PROXY_SEND, /* sending CONNECT to the proxy */
	CONN_S_PROXY_RECV, /* reading the proxy's answer */
	CONN_S_HANDSHAKE,  /* TLS handshake */
	CONN_S_IDLE,	   /* open, no exchange in progress */
	CONN_S_SEND,	   /* sending the request */
	CONN_S_RECV	   /* reading the response */
} conn_state;

typedef struct {
	conn_opts o;
	port_fd fd;
	int open;
	int tls_up;
	conn_state state;
	unsigned requests_on_conn; /* exchanges carried by the current connection */
	unsigned connects;	   /* connections opened so far */
	int64_t deadline_ms;	   /* of the current phase (connect or exchange) */
	int64_t max_deadline_ms;   /* caller's hard limit for everything (0 = none) */
	port_status io_status;	   /* last I/O failure seen by the bio callbacks */
	unsigned want;		   /* PORT_POLL_* the current state waits for */
	/* resolved addresses of the first hop (target or proxy), kept for reconnects */
	port_addr addrs[PORT_ADDRS_MAX];
	size_t naddrs, addr_i;
	char last_detail[ECS_CONN_WHY_MAX]; /* why each address tried failed, in order */
	int64_t addr_deadline_ms;	    /* the share of the connect time of this address */
	/* the exchange in progress */
	const char *req;
	size_t req_len, req_off;
	http_resp *r;
	int was_used; /* the exchange went out on an already used connection */
	/* CONNECT through a proxy */
	size_t preq_len, preq_off;
	http_resp pr;
	size_t pstatus_len;
	mbedtls_ssl_context ssl;
	char *rbuf; /* where received bytes land before the parser takes them: rbuf_own, or a
		     * buffer shared by the connections of one thread (conn_share_rbuf) */
	/* buffers (from here on, not cleared by conn_init: pages touched only when used) */
	char preq[1024];
	char phdr[2048], pbody[512], pstatus[160];
	char rbuf_own[ECS_NET_CHUNK];
} conn;

/* Chooses the proxy for target host/port/tls: explicit proxy_url (--proxy) else HTTPS_PROXY /
 * https_proxy (https) or http_proxy (http) else ALL_PROXY / all_proxy; no_proxy (--no-proxy)
 * else NO_PROXY / no_proxy may exclude the host. The ECS metadata address 100.100.100.200 is
 * never proxied. Sets o->use_proxy and o->proxy. */
ecs_status conn_pick_proxy(conn_opts *o, const char *proxy_url, const char *no_proxy, ecs_err *err);

void conn_init(conn *c, const conn_opts *o);

/* Sends req (req_len bytes) and parses the response into r (initialised by the caller with
 * http_resp_init), blocking until done or the deadlines pass (conn_begin + conn_step + poll).
 * Opens the connection when needed (TLS context from tls_global_init()). On a reused
 * connection that the server had closed before answering, reconnects once and resends
 * (with o.no_resend: ECS_E_CLOSED instead). *reused (if not NULL) gets 1 if the response came
 * over an already used connection. Closes the connection when the response demands it. */
ecs_status conn_exchange(conn *c, const char *req, size_t req_len, http_resp *r, int *reused,
			 ecs_err *err);

/* One request as conn_request() sends it. The caller owns every buffer. */
typedef struct {
	const char *method;
	const char *target;	    /* "/path?query" */
	const http_header *headers; /* Host included; never Content-Length */
	size_t nheaders;
	const char *body; /* NULL / 0 = none */
	size_t body_len;
	char *wbuf; /* the request bytes are written here, and zeroed after sending */
	size_t wcap;
	char *hdr; /* response header block */
	size_t hdr_cap;
	char *rbody; /* response body */
	size_t rbody_cap;
} conn_req;

/* One exchange over c: writes the request into q->wbuf, opens the connection when needed,
 * sends, and parses the response into r (initialised here over q->hdr / q->rbody). Errors as
 * http_write_request() (ECS_E_NOSPACE, ECS_E_INPUT) and conn_exchange(); a response larger
 * than the caller's buffers is ECS_E_PROTO naming the limit. Signing is the caller's job: the
 * request is sent as given. */
ecs_status conn_request(conn *c, const conn_req *q, http_resp *r, ecs_err *err);

/* Non-blocking use (many connections under one poll):
 * conn_begin starts one exchange of req (which must stay valid until it ends) into r, opening
 * the connection first if needed; then call conn_step whenever conn_fd() is ready for
 * conn_events() (or the deadline conn_deadline() passed). conn_step advances as far as it can
 * without waiting and sets *done = 1 when the response is complete (the connection is then
 * idle, or closed if the response asked for it). Any error ends the exchange and closes the
 * connection; ECS_E_CLOSED means a kept-alive connection was closed by the server before any
 * byte of the answer (c->was_used tells whether it had been used before). */
ecs_status conn_begin(conn *c, const char *req, size_t req_len, http_resp *r, ecs_err *err);
ecs_status conn_step(conn *c, int *done, ecs_err *err);
port_fd conn_fd(const conn *c);
unsigned conn_events(const conn *c);
int64_t conn_deadline(const conn *c);

/* Hands the connection already resolved addresses of its first hop (so that K connections
 * resolve once); without it the first open resolves. */
void conn_set_addrs(conn *c, const port_addr *a, size_t n);

/* Makes c receive into buf (ECS_NET_CHUNK bytes) instead of its own buffer: received bytes
 * are handed to the parser at once, so the connections driven by one thread can share one. */
void conn_share_rbuf(conn *c, char *buf);

/* Resolves the first hop of o (the proxy if o->use_proxy) into a (PORT_ADDRS_MAX). */
ecs_status conn_resolve(const conn_opts *o, int64_t deadline_ms, port_addr *a, size_t *n,
			ecs_err *err);

/* Closes the connection (TLS close_notify when possible) and frees its TLS state. */
void conn_close(conn *c);

#endif
