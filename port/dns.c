/* Pure DNS: resolv.conf and hosts lines, query building and answer parsing (see dns.h). */
#include "dns.h"

#include <stdio.h>
#include <string.h>

static char lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c + ('a' - 'A')) : c;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* The next blank-separated word of l[*pos..len): sets *w, returns its length (0 at the end). */
static size_t next_word(const char *l, size_t len, size_t *pos, const char **w)
{
	size_t i = *pos, start;

	while (i < len && is_space(l[i]))
		i++;
	start = i;
	while (i < len && !is_space(l[i]))
		i++;
	*w = l + start;
	*pos = i;
	return i - start;
}

static int word_is(const char *w, size_t n, const char *lit)
{
	return strlen(lit) == n && memcmp(w, lit, n) == 0;
}

/* A dotted quad: four decimal numbers 0..255 of 1 to 3 digits, no leading zero. */
static int parse_v4(const char *s, size_t len, uint8_t *out)
{
	size_t i = 0, part, start;

	for (part = 0; part < 4; part++) {
		unsigned v = 0;
		for (start = i; i < len && i - start < 3 && s[i] >= '0' && s[i] <= '9'; i++)
			v = v * 10 + (unsigned)(s[i] - '0');
		if (i == start || (i - start > 1 && s[start] == '0') || v > 255)
			return 0;
		out[part] = (uint8_t)v;
		if (part < 3 && (i == len || s[i++] != '.'))
			return 0;
	}
	return i == len;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)(c | 0x20);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* RFC 4291 text: eight groups of 1 to 4 hex digits, or six and a dotted quad; one "::" may
 * stand for one or more zero groups. The strings musl's inet_pton() accepts, same result. */
static int parse_v6(const char *s, size_t len, uint8_t *out)
{
	uint16_t g[8];
	size_t pos = 0, n = 0, gap = 8, i, d4 = 0; /* gap: groups before "::", 8 none */

	memset(out, 0, 16);
	if (len >= 2 && s[0] == ':' && s[1] == ':') {
		gap = 0;
		pos = 2;
		if (len == 2)
			return 1;
	}
	for (;;) {
		size_t start = pos, slot = n + (gap < 8); /* "::" takes at least one slot */
		unsigned v = 0;
		int d;
		for (; pos < len && pos - start < 4 && (d = hex_digit(s[pos])) >= 0; pos++)
			v = v * 16 + (unsigned)d;
		if (pos == start || slot >= 8)
			return 0;
		if (pos < len && s[pos] == '.') { /* the last 32 bits as a dotted quad */
			if (slot > 6 || (gap == 8 && slot < 6) ||
			    !parse_v4(s + start, len - start, out + 12))
				return 0;
			d4 = 2;
			break;
		}
		g[n++] = (uint16_t)v;
		if (pos == len)
			break;
		if (slot == 7 || s[pos++] != ':' || pos == len)
			return 0;
		if (s[pos] == ':' && gap == 8) {
			gap = n;
			if (++pos == len)
				break;
		}
	}
	if (gap == 8 && n + d4 != 8)
		return 0;
	for (i = 0; i < n; i++) {
		size_t at =
			i < gap ? i : 8 - d4 - n + i; /* the groups after "::" end the address */
		out[2 * at] = (uint8_t)(g[i] >> 8);
		out[2 * at + 1] = (uint8_t)g[i];
	}
	return 1;
}

int dns_parse_ip(const char *s, size_t len, dns_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (len == 0 || len >= 64 || memchr(s, '\0', len) != NULL)
		return 0;
	if (parse_v4(s, len, a->b)) {
		a->family = 4;
		return 1;
	}
	if (parse_v6(s, len, a->b)) {
		a->family = 6;
		return 1;
	}
	memset(a->b, 0, sizeof(a->b));
	return 0;
}

void dns_conf_init(dns_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->ndots = 1;
	c->timeout_s = 5;
	c->attempts = 2;
}

/* "name:N" with N decimal: stores min(N, max) (at least min) in *v. */
static void conf_option(const char *w, size_t n, const char *name, unsigned lo, unsigned hi,
			unsigned *v)
{
	size_t nl = strlen(name), i;
	unsigned x = 0;

	if (n <= nl || memcmp(w, name, nl) != 0)
		return;
	for (i = nl; i < n; i++) {
		if (w[i] < '0' || w[i] > '9')
			return;
		if (x < 1000)
			x = x * 10 + (unsigned)(w[i] - '0');
	}
	*v = x < lo ? lo : (x > hi ? hi : x);
}

void dns_conf_line(dns_conf *c, const char *line, size_t len)
{
	size_t pos = 0, n;
	const char *w;
	dns_addr a;

	n = next_word(line, len, &pos, &w);
	if (word_is(w, n, "nameserver")) {
		n = next_word(line, len, &pos, &w);
		if (c->nns < ECS_DNS_NS_MAX && dns_parse_ip(w, n, &a))
			c->ns[c->nns++] = a;
	} else if (word_is(w, n, "search") || word_is(w, n, "domain")) {
		c->nsearch = 0; /* the last search or domain line wins */
		while ((n = next_word(line, len, &pos, &w)) > 0 &&
		       c->nsearch < ECS_DNS_SEARCH_MAX) {
			if (w[0] == '#' || w[0] == ';')
				break;
			if (n >= ECS_HOST_MAX)
				continue;
			memcpy(c->search[c->nsearch], w, n);
			c->search[c->nsearch][n] = '\0';
			if (dns_name_ok(c->search[c->nsearch]))
				c->nsearch++;
		}
	} else if (word_is(w, n, "options")) {
		while ((n = next_word(line, len, &pos, &w)) > 0) {
			conf_option(w, n, "ndots:", 0, 15, &c->ndots);
			conf_option(w, n, "timeout:", 1, 30, &c->timeout_s);
			conf_option(w, n, "attempts:", 1, 5, &c->attempts);
		}
	}
}

/* Compares a name from a file or a message with ours, ignoring case and one final dot. */
static int name_eq(const char *a, size_t al, const char *b)
{
	size_t bl = strlen(b), i;

	if (al > 0 && a[al - 1] == '.')
		al--;
	if (bl > 0 && b[bl - 1] == '.')
		bl--;
	if (al != bl || al == 0)
		return 0;
	for (i = 0; i < al; i++)
		if (lower(a[i]) != lower(b[i]))
			return 0;
	return 1;
}

static void add_addr(dns_addr *out, size_t cap, size_t *n, const dns_addr *a)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (out[i].family == a->family && memcmp(out[i].b, a->b, 16) == 0)
			return;
	if (*n < cap)
		out[(*n)++] = *a;
}

int dns_hosts_line(const char *line, size_t len, const char *name, dns_addr *out, size_t cap,
		   size_t *n)
{
	const char *hash = memchr(line, '#', len), *w;
	size_t pos = 0, wl;
	dns_addr a;

	if (hash != NULL)
		len = (size_t)(hash - line);
	wl = next_word(line, len, &pos, &w);
	if (!dns_parse_ip(w, wl, &a))
		return 0;
	while ((wl = next_word(line, len, &pos, &w)) > 0) {
		if (name_eq(w, wl, name)) {
			add_addr(out, cap, n, &a);
			return 1;
		}
	}
	return 0;
}

static int host_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_';
}

int dns_name_ok(const char *name)
{
	size_t len = strlen(name), i, label = 0;

	if (len > 0 && name[len - 1] == '.')
		len--;
	if (len == 0 || len > 253)
		return 0;
	for (i = 0; i < len; i++) {
		if (name[i] == '.') {
			if (label == 0)
				return 0;
			label = 0;
		} else if (!host_char(name[i]) || ++label > 63) {
			return 0;
		}
	}
	return label > 0;
}

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static unsigned get16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

size_t dns_build_query(uint8_t *buf, size_t cap, uint16_t id, const char *name, uint16_t qtype)
{
	size_t len = strlen(name), o = 12, i, start;

	if (!dns_name_ok(name))
		return 0;
	if (name[len - 1] == '.')
		len--;
	if (cap < 12 + len + 2 + 4)
		return 0;
	memset(buf, 0, 12);
	put16(buf, id);
	put16(buf + 2, 0x0100); /* RD: recursion desired */
	put16(buf + 4, 1);	/* one question */
	for (start = 0; start <= len; start = i + 1) {
		for (i = start; i < len && name[i] != '.'; i++)
			;
		buf[o++] = (uint8_t)(i - start);
		memcpy(buf + o, name + start, i - start);
		o += i - start;
	}
	buf[o++] = 0;
	put16(buf + o, qtype);
	put16(buf + o + 2, 1); /* class IN */
	return o + 4;
}

/* Decodes the name at off into out (cap >= 256: dotted, lower case, bytes that cannot be in a
 * host name shown as '?'); *next gets the offset after it. Every compression pointer must
 * point below the previous one (and the first below the name), so decoding always ends. */
static int read_name(const uint8_t *m, size_t len, size_t off, char *out, size_t cap, size_t *next)
{
	size_t o = off, olen = 0, limit = off, i;
	int jumped = 0;

	for (;;) {
		unsigned l;
		if (o >= len)
			return -1;
		l = m[o];
		if ((l & 0xC0) == 0xC0) {
			size_t p;
			if (o + 1 >= len)
				return -1;
			p = (size_t)(l & 0x3F) << 8 | m[o + 1];
			if (!jumped)
				*next = o + 2;
			jumped = 1;
			if (p >= limit)
				return -1;
			limit = p;
			o = p;
			continue;
		}
		if (l & 0xC0)
			return -1; /* extended label types (RFC 6891): not for us */
		if (l == 0)
			break;
		if (o + 1 + l > len || olen + l + 1 >= cap)
			return -1;
		if (olen > 0)
			out[olen++] = '.';
		for (i = 0; i < l; i++) {
			char c = (char)m[o + 1 + i];
			out[olen++] = host_char(c) ? lower(c) : '?';
		}
		o += 1 + l;
	}
	if (!jumped)
		*next = o + 1;
	out[olen] = '\0';
	return 0;
}

/* Reads the answer records (from off) for target and its CNAME chain into r. */
static dns_reply_status read_answers(const uint8_t *m, size_t len, size_t off, unsigned an,
				     const char *qname, uint16_t qtype, dns_reply *r)
{
	char target[ECS_HOST_MAX], owner[ECS_HOST_MAX];
	unsigned i;

	memcpy(target, qname, sizeof(target));
	for (i = 0; i < an; i++) {
		unsigned type, cls, rdlen;
		if (read_name(m, len, off, owner, sizeof(owner), &off) != 0 || off + 10 > len)
			return DNS_REPLY_BAD;
		type = get16(m + off);
		cls = get16(m + off + 2);
		rdlen = get16(m + off + 8);
		off += 10;
		if (off + rdlen > len)
			return DNS_REPLY_BAD;
		if (cls == 1 && strcmp(owner, target) == 0) {
			size_t end;
			dns_addr a;
			if (type == 5) { /* CNAME: follow it */
				if (read_name(m, off + rdlen, off, target, sizeof(target), &end) !=
				    0)
					return DNS_REPLY_BAD;
			} else if (type == qtype && rdlen == (qtype == DNS_T_A ? 4u : 16u)) {
				memset(&a, 0, sizeof(a));
				a.family = qtype == DNS_T_A ? 4 : 6;
				memcpy(a.b, m + off, rdlen);
				add_addr(r->addr, ECS_DNS_ADDR_MAX, &r->naddr, &a);
			}
		}
		off += rdlen;
	}
	return DNS_REPLY_OK;
}

dns_reply_status dns_parse_reply(const uint8_t *m, size_t len, uint16_t id, const char *name,
				 uint16_t qtype, dns_reply *r)
{
	char qname[ECS_HOST_MAX], want[ECS_HOST_MAX];
	size_t off, nl = strlen(name), i;
	unsigned flags, qd;

	memset(r, 0, sizeof(*r));
	if (len < 12 || get16(m) != id)
		return DNS_REPLY_OTHER;
	flags = get16(m + 2);
	qd = get16(m + 4);
	if (!(flags & 0x8000) || ((flags >> 11) & 0xF) != 0)
		return DNS_REPLY_OTHER; /* a query, or not a standard query's answer */
	r->rcode = flags & 0xF;
	r->truncated = (flags & 0x0200) != 0;
	if (qd == 0 && r->rcode != DNS_RC_NOERROR)
		return DNS_REPLY_OK; /* some servers drop the question from an error */
	if (qd != 1 || nl == 0 || nl >= sizeof(want))
		return DNS_REPLY_OTHER;
	for (i = 0; i < nl; i++)
		want[i] = lower(name[i]);
	if (want[nl - 1] == '.')
		nl--;
	want[nl] = '\0';
	if (read_name(m, len, 12, qname, sizeof(qname), &off) != 0 || off + 4 > len ||
	    strcmp(qname, want) != 0 || get16(m + off) != qtype || get16(m + off + 2) != 1)
		return DNS_REPLY_OTHER;
	if (r->truncated || r->rcode != DNS_RC_NOERROR)
		return DNS_REPLY_OK;
	return read_answers(m, len, off + 4, get16(m + 6), want, qtype, r);
}

/* The zero groups that "::" replaces: the longest run, a run inside the address counting
 * half a group more than one at either end, the first of equal ones (how musl's inet_ntop()
 * chooses); none shorter than two groups. *len gets the run's length, 0 for none. */
static size_t zero_run(const uint16_t *g, size_t ng, size_t *len)
{
	size_t i, k, best = 0, best_score = 3;

	*len = 0;
	for (i = 0; i < ng; i += k ? k : 1) {
		size_t score;
		for (k = 0; i + k < ng && g[i + k] == 0; k++)
			;
		score = 2 * k + (i > 0 && i + k < 8);
		if (k > 0 && score > best_score) {
			best = i;
			best_score = score;
			*len = k;
		}
	}
	return best;
}

void dns_addr_text(const dns_addr *a, char *out, size_t cap)
{
	char buf[48];
	uint16_t g[8];
	size_t n = 0, i, run, runlen, ng;
	const uint8_t *b = a->b;

	/* IPv4, and the last 32 bits of an IPv4-mapped IPv6 address (::ffff:a.b.c.d) */
	ng = a->family != 6 ? 0 : memcmp(b, "\0\0\0\0\0\0\0\0\0\0\377\377", 12) == 0 ? 6 : 8;
	for (i = 0; i < 8; i++)
		g[i] = (uint16_t)(b[2 * i] << 8 | b[2 * i + 1]);
	run = zero_run(g, ng, &runlen);
	for (i = 0; i < ng; i++) {
		if (runlen > 0 && i == run) {
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "::");
			i += runlen - 1;
			continue;
		}
		n += (size_t)snprintf(buf + n, sizeof(buf) - n,
				      i > 0 && !(runlen > 0 && i == run + runlen) ? ":%x" : "%x",
				      (unsigned)g[i]);
	}
	if (ng != 8) {
		b += ng == 0 ? 0 : 12;
		snprintf(buf + n, sizeof(buf) - n,
			 ng == 6 && !(runlen > 0 && run + runlen == 6) ? ":%u.%u.%u.%u"
								       : "%u.%u.%u.%u",
			 b[0], b[1], b[2], b[3]);
	}
	if (cap > 0)
		snprintf(out, cap, "%s", strlen(buf) < cap ? buf : "");
}
