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
#include <time.h>
#if defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
#endif

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

/* Byte-at-a-time string functions: musl's read a word at a time (faster on long strings, 2.5
 * times the code), and every string here is short. */
char *strchr(const char *s, int c)
{
	for (;; s++) {
		if (*s == (char)c)
			return (char *)(uintptr_t)s;
		if (*s == '\0')
			return NULL;
	}
}

char *strrchr(const char *s, int c)
{
	const char *last = NULL;

	for (;; s++) {
		if (*s == (char)c)
			last = s;
		if (*s == '\0')
			return (char *)(uintptr_t)last;
	}
}

char *strcpy(char *restrict d, const char *restrict s)
{
	size_t i = 0;

	while ((d[i] = s[i]) != '\0')
		i++;
	return d;
}

char *strcat(char *restrict d, const char *restrict s)
{
	strcpy(d + strlen(d), s);
	return d;
}

int strncmp(const char *a, const char *b, size_t n)
{
	for (; n > 0 && *a != '\0' && *a == *b; n--, a++, b++)
		;
	return n > 0 ? (unsigned char)*a - (unsigned char)*b : 0;
}

size_t strnlen(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && s[i] != '\0')
		i++;
	return i;
}

/* The two span functions (musl's build a 256-bit set first). */
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

#if defined(__linux__) && (defined(__x86_64__) && !defined(__ILP32__) || defined(__aarch64__))
/* The clocks by system call. musl first looks for the kernel's vDSO function (0.7 KB to walk
 * the vDSO's ELF tables): a few hundred calls per run do not need that. On 64-bit targets the
 * kernel's timespec is the C library's; 32-bit ones keep musl's (no vDSO there, but the time64
 * fall-backs). time() too: musl's calls its internal clock_gettime. */
int clock_gettime(clockid_t clk, struct timespec *ts)
{
	return (int)syscall(SYS_clock_gettime, (long)clk, ts);
}

time_t time(time_t *t)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (t != NULL)
		*t = ts.tv_sec;
	return ts.tv_sec;
}
#endif
#endif
