/* Every fixed buffer size of the program, in one place. Input that does not fit is an error
 * that names the limit, never a truncation. */
#ifndef ECS_LIMITS_H
#define ECS_LIMITS_H

#define ECS_HOST_MAX	  256	/* host name (DNS limit 253) */
#define ECS_URL_MAX	  1024	/* --proxy / --endpoint URL */
#define ECS_HTTP_HDR_MAX  8192	/* response status line + header section */
#define ECS_HTTP_BODY_MAX 65536 /* response body: 100 instances take ~40 KB */
#define ECS_HTTP_REQ_MAX  12288 /* one request: 100 ids of 64 bytes, v1 query encoded */
#define ECS_NET_CHUNK	  4096	/* bytes read from a connection at a time */
/* mbedTLS heap pool: a shared part plus one share per connection of the run (K connections
 * use BASE + K * PER_CONN; only that much is initialised and touched). */
#define ECS_TLS_POOL_BASE     8192
#define ECS_TLS_POOL_PER_CONN 40960 /* high-water of one connection: see README "Memory" */
#define ECS_TLS_POOL_SIZE     (ECS_TLS_POOL_BASE + 16 * ECS_TLS_POOL_PER_CONN)
#define ECS_PEM_B64_MAX	      16384  /* one PEM certificate, base64 text */
#define ECS_CERT_DER_MAX      12288  /* one certificate, DER */
#define ECS_PATH_MAX	      1024   /* a file path */
#define ECS_ID_MAX	      64     /* one instance id */
#define ECS_IDS_MAX	      100000 /* instance ids in one run */
#define ECS_FILE_MAX	      65536  /* a credentials/config file */
#define ECS_SECRET_MAX	      256    /* an AccessKeySecret */
#define ECS_TOKEN_MAX	      4096   /* an STS SecurityToken (real ones are ~1-2 KB) */
#define ECS_KEYID_MAX	      128    /* an AccessKeyId */
#define ECS_FIELD_MAX	      256    /* one string field of a record (version, OS, times) */
#define ECS_OUT_BUF	      16384  /* output buffer: flushed between rows (a row < 8 KB) */
#define ECS_OUT_ROW_ROOM      8192   /* flush before a row when less than this is free */
#define ENGINE_PARALLEL_MAX   16     /* --parallel: connections of one run (polite to the API) */
#define ENGINE_WINDOW	      32     /* batches held for reordering: 2 per connection */

#endif
