/*
 * C library functions of our own for the static release build (ECS_TINY_LIBC), where each
 * takes the place of a much larger libc one: compiled without LTO and linked ahead of libc,
 * like port_fmt.c's snprintf, so that mbedTLS's calls use them too. Same results as the C
 * standard says; simpler algorithms, since every input here is small (a CA bundle of a few
 * hundred KB is the largest haystack) and the needles are short.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "dns.h"

#if defined(ECS_TINY_LIBC)
/* musl's two-way strstr is 1.3 KB; this compares at each position, O(haystack * needle). */
char *strstr(const char *h, const char *n)
{
	size_t i;

	for (;; h++) {
		for (i = 0; n[i] != '\0' && h[i] == n[i]; i++)
			;
		if (n[i] == '\0')
			return (char *)(uintptr_t)h;
		if (h[i] == '\0')
			return NULL; /* the haystack ended: no later start can match either */
	}
}

/* Byte-at-a-time versions of the two span functions (musl's build a 256-bit set first). */
size_t strspn(const char *s, const char *accept)
{
	size_t n = 0;

	while (s[n] != '\0' && strchr(accept, s[n]) != NULL)
		n++;
	return n;
}

size_t strcspn(const char *s, const char *reject)
{
	size_t n = 0;

	while (s[n] != '\0' && strchr(reject, s[n]) == NULL)
		n++;
	return n;
}

/* mbedTLS's check of an IP address in a certificate calls it: the port's own parser of address
 * literals (port/dns.c), which accepts what musl's inet_pton() accepts, with the same result. */
int inet_pton(int af, const char *restrict src, void *restrict dst)
{
	dns_addr a;

	if (af != AF_INET && af != AF_INET6) {
		errno = EAFNOSUPPORT;
		return -1;
	}
	if (!dns_parse_ip(src, strnlen(src, 64), &a) || a.family != (af == AF_INET ? 4 : 6))
		return 0;
	memcpy(dst, a.b, af == AF_INET ? 4 : 16);
	return 1;
}
#endif
