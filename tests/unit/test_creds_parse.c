/* Unit tests for the pure parts of the credential chain: the config.json and INI parsers
 * (src/creds_cfg.c, src/creds_ini.c), the decision about a profile (src/creds_profile.c), the
 * temporary-credential answers (src/creds_util.c) and the process_command splitter
 * (src/creds_proc.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h> /* needs the four headers above first */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "creds.h"

#define PATH   "/home/u/.aliyun/config.json"
#define INI    "/home/u/.alibabacloud/credentials"
#define SECRET "s3cr3tV4lueNeverShown"

static creds C;		/* 4.7 KB: off the stack, and zero-checked after errors */
static creds_profile P; /* what the file parsers fill */
static jsmntok_t TOKS[ECS_CREDS_JSON_TOKENS];

/* The parts of P the old creds-shaped assertions look at, into C (zeroed first). */
static void profile_to_creds(char *role)
{
	memset(&C, 0, sizeof(C));
	memcpy(C.key_id, P.key_id, sizeof(C.key_id));
	memcpy(C.secret, P.secret, sizeof(C.secret));
	memcpy(C.token, P.token, sizeof(C.token));
	memcpy(C.region, P.region, sizeof(C.region));
	snprintf(C.source, sizeof(C.source), "%s", P.label);
	snprintf(role, CREDS_ROLE_MAX, "%s", P.ram_role);
}

static void assert_contains(const char *hay, const char *needle)
{
	if (strstr(hay, needle) == NULL)
		fail_msg("\"%s\" does not contain \"%s\"", hay, needle);
}

static void assert_not_contains(const char *hay, const char *needle)
{
	if (strstr(hay, needle) != NULL)
		fail_msg("\"%s\" contains \"%s\"", hay, needle);
}

static void assert_zeroed(const creds *c)
{
	const unsigned char *p = (const unsigned char *)c;
	size_t i;

	for (i = 0; i < sizeof(*c); i++)
		if (p[i] != 0)
			fail_msg("creds not zeroed at byte %zu", i);
}

/* ---- config.json ---- */

static ecs_status cfg(const char *js, const char *profile, char *role, ecs_err *err)
{
	ecs_status st;

	memset(&P, 0x55, sizeof(P)); /* the parser must clear what it does not set */
	memset(err, 0, sizeof(*err));
	st = creds_parse_cli_config(js, strlen(js), profile, PATH, TOKS, ECS_CREDS_JSON_TOKENS, &P,
				    err);
	profile_to_creds(role);
	return st;
}

static const char CFG_MANY[] =
	"{\"current\":\"sts\",\"profiles\":["
	"{\"name\":\"default\",\"mode\":\"AK\",\"access_key_id\":\"LTAIdefault\","
	"\"access_key_secret\":\"" SECRET "\",\"sts_token\":\"ignored\",\"ram_role_name\":\"\","
	"\"region_id\":\"cn-hangzhou\",\"output_format\":\"json\",\"read_timeout\":0,"
	"\"retry_count\":0},"
	"{\"name\":\"sts\",\"mode\":\"StsToken\",\"access_key_id\":\"STS.id\","
	"\"access_key_secret\":\"stssecret\",\"sts_token\":\"tok\\/"
	"en+=\",\"region_id\":\"cn-beijing\"},"
	"{\"name\":\"role\",\"mode\":\"EcsRamRole\",\"ram_role_name\":\"EcsRamRoleTest\","
	"\"region_id\":\"eu-central-1\"},"
	"{\"name\":\"anyrole\",\"mode\":\"EcsRamRole\"},"
	"{\"name\":\"arn\",\"mode\":\"RamRoleArn\",\"access_key_id\":\"a\",\"access_key_secret\":"
	"\"b\","
	"\"ram_role_arn\":\"acs:ram::1:role/x\"},"
	"{\"name\":\"sso\",\"mode\":\"CloudSSO\"},"
	"{\"name\":\"dup\",\"mode\":\"AK\",\"access_key_id\":\"first\",\"access_key_secret\":\"1\"}"
	","
	"{\"name\":\"dup\",\"mode\":\"AK\",\"access_key_id\":\"second\",\"access_key_secret\":"
	"\"2\"}"
	"],\"meta_path\":\"\"}";

static void test_cfg_ak(void **state)
{
	char role[CREDS_ROLE_MAX];
	ecs_err err;

	(void)state;
	assert_int_equal(cfg(CFG_MANY, "default", role, &err), ECS_OK);
	assert_string_equal(C.key_id, "LTAIdefault");
	assert_string_equal(C.secret, SECRET);
	assert_string_equal(C.token, ""); /* AK mode ignores sts_token, like the CLI */
	assert_string_equal(C.region, "cn-hangzhou");
	assert_string_equal(role, "");
	assert_string_equal(C.source, PATH " profile 'default' (AK)");
}

static void test_cfg_sts_current(void **state)
{
	char role[CREDS_ROLE_MAX];
	ecs_err err;

	(void)state;
	/* no explicit profile: "current" selects "sts" */
	assert_int_equal(cfg(CFG_MANY, NULL, role, &err), ECS_OK);
	assert_string_equal(C.key_id, "STS.id");
	assert_string_equal(C.secret, "stssecret");
	assert_string_equal(C.token, "tok/en+=");
	assert_string_equal(C.region, "cn-beijing");
	assert_string_equal(C.source, PATH " profile 'sts' (StsToken)");
	assert_int_equal(cfg(CFG_MANY, "", role, &err), ECS_OK);
	assert_string_equal(C.key_id, "STS.id");
}

static void test_cfg_role(void **state)
{
	char role[CREDS_ROLE_MAX];
	ecs_err err;

	(void)state;
	assert_int_equal(cfg(CFG_MANY, "role", role, &err), ECS_OK);
	assert_string_equal(C.key_id, "");
	assert_string_equal(C.secret, "");
	assert_string_equal(role, "EcsRamRoleTest");
	assert_string_equal(C.region, "eu-central-1");
	assert_contains(C.source, "(EcsRamRole)");
	/* no role name: discover it */
	assert_int_equal(cfg(CFG_MANY, "anyrole", role, &err), ECS_OK);
	assert_string_equal(C.key_id, "");
	assert_string_equal(role, "");
	/* a role name that could change the URL path */
	assert_int_equal(cfg("{\"profiles\":[{\"name\":\"default\",\"mode\":\"EcsRamRole\","
			     "\"ram_role_name\":\"../x\"}]}",
			     NULL, role, &err),
			 ECS_E_INPUT);
	assert_contains(err.msg, "ram_role_name is not a RAM role name");
	assert_zeroed(&C);
}

static void test_cfg_inferred(void **state)
{
	char role[CREDS_ROLE_MAX];
	ecs_err err;

	(void)state;
	assert_int_equal(cfg("{\"profiles\":[{\"name\":\"default\",\"access_key_id\":\"id\","
			     "\"access_key_secret\":\"sec\"}]}",
			     NULL, role, &err),
			 ECS_OK);
	assert_string_equal(C.key_id, "id");
	assert_string_equal(C.token, "");
	assert_contains(C.source, "(AK)");
	assert_int_equal(cfg("{\"profiles\":[{\"name\":\"default\",\"mode\":\"\","
			     "\"access_key_id\":\"id\",\"access_key_secret\":\"sec\","
			     "\"sts_token\":\"t\"}]}",
			     NULL, role, &err),
			 ECS_OK);
	assert_string_equal(C.token, "t");
	assert_contains(C.source, "(StsToken)");
	assert_int_equal(cfg("{\"profiles\":[{\"name\":\"default\",\"mode\":null,"
			     "\"ram_role_name\":\"r1\"}]}",
			     NULL, role, &err),
			 ECS_OK);
	assert_string_equal(role, "r1");
	assert_string_equal(C.key_id, "");
	/* keys plus a role ARN and no mode is RamRoleArn, which needs a session name */
	assert_int_equal(cfg("{\"profiles\":[{\"name\":\"default\",\"access_key_id\":\"id\","
			     "\"access_key_secret\":\"" SECRET "\",\"ram_role_arn\":\"acs:x\"}]}",
			     NULL, role, &err),
			 ECS_E_CREDS);
	assert_contains(err.msg, "(RamRoleArn) has no ram_session_name");
	assert_not_contains(err.msg, SECRET);
	assert_zeroed(&C);
	/* id without secret */
	assert_int_equal(cfg("{\"profiles\":[{\"name\":\"default\",\"access_key_id\":\"id\"}]}",
			     NULL, role, &err),
			 ECS_E_CREDS);
	assert_contains(err.msg, "has no access_key_secret");
	assert_string_equal(role, "");
}

static void test_cfg_unsupported(void **state)
{
	char role[CREDS_ROLE_MAX];
	ecs_err err;

	(void)state;
	assert_int_equal(cfg(CFG_MANY, "arn", role, &err), ECS_E_CREDS);
	assert_string_equal(err.msg, PATH " profile 'arn' (RamRoleArn) has no ram_session_name");
	assert_zeroed(&C);
	assert_int_equal(cfg(CFG_MANY, "sso", role, &err), ECS_E_CREDS);
	assert_string_equal(err.msg, PATH " profile 'sso' uses mode 'CloudSSO', which "
					  "ecs-ca-status does not support");
	assert_int_equal(
		cfg("{\"profiles\":[{\"name\":\"default\",\"mode\":\"Magic\"}]}", NULL, role, &err),
		ECS_E_CREDS);
	assert_string_equal(err.msg, PATH " profile 'default' has unknown mode 'Magic'");
}

static void test_cfg_profile_selection(void **state)
{
	char role[CREDS_ROLE_MAX];
	ecs_err err;

	(void)state;
	/* explicit beats current */
	assert_int_equal(cfg(CFG_MANY, "default", role, &err), ECS_OK);
	assert_string_equal(C.key_id, "LTAIdefault");
	/* the first of two profiles with one name wins */
	assert_int_equal(cfg(CFG_MANY, "dup", role, &err), ECS_OK);
	assert_string_equal(C.key_id, "first");
	/* missing */
	assert_int_equal(cfg(CFG_MANY, "nope", role, &err), ECS_E_CREDS);
	assert_string_equal(err.msg, "profile 'nope' not found in " PATH);
	assert_zeroed(&C);
	/* no current and no explicit name: "default" */
	assert_int_equal(cfg("{\"profiles\":[{\"name\":\"x\",\"access_key_id\":\"a\","
			     "\"access_key_secret\":\"b\"},{\"name\":\"default\","
			     "\"access_key_id\":\"d\",\"access_key_secret\":\"e\"}]}",
			     NULL, role, &err),
			 ECS_OK);
	assert_string_equal(C.key_id, "d");
	/* empty current means default too */
	assert_int_equal(cfg("{\"current\":\"\",\"profiles\":[{\"name\":\"default\","
			     "\"access_key_id\":\"d\",\"access_key_secret\":\"e\"}]}",
			     NULL, role, &err),
			 ECS_OK);
	/* current names a missing profile */
	assert_int_equal(cfg("{\"current\":\"gone\",\"profiles\":[]}", NULL, role, &err),
			 ECS_E_CREDS);
	assert_contains(err.msg, "profile 'gone' not found");
	/* no profiles at all */
	assert_int_equal(cfg("{}", NULL, role, &err), ECS_E_CREDS);
	assert_contains(err.msg, "profile 'default' not found");
	/* the empty profile `aliyun configure` leaves behind */
	assert_int_equal(cfg("{\"current\":\"default\",\"profiles\":[{\"name\":\"default\","
			     "\"mode\":\"AK\",\"access_key_id\":\"\",\"access_key_secret\":\"\"}]}",
			     NULL, role, &err),
			 ECS_E_CREDS);
	assert_contains(err.msg, "has no credentials");
	/* a profile name with a terminal escape is shown harmlessly */
	assert_int_equal(cfg("{}", "a\033[2Jb", role, &err), ECS_E_CREDS);
	assert_contains(err.msg, "'a?[2Jb'");
}

static void test_cfg_malformed(void **state)
{
	char role[CREDS_ROLE_MAX];
	ecs_err err;

	(void)state;
	assert_int_equal(
		cfg("{\"profiles\":[{\"name\":\"default\" \"mode\":\"AK\"}]}", NULL, role, &err),
		ECS_E_INPUT);
	assert_contains(err.msg, PATH " is not valid JSON");
	assert_zeroed(&C);
	assert_int_equal(cfg("{\"profiles\":[{\"name\":\"default\",\"access_key_secret\":\"" SECRET,
			     NULL, role, &err),
			 ECS_E_INPUT);
	assert_contains(err.msg, "truncated");
	assert_not_contains(err.msg, SECRET);
	assert_int_equal(cfg("", NULL, role, &err), ECS_E_INPUT);
	assert_int_equal(cfg("[]", NULL, role, &err), ECS_E_INPUT);
	assert_contains(err.msg, "not a JSON object");
	assert_int_equal(cfg("{\"a\":1} trailing", NULL, role, &err), ECS_E_INPUT);
	/* a UTF-8 BOM is fine */
	assert_int_equal(cfg("\xEF\xBB\xBF{\"profiles\":[{\"name\":\"default\","
			     "\"access_key_id\":\"i\",\"access_key_secret\":\"s\"}]}",
			     NULL, role, &err),
			 ECS_OK);
}

static void test_cfg_wrong_types(void **state)
{
	char role[CREDS_ROLE_MAX];
	ecs_err err;

	(void)state;
	assert_int_equal(cfg("{\"profiles\":{}}", NULL, role, &err), ECS_E_INPUT);
	assert_contains(err.msg, "\"profiles\" is not an array");
	assert_int_equal(cfg("{\"profiles\":[1]}", NULL, role, &err), ECS_E_INPUT);
	assert_contains(err.msg, "profiles[0] is not an object");
	assert_int_equal(cfg("{\"current\":7,\"profiles\":[]}", NULL, role, &err), ECS_E_INPUT);
	assert_contains(err.msg, "\"current\" is not a string");
	assert_int_equal(cfg("{\"profiles\":[{\"name\":5}]}", NULL, role, &err), ECS_E_INPUT);
	assert_contains(err.msg, "name is not a string");
	assert_int_equal(cfg("{\"profiles\":[{\"name\":\"default\",\"access_key_id\":123,"
			     "\"access_key_secret\":\"" SECRET "\"}]}",
			     NULL, role, &err),
			 ECS_E_INPUT);
	assert_contains(err.msg, "profile 'default': access_key_id is not a string");
	assert_zeroed(&C);
	assert_int_equal(cfg("{\"profiles\":[{\"name\":\"default\",\"mode\":[],"
			     "\"access_key_id\":\"a\"}]}",
			     NULL, role, &err),
			 ECS_E_INPUT);
	assert_contains(err.msg, "mode is not a string");
	/* a bad escape (a lone surrogate) in a secret: named, never shown */
	assert_int_equal(cfg("{\"profiles\":[{\"name\":\"default\",\"access_key_id\":\"a\","
			     "\"access_key_secret\":\"" SECRET "\\ud800\"}]}",
			     NULL, role, &err),
			 ECS_E_INPUT);
	assert_contains(err.msg, "access_key_secret");
	assert_not_contains(err.msg, SECRET);
	assert_zeroed(&C);
}

static void test_cfg_oversized(void **state)
{
	static char js[ECS_TOKEN_MAX * 2 + 512], big[ECS_TOKEN_MAX + 2];
	char role[CREDS_ROLE_MAX];
	ecs_err err;

	(void)state;
	memset(big, 'Q', ECS_SECRET_MAX);
	big[ECS_SECRET_MAX] = '\0'; /* one byte too many for the secret buffer */
	snprintf(js, sizeof(js),
		 "{\"profiles\":[{\"name\":\"default\",\"access_key_id\":\"a\","
		 "\"access_key_secret\":\"%s\"}]}",
		 big);
	assert_int_equal(cfg(js, NULL, role, &err), ECS_E_INPUT);
	assert_contains(err.msg, "access_key_secret is longer than 255 bytes");
	assert_not_contains(err.msg, "QQQQ");
	assert_zeroed(&C);
	/* exactly fitting is fine */
	big[ECS_SECRET_MAX - 1] = '\0';
	snprintf(js, sizeof(js),
		 "{\"profiles\":[{\"name\":\"default\",\"access_key_id\":\"a\","
		 "\"access_key_secret\":\"%s\"}]}",
		 big);
	assert_int_equal(cfg(js, NULL, role, &err), ECS_OK);
	assert_int_equal(strlen(C.secret), ECS_SECRET_MAX - 1);
	/* an oversized STS token */
	memset(big, 'T', ECS_TOKEN_MAX);
	big[ECS_TOKEN_MAX] = '\0';
	snprintf(js, sizeof(js),
		 "{\"profiles\":[{\"name\":\"default\",\"mode\":\"StsToken\",\"access_key_id\":"
		 "\"a\",\"access_key_secret\":\"" SECRET "\",\"sts_token\":\"%s\"}]}",
		 big);
	assert_int_equal(cfg(js, NULL, role, &err), ECS_E_INPUT);
	assert_contains(err.msg, "sts_token is longer than");
	assert_not_contains(err.msg, "TTTT");
	assert_not_contains(err.msg, SECRET);
	assert_zeroed(&C);
	/* control characters (a stray CR) in a secret */
	assert_int_equal(cfg("{\"profiles\":[{\"name\":\"default\",\"access_key_id\":\"a\","
			     "\"access_key_secret\":\"" SECRET "\\r\"}]}",
			     NULL, role, &err),
			 ECS_E_INPUT);
	assert_contains(err.msg, "access_key_secret contains a control character");
	assert_not_contains(err.msg, SECRET);
	/* a profile name longer than we look for */
	memset(big, 'n', 300);
	big[300] = '\0';
	assert_int_equal(cfg("{}", big, role, &err), ECS_E_INPUT);
}

/* ---- INI ---- */

static ecs_status ini(const char *s, size_t n, const char *section, char *role, ecs_err *err)
{
	ecs_status st;

	memset(&P, 0x55, sizeof(P));
	memset(err, 0, sizeof(*err));
	st = creds_parse_ini(s, n, section, INI, &P, err);
	profile_to_creds(role);
	return st;
}

#define INIS(s, sec, role, err) ini(s, strlen(s), sec, role, err)

static void test_ini_basic(void **state)
{
	static const char f[] = "\xEF\xBB\xBF# written by hand\r\n"
				"; another comment\r\n"
				"\r\n"
				"  [default]   # the default one\r\n"
				"type = access_key          # also: ecs_ram_role\r\n"
				"access_key_id=LTAIini\r\n"
				"   access_key_secret   =   \"" SECRET "\"   \r\n"
				"region_id = 'cn-shanghai'\r\n"
				"unknown_key = whatever\r\n"
				"\r\n"
				"[other]\n"
				"type = sts\n"
				"access_key_id = STS.x\n"
				"access_key_secret: sec;not-a-comment\n"
				"security_token = tok#en ; trailing comment\n"
				"[role]\n"
				"type = ECS_RAM_ROLE\n"
				"role_name = EcsRamRoleTest\n"
				"[anyrole]\n"
				"type = ecs_ram_role\n";
	char role[CREDS_ROLE_MAX];
	ecs_err err;

	(void)state;
	assert_int_equal(INIS(f, NULL, role, &err), ECS_OK);
	assert_string_equal(C.key_id, "LTAIini");
	assert_string_equal(C.secret, SECRET);
	assert_string_equal(C.token, "");
	assert_string_equal(C.region, "cn-shanghai");
	assert_string_equal(role, "");
	assert_string_equal(C.source, INI " [default] (access_key)");

	assert_int_equal(INIS(f, "other", role, &err), ECS_OK);
	assert_string_equal(C.key_id, "STS.x");
	assert_string_equal(C.secret, "sec;not-a-comment");
	assert_string_equal(C.token, "tok#en");
	assert_string_equal(C.region, "");
	assert_contains(C.source, "[other] (sts)");

	assert_int_equal(INIS(f, "role", role, &err), ECS_OK);
	assert_string_equal(C.key_id, "");
	assert_string_equal(role, "EcsRamRoleTest");

	assert_int_equal(INIS(f, "anyrole", role, &err), ECS_OK);
	assert_string_equal(role, "");
	assert_contains(C.source, "(ecs_ram_role)");

	assert_int_equal(INIS(f, "missing", role, &err), ECS_E_CREDS);
	assert_string_equal(err.msg, INI " has no [missing] section");
	assert_zeroed(&C);
	assert_int_equal(INIS("", NULL, role, &err), ECS_E_CREDS);
	assert_contains(err.msg, "no [default] section");
}

static void test_ini_later_keys_and_inferred(void **state)
{
	char role[CREDS_ROLE_MAX];
	ecs_err err;

	(void)state;
	/* no type: inferred; a repeated section adds to the first; last value wins */
	assert_int_equal(INIS("[default]\naccess_key_id = a\n[x]\naccess_key_id = zz\n"
			      "[default]\naccess_key_id = b\naccess_key_secret = c\n",
			      NULL, role, &err),
			 ECS_OK);
	assert_string_equal(C.key_id, "b");
	assert_string_equal(C.secret, "c");
	assert_contains(C.source, "(access_key)");
	assert_int_equal(INIS("[default]\naccess_key_id=a\naccess_key_secret=b\nsecurity_token=t\n",
			      NULL, role, &err),
			 ECS_OK);
	assert_contains(C.source, "(sts)");
	assert_int_equal(INIS("[default]\nrole_name = r.1\n", NULL, role, &err), ECS_OK);
	assert_string_equal(role, "r.1");
	/* empty section */
	assert_int_equal(INIS("[default]\nregion_id = cn-hangzhou\n", NULL, role, &err),
			 ECS_E_CREDS);
	assert_contains(err.msg, "[default] has no credentials");
	/* a type without its keys */
	assert_int_equal(
		INIS("[default]\ntype = access_key\naccess_key_id = a\n", NULL, role, &err),
		ECS_E_CREDS);
	assert_contains(err.msg, "has no access_key_secret");
	assert_int_equal(INIS("[default]\ntype = sts\naccess_key_id = a\naccess_key_secret = "
			      "b\n",
			      NULL, role, &err),
			 ECS_E_CREDS);
	assert_contains(err.msg, "has no security_token");
	assert_zeroed(&C);
}

static void test_ini_types(void **state)
{
	char role[CREDS_ROLE_MAX];
	ecs_err err;

	(void)state;
	assert_int_equal(INIS("[default]\ntype = ram_role_arn\naccess_key_id = a\n"
			      "access_key_secret = " SECRET "\n",
			      NULL, role, &err),
			 ECS_E_CREDS);
	assert_contains(err.msg, "[default] (ram_role_arn) has no role_arn");
	assert_not_contains(err.msg, SECRET);
	assert_zeroed(&C);
	assert_int_equal(INIS("[default]\ntype = magic\n", NULL, role, &err), ECS_E_CREDS);
	assert_contains(err.msg, "unknown type 'magic'");
	assert_int_equal(INIS("[default]\ntype = "
			      "a_type_name_that_is_much_longer_than_any_real_one_ever_was\n",
			      NULL, role, &err),
			 ECS_E_CREDS);
	assert_contains(err.msg, "unknown type 'a_type_name");
	assert_int_equal(
		INIS("[default]\ntype = ecs_ram_role\nrole_name = a/b\n", NULL, role, &err),
		ECS_E_INPUT);
	assert_contains(err.msg, INI " [default] (ecs_ram_role): role_name is not a RAM role name");
}

static void test_ini_malformed(void **state)
{
	static const char nul[] = "[default]\naccess_key_id = a\0b\n";
	char role[CREDS_ROLE_MAX];
	ecs_err err;

	(void)state;
	assert_int_equal(INIS("# c\n[default]\naccess_key_id\n", NULL, role, &err), ECS_E_INPUT);
	assert_string_equal(err.msg, INI ":3: expected 'key = value' or '[section]'");
	assert_zeroed(&C);
	assert_int_equal(INIS("[default]\r\naccess_key_id = a\r\n[broken\r\n", NULL, role, &err),
			 ECS_E_INPUT);
	assert_string_equal(err.msg, INI ":3: unterminated section header (no ']')");
	/* malformed lines in other sections count too */
	assert_int_equal(INIS("[default]\naccess_key_id = a\naccess_key_secret = b\n[x]\n"
			      "garbage\n",
			      NULL, role, &err),
			 ECS_E_INPUT);
	assert_contains(err.msg, ":5:");
	assert_int_equal(INIS("[default]\n = value\n", NULL, role, &err), ECS_E_INPUT);
	assert_contains(err.msg, ":2: empty key");
	assert_int_equal(INIS("[]\n", NULL, role, &err), ECS_E_INPUT);
	assert_contains(err.msg, ":1: empty section name");
	assert_int_equal(INIS("[a] b\n", NULL, role, &err), ECS_E_INPUT);
	assert_contains(err.msg, ":1: text after the section header");
	assert_int_equal(INIS("[default]\naccess_key_secret = \"" SECRET "\n", NULL, role, &err),
			 ECS_E_INPUT);
	assert_contains(err.msg, ":2: unterminated quoted value");
	assert_not_contains(err.msg, SECRET);
	assert_int_equal(
		INIS("[default]\naccess_key_secret = \"" SECRET "\" x\n", NULL, role, &err),
		ECS_E_INPUT);
	assert_contains(err.msg, ":2: text after the closing quote");
	assert_int_equal(ini(nul, sizeof(nul) - 1, NULL, role, &err), ECS_E_INPUT);
	assert_contains(err.msg, ":2: NUL byte");
	assert_zeroed(&C);
	/* no newline at the end is fine */
	assert_int_equal(INIS("[default]\naccess_key_id=a\naccess_key_secret=b", NULL, role, &err),
			 ECS_OK);
}

static void test_ini_oversized(void **state)
{
	static char f[ECS_TOKEN_MAX * 2];
	char big[ECS_SECRET_MAX + 8], role[CREDS_ROLE_MAX];
	ecs_err err;

	(void)state;
	memset(big, 'Q', ECS_SECRET_MAX);
	big[ECS_SECRET_MAX] = '\0';
	snprintf(f, sizeof(f), "[default]\naccess_key_id = a\naccess_key_secret = %s\n", big);
	assert_int_equal(INIS(f, NULL, role, &err), ECS_E_INPUT);
	assert_string_equal(err.msg, INI ":3: access_key_secret is longer than 255 bytes");
	assert_zeroed(&C);
	assert_int_equal(INIS("[default]\naccess_key_id = a\naccess_key_secret = " SECRET "\x01\n",
			      NULL, role, &err),
			 ECS_E_INPUT);
	assert_contains(err.msg, ":3: access_key_secret contains a control character");
	assert_not_contains(err.msg, SECRET);
}

/* ---- metadata ---- */

#define META_OK                                                                                    \
	"{\n  \"AccessKeyId\": \"STS.testid\",\n  \"AccessKeySecret\": \"" SECRET "\",\n"          \
	"  \"Expiration\": \"2018-08-20T22:30:02Z\",\n  \"SecurityToken\": \"tok/en+=&%\",\n"      \
	"  \"LastUpdated\": \"2018-08-20T16:30:01Z\",\n  \"Code\": \"Success\"\n}"

static const int64_t T_2018_08_20_22_30_02 = 1534804202;

static ecs_status meta(const char *js, size_t n, int64_t now, ecs_err *err)
{
	memset(&C, 0, sizeof(C));
	memcpy(C.region, "keep", 5);
	memset(err, 0, sizeof(*err));
	return creds_parse_metadata(js, n, now, &C, err);
}

#define metas(js, err) meta(js, strlen(js), 0, err)

static void assert_meta_wiped(void)
{
	assert_string_equal(C.region, "keep");
	assert_string_equal(C.key_id, "");
	assert_string_equal(C.secret, "");
	assert_string_equal(C.token, "");
}

static void test_meta_success(void **state)
{
	ecs_err err;

	(void)state;
	assert_int_equal(meta(META_OK, strlen(META_OK), T_2018_08_20_22_30_02 - 1, &err), ECS_OK);
	assert_string_equal(C.key_id, "STS.testid");
	assert_string_equal(C.secret, SECRET);
	assert_string_equal(C.token, "tok/en+=&%");
	assert_string_equal(C.region, "keep");
}

static void test_meta_expired(void **state)
{
	ecs_err err;

	(void)state;
	assert_int_equal(meta(META_OK, strlen(META_OK), T_2018_08_20_22_30_02, &err), ECS_E_CREDS);
	assert_string_equal(err.msg, "credentials from the metadata service already expired at "
				     "2018-08-20T22:30:02Z (local clock: 2018-08-20T22:30:02Z)");
	assert_meta_wiped();
	assert_int_equal(meta(META_OK, strlen(META_OK), 1700000000, &err), ECS_E_CREDS);
	assert_contains(err.msg, "local clock: 2023-11-14T22:13:20Z");
}

static void test_meta_failures(void **state)
{
	char js[1024];
	ecs_err err;

	(void)state;
	assert_int_equal(metas("{\"Code\":\"Failed\",\"AccessKeyId\":\"a\"}", &err), ECS_E_CREDS);
	assert_string_equal(err.msg, "the metadata service answered Code 'Failed'");
	assert_meta_wiped();
	assert_int_equal(metas("{\"AccessKeyId\":\"a\"}", &err), ECS_E_CREDS);
	assert_contains(err.msg, "has no Code");
	snprintf(js, sizeof(js),
		 "{\"Code\":\"Success\",\"AccessKeyId\":\"a\",\"SecurityToken\":\"t\","
		 "\"Expiration\":\"2030-01-01T00:00:00Z\"}");
	assert_int_equal(meta(js, strlen(js), 0, &err), ECS_E_CREDS);
	assert_contains(err.msg, "has no AccessKeySecret");
	assert_meta_wiped();
	snprintf(js, sizeof(js),
		 "{\"Code\":\"Success\",\"AccessKeyId\":\"a\",\"AccessKeySecret\":\"" SECRET "\","
		 "\"SecurityToken\":\"t\"}");
	assert_int_equal(meta(js, strlen(js), 0, &err), ECS_E_CREDS);
	assert_contains(err.msg, "has no Expiration");
	assert_meta_wiped();
	snprintf(js, sizeof(js),
		 "{\"Code\":\"Success\",\"AccessKeyId\":\"a\",\"AccessKeySecret\":\"" SECRET "\","
		 "\"SecurityToken\":\"\",\"Expiration\":\"2030-01-01T00:00:00Z\"}");
	assert_int_equal(meta(js, strlen(js), 0, &err), ECS_E_CREDS);
	assert_contains(err.msg, "empty SecurityToken");
	snprintf(js, sizeof(js),
		 "{\"Code\":\"Success\",\"AccessKeyId\":\"a\",\"AccessKeySecret\":1,"
		 "\"SecurityToken\":\"t\",\"Expiration\":\"2030-01-01T00:00:00Z\"}");
	assert_int_equal(meta(js, strlen(js), 0, &err), ECS_E_PROTO);
	assert_contains(err.msg, "AccessKeySecret is not a string");
	assert_int_equal(metas("[1,2]", &err), ECS_E_PROTO);
	assert_int_equal(metas("404 - Not Found", &err), ECS_E_PROTO);
}

static void test_meta_bad_expiration(void **state)
{
	static const char *const bad[] = {
		"2018-08-20 22:30:02",	"2018-08-20T22:30:02",	"2018-08-20T22:30:02.000Z",
		"2018-13-20T22:30:02Z", "2018-02-30T22:30:02Z", "2023-02-29T00:00:00Z",
		"2018-08-20T24:00:00Z", "20x8-08-20T22:30:02Z", "1969-12-31T23:59:59Z",
	};
	char js[512];
	ecs_err err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(js, sizeof(js),
			 "{\"Code\":\"Success\",\"AccessKeyId\":\"a\",\"AccessKeySecret\":\"" SECRET
			 "\",\"SecurityToken\":\"t\",\"Expiration\":\"%s\"}",
			 bad[i]);
		assert_int_equal(meta(js, strlen(js), 0, &err), ECS_E_PROTO);
		assert_contains(err.msg, "is not YYYY-MM-DDThh:mm:ssZ");
		assert_contains(err.msg, bad[i]);
		assert_not_contains(err.msg, SECRET);
		assert_meta_wiped();
	}
	snprintf(js, sizeof(js),
		 "{\"Code\":\"Success\",\"AccessKeyId\":\"a\",\"AccessKeySecret\":\"s\","
		 "\"SecurityToken\":\"t\",\"Expiration\":20300101}");
	assert_int_equal(meta(js, strlen(js), 0, &err), ECS_E_PROTO);
}

static void test_meta_truncated(void **state)
{
	size_t n = strlen(META_OK), k;
	ecs_err err;

	(void)state;
	for (k = 0; k < n; k++) {
		ecs_status st = meta(META_OK, k, 0, &err);
		if (st == ECS_OK)
			fail_msg("prefix of %zu bytes accepted", k);
		assert_not_contains(err.msg, SECRET);
		assert_meta_wiped();
	}
	assert_int_equal(meta(META_OK, n / 2, 0, &err), ECS_E_PROTO);
	assert_contains(err.msg, "not valid JSON");
}

static void test_meta_oversized(void **state)
{
	static char js[ECS_TOKEN_MAX + 512];
	static char tok[ECS_TOKEN_MAX + 1];
	ecs_err err;

	(void)state;
	memset(tok, 'T', ECS_TOKEN_MAX);
	tok[ECS_TOKEN_MAX] = '\0';
	snprintf(js, sizeof(js),
		 "{\"Code\":\"Success\",\"AccessKeyId\":\"a\",\"AccessKeySecret\":\"" SECRET "\","
		 "\"SecurityToken\":\"%s\",\"Expiration\":\"2030-01-01T00:00:00Z\"}",
		 tok);
	assert_int_equal(meta(js, strlen(js), 0, &err), ECS_E_NOSPACE);
	assert_contains(err.msg, "SecurityToken from the metadata service is longer than");
	assert_not_contains(err.msg, "TTTT");
	assert_not_contains(err.msg, SECRET);
	assert_meta_wiped();
}

static void test_parse_time(void **state)
{
	int64_t t = -1;

	(void)state;
	assert_int_equal(creds_parse_time("1970-01-01T00:00:00Z", 20, &t), 0);
	assert_true(t == 0);
	assert_int_equal(creds_parse_time("2018-08-20T22:30:02Z", 20, &t), 0);
	assert_true(t == T_2018_08_20_22_30_02);
	assert_int_equal(creds_parse_time("2024-02-29T12:00:00Z", 20, &t), 0);
	assert_true(t == 1709208000);
	assert_int_equal(creds_parse_time("2000-02-29T00:00:00Z", 20, &t), 0);
	assert_true(t == 951782400);
	assert_int_equal(creds_parse_time("2100-02-29T00:00:00Z", 20, &t), -1);
	assert_int_equal(creds_parse_time("2038-01-19T03:14:08Z", 20, &t), 0);
	assert_true(t == 2147483648LL);
	assert_int_equal(creds_parse_time("2018-08-20T22:30:02Z", 19, &t), -1);
}

/* ---- the new modes ---- */

static void test_cfg_ram_role_arn(void **state)
{
	char role[CREDS_ROLE_MAX];
	ecs_err err;

	(void)state;
	assert_int_equal(
		cfg("{\"profiles\":[{\"name\":\"default\",\"mode\":\"RamRoleArn\","
		    "\"access_key_id\":\"LTAIsrc\",\"access_key_secret\":\"" SECRET "\","
		    "\"sts_token\":\"srctok\",\"ram_role_arn\":\"acs:ram::1:role/ops\","
		    "\"ram_session_name\":\"bastion\",\"expired_seconds\":1800,\"policy\":\"{}\","
		    "\"external_id\":\"ext\",\"sts_region\":\"cn-shanghai\",\"enable_vpc\":true,"
		    "\"sts_endpoint\":\"sts.example:8443\",\"region_id\":\"cn-hangzhou\"}]}",
		    NULL, role, &err),
		ECS_OK);
	assert_int_equal(P.mode, CREDS_M_RAM_ROLE);
	assert_string_equal(P.key_id, "LTAIsrc");
	assert_string_equal(P.token, "srctok"); /* a source StsToken signs the AssumeRole */
	assert_string_equal(P.role.role_arn, "acs:ram::1:role/ops");
	assert_string_equal(P.role.session, "bastion");
	assert_true(P.role.duration == 1800);
	assert_string_equal(P.role.policy, "{}");
	assert_string_equal(P.role.external_id, "ext");
	assert_string_equal(P.role.sts_region, "cn-shanghai");
	assert_string_equal(P.role.sts_endpoint, "sts.example:8443");
	assert_int_equal(P.role.enable_vpc, 1);
	assert_string_equal(P.label, PATH " profile 'default' (RamRoleArn)");
	/* bad forms */
	assert_int_equal(cfg("{\"profiles\":[{\"name\":\"default\",\"mode\":\"RamRoleArn\","
			     "\"access_key_id\":\"a\",\"access_key_secret\":\"b\","
			     "\"ram_role_arn\":\"x\",\"ram_session_name\":\"s\"}]}",
			     NULL, role, &err),
			 ECS_E_INPUT);
	assert_contains(err.msg, "ram_session_name must be 2..64");
	assert_int_equal(cfg("{\"profiles\":[{\"name\":\"default\",\"mode\":\"RamRoleArn\","
			     "\"access_key_id\":\"a\",\"access_key_secret\":\"" SECRET "\","
			     "\"ram_role_arn\":\"x\",\"ram_session_name\":\"ss\","
			     "\"expired_seconds\":899}]}",
			     NULL, role, &err),
			 ECS_E_INPUT);
	assert_contains(err.msg, "expired_seconds must be 900..43200");
	assert_not_contains(err.msg, SECRET);
	assert_zeroed(&C);
	assert_int_equal(cfg("{\"profiles\":[{\"name\":\"default\",\"mode\":\"RamRoleArn\","
			     "\"access_key_id\":\"a\",\"access_key_secret\":\"b\","
			     "\"ram_role_arn\":\"x\",\"ram_session_name\":\"ss\","
			     "\"expired_seconds\":\"900\"}]}",
			     NULL, role, &err),
			 ECS_E_INPUT);
	assert_contains(err.msg, "expired_seconds is not an integer");
	assert_int_equal(cfg("{\"profiles\":[{\"name\":\"default\",\"mode\":\"RamRoleArn\","
			     "\"access_key_id\":\"a\",\"access_key_secret\":\"b\","
			     "\"ram_session_name\":\"ss\"}]}",
			     NULL, role, &err),
			 ECS_E_CREDS);
	assert_contains(err.msg, "(RamRoleArn) has no ram_role_arn");
}

static void test_cfg_other_modes(void **state)
{
	char role[CREDS_ROLE_MAX];
	ecs_err err;

	(void)state;
	assert_int_equal(cfg("{\"profiles\":[{\"name\":\"c\",\"mode\":\"ChainableRamRoleArn\","
			     "\"source_profile\":\"base\",\"ram_role_arn\":\"acs:ram::1:role/a\","
			     "\"ram_session_name\":\"s1\"}]}",
			     "c", role, &err),
			 ECS_OK);
	assert_int_equal(P.mode, CREDS_M_CHAIN);
	assert_string_equal(P.source_profile, "base");
	assert_int_equal(
		cfg("{\"profiles\":[{\"name\":\"c\",\"mode\":\"ChainableRamRoleArn\","
		    "\"ram_role_arn\":\"acs:ram::1:role/a\",\"ram_session_name\":\"s1\"}]}",
		    "c", role, &err),
		ECS_E_CREDS);
	assert_contains(err.msg, "has no source_profile");
	/* OIDC: written, or inferred from its three fields */
	assert_int_equal(cfg("{\"profiles\":[{\"name\":\"default\",\"oidc_provider_arn\":\"p\","
			     "\"oidc_token_file\":\"/t\",\"ram_role_arn\":\"r\","
			     "\"ram_session_name\":\"s1\"}]}",
			     NULL, role, &err),
			 ECS_OK);
	assert_int_equal(P.mode, CREDS_M_OIDC);
	assert_string_equal(P.oidc_token_file, "/t");
	assert_int_equal(cfg("{\"profiles\":[{\"name\":\"default\",\"mode\":\"OIDC\","
			     "\"oidc_provider_arn\":\"p\",\"ram_role_arn\":\"r\"}]}",
			     NULL, role, &err),
			 ECS_E_CREDS);
	assert_contains(err.msg, "(OIDC) has no oidc_token_file");
	/* CredentialsURI and External */
	assert_int_equal(cfg("{\"profiles\":[{\"name\":\"default\",\"mode\":\"CredentialsURI\","
			     "\"credentials_uri\":\"http://localhost:8080/c\"}]}",
			     NULL, role, &err),
			 ECS_OK);
	assert_int_equal(P.mode, CREDS_M_URI);
	assert_string_equal(P.uri, "http://localhost:8080/c");
	assert_int_equal(cfg("{\"profiles\":[{\"name\":\"default\",\"mode\":\"CredentialsURI\"}]}",
			     NULL, role, &err),
			 ECS_E_CREDS);
	assert_contains(err.msg, "has no credentials_uri");
	assert_int_equal(cfg("{\"profiles\":[{\"name\":\"default\","
			     "\"process_command\":\"helper --json\"}]}",
			     NULL, role, &err),
			 ECS_OK);
	assert_int_equal(P.mode, CREDS_M_EXTERNAL);
	assert_contains(P.label, "(External)");
	assert_int_equal(cfg("{\"profiles\":[{\"name\":\"default\",\"mode\":\"external\"}]}", NULL,
			     role, &err),
			 ECS_E_CREDS);
	assert_contains(err.msg, "has no process_command");
}

static void test_ini_new_types(void **state)
{
	char role[CREDS_ROLE_MAX];
	ecs_err err;

	(void)state;
	assert_int_equal(INIS("[default]\ntype = ram_role_arn\naccess_key_id = a\n"
			      "access_key_secret = " SECRET "\nrole_arn = acs:ram::1:role/x\n"
			      "role_session_name = sess\npolicy = {\"Version\":\"1\"}\n",
			      NULL, role, &err),
			 ECS_OK);
	assert_int_equal(P.mode, CREDS_M_RAM_ROLE);
	assert_string_equal(P.role.role_arn, "acs:ram::1:role/x");
	assert_string_equal(P.role.policy, "{\"Version\":\"1\"}");
	assert_int_equal(INIS("[default]\ntype = ram_role_arn\naccess_key_id = a\n"
			      "access_key_secret = b\nrole_arn = r\n",
			      NULL, role, &err),
			 ECS_E_CREDS);
	assert_contains(err.msg, "has no role_session_name");
	assert_int_equal(INIS("[default]\ntype = oidc_role_arn\noidc_provider_arn = p\n"
			      "oidc_token_file_path = /var/run/token\nrole_arn = r\n",
			      NULL, role, &err),
			 ECS_OK);
	assert_int_equal(P.mode, CREDS_M_OIDC);
	assert_string_equal(P.role.session, ""); /* optional here: a default is chosen */
	assert_int_equal(INIS("[default]\ntype = oidc_role_arn\noidc_provider_arn = p\n"
			      "role_arn = r\n",
			      NULL, role, &err),
			 ECS_E_CREDS);
	assert_contains(err.msg, "has no oidc_token_file_path");
	assert_int_equal(
		INIS("[default]\ncredentials_uri = http://127.0.0.1/x\n", NULL, role, &err),
		ECS_OK);
	assert_int_equal(P.mode, CREDS_M_URI);
	assert_contains(P.label, "(credentials_uri)");
	assert_int_equal(INIS("[default]\ntype = chainable_ram_role_arn\n", NULL, role, &err),
			 ECS_E_CREDS);
	assert_contains(err.msg, "does not support");
}

/* ---- STS and process answers ---- */

#define STS_OK                                                                                     \
	"{\"RequestId\":\"r\",\"AssumedRoleUser\":{\"Arn\":\"a\"},\"Credentials\":{"               \
	"\"SecurityToken\":\"CAIStok\",\"AccessKeyId\":\"STS.new\",\"AccessKeySecret\":\"" SECRET  \
	"\",\"Expiration\":\"2018-08-20T22:30:02Z\"}}"

static void test_sts_answer(void **state)
{
	size_t n = strlen(STS_OK), k;
	ecs_err err;

	(void)state;
	memset(&C, 0, sizeof(C));
	assert_int_equal(creds_parse_sts(STS_OK, n, T_2018_08_20_22_30_02 - 10, &C, &err), ECS_OK);
	assert_string_equal(C.key_id, "STS.new");
	assert_string_equal(C.token, "CAIStok");
	assert_true(C.expires == T_2018_08_20_22_30_02);
	assert_int_equal(creds_parse_sts(STS_OK, n, T_2018_08_20_22_30_02, &C, &err), ECS_E_CREDS);
	assert_contains(err.msg, "credentials from STS already expired at 2018-08-20T22:30:02Z");
	assert_string_equal(C.secret, "");
	assert_int_equal(creds_parse_sts("{\"RequestId\":\"r\"}", 17, 0, &C, &err), ECS_E_CREDS);
	assert_contains(err.msg, "has no Credentials object");
	for (k = 0; k < n; k++) {
		if (creds_parse_sts(STS_OK, k, 0, &C, &err) == ECS_OK)
			fail_msg("prefix of %zu bytes accepted", k);
		assert_not_contains(err.msg, SECRET);
		assert_string_equal(C.secret, "");
	}
}

static void test_process_answer(void **state)
{
	static const char ak[] = "{\"mode\":\"AK\",\"access_key_id\":\"id\",\"access_key_secret\":"
				 "\"" SECRET "\",\"sts_token\":\"ignored\"}";
	static const char sts[] = "{\"mode\":\"StsToken\",\"access_key_id\":\"id\","
				  "\"access_key_secret\":\"s\",\"sts_token\":\"t\","
				  "\"expiration\":\"2030-01-01T00:00:00Z\"}";
	static const char nosts[] = "{\"mode\":\"StsToken\",\"access_key_id\":\"a\","
				    "\"access_key_secret\":\"" SECRET "\"}";
	ecs_err err;

	(void)state;
	memset(&C, 0, sizeof(C));
	assert_int_equal(creds_parse_process(ak, strlen(ak), 0, &C, &err), ECS_OK);
	assert_string_equal(C.secret, SECRET);
	assert_string_equal(C.token, "");
	assert_true(C.expires == 0);
	assert_int_equal(creds_parse_process(sts, strlen(sts), 0, &C, &err), ECS_OK);
	assert_string_equal(C.token, "t");
	assert_true(C.expires == 1893456000);
	assert_int_equal(creds_parse_process(sts, strlen(sts), 1893456000, &C, &err), ECS_E_CREDS);
	assert_contains(err.msg, "already expired");
	assert_int_equal(creds_parse_process(nosts, strlen(nosts), 0, &C, &err), ECS_E_CREDS);
	assert_contains(err.msg, "has no sts_token");
	assert_not_contains(err.msg, SECRET);
	assert_string_equal(C.secret, "");
	assert_int_equal(creds_parse_process("{\"mode\":\"RamRoleArn\"}", 21, 0, &C, &err),
			 ECS_E_CREDS);
	assert_contains(err.msg, "mode 'RamRoleArn'; expected AK or StsToken");
	assert_int_equal(creds_parse_process("not json", 8, 0, &C, &err), ECS_E_PROTO);
}

/* ---- process_command ---- */

static ecs_status split(const char *cmd, char *buf, size_t cap, char **argv, size_t *argc,
			ecs_err *err)
{
	memset(err, 0, sizeof(*err));
	return creds_split_command(cmd, strlen(cmd), buf, cap, argv, 8, argc, err);
}

static void test_split_command(void **state)
{
	/* aliyun-cli's config/command_split_test.go, Unix rules */
	static const struct {
		const char *in;
		const char *want[5];
	} ok[] = {
		{"cmd arg1 arg2", {"cmd", "arg1", "arg2"}},
		{"  cmd   arg1\targ2  ", {"cmd", "arg1", "arg2"}},
		{"\"C:\\Program Files\\tool\\cred.exe\" get",
		 {"C:\\Program Files\\tool\\cred.exe", "get"}},
		{"'/usr/local/my tools/cred' arg", {"/usr/local/my tools/cred", "arg"}},
		{"tool --name \"First Last\"", {"tool", "--name", "First Last"}},
		{"tool arg\\ with\\ space", {"tool", "arg with space"}},
		{"tool \"say \\\"hi\\\"\"", {"tool", "say \"hi\""}},
		{"tool \"\" arg", {"tool", "", "arg"}},
		{"tool '' arg", {"tool", "", "arg"}},
		{"tool \"a b\"'c d'", {"tool", "a bc d"}},
		{"tool arg1 \\\n arg2", {"tool", "arg1", "arg2"}},
		{"tool \"a\\\nb\"", {"tool", "ab"}},
		{"tool '$HOME \\n' \"\\$x\"", {"tool", "$HOME \\n", "$x"}},
	};
	static const struct {
		const char *in, *err;
	} bad[] = {
		{"   ", "process_command is empty"},
		{"\"\"", "process_command is empty"},
		{"\"C:\\Program Files\\tool.exe", "unclosed quote"},
		{"'/usr/bin/tool", "unclosed quote"},
		{"tool\\", "trailing backslash"},
		{"a b c d e f g h i", "more than 7 words"},
	};
	char buf[64], *argv[8];
	size_t argc, i, k;
	ecs_err err;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(split(ok[i].in, buf, sizeof(buf), argv, &argc, &err), ECS_OK);
		for (k = 0; k < argc; k++)
			assert_string_equal(argv[k], ok[i].want[k]);
		assert_null(ok[i].want[argc]);
		assert_null(argv[argc]);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(split(bad[i].in, buf, sizeof(buf), argv, &argc, &err),
				 ECS_E_CREDS);
		assert_contains(err.msg, bad[i].err);
	}
	assert_int_equal(split("0123456789 0123456789", buf, 16, argv, &argc, &err), ECS_E_CREDS);
	assert_contains(err.msg, "longer than 14 bytes");
	/* empty words reserve no byte as they start: their NULs must still fit (found by
	 * fuzz_creds: a write one past the buffer) */
	assert_int_equal(split("abcdefgh '' '' '' '' ''", buf, 12, argv, &argc, &err), ECS_E_CREDS);
	assert_contains(err.msg, "longer than 10 bytes");
	assert_int_equal(split("abcdefgh ''", buf, 11, argv, &argc, &err), ECS_OK);
	assert_int_equal(argc, 2);
	assert_string_equal(argv[1], "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cfg_ak),
		cmocka_unit_test(test_cfg_sts_current),
		cmocka_unit_test(test_cfg_role),
		cmocka_unit_test(test_cfg_inferred),
		cmocka_unit_test(test_cfg_unsupported),
		cmocka_unit_test(test_cfg_profile_selection),
		cmocka_unit_test(test_cfg_malformed),
		cmocka_unit_test(test_cfg_wrong_types),
		cmocka_unit_test(test_cfg_oversized),
		cmocka_unit_test(test_cfg_ram_role_arn),
		cmocka_unit_test(test_cfg_other_modes),
		cmocka_unit_test(test_ini_basic),
		cmocka_unit_test(test_ini_later_keys_and_inferred),
		cmocka_unit_test(test_ini_types),
		cmocka_unit_test(test_ini_new_types),
		cmocka_unit_test(test_ini_malformed),
		cmocka_unit_test(test_ini_oversized),
		cmocka_unit_test(test_meta_success),
		cmocka_unit_test(test_meta_expired),
		cmocka_unit_test(test_meta_failures),
		cmocka_unit_test(test_meta_bad_expiration),
		cmocka_unit_test(test_meta_truncated),
		cmocka_unit_test(test_meta_oversized),
		cmocka_unit_test(test_sts_answer),
		cmocka_unit_test(test_process_answer),
		cmocka_unit_test(test_split_command),
		cmocka_unit_test(test_parse_time),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
