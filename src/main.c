/*
 * ecs-ca-status: is the Alibaba Cloud Assistant agent installed and alive on these ECS
 * instances? argv + environment -> options -> credentials -> batched API calls -> output ->
 * exit code. The only module that prints (besides the -v trace sink it hands down).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "creds.h"
#include "ecs.h"
#include "ecs_limits.h"
#include "err.h"
#include "mbedtls/build_info.h"
#include "output.h"
#include "port.h"
#include "tls.h"
#include "url.h"

#define PROG		"ecs-ca-status"
#define BATCH_DEFAULT	50u
#define ALL_PAGE_SIZE	50u
#define MAX_PAGES	100000u
#define MAX_REQUEST_IDS 2048u

static const char USAGE[] =
	"usage: " PROG " [OPTIONS] [INSTANCE_ID ...]\n"
	"Tells whether the Cloud Assistant agent is installed and alive on ECS instances\n"
	"(ECS API DescribeCloudAssistantStatus). Ids: arguments, -i ID (repeatable), or '-' to\n"
	"read them from standard input.\n"
	"\n"
	"  -r, --region ID          region (else ALIBABA_CLOUD_REGION_ID or the profile's "
	"region_id)\n"
	"  -a, --all                every instance of the region (pages of 50)\n"
	"  -i, --instance-id ID     an instance id (repeatable)\n"
	"      --os-type TYPE       Linux | Windows | FreeBSD\n"
	"  -o, --output FMT         table (default) | json | tsv\n"
	"      --check              exit 1 unless every listed instance has a live agent\n"
	"      --endpoint HOST[:PORT]  default ecs.<region>.aliyuncs.com\n"
	"      --vpc                use ecs-vpc.<region>.aliyuncs.com\n"
	"      --signature v3|v1    v3 = ACS3-HMAC-SHA256 (default), v1 = RPC HMAC-SHA1\n"
	"      --batch-size N       ids per request, 1..100 (default 50)\n"
	"      --ca-file FILE       trusted CA certificates (PEM bundle, DER file or directory)\n"
	"      --show-ca            print the trust anchors a run would use, send nothing\n"
	"      --resolve HOST:PORT:ADDR  use ADDR for HOST:PORT, no DNS (repeatable; [IPv6])\n"
	"      --proxy URL          http://[user:pass@]host:port (else HTTPS_PROXY, ALL_PROXY)\n"
	"      --no-proxy LIST      hosts not to proxy (else NO_PROXY)\n"
	"      --profile NAME       profile in ~/.aliyun/config.json or "
	"~/.alibabacloud/credentials\n"
	"      --connect-timeout S  seconds (default 5)\n"
	"      --read-timeout S     seconds for a whole response (default 16)\n"
	"      --retries N          retries of throttled, 5xx and dropped requests (default 3)\n"
	"      --dry-run            print the signed requests (secrets redacted), send nothing\n"
	"  -v, --verbose            trace connections and requests to stderr (secrets redacted)\n"
	"  -h, --help               this text\n"
	"  -V, --version            version, TLS library and build target\n"
	"\n"
	"Credentials (first found): ALIBABA_CLOUD_ACCESS_KEY_ID + ALIBABA_CLOUD_ACCESS_KEY_SECRET\n"
	"[+ ALIBABA_CLOUD_SECURITY_TOKEN]; ~/.aliyun/config.json; ~/.alibabacloud/credentials;\n"
	"the ECS instance RAM role. No flag takes a secret.\n"
	"\n"
	"Output: table; json (API field names, all batches merged, plus TotalCount, RequestIds,\n"
	"NotFound); tsv (no header; columns: InstanceId, status true|false|notfound, version,\n"
	"OSType, LastHeartbeatTime, LastInvokedTime, ActiveTaskCount, InvocationCount,\n"
	"SupportSessionManager; '-' when empty).\n"
	"\n"
	"Exit status: 0 success; 1 --check found an instance without a live agent or not found;\n"
	"2 usage or bad input; 3 the API answered with an error; 4 network, DNS, proxy or TLS\n"
	"failure; 5 no usable credentials.\n";

/* ---- mutable program state (main.c is allowed globals) ---- */

static struct {
	const char *region;
	int all, check, vpc, sig_v1, dry_run, verbose, read_stdin, show_ca;
	out_format fmt;
	const char *os_type, *endpoint, *ca_file, *proxy, *no_proxy, *profile;
	unsigned batch, retries;
	unsigned connect_s, read_s;
} opt;

static char id_arena[2 * 1024 * 1024];
static size_t arena_len;
static uint32_t id_off[ECS_IDS_MAX];
static uint8_t id_found[ECS_IDS_MAX];
static size_t nids;
static uint32_t id_hash[1u << 18];
static char request_ids[MAX_REQUEST_IDS][64];
static unsigned nreq;
static int request_ids_truncated;
static ecs_page page;
static creds cred;
static ecs_client client;
static out_ctx outp;

static void eprintf(const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 1, 2)))
#endif
	;

static void eprintf(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n > 0)
		port_write(2, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
}

static int fail(const ecs_err *e)
{
	eprintf(PROG ": %s\n", e->msg);
	return err_exit_code(e->status);
}

static int usage_error(const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 1, 2)))
#endif
	;

static int usage_error(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	eprintf(PROG ": %s\nTry '" PROG " --help'.\n", msg);
	return 2;
}

static void trace_sink(void *ctx, const char *line)
{
	(void)ctx;
	if (opt.verbose)
		eprintf("* %s\n", line);
}

static void warn_sink(void *ctx, const char *line)
{
	(void)ctx;
	eprintf(PROG ": %s\n", line);
}

static void dry_run_sink(void *ctx, const char *req, size_t len)
{
	(void)ctx;
	port_write(1, req, len);
	port_write(1, "\n", 1);
}

/* ---- ids ---- */

static int valid_id(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > ECS_ID_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-'))
			return 0;
	}
	return 1;
}

static const char *id_at(size_t i)
{
	return id_arena + id_off[i];
}

static uint32_t hash_id(const char *s, size_t n)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ (uint8_t)s[i]) * 16777619u;
	return h;
}

static int add_id(const char *s, size_t n)
{
	char shown[80];

	if (!valid_id(s, n)) {
		size_t k, m = n < 64 ? n : 64;
		for (k = 0; k < m; k++)
			shown[k] = ((unsigned char)s[k] < 0x20 || s[k] == 0x7f) ? '?' : s[k];
		shown[m] = '\0';
		if (n == 0)
			return usage_error("empty instance id");
		if (n > ECS_ID_MAX)
			return usage_error("instance id '%s...' is longer than %d bytes", shown,
					   ECS_ID_MAX);
		return usage_error("invalid instance id '%s': only letters, digits and '-' are "
				   "allowed",
				   shown);
	}
	if (nids == ECS_IDS_MAX)
		return usage_error("more than %d instance ids", ECS_IDS_MAX);
	if (arena_len + n + 1 > sizeof(id_arena))
		return usage_error("instance ids take more than %u bytes",
				   (unsigned)sizeof(id_arena));
	memcpy(id_arena + arena_len, s, n);
	id_arena[arena_len + n] = '\0';
	id_off[nids++] = (uint32_t)arena_len;
	arena_len += n + 1;
	return 0;
}

/* Removes repeated ids, keeping the first of each, in input order. The hash table uses only
 * as many slots as the number of ids needs, so its pages are touched in proportion. */
static void dedupe(void)
{
	size_t slots = 1024, i, kept = 0;

	while (slots < 2 * nids && slots < sizeof(id_hash) / sizeof(id_hash[0]))
		slots <<= 1;
	memset(id_hash, 0, slots * sizeof(id_hash[0]));
	for (i = 0; i < nids; i++) {
		const char *s = id_at(i);
		size_t n = strlen(s);
		uint32_t h = hash_id(s, n) & (uint32_t)(slots - 1);
		int dup = 0;
		while (id_hash[h] != 0) {
			if (strcmp(id_at(id_hash[h] - 1), s) == 0) {
				dup = 1;
				break;
			}
			h = (h + 1) & (uint32_t)(slots - 1);
		}
		if (dup)
			continue;
		id_off[kept] = id_off[i];
		id_hash[h] = (uint32_t)kept + 1;
		kept++;
	}
	nids = kept;
}

static int read_ids_stdin(void)
{
	char chunk[4096], cur[ECS_ID_MAX + 2];
	size_t cl = 0, got, i;
	int too_long = 0, rc;

	for (;;) {
		if (port_file_read(0, chunk, sizeof(chunk), &got) != PORT_OK)
			return usage_error("cannot read instance ids from standard input");
		for (i = 0; i < got || (got == 0 && i == 0); i++) {
			char c = got == 0 ? ' ' : chunk[i];
			if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',') {
				if (cl > 0) {
					rc = add_id(cur, too_long ? ECS_ID_MAX + 1 : cl);
					if (rc != 0)
						return rc;
				}
				cl = 0;
				too_long = 0;
			} else if (cl < ECS_ID_MAX + 1) {
				cur[cl++] = c;
			} else {
				too_long = 1;
			}
			if (got == 0)
				break;
		}
		if (got == 0)
			return 0;
	}
}

/* ---- options ---- */

static int parse_uint(const char *flag, const char *v, unsigned lo, unsigned hi, unsigned *out)
{
	unsigned long x = 0;
	size_t i;

	if (v[0] == '\0' || strlen(v) > 9)
		return usage_error("%s: expected a number from %u to %u, got '%.32s'", flag, lo, hi,
				   v);
	for (i = 0; v[i] != '\0'; i++) {
		if (v[i] < '0' || v[i] > '9')
			return usage_error("%s: expected a number from %u to %u, got '%.32s'", flag,
					   lo, hi, v);
		x = x * 10 + (unsigned long)(v[i] - '0');
	}
	if (x < lo || x > hi)
		return usage_error("%s: %lu is out of range %u..%u", flag, x, lo, hi);
	*out = (unsigned)x;
	return 0;
}

/* Canonical spelling of an OS type, NULL if unknown. */
static const char *os_type_name(const char *v)
{
	static const char *const names[] = {"Linux", "Windows", "FreeBSD"};
	size_t i, k;

	for (i = 0; i < 3; i++) {
		const char *n = names[i];
		for (k = 0; n[k] != '\0' && v[k] != '\0'; k++) {
			char a = n[k], b = v[k];
			if (a >= 'A' && a <= 'Z')
				a = (char)(a - 'A' + 'a');
			if (b >= 'A' && b <= 'Z')
				b = (char)(b - 'A' + 'a');
			if (a != b)
				break;
		}
		if (n[k] == '\0' && v[k] == '\0')
			return n;
	}
	return NULL;
}

typedef struct {
	const char *lng;
	char shrt;
	int takes_value;
	int id;
} optdef;

enum {
	O_REGION = 1,
	O_ALL,
	O_ID,
	O_OSTYPE,
	O_OUTPUT,
	O_CHECK,
	O_ENDPOINT,
	O_VPC,
	O_SIG,
	O_BATCH,
	O_CAFILE,
	O_PROXY,
	O_NOPROXY,
	O_PROFILE,
	O_CTO,
	O_RTO,
	O_RETRIES,
	O_DRY,
	O_VERBOSE,
	O_HELP,
	O_VERSION,
	O_RESOLVE,
	O_SHOWCA
};

static const optdef OPTS[] = {
	{"region", 'r', 1, O_REGION},	  {"all", 'a', 0, O_ALL},
	{"instance-id", 'i', 1, O_ID},	  {"os-type", 0, 1, O_OSTYPE},
	{"output", 'o', 1, O_OUTPUT},	  {"check", 0, 0, O_CHECK},
	{"endpoint", 0, 1, O_ENDPOINT},	  {"vpc", 0, 0, O_VPC},
	{"signature", 0, 1, O_SIG},	  {"batch-size", 0, 1, O_BATCH},
	{"ca-file", 0, 1, O_CAFILE},	  {"proxy", 0, 1, O_PROXY},
	{"no-proxy", 0, 1, O_NOPROXY},	  {"profile", 0, 1, O_PROFILE},
	{"connect-timeout", 0, 1, O_CTO}, {"read-timeout", 0, 1, O_RTO},
	{"retries", 0, 1, O_RETRIES},	  {"dry-run", 0, 0, O_DRY},
	{"verbose", 'v', 0, O_VERBOSE},	  {"help", 'h', 0, O_HELP},
	{"version", 'V', 0, O_VERSION},	  {"resolve", 0, 1, O_RESOLVE},
	{"show-ca", 0, 0, O_SHOWCA},
};

static int apply(const optdef *d, const char *v, const char *flag)
{
	switch (d->id) {
	case O_REGION:
		opt.region = v;
		return ecs_valid_region(v) ? 0
					   : usage_error("%s: invalid region id '%.64s'", flag, v);
	case O_ALL:
		opt.all = 1;
		return 0;
	case O_ID:
		return add_id(v, strlen(v));
	case O_OSTYPE:
		opt.os_type = os_type_name(v);
		return opt.os_type != NULL
			       ? 0
			       : usage_error("%s: '%.32s' is not Linux, Windows or FreeBSD", flag,
					     v);
	case O_OUTPUT:
		if (strcmp(v, "table") == 0)
			opt.fmt = OUT_TABLE;
		else if (strcmp(v, "json") == 0)
			opt.fmt = OUT_JSON;
		else if (strcmp(v, "tsv") == 0)
			opt.fmt = OUT_TSV;
		else
			return usage_error("%s: '%.32s' is not table, json or tsv", flag, v);
		return 0;
	case O_CHECK:
		opt.check = 1;
		return 0;
	case O_ENDPOINT:
		opt.endpoint = v;
		return 0;
	case O_VPC:
		opt.vpc = 1;
		return 0;
	case O_SIG:
		if (strcmp(v, "v3") == 0)
			opt.sig_v1 = 0;
		else if (strcmp(v, "v1") == 0)
			opt.sig_v1 = 1;
		else
			return usage_error("%s: '%.32s' is not v3 or v1", flag, v);
		return 0;
	case O_BATCH:
		return parse_uint(flag, v, 1, 100, &opt.batch);
	case O_CAFILE:
		opt.ca_file = v;
		return 0;
	case O_PROXY:
		opt.proxy = v;
		return 0;
	case O_NOPROXY:
		opt.no_proxy = v;
		return 0;
	case O_PROFILE:
		opt.profile = v;
		return 0;
	case O_CTO:
		return parse_uint(flag, v, 1, 3600, &opt.connect_s);
	case O_RTO:
		return parse_uint(flag, v, 1, 3600, &opt.read_s);
	case O_RETRIES:
		return parse_uint(flag, v, 0, 20, &opt.retries);
	case O_DRY:
		opt.dry_run = 1;
		return 0;
	case O_VERBOSE:
		opt.verbose = 1;
		return 0;
	case O_HELP:
		return -1;
	case O_VERSION:
		return -2;
	case O_RESOLVE: {
		char why[128];
		return port_resolve_add(v, why, sizeof(why)) == PORT_OK
			       ? 0
			       : usage_error("%s: '%.300s': %s", flag, v, why);
	}
	case O_SHOWCA:
		opt.show_ca = 1;
		return 0;
	}
	return usage_error("internal: unknown option");
}

static int parse_args(int argc, char **argv)
{
	int i, only_ids = 0, rc;

	opt.fmt = OUT_TABLE;
	opt.batch = BATCH_DEFAULT;
	opt.retries = 3;
	opt.connect_s = 5;
	opt.read_s = 16;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		size_t k;
		if (only_ids || a[0] != '-' || a[1] == '\0') {
			if (strcmp(a, "-") == 0) {
				opt.read_stdin = 1;
				continue;
			}
			rc = add_id(a, strlen(a));
			if (rc != 0)
				return rc;
			continue;
		}
		if (strcmp(a, "--") == 0) {
			only_ids = 1;
			continue;
		}
		if (a[1] == '-') {
			const char *name = a + 2, *eq = strchr(name, '=');
			size_t nl = eq != NULL ? (size_t)(eq - name) : strlen(name);
			const optdef *d = NULL;
			for (k = 0; k < sizeof(OPTS) / sizeof(OPTS[0]); k++)
				if (strlen(OPTS[k].lng) == nl &&
				    strncmp(OPTS[k].lng, name, nl) == 0)
					d = &OPTS[k];
			if (d == NULL)
				return usage_error("unknown option '%.*s'", (int)(nl + 2), a);
			if (d->takes_value) {
				const char *v = eq != NULL ? eq + 1 : NULL;
				if (v == NULL) {
					if (i + 1 >= argc)
						return usage_error("option '--%s' needs a value",
								   d->lng);
					v = argv[++i];
				}
				rc = apply(d, v, d->lng);
			} else {
				if (eq != NULL)
					return usage_error("option '--%s' takes no value", d->lng);
				rc = apply(d, NULL, d->lng);
			}
			if (rc != 0)
				return rc;
			continue;
		}
		/* short options, possibly bundled: -av, -rcn-hangzhou, -o json */
		for (k = 1; a[k] != '\0'; k++) {
			const optdef *d = NULL;
			size_t m;
			for (m = 0; m < sizeof(OPTS) / sizeof(OPTS[0]); m++)
				if (OPTS[m].shrt != 0 && OPTS[m].shrt == a[k])
					d = &OPTS[m];
			if (d == NULL)
				return usage_error("unknown option '-%c'",
						   (a[k] >= 0x20 && a[k] < 0x7f) ? a[k] : '?');
			if (d->takes_value) {
				const char *v = a[k + 1] != '\0' ? a + k + 1 : NULL;
				if (v == NULL) {
					if (i + 1 >= argc)
						return usage_error("option '-%c' needs a value",
								   d->shrt);
					v = argv[++i];
				}
				rc = apply(d, v, d->lng);
				if (rc != 0)
					return rc;
				break;
			}
			rc = apply(d, NULL, d->lng);
			if (rc != 0)
				return rc;
		}
	}
	return 0;
}

static const char *env_first(const char *const *names)
{
	for (; *names != NULL; names++) {
		const char *v = port_getenv(*names);
		if (v != NULL && v[0] != '\0')
			return v;
	}
	return NULL;
}

/* ---- running ---- */

static void remember_request_id(const char *id)
{
	if (id[0] == '\0' || opt.dry_run)
		return;
	if (nreq < MAX_REQUEST_IDS)
		snprintf(request_ids[nreq++], sizeof(request_ids[0]), "%s", id);
	else
		request_ids_truncated = 1;
}

static int alive_check_failed;

static void emit(const ecs_record *r)
{
	out_record(&outp, r);
	if (r->status != 1)
		alive_check_failed = 1;
}

static ecs_status run_ids(ecs_err *err)
{
	const char *batch[ECS_PAGE_MAX];
	size_t start = 0, i, k;

	while (start < nids) {
		size_t n = nids - start < opt.batch ? nids - start : opt.batch;
		ecs_status st;
		for (i = 0; i < n; i++)
			batch[i] = id_at(start + i);
		st = ecs_describe_ids(&client, batch, n, &page, err);
		if (st != ECS_OK)
			return st;
		remember_request_id(page.request_id);
		if (!opt.dry_run) {
			for (i = 0; i < n; i++) {
				const ecs_record *r = NULL;
				for (k = 0; k < page.n && r == NULL; k++)
					if (strcmp(page.rec[k].id, batch[i]) == 0)
						r = &page.rec[k];
				if (r != NULL) {
					id_found[start + i] = 1;
					emit(r);
				} else {
					alive_check_failed = 1;
					out_notfound(&outp, batch[i]);
				}
			}
		}
		start += n;
		if (outp.failed)
			break; /* stdout closed (e.g. | head): no point in asking more */
	}
	return ECS_OK;
}

static ecs_status run_all(ecs_err *err)
{
	static char token[sizeof(page.next_token)], prev[sizeof(page.next_token)];
	unsigned pages = 0;
	size_t k;

	token[0] = '\0';
	for (;;) {
		ecs_status st = ecs_describe_page(&client, token, ALL_PAGE_SIZE, &page, err);
		if (st != ECS_OK)
			return st;
		remember_request_id(page.request_id);
		for (k = 0; k < page.n; k++)
			emit(&page.rec[k]);
		if (opt.dry_run || page.next_token[0] == '\0' || outp.failed)
			return ECS_OK;
		if (strcmp(page.next_token, token) == 0 || strcmp(page.next_token, prev) == 0)
			return err_set(err, ECS_E_PROTO,
				       "the API returned the same NextToken twice; stopping");
		if (++pages >= MAX_PAGES)
			return err_set(err, ECS_E_PROTO, "more than %u pages; stopping", MAX_PAGES);
		memcpy(prev, token, sizeof(prev));
		memcpy(token, page.next_token, sizeof(token));
	}
}

static void print_version(void)
{
	char line[256];
	int n = snprintf(line, sizeof(line), PROG " %s (mbedTLS %s, %s)\n", ECS_VERSION,
			 MBEDTLS_VERSION_STRING, ECS_TARGET);
	port_write(1, line, (size_t)n);
}

/* --show-ca: the trust source a run would use and, for the built-in roots, each subject and
 * SHA-256 fingerprint. Reads no credentials, sends nothing. */
static int show_ca(void)
{
	char line[512], subj[320], hex[65];
	unsigned char fp[32];
	tls_trust t;
	ecs_err err;
	size_t i, k, len;
	int n;

	if (tls_find_trust(opt.ca_file, &t, &err) != ECS_OK)
		return fail(&err);
	n = snprintf(line, sizeof(line), "trust anchors: %s (%s)\n", t.path, t.origin);
	port_write(1, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
	for (i = 0; t.builtin && i < tls_anchor_count(); i++) {
		const unsigned char *der = tls_anchor_der(i, &len);
		if (tls_cert_describe(der, len, subj, sizeof(subj), fp) != 0)
			snprintf(subj, sizeof(subj), "(does not parse)");
		for (k = 0; k < 32; k++)
			snprintf(hex + 2 * k, 3, "%02x", fp[k]);
		n = snprintf(line, sizeof(line), "SHA256:%s %s\n", hex, subj);
		port_write(1, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const char *const region_env[] = {"ALIBABA_CLOUD_REGION_ID",
						 "ALIBABACLOUD_REGION_ID",
						 "ALICLOUD_REGION_ID",
						 "ALICLOUD_REGION",
						 "REGION_ID",
						 "REGION",
						 NULL};
	ecs_err err;
	creds_opts co;
	ecs_opts eo;
	tls_trust trust;
	url_parts ep;
	ecs_status st;
	int rc, code;
	size_t i;

	memset(&err, 0, sizeof(err));
	rc = parse_args(argc, argv);
	if (rc == -1) {
		port_write(1, USAGE, sizeof(USAGE) - 1);
		return 0;
	}
	if (rc == -2) {
		print_version();
		return 0;
	}
	if (rc != 0)
		return rc;
	if (opt.show_ca)
		return show_ca();
	if (opt.read_stdin && (rc = read_ids_stdin()) != 0)
		return rc;
	if (opt.all && nids > 0)
		return usage_error("--all and instance ids exclude each other");
	if (!opt.all && nids == 0)
		return usage_error(
			"no instance ids given (pass ids, -i ID, '-' for stdin, or --all)");
	dedupe();

	/* credentials first: the profile may carry the region */
	memset(&co, 0, sizeof(co));
	co.profile = opt.profile;
	co.warn = warn_sink;
	co.trace = trace_sink;
	st = creds_resolve(&cred, &co, &err);
	if (st != ECS_OK)
		return fail(&err);
	if (opt.verbose)
		eprintf("* credentials: %s (AccessKeyId %.4s****)\n", cred.source, cred.key_id);
	if (opt.region == NULL)
		opt.region = env_first(region_env);
	if (opt.region == NULL && cred.region[0] != '\0')
		opt.region = cred.region;
	if (opt.region == NULL) {
		creds_wipe(&cred);
		return usage_error("no region: pass --region ID or set ALIBABA_CLOUD_REGION_ID");
	}
	if (!ecs_valid_region(opt.region)) {
		creds_wipe(&cred);
		return usage_error("invalid region id '%.64s'", opt.region);
	}

	memset(&eo, 0, sizeof(eo));
	snprintf(eo.region, sizeof(eo.region), "%s", opt.region);
	if (opt.endpoint != NULL) {
		st = url_parse_endpoint(opt.endpoint, &ep, &err);
		if (st != ECS_OK) {
			creds_wipe(&cred);
			err_prefix(&err, "--endpoint");
			return fail(&err);
		}
		snprintf(eo.conn.host, sizeof(eo.conn.host), "%s", ep.host);
		eo.conn.port = ep.port;
		eo.conn.tls = ep.tls;
		if (!ep.tls)
			eprintf(PROG
				": warning: plain http:// endpoint: requests travel unencrypted\n");
	} else {
		st = ecs_default_endpoint(opt.region, opt.vpc, eo.conn.host, sizeof(eo.conn.host),
					  &err);
		if (st != ECS_OK) {
			creds_wipe(&cred);
			return fail(&err);
		}
		eo.conn.port = 443;
		eo.conn.tls = 1;
	}
	eo.conn.connect_timeout_ms = opt.connect_s * 1000u;
	eo.conn.read_timeout_ms = opt.read_s * 1000u;
	eo.conn.trace = opt.verbose ? trace_sink : NULL;
	st = conn_pick_proxy(&eo.conn, opt.proxy, opt.no_proxy, &err);
	if (st != ECS_OK) {
		creds_wipe(&cred);
		return fail(&err);
	}
	if (eo.conn.tls && !opt.dry_run) {
		st = tls_find_trust(opt.ca_file, &trust, &err);
		if (st == ECS_OK)
			st = tls_global_init(&trust, &err);
		if (st != ECS_OK) {
			creds_wipe(&cred);
			return fail(&err);
		}
		if (opt.verbose)
			eprintf("* trust anchors: %s (%s)\n", trust.path, trust.origin);
	}
	eo.sig_v1 = opt.sig_v1;
	eo.retries = opt.retries;
	eo.os_type = opt.os_type;
	eo.dry_run = opt.dry_run;
	eo.cred = &cred;
	eo.trace = opt.verbose ? trace_sink : NULL;
	eo.dry_run_out = dry_run_sink;
	ecs_client_init(&client, &eo);

	if (!opt.dry_run)
		out_begin(&outp, opt.fmt);
	st = opt.all ? run_all(&err) : run_ids(&err);
	ecs_client_close(&client);
	creds_wipe(&cred);
	if (st != ECS_OK) {
		if (!opt.dry_run)
			out_abort(&outp); /* what arrived before the failure, never a broken
					     document */
		return fail(&err);
	}
	if (opt.dry_run)
		return 0;
	if (tls_clock_untrusted())
		eprintf(PROG ": warning: the local clock is wrong (before this build); certificate "
			     "dates were not checked\n");
	out_end_records(&outp, (int64_t)outp.rows);
	if (opt.fmt == OUT_JSON) {
		unsigned r;
		int first = 1;
		out_json_request_ids_begin(&outp);
		for (r = 0; r < nreq; r++)
			out_json_request_id(&outp, request_ids[r], r == 0);
		out_json_notfound_begin(&outp);
		for (i = 0; i < nids && !opt.all; i++) {
			if (!id_found[i]) {
				out_json_notfound(&outp, id_at(i), first);
				first = 0;
			}
		}
		if (request_ids_truncated)
			eprintf(PROG ": note: more than %u request ids; the list is cut\n",
				MAX_REQUEST_IDS);
	}
	if (out_finish(&outp) != 0 && outp.rows + outp.notfound > 0) {
		/* a closed pipe after some output is what "| head" does: not an error */
	}
	code = 0;
	if (opt.check && alive_check_failed)
		code = err_exit_code(ECS_E_CHECK);
	if (opt.verbose) {
		eprintf("* %u request(s), %u connection(s), %u instance(s), %u not found\n",
			client.requests, client.c.connects, outp.rows, outp.notfound);
		if (tls_pool_high_water() > 0) /* measured only with ECS_POOL_STATS set */
			eprintf("* tls pool high-water: %u bytes of %u\n",
				(unsigned)tls_pool_high_water(), (unsigned)ECS_TLS_POOL_SIZE);
	}
	return code;
}
