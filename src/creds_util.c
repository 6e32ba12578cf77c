/* Helpers shared by the creds_*.c files, and the parsers of temporary-credential answers
 * (metadata service, credentials URI, STS, external process). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "creds_int.h"
#include "json.h"
#include "mbedtls/platform_util.h"
#include "mbedtls/sha256.h"
#include "port.h"
#include "sign.h"

#define TEMP_JSON_TOKENS 96  /* the answers have about a dozen members */
#define REFRESH_MARGIN_S 180 /* credentials-go refreshes 180 s before expiry */

void cr_trace(const creds_opts *o, const char *fmt, ...)
{
	char line[768];
	va_list ap;

	if (o == NULL || o->trace == NULL)
		return;
	memcpy(line, "creds: ", 7);
	va_start(ap, fmt);
	vsnprintf(line + 7, sizeof(line) - 7, fmt, ap);
	va_end(ap);
	o->trace(o->ctx, line);
}

void cr_wipe(void *p, size_t n)
{
	mbedtls_platform_zeroize(p, n);
}

static void secret_fp(const creds *c, const char *s, size_t n, unsigned char out[32])
{
	mbedtls_sha256_context h;

	mbedtls_sha256_init(&h);
	mbedtls_sha256_starts(&h, 0);
	mbedtls_sha256_update(&h, c->secret_salt, sizeof(c->secret_salt));
	mbedtls_sha256_update(&h, (const unsigned char *)s, n);
	mbedtls_sha256_finish(&h, out);
	mbedtls_sha256_free(&h);
}

void creds_redact_secret(const creds *c, char *s, size_t cap)
{
	static const char mark[] = "<redacted>";
	size_t n = strlen(s), i = 0, L = c->secret_len, ml = sizeof(mark) - 1;

	if (!c->sealed || L == 0)
		return;
	while (i + L <= n) {
		unsigned char fp[32];
		secret_fp(c, s + i, L, fp);
		if (memcmp(fp, c->secret_fp, sizeof(fp)) != 0) {
			i++;
			continue;
		}
		if (n - L + ml + 1 > cap) { /* no room for the mark: the secret goes all the same */
			memmove(s + i, s + i + L, n - i - L + 1);
			n -= L;
			continue;
		}
		memmove(s + i + ml, s + i + L, n - i - L + 1);
		memcpy(s + i, mark, ml);
		n = n - L + ml;
		i += ml;
	}
}

ecs_status creds_seal(creds *c, int v1, ecs_err *err)
{
	if (c->sealed)
		return ECS_OK;
	c->secret_len = strlen(c->secret);
	if (port_random(c->secret_salt, sizeof(c->secret_salt)) != PORT_OK)
		return err_set(err, ECS_E_INTERNAL, "no random source");
	secret_fp(c, c->secret, c->secret_len, c->secret_fp);
	if (sign_key_derive(&c->key, v1, c->secret, strlen(c->secret)) != ECS_OK) {
		cr_wipe(c->secret, sizeof(c->secret));
		return err_set(err, ECS_E_CREDS, "the AccessKeySecret is too long to be one");
	}
	cr_wipe(c->secret, sizeof(c->secret));
	c->sealed = 1;
	return ECS_OK;
}

void creds_wipe(creds *c)
{
	if (c != NULL)
		cr_wipe(c, sizeof(*c));
}

void creds_work_wipe(creds_work *w)
{
	if (w != NULL)
		cr_wipe(w, sizeof(*w));
}

void cr_profile_fail(creds_profile *p)
{
	int missing = p->missing;
	char name[CREDS_NAME_MAX];

	memcpy(name, p->name, sizeof(name));
	cr_wipe(p, sizeof(*p));
	p->missing = missing;
	memcpy(p->name, name, sizeof(name));
}

void cr_wipe_secrets(creds *c)
{
	cr_wipe(c->key_id, sizeof(c->key_id));
	cr_wipe(c->secret, sizeof(c->secret));
	cr_wipe(c->token, sizeof(c->token));
	c->expires = 0;
}

static int lower(int ch)
{
	return (ch >= 'A' && ch <= 'Z') ? ch - 'A' + 'a' : ch;
}

int cr_ieqn(const char *s, size_t n, const char *t)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (t[i] == '\0' || lower((unsigned char)s[i]) != lower((unsigned char)t[i]))
			return 0;
	return t[n] == '\0';
}

int cr_eqn(const char *s, size_t n, const char *t)
{
	return strlen(t) == n && memcmp(s, t, n) == 0;
}

int cr_has_ctl(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] == 0x7f)
			return 1;
	return 0;
}

int cr_json_member(const json_doc *d, int obj, const char *key)
{
	int i = json_get(d, obj, key);

	return i >= 0 && json_is_null(d, i) ? -1 : i;
}

const char *cr_show(char *dst, size_t cap, const char *s, size_t n)
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

int cr_role_ok(const char *s, size_t n)
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

#define PATH_SHOWN 96
const char *cr_short_path(char *dst, size_t cap, const char *p)
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

const char *cr_env_first(const char *const *names, size_t n, const char **which)
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

int cr_env_true(const char *name)
{
	const char *v = port_getenv(name);

	return v != NULL && cr_ieqn(v, strlen(v), "true");
}

ecs_status cr_disabled(const char *var, const char *origin, const char *what, ecs_err *err)
{
	if (!cr_env_true(var))
		return ECS_OK;
	return err_set(err, ECS_E_CREDS, "%s %s, but %s=true", origin, what, var);
}

ecs_status cr_env_copy(const char *var, const char *v, char *out, size_t cap, ecs_err *err)
{
	size_t n = strlen(v);

	if (n >= cap)
		return err_set(err, ECS_E_INPUT, "%s is longer than %zu bytes", var, cap - 1);
	if (cr_has_ctl(v, n))
		return err_set(err, ECS_E_INPUT,
			       "%s contains a control character (a stray CR or newline?)", var);
	memcpy(out, v, n + 1);
	return ECS_OK;
}

void cr_plan_refresh(creds *c, int64_t now)
{
	int64_t life, margin;

	if (c->expires <= 0) {
		c->refresh_at = 0;
		return;
	}
	life = c->expires - now;
	margin = life / 2 < REFRESH_MARGIN_S ? life / 2 : REFRESH_MARGIN_S;
	c->refresh_at = c->expires - (margin > 0 ? margin : 0);
}

ecs_status cr_conn_opts(conn_opts *co, const creds_opts *o, const char *host, uint16_t port,
			int flags, ecs_err *err)
{
	size_t n = strlen(host);
	int meta = (flags & CR_META) != 0;

	memset(co, 0, sizeof(*co));
	if (n >= sizeof(co->host))
		return err_set(err, ECS_E_INPUT, "host name longer than %zu bytes",
			       sizeof(co->host) - 1);
	memcpy(co->host, host, n + 1);
	co->port = port;
	co->tls = flags & CR_TLS;
	co->connect_timeout_ms = meta			 ? CR_META_CONNECT_MS
				 : o->connect_timeout_ms ? o->connect_timeout_ms
							 : 5000;
	co->read_timeout_ms = meta		   ? CR_META_READ_MS
			      : o->read_timeout_ms ? o->read_timeout_ms
						   : 10000;
	/* a signed request carries a one-time nonce: never sent twice */
	co->no_resend = !(flags & (CR_RESEND | CR_META));
	co->trace = o->trace;
	co->trace_ctx = o->ctx;
	if (co->tls && o->tls_ready != NULL) {
		ecs_status st = o->tls_ready(o->ctx, err);
		if (st != ECS_OK)
			return st;
	}
	if (meta)
		return ECS_OK;
	return conn_pick_proxy(co, o->proxy, o->no_proxy, err);
}

void cr_hosthdr(char *dst, const char *host, int v6, unsigned port, unsigned dflt)
{
	if (v6 < 0)
		v6 = strchr(host, ':') != NULL;
	snprintf(dst, CR_HOSTHDR_MAX, "%s%s%s:%u", v6 ? "[" : "", host, v6 ? "]" : "", port);
	if (port == dflt) /* it fits: the ':' found is the one just written */
		*strrchr(dst, ':') = '\0';
}

ecs_status cr_request(creds_net *n, const char *method, const char *target, const http_header *h,
		      size_t nh, size_t body_len, ecs_err *err)
{
	conn_req q;

	memset(&q, 0, sizeof(q));
	q.method = method;
	q.target = target;
	q.headers = h;
	q.nheaders = nh;
	if (body_len > 0) {
		q.body = n->form;
		q.body_len = body_len;
	}
	q.wbuf = n->req;
	q.wcap = sizeof(n->req);
	q.hdr = n->hdr;
	q.hdr_cap = sizeof(n->hdr);
	q.rbody = n->body;
	q.rbody_cap = sizeof(n->body);
	return conn_request(&n->cn, &q, &n->r, err);
}

ecs_status cr_request_once(creds_net *n, const conn_opts *co, const char *method,
			   const char *target, const http_header *h, size_t nh, size_t body_len,
			   ecs_err *err)
{
	ecs_status st;

	conn_init(&n->cn, co);
	st = cr_request(n, method, target, h, nh, body_len, err);
	conn_close(&n->cn);
	return st;
}

/* ---- time ---- */

/* The calendar code is the signer's (sign_parse_iso_time); an Expiration is the plain
 * 20-byte form with no fraction and no leap second. */
int creds_parse_time(const char *s, size_t n, int64_t *out)
{
	if (n != 20 || s[17] > '5')
		return -1;
	return sign_parse_iso_time(s, n, out);
}

/* ---- temporary-credential answers ---- */

typedef struct {
	const json_doc *d;
	int obj;
	const char *who;
	ecs_err *err;
} answer;

/* "WHO's answer: KEY WHAT" (ECS_E_PROTO). */
static ecs_status ans_bad(const answer *a, const char *key, const char *what)
{
	return err_set(a->err, ECS_E_PROTO, "%s's answer: %s%s", a->who, key, what);
}

/* "WHO's answer has no KEY" (ECS_E_CREDS). */
static ecs_status ans_none(const answer *a, const char *what, const char *key)
{
	return err_set(a->err, ECS_E_CREDS, "%s's answer has %s%s", a->who, what, key);
}

/* String member key into out; required ones must be present and non-empty. */
static ecs_status ans_str(const answer *a, const char *key, int required, char *out, size_t cap,
			  size_t *len)
{
	int i = cr_json_member(a->d, a->obj, key);
	size_t n = 0;
	ecs_status st;

	out[0] = '\0';
	*len = 0;
	if (i < 0)
		return required ? ans_none(a, "no ", key) : ECS_OK;
	if (!json_is_string(a->d, i))
		return ans_bad(a, key, CR_NOT_STRING);
	st = json_string(a->d, i, out, cap, &n);
	if (st != ECS_OK || cr_has_ctl(out, n)) {
		cr_wipe(out, cap);
		if (st == ECS_E_NOSPACE)
			return err_set(a->err, ECS_E_NOSPACE, "%s from %s is longer than %zu bytes",
				       key, a->who, cap - 1);
		return ans_bad(a, key, st != ECS_OK ? " has a bad escape" : CR_HAS_CTL);
	}
	if (n == 0 && required)
		return ans_none(a, "an empty ", key);
	*len = n;
	return ECS_OK;
}

/* Expiration member key: required or optional; checked against now. */
static ecs_status ans_expiry(const answer *a, const char *key, int required, int64_t now,
			     int64_t *out)
{
	char exp[24], raw[40], now_s[21];
	int i = cr_json_member(a->d, a->obj, key);
	size_t n = 0;

	*out = 0;
	if (i < 0)
		return required ? ans_none(a, "no ", key) : ECS_OK;
	if (!json_is_string(a->d, i) || json_string(a->d, i, exp, sizeof(exp), &n) != ECS_OK ||
	    creds_parse_time(exp, n, out) != 0) {
		int rn = a->d->tok[i].end - a->d->tok[i].start;
		cr_show(raw, sizeof(raw), a->d->js + a->d->tok[i].start, rn > 0 ? (size_t)rn : 0);
		return err_set(a->err, ECS_E_PROTO,
			       "%s's answer: %s '%s' is not YYYY-MM-DDThh:mm:ssZ", a->who, key,
			       raw);
	}
	if (*out <= now) {
		sign_format_time(now, now_s);
		return err_set(a->err, ECS_E_CREDS,
			       "credentials from %s already expired at %s (local clock: %s)",
			       a->who, exp, now_s);
	}
	return ECS_OK;
}

/* Parses buf into d over toks; the object of interest is at path ("" = the root). */
static ecs_status ans_open(json_doc *d, jsmntok_t *toks, const char *buf, size_t len,
			   const char *path, answer *a)
{
	ecs_err jerr;

	if (json_parse(d, buf, len, toks, TEMP_JSON_TOKENS, &jerr) != ECS_OK)
		return err_set(a->err, ECS_E_PROTO, "%s's answer is not valid JSON: %s", a->who,
			       jerr.msg);
	if (d->ntok < 1 || d->tok[0].type != JSMN_OBJECT)
		return err_set(a->err, ECS_E_PROTO, "%s's answer is not a JSON object", a->who);
	a->d = d;
	a->obj = path[0] == '\0' ? 0 : json_get(d, 0, path);
	if (a->obj < 0 || d->tok[a->obj].type != JSMN_OBJECT)
		return err_set(a->err, ECS_E_CREDS, "%s's answer has no %s object", a->who, path);
	return ECS_OK;
}

static ecs_status code_success(const answer *a)
{
	char code[48], shown[48];
	size_t n = 0;
	int i = json_get(a->d, 0, "Code");

	if (i < 0 || !json_is_string(a->d, i))
		return ans_none(a, "no ", "Code");
	if (json_eq(a->d, i, "Success"))
		return ECS_OK;
	if (json_string(a->d, i, code, sizeof(code), &n) != ECS_OK) {
		memcpy(code, "?", 2);
		n = 1;
	}
	return err_set(a->err, ECS_E_CREDS, "%s answered Code '%s'", a->who,
		       cr_show(shown, sizeof(shown), code, n));
}

enum { ANS_TEMP, ANS_STS, ANS_PROC };

/* One answer of kind: the metadata service's or a credentials URI's (after a Code of
 * "Success"), STS's (under "Credentials") or a credential process's (its mode, then keys
 * named as in config.json; token and expiration optional). */
static ecs_status parse_answer(const char *buf, size_t len, int64_t now_unix, const char *who,
			       int kind, creds *c, ecs_err *err)
{
	static const char *const NAMES[2][4] = {
		{"AccessKeyId", "AccessKeySecret", "SecurityToken", "Expiration"},
		{"access_key_id", "access_key_secret", "sts_token", "expiration"}};
	int proc = kind == ANS_PROC, tok_req = !proc, ak = 0;
	const char *const *nm = NAMES[proc];
	jsmntok_t toks[TEMP_JSON_TOKENS];
	char mode[24], shown[32];
	json_doc d;
	answer a;
	size_t n = 0;
	ecs_status st;

	a.who = who;
	a.err = err;
	cr_wipe_secrets(c);
	st = ans_open(&d, toks, buf, len, kind == ANS_STS ? "Credentials" : "", &a);
	if (st == ECS_OK && kind == ANS_TEMP)
		st = code_success(&a);
	if (st == ECS_OK && proc) {
		st = ans_str(&a, "mode", 0, mode, sizeof(mode), &n);
		tok_req = cr_eqn(mode, n, "StsToken");
		ak = cr_eqn(mode, n, "AK");
		if (st == ECS_OK && n > 0 && !ak && !tok_req)
			st = err_set(err, ECS_E_CREDS,
				     "the credential process answered mode '%s'; expected AK or "
				     "StsToken",
				     cr_show(shown, sizeof(shown), mode, n));
	}
	if (st == ECS_OK)
		st = ans_str(&a, nm[0], 1, c->key_id, sizeof(c->key_id), &n);
	if (st == ECS_OK)
		st = ans_str(&a, nm[1], 1, c->secret, sizeof(c->secret), &n);
	if (st == ECS_OK)
		st = ans_str(&a, nm[2], tok_req, c->token, sizeof(c->token), &n);
	if (st == ECS_OK)
		st = ans_expiry(&a, nm[3], !proc, now_unix, &c->expires);
	if (st == ECS_OK && ak)
		cr_wipe(c->token, sizeof(c->token)); /* long-term keys carry no token */
	if (st != ECS_OK)
		cr_wipe_secrets(c);
	cr_wipe(toks, sizeof(toks));
	return st;
}

ecs_status creds_parse_temp(const char *buf, size_t len, int64_t now_unix, const char *who,
			    creds *c, ecs_err *err)
{
	return parse_answer(buf, len, now_unix, who, ANS_TEMP, c, err);
}

ecs_status creds_parse_metadata(const char *buf, size_t len, int64_t now_unix, creds *c,
				ecs_err *err)
{
	return parse_answer(buf, len, now_unix, "the metadata service", ANS_TEMP, c, err);
}

ecs_status creds_parse_sts(const char *buf, size_t len, int64_t now_unix, creds *c, ecs_err *err)
{
	return parse_answer(buf, len, now_unix, "STS", ANS_STS, c, err);
}

ecs_status creds_parse_process(const char *buf, size_t len, int64_t now_unix, creds *c,
			       ecs_err *err)
{
	return parse_answer(buf, len, now_unix, "the credential process", ANS_PROC, c, err);
}
