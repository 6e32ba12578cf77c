/*
 * libFuzzer harness for the credential file parsers (src/creds.c): ~/.aliyun/config.json,
 * ~/.alibabacloud/credentials (INI), the metadata service's credentials document, and the
 * Expiration time format.
 *
 * Input: byte 0 picks the parser and its options, the rest is the file / answer.
 *   byte 0 bits 0-1  0 config.json, 1 INI, 2 metadata, 3 metadata + creds_parse_time
 *          bits 2-4  profile / section name (PROFILES), or for metadata the clock (NOWS)
 *          bits 5-7  the RAM role buffer (ROLE_CAPS)
 * Checks the header's promises: on error c and ram_role are zeroed (for metadata: the
 * three secrets), on success the credentials are complete, printable and terminated.
 */
#include <stddef.h>
#include <stdint.h>

#include "creds.h"
#include "fuzz_common.h"
#include "sign.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char A127[] = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
			   "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
static const char A128[] = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
			   "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
static const char *const PROFILES[] = {NULL, "", "default", "prod", "sts", "role", A127, A128};
static const int64_t NOWS[] = {0,	   1700000000, 1735689600,   1893456000,
			       4102444800, 2147483647, 253402300799, -86400};
static const size_t ROLE_CAPS[] = {CREDS_ROLE_MAX, CREDS_ROLE_MAX, 72, 256, 1, 2, 0, 9999};
/* 9999 stands for a NULL buffer */

static creds c;

static int all_zero(const void *p, size_t n)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		if (b[i] != 0)
			return 0;
	return 1;
}

static int printable(const char *s, size_t cap)
{
	size_t i;

	if (!fz_terminated(s, cap))
		return 0;
	for (i = 0; s[i] != '\0'; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

static int role_name_ok(const char *s)
{
	size_t n = strlen(s), i;

	if (n > 64)
		return 0;
	for (i = 0; i < n; i++) {
		char ch = s[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.'))
			return 0;
	}
	return 1;
}

static void check_file_result(ecs_status st, const ecs_err *err, const char *role, size_t role_cap)
{
	if (st != ECS_OK) {
		CHECK(st == ECS_E_INPUT || st == ECS_E_CREDS || st == ECS_E_INTERNAL);
		CHECK(err->status == st && err->msg[0] != '\0');
		CHECK(fz_terminated(err->msg, sizeof(err->msg)));
		CHECK(all_zero(&c, sizeof(c)));
		if (role != NULL && role_cap > 0)
			CHECK(role[0] == '\0');
		return;
	}
	CHECK(printable(c.key_id, sizeof(c.key_id)));
	CHECK(printable(c.secret, sizeof(c.secret)));
	CHECK(printable(c.token, sizeof(c.token)));
	CHECK(fz_terminated(c.region, sizeof(c.region)));
	CHECK(fz_terminated(c.source, sizeof(c.source)) && c.source[0] != '\0');
	if (c.key_id[0] != '\0') {
		CHECK(c.secret[0] != '\0'); /* keys come in pairs */
		if (role != NULL && role_cap > 0)
			CHECK(role[0] == '\0');
	} else {
		/* the RAM role: no secrets, a valid (possibly empty) role name */
		CHECK(c.secret[0] == '\0' && c.token[0] == '\0');
		CHECK(role != NULL && role_cap > 0);
		CHECK(fz_terminated(role, role_cap) && role_name_ok(role));
	}
}

static void check_time(const char *s, size_t n)
{
	int64_t t = -1;
	char back[21];

	if (creds_parse_time(s, n, &t) != 0)
		return;
	CHECK(n == 20 && t >= 0);
	/* the signer's formatter writes the same format: it must give the same text back */
	sign_format_time(t, back);
	CHECK(memcmp(back, s, 20) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *profile;
	size_t role_cap, n;
	char *buf, *role = NULL;
	ecs_err err;
	ecs_status st;
	int which;

	if (size < 1)
		return 0;
	which = data[0] & 3;
	profile = PROFILES[(data[0] >> 2) & 7];
	role_cap = ROLE_CAPS[(data[0] >> 5) & 7];
	n = size - 1;
	buf = fz_alloc(n); /* exact size: reads past the input are caught */
	if (n > 0)
		memcpy(buf, data + 1, n);
	if (role_cap != 9999) {
		role = fz_alloc(role_cap);
		if (role_cap > 0)
			memset(role, 'R', role_cap);
	}
	memset(&c, 0x33, sizeof(c));
	memset(&err, 0, sizeof(err));

	if (which == 0) {
		st = creds_parse_cli_config(buf, n, profile, "fuzz/config.json", &c, role,
					    role_cap == 9999 ? 0 : role_cap, &err);
		check_file_result(st, &err, role, role_cap == 9999 ? 0 : role_cap);
	} else if (which == 1) {
		st = creds_parse_ini(buf, n, profile, "fuzz/credentials", &c, role,
				     role_cap == 9999 ? 0 : role_cap, &err);
		check_file_result(st, &err, role, role_cap == 9999 ? 0 : role_cap);
	} else {
		int64_t now = NOWS[(data[0] >> 2) & 7];

		memset(c.region, 0, sizeof(c.region));
		memcpy(c.region, "keep", 5);
		st = creds_parse_metadata(buf, n, now, &c, &err);
		CHECK(strcmp(c.region, "keep") == 0); /* left alone */
		if (st != ECS_OK) {
			CHECK(st == ECS_E_PROTO || st == ECS_E_NOSPACE || st == ECS_E_CREDS);
			CHECK(err.status == st && err.msg[0] != '\0');
			CHECK(all_zero(c.key_id, sizeof(c.key_id)));
			CHECK(all_zero(c.secret, sizeof(c.secret)));
			CHECK(all_zero(c.token, sizeof(c.token)));
		} else {
			CHECK(printable(c.key_id, sizeof(c.key_id)) && c.key_id[0] != '\0');
			CHECK(printable(c.secret, sizeof(c.secret)) && c.secret[0] != '\0');
			CHECK(printable(c.token, sizeof(c.token)) && c.token[0] != '\0');
		}
		if (which == 3)
			check_time(buf, n);
	}
	if (role != NULL)
		fz_free(role, role_cap);
	fz_free(buf, n);
	creds_wipe(&c);
	return 0;
}
