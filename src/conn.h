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

typedef struct {
	conn_opts o;
	port_fd fd;
	int open;
	int tls_up;
	unsigned requests_on_conn; /* exchanges carried by the current connection */
	unsigned connects;	   /* connections opened so far */
	int64_t deadline_ms;	   /* for the bio callbacks */
	port_status io_status;	   /* last I/O failure seen by the bio callbacks */
	mbedtls_ssl_context ssl;
	char rbuf[ECS_NET_CHUNK];
} conn;

/* Chooses the proxy for target host/port/tls: explicit proxy_url (--proxy) else HTTPS_PROXY /
 * https_proxy (https) or http_proxy (http) else ALL_PROXY / all_proxy; no_proxy (--no-proxy)
 * else NO_PROXY / no_proxy may exclude the host. The ECS metadata address 100.100.100.200 is
 * never proxied. Sets o->use_proxy and o->proxy. */
ecs_status conn_pick_proxy(conn_opts *o, const char *proxy_url, const char *no_proxy, ecs_err *err);

void conn_init(conn *c, const conn_opts *o);

/* Sends req (req_len bytes) and parses the response into r (initialised by the caller with
 * http_resp_init). Opens the connection when needed (TLS context from tls_global_init()).
 * On a reused connection that the server had closed before answering, reconnects once and
 * resends. *reused (if not NULL) gets 1 if the response came over an already used
 * connection. Closes the connection when the response demands it. */
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

/* Closes the connection (TLS close_notify when possible) and frees its TLS state. */
void conn_close(conn *c);

#endif
