/* Helpers shared by the libFuzzer harnesses (header only: each harness is one program). */
#ifndef ECS_FUZZ_COMMON_H
#define ECS_FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An invariant of the code under test: a failure is a finding, reported as a crash. */
#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c)) {                                                                        \
			fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #c);  \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Small deterministic PRNG (xorshift32) for split patterns. */
static inline uint32_t fz_rand(uint32_t *s)
{
	uint32_t x = *s != 0 ? *s : 0x9e3779b9u;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*s = x;
	return x;
}

/* A heap block of exactly n bytes (ASan flags any byte past it), never NULL. */
static inline char *fz_alloc(size_t n)
{
	char *p = malloc(n > 0 ? n : 1);

	if (p == NULL)
		abort();
	return n > 0 ? p : p + 1; /* for n == 0: a pointer to the end, so any access is caught */
}

static inline void fz_free(char *p, size_t n)
{
	free(n > 0 ? p : p - 1);
}

/* A copy of data[0..n) in an exact-size heap block with a NUL after it (n + 1 bytes). */
static inline char *fz_strndup(const uint8_t *data, size_t n)
{
	char *p = malloc(n + 1);

	if (p == NULL)
		abort();
	if (n > 0)
		memcpy(p, data, n);
	p[n] = '\0';
	return p;
}

/* Canary handling for "output fits in cap or NOSPACE" checks: buf has cap + FZ_CANARY bytes. */
#define FZ_CANARY 32
static inline char *fz_canary_buf(size_t cap)
{
	char *p = malloc(cap + FZ_CANARY);

	if (p == NULL)
		abort();
	memset(p, 0xA5, cap + FZ_CANARY);
	return p;
}

static inline int fz_canary_ok(const char *p, size_t cap)
{
	size_t i;

	for (i = 0; i < FZ_CANARY; i++)
		if ((unsigned char)p[cap + i] != 0xA5)
			return 0;
	return 1;
}

/* 1 if s[0..n) holds a NUL-terminated string (a NUL within the array). */
static inline int fz_terminated(const char *s, size_t n)
{
	return memchr(s, '\0', n) != NULL;
}

#endif
