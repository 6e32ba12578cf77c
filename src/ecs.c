#include "ecs.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "http.h"
#include "json.h"
#include "port.h"
#include "redact.h"
#include "sign.h"

#define ACTION		   "DescribeCloudAssistantStatus"
#define API_VERSION	   "2014-05-26"
#define BACKOFF_BASE_MS	   200u
#define BACKOFF_CAP_MS	   20000u
#define RETRY_AFTER_CAP_MS 60000u
#define SKEW_TRACE_S	   300 /* a server clock further away than this is worth correcting */

#define trace(cl, ...) err_emit((cl)->o.trace, (cl)->o.ctx, __VA_ARGS__)

int ecs_valid_region(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > 63)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return 0;
	return 1;
}

ecs_status ecs_default_endpoint(const char *region, int vpc, char *host, size_t cap, ecs_err *err)
{
	if (!ecs_valid_region(region))
		return err_set(err, ECS_E_USAGE,
			       "invalid region id '%.64s' (expected e.g. cn-hangzhou)", region);
	if ((size_t)snprintf(host, cap, "%s.%s.aliyuncs.com", vpc ? "ecs-vpc" : "ecs", region) >=
	    cap)
		return err_set(err, ECS_E_USAGE, "region id too long");
	return ECS_OK;
}

/* ---- the default environment: the port's clock, sleep and random, the client's conn ---- */

static ecs_status conn_env_exchange(void *ctx, const char *req, size_t len, http_resp *r,
				    int *reused, ecs_err *err)
{
	return conn_exchange(ctx, req, len, r, reused, err);
}

static int64_t port_env_now(void *ctx)
{
	(void)ctx;
	return port_time_unix();
}

static void port_env_sleep(void *ctx, uint32_t ms)
{
	(void)ctx;
	port_sleep_ms(ms);
}

static int port_env_random(void *ctx, void *buf, size_t n)
{
	(void)ctx;
	return port_random(buf, n) == PORT_OK ? 0 : -1;
}

void ecs_client_init(ecs_client *cl, const ecs_opts *o)
{
	/* only the state: the buffers are written before they are read (pages touched on use) */
	memset(cl, 0, offsetof(ecs_client, c)); /* conn_init clears the state of c */
	cl->o = *o;
	conn_init(&cl->c, &o->conn);
	cl->c.o.no_resend = 1; /* every attempt is signed anew (fresh nonce and time) */
	cl->env.exchange = conn_env_exchange;
	cl->env.now_unix = port_env_now;
	cl->env.sleep_ms = port_env_sleep;
	cl->env.random = port_env_random;
	cl->env.ctx = &cl->c;
}

void ecs_client_set_env(ecs_client *cl, const ecs_env *env)
{
	cl->env = *env;
}

void ecs_client_close(ecs_client *cl)
{
	conn_close(&cl->c);
}

/* ---- response mapping ---- */

/* A record's string field: absent or null is "", anything else must be a string that fits. */
static ecs_status field_str(const json_doc *d, int obj, const char *key, const char *alt, char *out,
			    size_t cap, const char *id, ecs_err *err)
{
	int i = json_get(d, obj, key);
	ecs_status st;

	if (i < 0 && alt != NULL)
		i = json_get(d, obj, alt);
	out[0] = '\0';
	if (i < 0 || json_is_null(d, i))
		return ECS_OK;
	if (!json_is_string(d, i))
		return err_set(err, ECS_E_PROTO, "%s of instance %s is not a JSON string", key,
			       id[0] ? id : "?");
	st = json_string(d, i, out, cap, NULL);
	if (st != ECS_OK)
		out[0] = '\0';
	if (st == ECS_E_NOSPACE)
		return err_set(
			err, ECS_E_PROTO,
			"%s of instance %s is longer than %u bytes, the limit for this field", key,
			id[0] ? id : "?", (unsigned)cap - 1);
	if (st != ECS_OK)
		return err_set(err, ECS_E_PROTO, "%s of instance %s is not a valid JSON string",
			       key, id[0] ? id : "?");
	return ECS_OK;
}

static int first_of(const json_doc *d, int obj, const char *a, const char *b)
{
	int v = json_get(d, obj, a);

	return v >= 0 ? v : json_get(d, obj, b);
}

/* An optional integer: absent or null is -1, anything else must be an integer. */
static ecs_status field_int(const json_doc *d, int obj, const char *key, int64_t *out,
			    const char *id, ecs_err *err)
{
	int v = json_get(d, obj, key);

	*out = -1;
	if (v < 0 || json_is_null(d, v))
		return ECS_OK;
	if (json_int64(d, v, out) != 0)
		return err_set(err, ECS_E_PROTO, "%s of instance %s is not an integer", key, id);
	return ECS_OK;
}

/* Maps one entry; *skip = 1 for an InstanceId too long to be one we asked for. */
static ecs_status map_record(const json_doc *d, int it, ecs_record *r, int *skip, ecs_err *err)
{
	int v, b;
	ecs_status st;

	memset(r, 0, sizeof(*r));
	r->status = -1;
	r->session_manager = -1;
	*skip = 0;
	if (json_size(d, it) < 0 || d->tok[it].type != JSMN_OBJECT)
		return err_set(err, ECS_E_PROTO, "an instance entry is not a JSON object");
	v = json_get(d, it, "InstanceId");
	if (v >= 0 && json_is_string(d, v) &&
	    json_string(d, v, r->id, sizeof(r->id), NULL) == ECS_E_NOSPACE) {
		*skip = 1;
		return ECS_OK;
	}
	if (v < 0 || json_string(d, v, r->id, sizeof(r->id), NULL) != ECS_OK || r->id[0] == '\0')
		return err_set(err, ECS_E_PROTO, "an instance entry has no valid InstanceId");
	v = first_of(d, it, "CloudAssistantStatus", "CloudAssitantStatus");
	if (v >= 0 && json_bool(d, v, &b) == 0)
		r->status = b;
	st = field_str(d, it, "CloudAssistantVersion", NULL, r->version, sizeof(r->version), r->id,
		       err);
	if (st == ECS_OK)
		st = field_str(d, it, "OSType", NULL, r->os, sizeof(r->os), r->id, err);
	if (st == ECS_OK)
		st = field_str(d, it, "LastHeartbeatTime", NULL, r->last_heartbeat,
			       sizeof(r->last_heartbeat), r->id, err);
	if (st == ECS_OK)
		st = field_str(d, it, "LastInvokedTime", NULL, r->last_invoked,
			       sizeof(r->last_invoked), r->id, err);
	if (st == ECS_OK)
		st = field_int(d, it, "ActiveTaskCount", &r->active, r->id, err);
	if (st == ECS_OK)
		st = field_int(d, it, "InvocationCount", &r->invocations, r->id, err);
	if (st != ECS_OK)
		return st;
	v = json_get(d, it, "SupportSessionManager");
	if (v >= 0 && json_bool(d, v, &b) == 0)
		r->session_manager = b;
	return ECS_OK;
}

/* The top-level fields: RequestId, NextToken (a string or absent), TotalCount. */
static ecs_status page_head(const json_doc *d, ecs_page *p, ecs_err *err)
{
	int v = json_get(d, 0, "NextToken");
	ecs_status st;

	st = field_str(d, 0, "RequestId", NULL, p->request_id, sizeof(p->request_id), "", err);
	if (st != ECS_OK)
		return err_set(err, st, "RequestId is not a string of at most %u bytes",
			       (unsigned)sizeof(p->request_id) - 1);
	if (v >= 0 && !json_is_null(d, v) && !json_is_string(d, v))
		return err_set(err, ECS_E_PROTO,
			       "NextToken is not a JSON string; cannot tell whether more pages "
			       "follow");
	st = field_str(d, 0, "NextToken", NULL, p->next_token, sizeof(p->next_token), "", err);
	if (st != ECS_OK)
		return err_set(err, ECS_E_PROTO, "NextToken is longer than %u bytes",
			       (unsigned)sizeof(p->next_token) - 1);
	v = json_get(d, 0, "TotalCount");
	if (v >= 0 && json_int64(d, v, &p->total_count) != 0)
		p->total_count = -1;
	return ECS_OK;
}

/* An id the server made up is shown with only printable ASCII (it goes into a warning). */
static void plain_id(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x21 || (unsigned char)*s > 0x7e)
			*s = '?';
}

static ecs_status page_records(const json_doc *d, int arr, ecs_page *p, ecs_err *err)
{
	int k, n = json_size(d, arr), skip;
	ecs_status st;

	if (n > ECS_PAGE_MAX)
		return err_set(err, ECS_E_PROTO,
			       "the answer lists %d instances, more than the %d a request allows",
			       n, ECS_PAGE_MAX);
	for (k = 0; k < n; k++) {
		int it = json_array_at(d, arr, k);
		st = map_record(d, it, &p->rec[p->n], &skip, err);
		if (st != ECS_OK)
			return st;
		if (!skip) {
			p->n++;
		} else if (p->long_ids++ == 0) {
			int v = json_get(d, it, "InstanceId");
			size_t l = (size_t)(d->tok[v].end - d->tok[v].start);
			l = l < ECS_ID_MAX - 3 ? l : ECS_ID_MAX - 3;
			memcpy(p->long_id, d->js + d->tok[v].start, l);
			memcpy(p->long_id + l, "...", 4);
			plain_id(p->long_id);
		}
	}
	return ECS_OK;
}

ecs_status ecs_parse_page(const char *body, size_t len, ecs_page *p, jsmntok_t *tok, unsigned ntok,
			  ecs_err *err)
{
	json_doc d;
	int set, arr;
	ecs_status st;

	memset(p, 0, offsetof(ecs_page, rec));
	p->total_count = -1;
	st = json_parse(&d, body, len, tok, ntok, err);
	if (st != ECS_OK)
		return st;
	if (d.tok[0].type != JSMN_OBJECT)
		return err_set(err, ECS_E_PROTO, "the answer is not a JSON object");
	st = page_head(&d, p, err);
	if (st != ECS_OK)
		return st;
	set = first_of(&d, 0, "InstanceCloudAssistantStatusSet", "InstanceCloudAssitantStatusSet");
	if (set < 0 || json_is_null(&d, set))
		return err_set(err, ECS_E_PROTO,
			       "the answer has no InstanceCloudAssistantStatusSet");
	arr = first_of(&d, set, "InstanceCloudAssistantStatus", "InstanceCloudAssitantStatus");
	if (arr < 0 && d.tok[set].type == JSMN_ARRAY)
		arr = set; /* a flattened set */
	if (arr < 0 || d.tok[arr].type != JSMN_ARRAY) {
		if (d.tok[set].type == JSMN_OBJECT && json_size(&d, set) == 0)
			return ECS_OK; /* {} : no instances */
		return err_set(err, ECS_E_PROTO,
			       "unexpected answer: InstanceCloudAssistantStatusSet has no list");
	}
	return page_records(&d, arr, p, err);
}

/* Copies src[0..n) into out, cut with ECS_CUT_MARK if it does not fit; returns 1 if cut. */
static int copy_cut(const char *src, size_t n, char *out, size_t cap)
{
	size_t ml = sizeof(ECS_CUT_MARK) - 1;

	if (n < cap) {
		memcpy(out, src, n);
		out[n] = '\0';
		return 0;
	}
	memcpy(out, src, cap - 1 - ml);
	memcpy(out + cap - 1 - ml, ECS_CUT_MARK, ml + 1);
	return 1;
}

/* An error text field: unescaped if it fits, else its raw JSON text cut at the limit. */
static int copy_text(const json_doc *d, int i, char *out, size_t cap)
{
	out[0] = '\0';
	if (i < 0 || json_is_null(d, i))
		return 0;
	if (json_string(d, i, out, cap, NULL) == ECS_OK)
		return 0;
	return copy_cut(d->js + d->tok[i].start, (size_t)(d->tok[i].end - d->tok[i].start), out,
			cap);
}

/* Copies the text between <tag> and </tag> (XML error bodies); returns 1 if cut. */
static int xml_field(const char *b, size_t len, const char *tag, char *out, size_t cap)
{
	char open[48], close[48];
	const char *s, *e;
	size_t ol, cl;

	out[0] = '\0';
	snprintf(open, sizeof(open), "<%s>", tag);
	snprintf(close, sizeof(close), "</%s>", tag);
	ol = strlen(open);
	cl = strlen(close);
	for (s = b; s + ol <= b + len; s++) {
		if (memcmp(s, open, ol) != 0)
			continue;
		s += ol;
		for (e = s; e + cl <= b + len; e++)
			if (memcmp(e, close, cl) == 0)
				return copy_cut(s, (size_t)(e - s), out, cap);
		return 0;
	}
	return 0;
}

/* Replaces control characters so that a server's text cannot drive the terminal. */
static void sanitize(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = ' ';
}

void ecs_parse_error(const char *body, size_t len, int http_status, ecs_api_error *e,
		     jsmntok_t *tok, unsigned ntok)
{
	static const char *const keys[] = {"Code", "Message", "RequestId", "Recommend"};
	char *out[4];
	size_t cap[4], k;
	json_doc d;
	int js;

	memset(e, 0, sizeof(*e));
	out[0] = e->code, cap[0] = sizeof(e->code);
	out[1] = e->message, cap[1] = sizeof(e->message);
	out[2] = e->request_id, cap[2] = sizeof(e->request_id);
	out[3] = e->recommend, cap[3] = sizeof(e->recommend);
	e->http_status = http_status;
	js = json_parse(&d, body, len, tok, ntok, NULL) == ECS_OK && d.tok[0].type == JSMN_OBJECT;
	for (k = 0; k < 4; k++) {
		if (js)
			e->cut |= copy_text(&d, json_get(&d, 0, keys[k]), out[k], cap[k]);
		else
			e->cut |= xml_field(body, len, keys[k], out[k], cap[k]);
		sanitize(out[k]);
	}
}

/* ---- requests ---- */

typedef ecs_params params;

static void add(params *ps, const char *name, const char *value)
{
	sign_pair *q = &ps->p[ps->n++];

	q->name = name;
	q->name_len = strlen(name);
	q->value = value;
	q->value_len = strlen(value);
}

static void host_header(const ecs_client *cl, char *out, size_t cap)
{
	const conn_opts *o = &cl->o.conn;
	int v6 = strchr(o->host, ':') != NULL;
	uint16_t def = o->tls ? 443 : 80;

	if (o->port == def)
		snprintf(out, cap, "%s%s%s", v6 ? "[" : "", o->host, v6 ? "]" : "");
	else
		snprintf(out, cap, "%s%s%s:%u", v6 ? "[" : "", o->host, v6 ? "]" : "",
			 (unsigned)o->port);
}

/* Replaces the value of "name=" in a query (up to '&') with <redacted>, in place copy. */
/* Appends in[0..n) to out (at *o, cap), with the value of every parameter in names replaced
 * by <redacted>. */
static void redact_query(const char *in, size_t n, char *out, size_t cap, size_t *o,
			 const char *const *names, size_t nn)
{
	size_t i = 0;

	while (i < n && *o + 1 < cap) {
		size_t k;
		int hit = 0;
		for (k = 0; k < nn; k++) {
			size_t l = strlen(names[k]);
			if ((i == 0 || in[i - 1] == '&' || in[i - 1] == '?') && i + l < n &&
			    strncmp(in + i, names[k], l) == 0 && in[i + l] == '=') {
				int w = snprintf(out + *o, cap - *o, "%s=<redacted>", names[k]);
				if (w > 0)
					*o += (size_t)w < cap - *o ? (size_t)w : cap - *o - 1;
				i += l + 1;
				while (i < n && in[i] != '&' && in[i] != ' ')
					i++;
				hit = 1;
				break;
			}
		}
		if (!hit)
			out[(*o)++] = in[i++];
	}
}

static ecs_status too_large(const params *in, ecs_status st, ecs_err *err)
{
	if (in->ids > 0)
		return err_set(err, st,
			       "request too large to sign (%u ids); try a smaller --batch-size",
			       (unsigned)in->ids);
	return err_set(err, st, "request too large to sign");
}

/* The query is built in place after the "/?" of the target (no copy of it). */
#define QUERY(cl)     ((cl)->target + 2)
#define QUERY_CAP(cl) (sizeof((cl)->target) - 2)

/* The target "/?query" of a request, around the query built at QUERY(cl). */
static void target_of(ecs_client *cl, size_t qlen)
{
	cl->target[0] = '/';
	cl->target[1] = qlen > 0 ? '?' : '\0';
}

/* RPC v1: everything in the signed query of a GET. */
static ecs_status build_v1(ecs_client *cl, params *ps, const char *nonce, const char *stamp,
			   const char *host, char *out, size_t cap, size_t *req_len, ecs_err *err)
{
	const creds *cr = cl->o.cred;
	http_header h[3];
	size_t qlen;
	ecs_status st;

	add(ps, "Action", ps->action != NULL ? ps->action : ACTION);
	add(ps, "Version", API_VERSION);
	add(ps, "Format", "JSON");
	add(ps, "AccessKeyId", cr->key_id);
	add(ps, "SignatureMethod", "HMAC-SHA1");
	add(ps, "SignatureVersion", "1.0");
	add(ps, "SignatureNonce", nonce);
	add(ps, "Timestamp", stamp);
	if (cr->token[0] != '\0')
		add(ps, "SecurityToken", cr->token);
	st = cr->sealed ? sign_v1_query_key("GET", ps->p, ps->n, &cr->key, QUERY(cl), QUERY_CAP(cl),
					    &qlen, cl->sts, sizeof(cl->sts))
			: sign_v1_query("GET", ps->p, ps->n, cr->secret, strlen(cr->secret),
					QUERY(cl), QUERY_CAP(cl), &qlen, cl->sts, sizeof(cl->sts));
	/* what was written of it (NUL-terminated): the pages never touched stay untouched */
	memset(cl->sts, 0, strnlen(cl->sts, sizeof(cl->sts)));
	if (st != ECS_OK)
		return too_large(ps, st, err);
	target_of(cl, qlen);
	h[0].name = "Host";
	h[0].value = host;
	h[1].name = "Accept";
	h[1].value = "application/json";
	h[2].name = "User-Agent";
	h[2].value = "ecs-ca-status/" ECS_VERSION;
	st = http_write_request(out, cap, req_len, "GET", cl->target, h, 3, NULL, 0, err);
	return st == ECS_E_NOSPACE ? too_large(ps, st, err) : st;
}

/* V3 (ACS3-HMAC-SHA256): signed x-acs-* headers and an Authorization header on a POST. */
static ecs_status build_v3(ecs_client *cl, params *ps, const char *nonce, const char *stamp,
			   const char *host, char *out, size_t cap, size_t *req_len, ecs_err *err)
{
	static const char empty_sha[] =
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
	const creds *cr = cl->o.cred;
	sign_pair sh[8];
	http_header h[11];
	char auth[1024];
	size_t ns = 0, nh, alen, k, qlen;
	ecs_status st;

	st = sign_canonical_query(ps->p, ps->n, QUERY(cl), QUERY_CAP(cl), &qlen);
	if (st != ECS_OK)
		return too_large(ps, st, err);
#define SH(n, v)                                                                                   \
	(sh[ns].name = (n), sh[ns].name_len = strlen(n), sh[ns].value = (v),                       \
	 sh[ns].value_len = strlen(v), ns++)
	SH("host", host);
	SH("x-acs-action", ps->action != NULL ? ps->action : ACTION);
	SH("x-acs-version", API_VERSION);
	SH("x-acs-date", stamp);
	SH("x-acs-signature-nonce", nonce);
	SH("x-acs-content-sha256", empty_sha);
	if (cr->token[0] != '\0')
		SH("x-acs-security-token", cr->token);
#undef SH
	st = cr->sealed ? sign_v3_authorization_key("POST", "/", QUERY(cl), qlen, sh, ns, empty_sha,
						    cr->key_id, strlen(cr->key_id), &cr->key, auth,
						    sizeof(auth), &alen, NULL, cl->sts,
						    sizeof(cl->sts))
			: sign_v3_authorization("POST", "/", QUERY(cl), qlen, sh, ns, empty_sha,
						cr->key_id, strlen(cr->key_id), cr->secret,
						strlen(cr->secret), auth, sizeof(auth), &alen, NULL,
						cl->sts, sizeof(cl->sts));
	/* the canonical request (it may hold the security token): what was written of it */
	memset(cl->sts, 0, strnlen(cl->sts, sizeof(cl->sts)));
	if (st != ECS_OK)
		return too_large(ps, st, err);
	target_of(cl, qlen);
	for (k = 0; k < ns; k++) {
		h[k].name = sh[k].name;
		h[k].value = sh[k].value;
	}
	nh = ns;
	h[nh].name = "accept";
	h[nh++].value = "application/json";
	h[nh].name = "user-agent";
	h[nh++].value = "ecs-ca-status/" ECS_VERSION;
	h[nh].name = "Authorization";
	h[nh++].value = auth;
	st = http_write_request(out, cap, req_len, "POST", cl->target, h, nh, NULL, 0, err);
	memset(auth, 0, sizeof(auth));
	return st == ECS_E_NOSPACE ? too_large(ps, st, err) : st;
}

/* Builds the signed request for the current attempt into out (cap bytes): a fresh nonce
 * from the client's random source and the time of its clock plus the skew correction. */
static ecs_status build_request(ecs_client *cl, const params *in, char *out, size_t cap,
				size_t *req_len, ecs_err *err)
{
	/* Signing sorts the pairs in place: work on a copy so the caller's order survives for
	 * the next attempt. */
	params *ps = &cl->work;
	uint8_t rnd[16];
	char nonce[33], stamp[21], host[ECS_HOST_MAX + 8];

	memcpy(ps->p, in->p, in->n * sizeof(in->p[0]));
	ps->n = in->n;
	ps->action = in->action;
	ps->ids = in->ids;
	if (cl->env.random(cl->env.ctx, rnd, sizeof(rnd)) != 0)
		return err_set(err, ECS_E_INTERNAL, "no random source for the request nonce");
	sign_nonce_hex(rnd, nonce);
	sign_format_time(cl->env.now_unix(cl->env.ctx) + cl->clock_offset, stamp);
	host_header(cl, host, sizeof(host));
	if (cl->o.sig_v1)
		return build_v1(cl, ps, nonce, stamp, host, out, cap, req_len, err);
	return build_v3(cl, ps, nonce, stamp, host, out, cap, req_len, err);
}

/* First occurrence of the NUL-terminated needle in s[0..n), NULL if none. */
static const char *find_in(const char *s, size_t n, const char *needle)
{
	size_t k = strlen(needle), i;

	for (i = 0; i + k <= n; i++)
		if (memcmp(s + i, needle, k) == 0)
			return s + i;
	return NULL;
}

static void append(char *out, size_t cap, size_t *o, const char *s, size_t n)
{
	size_t k = n < cap - 1 - *o ? n : cap - 1 - *o;

	memcpy(out + *o, s, k);
	*o += k;
}

/* The request text with every secret-derived value redacted, for --dry-run and -v; written
 * straight into out (no copy of a line on the stack). */
static void redacted_request(const char *req, size_t len, char *out, size_t cap)
{
	static const char *const names[] = {"Signature", "SecurityToken"};
	static const char tok[] = "x-acs-security-token:";
	size_t o = 0, i = 0;

	while (i < len && o + 1 < cap) {
		size_t e = i, ll;
		const char *line = req + i, *sig;
		while (e < len && req[e] != '\n')
			e++;
		ll = e - i;
		if (ll > 0 && line[ll - 1] == '\r')
			ll--;
		sig = ll > 14 && strncmp(line, "Authorization:", 14) == 0
			      ? find_in(line, ll, "Signature=")
			      : NULL;
		if (sig != NULL) {
			append(out, cap, &o, line, (size_t)(sig - line) + 10);
			append(out, cap, &o, "<redacted>", 10);
		} else if (ll >= sizeof(tok) - 1 && strncmp(line, tok, sizeof(tok) - 1) == 0) {
			append(out, cap, &o, "x-acs-security-token: <redacted>", 32);
		} else if (i == 0) {
			redact_query(line, ll, out, cap, &o, names, 2);
		} else {
			append(out, cap, &o, line, ll);
		}
		append(out, cap, &o, "\n", 1);
		i = e + 1;
	}
	out[o < cap ? o : cap - 1] = '\0';
}

static int retryable_code(const char *code)
{
	return strncmp(code, "Throttling", 10) == 0 || strcmp(code, "ServiceUnavailable") == 0 ||
	       strncmp(code, "InternalError", 13) == 0 || strcmp(code, "UnknownError") == 0;
}

static uint32_t backoff_ms(const ecs_client *cl, unsigned attempt, uint32_t retry_after)
{
	uint32_t d = BACKOFF_BASE_MS << (attempt < 7 ? attempt : 7), j = 0;
	uint8_t r[4];

	if (d > BACKOFF_CAP_MS)
		d = BACKOFF_CAP_MS;
	/* equal jitter: half fixed, half random */
	if (cl->env.random(cl->env.ctx, r, sizeof(r)) == 0)
		j = ((uint32_t)r[0] << 24 | (uint32_t)r[1] << 16 | (uint32_t)r[2] << 8 | r[3]) %
		    (d / 2 + 1);
	d = d / 2 + j;
	if (retry_after > d)
		d = retry_after > RETRY_AFTER_CAP_MS ? RETRY_AFTER_CAP_MS : retry_after;
	return d;
}

static uint32_t header_ms(const http_resp *r, const char *name)
{
	size_t len, i;
	const char *v = http_resp_header(r, name, &len);
	uint32_t ms = 0;

	if (v == NULL || len == 0 || len > 9)
		return 0;
	for (i = 0; i < len; i++) {
		if (v[i] < '0' || v[i] > '9')
			return 0;
		ms = ms * 10 + (uint32_t)(v[i] - '0');
	}
	return ms;
}

/* Server time from the Date header, 0 if absent or unreadable. */
static int64_t server_time(const http_resp *r)
{
	size_t len;
	const char *v = http_resp_header(r, "Date", &len);
	int64_t t;

	if (v == NULL || sign_parse_http_date(v, len, &t) != 0)
		return 0;
	return t;
}

static void note_clock(ecs_client *cl, const http_resp *r)
{
	int64_t st = server_time(r), now = cl->env.now_unix(cl->env.ctx), d;

	if (st == 0)
		return;
	d = st - (now + cl->clock_offset);
	if (d > SKEW_TRACE_S || d < -SKEW_TRACE_S) {
		cl->clock_offset = st - now;
		trace(cl,
		      "clock skew: the server's Date is %lld s %s the local clock; using the "
		      "server's time for signing",
		      (long long)(d < 0 ? -d : d), d > 0 ? "ahead of" : "behind");
	}
}

/* ---- server text: secrets out before anything is shown ---- */

static size_t secrets_of(const ecs_client *cl, const char *sec[2])
{
	sec[0] = cl->o.cred != NULL ? cl->o.cred->secret : NULL;
	sec[1] = cl->o.cred != NULL ? cl->o.cred->token : NULL;
	return 2;
}

/* Redacts one field in place; a field cut at its limit loses any tail that starts a secret. */
static void redact_field(const ecs_client *cl, char *f, size_t cap)
{
	const char *sec[2];
	size_t n = secrets_of(cl, sec), ml = sizeof(ECS_CUT_MARK) - 1, len = strlen(f);
	int cut = len >= ml && strcmp(f + len - ml, ECS_CUT_MARK) == 0;

	if (cut)
		f[len - ml] = '\0';
	redact_text(f, cap - (cut ? ml : 0), sec, n);
	if (cl->o.cred != NULL)
		creds_redact_secret(cl->o.cred, f, cap - (cut ? ml : 0));
	if (cut) {
		redact_tail(f, sec, n);
		strcat(f, ECS_CUT_MARK);
	}
}

static void redact_error(const ecs_client *cl, ecs_api_error *e)
{
	redact_field(cl, e->code, sizeof(e->code));
	redact_field(cl, e->message, sizeof(e->message));
	redact_field(cl, e->request_id, sizeof(e->request_id));
	redact_field(cl, e->recommend, sizeof(e->recommend));
}

static void redact_page(const ecs_client *cl, ecs_page *p)
{
	size_t k;

	redact_field(cl, p->request_id, sizeof(p->request_id));
	redact_field(cl, p->long_id, sizeof(p->long_id));
	for (k = 0; k < p->n; k++) {
		ecs_record *r = &p->rec[k];
		redact_field(cl, r->id, sizeof(r->id));
		redact_field(cl, r->version, sizeof(r->version));
		redact_field(cl, r->os, sizeof(r->os));
		redact_field(cl, r->last_heartbeat, sizeof(r->last_heartbeat));
		redact_field(cl, r->last_invoked, sizeof(r->last_invoked));
	}
}

/* ---- one call with retries ---- */

ecs_status ecs_api_failure(const ecs_client *cl, const ecs_api_error *e, unsigned attempts,
			   ecs_err *err)
{
	char tail[48] = "";

	if (attempts > 1)
		snprintf(tail, sizeof(tail), " (gave up after %u attempts)", attempts);
	if (e->code[0] == '\0')
		return err_set(err, ECS_E_API, "API error: HTTP %d from %s with no error code%s",
			       e->http_status, cl->o.conn.host, tail);
	return err_set(err, ECS_E_API, "API error %s (HTTP %d): %s RequestId: %s%s%s%s", e->code,
		       e->http_status, e->message[0] ? e->message : "(no message)",
		       e->request_id[0] ? e->request_id : "-",
		       e->recommend[0] ? " Recommend: " : "", e->recommend, tail);
}

/* DescribeRegions' answer {"Regions":{"Region":[{"RegionId":..},..]},"RequestId":..}: the ids
 * into p->rec[].id (a page carries them: at most ECS_PAGE_MAX). */
static ecs_status parse_regions(const char *body, size_t len, ecs_page *p, jsmntok_t *tok,
				unsigned ntok, ecs_err *err)
{
	json_doc d;
	int set, arr, k, n;
	ecs_status st;

	memset(p, 0, offsetof(ecs_page, rec));
	if ((st = json_parse(&d, body, len, tok, ntok, err)) != ECS_OK)
		return st;
	set = d.tok[0].type == JSMN_OBJECT ? json_get(&d, 0, "Regions") : -1;
	arr = set >= 0 ? json_get(&d, set, "Region") : -1;
	if (arr < 0 || d.tok[arr].type != JSMN_ARRAY)
		return err_set(err, ECS_E_PROTO,
			       "the DescribeRegions answer has no Regions.Region");
	n = json_size(&d, arr);
	if (n > ECS_PAGE_MAX)
		return err_set(err, ECS_E_PROTO, "the answer lists %d regions, more than %d", n,
			       ECS_PAGE_MAX);
	for (k = 0; k < n; k++) {
		int v = json_get(&d, json_array_at(&d, arr, k), "RegionId");
		size_t l = 0;
		char *id = p->rec[p->n].id;
		if (v < 0 || !json_is_string(&d, v) ||
		    json_string(&d, v, id, ECS_REGION_MAX, &l) != ECS_OK || !ecs_valid_region(id))
			return err_set(
				err, ECS_E_PROTO,
				"the DescribeRegions answer has a missing or invalid RegionId "
				"(entry %d)",
				k + 1);
		p->n++;
	}
	return ECS_OK;
}

/* A 200: the page, or a protocol error (with the server's Code/Message when it sent one). */
static ecs_status answer_ok(ecs_client *cl, const http_resp *r, ecs_page *out, ecs_err *err)
{
	ecs_api_error e;
	ecs_status st;

	note_clock(cl, r);
	st = cl->ps.action != NULL
		     ? parse_regions(r->body, r->body_len, out, cl->tok, ECS_JSON_TOKENS, err)
		     : ecs_parse_page(r->body, r->body_len, out, cl->tok, ECS_JSON_TOKENS, err);
	if (st == ECS_OK) {
		redact_page(cl, out);
		return ECS_OK;
	}
	ecs_parse_error(r->body, r->body_len, r->status, &e, cl->tok, ECS_JSON_TOKENS);
	redact_error(cl, &e);
	if (st == ECS_E_PROTO && e.code[0] != '\0')
		return err_set(err, ECS_E_PROTO,
			       "answer from %s: HTTP 200 without the result set, but error %s: %s "
			       "RequestId: %s",
			       cl->o.conn.host, e.code, e.message[0] ? e.message : "(no message)",
			       e.request_id[0] ? e.request_id : "-");
	err_prefix(err, "answer from %s", cl->o.conn.host);
	return st;
}

/* Clock-skew correction: 1 if the request should be sent again with the server's time. */
static int fix_skew(ecs_client *cl, const http_resp *r, const ecs_api_error *e)
{
	int64_t before = cl->clock_offset;

	if (strcmp(e->code, "InvalidTimeStamp.Expired") != 0 || cl->skew_corrected ||
	    server_time(r) == 0)
		return 0;
	cl->clock_offset = server_time(r) - cl->env.now_unix(cl->env.ctx);
	cl->skew_corrected = 1;
	trace(cl,
	      "clock skew: %s; the server's Date differs from the local clock by %lld s; "
	      "retrying once with the server's time",
	      e->code, (long long)(cl->clock_offset - before));
	return 1;
}

/* An error answer: 0 with *wait_ms to retry, 1 to send again at once, or the final status. */
static ecs_status answer_error(ecs_client *cl, const http_resp *r, unsigned attempt,
			       uint32_t *wait_ms, int *again, ecs_err *err)
{
	ecs_api_error e;
	uint32_t ra;

	ecs_parse_error(r->body, r->body_len, r->status, &e, cl->tok, ECS_JSON_TOKENS);
	redact_error(cl, &e);
	*again = fix_skew(cl, r, &e);
	if (*again)
		return ECS_OK;
	if (!(retryable_code(e.code) || r->status >= 500) || attempt >= cl->o.retries)
		return ecs_api_failure(cl, &e, attempt + 1, err);
	ra = header_ms(r, "x-acs-retry-after");
	*wait_ms = backoff_ms(cl, attempt, ra);
	trace(cl, "retry %u/%u in %u ms after %s (HTTP %d)", attempt + 1, cl->o.retries,
	      (unsigned)*wait_ms, e.code[0] ? e.code : "error", r->status);
	if (ra > ECS_RETRY_NOTICE_MS && *wait_ms > ECS_RETRY_NOTICE_MS)
		err_emit(cl->o.warn, cl->o.ctx,
			 "warning: %s answered %s and asks to wait %u.%u s (x-acs-retry-after); "
			 "waiting before retry %u/%u",
			 cl->o.conn.host, e.code[0] ? e.code : "an error",
			 (unsigned)*wait_ms / 1000, (unsigned)(*wait_ms % 1000) / 100, attempt + 1,
			 cl->o.retries);
	return ECS_OK;
}

static void show_request(ecs_client *cl, size_t req_len, ecs_page *out)
{
	char *shown = cl->shown, *nl;

	redacted_request(cl->req, req_len, shown, sizeof(cl->shown));
	if (cl->o.dry_run) {
		if (cl->o.dry_run_out != NULL)
			cl->o.dry_run_out(cl->o.ctx, shown, strlen(shown));
		memset(out, 0, offsetof(ecs_page, rec));
		out->total_count = -1;
		return;
	}
	nl = strchr(shown, '\n');
	if (nl != NULL)
		*nl = '\0';
	trace(cl, "request: %s", shown);
}

/* One exchange; ECS_OK with *done = 0 means: wait *wait_ms and try again. */
static ecs_status attempt_once(ecs_client *cl, const params *ps, unsigned attempt,
			       int *free_reconnect, uint32_t *wait_ms, int *done, ecs_page *out,
			       ecs_err *err)
{
	http_resp r;
	size_t req_len;
	int reused = 0, again = 0;
	ecs_status st;

	*done = 1;
	st = build_request(cl, ps, cl->req, sizeof(cl->req), &req_len, err);
	if (st != ECS_OK)
		return st;
	if (cl->o.dry_run || cl->o.trace != NULL)
		show_request(cl, req_len, out);
	if (cl->o.dry_run)
		return ECS_OK;
	cl->requests++;
	http_resp_init(&r, cl->hdr, sizeof(cl->hdr), cl->body, sizeof(cl->body), 0);
	st = cl->env.exchange(cl->env.ctx, cl->req, req_len, &r, &reused, err);
	memset(cl->req, 0, req_len); /* held a signature and maybe a token */
	*done = 0;
	*wait_ms = 0;
	if (st == ECS_E_CLOSED && reused && *free_reconnect) {
		/* the server closed an idle kept-alive connection: not a failure */
		*free_reconnect = 0;
		*wait_ms = UINT32_MAX; /* at once, not counted as an attempt */
		trace(cl,
		      "retry: %s closed the kept-alive connection before answering; reconnecting "
		      "and signing anew",
		      cl->o.conn.host);
		return ECS_OK;
	}
	if (st != ECS_OK) {
		int transient = st == ECS_E_NET || st == ECS_E_TIMEOUT || st == ECS_E_CLOSED;
		if (!transient || attempt >= cl->o.retries) {
			*done = 1;
			if (transient)
				err_prefix(err, "gave up after %u attempt%s", attempt + 1,
					   attempt > 0 ? "s" : "");
			return st;
		}
		*wait_ms = backoff_ms(cl, attempt, 0);
		trace(cl, "retry %u/%u in %u ms after: %s", attempt + 1, cl->o.retries,
		      (unsigned)*wait_ms, err->msg);
		return ECS_OK;
	}
	trace(cl, "response: HTTP %d, %u bytes%s", r.status, (unsigned)r.body_len,
	      reused ? " (kept-alive connection)" : "");
	*done = 1;
	if (r.status == 200)
		return answer_ok(cl, &r, out, err);
	st = answer_error(cl, &r, attempt, wait_ms, &again, err);
	*done = st != ECS_OK;
	if (again)
		*wait_ms = UINT32_MAX; /* at once, not counted as an attempt */
	return st;
}

static ecs_status call(ecs_client *cl, params *ps, ecs_page *out, ecs_err *err)
{
	const char *sec[2];
	unsigned attempt = 0;
	int free_reconnect = 1;

	for (;;) {
		uint32_t wait_ms = 0;
		int done = 0;
		ecs_status st =
			attempt_once(cl, ps, attempt, &free_reconnect, &wait_ms, &done, out, err);
		if (done) {
			if (st != ECS_OK && err != NULL) {
				redact_text(err->msg, sizeof(err->msg), sec, secrets_of(cl, sec));
				if (cl->o.cred != NULL)
					creds_redact_secret(cl->o.cred, err->msg, sizeof(err->msg));
			}
			return st;
		}
		if (wait_ms == UINT32_MAX)
			continue; /* a free reconnect or the skew fix: not an attempt */
		attempt++;
		cl->env.sleep_ms(cl->env.ctx, wait_ms);
	}
}

static void base_params(const ecs_client *cl, params *ps)
{
	ps->n = 0;
	ps->ids = 0;
	ps->action = NULL;
	add(ps, "RegionId", cl->o.region);
	if (cl->o.os_type != NULL)
		add(ps, "OSType", cl->o.os_type);
}

static int asked(const char *const *ids, size_t n, const char *id)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(ids[i], id) == 0)
			return 1;
	return 0;
}

/* An answer to an id query: one page that holds only what was asked. Entries for ids not
 * asked for are dropped with a warning; an answer that lacks some ids and says more pages
 * follow is an error, since the missing instances would otherwise be reported as not found. */
static ecs_status check_id_answer(ecs_client *cl, const char *const *ids, size_t n, ecs_page *p,
				  ecs_err *err)
{
	size_t k, kept = 0, got = p->n + p->long_ids;

	/* with every id answered, further pages could hold nothing that was asked for */
	if (got < n && p->next_token[0] != '\0')
		return err_set(err, ECS_E_PROTO,
			       "answer from %s: %u instances asked, %u answered, and a NextToken "
			       "says another page follows (paging is not expected with ids)",
			       cl->o.conn.host, (unsigned)n, (unsigned)got);
	if (got < n && p->total_count > (int64_t)got)
		return err_set(err, ECS_E_PROTO,
			       "answer from %s: %u instances asked, %u answered, but TotalCount "
			       "is %lld (another page?)",
			       cl->o.conn.host, (unsigned)n, (unsigned)got,
			       (long long)p->total_count);
	if (p->long_ids > 0)
		err_emit(cl->o.warn, cl->o.ctx,
			 "warning: %s answered with %u instance(s) this request did not ask for "
			 "(InstanceId longer than %u bytes: '%s'); ignored",
			 cl->o.conn.host, (unsigned)p->long_ids, (unsigned)ECS_ID_MAX, p->long_id);
	for (k = 0; k < p->n; k++) {
		if (asked(ids, n, p->rec[k].id)) {
			if (kept != k)
				p->rec[kept] = p->rec[k];
			kept++;
		} else {
			char shown[ECS_ID_MAX + 1];
			memcpy(shown, p->rec[k].id, sizeof(shown));
			plain_id(shown);
			err_emit(cl->o.warn, cl->o.ctx,
				 "warning: %s answered with instance %s that this request did not "
				 "ask for; ignored",
				 cl->o.conn.host, shown);
		}
	}
	p->n = kept;
	return ECS_OK;
}

static ecs_status id_params(ecs_client *cl, const char *const *ids, size_t n, ecs_err *err)
{
	params *ps = &cl->ps;
	size_t i;

	if (n == 0 || n > ECS_PAGE_MAX)
		return err_set(err, ECS_E_INTERNAL, "batch of %u ids", (unsigned)n);
	base_params(cl, ps);
	for (i = 0; i < n; i++) {
		snprintf(ps->names[i], sizeof(ps->names[i]), "InstanceId.%u", (unsigned)(i + 1));
		add(ps, ps->names[i], ids[i]);
	}
	ps->ids = n;
	return ECS_OK;
}

ecs_status ecs_describe_ids(ecs_client *cl, const char *const *ids, size_t n, ecs_page *out,
			    ecs_err *err)
{
	ecs_status st = id_params(cl, ids, n, err);

	if (st != ECS_OK)
		return st;
	st = call(cl, &cl->ps, out, err);
	if (st != ECS_OK || cl->o.dry_run)
		return st;
	return check_id_answer(cl, ids, n, out, err);
}

ecs_status ecs_describe_regions(ecs_client *cl, ecs_page *pg, char (*out)[ECS_REGION_MAX],
				size_t cap, size_t *n, ecs_err *err)
{
	params *ps = &cl->ps;
	ecs_status st;
	size_t k;

	*n = 0;
	ps->n = 0;
	ps->ids = 0;
	add(ps, "RegionId", cl->o.region);
	ps->action = "DescribeRegions";
	st = call(cl, ps, pg, err);
	ps->action = NULL;
	if (st != ECS_OK || cl->o.dry_run)
		return st;
	for (k = 0; k < pg->n && *n < cap; k++)
		memcpy(out[(*n)++], pg->rec[k].id, ECS_REGION_MAX);
	if (*n == 0)
		return err_set(err, ECS_E_PROTO, "DescribeRegions answered no region");
	return ECS_OK;
}

ecs_status ecs_describe_page(ecs_client *cl, const char *token, unsigned max_results, ecs_page *out,
			     ecs_err *err)
{
	params *ps = &cl->ps;
	ecs_status st;

	base_params(cl, ps);
	snprintf(ps->max_results, sizeof(ps->max_results), "%u", max_results);
	add(ps, "MaxResults", ps->max_results);
	if (token != NULL && token[0] != '\0')
		add(ps, "NextToken", token);
	st = call(cl, ps, out, err);
	if (st == ECS_OK && out->long_ids > 0)
		return err_set(err, ECS_E_PROTO,
			       "answer from %s: an InstanceId longer than %u bytes ('%s'), the "
			       "limit for an instance id",
			       cl->o.conn.host, (unsigned)ECS_ID_MAX, out->long_id);
	return st;
}

/* ---- pieces for the batch engine: build, classify, answer ---- */

ecs_status ecs_build_ids(ecs_client *cl, const char *const *ids, size_t n, char *out, size_t cap,
			 size_t *len, ecs_err *err)
{
	ecs_status st = id_params(cl, ids, n, err);

	if (st != ECS_OK)
		return st;
	cl->requests++;
	return build_request(cl, &cl->ps, out, cap, len, err);
}

void ecs_trace_request(ecs_client *cl, const char *req, size_t len)
{
	char *nl;

	if (cl->o.trace == NULL)
		return;
	redacted_request(req, len, cl->shown, sizeof(cl->shown));
	nl = strchr(cl->shown, '\n');
	if (nl != NULL)
		*nl = '\0';
	trace(cl, "request: %s", cl->shown);
}

/* 1 if a 400's Code or Message names an InstanceId.N with N above 50 (older servers). */
static int names_id_above_50(const ecs_api_error *e)
{
	const char *fields[2] = {e->code, e->message};
	int k;

	for (k = 0; k < 2; k++) {
		const char *p = fields[k];
		while ((p = strstr(p, "InstanceId.")) != NULL) {
			unsigned long v = 0;
			int digits = 0;
			p += 11;
			while (*p >= '0' && *p <= '9' && digits < 6) {
				v = v * 10 + (unsigned long)(*p++ - '0');
				digits++;
			}
			if (digits > 0 && v > 50)
				return 1;
		}
	}
	return 0;
}

ecs_verdict ecs_classify(int http_status, const ecs_api_error *e, size_t batch_n, int can_fix_clock)
{
	if (http_status == 200)
		return ECS_V_DONE;
	if (strcmp(e->code, "InvalidTimeStamp.Expired") == 0 && can_fix_clock)
		return ECS_V_SKEW;
	if (strcmp(e->code, "InstanceIds.ExceedLimit") == 0 ||
	    (http_status == 400 && names_id_above_50(e)))
		return batch_n > 50 ? ECS_V_SPLIT : ECS_V_FAIL;
	if (http_status == 404 && strcmp(e->code, "InvalidInstance.NotFound") == 0 && batch_n > 0)
		return ECS_V_NOTFOUND;
	if (strncmp(e->code, "Throttling", 10) == 0 || http_status == 429 || http_status == 503 ||
	    strcmp(e->code, "ServiceUnavailable") == 0)
		return ECS_V_THROTTLE;
	if (retryable_code(e->code) || http_status >= 500)
		return ECS_V_RETRY;
	return ECS_V_FAIL;
}

ecs_verdict ecs_answer(ecs_client *cl, const http_resp *r, const char *const *ids, size_t n,
		       ecs_page *out, ecs_api_error *e, uint32_t *retry_after_ms, ecs_err *err)
{
	ecs_verdict v;

	*retry_after_ms = 0;
	memset(e, 0, sizeof(*e));
	if (r->status == 200) {
		if (answer_ok(cl, r, out, err) != ECS_OK ||
		    (n > 0 && check_id_answer(cl, ids, n, out, err) != ECS_OK))
			return ECS_V_FAIL;
		return ECS_V_DONE;
	}
	ecs_parse_error(r->body, r->body_len, r->status, e, cl->tok, ECS_JSON_TOKENS);
	redact_error(cl, e);
	v = ecs_classify(r->status, e, n, !cl->skew_corrected && server_time(r) != 0);
	if (v == ECS_V_SKEW)
		(void)fix_skew(cl, r, e);
	if (v == ECS_V_RETRY || v == ECS_V_THROTTLE)
		*retry_after_ms = header_ms(r, "x-acs-retry-after");
	ecs_api_failure(cl, e, 1, err);
	return v;
}

uint32_t ecs_backoff_ms(const ecs_client *cl, unsigned attempt, uint32_t retry_after_ms)
{
	return backoff_ms(cl, attempt, retry_after_ms);
}
