/*
 * libFuzzer harness for the HTTP/1.1 response parser (src/http.c).
 *
 * Input: byte 0 picks the buffer sizes and the mode, bytes 1-2 seed the split pattern, the
 * rest is what the server sends. The same bytes are parsed twice: all at once (the
 * reference) and fed in random-sized pieces; the parser promises that any split gives the
 * same result, so the two must agree. Exact-size heap buffers let ASan see any byte written
 * past hdr_cap or body_cap.
 *   byte 0 bits 0-2  header buffer size (HDR_CAPS)
 *          bits 3-5  body buffer size (BODY_CAPS)
 *          bit 6     the request was HEAD
 *          bit 7     pipelining: the response (as far as the reference parsed it) twice in
 *                    one buffer must give two identical responses
 *   bytes 1-2        split seed: 0 = one piece, 1 = byte by byte, else random pieces
 */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_common.h"
#include "http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const size_t HDR_CAPS[] = {1, 12, 40, 128, 512, 2048, 8192, 16384};
static const size_t BODY_CAPS[] = {0, 1, 5, 32, 256, 4096, 65536, 131072};

typedef struct {
	http_resp r;
	ecs_err err;
	ecs_status st;
	size_t used;	     /* bytes consumed by the response */
	int done_before_eof; /* complete without the connection closing */
	char *hdr, *body;
	size_t hcap, bcap;
} run_t;

typedef struct {
	uint32_t rng;
	int mode; /* 0 one piece, 1 byte by byte, 2 random */
	size_t maxpiece;
} splitter;

static void split_init(splitter *s, unsigned seed)
{
	static const size_t MAXP[] = {1, 2, 3, 7, 16, 64, 512, 4096};

	s->rng = seed * 2654435761u + 1u;
	s->mode = seed == 0 ? 0 : seed == 1 ? 1 : 2;
	s->maxpiece = MAXP[seed % NELEM(MAXP)];
}

static size_t split_next(splitter *s, size_t left)
{
	size_t k;

	if (s->mode == 0)
		return left;
	if (s->mode == 1)
		return left > 0 ? 1 : 0;
	k = 1 + fz_rand(&s->rng) % s->maxpiece;
	return k < left ? k : left;
}

static int is_ows(char c)
{
	return c == ' ' || c == '\t';
}

static void check_error_state(run_t *x)
{
	http_error e = x->r.error;
	ecs_err err2;
	size_t used = 77;
	ecs_status st;

	CHECK(x->st == ECS_E_PROTO);
	CHECK(e != HTTP_OK);
	CHECK(x->err.status == ECS_E_PROTO);
	CHECK(x->err.msg[0] != '\0');
	CHECK(strcmp(http_error_text(e), "unknown HTTP error") != 0);
	CHECK(!http_resp_done(&x->r));
	CHECK(!(x->r.flags & HTTP_F_DONE));
	/* errors are sticky, whatever comes next */
	st = http_resp_feed(&x->r, "HTTP/1.1 200 OK\r\n\r\n", 19, &used, &err2);
	CHECK(st == ECS_E_PROTO && x->r.error == e && used == 0);
	st = http_resp_feed(&x->r, "", 0, &used, &err2);
	CHECK(st == ECS_E_PROTO && x->r.error == e && used == 0);
	st = http_resp_eof(&x->r, &err2);
	CHECK(st == ECS_E_PROTO && x->r.error == e);
	CHECK(!http_resp_done(&x->r));
}

static void check_value(const run_t *x, const char *v, size_t len)
{
	const char *h = x->r.hdr;

	CHECK(v >= h && v + len < h + x->r.hdr_len);
	CHECK(v[len] == '\0');
	CHECK(memchr(v, '\0', len) == NULL);
	CHECK(memchr(v, '\r', len) == NULL && memchr(v, '\n', len) == NULL);
	if (len > 0)
		CHECK(!is_ows(v[0]) && !is_ows(v[len - 1]));
}

static void check_headers(const run_t *x)
{
	static const char *const names[] = {"content-length",
					    "Content-Length",
					    "transfer-encoding",
					    "Connection",
					    "date",
					    "x-acs-request-id",
					    "Content-Type",
					    "",
					    ":",
					    "content-length:",
					    "HTTP/1.1 200 OK"};
	const http_resp *r = &x->r;
	const char *v, *line;
	char name[256];
	size_t i, len, pos;

	CHECK(r->hdr_len <= r->hdr_cap);
	for (i = 0; i < NELEM(names); i++) {
		len = 12345;
		v = http_resp_header(r, names[i], &len);
		if (v != NULL)
			check_value(x, v, len);
		else
			CHECK(len == 0);
	}
	CHECK(http_resp_header(r, "x-no-such-header-in-any-seed", NULL) == NULL);
	if (r->flags & HTTP_F_LENGTH)
		CHECK(http_resp_header(r, "content-length", NULL) != NULL);
	if (r->flags & HTTP_F_CHUNKED)
		CHECK(http_resp_header(r, "TRANSFER-ENCODING", NULL) != NULL);
	/* every stored field can be found by its own name (the first one with it) */
	pos = 0;
	while (pos < r->hdr_len && r->hdr[pos] != '\0')
		pos++;
	while (pos < r->hdr_len) {
		size_t nl;

		while (pos < r->hdr_len && r->hdr[pos] == '\0')
			pos++;
		if (pos >= r->hdr_len)
			break;
		line = r->hdr + pos;
		for (nl = 0; pos + nl < r->hdr_len && line[nl] != ':' && line[nl] != '\0'; nl++)
			;
		CHECK(pos + nl < r->hdr_len && line[nl] == ':'); /* validated when received */
		if (nl < sizeof(name)) {
			memcpy(name, line, nl);
			name[nl] = '\0';
			v = http_resp_header(r, name, &len);
			CHECK(v != NULL);
			check_value(x, v, len);
		}
		while (pos < r->hdr_len && r->hdr[pos] != '\0')
			pos++;
	}
}

static void check_done_state(run_t *x, size_t n)
{
	const http_resp *r = &x->r;
	ecs_err err2;
	size_t used = 77;

	CHECK(x->st == ECS_OK);
	CHECK(http_resp_done(r) && (r->flags & HTTP_F_DONE));
	CHECK(r->error == HTTP_OK);
	CHECK(x->used <= n);
	CHECK(r->status >= 200 && r->status <= 999);
	CHECK(r->minor_version == 0 || r->minor_version == 1);
	CHECK(r->body_len <= r->body_cap);
	CHECK(http_resp_started(r));
	CHECK(!((r->flags & HTTP_F_CHUNKED) && (r->flags & HTTP_F_LENGTH)));
	if (r->flags & HTTP_F_EOF_BODY)
		CHECK(r->flags & HTTP_F_CLOSE);
	if (r->no_body)
		CHECK(r->body_len == 0);
	else if (r->flags & HTTP_F_LENGTH)
		CHECK(r->body_len == r->content_length);
	check_headers(x);
	/* feeding nothing and closing are harmless once done */
	CHECK(http_resp_feed(&x->r, "", 0, &used, &err2) == ECS_OK && used == 0);
	CHECK(http_resp_eof(&x->r, &err2) == ECS_OK && http_resp_done(&x->r));
}

/* Offset just past the final header section of in[0..n) (interim 1xx responses skipped), found
 * naively line by line; valid only for input the parser accepted. */
static size_t body_start(const char *in, size_t n)
{
	size_t pos = 0;

	for (;;) {
		int st = 0, first = 1;

		for (;;) {
			const char *lf = memchr(in + pos, '\n', n - pos);
			size_t l;

			CHECK(lf != NULL);
			l = (size_t)(lf - (in + pos));
			if (l > 0 && in[pos + l - 1] == '\r')
				l--;
			if (first)
				st = (in[pos + 9] - '0') * 100 + (in[pos + 10] - '0') * 10 +
				     (in[pos + 11] - '0');
			pos = (size_t)(lf - in) + 1;
			if (!first && l == 0)
				break;
			first = 0;
		}
		if (st >= 200)
			return pos;
	}
}

static int hexd(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The body as a naive decoder reads it from the raw bytes, compared with the parser's. */
static void check_body(const run_t *x, const char *in, size_t n)
{
	const http_resp *r = &x->r;
	size_t b = body_start(in, n), o = 0;

	CHECK(b <= x->used);
	if (r->no_body) {
		CHECK(b == x->used);
	} else if (r->flags & HTTP_F_CHUNKED) {
		for (;;) {
			uint64_t sz = 0;

			while (hexd(in[b]) >= 0)
				sz = sz * 16 + (uint64_t)hexd(in[b++]);
			while (in[b] != '\n')
				b++; /* extensions */
			b++;
			if (sz == 0)
				break;
			CHECK(o + sz <= r->body_len &&
			      memcmp(r->body + o, in + b, (size_t)sz) == 0);
			o += (size_t)sz;
			b += (size_t)sz;
			CHECK(in[b] == '\r' && in[b + 1] == '\n');
			b += 2;
		}
		CHECK(o == r->body_len);
		CHECK(b <= x->used); /* then the trailer section */
	} else if (r->flags & HTTP_F_LENGTH) {
		CHECK(x->used == b + r->body_len);
		CHECK(r->body_len == 0 || memcmp(r->body, in + b, r->body_len) == 0);
	} else {
		CHECK(r->flags & HTTP_F_EOF_BODY);
		CHECK(x->used == n && r->body_len == n - b);
		CHECK(r->body_len == 0 || memcmp(r->body, in + b, r->body_len) == 0);
	}
}

/* Parses d[0..n) into x with buffers of the given sizes, split by seed. */
static void run(run_t *x, const char *d, size_t n, size_t hcap, size_t bcap, int head,
		unsigned seed, int do_eof)
{
	splitter sp;
	size_t off = 0;
	uint32_t zr = seed ^ 0x5bd1e995u;

	memset(x, 0, sizeof(*x));
	x->hcap = hcap;
	x->bcap = bcap;
	x->hdr = fz_alloc(hcap);
	x->body = fz_alloc(bcap);
	split_init(&sp, seed);
	http_resp_init(&x->r, x->hdr, hcap, x->body, bcap, head);
	CHECK(!http_resp_started(&x->r) && !http_resp_done(&x->r));
	x->st = ECS_OK;
	while (off < n) {
		size_t k = split_next(&sp, n - off), used = (size_t)-1;

		if (sp.mode == 2 && fz_rand(&zr) % 16 == 0) { /* an empty read now and then */
			x->st = http_resp_feed(&x->r, d + off, 0, &used, &x->err);
			CHECK(x->st == ECS_OK && used == 0);
		}
		x->st = http_resp_feed(&x->r, d + off, k, &used, &x->err);
		CHECK(used <= k);
		CHECK(x->r.body_len <= x->r.body_cap);
		CHECK(x->r.hdr_len <= x->r.hdr_cap);
		off += used;
		if (x->st != ECS_OK || http_resp_done(&x->r))
			break;
		CHECK(used == k); /* not done: everything was consumed */
		if (k > 0)
			CHECK(http_resp_started(&x->r));
	}
	x->used = off;
	x->done_before_eof = x->st == ECS_OK && http_resp_done(&x->r);
	if (do_eof && x->st == ECS_OK && !http_resp_done(&x->r))
		x->st = http_resp_eof(&x->r, &x->err);
	if (x->st == ECS_OK)
		CHECK(http_resp_done(&x->r) || !do_eof);
}

static void run_free(run_t *x)
{
	fz_free(x->hdr, x->hcap);
	fz_free(x->body, x->bcap);
}

/* Two parses of the same bytes must agree. */
static void same_result(const run_t *a, const run_t *b)
{
	CHECK(a->st == b->st);
	CHECK(a->r.error == b->r.error);
	CHECK(http_resp_done(&a->r) == http_resp_done(&b->r));
	if (a->st != ECS_OK)
		return;
	CHECK(a->done_before_eof == b->done_before_eof);
	if (!http_resp_done(&a->r))
		return;
	CHECK(a->used == b->used);
	CHECK(a->r.status == b->r.status);
	CHECK(a->r.minor_version == b->r.minor_version);
	CHECK(a->r.flags == b->r.flags);
	CHECK(a->r.content_length == b->r.content_length);
	CHECK(a->r.body_len == b->r.body_len);
	CHECK(a->r.body_len == 0 || memcmp(a->r.body, b->r.body, a->r.body_len) == 0);
	CHECK(a->r.hdr_len == b->r.hdr_len);
	CHECK(a->r.hdr_len == 0 || memcmp(a->r.hdr, b->r.hdr, a->r.hdr_len) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t hcap, bcap, n;
	int head, pipeline;
	unsigned seed;
	char *in;
	run_t ref, cut;

	if (size < 3)
		return 0;
	hcap = HDR_CAPS[data[0] & 7];
	bcap = BODY_CAPS[(data[0] >> 3) & 7];
	head = (data[0] >> 6) & 1;
	pipeline = (data[0] >> 7) & 1;
	seed = (unsigned)data[1] | (unsigned)data[2] << 8;
	n = size - 3;
	in = fz_alloc(n); /* exact size: ASan sees any read past the input */
	if (n > 0)
		memcpy(in, data + 3, n);

	run(&ref, in, n, hcap, bcap, head, 0, 1);
	run(&cut, in, n, hcap, bcap, head, seed, 1);
	same_result(&ref, &cut);
	if (ref.st != ECS_OK) {
		check_error_state(&ref);
		check_error_state(&cut);
	} else {
		check_done_state(&ref, n);
		check_done_state(&cut, n);
		check_body(&ref, in, n);
		if (ref.used < n) {
			/* leftover bytes on a non-pipelined exchange */
			ecs_err e2;
			size_t u = 99;

			CHECK(ref.done_before_eof);
			CHECK(http_resp_feed(&ref.r, in + ref.used, n - ref.used, &u, &e2) ==
			      ECS_E_PROTO);
			CHECK(ref.r.error == HTTP_E_EXTRA_DATA && u == 0);
			ref.st = ECS_E_PROTO;
			ref.err = e2;
			check_error_state(&ref);
		}
	}

	if (pipeline && cut.st == ECS_OK && cut.done_before_eof && cut.used > 0) {
		/* the response exactly as far as it went, twice back to back */
		size_t k = cut.used;
		char *two = fz_alloc(2 * k);
		run_t p1, p2;

		memcpy(two, in, k);
		memcpy(two + k, in, k);
		run(&p1, two, 2 * k, hcap, bcap, head, seed + 1, 0);
		CHECK(p1.st == ECS_OK && p1.done_before_eof && p1.used == k);
		same_result(&cut, &p1);
		run(&p2, two + k, k, hcap, bcap, head, seed + 2, 0);
		CHECK(p2.st == ECS_OK && p2.done_before_eof && p2.used == k);
		same_result(&cut, &p2);
		check_done_state(&p2, k);
		run_free(&p1);
		run_free(&p2);
		fz_free(two, 2 * k);
	}
	run_free(&ref);
	run_free(&cut);
	fz_free(in, n);
	return 0;
}
