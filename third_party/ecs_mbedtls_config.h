/*
 * mbedTLS 3.6 configuration for ecs-ca-status: a TLS 1.2 + 1.3 client only.
 *
 * Key exchange: ECDHE over X25519, P-256, P-384. Authentication: RSA (PKCS#1 v1.5 and PSS)
 * and ECDSA signature verification. Ciphers: AES-GCM and ChaCha20-Poly1305. Hashes:
 * SHA-1 (request signing), SHA-256/384/512. X.509 and PEM parsing; trusted CAs are looked up
 * on demand through the trusted-certificate callback so a large bundle never sits in memory.
 * No server, no DTLS, no session tickets (TLS 1.3 tickets are ignored), no stdio file access,
 * no /dev/random: entropy comes from the port layer through mbedtls_hardware_poll().
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
#define MBEDTLS_NO_PLATFORM_ENTROPY
#define MBEDTLS_ENTROPY_HARDWARE_ALT
#define MBEDTLS_ENTROPY_C
#define MBEDTLS_CTR_DRBG_C
#define MBEDTLS_PSA_CRYPTO_C
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
#define MBEDTLS_SHA256_C
#define MBEDTLS_SHA256_SMALLER
#define MBEDTLS_SHA384_C
#define MBEDTLS_SHA512_C
#define MBEDTLS_SHA512_SMALLER
#define MBEDTLS_HKDF_C

/* Public key */
#define MBEDTLS_BIGNUM_C
#define MBEDTLS_ECP_C
#define MBEDTLS_ECP_DP_SECP256R1_ENABLED
#define MBEDTLS_ECP_DP_SECP384R1_ENABLED
#define MBEDTLS_ECP_DP_CURVE25519_ENABLED
#define MBEDTLS_ECDH_C
#define MBEDTLS_ECDSA_C
#define MBEDTLS_RSA_C
#define MBEDTLS_PKCS1_V15
#define MBEDTLS_PKCS1_V21
#define MBEDTLS_PK_C
#define MBEDTLS_PK_PARSE_C
#define MBEDTLS_ASN1_PARSE_C
#define MBEDTLS_ASN1_WRITE_C
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

/* Sizes. Incoming records stay at the protocol maximum: a server may ignore max_fragment_length.
 * Our requests are small, so the output record buffer is trimmed. */
#define MBEDTLS_SSL_IN_CONTENT_LEN  16384
#define MBEDTLS_SSL_OUT_CONTENT_LEN 4096
#define MBEDTLS_MPI_MAX_SIZE	    512 /* RSA-4096 roots exist in the wild */

#endif /* ECS_MBEDTLS_CONFIG_H */
