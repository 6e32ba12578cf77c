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
	char hosthdr[CR_HOSTHDR_MAX];
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
	if (st == ECS_OK)
		cr_hosthdr(t->hosthdr, t->host, -1, t->port, 443);
	return st;
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

/* The form body into n->form: with v1 keys, signed (RPC v1: the parameters plus Signature);
 * else the parameters as they are (V3 signs in headers; OIDC is anonymous). */
static ecs_status form_body(creds_net *n, sts_params *ps, const cr_keys *v1, size_t *len,
			    ecs_err *err)
{
	ecs_status st;

	if (v1 != NULL) {
		add(ps, "AccessKeyId", v1->id);
		add(ps, "SignatureMethod", "HMAC-SHA1");
		add(ps, "SignatureVersion", "1.0");
		add(ps, "SignatureNonce", ps->nonce);
		if (v1->token[0] != '\0')
			add(ps, "SecurityToken", v1->token);
		st = sign_v1_query("POST", ps->p, ps->n, v1->secret, strlen(v1->secret), n->form,
				   sizeof(n->form), len, NULL, 0);
	} else {
		st = sign_canonical_query(ps->p, ps->n, n->form, sizeof(n->form), len);
	}
	if (st != ECS_OK)
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
	ecs_status st = form_body(n, ps, NULL, len, err);

	if (st != ECS_OK)
		return st;
	sign_sha256_hex(n->form, *len, hs->sha);
	hs->nh = 0;
	hdr(hs, "host", t->hosthdr);
	hdr(hs, "content-type", "application/x-www-form-urlencoded");
	hdr(hs, "x-acs-action", action);
	hdr(hs, "x-acs-version", STS_VERSION);
	hdr(hs, "x-acs-date", ps->stamp);
	hdr(hs, "x-acs-signature-nonce", ps->nonce);
	hdr(hs, "x-acs-content-sha256", hs->sha);
	if (with->token[0] != '\0')
		hdr(hs, "x-acs-security-token", with->token);
	for (k = 0; k < hs->nh; k++, ns++) {
		sh[k].name = hs->h[k].name;
		sh[k].name_len = strlen(sh[k].name);
		sh[k].value = hs->h[k].value;
		sh[k].value_len = strlen(sh[k].value);
	}
	if (sign_v3_authorization("POST", "/", "", 0, sh, ns, hs->sha, with->id, strlen(with->id),
				  with->secret, strlen(with->secret), hs->auth, sizeof(hs->auth),
				  &alen, NULL, n->req, sizeof(n->req)) != ECS_OK)
		return err_set(err, ECS_E_INPUT, "cannot sign the STS request (key too long?)");
	hdr(hs, "Authorization", hs->auth);
	return ECS_OK;
}

/* Server text for a message: controls filtered, the secrets of this call cut out, and
 * nothing after "string to sign" (which quotes our parameters, the token among them). */
static void clean(char *s, size_t cap, const cr_keys *with, const char *oidc)
{
	const char *secrets[3] = {with != NULL ? with->secret : "", with != NULL ? with->token : "",
				  oidc};
	char *p = strstr(s, "string to sign");
	size_t i;

	if (p != NULL)
		snprintf(p, cap - (size_t)(p - s), "string to sign ...");
	for (i = 0; i < 3; i++) {
		size_t l = strlen(secrets[i]);
		while (l >= 8 && (p = strstr(s, secrets[i])) != NULL)
			memset(p, '*', l);
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

/* What one STS call is about. */
typedef struct {
	const char *action;
	const creds_role *r;
	const cr_keys *with;	  /* NULL: anonymous (AssumeRoleWithOIDC) */
	const char *provider_arn; /* AssumeRoleWithOIDC; the token is in n->aux */
	const creds_opts *o;
	int64_t now;	    /* our clock, corrected after a skew answer */
	int64_t server_now; /* (out) the server's clock, after InvalidTimeStamp.Expired */
} sts_call;

/* A non-200 answer: ECS_E_API with Code, Message and RequestId. k->server_now gets the
 * server's clock when the error is a clock skew (else 0). */
static ecs_status api_error(const creds_net *n, sts_call *k, ecs_err *err)
{
	static const char *const keys[3] = {"Code", "Message", "RequestId"};
	jsmntok_t toks[48];
	char code[96] = "", msg[256] = "", rid[64] = "", arn[96];
	char *const v[3] = {code, msg, rid};
	const size_t cap[3] = {sizeof(code), sizeof(msg), sizeof(rid)};
	json_doc d;
	size_t l, i;
	/* the parser's message is not needed: err_set() takes a NULL err */
	int ok = json_parse(&d, n->body, n->r.body_len, toks, 48, NULL) == ECS_OK && d.ntok > 0 &&
		 d.tok[0].type == JSMN_OBJECT;

	for (i = 0; ok && i < 3; i++)
		json_string(&d, json_get(&d, 0, keys[i]), v[i], cap[i], &l);
	k->server_now = server_clock(n, code);
	for (i = 0; i < 3; i++)
		clean(v[i], cap[i], k->with, n->aux);
	cr_show(arn, sizeof(arn), k->r->role_arn, strlen(k->r->role_arn));
	return err_set(err, ECS_E_API, "STS %s for %s (%s): HTTP %d %s: %s%s%s%s", k->action, arn,
		       k->r->label, n->r.status, code[0] ? code : "(no Code)", msg,
		       rid[0] ? " (RequestId " : "", rid, rid[0] ? ")" : "");
}

/* Sends the request in n->form (len bytes) with headers hs and parses the answer. */
static ecs_status sts_send(creds_net *n, const sts_target *t, sts_headers *hs, size_t len,
			   sts_call *k, creds *out, ecs_err *err)
{
	conn_opts co;
	ecs_status st;

	if ((st = cr_conn_opts(&co, k->o, t->host, t->port, CR_TLS, err)) != ECS_OK)
		return st;
	cr_trace(k->o, "STS %s for %s at %s", k->action, k->r->role_arn, t->hosthdr);
	st = cr_request_once(n, &co, "POST", "/", hs->h, hs->nh, len, err);
	if (st != ECS_OK) {
		err_prefix(err, "STS %s (%s)", k->action, k->r->label);
		return st;
	}
	if (n->r.status != 200)
		return api_error(n, k, err);
	st = creds_parse_sts(n->body, n->r.body_len, k->now, out, err);
	if (st != ECS_OK)
		err_prefix(err, "STS %s for %s", k->action, k->r->label);
	return st;
}

/* One attempt at k->now: AssumeRole signed (RPC v1 or V3), or the anonymous
 * AssumeRoleWithOIDC. */
static ecs_status sts_once(creds_net *n, const sts_target *t, sts_call *k, creds *out, ecs_err *err)
{
	sts_params ps;
	sts_headers hs;
	size_t len = 0;
	ecs_status st = base_params(&ps, k->action, k->r, k->now, err);

	if (st != ECS_OK)
		return st;
	if (k->with == NULL) {
		add(&ps, "OIDCProviderArn", k->provider_arn);
		add(&ps, "OIDCToken", n->aux);
	} else if (k->r->external_id[0] != '\0') {
		add(&ps, "ExternalId", k->r->external_id);
	}
	if (k->with != NULL && !k->o->sts_v1) {
		st = sign_v3(n, &ps, k->with, t, k->action, &hs, &len, err);
	} else {
		hs.nh = 0;
		hdr(&hs, "Host", t->hosthdr);
		hdr(&hs, "Content-Type", "application/x-www-form-urlencoded");
		st = form_body(n, &ps, k->with, &len, err);
	}
	if (st == ECS_OK) {
		hdr(&hs, "Accept", "application/json");
		hdr(&hs, "User-Agent", "ecs-ca-status/" ECS_VERSION);
		st = sts_send(n, t, &hs, len, k, out, err);
	}
	cr_wipe(&hs, sizeof(hs));
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
	if (len == 0 || cr_has_ctl(n->aux, len))
		return err_set(err, ECS_E_CREDS,
			       len == 0 ? "the OIDC token file %s is empty"
					: "the OIDC token file %s holds control characters",
			       sp);
	return ECS_OK;
}

/* The call, signed again once with the server's clock after a skew answer (a wrong local
 * clock is common on the devices this runs on). token_file: AssumeRoleWithOIDC. */
static ecs_status sts_run(creds_net *n, sts_call *k, const char *token_file, creds *out,
			  ecs_err *err)
{
	sts_target t;
	int attempt = 0;
	ecs_status st;

	cr_wipe_secrets(out);
	n->aux[0] = '\0';
	k->now = port_time_unix();
	st = sts_endpoint(k->r, &t, err);
	if (st == ECS_OK && token_file != NULL)
		st = read_token(n, token_file, err);
	while (st == ECS_OK) {
		st = sts_once(n, &t, k, out, err);
		if (st != ECS_E_API || k->server_now == 0 || attempt++ > 0)
			break;
		cr_trace(k->o, "STS says the clock is off by %lld s; signing again with its time",
			 (long long)(k->server_now - k->now));
		k->now = k->server_now;
		k->server_now = 0;
		st = ECS_OK;
	}
	cr_wipe(n, sizeof(*n));
	if (st != ECS_OK)
		cr_wipe_secrets(out);
	return st;
}

ecs_status creds_sts_assume(creds_net *n, const creds_role *r, const cr_keys *with,
			    const creds_opts *o, creds *out, ecs_err *err)
{
	sts_call k = {"AssumeRole", r, with, NULL, o, 0, 0};

	return sts_run(n, &k, NULL, out, err);
}

ecs_status creds_sts_oidc(creds_net *n, const creds_role *r, const char *provider_arn,
			  const char *token_file, const creds_opts *o, creds *out, ecs_err *err)
{
	sts_call k = {"AssumeRoleWithOIDC", r, NULL, provider_arn, o, 0, 0};

	return sts_run(n, &k, token_file, out, err);
}
