/*
 * TLS over mbedTLS: process-wide setup (PSA, random source, static heap pool), trust-anchor
 * discovery and on-demand issuer lookup, and the words for verification failures. The connection
 * code (conn.c) owns the per-connection mbedtls_ssl_context.
 */
#ifndef ECS_TLS_H
#define ECS_TLS_H

#include <stddef.h>

#include "ecs_limits.h"
#include "err.h"
#include "mbedtls/ssl.h"

/* Where trust anchors come from: one file (PEM bundle or a single DER certificate) or a
 * directory of *.crt / *.pem / *.cer / OpenSSL hash-named files. */
typedef struct {
	char path[ECS_PATH_MAX]; /* "built-in" for the built-in anchors */
	int is_dir;
	int builtin;	 /* the roots compiled in from Debian's ca-certificates (see versions.sh) */
	char origin[64]; /* "--ca-file", "SSL_CERT_FILE", "system bundle", ... */
} tls_trust;

/* Finds the trust anchors: explicit (from --ca-file; may be NULL), else SSL_CERT_FILE,
 * SSL_CERT_DIR, then the usual distribution paths, else the built-in roots. The first that
 * exists wins. An explicit file or variable that names something unreadable (permission, a
 * FIFO or device, out of descriptors) is an error that says so (ECS_E_INPUT). */
ecs_status tls_find_trust(const char *explicit_path, tls_trust *t, ecs_err *err);

/* One-time process setup: static memory pool, PSA crypto, a check of the OS random source
 * (ECS_E_TLS when it gives nothing), and the shared client configuration (TLS 1.2 minimum,
 * verification required, trusted-CA callback on t). Later calls return the first result. */
ecs_status tls_global_init(const tls_trust *t, ecs_err *err);

/* How many connections will be open at once (1..16, default 1): sizes the part of the static
 * pool that is used. Call before tls_global_init. */
void tls_set_connections(unsigned k);

/* Highest pool size in use (for messages). */
size_t tls_pool_size(void);

/* The shared client configuration (valid after tls_global_init). */
const mbedtls_ssl_config *tls_config(void);

/* Fills err with a verification failure in words ("issued by an unknown CA", "does not match
 * the host name", "has expired", "is not yet valid" ...) naming host. */
ecs_status tls_verify_error(const mbedtls_ssl_context *ssl, const char *host, ecs_err *err);

/* The built-in roots: how many, and for the i-th its DER bytes (the certificate without its
 * signature value: see third_party/gen_anchors.sh), their length, and the SHA-256 fingerprint
 * of the published certificate. */
size_t tls_anchor_count(void);
const unsigned char *tls_anchor_der(size_t i, size_t *len, const unsigned char **sha256);
/* The subject of DER certificate cert (len bytes) as text ("C=BE, O=GlobalSign nv-sa, ...")
 * into out. Works before tls_global_init (sets up the memory pool). 0, or -1 when it does not
 * parse. */
int tls_cert_describe(const unsigned char *cert, size_t len, char *out, size_t cap);

/* Text for an mbedTLS error code, short. */
const char *tls_strerror(int code);

/* Highest byte of the static pool ever used (0 when the system heap is used). */
size_t tls_pool_high_water(void);

/* 1 when the local clock was found to be before this program was built, so certificate
 * validity dates were not checked (the chain and name still were). */
int tls_clock_untrusted(void);

#endif
