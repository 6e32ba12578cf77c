#include "sign.h"

#include <string.h>

#include "mbedtls/base64.h"
#include "mbedtls/md.h"
#include "mbedtls/platform_util.h"
#include "mbedtls/sha256.h"

static const char HEX_UP[] = "0123456789ABCDEF";
static const char HEX_LO[] = "0123456789abcdef";

static int unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_' || c == '.' || c == '~';
}

/* Appends n bytes to dst at *pos, keeping room for the final NUL. */
static ecs_status put(char *dst, size_t cap, size_t *pos, const char *s, size_t n)
{
	if (cap == 0 || n > cap - 1 || *pos > cap - 1 - n)
		return ECS_E_NOSPACE;
	memcpy(dst + *pos, s, n);
	*pos += n;
	dst[*pos] = '\0';
	return ECS_OK;
}

static ecs_status put_str(char *dst, size_t cap, size_t *pos, const char *s)
{
	return put(dst, cap, pos, s, strlen(s));
}

static ecs_status put_enc(char *dst, size_t cap, size_t *pos, const char *src, size_t len)
{
	size_t n;
	ecs_status st;

	if (cap == 0 || *pos >= cap)
		return ECS_E_NOSPACE;
	st = sign_pct_encode(src, len, dst + *pos, cap - *pos, &n);
	if (st != ECS_OK)
		return st;
	*pos += n;
	return ECS_OK;
}

ecs_status sign_pct_encode(const char *src, size_t len, char *dst, size_t cap, size_t *out_len)
{
	size_t o = 0, i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)src[i];
		if (unreserved(c)) {
			if (o + 1 >= cap)
				return ECS_E_NOSPACE;
			dst[o++] = (char)c;
		} else {
			if (cap < 4 || o >= cap - 3)
				return ECS_E_NOSPACE;
			dst[o++] = '%';
			dst[o++] = HEX_UP[c >> 4];
			dst[o++] = HEX_UP[c & 15];
		}
	}
	if (o >= cap)
		return ECS_E_NOSPACE;
	dst[o] = '\0';
	*out_len = o;
	return ECS_OK;
}

/* Byte-order compare of two counted strings. */
static int cmp_bytes(const char *a, size_t al, const char *b, size_t bl)
{
	size_t n = al < bl ? al : bl;
	int c = n > 0 ? memcmp(a, b, n) : 0;

	if (c != 0)
		return c;
	return al < bl ? -1 : (al > bl ? 1 : 0);
}

static int cmp_pair(const sign_pair *a, const sign_pair *b)
{
	int c = cmp_bytes(a->name, a->name_len, b->name, b->name_len);

	return c != 0 ? c : cmp_bytes(a->value, a->value_len, b->value, b->value_len);
}

/* Insertion sort: n is at most a few hundred, no recursion, stable. Sorting raw names equals
 * sorting encoded names for the names the API uses (unreserved characters only). */
static void sort_pairs(sign_pair *p, size_t n)
{
	size_t i, j;

	for (i = 1; i < n; i++) {
		sign_pair key = p[i];
		for (j = i; j > 0 && cmp_pair(&p[j - 1], &key) > 0; j--)
			p[j] = p[j - 1];
		p[j] = key;
	}
}

ecs_status sign_canonical_query(sign_pair *params, size_t n, char *dst, size_t cap, size_t *out_len)
{
	size_t pos = 0, i;
	ecs_status st = ECS_OK;

	if (cap == 0)
		return ECS_E_NOSPACE;
	dst[0] = '\0';
	sort_pairs(params, n);
	for (i = 0; i < n && st == ECS_OK; i++) {
		if (i > 0)
			st = put(dst, cap, &pos, "&", 1);
		if (st == ECS_OK)
			st = put_enc(dst, cap, &pos, params[i].name, params[i].name_len);
		if (st == ECS_OK)
			st = put(dst, cap, &pos, "=", 1);
		if (st == ECS_OK)
			st = put_enc(dst, cap, &pos, params[i].value, params[i].value_len);
	}
	if (st != ECS_OK)
		return st;
	*out_len = pos;
	return ECS_OK;
}

ecs_status sign_v1_string_to_sign(const char *method, const char *canon, size_t canon_len,
				  char *dst, size_t cap, size_t *out_len)
{
	size_t pos = 0;
	ecs_status st;

	if (cap == 0)
		return ECS_E_NOSPACE;
	dst[0] = '\0';
	st = put_str(dst, cap, &pos, method);
	if (st == ECS_OK)
		st = put_str(dst, cap, &pos, "&%2F&");
	if (st == ECS_OK)
		st = put_enc(dst, cap, &pos, canon, canon_len);
	if (st != ECS_OK)
		return st;
	*out_len = pos;
	return ECS_OK;
}

/* HMAC with key = key || suffix (the v1 key is secret "&"), assembled in a local buffer that
 * is wiped afterwards; a key that does not fit (over 256 bytes) is refused. */
static int hmac(mbedtls_md_type_t type, const char *key, size_t key_len, const char *suffix,
		const unsigned char *msg, size_t msg_len, unsigned char *out)
{
	mbedtls_md_context_t ctx;
	unsigned char kbuf[256];
	size_t slen = suffix != NULL ? strlen(suffix) : 0;
	int rc;

	if (key_len > sizeof(kbuf) - slen)
		return -1;
	memcpy(kbuf, key, key_len);
	if (slen > 0)
		memcpy(kbuf + key_len, suffix, slen);
	mbedtls_md_init(&ctx);
	rc = mbedtls_md_setup(&ctx, mbedtls_md_info_from_type(type), 1);
	if (rc == 0)
		rc = mbedtls_md_hmac_starts(&ctx, kbuf, key_len + slen);
	if (rc == 0)
		rc = mbedtls_md_hmac_update(&ctx, msg, msg_len);
	if (rc == 0)
		rc = mbedtls_md_hmac_finish(&ctx, out);
	mbedtls_md_free(&ctx);
	mbedtls_platform_zeroize(kbuf, sizeof(kbuf));
	return rc;
}

ecs_status sign_v1_signature(const char *secret, size_t secret_len, const char *sts, size_t sts_len,
			     char *dst, size_t cap, size_t *out_len)
{
	unsigned char mac[20];
	size_t olen = 0;

	if (hmac(MBEDTLS_MD_SHA1, secret, secret_len, "&", (const unsigned char *)sts, sts_len,
		 mac) != 0)
		return ECS_E_INPUT; /* only a secret over 255 bytes gets here */
	if (mbedtls_base64_encode((unsigned char *)dst, cap, &olen, mac, sizeof(mac)) != 0)
		return ECS_E_NOSPACE;
	*out_len = olen;
	return ECS_OK;
}

ecs_status sign_v1_query(const char *method, sign_pair *params, size_t n, const char *secret,
			 size_t secret_len, char *dst, size_t cap, size_t *out_len, char *sts_out,
			 size_t sts_cap)
{
	/* The string to sign is the canonical query encoded once more; it is built in the
	 * caller's sts buffer when given, else in the tail of dst (which is at least as big
	 * as the result needs). */
	char sig[32];
	size_t canon_len, sts_len, sig_len, pos;
	ecs_status st;

	st = sign_canonical_query(params, n, dst, cap, &canon_len);
	if (st != ECS_OK)
		return st;
	if (sts_out != NULL) {
		st = sign_v1_string_to_sign(method, dst, canon_len, sts_out, sts_cap, &sts_len);
		if (st != ECS_OK)
			return st;
		st = sign_v1_signature(secret, secret_len, sts_out, sts_len, sig, sizeof(sig),
				       &sig_len);
	} else {
		char *tail = dst + canon_len + 1;
		if (canon_len + 1 >= cap)
			return ECS_E_NOSPACE;
		st = sign_v1_string_to_sign(method, dst, canon_len, tail, cap - canon_len - 1,
					    &sts_len);
		if (st != ECS_OK)
			return st;
		st = sign_v1_signature(secret, secret_len, tail, sts_len, sig, sizeof(sig),
				       &sig_len);
		dst[canon_len] = '\0';
	}
	if (st != ECS_OK)
		return st;
	pos = canon_len;
	st = put_str(dst, cap, &pos, "&Signature=");
	if (st == ECS_OK)
		st = put_enc(dst, cap, &pos, sig, sig_len);
	if (st != ECS_OK)
		return st;
	*out_len = pos;
	return ECS_OK;
}

static void to_hex(const unsigned char *in, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = HEX_LO[in[i] >> 4];
		out[2 * i + 1] = HEX_LO[in[i] & 15];
	}
	out[2 * n] = '\0';
}

void sign_sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char h[32];

	mbedtls_sha256(data, len, h, 0);
	to_hex(h, sizeof(h), out);
}

static char lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* Case-insensitive byte compare (names are ASCII). */
static int cmp_lower(const char *a, size_t al, const char *b, size_t bl)
{
	size_t i, n = al < bl ? al : bl;

	for (i = 0; i < n; i++) {
		char x = lower(a[i]), y = lower(b[i]);
		if (x != y)
			return (unsigned char)x < (unsigned char)y ? -1 : 1;
	}
	return al < bl ? -1 : (al > bl ? 1 : 0);
}

static int signed_header(const sign_pair *h)
{
	return cmp_lower(h->name, h->name_len, "host", 4) == 0 ||
	       cmp_lower(h->name, h->name_len, "content-type", 12) == 0 ||
	       (h->name_len > 6 && cmp_lower(h->name, 6, "x-acs-", 6) == 0);
}

static ecs_status put_lower(char *dst, size_t cap, size_t *pos, const char *s, size_t n)
{
	size_t i;

	if (cap == 0 || n > cap - 1 || *pos > cap - 1 - n)
		return ECS_E_NOSPACE;
	for (i = 0; i < n; i++)
		dst[*pos + i] = lower(s[i]);
	*pos += n;
	dst[*pos] = '\0';
	return ECS_OK;
}

#define SIGN_MAX_HEADERS 32

ecs_status sign_v3_canonical_request(const char *method, const char *uri, const char *canon_query,
				     size_t canon_query_len, const sign_pair *headers, size_t nh,
				     const char *payload_hash_hex, char *dst, size_t cap,
				     size_t *out_len, char *signed_out, size_t signed_cap)
{
	const sign_pair *sel[SIGN_MAX_HEADERS];
	size_t ns = 0, i, j, pos = 0, spos = 0;
	ecs_status st = ECS_OK;

	for (i = 0; i < nh; i++) {
		if (!signed_header(&headers[i]))
			continue;
		if (ns == SIGN_MAX_HEADERS)
			return ECS_E_NOSPACE;
		/* insertion by lower-cased name */
		for (j = ns; j > 0 && cmp_lower(sel[j - 1]->name, sel[j - 1]->name_len,
						headers[i].name, headers[i].name_len) > 0;
		     j--)
			sel[j] = sel[j - 1];
		sel[j] = &headers[i];
		ns++;
	}
	if (cap == 0)
		return ECS_E_NOSPACE;
	dst[0] = '\0';
	st = put_str(dst, cap, &pos, method);
	if (st == ECS_OK)
		st = put(dst, cap, &pos, "\n", 1);
	if (st == ECS_OK)
		st = put_str(dst, cap, &pos, uri);
	if (st == ECS_OK)
		st = put(dst, cap, &pos, "\n", 1);
	if (st == ECS_OK)
		st = put(dst, cap, &pos, canon_query, canon_query_len);
	if (st == ECS_OK)
		st = put(dst, cap, &pos, "\n", 1);
	for (i = 0; i < ns && st == ECS_OK; i++) {
		const char *v = sel[i]->value;
		size_t vl = sel[i]->value_len;
		while (vl > 0 && (*v == ' ' || *v == '\t')) {
			v++;
			vl--;
		}
		while (vl > 0 && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
			vl--;
		st = put_lower(dst, cap, &pos, sel[i]->name, sel[i]->name_len);
		if (st == ECS_OK)
			st = put(dst, cap, &pos, ":", 1);
		if (st == ECS_OK)
			st = put(dst, cap, &pos, v, vl);
		if (st == ECS_OK)
			st = put(dst, cap, &pos, "\n", 1);
	}
	if (st == ECS_OK)
		st = put(dst, cap, &pos, "\n", 1);
	/* SignedHeaders, both into the canonical request and (optionally) the caller's copy */
	for (i = 0; i < ns && st == ECS_OK; i++) {
		if (i > 0)
			st = put(dst, cap, &pos, ";", 1);
		if (st == ECS_OK)
			st = put_lower(dst, cap, &pos, sel[i]->name, sel[i]->name_len);
		if (signed_out != NULL && st == ECS_OK) {
			if (i > 0)
				st = put(signed_out, signed_cap, &spos, ";", 1);
			if (st == ECS_OK)
				st = put_lower(signed_out, signed_cap, &spos, sel[i]->name,
					       sel[i]->name_len);
		}
	}
	if (signed_out != NULL && ns == 0 && st == ECS_OK) {
		if (signed_cap == 0)
			return ECS_E_NOSPACE;
		signed_out[0] = '\0';
	}
	if (st == ECS_OK)
		st = put(dst, cap, &pos, "\n", 1);
	if (st == ECS_OK)
		st = put_str(dst, cap, &pos, payload_hash_hex);
	if (st != ECS_OK)
		return st;
	*out_len = pos;
	return ECS_OK;
}

ecs_status sign_v3_authorization(const char *method, const char *uri, const char *canon_query,
				 size_t canon_query_len, const sign_pair *headers, size_t nh,
				 const char *payload_hash_hex, const char *key_id,
				 size_t key_id_len, const char *secret, size_t secret_len,
				 char *dst, size_t cap, size_t *out_len, char *hashed_out, char *cr,
				 size_t cr_cap)
{
	char signed_list[512];
	char sts[17 + 64 + 1];
	char hex[65];
	unsigned char mac[32];
	size_t cr_len, pos = 0;
	ecs_status st;

	st = sign_v3_canonical_request(method, uri, canon_query, canon_query_len, headers, nh,
				       payload_hash_hex, cr, cr_cap, &cr_len, signed_list,
				       sizeof(signed_list));
	if (st != ECS_OK)
		return st;
	sign_sha256_hex(cr, cr_len, hex);
	if (hashed_out != NULL)
		memcpy(hashed_out, hex, sizeof(hex));
	memcpy(sts, "ACS3-HMAC-SHA256\n", 17);
	memcpy(sts + 17, hex, 64);
	if (hmac(MBEDTLS_MD_SHA256, secret, secret_len, NULL, (const unsigned char *)sts, 17 + 64,
		 mac) != 0)
		return ECS_E_INPUT;
	to_hex(mac, sizeof(mac), hex);
	if (cap == 0)
		return ECS_E_NOSPACE;
	dst[0] = '\0';
	st = put_str(dst, cap, &pos, "ACS3-HMAC-SHA256 Credential=");
	if (st == ECS_OK)
		st = put(dst, cap, &pos, key_id, key_id_len);
	if (st == ECS_OK)
		st = put_str(dst, cap, &pos, ",SignedHeaders=");
	if (st == ECS_OK)
		st = put_str(dst, cap, &pos, signed_list);
	if (st == ECS_OK)
		st = put_str(dst, cap, &pos, ",Signature=");
	if (st == ECS_OK)
		st = put(dst, cap, &pos, hex, 64);
	if (st != ECS_OK)
		return st;
	*out_len = pos;
	return ECS_OK;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian), Howard Hinnant's algorithm. */
int64_t sign_days_from_civil(int64_t y, int64_t m, int64_t d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int64_t *m, int64_t *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp + (mp < 10 ? 3 : -9);
	*y = yoe + era * 400 + (*m <= 2);
}

static void put_num(char *out, int64_t v, int width)
{
	int i;

	for (i = width - 1; i >= 0; i--) {
		out[i] = (char)('0' + (int)(v % 10));
		v /= 10;
	}
}

void sign_format_time(int64_t t, char out[21])
{
	/* clamp to 0000-01-01T00:00:00Z .. 9999-12-31T23:59:59Z */
	const int64_t lo = -62167219200LL, hi = 253402300799LL;
	int64_t days, secs, y, m, d;

	if (t < lo)
		t = lo;
	if (t > hi)
		t = hi;
	days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
	secs = t - days * 86400;
	civil_from_days(days, &y, &m, &d);
	put_num(out, y, 4);
	out[4] = '-';
	put_num(out + 5, m, 2);
	out[7] = '-';
	put_num(out + 8, d, 2);
	out[10] = 'T';
	put_num(out + 11, secs / 3600, 2);
	out[13] = ':';
	put_num(out + 14, (secs / 60) % 60, 2);
	out[16] = ':';
	put_num(out + 17, secs % 60, 2);
	out[19] = 'Z';
	out[20] = '\0';
}

void sign_nonce_hex(const uint8_t rnd[16], char out[33])
{
	to_hex(rnd, 16, out);
}

/* ---- HTTP Date parsing ---- */

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Reads exactly n digits at s[*i]. */
static int read_num(const char *s, size_t len, size_t *i, int n, int64_t *v)
{
	int k;

	*v = 0;
	for (k = 0; k < n; k++) {
		if (*i >= len || !is_digit(s[*i]))
			return -1;
		*v = *v * 10 + (s[*i] - '0');
		(*i)++;
	}
	return 0;
}

static int expect(const char *s, size_t len, size_t *i, char c)
{
	if (*i >= len || s[*i] != c)
		return -1;
	(*i)++;
	return 0;
}

static int read_month(const char *s, size_t len, size_t *i, int64_t *m)
{
	static const char names[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	int k;

	if (*i + 3 > len)
		return -1;
	for (k = 0; k < 12; k++) {
		if (memcmp(s + *i, names + 3 * k, 3) == 0) {
			*m = k + 1;
			*i += 3;
			return 0;
		}
	}
	return -1;
}

static int read_hms(const char *s, size_t len, size_t *i, int64_t *h, int64_t *mi, int64_t *se)
{
	if (read_num(s, len, i, 2, h) || expect(s, len, i, ':') || read_num(s, len, i, 2, mi) ||
	    expect(s, len, i, ':') || read_num(s, len, i, 2, se))
		return -1;
	return (*h > 23 || *mi > 59 || *se > 60) ? -1 : 0;
}

static int days_in_month(int64_t y, int64_t m)
{
	static const int dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 ? 28 + leap : dm[m - 1];
}

int sign_parse_http_date(const char *s, size_t len, int64_t *out)
{
	int64_t y = 0, m = 0, d = 0, h = 0, mi = 0, se = 0;
	size_t i = 0, comma;

	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	while (i < len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	for (comma = i; comma < len && s[comma] != ',' && s[comma] != ' '; comma++)
		;
	if (comma >= len)
		return -1;
	if (s[comma] == ',') {
		i = comma + 1;
		if (expect(s, len, &i, ' '))
			return -1;
		if (i + 2 < len && s[i + 2] == '-') {
			/* RFC 850: Sunday, 06-Nov-94 08:49:37 GMT */
			if (read_num(s, len, &i, 2, &d) || expect(s, len, &i, '-') ||
			    read_month(s, len, &i, &m) || expect(s, len, &i, '-') ||
			    read_num(s, len, &i, 2, &y))
				return -1;
			y += y < 70 ? 2000 : 1900;
		} else {
			/* IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT */
			if (read_num(s, len, &i, 2, &d) || expect(s, len, &i, ' ') ||
			    read_month(s, len, &i, &m) || expect(s, len, &i, ' ') ||
			    read_num(s, len, &i, 4, &y))
				return -1;
		}
		if (expect(s, len, &i, ' ') || read_hms(s, len, &i, &h, &mi, &se) ||
		    expect(s, len, &i, ' ') || i + 3 != len || memcmp(s + i, "GMT", 3) != 0)
			return -1;
	} else {
		/* asctime: Sun Nov  6 08:49:37 1994 */
		i = comma + 1;
		if (read_month(s, len, &i, &m) || expect(s, len, &i, ' '))
			return -1;
		if (i < len && s[i] == ' ') {
			i++;
			if (read_num(s, len, &i, 1, &d))
				return -1;
		} else if (read_num(s, len, &i, 2, &d)) {
			return -1;
		}
		if (expect(s, len, &i, ' ') || read_hms(s, len, &i, &h, &mi, &se) ||
		    expect(s, len, &i, ' ') || read_num(s, len, &i, 4, &y) || i != len)
			return -1;
	}
	if (m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
		return -1;
	*out = sign_days_from_civil(y, m, d) * 86400 + h * 3600 + mi * 60 + se;
	return 0;
}

static int two_digits(const char *s, int64_t *out)
{
	if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
		return -1;
	*out = (s[0] - '0') * 10 + (s[1] - '0');
	return 0;
}

int sign_parse_iso_time(const char *s, size_t n, int64_t *out)
{
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int64_t yh, yl, y, mo, d, h, mi, se;
	size_t i = 19;

	if (n < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':')
		return -1;
	if (s[19] == '.')
		for (i = 20; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			;
	if (i + 1 != n || s[i] != 'Z' || two_digits(s, &yh) || two_digits(s + 2, &yl) ||
	    two_digits(s + 5, &mo) || two_digits(s + 8, &d) || two_digits(s + 11, &h) ||
	    two_digits(s + 14, &mi) || two_digits(s + 17, &se))
		return -1;
	y = yh * 100 + yl;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 ||
	    se > 60)
		return -1;
	if (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return -1;
	*out = sign_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
	return 0;
}
