/*
 * libFuzzer harness for the instance-id reader (src/ids.c) and the display filter
 * (src/show.c): hostile stdin and hostile server text.
 *
 * The input is fed to ids_feed in pieces of a pseudo-random split (seeded by the input), and
 * again whole: both give the same set or the same error. Every id kept is 1..ECS_ID_MAX bytes
 * of [A-Za-z0-9-], none twice, and ids_find finds each at its index. show_text of the input
 * never holds a byte below 0x20, DEL, a C1 control or a bidi control, at every capacity, and
 * show_part consumes whole units.
 */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_common.h"
#include "ids.h"
#include "port.h"
#include "show.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static ecs_status feed(ids_set *s, const char *p, size_t n, uint32_t seed, ecs_err *err)
{
	size_t off = 0;
	ecs_status st = ECS_OK;

	while (off < n && st == ECS_OK) {
		size_t k = seed == 0 ? n - off : 1 + fz_rand(&seed) % 17;
		if (k > n - off)
			k = n - off;
		st = ids_feed(s, p + off, k, "fuzz", err);
		off += k;
	}
	return st == ECS_OK ? ids_feed_end(s, err) : st;
}

static void check_set(const ids_set *s)
{
	size_t i, k;

	for (i = 0; i < ids_count(s); i++) {
		const char *id = ids_at(s, i);
		size_t n = strlen(id);
		CHECK(n >= 1 && n <= ECS_ID_MAX);
		for (k = 0; k < n; k++)
			CHECK((id[k] >= 'a' && id[k] <= 'z') || (id[k] >= 'A' && id[k] <= 'Z') ||
			      (id[k] >= '0' && id[k] <= '9') || id[k] == '-');
		CHECK(ids_find(s, id, n) == (long)i);
	}
}

static void check_shown(const char *out)
{
	const unsigned char *u = (const unsigned char *)out;
	size_t i;

	for (i = 0; u[i] != '\0'; i++) {
		CHECK(u[i] >= 0x20 && u[i] != 0x7f);
		if (u[i] == 0xc2)
			CHECK(u[i + 1] < 0x80 || u[i + 1] > 0x9f); /* no C1 as UTF-8 */
		if (u[i] == 0xe2 && u[i + 1] == 0x80)
			CHECK(u[i + 2] < 0xaa || u[i + 2] > 0xae); /* no U+202A..U+202E */
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char shown[512];
	const char *p = (const char *)data;
	ids_set a, b;
	ecs_err ea, eb;
	ecs_status sa, sb;
	size_t cap, used, i;

	ids_init(&a, port_mem_resize);
	ids_init(&b, port_mem_resize);
	sa = feed(&a, p, size, 0, &ea);
	sb = feed(&b, p, size, (uint32_t)size * 2654435761u + 1, &eb);
	CHECK(sa == sb);
	if (sa == ECS_OK) {
		CHECK(ids_count(&a) == ids_count(&b));
		for (i = 0; i < ids_count(&a); i++)
			CHECK(strcmp(ids_at(&a, i), ids_at(&b, i)) == 0);
		check_set(&a);
	} else {
		CHECK(strcmp(ea.msg, eb.msg) == 0);
		check_shown(ea.msg);
	}
	ids_free(&a);
	ids_free(&b);
	for (cap = 4; cap <= sizeof(shown); cap = cap * 3 / 2 + 1) {
		size_t n = show_text(shown, cap, p, size);
		CHECK(n < cap && shown[n] == '\0');
		check_shown(shown);
	}
	(void)show_part(shown, 64, p, size, &used);
	CHECK(used <= size);
	return 0;
}
