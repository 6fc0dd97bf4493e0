/* SPDX-License-Identifier: MIT */
/*
 * test-verify - sshm_fd_verify() against real hostile descriptors made here:
 * pipes, sockets, directories, devices, ttys, FIFOs, O_PATH, files on disk
 * and on /dev/shm, memfds with missing or wrong seals, wrong sizes, sparse
 * and hugetlb memfds, and bad policies.  The verifier must never read, must
 * not close the fd, and writes ret_seals on success only.  Also the view's
 * mapping that follows a verdict (lib/verify.c): SSHM_POLICY_PREFAULT maps
 * every page.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "macro.h"
#include "sshm.h"
#include "testlib.h"

#ifndef TMPFS_MAGIC
#define TMPFS_MAGIC 0x01021994
#endif

#define SENTINEL_SEALS 0xdeadbeefu
#define PAGE	       4096u
#define MIB	       (1024u * 1024u)

/* ------------------------------------------------------------ helpers */

static void xclose(int fd)
{
	/* Fails if the verifier closed the fd it was only lent. */
	ck_assert_msg(close(fd) == 0, "close(%d): %s", fd, strerror(errno));
}

/* A memfd of @size bytes; @fill writes every byte (no holes); then @seals. */
static int memfd_with(uint64_t size, int fill, unsigned int seals,
		      unsigned int extra_flags)
{
	int fd = memfd_create("sshm-test", MFD_CLOEXEC | MFD_ALLOW_SEALING | extra_flags);

	ck_assert_msg(fd >= 0, "memfd_create: %s", strerror(errno));
	ck_assert_int_eq(ftruncate(fd, (off_t)size), 0);
	if (fill) {
		static uint8_t chunk[64 * 1024];
		uint64_t off;

		memset(chunk, 0x5a, sizeof(chunk));
		for (off = 0; off < size; off += sizeof(chunk)) {
			size_t n = size - off < sizeof(chunk) ? (size_t)(size - off)
							      : sizeof(chunk);

			ck_assert_int_eq(pwrite(fd, chunk, n, (off_t)off), (ssize_t)n);
		}
	}
	if (seals)
		ck_assert_msg(fcntl(fd, F_ADD_SEALS, seals) == 0, "F_ADD_SEALS 0x%x: %s",
			      seals, strerror(errno));
	return fd;
}

/* What a well-behaved producer sends. */
static int good_memfd(uint64_t size)
{
	return memfd_with(size, 1, SSHM_SEALS_APPLIED, 0);
}

static void zero_policy(struct sshm_policy *p)
{
	memset(p, 0, sizeof(*p));
}

/*
 * sshm_fd_verify(@fd, @size, @policy) must return @want; ret_seals must be
 * untouched on failure and the real seals on success.
 */
static void expect_verify_at(int fd, uint64_t size, const struct sshm_policy *policy,
			     int want, int line)
{
	unsigned int seals = SENTINEL_SEALS;
	int r = sshm_fd_verify(fd, size, policy, &seals);

	ck_assert_msg(
	    r == want, "line %d: sshm_fd_verify(size %llu) = %d (%s), want %d (%s)", line,
	    (unsigned long long)size, r, sshm_strerror(r), want, sshm_strerror(want));
	if (r < 0) {
		ck_assert_msg(seals == SENTINEL_SEALS,
			      "line %d: ret_seals written on failure (0x%x)", line,
			      seals);
	} else {
		int real = fcntl(fd, F_GET_SEALS);

		ck_assert_int_ge(real, 0);
		ck_assert_msg(seals == (unsigned int)real,
			      "line %d: ret_seals 0x%x, F_GET_SEALS 0x%x", line, seals,
			      (unsigned int)real);
	}
	/* Same verdict without ret_seals. */
	r = sshm_fd_verify(fd, size, policy, NULL);
	ck_assert_msg(r == want, "line %d: without ret_seals: %d (%s), want %d (%s)",
		      line, r, sshm_strerror(r), want, sshm_strerror(want));
}
#define expect_verify(fd, size, policy, want)                                            \
	expect_verify_at((fd), (size), (policy), (want), __LINE__)

/* A directory of @path on a filesystem that is not tmpfs, or NULL. */
static const char *disk_dir(void)
{
	static const char *const dirs[] = { "/tmp", "/var/tmp", "." };
	size_t i;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		struct statfs sfs;

		if (statfs(dirs[i], &sfs) == 0 &&
		    (unsigned long)sfs.f_type != (unsigned long)TMPFS_MAGIC &&
		    access(dirs[i], W_OK) == 0)
			return dirs[i];
	}
	return NULL;
}

static const char *need_disk_dir(void)
{
	return disk_dir() ? NULL
			  : "no writable directory outside tmpfs (/tmp, /var/tmp, .)";
}

static const char *need_dev_shm(void)
{
	struct statfs sfs;

	if (statfs("/dev/shm", &sfs) < 0 ||
	    (unsigned long)sfs.f_type != (unsigned long)TMPFS_MAGIC ||
	    access("/dev/shm", W_OK) < 0)
		return "/dev/shm is not a writable tmpfs";
	return NULL;
}

static const char *need_shm_tmpfile(void)
{
	int fd;

	if (need_dev_shm())
		return need_dev_shm();
	fd = open("/dev/shm", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0)
		return "O_TMPFILE is not supported on /dev/shm";
	close(fd);
	return NULL;
}

static const char *need_tty(void)
{
	int fd = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);

	if (fd < 0)
		return "no pseudo-terminal (posix_openpt failed)";
	close(fd);
	return NULL;
}

/* ------------------------------------------------------------ not regular */

START_TEST(test_verify_type_pipe)
{
	int p[2];
	char c;

	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	/* An empty pipe: a read(2) or a blocking poll would hang here. */
	alarm(5);
	expect_verify(p[0], 0, NULL, -SSHM_ENOTREG);
	expect_verify(p[0], PAGE, NULL, -SSHM_ENOTREG);
	expect_verify(p[1], PAGE, NULL, -SSHM_ENOTREG);
	alarm(0);
	/* And nothing was written into it either. */
	ck_assert_int_eq(fcntl(p[0], F_SETFL, O_NONBLOCK), 0);
	ck_assert_int_eq(read(p[0], &c, 1), -1);
	ck_assert_int_eq(errno, EAGAIN);
	xclose(p[0]);
	xclose(p[1]);
}
END_TEST

START_TEST(test_verify_type_socket)
{
	static const int types[] = { SOCK_STREAM, SOCK_SEQPACKET, SOCK_DGRAM };
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		int sv[2];
		char c;

		ck_assert_int_eq(socketpair(AF_UNIX, types[i] | SOCK_CLOEXEC, 0, sv), 0);
		alarm(5);
		expect_verify(sv[0], PAGE, NULL, -SSHM_ENOTREG);
		expect_verify(sv[1], 0, NULL, -SSHM_ENOTREG);
		alarm(0);
		ck_assert_int_eq(recv(sv[0], &c, 1, MSG_DONTWAIT), -1);
		ck_assert_int_eq(errno, EAGAIN);
		ck_assert_int_eq(recv(sv[1], &c, 1, MSG_DONTWAIT), -1);
		ck_assert_int_eq(errno, EAGAIN);
		xclose(sv[0]);
		xclose(sv[1]);
	}
}
END_TEST

START_TEST(test_verify_type_directory)
{
	int fd = open("/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	expect_verify(fd, 0, NULL, -SSHM_ENOTREG);
	expect_verify(fd, PAGE, NULL, -SSHM_ENOTREG);
	xclose(fd);
}
END_TEST

START_TEST(test_verify_type_dev_null)
{
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	expect_verify(fd, 0, NULL, -SSHM_ENOTREG);
	expect_verify(fd, PAGE, NULL, -SSHM_ENOTREG);
	xclose(fd);
}
END_TEST

START_TEST(test_verify_type_tty)
{
	int fd = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);

	/* A tty master: TIOCSTI and blocking reads are what must not happen. */
	ck_assert_int_ge(fd, 0);
	alarm(5);
	expect_verify(fd, PAGE, NULL, -SSHM_ENOTREG);
	alarm(0);
	xclose(fd);
}
END_TEST

START_TEST(test_verify_type_fifo)
{
	char dir[] = "/tmp/sshm-test-XXXXXX", path[64];
	int fd;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/fifo", dir);
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	/* O_RDWR so open(2) does not wait for a writer; a read still would. */
	fd = open(path, O_RDWR | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	alarm(5);
	expect_verify(fd, PAGE, NULL, -SSHM_ENOTREG);
	alarm(0);
	xclose(fd);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

START_TEST(test_verify_type_eventfd)
{
	int fd = eventfd(0, EFD_CLOEXEC);
	int r;

	ck_assert_int_ge(fd, 0);
	alarm(5);
	/* Anonymous inodes: not regular, or at least not a memfd. */
	r = sshm_fd_verify(fd, 8, NULL, NULL);
	alarm(0);
	ck_assert_msg(r == -SSHM_ENOTREG || r == -SSHM_ENOTMEMFD, "eventfd: %d (%s)", r,
		      sshm_strerror(r));
	xclose(fd);
}
END_TEST

/* ------------------------------------------------------------ not a memfd */

START_TEST(test_verify_opath_memfd)
{
	int mfd = good_memfd(PAGE), fd;
	char path[64];

	/* The same sealed memfd, reached through an O_PATH descriptor. */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", mfd);
	fd = open(path, O_PATH | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	expect_verify(fd, PAGE, NULL, -SSHM_EOPATH);
	expect_verify(fd, 0, NULL, -SSHM_EOPATH);
	/* The memfd itself is fine. */
	expect_verify(mfd, PAGE, NULL, 0);
	xclose(fd);
	xclose(mfd);
}
END_TEST

START_TEST(test_verify_opath_directory)
{
	int fd = open("/tmp", O_PATH | O_DIRECTORY | O_CLOEXEC);

	/* O_PATH is checked first, whatever the file is. */
	ck_assert_int_ge(fd, 0);
	expect_verify(fd, 0, NULL, -SSHM_EOPATH);
	xclose(fd);
}
END_TEST

START_TEST(test_verify_disk_file)
{
	char path[PATH_MAX];
	uint8_t page[PAGE];
	int fd;

	snprintf(path, sizeof(path), "%s/sshm-test-XXXXXX", disk_dir());
	fd = mkostemp(path, O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(unlink(path), 0);
	memset(page, 1, sizeof(page));
	ck_assert_int_eq(pwrite(fd, page, sizeof(page), 0), (ssize_t)sizeof(page));
	expect_verify(fd, PAGE, NULL, -SSHM_ENOTMEMFD);
	expect_verify(fd, 0, NULL, -SSHM_ENOTMEMFD);
	xclose(fd);
}
END_TEST

START_TEST(test_verify_dev_shm_file)
{
	char path[] = "/dev/shm/sshm-test-XXXXXX";
	uint8_t page[PAGE];
	int fd;

	/* tmpfs, regular, full of data: everything but a memfd. */
	fd = mkostemp(path, O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	memset(page, 2, sizeof(page));
	ck_assert_int_eq(pwrite(fd, page, sizeof(page), 0), (ssize_t)sizeof(page));
	expect_verify(fd, PAGE, NULL, -SSHM_ENOTMEMFD);
	/* Unlinked it looks even more like a memfd (st_nlink 0). */
	ck_assert_int_eq(unlink(path), 0);
	expect_verify(fd, PAGE, NULL, -SSHM_ENOTMEMFD);
	expect_verify(fd, 0, NULL, -SSHM_ENOTMEMFD);
	xclose(fd);
}
END_TEST

START_TEST(test_verify_dev_shm_tmpfile)
{
	uint8_t page[PAGE];
	int fd = open("/dev/shm", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

	/* Never linked at all, on tmpfs. */
	ck_assert_int_ge(fd, 0);
	memset(page, 3, sizeof(page));
	ck_assert_int_eq(pwrite(fd, page, sizeof(page), 0), (ssize_t)sizeof(page));
	expect_verify(fd, PAGE, NULL, -SSHM_ENOTMEMFD);
	xclose(fd);
}
END_TEST

/* ------------------------------------------------------------ seals */

START_TEST(test_verify_seals_none)
{
	int fd = memfd_with(PAGE, 1, 0, 0);

	expect_verify(fd, PAGE, NULL, -SSHM_ESEALS);
	expect_verify(fd, 0, NULL, -SSHM_ESEALS);
	xclose(fd);
}
END_TEST

START_TEST(test_verify_seals_missing_one)
{
	static const unsigned int each[] = { F_SEAL_SHRINK, F_SEAL_GROW, F_SEAL_WRITE };
	size_t i;

	for (i = 0; i < sizeof(each) / sizeof(each[0]); i++) {
		/* Everything else, F_SEAL_SEAL included: still not enough. */
		int fd = memfd_with(PAGE, 1, SSHM_SEALS_APPLIED & ~each[i], 0);

		expect_verify(fd, PAGE, NULL, -SSHM_ESEALS);
		xclose(fd);
		fd = memfd_with(PAGE, 1, each[i], 0);
		expect_verify(fd, PAGE, NULL, -SSHM_ESEALS);
		xclose(fd);
	}
}
END_TEST

START_TEST(test_verify_seals_future_write)
{
	int fd = memfd_with(PAGE, 1, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_FUTURE_WRITE,
			    0);
	int fd2 = memfd_with(
	    PAGE, 1, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_FUTURE_WRITE | F_SEAL_SEAL, 0);
	void *w;

	/* With FUTURE_WRITE only, the producer can keep writing through a
	 * mapping it made before: rejected. */
	expect_verify(fd, PAGE, NULL, -SSHM_ESEALS);
	expect_verify(fd2, PAGE, NULL, -SSHM_ESEALS);
	xclose(fd2);

	/* The same with a writable mapping really kept by the producer. */
	xclose(fd);
	fd = memfd_with(PAGE, 1, 0, 0);
	w = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ck_assert_ptr_ne(w, MAP_FAILED);
	ck_assert_int_eq(
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_FUTURE_WRITE), 0);
	expect_verify(fd, PAGE, NULL, -SSHM_ESEALS);
	ck_assert_int_eq(munmap(w, PAGE), 0);
	xclose(fd);
}
END_TEST

START_TEST(test_verify_seals_superset)
{
	/* A mask, not equality: extra seals are fine. */
	int fd = memfd_with(PAGE, 1, SSHM_SEALS_REQUIRED, 0);
	int fd2 = memfd_with(PAGE, 1, SSHM_SEALS_APPLIED | F_SEAL_FUTURE_WRITE, 0);

	expect_verify(fd, PAGE, NULL, 0);
	expect_verify(fd2, PAGE, NULL, 0);
	xclose(fd);
	xclose(fd2);
}
END_TEST

START_TEST(test_verify_seals_required_extra)
{
	struct sshm_policy p;
	int fd = memfd_with(PAGE, 1, SSHM_SEALS_REQUIRED, 0);
	int fd2 = memfd_with(PAGE, 1, SSHM_SEALS_APPLIED, 0);

	zero_policy(&p);
	p.required_seals = F_SEAL_SEAL;
	expect_verify(fd, PAGE, &p, -SSHM_ESEALS);
	expect_verify(fd2, PAGE, &p, 0);
	/* required_seals adds to SHRINK|GROW|WRITE, never replaces them. */
	xclose(fd);
	fd = memfd_with(PAGE, 1, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW, 0);
	expect_verify(fd, PAGE, &p, -SSHM_ESEALS);
	xclose(fd);
	xclose(fd2);
}
END_TEST

START_TEST(test_verify_seals_before_size)
{
	/* Seals are checked before the size is even looked at: an unsealed
	 * memfd can still shrink, its size means nothing. */
	int fd = memfd_with(PAGE, 1, 0, 0);

	expect_verify(fd, PAGE * 2, NULL, -SSHM_ESEALS);
	xclose(fd);
	fd = memfd_with(0, 0, 0, 0);
	expect_verify(fd, PAGE, NULL, -SSHM_ESEALS);
	xclose(fd);
}
END_TEST

START_TEST(test_verify_ret_seals)
{
	int fd = good_memfd(PAGE);
	int bad = memfd_with(PAGE, 1, F_SEAL_GROW, 0);
	unsigned int seals = SENTINEL_SEALS;
	int real = fcntl(fd, F_GET_SEALS);

	assert_ok(sshm_fd_verify(fd, PAGE, NULL, &seals));
	ck_assert_uint_eq(seals, (unsigned int)real);
	ck_assert_uint_eq(seals & SSHM_SEALS_APPLIED, SSHM_SEALS_APPLIED);
	seals = SENTINEL_SEALS;
	assert_err(sshm_fd_verify(bad, PAGE, NULL, &seals), -SSHM_ESEALS);
	ck_assert_uint_eq(seals, SENTINEL_SEALS);
	assert_err(sshm_fd_verify(fd, PAGE + 1, NULL, &seals), -SSHM_ESIZE);
	ck_assert_uint_eq(seals, SENTINEL_SEALS);
	assert_ok(sshm_fd_verify(fd, PAGE, NULL, NULL));
	xclose(fd);
	xclose(bad);
}
END_TEST

/* ------------------------------------------------------------ size */

START_TEST(test_verify_size_mismatch)
{
	static const uint64_t sizes[] = {
		1, PAGE - 1, PAGE + 1, PAGE * 2, (uint64_t)INT64_MAX, UINT64_MAX,
	};
	int fd = good_memfd(PAGE);
	size_t i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		expect_verify(fd, sizes[i], NULL, -SSHM_ESIZE);
	expect_verify(fd, PAGE, NULL, 0);
	xclose(fd);
}
END_TEST

START_TEST(test_verify_size_zero_skips)
{
	int fd = good_memfd(12345);

	expect_verify(fd, 0, NULL, 0);
	expect_verify(fd, 12345, NULL, 0);
	xclose(fd);
}
END_TEST

START_TEST(test_verify_size_empty_region)
{
	/* st_size 0 is never a region, announced or not. */
	int fd = memfd_with(0, 0, SSHM_SEALS_APPLIED, 0);

	expect_verify(fd, 0, NULL, -SSHM_ESIZE);
	expect_verify(fd, PAGE, NULL, -SSHM_ESIZE);
	xclose(fd);
}
END_TEST

START_TEST(test_verify_size_policy_cap)
{
	struct sshm_policy p;
	int big = good_memfd(PAGE * 2), fits = good_memfd(PAGE);

	zero_policy(&p);
	p.max_size = PAGE;
	expect_verify(big, PAGE * 2, &p, -SSHM_ETOOBIG);
	expect_verify(big, 0, &p, -SSHM_ETOOBIG);
	/* The cap itself is allowed. */
	expect_verify(fits, PAGE, &p, 0);
	p.max_size = PAGE - 1;
	expect_verify(fits, PAGE, &p, -SSHM_ETOOBIG);
	xclose(big);
	xclose(fits);
}
END_TEST

START_TEST(test_verify_size_default_cap)
{
	struct sshm_policy p;
	int huge, edge, over;

	/* Sparse and sealed: costs nothing to make, must not be accepted. */
	huge = memfd_with(2ull << 30, 0, SSHM_SEALS_APPLIED, 0);
	edge = memfd_with(SSHM_DEFAULT_MAX_SIZE, 0, SSHM_SEALS_APPLIED, 0);
	over = memfd_with(SSHM_DEFAULT_MAX_SIZE + PAGE, 0, SSHM_SEALS_APPLIED, 0);
	expect_verify(huge, 0, NULL, -SSHM_ETOOBIG);
	expect_verify(huge, 2ull << 30, NULL, -SSHM_ETOOBIG);
	expect_verify(over, 0, NULL, -SSHM_ETOOBIG);
	expect_verify(edge, SSHM_DEFAULT_MAX_SIZE, NULL, 0);
	/* The all-zero policy is the default one. */
	zero_policy(&p);
	expect_verify(huge, 0, &p, -SSHM_ETOOBIG);
	expect_verify(edge, 0, &p, 0);
	/* A policy may raise the cap. */
	p.max_size = 4ull << 30;
	expect_verify(huge, 2ull << 30, &p, 0);
	xclose(huge);
	xclose(edge);
	xclose(over);
}
END_TEST

/* ------------------------------------------------------------ policy */

START_TEST(test_verify_policy_reserved)
{
	int fd = good_memfd(PAGE);
	size_t i;

	for (i = 0; i < 5; i++) {
		struct sshm_policy p;

		zero_policy(&p);
		p.reserved[i] = 1;
		expect_verify(fd, PAGE, &p, -EINVAL);
		p.reserved[i] = 0x80000000u;
		expect_verify(fd, PAGE, &p, -EINVAL);
	}
	xclose(fd);
}
END_TEST

START_TEST(test_verify_policy_identity)
{
	static const int bad[] = { -1, 3, 4, 100, INT_MAX, INT_MIN };
	static const int good[] = {
		SSHM_IDENTITY_OFF,
		SSHM_IDENTITY_BEST_EFFORT,
		SSHM_IDENTITY_REQUIRED,
	};
	struct sshm_policy p;
	int fd = good_memfd(PAGE);
	size_t i;

	zero_policy(&p);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		p.identity = bad[i];
		expect_verify(fd, PAGE, &p, -EINVAL);
	}
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		p.identity = good[i];
		expect_verify(fd, PAGE, &p, 0);
	}
	xclose(fd);
}
END_TEST

START_TEST(test_verify_policy_bad_before_fd)
{
	struct sshm_policy p;
	int pfd[2];

	/* A bad policy is the caller's bug, whatever the fd is. */
	ck_assert_int_eq(pipe2(pfd, O_CLOEXEC), 0);
	zero_policy(&p);
	p.reserved[4] = 7;
	expect_verify(pfd[0], PAGE, &p, -EINVAL);
	xclose(pfd[0]);
	xclose(pfd[1]);
}
END_TEST

START_TEST(test_verify_policy_unknown_flags)
{
	/* Bits outside ALLOW_HUGETLB | POPULATED | PREFAULT. */
	static const unsigned int bad[] = { 0x8, 0x100, 0x80000000u };
	struct sshm_policy p;
	int fd = good_memfd(PAGE);
	size_t i;

	zero_policy(&p);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		p.flags = bad[i];
		expect_verify(fd, PAGE, &p, -EINVAL);
	}
	xclose(fd);
}
END_TEST

START_TEST(test_verify_bad_fd)
{
	int fd;

	assert_err(sshm_fd_verify(-1, PAGE, NULL, NULL), -EBADF);
	assert_err(sshm_fd_verify(INT_MIN, PAGE, NULL, NULL), -EBADF);
	/* A number that is not open (any more). */
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	xclose(fd);
	assert_err(sshm_fd_verify(fd, PAGE, NULL, NULL), -EBADF);
}
END_TEST

/* ------------------------------------------------------------ holes */

START_TEST(test_verify_populated_sparse)
{
	struct sshm_policy p;
	int fd = memfd_with(MIB, 0, SSHM_SEALS_APPLIED, 0);

	zero_policy(&p);
	p.flags = SSHM_POLICY_POPULATED;
	expect_verify(fd, MIB, &p, -SSHM_EHOLES);
	/* Holes are fine when the policy does not care. */
	expect_verify(fd, MIB, NULL, 0);
	xclose(fd);
}
END_TEST

START_TEST(test_verify_populated_full)
{
	struct sshm_policy p;
	int fd = memfd_with(MIB, 1, SSHM_SEALS_APPLIED, 0);

	zero_policy(&p);
	p.flags = SSHM_POLICY_POPULATED;
	expect_verify(fd, MIB, &p, 0);
	xclose(fd);
}
END_TEST

START_TEST(test_verify_populated_partial)
{
	static const struct {
		off_t off;
		off_t len;
	} holes[] = {
		{ 0, PAGE },
		{ MIB / 2, PAGE },
		{ MIB - PAGE, PAGE },
	};
	struct sshm_policy p;
	size_t i;

	zero_policy(&p);
	p.flags = SSHM_POLICY_POPULATED;
	for (i = 0; i < sizeof(holes) / sizeof(holes[0]); i++) {
		int fd = memfd_with(MIB, 1, 0, 0);

		/* One missing page, at the start, middle or end. */
		ck_assert_int_eq(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
					   holes[i].off, holes[i].len),
				 0);
		ck_assert_int_eq(fcntl(fd, F_ADD_SEALS, SSHM_SEALS_APPLIED), 0);
		expect_verify(fd, MIB, &p, -SSHM_EHOLES);
		xclose(fd);
	}
}
END_TEST

START_TEST(test_verify_populated_inflated_blocks)
{
	struct sshm_policy p;
	int fd = memfd_with(MIB, 0, 0, 0);
	static uint8_t half[MIB / 2];
	struct stat st;

	/* Half written, plus blocks allocated past EOF: st_blocks covers
	 * st_size, yet the second half is a hole. */
	memset(half, 0x77, sizeof(half));
	ck_assert_int_eq(pwrite(fd, half, sizeof(half), 0), (ssize_t)sizeof(half));
	ck_assert_int_eq(fallocate(fd, FALLOC_FL_KEEP_SIZE, MIB, MIB), 0);
	ck_assert_int_eq(fcntl(fd, F_ADD_SEALS, SSHM_SEALS_APPLIED), 0);
	ck_assert_int_eq(fstat(fd, &st), 0);
	ck_assert_int_eq(st.st_size, MIB);
	ck_assert_int_ge((long long)st.st_blocks * 512, MIB);
	zero_policy(&p);
	p.flags = SSHM_POLICY_POPULATED;
	expect_verify(fd, MIB, &p, -SSHM_EHOLES);
	xclose(fd);
}
END_TEST

START_TEST(test_verify_populated_keeps_offset)
{
	struct sshm_policy p;
	int fd = memfd_with(MIB, 1, SSHM_SEALS_APPLIED, 0);

	/* The offset belongs to the open file description, which the sender
	 * shares: verifying must not move it. */
	zero_policy(&p);
	p.flags = SSHM_POLICY_POPULATED;
	ck_assert_int_eq(lseek(fd, 123, SEEK_SET), 123);
	expect_verify(fd, MIB, &p, 0);
	ck_assert_int_eq(lseek(fd, 0, SEEK_CUR), 123);
	xclose(fd);
}
END_TEST

/* ------------------------------------------------------------ hugetlb */

START_TEST(test_verify_hugetlb_default)
{
	int fd = test_hugetlb_memfd();

	ck_assert_int_ge(fd, 0);
	expect_verify(fd, TEST_HUGE_SIZE, NULL, -SSHM_EHUGETLB);
	expect_verify(fd, 0, NULL, -SSHM_EHUGETLB);
	xclose(fd);
}
END_TEST

START_TEST(test_verify_hugetlb_allowed_sparse)
{
	struct sshm_policy p;
	int fd = test_hugetlb_memfd();

	ck_assert_int_ge(fd, 0);
	zero_policy(&p);
	/* Allowed, but no pages behind it: a read would SIGBUS. */
	p.flags = SSHM_POLICY_ALLOW_HUGETLB | SSHM_POLICY_POPULATED;
	expect_verify(fd, TEST_HUGE_SIZE, &p, -SSHM_EHOLES);
	/* Allowing hugetlb without asking for population is not a policy at
	 * all (sshm.h): the caller's bug, whatever the fd. */
	p.flags = SSHM_POLICY_ALLOW_HUGETLB;
	expect_verify(fd, TEST_HUGE_SIZE, &p, -EINVAL);
	xclose(fd);
}
END_TEST

START_TEST(test_verify_hugetlb_unsealed)
{
	int fd = memfd_create("sshm-test-huge",
			      MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_HUGETLB);
	int r;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, TEST_HUGE_SIZE), 0);
	/* Either verdict rejects it; neither may be 0. */
	r = sshm_fd_verify(fd, TEST_HUGE_SIZE, NULL, NULL);
	ck_assert_msg(r == -SSHM_EHUGETLB || r == -SSHM_ESEALS, "got %d (%s)", r,
		      sshm_strerror(r));
	xclose(fd);
}
END_TEST

/* ------------------------------------------------------------ prefault */

/*
 * SSHM_POLICY_PREFAULT: the view is mapped (lib/verify.c) with every page
 * in place, so that reading it takes no fault.
 */
START_TEST(test_verify_prefault_populates_view)
{
	const uint64_t size = 1 * MIB;
	struct sshm_policy pol;
	struct sshm_channel *a, *b;
	struct sshm_region *r;
	struct sshm_view *v;
	void *p;
	int maps;
	unsigned long reserves;

	memset(&pol, 0, sizeof(pol));
	pol.flags = SSHM_POLICY_PREFAULT;
	assert_ok(sshm_channel_pair(0, &a, &b));
	assert_ok(sshm_region_new(size, 0, &r));
	assert_ok(sshm_region_map(r, &p));
	memset(p, 3, size);
	assert_ok(sshm_region_seal(r));
	assert_ok(sshm_channel_send(a, r, NULL, 0));
	maps = test_map_count();
	reserves = test_reserved_bytes();
	assert_ok(sshm_channel_recv(b, &pol, &v));
	ck_assert_uint_eq(test_mapped_pages(sshm_view_data(v)), size / test_page_size());
	sshm_view_unref(v);
	/* Without the flag the view starts with nothing mapped. */
	assert_ok(sshm_channel_send(a, r, NULL, 0));
	assert_ok(sshm_channel_recv(b, NULL, &v));
	ck_assert_uint_lt(test_mapped_pages(sshm_view_data(v)), size / test_page_size());
	sshm_view_unref(v);
	/* Nothing of the view stays mapped, and aligning gave back its slack. */
	ck_assert_int_eq(test_map_count(), maps);
	ck_assert_uint_le(test_reserved_bytes(), reserves);
	assert_ok(sshm_channel_drain(a));
	sshm_region_unref(r);
	sshm_channel_unref(a);
	sshm_channel_unref(b);
}
END_TEST

/* A view of 2 MiB and more is aligned and advised before it is populated:
 * MAP_POPULATE alone would fault it in before the advice (small pages under
 * THP "advise").  Whatever the THP mode, every page must be mapped. */
START_TEST(test_verify_prefault_large_view)
{
	const uint64_t size = 4 * MIB;
	struct sshm_policy pol;
	struct sshm_channel *a, *b;
	struct sshm_region *r;
	struct sshm_view *v;
	void *p;

	memset(&pol, 0, sizeof(pol));
	pol.flags = SSHM_POLICY_PREFAULT;
	assert_ok(sshm_channel_pair(0, &a, &b));
	assert_ok(sshm_region_new(size, 0, &r));
	assert_ok(sshm_region_map(r, &p));
	memset(p, 9, size);
	assert_ok(sshm_region_seal(r));
	assert_ok(sshm_channel_send(a, r, NULL, 0));
	assert_ok(sshm_channel_recv(b, &pol, &v));
	ck_assert_uint_eq((uintptr_t)sshm_view_data(v) % (2 * MIB), 0);
	ck_assert_uint_eq(test_mapped_pages(sshm_view_data(v)), size / test_page_size());
	sshm_view_unref(v);
	assert_ok(sshm_channel_drain(a));
	sshm_region_unref(r);
	sshm_channel_unref(a);
	sshm_channel_unref(b);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("verify");
	const char *huge = test_need_hugetlb();
	TCase *tc;

	tc = test_tcase("type");
	tcase_add_test(tc, test_verify_type_pipe);
	tcase_add_test(tc, test_verify_type_socket);
	tcase_add_test(tc, test_verify_type_directory);
	tcase_add_test(tc, test_verify_type_dev_null);
	test_add_if(tc, test_verify_type_tty, need_tty());
	tcase_add_test(tc, test_verify_type_fifo);
	tcase_add_test(tc, test_verify_type_eventfd);
	suite_add_tcase(s, tc);

	tc = test_tcase("memfd");
	test_add_if(tc, test_verify_opath_memfd, test_need_proc());
	tcase_add_test(tc, test_verify_opath_directory);
	test_add_if(tc, test_verify_disk_file, need_disk_dir());
	test_add_if(tc, test_verify_dev_shm_file, need_dev_shm());
	test_add_if(tc, test_verify_dev_shm_tmpfile, need_shm_tmpfile());
	suite_add_tcase(s, tc);

	tc = test_tcase("seals");
	tcase_add_test(tc, test_verify_seals_none);
	tcase_add_test(tc, test_verify_seals_missing_one);
	tcase_add_test(tc, test_verify_seals_future_write);
	tcase_add_test(tc, test_verify_seals_superset);
	tcase_add_test(tc, test_verify_seals_required_extra);
	tcase_add_test(tc, test_verify_seals_before_size);
	tcase_add_test(tc, test_verify_ret_seals);
	suite_add_tcase(s, tc);

	tc = test_tcase("size");
	tcase_add_test(tc, test_verify_size_mismatch);
	tcase_add_test(tc, test_verify_size_zero_skips);
	tcase_add_test(tc, test_verify_size_empty_region);
	tcase_add_test(tc, test_verify_size_policy_cap);
	tcase_add_test(tc, test_verify_size_default_cap);
	suite_add_tcase(s, tc);

	tc = test_tcase("policy");
	tcase_add_test(tc, test_verify_policy_reserved);
	tcase_add_test(tc, test_verify_policy_identity);
	tcase_add_test(tc, test_verify_policy_bad_before_fd);
	tcase_add_test(tc, test_verify_policy_unknown_flags);
	tcase_add_test(tc, test_verify_bad_fd);
	suite_add_tcase(s, tc);

	tc = test_tcase("populated");
	tcase_add_test(tc, test_verify_populated_sparse);
	test_add_if(tc, test_verify_populated_full, test_need_proc());
	tcase_add_test(tc, test_verify_populated_partial);
	test_add_if(tc, test_verify_populated_inflated_blocks, test_need_proc());
	test_add_if(tc, test_verify_populated_keeps_offset, test_need_proc());
	suite_add_tcase(s, tc);

	tc = test_tcase("hugetlb");
	test_add_if(tc, test_verify_hugetlb_default, huge);
	test_add_if(tc, test_verify_hugetlb_allowed_sparse, huge);
	test_add_if(tc, test_verify_hugetlb_unsealed, huge);
	suite_add_tcase(s, tc);

	tc = test_tcase("prefault");
	tcase_add_test(tc, test_verify_prefault_populates_view);
	tcase_add_test(tc, test_verify_prefault_large_view);
	suite_add_tcase(s, tc);

	return s;
}

int main(void)
{
	return test_run(make_suite());
}
