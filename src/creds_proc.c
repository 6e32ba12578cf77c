/* An external credential process (config.json mode External, process_command): the command
 * line split into argv as aliyun-cli does it (config/command_split.go, Unix rules), run
 * without a shell through the port layer, its stdout parsed as JSON. */
#include <stdio.h>
#include <string.h>

#include "creds_int.h"
#include "port.h"

typedef struct {
	char *buf;
	size_t cap, len;
	char **argv;
	size_t argv_cap, argc;
	int has_token; /* a word has started, even an empty one ("") */
	ecs_err *err;
} splitter;

static int is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\v' || ch == '\f' || ch == '\r';
}

static ecs_status put(splitter *s, char ch)
{
	if (s->len + 2 > s->cap) /* room for this byte and the word's NUL */
		return err_set(s->err, ECS_E_CREDS, "process_command is longer than %zu bytes",
			       s->cap - 2);
	s->buf[s->len++] = ch;
	s->has_token = 1;
	return ECS_OK;
}

static ecs_status flush(splitter *s, size_t *start)
{
	if (!s->has_token)
		return ECS_OK;
	if (s->argc + 1 >= s->argv_cap)
		return err_set(s->err, ECS_E_CREDS, "process_command has more than %zu words",
			       s->argv_cap - 1);
	if (s->len + 1 > s->cap) /* an empty word ('' or "") has not reserved its NUL */
		return err_set(s->err, ECS_E_CREDS, "process_command is longer than %zu bytes",
			       s->cap - 2);
	s->buf[s->len++] = '\0';
	s->argv[s->argc++] = s->buf + *start;
	*start = s->len;
	s->has_token = 0;
	return ECS_OK;
}

/* One byte in double quotes at cmd[*i]; *i moves past what it used. */
static ecs_status in_double(splitter *s, const char *cmd, size_t n, size_t *i, int *dq)
{
	char ch = cmd[*i];

	if (ch == '"') {
		*dq = 0;
		return ECS_OK;
	}
	if (ch == '\\' && *i + 1 < n) {
		char next = cmd[*i + 1];
		if (next == '\n') {
			(*i)++; /* line continuation: both removed */
			return ECS_OK;
		}
		if (next == '"' || next == '\\' || next == '$' || next == '`') {
			(*i)++;
			return put(s, next);
		}
	}
	return put(s, ch);
}

ecs_status creds_split_command(const char *cmd, size_t n, char *buf, size_t cap, char **argv,
			       size_t argv_cap, size_t *argc, ecs_err *err)
{
	splitter s = {buf, cap, 0, argv, argv_cap, 0, 0, err};
	size_t i, start = 0;
	int sq = 0, dq = 0;
	ecs_status st = ECS_OK;

	*argc = 0;
	if (cap < 2 || argv_cap < 2)
		return err_set(err, ECS_E_INTERNAL, "argv buffers too small");
	for (i = 0; i < n && st == ECS_OK; i++) {
		char ch = cmd[i];
		if (ch == '\0')
			st = err_set(err, ECS_E_CREDS, "process_command contains a NUL byte");
		else if (sq && ch == '\'')
			sq = 0;
		else if (sq)
			st = put(&s, ch);
		else if (dq)
			st = in_double(&s, cmd, n, &i, &dq);
		else if (ch == '\\') {
			if (i + 1 >= n)
				st = err_set(err, ECS_E_CREDS,
					     "invalid process_command: trailing backslash");
			else if (cmd[++i] != '\n')
				st = put(&s, cmd[i]);
		} else if (ch == '\'' || ch == '"') {
			sq = ch == '\'';
			dq = ch == '"';
			s.has_token = 1;
		} else if (is_space(ch))
			st = flush(&s, &start);
		else
			st = put(&s, ch);
	}
	if (st == ECS_OK && (sq || dq))
		st = err_set(err, ECS_E_CREDS, "invalid process_command: unclosed quote");
	if (st == ECS_OK)
		st = flush(&s, &start);
	if (st == ECS_OK && (s.argc == 0 || argv[0][0] == '\0'))
		st = err_set(err, ECS_E_CREDS, "process_command is empty");
	if (st != ECS_OK) {
		cr_wipe(buf, cap);
		return st;
	}
	argv[s.argc] = NULL;
	*argc = s.argc;
	return ECS_OK;
}

/* Runs argv; what it printed is in w->proc_out[0..*len). */
static ecs_status run(creds_work *w, char **argv, const char *origin, const creds_opts *o,
		      size_t *len, ecs_err *err)
{
	uint32_t ms = o->proc_timeout_ms ? o->proc_timeout_ms : ECS_PROC_TIMEOUT_MS;
	const char *tv = port_getenv("ECS_CA_STATUS_PROCESS_TIMEOUT_MS"); /* tests */
	char detail[160], prog[64];
	int code = -1;
	port_status ps;

	if (tv != NULL && tv[0] >= '1' && tv[0] <= '9' && strlen(tv) <= 7) {
		uint32_t v = 0;
		for (; *tv >= '0' && *tv <= '9'; tv++)
			v = v * 10u + (uint32_t)(*tv - '0');
		ms = v;
	}
	cr_show(prog, sizeof(prog), argv[0], strlen(argv[0]));
	cr_trace(o, "creds: running %s (from %s), deadline %u ms", prog, origin, (unsigned)ms);
	detail[0] = '\0';
	ps = port_proc_run((const char *const *)argv, port_time_ms() + ms, w->proc_out,
			   sizeof(w->proc_out), len, &code, detail, sizeof(detail));
	switch (ps) {
	case PORT_OK:
		break;
	case PORT_E_TIMEOUT:
		return err_set(err, ECS_E_CREDS,
			       "credential process %s (%s) did not finish within %u ms; killed",
			       prog, origin, (unsigned)ms);
	case PORT_E_TOOBIG:
		return err_set(err, ECS_E_CREDS,
			       "credential process %s (%s) printed more than %zu bytes; killed",
			       prog, origin, sizeof(w->proc_out));
	case PORT_E_NOENT:
	case PORT_E_ACCESS:
		return err_set(err, ECS_E_CREDS, "cannot run the credential process (%s): %s",
			       origin, detail);
	default:
		return err_set(err, ECS_E_CREDS, "cannot run the credential process %s (%s): %s",
			       prog, origin, detail[0] ? detail : "failed");
	}
	if (code != 0)
		return err_set(err, ECS_E_CREDS, "credential process %s (%s) exited with status %d",
			       prog, origin, code);
	return ECS_OK;
}

ecs_status creds_proc_get(creds_work *w, const char *cmd, const char *origin, const creds_opts *o,
			  creds *out, ecs_err *err)
{
	char *argv[ECS_PROC_ARGS_MAX + 1];
	size_t argc = 0, len = 0;
	ecs_status st;

	cr_wipe_secrets(out);
	if (cr_disabled(CR_NO_PROCESS, origin, "runs a process", err))
		return ECS_E_CREDS;
	st = creds_split_command(cmd, strlen(cmd), w->argbuf, sizeof(w->argbuf), argv, NELEM(argv),
				 &argc, err);
	if (st != ECS_OK) {
		err_prefix(err, "%s", origin);
		return st;
	}
	st = run(w, argv, origin, o, &len, err);
	if (st == ECS_OK) {
		st = creds_parse_process(w->proc_out, len, port_time_unix(), out, err);
		if (st != ECS_OK)
			err_prefix(err, "%s", origin);
	}
	cr_wipe(w->proc_out, sizeof(w->proc_out));
	cr_wipe(w->argbuf, sizeof(w->argbuf));
	if (st != ECS_OK)
		cr_wipe_secrets(out);
	return st;
}
