/* Internal to the creds_*.c files: shared helpers and the sources the chain calls. */
#ifndef ECS_CREDS_INT_H
#define ECS_CREDS_INT_H

#include <stddef.h>
#include <stdint.h>

#include "creds.h"
#include "json.h"

#define CREDS_WHY_MAX 200 /* one reason in the "tried" list */
#define CR_STR_(x)    #x
#define CR_STR(x)     CR_STR_(x) /* a number as a string literal */
#define NELEM(a)      (sizeof(a) / sizeof((a)[0]))

/* A named string member of a struct (tables of fields: a file's keys, the environment's). */
typedef struct {
	const char *key;
	unsigned short off, cap;
} cr_field;
#define CR_FIELD(type, k, m)                                                                       \
	{                                                                                          \
		k, offsetof(type, m), sizeof(((type *)0)->m)                                       \
	}

/* A -v trace line "creds: ..." to the caller's sink (o may be NULL). Below creds_resolve() and
 * creds_refresh_if_due() every function gets non-NULL options. */
void cr_trace(const creds_opts *o, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 2, 3)))
#endif
	;

void cr_wipe(void *p, size_t n);
void cr_wipe_secrets(creds *c);
int cr_ieqn(const char *s, size_t n, const char *t); /* case-insensitive s[0..n) == t */
int cr_eqn(const char *s, size_t n, const char *t);
int cr_has_ctl(const char *s, size_t n);
/* Message tails shared by the parsers ("... KEY" CR_HAS_CTL). */
#define CR_HAS_CTL    " contains a control character"
#define CR_NOT_STRING " is not a string"
/* After a parser's error: p wiped but for missing and name. */
void cr_profile_fail(creds_profile *p);
/* Value token of key in the object at obj; -1 when absent or null. */
int cr_json_member(const json_doc *d, int obj, const char *key);
/* A name (never a secret) for a message: non-printable bytes '?', long ones cut with "...". */
const char *cr_show(char *dst, size_t cap, const char *s, size_t n);
/* The message for a bad RAM role name: "PLACE" ": " "NAME is not ..." */
#define CR_NOT_ROLE "%s%s%s is not a RAM role name (letters, digits, '-', '_', '.'; at most 64)"
/* A RAM role name: 1..64 of letters, digits, '-', '_', '.'. */
int cr_role_ok(const char *s, size_t n);
/* A path for a message, at most 96 bytes: a long one loses its middle. */
const char *cr_short_path(char *dst, size_t cap, const char *p);
/* First non-empty variable of names; *which gets its name (names[0] when none). */
const char *cr_env_first(const char *const *names, size_t n, const char **which);
int cr_env_true(const char *name);
#define CR_NO_PROCESS "ALIBABA_CLOUD_DISABLE_EXTERNAL_PROCESS"
/* When var is true: ECS_E_CREDS "ORIGIN WHAT, but VAR=true"; else 0. */
ecs_status cr_disabled(const char *var, const char *origin, const char *what, ecs_err *err);
/* Copies an environment value (named var in messages) into out; ECS_E_INPUT when too long
 * or with control characters. */
ecs_status cr_env_copy(const char *var, const char *v, char *out, size_t cap, ecs_err *err);
/* Sets c->refresh_at from c->expires and now. */
void cr_plan_refresh(creds *c, int64_t now);
/* cr_conn_opts() flags. */
#define CR_TLS		   1 /* https */
#define CR_RESEND	   2 /* a request without a nonce: may be sent again on a new connection */
#define CR_META		   4 /* the metadata service: plain HTTP, never proxied, its short timeouts */
#define CR_META_CONNECT_MS 1000
#define CR_META_READ_MS	   2000
/* Connection options for a source: timeouts, trace, proxy, TLS set up on first use. */
ecs_status cr_conn_opts(conn_opts *co, const creds_opts *o, const char *host, uint16_t port,
			int flags, ecs_err *err);
/* The Host header value into dst (CR_HOSTHDR_MAX bytes): host, in brackets when v6 (v6 < 0:
 * when it holds a ':'), then ":port" unless port is dflt. */
#define CR_HOSTHDR_MAX (ECS_HOST_MAX + 8)
void cr_hosthdr(char *dst, const char *host, int v6, unsigned port, unsigned dflt);
/* One request with n's buffers (body: n->form[0..body_len), none when 0) over n->cn, which
 * conn_request() opens when needed. */
ecs_status cr_request(creds_net *n, const char *method, const char *target, const http_header *h,
		      size_t nh, size_t body_len, ecs_err *err);
/* The same over a connection opened with co for this one request, closed after it. */
ecs_status cr_request_once(creds_net *n, const conn_opts *co, const char *method,
			   const char *target, const http_header *h, size_t nh, size_t body_len,
			   ecs_err *err);

/* ---- sources; each fills out (key_id, secret, token, expires) and wipes it on error ---- */

/* The ECS metadata service. Soft failures (not on ECS, no role) are ECS_E_CREDS with the
 * reason in why; a bad ECS_CA_STATUS_METADATA_ENDPOINT is ECS_E_INPUT in err. */
ecs_status creds_meta_get(creds_net *n, const char *role_req, const creds_opts *o, creds *out,
			  char *why, size_t why_cap, ecs_err *err);
/* The credentials a request is signed with (token "" = none). */
typedef struct {
	const char *id, *secret, *token;
} cr_keys;

/* STS AssumeRole for r, signed with the credentials in with. */
ecs_status creds_sts_assume(creds_net *n, const creds_role *r, const cr_keys *with,
			    const creds_opts *o, creds *out, ecs_err *err);
/* STS AssumeRoleWithOIDC (anonymous): the token is read from token_file. */
ecs_status creds_sts_oidc(creds_net *n, const creds_role *r, const char *provider_arn,
			  const char *token_file, const creds_opts *o, creds *out, ecs_err *err);
/* GET uri (origin names where it was configured, in messages). */
ecs_status creds_uri_get(creds_net *n, const char *uri, const char *origin, const creds_opts *o,
			 creds *out, ecs_err *err);
/* Runs cmd (origin as above). */
ecs_status creds_proc_get(creds_work *w, const char *cmd, const char *origin, const creds_opts *o,
			  creds *out, ecs_err *err);

#endif
