/*
 * Answered records kept for writers that need all of them before they can write (Prometheus
 * families, the Nagios status line, the final state of --wait). Packed (the strings of a
 * record, NUL-separated, plus its numbers), in memory that grows with the input through the
 * caller's resize function: about 120 bytes per instance.
 */
#ifndef ECS_STORE_H
#define ECS_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "ecs.h"
#include "err.h"
#include "ids.h"

typedef struct {
	ids_resize_fn resize;
	char *data;
	size_t len, cap;
	uint32_t *off;
	size_t n, off_cap;
} store;

void store_init(store *s, ids_resize_fn resize);
void store_free(store *s);
/* Appends r (with its region). ECS_E_NOSPACE when memory cannot be had. */
ecs_status store_add(store *s, const ecs_record *r, const char *region, ecs_err *err);
size_t store_count(const store *s);
/* Record i into *r (strings point into the store, valid until the next store_add). */
typedef struct {
	const char *id, *version, *os, *last_heartbeat, *last_invoked, *region;
	int status, session_manager;
	int64_t active, invocations;
} store_rec;
void store_get(const store *s, size_t i, store_rec *r);
/* One record as the store packs it (its numbers, then id, version, OS, the two times and the
 * region, each NUL-terminated; region NULL is ""), also used by the engine's reorder window:
 * store_pack writes it to dst (NULL: only counts) and returns its size; store_unpack reads one
 * back (strings point into p). */
size_t store_pack(char *dst, const ecs_record *r, const char *region);
void store_unpack(const char *p, store_rec *r);
/* The kept answer sr as a record again (strings copied; they fit: they came from one). */
void store_record(const store_rec *sr, ecs_record *r);

#endif
