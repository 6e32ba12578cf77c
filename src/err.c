#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

ecs_status err_set(ecs_err *err, ecs_status status, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return status;
	err->status = status;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return status;
}

void err_prefix(ecs_err *err, const char *fmt, ...)
{
	char head[ECS_ERR_MSG_MAX];
	char old[ECS_ERR_MSG_MAX];
	va_list ap;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(head, sizeof(head), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	snprintf(err->msg, sizeof(err->msg), "%s: %s", head, old);
}

int err_exit_code(ecs_status status)
{
	switch (status) {
	case ECS_OK:
		return 0;
	case ECS_E_CHECK:
		return 1;
	case ECS_E_USAGE:
	case ECS_E_INPUT:
	case ECS_E_NOSPACE:
		return 2;
	case ECS_E_API:
		return 3;
	case ECS_E_NET:
	case ECS_E_DNS:
	case ECS_E_TIMEOUT:
	case ECS_E_TLS:
	case ECS_E_PROXY:
	case ECS_E_PROTO:
	case ECS_E_CLOSED:
		return 4;
	case ECS_E_CREDS:
		return 5;
	case ECS_E_OUTPUT:
		return 6;
	case ECS_E_INTERNAL:
		break;
	}
	return 70;
}

const char *err_name(ecs_status status)
{
	static const char *const names[] = {
		"ok",	   "usage", "input", "nospace", "check",  "api",   "net",    "dns",
		"timeout", "tls",   "proxy", "proto",	"closed", "creds", "output", "internal",
	};
	if ((size_t)status < sizeof(names) / sizeof(names[0]))
		return names[status];
	return "unknown";
}

void err_emit(void (*fn)(void *ctx, const char *line), void *ctx, const char *fmt, ...)
{
	char line[768];
	va_list ap;

	if (fn == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fn(ctx, line);
}
