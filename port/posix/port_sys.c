/* POSIX process set-up: standard descriptors, core dumps, signals, growable memory. */
#define _GNU_SOURCE /* mremap */
#include "port.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/prctl.h>
#endif

unsigned port_harden(void)
{
	struct rlimit no_core = {0, 0};
	unsigned closed = 0;
	int fd;

	for (fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
			continue;
		closed |= 1u << fd;
		/* the lowest free descriptor is fd itself: the ones below are open by now */
		if (open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY) != fd)
			_exit(70);
	}
	setrlimit(RLIMIT_CORE, &no_core);
#if defined(__linux__)
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
#endif
	signal(SIGPIPE, SIG_IGN);
	return closed;
}

static void (*signal_fn)(int);

static void on_signal(int signo)
{
	if (signal_fn != NULL)
		signal_fn(signo);
}

void port_on_signal(void (*fn)(int signo))
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
	struct sigaction sa;
	size_t i;

	signal_fn = fn;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigfillset(&sa.sa_mask); /* one handler at a time */
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
}

void port_signals_hold(int hold)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigprocmask(hold ? SIG_BLOCK : SIG_UNBLOCK, &set, NULL);
}

void port_write_raw(int stream, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t r = write(stream == 2 ? 2 : 1, p, len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return;
		p += r;
		len -= (size_t)r;
	}
}

void port_exit(int code)
{
	_exit(code);
}

void *port_mem_resize(void *p, size_t old_size, size_t new_size)
{
	void *q;

	if (new_size == 0) {
		if (p != NULL)
			munmap(p, old_size);
		return NULL;
	}
	if (p == NULL) {
		q = mmap(NULL, new_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
			 0);
		return q == MAP_FAILED ? NULL : q;
	}
#if defined(__linux__)
	q = mremap(p, old_size, new_size, MREMAP_MAYMOVE);
	return q == MAP_FAILED ? NULL : q;
#else
	q = port_mem_resize(NULL, 0, new_size);
	if (q == NULL)
		return NULL;
	memcpy(q, p, old_size < new_size ? old_size : new_size);
	munmap(p, old_size);
	return q;
#endif
}
