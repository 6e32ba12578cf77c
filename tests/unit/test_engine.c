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
static engine_batch B[ENGINE_WINDOW]; /* large: static */

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
	engine_sched_init(&S, 250, 100, 8, B);
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
	engine_sched_init(&S, 300, 100, 8, B);
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
	engine_sched_init(&S, 100000, 10, 4, B);
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
	engine_sched_init(&S, 10007, 100, 16, B);
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

static void test_requeue_sends_the_range_again(void **state)
{
	engine_range r = {0, 100};

	(void)state;
	engine_sched_init(&S, 100, 100, 4, B);
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

	engine_sched_init(&S, nids, batch, 8, B);
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
	engine_sched_init(&S, 1000, 100, 8, B);
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
	engine_sched_init(&S, 100, 30, 8, B);
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
		cmocka_unit_test(test_requeue_sends_the_range_again),
		cmocka_unit_test(test_bisection_isolates_stale_ids),
		cmocka_unit_test(test_split_falls_back_to_50),
		cmocka_unit_test(test_split_never_raises_the_size),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
