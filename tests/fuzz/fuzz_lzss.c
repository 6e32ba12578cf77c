/*
 * libFuzzer harness for the --help text's unpacker (src/lzss.c): any bytes, at every output
 * capacity up to 64 KiB. It never writes past the capacity (ASan), and a result that is not
 * an error fits the capacity; with a larger capacity the same input unpacks to the same bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lzss.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char a[65536], b[65536];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t cap = size > 0 ? (size_t)data[0] * 97 % sizeof(a) : 0;
	size_t n = lzss_unpack(data, size, a, cap);

	if (n != (size_t)-1) {
		size_t m = lzss_unpack(data, size, b, sizeof(b));
		if (n > cap || m != n || memcmp(a, b, n) != 0)
			__builtin_trap();
	}
	return 0;
}
