/* SPDX-License-Identifier: MIT */
/*
 * kernel-shim - an LD_PRELOAD library that makes this machine's kernel
 * behave like older ones, so that every fallback path of libsshm runs in
 * CI even where no kernel offered here has the old behaviour.  What it
 * emulates is chosen by SSHM_SHIM, a comma-separated list:
 *
 *  pidfd-errno   Linux 6.5 to ~6.15: an SCM_PIDFD for a sender that has
 *                exited and been reaped carries -EINVAL instead of a pidfd.
 *  mmap-eperm    Linux before 6.7 (6.1 before 6.1.149, 6.12 before
 *                6.12.9): a read-only MAP_SHARED mapping of a write-sealed
 *                memfd opened O_RDWR fails with EPERM (VM_MAYWRITE).
 *  no-proc       no /proc: opening /proc/self/fd/N fails with ENOENT.
 *  no-passpidfd  Linux before 6.5: SO_PASSPIDFD is unknown (ENOPROTOOPT).
 *  no-noexec     Linux before 6.3: memfd_create rejects MFD_NOEXEC_SEAL.
 *  thp-never, thp-within_size
 *                not a kernel's age but a setting: what
 *                /sys/kernel/mm/transparent_hugepage/shmem_enabled says,
 *                so that the choices made from it (send_bytes' paths) are
 *                tested whatever this machine is set to.
 *
 * Only the calls named above are touched; everything else goes straight
 * to the C library.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kernel-abi.h"

static int want(const char *what)
{
	const char *s = getenv("SSHM_SHIM");
	size_t n = strlen(what);

	while (s && *s) {
		if (strncmp(s, what, n) == 0 && (s[n] == ',' || s[n] == '\0'))
			return 1;
		s = strchr(s, ',');
		if (s)
			s++;
	}
	return 0;
}

/* The build hides symbols by default (-fvisibility=hidden): these must be
 * seen to interpose. */
#define SHIM __attribute__((visibility("default")))

#define REAL(name) ((__typeof__(&name))dlsym(RTLD_NEXT, #name))

SHIM ssize_t recvmsg(int fd, struct msghdr *mh, int flags)
{
	ssize_t n = REAL(recvmsg)(fd, mh, flags);
	struct cmsghdr *c;
	int saved = errno;

	if (n < 0 || !want("pidfd-errno"))
		return n;
	for (c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		int pidfd, value = -EINVAL;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_PIDFD ||
		    c->cmsg_len != CMSG_LEN(sizeof(int)))
			continue;
		memcpy(&pidfd, CMSG_DATA(c), sizeof(int));
		/* ESRCH: the process was reaped (a zombie still answers). */
		if (pidfd < 0 || syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) == 0 ||
		    errno != ESRCH)
			continue;
		close(pidfd);
		memcpy(CMSG_DATA(c), &value, sizeof(int));
	}
	errno = saved;
	return n;
}

static int is_write_sealed_rdwr(int fd)
{
	int seals = fcntl(fd, F_GET_SEALS), fl = fcntl(fd, F_GETFL);

	return seals >= 0 && (seals & F_SEAL_WRITE) && fl >= 0 &&
	       (fl & O_ACCMODE) == O_RDWR;
}

SHIM void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	if (want("mmap-eperm") && fd >= 0 && !(prot & PROT_WRITE) &&
	    (flags & MAP_TYPE) == MAP_SHARED && is_write_sealed_rdwr(fd)) {
		errno = EPERM;
		return MAP_FAILED;
	}
	return REAL(mmap)(addr, len, prot, flags, fd, off);
}

#define SHMEM_ENABLED "/sys/kernel/mm/transparent_hugepage/shmem_enabled"

/* The shmem THP mode file as an emulation says it reads, or -2: not
 * emulated. */
static int fake_shmem_enabled(const char *path)
{
	const char *text = NULL;
	int fd;

	if (!path || strcmp(path, SHMEM_ENABLED) != 0)
		return -2;
	if (want("thp-never"))
		text = "always within_size advise [never] deny force\n";
	else if (want("thp-within_size"))
		text = "always [within_size] advise never deny force\n";
	if (!text)
		return -2;
	fd = (int)syscall(SYS_memfd_create, "shmem_enabled", MFD_CLOEXEC);
	if (fd < 0)
		return -1;
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text) ||
	    lseek(fd, 0, SEEK_SET) != 0) {
		close(fd);
		errno = EIO;
		return -1;
	}
	return fd;
}

static int is_proc_fd(const char *path)
{
	return path && (strncmp(path, "/proc/self/fd/", 14) == 0 ||
			strncmp(path, "/proc/thread-self/fd/", 21) == 0);
}

/* What open() and open64() do before the C library's: a faked file, a
 * refusal (-1, errno set), or -2: go on to the real call. */
static int open_shimmed(const char *path)
{
	int fake = fake_shmem_enabled(path);

	if (fake != -2)
		return fake;
	if (want("no-proc") && is_proc_fd(path)) {
		errno = ENOENT;
		return -1;
	}
	return -2;
}

/* The mode argument is there only with O_CREAT or O_TMPFILE. */
#define OPEN_MODE(flags, mode)                                                           \
	do {                                                                             \
		va_list ap_;                                                             \
		if ((flags) & (O_CREAT | __O_TMPFILE)) {                                 \
			va_start(ap_, flags);                                            \
			(mode) = va_arg(ap_, mode_t);                                    \
			va_end(ap_);                                                     \
		}                                                                        \
	} while (0)

SHIM int open(const char *path, int flags, ...)
{
	mode_t mode = 0;
	int r = open_shimmed(path);

	if (r != -2)
		return r;
	OPEN_MODE(flags, mode);
	return REAL(open)(path, flags, mode);
}

SHIM int open64(const char *path, int flags, ...)
{
	mode_t mode = 0;
	int r = open_shimmed(path);

	if (r != -2)
		return r;
	OPEN_MODE(flags, mode);
	return REAL(open64)(path, flags, mode);
}

SHIM int setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
	if (want("no-passpidfd") && level == SOL_SOCKET &&
	    (name == SO_PASSPIDFD || name == SO_PEERPIDFD)) {
		errno = ENOPROTOOPT;
		return -1;
	}
	return REAL(setsockopt)(fd, level, name, val, len);
}

SHIM int getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
	if (want("no-passpidfd") && level == SOL_SOCKET &&
	    (name == SO_PASSPIDFD || name == SO_PEERPIDFD)) {
		errno = ENOPROTOOPT;
		return -1;
	}
	return REAL(getsockopt)(fd, level, name, val, len);
}

SHIM long syscall(long nr, ...)
{
	long a[6];
	va_list ap;
	int i;

	va_start(ap, nr);
	for (i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	if (nr == SYS_memfd_create && want("no-noexec") &&
	    ((unsigned long)a[1] & MFD_NOEXEC_SEAL)) {
		errno = EINVAL;
		return -1;
	}
	return REAL(syscall)(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}

SHIM int memfd_create(const char *name, unsigned int flags)
{
	if (want("no-noexec") && (flags & MFD_NOEXEC_SEAL)) {
		errno = EINVAL;
		return -1;
	}
	return REAL(memfd_create)(name, flags);
}
