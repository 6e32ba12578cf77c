/* Unit tests for src/http.c: request writer and incremental response parser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h> /* needs the four headers above first */

#include <stdio.h>
#include <string.h>

#include "http.h"

#define CAP 8192

/* Separate arrays so that ASan sees a write past each one; run() places the caller's cap at
 * the end of its array, so any write beyond the cap is out of bounds. */
static char hdr_a[CAP], body_a[CAP], hdr_b[CAP], body_b[CAP];

typedef struct {
	http_resp r;
	ecs_err err;
	ecs_status st;
	size_t used; /* total bytes consumed */
} parsed;

/* Feeds in[0..n) in pieces of step bytes (0 = all at once) until done or error; then, if eof,
 * reports the close. slot 0/1 picks a buffer pair. */
static void run(parsed *p, int slot, const char *in, size_t n, size_t step, int head, size_t hcap,
		size_t bcap, int eof)
{
	char *h = slot ? hdr_b : hdr_a, *b = slot ? body_b : body_a;
	size_t off = 0;

	assert_true(hcap <= CAP && bcap <= CAP);
	memset(p, 0, sizeof(*p));
	http_resp_init(&p->r, h + CAP - hcap, hcap, b + CAP - bcap, bcap, head);
	while (off < n) {
		size_t k = step == 0 || n - off < step ? n - off : step, u = 12345;

		p->st = http_resp_feed(&p->r, in + off, k, &u, &p->err);
		assert_true(u <= k);
		off += u;
		if (p->st != ECS_OK || http_resp_done(&p->r))
			break;
		assert_int_equal(u, k); /* not done: everything must have been consumed */
	}
	p->used = off;
	if (eof && p->st == ECS_OK && !http_resp_done(&p->r))
		p->st = http_resp_eof(&p->r, &p->err);
}

static void run_str(parsed *p, const char *in, size_t hcap, size_t bcap, int eof)
{
	run(p, 0, in, strlen(in), 0, 0, hcap, bcap, eof);
}

/* assert_memory_equal takes an int size in cmocka 1.1, which -Wconversion rejects. */
static void mem_eq(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;
	size_t i;

	for (i = 0; i < n; i++)
		if (x[i] != y[i])
			fail_msg("bytes differ at offset %zu of %zu: 0x%02x != 0x%02x", i, n, x[i],
				 y[i]);
}

static void assert_contains(const char *hay, const char *needle)
{
	if (strstr(hay, needle) == NULL)
		fail_msg("\"%s\" does not contain \"%s\"", hay, needle);
}

static void assert_body(const parsed *p, const char *want)
{
	assert_int_equal(p->r.body_len, strlen(want));
	mem_eq(p->r.body, want, strlen(want));
}

/* ---- writer ---- */

static const http_header hdrs[] = {
	{"Host", "ecs.aliyuncs.com"},
	{"User-Agent", "ecs-ca-status/0.1"},
};

static void test_write_get_exact(void **state)
{
	char buf[256];
	size_t len = 99;
	ecs_err err;
	const char *want = "GET /?Action=DescribeCloudAssistantStatus&a=%20 HTTP/1.1\r\n"
			   "Host: ecs.aliyuncs.com\r\n"
			   "User-Agent: ecs-ca-status/0.1\r\n"
			   "\r\n";
	(void)state;
	assert_int_equal(http_write_request(buf, sizeof(buf), &len, "GET",
					    "/?Action=DescribeCloudAssistantStatus&a=%20", hdrs, 2,
					    NULL, 0, &err),
			 ECS_OK);
	assert_int_equal(len, strlen(want));
	mem_eq(buf, want, len);
	/* no headers at all */
	assert_int_equal(
		http_write_request(buf, sizeof(buf), &len, "GET", "/", NULL, 0, NULL, 0, &err),
		ECS_OK);
	assert_int_equal(len, 18);
	mem_eq(buf, "GET / HTTP/1.1\r\n\r\n", 18);
}

static void test_write_post_exact(void **state)
{
	char buf[256];
	size_t len;
	ecs_err err;
	const char *want = "POST / HTTP/1.1\r\n"
			   "Host: ecs.aliyuncs.com\r\n"
			   "User-Agent: ecs-ca-status/0.1\r\n"
			   "Content-Length: 12\r\n"
			   "\r\n"
			   "a=1&b\0c=%2F";
	(void)state;
	assert_int_equal(http_write_request(buf, sizeof(buf), &len, "POST", "/", hdrs, 2,
					    "a=1&b\0c=%2F", 12, &err),
			 ECS_OK);
	assert_int_equal(len, strlen(want) + 7); /* the body holds a NUL */
	mem_eq(buf, want, len);
	/* POST and PUT without a body still say Content-Length: 0; GET with a body says it too */
	assert_int_equal(
		http_write_request(buf, sizeof(buf), &len, "PUT", "/x", NULL, 0, NULL, 0, &err),
		ECS_OK);
	mem_eq(buf, "PUT /x HTTP/1.1\r\nContent-Length: 0\r\n\r\n", len);
	assert_int_equal(len, 38);
	assert_int_equal(
		http_write_request(buf, sizeof(buf), &len, "DELETE", "/x", NULL, 0, "ab", 2, &err),
		ECS_OK);
	assert_int_equal(len, 43);
	mem_eq(buf, "DELETE /x HTTP/1.1\r\nContent-Length: 2\r\n\r\nab", len);
}

static void test_write_rejects_injection(void **state)
{
	static const struct {
		const char *method, *target, *name, *value, *msg;
	} bad[] = {
		{"GET\r\nX", "/", "A", "b", "method"},
		{"GE T", "/", "A", "b", "method"},
		{"", "/", "A", "b", "method"},
		{"GET", "/a\r\nHost: evil", "A", "b", "target"},
		{"GET", "/a b", "A", "b", "target"},
		{"GET", "/a\n", "A", "b", "target"},
		{"GET", "", "A", "b", "target"},
		{"GET", "/", "X-A\r\nEvil", "b", "header #1"},
		{"GET", "/", "X-A:", "b", "header #1"},
		{"GET", "/", "", "b", "header #1"},
		{"GET", "/", "X-Token", "a\r\nEvil: 1", "X-Token"},
		{"GET", "/", "X-Token", "a\nb", "X-Token"},
		{"GET", "/", "X-Token", "a\rb", "X-Token"},
		{"GET", "/", "X-Token", "a\x01", "X-Token"},
		{"POST", "/", "content-length", "5", "content-length"},
		{"POST", "/", "Transfer-Encoding", "chunked", "Transfer-Encoding"},
	};
	char buf[256];
	size_t i, len;
	ecs_err err;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		http_header h = {bad[i].name, bad[i].value};

		len = 77;
		assert_int_equal(http_write_request(buf, sizeof(buf), &len, bad[i].method,
						    bad[i].target, &h, 1, NULL, 0, &err),
				 ECS_E_INPUT);
		assert_int_equal(len, 0);
		assert_contains(err.msg, bad[i].msg);
	}
	assert_int_equal(
		http_write_request(buf, sizeof(buf), &len, "POST", "/", NULL, 0, NULL, 3, &err),
		ECS_E_INTERNAL);
	/* tabs and UTF-8 are fine in values */
	{
		http_header h = {"X-Note", "a\tb \xc3\xa9"};

		assert_int_equal(http_write_request(buf, sizeof(buf), &len, "GET", "/", &h, 1, NULL,
						    0, &err),
				 ECS_OK);
	}
}

static void test_write_nospace_every_cap(void **state)
{
	char full[512], buf[512 + 16];
	size_t need, len, cap;
	ecs_err err;
	char msg[64];

	(void)state;
	assert_int_equal(http_write_request(full, sizeof(full), &need, "POST", "/?x=1", hdrs, 2,
					    "hello body", 10, &err),
			 ECS_OK);
	for (cap = 0; cap < need; cap++) {
		memset(buf, 'Z', sizeof(buf));
		assert_int_equal(http_write_request(cap ? buf : NULL, cap, &len, "POST", "/?x=1",
						    hdrs, 2, "hello body", 10, &err),
				 ECS_E_NOSPACE);
		snprintf(msg, sizeof(msg), "request larger than %zu bytes", cap);
		assert_string_equal(err.msg, msg);
		for (size_t j = cap; j < sizeof(buf); j++)
			assert_int_equal(buf[j], 'Z');
	}
	memset(buf, 'Z', sizeof(buf));
	assert_int_equal(http_write_request(buf, need, &len, "POST", "/?x=1", hdrs, 2, "hello body",
					    10, &err),
			 ECS_OK);
	assert_int_equal(len, need);
	mem_eq(buf, full, need);
	assert_int_equal(buf[need], 'Z');
}

/* ---- parser: valid responses ---- */

#define S(lit) lit, sizeof(lit) - 1 /* a literal that may hold NULs, and its length */

typedef struct {
	const char *in;
	size_t len;
	int head;     /* request was HEAD */
	int eof;      /* close the connection after the input */
	size_t extra; /* bytes after the response, left for the next one */
	int status;
	unsigned flags; /* expected flags */
	const char *body;
	size_t body_len;
} sample;

static const sample valid[] = {
	{S("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"), 0, 0, 0, 200,
	 HTTP_F_LENGTH | HTTP_F_DONE, S("hello")},
	{S("HTTP/1.1 200 OK\nContent-Length: 5\n\nhello"), 0, 0, 0, 200,
	 HTTP_F_LENGTH | HTTP_F_DONE, S("hello")},
	{S("HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n"), 0, 0, 0, 200, HTTP_F_LENGTH | HTTP_F_DONE,
	 S("")},
	{S("HTTP/1.1 404 \r\nContent-Length: 2 , 2\r\ncontent-length:2\r\n\r\n{}"), 0, 0, 0, 404,
	 HTTP_F_LENGTH | HTTP_F_DONE, S("{}")},
	{S("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 3\r\n\r\nabc"), 0, 0, 0, 200,
	 HTTP_F_LENGTH | HTTP_F_CLOSE | HTTP_F_DONE, S("abc")},
	{S("HTTP/1.1 200 OK\r\nConnection: Keep-Alive, CLOSE\r\nContent-Length: 0\r\n\r\n"), 0, 0,
	 0, 200, HTTP_F_LENGTH | HTTP_F_CLOSE | HTTP_F_DONE, S("")},
	{S("HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nabc"), 0, 0, 0, 200,
	 HTTP_F_LENGTH | HTTP_F_CLOSE | HTTP_F_DONE, S("abc")},
	{S("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 3\r\n\r\nabc"), 0, 0, 0,
	 200, HTTP_F_LENGTH | HTTP_F_DONE, S("abc")},
	{S("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nConnection: close\r\nContent-Length: "
	   "0\r\n\r\n"),
	 0, 0, 0, 200, HTTP_F_LENGTH | HTTP_F_CLOSE | HTTP_F_DONE, S("")},
	{S("HTTP/1.1 200 OK\r\n\r\nuntil close"), 0, 1, 0, 200,
	 HTTP_F_EOF_BODY | HTTP_F_CLOSE | HTTP_F_DONE, S("until close")},
	{S("HTTP/1.0 200 OK\r\n\r\n"), 0, 1, 0, 200, HTTP_F_EOF_BODY | HTTP_F_CLOSE | HTTP_F_DONE,
	 S("")},
	/* no body: HEAD (even with a length larger than the buffer), 204, 304 */
	{S("HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\nNEXT"), 1, 0, 4, 200,
	 HTTP_F_LENGTH | HTTP_F_DONE, S("")},
	{S("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"), 1, 0, 0, 200,
	 HTTP_F_CHUNKED | HTTP_F_DONE, S("")},
	{S("HTTP/1.1 204 No Content\r\n\r\nNEXT"), 0, 0, 4, 204, HTTP_F_DONE, S("")},
	{S("HTTP/1.1 304 Not Modified\r\nContent-Length: 50\r\n\r\n"), 0, 0, 0, 304,
	 HTTP_F_LENGTH | HTTP_F_DONE, S("")},
	/* chunked, extensions, trailers, leading zeros, upper-case hex */
	{S("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	   "5;foo=bar;q=\"x y\"\r\nhello\r\n000006 ; ext\r\n world\r\nA\r\n0123456789\r\n"
	   "0;last\r\nX-Trailer: v\r\nY:\r\n\r\n"),
	 0, 0, 0, 200, HTTP_F_CHUNKED | HTTP_F_DONE, S("hello world0123456789")},
	{S("HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked, "
	   "\r\n\r\n1\r\n\0\r\n00000000000000000000\r\n\r\n"),
	 0, 0, 0, 200, HTTP_F_CHUNKED | HTTP_F_DONE, S("\0")},
	{S("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
	   "3\r\nabc\r\n0\r\nT: 1\nU: 2\n\nNEXT"),
	 0, 0, 4, 200, HTTP_F_CHUNKED | HTTP_F_CLOSE | HTTP_F_DONE, S("abc")},
	/* interim responses are skipped */
	{S("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\nX: y\r\n\r\n"
	   "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
	 0, 0, 0, 200, HTTP_F_LENGTH | HTTP_F_DONE, S("ok")},
	/* reason phrase with tabs and obs-text, header values with obs-text */
	{S("HTTP/1.1 500 Internal\tError \xe9\r\nX: caf\xc3\xa9\r\nContent-Length: 1\r\n\r\n!"), 0,
	 0, 0, 500, HTTP_F_LENGTH | HTTP_F_DONE, S("!")},
};

static void check_sample(const sample *s, const parsed *p)
{
	size_t n = s->len;

	if (p->st != ECS_OK)
		fail_msg("sample \"%.40s\": %s", s->in, p->err.msg);
	assert_true(http_resp_done(&p->r));
	assert_int_equal(p->r.error, HTTP_OK);
	assert_int_equal(p->r.status, s->status);
	assert_int_equal(p->r.flags, s->flags);
	assert_int_equal(p->used, n - s->extra);
	assert_int_equal(p->r.body_len, s->body_len);
	if (s->body_len > 0)
		mem_eq(p->r.body, s->body, s->body_len);
}

static void test_valid_samples(void **state)
{
	size_t i;
	parsed p;

	(void)state;
	for (i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
		run(&p, 0, valid[i].in, valid[i].len, 0, valid[i].head, 512, 64, valid[i].eof);
		check_sample(&valid[i], &p);
		assert_true(http_resp_started(&p.r));
	}
}

/* Every split gives the same result as one call: one byte at a time, and every split into two
 * pieces. */
static void test_splits_equal_whole(void **state)
{
	size_t i, step;
	parsed a, b;

	(void)state;
	for (i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
		const sample *s = &valid[i];
		size_t n = s->len;

		run(&a, 0, s->in, n, 0, s->head, 512, 64, s->eof);
		for (step = 1; step <= n; step++) {
			run(&b, 1, s->in, n, step, s->head, 512, 64, s->eof);
			check_sample(s, &b);
			assert_int_equal(a.r.hdr_len, b.r.hdr_len);
			mem_eq(a.r.hdr, b.r.hdr, a.r.hdr_len);
			assert_int_equal(a.r.minor_version, b.r.minor_version);
			assert_int_equal(a.r.content_length, b.r.content_length);
		}
		for (step = 1; step < n; step++) { /* two pieces: [0,step) and [step,n) */
			size_t u1 = 0, u2 = 0;
			ecs_err err;

			http_resp_init(&b.r, hdr_b, 512, body_b, 64, s->head);
			assert_int_equal(http_resp_feed(&b.r, s->in, step, &u1, &err), ECS_OK);
			if (!http_resp_done(&b.r))
				assert_int_equal(
					http_resp_feed(&b.r, s->in + step, n - step, &u2, &err),
					ECS_OK);
			if (s->eof)
				assert_int_equal(http_resp_eof(&b.r, &err), ECS_OK);
			assert_true(http_resp_done(&b.r));
			assert_int_equal(u1 + u2, a.used);
			assert_int_equal(b.r.body_len, a.r.body_len);
			mem_eq(b.r.body, a.r.body, a.r.body_len);
		}
	}
}

static void test_header_lookup(void **state)
{
	const char *in = "HTTP/1.1 200 OK\r\n"
			 "Content-Type:application/json \t \r\n"
			 "X-Acs-Request-Id:   \t ABC-123\r\n"
			 "x-dup: first\r\n"
			 "X-Dup: second\r\n"
			 "X-Empty:\r\n"
			 "X-Spaces:    \r\n"
			 "Date: Tue, 01 Jul 2025 10:00:00 GMT\n"
			 "Content-Length: 0\r\n\r\n";
	const char *v;
	size_t len = 99;
	parsed p;

	(void)state;
	run_str(&p, in, 512, 64, 0);
	assert_int_equal(p.st, ECS_OK);
	assert_int_equal(p.r.hdr_len, strlen(in)); /* the raw header section, byte for byte */
	v = http_resp_header(&p.r, "content-type", &len);
	assert_non_null(v);
	assert_int_equal(len, 16);
	assert_string_equal(v, "application/json"); /* NUL-terminated too */
	v = http_resp_header(&p.r, "X-ACS-REQUEST-ID", &len);
	assert_string_equal(v, "ABC-123");
	assert_int_equal(len, 7);
	assert_string_equal(http_resp_header(&p.r, "X-Dup", &len), "first");
	v = http_resp_header(&p.r, "x-empty", &len);
	assert_non_null(v);
	assert_int_equal(len, 0);
	v = http_resp_header(&p.r, "x-spaces", &len);
	assert_non_null(v);
	assert_int_equal(len, 0);
	assert_string_equal(http_resp_header(&p.r, "date", NULL), "Tue, 01 Jul 2025 10:00:00 GMT");
	assert_null(http_resp_header(&p.r, "X-Missing", &len));
	assert_int_equal(len, 0);
	assert_null(http_resp_header(&p.r, "X-Du", &len));
	assert_null(http_resp_header(&p.r, "HTTP/1.1 200 OK", &len)); /* not a field */
	assert_null(http_resp_header(&p.r, "", &len));
	/* interim responses' headers are forgotten */
	run_str(&p,
		"HTTP/1.1 100 Continue\r\nX-Interim: 1\r\n\r\nHTTP/1.1 200 OK\r\n"
		"Content-Length: 0\r\n\r\n",
		0, 0, 0);
	assert_int_equal(p.st, ECS_E_PROTO); /* hdr_cap 0 */
	run_str(&p,
		"HTTP/1.1 100 Continue\r\nX-Interim: 1\r\n\r\nHTTP/1.1 200 OK\r\n"
		"Content-Length: 0\r\n\r\n",
		512, 0, 0);
	assert_int_equal(p.st, ECS_OK);
	assert_null(http_resp_header(&p.r, "x-interim", NULL));
	assert_string_equal(http_resp_header(&p.r, "content-length", NULL), "0");
	/* before the section is complete there is nothing to find */
	http_resp_init(&p.r, hdr_a, 512, body_a, 64, 0);
	assert_null(http_resp_header(&p.r, "content-length", NULL));
	assert_int_equal(http_resp_feed(&p.r, "HTTP/1.1 200 OK\r\nA: b\r\n", 23, &len, &p.err),
			 ECS_OK);
	assert_null(http_resp_header(&p.r, "a", NULL));
}

/* ---- parser: every error ---- */

typedef struct {
	const char *in;
	size_t len;
	int eof;
	http_error want;
} bad_sample;

#define OK200	"HTTP/1.1 200 OK\r\n"
#define CHUNKED OK200 "Transfer-Encoding: chunked\r\n\r\n"

static const bad_sample bad[] = {
	{S("HTTP/1.2 200 OK\r\n\r\n"), 0, HTTP_E_STATUS_LINE},
	{S("HTTP/2 200 OK\r\n\r\n"), 0, HTTP_E_STATUS_LINE},
	{S("HTTP/1.1 20 OK\r\n\r\n"), 0, HTTP_E_STATUS_LINE},
	{S("HTTP/1.1 2000 OK\r\n\r\n"), 0, HTTP_E_STATUS_LINE},
	{S("HTTP/1.1 099 Low\r\n\r\n"), 0, HTTP_E_STATUS_LINE},
	{S("http/1.1 200 OK\r\n\r\n"), 0, HTTP_E_STATUS_LINE},
	{S("HTTP/1.1  200 OK\r\n\r\n"), 0, HTTP_E_STATUS_LINE},
	{S("HTTP/1.1 200 OK\rX\r\n\r\n"), 0, HTTP_E_STATUS_LINE},
	{S("HTTP/1.1 200 O\x01K\r\n\r\n"), 0, HTTP_E_STATUS_LINE},
	{S("HTTP/1.1 200 O\0K\r\n\r\n"), 0, HTTP_E_STATUS_LINE},
	{S("\r\nHTTP/1.1 200 OK\r\n\r\n"), 0, HTTP_E_STATUS_LINE},
	{S("SSH-2.0-OpenSSH_9.2\r\n"), 0, HTTP_E_STATUS_LINE},
	{S("HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n"), 0, HTTP_E_STATUS_LINE},
	{S(OK200 "Content-Length 5\r\n\r\n"), 0, HTTP_E_HEADER_LINE},
	{S(OK200 "Content-Length : 5\r\n\r\n"), 0, HTTP_E_HEADER_LINE},
	{S(OK200 ": 5\r\n\r\n"), 0, HTTP_E_HEADER_LINE},
	{S(OK200 "X(y): 5\r\n\r\n"), 0, HTTP_E_HEADER_LINE},
	{S(OK200 "X: a\rb\r\n\r\n"), 0, HTTP_E_HEADER_LINE},
	{S(OK200 "X: a\r\r\n\r\n"), 0, HTTP_E_HEADER_LINE},
	{S(OK200 "X: a\0b\r\n\r\n"), 0, HTTP_E_HEADER_LINE},
	{S(OK200 "X: a\x1b[31m\r\n\r\n"), 0, HTTP_E_HEADER_LINE},
	{S(OK200 "X: a\x7f\r\n\r\n"), 0, HTTP_E_HEADER_LINE},
	{S(OK200 "\r\r\n"), 0, HTTP_E_HEADER_LINE},
	{S(OK200 "X: a\r\n b\r\n\r\n"), 0, HTTP_E_OBS_FOLD},
	{S(OK200 "\tX: a\r\n\r\n"), 0, HTTP_E_OBS_FOLD},
	{S(OK200 "X-Filler: 0123456789012345678901234567890123456789012345678901234567890123456789"
		 "0123456789012345678901234567890123456789012345678901234567890123456789\r\n\r\n"),
	 0, HTTP_E_HEADERS_TOO_BIG},
	{S("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 100 Continue\r\n\r\n"
	   "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\n\r\n"
	   "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n\r\n"),
	 0, HTTP_E_TOO_MANY_1XX},
	{S(OK200 "Content-Length: -5\r\n\r\n"), 0, HTTP_E_BAD_LENGTH},
	{S(OK200 "Content-Length: +5\r\n\r\n"), 0, HTTP_E_BAD_LENGTH},
	{S(OK200 "Content-Length: 0x10\r\n\r\n"), 0, HTTP_E_BAD_LENGTH},
	{S(OK200 "Content-Length: 5 5\r\n\r\n"), 0, HTTP_E_BAD_LENGTH},
	{S(OK200 "Content-Length:\r\n\r\n"), 0, HTTP_E_BAD_LENGTH},
	{S(OK200 "Content-Length: 5,\r\n\r\n"), 0, HTTP_E_BAD_LENGTH},
	{S(OK200 "Content-Length: 18446744073709551616\r\n\r\n"), 0, HTTP_E_BAD_LENGTH},
	{S(OK200 "Content-Length: 99999999999999999999999\r\n\r\n"), 0, HTTP_E_BAD_LENGTH},
	{S(OK200 "Content-Length: 5\r\nContent-Length: 6\r\n\r\n"), 0, HTTP_E_LENGTH_CONFLICT},
	{S(OK200 "Content-Length: 5, 6\r\n\r\n"), 0, HTTP_E_LENGTH_CONFLICT},
	{S(OK200 "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"), 0,
	 HTTP_E_TE_AND_LENGTH},
	{S(OK200 "Transfer-Encoding: chunked\r\nContent-Length: 0\r\n\r\n0\r\n\r\n"), 0,
	 HTTP_E_TE_AND_LENGTH},
	{S(OK200 "Transfer-Encoding: gzip\r\n\r\n"), 0, HTTP_E_BAD_TE},
	{S(OK200 "Transfer-Encoding: gzip, chunked\r\n\r\n"), 0, HTTP_E_BAD_TE},
	{S(OK200 "Transfer-Encoding: chunked, gzip\r\n\r\n"), 0, HTTP_E_BAD_TE},
	{S(OK200 "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n"), 0,
	 HTTP_E_BAD_TE},
	{S(OK200 "Transfer-Encoding: chunkedx\r\n\r\n"), 0, HTTP_E_BAD_TE},
	{S(OK200 "Transfer-Encoding:\r\n\r\n"), 0, HTTP_E_BAD_TE},
	{S("HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"), 0, HTTP_E_BAD_TE},
	{S(CHUNKED "\r\n"), 0, HTTP_E_CHUNK_SIZE},
	{S(CHUNKED ";ext\r\n"), 0, HTTP_E_CHUNK_SIZE},
	{S(CHUNKED "-5\r\n"), 0, HTTP_E_CHUNK_SIZE},
	{S(CHUNKED "zz\r\n"), 0, HTTP_E_CHUNK_SIZE},
	{S(CHUNKED "0x10\r\n"), 0, HTTP_E_CHUNK_SIZE},
	{S(CHUNKED "5 5\r\n"), 0, HTTP_E_CHUNK_SIZE},
	{S(CHUNKED "1ffffffffffffffff\r\n"), 0, HTTP_E_CHUNK_SIZE},
	{S(CHUNKED "10000000000000000\r\n"), 0, HTTP_E_CHUNK_SIZE},
	{S(CHUNKED "5\r\nhelloX\r\n0\r\n\r\n"), 0, HTTP_E_CHUNK_JUNK},
	{S(CHUNKED "5\r\nhello\rX"), 0, HTTP_E_CHUNK_JUNK},
	{S(CHUNKED "5\r\nhello\n0\r\n\r\n"), 0, HTTP_E_CHUNK_JUNK},
	{S(CHUNKED "5\rX"), 0, HTTP_E_CHUNK_JUNK},
	{S(CHUNKED "5;a\x01\r\n"), 0, HTTP_E_CHUNK_JUNK},
	{S(CHUNKED "0\r\nX : y\r\n\r\n"), 0, HTTP_E_TRAILER},
	{S(CHUNKED "0\r\n y\r\n\r\n"), 0, HTTP_E_TRAILER},
	{S(CHUNKED "0\r\nnocolon\r\n\r\n"), 0, HTTP_E_TRAILER},
	{S(CHUNKED "0\r\nX: a\rb\r\n\r\n"), 0, HTTP_E_TRAILER},
	{S(CHUNKED "0\r\nX: a\x01\r\n\r\n"), 0, HTTP_E_TRAILER},
	{S(CHUNKED "0\r\n\rX"), 0, HTTP_E_TRAILER},
	{S(OK200 "Content-Length: 65\r\n\r\n"), 0, HTTP_E_BODY_TOO_BIG},
	{S(CHUNKED "41\r\n"), 0, HTTP_E_BODY_TOO_BIG},
	{S(CHUNKED "20\r\n0123456789abcdef0123456789abcdef\r\n21\r\n"), 0, HTTP_E_BODY_TOO_BIG},
	{S(CHUNKED "ffffffffffffffff\r\n"), 0, HTTP_E_BODY_TOO_BIG},
	{S(OK200 "\r\n0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef!"), 1,
	 HTTP_E_BODY_TOO_BIG},
	{S(""), 1, HTTP_E_EOF_HEADERS},
	{S("HTTP/1.1 200"), 1, HTTP_E_EOF_HEADERS},
	{S(OK200 "Content-Length: 5\r\n"), 1, HTTP_E_EOF_HEADERS},
	{S("HTTP/1.1 100 Continue\r\n\r\n"), 1, HTTP_E_EOF_HEADERS},
	{S(OK200 "Content-Length: 5\r\n\r\nhell"), 1, HTTP_E_EOF_BODY},
	{S(CHUNKED), 1, HTTP_E_EOF_BODY},
	{S(CHUNKED "5\r\nhel"), 1, HTTP_E_EOF_BODY},
	{S(CHUNKED "5\r\nhello\r\n0\r\n"), 1, HTTP_E_EOF_BODY},
	{S(CHUNKED "5\r\nhello\r\n0\r\nX: y\r\n"), 1, HTTP_E_EOF_BODY},
};

static void check_bad(const bad_sample *s, const parsed *p)
{
	char want[64];

	if (p->st != ECS_E_PROTO)
		fail_msg("\"%s\" was accepted, expected %s", s->in, http_error_text(s->want));
	if (p->r.error != s->want)
		fail_msg("\"%s\": got %s, expected %s", s->in, p->err.msg,
			 http_error_text(s->want));
	assert_false(http_resp_done(&p->r));
	assert_int_equal(p->err.status, ECS_E_PROTO);
	if (s->want == HTTP_E_HEADERS_TOO_BIG)
		snprintf(want, sizeof(want), "header section larger than %zu bytes", p->r.hdr_cap);
	else if (s->want == HTTP_E_BODY_TOO_BIG)
		snprintf(want, sizeof(want), "body larger than %zu bytes", p->r.body_cap);
	else
		snprintf(want, sizeof(want), "%s", http_error_text(s->want));
	if (s->want == HTTP_E_HEADERS_TOO_BIG || s->want == HTTP_E_BODY_TOO_BIG)
		assert_string_equal(p->err.msg, want);
	else
		assert_contains(p->err.msg, want);
}

static void test_errors(void **state)
{
	size_t i, step, seen = 0;
	parsed p;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t n = bad[i].len;

		for (step = 0; step <= n; step++) { /* whole, then every piece size */
			run(&p, step & 1, bad[i].in, n, step, 0, 128, 64, bad[i].eof);
			check_bad(&bad[i], &p);
		}
		seen |= 1u << bad[i].want;
	}
	/* every error but EXTRA_DATA (tested below) has a sample */
	assert_int_equal(seen, ((1u << HTTP_E_EXTRA_DATA) - 1) & ~1u);
}

static void test_error_texts(void **state)
{
	static const char *const want[] = {
		"no error",
		"malformed status line",
		"malformed header line",
		"obsolete header line folding",
		"header section larger than the buffer",
		"too many interim 1xx responses",
		"invalid Content-Length",
		"conflicting Content-Length values",
		"both Transfer-Encoding and Content-Length",
		"unsupported Transfer-Encoding",
		"invalid chunk size",
		"junk after chunk data",
		"malformed trailer",
		"body larger than the buffer",
		"connection closed before the headers ended",
		"connection closed before the body ended",
		"unexpected data after the response",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		assert_string_equal(http_error_text((http_error)i), want[i]);
	assert_string_equal(http_error_text((http_error)99), "unknown HTTP error");
}

/* Data after a finished response: left unconsumed for the next response, and an error if fed
 * to the finished parser. */
static void test_pipelined_and_extra_data(void **state)
{
	const char *r1 = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc";
	const char *r2 =
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nde\r\n0\r\n\r\n";
	const char *r3 = "HTTP/1.1 204 No Content\r\n\r\n";
	char two[256];
	size_t n, used, first = strlen(r1), second = strlen(r2);
	parsed p;

	(void)state;
	n = (size_t)snprintf(two, sizeof(two), "%s%s%s", r1, r2, r3);
	run_str(&p, two, 512, 64, 0);
	assert_int_equal(p.st, ECS_OK);
	assert_int_equal(p.used, first);
	assert_body(&p, "abc");
	run(&p, 1, two + first, n - first, 0, 0, 512, 64, 0);
	assert_int_equal(p.st, ECS_OK);
	assert_int_equal(p.used, second);
	assert_body(&p, "de");
	run(&p, 0, two + first + second, n - first - second, 0, 0, 512, 64, 0);
	assert_int_equal(p.st, ECS_OK);
	assert_int_equal(p.used, n - first - second);
	assert_int_equal(p.r.status, 204);

	/* used may be NULL */
	http_resp_init(&p.r, hdr_a, 512, body_a, 64, 0);
	assert_int_equal(http_resp_feed(&p.r, two, n, NULL, &p.err), ECS_OK);
	assert_body(&p, "abc");
	/* a finished parser accepts an empty feed and EOF, rejects more bytes */
	run_str(&p, two, 512, 64, 0);
	assert_int_equal(http_resp_feed(&p.r, "", 0, &used, &p.err), ECS_OK);
	assert_int_equal(used, 0);
	assert_int_equal(http_resp_eof(&p.r, &p.err), ECS_OK);
	assert_int_equal(http_resp_feed(&p.r, "H", 1, &used, &p.err), ECS_E_PROTO);
	assert_int_equal(used, 0);
	assert_int_equal(p.r.error, HTTP_E_EXTRA_DATA);
	assert_contains(p.err.msg, "unexpected data after the response");
	assert_false(http_resp_done(&p.r));
	assert_int_equal(p.r.flags & HTTP_F_DONE, 0);
}

static void test_body_cap_exact(void **state)
{
	static char in[512];
	const char *body = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	parsed p;
	int len;

	(void)state;
	/* Content-Length */
	len = snprintf(in, sizeof(in), OK200 "Content-Length: 64\r\n\r\n%s", body);
	run(&p, 0, in, (size_t)len, 0, 0, 512, 64, 0);
	assert_int_equal(p.st, ECS_OK);
	assert_body(&p, body);
	run(&p, 0, in, (size_t)len, 1, 0, 512, 63, 0);
	assert_int_equal(p.r.error, HTTP_E_BODY_TOO_BIG);
	assert_string_equal(p.err.msg, "body larger than 63 bytes");
	assert_int_equal(p.r.body_len, 0); /* failed before reading any */
	/* chunked: the sum of the chunks */
	len = snprintf(in, sizeof(in), CHUNKED "20\r\n%.32s\r\n20\r\n%s\r\n0\r\n\r\n", body,
		       body + 32);
	run(&p, 0, in, (size_t)len, 0, 0, 512, 64, 0);
	assert_int_equal(p.st, ECS_OK);
	assert_body(&p, body);
	run(&p, 0, in, (size_t)len, 1, 0, 512, 63, 0);
	assert_int_equal(p.r.error, HTTP_E_BODY_TOO_BIG);
	assert_string_equal(p.err.msg, "body larger than 63 bytes");
	/* until close */
	len = snprintf(in, sizeof(in), OK200 "\r\n%s", body);
	run(&p, 0, in, (size_t)len, 0, 0, 512, 64, 1);
	assert_int_equal(p.st, ECS_OK);
	assert_body(&p, body);
	run(&p, 0, in, (size_t)len, 7, 0, 512, 63, 1);
	assert_int_equal(p.r.error, HTTP_E_BODY_TOO_BIG);
	assert_string_equal(p.err.msg, "body larger than 63 bytes");
	/* zero-sized body buffer */
	run_str(&p, OK200 "Content-Length: 0\r\n\r\n", 512, 0, 0);
	assert_int_equal(p.st, ECS_OK);
	run_str(&p, CHUNKED "0\r\n\r\n", 512, 0, 0);
	assert_int_equal(p.st, ECS_OK);
	run_str(&p, CHUNKED "1\r\n", 512, 0, 0);
	assert_int_equal(p.r.error, HTTP_E_BODY_TOO_BIG);
	assert_string_equal(p.err.msg, "body larger than 0 bytes");
}

static void test_header_cap_exact(void **state)
{
	const char *in = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-A: b\r\n\r\nhi";
	size_t sect = strlen(in) - 2, cap, step;
	char want[64];
	parsed p;

	(void)state;
	for (step = 0; step <= 3; step++) {
		run(&p, 0, in, strlen(in), step, 0, sect, 8, 0);
		assert_int_equal(p.st, ECS_OK);
		assert_int_equal(p.r.hdr_len, sect);
		assert_body(&p, "hi");
		assert_string_equal(http_resp_header(&p.r, "x-a", NULL), "b");
		for (cap = 0; cap < sect; cap++) {
			run(&p, 1, in, strlen(in), step, 0, cap, 8, 0);
			assert_int_equal(p.r.error, HTTP_E_HEADERS_TOO_BIG);
			snprintf(want, sizeof(want), "header section larger than %zu bytes", cap);
			assert_string_equal(p.err.msg, want);
		}
	}
}

static void test_interim(void **state)
{
	static char in[1024];
	size_t off = 0;
	parsed p;
	int i;

	(void)state;
	/* five interim responses are fine, with headers each, then 200 */
	for (i = 0; i < 5; i++)
		off += (size_t)snprintf(in + off, sizeof(in) - off,
					"HTTP/1.1 100 Continue\r\nX-N: %d\r\n\r\n", i);
	off += (size_t)snprintf(in + off, sizeof(in) - off, OK200 "Content-Length: 1\r\n\r\nx");
	run(&p, 0, in, off, 1, 0, 64, 8, 0);
	assert_int_equal(p.st, ECS_OK);
	assert_int_equal(p.r.status, 200);
	assert_int_equal(p.r.interim_count, 5);
	assert_body(&p, "x");
	/* hdr_cap applies to each header section, not their sum */
	assert_true(off > 64);
	/* 101 is not an interim response for us */
	run_str(&p, "HTTP/1.1 101 Switching Protocols\r\n\r\n", 64, 8, 0);
	assert_int_equal(p.r.error, HTTP_E_STATUS_LINE);
	assert_contains(p.err.msg, "101");
	/* an interim response's framing headers mean nothing */
	run_str(&p,
		"HTTP/1.1 100 Continue\r\nContent-Length: 5\r\n\r\n" OK200
		"Content-Length: 1\r\n\r\ny",
		64, 8, 0);
	assert_int_equal(p.st, ECS_OK);
	assert_body(&p, "y");
}

static void test_chunk_sizes(void **state)
{
	parsed p;

	(void)state;
	run_str(&p, CHUNKED "1ffffffffffffffff\r\n", 512, 64, 0);
	assert_int_equal(p.r.error, HTTP_E_CHUNK_SIZE);
	run_str(&p, CHUNKED "ffffffffffffffff\r\n", 512, 64, 0);
	assert_int_equal(p.r.error, HTTP_E_BODY_TOO_BIG);
	run_str(&p, CHUNKED "0000000000000000000000000000000003\r\nabc\r\n0\r\n\r\n", 512, 64, 0);
	assert_int_equal(p.st, ECS_OK);
	assert_body(&p, "abc");
	/* chunk-size lines and trailers are bounded */
	{
		static char in[6000];
		int n = snprintf(in, sizeof(in), CHUNKED "1;%04094d\r\nx\r\n0\r\n\r\n", 0);

		run(&p, 0, in, (size_t)n, 0, 0, 512, 64, 0); /* 4096 bytes: fine */
		assert_int_equal(p.st, ECS_OK);
		n = snprintf(in, sizeof(in), CHUNKED "1;%04095d\r\nx\r\n0\r\n\r\n", 0);
		run(&p, 0, in, (size_t)n, 0, 0, 512, 64, 0);
		assert_int_equal(p.r.error, HTTP_E_CHUNK_JUNK);
		n = snprintf(in, sizeof(in), CHUNKED "%05000d1\r\nx\r\n0\r\n\r\n", 0);
		run(&p, 0, in, (size_t)n, 0, 0, 512, 64, 0);
		assert_int_equal(p.r.error, HTTP_E_CHUNK_JUNK);
		n = snprintf(in, sizeof(in), CHUNKED "0\r\nX: %05000d\r\n\r\n", 0);
		run(&p, 0, in, (size_t)n, 0, 0, 512, 64, 0);
		assert_int_equal(p.r.error, HTTP_E_TRAILER);
	}
}

static void test_eof(void **state)
{
	parsed p;
	ecs_err err;

	(void)state;
	/* nothing received: not started, so the caller can say "closed before answering" */
	http_resp_init(&p.r, hdr_a, 64, body_a, 64, 0);
	assert_false(http_resp_started(&p.r));
	assert_int_equal(http_resp_eof(&p.r, &err), ECS_E_PROTO);
	assert_int_equal(p.r.error, HTTP_E_EOF_HEADERS);
	assert_false(http_resp_started(&p.r));
	/* one byte received: started */
	run_str(&p, "H", 64, 64, 1);
	assert_int_equal(p.r.error, HTTP_E_EOF_HEADERS);
	assert_true(http_resp_started(&p.r));
	/* a close-delimited body ends at EOF */
	run_str(&p, OK200 "\r\nabc", 64, 64, 0);
	assert_int_equal(p.st, ECS_OK);
	assert_false(http_resp_done(&p.r));
	assert_int_equal(http_resp_eof(&p.r, &err), ECS_OK);
	assert_true(http_resp_done(&p.r));
	assert_body(&p, "abc");
	assert_int_equal(p.r.flags, HTTP_F_EOF_BODY | HTTP_F_CLOSE | HTTP_F_DONE);
	/* errors are sticky: feed and eof repeat them */
	run_str(&p, OK200 "Content-Length: 5\r\n\r\nhel", 64, 64, 1);
	assert_int_equal(p.r.error, HTTP_E_EOF_BODY);
	assert_int_equal(http_resp_feed(&p.r, "lo", 2, &p.used, &err), ECS_E_PROTO);
	assert_int_equal(p.used, 0);
	assert_contains(err.msg, "connection closed before the body ended");
	assert_int_equal(http_resp_eof(&p.r, &err), ECS_E_PROTO);
	assert_int_equal(p.r.error, HTTP_E_EOF_BODY);
	run_str(&p, OK200 "Content-Length: 99\r\n\r\n", 64, 64, 0);
	assert_int_equal(p.r.error, HTTP_E_BODY_TOO_BIG);
	assert_int_equal(http_resp_feed(&p.r, "x", 1, &p.used, &err), ECS_E_PROTO);
	assert_string_equal(err.msg, "body larger than 64 bytes");
	assert_int_equal(http_resp_eof(&p.r, &err), ECS_E_PROTO);
	assert_int_equal(p.r.error, HTTP_E_BODY_TOO_BIG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_get_exact),
		cmocka_unit_test(test_write_post_exact),
		cmocka_unit_test(test_write_rejects_injection),
		cmocka_unit_test(test_write_nospace_every_cap),
		cmocka_unit_test(test_valid_samples),
		cmocka_unit_test(test_splits_equal_whole),
		cmocka_unit_test(test_header_lookup),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_error_texts),
		cmocka_unit_test(test_pipelined_and_extra_data),
		cmocka_unit_test(test_body_cap_exact),
		cmocka_unit_test(test_header_cap_exact),
		cmocka_unit_test(test_interim),
		cmocka_unit_test(test_chunk_sizes),
		cmocka_unit_test(test_eof),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
