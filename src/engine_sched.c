/* The engine's scheduler: which ids go out next, what comes back, and when the head batch is
 * complete. Pure bookkeeping over engine_sched (see engine.h); no I/O. */
#include <string.h>

#include "engine.h"

static engine_batch *batch_at(engine_sched *s, unsigned i)
{
	return &s->b[(s->head + i) % s->window];
}

void engine_sched_init(engine_sched *s, size_t nids, unsigned batch_size, unsigned window,
		       engine_batch *b)
{
	/* only the header: the batches are set up as they are opened (pages touched on use) */
	s->nids = nids;
	s->next_id = 0;
	s->batch_size =
		batch_size == 0 ? 1 : (batch_size > ECS_PAGE_MAX ? ECS_PAGE_MAX : batch_size);
	s->window = window == 0 ? 1 : (window > ENGINE_WINDOW ? ENGINE_WINDOW : window);
	s->head = 0;
	s->count = 0;
	s->b = b;
}

static void push(engine_batch *b, size_t start, unsigned len)
{
	if (len == 0 || b->npending >= ECS_PAGE_MAX)
		return; /* ranges of one batch are disjoint and non-empty: never more than n */
	b->pending[b->npending].start = start;
	b->pending[b->npending].len = len;
	b->npending++;
}

/* Pushes the two halves of r so that the first half is sent first. */
static void push_halves(engine_batch *b, engine_range r)
{
	unsigned first = r.len / 2;

	push(b, r.start + first, r.len - first);
	push(b, r.start, first);
}

static void open_batch(engine_sched *s)
{
	engine_batch *b = batch_at(s, s->count);
	size_t left = s->nids - s->next_id;

	b->start = s->next_id;
	b->n = left < s->batch_size ? (unsigned)left : s->batch_size;
	b->inflight = 0;
	b->npending = 0;
	b->nrec = 0;
	memset(b->stale, 0, b->n);
	push(b, b->start, b->n);
	s->next_id += b->n;
	s->count++;
}

int engine_sched_next(engine_sched *s, unsigned *slot, engine_range *r)
{
	unsigned i;

	for (i = 0;; i++) {
		engine_batch *b;
		if (i == s->count) {
			if (s->count >= s->window || s->next_id >= s->nids)
				return 0;
			open_batch(s);
		}
		b = batch_at(s, i);
		if (b->npending == 0)
			continue;
		*r = b->pending[--b->npending];
		*slot = (s->head + i) % s->window;
		b->inflight++;
		return 1;
	}
}

static engine_batch *done_one(engine_sched *s, unsigned slot)
{
	engine_batch *b = &s->b[slot % s->window];

	if (b->inflight > 0)
		b->inflight--;
	return b;
}

void engine_sched_answered(engine_sched *s, unsigned slot, engine_range r, const ecs_record *recs,
			   size_t n)
{
	engine_batch *b = done_one(s, slot);
	size_t i;

	(void)r;
	for (i = 0; i < n && b->nrec < ECS_PAGE_MAX; i++)
		b->rec[b->nrec++] = recs[i];
}

void engine_sched_requeue(engine_sched *s, unsigned slot, engine_range r)
{
	push(done_one(s, slot), r.start, r.len);
}

void engine_sched_bisect(engine_sched *s, unsigned slot, engine_range r)
{
	engine_batch *b = done_one(s, slot);

	if (r.len == 1)
		b->stale[r.start - b->start] = 1;
	else
		push_halves(b, r);
}

/* Cuts every pending range of b longer than limit. */
static void cut_pending(engine_batch *b, unsigned limit)
{
	engine_range old[ECS_PAGE_MAX];
	unsigned n = b->npending, i;

	memcpy(old, b->pending, n * sizeof(old[0]));
	b->npending = 0;
	for (i = 0; i < n; i++) {
		size_t at = old[i].start, end = old[i].start + old[i].len;
		while (at < end) {
			unsigned len = end - at > limit ? limit : (unsigned)(end - at);
			push(b, at, len);
			at += len;
		}
	}
}

void engine_sched_split(engine_sched *s, unsigned slot, engine_range r, unsigned limit)
{
	engine_batch *b = done_one(s, slot);
	unsigned i;

	if (limit == 0)
		limit = 1;
	if (s->batch_size > limit)
		s->batch_size = limit;
	push_halves(b, r);
	for (i = 0; i < s->count; i++)
		cut_pending(batch_at(s, i), limit);
}

const engine_batch *engine_sched_head(const engine_sched *s)
{
	const engine_batch *b = &s->b[s->head];

	if (s->count == 0 || b->npending != 0 || b->inflight != 0)
		return NULL;
	return b;
}

void engine_sched_pop(engine_sched *s)
{
	if (s->count == 0)
		return;
	s->head = (s->head + 1) % s->window;
	s->count--;
}

int engine_sched_finished(const engine_sched *s)
{
	return s->count == 0 && s->next_id >= s->nids;
}
