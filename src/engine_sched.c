/* The engine's scheduler: which ids go out next, what comes back, and when the head batch is
 * complete. Pure bookkeeping over engine_sched (see engine.h); no I/O. */
#include <stddef.h>
#include <string.h>

#include "engine.h"
#include "store.h"

static engine_batch *batch_at(engine_sched *s, unsigned i)
{
	return &s->b[(s->head + i) % s->window];
}

void engine_sched_init(engine_sched *s, size_t nids, unsigned batch_size, unsigned window,
		       engine_batch *b, char *recs, size_t recs_cap)
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
	s->recs = recs;
	s->recs_len = 0;
	s->recs_cap = recs_cap;
}

static void push(engine_batch *b, size_t start, unsigned len)
{
	if (len == 0 || b->npending >= ECS_PAGE_MAX)
		return; /* ranges of one batch are disjoint and non-empty: never more than n */
	b->pending[b->npending].at = (uint8_t)(start - b->start);
	b->pending[b->npending].len = (uint8_t)len;
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
		b->npending--;
		r->start = b->start + b->pending[b->npending].at;
		r->len = b->pending[b->npending].len;
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

/* A packed record: slot, index in its batch's rec[], size (2 bytes), then the record as the
 * store packs it (store_pack). */
static void pack(engine_sched *s, unsigned slot, engine_batch *b, const ecs_record *r)
{
	char *p = s->recs + s->recs_len;
	size_t need;

	if (s->recs_len + ENGINE_REC_MAX > s->recs_cap)
		return; /* cannot happen: the area holds a full window of records at their limits */
	need = 4 + store_pack(p + 4, r, NULL);
	p[0] = (char)slot;
	p[1] = (char)b->nrec;
	p[2] = (char)(need & 0xff);
	p[3] = (char)(need >> 8);
	b->rec[b->nrec++] = (uint32_t)s->recs_len;
	s->recs_len += need;
}

static size_t rec_size(const char *p)
{
	return (size_t)(uint8_t)p[2] | (size_t)(uint8_t)p[3] << 8;
}

void engine_sched_answered(engine_sched *s, unsigned slot, engine_range r, const ecs_record *recs,
			   size_t n)
{
	engine_batch *b = done_one(s, slot);
	size_t i;

	(void)r;
	for (i = 0; i < n && b->nrec < ECS_PAGE_MAX; i++)
		pack(s, slot % s->window, b, &recs[i]);
}

const char *engine_sched_rec_id(const engine_sched *s, const engine_batch *b, unsigned k)
{
	store_rec sr;

	store_unpack(s->recs + b->rec[k] + 4, &sr);
	return sr.id;
}

void engine_sched_rec(const engine_sched *s, const engine_batch *b, unsigned k, ecs_record *r)
{
	store_rec sr;

	store_unpack(s->recs + b->rec[k] + 4, &sr);
	store_record(&sr, r);
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
	engine_span old[ECS_PAGE_MAX];
	unsigned n = b->npending, i;

	memcpy(old, b->pending, n * sizeof(old[0]));
	b->npending = 0;
	for (i = 0; i < n; i++) {
		size_t at = b->start + old[i].at, end = at + old[i].len;
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

/* Removes the records of the batch in slot from the area, moving the later ones down (and
 * their batches' offsets with them). */
static void drop_records(engine_sched *s, unsigned slot)
{
	engine_batch *b = &s->b[slot];
	size_t from = s->recs_len, to, at;
	unsigned k;

	for (k = 0; k < b->nrec; k++)
		if (b->rec[k] < from)
			from = b->rec[k];
	for (to = at = from; at < s->recs_len;) {
		char *p = s->recs + at;
		size_t size = rec_size(p);
		if ((uint8_t)p[0] != slot) {
			s->b[(uint8_t)p[0]].rec[(uint8_t)p[1]] = (uint32_t)to;
			memmove(s->recs + to, p, size);
			to += size;
		}
		at += size;
	}
	s->recs_len = to;
	b->nrec = 0;
}

void engine_sched_pop(engine_sched *s)
{
	if (s->count == 0)
		return;
	drop_records(s, s->head);
	s->head = (s->head + 1) % s->window;
	s->count--;
}

int engine_sched_finished(const engine_sched *s)
{
	return s->count == 0 && s->next_id >= s->nids;
}
