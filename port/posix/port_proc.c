/* POSIX port: run a credential helper program (vfork/exec, no shell) with a deadline and a
 * bounded stdout. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "port.h"
#include "sysraw.h"

extern char **environ;

static void proc_detail(char *detail, size_t cap, const char *what, int e)
{
	if (detail != NULL && cap > 0)
		snprintf(detail, cap, "%s: %s", what, strerror(e));
}

static int ms_until(int64_t deadline_ms)
{
	int64_t left = deadline_ms - port_time_ms();

	if (left <= 0)
		return 0;
	return left > 60000 ? 60000 : (int)left;
}

/* execvp() as musl has it (and no shell either: a file without #! is not handed to /bin/sh):
 * a name with '/' is run as it is, else each directory of PATH (unset: /usr/local/bin:/bin:
 * /usr/bin; an empty entry is the current directory) in turn. A directory without the file
 * (ENOENT, ENOTDIR) or where it may not run (EACCES, reported when no other one runs it) is
 * skipped; any other error ends the search. Returns only on failure, errno set. */
static void exec_path(const char *file, char *const *argv)
{
	char b[PATH_MAX + NAME_MAX + 2];
	const char *p = port_getenv("PATH"), *z;
	size_t k = strlen(file), l;
	int eacces = 0;

	errno = ENOENT;
	if (strchr(file, '/') != NULL) {
		execve(file, argv, environ);
		return;
	}
	if (k > NAME_MAX) {
		errno = ENAMETOOLONG;
		return;
	}
	for (p = p != NULL ? p : "/usr/local/bin:/bin:/usr/bin";; p = z + 1) {
		for (z = p; *z != '\0' && *z != ':'; z++)
			;
		l = (size_t)(z - p);
		if (l < PATH_MAX) {
			memcpy(b, p, l);
			b[l] = '/';
			memcpy(b + l + (l > 0), file, k + 1);
			execve(b, argv, environ);
			if (errno == EACCES)
				eacces = 1;
			else if (errno != ENOENT && errno != ENOTDIR)
				return;
		}
		if (*z == '\0')
			break;
	}
	if (eacces)
		errno = EACCES;
}

/* In the child, which shares the parent's memory until it execs (vfork): its own process
 * group; a signal with one of our handlers back to SIG_DFL (what exec would do: no handler of
 * the parent may run in here), one that is ignored stays ignored, SIGPIPE back to SIG_DFL
 * (the parent ignores it for itself); the caller's signal mask again, stdin from /dev/null,
 * stdout into the pipe, then exec. On failure the errno goes to the parent through errfd
 * (close-on-exec, so a successful exec closes it). Not inlined: it must not write the
 * parent's frame. */
static void __attribute__((noinline, noreturn))
child_exec(const char *const *argv, int outfd, int errfd, const sigset_t *mask)
{
	static const int caught[] = {SIGINT, SIGTERM, SIGHUP};
	struct sigaction old;
	int nul, e;
	size_t i;

	setpgid(0, 0);
	for (i = 0; i < sizeof(caught) / sizeof(caught[0]); i++)
		if (sigaction(caught[i], NULL, &old) == 0 && old.sa_handler != SIG_IGN)
			posix_sig_set(caught[i], SIG_DFL);
	posix_sig_set(SIGPIPE, SIG_DFL);
	sigprocmask(SIG_SETMASK, mask, NULL);
	nul = open("/dev/null", O_RDONLY);
	if (nul < 0 || dup2(nul, 0) < 0 || dup2(outfd, 1) < 0) {
		e = errno;
		(void)!write(errfd, &e, sizeof(e));
		_exit(127);
	}
	if (nul > 2)
		close(nul);
	if (outfd > 2)
		close(outfd);
	exec_path(argv[0], (char *const *)(uintptr_t)argv);
	e = errno;
	(void)!write(errfd, &e, sizeof(e));
	_exit(127);
}

/* Reads the child's stdout until EOF, the deadline or overflow. */
static port_status drain(int fd, int64_t deadline_ms, char *out, size_t cap, size_t *len)
{
	char spill[1];

	*len = 0;
	for (;;) {
		struct pollfd p;
		ssize_t n;
		int rc;

		p.fd = fd;
		p.events = POLLIN;
		p.revents = 0;
		rc = poll(&p, 1, ms_until(deadline_ms));
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0)
			return PORT_E_IO;
		if (rc == 0)
			return PORT_E_TIMEOUT;
		if (*len < cap)
			n = read(fd, out + *len, cap - *len);
		else
			n = read(fd, spill, sizeof(spill)); /* one byte more than fits: too big */
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return PORT_E_IO;
		if (n == 0)
			return PORT_OK;
		if (*len >= cap)
			return PORT_E_TOOBIG;
		*len += (size_t)n;
	}
}

/* Waits for the child until the deadline; kills its group after it. */
static int reap(pid_t pid, int64_t deadline_ms, int kill_now)
{
	int status = 0;

	for (;;) {
		pid_t r;
		if (kill_now || port_time_ms() >= deadline_ms) {
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
				;
			return -1;
		}
		r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			break;
		if (r < 0 && errno != EINTR)
			return -1;
		port_sleep_ms(5);
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return -1;
}

port_status port_proc_run(const char *const *argv, int64_t deadline_ms, char *out, size_t cap,
			  size_t *out_len, int *exit_code, char *detail, size_t detail_cap)
{
	int op[2], ep[2], e = 0, code;
	ssize_t n;
	pid_t pid;
	port_status ps;
	sigset_t all, mask;

	*out_len = 0;
	*exit_code = -1;
	if (argv == NULL || argv[0] == NULL || argv[0][0] == '\0')
		return PORT_E_ARG;
	if (pipe(op) != 0) {
		proc_detail(detail, detail_cap, "pipe", errno);
		return PORT_E_IO;
	}
	if (pipe(ep) != 0) {
		proc_detail(detail, detail_cap, "pipe", errno);
		close(op[0]);
		close(op[1]);
		return PORT_E_IO;
	}
	sys_fcntl(op[0], F_SETFD, FD_CLOEXEC);
	sys_fcntl(ep[0], F_SETFD, FD_CLOEXEC);
	sys_fcntl(ep[1], F_SETFD, FD_CLOEXEC);
	/* Every signal held until the child has reset its dispositions (as posix_spawn does):
	 * a handler of ours must not run in the child, which shares our memory. */
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &mask);
	pid = vfork();
	if (pid == 0)
		child_exec(argv, op[1], ep[1], &mask);
	e = errno;
	sigprocmask(SIG_SETMASK, &mask, NULL);
	if (pid < 0) {
		proc_detail(detail, detail_cap, "fork", e);
		close(op[0]);
		close(op[1]);
		close(ep[0]);
		close(ep[1]);
		return PORT_E_IO;
	}
	e = 0;
	setpgid(pid, pid); /* also in the parent: no race with an early kill */
	close(op[1]);
	close(ep[1]);
	do
		n = read(ep[0], &e, sizeof(e));
	while (n < 0 && errno == EINTR);
	close(ep[0]);
	if (n == (ssize_t)sizeof(e)) {
		close(op[0]);
		reap(pid, deadline_ms, 0);
		proc_detail(detail, detail_cap, argv[0], e);
		return (e == EACCES || e == EPERM) ? PORT_E_ACCESS : PORT_E_NOENT;
	}
	ps = drain(op[0], deadline_ms, out, cap, out_len);
	close(op[0]);
	code = reap(pid, deadline_ms, ps != PORT_OK);
	if (ps == PORT_OK && code < 0)
		ps = PORT_E_TIMEOUT; /* closed stdout, then outlived the deadline */
	if (ps != PORT_OK) {
		*out_len = 0;
		return ps;
	}
	*exit_code = code;
	return PORT_OK;
}
