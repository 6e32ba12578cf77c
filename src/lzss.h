/*
 * Unpacks text packed at build time by scripts/pack_text.c (LZSS: the format is described
 * there). Pure: bytes in, bytes out, every reference bounds-checked.
 */
#ifndef ECS_LZSS_H
#define ECS_LZSS_H

#include <stddef.h>

/* Unpacks in[0..n) into out (cap bytes). The unpacked length, or (size_t)-1 when the input is
 * malformed (a reference before the start) or does not fit. */
size_t lzss_unpack(const unsigned char *in, size_t n, char *out, size_t cap);

#endif
