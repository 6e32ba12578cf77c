#include "ecs.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "http.h"
#include "json.h"
#include "port.h"
#include "sign.h"

#define ACTION		   "DescribeCloudAssistantStatus"
#define API_VERSION	   "2014-05-26"
#define JSON_TOKENS	   8192 /* 100 records take ~2,300 tokens */
#define BACKOFF_BASE_MS	   200u
#define BACKOFF_CAP_MS	   20000u
#define RETRY_AFTER_CAP_MS 60000u
#define SKEW_TRACE_S	   300 /* a server clock further away than this is worth correcting */

/* Large per-process buffers (one request in flight at a time). */
static char req_buf[ECS_HTTP_REQ_MAX];
static char query_buf[ECS_HTTP_REQ_MAX];
static char sts_buf[ECS_HTTP_REQ_MAX + 4096];
static char hdr_buf[ECS_HTTP_HDR_MAX];
static char body_buf[ECS_HTTP_BODY_MAX];
static jsmntok_t tokens[JSON_TOKENS];

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

void ecs_client_init(ecs_client *cl, const ecs_opts *o)
{
	memset(cl, 0, sizeof(*cl));
	cl->o = *o;
	conn_init(&cl->c, &o->conn);
	cl->c.o.no_resend = 1; /* every attempt is signed anew (fresh nonce and time) */
}

void ecs_client_close(ecs_client *cl)
{
	conn_close(&cl->c);
}

/* ---- response mapping ---- */

static void copy_str(const json_doc *d, int i, char *out, size_t cap)
{
	size_t n;

	out[0] = '\0';
	if (i < 0 || json_is_null(d, i))
		return;
	if (json_string(d, i, out, cap, &n) != ECS_OK)
		out[0] = '\0';
}

static int first_of(const json_doc *d, int obj, const char *a, const char *b)
{
	int v = json_get(d, obj, a);

	return v >= 0 ? v : json_get(d, obj, b);
}

static ecs_status map_record(const json_doc *d, int it, ecs_record *r, ecs_err *err)
{
	int v, b;

	memset(r, 0, sizeof(*r));
	r->status = -1;
	r->active = -1;
	r->invocations = -1;
	r->session_manager = -1;
	if (json_size(d, it) < 0 || d->tok[it].type != JSMN_OBJECT)
		return err_set(err, ECS_E_PROTO, "an instance entry is not a JSON object");
	v = json_get(d, it, "InstanceId");
	if (v < 0 || json_string(d, v, r->id, sizeof(r->id), NULL) != ECS_OK || r->id[0] == '\0')
		return err_set(err, ECS_E_PROTO, "an instance entry has no valid InstanceId");
	v = first_of(d, it, "CloudAssistantStatus", "CloudAssitantStatus");
	if (v >= 0 && json_bool(d, v, &b) == 0)
		r->status = b;
	copy_str(d, json_get(d, it, "CloudAssistantVersion"), r->version, sizeof(r->version));
	copy_str(d, json_get(d, it, "OSType"), r->os, sizeof(r->os));
	copy_str(d, json_get(d, it, "LastHeartbeatTime"), r->last_heartbeat,
		 sizeof(r->last_heartbeat));
	copy_str(d, json_get(d, it, "LastInvokedTime"), r->last_invoked, sizeof(r->last_invoked));
	v = json_get(d, it, "ActiveTaskCount");
	if (v >= 0 && json_int64(d, v, &r->active) != 0)
		r->active = -1;
	v = json_get(d, it, "InvocationCount");
	if (v >= 0 && json_int64(d, v, &r->invocations) != 0)
		r->invocations = -1;
	v = json_get(d, it, "SupportSessionManager");
	if (v >= 0 && json_bool(d, v, &b) == 0)
		r->session_manager = b;
	return ECS_OK;
}

ecs_status ecs_parse_page(const char *body, size_t len, ecs_page *p, ecs_err *err)
{
	json_doc d;
	int set, arr, k, n, v;
	ecs_status st;

	memset(p, 0, offsetof(ecs_page, rec));
	p->total_count = -1;
	st = json_parse(&d, body, len, tokens, JSON_TOKENS, err);
	if (st != ECS_OK)
		return st;
	if (d.tok[0].type != JSMN_OBJECT)
		return err_set(err, ECS_E_PROTO, "the answer is not a JSON object");
	copy_str(&d, json_get(&d, 0, "RequestId"), p->request_id, sizeof(p->request_id));
	copy_str(&d, json_get(&d, 0, "NextToken"), p->next_token, sizeof(p->next_token));
	v = json_get(&d, 0, "NextToken");
	if (v >= 0 && json_is_string(&d, v) && p->next_token[0] == '\0' &&
	    d.tok[v].end > d.tok[v].start)
		return err_set(err, ECS_E_PROTO, "NextToken is longer than %u bytes",
			       (unsigned)sizeof(p->next_token) - 1);
	v = json_get(&d, 0, "TotalCount");
	if (v >= 0 && json_int64(&d, v, &p->total_count) != 0)
		p->total_count = -1;
	set = json_get(&d, 0, "InstanceCloudAssistantStatusSet");
	if (set < 0)
		set = json_get(&d, 0, "InstanceCloudAssitantStatusSet");
	if (set < 0 || json_is_null(&d, set)) {
		p->n = 0; /* no instances: the set may be absent */
		return ECS_OK;
	}
	arr = first_of(&d, set, "InstanceCloudAssistantStatus", "InstanceCloudAssitantStatus");
	if (arr < 0 && d.tok[set].type == JSMN_ARRAY)
		arr = set; /* a flattened set */
	if (arr < 0 || d.tok[arr].type != JSMN_ARRAY) {
		if (json_size(&d, set) == 0)
			return ECS_OK;
		return err_set(err, ECS_E_PROTO,
			       "unexpected answer: InstanceCloudAssistantStatusSet has no list");
	}
	n = json_size(&d, arr);
	if (n > ECS_PAGE_MAX)
		return err_set(err, ECS_E_NOSPACE, "the answer lists more than %d instances",
			       ECS_PAGE_MAX);
	for (k = 0; k < n; k++) {
		st = map_record(&d, json_array_at(&d, arr, k), &p->rec[p->n], err);
		if (st != ECS_OK)
			return st;
		p->n++;
	}
	return ECS_OK;
}

/* Copies the text between <tag> and </tag> (XML error bodies). */
static void xml_field(const char *b, size_t len, const char *tag, char *out, size_t cap)
{
	char open[48], close[48];
	const char *s, *e;
	size_t ol, n;

	out[0] = '\0';
	snprintf(open, sizeof(open), "<%s>", tag);
	snprintf(close, sizeof(close), "</%s>", tag);
	ol = strlen(open);
	for (s = b; s + ol <= b + len; s++) {
		if (memcmp(s, open, ol) != 0)
			continue;
		s += ol;
		for (e = s; e + strlen(close) <= b + len; e++) {
			if (memcmp(e, close, strlen(close)) == 0) {
				n = (size_t)(e - s) < cap - 1 ? (size_t)(e - s) : cap - 1;
				memcpy(out, s, n);
				out[n] = '\0';
				return;
			}
		}
		return;
	}
}

/* Replaces control characters so that a server's text cannot drive the terminal. */
static void sanitize(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = ' ';
}

void ecs_parse_error(const char *body, size_t len, int http_status, ecs_api_error *e)
{
	json_doc d;

	memset(e, 0, sizeof(*e));
	e->http_status = http_status;
	if (json_parse(&d, body, len, tokens, JSON_TOKENS, NULL) == ECS_OK &&
	    d.tok[0].type == JSMN_OBJECT) {
		copy_str(&d, json_get(&d, 0, "Code"), e->code, sizeof(e->code));
		copy_str(&d, json_get(&d, 0, "Message"), e->message, sizeof(e->message));
		copy_str(&d, json_get(&d, 0, "RequestId"), e->request_id, sizeof(e->request_id));
		copy_str(&d, json_get(&d, 0, "Recommend"), e->recommend, sizeof(e->recommend));
	} else {
		xml_field(body, len, "Code", e->code, sizeof(e->code));
		xml_field(body, len, "Message", e->message, sizeof(e->message));
		xml_field(body, len, "RequestId", e->request_id, sizeof(e->request_id));
		xml_field(body, len, "Recommend", e->recommend, sizeof(e->recommend));
	}
	sanitize(e->code);
	sanitize(e->message);
	sanitize(e->request_id);
	sanitize(e->recommend);
}

/* ---- requests ---- */

typedef struct {
	sign_pair p[ECS_PAGE_MAX + 16];
	size_t n;
	char names[ECS_PAGE_MAX][16]; /* "InstanceId.100" */
	char max_results[8];
} params;

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
static void redact_query(const char *in, char *out, size_t cap, const char *const *names, size_t nn)
{
	size_t o = 0;
	const char *p = in;

	while (*p != '\0' && o + 1 < cap) {
		size_t k;
		int hit = 0;
		for (k = 0; k < nn; k++) {
			size_t l = strlen(names[k]);
			if ((p == in || p[-1] == '&' || p[-1] == '?') &&
			    strncmp(p, names[k], l) == 0 && p[l] == '=') {
				int w = snprintf(out + o, cap - o, "%s=<redacted>", names[k]);
				if (w > 0)
					o += (size_t)w < cap - o ? (size_t)w : cap - o - 1;
				p += l + 1;
				while (*p != '\0' && *p != '&' && *p != ' ')
					p++;
				hit = 1;
				break;
			}
		}
		if (!hit)
			out[o++] = *p++;
	}
	out[o < cap ? o : cap - 1] = '\0';
}

/* Builds the signed request for the current attempt into out (cap bytes). */
static ecs_status build_request(ecs_client *cl, const params *in, char *out, size_t cap,
				size_t *req_len, ecs_err *err)
{
	/* Signing sorts the pairs in place: work on a copy so the caller's order survives for
	 * the next attempt. */
	static params work;
	params *ps = &work;
	const creds *cr = cl->o.cred;
	uint8_t rnd[16];
	char nonce[33], stamp[21], host[ECS_HOST_MAX + 8], target[ECS_HTTP_REQ_MAX];
	size_t qlen, base_n = in->n;
	ecs_status st;
	int64_t now = port_time_unix() + cl->clock_offset;

	memcpy(ps->p, in->p, in->n * sizeof(in->p[0]));
	ps->n = in->n;

	if (port_random(rnd, sizeof(rnd)) != PORT_OK)
		return err_set(err, ECS_E_INTERNAL, "no random source for the request nonce");
	sign_nonce_hex(rnd, nonce);
	sign_format_time(now, stamp);
	host_header(cl, host, sizeof(host));
	if (cl->o.sig_v1) {
		http_header h[3];
		add(ps, "Action", ACTION);
		add(ps, "Version", API_VERSION);
		add(ps, "Format", "JSON");
		add(ps, "AccessKeyId", cr->key_id);
		add(ps, "SignatureMethod", "HMAC-SHA1");
		add(ps, "SignatureVersion", "1.0");
		add(ps, "SignatureNonce", nonce);
		add(ps, "Timestamp", stamp);
		if (cr->token[0] != '\0')
			add(ps, "SecurityToken", cr->token);
		st = sign_v1_query("GET", ps->p, ps->n, cr->secret, strlen(cr->secret), query_buf,
				   sizeof(query_buf), &qlen, sts_buf, sizeof(sts_buf));
		memset(sts_buf, 0, sizeof(sts_buf));
		if (st != ECS_OK)
			return err_set(err, st, "request too large to sign (%u ids?)",
				       (unsigned)base_n);
		if (qlen + 2 > sizeof(target))
			return err_set(err, ECS_E_NOSPACE, "request larger than %u bytes",
				       (unsigned)sizeof(target));
		target[0] = '/';
		target[1] = '?';
		memcpy(target + 2, query_buf, qlen + 1);
		h[0].name = "Host";
		h[0].value = host;
		h[1].name = "Accept";
		h[1].value = "application/json";
		h[2].name = "User-Agent";
		h[2].value = "ecs-ca-status/" ECS_VERSION;
		return http_write_request(out, cap, req_len, "GET", target, h, 3, NULL, 0, err);
	} else {
		static const char empty_sha[] =
			"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
		sign_pair sh[8];
		http_header h[11];
		char auth[1024];
		size_t ns = 0, nh, alen, k;

		st = sign_canonical_query(ps->p, ps->n, query_buf, sizeof(query_buf), &qlen);
		if (st != ECS_OK)
			return err_set(err, st, "request larger than %u bytes",
				       (unsigned)sizeof(query_buf));
#define SH(n, v)                                                                                   \
	(sh[ns].name = (n), sh[ns].name_len = strlen(n), sh[ns].value = (v),                       \
	 sh[ns].value_len = strlen(v), ns++)
		SH("host", host);
		SH("x-acs-action", ACTION);
		SH("x-acs-version", API_VERSION);
		SH("x-acs-date", stamp);
		SH("x-acs-signature-nonce", nonce);
		SH("x-acs-content-sha256", empty_sha);
		if (cr->token[0] != '\0')
			SH("x-acs-security-token", cr->token);
#undef SH
		st = sign_v3_authorization("POST", "/", query_buf, qlen, sh, ns, empty_sha,
					   cr->key_id, strlen(cr->key_id), cr->secret,
					   strlen(cr->secret), auth, sizeof(auth), &alen, NULL);
		if (st != ECS_OK)
			return err_set(err, st, "request too large to sign");
		if (qlen + 2 > sizeof(target))
			return err_set(err, ECS_E_NOSPACE, "request larger than %u bytes",
				       (unsigned)sizeof(target));
		target[0] = '/';
		target[1] = qlen > 0 ? '?' : '\0';
		memcpy(target + 2, query_buf, qlen + 1);
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
		st = http_write_request(out, cap, req_len, "POST", target, h, nh, NULL, 0, err);
		memset(auth, 0, sizeof(auth));
		return st;
	}
}

/* The request text with every secret-derived value redacted, for --dry-run and -v. */
static void redacted_request(const char *req, size_t len, char *out, size_t cap)
{
	static const char *const names[] = {"Signature", "SecurityToken"};
	char line[ECS_HTTP_REQ_MAX];
	size_t o = 0, i = 0;

	while (i < len && o + 1 < cap) {
		size_t e = i, ll;
		while (e < len && req[e] != '\n')
			e++;
		ll = e - i;
		if (ll >= sizeof(line))
			ll = sizeof(line) - 1;
		memcpy(line, req + i, ll);
		line[ll] = '\0';
		if (ll > 0 && line[ll - 1] == '\r')
			line[--ll] = '\0';
		if (strncmp(line, "Authorization:", 14) == 0) {
			char *sig = strstr(line, "Signature=");
			if (sig != NULL)
				strcpy(sig + 10, "<redacted>");
			o += (size_t)snprintf(out + o, cap - o, "%s\n", line);
		} else if (strncmp(line, "x-acs-security-token:", 21) == 0) {
			o += (size_t)snprintf(out + o, cap - o,
					      "x-acs-security-token: <redacted>\n");
		} else if (i == 0) {
			char red[ECS_HTTP_REQ_MAX];
			redact_query(line, red, sizeof(red), names, 2);
			o += (size_t)snprintf(out + o, cap - o, "%s\n", red);
		} else {
			o += (size_t)snprintf(out + o, cap - o, "%s\n", line);
		}
		if (o >= cap)
			o = cap - 1;
		i = e + 1;
	}
	out[o < cap ? o : cap - 1] = '\0';
}

static int retryable_code(const char *code)
{
	return strncmp(code, "Throttling", 10) == 0 || strcmp(code, "ServiceUnavailable") == 0 ||
	       strncmp(code, "InternalError", 13) == 0 || strcmp(code, "UnknownError") == 0;
}

static uint32_t backoff_ms(unsigned attempt, uint32_t retry_after)
{
	uint32_t d = BACKOFF_BASE_MS << (attempt < 7 ? attempt : 7), j = 0;
	uint8_t r[4];

	if (d > BACKOFF_CAP_MS)
		d = BACKOFF_CAP_MS;
	/* equal jitter: half fixed, half random */
	if (port_random(r, sizeof(r)) == PORT_OK)
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
	int64_t st = server_time(r), local = port_time_unix() + cl->clock_offset, d;

	if (st == 0)
		return;
	d = st - local;
	if (d > SKEW_TRACE_S || d < -SKEW_TRACE_S) {
		cl->clock_offset = st - port_time_unix();
		trace(cl,
		      "clock skew: the server's Date is %lld s %s the local clock; using the "
		      "server's time for signing",
		      (long long)(d < 0 ? -d : d), d > 0 ? "ahead of" : "behind");
	}
}

static ecs_status call(ecs_client *cl, params *ps, ecs_page *out, ecs_err *err)
{
	static char shown[ECS_HTTP_REQ_MAX + 1024];
	unsigned attempt = 0;
	int free_reconnect = 1;

	for (;;) {
		http_resp r;
		size_t req_len;
		int reused = 0;
		uint32_t wait_ms = 0;
		ecs_status st;

		st = build_request(cl, ps, req_buf, sizeof(req_buf), &req_len, err);
		if (st != ECS_OK)
			return st;
		if (cl->o.dry_run) {
			redacted_request(req_buf, req_len, shown, sizeof(shown));
			if (cl->o.dry_run_out != NULL)
				cl->o.dry_run_out(cl->o.ctx, shown, strlen(shown));
			memset(out, 0, offsetof(ecs_page, rec));
			out->total_count = -1;
			return ECS_OK;
		}
		if (cl->o.trace != NULL) {
			char *nl;
			redacted_request(req_buf, req_len, shown, sizeof(shown));
			nl = strchr(shown, '\n');
			if (nl != NULL)
				*nl = '\0';
			trace(cl, "request: %s", shown);
		}
		cl->requests++;
		http_resp_init(&r, hdr_buf, sizeof(hdr_buf), body_buf, sizeof(body_buf), 0);
		st = conn_exchange(&cl->c, req_buf, req_len, &r, &reused, err);
		memset(req_buf, 0, req_len); /* held a signature and maybe a token */
		if (st == ECS_E_CLOSED && reused && free_reconnect) {
			/* the server closed an idle kept-alive connection: not a failure */
			free_reconnect = 0;
			trace(cl,
			      "retry: %s closed the kept-alive connection before answering; "
			      "reconnecting and signing anew",
			      cl->o.conn.host);
			continue;
		}
		if (st != ECS_OK) {
			int transient =
				st == ECS_E_NET || st == ECS_E_TIMEOUT || st == ECS_E_CLOSED;
			if (!transient || attempt >= cl->o.retries)
				return st;
			wait_ms = backoff_ms(attempt, 0);
			trace(cl, "retry %u/%u in %u ms after: %s", attempt + 1, cl->o.retries,
			      (unsigned)wait_ms, err->msg);
		} else {
			trace(cl, "response: HTTP %d, %u bytes%s", r.status, (unsigned)r.body_len,
			      reused ? " (kept-alive connection)" : "");
			if (r.status == 200) {
				note_clock(cl, &r);
				st = ecs_parse_page(body_buf, r.body_len, out, err);
				if (st != ECS_OK)
					err_prefix(err, "answer from %s", cl->o.conn.host);
				return st;
			} else {
				ecs_api_error e;
				ecs_parse_error(body_buf, r.body_len, r.status, &e);
				if (strcmp(e.code, "InvalidTimeStamp.Expired") == 0 &&
				    !cl->skew_corrected && server_time(&r) != 0) {
					int64_t before = cl->clock_offset;
					cl->clock_offset = server_time(&r) - port_time_unix();
					cl->skew_corrected = 1;
					trace(cl,
					      "clock skew: %s; the server's Date differs from the "
					      "local clock by %lld s; retrying once with the "
					      "server's "
					      "time",
					      e.code, (long long)(cl->clock_offset - before));
					continue;
				}
				if (!(retryable_code(e.code) || r.status >= 500) ||
				    attempt >= cl->o.retries) {
					if (e.code[0] == '\0')
						return err_set(err, ECS_E_API,
							       "API error: HTTP %d from %s with no "
							       "error code",
							       r.status, cl->o.conn.host);
					return err_set(
						err, ECS_E_API,
						"API error %s (HTTP %d): %s RequestId: %s%s%s",
						e.code, r.status,
						e.message[0] ? e.message : "(no message)",
						e.request_id[0] ? e.request_id : "-",
						e.recommend[0] ? " Recommend: " : "", e.recommend);
				}
				wait_ms = backoff_ms(attempt, header_ms(&r, "x-acs-retry-after"));
				trace(cl, "retry %u/%u in %u ms after %s (HTTP %d)", attempt + 1,
				      cl->o.retries, (unsigned)wait_ms,
				      e.code[0] ? e.code : "error", r.status);
			}
		}
		attempt++;
		port_sleep_ms(wait_ms);
	}
}

static void base_params(const ecs_client *cl, params *ps)
{
	ps->n = 0;
	add(ps, "RegionId", cl->o.region);
	if (cl->o.os_type != NULL)
		add(ps, "OSType", cl->o.os_type);
}

ecs_status ecs_describe_ids(ecs_client *cl, const char *const *ids, size_t n, ecs_page *out,
			    ecs_err *err)
{
	static params ps;
	size_t i;

	if (n == 0 || n > ECS_PAGE_MAX)
		return err_set(err, ECS_E_INTERNAL, "batch of %u ids", (unsigned)n);
	base_params(cl, &ps);
	for (i = 0; i < n; i++) {
		snprintf(ps.names[i], sizeof(ps.names[i]), "InstanceId.%u", (unsigned)(i + 1));
		add(&ps, ps.names[i], ids[i]);
	}
	return call(cl, &ps, out, err);
}

ecs_status ecs_describe_page(ecs_client *cl, const char *token, unsigned max_results, ecs_page *out,
			     ecs_err *err)
{
	static params ps;

	base_params(cl, &ps);
	snprintf(ps.max_results, sizeof(ps.max_results), "%u", max_results);
	add(&ps, "MaxResults", ps.max_results);
	if (token != NULL && token[0] != '\0')
		add(&ps, "NextToken", token);
	return call(cl, &ps, out, err);
}

/* ---- pieces for the batch engine: build, classify, answer ---- */

ecs_status ecs_build_ids(ecs_client *cl, const char *const *ids, size_t n, char *out, size_t cap,
			 size_t *len, ecs_err *err)
{
	static params ps; /* (signing scratch: one build at a time) */
	size_t i;

	if (n == 0 || n > ECS_PAGE_MAX)
		return err_set(err, ECS_E_INTERNAL, "batch of %u ids", (unsigned)n);
	base_params(cl, &ps);
	for (i = 0; i < n; i++) {
		snprintf(ps.names[i], sizeof(ps.names[i]), "InstanceId.%u", (unsigned)(i + 1));
		add(&ps, ps.names[i], ids[i]);
	}
	cl->requests++;
	return build_request(cl, &ps, out, cap, len, err);
}

void ecs_trace_request(ecs_client *cl, const char *req, size_t len)
{
	static char shown[ECS_HTTP_REQ_MAX + 1024];
	char *nl;

	if (cl->o.trace == NULL)
		return;
	redacted_request(req, len, shown, sizeof(shown));
	nl = strchr(shown, '\n');
	if (nl != NULL)
		*nl = '\0';
	trace(cl, "request: %s", shown);
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

static ecs_status api_error(const ecs_client *cl, const ecs_api_error *e, ecs_err *err)
{
	if (e->code[0] == '\0')
		return err_set(err, ECS_E_API, "API error: HTTP %d from %s with no error code",
			       e->http_status, cl->o.conn.host);
	return err_set(err, ECS_E_API, "API error %s (HTTP %d): %s RequestId: %s%s%s", e->code,
		       e->http_status, e->message[0] ? e->message : "(no message)",
		       e->request_id[0] ? e->request_id : "-",
		       e->recommend[0] ? " Recommend: " : "", e->recommend);
}

ecs_verdict ecs_answer(ecs_client *cl, const http_resp *r, size_t batch_n, ecs_page *out,
		       ecs_api_error *e, uint32_t *retry_after_ms, ecs_err *err)
{
	ecs_verdict v;
	int64_t date = server_time(r);

	*retry_after_ms = 0;
	memset(e, 0, sizeof(*e));
	if (r->status == 200) {
		note_clock(cl, r);
		if (ecs_parse_page(r->body, r->body_len, out, err) != ECS_OK) {
			err_prefix(err, "answer from %s", cl->o.conn.host);
			return ECS_V_FAIL;
		}
		return ECS_V_DONE;
	}
	ecs_parse_error(r->body, r->body_len, r->status, e);
	v = ecs_classify(r->status, e, batch_n, !cl->skew_corrected && date != 0);
	if (v == ECS_V_SKEW) {
		int64_t before = cl->clock_offset;
		cl->clock_offset = date - port_time_unix();
		cl->skew_corrected = 1;
		trace(cl,
		      "clock skew: %s; the server's Date differs from the local clock by %lld s; "
		      "retrying once with the server's time",
		      e->code, (long long)(cl->clock_offset - before));
	}
	if (v == ECS_V_RETRY || v == ECS_V_THROTTLE)
		*retry_after_ms = header_ms(r, "x-acs-retry-after");
	api_error(cl, e, err);
	return v;
}

uint32_t ecs_backoff_ms(unsigned attempt, uint32_t retry_after_ms)
{
	return backoff_ms(attempt, retry_after_ms);
}
