#include "store.h"

#include <stdio.h>
#include <string.h>

#define DATA_MIN 8192u
#define OFF_MIN	 256u

typedef struct {
	int64_t active, invocations;
	int32_t status, session_manager;
} packed_nums;

void store_init(store *s, ids_resize_fn resize)
{
	memset(s, 0, sizeof(*s));
	s->resize = resize;
}

void store_free(store *s)
{
	if (s->data != NULL)
		s->resize(s->data, s->cap, 0);
	if (s->off != NULL)
		s->resize(s->off, s->off_cap * sizeof(uint32_t), 0);
	store_init(s, s->resize);
}

size_t store_count(const store *s)
{
	return s->n;
}

static int reserve(store *s, size_t need)
{
	size_t nc = s->cap == 0 ? DATA_MIN : s->cap;
	void *q;

	if (s->len + need <= s->cap)
		return 0;
	while (nc < s->len + need)
		nc *= 2;
	if (nc > 0xffffffffu)
		return -1;
	q = s->resize(s->data, s->cap, nc);
	if (q == NULL)
		return -1;
	s->data = q;
	s->cap = nc;
	return 0;
}

static int reserve_off(store *s)
{
	size_t nc = s->off_cap == 0 ? OFF_MIN : s->off_cap * 2;
	void *q;

	if (s->n < s->off_cap)
		return 0;
	q = s->resize(s->off, s->off_cap * sizeof(uint32_t), nc * sizeof(uint32_t));
	if (q == NULL)
		return -1;
	s->off = q;
	s->off_cap = nc;
	return 0;
}

size_t store_pack(char *dst, const ecs_record *r, const char *region)
{
	const char *strs[6];
	size_t caps[6], need = sizeof(packed_nums), i;
	packed_nums nums;

	strs[0] = r->id, caps[0] = sizeof(r->id);
	strs[1] = r->version, caps[1] = sizeof(r->version);
	strs[2] = r->os, caps[2] = sizeof(r->os);
	strs[3] = r->last_heartbeat, caps[3] = sizeof(r->last_heartbeat);
	strs[4] = r->last_invoked, caps[4] = sizeof(r->last_invoked);
	strs[5] = region != NULL ? region : "", caps[5] = ECS_REGION_MAX;
	nums.active = r->active;
	nums.invocations = r->invocations;
	nums.status = r->status;
	nums.session_manager = r->session_manager;
	if (dst != NULL)
		memcpy(dst, &nums, sizeof(nums));
	for (i = 0; i < 6; i++) {
		size_t n = strnlen(strs[i], caps[i] - 1);
		if (dst != NULL) {
			memcpy(dst + need, strs[i], n);
			dst[need + n] = '\0';
		}
		need += n + 1;
	}
	return need;
}

void store_unpack(const char *p, store_rec *r)
{
	const char **f[6];
	packed_nums nums;
	size_t k;

	memcpy(&nums, p, sizeof(nums));
	r->active = nums.active;
	r->invocations = nums.invocations;
	r->status = nums.status;
	r->session_manager = nums.session_manager;
	p += sizeof(nums);
	f[0] = &r->id;
	f[1] = &r->version;
	f[2] = &r->os;
	f[3] = &r->last_heartbeat;
	f[4] = &r->last_invoked;
	f[5] = &r->region;
	for (k = 0; k < 6; k++) {
		*f[k] = p;
		p += strlen(p) + 1;
	}
}

ecs_status store_add(store *s, const ecs_record *r, const char *region, ecs_err *err)
{
	size_t need = store_pack(NULL, r, region);

	if (reserve(s, need) != 0 || reserve_off(s) != 0)
		return err_set(err, ECS_E_NOSPACE,
			       "not enough memory to keep %u answers (is a memory limit such as "
			       "ulimit -v set too low?)",
			       (unsigned)(s->n + 1));
	s->off[s->n++] = (uint32_t)s->len;
	s->len += store_pack(s->data + s->len, r, region);
	return ECS_OK;
}

void store_get(const store *s, size_t i, store_rec *r)
{
	store_unpack(s->data + s->off[i], r);
}

void store_record(const store_rec *sr, ecs_record *r)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->id, sizeof(r->id), "%s", sr->id);
	snprintf(r->version, sizeof(r->version), "%s", sr->version);
	snprintf(r->os, sizeof(r->os), "%s", sr->os);
	snprintf(r->last_heartbeat, sizeof(r->last_heartbeat), "%s", sr->last_heartbeat);
	snprintf(r->last_invoked, sizeof(r->last_invoked), "%s", sr->last_invoked);
	r->status = sr->status;
	r->session_manager = sr->session_manager;
	r->active = sr->active;
	r->invocations = sr->invocations;
}
