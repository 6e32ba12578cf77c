/*
 * Display filtering of untrusted text. Every byte that reaches a terminal (table and TSV fields,
 * error messages that quote the server, argv, the environment or a file) goes through here,
 * whoever sent it: a server, a user or a script.
 */
#ifndef ECS_SHOW_H
#define ECS_SHOW_H

#include <stddef.h>
#include <stdint.h>

/*
 * Copies s (n bytes, may hold NUL bytes) to dst (cap bytes, cap >= 4) as text that is safe to
 * print: printable ASCII and well-formed UTF-8 pass through; C0 controls, DEL and invalid UTF-8
 * bytes become \xNN; C1 controls (U+0080-U+009F), bidi controls (U+061C, U+200E-U+200F,
 * U+202A-U+202E, U+2066-U+2069) and invisible characters (U+200B-U+200D, U+2060, U+FEFF) become
 * <U+XXXX>. Output that does not fit ends in "..." (never a cut escape or a cut character).
 * dst is always NUL-terminated; returns its length.
 */
size_t show_text(char *dst, size_t cap, const char *s, size_t n);

/* The streaming form of show_text(): filters as much of s (n bytes) as fits in dst (cap bytes)
 * without cutting an escape or a character, no NUL added; *used gets the input bytes taken
 * (at least one unit when cap >= 8). Returns the output length. */
size_t show_part(char *dst, size_t cap, const char *s, size_t n, size_t *used);

/* 1 if code point c is one that show_text() escapes as <U+XXXX> (C1, bidi, invisible). */
int show_hidden(uint32_t c);

/* Length (1..4) of the well-formed UTF-8 character at s (n bytes left), 0 if the bytes there
 * are not one (ASCII counts as well-formed). */
size_t show_utf8_len(const char *s, size_t n);

/* 1 if s (n bytes) would pass show_text() unchanged. */
int show_is_plain(const char *s, size_t n);

#endif
