#include "output.h"

#include <stdio.h>
#include <string.h>

#include "json.h"
#include "port.h"

static void flush(out_ctx *o)
{
	if (o->len > 0 && !o->failed && port_write(1, o->buf, o->len) != 0)
		o->failed = 1;
	if (o->len > 0)
		o->flushed = 1;
	o->len = 0;
}

static void put(out_ctx *o, const char *s, size_t n)
{
	while (n > 0) {
		size_t room = sizeof(o->buf) - o->len, k = n < room ? n : room;
		memcpy(o->buf + o->len, s, k);
		o->len += k;
		s += k;
		n -= k;
		if (o->len == sizeof(o->buf))
			flush(o);
	}
}

void out_str(out_ctx *o, const char *s)
{
	put(o, s, strlen(s));
}

static void putf(out_ctx *o, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 2, 3)))
#endif
	;

#include <stdarg.h>
static void putf(out_ctx *o, const char *fmt, ...)
{
	char tmp[1024]; /* a TSV/table row with every field at its limit (ecs_limits.h) */
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		put(o, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

/* A field for table/tsv: "-" when empty; tabs and newlines cannot appear in one. */
static const char *field(const char *s, char *tmp, size_t cap)
{
	size_t i;

	if (s == NULL || s[0] == '\0')
		return "-";
	for (i = 0; s[i] != '\0' && i + 1 < cap; i++)
		tmp[i] = ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) ? ' ' : s[i];
	tmp[i] = '\0';
	return tmp;
}

static void num(char *out, size_t cap, int64_t v)
{
	if (v < 0)
		snprintf(out, cap, "-");
	else
		snprintf(out, cap, "%lld", (long long)v);
}

#define TABLE_FMT "%-22s  %-9s  %-11s  %-7s  %-20s  %6s  %6s  %s\n"

void out_begin(out_ctx *o, out_format fmt)
{
	memset(o, 0, offsetof(out_ctx, buf));
	o->fmt = fmt;
	if (fmt == OUT_TABLE)
		putf(o, TABLE_FMT, "INSTANCE_ID", "AGENT", "VERSION", "OS", "LAST_HEARTBEAT",
		     "ACTIVE", "TOTAL", "SESSION_MGR");
	else if (fmt == OUT_JSON)
		out_str(o,
			"{\"InstanceCloudAssistantStatusSet\":{\"InstanceCloudAssistantStatus\":[");
}

static void json_kv_str(out_ctx *o, const char *key, const char *v, int *first)
{
	char q[ECS_VERSION_MAX * 6 + 8]; /* the longest record string, every byte \u-escaped */
	size_t ql;

	if (v[0] == '\0')
		return;
	if (json_quote(v, strlen(v), q, sizeof(q), &ql) != ECS_OK)
		return;
	putf(o, "%s\"%s\":", *first ? "" : ",", key);
	put(o, q, ql);
	*first = 0;
}

void out_record(out_ctx *o, const ecs_record *r)
{
	/* each field as large as the record holds it: nothing is cut here */
	char a[32], b[32], t1[ECS_ID_MAX + 1], t2[ECS_VERSION_MAX], t3[ECS_OSTYPE_MAX],
		t4[ECS_TIME_MAX], t5[ECS_TIME_MAX], t6[ECS_TIME_MAX];

	if (o->fmt == OUT_JSON) {
		int first = 1;
		out_str(o, o->rows ? ",{" : "{");
		json_kv_str(o, "InstanceId", r->id, &first);
		if (r->status >= 0)
			json_kv_str(o, "CloudAssistantStatus", r->status ? "true" : "false",
				    &first);
		json_kv_str(o, "CloudAssistantVersion", r->version, &first);
		json_kv_str(o, "OSType", r->os, &first);
		json_kv_str(o, "LastHeartbeatTime", r->last_heartbeat, &first);
		json_kv_str(o, "LastInvokedTime", r->last_invoked, &first);
		if (r->active >= 0)
			putf(o, ",\"ActiveTaskCount\":%lld", (long long)r->active);
		if (r->invocations >= 0)
			putf(o, ",\"InvocationCount\":%lld", (long long)r->invocations);
		if (r->session_manager >= 0)
			putf(o, ",\"SupportSessionManager\":%s",
			     r->session_manager ? "true" : "false");
		out_str(o, "}");
	} else {
		num(a, sizeof(a), r->active);
		num(b, sizeof(b), r->invocations);
		if (o->fmt == OUT_TSV)
			putf(o, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
			     field(r->id, t1, sizeof(t1)),
			     r->status < 0 ? "-" : (r->status ? "true" : "false"),
			     field(r->version, t2, sizeof(t2)), field(r->os, t3, sizeof(t3)),
			     field(r->last_heartbeat, t4, sizeof(t4)),
			     field(r->last_invoked, t5, sizeof(t5)), a, b,
			     r->session_manager < 0 ? "-"
						    : (r->session_manager ? "true" : "false"));
		else
			putf(o, TABLE_FMT, field(r->id, t1, sizeof(t1)),
			     r->status < 0 ? "-" : (r->status ? "yes" : "no"),
			     field(r->version, t2, sizeof(t2)), field(r->os, t3, sizeof(t3)),
			     field(r->last_heartbeat, t6, sizeof(t6)), a, b,
			     r->session_manager < 0 ? "-" : (r->session_manager ? "yes" : "no"));
	}
	o->rows++;
}

void out_notfound(out_ctx *o, const char *id)
{
	o->notfound++;
	if (o->fmt == OUT_TSV)
		putf(o, "%s\tnotfound\t-\t-\t-\t-\t-\t-\t-\n", id);
	else if (o->fmt == OUT_TABLE)
		putf(o, TABLE_FMT, id, "NOT FOUND", "-", "-", "-", "-", "-", "-");
}

void out_end_records(out_ctx *o, int64_t total_count)
{
	if (o->fmt == OUT_JSON)
		putf(o, "]},\"TotalCount\":%lld", (long long)total_count);
}

void out_json_request_ids_begin(out_ctx *o)
{
	out_str(o, ",\"RequestIds\":[");
}

static void json_item(out_ctx *o, const char *s, int first)
{
	char q[ECS_ID_MAX * 6 + 8];
	size_t ql;

	if (json_quote(s, strlen(s), q, sizeof(q), &ql) != ECS_OK)
		return;
	if (!first)
		out_str(o, ",");
	put(o, q, ql);
}

void out_json_request_id(out_ctx *o, const char *id, int first)
{
	json_item(o, id, first);
}

void out_json_notfound_begin(out_ctx *o)
{
	out_str(o, "],\"NotFound\":[");
}

void out_json_notfound(out_ctx *o, const char *id, int first)
{
	json_item(o, id, first);
}

int out_finish(out_ctx *o)
{
	if (o->fmt == OUT_JSON)
		out_str(o, "]}\n");
	flush(o);
	return o->failed ? -1 : 0;
}

void out_abort(out_ctx *o)
{
	if (!o->flushed && (o->fmt == OUT_JSON || o->rows + o->notfound == 0)) {
		o->len = 0; /* nothing out yet: stdout stays empty */
		return;
	}
	if (o->fmt == OUT_JSON) {
		putf(o, "]},\"TotalCount\":%u,\"Incomplete\":true}\n", o->rows);
	}
	flush(o);
}
