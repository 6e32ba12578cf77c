/* Unit tests for port_proc_run() (port/posix/port_proc.c): real processes, real pipes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h> /* needs the four headers above first */

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "port.h"

static char out[64];

static port_status run(const char *script, int64_t ms, size_t *len, int *code)
{
	const char *argv[] = {"/bin/sh", "-c", script, "arg0", NULL};
	char detail[128];

	memset(out, 0, sizeof(out));
	return port_proc_run(argv, port_time_ms() + ms, out, sizeof(out), len, code, detail,
			     sizeof(detail));
}

static void test_proc_output_and_status(void **state)
{
	size_t len;
	int code;

	(void)state;
	assert_int_equal(run("printf 'hello %s' \"$0\"", 5000, &len, &code), PORT_OK);
	assert_int_equal(len, 10);
	assert_memory_equal(out, "hello arg0", 10);
	assert_int_equal(code, 0);
	assert_int_equal(run("exit 7", 5000, &len, &code), PORT_OK);
	assert_int_equal(code, 7);
	assert_int_equal(run("kill -TERM $$", 5000, &len, &code), PORT_OK);
	assert_int_equal(code, 128 + 15);
	/* stdin is /dev/null: read sees end of file at once */
	assert_int_equal(run("if read x; then echo got; else echo eof; fi", 5000, &len, &code),
			 PORT_OK);
	assert_memory_equal(out, "eof\n", 4);
	/* exactly the buffer is fine, one byte more is not */
	assert_int_equal(run("head -c 64 /dev/zero", 5000, &len, &code), PORT_OK);
	assert_int_equal(len, 64);
	assert_int_equal(run("head -c 65 /dev/zero", 5000, &len, &code), PORT_E_TOOBIG);
	assert_int_equal(len, 0);
}

static void test_proc_deadline(void **state)
{
	int64_t t0 = port_time_ms();
	size_t len;
	int code;

	(void)state;
	/* a child (and its own child holding stdout) killed at the deadline */
	assert_int_equal(run("sleep 10 & sleep 10", 300, &len, &code), PORT_E_TIMEOUT);
	assert_true(port_time_ms() - t0 < 3000);
	/* closes stdout, then lingers */
	t0 = port_time_ms();
	assert_int_equal(run("exec >&-; sleep 10", 300, &len, &code), PORT_E_TIMEOUT);
	assert_true(port_time_ms() - t0 < 3000);
}

static void test_proc_not_found(void **state)
{
	const char *argv[] = {"/nonexistent/helper", NULL};
	const char *empty[] = {NULL};
	char detail[128];
	size_t len;
	int code;

	(void)state;
	assert_int_equal(port_proc_run(argv, port_time_ms() + 2000, out, sizeof(out), &len, &code,
				       detail, sizeof(detail)),
			 PORT_E_NOENT);
	assert_non_null(strstr(detail, "/nonexistent/helper"));
	assert_int_equal(port_proc_run(empty, port_time_ms() + 2000, out, sizeof(out), &len, &code,
				       detail, sizeof(detail)),
			 PORT_E_ARG);
}

static void no_op(int signo)
{
	(void)signo;
}

/* The child starts with the dispositions exec gives: our handlers are SIG_DFL there, an
 * ignored signal stays ignored, SIGPIPE (ignored by the program) is SIG_DFL. */
static void test_proc_signals(void **state)
{
	size_t len;
	int code;

	(void)state;
	signal(SIGPIPE, SIG_IGN);
	port_on_signal(no_op);
	assert_int_equal(run("kill -TERM $$; exit 0", 5000, &len, &code), PORT_OK);
	assert_int_equal(code, 128 + SIGTERM);
	assert_int_equal(run("kill -HUP $$; exit 0", 5000, &len, &code), PORT_OK);
	assert_int_equal(code, 128 + SIGHUP);
	assert_int_equal(run("kill -PIPE $$; exit 0", 5000, &len, &code), PORT_OK);
	assert_int_equal(code, 128 + SIGPIPE);
	signal(SIGHUP, SIG_IGN);
	assert_int_equal(run("kill -HUP $$; printf alive", 5000, &len, &code), PORT_OK);
	assert_int_equal(code, 0);
	assert_memory_equal(out, "alive", 5);
	signal(SIGHUP, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
}

static void write_script(const char *path, const char *body, mode_t mode)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(body, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

static port_status run_name(const char *name, char *detail, size_t cap)
{
	const char *argv[] = {name, NULL};
	size_t len;
	int code;

	memset(out, 0, sizeof(out));
	return port_proc_run(argv, port_time_ms() + 5000, out, sizeof(out), &len, &code, detail,
			     cap);
}

/* A name without '/' is looked up in PATH as execvp() does: a directory where the file may not
 * run is skipped (EACCES is reported only when no other one runs it), unset PATH is
 * /usr/local/bin:/bin:/usr/bin. */
static void test_proc_path_search(void **state)
{
	char dir[] = "/tmp/ecs-proc-XXXXXX", a[64], b[64], path[200], detail[128];
	const char *old = getenv("PATH");
	char saved[4096];

	(void)state;
	snprintf(saved, sizeof(saved), "%s", old != NULL ? old : "");
	assert_non_null(mkdtemp(dir));
	snprintf(a, sizeof(a), "%s/a", dir);
	snprintf(b, sizeof(b), "%s/b", dir);
	assert_int_equal(mkdir(a, 0700), 0);
	assert_int_equal(mkdir(b, 0700), 0);
	snprintf(path, sizeof(path), "%s/ecs-helper", a);
	write_script(path, "#!/bin/sh\nprintf a\n", 0600); /* not executable */
	snprintf(path, sizeof(path), "%s/ecs-helper", b);
	write_script(path, "#!/bin/sh\nprintf b\n", 0700);

	snprintf(path, sizeof(path), "/nonexistent:%s:%s", a, b);
	setenv("PATH", path, 1);
	assert_int_equal(run_name("ecs-helper", detail, sizeof(detail)), PORT_OK);
	assert_memory_equal(out, "b", 2);
	snprintf(path, sizeof(path), "%s:/nonexistent", a);
	setenv("PATH", path, 1);
	assert_int_equal(run_name("ecs-helper", detail, sizeof(detail)), PORT_E_ACCESS);
	assert_non_null(strstr(detail, "Permission denied"));
	assert_int_equal(run_name("ecs-no-such-helper", detail, sizeof(detail)), PORT_E_NOENT);
	assert_non_null(strstr(detail, "No such file or directory"));
	unsetenv("PATH");
	assert_int_equal(run_name("true", detail, sizeof(detail)), PORT_OK);
	setenv("PATH", saved, 1);

	snprintf(path, sizeof(path), "%s/ecs-helper", a);
	unlink(path);
	snprintf(path, sizeof(path), "%s/ecs-helper", b);
	unlink(path);
	rmdir(a);
	rmdir(b);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_proc_output_and_status),
		cmocka_unit_test(test_proc_deadline),
		cmocka_unit_test(test_proc_not_found),
		cmocka_unit_test(test_proc_path_search),
		cmocka_unit_test(test_proc_signals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
