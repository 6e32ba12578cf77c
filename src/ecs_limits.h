/* Every fixed buffer size of the program, in one place. Input that does not fit is an error
 * that names the limit, never a truncation. */
#ifndef ECS_LIMITS_H
#define ECS_LIMITS_H

#define ECS_HOST_MAX	  256	 /* host name (DNS limit 253) */
#define ECS_URL_MAX	  1024	 /* --proxy / --endpoint URL */
#define ECS_HTTP_HDR_MAX  8192	 /* response status line + header section */
#define ECS_HTTP_BODY_MAX 65536	 /* response body: 100 instances take ~40 KB */
#define ECS_HTTP_REQ_MAX  12288	 /* one request: 100 ids of 64 bytes, v1 query encoded */
#define ECS_NET_CHUNK	  4096	 /* bytes read from a connection at a time */
#define ECS_TLS_POOL_SIZE 65536	 /* mbedTLS heap pool: high-water ~37 KB measured + margin */
#define ECS_PEM_B64_MAX	  16384	 /* one PEM certificate, base64 text */
#define ECS_CERT_DER_MAX  12288	 /* one certificate, DER */
#define ECS_PATH_MAX	  1024	 /* a file path */
#define ECS_ID_MAX	  64	 /* one instance id */
#define ECS_IDS_MAX	  100000 /* instance ids in one run */
#define ECS_FILE_MAX	  65536	 /* a credentials/config file */
#define ECS_SECRET_MAX	  256	 /* an AccessKeySecret */
#define ECS_TOKEN_MAX	  4096	 /* an STS SecurityToken (real ones are ~1-2 KB) */
#define ECS_KEYID_MAX	  128	 /* an AccessKeyId */

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
