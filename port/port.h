/*
 * Platform port layer: the only code that talks to the operating system.
 * Everything above it is portable C11 and sees the OS only through these functions.
 * A port implements all of them; port/posix/ is the Linux/BSD/macOS implementation.
 */
#ifndef ECS_PORT_H
#define ECS_PORT_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
	PORT_OK = 0,
	PORT_E_ARG,	/* invalid argument */
	PORT_E_DNS,	/* name did not resolve */
	PORT_E_CONNECT, /* every address refused or was unreachable */
	PORT_E_TIMEOUT, /* the deadline passed */
	PORT_E_IO,	/* send/recv/read failed (errno in detail) */
	PORT_E_NOENT,	/* file or directory does not exist */
	PORT_E_ACCESS,	/* permission denied */
	PORT_E_TOOBIG,	/* file larger than the caller's buffer */
	PORT_E_ISDIR,	/* a directory where a file was expected */
	PORT_E_RANDOM,	/* no random source */
	PORT_E_RESET,	/* the peer reset the connection */
	PORT_E_AGAIN	/* non-blocking call: would block, poll and call again */
} port_status;

/* An open socket or file; -1 = none. */
typedef int port_fd;
#define PORT_FD_NONE (-1)

/* ---- Clocks ---- */

/* Wall clock, Unix seconds (may be wrong on a device without RTC). */
int64_t port_time_unix(void);
/* Monotonic clock in milliseconds, never goes back. */
int64_t port_time_ms(void);
/* Sleeps at least ms milliseconds (restarts after signals). */
void port_sleep_ms(uint32_t ms);

/* ---- Randomness ---- */

/* Fills buf with n bytes from the OS (getrandom(), then /dev/urandom). Never /dev/random. */
port_status port_random(void *buf, size_t n);

/* ---- Environment ---- */

/* Value of an environment variable, NULL when unset. */
const char *port_getenv(const char *name);
/* The current user's home directory ($HOME, else the passwd entry is not consulted: NULL). */
const char *port_home(void);

/* ---- Files ---- */

/* Reads the whole file at path into buf (cap bytes). *len gets the size. *mode (if not NULL)
 * gets the permission bits (st_mode & 07777). A file larger than cap fails with PORT_E_TOOBIG,
 * nothing is truncated. detail (if not NULL, detail_cap > 0) gets strerror text on failure. */
port_status port_read_file(const char *path, char *buf, size_t cap, size_t *len, unsigned *mode,
			   char *detail, size_t detail_cap);

/* Opens a file for sequential reading in chunks (for large CA bundles). */
port_status port_file_open(const char *path, port_fd *fd, char *detail, size_t detail_cap);
/* Reads up to cap bytes; *got = 0 at end of file. */
port_status port_file_read(port_fd fd, void *buf, size_t cap, size_t *got);
void port_file_close(port_fd fd);

/* Checks path by opening it for reading: PORT_OK a regular file, PORT_E_ISDIR a directory,
 * PORT_E_NOENT, PORT_E_ACCESS, or PORT_E_IO for anything else (a FIFO, socket or device,
 * which cannot be read again for every lookup; out of file descriptors). detail gets the
 * words ("permission denied", "not a regular file (a FIFO)", ...). */
port_status port_probe_path(const char *path, char *detail, size_t detail_cap);

/* 1 if path exists and is a directory, 0 otherwise. */
int port_is_dir(const char *path);
/* 1 if path exists and is a regular file (after links), 0 otherwise. */
int port_is_file(const char *path);

/* Calls fn(name, ctx) for every entry of a directory (not "." or ".."), in the order the OS
 * gives; stops early when fn returns non-zero and returns that value. -1 if it cannot open. */
int port_dir_each(const char *path, int (*fn)(const char *name, void *ctx), void *ctx);

/* ---- Network ---- */

/* Resolves host (name, IPv4 or IPv6 literal, without brackets) and connects to port, trying
 * every address in order until one connects or the deadline (monotonic ms) passes; the
 * deadline covers name resolution too. A --resolve entry for host:port is used instead of
 * asking; else /etc/hosts, then the nameservers of /etc/resolv.conf (our stub resolver,
 * port/posix/resolv.c). IPv6 addresses are tried first, each address getting an equal share
 * of the time left. On failure detail gets a message naming the host, what failed and what to
 * try: PORT_E_DNS (resolution failed or ran out of time), PORT_E_CONNECT, PORT_E_TIMEOUT,
 * PORT_E_IO (out of file descriptors). */
port_status port_tcp_connect(const char *host, uint16_t port, int64_t deadline_ms, port_fd *fd,
			     char *detail, size_t detail_cap);

/* Adds a --resolve entry, curl's syntax: HOST:PORT:ADDRESS[,ADDRESS...] with IPv6 addresses
 * in brackets. Every later connection to HOST (any case) and PORT uses those addresses, in
 * that order, without asking DNS (TLS still verifies HOST). PORT_E_ARG and detail on bad
 * syntax or when more than ECS_RESOLVE_MAX addresses were given. */
port_status port_resolve_add(const char *spec, char *detail, size_t detail_cap);

/* Sends up to len bytes, waiting until the deadline for the socket to accept some.
 * *sent gets how many were sent (>0 on PORT_OK). */
port_status port_send(port_fd fd, const void *buf, size_t len, int64_t deadline_ms, size_t *sent);

/* Receives up to cap bytes, waiting until the deadline. *got = 0 means the peer closed. */
port_status port_recv(port_fd fd, void *buf, size_t cap, int64_t deadline_ms, size_t *got);

/* Closes a socket or file; PORT_FD_NONE is ignored. */
void port_close(port_fd fd);

/* Text of the last OS error, for messages. */
const char *port_strerror(void);

/* ---- Output ---- */

/* Writes all bytes to stdout (fd 1) or stderr (fd 2); returns 0, or -1 with the reason in
 * port_strerror(); port_write_broken_pipe() then says whether the reader went away (EPIPE). */
int port_write(int stream, const void *buf, size_t len);
int port_write_broken_pipe(void);

/* ---- Formatting (port/posix/port_fmt.c) ---- */

/* vsnprintf without floating point: the conversions d i u o x X c s p %, flags, width,
 * precision and lengths of C99. Returns the length the whole output needs (as vsnprintf);
 * dst (cap > 0) is always NUL-terminated. The release build uses it for snprintf too. */
#include <stdarg.h>
int port_vformat(char *dst, size_t cap, const char *fmt, va_list ap);

/* ---- Process (port/posix/port_sys.c) ---- */

/* First thing main() does, before any file or socket is opened: standard descriptors that are
 * closed are reopened on /dev/null (so that no socket can become fd 1 and receive output);
 * core dumps are disabled (the process will hold secrets: PR_SET_DUMPABLE 0, RLIMIT_CORE 0);
 * SIGPIPE is ignored (a closed pipe is a write error like any other). Returns a bit mask of
 * the standard descriptors that were closed (1 << fd). */
unsigned port_harden(void);

/* Calls fn(signo) from the signal handler of SIGINT, SIGTERM and SIGHUP. fn must be
 * async-signal-safe: it may only use port_write_raw() and port_exit(). */
void port_on_signal(void (*fn)(int signo));
/* Holds (1) or releases (0) the signals of port_on_signal(), around a write that must not be
 * cut by the handler. */
void port_signals_hold(int hold);
/* Async-signal-safe: write(2) of all bytes to fd 1 or 2, errors ignored. */
void port_write_raw(int stream, const void *buf, size_t len);
/* Async-signal-safe _exit(). */
void port_exit(int code);

/* 1 if fd is a terminal. */
int port_isatty(int fd);
/* Columns of the terminal on fd, 0 when unknown (not a terminal). */
unsigned port_term_width(int fd);

/* An output file replaced atomically: the bytes go to a new temporary file in the same
 * directory (mode 0644), which port_outfile_commit() flushes to disk and renames over path;
 * port_outfile_abort() removes it. detail gets the reason on failure. */
typedef struct {
	int fd;
	int err; /* errno of the write that failed */
	char tmp[1100];
	const char *path;
} port_outfile;
port_status port_outfile_open(port_outfile *f, const char *path, char *detail, size_t cap);
int port_outfile_write(port_outfile *f, const void *buf, size_t len);
/* The reason the last port_outfile_write() failed. */
const char *port_outfile_error(const port_outfile *f);
port_status port_outfile_commit(port_outfile *f, char *detail, size_t cap);
void port_outfile_abort(port_outfile *f);
/* Async-signal-safe removal of the temporary file (signal handler). */
void port_outfile_abort_raw(port_outfile *f);

/* Grows, shrinks or (new_size 0) frees a block of anonymous memory pages. p NULL with
 * old_size 0 makes a new block. Returns the block, or NULL when the memory cannot be had
 * (an address-space or data limit): the old block then stays valid. Only for data that grows
 * with the input (the instance-id set); fixed buffers are static. */
void *port_mem_resize(void *p, size_t old_size, size_t new_size);

/* ---- Processes ---- */

/* Runs argv[0] with argv (NULL-terminated), without a shell (argv[0] without '/' is looked up
 * in PATH): stdin is /dev/null, stderr is the caller's, stdout is captured into out (cap
 * bytes). The child runs in its own process group, which is killed (SIGKILL) when the
 * deadline (monotonic ms) passes (PORT_E_TIMEOUT) or when it writes more than cap bytes
 * (PORT_E_TOOBIG). On PORT_OK *out_len gets the bytes captured and *exit_code the exit status
 * (0..255), or 128 + the signal number when a signal ended it. PORT_E_NOENT / PORT_E_ACCESS:
 * the program could not be started (detail says why); PORT_E_IO: pipe/fork failed. */
port_status port_proc_run(const char *const *argv, int64_t deadline_ms, char *out, size_t cap,
			  size_t *out_len, int *exit_code, char *detail, size_t detail_cap);

/* ---- Non-blocking network (port/posix/port_nb.c) ----
 * One thread drives many connections: resolve once, start connects, then send/recv without
 * waiting and poll() every socket together until a deadline. */

#define PORT_ADDRS_MAX 8 /* addresses of one name tried in order */

/* One resolved socket address (opaque bytes of a sockaddr) and its text for messages. */
typedef struct {
	int family;
	unsigned len;
	unsigned char sa[28]; /* struct sockaddr_in / sockaddr_in6 */
	char text[48];
} port_addr;

/* Resolves host (name, IPv4 or IPv6 literal, no brackets) for port into at most cap
 * addresses (in the resolver's order). *n gets how many. PORT_E_DNS with detail naming host
 * and the reason when it does not resolve. */
port_status port_resolve(const char *host, uint16_t port, int64_t deadline_ms, port_addr *out,
			 size_t cap, size_t *n, char *detail, size_t detail_cap);

/* Starts a non-blocking connect to a. PORT_OK: *fd is connecting (or connected): wait for
 * PORT_POLL_OUT, then call port_connect_result. Else detail names the address and reason. */
port_status port_connect_start(const port_addr *a, port_fd *fd, char *detail, size_t detail_cap);

/* After fd polled writable: PORT_OK when connected (TCP_NODELAY set), else PORT_E_CONNECT or
 * PORT_E_RESET with detail naming the address and the reason. */
port_status port_connect_result(port_fd fd, const port_addr *a, char *detail, size_t detail_cap);

/* Sends/receives what the socket takes/has now: PORT_E_AGAIN when it would block.
 * *got = 0 from port_recv_nb means the peer closed. */
port_status port_send_nb(port_fd fd, const void *buf, size_t len, size_t *sent);
port_status port_recv_nb(port_fd fd, void *buf, size_t cap, size_t *got);

#define PORT_POLL_IN  0x1u
#define PORT_POLL_OUT 0x2u
#define PORT_POLL_ERR 0x4u /* error or hang-up: the next send/recv says which */

typedef struct {
	port_fd fd;	  /* PORT_FD_NONE: slot ignored */
	unsigned events;  /* PORT_POLL_IN | PORT_POLL_OUT */
	unsigned revents; /* (out) */
} port_pollfd;

#define PORT_POLL_MAX 32 /* sockets in one port_poll call */

/* Waits until one of the n (<= PORT_POLL_MAX) sockets is ready or the deadline (monotonic ms)
 * passes; restarts after signals. Returns how many are ready (0 = deadline), -1 on error. */
int port_poll(port_pollfd *p, size_t n, int64_t deadline_ms);

/* Gives back to the OS the whole pages inside [p, p + n) of a static buffer whose content is
 * all zero bytes there: they stay mapped and read as zeros again, but cost no memory until
 * written (a pool that an allocator zeroed up front). */
void port_mem_zero_release(void *p, size_t n);

#endif
