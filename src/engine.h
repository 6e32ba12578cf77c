/*
 * The batch engine: the instance ids of a run, in batches of up to 100, over up to
 * ENGINE_PARALLEL_MAX kept-alive connections driven by one poll() in one thread.
 *
 * Every request is signed just before it is sent, on a connection that is up (a retry is
 * signed anew). Answers are handed to the sinks in input order through a bounded reorder
 * window (memory does not grow with the number of ids). Throttling halves the concurrency for
 * the rest of the run; InstanceIds.ExceedLimit splits the batch and lowers the batch size to
 * 50; a batch failed by 404 InvalidInstance.NotFound is bisected until the stale ids are
 * isolated; one deadline bounds everything.
 *
 * The scheduler (engine_sched_*) is pure bookkeeping, unit-tested without sockets.
 */
#ifndef ECS_ENGINE_H
#define ECS_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "conn.h"
#include "ecs.h"
#include "ecs_limits.h"
#include "err.h"
#include "http.h"

/* ---- scheduler ---- */

/* A run of ids [start, start + len) of one batch, with the attempts spent on it. */
typedef struct {
	size_t start;
	unsigned len;
} engine_range;

/* A range inside a batch: ids [start + at, start + at + len) of the batch. */
typedef struct {
	uint8_t at, len;
} engine_span;

/* One batch in the reorder window: a few hundred bytes; its records are kept packed in the
 * window's record area (engine_sched.recs), so the window costs what its answers hold. */
typedef struct {
	size_t start; /* first id of the batch */
	unsigned n;   /* ids in the batch */
	unsigned inflight;
	unsigned npending;
	unsigned nrec;
	uint8_t stale[ECS_PAGE_MAX];	   /* ids isolated by bisection */
	engine_span pending[ECS_PAGE_MAX]; /* ranges still to send, a stack */
	uint32_t rec[ECS_PAGE_MAX];	   /* offsets of its records in the record area */
} engine_batch;

/* Bytes of one packed record at most (a 4-byte tag, the numbers, five strings at their
 * limits, an empty region), and of a record area that holds every record a window of w batches can
 * gather. */
#define ENGINE_REC_MAX                                                                             \
	(4 + 24 + (ECS_ID_MAX + 1) + ECS_VERSION_MAX + ECS_OSTYPE_MAX + 2 * ECS_TIME_MAX + 1)
#define ENGINE_RECS_SIZE(w) ((size_t)(w)*ECS_PAGE_MAX * ENGINE_REC_MAX)

typedef struct {
	size_t nids, next_id; /* ids not yet in a batch start at next_id */
	unsigned batch_size;
	unsigned window; /* batches held at once (<= ENGINE_WINDOW); the ring's size */
	unsigned head, count;
	engine_batch *b;	   /* window batches, the caller's memory */
	char *recs;		   /* the record area (ENGINE_RECS_SIZE(window)), the caller's */
	size_t recs_len, recs_cap; /* bytes in use (from the start: compacted on pop) */
} engine_sched;

/* b: room for window batches, recs: the record area (recs_cap bytes); their pages are touched
 * only as they are used. */
void engine_sched_init(engine_sched *s, size_t nids, unsigned batch_size, unsigned window,
		       engine_batch *b, char *recs, size_t recs_cap);

/* The next range to send (the lowest batch with work first; a new batch when the window has
 * room). 1 with *slot (window index) and *r set, 0 when nothing can be sent now. */
int engine_sched_next(engine_sched *s, unsigned *slot, engine_range *r);

/* An answer to range r of batch slot: recs[0..n) found (may be n = 0). */
void engine_sched_answered(engine_sched *s, unsigned slot, engine_range r, const ecs_record *recs,
			   size_t n);
/* Range r goes back to be sent again (a retry on another connection). */
void engine_sched_requeue(engine_sched *s, unsigned slot, engine_range r);
/* Range r failed with InvalidInstance.NotFound: halves go back, a single id is stale. */
void engine_sched_bisect(engine_sched *s, unsigned slot, engine_range r);
/* Range r exceeded the server's limit: halves go back, every pending range and every new
 * batch is cut to limit ids. */
void engine_sched_split(engine_sched *s, unsigned slot, engine_range r, unsigned limit);

/* The head batch when it is complete (nothing pending or in flight), else NULL. */
const engine_batch *engine_sched_head(const engine_sched *s);
/* Record k (< b->nrec) of batch b: its InstanceId (valid until the next pop), or the whole
 * record copied into *r. */
const char *engine_sched_rec_id(const engine_sched *s, const engine_batch *b, unsigned k);
void engine_sched_rec(const engine_sched *s, const engine_batch *b, unsigned k, ecs_record *r);
/* Drops the head batch and its records (the record area is compacted). */
void engine_sched_pop(engine_sched *s);
/* 1 when every id has been handed out and answered. */
int engine_sched_finished(const engine_sched *s);

/* ---- the run ---- */

typedef struct {
	/* the ids, in input order: id_at(ctx, i) is NUL-terminated */
	const char *(*id_at)(void *ctx, size_t i);
	size_t nids;
	unsigned parallel;   /* connections, 1..ENGINE_PARALLEL_MAX */
	unsigned batch_size; /* ids per request, 1..100 */
	unsigned retries;    /* extra attempts per request for transient failures */
	int64_t deadline_ms; /* monotonic; 0 = none */
	ecs_client *cl;	     /* signs requests, classifies answers (its conn is not used) */
	/* memory for the connections and the window, given back at the end (port_mem_resize) */
	void *(*resize)(void *p, size_t old_size, size_t new_size);
	/* sinks, called in input order with the index of the id; a non-OK status (output
	 * failed) ends the run with it */
	ecs_status (*record)(void *ctx, size_t i, const ecs_record *r, ecs_err *err);
	ecs_status (*notfound)(void *ctx, size_t i, int stale, ecs_err *err);
	ecs_status (*request_id)(void *ctx, const char *id, ecs_err *err);
	void (*trace)(void *ctx, const char *line); /* -v, may be NULL */
	/* called before each batch is signed (credentials refresh); non-OK fails the run */
	ecs_status (*before_sign)(void *ctx, ecs_err *err);
	/* non-OK to stop early (output closed); may be NULL */
	ecs_status (*stop)(void *ctx, ecs_err *err);
	void *ctx;
} engine_opts;

typedef struct {
	unsigned requests, connections, answered, notfound, stale, throttled;
	unsigned parallel_final, batch_final;
} engine_stats;

/* One connection and the buffers of the exchange it carries. The small fields and the
 * connection's state share the first page; the exchange buffers start on a page of their own
 * and are given back to the system when they are not needed (the request once it is sent,
 * everything when the exchange ends), so a connection costs the pages of the exchange in
 * flight, not the largest it ever carried. */
typedef struct {
	int busy;	    /* an exchange is in flight */
	int opening;	    /* it is opening the connection; the request is signed after */
	int64_t not_before; /* > 0: waiting to (re)send after a backoff */
	unsigned slot;	    /* window index of the batch */
	engine_range r;
	unsigned attempt;
	int free_reconnect; /* an idle kept-alive close costs no attempt, once */
	int signed_skew;    /* the client's skew correction when this request was signed */
	size_t req_len;	    /* bytes of the request in req, 0 once it is wiped */
	http_resp resp;
	conn c; /* its state first, its proxy buffers (rarely touched) at its end */
	_Alignas(4096) char req[ECS_HTTP_REQ_MAX];
	char hdr[ECS_HTTP_HDR_MAX];
	char body[ECS_HTTP_BODY_MAX];
} engine_conn;

/* The state of a run; the connections, the window and its record area are allocated for the
 * run (96 KiB per connection, and 38 KiB of record area per window batch, of address space;
 * touched as used: a connection costs a page plus the exchange in flight, a batch a few hundred
 * bytes plus its records, about 100 bytes each). */
typedef struct {
	engine_opts o;
	engine_stats st;
	engine_sched s;
	unsigned limit; /* current concurrency (halved by throttling) */
	unsigned busy;
	int done_at_once; /* an exchange ended while dispatch handed out work */
	port_addr addrs[PORT_ADDRS_MAX];
	size_t naddrs;
	ecs_page page;		  /* scratch for one answer */
	char rbuf[ECS_NET_CHUNK]; /* received bytes, shared by the connections */
	engine_conn *k;
	size_t mem_size; /* bytes of k, s.b and s.recs together */
} engine;

/* Runs every id of o. ECS_OK when every id was answered (records or not found), else the
 * first failure that ended the run (err says what; stats say how far it got). Whatever was
 * handed to the sinks is complete and in order. */
ecs_status engine_run(engine *e, const engine_opts *o, const conn_opts *co, engine_stats *stats,
		      ecs_err *err);

#endif
