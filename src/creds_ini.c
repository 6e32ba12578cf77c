/* Pure parser of the SDKs' ~/.alibabacloud/credentials (INI) into one creds_profile. Key
 * names as credentials-go reads them (credentials/providers/profile.go and its README). */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "creds_int.h"

#define F(k, m) CR_FIELD(creds_profile, k, m)
static const cr_field FIELDS[] = {
	F("access_key_id", key_id),
	F("access_key_secret", secret),
	F("security_token", token),
	F("role_name", ram_role),
	F("region_id", region),
	F("region", region),
	F("role_arn", role.role_arn),
	F("role_session_name", role.session),
	F("policy", role.policy),
	F("oidc_provider_arn", oidc_provider_arn),
	F("oidc_token_file_path", oidc_token_file),
	F("credentials_uri", uri),
};

typedef struct {
	const char *path;
	unsigned line;
	const char *want;
	size_t want_len;
	int in_want, found;
	char type[32];
	ecs_err *err;
} ini_ctx;

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

/* 1 when s[0..n) holds more than blanks and a comment. */
static int has_text(const char *s, size_t n)
{
	trim(&s, &n);
	return n > 0 && s[0] != '#' && s[0] != ';';
}

/* "PATH:LINE: KEY WHAT" (ECS_E_INPUT); key "" for the line itself. */
static ecs_status ini_bad(const ini_ctx *x, const char *key, const char *what)
{
	return err_set(x->err, ECS_E_INPUT, "%s:%u: %s%s", x->path, x->line, key, what);
}

static ecs_status ini_store(const ini_ctx *x, const char *key, const char *v, size_t n, char *out,
			    size_t cap)
{
	if (n >= cap)
		return err_set(x->err, ECS_E_INPUT, "%s:%u: %s is longer than %zu bytes", x->path,
			       x->line, key, cap - 1);
	if (cr_has_ctl(v, n))
		return ini_bad(x, key, CR_HAS_CTL);
	cr_wipe(out, cap);
	memcpy(out, v, n);
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

		if (close == NULL)
			return ini_bad(x, "", "unterminated quoted value");
		if (has_text(close + 1, (size_t)(s + len - close - 1)))
			return ini_bad(x, "", "text after the closing quote");
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

static ecs_status ini_section(ini_ctx *x, const char *l, size_t n)
{
	const char *close = memchr(l, ']', n), *name = l + 1;
	size_t nn;

	if (close == NULL)
		return ini_bad(x, "", "unterminated section header (no ']')");
	nn = (size_t)(close - name);
	trim(&name, &nn);
	if (nn == 0)
		return ini_bad(x, "", "empty section name");
	if (has_text(close + 1, (size_t)(l + n - close - 1)))
		return ini_bad(x, "", "text after the section header");
	x->in_want = nn == x->want_len && memcmp(name, x->want, nn) == 0;
	x->found |= x->in_want;
	return ECS_OK;
}

/* "key = value" (or "key: value", like go-ini): stored when in the wanted section. */
static ecs_status ini_pair(ini_ctx *x, const char *l, size_t n, creds_profile *p)
{
	const char *eq, *k = l, *v;
	size_t kn, vn, i;
	ecs_status st;

	for (eq = l; eq < l + n && *eq != '=' && *eq != ':'; eq++)
		;
	if (eq == l + n)
		return ini_bad(x, "", "expected 'key = value' or '[section]'");
	kn = (size_t)(eq - l);
	v = eq + 1;
	vn = (size_t)(l + n - v);
	trim(&k, &kn);
	if (kn == 0)
		return err_set(x->err, ECS_E_INPUT, "%s:%u: empty key before '%c'", x->path,
			       x->line, *eq);
	if ((st = ini_value(x, &v, &vn)) != ECS_OK || !x->in_want)
		return st;
	if (cr_eqn(k, kn, "type")) /* a long type is simply unknown: keep its start */
		return ini_store(x, "type", v, vn < sizeof(x->type) ? vn : sizeof(x->type) - 1,
				 x->type, sizeof(x->type));
	if (cr_eqn(k, kn, "role_name"))
		p->ram_role_set = 1;
	for (i = 0; i < NELEM(FIELDS); i++)
		if (cr_eqn(k, kn, FIELDS[i].key))
			return ini_store(x, FIELDS[i].key, v, vn, (char *)p + FIELDS[i].off,
					 FIELDS[i].cap);
	return ECS_OK; /* other keys are the SDKs' business */
}

static ecs_status parse_ini(const char *buf, size_t len, ini_ctx *x, creds_profile *p)
{
	size_t pos = 0;
	ecs_status st;

	if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
		pos = 3;
	while (pos < len) {
		const char *l = buf + pos, *eol = memchr(l, '\n', len - pos);
		size_t n = eol != NULL ? (size_t)(eol - l) : len - pos;

		pos += n + (eol != NULL);
		x->line++;
		if (memchr(l, '\0', n) != NULL)
			return ini_bad(x, "", "NUL byte");
		if (n > 0 && l[n - 1] == '\r')
			n--;
		trim(&l, &n);
		if (!has_text(l, n))
			continue;
		st = l[0] == '[' ? ini_section(x, l, n) : ini_pair(x, l, n, p);
		if (st != ECS_OK)
			return st;
	}
	return ECS_OK;
}

ecs_status creds_parse_ini(const char *buf, size_t len, const char *section,
			   const char *path_for_msgs, creds_profile *p, ecs_err *err)
{
	const char *want = (section != NULL && section[0] != '\0') ? section : "default";
	char shown[64];
	ini_ctx x;
	ecs_status st;

	cr_wipe(p, sizeof(*p));
	memset(&x, 0, sizeof(x));
	x.path = path_for_msgs;
	x.want = want;
	x.want_len = strlen(want);
	x.err = err;
	if (x.want_len >= sizeof(p->name))
		return err_set(err, ECS_E_INPUT, "section name longer than %zu bytes",
			       sizeof(p->name) - 1);
	memcpy(p->name, want, x.want_len + 1);
	st = parse_ini(buf, len, &x, p);
	if (st == ECS_OK && !x.found) {
		p->missing = 1;
		st = err_set(err, ECS_E_CREDS, "%s has no [%s] section", path_for_msgs,
			     cr_show(shown, sizeof(shown), want, x.want_len));
	}
	if (st == ECS_OK)
		st = creds_profile_decide(p, x.type, 1, path_for_msgs, err);
	if (st != ECS_OK)
		cr_profile_fail(p);
	return st;
}
