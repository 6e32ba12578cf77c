/*
 * Unit tests for the batch engine's scheduler (src/engine_sched.c): what goes out next, the
 * bounded reorder window, answers in any order coming out in input order, requeue, stale-id
 * bisection (and its cost) and the ExceedLimit split. Pure bookkeeping: no sockets.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "engine.h"

static engine_sched S;
static engine_batch B[ENGINE_WINDOW];
static char R[ENGINE_RECS_SIZE(ENGINE_WINDOW)]; /* large: static */

static void next_is(unsigned want_slot, size_t start, unsigned len)
{
	unsigned slot = 99;
	engine_range r;

	assert_int_equal(engine_sched_next(&S, &slot, &r), 1);
	assert_int_equal(slot, want_slot);
	assert_int_equal(r.start, start);
	assert_int_equal(r.len, len);
}

static void answer(unsigned slot, size_t start, unsigned len)
{
	engine_range r = {start, len};

	engine_sched_answered(&S, slot, r, NULL, 0);
}

static void test_batches_in_order_and_last_short(void **state)
{
	unsigned slot;
	engine_range r;

	(void)state;
	engine_sched_init(&S, 250, 100, 8, B, R, sizeof(R));
	next_is(0, 0, 100);
	next_is(1, 100, 100);
	next_is(2, 200, 50);
	assert_int_equal(engine_sched_next(&S, &slot, &r), 0); /* every id is out */
	assert_false(engine_sched_finished(&S));
}

static void test_head_waits_for_the_first_batch(void **state)
{
	const engine_batch *b;

	(void)state;
	engine_sched_init(&S, 300, 100, 8, B, R, sizeof(R));
	next_is(0, 0, 100);
	next_is(1, 100, 100);
	next_is(2, 200, 100);
	answer(2, 200, 100);
	answer(1, 100, 100);
	assert_null(engine_sched_head(&S)); /* batch 0 still in flight */
	answer(0, 0, 100);
	b = engine_sched_head(&S);
	assert_non_null(b);
	assert_int_equal(b->start, 0);
	engine_sched_pop(&S);
	assert_int_equal(engine_sched_head(&S)->start, 100);
	engine_sched_pop(&S);
	assert_int_equal(engine_sched_head(&S)->start, 200);
	engine_sched_pop(&S);
	assert_null(engine_sched_head(&S));
	assert_true(engine_sched_finished(&S));
}

static void test_window_is_bounded(void **state)
{
	unsigned slot, k;
	engine_range r;

	(void)state;
	engine_sched_init(&S, 100000, 10, 4, B, R, sizeof(R));
	for (k = 0; k < 4; k++)
		next_is(k, (size_t)k * 10, 10);
	/* batches 1..3 answered, the head is not: nothing more may go out */
	for (k = 1; k < 4; k++)
		answer(k, (size_t)k * 10, 10);
	assert_int_equal(engine_sched_next(&S, &slot, &r), 0);
	answer(0, 0, 10);
	for (k = 0; k < 4; k++) {
		assert_non_null(engine_sched_head(&S));
		engine_sched_pop(&S);
	}
	next_is(0, 40, 10); /* the ring wraps to the first slot */
}

/* Answers in random order over many batches: what comes out of the head is every id once, in
 * input order, and the window never holds more than its size. */
static void test_random_completion_order_comes_out_in_order(void **state)
{
	unsigned inflight_slot[8];
	engine_range inflight[8];
	unsigned n_in = 0, seed = 12345, rounds = 0;
	size_t emitted = 0;

	(void)state;
	engine_sched_init(&S, 10007, 100, 16, B, R, sizeof(R));
	while (!engine_sched_finished(&S) && rounds++ < 100000) {
		const engine_batch *b;
		while (n_in < 8 &&
		       engine_sched_next(&S, &inflight_slot[n_in], &inflight[n_in]) == 1)
			n_in++;
		assert_true(S.count <= 16);
		if (n_in > 0) {
			unsigned pick;
			seed = seed * 1103515245u + 12345u;
			pick = (seed >> 16) % n_in;
			engine_sched_answered(&S, inflight_slot[pick], inflight[pick], NULL, 0);
			inflight[pick] = inflight[n_in - 1];
			inflight_slot[pick] = inflight_slot[n_in - 1];
			n_in--;
		}
		while ((b = engine_sched_head(&S)) != NULL) {
			assert_int_equal(b->start, emitted);
			emitted += b->n;
			engine_sched_pop(&S);
		}
	}
	assert_int_equal(emitted, 10007);
	assert_true(engine_sched_finished(&S));
}

/* The record the fake server answers for id i (when it has one: i % 3 != 1); every third
 * one has every string at its limit. */
static int fake_record(size_t i, ecs_record *r)
{
	int full = i % 9 == 0;

	memset(r, 0, sizeof(*r));
	if (i % 3 == 1)
		return 0;
	snprintf(r->id, sizeof(r->id), "i-%zu", i);
	if (full)
		memset(r->id + strlen(r->id), 'x', sizeof(r->id) - 1 - strlen(r->id));
	memset(r->version, full ? 'v' : 'w', full ? sizeof(r->version) - 1 : i % 20);
	memset(r->os, 'o', full ? sizeof(r->os) - 1 : i % 7);
	memset(r->last_heartbeat, 'h', full ? sizeof(r->last_heartbeat) - 1 : 20);
	memset(r->last_invoked, 'n', full ? sizeof(r->last_invoked) - 1 : i % 30);
	r->status = (int)(i % 2);
	r->session_manager = -1;
	r->active = (int64_t)i * 7;
	r->invocations = -(int64_t)i;
	return 1;
}

static void answer_with_records(unsigned slot, engine_range r)
{
	static ecs_record recs[ECS_PAGE_MAX];
	size_t n = 0, i;

	for (i = r.start; i < r.start + r.len; i++)
		n += (size_t)fake_record(i, &recs[n]);
	engine_sched_answered(&S, slot, r, recs, n);
}

/* The records of a batch come out of the window as they went in, whatever order the answers
 * (and the other batches' records) arrived in, with every string at its limit too; the record
 * area holds only what the window holds, and is empty at the end. */
static void test_records_survive_the_window(void **state)
{
	unsigned inflight_slot[8], n_in = 0, seed = 777;
	engine_range inflight[8];
	size_t emitted = 0;

	(void)state;
	engine_sched_init(&S, 5003, 37, 16, B, R, sizeof(R));
	while (!engine_sched_finished(&S)) {
		const engine_batch *b;
		while (n_in < 8 &&
		       engine_sched_next(&S, &inflight_slot[n_in], &inflight[n_in]) == 1)
			n_in++;
		if (n_in > 0) {
			unsigned pick;
			seed = seed * 1103515245u + 12345u;
			pick = (seed >> 16) % n_in;
			answer_with_records(inflight_slot[pick], inflight[pick]);
			inflight[pick] = inflight[n_in - 1];
			inflight_slot[pick] = inflight_slot[n_in - 1];
			n_in--;
		}
		while ((b = engine_sched_head(&S)) != NULL) {
			unsigned k = 0;
			size_t i;
			for (i = b->start; i < b->start + b->n; i++) {
				ecs_record want, got;
				if (!fake_record(i, &want))
					continue;
				assert_true(k < b->nrec);
				assert_string_equal(engine_sched_rec_id(&S, b, k), want.id);
				memset(&got, 0x55, sizeof(got));
				engine_sched_rec(&S, b, k++, &got);
				assert_string_equal(got.id, want.id);
				assert_string_equal(got.version, want.version);
				assert_string_equal(got.os, want.os);
				assert_string_equal(got.last_heartbeat, want.last_heartbeat);
				assert_string_equal(got.last_invoked, want.last_invoked);
				assert_int_equal(got.status, want.status);
				assert_int_equal(got.session_manager, want.session_manager);
				assert_true(got.active == want.active);
				assert_true(got.invocations == want.invocations);
			}
			assert_int_equal(k, b->nrec);
			emitted += b->n;
			engine_sched_pop(&S);
		}
	}
	assert_int_equal(emitted, 5003);
	assert_int_equal(S.recs_len, 0);
}

/* A full window of full batches, every record at its limits: the area holds them all. */
static void test_record_area_holds_a_full_window(void **state)
{
	static ecs_record recs[ECS_PAGE_MAX];
	unsigned slot, i, k;
	engine_range r;

	(void)state;
	for (k = 0; k < ECS_PAGE_MAX; k++)
		fake_record(0, &recs[k]);
	engine_sched_init(&S, 100000, 100, ENGINE_WINDOW, B, R, sizeof(R));
	for (i = 0; i < ENGINE_WINDOW; i++) {
		assert_int_equal(engine_sched_next(&S, &slot, &r), 1);
		engine_sched_answered(&S, slot, r, recs, ECS_PAGE_MAX);
		assert_int_equal(B[slot].nrec, ECS_PAGE_MAX);
	}
	assert_true(S.recs_len <= sizeof(R));
	assert_string_equal(engine_sched_rec_id(&S, &B[ENGINE_WINDOW - 1], ECS_PAGE_MAX - 1),
			    recs[0].id);
}

static void test_requeue_sends_the_range_again(void **state)
{
	engine_range r = {0, 100};

	(void)state;
	engine_sched_init(&S, 100, 100, 4, B, R, sizeof(R));
	next_is(0, 0, 100);
	engine_sched_requeue(&S, 0, r);
	assert_null(engine_sched_head(&S));
	next_is(0, 0, 100);
	answer(0, 0, 100);
	assert_non_null(engine_sched_head(&S));
}

/* A server that fails any request holding a stale id; returns the requests spent. */
static unsigned run_bisect(size_t nids, unsigned batch, const size_t *stale, size_t nstale,
			   unsigned *found_stale)
{
	unsigned requests = 0, slot;
	engine_range r;

	engine_sched_init(&S, nids, batch, 8, B, R, sizeof(R));
	*found_stale = 0;
	while (!engine_sched_finished(&S)) {
		const engine_batch *b;
		while (engine_sched_next(&S, &slot, &r) == 1) {
			size_t k;
			int bad = 0;
			requests++;
			for (k = 0; k < nstale; k++)
				bad |= stale[k] >= r.start && stale[k] < r.start + r.len;
			if (bad)
				engine_sched_bisect(&S, slot, r);
			else
				engine_sched_answered(&S, slot, r, NULL, 0);
		}
		while ((b = engine_sched_head(&S)) != NULL) {
			unsigned i;
			for (i = 0; i < b->n; i++) {
				size_t k, id = b->start + i;
				int is_stale = 0;
				for (k = 0; k < nstale; k++)
					is_stale |= stale[k] == id;
				assert_int_equal(b->stale[i], is_stale);
				*found_stale += b->stale[i];
			}
			engine_sched_pop(&S);
		}
	}
	return requests;
}

static void test_bisection_isolates_stale_ids(void **state)
{
	static const size_t one[] = {57};
	static const size_t three[] = {11, 77, 150};
	static const size_t edges[] = {0, 99};
	unsigned found, req;

	(void)state;
	req = run_bisect(100, 100, one, 1, &found);
	assert_int_equal(found, 1);
	assert_true(req <= 1 + 2 * 7); /* about 2 log2(100) extra per stale id */
	req = run_bisect(163, 100, three, 3, &found);
	assert_int_equal(found, 3);
	assert_true(req <= 50); /* the bound */
	req = run_bisect(100, 100, edges, 2, &found);
	assert_int_equal(found, 2);
	assert_true(req <= 1 + 2 * 2 * 7);
	req = run_bisect(1, 100, one, 0, &found);
	assert_int_equal(req, 1);
	assert_int_equal(found, 0);
}

static void test_split_falls_back_to_50(void **state)
{
	engine_range r = {0, 100};

	(void)state;
	engine_sched_init(&S, 1000, 100, 8, B, R, sizeof(R));
	next_is(0, 0, 100);
	next_is(1, 100, 100);
	engine_sched_split(&S, 0, r, 50);
	assert_int_equal(S.batch_size, 50);
	next_is(0, 0, 50);
	next_is(0, 50, 50);
	next_is(2, 200, 50); /* new batches are 50 */
	/* a batch of 100 still in flight that fails too: split, nothing above 50 goes out */
	r.start = 100;
	engine_sched_split(&S, 1, r, 50);
	next_is(1, 100, 50);
	next_is(1, 150, 50);
	next_is(3, 250, 50);
}

static void test_split_never_raises_the_size(void **state)
{
	engine_range r = {0, 30};

	(void)state;
	engine_sched_init(&S, 100, 30, 8, B, R, sizeof(R));
	next_is(0, 0, 30);
	engine_sched_split(&S, 0, r, 50);
	assert_int_equal(S.batch_size, 30);
	next_is(0, 0, 15);
	next_is(0, 15, 15);
	next_is(1, 30, 30);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_batches_in_order_and_last_short),
		cmocka_unit_test(test_head_waits_for_the_first_batch),
		cmocka_unit_test(test_window_is_bounded),
		cmocka_unit_test(test_random_completion_order_comes_out_in_order),
		cmocka_unit_test(test_records_survive_the_window),
		cmocka_unit_test(test_record_area_holds_a_full_window),
		cmocka_unit_test(test_requeue_sends_the_range_again),
		cmocka_unit_test(test_bisection_isolates_stale_ids),
		cmocka_unit_test(test_split_falls_back_to_50),
		cmocka_unit_test(test_split_never_raises_the_size),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
