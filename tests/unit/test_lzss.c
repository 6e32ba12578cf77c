/* Unit tests for src/lzss.c: the --help text's unpacker, on hand-made packed bytes (the format
 * of scripts/pack_text.c) and on damaged ones; and the real packed help text round trip. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h> /* needs the four headers above first */

#include <string.h>

#include "cli.h"
#include "lzss.h"

#define BAD ((size_t)-1)

static void test_literals(void **state)
{
	static const unsigned char in[] = {0x00, 'a', 'b', 'c'};
	char out[8];

	(void)state;
	assert_int_equal(lzss_unpack(in, sizeof(in), out, sizeof(out)), 3);
	assert_memory_equal(out, "abc", 3);
	assert_int_equal(lzss_unpack(in, 0, out, sizeof(out)), 0);
}

static void test_reference(void **state)
{
	/* "ab", then 5 bytes from 2 back (overlapping: ababa), then "!" */
	static const unsigned char in[] = {0x04, 'a', 'b', 0x00, 0x22, '!'};
	char out[16];

	(void)state;
	assert_int_equal(lzss_unpack(in, sizeof(in), out, sizeof(out)), 8);
	assert_memory_equal(out, "abababa!", 8);
}

static void test_second_group(void **state)
{
	/* 8 literals, then a new flag byte: one reference of 18 bytes 1 back */
	static const unsigned char in[] = {0x00, '0', '1', '2',	 '3',  '4',
					   '5',	 '6', '7', 0x01, 0x00, 0x1f};
	char out[32];

	(void)state;
	assert_int_equal(lzss_unpack(in, sizeof(in), out, sizeof(out)), 26);
	assert_memory_equal(out, "01234567777777777777777777", 26);
}

static void test_damaged(void **state)
{
	static const unsigned char before_start[] = {0x02, 'a', 0x00, 0x20}; /* 2 back of 1 */
	static const unsigned char zero_dist[] = {0x02, 'a', 0x00, 0x00};
	static const unsigned char cut[] = {0x02, 'a', 0x00};
	static const unsigned char in[] = {0x04, 'a', 'b', 0x00, 0x22};
	char out[16];

	(void)state;
	assert_int_equal(lzss_unpack(before_start, sizeof(before_start), out, sizeof(out)), BAD);
	assert_int_equal(lzss_unpack(zero_dist, sizeof(zero_dist), out, sizeof(out)), BAD);
	assert_int_equal(lzss_unpack(cut, sizeof(cut), out, sizeof(out)), BAD);
	assert_int_equal(lzss_unpack(in, sizeof(in), out, 6), BAD); /* 7 bytes into 6 */
	assert_int_equal(lzss_unpack(in, sizeof(in), out, 1), BAD);
	assert_int_equal(lzss_unpack(in, sizeof(in), out, 7), 7);
}

static void test_help_text(void **state)
{
	const char *t = cli_usage();

	(void)state;
	assert_true(strncmp(t, "usage: ecs-ca-status [OPTIONS]", 30) == 0);
	assert_non_null(strstr(t, "--max-time S"));
	assert_non_null(strstr(t, "128+N killed by signal N"));
	assert_int_equal(t[strlen(t) - 1], '\n');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_literals),     cmocka_unit_test(test_reference),
		cmocka_unit_test(test_second_group), cmocka_unit_test(test_damaged),
		cmocka_unit_test(test_help_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
