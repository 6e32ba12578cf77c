/*
 * Credentials: the official default chain (credentials-go's order) and every source in it.
 *
 *   creds.c          the chain: which source, in what order; refresh before expiry
 *   creds_cfg.c      pure parser of aliyun-cli's ~/.aliyun/config.json  -> creds_profile
 *   creds_ini.c      pure parser of the SDKs' ~/.alibabacloud/credentials -> creds_profile
 *   creds_profile.c  the one decision about a profile: its mode (inferred when not written)
 *                    and whether every field that mode needs is there
 *   creds_util.c     shared helpers; parsers of the temporary-credential answers
 *   creds_meta.c     the ECS instance RAM role (metadata service 100.100.100.200)
 *   creds_sts.c      STS AssumeRole / AssumeRoleWithOIDC, signed with src/sign.c
 *   creds_uri.c      a credentials URI (ALIBABA_CLOUD_CREDENTIALS_URI, mode CredentialsURI)
 *   creds_proc.c     an external process (mode External): argv split, run, parse
 *
 * Secrets (AccessKeySecret, SecurityToken, OIDC and metadata tokens, a source profile's keys)
 * never go into an error message, a warning or a trace line, and the buffers that held one are
 * zeroed before the chain returns, on error paths too. The caller zeroes its creds with
 * creds_wipe() and its creds_work with creds_work_wipe().
 */
#ifndef ECS_CREDS_H
#define ECS_CREDS_H

#include <stddef.h>
#include <stdint.h>

#include "conn.h"
#include "ecs_limits.h"
#include "err.h"
#include "json.h"

#define CREDS_REGION_MAX  64
#define CREDS_SOURCE_MAX  160
#define CREDS_ROLE_MAX	  65  /* a RAM role name: at most 64 of [A-Za-z0-9._-] */
#define CREDS_NAME_MAX	  128 /* a profile or section name */
#define CREDS_SESSION_MAX 65  /* RoleSessionName: 2..64 of [A-Za-z0-9._@-] */
#define CREDS_EXTID_MAX	  256 /* ExternalId */

/* JSON tokens for a config.json (a CLI profile takes ~50): ~80 profiles. */
#ifndef ECS_CREDS_JSON_TOKENS
#define ECS_CREDS_JSON_TOKENS 4096
#endif

/* The chain's steps; creds.step remembers which one produced the credentials. */
typedef enum {
	CREDS_STEP_NONE = 0,
	CREDS_STEP_ENV,	     /* ALIBABA_CLOUD_ACCESS_KEY_ID / _SECRET / _SECURITY_TOKEN */
	CREDS_STEP_OIDC_ENV, /* ALIBABA_CLOUD_ROLE_ARN + _OIDC_PROVIDER_ARN + _OIDC_TOKEN_FILE */
	CREDS_STEP_CLI,	     /* ~/.aliyun/config.json */
	CREDS_STEP_INI,	     /* ~/.alibabacloud/credentials */
	CREDS_STEP_IMDS,     /* the ECS instance RAM role */
	CREDS_STEP_URI_ENV   /* ALIBABA_CLOUD_CREDENTIALS_URI */
} creds_step;

/* aliyun-cli's per-profile settings besides credentials (config/profile.go): the endpoint,
 * endpoint_type ("vpc"), read_timeout (legacy retry_timeout), connect_timeout, retry_count.
 * "" / 0 = not set. */
typedef struct {
	char endpoint[ECS_HOST_MAX + 16];
	char endpoint_type[16];
	int64_t read_timeout, connect_timeout, retry_count;
} creds_settings;

typedef struct {
	char key_id[ECS_KEYID_MAX];
	char secret[ECS_SECRET_MAX];
	char token[ECS_TOKEN_MAX];     /* STS SecurityToken, "" if none */
	char region[CREDS_REGION_MAX]; /* region_id of the profile used, "" if none */
	creds_settings settings;       /* of the config.json profile used, else none */
	char source[CREDS_SOURCE_MAX]; /* where they came from, for -v; never a secret */
	int64_t expires;	       /* Unix seconds; 0 = long-term keys, never refreshed */
	int64_t refresh_at;	       /* when creds_refresh_if_due() fetches new ones; 0 = never */
	creds_step step;
} creds;

/* A profile's mode, whichever file it came from. */
typedef enum {
	CREDS_M_NONE = 0,
	CREDS_M_AK,	  /* AK / access_key */
	CREDS_M_STS,	  /* StsToken / sts */
	CREDS_M_RAM_ROLE, /* RamRoleArn / ram_role_arn: keys, then AssumeRole */
	CREDS_M_CHAIN,	  /* ChainableRamRoleArn: source_profile's credentials, then AssumeRole */
	CREDS_M_ECS_ROLE, /* EcsRamRole / ecs_ram_role */
	CREDS_M_OIDC,	  /* OIDC / oidc_role_arn: AssumeRoleWithOIDC */
	CREDS_M_URI,	  /* CredentialsURI / credentials_uri */
	CREDS_M_EXTERNAL  /* External: process_command */
} creds_mode;

/* A role to assume with AssumeRole (and the STS endpoint to ask). */
typedef struct {
	char role_arn[ECS_ARN_MAX];
	char session[CREDS_SESSION_MAX]; /* RoleSessionName; "" = ecs-ca-status-<time> */
	char policy[ECS_POLICY_MAX];
	char external_id[CREDS_EXTID_MAX];
	int64_t duration; /* DurationSeconds, 0 = 3600 */
	char sts_region[CREDS_REGION_MAX];
	char sts_endpoint[ECS_HOST_MAX + 16]; /* host[:port], overrides the region */
	int enable_vpc;
	char label[CREDS_SOURCE_MAX]; /* where the role was configured, for messages */
} creds_role;

/* One profile (config.json) or section (INI), as the pure parsers leave it. */
typedef struct {
	creds_mode mode;
	int missing; /* with ECS_E_CREDS: 1 no such profile / section, 2 it holds nothing */
	char name[CREDS_NAME_MAX];
	char key_id[ECS_KEYID_MAX];
	char secret[ECS_SECRET_MAX];
	char token[ECS_TOKEN_MAX];
	char region[CREDS_REGION_MAX];
	creds_settings settings;
	char ram_role[CREDS_ROLE_MAX]; /* EcsRamRole; "" = the instance's first */
	int ram_role_set;	       /* INI: role_name given, even empty */
	creds_role role;	       /* RamRoleArn, ChainableRamRoleArn, OIDC */
	char source_profile[CREDS_NAME_MAX];
	char oidc_provider_arn[ECS_ARN_MAX];
	char oidc_token_file[ECS_PATH_MAX];
	char uri[ECS_URL_MAX];
	char command[ECS_CMD_MAX];
	char label[CREDS_SOURCE_MAX]; /* "PATH profile 'NAME' (MODE)", for messages */
} creds_profile;

/* An STS request body, percent-encoded: an OIDC token (base64url: no escapes), a policy
 * (JSON: up to three bytes each), and the short parameters. */
#define CREDS_FORM_MAX (ECS_OIDC_TOKEN_MAX + 3 * ECS_POLICY_MAX + 2048)

/* One network conversation's buffers (metadata, STS, URI). */
typedef struct {
	conn cn;
	http_resp r;
	char hdr[ECS_HTTP_HDR_MAX];
	char body[ECS_STS_BODY_MAX];
	char form[CREDS_FORM_MAX];			 /* an encoded STS request body */
	char req[CREDS_FORM_MAX + ECS_TOKEN_MAX + 4096]; /* headers (V3: the token) + body */
	char aux[ECS_OIDC_TOKEN_MAX];			 /* metadata / OIDC token */
} creds_net;

/* Everything the chain needs beyond a few hundred bytes, owned by the caller (static in
 * main.c) so that no function has a large stack frame. Zeroed by the chain after each use. */
typedef struct {
	char file[ECS_FILE_MAX];
	jsmntok_t toks[ECS_CREDS_JSON_TOKENS];
	creds_profile prof;
	creds_role link[ECS_ROLE_CHAIN_MAX]; /* ChainableRamRoleArn roles, outermost first */
	char seen[ECS_ROLE_CHAIN_MAX + 1][CREDS_NAME_MAX]; /* profile names, for cycles */
	creds base; /* the credentials a role is assumed with */
	creds_net net;
	char proc_out[ECS_PROC_OUT_MAX];
	char argbuf[ECS_CMD_MAX + 1];
} creds_work;

typedef struct {
	const char *profile; /* --profile, or NULL */
	/* Warnings (a group/other-readable file), one line each, "warning: ..."; may be NULL. */
	void (*warn)(void *ctx, const char *line);
	/* -v trace lines, "creds: ..."; may be NULL. */
	void (*trace)(void *ctx, const char *line);
	void *ctx;
	/* STS and https credentials URIs: TLS set up on first use (the same trust anchors as the
	 * ECS call); NULL = TLS already set up. */
	ecs_status (*tls_ready)(void *ctx, ecs_err *err);
	const char *proxy;	     /* --proxy, or NULL for the environment's */
	const char *no_proxy;	     /* --no-proxy, or NULL */
	uint32_t connect_timeout_ms; /* 0 = 5000 */
	uint32_t read_timeout_ms;    /* 0 = 10000 */
	int sts_v1;		     /* sign STS calls with RPC v1 (HMAC-SHA1); else V3 */
	uint32_t proc_timeout_ms;    /* 0 = ECS_PROC_TIMEOUT_MS */
} creds_opts;

/*
 * Resolves credentials through the chain into c (zeroed first). Without --profile, in order:
 *   1. environment keys: ALIBABA_CLOUD_ACCESS_KEY_ID / _SECRET / _SECURITY_TOKEN and aliases;
 *   2. OIDC from the environment: ALIBABA_CLOUD_ROLE_ARN, ALIBABA_CLOUD_OIDC_PROVIDER_ARN,
 *      ALIBABA_CLOUD_OIDC_TOKEN_FILE (ALIBABA_CLOUD_ROLE_SESSION_NAME optional); some but not
 *      all of the three set is an error naming the missing ones;
 *   3. ALIBABA_CLOUD_CONFIG_FILE else ~/.aliyun/config.json (not when
 *      ALIBABA_CLOUD_CLI_PROFILE_DISABLED=true), every mode of creds_mode;
 *   4. ALIBABA_CLOUD_CREDENTIALS_FILE else ~/.alibabacloud/credentials;
 *   5. the ECS instance RAM role (not when ALIBABA_CLOUD_ECS_METADATA_DISABLED=true);
 *   6. ALIBABA_CLOUD_CREDENTIALS_URI.
 * Test hooks (environment): ECS_CA_STATUS_METADATA_ENDPOINT ("host:port", "[v6]:port")
 * replaces 100.100.100.200:80; ECS_CA_STATUS_PROCESS_TIMEOUT_MS replaces the External
 * process's 60 s deadline.
 * With --profile only 3 and 4, and the sources the profile names. A file or profile that is
 * missing or empty passes to the next source; a source that is configured but fails (a
 * profile's role cannot be assumed, an OIDC token file cannot be read, the URI answers an
 * error) is an error naming it. ECS_E_CREDS when nothing yields credentials: the message lists
 * every source tried. ECS_E_INPUT for a malformed file or environment value; network errors
 * of a source keep their status (ECS_E_API for an STS error with its Code and Message). On
 * error c is zeroed. w is scratch space, zeroed before returning.
 */
ecs_status creds_resolve(creds *c, const creds_opts *o, creds_work *w, ecs_err *err);

/*
 * Before each signed batch: when c->refresh_at is set and now >= it, fetches new credentials
 * from the step that produced c (the same file, profile, role, URI or command) into c.
 * refresh_at is expires - min(180 s, a half of the lifetime), so a source is asked once per
 * expiry, well before it. A refresh that fails is an error (as creds_resolve). ECS_OK with c
 * unchanged when nothing is due.
 */
ecs_status creds_refresh_if_due(creds *c, int64_t now, const creds_opts *o, creds_work *w,
				ecs_err *err);

/* 1 when creds_refresh_if_due() would fetch (a caller may first close idle TLS connections:
 * the TLS memory pool is sized for one handshake beside one open connection). */
int creds_refresh_due(const creds *c, int64_t now);

/* Zeroes c / w (wipes the compiler may not elide). */
void creds_wipe(creds *c);
void creds_work_wipe(creds_work *w);

/* ---- pure parsers (no I/O): exposed for unit tests and fuzzing ---- */

/* ~/.aliyun/config.json: the profile named profile (NULL or "" = the file's "current", else
 * "default") into p, decided (creds_profile_decide). toks: ntoks tokens of scratch.
 * ECS_E_INPUT: not JSON, wrong types, a value too long or with control characters.
 * ECS_E_CREDS: profile not found (p->missing 1), no credentials in it (p->missing 2), or what
 * creds_profile_decide refuses. On error p holds no secret. */
ecs_status creds_parse_cli_config(const char *buf, size_t len, const char *profile,
				  const char *path_for_msgs, jsmntok_t *toks, unsigned ntoks,
				  creds_profile *p, ecs_err *err);

/* ~/.alibabacloud/credentials: section NULL or "" = "default". Comments (# ;), CRLF, blanks
 * around '=' (or ':', like go-ini), surrounding quotes, inline " #" / " ;" comments after
 * unquoted values. ECS_E_INPUT: a malformed line anywhere (FILE:LINE in the message), a value
 * too long or with control characters. ECS_E_CREDS as creds_parse_cli_config. */
ecs_status creds_parse_ini(const char *buf, size_t len, const char *section,
			   const char *path_for_msgs, creds_profile *p, ecs_err *err);

/* The one decision about a parsed profile: raw_mode as written ("" = infer it from the
 * fields present, like aliyun-cli's AutoModeRecognition; ini = 1 for the INI's type names),
 * then the fields the mode needs. ECS_E_CREDS naming the profile and the missing field, or an
 * unknown / unsupported mode; ECS_E_INPUT for a field of the wrong form (a RAM role name, a
 * duration outside 900..43200). Sets p->mode and p->label. */
ecs_status creds_profile_decide(creds_profile *p, const char *raw_mode, int ini,
				const char *path_for_msgs, ecs_err *err);

/* A temporary-credentials answer: {"Code":"Success","AccessKeyId":..,"AccessKeySecret":..,
 * "SecurityToken":..,"Expiration":"YYYY-MM-DDThh:mm:ssZ"} from the metadata service or a
 * credentials URI (who names it in messages). ECS_E_PROTO: not JSON / wrong types / bad
 * Expiration; ECS_E_NOSPACE: a value longer than its buffer; ECS_E_CREDS: Code not "Success",
 * a field missing or empty, or Expiration <= now_unix. Sets key_id, secret, token, expires
 * (zeroed on error). Messages may quote Code and Expiration, never a key, secret or token. */
ecs_status creds_parse_temp(const char *buf, size_t len, int64_t now_unix, const char *who,
			    creds *c, ecs_err *err);
/* The same for the metadata service (who = "the metadata service"). */
ecs_status creds_parse_metadata(const char *buf, size_t len, int64_t now_unix, creds *c,
				ecs_err *err);

/* An STS AssumeRole / AssumeRoleWithOIDC 200 answer: {"Credentials":{"AccessKeyId",
 * "AccessKeySecret","SecurityToken","Expiration"},...}. Errors as creds_parse_temp; an
 * Expiration at or before now_unix is ECS_E_CREDS ("already expired"). */
ecs_status creds_parse_sts(const char *buf, size_t len, int64_t now_unix, creds *c, ecs_err *err);

/* What an External process prints: {"mode":"AK"|"StsToken","access_key_id":..,
 * "access_key_secret":..,"sts_token":..,"expiration":"YYYY-MM-DDThh:mm:ssZ"} (expiration
 * optional). ECS_E_CREDS for a missing key, a missing sts_token in StsToken mode, an expired
 * answer; ECS_E_PROTO for output that is not such JSON. */
ecs_status creds_parse_process(const char *buf, size_t len, int64_t now_unix, creds *c,
			       ecs_err *err);

/* Splits a process_command into argv like aliyun-cli and credentials-go on Unix (POSIX shlex
 * rules: blanks separate; '...' literal; "..." with \\ \" \$ \` escapes; \x outside quotes;
 * backslash-newline removed). Words go NUL-terminated into buf (cap bytes), pointers into
 * argv (argv_cap entries, the last one NULL). ECS_E_CREDS for an empty command, an unclosed
 * quote, a trailing backslash, more than argv_cap - 1 words or more than cap bytes. */
ecs_status creds_split_command(const char *cmd, size_t n, char *buf, size_t cap, char **argv,
			       size_t argv_cap, size_t *argc, ecs_err *err);

/* "YYYY-MM-DDThh:mm:ssZ" -> Unix seconds; 0 on success, -1 if malformed. */
int creds_parse_time(const char *s, size_t n, int64_t *out);

#endif
