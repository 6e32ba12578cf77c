/*
 * Unit tests for src/ecs.c without sockets or sleeps: the client runs over a scripted fake
 * exchange (each answer fed byte for byte through the real HTTP parser), a fixed clock, a
 * recorded sleep and a counting random source. Covers retry, backoff and x-acs-retry-after,
 * the attempt limit, clock-skew correction, fresh nonces, the free reconnect after an idle
 * close, and the engine's verdicts (classify table, ExceedLimit, NotFound, unasked entries).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "ecs.h"

#define T0 1767225600 /* 2026-01-01T00:00:00Z: the fake wall clock */

typedef struct {
	ecs_status fail; /* != ECS_OK: the exchange fails with this (no answer) */
	int reused;	 /* what the exchange reports */
	int status;
	const char *headers; /* extra header lines, each ending in \r\n */
	const char *body;
} step;

static struct {
	const step *script;
	size_t n, at;
	char reqs[8][ECS_HTTP_REQ_MAX]; /* every request sent, NUL-terminated */
	unsigned sleeps;
	uint32_t slept[8];
	unsigned rnd;
} F;

static ecs_client cl; /* large: static */
static ecs_page page;
static creds cr;

static ecs_status fake_exchange(void *ctx, const char *req, size_t len, http_resp *r, int *reused,
				ecs_err *err)
{
	char wire[8192];
	const step *s;
	size_t used;
	int n;

	(void)ctx;
	assert_true(F.at < F.n); /* the client sent more requests than scripted */
	s = &F.script[F.at];
	if (F.at < 8) {
		assert_true(len < sizeof(F.reqs[0]));
		memcpy(F.reqs[F.at], req, len);
		F.reqs[F.at][len] = '\0';
	}
	F.at++;
	*reused = s->reused;
	if (s->fail != ECS_OK)
		return err_set(err, s->fail, "scripted failure");
	n = snprintf(wire, sizeof(wire), "HTTP/1.1 %d X\r\nContent-Length: %u\r\n%s\r\n%s",
		     s->status, (unsigned)strlen(s->body), s->headers ? s->headers : "", s->body);
	assert_true(n > 0 && (size_t)n < sizeof(wire));
	assert_int_equal(http_resp_feed(r, wire, (size_t)n, &used, err), ECS_OK);
	assert_true(http_resp_done(r));
	return ECS_OK;
}

static int64_t fake_now(void *ctx)
{
	(void)ctx;
	return T0;
}

static void fake_sleep(void *ctx, uint32_t ms)
{
	(void)ctx;
	if (F.sleeps < 8)
		F.slept[F.sleeps] = ms;
	F.sleeps++;
}

static int fake_random(void *ctx, void *buf, size_t n)
{
	unsigned char *p = buf;
	size_t i;

	(void)ctx;
	for (i = 0; i < n; i++)
		p[i] = (unsigned char)(F.rnd++ * 37u);
	return 0;
}

static void setup_client(const step *script, size_t n, unsigned retries)
{
	ecs_opts o;
	ecs_env env = {fake_exchange, fake_now, fake_sleep, fake_random, NULL};

	memset(&F, 0, sizeof(F));
	F.script = script;
	F.n = n;
	memset(&cr, 0, sizeof(cr));
	strcpy(cr.key_id, "testid");
	strcpy(cr.secret, "testsecret");
	memset(&o, 0, sizeof(o));
	strcpy(o.region, "cn-hangzhou");
	strcpy(o.conn.host, "ecs.cn-hangzhou.aliyuncs.com");
	o.conn.port = 443;
	o.conn.tls = 1;
	o.retries = retries;
	o.cred = &cr;
	ecs_client_init(&cl, &o);
	ecs_client_set_env(&cl, &env);
}

#define PAGE_1                                                                                     \
	"{\"RequestId\":\"R1\",\"TotalCount\":1,\"InstanceCloudAssistantStatusSet\":{"             \
	"\"InstanceCloudAssistantStatus\":[{\"InstanceId\":\"i-a\",\"CloudAssistantStatus\":"      \
	"\"true\"}]}}"
#define ERR(code) "{\"RequestId\":\"E1\",\"Code\":\"" code "\",\"Message\":\"m\"}"

static const char *const IDS[] = {"i-a"};

/* The value of a request header (first line that starts with name), copied into out. */
static const char *header_of(const char *req, const char *name, char *out, size_t cap)
{
	const char *p = strstr(req, name), *e;
	size_t n;

	if (p == NULL)
		return NULL;
	p += strlen(name);
	e = strstr(p, "\r\n");
	n = (size_t)(e - p) < cap - 1 ? (size_t)(e - p) : cap - 1;
	memcpy(out, p, n);
	out[n] = '\0';
	return out;
}

static void test_retry_then_ok(void **state)
{
	static const step s[] = {{ECS_OK, 0, 503, NULL, ERR("ServiceUnavailable")},
				 {ECS_OK, 1, 200, NULL, PAGE_1}};
	char n1[64], n2[64];
	ecs_err err;

	(void)state;
	setup_client(s, 2, 3);
	assert_int_equal(ecs_describe_ids(&cl, IDS, 1, &page, &err), ECS_OK);
	assert_int_equal(F.at, 2);
	assert_int_equal(page.n, 1);
	assert_string_equal(page.rec[0].id, "i-a");
	assert_int_equal(F.sleeps, 1);
	assert_true(F.slept[0] >= 100 && F.slept[0] <= 200); /* 200 ms, equal jitter */
	/* the retry was signed anew: another nonce */
	assert_non_null(header_of(F.reqs[0], "x-acs-signature-nonce: ", n1, sizeof(n1)));
	assert_non_null(header_of(F.reqs[1], "x-acs-signature-nonce: ", n2, sizeof(n2)));
	assert_string_not_equal(n1, n2);
}

static void test_retry_after_is_honoured(void **state)
{
	static const step s[] = {
		{ECS_OK, 0, 400, "x-acs-retry-after: 1500\r\n", ERR("Throttling.User")},
		{ECS_OK, 1, 200, NULL, PAGE_1}};
	ecs_err err;

	(void)state;
	setup_client(s, 2, 3);
	assert_int_equal(ecs_describe_ids(&cl, IDS, 1, &page, &err), ECS_OK);
	assert_int_equal(F.sleeps, 1);
	assert_int_equal(F.slept[0], 1500);
}

static void test_backoff_grows_and_attempts_end(void **state)
{
	static const step s[] = {{ECS_OK, 0, 500, NULL, ERR("InternalError")},
				 {ECS_OK, 1, 500, NULL, ERR("InternalError")},
				 {ECS_OK, 1, 500, NULL, ERR("InternalError")}};
	ecs_err err;

	(void)state;
	setup_client(s, 3, 2);
	assert_int_equal(ecs_describe_ids(&cl, IDS, 1, &page, &err), ECS_E_API);
	assert_int_equal(F.at, 3);
	assert_int_equal(F.sleeps, 2);
	assert_true(F.slept[0] >= 100 && F.slept[0] <= 200);
	assert_true(F.slept[1] >= 200 && F.slept[1] <= 400);
	assert_non_null(strstr(err.msg, "InternalError"));
	assert_non_null(strstr(err.msg, "gave up after 3 attempts"));
}

static void test_not_retryable_is_sent_once(void **state)
{
	static const step s[] = {{ECS_OK, 0, 400, NULL, ERR("InvalidParameter")}};
	ecs_err err;

	(void)state;
	setup_client(s, 1, 3);
	assert_int_equal(ecs_describe_ids(&cl, IDS, 1, &page, &err), ECS_E_API);
	assert_int_equal(F.at, 1);
	assert_int_equal(F.sleeps, 0);
}

static void test_clock_skew_is_corrected_once(void **state)
{
	/* the server's clock is 2 hours ahead */
	static const step s[] = {
		{ECS_OK, 0, 400, "Date: Thu, 01 Jan 2026 02:00:00 GMT\r\n",
		 ERR("InvalidTimeStamp.Expired")},
		{ECS_OK, 1, 200, "Date: Thu, 01 Jan 2026 02:00:01 GMT\r\n", PAGE_1}};
	char d1[32], d2[32];
	ecs_err err;

	(void)state;
	setup_client(s, 2, 3);
	assert_int_equal(ecs_describe_ids(&cl, IDS, 1, &page, &err), ECS_OK);
	assert_int_equal(F.at, 2);
	assert_int_equal(F.sleeps, 0); /* at once, not an attempt */
	assert_non_null(header_of(F.reqs[0], "x-acs-date: ", d1, sizeof(d1)));
	assert_non_null(header_of(F.reqs[1], "x-acs-date: ", d2, sizeof(d2)));
	assert_string_equal(d1, "2026-01-01T00:00:00Z");
	assert_string_equal(d2, "2026-01-01T02:00:00Z");
	assert_int_equal(cl.clock_offset, 7200);
}

static void test_skew_twice_is_an_error(void **state)
{
	static const step s[] = {{ECS_OK, 0, 400, "Date: Thu, 01 Jan 2026 02:00:00 GMT\r\n",
				  ERR("InvalidTimeStamp.Expired")},
				 {ECS_OK, 1, 400, "Date: Thu, 01 Jan 2026 04:00:00 GMT\r\n",
				  ERR("InvalidTimeStamp.Expired")}};
	ecs_err err;

	(void)state;
	setup_client(s, 2, 3);
	assert_int_equal(ecs_describe_ids(&cl, IDS, 1, &page, &err), ECS_E_API);
	assert_int_equal(F.at, 2);
}

static void test_idle_close_costs_no_attempt(void **state)
{
	static const step s[] = {{ECS_E_CLOSED, 1, 0, NULL, ""}, {ECS_OK, 0, 200, NULL, PAGE_1}};
	ecs_err err;

	(void)state;
	setup_client(s, 2, 0); /* even with --retries 0 */
	assert_int_equal(ecs_describe_ids(&cl, IDS, 1, &page, &err), ECS_OK);
	assert_int_equal(F.at, 2);
	assert_int_equal(F.sleeps, 0);
}

static void test_dropped_request_is_retried(void **state)
{
	static const step s[] = {{ECS_E_CLOSED, 0, 0, NULL, ""}, {ECS_OK, 0, 200, NULL, PAGE_1}};
	ecs_err err;

	(void)state;
	setup_client(s, 2, 1);
	assert_int_equal(ecs_describe_ids(&cl, IDS, 1, &page, &err), ECS_OK);
	assert_int_equal(F.sleeps, 1);
}

/* ---- the engine's pieces ---- */

static void test_classify_table(void **state)
{
	static const struct {
		int status;
		const char *code, *message;
		size_t n;
		int can_fix;
		ecs_verdict want;
	} t[] = {
		{200, "", "", 100, 0, ECS_V_DONE},
		{400, "Throttling.User", "", 100, 0, ECS_V_THROTTLE},
		{400, "Throttling", "", 1, 0, ECS_V_THROTTLE},
		{429, "", "", 100, 0, ECS_V_THROTTLE},
		{503, "ServiceUnavailable", "", 100, 0, ECS_V_THROTTLE},
		{500, "ServiceUnavailable", "", 100, 0, ECS_V_THROTTLE},
		{500, "InternalError", "", 100, 0, ECS_V_RETRY},
		{502, "", "", 100, 0, ECS_V_RETRY},
		{400, "UnknownError", "", 100, 0, ECS_V_RETRY},
		{400, "InvalidTimeStamp.Expired", "", 100, 1, ECS_V_SKEW},
		{400, "InvalidTimeStamp.Expired", "", 100, 0, ECS_V_FAIL},
		{403, "InstanceIds.ExceedLimit", "", 100, 0, ECS_V_SPLIT},
		{403, "InstanceIds.ExceedLimit", "", 51, 0, ECS_V_SPLIT},
		{403, "InstanceIds.ExceedLimit", "", 50, 0, ECS_V_FAIL},
		{400, "InvalidParameter", "The parameter InstanceId.51 is not valid", 100, 0,
		 ECS_V_SPLIT},
		{400, "InvalidParameter", "The parameter InstanceId.7 is not valid", 100, 0,
		 ECS_V_FAIL},
		{400, "InvalidInstanceId.Malformed", "", 100, 0, ECS_V_FAIL},
		{404, "InvalidInstance.NotFound", "", 3, 0, ECS_V_NOTFOUND},
		{404, "InvalidInstance.NotFound", "", 1, 0, ECS_V_NOTFOUND},
		{404, "InvalidInstance.NotFound", "", 0, 0, ECS_V_FAIL}, /* a page of --all */
		{400, "InvalidInstance.NotFound", "", 3, 0, ECS_V_FAIL},
		{404, "InvalidRegionId.NotFound", "", 3, 0, ECS_V_FAIL},
		{403, "Forbidden.RAM", "", 3, 0, ECS_V_FAIL},
		{400, "SignatureDoesNotMatch", "", 3, 0, ECS_V_FAIL},
		{404, "InvalidAccessKeyId.NotFound", "", 3, 0, ECS_V_FAIL},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		ecs_api_error e;
		memset(&e, 0, sizeof(e));
		snprintf(e.code, sizeof(e.code), "%s", t[i].code);
		snprintf(e.message, sizeof(e.message), "%s", t[i].message);
		e.http_status = t[i].status;
		if (ecs_classify(t[i].status, &e, t[i].n, t[i].can_fix) != t[i].want) {
			fprintf(stderr, "row %u: %d %s n=%u\n", (unsigned)i, t[i].status, t[i].code,
				(unsigned)t[i].n);
			fail();
		}
	}
}

/* Feeds one scripted answer through ecs_answer, as the engine does. */
static ecs_verdict answer_of(const step *s, const char *const *ids, size_t n, ecs_err *err)
{
	static char hdr[ECS_HTTP_HDR_MAX], body[ECS_HTTP_BODY_MAX];
	http_resp r;
	ecs_api_error e;
	uint32_t ra;
	int reused;
	char req[8] = "GET";

	setup_client(s, 1, 3);
	http_resp_init(&r, hdr, sizeof(hdr), body, sizeof(body), 0);
	assert_int_equal(fake_exchange(NULL, req, 3, &r, &reused, err), ECS_OK);
	return ecs_answer(&cl, &r, ids, n, &page, &e, &ra, err);
}

static void test_answer_verdicts(void **state)
{
	static const step limit[] = {{ECS_OK, 0, 403, NULL, ERR("InstanceIds.ExceedLimit")}};
	static const step stale[] = {{ECS_OK, 0, 404, NULL, ERR("InvalidInstance.NotFound")}};
	static const step extra[] = {{ECS_OK, 0, 200, NULL, PAGE_1}};
	static const char *const other[] = {"i-b"};
	const char *many[60];
	ecs_err err;
	size_t i;

	(void)state;
	for (i = 0; i < 60; i++)
		many[i] = "i-x";
	assert_int_equal(answer_of(limit, many, 60, &err), ECS_V_SPLIT);
	assert_int_equal(answer_of(limit, many, 50, &err), ECS_V_FAIL);
	assert_non_null(strstr(err.msg, "InstanceIds.ExceedLimit"));
	assert_int_equal(answer_of(stale, many, 10, &err), ECS_V_NOTFOUND);
	/* an entry for an id that was not asked for is dropped */
	assert_int_equal(answer_of(extra, other, 1, &err), ECS_V_DONE);
	assert_int_equal(page.n, 0);
	assert_int_equal(answer_of(extra, IDS, 1, &err), ECS_V_DONE);
	assert_int_equal(page.n, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_retry_then_ok),
		cmocka_unit_test(test_retry_after_is_honoured),
		cmocka_unit_test(test_backoff_grows_and_attempts_end),
		cmocka_unit_test(test_not_retryable_is_sent_once),
		cmocka_unit_test(test_clock_skew_is_corrected_once),
		cmocka_unit_test(test_skew_twice_is_an_error),
		cmocka_unit_test(test_idle_close_costs_no_attempt),
		cmocka_unit_test(test_dropped_request_is_retried),
		cmocka_unit_test(test_classify_table),
		cmocka_unit_test(test_answer_verdicts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
