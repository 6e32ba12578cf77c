/* POSIX non-blocking network for the port layer: resolve once, start connects, send/recv
 * without waiting and one poll() over every socket (see port.h). */
#include "port.h"

#include "resolv.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

static void detail_set(char *detail, size_t cap, const char *fmt, const char *a, unsigned port,
		       const char *why)
{
	if (detail != NULL && cap > 0)
		snprintf(detail, cap, fmt, a, port, why);
}

static unsigned addr_port(const port_addr *a)
{
	uint16_t p;

	if (a->family == AF_INET6)
		memcpy(&p, a->sa + offsetof(struct sockaddr_in6, sin6_port), sizeof(p));
	else
		memcpy(&p, a->sa + offsetof(struct sockaddr_in, sin_port), sizeof(p));
	return ntohs(p);
}

/* The port's own resolution (port_posix.c): --resolve, then an address literal, then the
 * stub resolver with the deadline; converted to sockaddr form for non-blocking connects. */
port_status port_resolve(const char *host, uint16_t port, int64_t deadline_ms, port_addr *out,
			 size_t cap, size_t *n, char *detail, size_t detail_cap)
{
	dns_addr addrs[ECS_DNS_ADDR_MAX];
	size_t got = 0, i;
	port_status ps = posix_lookup(host, port, deadline_ms, addrs, ECS_DNS_ADDR_MAX, &got,
				      detail, detail_cap);

	*n = 0;
	if (ps != PORT_OK)
		return ps;
	for (i = 0; i < got && *n < cap; i++) {
		struct sockaddr_storage ss;
		port_addr *a = &out[*n];
		socklen_t len = resolv_sockaddr(&addrs[i], port, &ss);
		if (len > sizeof(a->sa))
			continue;
		memset(a, 0, sizeof(*a));
		a->family = ss.ss_family;
		a->len = (unsigned)len;
		memcpy(a->sa, &ss, len);
		if (inet_ntop(a->family, addrs[i].b, a->text, sizeof(a->text)) == NULL)
			snprintf(a->text, sizeof(a->text), "?");
		(*n)++;
	}
	if (*n == 0) {
		if (detail != NULL && detail_cap > 0)
			snprintf(detail, detail_cap, "cannot resolve %s: no IPv4 or IPv6 address",
				 host);
		return PORT_E_DNS;
	}
	return PORT_OK;
}

port_status port_connect_start(const port_addr *a, port_fd *fd, char *detail, size_t detail_cap)
{
	int s = socket(a->family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	*fd = PORT_FD_NONE;
	if (s < 0) {
		detail_set(detail, detail_cap, "%s port %u: %s", a->text, addr_port(a),
			   posix_connect_errtext(errno));
		return PORT_E_CONNECT;
	}
	if (connect(s, (const struct sockaddr *)(const void *)a->sa, (socklen_t)a->len) != 0 &&
	    errno != EINPROGRESS) {
		detail_set(detail, detail_cap, "%s port %u: %s", a->text, addr_port(a),
			   posix_connect_errtext(errno));
		close(s);
		return PORT_E_CONNECT;
	}
	*fd = s;
	return PORT_OK;
}

port_status port_connect_result(port_fd fd, const port_addr *a, char *detail, size_t detail_cap)
{
	int err = 0, one = 1;
	socklen_t elen = sizeof(err);

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) != 0)
		err = errno;
	if (err != 0) {
		detail_set(detail, detail_cap, "%s port %u: %s", a->text, addr_port(a),
			   posix_connect_errtext(err));
		return err == ECONNRESET ? PORT_E_RESET : PORT_E_CONNECT;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return PORT_OK;
}

static port_status io_errno(void)
{
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return PORT_E_AGAIN;
	if (errno == ECONNRESET || errno == EPIPE)
		return PORT_E_RESET;
	return PORT_E_IO;
}

port_status port_send_nb(port_fd fd, const void *buf, size_t len, size_t *sent)
{
	*sent = 0;
	for (;;) {
		ssize_t r = send(fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (r >= 0) {
			*sent = (size_t)r;
			return PORT_OK;
		}
		if (errno != EINTR)
			return io_errno();
	}
}

port_status port_recv_nb(port_fd fd, void *buf, size_t cap, size_t *got)
{
	*got = 0;
	for (;;) {
		ssize_t r = recv(fd, buf, cap, MSG_DONTWAIT);
		if (r >= 0) {
			*got = (size_t)r;
			return PORT_OK;
		}
		if (errno != EINTR)
			return io_errno();
	}
}

static int poll_ms_left(int64_t deadline_ms)
{
	struct timespec ts;
	int64_t now, left;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (int64_t)ts.tv_sec * 1000 + (int64_t)(ts.tv_nsec / 1000000);
	left = deadline_ms - now;
	if (left <= 0)
		return 0;
	return left > 0x7fffffff ? 0x7fffffff : (int)left;
}

int port_poll(port_pollfd *p, size_t n, int64_t deadline_ms)
{
	struct pollfd q[PORT_POLL_MAX];
	size_t i;

	if (n > PORT_POLL_MAX)
		return -1;
	for (i = 0; i < n; i++) {
		q[i].fd = p[i].fd; /* a negative fd is ignored by poll() */
		q[i].events = (short)(((p[i].events & PORT_POLL_IN) ? POLLIN : 0) |
				      ((p[i].events & PORT_POLL_OUT) ? POLLOUT : 0));
		q[i].revents = 0;
		p[i].revents = 0;
	}
	for (;;) {
		int left = poll_ms_left(deadline_ms), r = poll(q, (nfds_t)n, left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0 && poll_ms_left(deadline_ms) > 0)
			continue; /* woke early: wait for the rest */
		for (i = 0; i < n; i++)
			p[i].revents =
				((q[i].revents & POLLIN) ? PORT_POLL_IN : 0u) |
				((q[i].revents & POLLOUT) ? PORT_POLL_OUT : 0u) |
				((q[i].revents & (POLLERR | POLLHUP | POLLNVAL)) ? PORT_POLL_ERR
										 : 0u);
		return r;
	}
}

void port_mem_zero_release(void *p, size_t n)
{
	/* getpagesize(), not sysconf(): musl's sysconf pulls in 700 bytes of tables */
	uintptr_t page = (uintptr_t)getpagesize(), a = (uintptr_t)p, e = a + n;

	a = (a + page - 1) & ~(page - 1);
	e &= ~(page - 1);
	if (e > a)
		(void)madvise((void *)a, e - a, MADV_DONTNEED);
}
