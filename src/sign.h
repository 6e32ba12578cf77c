/*
 * Request signing for the Alibaba Cloud RPC API: RPC signature v1.0 (HMAC-SHA1) and
 * V3 (ACS3-HMAC-SHA256). Pure functions: time and nonce are inputs, every output goes to a
 * caller buffer, and a buffer that is too small is an error (ECS_E_NOSPACE), never a truncation.
 * Output strings are NUL-terminated; the NUL must fit in cap too.
 */
#ifndef ECS_SIGN_H
#define ECS_SIGN_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* A name/value pair (query parameter or header). Not NUL-terminated. */
typedef struct {
	const char *name;
	size_t name_len;
	const char *value;
	size_t value_len;
} sign_pair;

/* Percent-encodes len bytes of src as Alibaba specifies (RFC 3986 unreserved kept:
 * A-Z a-z 0-9 - _ . ~; every other byte as %XY with upper-case hex; so space is %20,
 * '*' is %2A, '/' is %2F). Writes to dst, *out_len gets the length (without NUL). */
ecs_status sign_pct_encode(const char *src, size_t len, char *dst, size_t cap, size_t *out_len);

/* Sorts pairs in place by name (byte order, so "InstanceId.10" < "InstanceId.2"), then by value,
 * and writes the canonical query "enc(k)=enc(v)&..." (empty value gives "k="). */
ecs_status sign_canonical_query(sign_pair *params, size_t n, char *dst, size_t cap,
				size_t *out_len);

/* RPC v1.0 string to sign: METHOD "&" "%2F" "&" enc(canonical_query). */
ecs_status sign_v1_string_to_sign(const char *method, const char *canon, size_t canon_len,
				  char *dst, size_t cap, size_t *out_len);

/* RPC v1.0 signature: Base64(HMAC-SHA1(key = secret "&", string_to_sign)). 28 chars + NUL.
 * Secrets longer than 255 bytes (V3: 256) are rejected with ECS_E_INPUT (real ones are 30). */
ecs_status sign_v1_signature(const char *secret, size_t secret_len, const char *sts, size_t sts_len,
			     char *dst, size_t cap, size_t *out_len);

/* The whole RPC v1.0 step: sorts params (which must already hold every parameter except
 * Signature: AccessKeyId, Timestamp, SignatureNonce, ...), writes the wire query
 * "canonical&Signature=enc(sig)" to dst. sts_out (if not NULL) gets the string to sign,
 * for the -v trace and tests. When sts_out is NULL the string to sign is built in the tail
 * of dst, which then needs room for the canonical query plus the string to sign. */
ecs_status sign_v1_query(const char *method, sign_pair *params, size_t n, const char *secret,
			 size_t secret_len, char *dst, size_t cap, size_t *out_len, char *sts_out,
			 size_t sts_cap);

/* Lower-case hex SHA-256 of data: 64 chars + NUL (out must hold 65). */
void sign_sha256_hex(const void *data, size_t len, char out[65]);

/* V3 canonical request:
 *   METHOD \n URI \n canonical_query \n canonical_headers \n signed_headers \n payload_hash
 * canonical_headers are the headers whose lower-cased name is "host", "content-type" or starts
 * with "x-acs-", sorted by lower-cased name, each "name:trimmed-value\n". headers need not be
 * sorted or lower-case. signed_out (if not NULL) gets "host;x-acs-...". */
ecs_status sign_v3_canonical_request(const char *method, const char *uri, const char *canon_query,
				     size_t canon_query_len, const sign_pair *headers, size_t nh,
				     const char *payload_hash_hex, char *dst, size_t cap,
				     size_t *out_len, char *signed_out, size_t signed_cap);

/* V3 Authorization header value:
 *   "ACS3-HMAC-SHA256 Credential=<key_id>,SignedHeaders=<list>,Signature=<hex>"
 * with Signature = hex(HMAC-SHA256(secret, "ACS3-HMAC-SHA256\n" hex(SHA256(canonical request)))).
 * hashed_out (if not NULL, 65 bytes) gets the hex hash of the canonical request. The canonical
 * request is built in the caller's work buffer (work_cap bytes; 12 KB holds 100 ids and a
 * security token): ECS_E_NOSPACE when it does not fit. */
ecs_status sign_v3_authorization(const char *method, const char *uri, const char *canon_query,
				 size_t canon_query_len, const sign_pair *headers, size_t nh,
				 const char *payload_hash_hex, const char *key_id,
				 size_t key_id_len, const char *secret, size_t secret_len,
				 char *dst, size_t cap, size_t *out_len, char *hashed_out,
				 char *work, size_t work_cap);

/* "YYYY-MM-DDThh:mm:ssZ" (UTC) for Unix seconds t; 20 chars + NUL (out holds 21).
 * Years outside 0000..9999 are clamped. */
void sign_format_time(int64_t t, char out[21]);

/* "YYYY-MM-DDThh:mm:ssZ" (also with a fraction of a second before the Z) -> Unix seconds.
 * Returns 0 on success, -1 if malformed. */
int sign_parse_iso_time(const char *s, size_t n, int64_t *out);

/* Days from 1970-01-01 to the proleptic Gregorian date y-m-d (m 1..12, d 1..31). */
int64_t sign_days_from_civil(int64_t y, int64_t m, int64_t d);

/* Lower-case hex of 16 random bytes: 32 chars + NUL (out holds 33). */
void sign_nonce_hex(const uint8_t rnd[16], char out[33]);

/* Parses an HTTP Date header (IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT"; also RFC 850 and
 * asctime forms) into Unix seconds. Returns 0 on success, -1 if it is not a valid date. */
int sign_parse_http_date(const char *s, size_t len, int64_t *out);

#endif
