/* jsmn's implementation lives here, once; everything else sees only the declarations. */
#define JSMN_STRICT
#include "jsmn.h"

#include "json.h"

#include "show.h"

#include <string.h>

static int valid(const json_doc *d, int i)
{
	return d != NULL && i >= 0 && i < d->ntok;
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* JSON number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static int number_ok(const char *s, size_t n)
{
	size_t i = 0;

	if (i < n && s[i] == '-')
		i++;
	if (i >= n)
		return 0;
	if (s[i] == '0')
		i++;
	else if (is_digit(s[i]))
		while (i < n && is_digit(s[i]))
			i++;
	else
		return 0;
	if (i < n && s[i] == '.') {
		size_t st = ++i;
		while (i < n && is_digit(s[i]))
			i++;
		if (i == st)
			return 0;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		size_t st;
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		st = i;
		while (i < n && is_digit(s[i]))
			i++;
		if (i == st)
			return 0;
	}
	return i == n;
}

static int tok_is(const json_doc *d, int i, const char *lit)
{
	size_t n = strlen(lit);

	return (size_t)(d->tok[i].end - d->tok[i].start) == n &&
	       memcmp(d->js + d->tok[i].start, lit, n) == 0;
}

ecs_status json_parse(json_doc *d, const char *js, size_t len, jsmntok_t *toks, unsigned cap,
		      ecs_err *err)
{
	jsmn_parser p;
	int n, i;
	size_t pos;

	d->js = js;
	d->len = len;
	d->tok = toks;
	d->ntok = 0;
	if (cap > 0x7fffffffu)
		cap = 0x7fffffffu;
	/* jsmn stops at a NUL byte: whatever follows it would be accepted unseen. */
	if (len > 0 && memchr(js, '\0', len) != NULL)
		return err_set(err, ECS_E_PROTO, "JSON contains a NUL byte");
	jsmn_init(&p);
	n = jsmn_parse(&p, js, len, toks, cap);
	if (n == JSMN_ERROR_NOMEM)
		return err_set(err, ECS_E_PROTO, "JSON has more than %u tokens", cap);
	if (n == JSMN_ERROR_PART)
		return err_set(err, ECS_E_PROTO, "JSON is truncated");
	if (n < 0)
		return err_set(err, ECS_E_PROTO, "not valid JSON (at byte %u)", p.pos);
	if (n == 0 || (toks[0].type != JSMN_OBJECT && toks[0].type != JSMN_ARRAY))
		return err_set(err, ECS_E_PROTO, "JSON document is not an object or array");
	d->ntok = n;
	/* jsmn's strict mode still lets some malformed input through; check what we rely on. */
	if (json_skip(d, 0) != n)
		return err_set(err, ECS_E_PROTO, "JSON has data after the top-level value");
	for (i = 0; i < n; i++) {
		const jsmntok_t *t = &toks[i];
		if (t->start < 0 || t->end < t->start || (size_t)t->end > len)
			return err_set(err, ECS_E_PROTO, "JSON token out of range");
		if (t->type == JSMN_PRIMITIVE) {
			const char *s = js + t->start;
			size_t sl = (size_t)(t->end - t->start);
			if (!(tok_is(d, i, "true") || tok_is(d, i, "false") ||
			      tok_is(d, i, "null") || number_ok(s, sl)))
				return err_set(err, ECS_E_PROTO,
					       "JSON has an invalid literal at byte %d", t->start);
		}
		if (t->type == JSMN_OBJECT) {
			int k, j = i + 1;
			for (k = 0; k < t->size; k++) {
				if (j >= n || toks[j].type != JSMN_STRING || toks[j].size != 1)
					return err_set(err, ECS_E_PROTO,
						       "JSON object key is not a string (byte %d)",
						       t->start);
				j = json_skip(d, j + 1);
			}
		}
	}
	/* jsmn skips a stray ',' or ':' outside any value (":{}", "{},"): only whitespace may
	 * surround the top-level value. */
	for (pos = 0; pos < len; pos++)
		if ((pos < (size_t)toks[0].start || pos >= (size_t)toks[0].end) && js[pos] != ' ' &&
		    js[pos] != '\t' && js[pos] != '\n' && js[pos] != '\r')
			return err_set(err, ECS_E_PROTO,
				       "JSON has data outside the top-level value");
	return ECS_OK;
}

int json_skip(const json_doc *d, int i)
{
	int end, j;

	if (!valid(d, i))
		return d != NULL ? d->ntok : 0;
	end = d->tok[i].end;
	j = i + 1;
	/* Every token of the subtree starts before the parent's end. */
	while (j < d->ntok && d->tok[j].start < end)
		j++;
	return j;
}

int json_get(const json_doc *d, int obj, const char *key)
{
	int k, j;
	size_t kl = strlen(key);

	if (!valid(d, obj) || d->tok[obj].type != JSMN_OBJECT)
		return -1;
	j = obj + 1;
	for (k = 0; k < d->tok[obj].size && j + 1 < d->ntok; k++) {
		const jsmntok_t *t = &d->tok[j];
		if (t->type == JSMN_STRING && (size_t)(t->end - t->start) == kl &&
		    memcmp(d->js + t->start, key, kl) == 0)
			return j + 1;
		j = json_skip(d, j + 1);
	}
	return -1;
}

int json_path(const json_doc *d, int obj, const char *path)
{
	char key[128];
	const char *p = path;

	while (obj >= 0 && *p != '\0') {
		const char *dot = strchr(p, '.');
		size_t n = dot != NULL ? (size_t)(dot - p) : strlen(p);
		if (n >= sizeof(key))
			return -1;
		memcpy(key, p, n);
		key[n] = '\0';
		obj = json_get(d, obj, key);
		p += n;
		if (*p == '.')
			p++;
	}
	return obj;
}

int json_array_at(const json_doc *d, int arr, int k)
{
	int j, m;

	if (!valid(d, arr) || d->tok[arr].type != JSMN_ARRAY || k < 0 || k >= d->tok[arr].size)
		return -1;
	j = arr + 1;
	for (m = 0; m < k && j < d->ntok; m++)
		j = json_skip(d, j);
	return j < d->ntok ? j : -1;
}

int json_size(const json_doc *d, int i)
{
	if (!valid(d, i) || (d->tok[i].type != JSMN_ARRAY && d->tok[i].type != JSMN_OBJECT))
		return -1;
	return d->tok[i].size;
}

int json_is_string(const json_doc *d, int i)
{
	return valid(d, i) && d->tok[i].type == JSMN_STRING;
}

int json_is_null(const json_doc *d, int i)
{
	return valid(d, i) && d->tok[i].type == JSMN_PRIMITIVE && tok_is(d, i, "null");
}

int json_eq(const json_doc *d, int i, const char *s)
{
	return json_is_string(d, i) && tok_is(d, i, s);
}

static int hex4(const char *s, unsigned *v)
{
	int k;

	*v = 0;
	for (k = 0; k < 4; k++) {
		char c = s[k];
		unsigned x;
		if (c >= '0' && c <= '9')
			x = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			x = (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			x = (unsigned)(c - 'A' + 10);
		else
			return -1;
		*v = *v * 16 + x;
	}
	return 0;
}

ecs_status json_string(const json_doc *d, int i, char *out, size_t cap, size_t *len)
{
	const char *s, *e;
	size_t o = 0;

	if (!json_is_string(d, i))
		return ECS_E_PROTO;
	if (cap == 0)
		return ECS_E_NOSPACE;
	s = d->js + d->tok[i].start;
	e = d->js + d->tok[i].end;
	while (s < e) {
		unsigned char buf[4];
		size_t n = 1;
		if (*s != '\\') {
			if ((unsigned char)*s < 0x20)
				return ECS_E_PROTO; /* raw control characters are not JSON */
			buf[0] = (unsigned char)*s++;
		} else {
			if (e - s < 2)
				return ECS_E_PROTO;
			switch (s[1]) {
			case '"':
				buf[0] = '"';
				break;
			case '\\':
				buf[0] = '\\';
				break;
			case '/':
				buf[0] = '/';
				break;
			case 'b':
				buf[0] = '\b';
				break;
			case 'f':
				buf[0] = '\f';
				break;
			case 'n':
				buf[0] = '\n';
				break;
			case 'r':
				buf[0] = '\r';
				break;
			case 't':
				buf[0] = '\t';
				break;
			case 'u': {
				unsigned cp, lo;
				if (e - s < 6 || hex4(s + 2, &cp) != 0)
					return ECS_E_PROTO;
				s += 4;
				if (cp >= 0xD800 && cp <= 0xDBFF) {
					if (e - s < 8 || s[2] != '\\' || s[3] != 'u' ||
					    hex4(s + 4, &lo) != 0 || lo < 0xDC00 || lo > 0xDFFF)
						return ECS_E_PROTO;
					cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
					s += 6;
				} else if (cp >= 0xDC00 && cp <= 0xDFFF) {
					return ECS_E_PROTO;
				}
				if (cp == 0)
					return ECS_E_PROTO; /* a NUL would cut our C strings */
				if (cp < 0x80) {
					buf[0] = (unsigned char)cp;
				} else if (cp < 0x800) {
					buf[0] = (unsigned char)(0xC0 | (cp >> 6));
					buf[1] = (unsigned char)(0x80 | (cp & 0x3F));
					n = 2;
				} else if (cp < 0x10000) {
					buf[0] = (unsigned char)(0xE0 | (cp >> 12));
					buf[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
					buf[2] = (unsigned char)(0x80 | (cp & 0x3F));
					n = 3;
				} else {
					buf[0] = (unsigned char)(0xF0 | (cp >> 18));
					buf[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
					buf[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
					buf[3] = (unsigned char)(0x80 | (cp & 0x3F));
					n = 4;
				}
				break;
			}
			default:
				return ECS_E_PROTO;
			}
			s += 2;
		}
		if (n > cap - 1 - o)
			return ECS_E_NOSPACE;
		memcpy(out + o, buf, n);
		o += n;
	}
	out[o] = '\0';
	if (len != NULL)
		*len = o;
	return ECS_OK;
}

static int parse_int(const char *s, size_t n, int64_t *out)
{
	uint64_t v = 0, lim;
	size_t i = 0;
	int neg = 0;

	if (n > 0 && s[0] == '-') {
		neg = 1;
		i = 1;
	}
	if (i >= n || (s[i] == '0' && n - i > 1))
		return -1;
	lim = neg ? (uint64_t)INT64_MAX + 1u : (uint64_t)INT64_MAX;
	for (; i < n; i++) {
		unsigned dgt;
		if (!is_digit(s[i]))
			return -1;
		dgt = (unsigned)(s[i] - '0');
		if (v > (lim - dgt) / 10)
			return -1;
		v = v * 10 + dgt;
	}
	if (neg)
		*out = v == (uint64_t)INT64_MAX + 1u ? INT64_MIN : -(int64_t)v;
	else
		*out = (int64_t)v;
	return 0;
}

int json_int64(const json_doc *d, int i, int64_t *out)
{
	if (!valid(d, i) || (d->tok[i].type != JSMN_PRIMITIVE && d->tok[i].type != JSMN_STRING))
		return -1;
	return parse_int(d->js + d->tok[i].start, (size_t)(d->tok[i].end - d->tok[i].start), out);
}

int json_bool(const json_doc *d, int i, int *out)
{
	if (!valid(d, i))
		return -1;
	if (d->tok[i].type == JSMN_PRIMITIVE) {
		if (tok_is(d, i, "true"))
			return *out = 1, 0;
		if (tok_is(d, i, "false"))
			return *out = 0, 0;
		return -1;
	}
	if (d->tok[i].type == JSMN_STRING) {
		if (tok_is(d, i, "true") || tok_is(d, i, "True") || tok_is(d, i, "TRUE"))
			return *out = 1, 0;
		if (tok_is(d, i, "false") || tok_is(d, i, "False") || tok_is(d, i, "FALSE"))
			return *out = 0, 0;
	}
	return -1;
}

/* Length of a valid UTF-8 sequence at s (max n bytes), 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t need, k;
	unsigned cp;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xE0) == 0xC0) {
		need = 2;
		cp = s[0] & 0x1Fu;
	} else if ((s[0] & 0xF0) == 0xE0) {
		need = 3;
		cp = s[0] & 0x0Fu;
	} else if ((s[0] & 0xF8) == 0xF0) {
		need = 4;
		cp = s[0] & 0x07u;
	} else {
		return 0;
	}
	if (n < need)
		return 0;
	for (k = 1; k < need; k++) {
		if ((s[k] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[k] & 0x3Fu);
	}
	if ((need == 2 && cp < 0x80) || (need == 3 && cp < 0x800) || (need == 4 && cp < 0x10000) ||
	    cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return need;
}

/* Code point of the well-formed sequence s (len bytes). */
static uint32_t seq_cp(const unsigned char *s, size_t len)
{
	uint32_t cp = len == 2 ? s[0] & 0x1Fu : len == 3 ? s[0] & 0x0Fu : s[0] & 0x07u;
	size_t k;

	for (k = 1; k < len; k++)
		cp = (cp << 6) | (s[k] & 0x3Fu);
	return cp;
}

static int hidden_seq(const unsigned char *s, size_t len)
{
	return show_hidden(seq_cp(s, len));
}

ecs_status json_quote(const char *s, size_t n, char *out, size_t cap, size_t *out_len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i = 0, o = 0;

	if (cap < 3)
		return ECS_E_NOSPACE;
	out[o++] = '"';
	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		char esc[7];
		size_t el = 0, ul = 0;
		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			el = 2;
		} else if (c < 0x20 || c == 0x7f) {
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			el = 6;
		} else if (c >= 0x80 && (ul = utf8_len((const unsigned char *)s + i, n - i)) > 0 &&
			   !hidden_seq((const unsigned char *)s + i, ul)) {
			if (ul > cap - 2 - o)
				return ECS_E_NOSPACE;
			memcpy(out + o, s + i, ul);
			o += ul;
			i += ul;
			continue;
		} else if (c >= 0x80 && ul > 0) {
			/* C1, bidi or invisible: valid JSON either way, escaped for terminals */
			uint32_t cp = seq_cp((const unsigned char *)s + i, ul);
			memcpy(esc, "\\u", 2);
			esc[2] = hex[(cp >> 12) & 15];
			esc[3] = hex[(cp >> 8) & 15];
			esc[4] = hex[(cp >> 4) & 15];
			esc[5] = hex[cp & 15];
			el = 6;
			if (el > cap - 2 - o)
				return ECS_E_NOSPACE;
			memcpy(out + o, esc, el);
			o += el;
			i += ul;
			continue;
		} else if (c >= 0x80) {
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			el = 6;
		} else {
			esc[0] = (char)c;
			el = 1;
		}
		if (el > cap - 2 - o)
			return ECS_E_NOSPACE;
		memcpy(out + o, esc, el);
		o += el;
		i++;
	}
	out[o++] = '"';
	out[o] = '\0';
	*out_len = o;
	return ECS_OK;
}
