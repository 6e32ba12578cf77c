/* Stub resolver with a deadline (see resolv.h): the files, the sockets and the clock. The
 * messages are built here because only here is known which nameserver failed how. */
#include "resolv.h"
#include "sysraw.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define HOSTS_PATH "/etc/hosts"
#define CONF_PATH  "/etc/resolv.conf"
#define NEG_BAD	   16 /* a malformed answer to our question */
#define NEG_TCP	   17 /* truncated, and asking again over TCP failed */

socklen_t resolv_sockaddr(const dns_addr *a, uint16_t port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == 6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)(void *)ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		memcpy(&s6->sin6_addr, a->b, 16);
		return sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)(void *)ss;
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		memcpy(&s4->sin_addr, a->b, 4);
		return sizeof(*s4);
	}
}

int resolv_wait(int fd, short events, int64_t deadline_ms)
{
	struct pollfd p;

	for (;;) {
		int64_t left = deadline_ms - port_time_ms();
		int r;
		if (left <= 0)
			return 0;
		p.fd = fd;
		p.events = events;
		p.revents = 0;
		r = poll(&p, 1, left > 0x7fffffff ? 0x7fffffff : (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r != 0)
			return r < 0 ? -1 : 1;
	}
}

/* Calls fn for every line of path; lines longer than ECS_DNS_LINE_MAX are skipped.
 * -1 (errno set) when the file cannot be opened or read. */
static int each_line(const char *path, void (*fn)(void *ctx, const char *l, size_t n), void *ctx)
{
	char chunk[1024], line[ECS_DNS_LINE_MAX];
	size_t ll = 0, i;
	int skip = 0, fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	if (fd < 0)
		return -1;
	for (;;) {
		ssize_t r = read(fd, chunk, sizeof(chunk));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			close(fd);
			errno = e;
			return -1;
		}
		if (r == 0)
			break;
		for (i = 0; i < (size_t)r; i++) {
			if (chunk[i] == '\n') {
				if (!skip)
					fn(ctx, line, ll);
				ll = 0;
				skip = 0;
			} else if (ll < sizeof(line)) {
				line[ll++] = chunk[i];
			} else {
				skip = 1;
			}
		}
	}
	if (ll > 0 && !skip)
		fn(ctx, line, ll);
	close(fd);
	return 0;
}

typedef struct {
	const char *name;
	dns_addr *out;
	size_t cap, *n;
} hosts_ctx;

static void hosts_cb(void *ctx, const char *l, size_t n)
{
	hosts_ctx *h = ctx;

	(void)dns_hosts_line(l, n, h->name, h->out, h->cap, h->n);
}

static void conf_cb(void *ctx, const char *l, size_t n)
{
	dns_conf_line(ctx, l, n);
}

/* One name asked of every nameserver at once, A and AAAA together. */
typedef struct {
	const dns_conf *conf;
	const char *name;
	int fd[ECS_DNS_NS_MAX];
	int err[ECS_DNS_NS_MAX]; /* errno that put a nameserver out of the game; 0 = alive */
	struct {
		uint16_t type, id;
		uint8_t q[ECS_HOST_MAX + 18];
		size_t qlen;
		int done;		 /* 1 answered (NOERROR/NXDOMAIN), 2 every server failed */
		int neg[ECS_DNS_NS_MAX]; /* failure rcode (or NEG_*) per server; -1 none */
		dns_reply rep;
	} t[2]; /* [0] AAAA, [1] A: IPv6 first */
	int64_t started;
} ask;

static int read_full(int s, uint8_t *p, size_t n, int64_t deadline_ms)
{
	while (n > 0) {
		ssize_t r = recv(s, p, n, 0);
		if (r > 0) {
			p += r;
			n -= (size_t)r;
		} else if (r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) ||
			   resolv_wait(s, POLLIN, deadline_ms) <= 0) {
			return -1;
		}
	}
	return 0;
}

/* Asks one question over TCP (RFC 7766) after a truncated UDP answer. 0 and *len, or -1. */
static int tcp_query(const dns_addr *ns, const uint8_t *q, size_t qlen, int64_t deadline_ms,
		     uint8_t *buf, size_t cap, size_t *len)
{
	struct sockaddr_storage ss;
	socklen_t sl = resolv_sockaddr(ns, 53, &ss), el = sizeof(int);
	uint8_t msg[2 + ECS_HOST_MAX + 18], pre[2];
	int s, rc = -1, e = 0;

	s = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s < 0)
		return -1;
	msg[0] = (uint8_t)(qlen >> 8);
	msg[1] = (uint8_t)qlen;
	memcpy(msg + 2, q, qlen);
	if ((connect(s, (struct sockaddr *)&ss, sl) == 0 || errno == EINPROGRESS) &&
	    resolv_wait(s, POLLOUT, deadline_ms) == 1 &&
	    sys_getsockopt(s, SOL_SOCKET, SO_ERROR, &e, &el) == 0 && e == 0 &&
	    send(s, msg, qlen + 2, MSG_NOSIGNAL) == (ssize_t)(qlen + 2) &&
	    read_full(s, pre, 2, deadline_ms) == 0) {
		*len = (size_t)pre[0] << 8 | pre[1];
		if (*len <= cap && read_full(s, buf, *len, deadline_ms) == 0)
			rc = 0;
	}
	close(s);
	return rc;
}

static int ask_open(ask *a)
{
	unsigned i;

	for (i = 0; i < a->conf->nns; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = resolv_sockaddr(&a->conf->ns[i], 53, &ss);
		a->err[i] = 0;
		a->fd[i] = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (a->fd[i] < 0) {
			int e = errno;
			while (i-- > 0)
				close(a->fd[i]);
			return e;
		}
		/* connected: only that server's datagrams arrive, and ICMP errors are seen */
		if (connect(a->fd[i], (struct sockaddr *)&ss, sl) != 0)
			a->err[i] = errno;
	}
	return 0;
}

static void ask_send(ask *a)
{
	unsigned i, k;

	for (k = 0; k < 2; k++)
		for (i = 0; i < a->conf->nns; i++)
			if (!a->t[k].done && a->err[i] == 0 && a->t[k].neg[i] < 0 &&
			    send(a->fd[i], a->t[k].q, a->t[k].qlen, MSG_NOSIGNAL) < 0 &&
			    errno != EAGAIN && errno != EINTR)
				a->err[i] = errno;
}

/* One datagram from nameserver i: the answer to one of our two questions, or ignored. */
static void ask_take(ask *a, unsigned i, const uint8_t *m, size_t len, int64_t deadline_ms)
{
	static uint8_t big[ECS_DNS_MSG_MAX];
	dns_reply rep;
	size_t blen;
	unsigned k;

	for (k = 0; k < 2; k++) {
		dns_reply_status st;
		if (a->t[k].done)
			continue;
		st = dns_parse_reply(m, len, a->t[k].id, a->name, a->t[k].type, &rep);
		if (st == DNS_REPLY_OTHER)
			continue;
		if (st == DNS_REPLY_OK && rep.truncated) {
			if (tcp_query(&a->conf->ns[i], a->t[k].q, a->t[k].qlen, deadline_ms, big,
				      sizeof(big), &blen) != 0 ||
			    dns_parse_reply(big, blen, a->t[k].id, a->name, a->t[k].type, &rep) !=
				    DNS_REPLY_OK ||
			    rep.truncated) {
				a->t[k].neg[i] = NEG_TCP;
				return;
			}
		} else if (st == DNS_REPLY_BAD) {
			a->t[k].neg[i] = NEG_BAD;
			return;
		}
		if (rep.rcode == DNS_RC_NOERROR || rep.rcode == DNS_RC_NXDOMAIN) {
			a->t[k].rep = rep;
			a->t[k].done = 1;
		} else {
			a->t[k].neg[i] = (int)rep.rcode;
		}
		return;
	}
}

static void ask_recv(ask *a, unsigned i, int64_t deadline_ms)
{
	uint8_t m[ECS_DNS_MSG_MAX];

	for (;;) {
		ssize_t r = recv(a->fd[i], m, sizeof(m), 0);
		if (r < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				a->err[i] = errno; /* ECONNREFUSED: nothing listens on port 53 */
			return;
		}
		ask_take(a, i, m, (size_t)r, deadline_ms);
	}
}

/* A question is settled when every nameserver is out or has failed it. */
static void ask_settle(ask *a)
{
	unsigned i, k;

	for (k = 0; k < 2; k++) {
		int open = 0;
		for (i = 0; i < a->conf->nns; i++)
			if (a->err[i] == 0 && a->t[k].neg[i] < 0)
				open = 1;
		if (!a->t[k].done && !open)
			a->t[k].done = 2;
	}
}

static int64_t min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

/* Sends, retransmits every timeout_s and collects until both questions are settled, the
 * resolver's own budget (timeout x attempts) ends, or the deadline passes. */
static void ask_run(ask *a, int64_t deadline_ms)
{
	int64_t interval = (int64_t)a->conf->timeout_s * 1000, next = a->started, grace = 0;
	int64_t end = min64(deadline_ms, a->started + interval * a->conf->attempts);
	unsigned sends = 0, i;

	for (;;) {
		struct pollfd p[ECS_DNS_NS_MAX];
		nfds_t np = 0;
		int64_t now = port_time_ms(), until;
		ask_settle(a);
		if ((a->t[0].done && a->t[1].done) || now >= end || (grace && now >= grace))
			return;
		if (!grace && ((a->t[0].done == 1 && a->t[0].rep.naddr > 0) ||
			       (a->t[1].done == 1 && a->t[1].rep.naddr > 0)))
			grace = now + ECS_DNS_GRACE_MS;
		if (now >= next && sends < a->conf->attempts) {
			ask_send(a);
			sends++;
			next = now + interval;
		}
		until = min64(end, sends < a->conf->attempts ? next : end);
		if (grace)
			until = min64(until, grace);
		for (i = 0; i < a->conf->nns; i++) {
			p[np].fd = a->err[i] == 0 ? a->fd[i] : -1;
			p[np].events = POLLIN;
			p[np++].revents = 0;
		}
		if (poll(p, np, (int)(until > now ? until - now : 0)) < 0 && errno != EINTR)
			return;
		for (i = 0; i < np; i++)
			if (p[i].revents != 0)
				ask_recv(a, i, deadline_ms);
	}
}

typedef enum { R_FOUND, R_NXDOMAIN, R_NODATA, R_NEG, R_DEAD, R_TIMEOUT, R_IO } ask_result;

static const char *rcode_text(int rc)
{
	switch (rc) {
	case 1:
		return "FORMERR (it did not understand the query)";
	case DNS_RC_SERVFAIL:
		return "SERVFAIL (it could not get an answer itself)";
	case 4:
		return "NOTIMP";
	case DNS_RC_REFUSED:
		return "REFUSED";
	case NEG_BAD:
		return "a malformed answer";
	case NEG_TCP:
		return "a truncated answer, and asking again over TCP failed";
	default:
		return "an error code";
	}
}

/* Lists the nameservers that never answered into out ("nameserver A" / "nameservers A, B");
 * returns how many. */
static unsigned silent_list(const ask *a, char *out, size_t cap)
{
	char list[128], t[48];
	size_t pos = 0;
	unsigned i, k, count = 0;

	list[0] = '\0';
	for (i = 0; i < a->conf->nns; i++) {
		int silent = a->err[i] == 0;
		for (k = 0; k < 2; k++)
			if (a->t[k].done == 1 || a->t[k].neg[i] >= 0)
				silent = 0;
		if (!silent)
			continue;
		dns_addr_text(&a->conf->ns[i], t, sizeof(t));
		if (pos < sizeof(list))
			pos += (size_t)snprintf(list + pos, sizeof(list) - pos, "%s%s",
						count ? ", " : "", t);
		count++;
	}
	snprintf(out, cap, "nameserver%s %s", count > 1 ? "s" : "", list);
	return count;
}

/* What one name's questions came to; why gets the words for a failure. */
static ask_result ask_result_of(const ask *a, char *why, size_t cap)
{
	char who[160];
	int64_t ms = port_time_ms() - a->started;
	unsigned i, k;

	if (a->t[0].rep.naddr + a->t[1].rep.naddr > 0)
		return R_FOUND;
	for (k = 0; k < 2; k++)
		if (a->t[k].done == 1 && a->t[k].rep.rcode == DNS_RC_NXDOMAIN) {
			snprintf(why, cap, "the name does not exist (NXDOMAIN)");
			return R_NXDOMAIN;
		}
	if (a->t[0].done == 1 && a->t[1].done == 1) {
		snprintf(why, cap, "the name exists but has no IPv4 or IPv6 address");
		return R_NODATA;
	}
	for (k = 0; k < 2; k++)
		for (i = 0; i < a->conf->nns; i++)
			if (a->t[k].neg[i] >= 0 && a->t[k].done != 1) {
				dns_addr_text(&a->conf->ns[i], who, sizeof(who));
				snprintf(why, cap, "nameserver %s answered %s", who,
					 rcode_text(a->t[k].neg[i]));
				return R_NEG;
			}
	if (silent_list(a, who, sizeof(who)) > 0) {
		snprintf(why, cap, "%s did not answer within %u.%u s", who, (unsigned)(ms / 1000),
			 (unsigned)(ms % 1000 / 100));
		return R_TIMEOUT;
	}
	for (i = 0; i < a->conf->nns; i++)
		if (a->err[i] != 0) {
			dns_addr_text(&a->conf->ns[i], who, sizeof(who));
			snprintf(why, cap, "cannot ask nameserver %s port 53: %s", who,
				 strerror(a->err[i]));
			break;
		}
	return R_DEAD;
}

static ask_result ask_name(const dns_conf *conf, const char *name, int64_t deadline_ms,
			   dns_addr *out, size_t cap, size_t *n, char *why, size_t wcap)
{
	ask a;
	unsigned i, k;
	int e;
	size_t j;

	memset(&a, 0, sizeof(a));
	a.conf = conf;
	a.name = name;
	a.started = port_time_ms();
	for (k = 0; k < 2; k++) {
		uint16_t id;
		a.t[k].type = k == 0 ? DNS_T_AAAA : DNS_T_A;
		if (port_random(&id, sizeof(id)) != PORT_OK)
			id = (uint16_t)(a.started * 7919 + k);
		a.t[k].id = id;
		a.t[k].qlen = dns_build_query(a.t[k].q, sizeof(a.t[k].q), id, name, a.t[k].type);
		for (i = 0; i < ECS_DNS_NS_MAX; i++)
			a.t[k].neg[i] = -1;
	}
	if (a.t[0].qlen == 0 || a.t[1].qlen == 0) {
		snprintf(why, wcap, "not a valid host name");
		return R_NEG;
	}
	e = ask_open(&a);
	if (e != 0) {
		snprintf(why, wcap, "cannot open a socket to ask the nameserver: %s", strerror(e));
		return R_IO;
	}
	ask_run(&a, deadline_ms);
	for (i = 0; i < conf->nns; i++)
		close(a.fd[i]);
	for (k = 0; k < 2; k++)
		for (j = 0; j < a.t[k].rep.naddr && *n < cap; j++)
			out[(*n)++] = a.t[k].rep.addr[j];
	return ask_result_of(&a, why, wcap);
}

/* The idx-th name to ask for host (glibc's order: the name itself first when it has ndots
 * dots, else after the search domains); 0 when there are no more. */
static int candidate(const dns_conf *c, const char *host, unsigned idx, char *out, size_t cap)
{
	size_t len = strlen(host), i;
	unsigned dots = 0, pos;

	for (i = 0; i < len; i++)
		dots += host[i] == '.';
	if (host[len - 1] == '.')
		return idx == 0 ? snprintf(out, cap, "%s", host) > 0 : 0;
	if (idx > c->nsearch)
		return 0;
	pos = dots >= c->ndots ? idx : (idx == c->nsearch ? 0 : idx + 1);
	if (pos == 0)
		return snprintf(out, cap, "%s", host) > 0;
	return (size_t)snprintf(out, cap, "%s.%s", host, c->search[pos - 1]) < cap &&
	       dns_name_ok(out);
}

static port_status fail(char *detail, size_t cap, const char *host, uint16_t port, port_status ps,
			const char *why)
{
	if (detail != NULL && cap > 0)
		snprintf(detail, cap,
			 "cannot resolve %s: %s; try --resolve %s:%u:ADDRESS or --endpoint with "
			 "an address",
			 host, why, host, (unsigned)port);
	return ps;
}

/* Reads resolv.conf. Missing, or without a nameserver line, it means 127.0.0.1 as in every
 * libc; *note then says so, for the message should that fail too. */
static port_status read_conf(dns_conf *conf, const char **note, const char *host, uint16_t port,
			     char *detail, size_t cap)
{
	char why[160];

	dns_conf_init(conf);
	*note = "";
	if (each_line(CONF_PATH, conf_cb, conf) != 0) {
		int e = errno;
		if (e != ENOENT && e != ENOTDIR) {
			snprintf(why, sizeof(why), "cannot read " CONF_PATH ": %s", strerror(e));
			return fail(detail, cap, host, port,
				    e == EMFILE || e == ENFILE ? PORT_E_IO : PORT_E_DNS, why);
		}
		*note = CONF_PATH " does not exist, so the default nameserver was asked: ";
	} else if (conf->nns == 0) {
		*note = CONF_PATH " lists no nameserver, so the default nameserver was asked: ";
	}
	if (conf->nns == 0) {
		conf->nns = 1;
		(void)dns_parse_ip("127.0.0.1", 9, &conf->ns[0]);
	}
	return PORT_OK;
}

/* Stable: IPv6 addresses first, as from DNS (a refused ::1 then falls back to 127.0.0.1). */
static void v6_first(dns_addr *a, size_t n)
{
	size_t i, j;

	for (i = 1; i < n; i++)
		for (j = i; j > 0 && a[j].family == 6 && a[j - 1].family == 4; j--) {
			dns_addr t = a[j];
			a[j] = a[j - 1];
			a[j - 1] = t;
		}
}

port_status resolv_lookup(const char *host, uint16_t port, int64_t deadline_ms, dns_addr *out,
			  size_t cap, size_t *n, char *detail, size_t detail_cap)
{
	static dns_conf conf;
	hosts_ctx hc;
	char name[ECS_HOST_MAX], why[224], best[224 + 80];
	const char *note;
	ask_result worst = R_FOUND, r;
	port_status ps;
	unsigned idx;

	*n = 0;
	if (!dns_name_ok(host))
		return fail(detail, detail_cap, host, port, PORT_E_DNS, "not a valid host name");
	hc.name = host;
	hc.out = out;
	hc.cap = cap;
	hc.n = n;
	if (each_line(HOSTS_PATH, hosts_cb, &hc) != 0 && errno != ENOENT && errno != ENOTDIR) {
		int e = errno;
		snprintf(why, sizeof(why), "cannot read " HOSTS_PATH ": %s", strerror(e));
		return fail(detail, detail_cap, host, port,
			    e == EMFILE || e == ENFILE ? PORT_E_IO : PORT_E_DNS, why);
	}
	if (*n > 0) {
		v6_first(out, *n);
		return PORT_OK;
	}
	ps = read_conf(&conf, &note, host, port, detail, detail_cap);
	if (ps != PORT_OK)
		return ps;
	best[0] = '\0';
	for (idx = 0; candidate(&conf, host, idx, name, sizeof(name)); idx++) {
		r = ask_name(&conf, name, deadline_ms, out, cap, n, why, sizeof(why));
		if (r == R_FOUND)
			return PORT_OK;
		if (r >= worst || best[0] == '\0') {
			worst = r;
			snprintf(best, sizeof(best), "%s%s", note, why);
		}
		if (r >= R_DEAD)
			break; /* no time left, or no nameserver to be had */
	}
	return fail(detail, detail_cap, host, port,
		    worst == R_TIMEOUT ? PORT_E_TIMEOUT : (worst == R_IO ? PORT_E_IO : PORT_E_DNS),
		    best);
}
