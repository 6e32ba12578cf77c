/* Unit tests for src/creds.c: the three pure parsers, and creds_resolve without the network
 * (metadata disabled, files pointed at temporary or missing paths). */
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

static creds C; /* 4.7 KB: off the stack, and zero-checked after errors */

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
	memset(&C, 0x55, sizeof(C)); /* the parser must clear what it does not set */
	memset(err, 0, sizeof(*err));
	role[0] = 'x';
	role[1] = '\0';
	return creds_parse_cli_config(js, strlen(js), profile, PATH, &C, role, CREDS_ROLE_MAX, err);
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
	/* keys plus a role ARN and no mode is RamRoleArn, which we do not do */
	assert_int_equal(cfg("{\"profiles\":[{\"name\":\"default\",\"access_key_id\":\"id\","
			     "\"access_key_secret\":\"" SECRET "\",\"ram_role_arn\":\"acs:x\"}]}",
			     NULL, role, &err),
			 ECS_E_CREDS);
	assert_contains(err.msg, "mode 'RamRoleArn'");
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
	assert_string_equal(err.msg,
			    PATH ": profile 'arn' uses mode 'RamRoleArn', which ecs-ca-status does "
				 "not support; use AK, StsToken or EcsRamRole");
	assert_zeroed(&C);
	assert_int_equal(cfg(CFG_MANY, "sso", role, &err), ECS_E_CREDS);
	assert_contains(err.msg, "uses mode 'CloudSSO'");
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
	memset(&C, 0x55, sizeof(C));
	memset(err, 0, sizeof(*err));
	role[0] = 'x';
	role[1] = '\0';
	return creds_parse_ini(s, n, section, INI, &C, role, CREDS_ROLE_MAX, err);
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
	assert_contains(err.msg, "uses type 'ram_role_arn', which ecs-ca-status does not support");
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
	assert_contains(err.msg, INI ":3: role_name is not a RAM role name");
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
	assert_string_equal(err.msg, "credentials from the metadata service expired at "
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

/* ---- creds_resolve without the network ---- */

static const char *const CRED_VARS[] = {
	"ALIBABA_CLOUD_ACCESS_KEY_ID",
	"ALIBABACLOUD_ACCESS_KEY_ID",
	"ALICLOUD_ACCESS_KEY_ID",
	"ALICLOUD_ACCESS_KEY",
	"ACCESS_KEY_ID",
	"ALIBABA_CLOUD_ACCESS_KEY_SECRET",
	"ALIBABACLOUD_ACCESS_KEY_SECRET",
	"ALICLOUD_ACCESS_KEY_SECRET",
	"ALICLOUD_SECRET_KEY",
	"ACCESS_KEY_SECRET",
	"ALIBABA_CLOUD_SECURITY_TOKEN",
	"ALIBABACLOUD_SECURITY_TOKEN",
	"ALICLOUD_SECURITY_TOKEN",
	"SECURITY_TOKEN",
	"ALIBABA_CLOUD_PROFILE",
	"ALIBABACLOUD_PROFILE",
	"ALICLOUD_PROFILE",
	"ALIBABA_CLOUD_CLI_PROFILE_DISABLED",
	"ALIBABA_CLOUD_ECS_METADATA",
	"ECS_CA_STATUS_METADATA_ENDPOINT",
	"ALIBABA_CLOUD_IMDSV1_DISABLED",
};

typedef struct {
	char lines[4096];
	int warns;
	int traces;
} sink;

static void on_warn(void *ctx, const char *line)
{
	sink *s = ctx;
	s->warns++;
	strncat(s->lines, line, sizeof(s->lines) - strlen(s->lines) - 2);
	strcat(s->lines, "\n");
}

static void on_trace(void *ctx, const char *line)
{
	sink *s = ctx;
	s->traces++;
	strncat(s->lines, line, sizeof(s->lines) - strlen(s->lines) - 2);
	strcat(s->lines, "\n");
}

static char tmpdir[64];

static int setup_env(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(CRED_VARS) / sizeof(CRED_VARS[0]); i++)
		unsetenv(CRED_VARS[i]);
	setenv("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true", 1);
	setenv("ALIBABA_CLOUD_CONFIG_FILE", "/nonexistent/ecs-ca-status/config.json", 1);
	setenv("ALIBABA_CLOUD_CREDENTIALS_FILE", "/nonexistent/ecs-ca-status/credentials", 1);
	setenv("HOME", "/nonexistent/home", 1);
	return 0;
}

static ecs_status resolve(const char *profile, sink *s, ecs_err *err)
{
	creds_opts o;

	memset(&o, 0, sizeof(o));
	memset(s, 0, sizeof(*s));
	memset(err, 0, sizeof(*err));
	o.profile = profile;
	o.warn = on_warn;
	o.trace = on_trace;
	o.ctx = s;
	memset(&C, 0x55, sizeof(C));
	return creds_resolve(&C, &o, err);
}

static void test_resolve_env(void **state)
{
	sink s;
	ecs_err err;

	(void)state;
	setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAIenv", 1);
	setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", SECRET, 1);
	setenv("ACCESS_KEY_ID", "generic", 1); /* a later alias loses */
	assert_int_equal(resolve(NULL, &s, &err), ECS_OK);
	assert_string_equal(C.key_id, "LTAIenv");
	assert_string_equal(C.secret, SECRET);
	assert_string_equal(C.token, "");
	assert_string_equal(C.region, "");
	assert_string_equal(C.source, "environment (ALIBABA_CLOUD_ACCESS_KEY_ID)");
	assert_not_contains(s.lines, SECRET);
	setenv("ALIBABA_CLOUD_SECURITY_TOKEN", "envtoken", 1);
	assert_int_equal(resolve(NULL, &s, &err), ECS_OK);
	assert_string_equal(C.token, "envtoken");
	assert_string_equal(
		C.source,
		"environment (ALIBABA_CLOUD_ACCESS_KEY_ID, ALIBABA_CLOUD_SECURITY_TOKEN)");
	assert_not_contains(s.lines, "envtoken");
	creds_wipe(&C);
	assert_zeroed(&C);
}

static void test_resolve_env_aliases(void **state)
{
	sink s;
	ecs_err err;

	(void)state;
	setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "", 1); /* empty counts as unset */
	setenv("ALICLOUD_ACCESS_KEY", "tf-id", 1);
	setenv("ALICLOUD_SECRET_KEY", "tf-secret", 1);
	setenv("SECURITY_TOKEN", "tf-token", 1);
	assert_int_equal(resolve(NULL, &s, &err), ECS_OK);
	assert_string_equal(C.key_id, "tf-id");
	assert_string_equal(C.secret, "tf-secret");
	assert_string_equal(C.token, "tf-token");
	assert_string_equal(C.source, "environment (ALICLOUD_ACCESS_KEY, SECURITY_TOKEN)");
}

static void test_resolve_env_half(void **state)
{
	sink s;
	ecs_err err;

	(void)state;
	setenv("ALIBABACLOUD_ACCESS_KEY_ID", "LTAIenv", 1);
	assert_int_equal(resolve(NULL, &s, &err), ECS_E_CREDS);
	assert_string_equal(err.msg,
			    "ALIBABACLOUD_ACCESS_KEY_ID is set but "
			    "ALIBABA_CLOUD_ACCESS_KEY_SECRET is not; set both (or neither)");
	assert_zeroed(&C);
	unsetenv("ALIBABACLOUD_ACCESS_KEY_ID");
	setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", SECRET, 1);
	assert_int_equal(resolve(NULL, &s, &err), ECS_E_CREDS);
	assert_string_equal(err.msg, "ALIBABA_CLOUD_ACCESS_KEY_SECRET is set but "
				     "ALIBABA_CLOUD_ACCESS_KEY_ID is not; set both (or neither)");
	assert_not_contains(err.msg, SECRET);
	assert_zeroed(&C);
}

static void test_resolve_env_too_long(void **state)
{
	char big[ECS_SECRET_MAX + 8];
	sink s;
	ecs_err err;

	(void)state;
	memset(big, 'Q', ECS_SECRET_MAX);
	big[ECS_SECRET_MAX] = '\0';
	setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAIenv", 1);
	setenv("ALICLOUD_ACCESS_KEY_SECRET", big, 1);
	assert_int_equal(resolve(NULL, &s, &err), ECS_E_INPUT);
	assert_string_equal(err.msg, "ALICLOUD_ACCESS_KEY_SECRET is longer than 255 bytes");
	assert_zeroed(&C);
	setenv("ALICLOUD_ACCESS_KEY_SECRET", SECRET "\r", 1);
	assert_int_equal(resolve(NULL, &s, &err), ECS_E_INPUT);
	assert_contains(err.msg, "ALICLOUD_ACCESS_KEY_SECRET contains a control character");
	assert_not_contains(err.msg, SECRET);
	assert_zeroed(&C);
}

static void test_resolve_none(void **state)
{
	sink s;
	ecs_err err;

	(void)state;
	setenv("ALIBABA_CLOUD_SECURITY_TOKEN", "lonely", 1); /* a token alone is not credentials */
	assert_int_equal(resolve(NULL, &s, &err), ECS_E_CREDS);
	assert_string_equal(
		err.msg,
		"no credentials found: environment (ALIBABA_CLOUD_ACCESS_KEY_ID not set); "
		"/nonexistent/ecs-ca-status/config.json (not found); "
		"/nonexistent/ecs-ca-status/credentials (not found); ECS metadata service "
		"(skipped: ALIBABA_CLOUD_ECS_METADATA_DISABLED=true). Set "
		"ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET, or see --help.");
	assert_zeroed(&C);
	assert_int_equal(s.warns, 0);
	assert_true(s.traces > 0);
	assert_not_contains(s.lines, "lonely");
}

static void test_resolve_no_home(void **state)
{
	sink s;
	ecs_err err;

	(void)state;
	unsetenv("HOME");
	unsetenv("ALIBABA_CLOUD_CONFIG_FILE");
	unsetenv("ALIBABA_CLOUD_CREDENTIALS_FILE");
	setenv("ALIBABA_CLOUD_CLI_PROFILE_DISABLED", "TRUE", 1);
	assert_int_equal(resolve(NULL, &s, &err), ECS_E_CREDS);
	assert_contains(err.msg, "; ~/.aliyun/config.json (skipped: "
				 "ALIBABA_CLOUD_CLI_PROFILE_DISABLED=true); "
				 "~/.alibabacloud/credentials (HOME not set); ");
}

static void test_resolve_long_reasons(void **state)
{
	char path[900];
	sink s;
	ecs_err err;
	size_t n;

	(void)state;
	memcpy(path, "/nonexistent/", 13);
	memset(path + 13, 'd', sizeof(path) - 14);
	path[sizeof(path) - 1] = '\0';
	setenv("ALIBABA_CLOUD_CONFIG_FILE", path, 1);
	path[14] = 'e';
	setenv("ALIBABA_CLOUD_CREDENTIALS_FILE", path, 1);
	assert_int_equal(resolve(NULL, &s, &err), ECS_E_CREDS);
	n = strlen(err.msg);
	assert_true(n < ECS_ERR_MSG_MAX - 1);
	assert_contains(err.msg, "no credentials found: environment (");
	assert_contains(err.msg, "...");
	assert_contains(err.msg, "ECS metadata service (skipped");
	assert_string_equal(err.msg + n - 11, "see --help.");
}

static void test_resolve_explicit_profile(void **state)
{
	sink s;
	ecs_err err;

	(void)state;
	/* --profile skips the environment */
	setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAIenv", 1);
	setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", SECRET, 1);
	assert_int_equal(resolve("prod", &s, &err), ECS_E_CREDS);
	assert_string_equal(err.msg, "profile 'prod' not found in "
				     "/nonexistent/ecs-ca-status/config.json (not found) or "
				     "/nonexistent/ecs-ca-status/credentials (not found)");
	assert_zeroed(&C);
	/* ALIBABA_CLOUD_PROFILE does not skip it */
	setenv("ALIBABA_CLOUD_PROFILE", "prod", 1);
	assert_int_equal(resolve(NULL, &s, &err), ECS_OK);
	assert_string_equal(C.key_id, "LTAIenv");
}

/* Writes a file in tmpdir with mode; returns its path in out. */
static void write_file(const char *name, const char *text, mode_t mode, char *out, size_t cap)
{
	FILE *f;

	snprintf(out, cap, "%s/%s", tmpdir, name);
	f = fopen(out, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(out, mode), 0);
}

static void test_resolve_files(void **state)
{
	char cfgp[128], inip[128], want[512];
	sink s;
	ecs_err err;

	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_creds.XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	write_file("config.json",
		   "{\"current\":\"default\",\"profiles\":[{\"name\":\"default\",\"mode\":\"AK\","
		   "\"access_key_id\":\"\",\"access_key_secret\":\"\"},{\"name\":\"prod\","
		   "\"mode\":\"AK\",\"access_key_id\":\"LTAIprod\",\"access_key_secret\":\"" SECRET
		   "\",\"region_id\":\"cn-shenzhen\"},{\"name\":\"role\",\"mode\":\"EcsRamRole\","
		   "\"ram_role_name\":\"R\"}]}",
		   0644, cfgp, sizeof(cfgp));
	write_file(
		"credentials",
		"[default]\ntype = access_key\naccess_key_id = LTAIini\naccess_key_secret = " SECRET
		"\n[ini_only]\naccess_key_id = LTAIini2\naccess_key_secret = x\n",
		0600, inip, sizeof(inip));
	setenv("ALIBABA_CLOUD_CONFIG_FILE", cfgp, 1);
	setenv("ALIBABA_CLOUD_CREDENTIALS_FILE", inip, 1);

	/* the empty default profile of config.json falls through to the INI file */
	assert_int_equal(resolve(NULL, &s, &err), ECS_OK);
	assert_string_equal(C.key_id, "LTAIini");
	snprintf(want, sizeof(want), "%s [default] (access_key)", inip);
	assert_string_equal(C.source, want);
	assert_int_equal(s.warns, 1);
	snprintf(want, sizeof(want),
		 "warning: %s is readable by group/others (mode 0644); run: chmod 600 %s", cfgp,
		 cfgp);
	assert_contains(s.lines, want);
	assert_not_contains(s.lines, SECRET);

	/* --profile from config.json, with its region */
	assert_int_equal(resolve("prod", &s, &err), ECS_OK);
	assert_string_equal(C.key_id, "LTAIprod");
	assert_string_equal(C.region, "cn-shenzhen");
	/* --profile only in the INI file */
	assert_int_equal(resolve("ini_only", &s, &err), ECS_OK);
	assert_string_equal(C.key_id, "LTAIini2");
	/* --profile in neither */
	assert_int_equal(resolve("nope", &s, &err), ECS_E_CREDS);
	snprintf(want, sizeof(want), "profile 'nope' not found in %s or %s", cfgp, inip);
	assert_string_equal(err.msg, want);
	/* an EcsRamRole profile with the metadata service disabled */
	assert_int_equal(resolve("role", &s, &err), ECS_E_CREDS);
	assert_contains(err.msg, "ALIBABA_CLOUD_ECS_METADATA_DISABLED=true");
	assert_zeroed(&C);

	/* a malformed file stops the chain with ECS_E_INPUT */
	write_file("credentials", "[default]\nbroken line\n", 0600, inip, sizeof(inip));
	assert_int_equal(resolve("nope", &s, &err), ECS_E_INPUT);
	snprintf(want, sizeof(want), "%s:2: expected", inip);
	assert_contains(err.msg, want);
	assert_zeroed(&C);
	/* a directory where the file should be */
	setenv("ALIBABA_CLOUD_CREDENTIALS_FILE", tmpdir, 1);
	assert_int_equal(resolve("nope", &s, &err), ECS_E_INPUT);
	assert_contains(err.msg, "is a directory");
	/* an unreadable file (root reads anything: only checked for others) */
	if (geteuid() != 0) {
		write_file("credentials", "[default]\n", 0000, inip, sizeof(inip));
		setenv("ALIBABA_CLOUD_CREDENTIALS_FILE", inip, 1);
		assert_int_equal(resolve("nope", &s, &err), ECS_E_INPUT);
		assert_contains(err.msg, "permission denied");
	}
	unlink(cfgp);
	snprintf(inip, sizeof(inip), "%s/credentials", tmpdir);
	unlink(inip);
	rmdir(tmpdir);
}

static void test_resolve_metadata_env_checks(void **state)
{
	sink s;
	ecs_err err;

	(void)state;
	/* both validated before any connection is made */
	unsetenv("ALIBABA_CLOUD_ECS_METADATA_DISABLED");
	setenv("ALIBABA_CLOUD_ECS_METADATA", "../../latest/user-data", 1);
	assert_int_equal(resolve(NULL, &s, &err), ECS_E_INPUT);
	assert_contains(err.msg, "ALIBABA_CLOUD_ECS_METADATA is not a RAM role name");
	unsetenv("ALIBABA_CLOUD_ECS_METADATA");
	setenv("ECS_CA_STATUS_METADATA_ENDPOINT", "127.0.0.1:99999", 1);
	assert_int_equal(resolve(NULL, &s, &err), ECS_E_INPUT);
	assert_contains(err.msg, "ECS_CA_STATUS_METADATA_ENDPOINT: bad port");
	setenv("ECS_CA_STATUS_METADATA_ENDPOINT", "a:b:c", 1);
	assert_int_equal(resolve(NULL, &s, &err), ECS_E_INPUT);
	setenv("ECS_CA_STATUS_METADATA_ENDPOINT", "[::1", 1);
	assert_int_equal(resolve(NULL, &s, &err), ECS_E_INPUT);
	setenv("ECS_CA_STATUS_METADATA_ENDPOINT", "host/x:80", 1);
	assert_int_equal(resolve(NULL, &s, &err), ECS_E_INPUT);
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
		cmocka_unit_test(test_ini_basic),
		cmocka_unit_test(test_ini_later_keys_and_inferred),
		cmocka_unit_test(test_ini_types),
		cmocka_unit_test(test_ini_malformed),
		cmocka_unit_test(test_ini_oversized),
		cmocka_unit_test(test_meta_success),
		cmocka_unit_test(test_meta_expired),
		cmocka_unit_test(test_meta_failures),
		cmocka_unit_test(test_meta_bad_expiration),
		cmocka_unit_test(test_meta_truncated),
		cmocka_unit_test(test_meta_oversized),
		cmocka_unit_test(test_parse_time),
		cmocka_unit_test_setup(test_resolve_env, setup_env),
		cmocka_unit_test_setup(test_resolve_env_aliases, setup_env),
		cmocka_unit_test_setup(test_resolve_env_half, setup_env),
		cmocka_unit_test_setup(test_resolve_env_too_long, setup_env),
		cmocka_unit_test_setup(test_resolve_none, setup_env),
		cmocka_unit_test_setup(test_resolve_no_home, setup_env),
		cmocka_unit_test_setup(test_resolve_long_reasons, setup_env),
		cmocka_unit_test_setup(test_resolve_explicit_profile, setup_env),
		cmocka_unit_test_setup(test_resolve_files, setup_env),
		cmocka_unit_test_setup(test_resolve_metadata_env_checks, setup_env),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
