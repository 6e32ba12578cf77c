/*
 * The instance-id set: read, validate, de-duplicate (as ids arrive, so that repeats never count
 * against the limit), keep input order, and remember which ids the API answered for.
 *
 * Memory comes from the caller's resize function (the port's page mapper in the program, the
 * same in tests): the set grows with the input, so a run with 10 ids touches a few pages and
 * one with ECS_IDS_MAX ids about 9 MB, and a limit (ulimit -v/-d) is a clear error, never a
 * crash.
 */
#ifndef ECS_IDS_H
#define ECS_IDS_H

#include <stddef.h>
#include <stdint.h>

#include "ecs_limits.h"
#include "err.h"

/* Grows (or, with new_size 0, frees) a block: returns the new block with the old contents, or
 * NULL when the memory cannot be had (the old block is then still valid). */
typedef void *(*ids_resize_fn)(void *p, size_t old_size, size_t new_size);

typedef struct {
	ids_resize_fn resize;
	char *arena; /* the ids, each NUL-terminated, in input order */
	size_t arena_len, arena_cap;
	uint16_t *off;	/* off[i]: where id i is (after its block's base), and its state */
	uint32_t *base; /* offset in arena of every 16th id */
	size_t n, off_cap, base_cap;
	uint32_t *slot; /* open-addressing hash: index + 1, 0 = empty */
	size_t slots;
	/* tokenizer state across ids_feed() calls */
	char cur[ECS_ID_MAX + 4]; /* room for a leading byte-order mark */
	size_t cur_len;
	int too_long, in_comment, started;
	const char *origin; /* "standard input", "argument": for messages */
} ids_set;

void ids_init(ids_set *s, ids_resize_fn resize);
/* Gives the memory back. */
void ids_free(ids_set *s);

/*
 * Adds the ids in text (n bytes; any split between calls is fine). Ids are separated by
 * spaces, tabs, newlines, CR or ','; '#' starts a comment up to the end of the line; a UTF-8
 * byte-order mark at the very start is skipped. Repeated ids are kept once, at their first
 * position. origin names the input in messages. Call ids_feed_end() after the last chunk.
 * ECS_E_INPUT: an id with other characters than letters, digits and '-', or longer than
 * ECS_ID_MAX (the message shows it with invisible bytes escaped); ECS_E_NOSPACE: more than
 * ECS_IDS_MAX distinct ids, or no memory for them (the message says which limit).
 */
ecs_status ids_feed(ids_set *s, const char *text, size_t n, const char *origin, ecs_err *err);
ecs_status ids_feed_end(ids_set *s, ecs_err *err);

/* Adds one string (n bytes, no NUL inside) as it is, without the id syntax check: for strings
 * the server sends (instance ids of --all, NextToken values). *is_new gets 0 for a repeat.
 * ECS_E_NOSPACE as for ids_feed(). */
ecs_status ids_insert(ids_set *s, const char *str, size_t n, int *is_new, ecs_err *err);

/* The input is complete: gives back the de-duplication index (a hash table of 4 bytes per
 * slot, 64 KiB for 10,000 ids). The set stays valid; a later add rebuilds the index, and
 * ids_find without one scans. */
void ids_seal(ids_set *s);

size_t ids_count(const ids_set *s);
/* Id i (0 <= i < ids_count), NUL-terminated. */
const char *ids_at(const ids_set *s, size_t i);
/* Index of id (n bytes) in the set, or -1. */
long ids_find(const ids_set *s, const char *id, size_t n);
/* What the run learnt about id i: IDS_UNCHECKED (never answered), IDS_FOUND (answered, agent
 * not live), IDS_NOTFOUND, IDS_LIVE (answered, agent live). */
enum { IDS_UNCHECKED = 0, IDS_FOUND = 1, IDS_NOTFOUND = 2, IDS_LIVE = 3 };
void ids_mark(ids_set *s, size_t i, int state);
int ids_state(const ids_set *s, size_t i);

#endif
