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
ecs_status ecs_parse_page(const char *body, size_t len, ecs_page *p, ecs_err *err);

/* Extracts Code/Message/RequestId/Recommend from an error body (JSON; XML <Error> too).
 * Missing fields stay empty; a field longer than its limit is cut and ends with
 * ECS_CUT_MARK (e->cut set). Control characters become spaces. Never fails. */
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
	void (*warn)(void *ctx, const char *line);  /* warnings for stderr, may be NULL */
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

#endif
