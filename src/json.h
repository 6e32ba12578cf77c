/*
 * JSON access over jsmn with a caller token array: no allocation. Find values by key or key
 * path, skip subtrees, unescape strings into caller buffers, strict integer/boolean parsing.
 * Every function is total: bad indices or types give -1 / an error, never an out-of-bounds read.
 */
#ifndef ECS_JSON_H
#define ECS_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* Types and declarations only; json.c includes the implementation (jsmn is one header). */
#ifndef JSMN_H
#define JSMN_HEADER
#define JSMN_STRICT
#include "jsmn.h"
#endif

typedef struct {
	const char *js;
	size_t len;
	jsmntok_t *tok;
	int ntok;
} json_doc;

/* Tokenises js[0..len) into toks (cap tokens). Errors (ECS_E_PROTO): not JSON, truncated,
 * more than cap tokens ("more than N JSON tokens"), a root that is not an object or array,
 * object keys that are not strings, primitives that are not true/false/null/a number. */
ecs_status json_parse(json_doc *d, const char *js, size_t len, jsmntok_t *toks, unsigned cap,
		      ecs_err *err);

/* Index of the token after the whole subtree at i (d->ntok at the end). */
int json_skip(const json_doc *d, int i);

/* Value token of key in the object at obj; -1 if obj is not an object or has no such key.
 * Keys compare byte-exactly against their raw (escaped) text. */
int json_get(const json_doc *d, int obj, const char *key);

/* Follows a dotted path of keys ("a.b.c") from obj; -1 if any step is missing. */
int json_path(const json_doc *d, int obj, const char *path);

/* i-th element (0-based) of the array at arr, -1 when out of range or not an array. */
int json_array_at(const json_doc *d, int arr, int k);

/* Number of elements of an array / members of an object at i; -1 otherwise. */
int json_size(const json_doc *d, int i);

int json_is_string(const json_doc *d, int i);
int json_is_null(const json_doc *d, int i);

/* Unescapes the string token i into out (cap bytes, NUL-terminated): \uXXXX to UTF-8 with
 * surrogate pairs, rejecting lone surrogates and NUL. ECS_E_NOSPACE if it does not fit,
 * ECS_E_PROTO if i is not a string or the escape is bad. */
ecs_status json_string(const json_doc *d, int i, char *out, size_t cap, size_t *len);

/* Strict integer: an optional '-' and digits, no fraction or exponent, within int64.
 * Returns 0 on success, -1 otherwise. A string holding such an integer is accepted too. */
int json_int64(const json_doc *d, int i, int64_t *out);

/* Boolean: the literals true/false, or the strings "true"/"True"/"TRUE"/"false"/"False"/
 * "FALSE". Returns 0 on success, -1 otherwise. */
int json_bool(const json_doc *d, int i, int *out);

/* 1 if token i is a string equal to s (raw, byte-exact). */
int json_eq(const json_doc *d, int i, const char *s);

/* Writes s[0..n) as a JSON string literal (with quotes, escaped) to out; ECS_E_NOSPACE if
 * it does not fit. Invalid UTF-8 bytes are written as \u00XX escapes of the byte. */
ecs_status json_quote(const char *s, size_t n, char *out, size_t cap, size_t *out_len);

#endif
