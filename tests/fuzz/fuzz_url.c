/*
 * libFuzzer harness for URL, --endpoint and NO_PROXY parsing and Base64 (src/url.c).
 *
 * The whole input is tried as a URL (both default schemes) and as an endpoint. For
 * NO_PROXY it is split at the first NUL or newline into the list and the host; a host
 * ending in ":digits" gives the port (else 443). The whole input is also Base64-encoded
 * with exact and short buffers and decoded back with mbedTLS.
 */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_common.h"
#include "mbedtls/base64.h"
#include "url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static url_parts u;

/* The raw userinfo of s (between "://" or the start and the last '@' before the path). */
static int raw_userinfo(const char *s, const char **ui, size_t *n)
{
	const char *rest = strstr(s, "://"), *end, *at = NULL, *p;

	rest = rest != NULL ? rest + 3 : s;
	end = strchr(rest, '/');
	if (end == NULL)
		end = rest + strlen(rest);
	for (p = rest; p < end; p++)
		if (*p == '@')
			at = p;
	if (at == NULL)
		return 0;
	*ui = rest;
	*n = (size_t)(at - rest);
	return 1;
}

/* A message never contains the userinfo (it may hold a proxy password). Only a userinfo
 * with a ':' followed by a non-space byte is checked: every ':' in our fixed messages is
 * followed by a space, so a match is a real leak, not a coincidence. */
static void check_no_userinfo(const char *s, const ecs_err *err)
{
	const char *ui, *colon;
	size_t n;
	char *copy;

	if (!raw_userinfo(s, &ui, &n) || n < 3)
		return;
	colon = memchr(ui, ':', n);
	if (colon == NULL || colon + 1 >= ui + n || colon[1] == ' ')
		return;
	copy = fz_strndup((const uint8_t *)ui, n);
	CHECK(strstr(err->msg, copy) == NULL);
	free(copy);
}

static void check_parts(const char *s, ecs_status st, const ecs_err *err)
{
	size_t hl;

	if (st != ECS_OK) {
		CHECK(st == ECS_E_USAGE);
		CHECK(err->status == st && err->msg[0] != '\0');
		check_no_userinfo(s, err);
		return;
	}
	CHECK(u.tls == 0 || u.tls == 1);
	CHECK(fz_terminated(u.host, sizeof(u.host)));
	hl = strlen(u.host);
	CHECK(hl > 0);
	CHECK(u.port != 0);
	if (!u.port_given)
		CHECK(u.port == (u.tls ? 443 : 80));
	CHECK(u.userinfo_len < sizeof(u.userinfo) && u.userinfo[u.userinfo_len] == '\0');
	CHECK(fz_terminated(u.path, sizeof(u.path)) && u.path[0] == '/');
	/* nothing in the host can break a request line or a Host header */
	CHECK(strpbrk(u.host, " \r\n\t/@[]") == NULL);
	CHECK(strstr(s, u.host) != NULL); /* copied, not rewritten */
	CHECK(strstr(s, u.path) != NULL || strcmp(u.path, "/") == 0);
	CHECK(strlen(u.host) + strlen(u.path) <= strlen(s) + 1); /* "/" may be added */
}

static void check_no_proxy(const char *list, const char *host, uint16_t port)
{
	int m = url_no_proxy_match(list, host, port);
	size_t i, hl = strlen(host);
	int plain = hl > 0;

	CHECK(m == 0 || m == 1);
	CHECK(url_no_proxy_match("*", host, port) == 1);
	CHECK(url_no_proxy_match("", host, port) == 0);
	CHECK(url_no_proxy_match(NULL, host, port) == 0 &&
	      url_no_proxy_match(list, NULL, port) == 0);
	/* a plain host name is excluded by a list that names it, anywhere in the list */
	for (i = 0; i < hl; i++) {
		char ch = host[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '-' || (ch == '.' && i > 0)))
			plain = 0;
	}
	if (plain && host[hl - 1] != '.' && hl < 200 && strlen(list) < 2000) {
		char *l2 = malloc(strlen(list) + hl + 3);

		CHECK(l2 != NULL);
		CHECK(url_no_proxy_match(host, host, port) == 1);
		sprintf(l2, "%s,%s", list, host);
		CHECK(url_no_proxy_match(l2, host, port) == 1);
		sprintf(l2, "%s %s", host, list);
		CHECK(url_no_proxy_match(l2, host, port) == 1);
		free(l2);
	}
}

static void check_base64(const uint8_t *src, size_t n)
{
	size_t need = 4 * ((n + 2) / 3) + 1, olen = 0;
	char *dst = fz_canary_buf(need), *small;
	unsigned char *back;

	CHECK(url_base64(src, n, dst, need) == ECS_OK);
	CHECK(fz_canary_ok(dst, need) && strlen(dst) == need - 1);
	back = (unsigned char *)fz_alloc(n);
	CHECK(mbedtls_base64_decode(back, n, &olen, (const unsigned char *)dst, need - 1) == 0);
	CHECK(olen == n && (n == 0 || memcmp(back, src, n) == 0));
	fz_free((char *)back, n);
	free(dst);
	/* one byte short: NOSPACE, nothing written past the buffer */
	small = fz_canary_buf(need - 1);
	CHECK(url_base64(src, n, small, need - 1) == ECS_E_NOSPACE);
	CHECK(fz_canary_ok(small, need - 1));
	free(small);
	CHECK(url_base64(src, n, NULL, 0) == ECS_E_NOSPACE);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fz_strndup(data, size), *list, *host, *sep;
	ecs_err err;
	ecs_status st;
	uint16_t port = 443;

	memset(&err, 0, sizeof(err));
	st = url_parse(s, 0, &u, &err);
	check_parts(s, st, &err);
	st = url_parse(s, 1, &u, &err);
	check_parts(s, st, &err);
	st = url_parse_endpoint(s, &u, &err);
	check_parts(s, st, &err);
	if (st == ECS_OK)
		CHECK(u.userinfo_len == 0 && strcmp(u.path, "/") == 0);

	/* NO_PROXY list and host */
	list = fz_strndup(data, size);
	sep = list + strcspn(list, "\n");
	if (sep < list + size) {
		*sep = '\0';
		host = sep + 1;
	} else {
		host = list + strlen(list); /* "" */
	}
	host = fz_strndup((const uint8_t *)host, strlen(host));
	{
		char *colon = strrchr(host, ':');

		if (colon != NULL && colon[1] != '\0' &&
		    strspn(colon + 1, "0123456789") == strlen(colon + 1) &&
		    strlen(colon + 1) <= 5) {
			port = (uint16_t)atoi(colon + 1);
			if (strchr(host, ':') == colon) /* not an IPv6 literal */
				*colon = '\0';
		}
	}
	check_no_proxy(list, host, port);
	free(host);
	free(list);

	if (size <= 4096)
		check_base64(data, size);
	free(s);
	return 0;
}
