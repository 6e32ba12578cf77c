/* Table, TSV and JSON writers for records. Streaming: rows are written as batches arrive, so
 * memory stays flat for any number of instances. Output goes to stdout through a buffer. */
#ifndef ECS_OUTPUT_H
#define ECS_OUTPUT_H

#include <stddef.h>
#include <stdint.h>

#include "ecs.h"

typedef enum { OUT_TABLE, OUT_JSON, OUT_TSV } out_format;

typedef struct {
	out_format fmt;
	unsigned rows;
	unsigned notfound;
	int failed;  /* a write to stdout failed (closed pipe): stop writing */
	int flushed; /* something has reached stdout */
	size_t len;
	char buf[8192];
} out_ctx;

void out_begin(out_ctx *o, out_format fmt);
/* A record the API returned. */
void out_record(out_ctx *o, const ecs_record *r);
/* An id the API did not return (table/tsv: a row now; json: collected by the caller and
 * passed to out_json_notfound after out_end_records). */
void out_notfound(out_ctx *o, const char *id);
/* JSON only: closes the record list; then TotalCount, RequestIds and NotFound follow. */
void out_end_records(out_ctx *o, int64_t total_count);
void out_json_request_ids_begin(out_ctx *o);
void out_json_request_id(out_ctx *o, const char *id, int first);
void out_json_notfound_begin(out_ctx *o);
void out_json_notfound(out_ctx *o, const char *id, int first);
/* Finishes the document and flushes. Returns 0, or -1 if stdout failed. */
int out_finish(out_ctx *o);

/* After a failure: table/tsv rows so far are written; JSON is dropped when nothing reached
 * stdout yet, else closed as a complete document marked "Incomplete": true. */
void out_abort(out_ctx *o);

/* Formats --help style strings etc.: writes s to stdout through the buffer. */
void out_str(out_ctx *o, const char *s);

#endif
