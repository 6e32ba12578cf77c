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

#define ECS_PAGE_MAX 100 /* records in one answer (InstanceId.N allows 100) */

typedef struct {
	char id[ECS_ID_MAX + 1];
	int status; /* CloudAssistantStatus: 1 true, 0 false, -1 absent */
	char version[48];
	char os[16];
	char last_heartbeat[32];
	char last_invoked[32];
	int64_t active;	     /* ActiveTaskCount, -1 absent */
	int64_t invocations; /* InvocationCount, -1 absent */
	int session_manager; /* SupportSessionManager: 1, 0, -1 absent */
} ecs_record;

/* One parsed answer. */
typedef struct {
	char request_id[64];
	char next_token[512];
	int64_t total_count; /* -1 absent */
	size_t n;
	ecs_record rec[ECS_PAGE_MAX];
} ecs_page;

/* An API error as the server sent it. */
typedef struct {
	int http_status;
	char code[96];
	char message[256];
	char request_id[64];
	char recommend[256];
} ecs_api_error;

/* Maps a 200 answer's JSON to a page. Accepts CloudAssistantStatus as string or boolean
 * ("true", "True", true) and the misspelled keys of old doc examples; ignores unknown
 * fields. ECS_E_PROTO for JSON that is not such an answer, ECS_E_NOSPACE when more than
 * ECS_PAGE_MAX records arrive. */
ecs_status ecs_parse_page(const char *body, size_t len, ecs_page *p, ecs_err *err);

/* Extracts Code/Message/RequestId/Recommend from an error body (JSON; XML <Error> too).
 * Missing fields stay empty. Never fails. */
void ecs_parse_error(const char *body, size_t len, int http_status, ecs_api_error *e);

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
	void (*dry_run_out)(void *ctx, const char *req, size_t len);
	void *ctx;
} ecs_opts;

typedef struct {
	ecs_opts o;
	conn c;
	int64_t clock_offset; /* seconds added to the local clock (from the server's Date) */
	int skew_corrected;
	unsigned requests; /* API requests sent (attempts included) */
} ecs_client;

void ecs_client_init(ecs_client *cl, const ecs_opts *o);
void ecs_client_close(ecs_client *cl);

/* One call for up to ECS_PAGE_MAX ids (ids[i] NUL-terminated). */
ecs_status ecs_describe_ids(ecs_client *cl, const char *const *ids, size_t n, ecs_page *out,
			    ecs_err *err);

/* One page of --all: MaxResults=max_results, NextToken=token ("" for the first page). */
ecs_status ecs_describe_page(ecs_client *cl, const char *token, unsigned max_results, ecs_page *out,
			     ecs_err *err);

/* Default endpoint for a region: ecs.<region>.aliyuncs.com, or ecs-vpc.<region>... */
ecs_status ecs_default_endpoint(const char *region, int vpc, char *host, size_t cap, ecs_err *err);

/* 1 if s is a plausible region id (lower-case letters, digits, '-', 1..63). */
int ecs_valid_region(const char *s);

/* ---- Pieces for the batch engine (src/engine.c) ---- */

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

/* Takes a complete response r to a batch of batch_n ids: 200 -> the page in out (the
 * server's clock noted); otherwise e gets the API error, the clock is corrected on SKEW,
 * *retry_after_ms gets x-acs-retry-after, and err describes the error (for FAIL, or for a
 * last attempt). A 200 that is not a valid answer is FAIL. */
ecs_verdict ecs_answer(ecs_client *cl, const http_resp *r, size_t batch_n, ecs_page *out,
		       ecs_api_error *e, uint32_t *retry_after_ms, ecs_err *err);

/* Wait before retry attempt+1: exponential with equal jitter, at least retry_after_ms. */
uint32_t ecs_backoff_ms(unsigned attempt, uint32_t retry_after_ms);

#endif
