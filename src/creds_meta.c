/* The ECS instance RAM role through the metadata service: hardened-mode token first, then
 * the role (asked for, or the instance's first), then its credentials. Plain HTTP to
 * 100.100.100.200, never proxied, one kept-alive connection. */
#include <stdio.h>
#include <string.h>

#include "creds_int.h"
#include "port.h"

#define META_HOST      "100.100.100.200"
#define META_PORT      80
#define META_CRED_PATH "/latest/meta-data/ram/security-credentials/"

typedef struct {
	char host[ECS_HOST_MAX];
	uint16_t port;
	char hosthdr[CR_HOSTHDR_MAX]; /* Host header value */
} meta_target;

/* ECS_CA_STATUS_METADATA_ENDPOINT: "host", "host:port" or "[v6]:port" (tests) into m;
 * NULL, or what is wrong with it. */
static const char *meta_parse(const char *v, meta_target *m)
{
	const char *h = v, *ps = NULL;
	size_t hn, i;
	unsigned long port = META_PORT;
	int v6 = 0;

	if (v == NULL || v[0] == '\0') {
		h = META_HOST;
		hn = sizeof(META_HOST) - 1;
	} else if (v[0] == '[') {
		const char *close = strchr(v, ']');
		if (close == NULL)
			return "missing ']'";
		h = v + 1;
		hn = (size_t)(close - h);
		if (close[1] == ':')
			ps = close + 2;
		else if (close[1] != '\0')
			return "expected host:port";
		v6 = 1;
	} else {
		const char *colon = strrchr(v, ':');
		if (colon != NULL && strchr(v, ':') != colon)
			return "write an IPv6 address as [addr]:port";
		hn = colon != NULL ? (size_t)(colon - v) : strlen(v);
		if (colon != NULL)
			ps = colon + 1;
	}
	if (hn == 0 || hn >= sizeof(m->host))
		return "empty or too long host";
	for (i = 0; i < hn; i++)
		if ((unsigned char)h[i] <= 0x20 || (unsigned char)h[i] >= 0x7f || h[i] == '/' ||
		    h[i] == '@')
			return "bad character in host";
	if (ps != NULL) {
		size_t n = strlen(ps);
		for (i = 0, port = 0; n <= 5 && i < n && ps[i] >= '0' && ps[i] <= '9'; i++)
			port = port * 10 + (unsigned long)(ps[i] - '0');
		if (n == 0 || i < n || port == 0 || port > 65535)
			return "bad port";
	}
	memcpy(m->host, h, hn);
	m->host[hn] = '\0';
	m->port = (uint16_t)port;
	cr_hosthdr(m->hosthdr, m->host, v6, m->port, META_PORT);
	return NULL;
}

/* One request over the session's connection; *status gets the HTTP status. */
static ecs_status meta_call(creds_net *n, const meta_target *m, const char *method,
			    const char *target, int with_ttl, int *status, ecs_err *err)
{
	http_header h[3] = {{"Host", m->hosthdr},
			    {"User-Agent", "ecs-ca-status"},
			    {"X-aliyun-ecs-metadata-token-ttl-seconds", "21600"}};
	size_t nh = 3;
	ecs_status st;

	if (!with_ttl) {
		h[2].name = "X-aliyun-ecs-metadata-token";
		h[2].value = n->aux;
		nh = n->aux[0] != '\0' ? 3 : 2;
	}
	cr_wipe(n->body, sizeof(n->body));
	st = cr_request(n, method, target, h, nh, 0, err);
	*status = st == ECS_OK ? n->r.status : 0;
	return st;
}

/* A short reason for a failed exchange, for the tried list. */
static void net_reason(const creds_net *n, ecs_status st, const ecs_err *e, char *why, size_t cap)
{
	const char *m = e->msg, *p = strrchr(m, ':'), *pre = "";
	size_t l;
	int cut = 0;

	if (n->cn.connects == 0) {
		pre = "could not connect: ";
		if (st == ECS_E_TIMEOUT)
			m = "timed out";
		else if (st != ECS_E_DNS && p != NULL && p[1] == ' ') {
			m = p + 2; /* the last reason, without its closing ')' */
			cut = 1;
		}
	} else if (st == ECS_E_TIMEOUT) {
		m = "no answer within " CR_STR(CR_META_READ_MS) " ms (timed out)";
	}
	l = strlen(m);
	if (cut && l > 0 && m[l - 1] == ')')
		l--;
	snprintf(why, cap, "%s%.*s", pre, (int)l, m);
}

/* The hardened-mode token into n->aux; 1 = stop (why says why), 0 = go on. */
static int meta_token(creds_net *n, const meta_target *m, const creds_opts *o, char *why,
		      size_t why_cap)
{
	char r[120];
	int status = 0;
	ecs_err e;
	ecs_status st = meta_call(n, m, "PUT", "/latest/api/token", 1, &status, &e);
	size_t i, len = n->r.body_len;

	if (st != ECS_OK && (n->cn.connects == 0 || st == ECS_E_TIMEOUT)) {
		net_reason(n, st, &e, why, why_cap); /* not there, or mute: asking again waits */
		return 1;
	}
	if (st == ECS_OK && status == 200 && len > 0 && len < sizeof(n->aux)) {
		for (i = 0; i < len; i++)
			if ((unsigned char)n->body[i] <= 0x20 || (unsigned char)n->body[i] >= 0x7f)
				break;
		if (i == len) {
			memcpy(n->aux, n->body, len);
			n->aux[len] = '\0';
		}
	}
	cr_wipe(n->body, sizeof(n->body));
	if (n->aux[0] != '\0') {
		cr_trace(o, "got a metadata token (hardened mode)");
		return 0;
	}
	if (st != ECS_OK)
		net_reason(n, st, &e, r, sizeof(r));
	else if (status != 200)
		snprintf(r, sizeof(r), "HTTP %d", status);
	else
		snprintf(r, sizeof(r), "unusable token");
	if (cr_env_true("ALIBABA_CLOUD_IMDSV1_DISABLED")) {
		snprintf(why, why_cap,
			 "no metadata token (%s) and ALIBABA_CLOUD_IMDSV1_DISABLED=true", r);
		return 1;
	}
	cr_trace(o, "metadata token request failed (%s); continuing without a token", r);
	return 0;
}

/* GET the role list (role NULL) or the role's credentials; 0 with a 200 answer, else 1 with
 * why set. */
static int meta_get(creds_net *n, const meta_target *m, const char *role, char *why, size_t why_cap)
{
	char target[sizeof(META_CRED_PATH) + CREDS_ROLE_MAX];
	int status = 0;
	ecs_err e;
	ecs_status st;

	snprintf(target, sizeof(target), "%s%s", META_CRED_PATH, role != NULL ? role : "");
	st = meta_call(n, m, "GET", target, 0, &status, &e);
	if (st != ECS_OK)
		net_reason(n, st, &e, why, why_cap);
	else if (status == 404 && role != NULL)
		snprintf(why, why_cap, "RAM role '%s' is not attached to this instance", role);
	else if (status == 404)
		/* A real metadata service hands out tokens; something else answering on the
		 * address (a transparent proxy) 404s both. */
		snprintf(why, why_cap, "%s",
			 n->aux[0] != '\0'
				 ? "no RAM role attached to this instance"
				 : "HTTP 404: not an ECS instance, or no RAM role attached");
	else if (status != 200)
		snprintf(why, why_cap, "%s%s%s: HTTP %d%s",
			 role != NULL ? "credentials of role '" : "listing RAM roles",
			 role != NULL ? role : "", role != NULL ? "'" : "", status,
			 status == 401 ? " (a metadata token is required)" : "");
	return st != ECS_OK || status != 200;
}

/* The instance's first role into role; 1 = stop (why says why). */
static int meta_role(creds_net *n, const meta_target *m, const creds_opts *o, char *role, char *why,
		     size_t why_cap)
{
	const char *p = n->body, *end;
	size_t len;

	if (meta_get(n, m, NULL, why, why_cap))
		return 1;
	end = memchr(p, '\n', n->r.body_len);
	len = end != NULL ? (size_t)(end - p) : n->r.body_len;
	while (len > 0 && (p[len - 1] == '\r' || p[len - 1] == ' ' || p[len - 1] == '\t'))
		len--;
	while (len > 0 && (*p == ' ' || *p == '\t')) {
		p++;
		len--;
	}
	if (len == 0 || !cr_role_ok(p, len)) {
		snprintf(why, why_cap, "%s",
			 len == 0 ? "no RAM role attached to this instance"
				  : "the role name it lists is not a valid RAM role name");
		return 1;
	}
	memcpy(role, p, len);
	role[len] = '\0';
	cr_trace(o, "instance RAM role '%s'", role);
	return 0;
}

static ecs_status meta_fetch(creds_net *n, const meta_target *m, const char *role_req,
			     const creds_opts *o, creds *c, char *why, size_t why_cap)
{
	char role[CREDS_ROLE_MAX];
	ecs_err e;

	if (meta_token(n, m, o, why, why_cap))
		return ECS_E_CREDS;
	if (role_req != NULL && role_req[0] != '\0')
		snprintf(role, sizeof(role), "%s", role_req);
	else if (meta_role(n, m, o, role, why, why_cap))
		return ECS_E_CREDS;
	if (meta_get(n, m, role, why, why_cap))
		return ECS_E_CREDS;
	if (creds_parse_metadata(n->body, n->r.body_len, port_time_unix(), c, &e) != ECS_OK) {
		snprintf(why, why_cap, "role '%s': %s", role, e.msg);
		return ECS_E_CREDS;
	}
	snprintf(c->source, sizeof(c->source), "ECS RAM role '%s' via %s", role, m->host);
	return ECS_OK;
}

ecs_status creds_meta_get(creds_net *n, const char *role_req, const creds_opts *o, creds *out,
			  char *why, size_t why_cap, ecs_err *err)
{
	static const char var[] = "ECS_CA_STATUS_METADATA_ENDPOINT";
	int named = role_req != NULL && role_req[0] != '\0';
	meta_target m;
	conn_opts co;
	const char *bad = meta_parse(port_getenv(var), &m);
	ecs_status st;

	if (bad != NULL)
		return err_set(err, ECS_E_INPUT, "%s: %s", var, bad);
	cr_trace(o, "asking the ECS metadata service %s:%u for %s%s%s", m.host, (unsigned)m.port,
		 named ? "role '" : "the instance role", named ? role_req : "", named ? "'" : "");
	cr_conn_opts(&co, o, m.host, m.port, CR_META, err); /* cannot fail: m.host fits */
	conn_init(&n->cn, &co);
	n->aux[0] = '\0';
	st = meta_fetch(n, &m, role_req, o, out, why, why_cap);
	conn_close(&n->cn);
	cr_wipe(n, sizeof(*n));
	if (st != ECS_OK) {
		cr_wipe_secrets(out);
		return err_set(err, ECS_E_CREDS, "ECS metadata service %s: %s", m.host, why);
	}
	return ECS_OK;
}
