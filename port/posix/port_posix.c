/* POSIX implementation of the port layer (Linux with musl or glibc; BSD and macOS minus
 * getrandom). The only file in the tree that includes socket, time and file headers. */
#include "port.h"

#include "resolv.h"
#include "sysraw.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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

/* poll() with no descriptors: its timeout is plain milliseconds on every target (musl's
 * nanosleep() goes through clock_nanosleep() and its time64 fall-backs on 32-bit ones). After
 * a signal, what is left (one millisecond more: the clock reads whole ones). */
void port_sleep_ms(uint32_t ms)
{
	int64_t end = port_time_ms() + ms, left = ms;

	while (poll(NULL, 0, left > 0x7fffffff ? 0x7fffffff : (int)left) != 0 && errno == EINTR) {
		left = end - port_time_ms() + 1;
		if (left <= 0)
			break;
	}
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

extern char **environ;

/* getenv(): the value of the first NAME=value entry (a name with '=' never matches). */
static char *env_find(const char *name)
{
	char **e;
	size_t i;

	if (environ == NULL || name[0] == '\0' || strchr(name, '=') != NULL)
		return NULL;
	for (e = environ; *e != NULL; e++) {
		for (i = 0; name[i] != '\0' && (*e)[i] == name[i]; i++)
			;
		if (name[i] == '\0' && (*e)[i] == '=')
			return *e + i + 1;
	}
	return NULL;
}

const char *port_getenv(const char *name)
{
	return env_find(name);
}

void port_env_scrub(const char *name)
{
	char *v = env_find(name);

	if (v != NULL)
		memset(v, 0, strlen(v));
}

const char *port_home(void)
{
	const char *h = env_find("HOME");

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
	unsigned m;
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
	if (sys_fmode(fd, &m) != 0) {
		int e = errno;
		close(fd);
		set_detail(detail, detail_cap, strerror(e));
		return errno_status(e);
	}
	if (S_ISDIR(m)) {
		close(fd);
		set_detail(detail, detail_cap, "is a directory");
		return PORT_E_ISDIR;
	}
	if (!S_ISREG(m)) {
		close(fd);
		set_detail(detail, detail_cap, "not a regular file");
		return PORT_E_IO;
	}
	if (mode != NULL)
		*mode = (unsigned)(m & 07777);
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
	unsigned m;

	*fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (*fd < 0) {
		int e = errno;
		set_detail(
			detail, detail_cap,
			e == EMFILE || e == ENFILE
				? "out of file descriptors (Too many open files; raise ulimit -n)"
				: strerror(e));
		return errno_status(e);
	}
	if (sys_fmode(*fd, &m) == 0 && S_ISDIR(m)) {
		close(*fd);
		*fd = PORT_FD_NONE;
		set_detail(detail, detail_cap, "is a directory");
		return PORT_E_ISDIR;
	}
	if (sys_fmode(*fd, &m) != 0 || !S_ISREG(m)) {
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

static const char *kind_text(mode_t m)
{
	if (S_ISFIFO(m))
		return "not a regular file (a FIFO)";
	if (S_ISCHR(m) || S_ISBLK(m))
		return "not a regular file (a device)";
	if (S_ISSOCK(m))
		return "not a regular file (a socket)";
	return "not a regular file";
}

port_status port_probe_path(const char *path, char *detail, size_t detail_cap)
{
	unsigned m;
	port_status ps = PORT_OK;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	if (fd < 0) {
		int e = errno;
		if (e == EMFILE || e == ENFILE)
			set_detail(
				detail, detail_cap,
				"out of file descriptors (Too many open files; raise ulimit -n)");
		else if (e == EACCES || e == EPERM)
			set_detail(detail, detail_cap, "permission denied");
		else
			set_detail(detail, detail_cap, strerror(e));
		return e == EMFILE || e == ENFILE ? PORT_E_IO : errno_status(e);
	}
	if (sys_fmode(fd, &m) != 0) {
		set_detail(detail, detail_cap, strerror(errno));
		ps = PORT_E_IO;
	} else if (S_ISDIR(m)) {
		ps = PORT_E_ISDIR;
		set_detail(detail, detail_cap, "is a directory");
	} else if (!S_ISREG(m)) {
		ps = PORT_E_IO;
		set_detail(detail, detail_cap, kind_text((mode_t)m));
	}
	close(fd);
	return ps;
}

int port_is_dir(const char *path)
{
	unsigned m;

	return sys_mode(path, &m) == 0 && S_ISDIR(m);
}

int port_is_file(const char *path)
{
	unsigned m;

	return sys_mode(path, &m) == 0 && S_ISREG(m);
}

#if defined(__linux__)
/* The directory's entries with getdents64, the call readdir() makes, into a buffer on the stack
 * instead of opendir()'s 2 KiB DIR from malloc. 512 bytes hold at least one entry of the
 * longest name (a record is at most 280 bytes). Every target has the same linux_dirent64:
 * inode (8 bytes), offset (8), record length (2), type (1), then the NUL-terminated name. */
int port_dir_each(const char *path, int (*fn)(const char *name, void *ctx), void *ctx)
{
	unsigned char buf[512] __attribute__((aligned(8)));
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc = 0;
	long n, off;
	unsigned short reclen;

	if (fd < 0)
		return -1;
	while (rc == 0 && (n = syscall(SYS_getdents64, (long)fd, buf, (long)sizeof(buf))) > 0) {
		for (off = 0; off < n && rc == 0; off += reclen) {
			const char *name = (const char *)buf + off + 19;
			memcpy(&reclen, buf + off + 16, sizeof(reclen));
			if (reclen == 0)
				break;
			if (strcmp(name, ".") != 0 && strcmp(name, "..") != 0)
				rc = fn(name, ctx);
		}
	}
	close(fd);
	return rc;
}
#else
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
#endif

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
		posix_sig_set(SIGPIPE, SIG_IGN);
		done = 1;
	}
}

/* --resolve entries: one address each (HOST:PORT:A,B gives two, tried in that order). */
static struct {
	char host[ECS_HOST_MAX];
	uint16_t port;
	dns_addr addr;
} overrides[ECS_RESOLVE_MAX];
static size_t noverrides;

static int host_eq(const char *a, size_t al, const char *b)
{
	size_t i;

	if (strlen(b) != al)
		return 0;
	for (i = 0; i < al; i++)
		if ((a[i] | 0x20) != (b[i] | 0x20) && a[i] != b[i])
			return 0;
	return 1;
}

/* One address of a --resolve list: a.b.c.d, [v6] or a bare v6 literal. */
static int override_addr(const char *s, size_t n, dns_addr *a)
{
	if (n >= 2 && s[0] == '[' && s[n - 1] == ']')
		return dns_parse_ip(s + 1, n - 2, a) && a->family == 6;
	return dns_parse_ip(s, n, a);
}

port_status port_resolve_add(const char *spec, char *detail, size_t detail_cap)
{
	const char *c1 = strchr(spec, ':'), *c2 = c1 != NULL ? strchr(c1 + 1, ':') : NULL, *p;
	unsigned long port = 0;
	size_t hl = c1 != NULL ? (size_t)(c1 - spec) : 0;

	if (c2 == NULL || hl == 0 || hl >= ECS_HOST_MAX || c2 == c1 + 1 || c2 - c1 > 6) {
		set_detail(detail, detail_cap, "expected HOST:PORT:ADDRESS[,ADDRESS...]");
		return PORT_E_ARG;
	}
	for (p = c1 + 1; p < c2; p++)
		port = (*p >= '0' && *p <= '9') ? port * 10 + (unsigned long)(*p - '0') : 70000;
	if (port == 0 || port > 65535) {
		set_detail(detail, detail_cap, "the port must be 1..65535");
		return PORT_E_ARG;
	}
	for (p = c2 + 1;; p++) {
		size_t n = strcspn(p, ",");
		dns_addr a;
		if (!override_addr(p, n, &a)) {
			snprintf(detail, detail_cap, "'%.*s' is not an IPv4 or [IPv6] address",
				 (int)(n > 64 ? 64 : n), p);
			return PORT_E_ARG;
		}
		if (noverrides == ECS_RESOLVE_MAX) {
			snprintf(detail, detail_cap, "more than %u addresses in all",
				 (unsigned)ECS_RESOLVE_MAX);
			return PORT_E_ARG;
		}
		memcpy(overrides[noverrides].host, spec, hl);
		overrides[noverrides].host[hl] = '\0';
		overrides[noverrides].port = (uint16_t)port;
		overrides[noverrides++].addr = a;
		p += n;
		if (*p == '\0')
			return PORT_OK;
	}
}

static size_t override_lookup(const char *host, uint16_t port, dns_addr *out, size_t cap)
{
	size_t i, n = 0;

	for (i = 0; i < noverrides && n < cap; i++)
		if (overrides[i].port == port && host_eq(host, strlen(host), overrides[i].host))
			out[n++] = overrides[i].addr;
	return n;
}

/* One connect attempt by the deadline: 0 and *s, or an errno (ETIMEDOUT when it passed). */
static int connect_one(const dns_addr *a, uint16_t port, int64_t deadline_ms, int *s)
{
	struct sockaddr_storage ss;
	socklen_t sl = resolv_sockaddr(a, port, &ss), elen = sizeof(int);
	int err = 0, w;

	*s = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (*s < 0)
		return errno;
	if (connect(*s, (struct sockaddr *)&ss, sl) != 0) {
		if (errno != EINPROGRESS) {
			err = errno;
		} else if ((w = wait_fd(*s, POLLOUT, deadline_ms)) == 0) {
			err = ETIMEDOUT;
		} else if (w < 0 || sys_getsockopt(*s, SOL_SOCKET, SO_ERROR, &err, &elen) != 0) {
			err = errno;
		}
	}
	if (err != 0) {
		close(*s);
		*s = -1;
		return err;
	}
	return 0;
}

const char *posix_connect_errtext(int e)
{
	if (e == ETIMEDOUT)
		return "timed out";
	if (e == ECONNRESET)
		return "connection reset by peer";
	if (e == EMFILE || e == ENFILE)
		return "out of file descriptors (Too many open files; raise ulimit -n)";
	return strerror(e);
}

/* Tries every address in order; each gets an equal share of the time left (the last all of
 * it), so that one silent address cannot use up the deadline of those after it. */
static port_status connect_any(const char *host, uint16_t port, const dns_addr *addrs, size_t n,
			       int64_t deadline_ms, port_fd *fd, char *detail, size_t detail_cap)
{
	char tried[384], t[48];
	size_t i, pos = 0;
	int timed_out = 0, e = 0;

	tried[0] = '\0';
	for (i = 0; i < n; i++) {
		int64_t left = deadline_ms - port_time_ms();
		int64_t until = i + 1 == n ? deadline_ms : port_time_ms() + left / (int64_t)(n - i);
		int s, one = 1;
		e = left <= 0 ? ETIMEDOUT : connect_one(&addrs[i], port, until, &s);
		if (e == 0) {
			sys_setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
			*fd = s;
			return PORT_OK;
		}
		timed_out |= e == ETIMEDOUT;
		dns_addr_text(&addrs[i], t, sizeof(t));
		if (pos < sizeof(tried))
			pos += (size_t)snprintf(tried + pos, sizeof(tried) - pos,
						"%s%s port %u: %s", pos ? "; " : "", t,
						(unsigned)port, posix_connect_errtext(e));
		if (e == EMFILE || e == ENFILE)
			break; /* the next address cannot get a socket either */
	}
	if (detail != NULL && detail_cap > 0)
		snprintf(detail, detail_cap, "could not connect to %s (%s)", host, tried);
	if (e == EMFILE || e == ENFILE)
		return PORT_E_IO;
	return timed_out ? PORT_E_TIMEOUT : PORT_E_CONNECT;
}

port_status port_tcp_connect(const char *host, uint16_t port, int64_t deadline_ms, port_fd *fd,
			     char *detail, size_t detail_cap)
{
	dns_addr addrs[ECS_DNS_ADDR_MAX];
	size_t n;
	port_status ps;

	ignore_sigpipe();
	*fd = PORT_FD_NONE;
	ps = posix_lookup(host, port, deadline_ms, addrs, ECS_DNS_ADDR_MAX, &n, detail, detail_cap);
	if (ps != PORT_OK)
		return ps;
	return connect_any(host, port, addrs, n, deadline_ms, fd, detail, detail_cap);
}

port_status posix_lookup(const char *host, uint16_t port, int64_t deadline_ms, dns_addr *out,
			 size_t cap, size_t *n, char *detail, size_t detail_cap)
{
	port_status ps;

	*n = override_lookup(host, port, out, cap);
	if (*n == 0 && dns_parse_ip(host, strlen(host), &out[0]))
		*n = 1;
	if (*n > 0)
		return PORT_OK;
	ps = resolv_lookup(host, port, deadline_ms, out, cap, n, detail, detail_cap);
	return ps == PORT_E_TIMEOUT ? PORT_E_DNS : ps;
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
 * never allocates (the stub resolver neither), so the callers are libc's opendir (one DIR per
 * certificate directory scan), setenv, and mbedTLS hashing before the pool exists (a message digest
 * context holds two blocks, freed in allocation order: --dry-run signs without ever setting up
 * TLS). Blocks are carved from the top; a freed block is marked, and the top shrinks past every
 * freed block under it, so blocks freed in any order are all given back once the newer ones are
 * gone. Exhaustion says so on stderr (a bug, never normal) and returns NULL (ENOMEM).
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
