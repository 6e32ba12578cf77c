/* The batch engine's run loop: K non-blocking connections under one poll(), requests signed
 * just before they go out, answers classified by ecs_answer and fed to the scheduler
 * (engine_sched.c), complete head batches handed to the sinks in input order. */
#include "engine.h"

#include <stdio.h>
#include <string.h>

#include "port.h"

#define trace(e, ...) err_emit((e)->o.trace, (e)->o.ctx, __VA_ARGS__)

/* Hands every complete batch at the head of the window to the sinks, in input order. */
static ecs_status emit_ready(engine *e, ecs_err *err)
{
	const engine_batch *b;
	ecs_record r;
	ecs_status st = ECS_OK;

	while (st == ECS_OK && (b = engine_sched_head(&e->s)) != NULL) {
		unsigned i, k;
		for (i = 0; i < b->n && st == ECS_OK; i++) {
			const char *id = e->o.id_at(e->o.ctx, b->start + i);
			for (k = 0; k < b->nrec && !b->stale[i]; k++)
				if (strcmp(engine_sched_rec_id(&e->s, b, k), id) == 0)
					break;
			if (k < b->nrec && !b->stale[i]) {
				engine_sched_rec(&e->s, b, k, &r);
				e->st.answered++;
				st = e->o.record(e->o.ctx, b->start + i, &r, err);
			} else {
				e->st.notfound++;
				e->st.stale += b->stale[i];
				st = e->o.notfound(e->o.ctx, b->start + i, b->stale[i], err);
			}
		}
		engine_sched_pop(&e->s);
	}
	return st;
}

static void in_flight(engine *e, engine_conn *k)
{
	http_resp_init(&k->resp, k->hdr, sizeof(k->hdr), k->body, sizeof(k->body), 0);
	k->not_before = 0;
	if (!k->busy) {
		k->busy = 1;
		e->busy++;
	}
}

/* Signs the connection's range anew and hands the request to the (open) connection. */
static ecs_status send_range(engine *e, engine_conn *k, ecs_err *err)
{
	const char *ids[ECS_PAGE_MAX];
	unsigned i;
	ecs_status st;

	if (e->o.before_sign != NULL && (st = e->o.before_sign(e->o.ctx, err)) != ECS_OK)
		return st;
	for (i = 0; i < k->r.len; i++)
		ids[i] = e->o.id_at(e->o.ctx, k->r.start + i);
	st = ecs_build_ids(e->o.cl, ids, k->r.len, k->req, sizeof(k->req), &k->req_len, err);
	if (st != ECS_OK)
		return st;
	e->st.requests++;
	k->signed_skew = e->o.cl->skew_corrected;
	ecs_trace_request(e->o.cl, k->req, k->req_len);
	in_flight(e, k);
	return conn_begin(&k->c, k->req, k->req_len, &k->resp, err);
}

/* Once sent, the request is wiped (it held a signature and maybe a token) and its pages are
 * given back: every attempt is signed anew. */
static void wipe_request(engine_conn *k)
{
	if (k->req_len == 0)
		return;
	memset(k->req, 0, k->req_len);
	port_mem_zero_release(k->req, sizeof(k->req));
	k->req_len = 0;
}

/* The exchange on k ended (answer or failure): k holds its range, waiting or re-sending. The
 * pages of the answer are given back (its records were copied out). */
static void end_exchange(engine *e, engine_conn *k)
{
	wipe_request(k);
	port_mem_zero_release(k->hdr, sizeof(k->hdr) + sizeof(k->body));
	k->opening = 0;
	if (k->busy) {
		k->busy = 0;
		e->busy--;
	}
}

static void release(engine_conn *k)
{
	k->r.len = 0;
	k->attempt = 0;
}

/* Schedules a retry of k's range after a backoff, or ends the run when the attempts are
 * spent. api: the API error of the answer (NULL for a transport failure, in err). */
static ecs_status retry_later(engine *e, engine_conn *k, uint32_t retry_after,
			      const ecs_api_error *api, ecs_err *err)
{
	uint32_t wait;
	char why[ECS_ERR_MSG_MAX];

	if (k->attempt >= e->o.retries) {
		if (api != NULL)
			return ecs_api_failure(e->o.cl, api, k->attempt + 1, err);
		if (k->attempt > 0)
			err_prefix(err, "gave up after %u attempts", k->attempt + 1);
		return err->status != ECS_OK ? err->status : ECS_E_INTERNAL;
	}
	wait = ecs_backoff_ms(e->o.cl, k->attempt, retry_after);
	k->attempt++;
	if (api != NULL)
		snprintf(why, sizeof(why), "%s (HTTP %d)%s", api->code[0] ? api->code : "error",
			 api->http_status, retry_after > 0 ? ", honouring x-acs-retry-after" : "");
	else
		snprintf(why, sizeof(why), "%s", err->msg);
	trace(e, "retry %u/%u of ids %u..%u in %u ms after %s", k->attempt, e->o.retries,
	      (unsigned)k->r.start + 1, (unsigned)(k->r.start + k->r.len), (unsigned)wait, why);
	if (api != NULL && retry_after > ECS_RETRY_NOTICE_MS && wait > ECS_RETRY_NOTICE_MS)
		err_emit(e->o.cl->o.warn, e->o.cl->o.ctx,
			 "warning: %s answered %s and asks to wait %u.%u s (x-acs-retry-after); "
			 "waiting before retry %u/%u",
			 k->c.o.host, api->code[0] ? api->code : "an error", (unsigned)wait / 1000,
			 (unsigned)(wait % 1000) / 100, k->attempt, e->o.retries);
	k->not_before = port_time_ms() + wait;
	if (k->not_before == 0)
		k->not_before = 1;
	return ECS_OK;
}

static void throttled(engine *e, const char *code)
{
	e->st.throttled++;
	if (e->limit > 1) {
		e->limit /= 2;
		trace(e,
		      "throttled (%s): lowering concurrency to %u connection(s) for the rest of "
		      "the run",
		      code, e->limit);
	}
}

/* Keeps the records of the answer that belong to the range asked for. */
static ecs_status take_page(engine *e, engine_conn *k, ecs_err *err)
{
	ecs_record *keep = e->page.rec;
	size_t i, n = 0;
	unsigned j;

	for (i = 0; i < e->page.n; i++) {
		for (j = 0; j < k->r.len; j++)
			if (strcmp(e->page.rec[i].id, e->o.id_at(e->o.ctx, k->r.start + j)) == 0)
				break;
		if (j == k->r.len)
			continue; /* not asked for: ignored */
		for (j = 0; j < n; j++)
			if (strcmp(keep[j].id, e->page.rec[i].id) == 0)
				return err_set(err, ECS_E_PROTO,
					       "the API answered twice for instance %s",
					       keep[j].id);
		keep[n++] = e->page.rec[i];
	}
	engine_sched_answered(&e->s, k->slot, k->r, keep, n);
	if (e->page.request_id[0] != '\0' && e->o.request_id != NULL)
		return e->o.request_id(e->o.ctx, e->page.request_id, err);
	return ECS_OK;
}

static ecs_status on_failure(engine *e, engine_conn *k, ecs_status st, ecs_err *err);

static ecs_status step(engine *e, engine_conn *k, ecs_err *err);

/* k's range goes out. An open connection gets the request signed and sent at once; a closed
 * one is opened first and the request signed once it is up (step), so that no request waits in
 * memory through a handshake and no handshake ages a signature. A failure to even start
 * (connect refused at once) is handled as a failure of the exchange. */
static ecs_status start(engine *e, engine_conn *k, ecs_err *err)
{
	ecs_status st;

	if (k->c.state == CONN_S_IDLE) {
		st = send_range(e, k, err);
	} else {
		k->opening = 1;
		in_flight(e, k);
		st = conn_begin(&k->c, NULL, 0, &k->resp, err);
	}
	if (st == ECS_OK)
		return step(e, k, err); /* what can go out now does: one request in memory */
	if (k->busy)
		return on_failure(e, k, st, err);
	return st;
}

static ecs_status on_answer(engine *e, engine_conn *k, ecs_err *err)
{
	ecs_api_error api;
	uint32_t ra = 0;
	const char *ids[ECS_PAGE_MAX];
	ecs_verdict v;
	unsigned i;

	for (i = 0; i < k->r.len; i++)
		ids[i] = e->o.id_at(e->o.ctx, k->r.start + i);
	v = ecs_answer(e->o.cl, &k->resp, ids, k->r.len, &e->page, &api, &ra, err);

	trace(e, "response: HTTP %d, %u bytes%s", k->resp.status, (unsigned)k->resp.body_len,
	      k->c.was_used ? " (kept-alive connection)" : "");
	end_exchange(e, k);
	switch (v) {
	case ECS_V_DONE: {
		ecs_status st = take_page(e, k, err);
		release(k);
		return st;
	}
	case ECS_V_SKEW:
		return start(e, k, err);
	case ECS_V_SPLIT:
		if (e->s.batch_size > 50)
			trace(e,
			      "the server takes at most 50 ids per request (%s); splitting and "
			      "using batches of 50 for the rest of the run",
			      api.code[0] ? api.code : "HTTP 400");
		engine_sched_split(&e->s, k->slot, k->r, 50);
		release(k);
		return ECS_OK;
	case ECS_V_NOTFOUND:
		trace(e, "%s for ids %u..%u: bisecting to find the stale id(s)", api.code,
		      (unsigned)k->r.start + 1, (unsigned)(k->r.start + k->r.len));
		engine_sched_bisect(&e->s, k->slot, k->r);
		release(k);
		return ECS_OK;
	case ECS_V_THROTTLE:
		throttled(e, api.code[0] ? api.code : "HTTP error");
		/* fall through */
	case ECS_V_RETRY:
		return retry_later(e, k, ra, &api, err);
	default:
		if (strcmp(api.code, "InvalidTimeStamp.Expired") == 0 &&
		    k->signed_skew != e->o.cl->skew_corrected)
			return start(e, k, err); /* signed before another answer fixed the clock */
		return err->status != ECS_OK ? err->status : ECS_E_API;
	}
}

static ecs_status on_failure(engine *e, engine_conn *k, ecs_status st, ecs_err *err)
{
	/* a connection closed before any byte of the answer is a drop like a reset: the request
	 * (read-only) is signed anew and resent */
	int dropped = st == ECS_E_PROTO && k->resp.error == HTTP_E_EOF_HEADERS &&
		      !http_resp_started(&k->resp);
	int transient = st == ECS_E_NET || st == ECS_E_TIMEOUT || st == ECS_E_CLOSED || dropped;

	end_exchange(e, k);
	if (e->o.deadline_ms != 0 && port_time_ms() >= e->o.deadline_ms)
		return st;
	if (st == ECS_E_CLOSED && k->c.was_used && k->free_reconnect) {
		/* the server closed an idle kept-alive connection: not a failure */
		k->free_reconnect = 0;
		trace(e,
		      "retry: %s closed the kept-alive connection before answering; reconnecting "
		      "and signing anew",
		      k->c.o.host);
		return start(e, k, err);
	}
	if (!transient)
		return st;
	return retry_later(e, k, 0, NULL, err);
}

/* Gives work to free connections (up to the current concurrency) and re-sends those whose
 * backoff is over. */
static ecs_status dispatch(engine *e, ecs_err *err)
{
	int64_t now = port_time_ms();
	unsigned i;
	ecs_status st;

	for (i = 0; i < e->o.parallel; i++) {
		engine_conn *k = &e->k[i];
		if (k->busy || k->r.len == 0 || k->not_before == 0 || k->not_before > now)
			continue;
		if ((st = start(e, k, err)) != ECS_OK)
			return st;
	}
	for (i = 0; i < e->o.parallel; i++) {
		engine_conn *k = &e->k[i];
		unsigned active = 0, j;
		for (j = 0; j < e->o.parallel; j++)
			active += e->k[j].r.len > 0;
		if (active >= e->limit)
			break;
		if (k->r.len > 0)
			continue;
		if (!engine_sched_next(&e->s, &k->slot, &k->r))
			break;
		k->attempt = 0;
		k->free_reconnect = 1;
		if ((st = start(e, k, err)) != ECS_OK)
			return st;
	}
	return ECS_OK;
}

/* Waits for the busy connections and steps those that are ready or due. */
static ecs_status wait_and_step(engine *e, ecs_err *err)
{
	port_pollfd p[ENGINE_PARALLEL_MAX];
	unsigned map[ENGINE_PARALLEL_MAX], n = 0, i;
	int64_t until = e->o.deadline_ms, now;
	ecs_status st;

	for (i = 0; i < e->o.parallel; i++) {
		engine_conn *k = &e->k[i];
		int64_t d = k->busy ? conn_deadline(&k->c) : k->not_before;
		if (k->r.len == 0 || d == 0)
			continue;
		if (until == 0 || d < until)
			until = d;
		if (k->busy) {
			p[n].fd = conn_fd(&k->c);
			p[n].events = conn_events(&k->c);
			map[n++] = i;
		}
	}
	if (until == 0) /* an exchange ended at once (in dispatch): its answer is handled */
		return e->done_at_once
			       ? ECS_OK
			       : err_set(err, ECS_E_INTERNAL, "engine: nothing to wait for");
	if (port_poll(p, n, until) < 0)
		return err_set(err, ECS_E_INTERNAL, "poll failed: %s", port_strerror());
	now = port_time_ms();
	for (i = 0; i < n; i++) {
		engine_conn *k = &e->k[map[i]];
		if (p[i].revents == 0 && now < conn_deadline(&k->c))
			continue;
		if ((st = step(e, k, err)) != ECS_OK)
			return st;
	}
	return ECS_OK;
}

/* Steps k's connection as far as it goes without waiting, and handles what came of it. */
static ecs_status step(engine *e, engine_conn *k, ecs_err *err)
{
	int done = 0;
	ecs_status st = conn_step(&k->c, &done, err);

	if (st == ECS_OK && k->c.state == CONN_S_RECV)
		wipe_request(k); /* all of it went out */
	if (st != ECS_OK || done)
		e->done_at_once = 1;
	if (st != ECS_OK)
		return on_failure(e, k, st, err);
	if (!done)
		return ECS_OK;
	if (!k->opening)
		return on_answer(e, k, err);
	k->opening = 0; /* the connection is up: now the request */
	return start(e, k, err);
}

/* The connections, the window and its record area, from the caller's allocator (fresh
 * pages: zero; each part touched only as it is used). */
static ecs_status alloc(engine *e, ecs_err *err)
{
	unsigned window = 2 * e->o.parallel;
	size_t conns = e->o.parallel * sizeof(engine_conn); /* whole pages */
	size_t batches = (window * sizeof(engine_batch) + 4095) & ~(size_t)4095;
	char *mem;

	e->mem_size = conns + batches + ENGINE_RECS_SIZE(window);
	mem = e->o.resize(NULL, 0, e->mem_size);
	if (mem == NULL)
		return err_set(err, ECS_E_NOSPACE,
			       "out of memory for %u connections (%u KiB); try a lower --parallel",
			       e->o.parallel, (unsigned)(e->mem_size / 1024));
	e->k = (engine_conn *)(void *)mem;
	engine_sched_init(&e->s, e->o.nids, e->o.batch_size, window,
			  (engine_batch *)(void *)(mem + conns), mem + conns + batches,
			  ENGINE_RECS_SIZE(window));
	return ECS_OK;
}

static ecs_status setup(engine *e, const engine_opts *o, const conn_opts *co, ecs_err *err)
{
	unsigned i;
	int64_t d = port_time_ms() + co->connect_timeout_ms;
	ecs_status st;

	e->o = *o;
	if (e->o.parallel == 0)
		e->o.parallel = 1;
	if (e->o.parallel > ENGINE_PARALLEL_MAX)
		e->o.parallel = ENGINE_PARALLEL_MAX;
	memset(&e->st, 0, sizeof(e->st));
	e->limit = e->o.parallel;
	e->busy = 0;
	e->k = NULL;
	if ((st = alloc(e, err)) != ECS_OK)
		return st;
	if (o->deadline_ms != 0 && o->deadline_ms < d)
		d = o->deadline_ms;
	st = conn_resolve(co, d, e->addrs, &e->naddrs, err); /* once for every connection */
	if (st != ECS_OK)
		return st;
	for (i = 0; i < e->o.parallel; i++) {
		engine_conn *k = &e->k[i];
		conn_init(&k->c, co);
		k->c.o.no_resend = 1; /* every attempt is signed anew (fresh nonce and time) */
		k->c.max_deadline_ms = o->deadline_ms;
		conn_set_addrs(&k->c, e->addrs, e->naddrs);
		conn_share_rbuf(&k->c, e->rbuf);
		k->busy = 0;
		k->opening = 0;
		k->not_before = 0;
		k->r.len = 0;
		k->req_len = 0;
	}
	return ECS_OK;
}

static ecs_status run_loop(engine *e, ecs_err *err)
{
	ecs_status st;

	for (;;) {
		if ((st = emit_ready(e, err)) != ECS_OK)
			return st;
		if (e->o.stop != NULL && (st = e->o.stop(e->o.ctx, err)) != ECS_OK)
			return st;
		if (engine_sched_finished(&e->s))
			return ECS_OK;
		if (e->o.deadline_ms != 0 && port_time_ms() >= e->o.deadline_ms)
			return err_set(err, ECS_E_TIMEOUT, "time limit");
		e->done_at_once = 0;
		if ((st = dispatch(e, err)) != ECS_OK)
			return st;
		if ((st = wait_and_step(e, err)) != ECS_OK)
			return st;
	}
}

ecs_status engine_run(engine *e, const engine_opts *o, const conn_opts *co, engine_stats *stats,
		      ecs_err *err)
{
	ecs_status st = setup(e, o, co, err);
	unsigned i;

	if (st == ECS_OK)
		st = run_loop(e, err);
	if (st != ECS_OK && e->k != NULL) {
		ecs_err ignored;
		(void)emit_ready(e, &ignored); /* what is complete is written before failing */
	}
	for (i = 0; e->k != NULL && i < e->o.parallel; i++) {
		e->st.connections += e->k[i].c.connects;
		wipe_request(&e->k[i]);
		conn_close(&e->k[i].c);
	}
	if (e->k != NULL)
		e->o.resize(e->k, e->mem_size, 0);
	e->k = NULL;
	if (st != ECS_OK && e->o.deadline_ms != 0 && port_time_ms() >= e->o.deadline_ms)
		st = err_set(err, ECS_E_TIMEOUT,
			     "time limit (--max-time) reached: %u of %u instance ids answered",
			     e->st.answered + e->st.notfound, (unsigned)o->nids);
	e->st.parallel_final = e->limit;
	e->st.batch_final = e->s.batch_size;
	if (stats != NULL)
		*stats = e->st;
	return st;
}
