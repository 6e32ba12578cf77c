/* Every fixed buffer size of the program, in one place. Input that does not fit is an error
 * that names the limit, never a truncation. */
#ifndef ECS_LIMITS_H
#define ECS_LIMITS_H

#define ECS_HOST_MAX	   256	  /* host name (DNS limit 253) */
#define ECS_URL_MAX	   1024	  /* --proxy / --endpoint URL */
#define ECS_HTTP_HDR_MAX   8192	  /* response status line + header section */
#define ECS_HTTP_BODY_MAX  65536  /* response body: 100 instances take ~40 KB */
#define ECS_HTTP_REQ_MAX   12288  /* one request: 100 ids of 64 bytes, v1 query encoded */
#define ECS_NET_CHUNK	   4096	  /* bytes read from a connection at a time */
#define ECS_TLS_POOL_SIZE  65536  /* mbedTLS heap pool: high-water ~37 KB measured + margin */
#define ECS_PEM_B64_MAX	   16384  /* one PEM certificate, base64 text */
#define ECS_CERT_DER_MAX   12288  /* one certificate, DER */
#define ECS_PATH_MAX	   1024	  /* a file path */
#define ECS_ID_MAX	   64	  /* one instance id */
#define ECS_IDS_MAX	   100000 /* instance ids in one run */
#define ECS_FILE_MAX	   65536  /* a credentials/config file */
#define ECS_SECRET_MAX	   256	  /* an AccessKeySecret */
#define ECS_TOKEN_MAX	   4096	  /* an STS SecurityToken (real ones are ~1-2 KB) */
#define ECS_RESOLVE_MAX	   16 /* --resolve entries (curl has no limit; 16 covers API+STS+metadata) */
#define ECS_DNS_NS_MAX	   3  /* nameservers used from resolv.conf (MAXNS of every libc) */
#define ECS_DNS_SEARCH_MAX 6  /* search domains used (glibc's historic MAXDNSRCH) */
#define ECS_DNS_ADDR_MAX   16	/* addresses kept per name; more are not tried */
#define ECS_DNS_MSG_MAX	   4096 /* a DNS answer (UDP ones are <= 512 without EDNS); larger fails */
#define ECS_DNS_LINE_MAX   512	/* a line of /etc/hosts or /etc/resolv.conf; longer are skipped */
#define ECS_DNS_GRACE_MS   150	/* wait for the other family after one brought addresses */
#define ECS_KEYID_MAX	   128	/* an AccessKeyId */

#endif
