#include "show.h"

#include <stdint.h>
#include <string.h>

/* Length of the well-formed UTF-8 sequence at s (2..4), its code point in *cp; 0 if invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t len, i;
	uint32_t c;

	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		c = s[0] & 0x1fu;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		c = s[0] & 0x0fu;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		c = s[0] & 0x07u;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3fu);
	}
	/* overlong forms, surrogates and code points past U+10FFFF */
	if ((len == 3 && c < 0x800) || (len == 4 && (c < 0x10000 || c > 0x10ffff)) ||
	    (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/* Code points that change how a terminal shows the text around them. */
int show_hidden(uint32_t c)
{
	return (c >= 0x80 && c <= 0x9f) || c == 0x61c || (c >= 0x200b && c <= 0x200f) ||
	       (c >= 0x202a && c <= 0x202e) || c == 0x2060 || (c >= 0x2066 && c <= 0x2069) ||
	       c == 0xfeff;
}

static const char HEX[] = "0123456789ABCDEF";

/* The shown form of the unit at s: either the bytes themselves (*raw = 1) or an escape in
 * esc. Returns the number of input bytes the unit covers. */
static size_t unit(const unsigned char *s, size_t n, char *esc, size_t *esc_len, int *raw)
{
	uint32_t cp = 0;
	size_t len;

	*raw = 1;
	if (s[0] >= 0x20 && s[0] < 0x7f)
		return 1;
	len = s[0] >= 0x80 ? utf8_seq(s, n, &cp) : 0;
	if (len > 0 && !show_hidden(cp))
		return len;
	*raw = 0;
	if (len == 0) {
		esc[0] = '\\';
		esc[1] = 'x';
		esc[2] = HEX[s[0] >> 4];
		esc[3] = HEX[s[0] & 15];
		*esc_len = 4;
		return 1;
	}
	memcpy(esc, "<U+", 3);
	esc[3] = HEX[(cp >> 12) & 15];
	esc[4] = HEX[(cp >> 8) & 15];
	esc[5] = HEX[(cp >> 4) & 15];
	esc[6] = HEX[cp & 15];
	esc[7] = '>';
	*esc_len = 8;
	return len;
}

size_t show_text(char *dst, size_t cap, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, o = 0;

	if (cap < 4) {
		if (cap > 0)
			dst[0] = '\0';
		return 0;
	}
	while (i < n) {
		char esc[8];
		size_t el = 0, take;
		int raw;
		take = unit(u + i, n - i, esc, &el, &raw);
		if (raw)
			el = take;
		if (o + el + 4 > cap && (o + el + 1 > cap || i + take < n)) {
			memcpy(dst + o, "...", 3);
			o += 3;
			break;
		}
		memcpy(dst + o, raw ? s + i : esc, el);
		o += el;
		i += take;
	}
	dst[o] = '\0';
	return o;
}

size_t show_utf8_len(const char *s, size_t n)
{
	uint32_t cp;

	if (n == 0)
		return 0;
	if ((unsigned char)s[0] < 0x80)
		return 1;
	return utf8_seq((const unsigned char *)s, n, &cp);
}

size_t show_part(char *dst, size_t cap, const char *s, size_t n, size_t *used)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, o = 0;

	while (i < n) {
		char esc[8];
		size_t el = 0, take;
		int raw;
		take = unit(u + i, n - i, esc, &el, &raw);
		if (raw)
			el = take;
		if (o + el > cap)
			break;
		memcpy(dst + o, raw ? s + i : esc, el);
		o += el;
		i += take;
	}
	*used = i;
	return o;
}

int show_is_plain(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;

	while (i < n) {
		char esc[8];
		size_t el = 0;
		int raw;
		i += unit(u + i, n - i, esc, &el, &raw);
		if (!raw)
			return 0;
	}
	return 1;
}
