/*
 * mbedTLS 3.6 configuration for ecs-ca-status: a TLS 1.2 + 1.3 client only.
 *
 * Key exchange: ECDHE over X25519, P-256, P-384. Authentication: RSA (PKCS#1 v1.5 and PSS)
 * and ECDSA signature verification. Ciphers: AES-GCM and ChaCha20-Poly1305. Hashes:
 * SHA-1 (request signing), SHA-256/384/512. X.509 and PEM parsing; trusted CAs are looked up
 * on demand through the trusted-certificate callback so a large bundle never sits in memory.
 * No server, no DTLS, no session tickets (TLS 1.3 tickets are ignored), no stdio file access,
 * no /dev/random: random bytes come from the OS through the port layer (getrandom()).
 * Memory comes from a static pool (MEMORY_BUFFER_ALLOC_C) unless ECS_SYSTEM_HEAP is set by a
 * sanitizer build, so that ASan sees every allocation.
 */
#ifndef ECS_MBEDTLS_CONFIG_H
#define ECS_MBEDTLS_CONFIG_H

/* Platform */
#define MBEDTLS_HAVE_ASM
#define MBEDTLS_HAVE_TIME
#define MBEDTLS_HAVE_TIME_DATE
#define MBEDTLS_PLATFORM_GMTIME_R_ALT /* ours (tls.c): musl's gmtime_r drags in the tz code */
#define MBEDTLS_PLATFORM_C
#if !defined(ECS_SYSTEM_HEAP)
#define MBEDTLS_PLATFORM_MEMORY
#define MBEDTLS_MEMORY_BUFFER_ALLOC_C
#endif
/* Random bytes come from the OS through the port (src/tls.c: the TLS f_rng and PSA's
 * mbedtls_psa_external_get_random): no CTR_DRBG, no entropy module, no /dev/random. */
#define MBEDTLS_PSA_CRYPTO_EXTERNAL_RNG
#define MBEDTLS_PSA_CRYPTO_C
/* PSA is told what the TLS code asks of it (the PSA_WANT list at the end of this file), not
 * everything the legacy modules could do: no PSA RSA keys (import, export, private ops), no
 * PSA ciphers or AEAD (the TLS record layer uses the legacy cipher module), no PSA ECDSA. */
#define MBEDTLS_PSA_CRYPTO_CONFIG
/* ...instead of psa/crypto_config.h, which wants everything: this file again (include guard) */
#define MBEDTLS_PSA_CRYPTO_CONFIG_FILE "ecs_mbedtls_config.h"
#define MBEDTLS_PSA_ASSUME_EXCLUSIVE_BUFFERS /* no shared memory here: PSA copies no buffers */

/* Symmetric */
#define MBEDTLS_AES_C
#define MBEDTLS_AES_ROM_TABLES
#define MBEDTLS_AES_FEWER_TABLES
#if defined(__x86_64__) && !defined(ECS_FUZZ)
/* AES-NI and PCLMUL with a run-time CPU check (software AES otherwise): measured -19 % CPU on
 * 10,000 ids for +1.2 KB. mk/build.mk compiles aesni.c without LTO: its target pragma does not
 * survive LTO. */
#define MBEDTLS_AESNI_C
#endif
#define MBEDTLS_GCM_C
#define MBEDTLS_CHACHA20_C
#define MBEDTLS_POLY1305_C
#define MBEDTLS_CHACHAPOLY_C
#define MBEDTLS_CIPHER_C
#define MBEDTLS_BLOCK_CIPHER_NO_DECRYPT /* GCM only encrypts with AES */

/* Hashes */
#define MBEDTLS_MD_C
#define MBEDTLS_SHA1_C
#define MBEDTLS_SHA1_PROCESS_ALT /* src/sha1_block.c: a loop, not 4.7 KB of unrolled steps */
#define MBEDTLS_SHA256_C
#define MBEDTLS_SHA256_SMALLER
#define MBEDTLS_SHA384_C
#define MBEDTLS_SHA512_C
#define MBEDTLS_SHA512_SMALLER

/* Public key */
#define MBEDTLS_BIGNUM_C
#define MBEDTLS_ECP_C
#define MBEDTLS_ECP_DP_SECP256R1_ENABLED
#define MBEDTLS_ECP_DP_SECP384R1_ENABLED
#define MBEDTLS_ECP_DP_CURVE25519_ENABLED
/* No precomputed multiples of the P-256/P-384 generators (7.8 KB of tables on x86_64); the
 * fast NIST reduction instead (+3.1 KB) makes P-256/P-384 handshakes about twice as fast as
 * the tables alone did, and a window of 2 keeps the per-multiplication table small (-4.3 KB
 * of pool per connection with an ECDSA chain, ~10 % slower than 4). X25519 is unaffected. */
#define MBEDTLS_ECP_FIXED_POINT_OPTIM 0
#define MBEDTLS_ECP_NIST_OPTIM
#define MBEDTLS_ECP_WINDOW_SIZE 2
#define MBEDTLS_ECDH_C
#define MBEDTLS_ECDSA_C
#define MBEDTLS_RSA_C
#define MBEDTLS_PKCS1_V15
#define MBEDTLS_PKCS1_V21
#define MBEDTLS_PK_C
/* third_party/patches/mbedtls-0002: the pk layer verifies only (no RSA private operation, no
 * PKCS#1 decryption, no ECDSA signing, no key-pair check are linked); a client has no key. */
#define ECS_PK_VERIFY_ONLY
#define MBEDTLS_PK_PARSE_C
#define MBEDTLS_ASN1_PARSE_C
#define MBEDTLS_ASN1_WRITE_C /* check_config wants it with ECDSA; nothing of it is linked */
#define MBEDTLS_OID_C
#define MBEDTLS_BASE64_C
#define MBEDTLS_PEM_PARSE_C

/* X.509 */
#define MBEDTLS_X509_USE_C
#define MBEDTLS_X509_CRT_PARSE_C
#define MBEDTLS_X509_RSASSA_PSS_SUPPORT
#define MBEDTLS_X509_TRUSTED_CERTIFICATE_CALLBACK
#define MBEDTLS_X509_REMOVE_INFO /* no human-readable dumps: we word errors ourselves */

/* TLS client */
#define MBEDTLS_SSL_TLS_C
#define MBEDTLS_SSL_CLI_C
#define MBEDTLS_SSL_PROTO_TLS1_2
#define MBEDTLS_SSL_PROTO_TLS1_3
#define MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_EPHEMERAL_ENABLED
#define MBEDTLS_SSL_TLS1_3_COMPATIBILITY_MODE
#define MBEDTLS_SSL_KEEP_PEER_CERTIFICATE
#define MBEDTLS_KEY_EXCHANGE_ECDHE_RSA_ENABLED
#define MBEDTLS_KEY_EXCHANGE_ECDHE_ECDSA_ENABLED
#define MBEDTLS_SSL_SERVER_NAME_INDICATION
#define MBEDTLS_SSL_EXTENDED_MASTER_SECRET
/* The suites this configuration can do, in mbedTLS's default order (the ClientHello is the
 * same as without the list): without it the library keeps its list of every suite it knows
 * (764 bytes) and filters it at run time. */
#define MBEDTLS_SSL_CIPHERSUITES                                                                   \
	MBEDTLS_TLS1_3_CHACHA20_POLY1305_SHA256, MBEDTLS_TLS1_3_AES_256_GCM_SHA384,                \
		MBEDTLS_TLS1_3_AES_128_GCM_SHA256,                                                 \
		MBEDTLS_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,                               \
		MBEDTLS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,                             \
		MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,                                   \
		MBEDTLS_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,                                     \
		MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,                                   \
		MBEDTLS_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256

/* PSA: what the TLS 1.2 and 1.3 client code calls through PSA (without MBEDTLS_USE_PSA_CRYPTO).
 * TLS 1.3 ECDHE (generate a key pair, export its public key, raw agreement) on X25519, P-256
 * and P-384; the TLS 1.3 key schedule (HKDF extract and expand, HMAC); the TLS 1.2 PRF.
 * mbedTLS adds the hashes the legacy modules have (config_adjust_psa_superset_legacy.h) and
 * the DERIVE and RAW_DATA key types. The legacy HKDF module (MBEDTLS_HKDF_C) is not built: TLS
 * 1.3 derives its keys through PSA. */
#define PSA_WANT_ALG_ECDH			1
#define PSA_WANT_ECC_MONTGOMERY_255		1
#define PSA_WANT_ECC_SECP_R1_256		1
#define PSA_WANT_ECC_SECP_R1_384		1
#define PSA_WANT_KEY_TYPE_ECC_PUBLIC_KEY	1
#define PSA_WANT_KEY_TYPE_ECC_KEY_PAIR_BASIC	1
#define PSA_WANT_KEY_TYPE_ECC_KEY_PAIR_GENERATE 1
#define PSA_WANT_ALG_HKDF_EXTRACT		1
#define PSA_WANT_ALG_HKDF_EXPAND		1
#define PSA_WANT_ALG_HMAC			1
#define PSA_WANT_KEY_TYPE_HMAC			1
#define PSA_WANT_ALG_TLS12_PRF			1
#define PSA_WANT_ALG_SHA_256			1
#define PSA_WANT_ALG_SHA_384			1

/* Sizes. Incoming records stay at the protocol maximum: a server may ignore max_fragment_length.
 * Outgoing records are at most 2 KiB: a client's handshake messages are small and a request
 * (up to 12 KiB, conn.c loops over mbedtls_ssl_write) is sent as several records; each
 * connection's pool then needs 2 KiB less than with 4 KiB. */
#define MBEDTLS_SSL_IN_CONTENT_LEN  16384
#define MBEDTLS_SSL_OUT_CONTENT_LEN 2048
#define MBEDTLS_MPI_MAX_SIZE	    512 /* RSA-4096 roots exist in the wild */

#endif /* ECS_MBEDTLS_CONFIG_H */
