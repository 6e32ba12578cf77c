/*
 * Direct Linux system calls for the POSIX port, through the C library's syscall(): for the
 * calls whose libc wrapper carries code this single-threaded program never needs. In static
 * musl these wrappers pull in thread synchronisation (setrlimit's __synccall, semaphores and
 * timed waits), conversion tables for other callers (ioctl's and [gs]etsockopt's time64
 * translation on 32-bit targets, fcntl's F_GETOWN and F_SETFL fix-ups), or fall-backs for
 * descriptors we never have (fchmod's /proc/self/fd path for O_PATH descriptors). Every
 * helper here does what the libc call does for the arguments the port passes, returns the
 * same value, and sets errno the same way (syscall() returns -1 with errno on failure).
 * Elsewhere (BSD, macOS) each is the plain libc call.
 */
#ifndef ECS_SYSRAW_H
#define ECS_SYSRAW_H

#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__linux__)
#include <sys/syscall.h>

/* Arguments go as long: syscall() reads every one as a long (an int passed through "..."
 * may leave the upper half of a 64-bit register undefined). */
#define SYSRAW(n, a, b, c) syscall((n), (long)(a), (long)(b), (long)(c))

/* F_GETFD and F_SETFD: nothing for libc to fix up. */
static inline int sys_fcntl(int fd, int cmd, long arg)
{
#if defined(SYS_fcntl64)
	return (int)SYSRAW(SYS_fcntl64, fd, cmd, arg);
#else
	return (int)SYSRAW(SYS_fcntl, fd, cmd, arg);
#endif
}

/* TIOCGWINSZ: the argument is a plain pointer, nothing to translate. */
static inline int sys_ioctl(int fd, unsigned long req, void *p)
{
	return (int)syscall(SYS_ioctl, (long)fd, (long)req, p);
}

static inline int sys_fchmod(int fd, mode_t mode)
{
	return (int)SYSRAW(SYS_fchmod, fd, mode, 0);
}

/* SO_ERROR and TCP_NODELAY, int values: no time64 translation involved. */
static inline int sys_getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
	return (int)syscall(SYS_getsockopt, (long)fd, (long)level, (long)name, val, len);
}

static inline int sys_setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
	return (int)syscall(SYS_setsockopt, (long)fd, (long)level, (long)name, val, (long)len);
}

/* The st_mode of a file, by descriptor or by path (links followed): all the port needs to
 * know of one. musl's fstat() and stat() go through its fstatat(), which converts the kernel's
 * structure field by field (the time64 layout on 32-bit targets) and handles O_PATH
 * descriptors: 0.5 KB on x86_64, 0.9 KB on armhf. On 64-bit targets the kernel's struct stat
 * is the C library's; on 32-bit ARM (EABI) and MIPS (o32) the kernel's struct stat64 has
 * st_mode at byte 16 and 24 (musl's arch/ARCH/kstat.h says the same). Elsewhere: libc. */
#if defined(__x86_64__) && !defined(__ILP32__) || defined(__aarch64__)
static inline int sys_fmode(int fd, unsigned *mode)
{
	struct stat st;
	int r = (int)SYSRAW(SYS_fstat, fd, &st, 0);

	*mode = r == 0 ? (unsigned)st.st_mode : 0u;
	return r;
}

static inline int sys_mode(const char *path, unsigned *mode)
{
	struct stat st;
	int r = (int)syscall(SYS_newfstatat, (long)AT_FDCWD, path, &st, 0L);

	*mode = r == 0 ? (unsigned)st.st_mode : 0u;
	return r;
}
#define SYS_MODE_RAW 1
#elif defined(__ARM_EABI__) || defined(__mips__) && defined(_ABIO32) && _MIPS_SIM == _ABIO32
#if defined(__ARM_EABI__)
#define SYS_STAT64_MODE 16
#else
#define SYS_STAT64_MODE 24
#endif
static inline int sys_fmode(int fd, unsigned *mode)
{
	unsigned char k[160] __attribute__((aligned(8)));
	int r = (int)SYSRAW(SYS_fstat64, fd, k, 0);

	*mode = 0;
	if (r == 0)
		memcpy(mode, k + SYS_STAT64_MODE, sizeof(*mode));
	return r;
}

static inline int sys_mode(const char *path, unsigned *mode)
{
	unsigned char k[160] __attribute__((aligned(8)));
	int r = (int)SYSRAW(SYS_stat64, path, k, 0);

	*mode = 0;
	if (r == 0)
		memcpy(mode, k + SYS_STAT64_MODE, sizeof(*mode));
	return r;
}
#define SYS_MODE_RAW 1
#endif
#else
#define sys_fcntl(fd, cmd, arg)			  fcntl((fd), (cmd), (arg))
#define sys_ioctl(fd, req, p)			  ioctl((fd), (req), (p))
#define sys_fchmod(fd, mode)			  fchmod((fd), (mode))
#define sys_getsockopt(fd, level, name, val, len) getsockopt((fd), (level), (name), (val), (len))
#define sys_setsockopt(fd, level, name, val, len) setsockopt((fd), (level), (name), (val), (len))
#endif

#if !defined(SYS_MODE_RAW)
static inline int sys_fmode(int fd, unsigned *mode)
{
	struct stat st;
	int r = fstat(fd, &st);

	*mode = r == 0 ? (unsigned)st.st_mode : 0u;
	return r;
}

static inline int sys_mode(const char *path, unsigned *mode)
{
	struct stat st;
	int r = stat(path, &st);

	*mode = r == 0 ? (unsigned)st.st_mode : 0u;
	return r;
}
#endif

/* Sets the disposition of one signal to SIG_IGN or SIG_DFL with sigaction() (port_sys.c). */
void posix_sig_set(int signo, void (*handler)(int));

#endif
