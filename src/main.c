/*
 * ecs-ca-status: is the Alibaba Cloud Assistant agent installed and alive on these ECS
 * instances? argv + environment -> options -> credentials -> batched API calls -> output ->
 * exit code. parse, set up, run, finish: one exit path that wipes and flushes once. The only
 * module that prints (besides the -v trace sink it hands down), and every line it prints to
 * stderr is filtered for display.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "creds.h"
#include "ecs.h"
#include "ecs_limits.h"
#include "engine.h"
#include "err.h"
#include "ids.h"
#include "mbedtls/build_info.h"
#include "out_nagios.h"
#include "output.h"
#include "port.h"
#include "show.h"
#include "store.h"
#include "tls.h"
#include "url.h"

#define PROG		  "ecs-ca-status"
#define BATCH_DEFAULT	  100u
#define PARALLEL_DEFAULT  8u
#define ALL_PAGE_SIZE	  50u
#define MAX_PAGES	  100000u
#define PROGRESS_AFTER_MS 2000

static const char USAGE[] =
	"usage: " PROG " [OPTIONS] [INSTANCE_ID ...]\n"
	"Tells whether the Cloud Assistant agent is installed and alive on ECS instances\n"
	"(ECS API DescribeCloudAssistantStatus). Ids: arguments, -i ID (repeatable), or '-' to\n"
	"read them from standard input; separated by blanks, newlines or ','; '#' starts a\n"
	"comment; repeats are asked once.\n"
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
	"      --batch-size N       ids per request, 1..100 (default 100; 50 for the rest of\n"
	"                           the run if the server allows only 50)\n"
	"      --parallel N         connections, 1..16 (default 8; halved when throttled)\n"
	"      --max-time S         seconds for the whole run (default: no limit)\n"
	"      --ca-file FILE       trusted CA certificates (PEM bundle, DER file or directory)\n"
	"      --proxy URL          http://host:port (else HTTPS_PROXY, ALL_PROXY; a proxy\n"
	"                           password only in those variables, never on the command line)\n"
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
	"NotFound; a run that did not finish still writes one complete document, with\n"
	"\"Incomplete\": true and \"Error\"); tsv (no header; columns: InstanceId, status\n"
	"true|false|notfound|- (- = the API sent no status), version, OSType,\n"
	"LastHeartbeatTime, LastInvokedTime, ActiveTaskCount, InvocationCount,\n"
	"SupportSessionManager; '-' when empty).\n"
	"\n"
	"Exit status: 0 success: every instance was answered and the output written; 1 --check\n"
	"found an instance without a live agent or not found; 2 usage or bad input; 3 the API\n"
	"answered with an error; 4 network, DNS, proxy or TLS failure, or a server that broke the\n"
	"protocol; 5 no usable credentials; 6 the output could not be written (stdout closed or\n"
	"full); 128+N killed by signal N (130 for Ctrl-C) after writing the complete rows.\n";

/* ---- mutable program state (main.c is allowed globals) ---- */

static struct {
	const char *region, *region_from;
	int all, check, vpc, sig_v1, dry_run, verbose, read_stdin, help, version, down;
	const char *output_file;
	nagios_range warn, crit;
	out_format fmt;
	const char *os_type, *endpoint, *ca_file, *proxy, *no_proxy, *profile;
	unsigned batch, retries, parallel, max_time_s;
	unsigned connect_s, read_s;
} opt;

static unsigned std_closed; /* standard descriptors that were closed at start (1 << fd) */
static ids_set ids;	    /* the instance ids asked for */
static ids_set reqids;	    /* RequestIds of the answers, for JSON */
static ids_set seen;	    /* --all: instance ids and NextTokens seen, to catch loops */
static int alive_check_failed;
static size_t notfound_cursor;
static store keep;	     /* nagios, prom: the answers, written at the end */
static port_outfile outfile; /* --output-file */
static int outfile_open;
static int64_t t_start; /* monotonic ms at start */
static int progress_shown;
static ecs_page page;
static creds cred;
static ecs_client client;
static int client_up;
static engine eng; /* the batch engine: K connections and the reorder window */
static engine_stats eng_stats;
static int64_t run_deadline_ms; /* --max-time, monotonic; 0 = none */
static out_ctx out;

/* ---- printing ---- */

/* One line to stderr: the text is filtered for display (it may quote the server, argv, the
 * environment or a file), then the newline is added. */
static void say(const char *text)
{
	char shown[4 * ECS_ERR_MSG_MAX + 8];
	size_t n = show_text(shown, sizeof(shown) - 1, text, strlen(text));

	shown[n++] = '\n';
	port_write(2, shown, n);
}

static void sayf(const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 1, 2)))
#endif
	;

static void sayf(const char *fmt, ...)
{
	char line[ECS_ERR_MSG_MAX + 64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	say(line);
}

static ecs_status usage_error(ecs_err *err, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 2, 3)))
#endif
	;

static ecs_status usage_error(ecs_err *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	err->status = ECS_E_USAGE;
	return ECS_E_USAGE;
}

static void trace_sink(void *ctx, const char *line)
{
	(void)ctx;
	if (opt.verbose)
		sayf("* %s", line);
}

static void warn_sink(void *ctx, const char *line)
{
	(void)ctx;
	sayf(PROG ": %s", line);
}

/* The output sink: stdout, with the signal handler held off so that it never writes into the
 * middle of a flush. A stdout closed at start fails every write. */
static int stdout_write(void *ctx, const void *buf, size_t len)
{
	int rc;

	(void)ctx;
	if (!outfile_open && (std_closed & 2u))
		return -1;
	port_signals_hold(1);
	rc = outfile_open ? port_outfile_write(&outfile, buf, len) : port_write(1, buf, len);
	port_signals_hold(0);
	return rc;
}

static void dry_run_sink(void *ctx, const char *req, size_t len)
{
	(void)ctx;
	out_bytes(&out, req, len);
	out_str(&out, "\n");
	out_flush(&out);
}

/* ---- options ---- */

static ecs_status parse_uint(const char *flag, const char *v, unsigned lo, unsigned hi,
			     unsigned *out_v, ecs_err *err)
{
	unsigned long x = 0;
	size_t i;

	for (i = 0; v[i] != '\0' && i < 10; i++) {
		if (v[i] < '0' || v[i] > '9')
			break;
		x = x * 10 + (unsigned long)(v[i] - '0');
	}
	if (i == 0 || v[i] != '\0')
		return usage_error(err, "--%s: expected a number from %u to %u, got '%.32s'", flag,
				   lo, hi, v);
	if (x < lo || x > hi)
		return usage_error(err, "--%s: %lu is out of range %u..%u", flag, x, lo, hi);
	*out_v = (unsigned)x;
	return ECS_OK;
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
	O_WARNING,
	O_CRITICAL,
	O_OUTFILE,
	O_DOWN,
	O_PARALLEL,
	O_MAXTIME
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
	{"version", 'V', 0, O_VERSION},	  {"warning", 'w', 1, O_WARNING},
	{"critical", 'c', 1, O_CRITICAL}, {"output-file", 0, 1, O_OUTFILE},
	{"down", 0, 0, O_DOWN},		  {"parallel", 0, 1, O_PARALLEL},
	{"max-time", 0, 1, O_MAXTIME},
};

/* One argument: a script's -i "$ID" with an empty $ID must not quietly ask for fewer ids. */
static ecs_status add_ids(const char *text, const char *origin, ecs_err *err)
{
	ecs_status st;

	if (text[strspn(text, " \t\r\n,")] == '\0')
		return usage_error(err, "empty instance id in %s", origin);
	st = ids_feed(&ids, text, strlen(text), origin, err);

	if (st == ECS_OK)
		st = ids_feed_end(&ids, err);
	return st;
}

/* --proxy is on argv, which every local user can read (ps, /proc/PID/cmdline). */
static ecs_status check_proxy_flag(const char *v, ecs_err *err)
{
	const char *host = strstr(v, "://");

	host = host != NULL ? host + 3 : v;
	if (memchr(host, '@', strcspn(host, "/")) != NULL)
		return usage_error(err,
				   "--proxy: a user name or password on the command line is "
				   "visible to every local user (ps); put the proxy URL with its "
				   "credentials in HTTPS_PROXY instead");
	opt.proxy = v;
	return ECS_OK;
}

static ecs_status pick(const char *v, const char *flag, const char *const *names, int *out_v,
		       ecs_err *err)
{
	int i;

	for (i = 0; names[i] != NULL; i++)
		if (strcmp(v, names[i]) == 0) {
			*out_v = i;
			return ECS_OK;
		}
	return usage_error(err, "--%s: '%.32s' is not one of the accepted values (see --help)",
			   flag, v);
}

static ecs_status apply_value(const optdef *d, const char *v, ecs_err *err)
{
	static const char *const fmts[] = {"table", "json", "tsv", "nagios", "prom", NULL};
	static const out_format fmt_of[] = {OUT_TABLE, OUT_JSON, OUT_TSV, OUT_NAGIOS, OUT_PROM};
	static const char *const sigs[] = {"v3", "v1", NULL};
	int k = 0;
	ecs_status st;

	switch (d->id) {
	case O_REGION:
		opt.region = v;
		opt.region_from = "--region";
		return ecs_valid_region(v)
			       ? ECS_OK
			       : usage_error(err, "--region: invalid region id '%.64s'", v);
	case O_ID:
		return add_ids(v, "--instance-id", err);
	case O_OSTYPE:
		opt.os_type = os_type_name(v);
		return opt.os_type != NULL
			       ? ECS_OK
			       : usage_error(err,
					     "--os-type: '%.32s' is not Linux, Windows or FreeBSD",
					     v);
	case O_OUTPUT:
		st = pick(v, d->lng, fmts, &k, err);
		opt.fmt = fmt_of[k];
		return st;
	case O_WARNING:
		return nagios_range_parse(v, d->lng, &opt.warn, err);
	case O_CRITICAL:
		return nagios_range_parse(v, d->lng, &opt.crit, err);
	case O_OUTFILE:
		opt.output_file = v;
		return v[0] != '\0' ? ECS_OK : usage_error(err, "--output-file: empty file name");
	case O_ENDPOINT:
		opt.endpoint = v;
		return ECS_OK;
	case O_SIG:
		st = pick(v, d->lng, sigs, &opt.sig_v1, err);
		return st;
	case O_BATCH:
		return parse_uint(d->lng, v, 1, 100, &opt.batch, err);
	case O_PARALLEL:
		return parse_uint(d->lng, v, 1, ENGINE_PARALLEL_MAX, &opt.parallel, err);
	case O_MAXTIME:
		return parse_uint(d->lng, v, 1, 86400, &opt.max_time_s, err);
	case O_CAFILE:
		opt.ca_file = v;
		return ECS_OK;
	case O_PROXY:
		return check_proxy_flag(v, err);
	case O_NOPROXY:
		opt.no_proxy = v;
		return ECS_OK;
	case O_PROFILE:
		opt.profile = v;
		return ECS_OK;
	case O_CTO:
		return parse_uint(d->lng, v, 1, 3600, &opt.connect_s, err);
	case O_RTO:
		return parse_uint(d->lng, v, 1, 3600, &opt.read_s, err);
	case O_RETRIES:
		return parse_uint(d->lng, v, 0, 20, &opt.retries, err);
	}
	return usage_error(err, "internal: unknown option");
}

static ecs_status apply_flag(const optdef *d)
{
	int *flags[] = {
		[O_ALL] = &opt.all,	    [O_CHECK] = &opt.check,	[O_VPC] = &opt.vpc,
		[O_DRY] = &opt.dry_run,	    [O_VERBOSE] = &opt.verbose, [O_HELP] = &opt.help,
		[O_VERSION] = &opt.version, [O_DOWN] = &opt.down};

	*flags[d->id] = 1;
	return ECS_OK;
}

static const optdef *find_long(const char *name, size_t nl)
{
	size_t k;

	for (k = 0; k < sizeof(OPTS) / sizeof(OPTS[0]); k++)
		if (strlen(OPTS[k].lng) == nl && strncmp(OPTS[k].lng, name, nl) == 0)
			return &OPTS[k];
	return NULL;
}

static const optdef *find_short(char c)
{
	size_t k;

	for (k = 0; k < sizeof(OPTS) / sizeof(OPTS[0]); k++)
		if (OPTS[k].shrt != 0 && OPTS[k].shrt == c)
			return &OPTS[k];
	return NULL;
}

/* --name, --name=value, --name value. *i advances past a separate value. */
static ecs_status parse_long(int argc, char **argv, int *i, ecs_err *err)
{
	const char *a = argv[*i], *name = a + 2, *eq = strchr(name, '=');
	size_t nl = eq != NULL ? (size_t)(eq - name) : strlen(name);
	const optdef *d = find_long(name, nl);
	const char *v;

	if (d == NULL)
		return usage_error(err, "unknown option '%.*s'", (int)(nl + 2 < 80 ? nl + 2 : 80),
				   a);
	if (!d->takes_value) {
		if (eq != NULL)
			return usage_error(err, "option '--%s' takes no value", d->lng);
		return apply_flag(d);
	}
	v = eq != NULL ? eq + 1 : NULL;
	if (v == NULL) {
		if (*i + 1 >= argc)
			return usage_error(err, "option '--%s' needs a value", d->lng);
		v = argv[++*i];
	}
	return apply_value(d, v, err);
}

/* -av, -rcn-hangzhou, -o json. */
static ecs_status parse_short(int argc, char **argv, int *i, ecs_err *err)
{
	const char *a = argv[*i];
	size_t k;

	for (k = 1; a[k] != '\0'; k++) {
		const optdef *d = find_short(a[k]);
		const char *v;
		if (d == NULL)
			return usage_error(err, "unknown option '-%.1s'", a + k);
		if (!d->takes_value) {
			apply_flag(d);
			continue;
		}
		v = a[k + 1] != '\0' ? a + k + 1 : NULL;
		if (v == NULL) {
			if (*i + 1 >= argc)
				return usage_error(err, "option '-%c' needs a value", d->shrt);
			v = argv[++*i];
		}
		return apply_value(d, v, err);
	}
	return ECS_OK;
}

static ecs_status parse_args(int argc, char **argv, ecs_err *err)
{
	int i, only_ids = 0;
	ecs_status st = ECS_OK;

	opt.fmt = OUT_TABLE;
	opt.batch = BATCH_DEFAULT;
	opt.parallel = PARALLEL_DEFAULT;
	opt.retries = 3;
	opt.connect_s = 5;
	opt.read_s = 16;
	for (i = 1; i < argc && st == ECS_OK; i++) {
		const char *a = argv[i];
		if (!only_ids && strcmp(a, "--") == 0)
			only_ids = 1;
		else if (strcmp(a, "-") == 0)
			opt.read_stdin = 1;
		else if (only_ids || a[0] != '-')
			st = add_ids(a, "the arguments", err);
		else if (a[1] == '-')
			st = parse_long(argc, argv, &i, err);
		else
			st = parse_short(argc, argv, &i, err);
		if (opt.help || opt.version)
			return ECS_OK; /* --help wins over anything after it */
	}
	return st;
}

static ecs_status read_ids_stdin(ecs_err *err)
{
	char chunk[4096];
	size_t got;
	ecs_status st;

	for (;;) {
		if (port_file_read(0, chunk, sizeof(chunk), &got) != PORT_OK)
			return err_set(err, ECS_E_INPUT,
				       "cannot read instance ids from standard "
				       "input: %s",
				       port_strerror());
		if (got == 0)
			return ids_feed_end(&ids, err);
		st = ids_feed(&ids, chunk, got, "standard input", err);
		if (st != ECS_OK)
			return st;
	}
}

/* ---- setting up ---- */

/* The documented Alibaba Cloud names only: a generic REGION or REGION_ID set for some other
 * tool must not pick an endpoint. */
static void region_from_env(void)
{
	static const char *const names[] = {"ALIBABA_CLOUD_REGION_ID", "ALIBABACLOUD_REGION_ID",
					    "ALICLOUD_REGION_ID", "ALICLOUD_REGION", NULL};
	size_t i;

	for (i = 0; names[i] != NULL && opt.region == NULL; i++) {
		const char *v = port_getenv(names[i]);
		if (v != NULL && v[0] != '\0') {
			opt.region = v;
			opt.region_from = names[i];
		}
	}
}

static ecs_status setup_input(ecs_err *err)
{
	ecs_status st;

	if (opt.read_stdin && (st = read_ids_stdin(err)) != ECS_OK)
		return st;
	if (opt.all && ids_count(&ids) > 0)
		return usage_error(err, "--all and instance ids exclude each other");
	if (!opt.all && ids_count(&ids) == 0)
		return usage_error(err, "no instance ids given (pass ids, -i ID, '-' for stdin, "
					"or --all)");
	return ECS_OK;
}

static ecs_status setup_creds(ecs_err *err)
{
	creds_opts co;
	ecs_status st;

	memset(&co, 0, sizeof(co));
	co.profile = opt.profile;
	co.warn = warn_sink;
	co.trace = trace_sink;
	st = creds_resolve(&cred, &co, err);
	if (st != ECS_OK)
		return st;
	if (opt.verbose)
		sayf("* credentials: %s (AccessKeyId %.4s****)", cred.source, cred.key_id);
	region_from_env();
	if (opt.region == NULL && cred.region[0] != '\0') {
		opt.region = cred.region;
		opt.region_from = "the profile";
	}
	if (opt.region == NULL)
		return usage_error(err,
				   "no region: pass --region ID or set ALIBABA_CLOUD_REGION_ID");
	if (!ecs_valid_region(opt.region))
		return usage_error(err, "invalid region id '%.64s' (from %s)", opt.region,
				   opt.region_from);
	return ECS_OK;
}

static ecs_status setup_endpoint(ecs_opts *eo, ecs_err *err)
{
	url_parts ep;
	ecs_status st;

	if (opt.endpoint == NULL) {
		eo->conn.port = 443;
		eo->conn.tls = 1;
		return ecs_default_endpoint(opt.region, opt.vpc, eo->conn.host,
					    sizeof(eo->conn.host), err);
	}
	st = url_parse_endpoint(opt.endpoint, &ep, err);
	if (st != ECS_OK) {
		err_prefix(err, "--endpoint");
		return st;
	}
	if (!ep.tls)
		return usage_error(err, "--endpoint: plain http:// would send the signature and "
					"the security token unencrypted; the API is served over "
					"https:// (give HOST[:PORT] or https://HOST[:PORT])");
	snprintf(eo->conn.host, sizeof(eo->conn.host), "%s", ep.host);
	eo->conn.port = ep.port;
	eo->conn.tls = 1;
	return ECS_OK;
}

static ecs_status setup_client(ecs_err *err)
{
	ecs_opts eo;
	tls_trust trust;
	ecs_status st;

	memset(&eo, 0, sizeof(eo));
	snprintf(eo.region, sizeof(eo.region), "%s", opt.region);
	if ((st = setup_endpoint(&eo, err)) != ECS_OK)
		return st;
	eo.conn.connect_timeout_ms = opt.connect_s * 1000u;
	eo.conn.read_timeout_ms = opt.read_s * 1000u;
	eo.conn.trace = opt.verbose ? trace_sink : NULL;
	if ((st = conn_pick_proxy(&eo.conn, opt.proxy, opt.no_proxy, err)) != ECS_OK)
		return st;
	if (!opt.dry_run) {
		tls_set_connections(opt.all ? 1 : opt.parallel);
		st = tls_find_trust(opt.ca_file, &trust, err);
		if (st == ECS_OK)
			st = tls_global_init(&trust, err);
		if (st != ECS_OK)
			return st;
		if (opt.verbose)
			sayf("* trust anchors: %s (%s)", trust.path, trust.origin);
	}
	eo.sig_v1 = opt.sig_v1;
	eo.retries = opt.retries;
	eo.os_type = opt.os_type;
	eo.dry_run = opt.dry_run;
	eo.cred = &cred;
	eo.trace = opt.verbose ? trace_sink : NULL;
	eo.warn = warn_sink;
	eo.dry_run_out = dry_run_sink;
	ecs_client_init(&client, &eo);
	client.c.max_deadline_ms = run_deadline_ms;
	client_up = 1;
	return ECS_OK;
}

/* ---- running ---- */

/* On a terminal, a run that takes longer than about 2 s shows how far it is on stderr; the
 * line is erased when the run ends. Never when stderr is not a terminal, nor for the
 * monitoring formats. */
static void progress(size_t done, size_t total)
{
	char line[96];
	int n;

	if (opt.fmt == OUT_NAGIOS || opt.fmt == OUT_PROM || opt.dry_run || !port_isatty(2) ||
	    port_time_ms() - t_start < PROGRESS_AFTER_MS)
		return;
	if (total > 0)
		n = snprintf(line, sizeof(line), "\r%s: %u of %u instances answered...", PROG,
			     (unsigned)done, (unsigned)total);
	else
		n = snprintf(line, sizeof(line), "\r%s: %u instances answered...", PROG,
			     (unsigned)done);
	port_write(2, line, (size_t)n);
	progress_shown = 1;
}

static void progress_erase(void)
{
	if (progress_shown)
		port_write(2, "\r\033[K", 4);
	progress_shown = 0;
}

static ecs_status remember_request_id(ecs_err *err)
{
	int is_new;

	if (page.request_id[0] == '\0' || opt.dry_run)
		return ECS_OK;
	return ids_insert(&reqids, page.request_id, strlen(page.request_id), &is_new, err);
}

static ecs_status output_failed(ecs_err *err)
{
	if (port_write_broken_pipe())
		return err_set(err, ECS_E_OUTPUT, "standard output was closed by the reader");
	if (std_closed & 2u)
		return err_set(err, ECS_E_OUTPUT, "standard output is closed");
	return err_set(err, ECS_E_OUTPUT, "cannot write to standard output: %s", port_strerror());
}

static ecs_status emit(const ecs_record *r, ecs_err *err)
{
	if (r->status != 1)
		alive_check_failed = 1;
	return out_record(&out, r, err);
}

/* ---- the batch engine's sinks (called in input order) ---- */

static const char *engine_id_at(void *ctx, size_t i)
{
	(void)ctx;
	return ids_at(&ids, i);
}

static ecs_status engine_record(void *ctx, size_t i, const ecs_record *r, ecs_err *err)
{
	(void)ctx;
	ids_mark(&ids, i, IDS_FOUND);
	progress(i + 1, ids_count(&ids));
	return emit(r, err);
}

/* A stale id (bisected out of a batch the API failed with InvalidInstance.NotFound) is
 * reported like any id the API does not know. */
static ecs_status engine_notfound(void *ctx, size_t i, int stale, ecs_err *err)
{
	(void)ctx;
	(void)stale;
	(void)err;
	ids_mark(&ids, i, IDS_NOTFOUND);
	alive_check_failed = 1;
	out_notfound(&out, ids_at(&ids, i));
	return ECS_OK;
}

static ecs_status engine_request_id(void *ctx, const char *id, ecs_err *err)
{
	int is_new;

	(void)ctx;
	return ids_insert(&reqids, id, strlen(id), &is_new, err);
}

static ecs_status engine_stop(void *ctx, ecs_err *err)
{
	(void)ctx;
	return out.failed ? output_failed(err) : ECS_OK; /* e.g. | head: stop asking */
}

/* --dry-run: each signed request printed, one after the other. */
static ecs_status dry_run_ids(ecs_err *err)
{
	const char *batch[ECS_PAGE_MAX];
	size_t start = 0, i, total = ids_count(&ids);
	ecs_status st;

	while (start < total) {
		size_t n = total - start < opt.batch ? total - start : opt.batch;
		for (i = 0; i < n; i++)
			batch[i] = ids_at(&ids, start + i);
		if ((st = ecs_describe_ids(&client, batch, n, &page, err)) != ECS_OK)
			return st;
		start += n;
	}
	return ECS_OK;
}

static ecs_status run_ids(ecs_err *err)
{
	engine_opts o;

	if (opt.dry_run)
		return dry_run_ids(err);
	memset(&o, 0, sizeof(o));
	o.id_at = engine_id_at;
	o.nids = ids_count(&ids);
	o.parallel = opt.parallel;
	o.batch_size = opt.batch;
	o.retries = opt.retries;
	o.deadline_ms = run_deadline_ms;
	o.cl = &client;
	o.record = engine_record;
	o.notfound = engine_notfound;
	o.request_id = engine_request_id;
	o.trace = opt.verbose ? trace_sink : NULL;
	o.stop = engine_stop;
	return engine_run(&eng, &o, &client.o.conn, &eng_stats, err);
}

/* --all: every instance once; a NextToken seen before, or an instance on two pages, means the
 * server's paging loops: stop rather than ask forever. */
static ecs_status page_seen(unsigned pages, ecs_err *err)
{
	ecs_status st = ECS_OK;
	int is_new = 1;
	size_t k;

	for (k = 0; k < page.n && st == ECS_OK; k++) {
		st = ids_insert(&seen, page.rec[k].id, strlen(page.rec[k].id), &is_new, err);
		if (st == ECS_OK && !is_new)
			return err_set(err, ECS_E_PROTO,
				       "the API returned instance %s again on page %u: its paging "
				       "loops; stopping after %u requests",
				       page.rec[k].id, pages + 1, client.requests);
	}
	if (st == ECS_OK && page.next_token[0] != '\0') {
		/* tokens live in the same set, marked apart from instance ids by a prefix byte
		 * that no instance id has */
		char key[sizeof(page.next_token) + 1];
		key[0] = '\x01';
		memcpy(key + 1, page.next_token, strlen(page.next_token) + 1);
		st = ids_insert(&seen, key, strlen(key), &is_new, err);
		if (st == ECS_OK && !is_new)
			return err_set(err, ECS_E_PROTO,
				       "the API returned a NextToken it had returned before (page "
				       "%u): its paging loops; stopping after %u requests",
				       pages + 1, client.requests);
	}
	return st;
}

static ecs_status run_all(ecs_err *err)
{
	static char token[sizeof(page.next_token)];
	unsigned pages = 0;
	size_t k;
	ecs_status st;

	token[0] = '\0';
	for (;;) {
		st = ecs_describe_page(&client, token, ALL_PAGE_SIZE, &page, err);
		if (st == ECS_OK)
			st = remember_request_id(err);
		if (st == ECS_OK && !opt.dry_run)
			st = page_seen(pages, err);
		if (st != ECS_OK)
			return st;
		for (k = 0; k < page.n && st == ECS_OK; k++)
			st = emit(&page.rec[k], err);
		if (st != ECS_OK)
			return st;
		if (out.failed)
			return output_failed(err);
		progress(out.rows, 0);
		if (opt.dry_run || page.next_token[0] == '\0')
			return ECS_OK;
		if (++pages >= MAX_PAGES)
			return err_set(err, ECS_E_PROTO, "more than %u pages; stopping", MAX_PAGES);
		memcpy(token, page.next_token, sizeof(token));
	}
}

/* From the signal handler: the complete rows, a closed JSON document, a note, the
 * conventional exit code. Async-signal-safe: only raw writes. */
static void raw_stdout(const void *buf, size_t len)
{
	if (!(std_closed & 2u))
		port_write_raw(1, buf, len);
}

static void on_signal(int signo)
{
	static const char note[] = PROG ": interrupted; the rows written are complete, the "
					"rest was not checked\n";

	if (outfile_open)
		port_outfile_abort_raw(&outfile); /* the old file stays as it was */
	else
		out_emergency(&out, raw_stdout);
	port_write_raw(2, note, sizeof(note) - 1);
	port_exit(128 + signo);
}

/* Format, file and thresholds; the monitoring formats keep every answer until the end. */
static ecs_status setup_output(ecs_err *err)
{
	char detail[ECS_ERR_MSG_MAX - 32];

	out.fmt = opt.fmt;
	out.only_down = opt.down;
	out.region = opt.region;
	out.keep = &keep;
	out.now_unix = port_time_unix();
	if (opt.fmt == OUT_TABLE && port_isatty(1))
		out.width = port_term_width(1);
	if (opt.fmt == OUT_NAGIOS && !opt.warn.set && !opt.crit.set)
		nagios_range_parse("0", "critical", &opt.crit, err); /* critical at 1 or more */
	if (opt.output_file != NULL && !opt.dry_run) {
		if (port_outfile_open(&outfile, opt.output_file, detail, sizeof(detail)) != PORT_OK)
			return err_set(err, ECS_E_OUTPUT, "--output-file: %s", detail);
		outfile_open = 1;
	}
	return ECS_OK;
}

static ecs_status run(ecs_err *err)
{
	if (!opt.dry_run)
		out_begin(&out);
	port_on_signal(on_signal);
	return opt.all ? run_all(err) : run_ids(err);
}

/* ---- finishing ---- */

static const char *request_id_at(void *ctx, size_t i)
{
	(void)ctx;
	return ids_at(&reqids, i);
}

/* Called for i = 0, 1, 2, ... in order: a cursor keeps it linear. */
static const char *notfound_at(void *ctx, size_t i)
{
	(void)ctx;
	if (i == 0)
		notfound_cursor = 0;
	while (notfound_cursor < ids_count(&ids) &&
	       ids_state(&ids, notfound_cursor) != IDS_NOTFOUND)
		notfound_cursor++;
	return ids_at(&ids, notfound_cursor++);
}

static void summarize(ecs_status st, const ecs_err *err, out_summary *s)
{
	size_t i, n = ids_count(&ids);

	memset(s, 0, sizeof(*s));
	s->complete = st == ECS_OK;
	s->error_code = err_name(st);
	s->error_msg = err->msg;
	for (i = 0; i < n; i++) {
		int state = ids_state(&ids, i);
		s->not_checked += state == IDS_UNCHECKED;
		s->n_notfound += state == IDS_NOTFOUND;
	}
	s->n_request_ids = ids_count(&reqids);
	s->request_id_at = request_id_at;
	s->notfound_at = notfound_at;
}

static void print_version(void)
{
	char line[256];

	snprintf(line, sizeof(line), PROG " %s (mbedTLS %s, %s)\n", ECS_VERSION,
		 MBEDTLS_VERSION_STRING, ECS_TARGET);
	out_str(&out, line);
}

static void report(const ecs_err *err)
{
	if (err->status == ECS_E_OUTPUT && port_write_broken_pipe() && !outfile_open)
		return; /* the reader left on purpose (| head): the exit code says it */
	sayf(PROG ": %s", err->msg);
	if (err->status == ECS_E_USAGE)
		say("Try '" PROG " --help'.");
}

/* --output-file: replaced by what this run wrote when it started asking the API (and, for
 * prom and nagios, always: their failure report is the point); else left as it was. */
static ecs_status output_file_done(ecs_status st, ecs_err *err)
{
	char detail[ECS_ERR_MSG_MAX - 32];
	int keep_it = out.began || opt.fmt == OUT_PROM || opt.fmt == OUT_NAGIOS;

	if (!outfile_open)
		return st;
	outfile_open = 0;
	if (!keep_it || out.failed) {
		port_outfile_abort(&outfile);
		return st;
	}
	if (port_outfile_commit(&outfile, detail, sizeof(detail)) != PORT_OK && st == ECS_OK)
		return err_set(err, ECS_E_OUTPUT, "--output-file: %s", detail);
	return st;
}

/* After a table on a terminal, one line of summary on stderr. */
static void table_summary(void)
{
	if (opt.fmt != OUT_TABLE || !port_isatty(1) || outfile_open || opt.dry_run)
		return;
	sayf("%u instances: %u live, %u down, %u not found", out.rows + out.notfound, out.live,
	     out.rows - out.live, out.notfound);
}

/* Writes what is left, says what failed, wipes, and turns what was verified into the exit
 * code. The one way out of main(). */
static int finish(ecs_status st, ecs_err *err)
{
	out_summary s;
	int code;

	progress_erase();
	if (client_up)
		ecs_client_close(&client);
	creds_wipe(&cred);
	summarize(st, err, &s);
	s.duration_ms = port_time_ms() - t_start;
	s.warn = &opt.warn;
	s.crit = &opt.crit;
	if (out_finish(&out, &s) != 0 && st == ECS_OK)
		st = output_failed(err);
	st = output_file_done(st, err);
	if (st != ECS_OK) {
		report(err);
		if (s.not_checked > 0 && out.rows + out.notfound > 0)
			sayf(PROG ": %u of %u instances were not checked", s.not_checked,
			     (unsigned)ids_count(&ids));
		return opt.fmt == OUT_NAGIOS ? NAGIOS_UNKNOWN : err_exit_code(st);
	}
	if (opt.fmt == OUT_NAGIOS)
		return out.nagios_state;
	code = 0;
	if (opt.check && alive_check_failed)
		code = err_exit_code(ECS_E_CHECK);
	table_summary();
	if (opt.verbose)
		sayf("* %u request(s), %u connection(s), %u instance(s), %u not found",
		     client.requests, client.c.connects + eng_stats.connections, out.rows,
		     out.notfound);
	if (!opt.dry_run && tls_clock_untrusted())
		say(PROG ": warning: the local clock is before this build's date; certificate "
			 "dates were not checked");
	return code;
}

/* A usage error is UNKNOWN (3) in a Nagios check even when -o nagios comes after the bad
 * flag. */
static int wants_nagios(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "-onagios") == 0 || strcmp(argv[i], "--output=nagios") == 0 ||
		    ((strcmp(argv[i], "-o") == 0 || strcmp(argv[i], "--output") == 0) &&
		     i + 1 < argc && strcmp(argv[i + 1], "nagios") == 0))
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	ecs_err err;
	ecs_status st;

	std_closed = port_harden();
	t_start = port_time_ms();
	memset(&err, 0, sizeof(err));
	store_init(&keep, port_mem_resize);
	ids_init(&ids, port_mem_resize);
	ids_init(&reqids, port_mem_resize);
	ids_init(&seen, port_mem_resize);
	out_init(&out, OUT_TABLE, stdout_write, NULL);
	st = parse_args(argc, argv, &err);
	if (opt.max_time_s > 0)
		run_deadline_ms = t_start + (int64_t)opt.max_time_s * 1000;
	if (st == ECS_OK && (opt.help || opt.version)) {
		out_str(&out, opt.help ? USAGE : "");
		if (opt.version)
			print_version();
		return finish(ECS_OK, &err);
	}
	if (st != ECS_OK && wants_nagios(argc, argv))
		opt.fmt = OUT_NAGIOS;
	out.fmt = opt.fmt;
	if (st == ECS_OK)
		st = setup_input(&err);
	if (st == ECS_OK)
		st = setup_creds(&err);
	if (st == ECS_OK)
		st = setup_output(&err);
	if (st == ECS_OK)
		st = setup_client(&err);
	if (st == ECS_OK)
		st = run(&err);
	return finish(st, &err);
}
