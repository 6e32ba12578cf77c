/* Unit tests for src/redact.c: every known secret out of server text, in every encoding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h> /* needs the four headers above first */

#include <string.h>

#include "redact.h"

static const char *const secrets[] = {"tok/en+=&%", "sts+/=&%~* secret", NULL, ""};

static void check(const char *in, const char *want, size_t hits)
{
	char buf[512];

	strcpy(buf, in);
	assert_int_equal(redact_text(buf, sizeof(buf), secrets, 4), hits);
	assert_string_equal(buf, want);
}

static void test_raw(void **state)
{
	(void)state;
	check("x-acs-security-token:tok/en+=&%\nhost", "x-acs-security-token:<redacted>\nhost", 1);
	check("a tok/en+=&% b tok/en+=&%", "a <redacted> b <redacted>", 2);
	check("secret=sts+/=&%~* secret;", "secret=<redacted>;", 1);
	check("nothing here", "nothing here", 0);
}

static void test_encoded(void **state)
{
	(void)state;
	check("SecurityToken=tok%2Fen%2B%3D%26%25&", "SecurityToken=<redacted>&", 1);
	check("SecurityToken%3Dtok%252Fen%252B%253D%2526%2525%26", "SecurityToken%3D<redacted>%26",
	      1);
	check("lower tok%2fen%2b%3d%26%25", "lower <redacted>", 1);
	check("form sts%2B%2F%3D%26%25~%2A+secret", "form <redacted>", 1);
	check("once sts%2B%2F%3D%26%25~%2A%20secret", "once <redacted>", 1);
}

static void test_partial_is_kept(void **state)
{
	(void)state;
	check("tok/en+= only", "tok/en+= only", 0);
	check("tok%2Fen", "tok%2Fen", 0);
}

static void test_small_buffer(void **state)
{
	static const char *const one[] = {"ab"};
	char buf[8];

	(void)state;
	strcpy(buf, "xab");
	assert_int_equal(redact_text(buf, sizeof(buf), one, 1), 1);
	assert_string_equal(buf, "x"); /* no room for the whole mark: cut, never a secret */
}

static void test_grow_cut(void **state)
{
	static const char *const one[] = {"ab"};
	char buf[16];

	(void)state;
	strcpy(buf, "ab0123456789");
	assert_int_equal(redact_text(buf, sizeof(buf), one, 1), 1);
	assert_string_equal(buf, "<redacted>01234");
	assert_int_equal(strlen(buf), sizeof(buf) - 1);
}

static void test_tail(void **state)
{
	char buf[64];

	(void)state;
	strcpy(buf, "cut here: tok%2Fe");
	assert_int_equal(redact_tail(buf, secrets, 4), strlen("cut here: "));
	assert_string_equal(buf, "cut here: ");
	strcpy(buf, "cut here: sts+/");
	redact_tail(buf, secrets, 4);
	assert_string_equal(buf, "cut here: ");
	strcpy(buf, "no secret here!");
	redact_tail(buf, secrets, 4);
	assert_string_equal(buf, "no secret here!");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_raw),
		cmocka_unit_test(test_encoded),
		cmocka_unit_test(test_partial_is_kept),
		cmocka_unit_test(test_small_buffer),
		cmocka_unit_test(test_grow_cut),
		cmocka_unit_test(test_tail),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
