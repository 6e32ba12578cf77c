/* POSIX process set-up: standard descriptors, core dumps, signals, growable memory. */
#define _GNU_SOURCE /* mremap */
#include "port.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/prctl.h>
#endif

#include "sysraw.h"

/* RLIMIT_CORE 0. On Linux the prlimit64 system call, which sets the limit of the whole process
 * (musl's setrlimit() would run it on every thread through its thread-synchronisation code),
 * else setrlimit on kernels before 2.6.36; both take zeros the same way on every target. */
static void no_core_dumps(void)
{
#if defined(__linux__) && defined(SYS_prlimit64)
	static const unsigned long long zero64[2] = {0, 0};
	static const unsigned long zero[2] = {0, 0};

	if (syscall(SYS_prlimit64, 0L, (long)RLIMIT_CORE, zero64, 0L) != 0)
		(void)syscall(SYS_setrlimit, (long)RLIMIT_CORE, zero);
#else
	struct rlimit no_core = {0, 0};

	setrlimit(RLIMIT_CORE, &no_core);
#endif
}

/* SIG_IGN or SIG_DFL for one signal: sigaction, which the handlers use anyway (signal() is one
 * more wrapper around it). */
void posix_sig_set(int signo, void (*handler)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sigaction(signo, &sa, NULL);
}

unsigned port_harden(void)
{
	unsigned closed = 0;
	int fd;

	for (fd = 0; fd <= 2; fd++) {
		if (sys_fcntl(fd, F_GETFD, 0) != -1 || errno != EBADF)
			continue;
		closed |= 1u << fd;
		/* the lowest free descriptor is fd itself: the ones below are open by now */
		if (open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY) != fd)
			_exit(70);
	}
	no_core_dumps();
#if defined(__linux__)
	(void)syscall(SYS_prctl, (long)PR_SET_DUMPABLE, 0L, 0L, 0L, 0L);
#endif
	posix_sig_set(SIGPIPE, SIG_IGN);
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

#if defined(__linux__)
/* The system calls themselves: musl's wrappers add a wait for other threads' mapping changes
 * (we have none) and the size checks that port_mem_resize() makes once. */
static void *map_anon(size_t size)
{
#if defined(SYS_mmap2)
	long r = syscall(SYS_mmap2, 0L, (long)size, (long)(PROT_READ | PROT_WRITE),
			 (long)(MAP_PRIVATE | MAP_ANONYMOUS), -1L, 0L);
#else
	long r = syscall(SYS_mmap, 0L, (long)size, (long)(PROT_READ | PROT_WRITE),
			 (long)(MAP_PRIVATE | MAP_ANONYMOUS), -1L, 0L);
#endif
	return r == -1 ? NULL : (void *)r;
}

void *port_mem_resize(void *p, size_t old_size, size_t new_size)
{
	long r;

	if (new_size == 0) {
		if (p != NULL)
			(void)SYSRAW(SYS_munmap, p, old_size, 0);
		return NULL;
	}
	if (new_size >= PTRDIFF_MAX) /* no object may be that big (as musl's mmap) */
		return NULL;
	if (p == NULL)
		return map_anon(new_size);
	r = syscall(SYS_mremap, p, (long)old_size, (long)new_size, (long)MREMAP_MAYMOVE, 0L);
	return r == -1 ? NULL : (void *)r;
}
#else
void *port_mem_resize(void *p, size_t old_size, size_t new_size)
{
	void *q;

	if (new_size == 0) {
		if (p != NULL)
			munmap(p, old_size);
		return NULL;
	}
	q = mmap(NULL, new_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (q == MAP_FAILED)
		return NULL;
	if (p != NULL) {
		memcpy(q, p, old_size < new_size ? old_size : new_size);
		munmap(p, old_size);
	}
	return q;
}
#endif

int port_isatty(int fd)
{
	struct winsize ws;

	return sys_ioctl(fd, TIOCGWINSZ, &ws) == 0; /* how isatty() asks */
}

unsigned port_term_width(int fd)
{
	struct winsize ws;

	if (sys_ioctl(fd, TIOCGWINSZ, &ws) != 0 || ws.ws_col == 0)
		return 0;
	return ws.ws_col;
}

static void set_reason(char *detail, size_t cap, const char *what, const char *path)
{
	snprintf(detail, cap, "%s %s: %s", what, path, strerror(errno));
}

port_status port_outfile_open(port_outfile *f, const char *path, char *detail, size_t cap)
{
	unsigned char rnd[6];
	int tries;

	f->path = path;
	f->fd = -1;
	for (tries = 0; tries < 16 && f->fd < 0; tries++) {
		if (port_random(rnd, sizeof(rnd)) != PORT_OK)
			return PORT_E_RANDOM;
		if ((size_t)snprintf(f->tmp, sizeof(f->tmp), "%s.tmp-%02x%02x%02x%02x%02x%02x",
				     path, rnd[0], rnd[1], rnd[2], rnd[3], rnd[4],
				     rnd[5]) >= sizeof(f->tmp)) {
			snprintf(detail, cap, "output file path too long: %.64s...", path);
			return PORT_E_ARG;
		}
		f->fd = open(f->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (f->fd < 0 && errno != EEXIST) {
			set_reason(detail, cap, "cannot create a temporary file beside", path);
			return errno == EACCES ? PORT_E_ACCESS : PORT_E_IO;
		}
	}
	if (f->fd < 0) {
		set_reason(detail, cap, "cannot create a temporary file beside", path);
		return PORT_E_IO;
	}
	sys_fchmod(f->fd, 0644); /* whatever the umask: the textfile collector must read it */
	return PORT_OK;
}

int port_outfile_write(port_outfile *f, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t r = write(f->fd, p, len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			f->err = r < 0 ? errno : EIO;
			return -1;
		}
		p += r;
		len -= (size_t)r;
	}
	return 0;
}

const char *port_outfile_error(const port_outfile *f)
{
	return strerror(f->err);
}

port_status port_outfile_commit(port_outfile *f, char *detail, size_t cap)
{
	if (fsync(f->fd) != 0 || close(f->fd) != 0) {
		set_reason(detail, cap, "cannot write", f->tmp);
		f->fd = -1;
		unlink(f->tmp);
		return PORT_E_IO;
	}
	f->fd = -1;
	if (rename(f->tmp, f->path) != 0) {
		set_reason(detail, cap, "cannot rename the temporary file to", f->path);
		unlink(f->tmp);
		return PORT_E_IO;
	}
	return PORT_OK;
}

void port_outfile_abort(port_outfile *f)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
	unlink(f->tmp);
}

void port_outfile_abort_raw(port_outfile *f)
{
	if (f->fd >= 0)
		unlink(f->tmp);
}
