/*
 * Credential chain: the environment, the aliyun CLI's ~/.aliyun/config.json, the SDKs'
 * ~/.alibabacloud/credentials (INI), then the ECS instance RAM role through the metadata service
 * (100.100.100.200, hardened-mode token first). The first source that yields credentials wins.
 *
 * Secrets (AccessKeySecret, SecurityToken, the metadata token) never go into an error message,
 * a warning or a trace line, and every buffer of this module that held one is zeroed before the
 * function returns, on error paths too. The caller zeroes its creds with creds_wipe().
 */
#ifndef ECS_CREDS_H
#define ECS_CREDS_H

#include <stddef.h>
#include <stdint.h>

#include "ecs_limits.h"
#include "err.h"

#define CREDS_REGION_MAX 64
#define CREDS_SOURCE_MAX 160
#define CREDS_ROLE_MAX	 65 /* a RAM role name: at most 64 of [A-Za-z0-9._-] */

typedef struct {
	char key_id[ECS_KEYID_MAX];
	char secret[ECS_SECRET_MAX];
	char token[ECS_TOKEN_MAX];     /* STS SecurityToken, "" if none */
	char region[CREDS_REGION_MAX]; /* region_id of the profile used, "" if none */
	char source[CREDS_SOURCE_MAX]; /* where they came from, for -v; never a secret */
} creds;

typedef struct {
	const char *profile; /* --profile, or NULL */
	/* Warnings (a group/other-readable file), one line each, "warning: ..."; may be NULL. */
	void (*warn)(void *ctx, const char *line);
	/* -v trace lines, "creds: ..."; may be NULL. */
	void (*trace)(void *ctx, const char *line);
	void *ctx;
} creds_opts;

/*
 * Resolves credentials through the chain into c (zeroed first).
 *   1. environment: ALIBABA_CLOUD_ACCESS_KEY_ID / _SECRET / _SECURITY_TOKEN and aliases
 *      (skipped when o->profile is set);
 *   2. ALIBABA_CLOUD_CONFIG_FILE else ~/.aliyun/config.json (not when
 *      ALIBABA_CLOUD_CLI_PROFILE_DISABLED=true); modes AK, StsToken, EcsRamRole;
 *   3. ALIBABA_CLOUD_CREDENTIALS_FILE else ~/.alibabacloud/credentials; types access_key, sts,
 *      ecs_ram_role;
 *   4. the ECS instance RAM role (not when ALIBABA_CLOUD_ECS_METADATA_DISABLED=true, nor after
 *      an explicit --profile that is not an EcsRamRole one): token PUT (falls back to no token
 *      unless ALIBABA_CLOUD_IMDSV1_DISABLED=true), role from ALIBABA_CLOUD_ECS_METADATA, else
 *      the profile's, else the instance's first; one kept-alive plain-HTTP connection, never
 *      proxied, 1 s connect / 2 s read. ECS_CA_STATUS_METADATA_ENDPOINT ("host:port",
 *      "[v6]:port") replaces 100.100.100.200:80, for tests.
 * The profile is o->profile, else ALIBABA_CLOUD_PROFILE / ALIBABACLOUD_PROFILE /
 * ALICLOUD_PROFILE, else (config.json) its "current", else "default". A file that is missing,
 * or lacks that profile, or whose profile holds no credentials at all, passes to the next
 * source. A file readable by group/others gives one warning.
 * Returns ECS_OK; ECS_E_CREDS when no source yields usable credentials (the message lists every
 * source tried and why it failed), when the selected profile cannot be used (unsupported mode,
 * missing field), or when an explicit --profile is in neither file; ECS_E_INPUT for a malformed
 * or unreadable file, or an environment value that is too long or holds control characters (the
 * message names the file or variable, never the value). On any error c is zeroed.
 */
ecs_status creds_resolve(creds *c, const creds_opts *o, ecs_err *err);

/* Zeroes c (a wipe the compiler may not elide). */
void creds_wipe(creds *c);

/*
 * Pure parsers (no I/O), exposed for unit tests and fuzzing. path_for_msgs names the input in
 * messages. On ECS_OK either c->key_id/secret (and token for STS) are set, or c->key_id is ""
 * and the profile asks for the ECS RAM role: ram_role gets its name ("" = discover it from the
 * metadata service). c->region gets the profile's region, c->source a description. On error
 * c and ram_role are zeroed.
 */

/* ~/.aliyun/config.json. profile NULL or "" = the file's "current", else "default".
 * ECS_E_INPUT: not JSON, wrong types, a value too long or with control characters.
 * ECS_E_CREDS: profile not found, no credentials in it, a required field empty, or a mode other
 * than AK / StsToken / EcsRamRole (empty mode: inferred from the fields present). */
ecs_status creds_parse_cli_config(const char *buf, size_t len, const char *profile,
				  const char *path_for_msgs, creds *c, char *ram_role,
				  size_t ram_role_cap, ecs_err *err);

/* ~/.alibabacloud/credentials. section NULL or "" = "default". Comments (# ;), CRLF, blanks
 * around '=' (or ':', like go-ini), surrounding quotes, inline " #" / " ;" comments after
 * unquoted values; no type: inferred from the keys. ECS_E_INPUT: a malformed line anywhere (no
 * '=', unterminated section header or quote, empty key, NUL byte), a value too long or with
 * control characters; the message gives FILE:LINE. ECS_E_CREDS: section not found, no credentials
 * in it, a required key empty, an unknown or unsupported type (named). */
ecs_status creds_parse_ini(const char *buf, size_t len, const char *section,
			   const char *path_for_msgs, creds *c, char *ram_role, size_t ram_role_cap,
			   ecs_err *err);

/* The metadata service's answer for a role: {"Code":"Success","AccessKeyId":..,
 * "AccessKeySecret":..,"SecurityToken":..,"Expiration":"YYYY-MM-DDThh:mm:ssZ",..}.
 * ECS_E_PROTO: not JSON / truncated / wrong types / bad Expiration; ECS_E_NOSPACE: a value
 * longer than its buffer; ECS_E_CREDS: Code not "Success", a field missing or empty, or
 * Expiration <= now_unix. Sets key_id, secret, token (zeroed on error); leaves region and
 * source alone. Messages may quote Code and Expiration, never a key, secret or token. */
ecs_status creds_parse_metadata(const char *buf, size_t len, int64_t now_unix, creds *c,
				ecs_err *err);

/* "YYYY-MM-DDThh:mm:ssZ" -> Unix seconds; 0 on success, -1 if malformed. */
int creds_parse_time(const char *s, size_t n, int64_t *out);

#endif
