/*
 * Unit tests for the POSIX port layer (port/posix/port_posix.c): clocks, random bytes,
 * environment, files and directories, TCP connect/send/recv with deadlines.
 * The peer side of every socket test is set up here with plain POSIX calls on loopback.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "port.h"

/* Provided by port_posix.c as the mbedTLS entropy source. */
int mbedtls_hardware_poll(void *data, unsigned char *output, size_t len, size_t *olen);

#define CANARY 0xA5u

/* ---------------------------------------------------------------------------------------- */
/* temp directory                                                                            */

static char tmpdir[64];

static void path_in(char *out, size_t cap, const char *name)
{
	int n = snprintf(out, cap, "%s/%s", tmpdir, name);

	assert_true(n > 0 && (size_t)n < cap);
}

static void write_file(const char *name, const void *data, size_t len, mode_t mode)
{
	char path[256];
	int fd;

	path_in(path, sizeof(path), name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
	assert_int_equal(chmod(path, mode), 0); /* independent of the umask */
}

static void remove_tree(const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *e;

	if (lstat(path, &st) != 0)
		return;
	if (!S_ISDIR(st.st_mode)) {
		unlink(path);
		return;
	}
	chmod(path, 0700);
	d = opendir(path);
	if (d != NULL) {
		while ((e = readdir(d)) != NULL) {
			char sub[512];
			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
			remove_tree(sub);
		}
		closedir(d);
	}
	rmdir(path);
}

static int setup_tmpdir(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/ecs_test_port.XXXXXX");
	return mkdtemp(tmpdir) != NULL ? 0 : -1;
}

static int teardown_tmpdir(void **state)
{
	(void)state;
	remove_tree(tmpdir);
	return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* clocks                                                                                    */

static void test_monotonic_clock(void **state)
{
	int64_t prev = port_time_ms(), t0, t1;
	int i;

	(void)state;
	assert_true(prev > 0);
	for (i = 0; i < 200000; i++) {
		int64_t now = port_time_ms();
		if (now < prev)
			fail_msg("monotonic clock went back: %lld after %lld", (long long)now,
				 (long long)prev);
		prev = now;
	}
	t0 = port_time_ms();
	port_sleep_ms(20);
	t1 = port_time_ms();
	if (t1 - t0 < 20 || t1 - t0 > 2000)
		fail_msg("port_sleep_ms(20) took %lld ms", (long long)(t1 - t0));
	t0 = port_time_ms();
	port_sleep_ms(1100); /* crosses a whole second: tv_sec and tv_nsec both used */
	t1 = port_time_ms();
	if (t1 - t0 < 1100 || t1 - t0 > 3000)
		fail_msg("port_sleep_ms(1100) took %lld ms", (long long)(t1 - t0));
	port_sleep_ms(0);
}

static void test_wall_clock(void **state)
{
	int64_t t = port_time_unix();
	int64_t sys = (int64_t)time(NULL);

	(void)state;
	assert_true(t > 1577836800); /* 2020-01-01 */
	assert_true(t < 4102444800); /* 2100-01-01 */
	assert_true(t - sys <= 2 && sys - t <= 2);
}

/* ---------------------------------------------------------------------------------------- */
/* random                                                                                    */

static int all_zero(const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != 0)
			return 0;
	return 1;
}

static void test_random(void **state)
{
	static const size_t sizes[] = {0, 1, 16, 300, 4096};
	static unsigned char a[4096 + 64], b[4096 + 64];
	size_t k, i;

	(void)state;
	for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		size_t n = sizes[k];

		memset(a, (int)CANARY, sizeof(a));
		memset(b, (int)CANARY, sizeof(b));
		assert_int_equal(port_random(a, n), PORT_OK);
		assert_int_equal(port_random(b, n), PORT_OK);
		for (i = n; i < sizeof(a); i++)
			if (a[i] != CANARY || b[i] != CANARY)
				fail_msg("port_random(%zu) wrote byte %zu", n, i);
		if (n >= 16) {
			assert_false(all_zero(a, n));
			assert_memory_not_equal(a, b, n);
		}
	}
	/* one byte: zero or a repeat is possible, but not 64 times in a row */
	{
		int nonzero = 0, differ = 0;
		unsigned char prev = 0;
		for (i = 0; i < 64; i++) {
			unsigned char x = 0;
			assert_int_equal(port_random(&x, 1), PORT_OK);
			nonzero |= x != 0;
			differ |= i > 0 && x != prev;
			prev = x;
		}
		assert_true(nonzero);
		assert_true(differ);
	}
	/* the buffer is filled everywhere, not only at the start (getrandom is chunked) */
	{
		size_t zero_run = 0, longest = 0;
		assert_int_equal(port_random(a, 4096), PORT_OK);
		for (i = 0; i < 4096; i++) {
			zero_run = a[i] == 0 ? zero_run + 1 : 0;
			if (zero_run > longest)
				longest = zero_run;
		}
		assert_true(longest < 8);
		assert_false(all_zero(a + 4096 - 32, 32));
	}
}

static void test_mbedtls_entropy(void **state)
{
	unsigned char buf[64];
	size_t olen = 0;

	(void)state;
	memset(buf, 0, sizeof(buf));
	assert_int_equal(mbedtls_hardware_poll(NULL, buf, sizeof(buf), &olen), 0);
	assert_int_equal(olen, sizeof(buf));
	assert_false(all_zero(buf, sizeof(buf)));
}

/* ---------------------------------------------------------------------------------------- */
/* environment                                                                               */

static void test_env(void **state)
{
	const char *old_home = getenv("HOME");
	char *saved = old_home != NULL ? strdup(old_home) : NULL;
	const char *v;

	(void)state;
	assert_int_equal(setenv("ECS_TEST_PORT_VAR", "va lue", 1), 0);
	v = port_getenv("ECS_TEST_PORT_VAR");
	assert_non_null(v);
	assert_string_equal(v, "va lue");
	assert_int_equal(setenv("ECS_TEST_PORT_VAR", "", 1), 0);
	v = port_getenv("ECS_TEST_PORT_VAR");
	assert_non_null(v); /* set but empty is not unset */
	assert_string_equal(v, "");
	assert_int_equal(unsetenv("ECS_TEST_PORT_VAR"), 0);
	assert_null(port_getenv("ECS_TEST_PORT_VAR"));

	assert_int_equal(setenv("HOME", "/tmp/ecs-home", 1), 0);
	v = port_home();
	assert_non_null(v);
	assert_string_equal(v, "/tmp/ecs-home");
	assert_int_equal(setenv("HOME", "", 1), 0);
	assert_null(port_home());
	assert_int_equal(unsetenv("HOME"), 0);
	assert_null(port_home());

	if (saved != NULL) {
		assert_int_equal(setenv("HOME", saved, 1), 0);
		free(saved);
	}
}

/* ---------------------------------------------------------------------------------------- */
/* files                                                                                     */

static void pattern(unsigned char *p, size_t n, unsigned seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (unsigned char)((i * 31u + seed) & 0xffu); /* includes NUL bytes */
}

static void test_read_file_sizes(void **state)
{
	static unsigned char data[1000], buf[1000 + 64];
	char path[256], detail[128];
	size_t len = 12345, i;
	unsigned mode = 0;

	(void)state;
	pattern(data, sizeof(data), 7);
	write_file("f1000", data, sizeof(data), 0644);
	path_in(path, sizeof(path), "f1000");

	/* plenty of room */
	memset(buf, (int)CANARY, sizeof(buf));
	assert_int_equal(port_read_file(path, (char *)buf, sizeof(buf), &len, &mode, NULL, 0),
			 PORT_OK);
	assert_int_equal(len, 1000);
	assert_memory_equal(buf, data, 1000);
	assert_int_equal(mode, 0644);

	/* exactly the size */
	memset(buf, (int)CANARY, sizeof(buf));
	len = 12345;
	assert_int_equal(
		port_read_file(path, (char *)buf, 1000, &len, NULL, detail, sizeof(detail)),
		PORT_OK);
	assert_int_equal(len, 1000);
	assert_memory_equal(buf, data, 1000);
	for (i = 1000; i < sizeof(buf); i++)
		assert_int_equal(buf[i], CANARY);

	/* one byte short: refused, not truncated, nothing written past cap */
	memset(buf, (int)CANARY, sizeof(buf));
	detail[0] = '\0';
	len = 12345;
	assert_int_equal(port_read_file(path, (char *)buf, 999, &len, NULL, detail, sizeof(detail)),
			 PORT_E_TOOBIG);
	assert_true(detail[0] != '\0');
	assert_int_equal(len, 0);
	for (i = 999; i < sizeof(buf); i++)
		assert_int_equal(buf[i], CANARY);

	/* far too small */
	assert_int_equal(port_read_file(path, (char *)buf, 1, &len, NULL, NULL, 0), PORT_E_TOOBIG);
	assert_int_equal(port_read_file(path, (char *)buf, 0, &len, NULL, NULL, 0), PORT_E_TOOBIG);
}

static void test_read_file_empty(void **state)
{
	char path[256], buf[16];
	size_t len = 12345;
	unsigned mode = 0;

	(void)state;
	write_file("empty", "", 0, 0600);
	path_in(path, sizeof(path), "empty");
	assert_int_equal(port_read_file(path, buf, sizeof(buf), &len, &mode, NULL, 0), PORT_OK);
	assert_int_equal(len, 0);
	assert_int_equal(mode, 0600);
	len = 12345;
	assert_int_equal(port_read_file(path, buf, 0, &len, NULL, NULL, 0), PORT_OK);
	assert_int_equal(len, 0);
}

static void test_read_file_mode(void **state)
{
	char path[256], buf[16];
	size_t len = 0;
	unsigned mode = 0;

	(void)state;
	write_file("mode", "secret", 6, 0600);
	path_in(path, sizeof(path), "mode");
	assert_int_equal(port_read_file(path, buf, sizeof(buf), &len, &mode, NULL, 0), PORT_OK);
	assert_int_equal(mode, 0600);
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(port_read_file(path, buf, sizeof(buf), &len, &mode, NULL, 0), PORT_OK);
	assert_int_equal(mode, 0644);
	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(port_read_file(path, buf, sizeof(buf), &len, &mode, NULL, 0), PORT_OK);
	assert_int_equal(mode, 0640);
	assert_int_equal(chmod(path, 0444), 0);
	assert_int_equal(port_read_file(path, buf, sizeof(buf), &len, &mode, NULL, 0), PORT_OK);
	assert_int_equal(mode, 0444);
	assert_int_equal(len, 6);
	assert_memory_equal(buf, "secret", 6);
}

static void test_read_file_errors(void **state)
{
	char path[256], buf[64], detail[128];
	size_t len = 12345, i;
	unsigned char small[16];

	(void)state;
	/* missing: NOENT with strerror text */
	path_in(path, sizeof(path), "does-not-exist");
	memset(detail, 0, sizeof(detail));
	assert_int_equal(port_read_file(path, buf, sizeof(buf), &len, NULL, detail, sizeof(detail)),
			 PORT_E_NOENT);
	assert_string_equal(detail, strerror(ENOENT));
	assert_int_equal(len, 0);
	/* detail is optional */
	assert_int_equal(port_read_file(path, buf, sizeof(buf), &len, NULL, NULL, 0), PORT_E_NOENT);
	assert_int_equal(port_read_file(path, buf, sizeof(buf), &len, NULL, detail, 0),
			 PORT_E_NOENT);
	/* a small detail buffer is truncated and terminated, never overflowed */
	memset(small, CANARY, sizeof(small));
	assert_int_equal(port_read_file(path, buf, sizeof(buf), &len, NULL, (char *)small, 5),
			 PORT_E_NOENT);
	assert_int_equal(strlen((char *)small), 4);
	assert_memory_equal(small, strerror(ENOENT), 4);
	for (i = 5; i < sizeof(small); i++)
		assert_int_equal(small[i], CANARY);
	memset(small, CANARY, sizeof(small));
	assert_int_equal(port_read_file(path, buf, sizeof(buf), &len, NULL, (char *)small, 1),
			 PORT_E_NOENT);
	assert_int_equal(small[0], 0);
	assert_int_equal(small[1], CANARY);

	/* a path through a regular file (ENOTDIR) is "does not exist" too */
	write_file("plain", "x", 1, 0644);
	path_in(path, sizeof(path), "plain/child");
	assert_int_equal(port_read_file(path, buf, sizeof(buf), &len, NULL, detail, sizeof(detail)),
			 PORT_E_NOENT);
	assert_true(detail[0] != '\0');

	/* a directory */
	path_in(path, sizeof(path), "adir");
	assert_int_equal(mkdir(path, 0755), 0);
	detail[0] = '\0';
	assert_int_equal(port_read_file(path, buf, sizeof(buf), &len, NULL, detail, sizeof(detail)),
			 PORT_E_ISDIR);
	assert_true(detail[0] != '\0');
	assert_int_equal(len, 0);
	assert_int_equal(port_read_file(tmpdir, buf, sizeof(buf), &len, NULL, NULL, 0),
			 PORT_E_ISDIR);
	assert_int_equal(port_read_file("/", buf, sizeof(buf), &len, NULL, NULL, 0), PORT_E_ISDIR);
}

static void test_read_file_access(void **state)
{
	char path[256], buf[16], detail[128];
	size_t len = 0;

	(void)state;
	if (geteuid() == 0) {
		/* root reads a mode-000 file anyway (CAP_DAC_OVERRIDE): nothing to test */
		print_message("skipped: running as root, chmod 000 does not deny access\n");
		skip();
	}
	write_file("noaccess", "x", 1, 0000);
	path_in(path, sizeof(path), "noaccess");
	detail[0] = '\0';
	assert_int_equal(port_read_file(path, buf, sizeof(buf), &len, NULL, detail, sizeof(detail)),
			 PORT_E_ACCESS);
	assert_string_equal(detail, strerror(EACCES));
	{
		port_fd fd = 99;
		assert_int_equal(port_file_open(path, &fd, detail, sizeof(detail)), PORT_E_ACCESS);
		assert_int_equal(fd, PORT_FD_NONE);
	}
}

static void test_file_chunks(void **state)
{
	static unsigned char data[10007], back[10007 + 16];
	char path[256], detail[128];
	port_fd fd = PORT_FD_NONE;
	size_t have = 0, got = 1;
	int calls = 0;

	(void)state;
	pattern(data, sizeof(data), 3);
	write_file("big", data, sizeof(data), 0644);
	path_in(path, sizeof(path), "big");
	assert_int_equal(port_file_open(path, &fd, detail, sizeof(detail)), PORT_OK);
	assert_true(fd >= 0);
	for (;;) {
		size_t want = 7;
		assert_true(have + want <= sizeof(back));
		assert_int_equal(port_file_read(fd, back + have, want, &got), PORT_OK);
		calls++;
		if (got == 0)
			break;
		assert_true(got <= want);
		have += got;
	}
	assert_int_equal(have, sizeof(data));
	assert_memory_equal(back, data, sizeof(data));
	assert_true(calls > 1000);
	/* still at end of file */
	got = 1;
	assert_int_equal(port_file_read(fd, back, sizeof(back), &got), PORT_OK);
	assert_int_equal(got, 0);
	port_file_close(fd);

	/* big chunks */
	assert_int_equal(port_file_open(path, &fd, NULL, 0), PORT_OK);
	have = 0;
	do {
		assert_int_equal(port_file_read(fd, back + have, sizeof(back) - have, &got),
				 PORT_OK);
		have += got;
	} while (got > 0);
	assert_int_equal(have, sizeof(data));
	assert_memory_equal(back, data, sizeof(data));
	port_file_close(fd);

	/* errors */
	path_in(path, sizeof(path), "missing");
	fd = 99;
	detail[0] = '\0';
	assert_int_equal(port_file_open(path, &fd, detail, sizeof(detail)), PORT_E_NOENT);
	assert_int_equal(fd, PORT_FD_NONE);
	assert_string_equal(detail, strerror(ENOENT));
	fd = 99;
	detail[0] = '\0';
	assert_int_equal(port_file_open(tmpdir, &fd, detail, sizeof(detail)), PORT_E_ISDIR);
	assert_int_equal(fd, PORT_FD_NONE);
	assert_true(detail[0] != '\0');
	port_file_close(PORT_FD_NONE);
}

static void test_is_dir_is_file(void **state)
{
	char file[256], link_file[256], link_dir[256], dangling[256], missing[256];

	(void)state;
	write_file("isfile", "x", 1, 0644);
	path_in(file, sizeof(file), "isfile");
	path_in(link_file, sizeof(link_file), "link-to-file");
	path_in(link_dir, sizeof(link_dir), "link-to-dir");
	path_in(dangling, sizeof(dangling), "dangling");
	path_in(missing, sizeof(missing), "missing");
	assert_int_equal(symlink(file, link_file), 0);
	assert_int_equal(symlink(tmpdir, link_dir), 0);
	assert_int_equal(symlink(missing, dangling), 0);

	assert_int_equal(port_is_file(file), 1);
	assert_int_equal(port_is_dir(file), 0);
	assert_int_equal(port_is_file(tmpdir), 0);
	assert_int_equal(port_is_dir(tmpdir), 1);
	assert_int_equal(port_is_file(link_file), 1); /* after links */
	assert_int_equal(port_is_dir(link_dir), 1);
	assert_int_equal(port_is_file(dangling), 0);
	assert_int_equal(port_is_dir(dangling), 0);
	assert_int_equal(port_is_file(missing), 0);
	assert_int_equal(port_is_dir(missing), 0);
	assert_int_equal(port_is_file("/dev/null"), 0); /* a device is not a regular file */
	assert_int_equal(port_is_file(""), 0);
	assert_int_equal(port_is_dir(""), 0);
}

typedef struct {
	char names[16][32];
	int count;
	int stop_at; /* return 42 on this call (1-based), 0 = never */
} dir_seen;

static int collect(const char *name, void *ctx)
{
	dir_seen *s = ctx;

	if (s->count < 16)
		snprintf(s->names[s->count], sizeof(s->names[0]), "%s", name);
	s->count++;
	return s->stop_at != 0 && s->count == s->stop_at ? 42 : 0;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

static void test_dir_each(void **state)
{
	char dir[256], sub[256], missing[256];
	dir_seen s;

	(void)state;
	path_in(dir, sizeof(dir), "listing");
	assert_int_equal(mkdir(dir, 0755), 0);

	/* empty directory: no calls */
	memset(&s, 0, sizeof(s));
	assert_int_equal(port_dir_each(dir, collect, &s), 0);
	assert_int_equal(s.count, 0);

	write_file("listing/b.pem", "b", 1, 0644);
	write_file("listing/a.crt", "a", 1, 0644);
	write_file("listing/.hidden", "h", 1, 0644);
	path_in(sub, sizeof(sub), "listing/subdir");
	assert_int_equal(mkdir(sub, 0755), 0);

	memset(&s, 0, sizeof(s));
	assert_int_equal(port_dir_each(dir, collect, &s), 0);
	assert_int_equal(s.count, 4);
	qsort(s.names, (size_t)s.count, sizeof(s.names[0]), cmp_name);
	assert_string_equal(s.names[0], ".hidden");
	assert_string_equal(s.names[1], "a.crt");
	assert_string_equal(s.names[2], "b.pem");
	assert_string_equal(s.names[3], "subdir");

	/* stops early with the callback's value */
	memset(&s, 0, sizeof(s));
	s.stop_at = 2;
	assert_int_equal(port_dir_each(dir, collect, &s), 42);
	assert_int_equal(s.count, 2);
	memset(&s, 0, sizeof(s));
	s.stop_at = 1;
	assert_int_equal(port_dir_each(dir, collect, &s), 42);
	assert_int_equal(s.count, 1);

	/* cannot open */
	path_in(missing, sizeof(missing), "no-such-dir");
	memset(&s, 0, sizeof(s));
	assert_int_equal(port_dir_each(missing, collect, &s), -1);
	assert_int_equal(s.count, 0);
	write_file("notadir", "x", 1, 0644);
	path_in(missing, sizeof(missing), "notadir");
	assert_int_equal(port_dir_each(missing, collect, &s), -1);
}

/* ---------------------------------------------------------------------------------------- */
/* sockets                                                                                   */

/* A listening loopback socket; *port gets its port. -1 if the family is unavailable. */
static int make_listener(int family, uint16_t *port, int backlog, int rcvbuf)
{
	struct sockaddr_storage ss;
	socklen_t slen;
	int fd = socket(family, SOCK_STREAM, 0), one = 1;

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (rcvbuf > 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;
		a->sin_family = AF_INET;
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		slen = sizeof(*a);
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
		a->sin6_family = AF_INET6;
		a->sin6_addr = in6addr_loopback;
		slen = sizeof(*a);
	}
	if (bind(fd, (struct sockaddr *)&ss, slen) != 0 ||
	    (backlog >= 0 && listen(fd, backlog) != 0)) {
		close(fd);
		return -1;
	}
	slen = sizeof(ss);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &slen), 0);
	*port = family == AF_INET ? ntohs(((struct sockaddr_in *)&ss)->sin_port)
				  : ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return fd;
}

static int accept_within(int lfd, int ms)
{
	struct pollfd p;
	int fd;

	p.fd = lfd;
	p.events = POLLIN;
	p.revents = 0;
	assert_int_equal(poll(&p, 1, ms), 1);
	fd = accept(lfd, NULL, NULL);
	assert_true(fd >= 0);
	return fd;
}

/* PORT_OK from port_tcp_connect must mean connected, not "still in progress". */
static void assert_connected(port_fd fd)
{
	struct sockaddr_storage ss;
	socklen_t slen = sizeof(ss);

	if (getpeername(fd, (struct sockaddr *)&ss, &slen) != 0)
		fail_msg("port_tcp_connect returned PORT_OK for an unconnected socket: %s",
			 strerror(errno));
}

/* Connects with port_tcp_connect and accepts the peer. */
static void connect_pair(const char *host, int lfd, uint16_t port, port_fd *client, int *server)
{
	char detail[256] = "";
	port_status st =
		port_tcp_connect(host, port, port_time_ms() + 3000, client, detail, sizeof(detail));

	if (st != PORT_OK)
		fail_msg("connect %s:%u: status %d, %s", host, (unsigned)port, (int)st, detail);
	assert_true(*client >= 0);
	assert_connected(*client);
	*server = accept_within(lfd, 3000);
}

static void roundtrip(port_fd client, int server)
{
	char buf[64];
	size_t n = 0;
	ssize_t r;

	assert_int_equal(port_send(client, "ping", 4, port_time_ms() + 2000, &n), PORT_OK);
	assert_int_equal(n, 4);
	r = recv(server, buf, sizeof(buf), 0);
	assert_int_equal(r, 4);
	assert_memory_equal(buf, "ping", 4);

	assert_int_equal(send(server, "pong!", 5, 0), 5);
	n = 0;
	assert_int_equal(port_recv(client, buf, sizeof(buf), port_time_ms() + 2000, &n), PORT_OK);
	assert_int_equal(n, 5);
	assert_memory_equal(buf, "pong!", 5);
}

static void test_tcp_ipv4(void **state)
{
	uint16_t port = 0;
	int lfd = make_listener(AF_INET, &port, 8, 0), server;
	port_fd client = PORT_FD_NONE;

	(void)state;
	assert_true(lfd >= 0);
	connect_pair("127.0.0.1", lfd, port, &client, &server);
	roundtrip(client, server);
	port_close(client);
	close(server);
	close(lfd);
}

static void test_tcp_ipv6(void **state)
{
	uint16_t port = 0;
	int lfd = make_listener(AF_INET6, &port, 8, 0), server;
	port_fd client = PORT_FD_NONE;

	(void)state;
	if (lfd < 0) {
		print_message("skipped: no IPv6 loopback here\n");
		skip();
	}
	connect_pair("::1", lfd, port, &client, &server);
	roundtrip(client, server);
	port_close(client);
	close(server);
	close(lfd);
}

/* "localhost" by name, with the listener on 127.0.0.1 only: if the name also gives ::1 first,
 * that address is refused and the next one is tried. */
static void test_tcp_localhost_name(void **state)
{
	struct addrinfo hints, *res = NULL, *ai;
	uint16_t port = 0;
	int lfd, server, has_v4 = 0;
	port_fd client = PORT_FD_NONE;

	(void)state;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo("localhost", "80", &hints, &res) == 0) {
		for (ai = res; ai != NULL; ai = ai->ai_next)
			has_v4 |= ai->ai_family == AF_INET;
		freeaddrinfo(res);
	}
	if (!has_v4) {
		print_message("skipped: localhost does not resolve to IPv4 here\n");
		skip();
	}
	lfd = make_listener(AF_INET, &port, 8, 0);
	assert_true(lfd >= 0);
	connect_pair("localhost", lfd, port, &client, &server);
	roundtrip(client, server);
	port_close(client);
	close(server);
	close(lfd);
}

static void test_tcp_refused(void **state)
{
	uint16_t port = 0;
	/* bound but not listening: the port stays ours and every SYN gets a RST */
	int bfd = make_listener(AF_INET, &port, -1, 0);
	port_fd client = 99;
	char detail[256] = "";
	int64_t t0 = port_time_ms();
	port_status st;

	(void)state;
	assert_true(bfd >= 0);
	st = port_tcp_connect("127.0.0.1", port, t0 + 3000, &client, detail, sizeof(detail));
	assert_int_equal(st, PORT_E_CONNECT);
	assert_int_equal(client, PORT_FD_NONE);
	assert_true(port_time_ms() - t0 < 2000);
	if (strstr(detail, "127.0.0.1") == NULL || strstr(detail, strerror(ECONNREFUSED)) == NULL)
		fail_msg("detail \"%s\" should name the host and the reason", detail);

	/* by name: the detail names the host as given */
	{
		struct addrinfo hints, *res = NULL;
		memset(&hints, 0, sizeof(hints));
		hints.ai_family = AF_INET;
		hints.ai_socktype = SOCK_STREAM;
		if (getaddrinfo("localhost", NULL, &hints, &res) == 0) {
			freeaddrinfo(res);
			detail[0] = '\0';
			assert_int_equal(port_tcp_connect("localhost", port, port_time_ms() + 3000,
							  &client, detail, sizeof(detail)),
					 PORT_E_CONNECT);
			if (strstr(detail, "localhost") == NULL)
				fail_msg("detail \"%s\" should name the host", detail);
		}
	}

	/* a tiny detail buffer is truncated, not overflowed */
	{
		unsigned char small[8];
		size_t i;
		memset(small, CANARY, sizeof(small));
		assert_int_equal(port_tcp_connect("127.0.0.1", port, port_time_ms() + 3000, &client,
						  (char *)small, 4),
				 PORT_E_CONNECT);
		assert_int_equal(strlen((char *)small), 3);
		for (i = 4; i < sizeof(small); i++)
			assert_int_equal(small[i], CANARY);
		assert_int_equal(port_tcp_connect("127.0.0.1", port, port_time_ms() + 3000, &client,
						  NULL, 0),
				 PORT_E_CONNECT);
	}
	close(bfd);
}

static void test_tcp_dns_failure(void **state)
{
	port_fd client = 99;
	char detail[256] = "";

	(void)state;
	assert_int_equal(port_tcp_connect("nonexistent.invalid", 443, port_time_ms() + 10000,
					  &client, detail, sizeof(detail)),
			 PORT_E_DNS);
	assert_int_equal(client, PORT_FD_NONE);
	if (strstr(detail, "nonexistent.invalid") == NULL)
		fail_msg("detail \"%s\" should name the host", detail);
	/* a malformed literal is a resolution failure too, not a crash */
	assert_int_equal(port_tcp_connect("999.1.1.1.1.invalid", 443, port_time_ms() + 10000,
					  &client, NULL, 0),
			 PORT_E_DNS);
}

/* A listener with backlog 0 holds one completed connection; the kernel then drops further
 * SYNs, so the next connect waits until its deadline. */
static void test_tcp_connect_timeout(void **state)
{
	uint16_t port = 0;
	int lfd = make_listener(AF_INET, &port, 0, 0);
	port_fd held[4];
	int nheld = 0, timed_out = 0, i;

	(void)state;
	assert_true(lfd >= 0);
	for (i = 0; i < 4 && !timed_out; i++) {
		char detail[256] = "";
		port_fd fd = PORT_FD_NONE;
		int64_t t0 = port_time_ms(), dt;
		port_status st =
			port_tcp_connect("127.0.0.1", port, t0 + 300, &fd, detail, sizeof(detail));
		dt = port_time_ms() - t0;
		if (st == PORT_OK) {
			held[nheld++] = fd;
			assert_connected(fd);
			continue;
		}
		assert_int_equal(st, PORT_E_TIMEOUT);
		assert_int_equal(fd, PORT_FD_NONE);
		if (dt < 290 || dt > 2000)
			fail_msg("timed out after %lld ms for a 300 ms deadline", (long long)dt);
		if (strstr(detail, "127.0.0.1") == NULL || strstr(detail, "timed out") == NULL)
			fail_msg("detail \"%s\"", detail);
		timed_out = 1;
	}
	for (i = 0; i < nheld; i++)
		port_close(held[i]);
	close(lfd);
	if (!timed_out) {
		print_message("skipped: this kernel accepted every connection\n");
		skip();
	}
}

static void test_recv_timeout(void **state)
{
	uint16_t port = 0;
	int lfd = make_listener(AF_INET, &port, 8, 0), server;
	port_fd client = PORT_FD_NONE;
	char buf[16];
	size_t got = 99;
	int64_t t0, dt;

	(void)state;
	assert_true(lfd >= 0);
	connect_pair("127.0.0.1", lfd, port, &client, &server);

	t0 = port_time_ms();
	assert_int_equal(port_recv(client, buf, sizeof(buf), t0 + 250, &got), PORT_E_TIMEOUT);
	dt = port_time_ms() - t0;
	assert_int_equal(got, 0);
	if (dt < 250 || dt > 1500)
		fail_msg("port_recv timed out after %lld ms for a 250 ms deadline", (long long)dt);

	/* a deadline already passed: immediate timeout when nothing is there */
	t0 = port_time_ms();
	assert_int_equal(port_recv(client, buf, sizeof(buf), t0 - 1000, &got), PORT_E_TIMEOUT);
	assert_true(port_time_ms() - t0 < 100);

	/* ...but data already there is returned */
	assert_int_equal(send(server, "abc", 3, 0), 3);
	port_sleep_ms(20);
	assert_int_equal(port_recv(client, buf, sizeof(buf), port_time_ms() - 1000, &got), PORT_OK);
	assert_int_equal(got, 3);
	assert_memory_equal(buf, "abc", 3);

	/* data arriving before the deadline wakes the wait */
	assert_int_equal(send(server, "d", 1, 0), 1);
	assert_int_equal(port_recv(client, buf, sizeof(buf), port_time_ms() + 5000, &got), PORT_OK);
	assert_int_equal(got, 1);

	port_close(client);
	close(server);
	close(lfd);
}

static void test_recv_peer_close(void **state)
{
	uint16_t port = 0;
	int lfd = make_listener(AF_INET, &port, 8, 0), server;
	port_fd client = PORT_FD_NONE;
	char buf[16];
	size_t got = 99;

	(void)state;
	assert_true(lfd >= 0);
	connect_pair("127.0.0.1", lfd, port, &client, &server);
	assert_int_equal(send(server, "last", 4, 0), 4);
	close(server);
	assert_int_equal(port_recv(client, buf, sizeof(buf), port_time_ms() + 2000, &got), PORT_OK);
	assert_int_equal(got, 4);
	got = 99;
	assert_int_equal(port_recv(client, buf, sizeof(buf), port_time_ms() + 2000, &got), PORT_OK);
	assert_int_equal(got, 0);
	/* and again: still end of stream */
	got = 99;
	assert_int_equal(port_recv(client, buf, sizeof(buf), port_time_ms() + 2000, &got), PORT_OK);
	assert_int_equal(got, 0);
	port_close(client);
	close(lfd);
}

static void reset_peer(int server)
{
	struct linger lg;

	lg.l_onoff = 1;
	lg.l_linger = 0;
	assert_int_equal(setsockopt(server, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
	assert_int_equal(close(server), 0);
}

/* Waits (without reading) until the RST has reached the client socket. */
static void wait_reset_arrived(port_fd client)
{
	struct pollfd p;

	p.fd = client;
	p.events = POLLIN;
	p.revents = 0;
	assert_int_equal(poll(&p, 1, 2000), 1);
}

static void test_reset(void **state)
{
	uint16_t port = 0;
	int lfd = make_listener(AF_INET, &port, 8, 0), server;
	port_fd client = PORT_FD_NONE;
	char buf[16];
	size_t got = 99, sent = 99;

	(void)state;
	assert_true(lfd >= 0);

	/* recv after the peer reset */
	connect_pair("127.0.0.1", lfd, port, &client, &server);
	reset_peer(server);
	assert_int_equal(port_recv(client, buf, sizeof(buf), port_time_ms() + 2000, &got),
			 PORT_E_RESET);
	assert_int_equal(got, 0);
	/* a send on the dead connection is a reset too (EPIPE), and raises no SIGPIPE */
	assert_int_equal(port_send(client, "x", 1, port_time_ms() + 2000, &sent), PORT_E_RESET);
	assert_int_equal(sent, 0);
	port_close(client);

	/* send as the first call after the reset */
	connect_pair("127.0.0.1", lfd, port, &client, &server);
	reset_peer(server);
	wait_reset_arrived(client);
	sent = 99;
	assert_int_equal(port_send(client, "x", 1, port_time_ms() + 2000, &sent), PORT_E_RESET);
	assert_int_equal(sent, 0);
	port_close(client);

	/* recv while waiting: the reset arrives during the poll */
	connect_pair("127.0.0.1", lfd, port, &client, &server);
	{
		int64_t t0 = port_time_ms();
		/* nothing pending: the first recv times out quickly, then the reset is seen */
		assert_int_equal(port_recv(client, buf, sizeof(buf), t0 + 50, &got),
				 PORT_E_TIMEOUT);
		reset_peer(server);
		assert_int_equal(port_recv(client, buf, sizeof(buf), port_time_ms() + 2000, &got),
				 PORT_E_RESET);
	}
	port_close(client);
	close(lfd);
}

/* The peer does not read: port_send fills the buffers, then waits until its deadline. */
static void test_send_timeout(void **state)
{
	static unsigned char chunk[65536];
	uint16_t port = 0;
	int lfd = make_listener(AF_INET, &port, 8, 4096), server, small = 4096;
	port_fd client = PORT_FD_NONE;
	size_t total = 0, sent = 0;
	port_status st = PORT_OK;
	int64_t t0 = 0, dt;
	int calls = 0;

	(void)state;
	assert_true(lfd >= 0);
	connect_pair("127.0.0.1", lfd, port, &client, &server);
	assert_int_equal(setsockopt(client, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)), 0);
	memset(chunk, 'z', sizeof(chunk));
	while (st == PORT_OK && calls < 100000) {
		t0 = port_time_ms();
		st = port_send(client, chunk, sizeof(chunk), t0 + 200, &sent);
		if (st == PORT_OK) {
			assert_true(sent > 0 && sent <= sizeof(chunk));
			total += sent;
		}
		calls++;
	}
	dt = port_time_ms() - t0;
	assert_int_equal(st, PORT_E_TIMEOUT);
	assert_int_equal(sent, 0);
	assert_true(total > 0);
	if (dt < 200 || dt > 1500)
		fail_msg("port_send timed out after %lld ms for a 200 ms deadline", (long long)dt);
	port_close(client);
	close(server);
	close(lfd);
}

/* 1 MiB each way through small steps, checking every byte. port_send / port_recv are used with
 * a deadline of "now" so the single-threaded test never blocks; the peer side drains or feeds
 * with MSG_DONTWAIT. */
static void test_bulk_both_ways(void **state)
{
	enum { TOTAL = 1 << 20 };
	unsigned char *src = malloc(TOTAL), *dst = malloc(TOTAL);
	uint16_t port = 0;
	int lfd = make_listener(AF_INET, &port, 8, 0), server, spins = 0;
	port_fd client = PORT_FD_NONE;
	size_t out = 0, in = 0;

	(void)state;
	assert_non_null(src);
	assert_non_null(dst);
	assert_true(lfd >= 0);
	pattern(src, TOTAL, 11);
	connect_pair("127.0.0.1", lfd, port, &client, &server);

	/* client -> server */
	while (in < TOTAL && spins++ < 1000000) {
		size_t sent = 0;
		ssize_t r;
		if (out < TOTAL) {
			port_status st =
				port_send(client, src + out, TOTAL - out, port_time_ms(), &sent);
			assert_true(st == PORT_OK || st == PORT_E_TIMEOUT);
			out += sent;
		}
		r = recv(server, dst + in, TOTAL - in, MSG_DONTWAIT);
		if (r > 0)
			in += (size_t)r;
		else
			assert_true(r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
	}
	assert_int_equal(in, TOTAL);
	assert_memory_equal(dst, src, TOTAL);

	/* server -> client */
	memset(dst, 0, TOTAL);
	out = in = 0;
	spins = 0;
	while (in < TOTAL && spins++ < 1000000) {
		size_t got = 0;
		port_status st;
		if (out < TOTAL) {
			ssize_t r = send(server, src + out, TOTAL - out, MSG_DONTWAIT);
			if (r > 0)
				out += (size_t)r;
		}
		st = port_recv(client, dst + in, TOTAL - in, port_time_ms(), &got);
		assert_true(st == PORT_OK || st == PORT_E_TIMEOUT);
		if (st == PORT_OK)
			assert_true(got > 0);
		in += got;
	}
	assert_int_equal(in, TOTAL);
	assert_memory_equal(dst, src, TOTAL);

	port_close(client);
	close(server);
	close(lfd);
	free(src);
	free(dst);
}

static void test_close_none_and_strerror(void **state)
{
	(void)state;
	port_close(PORT_FD_NONE);
	port_file_close(PORT_FD_NONE);
	errno = ENOENT;
	assert_string_equal(port_strerror(), strerror(ENOENT));
	errno = ECONNREFUSED;
	assert_string_equal(port_strerror(), strerror(ECONNREFUSED));
}

/* port_write to fd 1 / fd 2, captured through a temp file. */
static void capture_write(int stream, const char *text, size_t len, int want_fd)
{
	char path[256], back[64];
	int saved, fd;
	ssize_t r;

	path_in(path, sizeof(path), "captured");
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	fflush(stdout);
	fflush(stderr);
	saved = dup(want_fd);
	assert_true(saved >= 0);
	assert_true(dup2(fd, want_fd) >= 0);
	r = port_write(stream, text, len) == 0 ? 0 : -1;
	assert_true(dup2(saved, want_fd) >= 0);
	close(saved);
	assert_int_equal(r, 0);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	r = read(fd, back, sizeof(back));
	close(fd);
	assert_int_equal(r, (ssize_t)len);
	assert_memory_equal(back, text, len);
}

static void test_write(void **state)
{
	(void)state;
	capture_write(1, "to stdout\n", 10, 1);
	capture_write(2, "to stderr\n", 10, 2);
	capture_write(1, "", 0, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_monotonic_clock),
		cmocka_unit_test(test_wall_clock),
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_mbedtls_entropy),
		cmocka_unit_test(test_env),
		cmocka_unit_test(test_read_file_sizes),
		cmocka_unit_test(test_read_file_empty),
		cmocka_unit_test(test_read_file_mode),
		cmocka_unit_test(test_read_file_errors),
		cmocka_unit_test(test_read_file_access),
		cmocka_unit_test(test_file_chunks),
		cmocka_unit_test(test_is_dir_is_file),
		cmocka_unit_test(test_dir_each),
		cmocka_unit_test(test_tcp_ipv4),
		cmocka_unit_test(test_tcp_ipv6),
		cmocka_unit_test(test_tcp_localhost_name),
		cmocka_unit_test(test_tcp_refused),
		cmocka_unit_test(test_tcp_dns_failure),
		cmocka_unit_test(test_tcp_connect_timeout),
		cmocka_unit_test(test_recv_timeout),
		cmocka_unit_test(test_recv_peer_close),
		cmocka_unit_test(test_reset),
		cmocka_unit_test(test_send_timeout),
		cmocka_unit_test(test_bulk_both_ways),
		cmocka_unit_test(test_close_none_and_strerror),
		cmocka_unit_test(test_write),
	};

	return cmocka_run_group_tests(tests, setup_tmpdir, teardown_tmpdir);
}
