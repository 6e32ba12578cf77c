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
	char hosthdr[CR_HOSTHDR_MAX];
	const http_header h[3] = {{"Host", hosthdr},
				  {"Accept", "application/json"},
				  {"User-Agent", "ecs-ca-status/" ECS_VERSION}};
	conn_opts co;
	ecs_status st;

	if ((st = cr_conn_opts(&co, o, u->host, u->port, (u->tls ? CR_TLS : 0) | CR_RESEND, err)) !=
	    ECS_OK)
		return st;
	cr_hosthdr(hosthdr, u->host, -1, u->port, 0);
	cr_trace(o, "GET credentials URI %s", shown);
	return cr_request_once(n, &co, "GET", u->path, h, 3, 0, err);
}

ecs_status creds_uri_get(creds_net *n, const char *uri, const char *origin, const creds_opts *o,
			 creds *out, ecs_err *err)
{
	char shown[ECS_HOST_MAX + 96];
	url_parts u;
	ecs_status st;

	cr_wipe_secrets(out);
	if (url_parse(uri, 0, &u, err) != ECS_OK ||
	    (u.userinfo_len > 0 && err_set(err, ECS_E_INPUT, "user:password@ is not supported"))) {
		cr_wipe(&u, sizeof(u));
		err_prefix(err, "credentials URI from %s", origin);
		err->status = ECS_E_INPUT;
		return ECS_E_INPUT;
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
