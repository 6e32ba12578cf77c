/*
 * The Prometheus text exposition format (-o prom), for node_exporter's textfile collector:
 * every family once, HELP and TYPE first, its samples together; label values escaped as the
 * format requires (backslash, double quote, newline) and made valid UTF-8. No floating point
 * (FPU-less routers): seconds are printed from milliseconds with integer arithmetic.
 */
#include <string.h>

#include "output.h"
#include "show.h"
#include "sign.h"

#define P "ecs_cloud_assistant_"

static void label_value(out_ctx *o, const char *v)
{
	size_t i = 0, n = strlen(v), k;

	out_str(o, "\"");
	while (i < n) {
		unsigned char c = (unsigned char)v[i];
		k = show_utf8_len(v + i, n - i);
		if (c == '\\' || c == '"')
			out_printf(o, "\\%c", c);
		else if (c == '\n')
			out_str(o, "\\n");
		else if (k == 0)
			out_str(o, "\xef\xbf\xbd"); /* U+FFFD for a byte that is not UTF-8 */
		else
			out_bytes(o, v + i, k);
		i += k == 0 ? 1 : k;
	}
	out_str(o, "\"");
}

static void labels(out_ctx *o, const store_rec *r, int with_os)
{
	out_str(o, "{region=");
	label_value(o, r->region);
	out_str(o, ",instance_id=");
	label_value(o, r->id);
	if (with_os) {
		out_str(o, ",os_type=");
		label_value(o, r->os);
	}
	out_str(o, "}");
}

static void family(out_ctx *o, const char *name, const char *type, const char *help)
{
	out_printf(o, "# HELP " P "%s %s\n# TYPE " P "%s %s\n", name, help, name, type);
}

typedef enum { F_UP, F_HEARTBEAT, F_ACTIVE, F_INVOCATIONS, F_INFO } fam;

/* The sample of family f for record r; 0 when the record has no such value. */
static int sample(out_ctx *o, fam f, const store_rec *r)
{
	int64_t v = 0;

	if (f == F_UP) {
		v = r->status == 1;
	} else if (f == F_HEARTBEAT) {
		if (sign_parse_iso_time(r->last_heartbeat, strlen(r->last_heartbeat), &v) != 0)
			return 0;
	} else if (f == F_ACTIVE || f == F_INVOCATIONS) {
		v = f == F_ACTIVE ? r->active : r->invocations;
		if (v < 0)
			return 0;
	}
	if (f == F_INFO) {
		out_str(o, P "info");
		out_str(o, "{region=");
		label_value(o, r->region);
		out_str(o, ",instance_id=");
		label_value(o, r->id);
		out_str(o, ",version=");
		label_value(o, r->version);
		out_printf(o, ",session_manager=\"%s\"} 1\n",
			   r->session_manager < 0 ? ""
			   : r->session_manager	  ? "true"
						  : "false");
		return 1;
	}
	out_str(o, f == F_UP	      ? P "up"
		   : f == F_HEARTBEAT ? P "last_heartbeat_timestamp_seconds"
		   : f == F_ACTIVE    ? P "active_tasks"
				      : P "invocations_total");
	labels(o, r, f == F_UP);
	out_printf(o, " %lld\n", (long long)v);
	return 1;
}

static void instance_families(out_ctx *o)
{
	static const struct {
		const char *name, *type, *help;
	} fams[] = {
		{"up", "gauge",
		 "1 if the Cloud Assistant agent is live (CloudAssistantStatus), else 0."},
		{"last_heartbeat_timestamp_seconds", "gauge",
		 "LastHeartbeatTime of the agent, in Unix seconds."},
		{"active_tasks", "gauge", "ActiveTaskCount: commands running on the instance."},
		{"invocations_total", "counter", "InvocationCount: commands run on the instance."},
		{"info", "gauge", "The agent's CloudAssistantVersion and SupportSessionManager."},
	};
	size_t f, i;

	for (f = 0; f < sizeof(fams) / sizeof(fams[0]); f++) {
		family(o, fams[f].name, fams[f].type, fams[f].help);
		for (i = 0; i < store_count(o->keep); i++) {
			store_rec r;
			store_get(o->keep, i, &r);
			sample(o, (fam)f, &r);
		}
	}
}

/* Live and down instances of one region (all regions when region is NULL). */
static void count_region(out_ctx *o, const char *region, unsigned *live, unsigned *down)
{
	size_t i;

	*live = *down = 0;
	for (i = 0; i < store_count(o->keep); i++) {
		store_rec r;
		store_get(o->keep, i, &r);
		if (region != NULL && strcmp(r.region, region) != 0)
			continue;
		*live += r.status == 1;
		*down += r.status != 1;
	}
}

static void region_sample(out_ctx *o, const char *name, const char *region, const char *state,
			  unsigned v)
{
	out_str(o, P);
	out_str(o, name);
	out_str(o, "{region=");
	label_value(o, region);
	if (state != NULL)
		out_printf(o, ",state=\"%s\"", state);
	out_printf(o, "} %u\n", v);
}

void out_prom_finish(out_ctx *o, const out_summary *s)
{
	int64_t ms = s->duration_ms > 0 ? s->duration_ms : 0;
	const char *one = o->region != NULL ? o->region : "";
	unsigned live, down;
	size_t r, n = s->nregions > 0 ? s->nregions : 1;

	if (s->complete)
		instance_families(o);
	family(o, "scrape_success", "gauge", "1 if every instance of the region was answered.");
	for (r = 0; r < n; r++)
		region_sample(o, "scrape_success", s->nregions > 0 ? s->regions[r] : one, NULL,
			      s->complete || (s->nregions > 0 && s->region_ok[r]) ? 1u : 0u);
	family(o, "scrape_duration_seconds", "gauge", "How long the run took.");
	out_printf(o, P "scrape_duration_seconds %lld.%03lld\n", (long long)(ms / 1000),
		   (long long)(ms % 1000));
	if (!s->complete)
		return;
	family(o, "instances", "gauge", "Instances by agent state (notfound: not returned).");
	for (r = 0; r < n; r++) {
		const char *reg = s->nregions > 0 ? s->regions[r] : one;
		count_region(o, s->nregions > 1 ? reg : NULL, &live, &down);
		region_sample(o, "instances", reg, "live", live);
		region_sample(o, "instances", reg, "down", down);
		if (s->nregions <= 1)
			region_sample(o, "instances", reg, "notfound", (unsigned)s->n_notfound);
	}
	if (s->nregions > 1) /* an id no region answered for belongs to none */
		out_printf(o, P "instances{state=\"notfound\"} %u\n", (unsigned)s->n_notfound);
}
