#include "lzss.h"

#define LZSS_MIN_LEN 3

size_t lzss_unpack(const unsigned char *in, size_t n, char *out, size_t cap)
{
	size_t i = 0, o = 0;
	unsigned flags = 0, items = 0;

	while (i < n) {
		if (items == 0) {
			flags = in[i++];
			items = 8;
			continue;
		}
		if (flags & 1) {
			size_t v, dist, len;
			if (n - i < 2)
				return (size_t)-1;
			v = (size_t)in[i] << 8 | in[i + 1];
			i += 2;
			dist = v >> 4;
			len = (v & 15) + LZSS_MIN_LEN;
			if (dist == 0 || dist > o || len > cap - o)
				return (size_t)-1;
			for (; len > 0; len--, o++) /* may overlap itself: byte by byte */
				out[o] = out[o - dist];
		} else {
			if (o == cap)
				return (size_t)-1;
			out[o++] = (char)in[i++];
		}
		flags >>= 1;
		items--;
	}
	return o;
}
