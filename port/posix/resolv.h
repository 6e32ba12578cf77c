/* The stub resolver of the POSIX port (resolv.c): /etc/hosts, then the nameservers of
 * /etc/resolv.conf, with an absolute deadline. Used only by port_posix.c. */
#ifndef ECS_RESOLV_H
#define ECS_RESOLV_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "dns.h"
#include "port.h"

/* Resolves host (a name; literals are handled by the caller) into out (cap entries; IPv6
 * addresses first, then IPv4, each in the order received) by the deadline (monotonic ms).
 * search/ndots/timeout/attempts of resolv.conf apply; A and AAAA are asked together; a
 * truncated answer is asked again over TCP; REFUSED or SERVFAIL for one family does not fail
 * the other. On failure detail says what failed (which nameserver did not answer within how
 * long, a missing resolv.conf or nameserver line, NXDOMAIN, no address) and what to try;
 * port (the one being connected to) only shapes the --resolve hint. PORT_E_DNS, or
 * PORT_E_TIMEOUT when the deadline ended it, or PORT_E_IO when no socket could be made. */
port_status resolv_lookup(const char *host, uint16_t port, int64_t deadline_ms, dns_addr *out,
			  size_t cap, size_t *n, char *detail, size_t detail_cap);

/* Every way the port resolves host, in order: the --resolve table, an address literal, then
 * resolv_lookup(); the result and errors as resolv_lookup's (a timeout is PORT_E_DNS). */
port_status posix_lookup(const char *host, uint16_t port, int64_t deadline_ms, dns_addr *out,
			 size_t cap, size_t *n, char *detail, size_t detail_cap);

/* Words for a connect() errno: "timed out", "out of file descriptors (...)", strerror. */
const char *posix_connect_errtext(int e);

/* Fills ss with a and port; returns the length to pass to connect(). */
socklen_t resolv_sockaddr(const dns_addr *a, uint16_t port, struct sockaddr_storage *ss);

/* Waits until fd is ready for events or the deadline passes: 1 ready, 0 timed out, -1 error. */
int resolv_wait(int fd, short events, int64_t deadline_ms);

#endif
