#include "url.h"

#include <string.h>

static int is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static char lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = lower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int host_char(char c)
{
	return is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_' || c == ':';
}

/* Parses decimal port digits s[0..n); 0 on error. */
static uint16_t parse_port(const char *s, size_t n)
{
	unsigned v = 0;
	size_t i;

	if (n == 0 || n > 5)
		return 0;
	for (i = 0; i < n; i++) {
		if (!is_digit(s[i]))
			return 0;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	return (v >= 1 && v <= 65535) ? (uint16_t)v : 0;
}

/* Splits "host[:port]" or "[v6][:port]" in s[0..n). */
static ecs_status parse_hostport(const char *s, size_t n, url_parts *u, const char *what,
				 ecs_err *err)
{
	size_t hl, i;
	const char *h = s, *p = NULL;
	size_t pl = 0;

	if (n > 0 && s[0] == '[') {
		const char *close = memchr(s, ']', n);
		if (close == NULL)
			return err_set(err, ECS_E_USAGE, "%s: unterminated '[' in host", what);
		h = s + 1;
		hl = (size_t)(close - h);
		if (close + 1 < s + n) {
			if (close[1] != ':')
				return err_set(err, ECS_E_USAGE, "%s: junk after ']'", what);
			p = close + 2;
			pl = (size_t)(s + n - p);
		}
		for (i = 0; i < hl; i++)
			if (!(hexval(h[i]) >= 0 || h[i] == ':' || h[i] == '.'))
				return err_set(err, ECS_E_USAGE, "%s: bad IPv6 address", what);
	} else {
		const char *colon = memchr(s, ':', n);
		hl = colon != NULL ? (size_t)(colon - s) : n;
		if (colon != NULL) {
			p = colon + 1;
			pl = (size_t)(s + n - p);
		}
		for (i = 0; i < hl; i++)
			if (!host_char(h[i]) || h[i] == ':')
				return err_set(err, ECS_E_USAGE,
					       "%s: invalid character in host name", what);
	}
	if (hl == 0)
		return err_set(err, ECS_E_USAGE, "%s: empty host", what);
	if (hl >= sizeof(u->host))
		return err_set(err, ECS_E_USAGE, "%s: host name longer than %u bytes", what,
			       (unsigned)(sizeof(u->host) - 1));
	memcpy(u->host, h, hl);
	u->host[hl] = '\0';
	if (p != NULL) {
		u->port = parse_port(p, pl);
		u->port_given = 1;
		if (u->port == 0)
			return err_set(err, ECS_E_USAGE, "%s: port must be 1..65535", what);
	}
	return ECS_OK;
}

/* Percent-decodes src[0..n) into dst. */
static ecs_status pct_decode(const char *src, size_t n, char *dst, size_t cap, size_t *out)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		char c = src[i];
		if (c == '%') {
			int hi, lo;
			if (n - i < 3)
				return ECS_E_USAGE;
			hi = hexval(src[i + 1]);
			lo = hexval(src[i + 2]);
			if (hi < 0 || lo < 0)
				return ECS_E_USAGE;
			c = (char)(hi * 16 + lo);
			i += 2;
		}
		if (o + 1 >= cap)
			return ECS_E_NOSPACE;
		dst[o++] = c;
	}
	dst[o] = '\0';
	*out = o;
	return ECS_OK;
}

ecs_status url_parse(const char *s, int default_tls, url_parts *u, ecs_err *err)
{
	size_t n = strlen(s), i;
	const char *rest = s, *end, *at, *slash;
	ecs_status st;

	memset(u, 0, sizeof(*u));
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f)
			return err_set(err, ECS_E_USAGE,
				       "URL contains a space or control character");
	u->tls = default_tls;
	{
		const char *sep = strstr(s, "://");
		if (sep != NULL) {
			size_t sl = (size_t)(sep - s);
			if (sl == 4 && lower(s[0]) == 'h' && lower(s[1]) == 't' &&
			    lower(s[2]) == 't' && lower(s[3]) == 'p')
				u->tls = 0;
			else if (sl == 5 && lower(s[0]) == 'h' && lower(s[1]) == 't' &&
				 lower(s[2]) == 't' && lower(s[3]) == 'p' && lower(s[4]) == 's')
				u->tls = 1;
			else
				return err_set(err, ECS_E_USAGE,
					       "URL scheme must be http:// or https://");
			rest = sep + 3;
		}
	}
	end = s + n;
	slash = memchr(rest, '/', (size_t)(end - rest));
	if (slash == NULL)
		slash = end;
	/* userinfo: the last '@' before the path */
	at = NULL;
	for (i = 0; rest + i < slash; i++)
		if (rest[i] == '@')
			at = rest + i;
	if (at != NULL) {
		st = pct_decode(rest, (size_t)(at - rest), u->userinfo, sizeof(u->userinfo),
				&u->userinfo_len);
		if (st != ECS_OK)
			return err_set(err, ECS_E_USAGE,
				       "URL user information is malformed or too long");
		rest = at + 1;
	}
	u->port = u->tls ? 443 : 80;
	st = parse_hostport(rest, (size_t)(slash - rest), u, "URL", err);
	if (st != ECS_OK)
		return st;
	if (slash == end) {
		u->path[0] = '/';
		u->path[1] = '\0';
	} else {
		size_t pl = (size_t)(end - slash);
		if (pl >= sizeof(u->path))
			return err_set(err, ECS_E_USAGE, "URL path longer than %u bytes",
				       (unsigned)(sizeof(u->path) - 1));
		memcpy(u->path, slash, pl);
		u->path[pl] = '\0';
	}
	return ECS_OK;
}

ecs_status url_parse_endpoint(const char *s, url_parts *u, ecs_err *err)
{
	ecs_status st = url_parse(s, 1, u, err);

	if (st != ECS_OK)
		return st;
	if (u->userinfo_len > 0)
		return err_set(err, ECS_E_USAGE, "--endpoint must not contain user information");
	if (strcmp(u->path, "/") != 0)
		return err_set(err, ECS_E_USAGE, "--endpoint takes HOST[:PORT], not a path");
	return ECS_OK;
}

static int ieq(const char *a, size_t an, const char *b, size_t bn)
{
	size_t i;

	if (an != bn)
		return 0;
	for (i = 0; i < an; i++)
		if (lower(a[i]) != lower(b[i]))
			return 0;
	return 1;
}

/* Parses a dotted IPv4 address s[0..n); returns 0 and *out on success. */
static int parse_ipv4(const char *s, size_t n, uint32_t *out)
{
	uint32_t v = 0;
	unsigned part = 0, parts = 0, digits = 0;
	size_t i;

	for (i = 0; i <= n; i++) {
		if (i == n || s[i] == '.') {
			if (digits == 0 || part > 255)
				return -1;
			v = (v << 8) | part;
			parts++;
			part = 0;
			digits = 0;
		} else if (is_digit(s[i]) && digits < 3) {
			part = part * 10 + (unsigned)(s[i] - '0');
			digits++;
		} else {
			return -1;
		}
	}
	if (parts != 4)
		return -1;
	*out = v;
	return 0;
}

static int entry_matches(const char *e, size_t en, const char *host, size_t hn, uint16_t port)
{
	const char *slash;

	if (en == 1 && e[0] == '*')
		return 1;
	if (en > 0 && e[0] == '[') { /* [v6] or [v6]:port */
		const char *close = memchr(e, ']', en);
		if (close == NULL)
			return 0;
		if (close + 1 < e + en) {
			if (close[1] != ':' ||
			    parse_port(close + 2, (size_t)(e + en - close - 2)) != port)
				return 0;
		}
		return ieq(e + 1, (size_t)(close - e - 1), host, hn);
	}
	slash = memchr(e, '/', en);
	if (slash != NULL) { /* IPv4 CIDR */
		uint32_t net, addr, mask;
		size_t bl = (size_t)(e + en - slash - 1), i;
		unsigned bits = 0;
		if (bl == 0 || bl > 2)
			return 0;
		for (i = 0; i < bl; i++) {
			if (!is_digit(slash[1 + i]))
				return 0;
			bits = bits * 10 + (unsigned)(slash[1 + i] - '0');
		}
		if (bits > 32 || parse_ipv4(e, (size_t)(slash - e), &net) != 0 ||
		    parse_ipv4(host, hn, &addr) != 0)
			return 0;
		mask = bits == 0 ? 0 : 0xffffffffu << (32 - bits);
		return (net & mask) == (addr & mask);
	}
	{ /* host:port (only when the part after the single colon is all digits) */
		const char *colon = memchr(e, ':', en);
		if (colon != NULL && memchr(colon + 1, ':', (size_t)(e + en - colon - 1)) == NULL) {
			uint16_t p = parse_port(colon + 1, (size_t)(e + en - colon - 1));
			if (p != 0) {
				if (p != port)
					return 0;
				en = (size_t)(colon - e);
			}
		}
	}
	if (en >= 2 && e[0] == '*' && e[1] == '.') {
		e++;
		en--;
	}
	if (en > 0 && e[0] == '.') {
		e++;
		en--;
	}
	if (en == 0)
		return 0;
	if (ieq(e, en, host, hn))
		return 1;
	/* subdomain: host ends with "." + entry */
	return hn > en && host[hn - en - 1] == '.' && ieq(e, en, host + hn - en, en);
}

int url_no_proxy_match(const char *list, const char *host, uint16_t port)
{
	const char *p = list;
	size_t hn;

	if (list == NULL || host == NULL)
		return 0;
	hn = strlen(host);
	while (hn > 0 && host[hn - 1] == '.')
		hn--; /* a fully qualified "host." */
	while (*p != '\0') {
		const char *s, *e;
		while (*p == ',' || *p == ' ' || *p == '\t')
			p++;
		s = p;
		while (*p != '\0' && *p != ',' && *p != ' ' && *p != '\t')
			p++;
		e = p;
		if (e > s && entry_matches(s, (size_t)(e - s), host, hn, port))
			return 1;
	}
	return 0;
}

ecs_status url_base64(const unsigned char *src, size_t n, char *dst, size_t cap)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i, o = 0;

	if (cap == 0 || (n + 2) / 3 > (cap - 1) / 4)
		return ECS_E_NOSPACE;
	for (i = 0; i + 2 < n; i += 3) {
		unsigned v = (unsigned)src[i] << 16 | (unsigned)src[i + 1] << 8 | src[i + 2];
		dst[o++] = tab[(v >> 18) & 63];
		dst[o++] = tab[(v >> 12) & 63];
		dst[o++] = tab[(v >> 6) & 63];
		dst[o++] = tab[v & 63];
	}
	if (i < n) {
		unsigned v = (unsigned)src[i] << 16;
		if (i + 1 < n)
			v |= (unsigned)src[i + 1] << 8;
		dst[o++] = tab[(v >> 18) & 63];
		dst[o++] = tab[(v >> 12) & 63];
		dst[o++] = i + 1 < n ? tab[(v >> 6) & 63] : '=';
		dst[o++] = '=';
	}
	dst[o] = '\0';
	return ECS_OK;
}
