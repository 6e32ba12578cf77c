/* Command line -> options: every flag, its value checked; instance ids into the id set. */
#include "cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ecs.h"
#include "lzss.h"
#include "port.h"
#include "usage.h" /* generated: CLI_USAGE_packed[], CLI_USAGE_LEN */

#define PROG		 "ecs-ca-status"
#define BATCH_DEFAULT	 100u
#define PARALLEL_DEFAULT 8u

/* The --help text is src/usage.txt, packed at build time (scripts/pack_text.c): 2 KB less. */
const char *cli_usage(void)
{
	static char text[CLI_USAGE_LEN + 1];

	if (text[0] == '\0' && lzss_unpack(CLI_USAGE_packed, sizeof(CLI_USAGE_packed), text,
					   CLI_USAGE_LEN) != CLI_USAGE_LEN)
		return PROG ": the built-in help text is damaged; see man ecs-ca-status\n";
	return text;
}

ecs_status usage_error(ecs_err *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	err->status = ECS_E_USAGE;
	return ECS_E_USAGE;
}

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
	O_WAIT,
	O_INTERVAL,
	O_PARALLEL,
	O_MAXTIME,
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
	{"version", 'V', 0, O_VERSION},	  {"warning", 'w', 1, O_WARNING},
	{"critical", 'c', 1, O_CRITICAL}, {"output-file", 0, 1, O_OUTFILE},
	{"down", 0, 0, O_DOWN},		  {"wait", 0, 1, O_WAIT},
	{"interval", 0, 1, O_INTERVAL},	  {"parallel", 0, 1, O_PARALLEL},
	{"max-time", 0, 1, O_MAXTIME},	  {"resolve", 0, 1, O_RESOLVE},
	{"show-ca", 0, 0, O_SHOWCA},
};

/* One argument: a script's -i "$ID" with an empty $ID must not quietly ask for fewer ids. */
static ecs_status add_ids(cli_opts *o, const char *text, const char *origin, ecs_err *err)
{
	ecs_status st;

	if (text[strspn(text, " \t\r\n,")] == '\0')
		return usage_error(err, "empty instance id in %s", origin);
	st = ids_feed(o->ids, text, strlen(text), origin, err);

	if (st == ECS_OK)
		st = ids_feed_end(o->ids, err);
	return st;
}

/* --proxy is on argv, which every local user can read (ps, /proc/PID/cmdline). */
static ecs_status check_proxy_flag(cli_opts *o, const char *v, ecs_err *err)
{
	const char *host = strstr(v, "://");

	host = host != NULL ? host + 3 : v;
	if (memchr(host, '@', strcspn(host, "/")) != NULL)
		return usage_error(err,
				   "--proxy: a user name or password on the command line is "
				   "visible to every local user (ps); put the proxy URL with its "
				   "credentials in HTTPS_PROXY instead");
	o->proxy = v;
	return ECS_OK;
}

static ecs_status add_region(cli_opts *o, const char *r, size_t n, const char *from, ecs_err *err)
{
	char one[ECS_REGION_MAX];
	unsigned i;

	if (n == 0 || n >= sizeof(one))
		return usage_error(err, "%s: invalid region id '%.*s'", from,
				   (int)(n < 64 ? n : 64), r);
	memcpy(one, r, n);
	one[n] = '\0';
	if (strcmp(one, "all") == 0) {
		o->regions_all = 1;
	} else if (!ecs_valid_region(one)) {
		return usage_error(err, "%s: invalid region id '%s'", from, one);
	} else {
		for (i = 0; i < o->nregions; i++)
			if (strcmp(o->regions[i], one) == 0)
				return ECS_OK;
		if (o->nregions == ECS_REGIONS_MAX)
			return usage_error(err, "%s: more than %d regions", from, ECS_REGIONS_MAX);
		memcpy(o->regions[o->nregions++], one, n + 1);
	}
	if (o->regions_all && o->nregions > 0)
		return usage_error(err,
				   "%s: 'all' means every region; it takes no other region "
				   "beside it",
				   from);
	o->region_from = from;
	return ECS_OK;
}

ecs_status cli_add_regions(cli_opts *o, const char *list, const char *from, ecs_err *err)
{
	const char *p = list;
	ecs_status st = ECS_OK;

	while (st == ECS_OK) {
		size_t n = strcspn(p, ",");
		st = add_region(o, p, n, from, err);
		if (p[n] == '\0')
			break;
		p += n + 1;
	}
	return st;
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

static ecs_status apply_value(cli_opts *o, const optdef *d, const char *v, ecs_err *err)
{
	static const char *const fmts[] = {"table", "json", "tsv", "nagios", "prom", NULL};
	static const out_format fmt_of[] = {OUT_TABLE, OUT_JSON, OUT_TSV, OUT_NAGIOS, OUT_PROM};
	static const char *const sigs[] = {"v3", "v1", NULL};
	int k = 0;
	ecs_status st;

	o->given |= (uint64_t)1 << d->id;
	switch (d->id) {
	case O_REGION:
		return cli_add_regions(o, v, "--region", err);
	case O_ID:
		return add_ids(o, v, "--instance-id", err);
	case O_OSTYPE:
		o->os_type = os_type_name(v);
		return o->os_type != NULL
			       ? ECS_OK
			       : usage_error(err,
					     "--os-type: '%.32s' is not Linux, Windows or FreeBSD",
					     v);
	case O_OUTPUT:
		st = pick(v, d->lng, fmts, &k, err);
		o->fmt = fmt_of[k];
		return st;
	case O_WARNING:
		return nagios_range_parse(v, d->lng, &o->warn, err);
	case O_CRITICAL:
		return nagios_range_parse(v, d->lng, &o->crit, err);
	case O_WAIT:
		return parse_uint(d->lng, v, 1, 86400, &o->wait_s, err);
	case O_INTERVAL:
		return parse_uint(d->lng, v, 1, 3600, &o->interval_s, err);
	case O_OUTFILE:
		o->output_file = v;
		return v[0] != '\0' ? ECS_OK : usage_error(err, "--output-file: empty file name");
	case O_ENDPOINT:
		o->endpoint = v;
		return ECS_OK;
	case O_SIG:
		st = pick(v, d->lng, sigs, &o->sig_v1, err);
		return st;
	case O_BATCH:
		return parse_uint(d->lng, v, 1, 100, &o->batch, err);
	case O_CAFILE:
		o->ca_file = v;
		return ECS_OK;
	case O_PROXY:
		return check_proxy_flag(o, v, err);
	case O_NOPROXY:
		o->no_proxy = v;
		return ECS_OK;
	case O_PROFILE:
		o->profile = v;
		return ECS_OK;
	case O_CTO:
		return parse_uint(d->lng, v, 1, 3600, &o->connect_s, err);
	case O_RTO:
		return parse_uint(d->lng, v, 1, 3600, &o->read_s, err);
	case O_RETRIES:
		return parse_uint(d->lng, v, 0, 20, &o->retries, err);
	case O_PARALLEL:
		return parse_uint(d->lng, v, 1, ENGINE_PARALLEL_MAX, &o->parallel, err);
	case O_MAXTIME:
		return parse_uint(d->lng, v, 1, 86400, &o->max_time_s, err);
	case O_RESOLVE: { /* kept by the port: every connection (API, STS, metadata) honours it */
		char why[128];
		return port_resolve_add(v, why, sizeof(why)) == PORT_OK
			       ? ECS_OK
			       : usage_error(err, "--resolve: '%.300s': %s", v, why);
	}
	}
	return usage_error(err, "internal: unknown option");
}

static ecs_status apply_flag(cli_opts *o, const optdef *d)
{
	int *flags[] = {
		[O_ALL] = &o->all,	   [O_CHECK] = &o->check,     [O_VPC] = &o->vpc,
		[O_DRY] = &o->dry_run,	   [O_VERBOSE] = &o->verbose, [O_HELP] = &o->help,
		[O_VERSION] = &o->version, [O_DOWN] = &o->down,	      [O_SHOWCA] = &o->show_ca};

	*flags[d->id] = 1;
	o->given |= (uint64_t)1 << d->id;
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
static ecs_status parse_long(cli_opts *o, int argc, char **argv, int *i, ecs_err *err)
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
		return apply_flag(o, d);
	}
	v = eq != NULL ? eq + 1 : NULL;
	if (v == NULL) {
		if (*i + 1 >= argc)
			return usage_error(err, "option '--%s' needs a value", d->lng);
		v = argv[++*i];
	}
	return apply_value(o, d, v, err);
}

/* -av, -rcn-hangzhou, -o json. */
static ecs_status parse_short(cli_opts *o, int argc, char **argv, int *i, ecs_err *err)
{
	const char *a = argv[*i];
	size_t k;

	for (k = 1; a[k] != '\0'; k++) {
		const optdef *d = find_short(a[k]);
		const char *v;
		if (d == NULL)
			return usage_error(err, "unknown option '-%.1s'", a + k);
		if (!d->takes_value) {
			apply_flag(o, d);
			continue;
		}
		v = a[k + 1] != '\0' ? a + k + 1 : NULL;
		if (v == NULL) {
			if (*i + 1 >= argc)
				return usage_error(err, "option '-%c' needs a value", d->shrt);
			v = argv[++*i];
		}
		return apply_value(o, d, v, err);
	}
	return ECS_OK;
}

ecs_status cli_parse(int argc, char **argv, cli_opts *o, ids_set *ids, ecs_err *err)
{
	int i, only_ids = 0;
	ecs_status st = ECS_OK;

	memset(o, 0, sizeof(*o));
	o->ids = ids;
	o->fmt = OUT_TABLE;
	o->batch = BATCH_DEFAULT;
	o->parallel = PARALLEL_DEFAULT;
	o->retries = 3;
	o->connect_s = 5;
	o->read_s = 16;
	o->interval_s = 10;
	for (i = 1; i < argc && st == ECS_OK; i++) {
		const char *a = argv[i];
		if (!only_ids && strcmp(a, "--") == 0)
			only_ids = 1;
		else if (strcmp(a, "-") == 0)
			o->read_stdin = 1;
		else if (only_ids || a[0] != '-')
			st = add_ids(o, a, "the arguments", err);
		else if (a[1] == '-')
			st = parse_long(o, argc, argv, &i, err);
		else
			st = parse_short(o, argc, argv, &i, err);
		if (o->help || o->version)
			return ECS_OK; /* --help wins over anything after it */
	}
	return st;
}

ecs_status cli_default(cli_opts *o, const char *lng, const char *value, const char *from,
		       ecs_err *err)
{
	const optdef *d = find_long(lng, strlen(lng));
	uint64_t given = o->given;
	ecs_status st;

	if (d == NULL || (given & ((uint64_t)1 << d->id)) != 0 || value == NULL || value[0] == '\0')
		return ECS_OK;
	st = d->takes_value ? apply_value(o, d, value, err) : apply_flag(o, d);
	(void)given; /* now set: a later (lower) source does not override it */
	if (st != ECS_OK)
		err_prefix(err, "%s", from);
	return st;
}
