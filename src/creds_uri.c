/* A credentials URI (ALIBABA_CLOUD_CREDENTIALS_URI, mode CredentialsURI, INI type
 * credentials_uri): HTTP(S) GET, answered with the metadata service's JSON document. */
#include <stdio.h>
#include <string.h>

#include "creds_int.h"
#include "port.h"
#include "url.h"

/* The URI for messages: scheme, host, port and path, never the query (it may carry a key). */
static void uri_shown(const url_parts *u, char *out, size_t cap)
{
	char path[64];
	size_t pl = strcspn(u->path, "?#");

	cr_show(path, sizeof(path), u->path, pl);
	snprintf(out, cap, "%s://%s:%u%s", u->tls ? "https" : "http", u->host, (unsigned)u->port,
		 path);
}

static ecs_status uri_exchange(creds_net *n, const url_parts *u, const char *shown,
			       const creds_opts *o, ecs_err *err)
{
	char hosthdr[ECS_HOST_MAX + 8];
	http_header h[3];
	conn_opts co;
	conn_req q;
	int v6 = strchr(u->host, ':') != NULL;
	ecs_status st;

	if ((st = cr_conn_opts(&co, o, u->host, u->port, u->tls, err)) != ECS_OK)
		return st;
	co.no_resend = 0; /* a GET without a nonce may be sent again */
	snprintf(hosthdr, sizeof(hosthdr), "%s%s%s:%u", v6 ? "[" : "", u->host, v6 ? "]" : "",
		 (unsigned)u->port);
	h[0].name = "Host";
	h[0].value = hosthdr;
	h[1].name = "Accept";
	h[1].value = "application/json";
	h[2].name = "User-Agent";
	h[2].value = "ecs-ca-status/" ECS_VERSION;
	memset(&q, 0, sizeof(q));
	q.method = "GET";
	q.target = u->path;
	q.headers = h;
	q.nheaders = 3;
	q.wbuf = n->req;
	q.wcap = sizeof(n->req);
	q.hdr = n->hdr;
	q.hdr_cap = sizeof(n->hdr);
	q.rbody = n->body;
	q.rbody_cap = sizeof(n->body);
	cr_emit(o, 0, "creds: GET credentials URI %s", shown);
	conn_init(&n->cn, &co);
	st = conn_request(&n->cn, &q, &n->r, err);
	conn_close(&n->cn);
	return st;
}

ecs_status creds_uri_get(creds_net *n, const char *uri, const char *origin, const creds_opts *o,
			 creds *out, ecs_err *err)
{
	char shown[ECS_HOST_MAX + 96];
	url_parts u;
	ecs_status st;

	cr_wipe_secrets(out);
	if (url_parse(uri, 0, &u, err) != ECS_OK) {
		err_prefix(err, "credentials URI from %s", origin);
		err->status = ECS_E_INPUT;
		return ECS_E_INPUT;
	}
	if (u.userinfo_len > 0) {
		cr_wipe(&u, sizeof(u));
		return err_set(err, ECS_E_INPUT,
			       "credentials URI from %s: user:password@ is not supported", origin);
	}
	uri_shown(&u, shown, sizeof(shown));
	st = uri_exchange(n, &u, shown, o, err);
	if (st != ECS_OK)
		err_prefix(err, "credentials URI %s (from %s)", shown, origin);
	else if (n->r.status != 200)
		st = err_set(err, ECS_E_CREDS, "credentials URI %s (from %s) answered HTTP %d",
			     shown, origin, n->r.status);
	else if ((st = creds_parse_temp(n->body, n->r.body_len, port_time_unix(),
					"the credentials URI", out, err)) != ECS_OK)
		err_prefix(err, "%s (from %s)", shown, origin);
	else
		snprintf(out->source, sizeof(out->source), "credentials URI %s (%s)", shown,
			 origin);
	cr_wipe(n, sizeof(*n));
	if (st != ECS_OK)
		cr_wipe_secrets(out);
	return st;
}
