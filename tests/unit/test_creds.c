/* Unit tests for the credential chain (src/creds.c): creds_resolve and creds_refresh_if_due
 * without a network (metadata disabled, files pointed at temporary or missing paths, a real
 * credential helper process). The parsers are in test_creds_parse.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h> /* needs the four headers above first */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "creds.h"
#include "port.h"
#include "sign.h"

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
	"ALIBABA_CLOUD_ROLE_ARN",
	"ALIBABA_CLOUD_OIDC_PROVIDER_ARN",
	"ALIBABA_CLOUD_OIDC_TOKEN_FILE",
	"ALIBABA_CLOUD_ROLE_SESSION_NAME",
	"ALIBABA_CLOUD_CREDENTIALS_URI",
	"ALIBABA_CLOUD_STS_ENDPOINT",
	"ALIBABA_CLOUD_STS_REGION",
	"ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED",
	"ALIBABA_CLOUD_DISABLE_EXTERNAL_PROCESS",
	"ECS_CA_STATUS_PROCESS_TIMEOUT_MS",
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

static creds_work W;

static void assert_work_wiped(void)
{
	const unsigned char *p = (const unsigned char *)&W;
	size_t i;

	/* the JSON tokens hold offsets, never file bytes: they need no wipe */
	for (i = 0; i < sizeof(W); i++)
		if (p[i] != 0 && (i < offsetof(creds_work, toks) ||
				  i >= offsetof(creds_work, toks) + sizeof(W.toks)))
			fail_msg("creds_work not wiped at byte %zu", i);
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
	/* W stays as the last run left it: zero, unless a run failed to wipe what it wrote */
	return creds_resolve(&C, &o, &W, err);
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
		"no credentials found: environment (ALIBABA_CLOUD_ACCESS_KEY_ID not set); OIDC "
		"(ALIBABA_CLOUD_ROLE_ARN not set); /nonexistent/ecs-ca-status/config.json (not "
		"found); /nonexistent/ecs-ca-status/credentials (not found); ECS metadata service "
		"(skipped: ALIBABA_CLOUD_ECS_METADATA_DISABLED=true); credentials URI "
		"(ALIBABA_CLOUD_CREDENTIALS_URI not set). Set ALIBABA_CLOUD_ACCESS_KEY_ID and "
		"ALIBABA_CLOUD_ACCESS_KEY_SECRET, or see --help.");
	assert_zeroed(&C);
	assert_work_wiped();
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

/* ---- the new sources, as far as they go without a network ---- */

static void test_resolve_oidc_env_half(void **state)
{
	sink s;
	ecs_err err;

	(void)state;
	setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "", 1);
	setenv("ALIBABA_CLOUD_ROLE_ARN", "acs:ram::1:role/x", 1);
	assert_int_equal(resolve(NULL, &s, &err), ECS_E_CREDS);
	assert_contains(err.msg, "OIDC from the environment is half configured: "
				 "ALIBABA_CLOUD_OIDC_PROVIDER_ARN is not set");
	unsetenv("ALIBABA_CLOUD_ROLE_ARN");
	setenv("ALIBABA_CLOUD_OIDC_TOKEN_FILE", "/nonexistent/token", 1);
	assert_int_equal(resolve(NULL, &s, &err), ECS_E_CREDS);
	assert_contains(err.msg, "ALIBABA_CLOUD_ROLE_ARN is not set");
	/* all three, but the token file cannot be read: an error, not a skip */
	setenv("ALIBABA_CLOUD_ROLE_ARN", "acs:ram::1:role/x", 1);
	setenv("ALIBABA_CLOUD_OIDC_PROVIDER_ARN", "acs:ram::1:oidc-provider/p", 1);
	assert_int_equal(resolve(NULL, &s, &err), ECS_E_CREDS);
	assert_string_equal(err.msg,
			    "cannot read the OIDC token file /nonexistent/token: not found");
	assert_zeroed(&C);
	assert_work_wiped();
	/* --profile skips OIDC from the environment */
	assert_int_equal(resolve("p", &s, &err), ECS_E_CREDS);
	assert_contains(err.msg, "profile 'p' not found in");
	/* a bad session name is refused before the token is read */
	setenv("ALIBABA_CLOUD_ROLE_SESSION_NAME", "a b", 1);
	assert_int_equal(resolve(NULL, &s, &err), ECS_E_CREDS);
}

static void test_resolve_uri_env(void **state)
{
	sink s;
	ecs_err err;

	(void)state;
	setenv("ALIBABA_CLOUD_CREDENTIALS_URI", "ftp://127.0.0.1/x", 1);
	assert_int_equal(resolve(NULL, &s, &err), ECS_E_INPUT);
	assert_contains(err.msg, "credentials URI from ALIBABA_CLOUD_CREDENTIALS_URI");
	setenv("ALIBABA_CLOUD_CREDENTIALS_URI", "http://user:pw@127.0.0.1:1/x", 1);
	assert_int_equal(resolve(NULL, &s, &err), ECS_E_INPUT);
	assert_contains(err.msg, "user:password@ is not supported");
	assert_not_contains(err.msg, "pw");
	/* nothing listens on port 1: a network error naming the URI, never its query */
	setenv("ALIBABA_CLOUD_CREDENTIALS_URI", "http://127.0.0.1:1/creds?key=k3y", 1);
	assert_int_equal(resolve(NULL, &s, &err), ECS_E_NET);
	assert_contains(err.msg, "credentials URI http://127.0.0.1:1/creds (from "
				 "ALIBABA_CLOUD_CREDENTIALS_URI)");
	assert_not_contains(err.msg, "k3y");
	assert_not_contains(s.lines, "k3y");
	assert_zeroed(&C);
}

static void test_resolve_chain_cycle(void **state)
{
	char cfgp[128];
	sink s;
	ecs_err err;

	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_creds.XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	write_file("config.json",
		   "{\"current\":\"a\",\"profiles\":["
		   "{\"name\":\"a\",\"mode\":\"ChainableRamRoleArn\",\"source_profile\":\"b\","
		   "\"ram_role_arn\":\"r\",\"ram_session_name\":\"sa\"},"
		   "{\"name\":\"b\",\"mode\":\"ChainableRamRoleArn\",\"source_profile\":\"c\","
		   "\"ram_role_arn\":\"r\",\"ram_session_name\":\"sb\"},"
		   "{\"name\":\"c\",\"mode\":\"ChainableRamRoleArn\",\"source_profile\":\"a\","
		   "\"ram_role_arn\":\"r\",\"ram_session_name\":\"sc\"},"
		   "{\"name\":\"d\",\"mode\":\"ChainableRamRoleArn\",\"source_profile\":\"d\","
		   "\"ram_role_arn\":\"r\",\"ram_session_name\":\"sd\"},"
		   "{\"name\":\"e\",\"mode\":\"ChainableRamRoleArn\",\"source_profile\":\"gone\","
		   "\"ram_role_arn\":\"r\",\"ram_session_name\":\"se\"}]}",
		   0600, cfgp, sizeof(cfgp));
	setenv("ALIBABA_CLOUD_CONFIG_FILE", cfgp, 1);
	assert_int_equal(resolve(NULL, &s, &err), ECS_E_CREDS);
	assert_contains(err.msg, "profile 'c' (ChainableRamRoleArn): source_profile 'a' makes a "
				 "cycle");
	assert_int_equal(resolve("d", &s, &err), ECS_E_CREDS);
	assert_contains(err.msg, "source_profile 'd' makes a cycle");
	assert_int_equal(resolve("e", &s, &err), ECS_E_CREDS);
	assert_contains(err.msg, "source_profile 'gone' of");
	assert_contains(err.msg, "profile 'gone' not found");
	assert_zeroed(&C);
	unlink(cfgp);
	rmdir(tmpdir);
}

/* A credential helper that counts its runs in tmpdir/runs and answers key "id<N>", expiring
 * at the Unix time in tmpdir/exp. */
static void write_helper(char *cfgp, size_t cap)
{
	char helper[128], cfg[512];

	snprintf(cfg, sizeof(cfg),
		 "#!/bin/sh\necho run >> '%s/runs'\nn=$(wc -l < '%s/runs' | tr -d ' ')\n"
		 "printf '{\"mode\":\"StsToken\",\"access_key_id\":\"id%%s\","
		 "\"access_key_secret\":\"" SECRET
		 "\",\"sts_token\":\"t\",\"expiration\":\"%%s\"}' "
		 "\"$n\" \"$(cat '%s/exp')\"\n",
		 tmpdir, tmpdir, tmpdir);
	write_file("helper.sh", cfg, 0700, helper, sizeof(helper));
	snprintf(cfg, sizeof(cfg),
		 "{\"profiles\":[{\"name\":\"default\",\"mode\":\"External\","
		 "\"process_command\":\"'%s' --flag\"}]}",
		 helper);
	write_file("config.json", cfg, 0600, cfgp, cap);
}

static void test_resolve_external_and_refresh(void **state)
{
	char cfgp[128], expp[128], exp[21];
	int64_t now = (int64_t)time(NULL);
	creds_opts o;
	sink s;
	ecs_err err;

	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_creds.XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	write_helper(cfgp, sizeof(cfgp));
	sign_format_time(now + 100, exp);
	write_file("exp", exp, 0600, expp, sizeof(expp));
	setenv("ALIBABA_CLOUD_CONFIG_FILE", cfgp, 1);
	assert_int_equal(resolve(NULL, &s, &err), ECS_OK);
	assert_string_equal(C.key_id, "id1");
	assert_true(C.expires == now + 100);
	/* refresh at expiry - min(180 s, half the lifetime) */
	assert_true(C.refresh_at >= now + 49 && C.refresh_at <= now + 51);
	assert_int_equal(C.step, CREDS_STEP_CLI);
	assert_not_contains(s.lines, SECRET);
	memset(&o, 0, sizeof(o));
	o.trace = on_trace;
	o.ctx = &s;
	assert_int_equal(creds_refresh_if_due(&C, now + 10, &o, &W, &err), ECS_OK);
	assert_string_equal(C.key_id, "id1"); /* not due: the helper did not run */
	sign_format_time(now + 4000, exp);
	write_file("exp", exp, 0600, expp, sizeof(expp));
	assert_int_equal(creds_refresh_if_due(&C, now + 60, &o, &W, &err), ECS_OK);
	assert_string_equal(C.key_id, "id2");
	assert_true(C.refresh_at >= now + 4000 - 181 && C.refresh_at <= now + 4000 - 179);
	assert_work_wiped();
	/* a helper that now answers already expired credentials: the refresh fails */
	sign_format_time(now - 5, exp);
	write_file("exp", exp, 0600, expp, sizeof(expp));
	assert_int_equal(creds_refresh_if_due(&C, now + 4000, &o, &W, &err), ECS_E_CREDS);
	assert_contains(err.msg, "refreshing credentials: ");
	assert_contains(err.msg, "already expired");
	assert_zeroed(&C);
	/* long-term keys are never refreshed */
	setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAIenv", 1);
	setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", SECRET, 1);
	assert_int_equal(resolve(NULL, &s, &err), ECS_OK);
	assert_true(C.refresh_at == 0 && C.expires == 0);
	assert_int_equal(creds_refresh_due(&C, INT64_MAX), 0);
	unlink(cfgp);
	unlink(expp);
	snprintf(expp, sizeof(expp), "%s/runs", tmpdir);
	unlink(expp);
	snprintf(expp, sizeof(expp), "%s/helper.sh", tmpdir);
	unlink(expp);
	rmdir(tmpdir);
}

static void test_resolve_external_disabled(void **state)
{
	char cfgp[128];
	sink s;
	ecs_err err;

	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_creds.XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	write_file("config.json",
		   "{\"profiles\":[{\"name\":\"default\",\"mode\":\"External\","
		   "\"process_command\":\"/bin/sh -c 'sleep 5'\"}]}",
		   0600, cfgp, sizeof(cfgp));
	setenv("ALIBABA_CLOUD_CONFIG_FILE", cfgp, 1);
	setenv("ECS_CA_STATUS_PROCESS_TIMEOUT_MS", "200", 1);
	assert_int_equal(resolve(NULL, &s, &err), ECS_E_CREDS);
	assert_contains(err.msg, "did not finish within 200 ms; killed");
	setenv("ALIBABA_CLOUD_DISABLE_EXTERNAL_PROCESS", "true", 1);
	assert_int_equal(resolve(NULL, &s, &err), ECS_E_CREDS);
	assert_contains(err.msg, "ALIBABA_CLOUD_DISABLE_EXTERNAL_PROCESS=true");
	unlink(cfgp);
	rmdir(tmpdir);
}

/* Pages of [p, p + n) that are resident (p page-aligned). */
static size_t resident_pages(const void *p, size_t n)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), k = (n + page - 1) / page, i, r = 0;
	unsigned char vec[512];

	assert_true(k <= sizeof(vec));
	assert_int_equal(mincore((void *)(uintptr_t)p, n, vec), 0);
	for (i = 0; i < k; i++)
		r += vec[i] & 1u;
	return r;
}

/* Issue 13: a run whose credentials come from the environment reads no file, so it writes
 * (and wipes) none of the chain's 64 KiB file buffer nor its other buffers: their pages
 * stay out of the resident set. A wipe of the whole buffer would make all of it resident. */
static void test_env_run_leaves_the_work_buffers_untouched(void **state)
{
	creds_work *w = port_mem_resize(NULL, 0, sizeof(*w)); /* fresh pages */
	creds_opts o;
	ecs_err err;

	(void)state;
	assert_non_null(w);
	setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAIenv", 1);
	setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", SECRET, 1);
	memset(&o, 0, sizeof(o));
	assert_int_equal(creds_resolve(&C, &o, w, &err), ECS_OK);
	assert_int_equal(resident_pages(w->file, sizeof(w->file)), 0);
	assert_true(resident_pages(w, sizeof(*w)) <= 2); /* at most what the chain reads */
	creds_wipe(&C);
	port_mem_resize(w, sizeof(*w), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
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
		cmocka_unit_test_setup(test_resolve_oidc_env_half, setup_env),
		cmocka_unit_test_setup(test_resolve_uri_env, setup_env),
		cmocka_unit_test_setup(test_resolve_chain_cycle, setup_env),
		cmocka_unit_test_setup(test_resolve_external_and_refresh, setup_env),
		cmocka_unit_test_setup(test_resolve_external_disabled, setup_env),
		cmocka_unit_test_setup(test_env_run_leaves_the_work_buffers_untouched, setup_env),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
