/* SPDX-License-Identifier: MIT */
/*
 * attack-fds - rows 7 and 12 of the threat matrix: descriptors that are not
 * memfds, passed as a REGION's (pipe, socket, terminal, directory,
 * /dev/null, files on disk and in /dev/shm, an O_PATH or write-only
 * descriptor of a sealed memfd, an eventfd, a pidfd), and the attacker's
 * own socket end.  Each must be refused without being read, polled,
 * mapped or given an ioctl: the pipe and the socket hold bytes, the
 * eventfd a count, the files an atime, that must all still be there.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "hostile.h"

#define U      OBJ_UNTOUCHED
#define CANARY "canary"

/* Sends @fd (registered) as REGION 1 of 4096 bytes: it must be refused. */
static void refuse(struct run *r, int fd)
{
	uint64_t size = 4096;

	if (fd >= 0)
		expect_refuse_each(r, &fd, &size, 1);
}

/* A pipe's read end, with bytes in it that nobody may read. */
static void pipe_end(struct run *r, int arg)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0) {
		run_syserr(r, -errno, "pipe2");
		return;
	}
	if (write(p[1], CANARY, strlen(CANARY)) != (ssize_t)strlen(CANARY)) {
		run_syserr(r, -errno, "write");
		close(p[0]);
		close(p[1]);
		return;
	}
	if (obj_add(r, p[1], "pipe", PROBE_NONE, 0, U) >= 0)
		refuse(r,
		       obj_add(r, p[0], "pipe", PROBE_QUEUED, (long)strlen(CANARY), U));
	else
		close(p[0]);
}

static void socket_end(struct run *r, int arg)
{
	int s[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, s) < 0) {
		run_syserr(r, -errno, "socketpair");
		return;
	}
	if (write(s[1], CANARY, strlen(CANARY)) != (ssize_t)strlen(CANARY)) {
		run_syserr(r, -errno, "write");
		close(s[0]);
		close(s[1]);
		return;
	}
	if (obj_add(r, s[1], "socket", PROBE_NONE, 0, U) >= 0)
		refuse(r,
		       obj_add(r, s[0], "socket", PROBE_QUEUED, (long)strlen(CANARY), U));
	else
		close(s[0]);
}

/* A pseudo-terminal's slave: TIOCSTI on it would type into its session. */
static void tty(struct run *r, int arg)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC), s = -1;
	const char *name;

	if (m < 0) {
		run_skip(r, "posix_openpt: %s", strerror(errno));
		return;
	}
	if (grantpt(m) == 0 && unlockpt(m) == 0 && (name = ptsname(m)))
		s = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (s < 0) {
		run_skip(r, "no pseudo-terminal slave: %s", strerror(errno));
		close(m);
		return;
	}
	if (obj_add(r, m, "terminal", PROBE_NONE, 0, U) >= 0)
		refuse(r, obj_add(r, s, "terminal", PROBE_ATIME, 0, U));
	else
		close(s);
}

static void directory(struct run *r, int arg)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/sshm-hostile-XXXXXX", obj_tmpdir());
	if (!mkdtemp(path)) {
		run_syserr(r, -errno, path);
		return;
	}
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	rmdir(path);
	refuse(r, obj_add(r, fd, "directory", PROBE_ATIME, 0, U));
}

static void dev_null(struct run *r, int arg)
{
	refuse(r, obj_add(r, open("/dev/null", O_RDWR | O_CLOEXEC), "/dev/null",
			  PROBE_NONE, 0, U));
}

/* A regular file of 4096 bytes, the size announced, under @dir, unlinked. */
static int file_in(struct run *r, const char *dir, const char *what)
{
	char path[PATH_MAX], buf[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/sshm-hostile-XXXXXX", dir);
	fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0) {
		run_syserr(r, -errno, path);
		return -1;
	}
	unlink(path);
	memset(buf, 'f', sizeof(buf));
	if (write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf)) {
		run_syserr(r, -errno, "write");
		close(fd);
		return -1;
	}
	return obj_add(r, fd, what, PROBE_ATIME, 0, U);
}

static void regular_file(struct run *r, int arg)
{
	refuse(r, file_in(r, obj_tmpdir(), "file on disk"));
}

/* tmpfs like a memfd, but a mount of its own: not the memfd mount. */
static void dev_shm_file(struct run *r, int arg)
{
	if (access("/dev/shm", W_OK) < 0) {
		run_skip(r, "/dev/shm: %s", strerror(errno));
		return;
	}
	refuse(r, file_in(r, "/dev/shm", "file in /dev/shm"));
}

/* Another open file of a sealed memfd, opened by its /proc/self/fd link. */
static int reopen(struct run *r, int flags, const char *what)
{
	char path[64];
	int m = obj_sealed(r, 4096, U);

	if (m < 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", m);
	return obj_add(r, open(path, flags | O_CLOEXEC), what, PROBE_NONE, 0, U);
}

static void opath_memfd(struct run *r, int arg)
{
	refuse(r, reopen(r, O_PATH, "O_PATH memfd"));
}

/* Passes every check of the descriptor, fails the read-only mapping:
 * refused with an errno (EACCES), not a library code. */
static void write_only_memfd(struct run *r, int arg)
{
	refuse(r, reopen(r, O_WRONLY, "write-only memfd"));
}

static void event_fd(struct run *r, int arg)
{
	refuse(r, obj_add(r, eventfd(7, EFD_CLOEXEC | EFD_NONBLOCK), "eventfd",
			  PROBE_COUNTER, 7, U));
}

/* A pidfd of a child of ours (never of this process: the consumer holds
 * pidfds of its peers by right, and they would look alike). */
static void pid_fd(struct run *r, int arg)
{
	pid_t pid = fork();
	long fd;

	if (pid < 0) {
		run_syserr(r, -errno, "fork");
		return;
	}
	if (pid == 0) {
		for (;;)
			pause();
	}
	run_child(r, pid);
#ifdef SYS_pidfd_open
	fd = syscall(SYS_pidfd_open, pid, 0);
#else
	fd = -1;
	errno = ENOSYS;
#endif
	if (fd < 0) {
		run_skip(r, "pidfd_open: %s", strerror(errno));
		return;
	}
	refuse(r, obj_add(r, (int)fd, "pidfd", PROBE_NONE, 0, U));
}

/* Row 12: the attacker's own end of the connection, as the region.  Kept
 * by the consumer, our close would never reach it as end of file: both our
 * descriptors of it are closed at the end, and a consumer that serves one
 * connection at a time must then get to the honest producer. */
static void own_socket_end(struct run *r, int arg)
{
	struct conn *c = peer_start(r);
	int fd;

	if (!c)
		return;
	/* A duplicate, the object's own: the connection closes the other. */
	fd = obj_add(r, fcntl(c->fd, F_DUPFD_CLOEXEC, 3), "socket", PROBE_NONE, 0, U);
	if (fd < 0)
		return;
	if (expect_refused(r, c, 1, 4096, c->fd, fd) == 0)
		run_note(r, "released 1/1");
	expect_kept(r, c);
	obj_close(r, fd);
}

const struct attack attacks_fds[] = {
	ATTACK("pipe", 7, "refused", "a pipe's read end, with bytes queued", pipe_end, 0),
	ATTACK("socket", 7, "refused", "a stream socket, with bytes queued", socket_end,
	       0),
	ATTACK("tty", 7, "refused", "a pseudo-terminal slave", tty, 0),
	ATTACK("directory", 7, "refused", "a directory", directory, 0),
	ATTACK("dev-null", 7, "refused", "/dev/null", dev_null, 0),
	ATTACK("regular-file", 7, "refused", "a 4096-byte file on disk", regular_file, 0),
	ATTACK("dev-shm-file", 7, "refused", "a 4096-byte file in /dev/shm", dev_shm_file,
	       0),
	ATTACK("opath-memfd", 7, "refused", "an O_PATH descriptor of a sealed memfd",
	       opath_memfd, 0),
	ATTACK("write-only-memfd", 7, "refused", "a sealed memfd reopened write-only",
	       write_only_memfd, 0),
	ATTACK("eventfd", 7, "refused", "an eventfd holding a count", event_fd, 0),
	ATTACK("pidfd", 7, "refused", "a pidfd of another process", pid_fd, 0),
	ATTACK("own-socket-end", 12, "refused",
	       "the attacker's own end of the connection", own_socket_end, 0),
};
const size_t n_attacks_fds = ELEMENTSOF(attacks_fds);
