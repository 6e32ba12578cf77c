/* Pure parser of aliyun-cli's ~/.aliyun/config.json into one creds_profile. Field names as
 * aliyun-cli writes them (config/profile.go). */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "creds_int.h"
#include "json.h"

#define F(k, m) CR_FIELD(creds_profile, k, m)
static const cr_field FIELDS[] = {
	F("access_key_id", key_id),
	F("access_key_secret", secret),
	F("sts_token", token),
	F("region_id", region),
	F("ram_role_name", ram_role),
	F("ram_role_arn", role.role_arn),
	F("ram_session_name", role.session),
	F("policy", role.policy),
	F("external_id", role.external_id),
	F("sts_region", role.sts_region),
	F("sts_endpoint", role.sts_endpoint),
	F("source_profile", source_profile),
	F("oidc_provider_arn", oidc_provider_arn),
	F("oidc_token_file", oidc_token_file),
	F("credentials_uri", uri),
	F("process_command", command),
	F("endpoint", settings.endpoint),
	F("endpoint_type", settings.endpoint_type),
};

typedef struct {
	const json_doc *d;
	int obj;
	const char *path;
	const char *prof; /* printable profile name */
	ecs_err *err;
} cfg_ctx;

/* "PATH: profile 'NAME': KEY WHAT" (ECS_E_INPUT). */
static ecs_status cfg_bad(const cfg_ctx *x, const char *key, const char *what)
{
	return err_set(x->err, ECS_E_INPUT, "%s: profile '%s': %s%s", x->path, x->prof, key, what);
}

/* String member key into out: "" when absent or null. Errors name the file, the profile and
 * the key, never the value. */
static ecs_status cfg_str(const cfg_ctx *x, const char *key, char *out, size_t cap)
{
	int i = cr_json_member(x->d, x->obj, key);
	size_t len = 0;
	ecs_status st;

	out[0] = '\0';
	if (i < 0)
		return ECS_OK;
	if (!json_is_string(x->d, i))
		return cfg_bad(x, key, CR_NOT_STRING);
	st = json_string(x->d, i, out, cap, &len);
	if (st == ECS_OK && !cr_has_ctl(out, len))
		return ECS_OK;
	cr_wipe(out, cap);
	if (st == ECS_E_NOSPACE)
		return err_set(x->err, ECS_E_INPUT, "%s: profile '%s': %s is longer than %zu bytes",
			       x->path, x->prof, key, cap - 1);
	return cfg_bad(x, key,
		       st != ECS_OK ? " has a bad escape or a raw control character" : CR_HAS_CTL);
}

/* The numbers: expired_seconds (an integer), read_timeout (or the legacy retry_timeout
 * aliyun-cli still reads), connect_timeout, retry_count (whole numbers); then enable_vpc. */
static const cr_field NUMS[] = {
	F("expired_seconds", role.duration),	   F("read_timeout", settings.read_timeout),
	F("retry_timeout", settings.read_timeout), F("connect_timeout", settings.connect_timeout),
	F("retry_count", settings.retry_count),
};

static ecs_status cfg_numbers(const cfg_ctx *x, creds_profile *p)
{
	size_t k;
	int i;

	for (k = 0; k < NELEM(NUMS); k++) {
		int64_t v;
		i = cr_json_member(x->d, x->obj, NUMS[k].key);
		if (i < 0 || (k == 2 && p->settings.read_timeout > 0))
			continue;
		if (json_is_string(x->d, i) || json_int64(x->d, i, &v) != 0 || (k > 0 && v < 0))
			return cfg_bad(x, NUMS[k].key,
				       k == 0 ? " is not an integer"
					      : " is not a whole number of seconds");
		*(int64_t *)(void *)((char *)p + NUMS[k].off) = v;
	}
	i = cr_json_member(x->d, x->obj, "enable_vpc");
	if (i >= 0 && (json_is_string(x->d, i) || json_bool(x->d, i, &p->role.enable_vpc) != 0))
		return cfg_bad(x, "enable_vpc", " is not a boolean");
	return ECS_OK;
}

/* The name to look for: profile, else "current", else "default". */
static ecs_status cfg_want(const json_doc *d, const char *profile, const char *path, char *want,
			   size_t cap, size_t *want_len, ecs_err *err)
{
	int cur;

	*want_len = 0;
	if (profile != NULL && profile[0] != '\0') {
		*want_len = strlen(profile);
		if (*want_len >= cap)
			return err_set(err, ECS_E_INPUT, "profile name longer than %zu bytes",
				       cap - 1);
		memcpy(want, profile, *want_len + 1);
		return ECS_OK;
	}
	cur = cr_json_member(d, 0, "current");
	if (cur >= 0) {
		if (!json_is_string(d, cur))
			return err_set(err, ECS_E_INPUT, "%s: \"current\" is not a string", path);
		if (json_string(d, cur, want, cap, want_len) != ECS_OK)
			return err_set(
				err, ECS_E_INPUT,
				"%s: \"current\" is not a profile name (bad escape or longer "
				"than %zu bytes)",
				path, cap - 1);
	}
	if (*want_len == 0) {
		memcpy(want, "default", 8);
		*want_len = 7;
	}
	return ECS_OK;
}

/* Index of the first profile named want (every profile must be well-formed, like the CLI
 * checks the whole file); -1 if none. */
static ecs_status cfg_find(const json_doc *d, const char *want, size_t want_len, const char *path,
			   int *obj, ecs_err *err)
{
	char name[CREDS_NAME_MAX];
	int profiles = cr_json_member(d, 0, "profiles"), np = 0, k;

	*obj = -1;
	if (profiles >= 0) {
		if (d->tok[profiles].type != JSMN_ARRAY)
			return err_set(err, ECS_E_INPUT, "%s: \"profiles\" is not an array", path);
		np = json_size(d, profiles);
	}
	for (k = 0; k < np; k++) {
		int p = json_array_at(d, profiles, k), ni;
		size_t nl = 0;

		if (p < 0 || d->tok[p].type != JSMN_OBJECT)
			return err_set(err, ECS_E_INPUT, "%s: profiles[%d] is not an object", path,
				       k);
		ni = cr_json_member(d, p, "name");
		if (ni < 0)
			continue;
		if (!json_is_string(d, ni))
			return err_set(err, ECS_E_INPUT, "%s: profiles[%d]: name is not a string",
				       path, k);
		if (json_string(d, ni, name, sizeof(name), &nl) != ECS_OK)
			continue; /* too long or odd: cannot be the name we look for */
		if (*obj < 0 && nl == want_len && memcmp(name, want, nl) == 0)
			*obj = p;
	}
	return ECS_OK;
}

static ecs_status parse_cfg(const char *buf, size_t len, const char *profile, const char *path,
			    jsmntok_t *toks, unsigned ntoks, creds_profile *p, ecs_err *err)
{
	char want[CREDS_NAME_MAX], shown[64], mode[64];
	size_t want_len = 0, i;
	json_doc d;
	cfg_ctx x;
	int obj;
	ecs_status st;
	ecs_err jerr;

	if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0) { /* a Windows editor's BOM */
		buf += 3;
		len -= 3;
	}
	if (json_parse(&d, buf, len, toks, ntoks, &jerr) != ECS_OK)
		return err_set(err, ECS_E_INPUT, "%s is not valid JSON: %s", path, jerr.msg);
	if (d.ntok < 1 || d.tok[0].type != JSMN_OBJECT)
		return err_set(err, ECS_E_INPUT, "%s: the top level is not a JSON object", path);
	if ((st = cfg_want(&d, profile, path, want, sizeof(want), &want_len, err)) != ECS_OK ||
	    (st = cfg_find(&d, want, want_len, path, &obj, err)) != ECS_OK)
		return st;
	cr_show(shown, sizeof(shown), want, want_len);
	memcpy(p->name, want, want_len + 1);
	if (obj < 0) {
		p->missing = 1;
		return err_set(err, ECS_E_CREDS, "profile '%s' not found in %s", shown, path);
	}
	x.d = &d;
	x.obj = obj;
	x.path = path;
	x.prof = shown;
	x.err = err;
	if ((st = cfg_str(&x, "mode", mode, sizeof(mode))) != ECS_OK)
		return st;
	for (i = 0; i < NELEM(FIELDS); i++) {
		st = cfg_str(&x, FIELDS[i].key, (char *)p + FIELDS[i].off, FIELDS[i].cap);
		if (st != ECS_OK)
			return st;
	}
	if ((st = cfg_numbers(&x, p)) != ECS_OK)
		return st;
	return creds_profile_decide(p, mode, 0, path, err);
}

ecs_status creds_parse_cli_config(const char *buf, size_t len, const char *profile,
				  const char *path_for_msgs, jsmntok_t *toks, unsigned ntoks,
				  creds_profile *p, ecs_err *err)
{
	ecs_status st;

	cr_wipe(p, sizeof(*p));
	st = parse_cfg(buf, len, profile, path_for_msgs, toks, ntoks, p, err);
	if (st != ECS_OK)
		cr_profile_fail(p);
	return st;
}
