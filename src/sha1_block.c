/*
 * The SHA-1 block function for mbedTLS (MBEDTLS_SHA1_PROCESS_ALT in ecs_mbedtls_config.h).
 * mbedTLS's own is fully unrolled (4.7 KB on x86_64); this one is the FIPS 180-4 section 6.1.2
 * computation as a loop over the 80 steps with a 16-word message schedule, a few hundred
 * bytes. SHA-1 is used for --signature v1 (HMAC-SHA1) and by TLS for old certificate and
 * handshake signatures, a few blocks per request, so the speed does not matter.
 */
#include <stdint.h>

#include "mbedtls/platform_util.h"
#include "mbedtls/sha1.h"

static uint32_t rol32(uint32_t x, unsigned n)
{
	return (x << n) | (x >> (32 - n));
}

/* The round function and constant of step t (FIPS 180-4 4.1.1 and 4.2.1). */
static uint32_t sha1_f(unsigned t, uint32_t b, uint32_t c, uint32_t d)
{
	if (t < 20)
		return ((b & (c ^ d)) ^ d) + 0x5A827999u; /* Ch */
	if (t < 40)
		return (b ^ c ^ d) + 0x6ED9EBA1u; /* Parity */
	if (t < 60)
		return ((b & c) | (d & (b | c))) + 0x8F1BBCDCu; /* Maj */
	return (b ^ c ^ d) + 0xCA62C1D6u;
}

int mbedtls_internal_sha1_process(mbedtls_sha1_context *ctx, const unsigned char data[64])
{
	uint32_t w[16], v[5], tmp;
	unsigned t;

	for (t = 0; t < 16; t++)
		w[t] = (uint32_t)data[4 * t] << 24 | (uint32_t)data[4 * t + 1] << 16 |
		       (uint32_t)data[4 * t + 2] << 8 | (uint32_t)data[4 * t + 3];
	for (t = 0; t < 5; t++)
		v[t] = ctx->MBEDTLS_PRIVATE(state)[t];
	for (t = 0; t < 80; t++) {
		if (t >= 16) /* W[t] = ROTL1(W[t-3] ^ W[t-8] ^ W[t-14] ^ W[t-16]), kept mod 16 */
			w[t & 15] = rol32(w[(t + 13) & 15] ^ w[(t + 8) & 15] ^ w[(t + 2) & 15] ^
						  w[t & 15],
					  1);
		tmp = rol32(v[0], 5) + sha1_f(t, v[1], v[2], v[3]) + v[4] + w[t & 15];
		v[4] = v[3];
		v[3] = v[2];
		v[2] = rol32(v[1], 30);
		v[1] = v[0];
		v[0] = tmp;
	}
	for (t = 0; t < 5; t++)
		ctx->MBEDTLS_PRIVATE(state)[t] += v[t];
	/* like mbedTLS's own: no message words or working state left on the stack */
	mbedtls_platform_zeroize(w, sizeof(w));
	mbedtls_platform_zeroize(v, sizeof(v));
	return 0;
}
