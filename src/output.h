/*
 * Table, TSV and JSON writers for records. Streaming: rows are written as answers arrive, so
 * memory stays flat for any number of instances. Bytes go to a sink through a buffer that is
 * flushed only between rows: whatever reached the sink is whole rows, and out_emergency() (from
 * a signal handler) can add the buffered whole rows and a closing trailer.
 *
 * Every write is checked: the first failure stops all output and out_finish() reports it. Every
 * field that came from the server is filtered for display (show.h) in table and TSV, and
 * escaped in JSON (C1 and bidi controls as \uXXXX).
 */
#ifndef ECS_OUTPUT_H
#define ECS_OUTPUT_H

#include <stddef.h>
#include <stdint.h>

#include "ecs.h"
#include "ecs_limits.h"
#include "out_nagios.h"
#include "store.h"

typedef enum { OUT_TABLE, OUT_JSON, OUT_TSV, OUT_NAGIOS, OUT_PROM } out_format;

/* Where a JSON document is: in the records, in a list of the trailer, between its members. */
enum { OUT_STAGE_RECORDS = 0, OUT_STAGE_LIST = 1, OUT_STAGE_TAIL = 2 };

/* Writes all len bytes; 0, or -1 on failure (the sink keeps the reason). */
typedef int (*out_write_fn)(void *ctx, const void *buf, size_t len);

typedef struct {
	out_format fmt;
	out_write_fn write;
	void *write_ctx;
	unsigned rows;	   /* records written */
	unsigned notfound; /* not-found rows written */
	int failed;	   /* a write failed: nothing more is written */
	int began;	   /* out_begin was called */
	/* set by the caller after out_init */
	store *keep;	  /* nagios, prom: every answer is kept here until out_finish */
	int only_down;	  /* --down: table/tsv/json rows only for instances without a live agent */
	unsigned width;	  /* table: terminal width (0 = no limit); columns that do not fit go */
	int64_t now_unix; /* table: "now" for heartbeat ages */
	const char *region;    /* for records kept and Prometheus labels */
	int show_region;       /* several regions: TSV column 10, a REGION table column */
	const char *os_filter; /* --os-type with ids: "not returned" may mean "other OS" */
	unsigned live;	       /* records with a live agent */
	unsigned answered;     /* records the API returned (also those --down does not print) */
	unsigned cols;	       /* table: the columns shown (bit mask) */
	int nagios_state;      /* set by out_finish: NAGIOS_OK..NAGIOS_UNKNOWN */
	volatile int closing;  /* out_finish is writing the trailer */
	volatile int stage;    /* JSON: how far the document is (OUT_STAGE_*), for out_emergency */
	volatile size_t committed; /* buf[0..committed) holds whole rows only */
	size_t len;
	char buf[ECS_OUT_BUF];
} out_ctx;

/* What the run verified, for the trailer and the exit code. */
typedef struct {
	int complete;		/* every listed id (or every page) was answered */
	const char *error_code; /* incomplete: a stable name (err_name()) */
	const char *error_msg;	/* incomplete: the message shown on stderr */
	unsigned not_checked;	/* ids never answered (id mode) */
	/* JSON: RequestIds and NotFound lists, by index */
	size_t n_request_ids;
	const char *(*request_id_at)(void *ctx, size_t i);
	size_t n_notfound;
	const char *(*notfound_at)(void *ctx, size_t i);
	void *ctx;
	int64_t duration_ms; /* nagios, prom: how long the run took */
	/* prom: the regions asked and whether each was answered without an error */
	size_t nregions;
	const char (*regions)[ECS_REGION_MAX];
	const int *region_ok;
	const nagios_range *warn, *crit; /* nagios thresholds */
} out_summary;

void out_init(out_ctx *o, out_format fmt, out_write_fn write, void *write_ctx);
/* The table header; the JSON opening. */
void out_begin(out_ctx *o);
/* A record the API returned. ECS_E_NOSPACE if it cannot be kept (nagios, prom). */
ecs_status out_record(out_ctx *o, const ecs_record *r, ecs_err *err);
/* An id the API did not return (table/tsv: a row; json: listed by out_finish's summary). */
void out_notfound(out_ctx *o, const char *id);

/*
 * Ends the output: table/tsv have nothing to add; JSON closes the records and adds TotalCount,
 * RequestIds and NotFound, and when the run is incomplete "Incomplete": true and
 * "Error": {"Code", "Message"} (NotFound then lists only ids known not to exist). Flushes.
 * Returns 0, or -1 if any write failed (now or before).
 */
int out_finish(out_ctx *o, const out_summary *s);

/* From a signal handler: writes the buffered whole rows and, for JSON, a trailer that marks
 * the document incomplete with error code "interrupted", with raw writes. Async-signal-safe. */
void out_emergency(out_ctx *o, void (*raw_write)(const void *buf, size_t len));

/* Writes s verbatim (help and version text, dry-run requests) through the buffer. */
void out_str(out_ctx *o, const char *s);
void out_bytes(out_ctx *o, const char *s, size_t n);
/* Writes s (n bytes) filtered for display (show.h). */
void out_shown(out_ctx *o, const char *s, size_t n);
void out_printf(out_ctx *o, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 2, 3)))
#endif
	;

/* The writers of the formats that write at the end (out_nagios.c, out_prom.c). */
void out_nagios_finish(out_ctx *o, const out_summary *s);
void out_prom_finish(out_ctx *o, const out_summary *s);
/* "42s", "3m", "5h", "12d" for the age of an ISO time at now; "-" when unknown. */
void out_age(char *dst, size_t cap, const char *iso, int64_t now);
/* Flushes the buffer; returns 0, or -1 if any write failed. */
int out_flush(out_ctx *o);

#endif
