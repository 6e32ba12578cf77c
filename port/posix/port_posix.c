/* POSIX implementation of the port layer (Linux with musl or glibc; BSD and macOS minus
 * getrandom). The only file in the tree that includes socket, time and file headers. */
#include "port.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/random.h>
#endif

int64_t port_time_unix(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return 0;
	return (int64_t)ts.tv_sec;
}

int64_t port_time_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		return 0;
	return (int64_t)ts.tv_sec * 1000 + (int64_t)(ts.tv_nsec / 1000000);
}

void port_sleep_ms(uint32_t ms)
{
	struct timespec req, rem;

	req.tv_sec = (time_t)(ms / 1000u);
	req.tv_nsec = (long)(ms % 1000u) * 1000000L;
	while (nanosleep(&req, &rem) != 0 && errno == EINTR)
		req = rem;
}

static port_status read_urandom(unsigned char *p, size_t n)
{
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return PORT_E_RANDOM;
	while (n > 0) {
		ssize_t r = read(fd, p, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			close(fd);
			return PORT_E_RANDOM;
		}
		p += r;
		n -= (size_t)r;
	}
	close(fd);
	return PORT_OK;
}

port_status port_random(void *buf, size_t n)
{
	unsigned char *p = buf;

#if defined(__linux__)
	while (n > 0) {
		ssize_t r = getrandom(p, n > 256 ? 256 : n, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return read_urandom(p, n); /* ENOSYS on kernels before 3.17 */
		p += r;
		n -= (size_t)r;
	}
	return PORT_OK;
#else
	return read_urandom(p, n);
#endif
}

const char *port_getenv(const char *name)
{
	return getenv(name);
}

const char *port_home(void)
{
	const char *h = getenv("HOME");

	return (h != NULL && h[0] != '\0') ? h : NULL;
}

static port_status errno_status(int e)
{
	switch (e) {
	case ENOENT:
	case ENOTDIR:
		return PORT_E_NOENT;
	case EACCES:
	case EPERM:
		return PORT_E_ACCESS;
	case EISDIR:
		return PORT_E_ISDIR;
	default:
		return PORT_E_IO;
	}
}

static void set_detail(char *detail, size_t cap, const char *text)
{
	if (detail != NULL && cap > 0)
		snprintf(detail, cap, "%s", text);
}

port_status port_read_file(const char *path, char *buf, size_t cap, size_t *len, unsigned *mode,
			   char *detail, size_t detail_cap)
{
	struct stat st;
	size_t have = 0;
	int fd;

	*len = 0;
	/* O_NONBLOCK: a FIFO planted at a config path must not hang us in open() */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		int e = errno;
		set_detail(detail, detail_cap, strerror(e));
		return errno_status(e);
	}
	if (fstat(fd, &st) != 0) {
		int e = errno;
		close(fd);
		set_detail(detail, detail_cap, strerror(e));
		return errno_status(e);
	}
	if (S_ISDIR(st.st_mode)) {
		close(fd);
		set_detail(detail, detail_cap, "is a directory");
		return PORT_E_ISDIR;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		set_detail(detail, detail_cap, "not a regular file");
		return PORT_E_IO;
	}
	if (mode != NULL)
		*mode = (unsigned)(st.st_mode & 07777);
	for (;;) {
		ssize_t r;
		if (have == cap) {
			/* Full: one more byte tells "exactly cap" from "too big". */
			char extra;
			r = read(fd, &extra, 1);
			if (r < 0 && errno == EINTR)
				continue;
			close(fd);
			if (r > 0) {
				set_detail(detail, detail_cap, "file too large");
				return PORT_E_TOOBIG;
			}
			break;
		}
		r = read(fd, buf + have, cap - have);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			close(fd);
			set_detail(detail, detail_cap, strerror(e));
			return errno_status(e);
		}
		if (r == 0) {
			close(fd);
			break;
		}
		have += (size_t)r;
	}
	*len = have;
	return PORT_OK;
}

port_status port_file_open(const char *path, port_fd *fd, char *detail, size_t detail_cap)
{
	struct stat st;

	*fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (*fd < 0) {
		int e = errno;
		set_detail(detail, detail_cap, strerror(e));
		return errno_status(e);
	}
	if (fstat(*fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		close(*fd);
		*fd = PORT_FD_NONE;
		set_detail(detail, detail_cap, "is a directory");
		return PORT_E_ISDIR;
	}
	if (fstat(*fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(*fd);
		*fd = PORT_FD_NONE;
		set_detail(detail, detail_cap, "not a regular file");
		return PORT_E_IO;
	}
	return PORT_OK;
}

port_status port_file_read(port_fd fd, void *buf, size_t cap, size_t *got)
{
	for (;;) {
		ssize_t r = read(fd, buf, cap);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			*got = 0;
			return errno_status(errno);
		}
		*got = (size_t)r;
		return PORT_OK;
	}
}

void port_file_close(port_fd fd)
{
	if (fd >= 0)
		close(fd);
}

int port_is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int port_is_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int port_dir_each(const char *path, int (*fn)(const char *name, void *ctx), void *ctx)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int rc = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		rc = fn(e->d_name, ctx);
		if (rc != 0)
			break;
	}
	closedir(d);
	return rc;
}

/* Milliseconds left until deadline, clamped to poll()'s int range; 0 when passed. */
static int ms_left(int64_t deadline_ms)
{
	int64_t left = deadline_ms - port_time_ms();

	if (left <= 0)
		return 0;
	if (left > 0x7fffffff)
		return 0x7fffffff;
	return (int)left;
}

/* Waits for events on fd until the deadline; 1 = ready, 0 = timed out, -1 = error. */
static int wait_fd(int fd, short events, int64_t deadline_ms)
{
	struct pollfd p;

	for (;;) {
		int left = ms_left(deadline_ms), r;
		p.fd = fd;
		p.events = events;
		p.revents = 0;
		r = poll(&p, 1, left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0) {
			if (ms_left(deadline_ms) == 0)
				return 0;
			continue; /* woke early: wait for the rest */
		}
		return 1;
	}
}

static void ignore_sigpipe(void)
{
	static int done;

	if (!done) {
		signal(SIGPIPE, SIG_IGN);
		done = 1;
	}
}

port_status port_tcp_connect(const char *host, uint16_t port, int64_t deadline_ms, port_fd *fd,
			     char *detail, size_t detail_cap)
{
	struct addrinfo hints, *res = NULL, *ai;
	char service[8];
	char last[160] = "no address";
	int rc, timed_out = 0;

	ignore_sigpipe();
	*fd = PORT_FD_NONE;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_ADDRCONFIG;
	snprintf(service, sizeof(service), "%u", (unsigned)port);
	rc = getaddrinfo(host, service, &hints, &res);
	if (rc == EAI_BADFLAGS || (rc != 0 && rc == EAI_NONAME && hints.ai_flags != 0)) {
		hints.ai_flags = 0; /* AI_ADDRCONFIG fails with loopback-only hosts on some libcs */
		rc = getaddrinfo(host, service, &hints, &res);
	}
	if (rc != 0) {
		if (detail != NULL && detail_cap > 0)
			snprintf(detail, detail_cap, "cannot resolve %s: %s", host,
				 gai_strerror(rc));
		return PORT_E_DNS;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		char addr[64];
		const char *p;
		int s, err = 0, w;
		socklen_t elen = sizeof(err);

		/* inet_ntop, not getnameinfo: the same text for a fraction of the code */
		if (ai->ai_family == AF_INET6)
			p = inet_ntop(AF_INET6,
				      &((struct sockaddr_in6 *)(void *)ai->ai_addr)->sin6_addr,
				      addr, sizeof(addr));
		else
			p = inet_ntop(AF_INET,
				      &((struct sockaddr_in *)(void *)ai->ai_addr)->sin_addr, addr,
				      sizeof(addr));
		if (p == NULL)
			snprintf(addr, sizeof(addr), "?");
		s = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (s < 0) {
			snprintf(last, sizeof(last), "%s: %s", addr, strerror(errno));
			continue;
		}
		fcntl(s, F_SETFL, fcntl(s, F_GETFL, 0) | O_NONBLOCK);
		if (connect(s, ai->ai_addr, ai->ai_addrlen) != 0) {
			if (errno != EINPROGRESS) {
				snprintf(last, sizeof(last), "%s port %u: %s", addr, (unsigned)port,
					 strerror(errno));
				close(s);
				continue;
			}
			w = wait_fd(s, POLLOUT, deadline_ms);
			if (w == 0) {
				snprintf(last, sizeof(last), "%s port %u: timed out", addr,
					 (unsigned)port);
				timed_out = 1;
				close(s);
				break; /* the deadline covers every address */
			}
			if (w < 0 || getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &elen) != 0 ||
			    err != 0) {
				int e = err != 0 ? err : errno;
				snprintf(last, sizeof(last), "%s port %u: %s", addr, (unsigned)port,
					 e == ECONNRESET ? "connection reset by peer"
							 : strerror(e));
				close(s);
				continue;
			}
		}
		{
			int one = 1;
			setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		}
		freeaddrinfo(res);
		*fd = s;
		return PORT_OK;
	}
	freeaddrinfo(res);
	if (detail != NULL && detail_cap > 0)
		snprintf(detail, detail_cap, "could not connect to %s (%s)", host, last);
	return timed_out ? PORT_E_TIMEOUT : PORT_E_CONNECT;
}

port_status port_send(port_fd fd, const void *buf, size_t len, int64_t deadline_ms, size_t *sent)
{
	*sent = 0;
	for (;;) {
		ssize_t r = send(fd, buf, len, MSG_NOSIGNAL);
		if (r >= 0) {
			*sent = (size_t)r;
			return PORT_OK;
		}
		if (errno == EINTR)
			continue;
		if (errno == ECONNRESET || errno == EPIPE)
			return PORT_E_RESET;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return PORT_E_IO;
		int w = wait_fd(fd, POLLOUT, deadline_ms);
		if (w == 0)
			return PORT_E_TIMEOUT;
		if (w < 0)
			return PORT_E_IO;
	}
}

port_status port_recv(port_fd fd, void *buf, size_t cap, int64_t deadline_ms, size_t *got)
{
	*got = 0;
	for (;;) {
		ssize_t r = recv(fd, buf, cap, 0);
		if (r >= 0) {
			*got = (size_t)r;
			return PORT_OK;
		}
		if (errno == EINTR)
			continue;
		if (errno == ECONNRESET || errno == EPIPE)
			return PORT_E_RESET;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return PORT_E_IO;
		int w = wait_fd(fd, POLLIN, deadline_ms);
		if (w == 0)
			return PORT_E_TIMEOUT;
		if (w < 0)
			return PORT_E_IO;
	}
}

void port_close(port_fd fd)
{
	if (fd >= 0)
		close(fd);
}

const char *port_strerror(void)
{
	return strerror(errno);
}

static int write_errno;

int port_write_broken_pipe(void)
{
	return write_errno == EPIPE;
}

int port_write(int stream, const void *buf, size_t len)
{
	const char *p = buf;
	int fd = stream == 2 ? 2 : 1;

	while (len > 0) {
		ssize_t r = write(fd, p, len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			write_errno = r < 0 ? errno : EIO;
			errno = write_errno;
			return -1;
		}
		p += r;
		len -= (size_t)r;
	}
	return 0;
}

/* Entropy source for mbedTLS (MBEDTLS_ENTROPY_HARDWARE_ALT): the port's random bytes. */
int mbedtls_hardware_poll(void *data, unsigned char *output, size_t len, size_t *olen);
int mbedtls_hardware_poll(void *data, unsigned char *output, size_t len, size_t *olen)
{
	(void)data;
	if (port_random(output, len) != PORT_OK) {
		*olen = 0;
		return -1;
	}
	*olen = len;
	return 0;
}

#if defined(ECS_TINY_MALLOC)
/*
 * The static release build replaces libc's malloc (musl's mallocng is ~5 KB of code) with a
 * small arena: mbedTLS allocates from its own static pool once TLS is set up and our code
 * never allocates, so the callers are libc's resolver (one getaddrinfo result per connection),
 * setenv, and mbedTLS hashing before the pool exists (a message digest context holds two
 * blocks, freed in allocation order: --dry-run signs without ever setting up TLS). Blocks are
 * carved from the top; a freed block is marked, and the top shrinks past every freed block
 * under it, so blocks freed in any order are all given back once the newer ones are gone.
 * Exhaustion says so on stderr (a bug, never normal) and returns NULL (ENOMEM).
 */
#define ARENA_SIZE  32768
#define ARENA_ALIGN 16
#define ARENA_NONE  ((size_t)-1)

static unsigned char arena[ARENA_SIZE] __attribute__((aligned(ARENA_ALIGN)));
static size_t arena_top;
static size_t arena_last = ARENA_NONE; /* offset of the topmost block */

/* Each block is preceded by its size, the offset of the block below it and a free mark. */
typedef struct {
	size_t size;
	size_t prev;
	size_t freed;
} arena_hdr;
#define HDR_SIZE ((sizeof(arena_hdr) + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1))

void *malloc(size_t n);
void free(void *p);
void *calloc(size_t a, size_t b);
void *realloc(void *p, size_t n);

static void *arena_exhausted(void)
{
	static const char msg[] = "ecs-ca-status: internal error: the release build's 32 KiB "
				  "allocator arena is exhausted; please report this\n";
	static int told;

	if (!told) {
		told = 1;
		(void)!write(2, msg, sizeof(msg) - 1);
	}
	errno = ENOMEM;
	return NULL;
}

void *malloc(size_t n)
{
	size_t need;
	arena_hdr *h;

	if (n > ARENA_SIZE)
		return arena_exhausted();
	need = HDR_SIZE + ((n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1));
	if (need > ARENA_SIZE - arena_top)
		return arena_exhausted();
	h = (arena_hdr *)(void *)(arena + arena_top);
	h->size = need;
	h->prev = arena_last;
	h->freed = 0;
	arena_last = arena_top;
	arena_top += need;
	return (unsigned char *)h + HDR_SIZE;
}

void free(void *p)
{
	arena_hdr *h;

	if (p == NULL)
		return;
	h = (arena_hdr *)(void *)((unsigned char *)p - HDR_SIZE);
	h->freed = 1;
	while (arena_last != ARENA_NONE) {
		h = (arena_hdr *)(void *)(arena + arena_last);
		if (!h->freed)
			break;
		arena_top = arena_last; /* topmost block is free: give it back */
		arena_last = h->prev;
	}
}

void *calloc(size_t a, size_t b)
{
	void *p;

	if (b != 0 && a > ARENA_SIZE / b) {
		errno = ENOMEM;
		return NULL;
	}
	p = malloc(a * b);
	if (p != NULL)
		memset(p, 0, a * b);
	return p;
}

void *realloc(void *p, size_t n)
{
	arena_hdr *h;
	void *q;
	size_t old;

	if (p == NULL)
		return malloc(n);
	h = (arena_hdr *)(void *)((unsigned char *)p - HDR_SIZE);
	old = h->size - HDR_SIZE;
	if (n <= old)
		return p;
	q = malloc(n);
	if (q != NULL) {
		memcpy(q, p, old);
		free(p);
	}
	return q;
}
#endif
