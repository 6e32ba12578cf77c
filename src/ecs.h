/*
 * DescribeCloudAssistantStatus: request parameters, signing, the call with retries, backoff
 * and clock-skew correction, and the mapping of the JSON answer to records.
 */
#ifndef ECS_ECS_H
#define ECS_ECS_H

#include <stddef.h>
#include <stdint.h>

#include "conn.h"
#include "creds.h"
#include "ecs_limits.h"
#include "err.h"
#include "http.h"
#include "json.h"
#include "sign.h"

#define ECS_PAGE_MAX 100 /* records in one answer (InstanceId.N allows 100) */

typedef struct {
	char id[ECS_ID_MAX + 1];
	int status; /* CloudAssistantStatus: 1 true, 0 false, -1 absent */
	char version[ECS_VERSION_MAX];
	char os[ECS_OSTYPE_MAX];
	char last_heartbeat[ECS_TIME_MAX];
	char last_invoked[ECS_TIME_MAX];
	int64_t active;	     /* ActiveTaskCount, -1 absent */
	int64_t invocations; /* InvocationCount, -1 absent */
	int session_manager; /* SupportSessionManager: 1, 0, -1 absent */
} ecs_record;

/* One parsed answer. */
typedef struct {
	char request_id[ECS_REQUEST_ID_MAX];
	char next_token[ECS_NEXT_TOKEN_MAX];
	int64_t total_count; /* -1 absent */
	size_t n;
	size_t long_ids;	      /* entries skipped: InstanceId longer than ECS_ID_MAX */
	char long_id[ECS_ID_MAX + 1]; /* the start of the first of them */
	ecs_record rec[ECS_PAGE_MAX];
} ecs_page;

/* An API error as the server sent it. */
typedef struct {
	int http_status;
	char code[ECS_API_CODE_MAX];
	char message[ECS_API_MESSAGE_MAX];
	char request_id[ECS_REQUEST_ID_MAX];
	char recommend[ECS_API_RECOMMEND_MAX];
	int cut; /* 1 if a field was cut at its limit (it ends with ECS_CUT_MARK) */
} ecs_api_error;

/* Maps a 200 answer's JSON to a page. Accepts CloudAssistantStatus as string or boolean
 * ("true", "True", true) and the misspelled keys of old doc examples; ignores unknown
 * fields. ECS_E_PROTO (the server's fault) for JSON that is not such an answer: no
 * InstanceCloudAssistantStatusSet, a NextToken that is not a string, more than
 * ECS_PAGE_MAX records, a string field that is not a string or longer than its limit
 * (the message names the field and the limit). An entry whose InstanceId is longer than
 * ECS_ID_MAX cannot be one the client asked for: it is skipped and counted in long_ids. */
ecs_status ecs_parse_page(const char *body, size_t len, ecs_page *p, jsmntok_t *tok, unsigned ntok,
			  ecs_err *err);

/* Extracts Code/Message/RequestId/Recommend from an error body (JSON; XML <Error> too).
 * Missing fields stay empty; a field longer than its limit is cut and ends with
 * ECS_CUT_MARK (e->cut set). Control characters become spaces. Never fails. */
void ecs_parse_error(const char *body, size_t len, int http_status, ecs_api_error *e,
		     jsmntok_t *tok, unsigned ntok);

typedef struct {
	/* where */
	char region[64];
	conn_opts conn; /* host, port, tls, proxy, timeouts, trace */
	/* how */
	int sig_v1;	     /* 0 = V3 ACS3-HMAC-SHA256, 1 = RPC HMAC-SHA1 */
	unsigned retries;    /* extra attempts for retryable failures */
	const char *os_type; /* NULL = any */
	int dry_run;	     /* build and report requests, send nothing */
	const creds *cred;
	/* sinks */
	void (*trace)(void *ctx, const char *line); /* -v, may be NULL */
	void (*warn)(void *ctx, const char *line);  /* warnings for stderr, may be NULL */
	void (*dry_run_out)(void *ctx, const char *req, size_t len);
	void *ctx;
} ecs_opts;

/* What the client gets from its caller (coreHTTP's transport interface and getTime): one
 * HTTP exchange (as conn_exchange: send req, parse the response into r, initialised by the
 * client; *reused = the connection had carried a request before), the wall clock, sleep and
 * random bytes (0 on success). */
typedef struct {
	ecs_status (*exchange)(void *ctx, const char *req, size_t len, http_resp *r, int *reused,
			       ecs_err *err);
	int64_t (*now_unix)(void *ctx);
	void (*sleep_ms)(void *ctx, uint32_t ms);
	int (*random)(void *ctx, void *buf, size_t n);
	void *ctx;
} ecs_env;

/* The parameters of one request, before signing. */
typedef struct {
	sign_pair p[ECS_PAGE_MAX + 16];
	size_t n;
	char names[ECS_PAGE_MAX][16]; /* "InstanceId.100" */
	char max_results[8];
	size_t ids;	    /* how many of the pairs are InstanceId.N */
	const char *action; /* NULL: DescribeCloudAssistantStatus */
} ecs_params;

/* A client and every buffer a call needs (about 300 KB: keep it static; pages are touched
 * only as they are used). */
typedef struct {
	ecs_opts o;
	ecs_env env;
	int64_t clock_offset; /* seconds added to the local clock (from the server's Date) */
	int skew_corrected;
	unsigned requests; /* API requests sent (attempts included) */
	conn c;		   /* carries the default exchange (its buffers are not cleared) */
	/* buffers (from here on, not cleared by ecs_client_init) */
	ecs_params ps, work; /* the request's pairs; the copy that signing sorts */
	jsmntok_t tok[ECS_JSON_TOKENS];
	char req[ECS_HTTP_REQ_MAX];
	char target[ECS_HTTP_REQ_MAX];	   /* "/?" and the query, built in place */
	char sts[ECS_HTTP_REQ_MAX + 4096]; /* string to sign, canonical request (wiped after use) */
	char hdr[ECS_HTTP_HDR_MAX];
	char body[ECS_HTTP_BODY_MAX];
	char shown[ECS_HTTP_REQ_MAX + 1024]; /* a request with its secrets redacted */
} ecs_client;

/* Sets up cl for o with the default environment: conn_exchange over cl->c, the port's clock,
 * sleep and random source. */
void ecs_client_init(ecs_client *cl, const ecs_opts *o);
/* Replaces the environment (tests: a scripted exchange, a fake clock, no sleeping). */
void ecs_client_set_env(ecs_client *cl, const ecs_env *env);
void ecs_client_close(ecs_client *cl);

/* One call for up to ECS_PAGE_MAX ids (ids[i] NUL-terminated). */
ecs_status ecs_describe_ids(ecs_client *cl, const char *const *ids, size_t n, ecs_page *out,
			    ecs_err *err);

/* One page of --all: MaxResults=max_results, NextToken=token ("" for the first page). */
/* DescribeRegions: the region ids of the account, in the API's order, into out[0..*n) (at most
 * cap); pg is the caller's scratch page (the list rides in its records). The answer's RegionId
 * fields are checked as region ids; ECS_E_PROTO for an answer without the list. */
ecs_status ecs_describe_regions(ecs_client *cl, ecs_page *pg, char (*out)[ECS_REGION_MAX],
				size_t cap, size_t *n, ecs_err *err);

ecs_status ecs_describe_page(ecs_client *cl, const char *token, unsigned max_results, ecs_page *out,
			     ecs_err *err);

/* Default endpoint for a region: ecs.<region>.aliyuncs.com, or ecs-vpc.<region>... */
ecs_status ecs_default_endpoint(const char *region, int vpc, char *host, size_t cap, ecs_err *err);

/* 1 if s is a plausible region id (lower-case letters, digits, '-', 1..63). */
int ecs_valid_region(const char *s);

/* ---- Pieces for the batch engine (src/engine.c): build -> exchange -> classify ---- */

/* Builds the signed request for ids[0..n) (fresh nonce and time, corrected clock) into out
 * (cap bytes, *len gets the length); counts one request. Secrets end up in out: the caller
 * wipes it after sending. */
ecs_status ecs_build_ids(ecs_client *cl, const char *const *ids, size_t n, char *out, size_t cap,
			 size_t *len, ecs_err *err);

/* -v line for a request built by ecs_build_ids (signature and token redacted). */
void ecs_trace_request(ecs_client *cl, const char *req, size_t len);

/* What to do with one answer to a batch. */
typedef enum {
	ECS_V_DONE = 0, /* 200: the page is valid */
	ECS_V_RETRY,	/* transient server error: back off, sign anew, resend */
	ECS_V_THROTTLE, /* Throttling*, 429, 503: as RETRY, and lower the concurrency */
	ECS_V_SKEW,	/* InvalidTimeStamp.Expired: the clock was corrected, resend now */
	ECS_V_SPLIT,	/* InstanceIds.ExceedLimit (or a 400 naming InstanceId.N > 50) */
	ECS_V_NOTFOUND, /* 404 InvalidInstance.NotFound: a stale id in the batch, bisect */
	ECS_V_FAIL	/* anything else: the run fails with the API's Code and Message */
} ecs_verdict;

/* Pure: the verdict for an answer with http_status and error e to a batch of batch_n ids
 * (0 for a page of --all). can_fix_clock: the server sent a Date and the clock was not
 * corrected yet. ExceedLimit on 50 ids or fewer is a failure (nothing smaller to fall to). */
ecs_verdict ecs_classify(int http_status, const ecs_api_error *e, size_t batch_n,
			 int can_fix_clock);

/* Takes a complete response r (its body in r->body) to the batch ids[0..n): 200 -> the page
 * in out (the server's clock noted, entries not asked for dropped with a warning, server text
 * redacted); otherwise e gets the API error (redacted), the clock is corrected on SKEW,
 * *retry_after_ms gets x-acs-retry-after, and err describes the error (for FAIL, or for a
 * last attempt). A 200 that is not a valid answer is FAIL with err saying why. */
ecs_verdict ecs_answer(ecs_client *cl, const http_resp *r, const char *const *ids, size_t n,
		       ecs_page *out, ecs_api_error *e, uint32_t *retry_after_ms, ecs_err *err);

/* err = the API error e as the run's failure, after attempts tries (ECS_E_API). */
ecs_status ecs_api_failure(const ecs_client *cl, const ecs_api_error *e, unsigned attempts,
			   ecs_err *err);

/* Wait before retry attempt+1: exponential with equal jitter (the client's random source), at
 * least retry_after_ms (capped). */
uint32_t ecs_backoff_ms(const ecs_client *cl, unsigned attempt, uint32_t retry_after_ms);

#endif
