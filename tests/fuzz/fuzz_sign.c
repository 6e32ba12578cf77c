/*
 * libFuzzer harness for the request signer (src/sign.c).
 *
 * Input: byte 0 picks the method, the URI and the short buffer sizes; the rest is split into
 * lines "name=value" (the first '=' splits; at most MAX_PAIRS lines) used as query
 * parameters and as headers. The first line's value is the secret and its name the key id.
 * The rest is also percent-encoded as a whole and parsed as an HTTP date.
 *
 * Every writer runs with a buffer that is large enough (its output is then checked against
 * an independent computation: percent-decoding, HMAC-SHA1/SHA-256 with mbedTLS directly)
 * and with buffers that are exactly large enough, one byte short, and a random short size:
 * those must give the same output or ECS_E_NOSPACE, and never touch the canary bytes
 * after the buffer.
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>

#include "creds.h"
#include "fuzz_common.h"
#include "mbedtls/base64.h"
#include "mbedtls/md.h"
#include "sign.h"

/* the canonical request is built here (sign_v3_authorization takes a caller buffer) */
static char sign_work[12288];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_PAIRS     48
#define V3_CR_MAX     12288 /* sign.c's canonical request buffer */
#define V3_SIGNED_MAX 512

static char LONG_METHOD[301];
static char LONG_URI[1201];

static int unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_' || c == '.' || c == '~';
}

static int hexv(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1; /* upper case only */
}

/* Checks that enc[0..n) is the Alibaba percent-encoding of src[0..sl). */
static void check_encoding(const char *src, size_t sl, const char *enc, size_t n)
{
	size_t i = 0, j = 0;

	while (i < n) {
		unsigned char c = (unsigned char)enc[i];

		CHECK(j < sl);
		if (c == '%') {
			CHECK(i + 2 < n && hexv(enc[i + 1]) >= 0 && hexv(enc[i + 2]) >= 0);
			CHECK((unsigned char)src[j] ==
			      (unsigned)(hexv(enc[i + 1]) * 16 + hexv(enc[i + 2])));
			CHECK(!unreserved((unsigned char)src[j]));
			i += 3;
		} else {
			CHECK(unreserved(c) && (unsigned char)src[j] == c);
			i++;
		}
		j++;
	}
	CHECK(j == sl);
}

/* Exact size: same output; one byte short and a random short size: NOSPACE. The writer
 * is called through fn with a fresh canary buffer of the given cap. */
typedef ecs_status (*writer_fn)(void *ctx, char *dst, size_t cap, size_t *len);

static void check_caps(writer_fn fn, void *ctx, const char *want, size_t want_len, unsigned r)
{
	size_t caps[4], k, len;
	char *b;
	ecs_status st;

	caps[0] = want_len + 1;
	caps[1] = want_len;
	caps[2] = want_len > 0 ? r % want_len : 0;
	caps[3] = 0;
	for (k = 0; k < 4; k++) {
		b = fz_canary_buf(caps[k]);
		len = (size_t)-1;
		st = fn(ctx, b, caps[k], &len);
		CHECK(fz_canary_ok(b, caps[k]));
		if (k == 0) {
			CHECK(st == ECS_OK && len == want_len);
			CHECK(memcmp(b, want, want_len) == 0 && b[want_len] == '\0');
		} else {
			CHECK(st == ECS_E_NOSPACE);
		}
		free(b);
	}
}

/* ---- percent-encoding ---- */

typedef struct {
	const char *s;
	size_t n;
} enc_ctx;

static ecs_status enc_fn(void *ctx, char *dst, size_t cap, size_t *len)
{
	const enc_ctx *e = ctx;

	return sign_pct_encode(e->s, e->n, dst, cap, len);
}

static void check_pct(const char *s, size_t n, unsigned r)
{
	size_t cap = 3 * n + 1, len = 0;
	char *out = fz_alloc(cap);
	enc_ctx e = {s, n};

	CHECK(sign_pct_encode(s, n, out, cap, &len) == ECS_OK);
	CHECK(len < cap && out[len] == '\0');
	check_encoding(s, n, out, len);
	check_caps(enc_fn, &e, out, len, r);
	fz_free(out, cap);
}

/* ---- canonical query and v1 ---- */

typedef struct {
	const sign_pair *in;
	size_t n;
	sign_pair work[MAX_PAIRS];
	const char *method, *secret;
	size_t secret_len;
	int with_sts;
} q_ctx;

static ecs_status canon_fn(void *ctx, char *dst, size_t cap, size_t *len)
{
	q_ctx *q = ctx;

	memcpy(q->work, q->in, q->n * sizeof(sign_pair));
	return sign_canonical_query(q->work, q->n, dst, cap, len);
}

static ecs_status v1_fn(void *ctx, char *dst, size_t cap, size_t *len)
{
	q_ctx *q = ctx;
	char sts[64]; /* too small on purpose when with_sts: then NOSPACE, never an overflow */

	memcpy(q->work, q->in, q->n * sizeof(sign_pair));
	return sign_v1_query(q->method, q->work, q->n, q->secret, q->secret_len, dst, cap, len,
			     q->with_sts ? sts : NULL, q->with_sts ? sizeof(sts) : 0);
}

static int cmp_counted(const char *a, size_t al, const char *b, size_t bl)
{
	size_t n = al < bl ? al : bl;
	int c = n > 0 ? memcmp(a, b, n) : 0;

	return c != 0 ? c : (al < bl ? -1 : al > bl ? 1 : 0);
}

static size_t enc_append(char *dst, size_t pos, const char *s, size_t n)
{
	size_t i;
	static const char hx[] = "0123456789ABCDEF";

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (unreserved(c)) {
			dst[pos++] = (char)c;
		} else {
			dst[pos++] = '%';
			dst[pos++] = hx[c >> 4];
			dst[pos++] = hx[c & 15];
		}
	}
	return pos;
}

static void check_query(q_ctx *q, unsigned r, char **canon_out, size_t *canon_len_out)
{
	size_t i, cap = 1, len = 0, pos = 0, sts_cap, v1_cap, v1_len = 0, v1b_len = 0;
	char *canon, *expect, *sts, *sts_exp, *v1, *v1b;
	unsigned char mac[20], key[300];
	char sig[32];
	size_t sig_len = 0, keylen;
	ecs_status st, st2;

	for (i = 0; i < q->n; i++)
		cap += 3 * (q->in[i].name_len + q->in[i].value_len) + 2;
	canon = fz_alloc(cap);
	expect = fz_alloc(cap);
	CHECK(canon_fn(q, canon, cap, &len) == ECS_OK);
	CHECK(len < cap && canon[len] == '\0');
	/* sorted by name, then value, byte order */
	for (i = 1; i < q->n; i++) {
		int c = cmp_counted(q->work[i - 1].name, q->work[i - 1].name_len, q->work[i].name,
				    q->work[i].name_len);

		CHECK(c < 0 ||
		      (c == 0 && cmp_counted(q->work[i - 1].value, q->work[i - 1].value_len,
					     q->work[i].value, q->work[i].value_len) <= 0));
	}
	for (i = 0; i < q->n; i++) {
		if (i > 0)
			expect[pos++] = '&';
		pos = enc_append(expect, pos, q->work[i].name, q->work[i].name_len);
		expect[pos++] = '=';
		pos = enc_append(expect, pos, q->work[i].value, q->work[i].value_len);
	}
	CHECK(pos == len && (len == 0 || memcmp(canon, expect, len) == 0));
	check_caps(canon_fn, q, canon, len, r);
	fz_free(expect, cap);

	/* v1: string to sign and signature, checked against mbedTLS directly */
	sts_cap = strlen(q->method) + 5 + 3 * len + 1;
	sts = fz_alloc(sts_cap);
	sts_exp = fz_alloc(sts_cap);
	v1_cap = len + 11 + 3 * 28 + 1;
	v1 = fz_alloc(v1_cap);
	memcpy(q->work, q->in, q->n * sizeof(sign_pair));
	st = sign_v1_query(q->method, q->work, q->n, q->secret, q->secret_len, v1, v1_cap, &v1_len,
			   sts, sts_cap);
	pos = strlen(q->method);
	memcpy(sts_exp, q->method, pos);
	memcpy(sts_exp + pos, "&%2F&", 5);
	pos = enc_append(sts_exp, pos + 5, canon, len);
	if (q->secret_len > 255) {
		CHECK(st == ECS_E_INPUT); /* a secret that long is refused, not truncated */
	} else {
		CHECK(st == ECS_OK);
		CHECK(strlen(sts) == pos && memcmp(sts, sts_exp, pos) == 0);
		keylen = q->secret_len;
		memcpy(key, q->secret, keylen);
		key[keylen++] = '&';
		CHECK(mbedtls_md_hmac(mbedtls_md_info_from_type(MBEDTLS_MD_SHA1), key, keylen,
				      (const unsigned char *)sts, pos, mac) == 0);
		CHECK(mbedtls_base64_encode((unsigned char *)sig, sizeof(sig), &sig_len, mac,
					    sizeof(mac)) == 0);
		CHECK(v1_len > len + 11 && memcmp(v1, canon, len) == 0);
		CHECK(memcmp(v1 + len, "&Signature=", 11) == 0);
		check_encoding(sig, sig_len, v1 + len + 11, v1_len - len - 11);
		CHECK(v1[v1_len] == '\0');
		/* without sts_out the string to sign is built in the tail of dst */
		v1b = fz_alloc(len + 1 + pos + 1 + 3 * 28 + 11);
		memcpy(q->work, q->in, q->n * sizeof(sign_pair));
		st2 = sign_v1_query(q->method, q->work, q->n, q->secret, q->secret_len, v1b,
				    len + 1 + pos + 1 + 3 * 28 + 11, &v1b_len, NULL, 0);
		CHECK(st2 == ECS_OK && v1b_len == v1_len && memcmp(v1b, v1, v1_len + 1) == 0);
		fz_free(v1b, len + 1 + pos + 1 + 3 * 28 + 11);
		/* short buffers: NOSPACE or the same answer, never past the buffer */
		{
			size_t caps[5], k, l2;
			char *b;

			caps[0] = v1_len;
			caps[1] = len + 1;
			caps[2] = len + 1 + pos; /* one short of the tail the sts needs */
			caps[3] = r % (v1_len + 1);
			caps[4] = v1_len + 1 + (r >> 8) % 64;
			for (k = 0; k < 5; k++) {
				q->with_sts = (int)((r >> k) & 1);
				b = fz_canary_buf(caps[k]);
				l2 = 0;
				st2 = v1_fn(q, b, caps[k], &l2);
				CHECK(fz_canary_ok(b, caps[k]));
				CHECK(st2 == ECS_OK || st2 == ECS_E_NOSPACE);
				if (st2 == ECS_OK)
					CHECK(l2 == v1_len && memcmp(b, v1, v1_len + 1) == 0);
				free(b);
			}
		}
	}
	fz_free(v1, v1_cap);
	fz_free(sts, sts_cap);
	fz_free(sts_exp, sts_cap);
	*canon_out = canon;
	*canon_len_out = len;
}

/* ---- V3 ---- */

typedef struct {
	const char *method, *uri, *canon, *hash, *key_id, *secret;
	size_t canon_len, key_id_len, secret_len;
	const sign_pair *h;
	size_t nh;
	size_t signed_cap;
	char *signed_buf;
} v3_ctx;

static ecs_status cr_fn(void *ctx, char *dst, size_t cap, size_t *len)
{
	v3_ctx *v = ctx;

	return sign_v3_canonical_request(v->method, v->uri, v->canon, v->canon_len, v->h, v->nh,
					 v->hash, dst, cap, len, NULL, 0);
}

static ecs_status auth_fn(void *ctx, char *dst, size_t cap, size_t *len)
{
	v3_ctx *v = ctx;

	return sign_v3_authorization(v->method, v->uri, v->canon, v->canon_len, v->h, v->nh,
				     v->hash, v->key_id, v->key_id_len, v->secret, v->secret_len,
				     dst, cap, len, NULL, sign_work, sizeof(sign_work));
}

static int lower_eq_prefix(const char *s, size_t n, const char *p)
{
	size_t i, pl = strlen(p);

	if (n < pl)
		return 0;
	for (i = 0; i < pl; i++) {
		char c = s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] + 32) : s[i];

		if (c != p[i])
			return 0;
	}
	return 1;
}

static int is_signed(const sign_pair *h)
{
	return (h->name_len == 4 && lower_eq_prefix(h->name, 4, "host")) ||
	       (h->name_len == 12 && lower_eq_prefix(h->name, 12, "content-type")) ||
	       (h->name_len > 6 && lower_eq_prefix(h->name, h->name_len, "x-acs-"));
}

static void check_v3(v3_ctx *v, unsigned r)
{
	size_t i, ns = 0, cap = 1, len = 0, slen = 0, sstr, prefix, alen = 0;
	char *cr, *sl, hash[65], hex[65];
	unsigned char mac[32];
	ecs_status st;

	for (i = 0; i < v->nh; i++) {
		cap += 2 * v->h[i].name_len + v->h[i].value_len + 3;
		if (is_signed(&v->h[i])) {
			slen += (ns > 0) +
				v->h[i].name_len; /* "a;b": names are counted, may hold NUL */
			ns++;
		}
	}
	cap += strlen(v->method) + strlen(v->uri) + v->canon_len + strlen(v->hash) + 8;
	cr = fz_alloc(cap);
	v->signed_cap = 2 * cap;
	sl = fz_canary_buf(v->signed_cap);
	st = sign_v3_canonical_request(v->method, v->uri, v->canon, v->canon_len, v->h, v->nh,
				       v->hash, cr, cap, &len, sl, v->signed_cap);
	CHECK(fz_canary_ok(sl, v->signed_cap));
	if (ns > 32) {
		CHECK(st == ECS_E_NOSPACE); /* more signed headers than the signer takes */
		free(sl);
		fz_free(cr, cap);
		return;
	}
	CHECK(st == ECS_OK && len < cap && cr[len] == '\0');
	sstr = strlen(sl); /* what a C string reader (the Authorization writer) sees */
	CHECK(sstr <= slen && sl[slen] == '\0');
	/* METHOD \n URI \n QUERY \n headers \n SIGNED \n HASH */
	prefix = strlen(v->method) + strlen(v->uri) + v->canon_len + 3;
	CHECK(len >= prefix && memcmp(cr, v->method, strlen(v->method)) == 0);
	CHECK(memcmp(cr + len - strlen(v->hash), v->hash, strlen(v->hash)) == 0);
	CHECK(len >= prefix + slen + strlen(v->hash) + 2);
	CHECK(memcmp(cr + len - strlen(v->hash) - 1 - slen, sl, slen) == 0);
	for (i = 0; i < slen; i++)
		CHECK(!(sl[i] >= 'A' && sl[i] <= 'Z'));
	{
		size_t semis = 0;

		for (i = 0; i < slen; i++)
			semis += sl[i] == ';';
		CHECK(ns == 0 ? slen == 0 : semis >= ns - 1);
	}
	check_caps(cr_fn, v, cr, len, r);
	/* the signed-headers buffer: exact, one short */
	{
		char *b = fz_canary_buf(slen + 1), *c2 = fz_alloc(cap);
		size_t l2;

		CHECK(sign_v3_canonical_request(v->method, v->uri, v->canon, v->canon_len, v->h,
						v->nh, v->hash, c2, cap, &l2, b,
						slen + 1) == ECS_OK);
		CHECK(fz_canary_ok(b, slen + 1) && memcmp(b, sl, slen + 1) == 0);
		free(b);
		b = fz_canary_buf(slen);
		CHECK(sign_v3_canonical_request(v->method, v->uri, v->canon, v->canon_len, v->h,
						v->nh, v->hash, c2, cap, &l2, b,
						slen) == ECS_E_NOSPACE);
		CHECK(fz_canary_ok(b, slen));
		free(b);
		fz_free(c2, cap);
	}

	/* Authorization, recomputed with mbedTLS */
	{
		size_t acap = 28 + v->key_id_len + 15 + sstr + 11 + 64 + 1;
		char *a = fz_alloc(acap), *want = fz_alloc(acap);
		unsigned char stsb[17 + 64];
		size_t w = 0;

		st = sign_v3_authorization(v->method, v->uri, v->canon, v->canon_len, v->h, v->nh,
					   v->hash, v->key_id, v->key_id_len, v->secret,
					   v->secret_len, a, acap, &alen, hash, sign_work,
					   sizeof(sign_work));
		if (len + 1 > V3_CR_MAX || slen + 1 > V3_SIGNED_MAX) {
			CHECK(st == ECS_E_NOSPACE);
		} else if (v->secret_len > 256) {
			CHECK(st == ECS_E_INPUT);
		} else {
			CHECK(st == ECS_OK);
			sign_sha256_hex(cr, len, hex);
			CHECK(memcmp(hash, hex, 65) == 0);
			memcpy(stsb, "ACS3-HMAC-SHA256\n", 17);
			memcpy(stsb + 17, hex, 64);
			CHECK(mbedtls_md_hmac(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256),
					      (const unsigned char *)v->secret, v->secret_len, stsb,
					      sizeof(stsb), mac) == 0);
			for (i = 0; i < 32; i++)
				snprintf(hex + 2 * i, 3, "%02x", mac[i]);
			memcpy(want, "ACS3-HMAC-SHA256 Credential=", 28);
			w = 28;
			memcpy(want + w, v->key_id, v->key_id_len);
			w += v->key_id_len;
			memcpy(want + w, ",SignedHeaders=", 15);
			w += 15;
			memcpy(want + w, sl, sstr);
			w += sstr;
			memcpy(want + w, ",Signature=", 11);
			w += 11;
			memcpy(want + w, hex, 64);
			w += 64;
			CHECK(alen == w && memcmp(a, want, w) == 0 && a[w] == '\0');
			check_caps(auth_fn, v, a, alen, r);
		}
		fz_free(a, acap);
		fz_free(want, acap);
	}
	free(sl);
	fz_free(cr, cap);
}

/* ---- dates ---- */

static const char *const MON[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
				  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
static const char *const WDAY[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};

/* t as "YYYY-MM-DDThh:mm:ssZ" split into numbers with the signer's own formatter. */
static void fields(int64_t t, int *y, int *mo, int *d, int *h, int *mi, int *s)
{
	char f[21];

	sign_format_time(t, f);
	*y = atoi(f);
	*mo = atoi(f + 5);
	*d = atoi(f + 8);
	*h = atoi(f + 11);
	*mi = atoi(f + 14);
	*s = atoi(f + 17);
}

static void check_date_forms(int64_t t)
{
	int y, mo, d, h, mi, s;
	int64_t back, days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
	const char *wd = WDAY[((days % 7) + 7 + 4) % 7];
	char buf[64];

	fields(t, &y, &mo, &d, &h, &mi, &s);
	snprintf(buf, sizeof(buf), "%s, %02d %s %04d %02d:%02d:%02d GMT", wd, d, MON[mo - 1], y, h,
		 mi, s);
	CHECK(sign_parse_http_date(buf, strlen(buf), &back) == 0 && back == t);
	snprintf(buf, sizeof(buf), "%s %s %2d %02d:%02d:%02d %04d", wd, MON[mo - 1], d, h, mi, s,
		 y);
	CHECK(sign_parse_http_date(buf, strlen(buf), &back) == 0 && back == t);
	if (y >= 1970 && y <= 2069) {
		snprintf(buf, sizeof(buf), "Sunday, %02d-%s-%02d %02d:%02d:%02d GMT", d,
			 MON[mo - 1], y % 100, h, mi, s);
		CHECK(sign_parse_http_date(buf, strlen(buf), &back) == 0 && back == t);
	}
	if (y >= 1970) {
		/* the credentials module parses the signer's timestamp format */
		sign_format_time(t, buf);
		CHECK(creds_parse_time(buf, 20, &back) == 0 && back == t);
	}
}

static void check_dates(const char *s, size_t n)
{
	const int64_t lo = -62167219200LL, hi = 253402300799LL;
	int64_t t = 0;
	char f[21];
	size_t i;

	if (sign_parse_http_date(s, n, &t) == 0) {
		CHECK(t >= lo && t <= hi + 1); /* :60 on the last second of 9999 */
		if (t <= hi)
			check_date_forms(t);
	}
	/* the formatter on any 64-bit value: clamped, always well-formed */
	if (n >= 8) {
		uint64_t u = 0;

		for (i = 0; i < 8; i++)
			u = u << 8 | (unsigned char)s[i];
		t = (int64_t)u;
		sign_format_time(t, f);
		CHECK(f[4] == '-' && f[7] == '-' && f[10] == 'T' && f[13] == ':' && f[16] == ':' &&
		      f[19] == 'Z' && f[20] == '\0');
		if (t >= lo && t <= hi)
			check_date_forms(t);
		else if (t < lo)
			CHECK(strcmp(f, "0000-01-01T00:00:00Z") == 0);
		else
			CHECK(strcmp(f, "9999-12-31T23:59:59Z") == 0);
	}
}

/* Length of s[0..n) up to the first c. */
static size_t strcspn_n(const char *s, size_t n, char c)
{
	const char *p = memchr(s, c, n);

	return p != NULL ? (size_t)(p - s) : n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const METHODS[] = {"GET", "POST", "", LONG_METHOD};
	sign_pair pairs[MAX_PAIRS];
	size_t np = 0, n, off = 0;
	const char *rest, *uris[4];
	unsigned r;
	char *canon = NULL, hash[65];
	size_t canon_len = 0;
	q_ctx q;
	v3_ctx v;

	if (size < 1)
		return 0;
	if (LONG_METHOD[0] == '\0') {
		memset(LONG_METHOD, 'M', sizeof(LONG_METHOD) - 1);
		memset(LONG_URI, 'u', sizeof(LONG_URI) - 1);
		LONG_URI[0] = '/';
	}
	uris[0] = "/";
	uris[1] = "";
	uris[2] = "/a b/%2F?x";
	uris[3] = LONG_URI;
	r = (unsigned)data[0] * 2654435761u;
	n = size - 1;
	rest = (const char *)fz_alloc(n);
	if (n > 0)
		memcpy((char *)rest, data + 1, n);

	check_pct(rest, n, r);

	/* lines "name=value" */
	while (off < n && np < MAX_PAIRS) {
		const char *l = rest + off, *nl = memchr(l, '\n', n - off), *eq;
		size_t ll = nl != NULL ? (size_t)(nl - l) : n - off;

		off += ll + (nl != NULL);
		eq = memchr(l, '=', ll);
		pairs[np].name = l;
		pairs[np].name_len = eq != NULL ? (size_t)(eq - l) : ll;
		pairs[np].value = eq != NULL ? eq + 1 : l + ll;
		pairs[np].value_len = eq != NULL ? ll - (size_t)(eq - l) - 1 : 0;
		np++;
	}

	memset(&q, 0, sizeof(q));
	q.in = pairs;
	q.n = np;
	q.method = METHODS[data[0] & 3];
	q.secret = np > 0 ? pairs[0].value : "";
	q.secret_len = np > 0 ? pairs[0].value_len : 0;
	check_query(&q, r, &canon, &canon_len);

	memset(&v, 0, sizeof(v));
	v.method = q.method;
	v.uri = uris[(data[0] >> 2) & 3];
	v.canon = canon;
	v.canon_len = canon_len;
	sign_sha256_hex(rest, n, hash);
	v.hash = (data[0] >> 4) & 1 ? hash : "";
	v.h = pairs;
	v.nh = np;
	v.key_id = np > 0 ? pairs[0].name : "";
	v.key_id_len = np > 0 ? pairs[0].name_len : 0;
	v.secret = q.secret;
	v.secret_len = q.secret_len;
	check_v3(&v, r);

	check_dates(rest, n);
	/* a date on the first line alone, as a Date header would bring it */
	if (np > 0)
		check_dates(rest, strcspn_n(rest, n, '\n'));

	free(canon);
	fz_free((char *)rest, n);
	return 0;
}
