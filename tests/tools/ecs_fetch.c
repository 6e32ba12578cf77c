/*
 * ecs-fetch: a test tool that fetches URLs over the product's own connection, TLS, proxy and
 * HTTP layers (no mocks), so the transport suite can drive them against hostile servers.
 * Usage: see usage() below. Exit 0 on success, 2 on bad arguments, 4 on transport failures.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "http.h"
#include "tls.h"

static char hdr_buf[ECS_HTTP_HDR_MAX];
static char body_buf[ECS_HTTP_BODY_MAX];
static char req_buf[ECS_HTTP_REQ_MAX];

static void usage(void)
{
	fprintf(stderr,
		"usage: ecs-fetch [--ca-file F] [--proxy URL] [--no-proxy LIST]\n"
		"                 [--connect-timeout-ms N] [--read-timeout-ms N] [--method M]\n"
		"                 [--stats] [-v] URL [URL ...]\n");
}

static void trace_line(void *ctx, const char *line)
{
	(void)ctx;
	fprintf(stderr, "* %s\n", line);
}

static int fail(const ecs_err *e)
{
	fprintf(stderr, "ecs-fetch: %s [%s]\n", e->msg, err_name(e->status));
	return err_exit_code(e->status);
}

static unsigned long num_arg(const char *s, int *ok)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	*ok = (*s != '\0' && *end == '\0' && v > 0 && v < 3600000UL);
	return v;
}

int main(int argc, char **argv)
{
	const char *ca = NULL, *proxy = NULL, *no_proxy = NULL, *method = "GET";
	unsigned long cto = 5000, rto = 16000;
	int stats = 0, verbose = 0, i, first_url = 0, ok, rc = 0;
	static conn c; /* holds its receive buffer: too big for a frame */
	int have_conn = 0;
	tls_trust trust;
	ecs_err err;

	memset(&err, 0, sizeof(err));
	memset(&trust, 0, sizeof(trust));
	memset(&c, 0, sizeof(c));
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--stats") == 0) {
			stats = 1;
			setenv("ECS_POOL_STATS", "1", 1); /* tls.c paints the pool to measure it */
		} else if (strcmp(a, "-v") == 0) {
			verbose = 1;
		} else if (a[0] == '-' && a[1] == '-' && i + 1 < argc) {
			const char *v = argv[++i];
			if (strcmp(a, "--ca-file") == 0)
				ca = v;
			else if (strcmp(a, "--proxy") == 0)
				proxy = v;
			else if (strcmp(a, "--no-proxy") == 0)
				no_proxy = v;
			else if (strcmp(a, "--method") == 0)
				method = v;
			else if (strcmp(a, "--connect-timeout-ms") == 0 ||
				 strcmp(a, "--read-timeout-ms") == 0) {
				unsigned long n = num_arg(v, &ok);
				if (!ok) {
					fprintf(stderr, "ecs-fetch: %s: bad number '%s'\n", a, v);
					return 2;
				}
				if (a[2] == 'c')
					cto = n;
				else
					rto = n;
			} else {
				fprintf(stderr, "ecs-fetch: unknown option '%s'\n", a);
				usage();
				return 2;
			}
		} else if (a[0] == '-') {
			fprintf(stderr, "ecs-fetch: unknown option '%s'\n", a);
			usage();
			return 2;
		} else {
			first_url = i;
			break;
		}
	}
	if (first_url == 0) {
		usage();
		return 2;
	}
	for (i = first_url; i < argc; i++) {
		url_parts u;
		conn_opts o;
		http_resp r;
		http_header h[3];
		char host_hdr[ECS_HOST_MAX + 8];
		size_t req_len;
		int reused = 0;
		ecs_status st = url_parse(argv[i], 1, &u, &err);

		if (st != ECS_OK)
			return fail(&err);
		if (u.tls && trust.path[0] == '\0') {
			st = tls_find_trust(ca, &trust, &err);
			if (st == ECS_OK)
				st = tls_global_init(&trust, &err);
			if (st != ECS_OK) {
				rc = fail(&err);
				break;
			}
		}
		memset(&o, 0, sizeof(o));
		snprintf(o.host, sizeof(o.host), "%s", u.host);
		o.port = u.port;
		o.tls = u.tls;
		o.connect_timeout_ms = (uint32_t)cto;
		o.read_timeout_ms = (uint32_t)rto;
		if (verbose)
			o.trace = trace_line;
		st = conn_pick_proxy(&o, proxy, no_proxy, &err);
		if (st != ECS_OK)
			return fail(&err);
		if (have_conn &&
		    (strcmp(c.o.host, o.host) != 0 || c.o.port != o.port || c.o.tls != o.tls)) {
			conn_close(&c);
			have_conn = 0;
		}
		if (!have_conn) {
			conn_init(&c, &o);
			have_conn = 1;
		}
		snprintf(host_hdr, sizeof(host_hdr), "%s%s%s:%u", strchr(u.host, ':') ? "[" : "",
			 u.host, strchr(u.host, ':') ? "]" : "", (unsigned)u.port);
		h[0].name = "Host";
		h[0].value = host_hdr;
		h[1].name = "User-Agent";
		h[1].value = "ecs-fetch";
		h[2].name = "Accept";
		h[2].value = "*/*";
		st = http_write_request(req_buf, sizeof(req_buf), &req_len, method, u.path, h, 3,
					NULL, 0, &err);
		if (st != ECS_OK)
			return fail(&err);
		http_resp_init(&r, hdr_buf, sizeof(hdr_buf), body_buf, sizeof(body_buf),
			       strcmp(method, "HEAD") == 0);
		st = conn_exchange(&c, req_buf, req_len, &r, &reused, &err);
		if (st != ECS_OK) {
			rc = fail(&err);
			break;
		}
		printf("status=%d length=%zu reused=%d\n", r.status, r.body_len, reused);
		fwrite(body_buf, 1, r.body_len, stdout);
		printf("\n");
		fflush(stdout);
	}
	if (have_conn)
		conn_close(&c);
	if (stats)
#if defined(ECS_SYSTEM_HEAP)
		fprintf(stderr, "stats: pool_high_water=0 connections=%u (system heap build)\n",
			have_conn ? c.connects : 0);
#else
		fprintf(stderr, "stats: pool_high_water=%zu connections=%u\n",
			tls_pool_high_water(), have_conn ? c.connects : 0);
#endif
	return rc;
}
