/*
 * Unit tests for src/sha1_block.c, the SHA-1 block function mbedTLS calls
 * (MBEDTLS_SHA1_PROCESS_ALT): the FIPS 180 example messages ("abc", the 448-bit two-block
 * message, one million 'a'), the empty message, the block function alone on the padded "abc"
 * block, and the two-block message fed in pieces at every split point.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h> /* needs the four headers above first */

#include <stdio.h>
#include <string.h>

#include "mbedtls/sha1.h"

static const char MSG2[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";

static void hex(const unsigned char d[20], char out[41])
{
	size_t i;

	for (i = 0; i < 20; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static void expect(const unsigned char *msg, size_t len, const char *want)
{
	unsigned char d[20];
	char h[41];

	assert_int_equal(mbedtls_sha1(msg, len, d), 0);
	hex(d, h);
	assert_string_equal(h, want);
}

static void test_fips_vectors(void **state)
{
	(void)state;
	expect((const unsigned char *)"abc", 3, "a9993e364706816aba3e25717850c26c9cd0d89d");
	expect((const unsigned char *)MSG2, sizeof(MSG2) - 1,
	       "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
	expect((const unsigned char *)"", 0, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
}

static void test_million_a(void **state)
{
	unsigned char chunk[1000], d[20];
	mbedtls_sha1_context c;
	char h[41];
	int i;

	(void)state;
	memset(chunk, 'a', sizeof(chunk));
	mbedtls_sha1_init(&c);
	assert_int_equal(mbedtls_sha1_starts(&c), 0);
	for (i = 0; i < 1000; i++)
		assert_int_equal(mbedtls_sha1_update(&c, chunk, sizeof(chunk)), 0);
	assert_int_equal(mbedtls_sha1_finish(&c, d), 0);
	mbedtls_sha1_free(&c);
	hex(d, h);
	assert_string_equal(h, "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
}

/* One call of the block function on "abc" padded to one block gives the digest as state. */
static void test_block_alone(void **state)
{
	static const uint32_t want[5] = {0xa9993e36, 0x4706816a, 0xba3e2571, 0x7850c26c,
					 0x9cd0d89d};
	unsigned char block[64];
	mbedtls_sha1_context c;
	int i;

	(void)state;
	memset(block, 0, sizeof(block));
	memcpy(block, "abc", 3);
	block[3] = 0x80;
	block[63] = 24; /* length in bits */
	mbedtls_sha1_init(&c);
	assert_int_equal(mbedtls_sha1_starts(&c), 0);
	assert_int_equal(mbedtls_internal_sha1_process(&c, block), 0);
	for (i = 0; i < 5; i++)
		assert_int_equal(c.MBEDTLS_PRIVATE(state)[i], want[i]);
	mbedtls_sha1_free(&c);
}

static void test_every_split(void **state)
{
	size_t n = sizeof(MSG2) - 1, a, b;

	(void)state;
	for (a = 0; a <= n; a++)
		for (b = a; b <= n; b++) {
			mbedtls_sha1_context c;
			unsigned char d[20];
			char h[41];

			mbedtls_sha1_init(&c);
			assert_int_equal(mbedtls_sha1_starts(&c), 0);
			assert_int_equal(mbedtls_sha1_update(&c, (const unsigned char *)MSG2, a),
					 0);
			assert_int_equal(
				mbedtls_sha1_update(&c, (const unsigned char *)MSG2 + a, b - a), 0);
			assert_int_equal(
				mbedtls_sha1_update(&c, (const unsigned char *)MSG2 + b, n - b), 0);
			assert_int_equal(mbedtls_sha1_finish(&c, d), 0);
			mbedtls_sha1_free(&c);
			hex(d, h);
			assert_string_equal(h, "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
		}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fips_vectors),
		cmocka_unit_test(test_million_a),
		cmocka_unit_test(test_block_alone),
		cmocka_unit_test(test_every_split),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
