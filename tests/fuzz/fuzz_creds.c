/*
 * libFuzzer harness for the pure parts of the credential chain: ~/.aliyun/config.json and
 * ~/.alibabacloud/credentials (INI) into one profile (src/creds_cfg.c, creds_ini.c,
 * creds_profile.c), the temporary-credential answers of the metadata service, a credentials
 * URI, STS and an external process (src/creds_util.c), the process_command splitter
 * (src/creds_proc.c), and the Expiration time format.
 *
 * Input: byte 0 picks the parser and its options, the rest is the file / answer.
 *   byte 0 bits 5-7  family: 0 and 5-7 the files and the metadata answer (bits 0-1: 0
 *                    config.json, 1 INI, 2 metadata, 3 metadata + creds_parse_time);
 *                    1 STS answer; 2 process answer; 3 process_command; 4 credentials URI
 *          bits 2-4  profile / section name (PROFILES), or the clock (NOWS)
 * Checks the header's promises: on error no secret is left behind, on success what the mode
 * needs is there, printable and terminated; the splitter's words fit and are terminated.
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

static jsmntok_t toks[ECS_CREDS_JSON_TOKENS];
static creds_profile prof;

static void check_profile(ecs_status st, const ecs_err *err)
{
	const creds_profile *p = &prof;

	if (st != ECS_OK) {
		CHECK(st == ECS_E_INPUT || st == ECS_E_CREDS || st == ECS_E_INTERNAL);
		CHECK(err->status == st && err->msg[0] != '\0');
		CHECK(fz_terminated(err->msg, sizeof(err->msg)));
		CHECK(all_zero(p->key_id, sizeof(p->key_id)));
		CHECK(all_zero(p->secret, sizeof(p->secret)));
		CHECK(all_zero(p->token, sizeof(p->token)));
		CHECK(all_zero(&p->role, sizeof(p->role)));
		CHECK(p->mode == CREDS_M_NONE);
		return;
	}
	CHECK(p->mode != CREDS_M_NONE && p->missing == 0);
	CHECK(printable(p->key_id, sizeof(p->key_id)));
	CHECK(printable(p->secret, sizeof(p->secret)));
	CHECK(printable(p->token, sizeof(p->token)));
	CHECK(printable(p->role.role_arn, sizeof(p->role.role_arn)));
	CHECK(printable(p->command, sizeof(p->command)));
	CHECK(fz_terminated(p->label, sizeof(p->label)) && p->label[0] != '\0');
	switch (p->mode) {
	case CREDS_M_AK:
		CHECK(p->token[0] == '\0');
		/* fall through */
	case CREDS_M_STS:
	case CREDS_M_RAM_ROLE:
		CHECK(p->key_id[0] != '\0' && p->secret[0] != '\0'); /* keys come in pairs */
		break;
	case CREDS_M_ECS_ROLE:
		CHECK(role_name_ok(p->ram_role));
		break;
	case CREDS_M_CHAIN:
		CHECK(p->source_profile[0] != '\0' && p->role.role_arn[0] != '\0');
		break;
	case CREDS_M_OIDC:
		CHECK(p->oidc_provider_arn[0] != '\0' && p->oidc_token_file[0] != '\0');
		break;
	case CREDS_M_URI:
		CHECK(p->uri[0] != '\0');
		break;
	case CREDS_M_EXTERNAL:
		CHECK(p->command[0] != '\0');
		break;
	default:
		CHECK(0);
	}
	CHECK(p->role.duration == 0 || (p->role.duration >= 900 && p->role.duration <= 43200));
}

/* An answer parser's promises: on error the secrets are zeroed, region left alone. */
static void check_answer(ecs_status st, const ecs_err *err, int token_required)
{
	CHECK(strcmp(c.region, "keep") == 0);
	if (st != ECS_OK) {
		CHECK(st == ECS_E_PROTO || st == ECS_E_NOSPACE || st == ECS_E_CREDS);
		CHECK(err->status == st && err->msg[0] != '\0');
		CHECK(all_zero(c.key_id, sizeof(c.key_id)));
		CHECK(all_zero(c.secret, sizeof(c.secret)));
		CHECK(all_zero(c.token, sizeof(c.token)));
		return;
	}
	CHECK(printable(c.key_id, sizeof(c.key_id)) && c.key_id[0] != '\0');
	CHECK(printable(c.secret, sizeof(c.secret)) && c.secret[0] != '\0');
	CHECK(printable(c.token, sizeof(c.token)));
	CHECK(!token_required || c.token[0] != '\0');
}

static void check_split(const char *buf, size_t n)
{
	char words[64], *argv[6];
	size_t argc = 0, i;
	ecs_err err;
	ecs_status st = creds_split_command(buf, n, words, sizeof(words), argv, 6, &argc, &err);

	if (st != ECS_OK) {
		CHECK(st == ECS_E_CREDS && err.msg[0] != '\0');
		CHECK(all_zero(words, sizeof(words)));
		return;
	}
	CHECK(argc >= 1 && argc <= 5 && argv[argc] == NULL && argv[0][0] != '\0');
	for (i = 0; i < argc; i++)
		CHECK(argv[i] >= words && argv[i] < words + sizeof(words) &&
		      fz_terminated(argv[i], sizeof(words) - (size_t)(argv[i] - words)));
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

static void run_files(int which, const char *profile, int64_t now, const char *buf, size_t n)
{
	ecs_err err;
	ecs_status st;

	memset(&prof, 0x33, sizeof(prof));
	memset(&err, 0, sizeof(err));
	if (which == 0) {
		st = creds_parse_cli_config(buf, n, profile, "fuzz/config.json", toks,
					    ECS_CREDS_JSON_TOKENS, &prof, &err);
		check_profile(st, &err);
	} else if (which == 1) {
		st = creds_parse_ini(buf, n, profile, "fuzz/credentials", &prof, &err);
		check_profile(st, &err);
	} else {
		st = creds_parse_metadata(buf, n, now, &c, &err);
		check_answer(st, &err, 1);
		if (which == 3)
			check_time(buf, n);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *profile;
	int64_t now;
	size_t n;
	char *buf;
	ecs_err err;
	int family;

	if (size < 1)
		return 0;
	profile = PROFILES[(data[0] >> 2) & 7];
	now = NOWS[(data[0] >> 2) & 7];
	family = (data[0] >> 5) & 7;
	n = size - 1;
	buf = fz_alloc(n); /* exact size: reads past the input are caught */
	if (n > 0)
		memcpy(buf, data + 1, n);
	memset(&c, 0x33, sizeof(c));
	memset(c.region, 0, sizeof(c.region));
	memcpy(c.region, "keep", 5);
	memset(&err, 0, sizeof(err));
	if (family == 1)
		check_answer(creds_parse_sts(buf, n, now, &c, &err), &err, 1);
	else if (family == 2)
		check_answer(creds_parse_process(buf, n, now, &c, &err), &err, 0);
	else if (family == 3)
		check_split(buf, n);
	else if (family == 4)
		check_answer(creds_parse_temp(buf, n, now, "fuzz", &c, &err), &err, 1);
	else
		run_files(data[0] & 3, profile, now, buf, n);
	fz_free(buf, n);
	creds_wipe(&c);
	memset(&prof, 0, sizeof(prof));
	return 0;
}
