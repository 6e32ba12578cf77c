#include "redact.h"

#include <string.h>

static int unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_' || c == '.' || c == '~';
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Compares t with the expected bytes e (hex digits in either case); returns the length on a
 * match, 0 on a mismatch, and sets *partial when t ends before e does. */
static size_t match_bytes(const char *t, const char *e, int *partial)
{
	size_t i;

	for (i = 0; e[i] != '\0'; i++) {
		if (t[i] == '\0') {
			*partial = 1;
			return 0;
		}
		if (lower(t[i]) != lower(e[i]))
			return 0;
	}
	return i;
}

/* Length of the encoding (0 raw, 1 once, 2 twice, 3 form) of sec matched at t, or 0. */
static size_t match_at(const char *t, const char *sec, int level, int *partial)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i = 0, k;

	for (; *sec != '\0'; sec++) {
		unsigned char c = (unsigned char)*sec;
		char e[6];
		if (level == 0 || unreserved(c)) {
			e[0] = (char)c, e[1] = '\0';
		} else if (level == 3 && c == ' ') {
			e[0] = '+', e[1] = '\0';
		} else if (level == 2) {
			e[0] = '%', e[1] = '2', e[2] = '5', e[3] = hex[c >> 4], e[4] = hex[c & 15];
			e[5] = '\0';
		} else {
			e[0] = '%', e[1] = hex[c >> 4], e[2] = hex[c & 15], e[3] = '\0';
		}
		k = match_bytes(t + i, e, partial);
		if (k == 0)
			return 0;
		i += k;
	}
	return i;
}

/* Puts the mark at s[at..at+len) within cap, moving the tail; the tail is cut if needed. */
static void replace(char *s, size_t cap, size_t at, size_t len)
{
	size_t ml = sizeof(REDACT_MARK) - 1, total = strlen(s), tail = total - at - len;

	if (at + ml >= cap) {
		s[at] = '\0'; /* no room for the whole mark: drop the rest */
		return;
	}
	if (at + ml + tail >= cap)
		tail = cap - 1 - at - ml;
	memmove(s + at + ml, s + at + len, tail);
	memcpy(s + at, REDACT_MARK, ml);
	s[at + ml + tail] = '\0';
}

size_t redact_text(char *s, size_t cap, const char *const *secrets, size_t n)
{
	size_t hits = 0, i, pos;
	int level;

	if (s == NULL || cap == 0)
		return 0;
	for (i = 0; i < n; i++) {
		if (secrets[i] == NULL || secrets[i][0] == '\0')
			continue;
		for (level = 0; level < 4; level++) {
			for (pos = 0; s[pos] != '\0';) {
				int partial = 0;
				size_t m = match_at(s + pos, secrets[i], level, &partial);
				if (m == 0) {
					pos++;
					continue;
				}
				replace(s, cap, pos, m);
				hits++;
				pos += sizeof(REDACT_MARK) - 1;
				if (pos >= strlen(s))
					break;
			}
		}
	}
	return hits;
}

size_t redact_tail(char *s, const char *const *secrets, size_t n)
{
	size_t i, pos, len = strlen(s);
	int level;

	for (i = 0; i < n; i++) {
		if (secrets[i] == NULL || secrets[i][0] == '\0')
			continue;
		for (level = 0; level < 4; level++)
			for (pos = 0; pos < len; pos++) {
				int partial = 0;
				(void)match_at(s + pos, secrets[i], level, &partial);
				if (partial) {
					s[pos] = '\0';
					len = pos;
					break;
				}
			}
	}
	return len;
}
