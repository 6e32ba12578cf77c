#include "ids.h"

#include <string.h>

#include "show.h"

/* id i sits at arena + base[i / BLOCK] + (off[i] & OFF_MASK); the top two bits of off[i] are
 * its state. Two bytes per id instead of four: a block of BLOCK strings of at most STR_MAX
 * bytes each spans less than OFF_MASK. */
#define BLOCK	    16u
#define STR_MAX	    1000u
#define STATE_SHIFT 14
#define OFF_MASK    0x3fffu
#define SLOTS_MIN   1024u
#define ARENA_MIN   4096u
#define OFFSET_MIN  256u

void ids_init(ids_set *s, ids_resize_fn resize)
{
	memset(s, 0, sizeof(*s));
	s->resize = resize;
}

void ids_free(ids_set *s)
{
	if (s->arena != NULL)
		s->resize(s->arena, s->arena_cap, 0);
	if (s->off != NULL)
		s->resize(s->off, s->off_cap * sizeof(uint16_t), 0);
	if (s->base != NULL)
		s->resize(s->base, s->base_cap * sizeof(uint32_t), 0);
	if (s->slot != NULL)
		s->resize(s->slot, s->slots * sizeof(uint32_t), 0);
	ids_init(s, s->resize);
}

static uint32_t hash(const char *p, size_t n)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ (uint8_t)p[i]) * 16777619u;
	return h;
}

size_t ids_count(const ids_set *s)
{
	return s->n;
}

const char *ids_at(const ids_set *s, size_t i)
{
	return s->arena + s->base[i / BLOCK] + (s->off[i] & OFF_MASK);
}

void ids_mark(ids_set *s, size_t i, int state)
{
	s->off[i] = (uint16_t)((s->off[i] & OFF_MASK) | ((unsigned)state << STATE_SHIFT));
}

int ids_state(const ids_set *s, size_t i)
{
	return (int)(s->off[i] >> STATE_SHIFT);
}

/* The slot that holds id, or the empty slot where it would go. */
static size_t probe(const ids_set *s, const char *id, size_t n)
{
	size_t h = hash(id, n) & (s->slots - 1);

	while (s->slot[h] != 0) {
		const char *t = ids_at(s, s->slot[h] - 1);
		if (strncmp(t, id, n) == 0 && t[n] == '\0')
			break;
		h = (h + 1) & (s->slots - 1);
	}
	return h;
}

long ids_find(const ids_set *s, const char *id, size_t n)
{
	size_t h, i;

	if (s->slots == 0) { /* no index (ids_seal): a scan */
		for (i = 0; i < s->n; i++)
			if (strncmp(ids_at(s, i), id, n) == 0 && ids_at(s, i)[n] == '\0')
				return (long)i;
		return -1;
	}
	h = probe(s, id, n);
	return s->slot[h] == 0 ? -1 : (long)s->slot[h] - 1;
}

void ids_seal(ids_set *s)
{
	if (s->slot != NULL)
		s->resize(s->slot, s->slots * sizeof(uint32_t), 0);
	s->slot = NULL;
	s->slots = 0;
}

static ecs_status no_memory(const ids_set *s, ecs_err *err)
{
	return err_set(err, ECS_E_NOSPACE,
		       "not enough memory for %u instance ids (is a memory limit such as ulimit "
		       "-v or -d set too low?)",
		       (unsigned)(s->n + 1));
}

/* Doubles the hash table when it is 3/4 full (and makes the first one). */
static int grow_slots(ids_set *s)
{
	size_t ns = s->slots == 0 ? SLOTS_MIN : s->slots * 2, i;
	uint32_t *old = s->slot, *nw;
	size_t old_slots = s->slots;

	while (4 * (s->n + 1) > 3 * ns) /* the first index after ids_seal */
		ns *= 2;
	nw = s->resize(NULL, 0, ns * sizeof(uint32_t));
	if (nw == NULL)
		return -1;
	memset(nw, 0, ns * sizeof(uint32_t));
	s->slot = nw;
	s->slots = ns;
	for (i = 0; i < s->n; i++) {
		const char *t = ids_at(s, i);
		s->slot[probe(s, t, strlen(t))] = (uint32_t)i + 1;
	}
	if (old != NULL)
		s->resize(old, old_slots * sizeof(uint32_t), 0);
	return 0;
}

static int grow(ids_set *s, void **p, size_t *cap, size_t unit, size_t min)
{
	size_t nc = *cap == 0 ? min : *cap * 2;
	void *q = s->resize(*p, *cap * unit, nc * unit);

	if (q == NULL)
		return -1;
	*p = q;
	*cap = nc;
	return 0;
}

static ecs_status add(ids_set *s, const char *id, size_t n, int *is_new, ecs_err *err)
{
	size_t h;

	*is_new = 0;
	if (4 * (s->n + 1) > 3 * s->slots && grow_slots(s) != 0) /* at most 3/4 full */
		return no_memory(s, err);
	h = probe(s, id, n);
	if (s->slot[h] != 0)
		return ECS_OK; /* a repeat: kept once, at its first place */
	if (s->n == ECS_IDS_MAX)
		return err_set(err, ECS_E_NOSPACE, "more than %u distinct instance ids",
			       (unsigned)ECS_IDS_MAX);
	if ((s->arena_len + n + 1 > s->arena_cap &&
	     grow(s, (void **)&s->arena, &s->arena_cap, 1, ARENA_MIN) != 0) ||
	    (s->n == s->off_cap &&
	     grow(s, (void **)&s->off, &s->off_cap, sizeof(uint16_t), OFFSET_MIN) != 0) ||
	    (s->n / BLOCK == s->base_cap &&
	     grow(s, (void **)&s->base, &s->base_cap, sizeof(uint32_t), OFFSET_MIN / BLOCK) != 0))
		return no_memory(s, err);
	memcpy(s->arena + s->arena_len, id, n);
	s->arena[s->arena_len + n] = '\0';
	if (s->n % BLOCK == 0)
		s->base[s->n / BLOCK] = (uint32_t)s->arena_len;
	s->off[s->n] = (uint16_t)(s->arena_len - s->base[s->n / BLOCK]);
	s->arena_len += n + 1;
	s->slot[h] = (uint32_t)++s->n;
	*is_new = 1;
	return ECS_OK;
}

ecs_status ids_insert(ids_set *s, const char *str, size_t n, int *is_new, ecs_err *err)
{
	if (n > STR_MAX || s->arena_len + n + 1 > 0xffffffffu)
		return err_set(err, ECS_E_NOSPACE, "a string of more than %u bytes", STR_MAX);
	return add(s, str, n, is_new, err);
}

static int id_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-';
}

/* The token collected so far is complete. */
static ecs_status finish_token(ids_set *s, ecs_err *err)
{
	char shown[ECS_ID_MAX * 4 + 8];
	size_t i, n = s->cur_len;
	int is_new;

	s->cur_len = 0;
	if (n == 0)
		return ECS_OK;
	if (!s->started && n >= 3 && memcmp(s->cur, "\xef\xbb\xbf", 3) == 0) {
		memmove(s->cur, s->cur + 3,
			n - 3); /* a UTF-8 byte-order mark before the first id */
		n -= 3;
	}
	s->started = 1;
	if (n == 0)
		return ECS_OK;
	show_text(shown, sizeof(shown), s->cur, n);
	if (s->too_long || n > ECS_ID_MAX) {
		s->too_long = 0;
		return err_set(err, ECS_E_INPUT,
			       "instance id '%s...' in %s is longer than %d bytes", shown,
			       s->origin, ECS_ID_MAX);
	}
	for (i = 0; i < n; i++)
		if (!id_char(s->cur[i]))
			return err_set(err, ECS_E_INPUT,
				       "invalid instance id '%s' in %s: only letters, digits and "
				       "'-' are allowed",
				       shown, s->origin);
	return add(s, s->cur, n, &is_new, err);
}

ecs_status ids_feed(ids_set *s, const char *text, size_t n, const char *origin, ecs_err *err)
{
	size_t i;
	ecs_status st;

	s->origin = origin;
	for (i = 0; i < n; i++) {
		char c = text[i];
		if (s->in_comment) {
			s->in_comment = c != '\n';
			continue;
		}
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',' || c == '#') {
			s->in_comment = c == '#';
			if ((st = finish_token(s, err)) != ECS_OK)
				return st;
			s->started = 1;
		} else if (s->cur_len < sizeof(s->cur)) {
			s->cur[s->cur_len++] = c;
		} else {
			s->too_long = 1;
		}
	}
	return ECS_OK;
}

ecs_status ids_feed_end(ids_set *s, ecs_err *err)
{
	ecs_status st = finish_token(s, err);

	s->in_comment = 0;
	s->started = 0;
	return st;
}
