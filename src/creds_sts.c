/* STS (version 2015-04-01): AssumeRole signed with our own signer (RPC v1 HMAC-SHA1 or V3
 * ACS3-HMAC-SHA256), and the anonymous AssumeRoleWithOIDC. POST / with the parameters as a
 * form body over HTTPS, with the ECS call's trust anchors, proxy and deadlines. */
#include <stdio.h>
#include <string.h>

#include "creds_int.h"
#include "json.h"
#include "port.h"
#include "sign.h"
#include "url.h"

#define STS_VERSION "2015-04-01"
#define STS_PARAMS  20

typedef struct {
	sign_pair p[STS_PARAMS];
	size_t n;
	char stamp[21], nonce[33], duration[24], session[CREDS_SESSION_MAX + 24];
} sts_params;

typedef struct {
	char host[ECS_HOST_MAX];
	uint16_t port;
	char hosthdr[ECS_HOST_MAX + 8];
} sts_target;

static void add(sts_params *ps, const char *name, const char *value)
{
	sign_pair *q = &ps->p[ps->n++];

	q->name = name;
	q->name_len = strlen(name);
	q->value = value;
	q->value_len = strlen(value);
}

static int region_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > 63)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return 0;
	return 1;
}

/* An explicit endpoint: "host[:port]", an "https://" prefix and a trailing "/" tolerated like
 * aliyun-cli; plain http:// refused (the answer carries a secret). */
static ecs_status explicit_endpoint(const char *v, const char *origin, sts_target *t, ecs_err *err)
{
	char buf[ECS_HOST_MAX + 24];
	size_t n = strlen(v);
	url_parts u;
	ecs_status st;

	if (n >= sizeof(buf))
		return err_set(err, ECS_E_INPUT, "%s is longer than %zu bytes", origin,
			       sizeof(buf) - 1);
	memcpy(buf, v, n + 1);
	if (n > 0 && buf[n - 1] == '/')
		buf[--n] = '\0';
	if (strncmp(buf, "http://", 7) == 0)
		return err_set(err, ECS_E_INPUT,
			       "%s: plain http:// is refused for STS; give host[:port] (HTTPS)",
			       origin);
	st = url_parse_endpoint(buf, &u, err);
	if (st != ECS_OK) {
		err_prefix(err, "%s", origin);
		return st;
	}
	memcpy(t->host, u.host, sizeof(t->host));
	t->port = u.port;
	return ECS_OK;
}

static ecs_status sts_endpoint(const creds_role *r, sts_target *t, ecs_err *err)
{
	const char *ev = port_getenv("ALIBABA_CLOUD_STS_ENDPOINT");
	const char *region = r->sts_region;
	int vpc = r->enable_vpc || cr_env_true("ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED");
	int v6;
	ecs_status st = ECS_OK;

	t->port = 443;
	if (r->sts_endpoint[0] != '\0')
		st = explicit_endpoint(r->sts_endpoint, "sts_endpoint", t, err);
	else if (ev != NULL && ev[0] != '\0')
		st = explicit_endpoint(ev, "ALIBABA_CLOUD_STS_ENDPOINT", t, err);
	else {
		if (region[0] == '\0' && port_getenv("ALIBABA_CLOUD_STS_REGION") != NULL)
			region = port_getenv("ALIBABA_CLOUD_STS_REGION");
		if (region[0] != '\0' && !region_ok(region))
			return err_set(err, ECS_E_INPUT,
				       "STS region is not a region id (lower-case letters, digits, "
				       "'-')");
		if (region[0] != '\0')
			snprintf(t->host, sizeof(t->host), "%s.%s.aliyuncs.com",
				 vpc ? "sts-vpc" : "sts", region);
		else
			snprintf(t->host, sizeof(t->host), "sts.aliyuncs.com");
	}
	if (st != ECS_OK)
		return st;
	v6 = strchr(t->host, ':') != NULL;
	if (t->port == 443)
		snprintf(t->hosthdr, sizeof(t->hosthdr), "%s%s%s", v6 ? "[" : "", t->host,
			 v6 ? "]" : "");
	else
		snprintf(t->hosthdr, sizeof(t->hosthdr), "%s%s%s:%u", v6 ? "[" : "", t->host,
			 v6 ? "]" : "", (unsigned)t->port);
	return ECS_OK;
}

/* The parameters every STS call has, and the role's. */
static ecs_status base_params(sts_params *ps, const char *action, const creds_role *r, int64_t now,
			      ecs_err *err)
{
	uint8_t rnd[16];

	if (port_random(rnd, sizeof(rnd)) != PORT_OK)
		return err_set(err, ECS_E_INTERNAL, "no random source for the request nonce");
	sign_nonce_hex(rnd, ps->nonce);
	sign_format_time(now, ps->stamp);
	snprintf(ps->duration, sizeof(ps->duration), "%lld",
		 (long long)(r->duration > 0 ? r->duration : 3600));
	if (r->session[0] != '\0')
		snprintf(ps->session, sizeof(ps->session), "%s", r->session);
	else
		snprintf(ps->session, sizeof(ps->session), "ecs-ca-status-%lld", (long long)now);
	ps->n = 0;
	add(ps, "Action", action);
	add(ps, "Version", STS_VERSION);
	add(ps, "Format", "JSON");
	add(ps, "Timestamp", ps->stamp);
	add(ps, "RoleArn", r->role_arn);
	add(ps, "RoleSessionName", ps->session);
	add(ps, "DurationSeconds", ps->duration);
	if (r->policy[0] != '\0')
		add(ps, "Policy", r->policy);
	return ECS_OK;
}

typedef struct {
	http_header h[12];
	size_t nh;
	char auth[1024], sha[65];
} sts_headers;

static void hdr(sts_headers *hs, const char *name, const char *value)
{
	hs->h[hs->nh].name = name;
	hs->h[hs->nh++].value = value;
}

/* Form body for an RPC v1 signed call: every parameter plus Signature. */
static ecs_status sign_v1(creds_net *n, sts_params *ps, const cr_keys *with, size_t *len,
			  ecs_err *err)
{
	add(ps, "AccessKeyId", with->id);
	add(ps, "SignatureMethod", "HMAC-SHA1");
	add(ps, "SignatureVersion", "1.0");
	add(ps, "SignatureNonce", ps->nonce);
	if (with->token[0] != '\0')
		add(ps, "SecurityToken", with->token);
	if (sign_v1_query("POST", ps->p, ps->n, with->secret, strlen(with->secret), n->form,
			  sizeof(n->form), len, NULL, 0) != ECS_OK)
		return err_set(err, ECS_E_NOSPACE, "STS request larger than %zu bytes",
			       sizeof(n->form));
	return ECS_OK;
}

/* V3: the parameters are the form body; the signature covers its hash and the headers. */
static ecs_status sign_v3(creds_net *n, sts_params *ps, const cr_keys *with, const sts_target *t,
			  const char *action, sts_headers *hs, size_t *len, ecs_err *err)
{
	sign_pair sh[8];
	size_t ns = 0, alen, k;

	if (sign_canonical_query(ps->p, ps->n, n->form, sizeof(n->form), len) != ECS_OK)
		return err_set(err, ECS_E_NOSPACE, "STS request larger than %zu bytes",
			       sizeof(n->form));
	sign_sha256_hex(n->form, *len, hs->sha);
#define SH(nm, v)                                                                                  \
	(sh[ns].name = (nm), sh[ns].name_len = strlen(nm), sh[ns].value = (v),                     \
	 sh[ns].value_len = strlen(v), ns++)
	SH("host", t->hosthdr);
	SH("content-type", "application/x-www-form-urlencoded");
	SH("x-acs-action", action);
	SH("x-acs-version", STS_VERSION);
	SH("x-acs-date", ps->stamp);
	SH("x-acs-signature-nonce", ps->nonce);
	SH("x-acs-content-sha256", hs->sha);
	if (with->token[0] != '\0')
		SH("x-acs-security-token", with->token);
#undef SH
	if (sign_v3_authorization("POST", "/", "", 0, sh, ns, hs->sha, with->id, strlen(with->id),
				  with->secret, strlen(with->secret), hs->auth, sizeof(hs->auth),
				  &alen, NULL, n->req, sizeof(n->req)) != ECS_OK)
		return err_set(err, ECS_E_INPUT, "cannot sign the STS request (key too long?)");
	hs->nh = 0;
	for (k = 0; k < ns; k++)
		hdr(hs, sh[k].name, sh[k].value);
	hdr(hs, "Authorization", hs->auth);
	return ECS_OK;
}

/* Server text for a message: controls filtered, the secrets of this call cut out, and
 * nothing after "string to sign" (which quotes our parameters, the token among them). */
static void clean(char *s, size_t cap, const cr_keys *with, const char *oidc)
{
	char *p = strstr(s, "string to sign");
	size_t i;

	if (p != NULL)
		snprintf(p, cap - (size_t)(p - s), "string to sign ...");
	{
		const char *secrets[3] = {with != NULL ? with->secret : "",
					  with != NULL ? with->token : "", oidc};
		for (i = 0; i < 3; i++) {
			size_t l = strlen(secrets[i]);
			while (l >= 8 && (p = strstr(s, secrets[i])) != NULL)
				memset(p, '*', l);
		}
	}
	for (i = 0; s[i] != '\0'; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] == 0x7f)
			s[i] = ' ';
}

/* The server's clock from its Date header, when it says our timestamp is off; else 0. */
static int64_t server_clock(const creds_net *n, const char *code)
{
	const char *v;
	size_t len = 0;
	int64_t t = 0;

	if (strcmp(code, "InvalidTimeStamp.Expired") != 0)
		return 0;
	v = http_resp_header(&n->r, "Date", &len);
	if (v == NULL || sign_parse_http_date(v, len, &t) != 0)
		return 0;
	return t;
}

/* A non-200 answer: ECS_E_API with Code, Message and RequestId. *server_now gets the
 * server's clock when the error is a clock skew (else 0). */
static ecs_status api_error(const creds_net *n, const char *action, const creds_role *r,
			    const cr_keys *with, int64_t *server_now, ecs_err *err)
{
	jsmntok_t toks[48];
	char code[96] = "", msg[256] = "", rid[64] = "", arn[96];
	json_doc d;
	ecs_err je;
	size_t l;

	if (json_parse(&d, n->body, n->r.body_len, toks, 48, &je) == ECS_OK && d.ntok > 0 &&
	    d.tok[0].type == JSMN_OBJECT) {
		int i;
		if ((i = json_get(&d, 0, "Code")) >= 0 && json_is_string(&d, i))
			json_string(&d, i, code, sizeof(code), &l);
		if ((i = json_get(&d, 0, "Message")) >= 0 && json_is_string(&d, i))
			json_string(&d, i, msg, sizeof(msg), &l);
		if ((i = json_get(&d, 0, "RequestId")) >= 0 && json_is_string(&d, i))
			json_string(&d, i, rid, sizeof(rid), &l);
	}
	*server_now = server_clock(n, code);
	clean(code, sizeof(code), with, n->aux);
	clean(msg, sizeof(msg), with, n->aux);
	clean(rid, sizeof(rid), with, n->aux);
	cr_show(arn, sizeof(arn), r->role_arn, strlen(r->role_arn));
	return err_set(err, ECS_E_API, "STS %s for %s (%s): HTTP %d %s: %s%s%s%s", action, arn,
		       r->label, n->r.status, code[0] ? code : "(no Code)", msg,
		       rid[0] ? " (RequestId " : "", rid, rid[0] ? ")" : "");
}

/* What one STS call is about. */
typedef struct {
	const char *action;
	const creds_role *r;
	const cr_keys *with; /* NULL: anonymous */
	const creds_opts *o;
	int64_t now;	    /* our clock, corrected after a skew answer */
	int64_t server_now; /* (out) the server's clock, after InvalidTimeStamp.Expired */
} sts_call;

/* Sends the request in n->form (len bytes) with headers hs and parses the answer. */
static ecs_status sts_send(creds_net *n, const sts_target *t, sts_headers *hs, size_t len,
			   sts_call *k, creds *out, ecs_err *err)
{
	const char *action = k->action;
	const creds_role *r = k->r;
	const creds_opts *o = k->o;
	conn_opts co;
	conn_req q;
	ecs_status st;

	if ((st = cr_conn_opts(&co, o, t->host, t->port, 1, err)) != ECS_OK)
		return st;
	cr_emit(o, 0, "creds: STS %s for %s at %s", action, r->role_arn, t->hosthdr);
	conn_init(&n->cn, &co);
	memset(&q, 0, sizeof(q));
	q.method = "POST";
	q.target = "/";
	q.headers = hs->h;
	q.nheaders = hs->nh;
	q.body = n->form;
	q.body_len = len;
	q.wbuf = n->req;
	q.wcap = sizeof(n->req);
	q.hdr = n->hdr;
	q.hdr_cap = sizeof(n->hdr);
	q.rbody = n->body;
	q.rbody_cap = sizeof(n->body);
	st = conn_request(&n->cn, &q, &n->r, err);
	conn_close(&n->cn);
	if (st != ECS_OK) {
		err_prefix(err, "STS %s (%s)", action, r->label);
		return st;
	}
	if (n->r.status != 200)
		return api_error(n, action, r, k->with, &k->server_now, err);
	st = creds_parse_sts(n->body, n->r.body_len, k->now, out, err);
	if (st != ECS_OK)
		err_prefix(err, "STS %s for %s", action, r->label);
	return st;
}

/* The headers of an RPC-style (form body) call. */
static void rpc_headers(sts_headers *hs, const sts_target *t)
{
	hs->nh = 0;
	hdr(hs, "Host", t->hosthdr);
	hdr(hs, "Content-Type", "application/x-www-form-urlencoded");
}

/* 1 when the call should be signed again with the server's clock (once): a wrong local
 * clock is common on the devices this runs on. */
static int skew_retry(sts_call *k, int attempt, ecs_status st)
{
	if (st != ECS_E_API || k->server_now == 0 || attempt > 0)
		return 0;
	cr_emit(k->o, 0, "creds: STS says the clock is off by %lld s; signing again with its time",
		(long long)(k->server_now - k->now));
	k->now = k->server_now;
	k->server_now = 0;
	return 1;
}

/* One signed AssumeRole attempt at k->now. */
static ecs_status assume_once(creds_net *n, const sts_target *t, sts_call *k, creds *out,
			      ecs_err *err)
{
	sts_params ps;
	sts_headers hs;
	size_t len = 0;
	ecs_status st = base_params(&ps, k->action, k->r, k->now, err);

	if (st != ECS_OK)
		return st;
	if (k->r->external_id[0] != '\0')
		add(&ps, "ExternalId", k->r->external_id);
	if (k->o != NULL && k->o->sts_v1) {
		rpc_headers(&hs, t);
		st = sign_v1(n, &ps, k->with, &len, err);
	} else {
		st = sign_v3(n, &ps, k->with, t, k->action, &hs, &len, err);
	}
	if (st == ECS_OK) {
		hdr(&hs, "Accept", "application/json");
		hdr(&hs, "User-Agent", "ecs-ca-status/" ECS_VERSION);
		st = sts_send(n, t, &hs, len, k, out, err);
	}
	cr_wipe(&hs, sizeof(hs));
	return st;
}

ecs_status creds_sts_assume(creds_net *n, const creds_role *r, const cr_keys *with,
			    const creds_opts *o, creds *out, ecs_err *err)
{
	sts_call k = {"AssumeRole", r, with, o, 0, 0};
	sts_target t;
	int attempt = 0;
	ecs_status st;

	cr_wipe_secrets(out);
	n->aux[0] = '\0';
	k.now = port_time_unix();
	st = sts_endpoint(r, &t, err);
	while (st == ECS_OK) {
		st = assume_once(n, &t, &k, out, err);
		if (!skew_retry(&k, attempt++, st))
			break;
		st = ECS_OK;
	}
	cr_wipe(n, sizeof(*n));
	if (st != ECS_OK)
		cr_wipe_secrets(out);
	return st;
}

/* The OIDC token file into n->aux: bounded, without its trailing newline. */
static ecs_status read_token(creds_net *n, const char *path, ecs_err *err)
{
	char detail[128], sp[100];
	size_t len = 0;
	port_status ps = port_read_file(path, n->aux, sizeof(n->aux) - 1, &len, NULL, detail,
					sizeof(detail));

	cr_short_path(sp, sizeof(sp), path);
	if (ps == PORT_E_TOOBIG)
		return err_set(err, ECS_E_CREDS, "OIDC token file %s is larger than %zu bytes", sp,
			       sizeof(n->aux) - 1);
	if (ps != PORT_OK)
		return err_set(err, ECS_E_CREDS, "cannot read the OIDC token file %s: %s", sp,
			       ps == PORT_E_NOENT ? "not found" : detail);
	while (len > 0 &&
	       (n->aux[len - 1] == '\n' || n->aux[len - 1] == '\r' || n->aux[len - 1] == ' '))
		len--;
	n->aux[len] = '\0';
	if (len == 0)
		return err_set(err, ECS_E_CREDS, "the OIDC token file %s is empty", sp);
	if (cr_has_ctl(n->aux, len))
		return err_set(err, ECS_E_CREDS, "the OIDC token file %s holds control characters",
			       sp);
	return ECS_OK;
}

/* One anonymous AssumeRoleWithOIDC attempt at k->now; the token is in n->aux. */
static ecs_status oidc_once(creds_net *n, const sts_target *t, sts_call *k,
			    const char *provider_arn, creds *out, ecs_err *err)
{
	sts_params ps;
	sts_headers hs;
	size_t len = 0;
	ecs_status st = base_params(&ps, k->action, k->r, k->now, err);

	if (st != ECS_OK)
		return st;
	add(&ps, "OIDCProviderArn", provider_arn);
	add(&ps, "OIDCToken", n->aux);
	if (sign_canonical_query(ps.p, ps.n, n->form, sizeof(n->form), &len) != ECS_OK)
		return err_set(err, ECS_E_NOSPACE, "STS request larger than %zu bytes",
			       sizeof(n->form));
	rpc_headers(&hs, t);
	hdr(&hs, "Accept", "application/json");
	hdr(&hs, "User-Agent", "ecs-ca-status/" ECS_VERSION);
	return sts_send(n, t, &hs, len, k, out, err);
}

ecs_status creds_sts_oidc(creds_net *n, const creds_role *r, const char *provider_arn,
			  const char *token_file, const creds_opts *o, creds *out, ecs_err *err)
{
	sts_call k = {"AssumeRoleWithOIDC", r, NULL, o, 0, 0};
	sts_target t;
	int attempt = 0;
	ecs_status st;

	cr_wipe_secrets(out);
	k.now = port_time_unix();
	st = sts_endpoint(r, &t, err);
	if (st == ECS_OK)
		st = read_token(n, token_file, err);
	while (st == ECS_OK) {
		st = oidc_once(n, &t, &k, provider_arn, out, err);
		if (!skew_retry(&k, attempt++, st))
			break;
		st = ECS_OK;
	}
	cr_wipe(n, sizeof(*n));
	if (st != ECS_OK)
		cr_wipe_secrets(out);
	return st;
}
