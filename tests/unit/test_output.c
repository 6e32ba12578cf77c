/* Unit tests for src/output.c (every format against a sink that fails at every offset) and
 * src/show.c (display filtering). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h> /* needs the four headers above first */

#include <stdio.h>
#include <string.h>

#include "output.h"
#include "port.h"
#include "show.h"

/* A sink that accepts `room` bytes, then fails every write. */
typedef struct {
	char buf[1 << 20];
	size_t len, room;
	unsigned writes, failures;
} sink;

static sink sk;

static int sink_write(void *ctx, const void *b, size_t n)
{
	sink *s = ctx;

	s->writes++;
	if (s->len + n > s->room) {
		s->failures++;
		return -1;
	}
	memcpy(s->buf + s->len, b, n);
	s->len += n;
	return 0;
}

static void sink_reset(size_t room)
{
	sk.len = 0;
	sk.room = room;
	sk.writes = sk.failures = 0;
}

static ecs_record rec(unsigned i)
{
	ecs_record r;

	memset(&r, 0, sizeof(r));
	snprintf(r.id, sizeof(r.id), "i-%08u", i);
	r.status = (int)(i % 2);
	snprintf(r.version, sizeof(r.version), "2.%u.0.1", i);
	snprintf(r.os, sizeof(r.os), "Linux");
	snprintf(r.last_heartbeat, sizeof(r.last_heartbeat), "2026-12-01T10:00:00Z");
	r.active = i;
	r.invocations = -1;
	r.session_manager = 1;
	return r;
}

static const char *nf_at(void *ctx, size_t i)
{
	(void)ctx;
	(void)i;
	return "i-gone";
}

/* Writes 1000 records, one not-found id and the trailer. */
static int write_run(out_ctx *o, out_format fmt, int complete)
{
	out_summary s;
	unsigned i;

	out_init(o, fmt, sink_write, &sk);
	out_begin(o);
	for (i = 0; i < 1000; i++) {
		ecs_record r = rec(i);
		out_record(o, &r, NULL);
	}
	out_notfound(o, "i-gone");
	memset(&s, 0, sizeof(s));
	s.complete = complete;
	s.error_code = "timeout";
	s.error_msg = "read from 127.0.0.1: timed out";
	s.not_checked = 7;
	s.n_notfound = 1;
	s.notfound_at = nf_at;
	return out_finish(o, &s);
}

static out_ctx o;

static void test_failure_at_every_offset(void **state)
{
	out_format f;

	(void)state;
	for (f = OUT_TABLE; f <= OUT_TSV; f++) {
		size_t full, room;
		sink_reset(sizeof(sk.buf));
		assert_int_equal(write_run(&o, f, 1), 0);
		full = sk.len;
		assert_true(full > 3 * ECS_OUT_BUF); /* several flushes */
		for (room = 0; room < full; room += 997) {
			sink_reset(room);
			assert_int_equal(write_run(&o, f, 1), -1);
			assert_int_equal(sk.failures, 1); /* nothing is written after a failure */
		}
	}
}

/* Whatever reached the sink ends at a row boundary (flushes fall between rows). */
static void test_flushes_between_rows(void **state)
{
	unsigned i;

	(void)state;
	sink_reset(sizeof(sk.buf));
	out_init(&o, OUT_TSV, sink_write, &sk);
	out_begin(&o);
	for (i = 0; i < 400; i++) {
		ecs_record r = rec(i);
		out_record(&o, &r, NULL);
		if (sk.len > 0)
			assert_int_equal(sk.buf[sk.len - 1], '\n');
	}
	assert_true(sk.writes > 1);
}

static void test_json_incomplete_document(void **state)
{
	(void)state;
	sink_reset(sizeof(sk.buf));
	assert_int_equal(write_run(&o, OUT_JSON, 0), 0);
	sk.buf[sk.len] = '\0';
	assert_non_null(strstr(sk.buf, "]},\"TotalCount\":1000,\"RequestIds\":[],\"NotFound\":["
				       "\"i-gone\"],\"Incomplete\":true,\"Error\":{\"Code\":"
				       "\"timeout\",\"Message\":\"read from 127.0.0.1: timed "
				       "out\"},\"NotChecked\":7}\n"));
	assert_int_equal(sk.buf[0], '{');
}

static char emer[1 << 16];
static size_t emer_len;

static void emer_write(const void *b, size_t n)
{
	memcpy(emer + emer_len, b, n);
	emer_len += n;
}

/* The signal path: flushed rows + buffered whole rows + a trailer = one valid document. */
static void test_emergency_trailer(void **state)
{
	unsigned i;
	char all[1 << 20];

	(void)state;
	sink_reset(sizeof(sk.buf));
	emer_len = 0;
	out_init(&o, OUT_JSON, sink_write, &sk);
	out_begin(&o);
	for (i = 0; i < 100; i++) {
		ecs_record r = rec(i);
		out_record(&o, &r, NULL);
	}
	out_emergency(&o, emer_write);
	memcpy(all, sk.buf, sk.len);
	memcpy(all + sk.len, emer, emer_len);
	all[sk.len + emer_len] = '\0';
	assert_non_null(strstr(all, "\"InstanceId\":\"i-00000099\""));
	assert_non_null(strstr(all, "]},\"TotalCount\":100,\"Incomplete\":true,\"Error\":{"
				    "\"Code\":\"interrupted\""));
	assert_int_equal(all[sk.len + emer_len - 2], '}');
}

static void test_fields_filtered(void **state)
{
	ecs_record r = rec(1);
	out_summary s;

	(void)state;
	snprintf(r.version, sizeof(r.version),
		 "1\x1b[2J\xc2\x9b"
		 "31m\xe2\x80\xae"
		 "x\x9b");
	sink_reset(sizeof(sk.buf));
	out_init(&o, OUT_TSV, sink_write, &sk);
	out_begin(&o);
	out_record(&o, &r, NULL);
	memset(&s, 0, sizeof(s));
	s.complete = 1;
	assert_int_equal(out_finish(&o, &s), 0);
	sk.buf[sk.len] = '\0';
	assert_non_null(strstr(sk.buf, "\t1\\x1B[2J<U+009B>31m<U+202E>x\\x9B\t"));
	sink_reset(sizeof(sk.buf));
	out_init(&o, OUT_JSON, sink_write, &sk);
	out_begin(&o);
	out_record(&o, &r, NULL);
	assert_int_equal(out_finish(&o, &s), 0);
	sk.buf[sk.len] = '\0';
	assert_non_null(strstr(sk.buf, "\"1\\u001b[2J\\u009b31m\\u202ex\\u009b\""));
}

static void test_show_text(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{"plain ascii", "plain ascii"},
		{"caf\xc3\xa9 \xe4\xb8\xad", "caf\xc3\xa9 \xe4\xb8\xad"},
		{"a\nb\tc\x7f", "a\\x0Ab\\x09c\\x7F"},
		{"\xc2\x85\xc2\x9f\xc2\xa0", "<U+0085><U+009F>\xc2\xa0"},
		{"\xe2\x81\xa6\xe2\x80\x8f\xef\xbb\xbf", "<U+2066><U+200F><U+FEFF>"},
		{"\xc0\xaf\xed\xa0\x80", "\\xC0\\xAF\\xED\\xA0\\x80"}, /* overlong, surrogate */
		{"\xf4\x90\x80\x80", "\\xF4\\x90\\x80\\x80"},	       /* past U+10FFFF */
	};
	char out[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		show_text(out, sizeof(out), cases[i].in, strlen(cases[i].in));
		assert_string_equal(out, cases[i].out);
		assert_int_equal(show_is_plain(cases[i].in, strlen(cases[i].in)),
				 strcmp(cases[i].in, cases[i].out) == 0);
	}
}

/* A cut never splits an escape or a character, and always fits. */
static void test_show_text_cut(void **state)
{
	static const char in[] = "ab\x1b\xe4\xb8\xad"
				 "cdef";
	char out[32];
	size_t cap, n;

	(void)state;
	for (cap = 4; cap < sizeof(out); cap++) {
		memset(out, 'Z', sizeof(out));
		n = show_text(out, cap, in, strlen(in));
		assert_true(n < cap);
		assert_int_equal(out[n], '\0');
		if (cap < sizeof(out))
			assert_int_equal(out[cap], 'Z'); /* nothing past cap */
		if (strcmp(out, "ab\\x1B\xe4\xb8\xad"
				"cdef") != 0) {
			assert_true(n >= 3 && strcmp(out + n - 3, "...") == 0);
			assert_true(strstr(out, "\\x1") == NULL || strstr(out, "\\x1B") != NULL);
		}
	}
}

/* Monitoring Plugins ranges: alert outside [start,end], or inside with '@'. */
static void test_nagios_ranges(void **state)
{
	static const struct {
		const char *r;
		int64_t v;
		int alert;
	} cases[] = {
		{"0", 0, 0},	  {"0", 1, 1},	     {"10", 10, 0},    {"10", 11, 1},
		{"10", -1, 1},	  {"10:", 9, 1},     {"10:", 10, 0},   {"10:", 999, 0},
		{"~:10", -5, 0},  {"~:10", 11, 1},   {"10:20", 9, 1},  {"10:20", 15, 0},
		{"10:20", 21, 1}, {"@10:20", 15, 1}, {"@10:20", 9, 0}, {"@10:20", 10, 1},
		{"@0", 0, 1},	  {"@0", 1, 0},
	};
	static const char *const bad[] = {"",
					  "x",
					  "1.5",
					  "20:10",
					  "10:x",
					  ":",
					  "@",
					  "~",
					  "-1",
					  "1:2:3",
					  "99999999999999999999"};
	nagios_range r;
	ecs_err err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(nagios_range_parse(cases[i].r, "critical", &r, &err), ECS_OK);
		assert_int_equal(nagios_range_alert(&r, cases[i].v), cases[i].alert);
		assert_string_equal(r.text, cases[i].r);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(nagios_range_parse(bad[i], "warning", &r, &err), ECS_E_USAGE);
		assert_non_null(strstr(err.msg, "--warning"));
	}
	memset(&r, 0, sizeof(r));
	assert_int_equal(nagios_range_alert(&r, 5), 0); /* not set: never alerts */
}

static void test_ages(void **state)
{
	static const struct {
		int64_t now;
		const char *iso, *age;
	} cases[] = {
		{1767225642, "2026-01-01T00:00:00Z", "42s"},
		{1767225600 + 3 * 60 + 59, "2026-01-01T00:00:00Z", "3m"},
		{1767225600 + 5 * 3600, "2026-01-01T00:00:00.123Z", "5h"},
		{1767225600 + 12 * 86400, "2026-01-01T00:00:00Z", "12d"},
		{1767225600 - 100, "2026-01-01T00:00:00Z", "0s"}, /* a clock behind the server */
		{1767225600, "", "-"},
		{1767225600, "2026-02-30T00:00:00Z", "-"},
		{1767225600, "yesterday", "-"},
	};
	char age[24];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		out_age(age, sizeof(age), cases[i].iso, cases[i].now);
		assert_string_equal(age, cases[i].age);
	}
}

/* Prometheus: label values escaped, families grouped, failure = scrape metrics only. */
static void test_prom(void **state)
{
	store st;
	ecs_record r = rec(3);
	out_summary s;

	(void)state;
	store_init(&st, port_mem_resize);
	snprintf(r.version, sizeof(r.version), "a\\b\"c\nd\xff");
	sink_reset(sizeof(sk.buf));
	out_init(&o, OUT_PROM, sink_write, &sk);
	o.keep = &st;
	o.region = "cn-hangzhou";
	out_begin(&o);
	assert_int_equal(out_record(&o, &r, NULL), ECS_OK);
	memset(&s, 0, sizeof(s));
	s.complete = 1;
	s.duration_ms = 1234;
	assert_int_equal(out_finish(&o, &s), 0);
	sk.buf[sk.len] = '\0';
	assert_non_null(strstr(sk.buf, "version=\"a\\\\b\\\"c\\nd\xef\xbf\xbd\""));
	assert_non_null(strstr(sk.buf, "ecs_cloud_assistant_up{region=\"cn-hangzhou\","
				       "instance_id=\"i-00000003\",os_type=\"Linux\"} 1\n"));
	assert_non_null(strstr(sk.buf, "ecs_cloud_assistant_scrape_duration_seconds 1.234\n"));
	assert_non_null(strstr(sk.buf, "state=\"live\"} 1\n"));
	store_free(&st);
	store_init(&st, port_mem_resize);
	sink_reset(sizeof(sk.buf));
	out_init(&o, OUT_PROM, sink_write, &sk);
	o.keep = &st;
	o.region = "cn-hangzhou";
	out_begin(&o);
	assert_int_equal(out_record(&o, &r, NULL), ECS_OK);
	s.complete = 0;
	assert_int_equal(out_finish(&o, &s), 0);
	sk.buf[sk.len] = '\0';
	assert_null(strstr(sk.buf, "ecs_cloud_assistant_up"));
	assert_non_null(
		strstr(sk.buf, "ecs_cloud_assistant_scrape_success{region=\"cn-hangzhou\"} 0\n"));
	store_free(&st);
}

static size_t store_budget = (size_t)-1;

static void *budget_resize(void *p, size_t old, size_t nw)
{
	if (nw > store_budget)
		return NULL;
	return port_mem_resize(p, old, nw);
}

/* Answers kept for --wait / nagios / prom come back as they went in; no memory is an error. */
static void test_store_roundtrip_and_limit(void **state)
{
	store st;
	ecs_record r = rec(7), back;
	store_rec sr;
	ecs_err err;
	unsigned i;
	ecs_status s2 = ECS_OK;

	(void)state;
	store_init(&st, port_mem_resize);
	assert_int_equal(store_add(&st, &r, "cn-shanghai", &err), ECS_OK);
	store_get(&st, 0, &sr);
	assert_string_equal(sr.region, "cn-shanghai");
	store_record(&sr, &back);
	assert_memory_equal(&back, &r, sizeof(r));
	store_free(&st);
	store_budget = 16384;
	store_init(&st, budget_resize);
	for (i = 0; i < 10000 && s2 == ECS_OK; i++)
		s2 = store_add(&st, &r, "cn-hangzhou", &err);
	assert_int_equal(s2, ECS_E_NOSPACE);
	assert_non_null(strstr(err.msg, "not enough memory"));
	assert_true(store_count(&st) > 10);
	store_get(&st, store_count(&st) - 1, &sr);
	assert_string_equal(sr.id, r.id);
	store_free(&st);
	store_budget = (size_t)-1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_failure_at_every_offset),
		cmocka_unit_test(test_flushes_between_rows),
		cmocka_unit_test(test_json_incomplete_document),
		cmocka_unit_test(test_emergency_trailer),
		cmocka_unit_test(test_fields_filtered),
		cmocka_unit_test(test_show_text),
		cmocka_unit_test(test_show_text_cut),
		cmocka_unit_test(test_nagios_ranges),
		cmocka_unit_test(test_ages),
		cmocka_unit_test(test_prom),
		cmocka_unit_test(test_store_roundtrip_and_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
