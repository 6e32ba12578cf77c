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

#include "cli.h"
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
#define BATCH_DEFAULT	  50u
#define ALL_PAGE_SIZE	  50u
#define MAX_PAGES	  100000u
#define PROGRESS_AFTER_MS 2000
#define NAGIOS_MAX_TIME_S 55

/* ---- mutable program state (main.c is allowed globals) ---- */

static cli_opts opt;

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
/* --wait: the answers are collected over rounds and printed once at the end */
static int waiting;
static store answers;	 /* this round's answers and the live ones carried over */
static uint32_t *latest; /* id i -> index + 1 of its newest answer in answers (0: none) */
static uint8_t *home;	 /* id i -> number + 1 of the region that answered for it (0: none) */
static size_t latest_cap;
static unsigned cur_region_no;	       /* index of cur_region in opt.regions */
static int region_ok[ECS_REGIONS_MAX]; /* the region was asked without an error */
static int region_failed;	       /* some region failed: ids no region had are not checked */
static creds cred;
static creds_work cred_work; /* the credential chain's buffers */
static creds_opts cred_opts;
static int trust_ready;
static ecs_client client;
static int client_up;
static const char *cur_region;		      /* the region being asked */
static unsigned requests_done, connects_done; /* of the clients already closed */
static engine eng;		/* the batch engine: K connections and the reorder window */
static int64_t run_deadline_ms; /* --max-time, monotonic; 0 = none */
static uint32_t *round_idx;	/* --wait: engine index -> id index of this round */
static size_t round_cap;
static out_ctx out;

/* ---- printing ---- */

/* One line to stderr: the text is filtered for display (it may quote the server, argv, the
 * environment or a file), then the newline is added. */
static void say(const char *text)
{
	char shown[512];
	size_t n = strlen(text), i = 0, used, k;

	do {
		k = show_part(shown, sizeof(shown) - 1, text + i, n - i, &used);
		i += used;
		if (i == n)
			shown[k++] = '\n';
		port_write(2, shown, k);
	} while (i < n);
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

static void progress_erase(void);

/* The output sink: stdout, with the signal handler held off so that it never writes into the
 * middle of a flush. A stdout closed at start fails every write. */
static int stdout_write(void *ctx, const void *buf, size_t len)
{
	int rc;

	(void)ctx;
	if (!outfile_open && (std_closed & 2u))
		return -1;
	if (!outfile_open && progress_shown)
		progress_erase(); /* rows and the progress line may share a terminal */
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
static ecs_status region_from_env(ecs_err *err)
{
	static const char *const names[] = {"ALIBABA_CLOUD_REGION_ID", "ALIBABACLOUD_REGION_ID",
					    "ALICLOUD_REGION_ID", "ALICLOUD_REGION", NULL};
	size_t i;

	for (i = 0; names[i] != NULL; i++) {
		const char *v = port_getenv(names[i]);
		if (v != NULL && v[0] != '\0')
			return cli_add_regions(&opt, v, names[i], err);
	}
	return ECS_OK;
}

static ecs_status setup_input(ecs_err *err)
{
	ecs_status st;

	if (opt.read_stdin && (st = read_ids_stdin(err)) != ECS_OK)
		return st;
	ids_seal(&ids); /* every id is in: the de-duplication index is not needed any more */
	if (opt.all && ids_count(&ids) > 0)
		return usage_error(err, "--all and instance ids exclude each other");
	if (!opt.all && ids_count(&ids) == 0)
		return usage_error(err, "no instance ids given (pass ids, -i ID, '-' for stdin, "
					"or --all)");
	return ECS_OK;
}

static ecs_status setup_trust(ecs_err *err);

/* TLS for the credential sources that need it (STS, an https credentials URI): the same
 * trust anchors as the ECS call, set up on first use. */
static ecs_status creds_tls_ready(void *ctx, ecs_err *err)
{
	(void)ctx;
	return setup_trust(err);
}

/* The environment's copy of an AccessKeySecret (names as the chain reads them, creds.c):
 * overwritten once the key is derived (or the run fails), so that the process's memory holds
 * it nowhere. */
static void scrub_secret_env(void)
{
	static const char *const names[] = {
		"ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABACLOUD_ACCESS_KEY_SECRET",
		"ALICLOUD_ACCESS_KEY_SECRET", "ALICLOUD_SECRET_KEY", "ACCESS_KEY_SECRET"};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		port_env_scrub(names[i]);
}

static ecs_status setup_creds(ecs_err *err)
{
	creds_opts *co = &cred_opts;
	ecs_status st;

	memset(co, 0, sizeof(*co));
	co->profile = opt.profile;
	co->warn = warn_sink;
	co->trace = trace_sink;
	co->tls_ready = creds_tls_ready;
	co->proxy = opt.proxy;
	co->no_proxy = opt.no_proxy;
	co->connect_timeout_ms = opt.connect_s * 1000u;
	co->read_timeout_ms = opt.read_s * 1000u;
	co->sts_v1 = opt.sig_v1;
	st = creds_resolve(&cred, co, &cred_work, err);
	if (st == ECS_OK) /* from here on the process holds the signing key, not the secret */
		st = creds_seal(&cred, opt.sig_v1, err);
	scrub_secret_env();
	if (st != ECS_OK)
		return st;
	if (opt.verbose)
		sayf("* credentials: %s (AccessKeyId %.4s****)", cred.source, cred.key_id);
	if (opt.nregions == 0 && !opt.regions_all && (st = region_from_env(err)) != ECS_OK)
		return st;
	if (opt.nregions == 0 && !opt.regions_all && cred.region[0] != '\0' &&
	    (st = cli_add_regions(&opt, cred.region, "the profile's region_id", err)) != ECS_OK)
		return st;
	if (opt.nregions == 0 && !opt.regions_all)
		return usage_error(err,
				   "no region: pass --region ID or set ALIBABA_CLOUD_REGION_ID");
	return ECS_OK;
}

static ecs_status setup_endpoint(ecs_opts *eo, const char *region, ecs_err *err)
{
	url_parts ep;
	ecs_status st;

	if (opt.endpoint == NULL) {
		eo->conn.port = 443;
		eo->conn.tls = 1;
		return ecs_default_endpoint(region, opt.vpc, eo->conn.host, sizeof(eo->conn.host),
					    err);
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

static void close_client(void)
{
	if (!client_up)
		return;
	requests_done += client.requests;
	connects_done += client.c.connects;
	ecs_client_close(&client);
	client_up = 0;
}

/* The config.json profile's own settings (aliyun-cli's endpoint, endpoint_type,
 * read_timeout, connect_timeout, retry_count), below the flags and above the environment. */
static ecs_status profile_settings(ecs_err *err)
{
	const creds_settings *ps = &cred.settings;
	const struct {
		const char *flag;
		int64_t v, max; /* aliyun-cli takes any number: ours are clamped, not refused */
	} nums[] = {{"connect-timeout", ps->connect_timeout, 3600},
		    {"read-timeout", ps->read_timeout, 3600},
		    {"retries", ps->retry_count, 20}};
	char num[24], from[64];
	ecs_status st = ECS_OK;
	size_t i;

	if (ps->endpoint[0] != '\0')
		st = cli_default(&opt, "endpoint", ps->endpoint, "the profile's endpoint", err);
	if (st == ECS_OK && strcmp(ps->endpoint_type, "vpc") == 0)
		st = cli_default(&opt, "vpc", "1", "the profile's endpoint_type", err);
	for (i = 0; i < sizeof(nums) / sizeof(nums[0]) && st == ECS_OK; i++) {
		if (nums[i].v <= 0)
			continue; /* aliyun-cli: 0 = not set */
		snprintf(num, sizeof(num), "%lld",
			 (long long)(nums[i].v < nums[i].max ? nums[i].v : nums[i].max));
		snprintf(from, sizeof(from), "the profile's %s", nums[i].flag);
		st = cli_default(&opt, nums[i].flag, num, from, err);
	}
	return st;
}

/* Settings as aliyun-cli takes them, below the flags: ALIBABA_CLOUD_ENDPOINT, the endpoint type
 * (vpc) and the timeout and retry variables aliyun-cli hands its plugins. */
static ecs_status setup_settings(ecs_err *err)
{
	static const char *const type_vars[] = {"ALIBABA_CLOUD_ENDPOINT_TYPE",
						"ALIBABACLOUD_ENDPOINT_TYPE",
						"ALICLOUD_ENDPOINT_TYPE", NULL};
	static const struct {
		const char *var, *flag;
	} nums[] = {{"ALIBABA_CLOUD_CONNECT_TIMEOUT", "connect-timeout"},
		    {"ALIBABA_CLOUD_READ_TIMEOUT", "read-timeout"},
		    {"ALIBABA_CLOUD_RETRY_COUNT", "retries"}};
	ecs_status st = profile_settings(err);
	size_t i;

	if (st == ECS_OK)
		st = cli_default(&opt, "endpoint", port_getenv("ALIBABA_CLOUD_ENDPOINT"),
				 "ALIBABA_CLOUD_ENDPOINT", err);

	for (i = 0; type_vars[i] != NULL && st == ECS_OK; i++) {
		const char *v = port_getenv(type_vars[i]);
		if (v == NULL || v[0] == '\0')
			continue;
		if (strcmp(v, "vpc") == 0)
			st = cli_default(&opt, "vpc", "1", type_vars[i], err);
		else if (strcmp(v, "public") != 0)
			st = usage_error(err, "%s: '%.32s' is not vpc or public", type_vars[i], v);
		break;
	}
	for (i = 0; i < sizeof(nums) / sizeof(nums[0]) && st == ECS_OK; i++)
		st = cli_default(&opt, nums[i].flag, port_getenv(nums[i].var), nums[i].var, err);
	return st;
}

/* The trust anchors, once for every connection of the run. */
static ecs_status setup_trust(ecs_err *err)
{
	tls_trust trust;
	ecs_status st;

	if (opt.dry_run || trust_ready)
		return ECS_OK;
	/* one more than the engine's: a credentials refresh (STS, an https URI) during the run */
	tls_set_connections((opt.all ? 1 : opt.parallel) + 1);
	st = tls_find_trust(opt.ca_file, &trust, err);
	if (st == ECS_OK)
		st = tls_global_init(&trust, err);
	if (st == ECS_OK && opt.verbose)
		sayf("* trust anchors: %s (%s)", trust.path, trust.origin);
	trust_ready = st == ECS_OK;
	return st;
}

/* A client for one region (closing the previous one). */
static ecs_status setup_client(const char *region, ecs_err *err)
{
	ecs_opts eo;
	ecs_status st;

	if (client_up && cur_region != NULL && strcmp(cur_region, region) == 0)
		return ECS_OK; /* the next round in the same region: keep the connection */
	close_client();
	cur_region = region;
	memset(&eo, 0, sizeof(eo));
	snprintf(eo.region, sizeof(eo.region), "%s", region);
	if ((st = setup_endpoint(&eo, region, err)) != ECS_OK)
		return st;
	eo.conn.connect_timeout_ms = opt.connect_s * 1000u;
	eo.conn.read_timeout_ms = opt.read_s * 1000u;
	eo.conn.trace = opt.verbose ? trace_sink : NULL;
	if ((st = conn_pick_proxy(&eo.conn, opt.proxy, opt.no_proxy, err)) != ECS_OK)
		return st;
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
	if (outfile_open)
		return err_set(err, ECS_E_OUTPUT, "cannot write to %s: %s", outfile.tmp,
			       port_outfile_error(&outfile));
	if (port_write_broken_pipe())
		return err_set(err, ECS_E_OUTPUT, "standard output was closed by the reader");
	if (std_closed & 2u)
		return err_set(err, ECS_E_OUTPUT, "standard output is closed");
	return err_set(err, ECS_E_OUTPUT, "cannot write to standard output: %s", port_strerror());
}

/* Temporary credentials are refreshed before they expire, before signing the next batch. */
static ecs_status refresh_creds(ecs_err *err)
{
	int64_t now = port_time_unix();
	ecs_status st;

	if (opt.dry_run || !creds_refresh_due(&cred, now))
		return ECS_OK;
	if (client_up)
		conn_close(&client.c); /* one TLS handshake at a time fits the TLS pool */
	st = creds_refresh_if_due(&cred, now, &cred_opts, &cred_work, err);
	return st == ECS_OK ? creds_seal(&cred, opt.sig_v1, err) : st;
}

static ecs_status emit(const ecs_record *r, ecs_err *err)
{
	/* ages against the server's idea of now when the local clock is off */
	out.now_unix = port_time_unix() + (client_up ? client.clock_offset : 0);
	if (r->status != 1)
		alive_check_failed = 1;
	return out_record(&out, r, err);
}

/* --wait: keeps r as the newest answer (of id idx, or of --all when idx is SIZE_MAX). */
static ecs_status keep_answer(size_t idx, const ecs_record *r, ecs_err *err)
{
	ecs_status st = store_add(&answers, r, cur_region, err);

	if (st == ECS_OK && idx != (size_t)-1)
		latest[idx] = (uint32_t)store_count(&answers);
	return st;
}

/* Collecting (--wait, several regions): an id belongs to the region that answered for it;
 * one that no region has answered for stays to be asked in the others. */
static int pending(size_t i)
{
	if (!waiting)
		return 1;
	if (home[i] == 0)
		return 1;
	return home[i] == cur_region_no + 1 && ids_state(&ids, i) != IDS_LIVE;
}

static ecs_status answer_id(size_t idx, const ecs_record *r, ecs_err *err)
{
	ids_mark(&ids, idx, r == NULL ? IDS_NOTFOUND : r->status == 1 ? IDS_LIVE : IDS_FOUND);
	if (waiting) {
		if (r == NULL) {
			home[idx] = 0; /* gone from its region, or not in this one */
			latest[idx] = 0;
			return ECS_OK;
		}
		home[idx] = (uint8_t)(cur_region_no + 1);
		return keep_answer(idx, r, err);
	}
	if (r != NULL)
		return emit(r, err);
	alive_check_failed = 1;
	out_notfound(&out, ids_at(&ids, idx));
	return ECS_OK;
}

/* ---- the batch engine's sinks (called in input order) ---- */

static size_t engine_idx(size_t i)
{
	return round_idx != NULL ? round_idx[i] : i;
}

static const char *engine_id_at(void *ctx, size_t i)
{
	(void)ctx;
	return ids_at(&ids, engine_idx(i));
}

static ecs_status engine_record(void *ctx, size_t i, const ecs_record *r, ecs_err *err)
{
	(void)ctx;
	progress(i + 1, ids_count(&ids));
	return answer_id(engine_idx(i), r, err);
}

/* A stale id (bisected out of a batch the API failed with InvalidInstance.NotFound) is
 * reported like any id the API does not know. */
static ecs_status engine_notfound(void *ctx, size_t i, int stale, ecs_err *err)
{
	(void)ctx;
	(void)stale;
	return answer_id(engine_idx(i), NULL, err);
}

static ecs_status engine_request_id(void *ctx, const char *id, ecs_err *err)
{
	int is_new;

	(void)ctx;
	return ids_insert(&reqids, id, strlen(id), &is_new, err);
}

static ecs_status engine_before_sign(void *ctx, ecs_err *err)
{
	(void)ctx;
	return refresh_creds(err);
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
	size_t next = 0, total = ids_count(&ids), n;
	ecs_status st;

	while (next < total) {
		for (n = 0; n < opt.batch && next < total; next++)
			batch[n++] = ids_at(&ids, next);
		if ((st = ecs_describe_ids(&client, batch, n, &page, err)) != ECS_OK)
			return st;
	}
	return ECS_OK;
}

/* --wait: the ids of this round (those still pending) as a list for the engine. */
static ecs_status round_list(size_t *n, ecs_err *err)
{
	size_t i, total = ids_count(&ids);

	*n = total;
	if (!waiting)
		return ECS_OK;
	if (round_idx == NULL) {
		round_cap = total * sizeof(round_idx[0]);
		round_idx = port_mem_resize(NULL, 0, round_cap > 0 ? round_cap : 1);
		if (round_idx == NULL)
			return err_set(err, ECS_E_NOSPACE, "out of memory for %u ids",
				       (unsigned)total);
	}
	*n = 0;
	for (i = 0; i < total; i++)
		if (pending(i))
			round_idx[(*n)++] = (uint32_t)i;
	return ECS_OK;
}

/* Asks for every id, or with --wait for those whose agent is not live yet: the batch engine
 * over opt.parallel connections, answers in input order. */
static ecs_status run_ids(ecs_err *err)
{
	engine_opts o;
	engine_stats es;
	ecs_status st;
	size_t n;

	if (opt.dry_run)
		return dry_run_ids(err);
	if ((st = round_list(&n, err)) != ECS_OK || n == 0)
		return st;
	memset(&o, 0, sizeof(o));
	o.id_at = engine_id_at;
	o.nids = n;
	o.parallel = opt.parallel;
	o.batch_size = opt.batch;
	o.retries = opt.retries;
	o.deadline_ms = run_deadline_ms;
	o.cl = &client;
	o.resize = port_mem_resize;
	o.record = engine_record;
	o.notfound = engine_notfound;
	o.request_id = engine_request_id;
	o.trace = opt.verbose ? trace_sink : NULL;
	o.stop = engine_stop;
	o.before_sign = engine_before_sign;
	st = engine_run(&eng, &o, &client.o.conn, &es, err);
	connects_done += es.connections;
	return st;
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
		st = refresh_creds(err);
		if (st == ECS_OK)
			st = ecs_describe_page(&client, token, ALL_PAGE_SIZE, &page, err);
		if (st == ECS_OK)
			st = remember_request_id(err);
		if (st == ECS_OK && !opt.dry_run)
			st = page_seen(pages, err);
		if (st != ECS_OK)
			return st;
		for (k = 0; k < page.n && st == ECS_OK; k++)
			st = waiting ? keep_answer((size_t)-1, &page.rec[k], err)
				     : emit(&page.rec[k], err);
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
/* Format, region labels, filters and thresholds: known from the command line alone, so that
 * even a usage or credentials failure is reported in the format asked for. */
static void output_settings(void)
{
	out.fmt = opt.dry_run && (opt.fmt == OUT_NAGIOS || opt.fmt == OUT_PROM)
			  ? OUT_TSV /* a dry run has no answer to judge: only the requests */
			  : opt.fmt;
	out.only_down = opt.down;
	out.region = opt.nregions == 1 ? opt.regions[0] : NULL;
	out.show_region = opt.nregions > 1 || opt.regions_all;
	out.os_filter = opt.os_type != NULL && !opt.all ? opt.os_type : NULL;
	out.keep = &keep;
	out.now_unix = port_time_unix();
	if (out.fmt == OUT_TABLE && opt.output_file == NULL && port_isatty(1))
		out.width = port_term_width(1);
	if (opt.fmt == OUT_NAGIOS && !opt.warn.set && !opt.crit.set)
		nagios_range_parse("0", "critical", &opt.crit, NULL); /* critical at 1 or more */
}

static ecs_status open_outfile(ecs_err *err)
{
	char detail[ECS_ERR_MSG_MAX - 32];

	if (opt.output_file == NULL || opt.dry_run || outfile_open)
		return ECS_OK;
	if (port_outfile_open(&outfile, opt.output_file, detail, sizeof(detail)) != PORT_OK)
		return err_set(err, ECS_E_OUTPUT, "--output-file: %s", detail);
	outfile_open = 1;
	return ECS_OK;
}

/* ---- --wait ---- */

/* A new round keeps only the answers of the ids that are live (they are not asked again);
 * --all starts every round afresh. */
static ecs_status round_start(ecs_err *err)
{
	store next;
	size_t i;
	ecs_status st = ECS_OK;

	store_init(&next, port_mem_resize);
	for (i = 0; i < ids_count(&ids) && st == ECS_OK; i++) {
		store_rec sr;
		ecs_record r;
		if (ids_state(&ids, i) != IDS_LIVE)
			continue;
		store_get(&answers, latest[i] - 1, &sr);
		store_record(&sr, &r);
		st = store_add(&next, &r, sr.region, err);
		latest[i] = (uint32_t)store_count(&next);
	}
	store_free(&answers);
	answers = next;
	if (opt.all)
		ids_free(&seen);
	return st;
}

static unsigned live_now(unsigned *of)
{
	unsigned live = 0;
	size_t i;

	if (opt.all) {
		*of = (unsigned)store_count(&answers);
		for (i = 0; i < store_count(&answers); i++) {
			store_rec sr;
			store_get(&answers, i, &sr);
			live += sr.status == 1;
		}
		return live;
	}
	*of = (unsigned)ids_count(&ids);
	for (i = 0; i < ids_count(&ids); i++)
		live += ids_state(&ids, i) == IDS_LIVE;
	return live;
}

static void wait_progress(unsigned live, unsigned of, int64_t left_ms)
{
	char line[128];
	int n;

	if (!port_isatty(2) || opt.fmt == OUT_NAGIOS || opt.fmt == OUT_PROM)
		return;
	n = snprintf(line, sizeof(line), "\r\033[K%s: %u of %u agents live, waiting %lld s more...",
		     PROG, live, of, (long long)((left_ms + 999) / 1000));
	port_write(2, line, (size_t)n);
	progress_shown = 1;
}

/* The final state of every instance, in input order (--all: in the order of the last
 * round's pages). */
static ecs_status wait_output(ecs_err *err)
{
	ecs_status st = ECS_OK;
	size_t i, n = opt.all ? store_count(&answers) : ids_count(&ids);

	waiting = 0;
	for (i = 0; i < n && st == ECS_OK; i++) {
		store_rec sr;
		ecs_record r;
		size_t at = opt.all ? i : latest[i];
		if (!opt.all && at == 0) {
			if (ids_state(&ids, i) == IDS_NOTFOUND && region_failed)
				ids_mark(&ids, i,
					 IDS_UNCHECKED); /* maybe in the region that failed */
			if (ids_state(&ids, i) == IDS_NOTFOUND) {
				alive_check_failed = 1;
				out.region = NULL;
				out_notfound(&out, ids_at(&ids, i));
			}
			continue;
		}
		store_get(&answers, opt.all ? i : at - 1, &sr);
		store_record(&sr, &r);
		out.region = sr.region;
		st = emit(&r, err);
	}
	return st;
}

/* One pass over every region. A failure in a region is reported at once, with the region's
 * name, and the others are still asked; the first failure is the run's status. */
static ecs_status round_regions(ecs_status *first, ecs_err *err)
{
	ecs_err e;
	unsigned r;

	for (r = 0; r < opt.nregions; r++) {
		ecs_status st;
		cur_region_no = r;
		memset(&e, 0, sizeof(e));
		st = setup_client(opt.regions[r], &e);
		if (st == ECS_OK) {
			if (opt.all)
				ids_free(&seen);
			st = opt.all ? run_all(&e) : run_ids(&e);
		}
		region_ok[r] = st == ECS_OK;
		if (st == ECS_OK)
			continue;
		if (st == ECS_E_OUTPUT || st == ECS_E_NOSPACE || st == ECS_E_INTERNAL) {
			*err = e;
			return st; /* not the region's fault: stop */
		}
		region_failed = 1;
		if (opt.nregions > 1) {
			err_prefix(&e, "region %s", opt.regions[r]);
			sayf(PROG ": %s", e.msg);
		}
		if (*first == ECS_OK) {
			*first = st;
			*err = e;
		}
	}
	return ECS_OK;
}

static ecs_status collect_begin(ecs_err *err)
{
	size_t n = ids_count(&ids) + 1;

	latest = port_mem_resize(NULL, 0, n * (sizeof(uint32_t) + 1));
	if (latest == NULL)
		return err_set(err, ECS_E_NOSPACE, "not enough memory to keep %u answers",
			       (unsigned)n);
	latest_cap = n;
	memset(latest, 0, n * (sizeof(uint32_t) + 1));
	home = (uint8_t *)(latest + n);
	waiting = 1;
	return ECS_OK;
}

/* Rounds until every agent is live or --wait seconds pass (one last round at the deadline);
 * without --wait, one round. */
/* Between two rounds of --wait: the progress line, then sleep one interval, no longer than
 * the wait or the run (--max-time) may last. */
static void wait_pause(int64_t now, int64_t deadline, unsigned live, unsigned of)
{
	int64_t until = now + (int64_t)opt.interval_s * 1000;

	if (until > deadline)
		until = deadline;
	if (run_deadline_ms != 0 && until > run_deadline_ms)
		until = run_deadline_ms;
	wait_progress(live, of, deadline - now);
	trace_sink(NULL, "wait: not every agent is live yet; asking again");
	port_sleep_ms((uint32_t)(until - now));
}

/* Rounds until every agent is live or --wait seconds pass (one last round at the deadline);
 * without --wait, one round. The final state of every instance is printed either way; the
 * run's time limit ending the wait is a timeout (exit 4), the wait's own deadline exit 1. */
static ecs_status run_collected(ecs_err *err)
{
	int64_t deadline = t_start + (int64_t)opt.wait_s * 1000, now;
	ecs_status st, first = ECS_OK;
	unsigned live = 0, of = 0;

	if ((st = collect_begin(err)) != ECS_OK)
		return st;
	for (;;) {
		st = round_start(err);
		if (st == ECS_OK)
			st = round_regions(&first, err);
		if (st != ECS_OK)
			return st;
		live = live_now(&of);
		now = port_time_ms();
		if (opt.wait_s == 0 || first != ECS_OK || live == of || now >= deadline)
			break;
		if (run_deadline_ms != 0 && now >= run_deadline_ms) {
			first = err_set(err, ECS_E_TIMEOUT,
					"the time limit (--max-time %u s) passed while waiting: %u "
					"of %u agents live",
					opt.max_time_s, live, of);
			break;
		}
		wait_pause(now, deadline, live, of);
	}
	progress_erase();
	st = wait_output(err);
	return st != ECS_OK ? st : first;
}

/* -r all: the account's regions from DescribeRegions, asked in the profile's or the
 * environment's region if one is set, else in cn-hangzhou (any region's endpoint answers it). */
static ecs_status all_regions(ecs_err *err)
{
	static const char boot_default[] = "cn-hangzhou";
	const char *boot = cred.region[0] != '\0' ? cred.region : boot_default;
	const char *env = port_getenv("ALIBABA_CLOUD_REGION_ID");
	size_t n = 0, i;
	ecs_status st;

	if (env != NULL && ecs_valid_region(env))
		boot = env;
	if ((st = setup_client(boot, err)) != ECS_OK)
		return st;
	st = ecs_describe_regions(&client, &page, opt.regions, ECS_REGIONS_MAX, &n, err);
	if (st != ECS_OK) {
		err_prefix(err, "-r all: DescribeRegions");
		return st;
	}
	opt.nregions = (unsigned)n;
	for (i = 0; i < n && opt.verbose; i++)
		sayf("* region %u of %u: %s", (unsigned)(i + 1), (unsigned)n, opt.regions[i]);
	return ECS_OK;
}

static ecs_status run(ecs_err *err)
{
	ecs_status st;

	if (opt.regions_all && (st = all_regions(err)) != ECS_OK)
		return st;
	if (opt.nregions == 0)
		return ECS_OK; /* -r all with --dry-run: the DescribeRegions request was shown */
	/* the first client before any output: a bad --endpoint or proxy leaves stdout empty */
	if ((st = setup_client(opt.regions[0], err)) != ECS_OK)
		return st;
	if (!opt.dry_run)
		out_begin(&out);
	port_on_signal(on_signal);
	if ((opt.wait_s > 0 || opt.nregions > 1) && !opt.dry_run)
		return run_collected(err);
	for (cur_region_no = 0; cur_region_no < opt.nregions; cur_region_no++) {
		out.region = opt.regions[cur_region_no];
		st = setup_client(opt.regions[cur_region_no], err);
		if (st == ECS_OK)
			st = opt.all ? run_all(err) : run_ids(err);
		if (st != ECS_OK)
			return st;
	}
	return ECS_OK;
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
	if (opt.fmt != OUT_TABLE || !port_isatty(1) || opt.output_file != NULL || opt.dry_run)
		return;
	sayf("%u instances: %u live, %u down, %u not found", out.answered + out.notfound, out.live,
	     out.answered - out.live, out.notfound);
}

/* Writes what is left, says what failed, wipes, and turns what was verified into the exit
 * code. The one way out of main(). */
static int finish(ecs_status st, ecs_err *err)
{
	out_summary s;
	int code;

	progress_erase();
	close_client();
	creds_wipe(&cred);
	if (st != ECS_OK && (opt.fmt == OUT_PROM || opt.fmt == OUT_NAGIOS)) {
		ecs_err e2; /* the failure report replaces the old file (a stale success) */
		if (open_outfile(&e2) != ECS_OK)
			sayf(PROG ": %s", e2.msg);
	}
	summarize(st, err, &s);
	s.duration_ms = port_time_ms() - t_start;
	s.warn = &opt.warn;
	s.crit = &opt.crit;
	s.nregions = opt.nregions;
	s.regions = opt.regions;
	s.region_ok = region_ok;
	if (out_finish(&out, &s) != 0 && st == ECS_OK)
		st = output_failed(err);
	st = output_file_done(st, err);
	if (st != ECS_OK) {
		report(err);
		if (s.not_checked > 0 && out.rows + out.notfound > 0 &&
		    !(err->status == ECS_E_OUTPUT && port_write_broken_pipe()))
			sayf(PROG ": %u of %u instances were not checked", s.not_checked,
			     (unsigned)ids_count(&ids));
		return opt.fmt == OUT_NAGIOS ? NAGIOS_UNKNOWN : err_exit_code(st);
	}
	if (opt.fmt == OUT_NAGIOS)
		return out.nagios_state;
	code = 0;
	if ((opt.check || opt.wait_s > 0) && alive_check_failed)
		code = err_exit_code(ECS_E_CHECK); /* --wait: not all live by the deadline */
	table_summary();
	if (out.os_filter != NULL && out.notfound > 0)
		sayf(PROG ": note: %u instance(s) not returned: not found, or not of OS type %s "
			  "(--os-type)",
		     out.notfound, out.os_filter);
	if (opt.verbose)
		sayf("* %u request(s), %u connection(s), %u instance(s), %u not found",
		     requests_done, connects_done, out.rows, out.notfound);
	if (opt.verbose && tls_pool_high_water() > 0) /* measured only with ECS_POOL_STATS set */
		sayf("* tls pool high-water: %u bytes of %u", (unsigned)tls_pool_high_water(),
		     (unsigned)tls_pool_size());
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

/* --show-ca: the trust source a run would use and, for the built-in roots, each subject and
 * SHA-256 fingerprint. Reads no credentials, sends nothing. */
static ecs_status show_ca(ecs_err *err)
{
	char line[512], subj[320], hex[65];
	const unsigned char *fp;
	tls_trust t;
	size_t i, k, len;
	ecs_status st = tls_find_trust(opt.ca_file, &t, err);

	if (st != ECS_OK)
		return st;
	snprintf(line, sizeof(line), "trust anchors: %s (%s)\n", t.path, t.origin);
	out_str(&out, line);
	for (i = 0; t.builtin && i < tls_anchor_count(); i++) {
		const unsigned char *der = tls_anchor_der(i, &len, &fp);
		if (tls_cert_describe(der, len, subj, sizeof(subj)) != 0)
			snprintf(subj, sizeof(subj), "(does not parse)");
		for (k = 0; k < 32; k++)
			snprintf(hex + 2 * k, 3, "%02x", fp[k]);
		snprintf(line, sizeof(line), "SHA256:%s %s\n", hex, subj);
		out_str(&out, line);
	}
	return ECS_OK;
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
	st = cli_parse(argc, argv, &opt, &ids, &err);
	if (opt.fmt == OUT_NAGIOS && opt.max_time_s == 0)
		opt.max_time_s = NAGIOS_MAX_TIME_S; /* under the usual 60 s plugin timeout */
	if (opt.max_time_s > 0)
		run_deadline_ms = t_start + (int64_t)opt.max_time_s * 1000;
	if (st == ECS_OK && (opt.help || opt.version)) {
		out_str(&out, opt.help ? cli_usage() : "");
		if (opt.version)
			print_version();
		return finish(ECS_OK, &err);
	}
	if (st == ECS_OK && opt.show_ca)
		return finish(show_ca(&err), &err);
	if (st != ECS_OK && wants_nagios(argc, argv))
		opt.fmt = OUT_NAGIOS;
	output_settings();
	if (st == ECS_OK)
		st = setup_input(&err);
	if (st == ECS_OK)
		st = setup_creds(&err);
	if (st == ECS_OK)
		st = setup_settings(&err);
	if (st == ECS_OK)
		st = open_outfile(&err);
	if (st == ECS_OK)
		st = setup_trust(&err);
	if (st == ECS_OK)
		st = run(&err);
	return finish(st, &err);
}
