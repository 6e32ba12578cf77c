/* Unit test for port/posix/port_fmt.c: port_vformat() against the C library's vsnprintf (glibc
 * in the host build) on every conversion, flag, width, precision and length this program and
 * mbedTLS use, and on a seeded random sweep of combinations. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h> /* needs the four headers above first */

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "port.h"

static int ours(char *dst, size_t cap, const char *f, ...)
{
	va_list ap;
	int n;

	va_start(ap, f);
	n = port_vformat(dst, cap, f, ap);
	va_end(ap);
	return n;
}

#define SAME(cap, ...)                                                                             \
	do {                                                                                       \
		char a_[256], b_[256];                                                             \
		int na_, nb_;                                                                      \
		memset(a_, 'Z', sizeof(a_));                                                       \
		memset(b_, 'Z', sizeof(b_));                                                       \
		na_ = ours(a_, (cap), __VA_ARGS__);                                                \
		nb_ = snprintf(b_, (cap), __VA_ARGS__);                                            \
		if (na_ != nb_ || memcmp(a_, b_, sizeof(a_)) != 0)                                 \
			print_message("format %s: got '%.60s' (%d), want '%.60s' (%d)\n",          \
				      #__VA_ARGS__, a_, na_, b_, nb_);                             \
		assert_int_equal(na_, nb_);                                                        \
		assert_memory_equal(a_, b_, sizeof(a_));                                           \
	} while (0)

static void test_fixed_cases(void **state)
{
	(void)state;
	SAME(256, "plain text");
	SAME(256, "%s|%-22s|%22s|%.4s|%.*s|%-*s|", "abc", "left", "right", "truncate", 3, "abcdef",
	     6, "ab");
	SAME(256, "%d %i %5d %-5d %05d %+d % d %.3d %.0d", 42, -42, 7, 7, -7, 7, 7, 7, 0);
	SAME(256, "%u %lu %llu %zu %ju %hu %hhu", 4294967295u, 123456789ul, 18446744073709551615ull,
	     (size_t)12345, (uintmax_t)99, (unsigned short)65535, (unsigned char)255);
	SAME(256, "%lld %ld %hd %hhd %jd %zd", LLONG_MIN, LONG_MIN, (short)-32768,
	     (signed char)-128, (intmax_t)-1, (ptrdiff_t)-5);
	SAME(256, "%x %X %02x %04x %#x %#X %#o %o %08X", 255u, 255u, 5u, 0xbeefu, 255u, 0u, 8u, 8u,
	     0xabcu);
	SAME(256, "%c%c%3c%-3c|%%|", 'a', 'b', 'c', 'd');
	SAME(256, "%03lld %02x %04o", 7LL, 0xau, 0644u);
	SAME(256, "%s", "");
	SAME(256, "%10.3s|%-10.3s|", "abcdef", "abcdef");
	SAME(256, "%*d|%-*d|%.*d", -6, 1, 6, 2, -1, 3);
	SAME(256, "\n%ssubject name  : %d bits\n", "  ", 2048);
}

static void test_truncation(void **state)
{
	size_t cap;

	(void)state;
	for (cap = 0; cap < 40; cap++) {
		SAME(cap, "%s-%d-%x-%c", "hello world", -1234567, 0xdeadbeefu, 'q');
		SAME(cap, "%-12s|%08d", "ab", 42);
	}
}

static uint32_t rnd_state = 12345;

static uint32_t rnd(void)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return rnd_state >> 8;
}

/* Random flags, widths, precisions and values through each integer conversion. */
static void test_random_sweep(void **state)
{
	static const char *const flags[] = {"", "-", "0", "+", " ", "#", "-0", "+0", "- ", "#0"};
	static const char conv[] = "diuxXo";
	int k;

	(void)state;
	for (k = 0; k < 20000; k++) {
		char f[32];
		long long v = (long long)(((uint64_t)rnd() << 32) | rnd());
		int width = (int)(rnd() % 25) - 2, prec = (int)(rnd() % 22) - 2;
		char c = conv[rnd() % 6];
		size_t cap = rnd() % 48;
		char wbuf[8] = "", pbuf[8] = "";
		if (rnd() % 4 == 0)
			v = (long long)(rnd() % 3) - 1;
		if (width >= 0)
			snprintf(wbuf, sizeof(wbuf), "%d", width);
		if (prec >= 0)
			snprintf(pbuf, sizeof(pbuf), ".%d", prec);
		snprintf(f, sizeof(f), "[%%%s%s%sll%c]", flags[rnd() % 10], wbuf, pbuf, c);
		if (c == 'd' || c == 'i')
			SAME(cap, f, v);
		else
			SAME(cap, f, (unsigned long long)v);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixed_cases),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_random_sweep),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
