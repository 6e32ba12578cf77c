/* Unit tests for src/ids.c: the instance-id set. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h> /* needs the four headers above first */

#include <stdio.h>
#include <string.h>

#include "ids.h"
#include "port.h"

/* A resize function that refuses to grow past a budget: the set must say so, not crash. */
static size_t budget = (size_t)-1, in_use;

static void *limited(void *p, size_t old, size_t nw)
{
	void *q;

	if (nw > old && in_use - old + nw > budget)
		return NULL;
	q = port_mem_resize(p, old, nw);
	if (q != NULL || nw == 0)
		in_use = in_use - old + nw;
	return q;
}

static ecs_status feed_all(ids_set *s, const char *text, size_t step, ecs_err *err)
{
	size_t n = strlen(text), off = 0;
	ecs_status st = ECS_OK;

	while (off < n && st == ECS_OK) {
		size_t k = step == 0 || n - off < step ? n - off : step;
		st = ids_feed(s, text + off, k, "test", err);
		off += k;
	}
	return st == ECS_OK ? ids_feed_end(s, err) : st;
}

static void test_order_dedupe_separators(void **state)
{
	static const char in[] = "\xef\xbb\xbf"
				 "i-c , i-a\ti-b\r\n# a comment i-zz\n\ni-a,i-c # tail\ni-d";
	static const char *const want[] = {"i-c", "i-a", "i-b", "i-d"};
	size_t step, i;

	(void)state;
	for (step = 0; step < 8; step++) { /* every split of the input gives the same set */
		ids_set s;
		ecs_err err;
		ids_init(&s, port_mem_resize);
		assert_int_equal(feed_all(&s, in, step, &err), ECS_OK);
		assert_int_equal(ids_count(&s), 4);
		for (i = 0; i < 4; i++)
			assert_string_equal(ids_at(&s, i), want[i]);
		assert_int_equal(ids_find(&s, "i-b", 3), 2);
		assert_int_equal(ids_find(&s, "i-", 2), -1);
		ids_free(&s);
	}
}

static void test_bom_only_at_start(void **state)
{
	ids_set s;
	ecs_err err;

	(void)state;
	ids_init(&s, port_mem_resize);
	assert_int_equal(feed_all(&s,
				  "i-a \xef\xbb\xbf"
				  "i-b",
				  0, &err),
			 ECS_E_INPUT);
	assert_non_null(strstr(err.msg, "<U+FEFF>i-b")); /* shown, not invisible */
	ids_free(&s);
}

static void test_bad_ids_shown_escaped(void **state)
{
	static const struct {
		const char *in, *shown;
	} cases[] = {
		{"i-a\x1b[31m", "i-a\\x1B[31m"},
		{"i-\xc2\x9b"
		 "2J",
		 "i-<U+009B>2J"},
		{"i-\x9b", "i-\\x9B"},
		{"i-\xe2\x80\xae"
		 "abc",
		 "i-<U+202E>abc"},
		{"i_abc", "i_abc"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ids_set s;
		ecs_err err;
		ids_init(&s, port_mem_resize);
		assert_int_equal(feed_all(&s, cases[i].in, 0, &err), ECS_E_INPUT);
		assert_non_null(strstr(err.msg, cases[i].shown));
		ids_free(&s);
	}
}

static void test_length_limit(void **state)
{
	char id[ECS_ID_MAX + 2];
	ids_set s;
	ecs_err err;

	(void)state;
	memset(id, 'a', sizeof(id));
	id[ECS_ID_MAX] = '\0';
	ids_init(&s, port_mem_resize);
	assert_int_equal(feed_all(&s, id, 3, &err), ECS_OK);
	id[ECS_ID_MAX] = 'a';
	id[ECS_ID_MAX + 1] = '\0';
	assert_int_equal(feed_all(&s, id, 5, &err), ECS_E_INPUT);
	assert_non_null(strstr(err.msg, "longer than 64 bytes"));
	ids_free(&s);
}

/* Repeats never count: 2 x ECS_IDS_MAX lines of one id are one id. */
static void test_repeats_do_not_count(void **state)
{
	ids_set s;
	ecs_err err;
	size_t i;

	(void)state;
	ids_init(&s, port_mem_resize);
	for (i = 0; i < 2 * (size_t)ECS_IDS_MAX; i++)
		assert_int_equal(ids_feed(&s, "i-same\n", 7, "test", &err), ECS_OK);
	assert_int_equal(ids_feed_end(&s, &err), ECS_OK);
	assert_int_equal(ids_count(&s), 1);
	ids_free(&s);
}

static void test_distinct_limit_and_state(void **state)
{
	char id[32];
	ids_set s;
	ecs_err err;
	size_t i;

	(void)state;
	ids_init(&s, port_mem_resize);
	for (i = 0; i < ECS_IDS_MAX; i++) {
		int n = snprintf(id, sizeof(id), "i-%zu ", i);
		assert_int_equal(ids_feed(&s, id, (size_t)n, "test", &err), ECS_OK);
	}
	assert_int_equal(ids_feed(&s, "i-more ", 7, "test", &err), ECS_E_NOSPACE);
	assert_non_null(strstr(err.msg, "more than 100000"));
	assert_int_equal(ids_count(&s), ECS_IDS_MAX);
	assert_string_equal(ids_at(&s, 99999), "i-99999");
	assert_int_equal(ids_state(&s, 7), IDS_UNCHECKED);
	ids_mark(&s, 7, IDS_NOTFOUND);
	ids_mark(&s, 8, IDS_FOUND);
	assert_int_equal(ids_state(&s, 7), IDS_NOTFOUND);
	assert_int_equal(ids_state(&s, 8), IDS_FOUND);
	assert_string_equal(ids_at(&s, 7), "i-7"); /* the mark does not disturb the id */
	assert_int_equal(ids_find(&s, "i-8", 3), 8);
	ids_free(&s);
}

static void test_out_of_memory_is_an_error(void **state)
{
	char id[32];
	ids_set s;
	ecs_err err;
	ecs_status st = ECS_OK;
	size_t i;

	(void)state;
	budget = 64 * 1024;
	in_use = 0;
	ids_init(&s, limited);
	for (i = 0; i < ECS_IDS_MAX && st == ECS_OK; i++) {
		int n = snprintf(id, sizeof(id), "i-%zu ", i);
		st = ids_feed(&s, id, (size_t)n, "test", &err);
	}
	assert_int_equal(st, ECS_E_NOSPACE);
	assert_non_null(strstr(err.msg, "not enough memory"));
	assert_true(ids_count(&s) > 1000); /* what fit is intact */
	assert_string_equal(ids_at(&s, 1000), "i-1000");
	ids_free(&s);
	assert_int_equal(in_use, 0);
	budget = (size_t)-1;
}

static void test_insert_raw(void **state)
{
	ids_set s;
	ecs_err err;
	int is_new = -1;

	(void)state;
	ids_init(&s, port_mem_resize);
	assert_int_equal(ids_insert(&s, "tok=/+", 6, &is_new, &err), ECS_OK);
	assert_int_equal(is_new, 1);
	assert_int_equal(ids_insert(&s, "tok=/+", 6, &is_new, &err), ECS_OK);
	assert_int_equal(is_new, 0);
	assert_int_equal(ids_insert(&s, "tok=/", 5, &is_new, &err), ECS_OK);
	assert_int_equal(is_new, 1);
	assert_int_equal(ids_count(&s), 2);
	ids_free(&s);
}

/* Strings up to the limit, many in a row (offsets are kept per block of ids), states on
 * every one of them, and a sealed set: still found, a repeat still caught, new ones added. */
static void test_long_strings_states_and_seal(void **state)
{
	static char str[1002];
	ids_set s;
	ecs_err err;
	int is_new = -1;
	size_t i;

	(void)state;
	ids_init(&s, port_mem_resize);
	for (i = 0; i < 40; i++) {
		memset(str, 'a' + (int)(i % 26), 1000);
		snprintf(str, 8, "%05zu-", i);
		str[6] = 'x'; /* keep the length at 1000 */
		assert_int_equal(ids_insert(&s, str, 1000, &is_new, &err), ECS_OK);
		assert_int_equal(is_new, 1);
	}
	assert_int_equal(ids_insert(&s, str, 1001, &is_new, &err), ECS_E_NOSPACE);
	assert_non_null(strstr(err.msg, "more than 1000 bytes"));
	for (i = 0; i < 40; i++) {
		char head[8];
		snprintf(head, sizeof(head), "%05zu-", i);
		assert_int_equal(strlen(ids_at(&s, i)), 1000);
		assert_memory_equal(ids_at(&s, i), head, 6);
		ids_mark(&s, i, (int)(i % 4));
	}
	for (i = 0; i < 40; i++) {
		assert_int_equal(ids_state(&s, i), (int)(i % 4));
		assert_int_equal(strlen(ids_at(&s, i)), 1000);
	}
	ids_seal(&s);
	assert_int_equal(ids_find(&s, ids_at(&s, 17), 1000), 17);
	assert_int_equal(ids_find(&s, "nope", 4), -1);
	memcpy(str, ids_at(&s, 3), 1000);
	assert_int_equal(ids_insert(&s, str, 1000, &is_new, &err), ECS_OK);
	assert_int_equal(is_new, 0); /* the index came back for the repeat */
	assert_int_equal(ids_insert(&s, "i-new", 5, &is_new, &err), ECS_OK);
	assert_int_equal(is_new, 1);
	assert_int_equal(ids_count(&s), 41);
	assert_string_equal(ids_at(&s, 40), "i-new");
	assert_int_equal(ids_state(&s, 39), 3);
	ids_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_dedupe_separators),
		cmocka_unit_test(test_bom_only_at_start),
		cmocka_unit_test(test_bad_ids_shown_escaped),
		cmocka_unit_test(test_length_limit),
		cmocka_unit_test(test_repeats_do_not_count),
		cmocka_unit_test(test_distinct_limit_and_state),
		cmocka_unit_test(test_out_of_memory_is_an_error),
		cmocka_unit_test(test_insert_raw),
		cmocka_unit_test(test_long_strings_states_and_seal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
