/*
 * Unit tests of the stub resolver's pure parts (port/dns.c): resolv.conf and hosts lines,
 * names, the query we send, and answers good and hostile (CNAME chains, compression loops,
 * answers to another question, truncation, short records).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "dns.h"

static void test_conf_lines(void **state)
{
	static const char *lines[] = {
		"# nameserver 9.9.9.9",	 "nameserver 127.0.0.1",
		"nameserver   ::1  # x", "nameserver bogus",
		"nameserver 10.0.0.1",	 "nameserver 10.0.0.2",
		"search a.test b.test",	 "options ndots:3 timeout:99 attempts:0 rotate",
	};
	dns_conf c;
	size_t i;

	(void)state;
	dns_conf_init(&c);
	assert_int_equal(c.ndots, 1);
	assert_int_equal(c.timeout_s, 5);
	assert_int_equal(c.attempts, 2);
	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		dns_conf_line(&c, lines[i], strlen(lines[i]));
	assert_int_equal(c.nns, 3); /* bogus skipped, the fourth dropped */
	assert_int_equal(c.ns[0].family, 4);
	assert_int_equal(c.ns[1].family, 6);
	assert_int_equal(c.ns[2].b[3], 1);
	assert_int_equal(c.nsearch, 2);
	assert_string_equal(c.search[1], "b.test");
	assert_int_equal(c.ndots, 3);
	assert_int_equal(c.timeout_s, 30); /* clamped as glibc does */
	assert_int_equal(c.attempts, 1);
	dns_conf_line(&c, "domain only.test", 16); /* the last search/domain wins */
	assert_int_equal(c.nsearch, 1);
	assert_string_equal(c.search[0], "only.test");
}

static void test_hosts_lines(void **state)
{
	dns_addr out[2];
	size_t n = 0;

	(void)state;
	assert_int_equal(dns_hosts_line("127.0.0.1 localhost A.Test", 26, "a.test.", out, 2, &n),
			 1);
	assert_int_equal(dns_hosts_line("::1 a.test", 10, "a.test", out, 2, &n), 1);
	assert_int_equal(dns_hosts_line("10.0.0.9 a.test", 15, "a.test", out, 2, &n), 1);
	assert_int_equal(n, 2); /* third dropped: cap */
	assert_int_equal(dns_hosts_line("# 10.0.0.1 a.test", 17, "a.test", out, 2, &n), 0);
	assert_int_equal(dns_hosts_line("10.0.0.1 b # a.test", 19, "a.test", out, 2, &n), 0);
	assert_int_equal(dns_hosts_line("fe80::1%eth0 a.test", 19, "a.test", out, 2, &n), 0);
	assert_int_equal(out[1].family, 6);
}

static void test_names(void **state)
{
	char long_label[70];

	(void)state;
	assert_true(dns_name_ok("ecs.cn-hangzhou.aliyuncs.com"));
	assert_true(dns_name_ok("a."));
	assert_false(dns_name_ok(""));
	assert_false(dns_name_ok("."));
	assert_false(dns_name_ok("a..b"));
	assert_false(dns_name_ok("a b"));
	assert_false(dns_name_ok("a\\.b"));
	memset(long_label, 'x', 64);
	long_label[64] = '\0';
	assert_false(dns_name_ok(long_label));
	long_label[63] = '\0';
	assert_true(dns_name_ok(long_label));
}

static const uint8_t QUERY_A_TEST[] = {0xab, 0xcd, 0x01, 0x00, 0,   1,	 0,   0, 0, 0, 0, 0,
				       1,    'a',  4,	 't',  'e', 's', 't', 0, 0, 1, 0, 1};

static void test_build_query(void **state)
{
	uint8_t q[64];

	(void)state;
	assert_int_equal(dns_build_query(q, sizeof(q), 0xabcd, "a.test.", DNS_T_A),
			 sizeof(QUERY_A_TEST));
	assert_memory_equal(q, QUERY_A_TEST, sizeof(QUERY_A_TEST));
	assert_int_equal(dns_build_query(q, sizeof(QUERY_A_TEST) - 1, 1, "a.test", DNS_T_A), 0);
	assert_int_equal(dns_build_query(q, sizeof(q), 1, "a..test", DNS_T_A), 0);
}

/* An answer to QUERY_A_TEST with the given records appended. */
static size_t reply(uint8_t *m, uint16_t flags, unsigned an, const uint8_t *rr, size_t rl)
{
	memcpy(m, QUERY_A_TEST, sizeof(QUERY_A_TEST));
	m[2] = (uint8_t)(flags >> 8);
	m[3] = (uint8_t)flags;
	m[7] = (uint8_t)an;
	if (rl > 0)
		memcpy(m + sizeof(QUERY_A_TEST), rr, rl);
	return sizeof(QUERY_A_TEST) + rl;
}

static void test_reply_cname_chain(void **state)
{
	/* a.test CNAME b.a.test (b + pointer to 12), b.a.test A 192.0.2.1, x A 6.6.6.6 */
	static const uint8_t rr[] = {0xc0, 0x0c, 0,    5,    0,	   1, 0, 0,   0, 60, 0, 4, 1,
				     'b',  0xc0, 0x0c, 0xc0, 0x24, 0, 1, 0,   1, 0,  0, 0, 60,
				     0,	   4,	 192,  0,    2,	   1, 1, 'x', 0, 0,  1, 0, 1,
				     0,	   0,	 0,    60,   0,	   4, 6, 6,   6, 6};
	uint8_t m[128];
	size_t n = reply(m, 0x8180, 3, rr, sizeof(rr));
	dns_reply r;

	(void)state;
	assert_int_equal(dns_parse_reply(m, n, 0xabcd, "A.TEST", DNS_T_A, &r), DNS_REPLY_OK);
	assert_int_equal(r.naddr, 1); /* the unrelated "x" record is not taken */
	assert_int_equal(r.addr[0].b[0], 192);
	assert_int_equal(dns_parse_reply(m, n, 0xabce, "a.test", DNS_T_A, &r), DNS_REPLY_OTHER);
	assert_int_equal(dns_parse_reply(m, n, 0xabcd, "b.test", DNS_T_A, &r), DNS_REPLY_OTHER);
	assert_int_equal(dns_parse_reply(m, n, 0xabcd, "a.test", DNS_T_AAAA, &r), DNS_REPLY_OTHER);
	assert_int_equal(dns_parse_reply(m, n - 1, 0xabcd, "a.test", DNS_T_A, &r), DNS_REPLY_BAD);
}

static void test_reply_hostile(void **state)
{
	static const uint8_t loop[] = {0xc0, 0x18, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 1, 2, 3, 4};
	static const uint8_t self[] = {0xc0, 0x18};
	static const uint8_t shortrr[] = {0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 3, 1, 2, 3};
	uint8_t m[128];
	dns_reply r;
	size_t n;

	(void)state;
	n = reply(m, 0x8180, 1, loop, sizeof(loop)); /* pointer to itself */
	assert_int_equal(dns_parse_reply(m, n, 0xabcd, "a.test", DNS_T_A, &r), DNS_REPLY_BAD);
	n = reply(m, 0x8180, 1, self, sizeof(self));
	assert_int_equal(dns_parse_reply(m, n, 0xabcd, "a.test", DNS_T_A, &r), DNS_REPLY_BAD);
	n = reply(m, 0x8180, 1, shortrr, sizeof(shortrr)); /* A with 3 bytes: ignored */
	assert_int_equal(dns_parse_reply(m, n, 0xabcd, "a.test", DNS_T_A, &r), DNS_REPLY_OK);
	assert_int_equal(r.naddr, 0);
	n = reply(m, 0x0180, 0, NULL, 0); /* QR clear: a query, not an answer */
	assert_int_equal(dns_parse_reply(m, n, 0xabcd, "a.test", DNS_T_A, &r), DNS_REPLY_OTHER);
	n = reply(m, 0x8380, 5, NULL, 0); /* TC: records not read */
	assert_int_equal(dns_parse_reply(m, n, 0xabcd, "a.test", DNS_T_A, &r), DNS_REPLY_OK);
	assert_true(r.truncated);
	n = reply(m, 0x8185, 0, NULL, 0);
	assert_int_equal(dns_parse_reply(m, n, 0xabcd, "a.test", DNS_T_A, &r), DNS_REPLY_OK);
	assert_int_equal(r.rcode, DNS_RC_REFUSED);
	assert_int_equal(dns_parse_reply(m, 11, 0xabcd, "a.test", DNS_T_A, &r), DNS_REPLY_OTHER);
}

/* Address literals in and out: what musl's inet_pton() accepts and inet_ntop() writes (the
 * expected values were produced by musl 1.2.3; a random differential run of 20 million strings
 * and addresses against it found no difference). "::" goes where musl puts it: on the longest
 * zero run, one inside the address beating one of the same length at either end. */
static void test_addr_literals(void **state)
{
	static const struct {
		const char *in;
		int family;
		const char *text;
	} cases[] = {
		{"::", 6, "::"},
		{"::1", 6, "::1"},
		{"1::", 6, "1::"},
		{":::", 0, ""},
		{"1:2:3:4:5:6:7::", 6, "1:2:3:4:5:6:7:0"},
		{"::1:2:3:4:5:6:7", 6, "0:1:2:3:4:5:6:7"},
		{"1:2:3:4:5:6:1.2.3.4", 6, "1:2:3:4:5:6:102:304"},
		{"::ffff:1.2.3.4", 6, "::ffff:1.2.3.4"},
		{"1:2:3:4:5:6:7:1.2.3.4", 0, ""},
		{"::1:2:3:4:5:6:1.2.3.4", 0, ""},
		{"1:2:3:4:5:6::1.2.3.4", 0, ""},
		{"1:2:3:4:5::1.2.3.4", 6, "1:2:3:4:5:0:102:304"},
		{"1::2:3:4:5:6:7:8", 0, ""},
		{"1:2:3:4:5:6:7:8", 6, "1:2:3:4:5:6:7:8"},
		{"1:2:3:4:5:6:7:8:9", 0, ""},
		{":1::", 0, ""},
		{"1:", 0, ""},
		{"1:::2", 0, ""},
		{"::1.2.3.4", 6, "::102:304"},
		{"::01.2.3.4", 0, ""},
		{"0.0.0.0", 4, "0.0.0.0"},
		{"255.255.255.255", 4, "255.255.255.255"},
		{"256.1.1.1", 0, ""},
		{"1.2.3", 0, ""},
		{"1.2.3.4.", 0, ""},
		{"01.2.3.4", 0, ""},
		{"1.2.3.04", 0, ""},
		{"FFFF::", 6, "ffff::"},
		{"12345::", 0, ""},
		{"::12345", 0, ""},
		{"1:2:3:4:5:6:7:8::", 0, ""},
		{"1::2::3", 0, ""},
		{"0:0:1:0:0:1:1:1", 6, "0:0:1::1:1:1"},
		{"1:0:0:1:0:0:0:1", 6, "1:0:0:1::1"},
		{"0:0:0:1:0:0:0:1", 6, "0:0:0:1::1"},
		{"1:0:1:0:1:0:1:0", 6, "1:0:1:0:1:0:1:0"},
		{"2001:db8:0:0:1:0:0:1", 6, "2001:db8::1:0:0:1"},
		{"::ffff:0.0.0.0", 6, "::ffff:0.0.0.0"},
		{"0:0:0:0:0:fffe:1.2.3.4", 6, "::fffe:102:304"},
		{"00ab:0CD::0", 6, "ab:cd::"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		dns_addr a;
		char text[48];
		int ok = dns_parse_ip(cases[i].in, strlen(cases[i].in), &a);
		if (ok != (cases[i].family != 0))
			fail_msg("%s: parsed %d, want family %d", cases[i].in, ok, cases[i].family);
		if (!ok)
			continue;
		assert_int_equal(a.family, cases[i].family);
		dns_addr_text(&a, text, sizeof(text));
		assert_string_equal(text, cases[i].text);
	}
	{
		dns_addr a;
		char small[8];
		assert_true(dns_parse_ip("2001:db8::1", 11, &a));
		dns_addr_text(&a, small, sizeof(small)); /* does not fit: empty, never cut */
		assert_string_equal(small, "");
		assert_false(dns_parse_ip("1.2.3.4\0", 8, &a));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conf_lines),
		cmocka_unit_test(test_hosts_lines),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_build_query),
		cmocka_unit_test(test_reply_cname_chain),
		cmocka_unit_test(test_reply_hostile),
		cmocka_unit_test(test_addr_literals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
