/*
 * libFuzzer harness for the stub resolver's pure parts (port/dns.c): DNS answers, resolv.conf
 * lines, /etc/hosts lines and query building.
 *
 * The input is parsed three ways as a DNS message: as it is (for the name in its own question
 * and a fixed name, A and AAAA), and appended to a valid header and question for "x.test" so
 * that mutations reach the answer records and their compression pointers at once. Every line
 * of the input is also a resolv.conf line and a hosts line. Invariants: bounded results, the
 * family of every address matches the question, the same input gives the same answer, and a
 * query we build parses back as an empty answer to itself.
 */
#include <stddef.h>
#include <stdint.h>

#include "dns.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_reply(const uint8_t *m, size_t n, uint16_t id, const char *name, uint16_t t)
{
	dns_reply r, again;
	dns_reply_status st = dns_parse_reply(m, n, id, name, t, &r), st2;
	size_t i;

	CHECK(st == DNS_REPLY_OK || st == DNS_REPLY_OTHER || st == DNS_REPLY_BAD);
	CHECK(r.naddr <= ECS_DNS_ADDR_MAX && r.rcode <= 15);
	for (i = 0; i < r.naddr; i++)
		CHECK(r.addr[i].family == (t == DNS_T_A ? 4 : 6));
	if (r.truncated || r.rcode != 0 || st != DNS_REPLY_OK)
		CHECK(r.naddr == 0 || st == DNS_REPLY_BAD);
	st2 = dns_parse_reply(m, n, id, name, t, &again);
	CHECK(st2 == st && again.naddr == r.naddr && again.rcode == r.rcode);
	CHECK(r.naddr == 0 || memcmp(again.addr, r.addr, r.naddr * sizeof(r.addr[0])) == 0);
}

/* The name in the input's own question (decoded simply: no pointers), if it is valid. */
static int own_name(const uint8_t *d, size_t n, char *out, size_t cap)
{
	size_t o = 12, w = 0;

	while (o < n && d[o] != 0 && d[o] < 64) {
		size_t l = d[o];
		if (o + 1 + l > n || w + l + 2 > cap)
			return 0;
		if (w > 0)
			out[w++] = '.';
		memcpy(out + w, d + o + 1, l);
		w += l;
		o += 1 + l;
	}
	out[w] = '\0';
	return w > 0 && dns_name_ok(out);
}

static void check_messages(const uint8_t *data, size_t size)
{
	static const uint8_t head[] = {0x12, 0x34, 0x81, 0x80, 0,   1,	 0,   0, 0, 0, 0, 0,
				       1,    'x',  4,	 't',  'e', 's', 't', 0, 0, 1, 0, 1};
	uint8_t *m = (uint8_t *)fz_alloc(sizeof(head) + size);
	uint16_t id = size >= 2 ? (uint16_t)(data[0] << 8 | data[1]) : 0;
	char name[ECS_HOST_MAX];

	check_reply(data, size, id, "a.test", DNS_T_A);
	if (own_name(data, size, name, sizeof(name))) {
		check_reply(data, size, id, name, DNS_T_A);
		check_reply(data, size, id, name, DNS_T_AAAA);
	}
	memcpy(m, head, sizeof(head));
	memcpy(m + sizeof(head), data, size);
	m[7] = size > 0 ? data[0] : 0; /* answer count from the input */
	check_reply(m, sizeof(head) + size, 0x1234, "x.test", DNS_T_A);
	m[sizeof(head) - 3] = DNS_T_AAAA;
	check_reply(m, sizeof(head) + size, 0x1234, "X.Test.", DNS_T_AAAA);
	fz_free((char *)m, sizeof(head) + size);
}

static void check_line(const char *l, size_t n)
{
	dns_conf c;
	dns_addr out[4];
	size_t k = 0, i;
	char name[ECS_HOST_MAX];
	uint8_t q[ECS_HOST_MAX + 18];
	dns_reply r;

	dns_conf_init(&c);
	dns_conf_line(&c, l, n);
	dns_conf_line(&c, l, n);
	CHECK(c.nns <= ECS_DNS_NS_MAX && c.nsearch <= ECS_DNS_SEARCH_MAX);
	for (i = 0; i < c.nsearch; i++)
		CHECK(fz_terminated(c.search[i], sizeof(c.search[i])) && dns_name_ok(c.search[i]));
	CHECK(c.ndots <= 15 && c.timeout_s >= 1 && c.timeout_s <= 30);
	CHECK(c.attempts >= 1 && c.attempts <= 5);
	for (i = 0; i < 3; i++)
		(void)dns_hosts_line(l, n, i == 0 ? "a.test" : "localhost", out, NELEM(out), &k);
	CHECK(k <= NELEM(out));
	/* the line as an address literal: its text reads back as the same address */
	{
		dns_addr a, b;
		char text[48];
		if (dns_parse_ip(l, n, &a)) {
			CHECK(a.family == 4 || a.family == 6);
			dns_addr_text(&a, text, sizeof(text));
			CHECK(fz_terminated(text, sizeof(text)) && text[0] != '\0');
			CHECK(dns_parse_ip(text, strlen(text), &b));
			CHECK(b.family == a.family && memcmp(a.b, b.b, sizeof(a.b)) == 0);
		}
	}
	/* the line as a name: a query for it parses back as an empty answer to it */
	if (n < sizeof(name)) {
		size_t ql;
		memcpy(name, l, n);
		name[n] = '\0';
		ql = dns_build_query(q, sizeof(q), 7, name, DNS_T_A);
		CHECK((ql > 0) == dns_name_ok(name));
		if (ql > 0) {
			q[2] |= 0x80;
			CHECK(dns_parse_reply(q, ql, 7, name, DNS_T_A, &r) == DNS_REPLY_OK);
			CHECK(r.naddr == 0 && r.rcode == 0 && !r.truncated);
			CHECK(dns_parse_reply(q, ql, 8, name, DNS_T_A, &r) == DNS_REPLY_OTHER);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data, *end = s + size;

	check_messages(data, size);
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		size_t n = nl != NULL ? (size_t)(nl - s) : (size_t)(end - s);
		check_line(s, n);
		s += n + 1;
	}
	return 0;
}
