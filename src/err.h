/* One status type for the whole program, and the message buffer errors travel up in. */
#ifndef ECS_ERR_H
#define ECS_ERR_H

#include <stddef.h>

typedef enum {
	ECS_OK = 0,
	ECS_E_USAGE,   /* bad flag or argument: exit 2 */
	ECS_E_INPUT,   /* bad file, environment or id content: exit 2 */
	ECS_E_NOSPACE, /* input does not fit a fixed buffer: exit 2 */
	ECS_E_CHECK,   /* --check found a dead or missing agent: exit 1 */
	ECS_E_API,     /* the API answered with an error: exit 3 */
	ECS_E_NET,     /* connect, send or receive failed: exit 4 */
	ECS_E_DNS,     /* name resolution failed: exit 4 */
	ECS_E_TIMEOUT, /* a deadline passed: exit 4 */
	ECS_E_TLS,     /* handshake or certificate failure: exit 4 */
	ECS_E_PROXY,   /* the proxy refused or broke the tunnel: exit 4 */
	ECS_E_PROTO,   /* the peer broke HTTP (bad framing, too large): exit 4 */
	ECS_E_CLOSED,  /* the peer closed the connection before answering: exit 4 */
	ECS_E_CREDS,   /* no usable credentials: exit 5 */
	ECS_E_OUTPUT,  /* the output could not be written (stdout failed or closed): exit 6 */
	ECS_E_INTERNAL /* a bug: exit 70 */
} ecs_status;

/* An API error line: Code + Message + RequestId + Recommend at their limits (ecs_limits.h)
 * plus context. */
#define ECS_ERR_MSG_MAX 1536

typedef struct {
	ecs_status status;
	char msg[ECS_ERR_MSG_MAX];
} ecs_err;

/* Sets err (if not NULL) to status and the formatted message; returns status.
 * The message is truncated, never overflowed. */
ecs_status err_set(ecs_err *err, ecs_status status, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 3, 4)))
#endif
	;

/* Prepends "prefix: " to an existing message (for context added higher up). */
void err_prefix(ecs_err *err, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 2, 3)))
#endif
	;

/* Formats one line and hands it to a trace or warning sink; nothing when fn is NULL. The
 * one place that turns printf-style trace calls into lines (conn, creds, ecs use it). */
void err_emit(void (*fn)(void *ctx, const char *line), void *ctx, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 3, 4)))
#endif
	;

/* The process exit code for a status (see README "Exit codes"). */
int err_exit_code(ecs_status status);

/* A short stable name for a status, for traces and tests. */
const char *err_name(ecs_status status);

#endif
