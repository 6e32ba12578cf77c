#include "out_nagios.h"

#include <string.h>

/* A whole number with an optional sign; *end gets the first byte after it. */
static int parse_int(const char *s, int64_t *v, const char **end)
{
	int neg = *s == '-';
	int64_t x = 0;
	const char *p = s + (neg || *s == '+');

	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (x > 100000000000000LL)
			return -1;
		x = x * 10 + (*p - '0');
	}
	*v = neg ? -x : x;
	*end = p;
	return 0;
}

static ecs_status bad(const char *s, const char *flag, ecs_err *err)
{
	return err_set(err, ECS_E_USAGE,
		       "--%s: '%.32s' is not a threshold range (N, N:, ~:N, N:M or @N:M, whole "
		       "numbers; see the Monitoring Plugins guidelines)",
		       flag, s);
}

ecs_status nagios_range_parse(const char *s, const char *flag, nagios_range *r, ecs_err *err)
{
	const char *p = s, *colon = strchr(s, ':'), *end;

	memset(r, 0, sizeof(*r));
	if (strlen(s) >= sizeof(r->text) || s[0] == '\0')
		return bad(s, flag, err);
	memcpy(r->text, s, strlen(s) + 1);
	r->set = 1;
	if (*p == '@') {
		r->inside = 1;
		p++;
	}
	if (colon == NULL) { /* "N" = 0:N */
		if (parse_int(p, &r->hi, &end) != 0 || *end != '\0' || r->hi < 0)
			return bad(s, flag, err);
		return ECS_OK;
	}
	if (p[0] == '~' && p + 1 == colon)
		r->lo_inf = 1;
	else if (parse_int(p, &r->lo, &end) != 0 || end != colon)
		return bad(s, flag, err);
	if (colon[1] == '\0')
		r->hi_inf = 1;
	else if (parse_int(colon + 1, &r->hi, &end) != 0 || *end != '\0')
		return bad(s, flag, err);
	if (!r->lo_inf && !r->hi_inf && r->lo > r->hi)
		return bad(s, flag, err);
	return ECS_OK;
}

int nagios_range_alert(const nagios_range *r, int64_t v)
{
	int in;

	if (!r->set)
		return 0;
	in = (r->lo_inf || v >= r->lo) && (r->hi_inf || v <= r->hi);
	return r->inside ? in : !in;
}

/* ---- the writer ---- */

#include "output.h"
#include "show.h"

#define LIST_IDS 10 /* ids named on the status line; every one follows on its own line */

static const char *const STATE[] = {"OK", "WARNING", "CRITICAL", "UNKNOWN"};

static void perf_time(out_ctx *o, int64_t ms)
{
	if (ms < 0)
		ms = 0;
	out_printf(o, "time=%lld.%03llds", (long long)(ms / 1000), (long long)(ms % 1000));
}

/* The first LIST_IDS ids without a live agent: answered-but-down first, then not found. */
static void list_down(out_ctx *o, const out_summary *s, unsigned k)
{
	char shown[4 * ECS_ID_MAX + 8];
	unsigned listed = 0;
	size_t i;

	out_printf(o, ", %u down: ", k);
	for (i = 0; i < store_count(o->keep) && listed < LIST_IDS; i++) {
		store_rec r;
		store_get(o->keep, i, &r);
		if (r.status == 1)
			continue;
		show_text(shown, sizeof(shown), r.id, strlen(r.id));
		out_printf(o, "%s%s", listed++ ? "," : "", shown);
	}
	for (i = 0; i < s->n_notfound && listed < LIST_IDS; i++) {
		const char *id = s->notfound_at(s->ctx, i);
		show_text(shown, sizeof(shown), id, strlen(id));
		out_printf(o, "%s%s", listed++ ? "," : "", shown);
	}
	if (k > listed)
		out_str(o, ",...");
}

/* Long output: one line per instance without a live agent. */
static void long_text(out_ctx *o, const out_summary *s)
{
	char shown[4 * ECS_FIELD_MAX + 8], age[24];
	size_t i;

	for (i = 0; i < store_count(o->keep); i++) {
		store_rec r;
		store_get(o->keep, i, &r);
		if (r.status == 1)
			continue;
		show_text(shown, sizeof(shown), r.id, strlen(r.id));
		out_age(age, sizeof(age), r.last_heartbeat, o->now_unix);
		out_printf(o, "%s: agent not live (last heartbeat %s%s)\n", shown, age,
			   age[0] == '-' ? "" : " ago");
	}
	for (i = 0; i < s->n_notfound; i++) {
		const char *id = s->notfound_at(s->ctx, i);
		show_text(shown, sizeof(shown), id, strlen(id));
		out_printf(o, "%s: instance not found\n", shown);
	}
}

static void unknown(out_ctx *o, const out_summary *s)
{
	const char *msg = s->error_msg != NULL ? s->error_msg : "the check did not finish";

	size_t i = 0, n = strlen(msg), k;

	out_str(o, "CLOUD ASSISTANT UNKNOWN - ");
	while (i < n) { /* '|' would start the perfdata: shown as '/' */
		k = strcspn(msg + i, "|");
		out_shown(o, msg + i, k);
		i += k;
		if (i < n) {
			out_str(o, "/");
			i++;
		}
	}
	out_str(o, " | ");
	perf_time(o, s->duration_ms);
	out_str(o, "\n");
	o->nagios_state = NAGIOS_UNKNOWN;
}

void out_nagios_finish(out_ctx *o, const out_summary *s)
{
	unsigned m = o->rows + (unsigned)s->n_notfound, live = o->live, k = m - live;
	int st = NAGIOS_OK;

	if (!s->complete) {
		unknown(o, s);
		return;
	}
	if (nagios_range_alert(s->crit, k))
		st = NAGIOS_CRITICAL;
	else if (nagios_range_alert(s->warn, k))
		st = NAGIOS_WARNING;
	out_printf(o, "CLOUD ASSISTANT %s - %u of %u agents live", STATE[st], live, m);
	if (k > 0)
		list_down(o, s, k);
	out_printf(o, " | live=%u;;;0;%u down=%u;%s;%s;0;%u notfound=%u;;;0;%u ", live, m, k,
		   s->warn->set ? s->warn->text : "", s->crit->set ? s->crit->text : "", m,
		   (unsigned)s->n_notfound, m);
	perf_time(o, s->duration_ms);
	out_str(o, "\n");
	long_text(o, s);
	o->nagios_state = st;
}
