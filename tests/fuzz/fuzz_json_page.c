/*
 * libFuzzer harness for the JSON layer (src/json.c) and the mapping of an API answer to
 * records (ecs_parse_page / ecs_parse_error in src/ecs.c). The input is a response body.
 *
 * Besides "no crash", it checks what the headers promise: json_parse agrees with itself
 * across token caps; every accessor stays inside the document; json_string reports
 * NOSPACE exactly when the output does not fit; json_int64/json_bool accept only their
 * literals; json_quote output parses back to the same string (or, for invalid UTF-8, to
 * the bytes as U+0080..U+00FF); error fields carry no control characters.
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>

#include "ecs.h"
#include "fuzz_common.h"
#include "json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define BIG_CAP	    8192
#define DEEP_TOKENS 3000 /* tokens checked one by one (bounds the time per input) */

static ecs_page page;
static jsmntok_t big_toks[BIG_CAP];

/* Length of a valid UTF-8 sequence at s (n bytes left), 0 if invalid (RFC 3629). */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	size_t need, k;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xC2 && s[0] <= 0xDF)
		need = 2, cp = s[0] & 0x1Fu;
	else if (s[0] >= 0xE0 && s[0] <= 0xEF)
		need = 3, cp = s[0] & 0x0Fu;
	else if (s[0] >= 0xF0 && s[0] <= 0xF4)
		need = 4, cp = s[0] & 0x07u;
	else
		return 0;
	if (n < need)
		return 0;
	for (k = 1; k < need; k++) {
		if ((s[k] & 0xC0) != 0x80)
			return 0;
		cp = cp << 6 | (s[k] & 0x3Fu);
	}
	if ((need == 3 && cp < 0x800) || (need == 4 && cp < 0x10000) || cp > 0x10FFFF ||
	    (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return need;
}

static int utf8_valid(const char *s, size_t n)
{
	size_t i = 0, k;

	while (i < n) {
		k = utf8_seq((const unsigned char *)s + i, n - i);
		if (k == 0)
			return 0;
		i += k;
	}
	return 1;
}

/* What json_quote + json_string must give back for s: valid sequences as they are, any
 * other byte b as U+00b in UTF-8. out holds 2n bytes. */
static size_t expected_round_trip(const char *s, size_t n, char *out)
{
	size_t i = 0, o = 0, k;

	while (i < n) {
		unsigned char b = (unsigned char)s[i];

		k = utf8_seq((const unsigned char *)s + i, n - i);
		if (k > 0) {
			memcpy(out + o, s + i, k);
			o += k;
			i += k;
		} else {
			out[o++] = (char)(0xC0 | (b >> 6));
			out[o++] = (char)(0x80 | (b & 0x3F));
			i++;
		}
	}
	return o;
}

/* json_quote(s) must fit exactly in out_len + 1 bytes and parse back (see above). */
static void check_quote(const char *s, size_t n)
{
	size_t cap = 6 * n + 3, qlen = 0, qlen2 = 0, blen = 0, elen;
	char *q = fz_canary_buf(cap), *q2, *wrapped, *back, *exp;
	jsmntok_t toks[4];
	json_doc d;
	ecs_err err;
	ecs_status st;

	st = json_quote(s, n, q, cap, &qlen);
	CHECK(st == ECS_OK);
	CHECK(fz_canary_ok(q, cap));
	CHECK(qlen >= 2 && qlen < cap && q[0] == '"' && q[qlen - 1] == '"' && q[qlen] == '\0');
	/* the smallest buffer that fits, and one byte less */
	q2 = fz_canary_buf(qlen + 1);
	CHECK(json_quote(s, n, q2, qlen + 1, &qlen2) == ECS_OK && qlen2 == qlen);
	CHECK(memcmp(q, q2, qlen + 1) == 0 && fz_canary_ok(q2, qlen + 1));
	free(q2);
	q2 = fz_canary_buf(qlen);
	CHECK(json_quote(s, n, q2, qlen, &qlen2) == ECS_E_NOSPACE);
	CHECK(fz_canary_ok(q2, qlen));
	free(q2);

	wrapped = fz_alloc(qlen + 2);
	wrapped[0] = '[';
	memcpy(wrapped + 1, q, qlen);
	wrapped[qlen + 1] = ']';
	st = json_parse(&d, wrapped, qlen + 2, toks, 4, &err);
	CHECK(st == ECS_OK && d.ntok == 2 && json_is_string(&d, 1));
	back = fz_alloc(2 * n + 1);
	st = json_string(&d, 1, back, 2 * n + 1, &blen);
	exp = fz_alloc(2 * n + 1);
	elen = expected_round_trip(s, n, exp);
	if (memchr(s, '\0', n) != NULL) {
		CHECK(st == ECS_E_PROTO); /* "\u0000" is refused */
	} else {
		CHECK(st == ECS_OK);
		CHECK(blen == elen && (blen == 0 || memcmp(back, exp, blen) == 0));
		if (utf8_valid(s, n))
			CHECK(blen == n && (n == 0 || memcmp(back, s, n) == 0));
		CHECK(utf8_valid(back, blen));
	}
	fz_free(exp, 2 * n + 1);
	fz_free(back, 2 * n + 1);
	fz_free(wrapped, qlen + 2);
	free(q);
}

static int is_ctl_free(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

static void check_page(ecs_status st, const ecs_err *err)
{
	size_t k;

	CHECK(fz_terminated(page.request_id, sizeof(page.request_id)));
	CHECK(fz_terminated(page.next_token, sizeof(page.next_token)));
	if (st != ECS_OK) {
		CHECK(st == ECS_E_PROTO || st == ECS_E_NOSPACE);
		CHECK(err->status == st && err->msg[0] != '\0');
		return;
	}
	CHECK(page.n <= ECS_PAGE_MAX);
	for (k = 0; k < page.n; k++) {
		const ecs_record *r = &page.rec[k];

		CHECK(fz_terminated(r->id, sizeof(r->id)) && r->id[0] != '\0');
		CHECK(r->status >= -1 && r->status <= 1);
		CHECK(r->session_manager >= -1 && r->session_manager <= 1);
		CHECK(fz_terminated(r->version, sizeof(r->version)));
		CHECK(fz_terminated(r->os, sizeof(r->os)));
		CHECK(fz_terminated(r->last_heartbeat, sizeof(r->last_heartbeat)));
		CHECK(fz_terminated(r->last_invoked, sizeof(r->last_invoked)));
	}
}

static jsmntok_t page_tok[ECS_JSON_TOKENS];

static void check_api_error(const char *js, size_t len)
{
	ecs_api_error e;

	memset(&e, 0x5a, sizeof(e));
	ecs_parse_error(js, len, 503, &e, page_tok, ECS_JSON_TOKENS);
	CHECK(e.http_status == 503);
	CHECK(fz_terminated(e.code, sizeof(e.code)) && is_ctl_free(e.code));
	CHECK(fz_terminated(e.message, sizeof(e.message)) && is_ctl_free(e.message));
	CHECK(fz_terminated(e.request_id, sizeof(e.request_id)) && is_ctl_free(e.request_id));
	CHECK(fz_terminated(e.recommend, sizeof(e.recommend)) && is_ctl_free(e.recommend));
}

/* Raw text of token i, NUL-terminated, if it fits in cap and has no NUL. */
static int raw_text(const json_doc *d, int i, char *out, size_t cap)
{
	size_t n = (size_t)(d->tok[i].end - d->tok[i].start);

	if (n >= cap || memchr(d->js + d->tok[i].start, '\0', n) != NULL)
		return 0;
	memcpy(out, d->js + d->tok[i].start, n);
	out[n] = '\0';
	return 1;
}

static void check_int(const json_doc *d, int i)
{
	int64_t v = 12345;
	char raw[32], fmt[32];
	int r = json_int64(d, i, &v);

	if (r != 0) {
		CHECK(r == -1);
		return;
	}
	CHECK(d->tok[i].type == JSMN_PRIMITIVE || d->tok[i].type == JSMN_STRING);
	CHECK(raw_text(d, i, raw, sizeof(raw)));
	snprintf(fmt, sizeof(fmt), "%" PRId64, v);
	CHECK(strcmp(raw, fmt) == 0 || (strcmp(raw, "-0") == 0 && v == 0));
}

static void check_bool(const json_doc *d, int i)
{
	static const char *const yes[] = {"true", "True", "TRUE"};
	static const char *const no[] = {"false", "False", "FALSE"};
	char raw[8];
	int b = 7, r = json_bool(d, i, &b), k, hit = -1;

	if (r != 0) {
		CHECK(r == -1 && b == 7);
		return;
	}
	CHECK(raw_text(d, i, raw, sizeof(raw)));
	for (k = 0; k < 3; k++) {
		if (strcmp(raw, yes[k]) == 0)
			hit = 1;
		if (strcmp(raw, no[k]) == 0)
			hit = 0;
	}
	CHECK(hit == b);
	if (d->tok[i].type == JSMN_PRIMITIVE)
		CHECK(strcmp(raw, "true") == 0 || strcmp(raw, "false") == 0);
}

static void check_string(const json_doc *d, int i)
{
	size_t tl = (size_t)(d->tok[i].end - d->tok[i].start), len = 0, len2 = 0;
	char *out, *o2;
	ecs_status st;

	out = fz_alloc(tl + 1);
	st = json_string(d, i, out, tl + 1, &len);
	if (!json_is_string(d, i)) {
		CHECK(st == ECS_E_PROTO);
		fz_free(out, tl + 1);
		return;
	}
	CHECK(st == ECS_OK || st == ECS_E_PROTO); /* unescaping never grows the text */
	CHECK(json_string(d, i, out, 0, &len2) == ECS_E_NOSPACE ||
	      json_string(d, i, out, 0, &len2) == ECS_E_PROTO);
	if (st == ECS_OK) {
		CHECK(len <= tl && out[len] == '\0' && memchr(out, '\0', len) == NULL);
		/* exactly enough room, then one byte less */
		o2 = fz_canary_buf(len + 1);
		CHECK(json_string(d, i, o2, len + 1, &len2) == ECS_OK && len2 == len);
		CHECK(memcmp(o2, out, len + 1) == 0 && fz_canary_ok(o2, len + 1));
		free(o2);
		o2 = fz_canary_buf(len);
		CHECK(json_string(d, i, o2, len, &len2) == ECS_E_NOSPACE);
		CHECK(fz_canary_ok(o2, len));
		free(o2);
		/* json_eq compares the raw text */
		if (len == tl && memchr(d->js + d->tok[i].start, '\\', tl) == NULL)
			CHECK(json_eq(d, i, out));
		if (len < 2048)
			check_quote(out, len);
	}
	fz_free(out, tl + 1);
}

static void check_object(const json_doc *d, int obj)
{
	int k, j = obj + 1, end = json_skip(d, obj), size = json_size(d, obj);
	char key[128], key2[128], path[260];

	CHECK(size >= 0);
	for (k = 0; k < size && j + 1 < d->ntok; k++) {
		int v;

		CHECK(json_is_string(d, j)); /* json_parse checked every key */
		if (raw_text(d, j, key, sizeof(key)) && key[0] != '\0' &&
		    strchr(key, '.') == NULL) {
			v = json_get(d, obj, key);
			CHECK(v > obj && v < end && json_eq(d, v - 1, key));
			CHECK(json_path(d, obj, key) == v);
			/* one step further down */
			if (d->tok[v].type == JSMN_OBJECT && json_size(d, v) > 0 &&
			    raw_text(d, v + 1, key2, sizeof(key2)) && key2[0] != '\0' &&
			    strchr(key2, '.') == NULL) {
				snprintf(path, sizeof(path), "%s.%s", key, key2);
				CHECK(json_path(d, obj, path) == json_get(d, v, key2));
			}
		}
		j = json_skip(d, j + 1);
	}
	CHECK(json_get(d, obj, "\x01no such key") == -1);
}

static void check_tokens(const json_doc *d)
{
	int i, k, lim = d->ntok < DEEP_TOKENS ? d->ntok : DEEP_TOKENS;

	CHECK(json_skip(d, 0) == d->ntok);
	CHECK(json_skip(d, -1) == d->ntok && json_skip(d, d->ntok) == d->ntok);
	CHECK(json_get(d, -1, "a") == -1 && json_get(d, d->ntok, "a") == -1);
	CHECK(json_array_at(d, d->ntok, 0) == -1 && json_size(d, -5) == -1);
	CHECK(!json_is_string(d, d->ntok) && !json_is_null(d, -1));
	for (i = 0; i < lim; i++) {
		const jsmntok_t *t = &d->tok[i];
		int sk = json_skip(d, i), sz = json_size(d, i);

		CHECK(t->start >= 0 && t->end >= t->start && (size_t)t->end <= d->len);
		CHECK(sk > i && sk <= d->ntok);
		CHECK((sz >= 0) == (t->type == JSMN_OBJECT || t->type == JSMN_ARRAY));
		CHECK(json_is_null(d, i) == (t->type == JSMN_PRIMITIVE && t->end - t->start == 4 &&
					     memcmp(d->js + t->start, "null", 4) == 0));
		check_int(d, i);
		check_bool(d, i);
		check_string(d, i);
		if (t->type == JSMN_OBJECT)
			check_object(d, i);
		else
			CHECK(json_get(d, i, "InstanceId") == -1);
		if (t->type == JSMN_ARRAY) {
			for (k = 0; k <= sz && k < 200; k++) {
				int a = json_array_at(d, i, k);

				CHECK(a == -1 || (a > i && a < sk));
				if (k == sz)
					CHECK(a == -1);
			}
			CHECK(json_array_at(d, i, -1) == -1);
		} else {
			CHECK(json_array_at(d, i, 0) == -1);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned caps[] = {1, 3, 64};
	const char *js = (const char *)data; /* libFuzzer's copy has exactly size bytes */
	ecs_err err;
	ecs_status st, st_big;
	json_doc big, small;
	size_t c;

	memset(&err, 0, sizeof(err));
	st = ecs_parse_page(js, size, &page, page_tok, ECS_JSON_TOKENS, &err);
	check_page(st, &err);
	check_api_error(js, size);

	st_big = json_parse(&big, js, size, big_toks, BIG_CAP, &err);
	if (st_big == ECS_OK) {
		size_t k;

		CHECK(big.ntok >= 1 && big.ntok <= BIG_CAP);
		/* one JSON text: only whitespace around the top-level value */
		for (k = 0; k < size; k++)
			if (k < (size_t)big.tok[0].start || k >= (size_t)big.tok[0].end)
				CHECK(js[k] == ' ' || js[k] == '\t' || js[k] == '\n' ||
				      js[k] == '\r');
		CHECK(big.tok[0].type == JSMN_OBJECT || big.tok[0].type == JSMN_ARRAY);
		check_tokens(&big);
	} else {
		CHECK(st_big == ECS_E_PROTO && err.msg[0] != '\0');
	}
	/* fewer tokens: success only when the document fits, and then the same tokens */
	for (c = 0; c < NELEM(caps); c++) {
		jsmntok_t *t = (jsmntok_t *)(void *)fz_alloc(caps[c] * sizeof(jsmntok_t));

		st = json_parse(&small, js, size, t, caps[c], &err);
		if (st == ECS_OK) {
			CHECK(st_big == ECS_OK && small.ntok == big.ntok);
			CHECK(memcmp(t, big_toks, (size_t)small.ntok * sizeof(jsmntok_t)) == 0);
		} else {
			CHECK(st == ECS_E_PROTO);
		}
		fz_free((char *)t, caps[c] * sizeof(jsmntok_t));
	}

	/* the raw input as a string value */
	if (size < 2048)
		check_quote(js, size);
	return 0;
}
