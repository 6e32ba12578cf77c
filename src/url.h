/* URL and proxy-rule parsing. Pure functions over caller buffers. */
#ifndef ECS_URL_H
#define ECS_URL_H

#include <stddef.h>
#include <stdint.h>

#include "ecs_limits.h"
#include "err.h"

typedef struct {
	int tls;		 /* 1 for https */
	char host[ECS_HOST_MAX]; /* without IPv6 brackets */
	uint16_t port;
	int port_given;		     /* 1 when the URL named the port */
	char userinfo[ECS_HOST_MAX]; /* "user:pass" percent-decoded; secret, never printed */
	size_t userinfo_len;
	char path[ECS_URL_MAX]; /* "/" when absent */
} url_parts;

/* Parses "scheme://[userinfo@]host[:port][/path]" (scheme http or https; default_scheme_tls
 * applies when the scheme is absent, so "host:port" works too). Rejects control characters,
 * spaces, empty host, a port outside 1..65535 and parts longer than their buffers, each with
 * a message in err. The message never contains the userinfo. */
ecs_status url_parse(const char *s, int default_tls, url_parts *u, ecs_err *err);

/* Parses "HOST[:PORT]" (IPv6 as "[addr]:port") for --endpoint; an "https://" or "http://"
 * prefix is accepted as well. */
ecs_status url_parse_endpoint(const char *s, url_parts *u, ecs_err *err);

/* 1 if host (and port) is excluded from proxying by a NO_PROXY-style list: comma or space
 * separated entries; "*" matches everything; "example.com" and ".example.com" match the host
 * and every subdomain; "*.example.com" too; an IPv4/IPv6 literal matches itself; an IPv4
 * CIDR ("10.0.0.0/8") matches addresses inside; "host:port" matches only that port.
 * Comparison is case-insensitive. */
int url_no_proxy_match(const char *list, const char *host, uint16_t port);

/* Standard Base64 of n bytes into dst (for Proxy-Authorization); ECS_E_NOSPACE if it does
 * not fit with its NUL. */
ecs_status url_base64(const unsigned char *src, size_t n, char *dst, size_t cap);

#endif
