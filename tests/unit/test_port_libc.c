/*
 * Unit tests of the release build's own C library functions (port/posix/port_libc.c), compiled
 * here under other names and compared with the C library's on the same inputs: strstr,
 * strspn, strcspn and inet_pton (the last against the results musl's gives, see test_dns.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

char *tiny_strstr(const char *h, const char *n);
size_t tiny_strspn(const char *s, const char *accept);
size_t tiny_strcspn(const char *s, const char *reject);
int tiny_inet_pton(int af, const char *restrict src, void *restrict dst);

#define ECS_TINY_LIBC
#define strstr	  tiny_strstr
#define strspn	  tiny_strspn
#define strcspn	  tiny_strcspn
#define inet_pton tiny_inet_pton
#include "../../port/posix/port_libc.c"
#undef strstr
#undef strspn
#undef strcspn
#undef inet_pton

static uint32_t seed = 12345;

static unsigned rnd(unsigned n)
{
	seed = seed * 1103515245u + 12345u;
	return (seed >> 16) % n;
}

static void random_text(char *s, size_t max, const char *alphabet)
{
	size_t n = rnd((unsigned)max), i, al = strlen(alphabet);

	for (i = 0; i < n; i++)
		s[i] = alphabet[rnd((unsigned)al)];
	s[n] = '\0';
}

static void test_strstr(void **state)
{
	static const char *fixed[][2] = {
		{"", ""},
		{"abc", ""},
		{"", "a"},
		{"abc", "abc"},
		{"abc", "abcd"},
		{"aab", "ab"},
		{"abab", "bab"},
		{"aaaaab", "aab"},
		{"xyz", "z"},
		{"ab", "b\0"},
		{"-----BEGIN CERTIFICATE-----", "BEGIN"},
	};
	char h[64], n[8];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		assert_ptr_equal(tiny_strstr(fixed[i][0], fixed[i][1]),
				 strstr(fixed[i][0], fixed[i][1]));
	for (i = 0; i < 200000; i++) {
		random_text(h, sizeof(h) - 1, "aab");
		random_text(n, sizeof(n) - 1, "ab");
		assert_ptr_equal(tiny_strstr(h, n), strstr(h, n));
	}
}

static void test_spans(void **state)
{
	char s[32], set[6];
	size_t i;

	(void)state;
	assert_int_equal(tiny_strspn("", "abc"), 0);
	assert_int_equal(tiny_strcspn("", "abc"), 0);
	assert_int_equal(tiny_strspn("abc", ""), 0);
	assert_int_equal(tiny_strcspn("abc", ""), 3);
	for (i = 0; i < 100000; i++) {
		random_text(s, sizeof(s) - 1, "abcd ,");
		random_text(set, sizeof(set) - 1, "abc ,");
		assert_int_equal(tiny_strspn(s, set), strspn(s, set));
		assert_int_equal(tiny_strcspn(s, set), strcspn(s, set));
	}
}

static void test_inet_pton(void **state)
{
	unsigned char a[16], b[16];

	(void)state;
	assert_int_equal(tiny_inet_pton(AF_INET, "192.0.2.1", a), 1);
	assert_int_equal(inet_pton(AF_INET, "192.0.2.1", b), 1);
	assert_memory_equal(a, b, 4);
	assert_int_equal(tiny_inet_pton(AF_INET6, "2001:db8::ffff:1.2.3.4", a), 1);
	assert_int_equal(inet_pton(AF_INET6, "2001:db8::ffff:1.2.3.4", b), 1);
	assert_memory_equal(a, b, 16);
	/* the wrong family for the text, or junk: 0 */
	assert_int_equal(tiny_inet_pton(AF_INET6, "192.0.2.1", a), 0);
	assert_int_equal(tiny_inet_pton(AF_INET, "::1", a), 0);
	assert_int_equal(tiny_inet_pton(AF_INET, "192.0.2.1 ", a), 0);
	assert_int_equal(
		tiny_inet_pton(AF_INET6, "1:2:3:4:5:6:7:8:9:10:11:12:13:14:15:16:17:18:19", a), 0);
	errno = 0;
	assert_int_equal(tiny_inet_pton(AF_UNIX, "x", a), -1);
	assert_int_equal(errno, EAFNOSUPPORT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strstr),
		cmocka_unit_test(test_spans),
		cmocka_unit_test(test_inet_pton),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
