/*
 * HTTP/1.1 request writer and response parser. A pure byte state machine: no sockets, no
 * allocation. The caller owns every buffer; the parser keeps the header block (for lookups)
 * and the decoded body (chunked framing removed) in the caller's buffers, and anything that
 * does not fit is an error naming the limit, never a truncation.
 */
#ifndef ECS_HTTP_H
#define ECS_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

typedef struct {
	const char *name;
	const char *value; /* NUL-terminated both */
} http_header;

/* Writes "METHOD target HTTP/1.1\r\n" + headers + "\r\n" + body into buf. Header names and
 * values must not contain CR, LF or NUL (ECS_E_INPUT otherwise). Adds Content-Length when
 * body_len > 0 or the method is POST/PUT; the caller never passes Content-Length or
 * Transfer-Encoding itself (ECS_E_INPUT). *len gets the total length; buf is not NUL-terminated.
 * ECS_E_NOSPACE ("request larger than N bytes") if it does not fit in cap. */
ecs_status http_write_request(char *buf, size_t cap, size_t *len, const char *method,
			      const char *target, const http_header *headers, size_t nheaders,
			      const char *body, size_t body_len, ecs_err *err);

/* Why a response was rejected: each a distinct error. */
typedef enum {
	HTTP_OK = 0,
	HTTP_E_STATUS_LINE,	/* malformed status line or not HTTP/1.x */
	HTTP_E_HEADER_LINE,	/* malformed header line (no colon, bad name, bare CR, NUL) */
	HTTP_E_OBS_FOLD,	/* obsolete line folding (a header line starting with SP/HT) */
	HTTP_E_HEADERS_TOO_BIG, /* header section larger than the header buffer */
	HTTP_E_TOO_MANY_1XX,	/* more interim 1xx responses than we accept */
	HTTP_E_BAD_LENGTH,	/* Content-Length not a plain decimal, or overflows */
	HTTP_E_LENGTH_CONFLICT, /* several different Content-Length values */
	HTTP_E_TE_AND_LENGTH,	/* Transfer-Encoding together with Content-Length */
	HTTP_E_BAD_TE,		/* a transfer coding other than a final "chunked" */
	HTTP_E_CHUNK_SIZE,	/* chunk size not hex, empty, negative or overflowing */
	HTTP_E_CHUNK_JUNK,	/* bytes other than CRLF after chunk data, or a bad chunk line */
	HTTP_E_TRAILER,		/* malformed or oversized trailer section */
	HTTP_E_BODY_TOO_BIG,	/* body larger than the body buffer */
	HTTP_E_EOF_HEADERS,	/* connection closed inside the status line or headers */
	HTTP_E_EOF_BODY,	/* connection closed before the body ended */
	HTTP_E_EXTRA_DATA	/* bytes after a complete response on a non-pipelined exchange */
} http_error;

/* Response parser state. Fields marked (out) are valid once http_resp_done() is true
 * (status/version/headers as soon as state has passed the header section). */
typedef struct {
	/* caller buffers */
	char *hdr;
	size_t hdr_cap;
	char *body;
	size_t body_cap;

	/* (out) */
	int status;	   /* final status code (100..999) */
	int minor_version; /* 0 for HTTP/1.0, 1 for HTTP/1.1 */
	size_t hdr_len;	   /* bytes of the final header block kept in hdr (NUL-separated lines) */
	size_t body_len;
	uint64_t content_length;
	unsigned flags; /* HTTP_F_* */
	http_error error;

	/* internal */
	int state;
	int no_body; /* response to HEAD or a 204/304 */
	int interim_count;
	size_t line_len; /* bytes of the current line collected in hdr at line_start */
	size_t line_start;
	uint64_t chunk_left;
	int chunk_digits;
} http_resp;

#define HTTP_F_CHUNKED	0x01u /* Transfer-Encoding: chunked */
#define HTTP_F_LENGTH	0x02u /* Content-Length present */
#define HTTP_F_CLOSE	0x04u /* the connection must be closed after this response */
#define HTTP_F_DONE	0x08u /* the whole response has been parsed */
#define HTTP_F_EOF_BODY 0x10u /* body delimited by connection close */

/* Prepares r for one response. head = 1 if the request was HEAD (no body follows). */
void http_resp_init(http_resp *r, char *hdr, size_t hdr_cap, char *body, size_t body_cap, int head);

/* Feeds n bytes from the connection. *used gets how many were consumed (fewer than n only
 * when the response completed; the rest belongs to the next response). Returns ECS_OK, or
 * ECS_E_PROTO with r->error set and err naming the problem. Calling again after an error
 * returns the same error; feeding bytes to a finished response is HTTP_E_EXTRA_DATA. */
ecs_status http_resp_feed(http_resp *r, const char *data, size_t n, size_t *used, ecs_err *err);

/* Tells the parser the peer closed the connection. Completes a close-delimited body;
 * anything else unfinished is ECS_E_PROTO (HTTP_E_EOF_HEADERS / HTTP_E_EOF_BODY). */
ecs_status http_resp_eof(http_resp *r, ecs_err *err);

/* 1 when the response is complete. */
int http_resp_done(const http_resp *r);

/* 1 if the parser has consumed any byte of the response yet. */
int http_resp_started(const http_resp *r);

/* Value of the first header named name (case-insensitive) of the final response, with
 * surrounding whitespace removed; NULL if absent. *len gets its length. Valid once the header
 * section is complete. */
const char *http_resp_header(const http_resp *r, const char *name, size_t *len);

/* Short English text for an http_error. */
const char *http_error_text(http_error e);

#endif
