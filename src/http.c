/*
 * HTTP/1.1 request writer and response parser (RFC 9112). The parser is a byte state machine:
 * it may be fed any split of the input and keeps no state outside http_resp.
 *
 * Header storage: every byte of the header section (status line through the empty line) is
 * copied to hdr as received, so hdr_cap bounds exactly the raw header section. When a line ends,
 * its CR, LF and trailing whitespace are overwritten with NUL in place: each field then reads
 * "name:[OWS]value\0...", lines are separated by one or more NULs, and a value found by
 * http_resp_header() is NUL-terminated.
 */
#include "http.h"

#include <stdio.h>
#include <string.h>

#define HTTP_LINE_MAX 4096 /* longest chunk-size line, and the whole trailer section */
#define HTTP_MAX_1XX  5	   /* interim responses accepted before the final one */

enum {
	S_STATUS,     /* collecting the status line in hdr */
	S_HEADER,     /* collecting header lines in hdr */
	S_BODY_LEN,   /* Content-Length body; chunk_left = bytes still to come */
	S_BODY_EOF,   /* body delimited by connection close */
	S_CHUNK_SIZE, /* hex digits of a chunk-size line */
	S_CHUNK_BWS,  /* after the digits: whitespace, ';' or CR */
	S_CHUNK_EXT,  /* inside chunk extensions, skipped up to CR */
	S_CHUNK_LF,   /* CR of the chunk-size line seen */
	S_CHUNK_DATA, /* chunk data; chunk_left = bytes still to come */
	S_DATA_CR,    /* the CR that must follow chunk data */
	S_DATA_LF,    /* the LF that must follow chunk data */
	S_TR_START,   /* start of a trailer line (or of the final empty line) */
	S_TR_NAME,    /* trailer field name */
	S_TR_VALUE,   /* trailer field value */
	S_TR_LF,      /* CR at the end of a trailer line seen */
	S_TR_END_LF,  /* CR of the final empty line seen */
	S_DONE,
	S_ERROR
};

/* Character classes in plain ASCII: ctype.h depends on the locale. */
static int is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static int hex_val(unsigned char c)
{
	if (is_digit(c))
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* RFC 9110 tchar. */
static int is_tchar(unsigned char c)
{
	if (is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static int is_ows(unsigned char c)
{
	return c == ' ' || c == '\t';
}

/* field-content: HT, SP, VCHAR and obs-text; no other control character, no DEL. */
static int is_field_char(unsigned char c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static unsigned char to_lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + ('a' - 'A')) : c;
}

/* s[0..len) equals the NUL-terminated b, ignoring ASCII case. */
static int ieq(const char *s, size_t len, const char *b)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (b[i] == '\0' || to_lower((unsigned char)s[i]) != to_lower((unsigned char)b[i]))
			return 0;
	return b[len] == '\0';
}

const char *http_error_text(http_error e)
{
	/* Indexed by http_error; tests and callers match these texts. */
	static const char *const text[] = {
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
	if ((size_t)e < sizeof(text) / sizeof(text[0]))
		return text[e];
	return "unknown HTTP error";
}

/* ---- request writer ---- */

typedef struct {
	char *buf;
	size_t cap;
	size_t len;
	int full;
} wbuf;

static void put(wbuf *w, const char *s, size_t n)
{
	if (w->full || n > w->cap - w->len) {
		w->full = 1;
		return;
	}
	if (n > 0)
		memcpy(w->buf + w->len, s, n);
	w->len += n;
}

static void put_str(wbuf *w, const char *s)
{
	put(w, s, strlen(s));
}

/* A non-empty string of tchar. */
static int is_token(const char *s)
{
	const char *p = s;

	while (is_tchar((unsigned char)*p))
		p++;
	return p != s && *p == '\0';
}

ecs_status http_write_request(char *buf, size_t cap, size_t *len, const char *method,
			      const char *target, const http_header *headers, size_t nheaders,
			      const char *body, size_t body_len, ecs_err *err)
{
	wbuf w = {buf, cap, 0, 0};
	const char *p;
	size_t i;

	*len = 0;
	/* Validate everything first so that no caller string can inject a line. */
	if (!is_token(method))
		return err_set(err, ECS_E_INPUT, "HTTP method is not a token");
	for (p = target; *p != '\0' && (unsigned char)*p > 0x20 && (unsigned char)*p < 0x7f; p++)
		;
	if (*target == '\0' || *p != '\0')
		return err_set(err, ECS_E_INPUT, "HTTP request target is empty or not printable");
	for (i = 0; i < nheaders; i++) {
		const char *name = headers[i].name;

		if (!is_token(name))
			return err_set(err, ECS_E_INPUT, "HTTP header #%zu: bad name", i + 1);
		for (p = headers[i].value; *p != '\0' && is_field_char((unsigned char)*p); p++)
			;
		if (*p != '\0')
			return err_set(err, ECS_E_INPUT,
				       "HTTP header %s: value contains CR, LF or another control "
				       "character",
				       name);
		/* The framing is ours to write: a second one would desynchronise the server. */
		if (ieq(name, strlen(name), "content-length") ||
		    ieq(name, strlen(name), "transfer-encoding"))
			return err_set(err, ECS_E_INPUT, "HTTP header %s: set by the writer", name);
	}
	if (body == NULL && body_len > 0)
		return err_set(err, ECS_E_INTERNAL, "HTTP body is NULL");

	put_str(&w, method);
	put_str(&w, " ");
	put_str(&w, target);
	put_str(&w, " HTTP/1.1\r\n");
	for (i = 0; i < nheaders; i++) {
		put_str(&w, headers[i].name);
		put_str(&w, ": ");
		put_str(&w, headers[i].value);
		put_str(&w, "\r\n");
	}
	if (body_len > 0 || strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0) {
		char num[24];
		int n = snprintf(num, sizeof(num), "%zu", body_len);

		put_str(&w, "Content-Length: ");
		put(&w, num, (size_t)n);
		put_str(&w, "\r\n");
	}
	put_str(&w, "\r\n");
	put(&w, body, body_len);
	if (w.full)
		return err_set(err, ECS_E_NOSPACE, "request larger than %zu bytes", cap);
	*len = w.len;
	return ECS_OK;
}

/* ---- response parser ---- */

/* Records error e (sticky) and formats err. detail, if any, is a fixed string: bytes from the
 * network never go into a message. */
static ecs_status fail(http_resp *r, ecs_err *err, http_error e, const char *detail)
{
	r->error = e;
	r->state = S_ERROR;
	r->flags &= ~HTTP_F_DONE;
	if (e == HTTP_E_HEADERS_TOO_BIG)
		return err_set(err, ECS_E_PROTO, "header section larger than %zu bytes",
			       r->hdr_cap);
	if (e == HTTP_E_BODY_TOO_BIG)
		return err_set(err, ECS_E_PROTO, "body larger than %zu bytes", r->body_cap);
	if (detail != NULL)
		return err_set(err, ECS_E_PROTO, "%s: %s", http_error_text(e), detail);
	return err_set(err, ECS_E_PROTO, "%s", http_error_text(e));
}

static void finish(http_resp *r)
{
	r->state = S_DONE;
	r->flags |= HTTP_F_DONE;
}

void http_resp_init(http_resp *r, char *hdr, size_t hdr_cap, char *body, size_t body_cap, int head)
{
	memset(r, 0, sizeof(*r));
	r->hdr = hdr;
	r->hdr_cap = hdr_cap;
	r->body = body;
	r->body_cap = body_cap;
	r->no_body = head != 0;
	r->state = S_STATUS;
}

/* Offset of the line after the one containing pos (lines end in one or more NULs). */
static size_t next_line(const char *h, size_t len, size_t pos)
{
	while (pos < len && h[pos] != '\0')
		pos++;
	while (pos < len && h[pos] == '\0')
		pos++;
	return pos;
}

/* Splits the stored field line at pos (validated when it was received, so it holds a colon)
 * into name and value; returns the offset of the next line. */
static size_t field_at(const http_resp *r, size_t pos, const char **name, size_t *nlen,
		       const char **val, size_t *vlen)
{
	const char *h = r->hdr;
	size_t i = pos;

	while (i < r->hdr_len && h[i] != ':' && h[i] != '\0')
		i++;
	*name = h + pos;
	*nlen = i - pos;
	if (i < r->hdr_len && h[i] == ':')
		i++;
	while (i < r->hdr_len && is_ows((unsigned char)h[i]))
		i++;
	*val = h + i;
	while (i < r->hdr_len && h[i] != '\0')
		i++;
	*vlen = (size_t)(h + i - *val);
	return next_line(h, r->hdr_len, i);
}

/* Next element of the comma-separated list v[*pos..len), OWS trimmed (may be empty).
 * Returns 0 when the list is exhausted. */
static int list_next(const char *v, size_t len, size_t *pos, const char **it, size_t *itlen)
{
	size_t s = *pos, e = *pos;

	if (s > len)
		return 0;
	while (e < len && v[e] != ',')
		e++;
	*pos = e + 1;
	while (s < e && is_ows((unsigned char)v[s]))
		s++;
	while (e > s && is_ows((unsigned char)v[e - 1]))
		e--;
	*it = v + s;
	*itlen = e - s;
	return 1;
}

const char *http_resp_header(const http_resp *r, const char *name, size_t *len)
{
	size_t pos = next_line(r->hdr, r->hdr_len, 0); /* skip the status line */
	const char *n, *v;
	size_t nl, vl;

	while (pos < r->hdr_len) {
		pos = field_at(r, pos, &n, &nl, &v, &vl);
		if (ieq(n, nl, name)) {
			if (len != NULL)
				*len = vl;
			return v;
		}
	}
	if (len != NULL)
		*len = 0;
	return NULL;
}

/* Content-Length = 1*DIGIT; a list of equal values ("42, 42") or repeated equal fields are
 * accepted (RFC 9110 section 8.6), anything else is an error, never a guess. */
static ecs_status content_length(http_resp *r, const char *v, size_t len, ecs_err *err)
{
	size_t pos = 0, il, k;
	const char *it;

	while (list_next(v, len, &pos, &it, &il)) {
		uint64_t x = 0;

		if (il == 0)
			return fail(r, err, HTTP_E_BAD_LENGTH, "empty value");
		for (k = 0; k < il; k++) {
			unsigned d;

			if (!is_digit((unsigned char)it[k]))
				return fail(r, err, HTTP_E_BAD_LENGTH, "not a decimal number");
			d = (unsigned)(it[k] - '0');
			if (x > (UINT64_MAX - d) / 10)
				return fail(r, err, HTTP_E_BAD_LENGTH, "number too large");
			x = x * 10 + d;
		}
		if ((r->flags & HTTP_F_LENGTH) && x != r->content_length)
			return fail(r, err, HTTP_E_LENGTH_CONFLICT, NULL);
		r->flags |= HTTP_F_LENGTH;
		r->content_length = x;
	}
	return ECS_OK;
}

/* We decode only "chunked", applied once: any other coding (gzip, ...) or a second chunked
 * would leave encoded bytes in the body. Empty list elements are ignored (RFC 9110 5.6.1). */
static ecs_status transfer_encoding(http_resp *r, const char *v, size_t len, ecs_err *err)
{
	size_t pos = 0, il;
	const char *it;
	int codings = 0;

	while (list_next(v, len, &pos, &it, &il)) {
		if (il == 0)
			continue;
		if (!ieq(it, il, "chunked"))
			return fail(r, err, HTTP_E_BAD_TE, "only chunked is supported");
		if (r->flags & HTTP_F_CHUNKED)
			return fail(r, err, HTTP_E_BAD_TE, "chunked applied more than once");
		r->flags |= HTTP_F_CHUNKED;
		codings++;
	}
	if (codings == 0)
		return fail(r, err, HTTP_E_BAD_TE, "empty value");
	return ECS_OK;
}

/* The final header section is complete: decide the body framing (RFC 9112 section 6.3). */
static ecs_status framing(http_resp *r, ecs_err *err)
{
	size_t pos = next_line(r->hdr, r->hdr_len, 0), pos2, il, nl, vl;
	const char *n, *v, *it;
	int keep_alive = 0;
	ecs_status st = ECS_OK;

	while (pos < r->hdr_len && st == ECS_OK) {
		pos = field_at(r, pos, &n, &nl, &v, &vl);
		if (ieq(n, nl, "content-length")) {
			st = content_length(r, v, vl, err);
		} else if (ieq(n, nl, "transfer-encoding")) {
			st = transfer_encoding(r, v, vl, err);
		} else if (ieq(n, nl, "connection")) {
			pos2 = 0;
			while (list_next(v, vl, &pos2, &it, &il)) {
				if (ieq(it, il, "close"))
					r->flags |= HTTP_F_CLOSE;
				else if (ieq(it, il, "keep-alive"))
					keep_alive = 1;
			}
		}
	}
	if (st != ECS_OK)
		return st;
	/* Both framings at once is the classic request-smuggling shape: refuse it. */
	if ((r->flags & HTTP_F_CHUNKED) && (r->flags & HTTP_F_LENGTH))
		return fail(r, err, HTTP_E_TE_AND_LENGTH, NULL);
	if ((r->flags & HTTP_F_CHUNKED) && r->minor_version == 0)
		return fail(r, err, HTTP_E_BAD_TE, "not allowed in an HTTP/1.0 response");
	if (r->minor_version == 0 && !keep_alive)
		r->flags |= HTTP_F_CLOSE;
	if (r->status == 204 || r->status == 304)
		r->no_body = 1;
	if (r->no_body) {
		finish(r);
	} else if (r->flags & HTTP_F_CHUNKED) {
		r->state = S_CHUNK_SIZE;
		r->line_len = 0;
		r->chunk_left = 0;
		r->chunk_digits = 0;
	} else if (r->flags & HTTP_F_LENGTH) {
		if (r->content_length > r->body_cap) /* fail before reading any of it */
			return fail(r, err, HTTP_E_BODY_TOO_BIG, NULL);
		r->chunk_left = r->content_length;
		r->state = S_BODY_LEN;
		if (r->chunk_left == 0)
			finish(r);
	} else {
		r->flags |= HTTP_F_EOF_BODY | HTTP_F_CLOSE;
		r->state = S_BODY_EOF;
	}
	return ECS_OK;
}

/* status-line = HTTP-version SP 3DIGIT [SP reason-phrase]; only HTTP/1.0 and 1.1. */
static ecs_status status_line(http_resp *r, const char *p, size_t len, ecs_err *err)
{
	size_t i;

	if (len < 9 || memcmp(p, "HTTP/1.", 7) != 0 || (p[7] != '0' && p[7] != '1') || p[8] != ' ')
		return fail(r, err, HTTP_E_STATUS_LINE, "not HTTP/1.0 or HTTP/1.1");
	if (len < 12 || !is_digit((unsigned char)p[9]) || !is_digit((unsigned char)p[10]) ||
	    !is_digit((unsigned char)p[11]) || (len > 12 && p[12] != ' '))
		return fail(r, err, HTTP_E_STATUS_LINE, "no three-digit status code");
	for (i = 13; i < len; i++)
		if (!is_field_char((unsigned char)p[i]))
			return fail(r, err, HTTP_E_STATUS_LINE,
				    "control character in the reason phrase");
	r->minor_version = p[7] - '0';
	r->status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
	r->state = S_HEADER;
	if (r->status < 100)
		return fail(r, err, HTTP_E_STATUS_LINE, "status code below 100");
	if (r->status == 101) /* we never ask for an upgrade */
		return fail(r, err, HTTP_E_STATUS_LINE, "unexpected 101 Switching Protocols");
	if (r->status < 200 && ++r->interim_count > HTTP_MAX_1XX)
		return fail(r, err, HTTP_E_TOO_MANY_1XX, NULL);
	return ECS_OK;
}

/* A status or header line has ended; it sits at line_start with its LF already NUL. */
static ecs_status end_line(http_resp *r, ecs_err *err)
{
	char *p = r->hdr + r->line_start;
	size_t len = r->line_len - 1, i;

	if (len > 0 && p[len - 1] == '\r')
		p[--len] = '\0';
	r->line_start += r->line_len;
	r->line_len = 0;
	if (r->state == S_STATUS)
		return status_line(r, p, len, err);
	if (len == 0) {
		if (r->status < 200) { /* interim: forget it, a new status line follows */
			r->line_start = 0;
			r->state = S_STATUS;
			return ECS_OK;
		}
		r->hdr_len = r->line_start;
		return framing(r, err);
	}
	if (is_ows((unsigned char)p[0]))
		return fail(r, err, HTTP_E_OBS_FOLD, NULL);
	for (i = 0; i < len && is_tchar((unsigned char)p[i]); i++)
		;
	if (i == 0 || i == len || p[i] != ':')
		return fail(r, err, HTTP_E_HEADER_LINE, "no colon after a valid field name");
	for (i++; i < len; i++)
		if (!is_field_char((unsigned char)p[i]))
			return fail(r, err, HTTP_E_HEADER_LINE, "control character in a value");
	while (len > 0 && is_ows((unsigned char)p[len - 1]))
		p[--len] = '\0';
	return ECS_OK;
}

/* One byte of the status line or a header line: stored raw, so hdr_cap bounds the section. */
static ecs_status header_byte(http_resp *r, unsigned char c, ecs_err *err)
{
	size_t pos = r->line_start + r->line_len;

	if (pos >= r->hdr_cap)
		return fail(r, err, HTTP_E_HEADERS_TOO_BIG, NULL);
	/* A bare CR is not a line ending (RFC 9112 section 2.2); a bare LF is accepted. */
	if (r->line_len > 0 && r->hdr[pos - 1] == '\r' && c != '\n')
		return fail(r, err, r->state == S_STATUS ? HTTP_E_STATUS_LINE : HTTP_E_HEADER_LINE,
			    "CR not followed by LF");
	r->hdr[pos] = (char)(c == '\n' ? 0 : c);
	r->line_len++;
	return c == '\n' ? end_line(r, err) : ECS_OK;
}

/* After the chunk-size digits: BWS, then optional extensions skipped up to CRLF. */
static ecs_status chunk_ext_byte(http_resp *r, unsigned char c, ecs_err *err)
{
	if (c == '\r') {
		r->state = S_CHUNK_LF;
		return ECS_OK;
	}
	if (++r->line_len > HTTP_LINE_MAX)
		return fail(r, err, HTTP_E_CHUNK_JUNK, "chunk-size line longer than 4096 bytes");
	if (r->state == S_CHUNK_BWS) {
		if (c == ';')
			r->state = S_CHUNK_EXT;
		else if (!is_ows(c))
			return fail(r, err, HTTP_E_CHUNK_SIZE, "not a hexadecimal number");
	} else if (!is_field_char(c)) {
		return fail(r, err, HTTP_E_CHUNK_JUNK, "control character in a chunk extension");
	}
	return ECS_OK;
}

/* Trailer fields: validated like header lines, bounded, then discarded. */
static ecs_status trailer_byte(http_resp *r, unsigned char c, ecs_err *err)
{
	int s = r->state;

	if (++r->line_len > HTTP_LINE_MAX)
		return fail(r, err, HTTP_E_TRAILER, "trailer section longer than 4096 bytes");
	if (s == S_TR_START && (c == '\n' || c == '\r')) {
		if (c == '\r')
			r->state = S_TR_END_LF;
		else
			finish(r);
	} else if (s == S_TR_START && is_tchar(c)) {
		r->state = S_TR_NAME;
	} else if (s == S_TR_NAME && (is_tchar(c) || c == ':')) {
		r->state = c == ':' ? S_TR_VALUE : S_TR_NAME;
	} else if (s == S_TR_VALUE && (is_field_char(c) || c == '\r' || c == '\n')) {
		r->state = c == '\r' ? S_TR_LF : c == '\n' ? S_TR_START : S_TR_VALUE;
	} else if (s == S_TR_LF && c == '\n') {
		r->state = S_TR_START;
	} else if (s == S_TR_END_LF && c == '\n') {
		finish(r);
	} else {
		return fail(r, err, HTTP_E_TRAILER, NULL);
	}
	return ECS_OK;
}

/* Everything of the chunked framing except the data bytes themselves. */
static ecs_status chunk_byte(http_resp *r, unsigned char c, ecs_err *err)
{
	int d;

	switch (r->state) {
	case S_CHUNK_SIZE:
		d = hex_val(c);
		if (d >= 0) {
			if (++r->line_len > HTTP_LINE_MAX)
				return fail(r, err, HTTP_E_CHUNK_JUNK,
					    "chunk-size line longer than 4096 bytes");
			if ((r->chunk_left != 0 || d != 0) && ++r->chunk_digits > 16)
				return fail(r, err, HTTP_E_CHUNK_SIZE, "larger than 64 bits");
			r->chunk_left = (r->chunk_left << 4) | (uint64_t)d;
			return ECS_OK;
		}
		if (r->line_len == 0)
			return fail(r, err, HTTP_E_CHUNK_SIZE, "no hexadecimal digits");
		if (r->chunk_left > (uint64_t)(r->body_cap - r->body_len))
			return fail(r, err, HTTP_E_BODY_TOO_BIG, NULL);
		r->state = S_CHUNK_BWS;
		return chunk_ext_byte(r, c, err);
	case S_CHUNK_BWS:
	case S_CHUNK_EXT:
		return chunk_ext_byte(r, c, err);
	case S_CHUNK_LF:
		if (c != '\n')
			return fail(r, err, HTTP_E_CHUNK_JUNK, "chunk-size line not ended by CRLF");
		r->line_len = 0;
		r->state = r->chunk_left == 0 ? S_TR_START : S_CHUNK_DATA;
		return ECS_OK;
	case S_DATA_CR:
	case S_DATA_LF:
		if (c != (r->state == S_DATA_CR ? '\r' : '\n'))
			return fail(r, err, HTTP_E_CHUNK_JUNK, NULL);
		if (r->state == S_DATA_CR) {
			r->state = S_DATA_LF;
		} else {
			r->state = S_CHUNK_SIZE;
			r->chunk_left = 0;
			r->chunk_digits = 0;
		}
		return ECS_OK;
	default:
		return trailer_byte(r, c, err);
	}
}

/* Copies up to n body bytes; returns how many were taken. */
static size_t body_bytes(http_resp *r, const char *data, size_t n)
{
	if (r->state != S_BODY_EOF && n > r->chunk_left)
		n = (size_t)r->chunk_left;
	if (n > 0)
		memcpy(r->body + r->body_len, data, n);
	r->body_len += n;
	if (r->state == S_BODY_EOF)
		return n;
	r->chunk_left -= n;
	if (r->chunk_left == 0) {
		if (r->state == S_BODY_LEN)
			finish(r);
		else
			r->state = S_DATA_CR;
	}
	return n;
}

ecs_status http_resp_feed(http_resp *r, const char *data, size_t n, size_t *used, ecs_err *err)
{
	size_t i = 0, dummy;
	ecs_status st = ECS_OK;

	if (used == NULL)
		used = &dummy;
	*used = 0;
	if (r->state == S_ERROR)
		return fail(r, err, r->error, NULL);
	if (r->state == S_DONE)
		return n > 0 ? fail(r, err, HTTP_E_EXTRA_DATA, NULL) : ECS_OK;
	while (i < n && st == ECS_OK && r->state != S_DONE) {
		unsigned char c = (unsigned char)data[i];

		if (r->state == S_STATUS || r->state == S_HEADER) {
			st = header_byte(r, c, err);
			i++;
		} else if (r->state == S_BODY_EOF) {
			if (n - i > r->body_cap - r->body_len)
				st = fail(r, err, HTTP_E_BODY_TOO_BIG, NULL);
			else
				i += body_bytes(r, data + i, n - i);
		} else if (r->state == S_BODY_LEN || r->state == S_CHUNK_DATA) {
			/* room was checked against Content-Length or the chunk size */
			i += body_bytes(r, data + i, n - i);
		} else {
			st = chunk_byte(r, c, err);
			i++;
		}
	}
	*used = i;
	return st;
}

ecs_status http_resp_eof(http_resp *r, ecs_err *err)
{
	switch (r->state) {
	case S_ERROR:
		return fail(r, err, r->error, NULL);
	case S_DONE:
		return ECS_OK;
	case S_BODY_EOF:
		finish(r);
		return ECS_OK;
	case S_STATUS:
	case S_HEADER:
		return fail(r, err, HTTP_E_EOF_HEADERS, NULL);
	default:
		return fail(r, err, HTTP_E_EOF_BODY, NULL);
	}
}

int http_resp_done(const http_resp *r)
{
	return r->state == S_DONE;
}

int http_resp_started(const http_resp *r)
{
	/* In the header states every consumed byte is in line_start + line_len (or counted as an
	 * interim response); an EOF there must not make the response look started. */
	if (r->line_start > 0 || r->line_len > 0 || r->interim_count > 0)
		return 1;
	return r->state != S_STATUS && !(r->state == S_ERROR && r->error == HTTP_E_EOF_HEADERS);
}
