#include "creds.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "conn.h"
#include "http.h"
#include "json.h"
#include "mbedtls/platform_util.h"
#include "port.h"
#include "sign.h"

/* JSON tokens for a config.json (a CLI profile takes ~50): ~80 profiles. */
#ifndef ECS_CREDS_JSON_TOKENS
#define ECS_CREDS_JSON_TOKENS 4096
#endif
#define META_JSON_TOKENS 64 /* the metadata answer has 6 members */
#define META_HDR_MAX	 4096
#define META_BODY_MAX	 8192
#define META_CONNECT_MS	 1000
#define META_READ_MS	 2000
#define META_HOST	 "100.100.100.200"
#define META_PORT	 80
#define META_CRED_PATH	 "/latest/meta-data/ram/security-credentials/"
#define NAME_MAX_	 128 /* a profile or section name we look for */
#define WHY_MAX		 200 /* one reason in the "tried" list */
#define STEPS		 4

static const char *const ENV_ID[] = {"ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABACLOUD_ACCESS_KEY_ID",
				     "ALICLOUD_ACCESS_KEY_ID", "ALICLOUD_ACCESS_KEY",
				     "ACCESS_KEY_ID"};
static const char *const ENV_SECRET[] = {
	"ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABACLOUD_ACCESS_KEY_SECRET",
	"ALICLOUD_ACCESS_KEY_SECRET", "ALICLOUD_SECRET_KEY", "ACCESS_KEY_SECRET"};
static const char *const ENV_TOKEN[] = {"ALIBABA_CLOUD_SECURITY_TOKEN",
					"ALIBABACLOUD_SECURITY_TOKEN", "ALICLOUD_SECURITY_TOKEN",
					"SECURITY_TOKEN"};
static const char *const ENV_PROFILE[] = {"ALIBABA_CLOUD_PROFILE", "ALIBABACLOUD_PROFILE",
					  "ALICLOUD_PROFILE"};
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* The credentials files, read one at a time. Static because 64 KiB (plus the token array) is
 * too much for the stack of a small device; zeroed after every use. Not reentrant, like the
 * rest of a one-shot CLI. */
static char file_buf[ECS_FILE_MAX];
static jsmntok_t file_toks[ECS_CREDS_JSON_TOKENS];

/* ---- small helpers ---- */

static void wipe(void *p, size_t n)
{
	mbedtls_platform_zeroize(p, n);
}

void creds_wipe(creds *c)
{
	if (c != NULL)
		wipe(c, sizeof(*c));
}

static void wipe_secrets(creds *c)
{
	wipe(c->key_id, sizeof(c->key_id));
	wipe(c->secret, sizeof(c->secret));
	wipe(c->token, sizeof(c->token));
}

static int lower(int ch)
{
	return (ch >= 'A' && ch <= 'Z') ? ch - 'A' + 'a' : ch;
}

/* Case-insensitive equality of s[0..n) and the string t. */
static int ieqn(const char *s, size_t n, const char *t)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (t[i] == '\0' || lower((unsigned char)s[i]) != lower((unsigned char)t[i]))
			return 0;
	return t[n] == '\0';
}

static int eqn(const char *s, size_t n, const char *t)
{
	return strlen(t) == n && memcmp(s, t, n) == 0;
}

static int has_ctl(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] == 0x7f)
			return 1;
	return 0;
}

/* Copies a name (never a secret) for a message: non-printable bytes become '?', and a long
 * name is cut with "...". */
static const char *show(char *dst, size_t cap, const char *s, size_t n)
{
	size_t i, o = 0, keep = n;

	if (cap < 8) {
		if (cap > 0)
			dst[0] = '\0';
		return dst;
	}
	if (keep > cap - 1)
		keep = cap - 4;
	for (i = 0; i < keep; i++) {
		unsigned char ch = (unsigned char)s[i];
		dst[o++] = (ch >= 0x20 && ch < 0x7f) ? (char)ch : '?';
	}
	if (keep < n) {
		memcpy(dst + o, "...", 3);
		o += 3;
	}
	dst[o] = '\0';
	return dst;
}

/* A warning or trace line to the caller's sink (o may be NULL). */
#define emit(o, warning, ...)                                                                      \
	err_emit((o) == NULL ? NULL : ((warning) ? (o)->warn : (o)->trace),                        \
		 (o) == NULL ? NULL : (o)->ctx, __VA_ARGS__)

/* A RAM role name: 1..64 of letters, digits, '-', '_', '.'. It goes into a URL path. */
static int role_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > 64)
		return 0;
	for (i = 0; i < n; i++) {
		char ch = s[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.'))
			return 0;
	}
	return 1;
}

static ecs_status put_role(const char *s, size_t n, char *ram_role, size_t cap, ecs_err *err)
{
	if (ram_role == NULL || n >= cap)
		return err_set(err, ECS_E_INTERNAL, "RAM role buffer too small");
	memcpy(ram_role, s, n);
	ram_role[n] = '\0';
	return ECS_OK;
}

/* ---- time ---- */

static int digits(const char *s, size_t n, int *out)
{
	size_t i;
	int v = 0;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

int creds_parse_time(const char *s, size_t n, int64_t *out)
{
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int y, mo, d, h, mi, se, leap;

	if (n != 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' ||
	    s[19] != 'Z')
		return -1;
	if (digits(s, 4, &y) || digits(s + 5, 2, &mo) || digits(s + 8, 2, &d) ||
	    digits(s + 11, 2, &h) || digits(s + 14, 2, &mi) || digits(s + 17, 2, &se))
		return -1;
	leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
	    (mo == 2 && d == 29 && !leap) || h > 23 || mi > 59 || se > 59)
		return -1;
	*out = sign_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
	return 0;
}

/* ---- ~/.aliyun/config.json ---- */

/* What a file parser found. With ECS_E_CREDS, ABSENT and EMPTY mean "try the next source"
 * (why says which); NONE is a real error. */
typedef enum {
	FOUND_NONE,
	FOUND_KEYS,   /* key_id + secret (+ token) */
	FOUND_ROLE,   /* EcsRamRole / ecs_ram_role: ram_role ("" = discover) */
	FOUND_ABSENT, /* no such profile / section */
	FOUND_EMPTY   /* the profile / section holds no credentials at all */
} found_kind;

typedef struct {
	const json_doc *d;
	int obj;
	const char *path;
	const char *prof; /* printable profile name */
	ecs_err *err;
} cfg_ctx;

/* String member key of the profile into out: "" when absent or null. Errors name the file,
 * the profile and the key, never the value. */
static ecs_status cfg_str(const cfg_ctx *x, const char *key, char *out, size_t cap, size_t *n)
{
	int i = json_get(x->d, x->obj, key);
	size_t len = 0;
	ecs_status st;

	out[0] = '\0';
	if (n != NULL)
		*n = 0;
	if (i < 0 || json_is_null(x->d, i))
		return ECS_OK;
	if (!json_is_string(x->d, i))
		return err_set(x->err, ECS_E_INPUT, "%s: profile '%s': %s is not a string", x->path,
			       x->prof, key);
	st = json_string(x->d, i, out, cap, &len);
	if (st != ECS_OK) {
		wipe(out, cap);
		if (st == ECS_E_NOSPACE)
			return err_set(x->err, ECS_E_INPUT,
				       "%s: profile '%s': %s is longer than %zu bytes", x->path,
				       x->prof, key, cap - 1);
		return err_set(x->err, ECS_E_INPUT,
			       "%s: profile '%s': %s has a bad escape or a raw control character",
			       x->path, x->prof, key);
	}
	if (has_ctl(out, len)) {
		wipe(out, cap);
		return err_set(x->err, ECS_E_INPUT,
			       "%s: profile '%s': %s contains a control character", x->path,
			       x->prof, key);
	}
	if (n != NULL)
		*n = len;
	return ECS_OK;
}

static ecs_status unsupported_mode(const cfg_ctx *x, const char *mode)
{
	char m[48];

	return err_set(x->err, ECS_E_CREDS,
		       "%s: profile '%s' uses mode '%s', which ecs-ca-status does not support; use "
		       "AK, StsToken or EcsRamRole",
		       x->path, x->prof, show(m, sizeof(m), mode, strlen(mode)));
}

static ecs_status parse_cli_config(const char *buf, size_t len, const char *profile,
				   const char *path, creds *c, char *ram_role, size_t ram_role_cap,
				   found_kind *kind, char *why, size_t why_cap, ecs_err *err)
{
	char want[NAME_MAX_], name[NAME_MAX_], shown[64], mode[64], role[72];
	size_t want_len = 0, idn, secn, tokn, rolen;
	int arnn;
	json_doc d;
	cfg_ctx x;
	int root, profiles, cur, k, np, obj = -1;
	ecs_status st;
	ecs_err jerr;

	*kind = FOUND_NONE;
	why[0] = '\0';
	/* A UTF-8 byte order mark from a Windows editor. */
	if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0) {
		buf += 3;
		len -= 3;
	}
	st = json_parse(&d, buf, len, file_toks, ECS_CREDS_JSON_TOKENS, &jerr);
	if (st != ECS_OK)
		return err_set(err, ECS_E_INPUT, "%s is not valid JSON: %s", path, jerr.msg);
	root = 0;
	if (d.ntok < 1 || d.tok[0].type != JSMN_OBJECT)
		return err_set(err, ECS_E_INPUT, "%s: the top level is not a JSON object", path);

	if (profile != NULL && profile[0] != '\0') {
		want_len = strlen(profile);
		if (want_len >= sizeof(want))
			return err_set(err, ECS_E_INPUT, "profile name longer than %zu bytes",
				       sizeof(want) - 1);
		memcpy(want, profile, want_len + 1);
	} else {
		cur = json_get(&d, root, "current");
		if (cur >= 0 && !json_is_null(&d, cur)) {
			if (!json_is_string(&d, cur))
				return err_set(err, ECS_E_INPUT, "%s: \"current\" is not a string",
					       path);
			st = json_string(&d, cur, want, sizeof(want), &want_len);
			if (st != ECS_OK)
				return err_set(
					err, ECS_E_INPUT,
					"%s: \"current\" is not a profile name (bad escape or "
					"longer than %zu bytes)",
					path, sizeof(want) - 1);
		}
		if (want_len == 0) {
			memcpy(want, "default", 8);
			want_len = 7;
		}
	}
	show(shown, sizeof(shown), want, want_len);

	profiles = json_get(&d, root, "profiles");
	np = 0;
	if (profiles >= 0 && !json_is_null(&d, profiles)) {
		if (d.tok[profiles].type != JSMN_ARRAY)
			return err_set(err, ECS_E_INPUT, "%s: \"profiles\" is not an array", path);
		np = json_size(&d, profiles);
	}
	/* Every profile must be well-formed, and the first with the name wins (like the CLI). */
	for (k = 0; k < np; k++) {
		int p = json_array_at(&d, profiles, k), ni;
		size_t nl = 0;

		if (p < 0 || d.tok[p].type != JSMN_OBJECT)
			return err_set(err, ECS_E_INPUT, "%s: profiles[%d] is not an object", path,
				       k);
		ni = json_get(&d, p, "name");
		if (ni < 0 || json_is_null(&d, ni))
			continue;
		if (!json_is_string(&d, ni))
			return err_set(err, ECS_E_INPUT, "%s: profiles[%d]: name is not a string",
				       path, k);
		if (json_string(&d, ni, name, sizeof(name), &nl) != ECS_OK)
			continue; /* too long or odd: cannot be the name we look for */
		if (obj < 0 && nl == want_len && memcmp(name, want, nl) == 0)
			obj = p;
	}
	if (obj < 0) {
		*kind = FOUND_ABSENT;
		snprintf(why, why_cap, "no profile '%s'", shown);
		return err_set(err, ECS_E_CREDS, "profile '%s' not found in %s", shown, path);
	}

	x.d = &d;
	x.obj = obj;
	x.path = path;
	x.prof = shown;
	x.err = err;
	if ((st = cfg_str(&x, "mode", mode, sizeof(mode), NULL)) != ECS_OK ||
	    (st = cfg_str(&x, "access_key_id", c->key_id, sizeof(c->key_id), &idn)) != ECS_OK ||
	    (st = cfg_str(&x, "access_key_secret", c->secret, sizeof(c->secret), &secn)) !=
		    ECS_OK ||
	    (st = cfg_str(&x, "sts_token", c->token, sizeof(c->token), &tokn)) != ECS_OK ||
	    (st = cfg_str(&x, "ram_role_name", role, sizeof(role), &rolen)) != ECS_OK ||
	    (st = cfg_str(&x, "region_id", c->region, sizeof(c->region), NULL)) != ECS_OK)
		return st;
	/* Only whether ram_role_arn is set matters (it selects RamRoleArn when mode is empty). */
	{
		int ai = json_get(&d, obj, "ram_role_arn");
		arnn = (ai >= 0 && json_is_string(&d, ai) && d.tok[ai].end > d.tok[ai].start);
	}

	if (mode[0] == '\0') { /* the CLI's AutoModeRecognition */
		if (idn > 0 && secn > 0)
			snprintf(mode, sizeof(mode), "%s",
				 arnn	    ? "RamRoleArn"
				 : tokn > 0 ? "StsToken"
					    : "AK");
		else if (idn > 0 || secn > 0)
			snprintf(mode, sizeof(mode), "AK");
		else if (rolen > 0)
			snprintf(mode, sizeof(mode), "EcsRamRole");
		else {
			*kind = FOUND_EMPTY;
			snprintf(why, why_cap, "profile '%s' has no credentials", shown);
			return err_set(err, ECS_E_CREDS, "%s: profile '%s' has no credentials",
				       path, shown);
		}
	}
	if (ieqn(mode, strlen(mode), "AK") || ieqn(mode, strlen(mode), "StsToken")) {
		int sts = ieqn(mode, strlen(mode), "StsToken");
		const char *missing = NULL;

		if (idn == 0 && secn == 0 && (!sts || tokn == 0)) {
			/* `aliyun configure` leaves an empty "default" AK profile behind. */
			*kind = FOUND_EMPTY;
			snprintf(why, why_cap, "profile '%s' has no credentials", shown);
			return err_set(err, ECS_E_CREDS, "%s: profile '%s' has no credentials",
				       path, shown);
		}
		if (idn == 0)
			missing = "access_key_id";
		else if (secn == 0)
			missing = "access_key_secret";
		else if (sts && tokn == 0)
			missing = "sts_token";
		if (missing != NULL)
			return err_set(err, ECS_E_CREDS, "%s: profile '%s' (mode %s) has no %s",
				       path, shown, sts ? "StsToken" : "AK", missing);
		if (!sts)
			wipe(c->token, sizeof(c->token));
		snprintf(c->source, sizeof(c->source), "%s profile '%s' (%s)", path, shown,
			 sts ? "StsToken" : "AK");
		*kind = FOUND_KEYS;
		return ECS_OK;
	}
	if (ieqn(mode, strlen(mode), "EcsRamRole")) {
		wipe_secrets(c);
		if (rolen > 0 && !role_ok(role, rolen))
			return err_set(err, ECS_E_INPUT,
				       "%s: profile '%s': ram_role_name is not a RAM role name "
				       "(letters, digits, '-', '_', '.'; at most 64)",
				       path, shown);
		st = put_role(role, rolen, ram_role, ram_role_cap, err);
		if (st != ECS_OK)
			return st;
		snprintf(c->source, sizeof(c->source), "%s profile '%s' (EcsRamRole)", path, shown);
		*kind = FOUND_ROLE;
		return ECS_OK;
	}
	return unsupported_mode(&x, mode);
}

ecs_status creds_parse_cli_config(const char *buf, size_t len, const char *profile,
				  const char *path_for_msgs, creds *c, char *ram_role,
				  size_t ram_role_cap, ecs_err *err)
{
	char why[WHY_MAX];
	found_kind kind;
	ecs_status st;

	creds_wipe(c);
	if (ram_role != NULL && ram_role_cap > 0)
		ram_role[0] = '\0';
	st = parse_cli_config(buf, len, profile, path_for_msgs, c, ram_role, ram_role_cap, &kind,
			      why, sizeof(why), err);
	if (st != ECS_OK) {
		creds_wipe(c);
		if (ram_role != NULL && ram_role_cap > 0)
			ram_role[0] = '\0';
	}
	return st;
}

/* ---- ~/.alibabacloud/credentials (INI) ---- */

static int is_blank(char ch)
{
	return ch == ' ' || ch == '\t';
}

static void trim(const char **s, size_t *n)
{
	while (*n > 0 && is_blank((*s)[0])) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && is_blank((*s)[*n - 1]))
		(*n)--;
}

typedef struct {
	const char *path;
	unsigned line;
	const char *sect; /* printable section name */
	ecs_err *err;
} ini_ctx;

static ecs_status ini_store(const ini_ctx *x, const char *key, const char *v, size_t n, char *out,
			    size_t cap, size_t *out_n)
{
	if (n >= cap)
		return err_set(x->err, ECS_E_INPUT, "%s:%u: %s is longer than %zu bytes", x->path,
			       x->line, key, cap - 1);
	if (has_ctl(v, n))
		return err_set(x->err, ECS_E_INPUT, "%s:%u: %s contains a control character",
			       x->path, x->line, key);
	wipe(out, cap);
	memcpy(out, v, n);
	*out_n = n;
	return ECS_OK;
}

/* The value part of "key = value": surrounding quotes removed, or for an unquoted value an
 * inline comment (" #..." / " ;...") cut off. */
static ecs_status ini_value(const ini_ctx *x, const char **v, size_t *n)
{
	const char *s = *v;
	size_t len = *n, i;

	trim(&s, &len);
	if (len > 0 && (s[0] == '"' || s[0] == '\'')) {
		const char *close = memchr(s + 1, s[0], len - 1);
		const char *rest;
		size_t rn;

		if (close == NULL)
			return err_set(x->err, ECS_E_INPUT, "%s:%u: unterminated quoted value",
				       x->path, x->line);
		rest = close + 1;
		rn = (size_t)(s + len - rest);
		trim(&rest, &rn);
		if (rn > 0 && rest[0] != '#' && rest[0] != ';')
			return err_set(x->err, ECS_E_INPUT, "%s:%u: text after the closing quote",
				       x->path, x->line);
		*v = s + 1;
		*n = (size_t)(close - (s + 1));
		return ECS_OK;
	}
	for (i = 1; i < len; i++)
		if ((s[i] == '#' || s[i] == ';') && is_blank(s[i - 1])) {
			len = i;
			break;
		}
	trim(&s, &len);
	*v = s;
	*n = len;
	return ECS_OK;
}

static ecs_status parse_ini(const char *buf, size_t len, const char *section, const char *path,
			    creds *c, char *ram_role, size_t ram_role_cap, found_kind *kind,
			    char *why, size_t why_cap, ecs_err *err)
{
	const char *want = (section != NULL && section[0] != '\0') ? section : "default";
	size_t want_len = strlen(want), pos = 0, idn = 0, secn = 0, tokn = 0, rolen = 0;
	size_t typen = 0, regn = 0;
	char shown[64], type[32], role[72], region[CREDS_REGION_MAX];
	int in_want = 0, found = 0, type_set = 0, role_set = 0;
	ini_ctx x;
	ecs_status st;

	*kind = FOUND_NONE;
	why[0] = '\0';
	type[0] = role[0] = region[0] = '\0';
	show(shown, sizeof(shown), want, want_len);
	x.path = path;
	x.line = 0;
	x.sect = shown;
	x.err = err;
	if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
		pos = 3;
	while (pos < len) {
		const char *l = buf + pos, *eol = memchr(l, '\n', len - pos), *eq;
		size_t n = eol != NULL ? (size_t)(eol - l) : len - pos;

		pos += n + (eol != NULL);
		x.line++;
		if (memchr(l, '\0', n) != NULL)
			return err_set(err, ECS_E_INPUT, "%s:%u: NUL byte", path, x.line);
		if (n > 0 && l[n - 1] == '\r')
			n--;
		trim(&l, &n);
		if (n == 0 || l[0] == '#' || l[0] == ';')
			continue;
		if (l[0] == '[') {
			const char *close = memchr(l, ']', n), *name = l + 1, *rest;
			size_t nn, rn;

			if (close == NULL)
				return err_set(err, ECS_E_INPUT,
					       "%s:%u: unterminated section header (no ']')", path,
					       x.line);
			nn = (size_t)(close - name);
			trim(&name, &nn);
			rest = close + 1;
			rn = (size_t)(l + n - rest);
			trim(&rest, &rn);
			if (nn == 0)
				return err_set(err, ECS_E_INPUT, "%s:%u: empty section name", path,
					       x.line);
			if (rn > 0 && rest[0] != '#' && rest[0] != ';')
				return err_set(err, ECS_E_INPUT,
					       "%s:%u: text after the section header", path,
					       x.line);
			in_want = nn == want_len && memcmp(name, want, nn) == 0;
			found |= in_want;
			continue;
		}
		/* Like go-ini (the SDKs' parser): the first '=' or ':' separates key and value. */
		for (eq = l; eq < l + n && *eq != '=' && *eq != ':'; eq++)
			;
		if (eq == l + n)
			return err_set(err, ECS_E_INPUT,
				       "%s:%u: expected 'key = value' or '[section]'", path,
				       x.line);
		{
			const char *k = l, *v = eq + 1;
			size_t kn = (size_t)(eq - l), vn = (size_t)(l + n - v);

			trim(&k, &kn);
			if (kn == 0)
				return err_set(err, ECS_E_INPUT, "%s:%u: empty key before '%c'",
					       path, x.line, *eq);
			st = ini_value(&x, &v, &vn);
			if (st != ECS_OK)
				return st;
			if (!in_want)
				continue;
			st = ECS_OK;
			if (eqn(k, kn, "type")) {
				/* a long type is simply unknown: keep its start for the message */
				st = ini_store(&x, "type", v,
					       vn < sizeof(type) ? vn : sizeof(type) - 1, type,
					       sizeof(type), &typen);
				type_set = 1;
			} else if (eqn(k, kn, "access_key_id"))
				st = ini_store(&x, "access_key_id", v, vn, c->key_id,
					       sizeof(c->key_id), &idn);
			else if (eqn(k, kn, "access_key_secret"))
				st = ini_store(&x, "access_key_secret", v, vn, c->secret,
					       sizeof(c->secret), &secn);
			else if (eqn(k, kn, "security_token"))
				st = ini_store(&x, "security_token", v, vn, c->token,
					       sizeof(c->token), &tokn);
			else if (eqn(k, kn, "role_name")) {
				role_set = 1;
				if (vn > 0 && !role_ok(v, vn))
					return err_set(
						err, ECS_E_INPUT,
						"%s:%u: role_name is not a RAM role name "
						"(letters, digits, '-', '_', '.'; at most 64)",
						path, x.line);
				st = ini_store(&x, "role_name", v, vn, role, sizeof(role), &rolen);
			} else if (eqn(k, kn, "region_id") || eqn(k, kn, "region"))
				st = ini_store(&x, "region_id", v, vn, region, sizeof(region),
					       &regn);
			if (st != ECS_OK)
				return st;
		}
	}
	if (!found) {
		*kind = FOUND_ABSENT;
		snprintf(why, why_cap, "no [%s] section", shown);
		return err_set(err, ECS_E_CREDS, "%s has no [%s] section", path, shown);
	}
	memcpy(c->region, region, regn + 1);
	if (!type_set || typen == 0) { /* inferred, like config.json */
		if (idn > 0 || secn > 0)
			snprintf(type, sizeof(type), "%s", tokn > 0 ? "sts" : "access_key");
		else if (role_set)
			snprintf(type, sizeof(type), "ecs_ram_role");
		else {
			*kind = FOUND_EMPTY;
			snprintf(why, why_cap, "[%s] has no credentials", shown);
			return err_set(err, ECS_E_CREDS, "%s: [%s] has no credentials", path,
				       shown);
		}
		typen = strlen(type);
	}
	if (ieqn(type, typen, "access_key") || ieqn(type, typen, "sts")) {
		int sts = ieqn(type, typen, "sts");
		const char *missing = idn == 0		 ? "access_key_id"
				      : secn == 0	 ? "access_key_secret"
				      : sts && tokn == 0 ? "security_token"
							 : NULL;
		if (missing != NULL)
			return err_set(err, ECS_E_CREDS, "%s: [%s] (type %s) has no %s", path,
				       shown, sts ? "sts" : "access_key", missing);
		if (!sts)
			wipe(c->token, sizeof(c->token));
		snprintf(c->source, sizeof(c->source), "%s [%s] (%s)", path, shown,
			 sts ? "sts" : "access_key");
		*kind = FOUND_KEYS;
		return ECS_OK;
	}
	if (ieqn(type, typen, "ecs_ram_role")) {
		wipe_secrets(c);
		st = put_role(role, rolen, ram_role, ram_role_cap, err);
		if (st != ECS_OK)
			return st;
		snprintf(c->source, sizeof(c->source), "%s [%s] (ecs_ram_role)", path, shown);
		*kind = FOUND_ROLE;
		return ECS_OK;
	}
	{
		static const char *const known[] = {
			"ram_role_arn",	   "oidc_role_arn",	     "rsa_key_pair", "bearer",
			"credentials_uri", "chainable_ram_role_arn", "cloud_sso",    "oauth"};
		char t[48];
		size_t i;

		show(t, sizeof(t), type, typen);
		for (i = 0; i < NELEM(known); i++)
			if (ieqn(type, typen, known[i]))
				return err_set(err, ECS_E_CREDS,
					       "%s: [%s] uses type '%s', which ecs-ca-status does "
					       "not support; use access_key, sts or ecs_ram_role",
					       path, shown, t);
		return err_set(
			err, ECS_E_CREDS,
			"%s: [%s] has unknown type '%s'; use access_key, sts or ecs_ram_role", path,
			shown, t);
	}
}

ecs_status creds_parse_ini(const char *buf, size_t len, const char *section,
			   const char *path_for_msgs, creds *c, char *ram_role, size_t ram_role_cap,
			   ecs_err *err)
{
	char why[WHY_MAX];
	found_kind kind;
	ecs_status st;

	creds_wipe(c);
	if (ram_role != NULL && ram_role_cap > 0)
		ram_role[0] = '\0';
	st = parse_ini(buf, len, section, path_for_msgs, c, ram_role, ram_role_cap, &kind, why,
		       sizeof(why), err);
	if (st != ECS_OK) {
		creds_wipe(c);
		if (ram_role != NULL && ram_role_cap > 0)
			ram_role[0] = '\0';
	}
	return st;
}

/* ---- the metadata service's credentials document ---- */

static ecs_status meta_str(const json_doc *d, const char *key, char *out, size_t cap, ecs_err *err)
{
	int i = json_get(d, 0, key);
	size_t n = 0;
	ecs_status st;

	if (i < 0 || json_is_null(d, i))
		return err_set(err, ECS_E_CREDS, "the metadata service's answer has no %s", key);
	if (!json_is_string(d, i))
		return err_set(err, ECS_E_PROTO,
			       "the metadata service's answer: %s is not a string", key);
	st = json_string(d, i, out, cap, &n);
	if (st != ECS_OK) {
		wipe(out, cap);
		if (st == ECS_E_NOSPACE)
			return err_set(err, ECS_E_NOSPACE,
				       "%s from the metadata service is longer than %zu bytes", key,
				       cap - 1);
		return err_set(err, ECS_E_PROTO,
			       "the metadata service's answer: %s has a bad escape", key);
	}
	if (n == 0)
		return err_set(err, ECS_E_CREDS, "the metadata service's answer has an empty %s",
			       key);
	if (has_ctl(out, n)) {
		wipe(out, cap);
		return err_set(err, ECS_E_PROTO,
			       "the metadata service's answer: %s contains a control character",
			       key);
	}
	return ECS_OK;
}

static ecs_status parse_metadata(const char *buf, size_t len, int64_t now_unix, creds *c,
				 ecs_err *err)
{
	jsmntok_t toks[META_JSON_TOKENS];
	char code[48], shown[48], exp[24], now_s[32];
	int64_t exp_t;
	json_doc d;
	ecs_err jerr;
	ecs_status st;
	int i;

	if (json_parse(&d, buf, len, toks, META_JSON_TOKENS, &jerr) != ECS_OK)
		return err_set(err, ECS_E_PROTO,
			       "the metadata service's answer is not valid JSON: %s", jerr.msg);
	if (d.ntok < 1 || d.tok[0].type != JSMN_OBJECT)
		return err_set(err, ECS_E_PROTO,
			       "the metadata service's answer is not a JSON object");
	i = json_get(&d, 0, "Code");
	if (i < 0 || !json_is_string(&d, i))
		return err_set(err, ECS_E_CREDS, "the metadata service's answer has no Code");
	if (!json_eq(&d, i, "Success")) {
		size_t n = 0;
		if (json_string(&d, i, code, sizeof(code), &n) != ECS_OK) {
			memcpy(code, "?", 2);
			n = 1;
		}
		return err_set(err, ECS_E_CREDS, "the metadata service answered Code '%s'",
			       show(shown, sizeof(shown), code, n));
	}
	if ((st = meta_str(&d, "AccessKeyId", c->key_id, sizeof(c->key_id), err)) != ECS_OK ||
	    (st = meta_str(&d, "AccessKeySecret", c->secret, sizeof(c->secret), err)) != ECS_OK ||
	    (st = meta_str(&d, "SecurityToken", c->token, sizeof(c->token), err)) != ECS_OK)
		return st;
	i = json_get(&d, 0, "Expiration");
	if (i < 0 || json_is_null(&d, i))
		return err_set(err, ECS_E_CREDS, "the metadata service's answer has no Expiration");
	{
		size_t n = 0;
		if (!json_is_string(&d, i) || json_string(&d, i, exp, sizeof(exp), &n) != ECS_OK ||
		    creds_parse_time(exp, n, &exp_t) != 0) {
			char raw[40];
			int rn = d.tok[i].end - d.tok[i].start;
			show(raw, sizeof(raw), d.js + d.tok[i].start, rn > 0 ? (size_t)rn : 0);
			return err_set(err, ECS_E_PROTO,
				       "the metadata service's answer: Expiration '%s' is not "
				       "YYYY-MM-DDThh:mm:ssZ",
				       raw);
		}
	}
	if (exp_t <= now_unix) {
		sign_format_time(now_unix, now_s);
		return err_set(err, ECS_E_CREDS,
			       "credentials from the metadata service expired at %s (local clock: "
			       "%s)",
			       exp, now_s);
	}
	return ECS_OK;
}

ecs_status creds_parse_metadata(const char *buf, size_t len, int64_t now_unix, creds *c,
				ecs_err *err)
{
	ecs_status st;

	wipe_secrets(c);
	st = parse_metadata(buf, len, now_unix, c, err);
	if (st != ECS_OK)
		wipe_secrets(c);
	return st;
}

/* ---- the chain ---- */

/* First non-empty variable of names; *which gets its name. */
static const char *env_first(const char *const *names, size_t n, const char **which)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const char *v = port_getenv(names[i]);
		if (v != NULL && v[0] != '\0') {
			*which = names[i];
			return v;
		}
	}
	*which = names[0];
	return NULL;
}

static int env_true(const char *name)
{
	const char *v = port_getenv(name);

	return v != NULL && ieqn(v, strlen(v), "true");
}

static ecs_status env_copy(const char *var, const char *v, char *out, size_t cap, ecs_err *err)
{
	size_t n = strlen(v);

	if (n >= cap)
		return err_set(err, ECS_E_INPUT, "%s is longer than %zu bytes", var, cap - 1);
	if (has_ctl(v, n))
		return err_set(err, ECS_E_INPUT,
			       "%s contains a control character (a stray CR or newline?)", var);
	memcpy(out, v, n + 1);
	return ECS_OK;
}

/* The reasons of the sources tried, for the final "no credentials" message. */
typedef struct {
	char why[STEPS][WHY_MAX];
	size_t n;
} tried;

static void tried_add(tried *t, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 2, 3)))
#endif
	;

static void tried_add(tried *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->n >= STEPS)
		return;
	va_start(ap, fmt);
	n = vsnprintf(t->why[t->n], WHY_MAX, fmt, ap);
	va_end(ap);
	if (n >= WHY_MAX)
		memcpy(t->why[t->n] + WHY_MAX - 4, "...", 4);
	t->n++;
}

/* A path for a message, at most PATH_SHOWN bytes: a long one loses its middle. */
#define PATH_SHOWN 96
static const char *short_path(char *dst, size_t cap, const char *p)
{
	size_t n = strlen(p), head = (PATH_SHOWN - 3) / 2, tail = PATH_SHOWN - 3 - head;

	if (n <= PATH_SHOWN || cap <= PATH_SHOWN) {
		snprintf(dst, cap, "%s", p);
		return dst;
	}
	memcpy(dst, p, head);
	memcpy(dst + head, "...", 3);
	memcpy(dst + head + 3, p + n - tail, tail + 1);
	return dst;
}

/* "no credentials found: A; B; C. Set ..." within ECS_ERR_MSG_MAX: the longest reasons are
 * shortened first, with "...". */
static ecs_status no_creds(tried *t, ecs_err *err)
{
	static const char head[] = "no credentials found: ";
	static const char tail[] = ". Set ALIBABA_CLOUD_ACCESS_KEY_ID and "
				   "ALIBABA_CLOUD_ACCESS_KEY_SECRET, or see --help.";
	char list[ECS_ERR_MSG_MAX];
	size_t budget = ECS_ERR_MSG_MAX - 1 - (sizeof(head) - 1) - (sizeof(tail) - 1), total, i;
	size_t o = 0;

	for (;;) {
		size_t longest = 0, li = 0;
		total = 0;
		for (i = 0; i < t->n; i++) {
			size_t l = strlen(t->why[i]);
			total += l + (i > 0 ? 2 : 0);
			if (l > longest) {
				longest = l;
				li = i;
			}
		}
		if (total <= budget || longest <= 24)
			break;
		{
			size_t cut = longest - (total - budget) - 3;
			if (total - budget + 3 > longest - 24)
				cut = 21;
			memcpy(t->why[li] + cut, "...", 4);
		}
	}
	list[0] = '\0';
	for (i = 0; i < t->n; i++) {
		int w = snprintf(list + o, sizeof(list) - o, "%s%s", i > 0 ? "; " : "", t->why[i]);
		if (w < 0 || (size_t)w >= sizeof(list) - o)
			break;
		o += (size_t)w;
	}
	return err_set(err, ECS_E_CREDS, "%s%s%s", head, list, tail);
}

typedef struct {
	char host[ECS_HOST_MAX];
	uint16_t port;
	char hosthdr[ECS_HOST_MAX + 8]; /* Host header value */
} meta_target;

/* ECS_CA_STATUS_METADATA_ENDPOINT: "host", "host:port" or "[v6]:port". */
static ecs_status meta_endpoint(meta_target *m, ecs_err *err)
{
	static const char var[] = "ECS_CA_STATUS_METADATA_ENDPOINT";
	const char *v = port_getenv(var), *h, *ps = NULL;
	size_t hn, i;
	unsigned long port = META_PORT;
	int v6 = 0;

	if (v == NULL || v[0] == '\0') {
		memcpy(m->host, META_HOST, sizeof(META_HOST));
		m->port = META_PORT;
		memcpy(m->hosthdr, META_HOST, sizeof(META_HOST));
		return ECS_OK;
	}
	h = v;
	if (v[0] == '[') {
		const char *close = strchr(v, ']');
		if (close == NULL)
			return err_set(err, ECS_E_INPUT, "%s: missing ']'", var);
		h = v + 1;
		hn = (size_t)(close - h);
		if (close[1] == ':')
			ps = close + 2;
		else if (close[1] != '\0')
			return err_set(err, ECS_E_INPUT, "%s: expected host:port", var);
		v6 = 1;
	} else {
		const char *colon = strrchr(v, ':');
		if (colon != NULL && strchr(v, ':') != colon)
			return err_set(err, ECS_E_INPUT, "%s: write an IPv6 address as [addr]:port",
				       var);
		hn = colon != NULL ? (size_t)(colon - v) : strlen(v);
		if (colon != NULL)
			ps = colon + 1;
	}
	if (hn == 0 || hn >= sizeof(m->host))
		return err_set(err, ECS_E_INPUT, "%s: empty or too long host", var);
	for (i = 0; i < hn; i++)
		if ((unsigned char)h[i] <= 0x20 || (unsigned char)h[i] >= 0x7f || h[i] == '/' ||
		    h[i] == '@')
			return err_set(err, ECS_E_INPUT, "%s: bad character in host", var);
	if (ps != NULL) {
		port = 0;
		if (*ps == '\0' || strlen(ps) > 5)
			return err_set(err, ECS_E_INPUT, "%s: bad port", var);
		for (; *ps != '\0'; ps++) {
			if (*ps < '0' || *ps > '9')
				return err_set(err, ECS_E_INPUT, "%s: bad port", var);
			port = port * 10 + (unsigned long)(*ps - '0');
		}
		if (port == 0 || port > 65535)
			return err_set(err, ECS_E_INPUT, "%s: bad port", var);
	}
	memcpy(m->host, h, hn);
	m->host[hn] = '\0';
	m->port = (uint16_t)port;
	if (port == 80)
		snprintf(m->hosthdr, sizeof(m->hosthdr), "%s%s%s", v6 ? "[" : "", m->host,
			 v6 ? "]" : "");
	else
		snprintf(m->hosthdr, sizeof(m->hosthdr), "%s%s%s:%lu", v6 ? "[" : "", m->host,
			 v6 ? "]" : "", port);
	return ECS_OK;
}

/* Everything one metadata conversation needs; wiped as a whole at the end. */
typedef struct {
	conn cn;
	http_resp r;
	char hdr[META_HDR_MAX];
	char body[META_BODY_MAX];
	char req[ECS_TOKEN_MAX + 1024];
	char mtoken[ECS_TOKEN_MAX]; /* the metadata token: a secret */
	char role[CREDS_ROLE_MAX];
} meta_session;

/* One request over the session's connection. *status gets the HTTP status. */
static ecs_status meta_call(meta_session *s, const meta_target *m, const char *method,
			    const char *target, int with_ttl, int *status, ecs_err *err)
{
	http_header h[3];
	size_t nh = 0, len = 0;
	ecs_status st;

	h[nh].name = "Host";
	h[nh++].value = m->hosthdr;
	h[nh].name = "User-Agent";
	h[nh++].value = "ecs-ca-status";
	if (with_ttl) {
		h[nh].name = "X-aliyun-ecs-metadata-token-ttl-seconds";
		h[nh++].value = "21600";
	} else if (s->mtoken[0] != '\0') {
		h[nh].name = "X-aliyun-ecs-metadata-token";
		h[nh++].value = s->mtoken;
	}
	st = http_write_request(s->req, sizeof(s->req), &len, method, target, h, nh, NULL, 0, err);
	if (st != ECS_OK)
		return st;
	wipe(s->body, sizeof(s->body));
	http_resp_init(&s->r, s->hdr, sizeof(s->hdr), s->body, sizeof(s->body), 0);
	st = conn_exchange(&s->cn, s->req, len, &s->r, NULL, err);
	wipe(s->req, sizeof(s->req));
	if (st != ECS_OK)
		return st;
	*status = s->r.status;
	return ECS_OK;
}

/* A short reason for a failed exchange, for the tried list. */
static void net_reason(const meta_session *s, ecs_status st, const ecs_err *e, char *why,
		       size_t cap)
{
	const char *m = e->msg, *p;

	if (s->cn.connects == 0) {
		if (st == ECS_E_TIMEOUT) {
			snprintf(why, cap, "could not connect: timed out");
			return;
		}
		p = strrchr(m, ':');
		if (st != ECS_E_DNS && p != NULL && p[1] == ' ') {
			size_t n = strlen(p + 2);
			if (n > 0 && p[2 + n - 1] == ')')
				n--;
			snprintf(why, cap, "could not connect: %.*s", (int)n, p + 2);
			return;
		}
		snprintf(why, cap, "could not connect: %s", m);
		return;
	}
	if (st == ECS_E_TIMEOUT) {
		snprintf(why, cap, "no answer within %u ms (timed out)", (unsigned)META_READ_MS);
		return;
	}
	snprintf(why, cap, "%s", m);
}

static ecs_status meta_fetch(meta_session *s, const meta_target *m, const char *role_req,
			     const creds_opts *o, creds *c, char *why, size_t why_cap)
{
	conn_opts co;
	ecs_err e;
	ecs_status st;
	int status = 0;
	char target[sizeof(META_CRED_PATH) + CREDS_ROLE_MAX];

	memset(&co, 0, sizeof(co));
	memcpy(co.host, m->host, strlen(m->host) + 1);
	co.port = m->port;
	co.tls = 0;
	co.use_proxy = 0; /* never proxied */
	co.connect_timeout_ms = META_CONNECT_MS;
	co.read_timeout_ms = META_READ_MS;
	if (o != NULL) {
		co.trace = o->trace;
		co.trace_ctx = o->ctx;
	}
	conn_init(&s->cn, &co);

	/* Hardened mode: a session token first. */
	st = meta_call(s, m, "PUT", "/latest/api/token", 1, &status, &e);
	if (st != ECS_OK && (s->cn.connects == 0 || st == ECS_E_TIMEOUT)) {
		/* not there, or there but mute: asking again would only wait again */
		net_reason(s, st, &e, why, why_cap);
		return ECS_E_CREDS;
	}
	if (st == ECS_OK && status == 200 && s->r.body_len > 0 &&
	    s->r.body_len < sizeof(s->mtoken)) {
		size_t i;
		for (i = 0; i < s->r.body_len; i++)
			if ((unsigned char)s->body[i] <= 0x20 || (unsigned char)s->body[i] >= 0x7f)
				break;
		if (i == s->r.body_len) {
			memcpy(s->mtoken, s->body, i);
			s->mtoken[i] = '\0';
		}
	}
	wipe(s->body, sizeof(s->body));
	if (s->mtoken[0] == '\0') {
		char r[120];
		if (st != ECS_OK)
			net_reason(s, st, &e, r, sizeof(r));
		else if (status != 200)
			snprintf(r, sizeof(r), "HTTP %d", status);
		else
			snprintf(r, sizeof(r), "unusable token");
		if (env_true("ALIBABA_CLOUD_IMDSV1_DISABLED")) {
			snprintf(why, why_cap,
				 "no metadata token (%s) and ALIBABA_CLOUD_IMDSV1_DISABLED=true",
				 r);
			return ECS_E_CREDS;
		}
		emit(o, 0, "creds: metadata token request failed (%s); continuing without a token",
		     r);
	} else {
		emit(o, 0, "creds: got a metadata token (hardened mode)");
	}

	/* The role: asked for, or the instance's first one. */
	if (role_req != NULL && role_req[0] != '\0') {
		memcpy(s->role, role_req, strlen(role_req) + 1);
	} else {
		const char *p = s->body, *end;
		size_t n;

		st = meta_call(s, m, "GET", META_CRED_PATH, 0, &status, &e);
		if (st != ECS_OK) {
			net_reason(s, st, &e, why, why_cap);
			return ECS_E_CREDS;
		}
		if (status == 404) {
			/* A real metadata service hands out tokens; something else answering on
			 * the address (a transparent proxy) 404s both. */
			snprintf(
				why, why_cap, "%s",
				s->mtoken[0] != '\0'
					? "no RAM role attached to this instance"
					: "HTTP 404: not an ECS instance, or no RAM role attached");
			return ECS_E_CREDS;
		}
		if (status != 200) {
			snprintf(why, why_cap, "listing RAM roles: HTTP %d%s", status,
				 status == 401 ? " (a metadata token is required)" : "");
			return ECS_E_CREDS;
		}
		end = memchr(p, '\n', s->r.body_len);
		n = end != NULL ? (size_t)(end - p) : s->r.body_len;
		while (n > 0 && (p[n - 1] == '\r' || is_blank(p[n - 1])))
			n--;
		while (n > 0 && is_blank(*p)) {
			p++;
			n--;
		}
		if (n == 0) {
			snprintf(why, why_cap, "no RAM role attached to this instance");
			return ECS_E_CREDS;
		}
		if (!role_ok(p, n)) {
			snprintf(why, why_cap,
				 "the role name it lists is not a valid RAM role name");
			return ECS_E_CREDS;
		}
		memcpy(s->role, p, n);
		s->role[n] = '\0';
		emit(o, 0, "creds: instance RAM role '%s'", s->role);
	}

	snprintf(target, sizeof(target), "%s%s", META_CRED_PATH, s->role);
	st = meta_call(s, m, "GET", target, 0, &status, &e);
	if (st != ECS_OK) {
		net_reason(s, st, &e, why, why_cap);
		return ECS_E_CREDS;
	}
	if (status == 404) {
		snprintf(why, why_cap, "RAM role '%s' is not attached to this instance", s->role);
		return ECS_E_CREDS;
	}
	if (status != 200) {
		snprintf(why, why_cap, "credentials of role '%s': HTTP %d%s", s->role, status,
			 status == 401 ? " (a metadata token is required)" : "");
		return ECS_E_CREDS;
	}
	st = creds_parse_metadata(s->body, s->r.body_len, port_time_unix(), c, &e);
	if (st != ECS_OK) {
		snprintf(why, why_cap, "role '%s': %s", s->role, e.msg);
		return ECS_E_CREDS;
	}
	snprintf(c->source, sizeof(c->source), "ECS RAM role '%s' via %s", s->role, m->host);
	return ECS_OK;
}

/* Runs meta_fetch with a session on the stack and wipes all of it afterwards. */
static ecs_status meta_creds(const meta_target *m, const char *role_req, const creds_opts *o,
			     creds *c, char *why, size_t why_cap)
{
	meta_session s;
	ecs_status st;

	memset(&s, 0, sizeof(s));
	st = meta_fetch(&s, m, role_req, o, c, why, why_cap);
	conn_close(&s.cn);
	wipe(&s, sizeof(s));
	if (st != ECS_OK)
		wipe_secrets(c);
	return st;
}

/* Where a file is and what happened to it. */
typedef struct {
	char path[ECS_PATH_MAX];
	int have_path;
	int read;	    /* file read and parsed */
	int profile_absent; /* read, but no such profile / section */
	char why[WHY_MAX];
} file_step;

static ecs_status file_path(file_step *f, const char *override_var, const char *home,
			    const char *rel, ecs_err *err)
{
	const char *v = port_getenv(override_var);
	int n;

	f->have_path = 0;
	if (v != NULL && v[0] != '\0')
		n = snprintf(f->path, sizeof(f->path), "%s", v);
	else if (home != NULL)
		n = snprintf(f->path, sizeof(f->path), "%s/%s", home, rel);
	else
		return ECS_OK;
	if (n < 0 || (size_t)n >= sizeof(f->path))
		return err_set(err, ECS_E_INPUT, "%s is longer than %zu bytes",
			       v != NULL && v[0] != '\0' ? override_var : "the path under HOME",
			       sizeof(f->path) - 1);
	f->have_path = 1;
	return ECS_OK;
}

/* Reads a credentials file into file_buf. ECS_OK with *len, or ECS_E_CREDS (soft: not found,
 * reason in f->why), or ECS_E_INPUT. */
static ecs_status file_read(file_step *f, const creds_opts *o, size_t *len, ecs_err *err)
{
	char detail[128];
	unsigned mode = 0;
	port_status ps;

	ps = port_read_file(f->path, file_buf, sizeof(file_buf), len, &mode, detail,
			    sizeof(detail));
	switch (ps) {
	case PORT_OK:
		break;
	case PORT_E_NOENT:
		snprintf(f->why, sizeof(f->why), "not found");
		emit(o, 0, "creds: %s: not found", f->path);
		return ECS_E_CREDS;
	case PORT_E_TOOBIG:
		wipe(file_buf, sizeof(file_buf));
		return err_set(err, ECS_E_INPUT, "%s is larger than %zu bytes", f->path,
			       sizeof(file_buf));
	case PORT_E_ISDIR:
		return err_set(err, ECS_E_INPUT, "%s is a directory, not a file", f->path);
	case PORT_E_ACCESS:
		return err_set(err, ECS_E_INPUT, "cannot read %s: permission denied", f->path);
	default:
		wipe(file_buf, sizeof(file_buf));
		return err_set(err, ECS_E_INPUT, "cannot read %s: %s", f->path, detail);
	}
	if ((mode & 077u) != 0)
		emit(o, 1, "warning: %s is readable by group/others (mode %04o); run: chmod 600 %s",
		     f->path, mode, f->path);
	emit(o, 0, "creds: read %s (%zu bytes)", f->path, *len);
	return ECS_OK;
}

typedef enum { CFG_JSON, CFG_INI } file_kind;

/* One file step. *kind says what it found; soft failures fill f->why and return ECS_OK with
 * FOUND_NONE. */
static ecs_status file_step_run(file_step *f, file_kind fk, const char *profile,
				const creds_opts *o, creds *c, char *role, size_t role_cap,
				found_kind *kind, ecs_err *err)
{
	size_t len = 0;
	ecs_status st;

	*kind = FOUND_NONE;
	st = file_read(f, o, &len, err);
	if (st == ECS_E_CREDS)
		return ECS_OK;
	if (st != ECS_OK)
		return st;
	f->read = 1;
	if (fk == CFG_JSON)
		st = parse_cli_config(file_buf, len, profile, f->path, c, role, role_cap, kind,
				      f->why, sizeof(f->why), err);
	else
		st = parse_ini(file_buf, len, profile, f->path, c, role, role_cap, kind, f->why,
			       sizeof(f->why), err);
	wipe(file_buf, len);
	if (st != ECS_OK) {
		creds_wipe(c);
		if (st == ECS_E_CREDS && (*kind == FOUND_ABSENT || *kind == FOUND_EMPTY)) {
			/* next source */
			f->profile_absent = *kind == FOUND_ABSENT;
			emit(o, 0, "creds: %s: %s", f->path, f->why);
			*kind = FOUND_NONE;
			return ECS_OK;
		}
		*kind = FOUND_NONE;
		return st;
	}
	return ECS_OK;
}

static ecs_status resolve(creds *c, const creds_opts *o, ecs_err *err)
{
	file_step files[2];
	const char *explicit_prof =
		(o != NULL && o->profile != NULL && o->profile[0] != '\0') ? o->profile : NULL;
	const char *prof = explicit_prof, *prof_var = "--profile", *home = port_home();
	char role[CREDS_ROLE_MAX], shown[64], why[WHY_MAX], sp[PATH_SHOWN + 1];
	const char *role_req = NULL;
	int role_from_file = 0;
	found_kind kind = FOUND_NONE;
	meta_target m;
	tried t;
	ecs_status st;
	size_t i;

	memset(&t, 0, sizeof(t));
	memset(files, 0, sizeof(files));
	role[0] = '\0';
	if (prof == NULL)
		prof = env_first(ENV_PROFILE, NELEM(ENV_PROFILE), &prof_var);
	if (prof != NULL && strlen(prof) >= NAME_MAX_)
		return err_set(err, ECS_E_INPUT, "profile name from %s is longer than %d bytes",
			       prof_var, NAME_MAX_ - 1);
	if (prof != NULL)
		show(shown, sizeof(shown), prof, strlen(prof));

	/* 1. environment */
	if (explicit_prof == NULL) {
		const char *idv, *secv, *tokv;
		const char *id = env_first(ENV_ID, NELEM(ENV_ID), &idv);
		const char *sec = env_first(ENV_SECRET, NELEM(ENV_SECRET), &secv);
		const char *tok = env_first(ENV_TOKEN, NELEM(ENV_TOKEN), &tokv);

		if (id != NULL && sec == NULL)
			return err_set(err, ECS_E_CREDS,
				       "%s is set but ALIBABA_CLOUD_ACCESS_KEY_SECRET is not; set "
				       "both (or neither)",
				       idv);
		if (id == NULL && sec != NULL)
			return err_set(err, ECS_E_CREDS,
				       "%s is set but ALIBABA_CLOUD_ACCESS_KEY_ID is not; set both "
				       "(or neither)",
				       secv);
		if (id != NULL) {
			if ((st = env_copy(idv, id, c->key_id, sizeof(c->key_id), err)) != ECS_OK ||
			    (st = env_copy(secv, sec, c->secret, sizeof(c->secret), err)) !=
				    ECS_OK ||
			    (tok != NULL &&
			     (st = env_copy(tokv, tok, c->token, sizeof(c->token), err)) != ECS_OK))
				return st;
			snprintf(c->source, sizeof(c->source), "environment (%s%s%s)", idv,
				 tok != NULL ? ", " : "", tok != NULL ? tokv : "");
			return ECS_OK;
		}
		tried_add(&t, "environment (ALIBABA_CLOUD_ACCESS_KEY_ID not set)");
		emit(o, 0, "creds: environment: ALIBABA_CLOUD_ACCESS_KEY_ID not set");
	}

	/* 2. and 3. the two files */
	st = file_path(&files[0], "ALIBABA_CLOUD_CONFIG_FILE", home, ".aliyun/config.json", err);
	if (st == ECS_OK)
		st = file_path(&files[1], "ALIBABA_CLOUD_CREDENTIALS_FILE", home,
			       ".alibabacloud/credentials", err);
	if (st != ECS_OK)
		return st;
	for (i = 0; i < 2 && kind == FOUND_NONE; i++) {
		file_step *f = &files[i];
		const char *label =
			i == 0 ? "~/.aliyun/config.json" : "~/.alibabacloud/credentials";

		short_path(sp, sizeof(sp), f->have_path ? f->path : label);
		if (i == 0 && env_true("ALIBABA_CLOUD_CLI_PROFILE_DISABLED")) {
			snprintf(f->why, sizeof(f->why),
				 "skipped: ALIBABA_CLOUD_CLI_PROFILE_DISABLED=true");
			tried_add(&t, "%s (%s)", sp, f->why);
			continue;
		}
		if (!f->have_path) {
			snprintf(f->why, sizeof(f->why), "HOME not set");
			tried_add(&t, "%s (HOME not set)", label);
			continue;
		}
		st = file_step_run(f, i == 0 ? CFG_JSON : CFG_INI, prof, o, c, role, sizeof(role),
				   &kind, err);
		if (st != ECS_OK)
			return st;
		if (kind == FOUND_NONE)
			tried_add(&t, "%s (%s)", sp, f->why);
	}
	if (kind == FOUND_KEYS)
		return ECS_OK;
	if (kind == FOUND_NONE && explicit_prof != NULL) {
		char a[WHY_MAX + PATH_SHOWN + 4], b[WHY_MAX + PATH_SHOWN + 4];
		for (i = 0; i < 2; i++) {
			file_step *f = &files[i];
			const char *label =
				i == 0 ? "~/.aliyun/config.json" : "~/.alibabacloud/credentials";
			char *dst = i == 0 ? a : b;
			short_path(sp, sizeof(sp), f->have_path ? f->path : label);
			if (f->read && f->profile_absent)
				snprintf(dst, sizeof(a), "%s", sp);
			else
				snprintf(dst, sizeof(a), "%s (%s)", sp, f->why);
		}
		return err_set(err, ECS_E_CREDS, "profile '%s' not found in %s or %s", shown, a, b);
	}

	/* 4. the ECS instance RAM role */
	if (kind == FOUND_ROLE) {
		role_from_file = 1;
		role_req = role;
	}
	if (env_true("ALIBABA_CLOUD_ECS_METADATA_DISABLED")) {
		if (role_from_file)
			return err_set(err, ECS_E_CREDS,
				       "%s asks for the ECS RAM role, but "
				       "ALIBABA_CLOUD_ECS_METADATA_DISABLED=true",
				       c->source);
		tried_add(
			&t,
			"ECS metadata service (skipped: ALIBABA_CLOUD_ECS_METADATA_DISABLED=true)");
		return no_creds(&t, err);
	}
	{
		const char *ev = port_getenv("ALIBABA_CLOUD_ECS_METADATA");
		if (ev != NULL && ev[0] != '\0') {
			if (!role_ok(ev, strlen(ev)))
				return err_set(err, ECS_E_INPUT,
					       "ALIBABA_CLOUD_ECS_METADATA is not a RAM role name "
					       "(letters, digits, '-', '_', '.'; at most 64)");
			role_req = ev;
		}
	}
	st = meta_endpoint(&m, err);
	if (st != ECS_OK)
		return st;
	{
		char from[CREDS_SOURCE_MAX], region[CREDS_REGION_MAX];

		memcpy(from, c->source, sizeof(from));
		memcpy(region, c->region, sizeof(region));
		emit(o, 0, "creds: asking the ECS metadata service %s:%u for %s%s%s", m.host,
		     (unsigned)m.port,
		     role_req != NULL && role_req[0] ? "role '" : "the instance role",
		     role_req != NULL && role_req[0] ? role_req : "",
		     role_req != NULL && role_req[0] ? "'" : "");
		st = meta_creds(&m, role_req, o, c, why, sizeof(why));
		if (st == ECS_OK) {
			if (role_from_file) {
				size_t n = strlen(c->source);
				snprintf(c->source + n, sizeof(c->source) - n, ", from %s", from);
				memcpy(c->region, region, sizeof(region));
			}
			return ECS_OK;
		}
		emit(o, 0, "creds: ECS metadata service %s: %s", m.host, why);
		if (role_from_file)
			return err_set(err, ECS_E_CREDS, "%s: ECS metadata service %s: %s", from,
				       m.host, why);
	}
	tried_add(&t, "ECS metadata service %s (%s)", m.host, why);
	return no_creds(&t, err);
}

ecs_status creds_resolve(creds *c, const creds_opts *o, ecs_err *err)
{
	ecs_status st;

	creds_wipe(c);
	st = resolve(c, o, err);
	wipe(file_buf, sizeof(file_buf));
	if (st != ECS_OK) {
		creds_wipe(c);
		return st;
	}
	emit(o, 0, "creds: using %s", c->source);
	return ECS_OK;
}
