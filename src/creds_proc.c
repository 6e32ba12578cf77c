/* An external credential process (config.json mode External, process_command): the command
 * line split into argv as aliyun-cli does it (config/command_split.go, Unix rules), run
 * without a shell through the port layer, its stdout parsed as JSON. */
#include <stdio.h>
#include <string.h>

#include "creds_int.h"
#include "port.h"

static int is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\v' || ch == '\f' || ch == '\r';
}

#define BLANK (-1) /* ends a word */
#define NONE  (-2) /* adds nothing */

/* What cmd[*i] adds to the words (a byte, BLANK or NONE) in quote state *q; *i moves past
 * an escape; *bad gets a message when the command is malformed. */
static int split_step(const char *cmd, size_t n, size_t *i, int *q, int *word, const char **bad)
{
	int ch = (unsigned char)cmd[*i];

	if (ch == '\0')
		*bad = "process_command contains a NUL byte";
	else if (*q != 0 && ch == *q)
		*q = 0;
	else if (*q == '\'')
		return ch;
	else if (*q != 0) { /* "...": \ escapes only " \ $ ` and newline */
		if (ch != '\\' || *i + 1 >= n || memchr("\"\\$`\n", cmd[*i + 1], 5) == NULL)
			return ch;
		ch = (unsigned char)cmd[++*i];
		return ch == '\n' ? NONE : ch; /* backslash-newline: both removed */
	} else if (ch == '\\' && *i + 1 >= n)
		*bad = "invalid process_command: trailing backslash";
	else if (ch == '\\') {
		ch = (unsigned char)cmd[++*i];
		return ch == '\n' ? NONE : ch;
	} else if (ch == '\'' || ch == '"') {
		*q = ch;
		*word = 1;
	} else
		return is_space((char)ch) ? BLANK : ch;
	return NONE;
}

ecs_status creds_split_command(const char *cmd, size_t n, char *buf, size_t cap, char **argv,
			       size_t argv_cap, size_t *argc, ecs_err *err)
{
	static const char LONG[] = "process_command is longer than %zu bytes";
	static const char WORDS[] = "process_command has more than %zu words";
	const char *bad = NULL;
	size_t i, len = 0, start = 0, words = 0;
	int q = 0, word = 0; /* the open quote; a word has started, even an empty one ("") */

	*argc = 0;
	if (cap < 2 || argv_cap < 2)
		return err_set(err, ECS_E_INTERNAL, "argv buffers too small");
	for (i = 0; i <= n && bad == NULL; i++) {
		int out = BLANK; /* the end of the command ends the last word */
		if (i == n && q != 0)
			bad = "invalid process_command: unclosed quote";
		else if (i < n)
			out = split_step(cmd, n, &i, &q, &word, &bad);
		if (bad != NULL || out == NONE || (out == BLANK && !word))
			continue;
		if (out != BLANK) {
			if (len + 2 > cap) /* room for this byte and the word's NUL */
				bad = LONG;
			else
				buf[len++] = (char)out;
			word = 1;
		} else if (words + 1 >= argv_cap) {
			bad = WORDS;
		} else if (len + 1 > cap) { /* an empty word ('' or "") has not reserved its NUL */
			bad = LONG;
		} else {
			buf[len++] = '\0';
			argv[words++] = buf + start;
			start = len;
			word = 0;
		}
	}
	if (bad == NULL && (words == 0 || argv[0][0] == '\0'))
		bad = "process_command is empty";
	if (bad != NULL) {
		cr_wipe(buf, cap);
		return err_set(err, ECS_E_CREDS, bad, bad == WORDS ? argv_cap - 1 : cap - 2);
	}
	argv[words] = NULL;
	*argc = words;
	return ECS_OK;
}

/* Runs argv; what it printed is in w->proc_out[0..*len). */
static ecs_status run(creds_work *w, char **argv, const char *origin, const creds_opts *o,
		      size_t *len, ecs_err *err)
{
	uint32_t ms = o->proc_timeout_ms ? o->proc_timeout_ms : ECS_PROC_TIMEOUT_MS;
	const char *tv = port_getenv("ECS_CA_STATUS_PROCESS_TIMEOUT_MS"); /* tests */
	char detail[160], prog[64];
	int code = -1, named;
	port_status ps;

	if (tv != NULL && tv[0] >= '1' && tv[0] <= '9' && strlen(tv) <= 7) {
		uint32_t v = 0;
		for (; *tv >= '0' && *tv <= '9'; tv++)
			v = v * 10u + (uint32_t)(*tv - '0');
		ms = v;
	}
	cr_show(prog, sizeof(prog), argv[0], strlen(argv[0]));
	cr_trace(o, "running %s (from %s), deadline %u ms", prog, origin, (unsigned)ms);
	detail[0] = '\0';
	ps = port_proc_run((const char *const *)argv, port_time_ms() + ms, w->proc_out,
			   sizeof(w->proc_out), len, &code, detail, sizeof(detail));
	if (ps == PORT_OK && code == 0)
		return ECS_OK;
	if (ps == PORT_OK || ps == PORT_E_TIMEOUT || ps == PORT_E_TOOBIG)
		return err_set(
			err, ECS_E_CREDS,
			ps == PORT_OK ? "credential process %s (%s) exited with status %lld"
			: ps == PORT_E_TIMEOUT ? "credential process %s (%s) did not finish "
						 "within %lld ms; killed"
					       : "credential process %s (%s) printed more than "
						 "%lld bytes; killed",
			prog, origin,
			(long long)(ps == PORT_OK	   ? code
				    : ps == PORT_E_TIMEOUT ? (long long)ms
							   : (long long)sizeof(w->proc_out)));
	named = ps != PORT_E_NOENT && ps != PORT_E_ACCESS; /* else detail names it */
	return err_set(err, ECS_E_CREDS, "cannot run the credential process %s%s(%s): %s",
		       named ? prog : "", named ? " " : "", origin,
		       detail[0] != '\0' || !named ? detail : "failed");
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
