/*
 * Unit tests of the release build's own C library functions (port/posix/port_libc.c), compiled
 * here under other names and compared with the C library's on the same inputs (inet_pton's
 * literals against what musl's gives: see test_dns.c).
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
#include <time.h>

char *tiny_strchr(const char *s, int c);
char *tiny_strrchr(const char *s, int c);
char *tiny_strcpy(char *restrict d, const char *restrict s);
char *tiny_strcat(char *restrict d, const char *restrict s);
int tiny_strncmp(const char *a, const char *b, size_t n);
size_t tiny_strnlen(const char *s, size_t n);
int tiny_clock_gettime(clockid_t clk, struct timespec *ts);
time_t tiny_time(time_t *t);
char *tiny_strstr(const char *h, const char *n);
size_t tiny_strspn(const char *s, const char *accept);
size_t tiny_strcspn(const char *s, const char *reject);
int tiny_inet_pton(int af, const char *restrict src, void *restrict dst);

#define ECS_TINY_LIBC
#define strchr	      tiny_strchr
#define strrchr	      tiny_strrchr
#define strcpy	      tiny_strcpy
#define strcat	      tiny_strcat
#define strncmp	      tiny_strncmp
#define strnlen	      tiny_strnlen
#define clock_gettime tiny_clock_gettime
#define time	      tiny_time
#define strstr	      tiny_strstr
#define strspn	      tiny_strspn
#define strcspn	      tiny_strcspn
#define inet_pton     tiny_inet_pton
#include "../../port/posix/port_libc.c"
#undef strchr
#undef strrchr
#undef strcpy
#undef strcat
#undef strncmp
#undef strnlen
#undef clock_gettime
#undef time
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

static int sign(int v)
{
	return (v > 0) - (v < 0);
}

static void test_strings(void **state)
{
	char a[24], b[24], d1[64], d2[64];
	size_t i, n;

	(void)state;
	for (i = 0; i < 100000; i++) {
		int c = "abc\0"[rnd(4)];
		random_text(a, sizeof(a) - 1, "abc");
		random_text(b, sizeof(b) - 1, "abc");
		n = rnd(26);
		assert_ptr_equal(tiny_strchr(a, c), strchr(a, c));
		assert_ptr_equal(tiny_strrchr(a, c), strrchr(a, c));
		assert_int_equal(sign(tiny_strncmp(a, b, n)), sign(strncmp(a, b, n)));
		assert_int_equal(tiny_strnlen(a, n), strnlen(a, n));
		assert_ptr_equal(tiny_strcpy(d1, a), d1);
		strcpy(d2, a);
		assert_string_equal(d1, d2);
		assert_ptr_equal(tiny_strcat(d1, b), d1);
		strcat(d2, b);
		assert_string_equal(d1, d2);
	}
	assert_true(tiny_strncmp("a\xff", "a\x01", 2) > 0); /* compared as unsigned char */
}

static void test_clocks(void **state)
{
#if defined(__x86_64__) || defined(__aarch64__)
	struct timespec t1, t2;
	time_t t;

	(void)state;
	assert_int_equal(tiny_clock_gettime(CLOCK_REALTIME, &t1), 0);
	assert_int_equal(clock_gettime(CLOCK_REALTIME, &t2), 0);
	assert_true(t2.tv_sec - t1.tv_sec <= 1 && t2.tv_sec >= t1.tv_sec);
	assert_int_equal(tiny_clock_gettime(CLOCK_MONOTONIC, &t1), 0);
	assert_true(tiny_time(&t) - time(NULL) <= 1);
	assert_true(t <= time(NULL));
	errno = 0;
	assert_int_equal(tiny_clock_gettime((clockid_t)-100, &t1), -1);
	assert_int_equal(errno, EINVAL);
#else
	(void)state;
#endif
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
		cmocka_unit_test(test_strstr),	  cmocka_unit_test(test_spans),
		cmocka_unit_test(test_strings),	  cmocka_unit_test(test_clocks),
		cmocka_unit_test(test_inet_pton),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
