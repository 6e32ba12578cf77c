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
 * use BASE + K * PER_CONN; the rest is never touched) */
#define ECS_TLS_POOL_BASE     8192
#define ECS_TLS_POOL_PER_CONN 40960  /* high-water of one connection: 31-47 KB measured */
#define ECS_PEM_B64_MAX	      16384  /* one PEM certificate, base64 text */
#define ECS_CERT_DER_MAX      12288  /* one certificate, DER */
#define ECS_PATH_MAX	      1024   /* a file path */
#define ECS_ID_MAX	      64     /* one instance id */
#define ECS_IDS_MAX	      100000 /* instance ids in one run */
#define ECS_FILE_MAX	      65536  /* a credentials/config file */
#define ECS_SECRET_MAX	      256    /* an AccessKeySecret */
#define ECS_TOKEN_MAX	      4096   /* an STS SecurityToken (real ones are ~1-2 KB) */
#define ECS_KEYID_MAX	      128    /* an AccessKeyId */
#define ECS_CONN_WHY_MAX      480    /* why every address of a host failed ("A: why; B: why") */
#define ECS_REGIONS_MAX	      64     /* regions in one run (Alibaba Cloud has about 30) */
#define ECS_REGION_MAX	      64     /* one region id, with its NUL */
#define ECS_FIELD_MAX	      256    /* one string field of a record (version, OS, times) */
#define ECS_OUT_BUF	      16384  /* output buffer: flushed between rows (a row < 8 KB) */
#define ECS_OUT_ROW_ROOM      8192   /* flush before a row when less than this is free */
#define ECS_JSON_TOKENS	      8192   /* JSON tokens of one answer: 100 records take ~2,300 */
#define ENGINE_PARALLEL_MAX   16     /* --parallel: connections of one run (polite to the API) */
#define ENGINE_WINDOW	      32     /* batches held for reordering: 2 per connection */
#define ECS_RESOLVE_MAX                                                                            \
	16 /* --resolve addresses (curl has no limit; 16 covers API+STS+metadata)                  \
	    */
#define ECS_DNS_NS_MAX	   3	/* nameservers used from resolv.conf (MAXNS of every libc) */
#define ECS_DNS_SEARCH_MAX 6	/* search domains used (glibc's historic MAXDNSRCH) */
#define ECS_DNS_ADDR_MAX   16	/* addresses kept per name; more are not tried */
#define ECS_DNS_MSG_MAX	   4096 /* a DNS answer (UDP ones are <= 512 without EDNS); larger fails */
#define ECS_DNS_LINE_MAX   512	/* a line of /etc/hosts or /etc/resolv.conf; longer are skipped */
#define ECS_DNS_GRACE_MS   150	/* wait for the other family after one brought addresses */

/* Fields of an answer. A record field past its limit is a protocol error naming the field
 * (never a blank or cut field); error texts are kept, cut with ECS_CUT_MARK. */
#define ECS_VERSION_MAX	   128 /* CloudAssistantVersion: "2.2.3.857" today; room for suffixes */
#define ECS_OSTYPE_MAX	   32  /* OSType: Windows | Linux | FreeBSD; room for new names */
#define ECS_TIME_MAX	   64  /* ISO 8601: 20 bytes with Z, 35 with nanoseconds and offset */
#define ECS_REQUEST_ID_MAX 64  /* RequestId: a 36-byte UUID (main.c keeps them at this size) */
#define ECS_NEXT_TOKEN_MAX 512 /* NextToken: opaque, tens of bytes seen */
/* error Code: documented ones are <= 50 bytes; a cut keeps the prefix that decides retries */
#define ECS_API_CODE_MAX 128
/* error Message: SignatureDoesNotMatch quotes the whole string-to-sign (KBs for 100 ids) */
#define ECS_API_MESSAGE_MAX 768
/* error Recommend: a troubleshooting URL, ~130 bytes */
#define ECS_API_RECOMMEND_MAX 384
/* ends an error text cut at its limit */
#define ECS_CUT_MARK " [...cut]"
/* an x-acs-retry-after wait longer than this (ms) is announced on stderr */
#define ECS_RETRY_NOTICE_MS 3000

#define ECS_ARN_MAX	    256	  /* a RAM role / OIDC provider ARN (acs:ram::<uid>:role/<64>) */
#define ECS_POLICY_MAX	    2048  /* an inline STS session Policy (JSON); longer is refused */
#define ECS_OIDC_TOKEN_MAX  8192  /* an OIDC token file (Kubernetes service-account JWTs ~1 KB) */
#define ECS_CMD_MAX	    1024  /* a process_command line */
#define ECS_PROC_ARGS_MAX   32	  /* arguments of a process_command */
#define ECS_PROC_OUT_MAX    16384 /* stdout of a credential process (a JSON answer is < 3 KB) */
#define ECS_PROC_TIMEOUT_MS 60000 /* a credential process's deadline (credentials-go: 60 s) */
#define ECS_ROLE_CHAIN_MAX  8	  /* ChainableRamRoleArn links followed before giving up */
#define ECS_STS_BODY_MAX    16384 /* an STS / credentials-URI answer (~2 KB with a token) */

#endif
