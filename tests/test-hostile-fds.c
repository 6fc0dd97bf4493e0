/* SPDX-License-Identifier: MIT */
/*
 * test-hostile-fds - rows 7 and 12 of the threat matrix in
 * doc/threat-model.md: the attacker passes an fd that is not a memfd (pipe,
 * FIFO, eventfd, secretmem, socket, tty, directory, /dev/null, files on
 * disk, on /dev/shm, on procfs and sysfs, a pidfd, O_PATH, a write-only
 * reopening of a sealed memfd) or a socket end of the channel itself.
 * Each is rejected with its own code without a read, poll or ioctl, closed
 * at once, never mapped, released, and the channel goes on.  The harness
 * is hostile.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "macro.h"
#include "sshm.h"
#include "testlib.h"
#include "hostile.h"

/* ------------------------------------------------------------ row 7: non-memfds */

START_TEST(test_hostile_row07_pipe)
{
	int p[2];
	char buf[8];

	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	/* A canary in the pipe: still there afterwards, so nothing read it. */
	ck_assert_int_eq(write(p[1], "canary", 6), 6);
	ck_assert_int_eq(fcntl(p[0], F_SETFL, O_NONBLOCK), 0);
	{
		struct atk a;

		atk_open(&a);
		expect_fd_rejected(&a, 1, p[0], 4096, NULL, -SSHM_ENOTREG);
		atk_close(&a);
	}
	ck_assert_int_eq(read(p[0], buf, sizeof(buf)), 6);
	ck_assert_mem_eq(buf, "canary", 6);
	close(p[0]);
	close(p[1]);
	/* Empty, with a writer that never writes: a read or poll would block
	 * forever (the test would time out). */
	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	fd_case(p[0], 4096, -SSHM_ENOTREG);
	close(p[1]);
}
END_TEST

START_TEST(test_hostile_row07_fifo)
{
	/* A named FIFO on disk, opened without blocking (O_RDWR). */
	char dir[] = "/var/tmp/sshm-hostile-XXXXXX", path[64];
	int fd;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/fifo", dir);
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	fd = open(path, O_RDWR | O_CLOEXEC | O_NONBLOCK);
	unlink(path);
	rmdir(dir);
	fd_case(fd, 4096, -SSHM_ENOTREG);
}
END_TEST

START_TEST(test_hostile_row07_eventfd)
{
	/* An anonymous inode. */
	fd_case(eventfd(0, EFD_CLOEXEC), 4096, -SSHM_ENOTREG);
}
END_TEST

static const char *need_memfd_secret(void)
{
	long fd = syscall(SYS_memfd_secret, 0);

	if (fd < 0)
		return "memfd_secret(2) is not available (Linux < 5.14, or secretmem "
		       "disabled)";
	close((int)fd);
	return NULL;
}

START_TEST(test_hostile_row07_memfd_secret)
{
	/* A regular file on another internal mount (secretmem): not a memfd,
	 * and mapping it would fault on another process's secret pages. */
	int fd = (int)syscall(SYS_memfd_secret, O_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, 4096), 0);
	fd_case(fd, 4096, -SSHM_ENOTMEMFD);
}
END_TEST

START_TEST(test_hostile_row07_socket)
{
	int s[2];

	char buf[8];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, s), 0);
	ck_assert_int_eq(write(s[1], "canary", 6), 6);
	{
		struct atk a;

		atk_open(&a);
		expect_fd_rejected(&a, 1, s[0], 4096, NULL, -SSHM_ENOTREG);
		atk_close(&a);
	}
	ck_assert_int_eq(recv(s[0], buf, sizeof(buf), MSG_DONTWAIT), 6);
	ck_assert_mem_eq(buf, "canary", 6);
	close(s[0]);
	close(s[1]);
}
END_TEST

START_TEST(test_hostile_row07_tty)
{
	/* TIOCSTI on a tty the consumer holds would inject input: the fd must
	 * be rejected by fcntl/fstat alone. */
	int fd = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);

	ck_assert_msg(fd >= 0, "posix_openpt: %s", strerror(errno));
	fd_case(fd, 4096, -SSHM_ENOTREG);
}
END_TEST

START_TEST(test_hostile_row07_directory)
{
	fd_case(open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC), 4096, -SSHM_ENOTREG);
}
END_TEST

START_TEST(test_hostile_row07_dev_null)
{
	fd_case(open("/dev/null", O_RDWR | O_CLOEXEC), 4096, -SSHM_ENOTREG);
}
END_TEST

START_TEST(test_hostile_row07_regular_file)
{
	char path[] = "/var/tmp/sshm-hostile-XXXXXX";
	int fd = mkostemp(path, O_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	unlink(path);
	ck_assert_int_eq(ftruncate(fd, 4096), 0);
	fd_case(fd, 4096, -SSHM_ENOTMEMFD);
}
END_TEST

START_TEST(test_hostile_row07_dev_shm_file)
{
	/* tmpfs like a memfd, but a mounted one: not the kernel's internal
	 * shmem mount, so not a memfd. */
	char path[] = "/dev/shm/sshm-hostile-XXXXXX";
	int fd = mkostemp(path, O_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	unlink(path);
	ck_assert_int_eq(ftruncate(fd, 4096), 0);
	fd_case(fd, 4096, -SSHM_ENOTMEMFD);
}
END_TEST

START_TEST(test_hostile_row07_opath_memfd)
{
	/* An O_PATH fd of a properly sealed memfd: still refused. */
	int m = test_memfd_pattern(4096, 1, SSHM_SEALS_APPLIED), fd;
	char path[64];

	ck_assert_int_ge(m, 0);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", m);
	fd = open(path, O_PATH | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	fd_case(fd, 4096, -SSHM_EOPATH);
	close(m);
}
END_TEST

START_TEST(test_hostile_row07_write_only_memfd)
{
	/* A sealed memfd reopened write-only: it passes every fd check but
	 * cannot be mapped for reading.  A clean error, released, closed,
	 * nothing mapped, the channel usable. */
	struct atk a;
	struct sshm_view *v = NULL;
	char path[64];
	int m = test_memfd_pattern(4096, 8, SSHM_SEALS_APPLIED), wo, fds, maps, r;

	ck_assert_int_ge(m, 0);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", m);
	wo = open(path, O_WRONLY | O_CLOEXEC);
	ck_assert_int_ge(wo, 0);
	atk_open(&a);
	fds = test_fd_count();
	maps = test_map_count();
	ck_assert_int_eq(atk_region(&a, 1, 4096, wo, wo), 0);
	r = sshm_channel_recv(a.ch, NULL, &v);
	ck_assert_msg(r < 0, "a write-only fd was accepted");
	ck_assert(!is_framing(r));
	ck_assert_int_eq(test_fd_count(), fds);
	ck_assert_int_eq(test_map_count(), maps);
	ck_assert_int_eq(raw_wait_release(a.raw, 1, 5000), 0);
	atk_check_usable(&a, 2);
	close(wo);
	close(m);
	atk_close(&a);
}
END_TEST

START_TEST(test_hostile_row07_pidfd)
{
	/* A pidfd: an anonymous inode or a pidfs file, depending on the
	 * kernel; polling it would wait for a process to exit. */
	int fd = (int)syscall(SYS_pidfd_open, getpid(), 0);
	struct stat st;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fstat(fd, &st), 0);
	fd_case(fd, 4096, S_ISREG(st.st_mode) ? -SSHM_ENOTMEMFD : -SSHM_ENOTREG);
}
END_TEST

START_TEST(test_hostile_row07_procfs_file)
{
	/* Regular files of pseudo filesystems, st_size 0: procfs and nsfs. */
	static const char *const paths[] = { "/proc/self/status", "/proc/self/ns/net" };
	size_t i;

	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		int fd = open(paths[i], O_RDONLY | O_CLOEXEC);

		ck_assert_msg(fd >= 0, "%s: %s", paths[i], strerror(errno));
		fd_case(fd, 4096, -SSHM_ENOTMEMFD);
	}
}
END_TEST

/* A sysfs attribute: a regular file whose st_size (4096) is what an
 * attacker would announce. */
static const char *const sysfs_files[] = {
	"/sys/kernel/uevent_seqnum",
	"/sys/kernel/mm/transparent_hugepage/enabled",
};

static int sysfs_open(void)
{
	size_t i;

	for (i = 0; i < sizeof(sysfs_files) / sizeof(sysfs_files[0]); i++) {
		int fd = open(sysfs_files[i], O_RDONLY | O_CLOEXEC);

		if (fd >= 0)
			return fd;
	}
	return -1;
}

static const char *need_sysfs(void)
{
	int fd = sysfs_open();

	if (fd < 0)
		return "no readable sysfs attribute (/sys not mounted?)";
	close(fd);
	return NULL;
}

START_TEST(test_hostile_row07_sysfs_file)
{
	int fd = sysfs_open();
	struct stat st;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fstat(fd, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	fd_case(fd, (uint64_t)st.st_size, -SSHM_ENOTMEMFD);
}
END_TEST

/* ------------------------------------------------------------ row 12 */

START_TEST(test_hostile_row12_own_socket_end)
{
	/* The attacker passes the library its own socket end back.  Had the
	 * library kept that fd, the attacker's close would never reach it as
	 * end of file: the -EPIPE at the end proves it was closed. */
	struct atk a;
	struct sshm_view *v = NULL;

	atk_open(&a);
	expect_fd_rejected(&a, 1, a.raw, 4096, NULL, -SSHM_ENOTREG);
	close(a.raw);
	a.raw = -1;
	assert_err(sshm_channel_recv(a.ch, NULL, &v), -EPIPE);
	atk_close(&a);
}
END_TEST

START_TEST(test_hostile_row12_library_end)
{
	/* ... or the library's own end (a dup of it): also closed at once. */
	struct atk a;
	struct sshm_view *v = NULL;
	int dup_end;

	atk_open(&a);
	dup_end = dup(sshm_channel_fd(a.ch));
	ck_assert_int_ge(dup_end, 0);
	expect_fd_rejected(&a, 1, dup_end, 4096, NULL, -SSHM_ENOTREG);
	close(dup_end);
	close(a.raw);
	a.raw = -1;
	assert_err(sshm_channel_recv(a.ch, NULL, &v), -EPIPE);
	atk_close(&a);
}
END_TEST

/* ------------------------------------------------------------ suite */

static Suite *hostile_fds_suite(void)
{
	Suite *s = suite_create("hostile-fds");
	TCase *tc;

	tc = test_tcase("row07_not_memfd");
	test_add_if(tc, test_hostile_row07_pipe, NULL);
	test_add_if(tc, test_hostile_row07_fifo, NULL);
	test_add_if(tc, test_hostile_row07_eventfd, NULL);
	test_add_if(tc, test_hostile_row07_memfd_secret, need_memfd_secret());
	test_add_if(tc, test_hostile_row07_socket, NULL);
	test_add_if(tc, test_hostile_row07_tty, NULL);
	test_add_if(tc, test_hostile_row07_directory, NULL);
	test_add_if(tc, test_hostile_row07_dev_null, NULL);
	test_add_if(tc, test_hostile_row07_regular_file, NULL);
	test_add_if(tc, test_hostile_row07_dev_shm_file, NULL);
	test_add_if(tc, test_hostile_row07_opath_memfd, test_need_proc());
	test_add_if(tc, test_hostile_row07_write_only_memfd, test_need_proc());
	test_add_if(tc, test_hostile_row07_pidfd, test_need_pidfd());
	test_add_if(tc, test_hostile_row07_procfs_file, NULL);
	test_add_if(tc, test_hostile_row07_sysfs_file, need_sysfs());
	suite_add_tcase(s, tc);

	tc = test_tcase("row12_own_socket");
	test_add_if(tc, test_hostile_row12_own_socket_end, NULL);
	test_add_if(tc, test_hostile_row12_library_end, NULL);
	suite_add_tcase(s, tc);

	return s;
}

int main(void)
{
	return hostile_run(hostile_fds_suite());
}
