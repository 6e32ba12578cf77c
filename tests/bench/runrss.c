/*
 * runrss: run one program and report its wall time, CPU time and memory, for bench.py.
 *
 *   runrss OUTFILE PROGRAM [ARG ...]
 *
 * Writes one line to OUTFILE:
 *   wall_ns=N utime_us=N stime_us=N maxrss_kib=N exit_rss_kib=N exit_hwm_kib=N status=N
 * and exits with the program's exit status (128+signal if killed). stdin/stdout/stderr are
 * inherited. exit_* are -1 when they could not be read.
 *
 * Why a launcher at all: on Linux a child's ru_maxrss includes the resident anonymous memory of
 * the process it was forked from, taken at execve. A child forked from a 27 MiB Python process
 * reports at least 27 MiB. This launcher is built static, so the floor it adds is a few pages.
 *
 * Why exit_rss_kib: since Linux 6.2 the per-mm RSS counters are per-CPU counters that are read
 * without summing, so ru_maxrss and VmHWM of a small, short process can be short by up to
 * about 32 pages per CPU. The launcher therefore traces the child (ptrace, stops at exec and
 * exit only) and, when it is about to exit with its memory still mapped, reads the exact
 * resident set from /proc/PID/smaps_rollup (a page-table walk) and VmHWM from /proc/PID/status.
 * For a program that never returns memory (ecs-ca-status: static buffers) the resident set at
 * exit is its peak. Without ptrace (EPERM) only ru_maxrss is reported.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* "Name:   1234 kB" from a /proc file, -1 if absent. */
static long proc_kib(pid_t pid, const char *file, const char *name)
{
	char path[64], line[256];
	size_t n = strlen(name);
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, name, n) == 0 && line[n] == ':') {
			v = strtol(line + n + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return v;
}

int main(int argc, char **argv)
{
	struct timespec t0, t1;
	struct rusage ru;
	int status = 0, code, traced = 1;
	long exit_rss = -1, exit_hwm = -1;
	long long wall;
	pid_t pid;
	FILE *f;

	if (argc < 3) {
		fprintf(stderr, "usage: runrss OUTFILE PROGRAM [ARG ...]\n");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid = fork();
	if (pid < 0) {
		perror("runrss: fork");
		return 2;
	}
	if (pid == 0) {
		if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) == 0)
			raise(SIGSTOP); /* let the parent set the options before exec */
		execvp(argv[2], argv + 2);
		perror("runrss: exec");
		_exit(127);
	}
	for (;;) {
		if (wait4(pid, &status, 0, &ru) < 0) {
			if (errno == EINTR)
				continue;
			perror("runrss: wait4");
			return 2;
		}
		if (WIFEXITED(status) || WIFSIGNALED(status))
			break;
		if (!WIFSTOPPED(status))
			continue;
		{
			int sig = WSTOPSIG(status), event = (unsigned)status >> 16, fwd = 0;

			if (sig == SIGSTOP && traced == 1) {
				/* the child's own raise(SIGSTOP) after PTRACE_TRACEME */
				traced = 2;
				if (ptrace(PTRACE_SETOPTIONS, pid, NULL,
					   (void *)(long)(PTRACE_O_TRACEEXIT | PTRACE_O_TRACEEXEC |
							  PTRACE_O_EXITKILL)) != 0)
					traced = 0;
			} else if (event == PTRACE_EVENT_EXIT) {
				exit_rss = proc_kib(pid, "smaps_rollup", "Rss");
				if (exit_rss < 0)
					exit_rss = proc_kib(pid, "status", "VmRSS");
				exit_hwm = proc_kib(pid, "status", "VmHWM");
			} else if (event == 0 && sig != SIGTRAP) {
				fwd = sig; /* an ordinary signal: deliver it */
			}
			ptrace(PTRACE_CONT, pid, NULL, (void *)(long)fwd);
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	wall = (long long)(t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec);
	code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	f = fopen(argv[1], "w");
	if (f == NULL) {
		perror("runrss: output file");
		return 2;
	}
	fprintf(f,
		"wall_ns=%lld utime_us=%lld stime_us=%lld maxrss_kib=%ld exit_rss_kib=%ld "
		"exit_hwm_kib=%ld status=%d\n",
		wall, (long long)ru.ru_utime.tv_sec * 1000000LL + ru.ru_utime.tv_usec,
		(long long)ru.ru_stime.tv_sec * 1000000LL + ru.ru_stime.tv_usec, ru.ru_maxrss,
		exit_rss, exit_hwm, code);
	fclose(f);
	return code;
}
