#include "output.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "show.h"
#include "sign.h"

void out_init(out_ctx *o, out_format fmt, out_write_fn write, void *write_ctx)
{
	memset(o, 0, offsetof(out_ctx, buf));
	o->fmt = fmt;
	o->write = write;
	o->write_ctx = write_ctx;
}

static void flush(out_ctx *o)
{
	if (o->len > 0 && !o->failed && o->write(o->write_ctx, o->buf, o->len) != 0)
		o->failed = 1;
	o->len = 0;
	o->committed = 0;
}

int out_flush(out_ctx *o)
{
	flush(o);
	return o->failed ? -1 : 0;
}

static void put(out_ctx *o, const char *s, size_t n)
{
	while (n > 0 && !o->failed) {
		size_t room = sizeof(o->buf) - o->len, k = n < room ? n : room;
		memcpy(o->buf + o->len, s, k);
		o->len += k;
		s += k;
		n -= k;
		if (o->len == sizeof(o->buf))
			flush(o); /* only for text longer than a row (a long trailer) */
	}
}

void out_bytes(out_ctx *o, const char *s, size_t n)
{
	put(o, s, n);
}

void out_shown(out_ctx *o, const char *s, size_t n)
{
	char part[256];
	size_t i = 0, used, k;

	while (i < n) {
		k = show_part(part, sizeof(part), s + i, n - i, &used);
		put(o, part, k);
		i += used;
	}
}

void out_str(out_ctx *o, const char *s)
{
	put(o, s, strlen(s));
}

void out_printf(out_ctx *o, const char *fmt, ...)
{
	char tmp[4 * 1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		put(o, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

/* A row starts: flush first when a whole row might not fit, so that flushes fall between
 * rows. */
static void row_begin(out_ctx *o)
{
	if (sizeof(o->buf) - o->len < ECS_OUT_ROW_ROOM)
		flush(o);
}

static void row_end(out_ctx *o)
{
	o->committed = o->len;
}

/* A field for table/tsv: "-" when empty, else filtered for display (never cut: the buffer
 * holds the worst case of 4 shown bytes per input byte). */
typedef char shown_field[4 * ECS_FIELD_MAX + 8];

static const char *field(const char *s, shown_field tmp)
{
	if (s == NULL || s[0] == '\0')
		return "-";
	show_text(tmp, sizeof(shown_field), s, strnlen(s, ECS_FIELD_MAX));
	return tmp;
}

static void num(char *out, size_t cap, int64_t v)
{
	if (v < 0)
		snprintf(out, cap, "-");
	else
		snprintf(out, cap, "%lld", (long long)v);
}

/* The table fits 80 columns; on a narrower terminal the columns go in this order: SSM,
 * RUNS, TASKS, OS, VERSION. */
typedef struct {
	const char *head;
	unsigned width;
} column;

enum { C_ID, C_REGION, C_AGENT, C_VERSION, C_OS, C_SEEN, C_TASKS, C_RUNS, C_SSM, C_COUNT };

static const column COLS[C_COUNT] = {
	{"INSTANCE_ID", 22}, {"REGION", 14}, {"AGENT", 9}, {"VERSION", 11}, {"OS", 7},
	{"HEARTBEAT", 9},    {"TASKS", 5},   {"RUNS", 5},  {"SSM", 3},
};
static const int DROP_ORDER[] = {C_SSM, C_RUNS, C_TASKS, C_OS, C_VERSION};

static unsigned table_width(unsigned cols)
{
	unsigned w = 0, c;

	for (c = 0; c < C_COUNT; c++)
		if (cols & (1u << c))
			w += COLS[c].width + (w > 0);
	return w;
}

static void table_pick_columns(out_ctx *o)
{
	size_t k;

	o->cols = ((1u << C_COUNT) - 1) & ~(o->show_region ? 0u : 1u << C_REGION);
	for (k = 0; k < sizeof(DROP_ORDER) / sizeof(DROP_ORDER[0]); k++)
		if (o->width > 0 && table_width(o->cols) > o->width)
			o->cols &= ~(1u << DROP_ORDER[k]);
}

/* One table row from cells[C_COUNT]; values wider than their column push the rest right,
 * never cut. */
static void table_row(out_ctx *o, const char *const *cells)
{
	unsigned c, used = 0, want = 0;

	for (c = 0; c < C_COUNT; c++) {
		size_t n;
		if (!(o->cols & (1u << c)))
			continue;
		if (want > 0) {
			want++;
			while (used < want) {
				out_str(o, " ");
				used++;
			}
		}
		n = strlen(cells[c]);
		out_bytes(o, cells[c], n);
		used += (unsigned)n;
		want += COLS[c].width;
	}
	out_str(o, "\n");
}

void out_begin(out_ctx *o)
{
	o->began = 1;
	if (o->fmt == OUT_TABLE) {
		const char *heads[C_COUNT];
		unsigned c;
		table_pick_columns(o);
		for (c = 0; c < C_COUNT; c++)
			heads[c] = COLS[c].head;
		table_row(o, heads);
	} else if (o->fmt == OUT_JSON) {
		out_str(o,
			"{\"InstanceCloudAssistantStatusSet\":{\"InstanceCloudAssistantStatus\":[");
	}
	row_end(o);
}

void out_age(char *dst, size_t cap, const char *iso, int64_t now)
{
	static const struct {
		int64_t secs;
		char unit;
	} units[] = {{86400, 'd'}, {3600, 'h'}, {60, 'm'}, {1, 's'}};
	int64_t t, age;
	size_t k;

	if (iso == NULL || sign_parse_iso_time(iso, strlen(iso), &t) != 0 || now <= 0) {
		snprintf(dst, cap, "-");
		return;
	}
	age = now > t ? now - t : 0;
	for (k = 0; k + 1 < sizeof(units) / sizeof(units[0]) && age < units[k].secs; k++)
		;
	snprintf(dst, cap, "%lld%c", (long long)(age / units[k].secs), units[k].unit);
}

/* A JSON string of any length, quoted one character at a time (no buffer to outgrow). */
static void json_str(out_ctx *o, const char *s)
{
	size_t n = strlen(s), i = 0;

	out_str(o, "\"");
	while (i < n) {
		char q[16];
		size_t k = show_utf8_len(s + i, n - i), ql = 0;
		if (k == 0)
			k = 1; /* a byte that is not UTF-8: json_quote writes it as \u00XX */
		if (json_quote(s + i, k, q, sizeof(q), &ql) != ECS_OK || ql < 2)
			o->failed = 1; /* cannot happen: one character fits */
		put(o, q + 1, ql - 2);
		i += k;
	}
	out_str(o, "\"");
}

static void json_kv_str(out_ctx *o, const char *key, const char *v, int *first)
{
	if (v[0] == '\0')
		return;
	out_printf(o, "%s\"%s\":", *first ? "" : ",", key);
	json_str(o, v);
	*first = 0;
}

static void json_record(out_ctx *o, const ecs_record *r)
{
	int first = 1;

	out_str(o, o->rows ? ",{" : "{");
	json_kv_str(o, "InstanceId", r->id, &first);
	if (o->region != NULL)
		json_kv_str(o, "RegionId", o->region, &first);
	if (r->status >= 0)
		json_kv_str(o, "CloudAssistantStatus", r->status ? "true" : "false", &first);
	json_kv_str(o, "CloudAssistantVersion", r->version, &first);
	json_kv_str(o, "OSType", r->os, &first);
	json_kv_str(o, "LastHeartbeatTime", r->last_heartbeat, &first);
	json_kv_str(o, "LastInvokedTime", r->last_invoked, &first);
	if (r->active >= 0)
		out_printf(o, ",\"ActiveTaskCount\":%lld", (long long)r->active);
	if (r->invocations >= 0)
		out_printf(o, ",\"InvocationCount\":%lld", (long long)r->invocations);
	if (r->session_manager >= 0)
		out_printf(o, ",\"SupportSessionManager\":%s",
			   r->session_manager ? "true" : "false");
	out_str(o, "}");
}

static const char *yes_no(int v, const char *yes, const char *no)
{
	return v < 0 ? "-" : (v ? yes : no);
}

static void table_record(out_ctx *o, const ecs_record *r)
{
	static shown_field t1, t2, t3; /* main thread only; too big for a frame */
	char a[24], b[24], age[24];
	const char *cells[C_COUNT];

	num(a, sizeof(a), r->active);
	num(b, sizeof(b), r->invocations);
	out_age(age, sizeof(age), r->last_heartbeat, o->now_unix);
	cells[C_ID] = field(r->id, t1);
	cells[C_REGION] = o->region != NULL ? o->region : "-";
	cells[C_AGENT] = yes_no(r->status, "yes", "no");
	cells[C_VERSION] = field(r->version, t2);
	cells[C_OS] = field(r->os, t3);
	cells[C_SEEN] = age;
	cells[C_TASKS] = a;
	cells[C_RUNS] = b;
	cells[C_SSM] = yes_no(r->session_manager, "yes", "no");
	table_row(o, cells);
}

/* Column 10, the region, only when the run asks more than one region: a script that reads
 * nine columns of a one-region run sees what it always saw. */
static void tsv_region_end(out_ctx *o)
{
	if (o->show_region)
		out_printf(o, "\t%s", o->region != NULL ? o->region : "-");
	out_str(o, "\n");
}

static void tsv_record(out_ctx *o, const ecs_record *r)
{
	static shown_field t1, t2, t3, t4, t5; /* main thread only; too big for a frame */
	char a[24], b[24];

	num(a, sizeof(a), r->active);
	num(b, sizeof(b), r->invocations);
	out_printf(o, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s", field(r->id, t1),
		   yes_no(r->status, "true", "false"), field(r->version, t2), field(r->os, t3),
		   field(r->last_heartbeat, t4), field(r->last_invoked, t5), a, b,
		   yes_no(r->session_manager, "true", "false"));
	tsv_region_end(o);
}

ecs_status out_record(out_ctx *o, const ecs_record *r, ecs_err *err)
{
	o->live += r->status == 1;
	o->answered++;
	if (o->fmt == OUT_NAGIOS || o->fmt == OUT_PROM) {
		o->rows++;
		return store_add(o->keep, r, o->region, err);
	}
	if (o->only_down && r->status == 1)
		return ECS_OK;
	row_begin(o);
	if (o->fmt == OUT_JSON)
		json_record(o, r);
	else if (o->fmt == OUT_TSV)
		tsv_record(o, r);
	else
		table_record(o, r);
	o->rows++;
	row_end(o);
	return ECS_OK;
}

void out_notfound(out_ctx *o, const char *id)
{
	static shown_field t;
	/* with --os-type, the API leaves out instances of other OS types as well */
	const char *cells[C_COUNT] = {
		field(id, t), "-", o->os_filter != NULL ? "NO MATCH" : "NOT FOUND",
		"-",	      "-", "-",
		"-",	      "-", "-"};

	o->notfound++;
	if (o->fmt != OUT_TSV && o->fmt != OUT_TABLE)
		return;
	row_begin(o);
	if (o->fmt == OUT_TSV) {
		out_printf(o, "%s\t%s\t-\t-\t-\t-\t-\t-\t-", cells[C_ID],
			   o->os_filter != NULL ? "nomatch" : "notfound");
		tsv_region_end(o);
	} else
		table_row(o, cells);
	row_end(o);
}

/* The trailer is written in units, like rows: flushes fall between them, and o->stage tells
 * out_emergency() how to close the document from there. */
static void stage(out_ctx *o, int st)
{
	row_end(o);
	o->stage = st;
}

static void json_list(out_ctx *o, const char *key, size_t n, const char *(*at)(void *ctx, size_t i),
		      void *ctx)
{
	size_t i;

	row_begin(o);
	out_printf(o, ",\"%s\":[", key);
	stage(o, OUT_STAGE_LIST);
	for (i = 0; i < n && at != NULL; i++) {
		row_begin(o);
		if (i > 0)
			out_str(o, ",");
		json_str(o, at(ctx, i));
		row_end(o);
	}
	row_begin(o);
	out_str(o, "]");
	stage(o, OUT_STAGE_TAIL);
}

int out_finish(out_ctx *o, const out_summary *s)
{
	if (o->fmt != OUT_JSON)
		o->closing = 1; /* a signal from here on writes nothing more */
	if (o->fmt == OUT_NAGIOS)
		out_nagios_finish(o, s);
	else if (o->fmt == OUT_PROM)
		out_prom_finish(o, s);
	if (o->fmt == OUT_JSON && o->began) {
		row_begin(o);
		out_printf(o, "]},\"TotalCount\":%u", o->rows);
		stage(o, OUT_STAGE_TAIL);
		json_list(o, "RequestIds", s->n_request_ids, s->request_id_at, s->ctx);
		json_list(o, "NotFound", s->n_notfound, s->notfound_at, s->ctx);
		if (o->os_filter != NULL) {
			out_str(o, ",\"OSTypeFilter\":");
			json_str(o,
				 o->os_filter); /* NotFound may hold instances of other OS types */
		}
		if (!s->complete) {
			out_str(o, ",\"Incomplete\":true,\"Error\":{\"Code\":");
			json_str(o, s->error_code != NULL ? s->error_code : "error");
			out_str(o, ",\"Message\":");
			json_str(o, s->error_msg != NULL ? s->error_msg : "");
			out_printf(o, "},\"NotChecked\":%u", s->not_checked);
		}
		out_str(o, "}\n");
		o->closing = 1; /* the document is whole in the buffer */
	}
	flush(o);
	return o->failed ? -1 : 0;
}

static size_t utoa(char *out, unsigned v)
{
	char t[16];
	size_t n = 0, i;

	do {
		t[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	for (i = 0; i < n; i++)
		out[i] = t[n - 1 - i];
	return n;
}

void out_emergency(out_ctx *o, void (*raw_write)(const void *buf, size_t len))
{
	static const char head[] = "]},\"TotalCount\":";
	static const char tail[] = ",\"Incomplete\":true,\"Error\":{\"Code\":\"interrupted\","
				   "\"Message\":\"interrupted by a signal\"}}\n";
	char num_buf[16];
	size_t c = o->committed;
	int st = o->stage;

	if (!o->began || o->failed || o->closing)
		return;
	if (c > 0)
		raw_write(o->buf, c);
	if (o->fmt != OUT_JSON)
		return;
	if (st == OUT_STAGE_RECORDS) {
		raw_write(head, sizeof(head) - 1);
		raw_write(num_buf, utoa(num_buf, o->rows));
	} else if (st == OUT_STAGE_LIST) {
		raw_write("]", 1);
	}
	raw_write(tail, sizeof(tail) - 1);
}
