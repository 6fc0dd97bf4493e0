/* SPDX-License-Identifier: MIT */
/*
 * test-hostile - the hostile-peer matrix of THREATS.md, one or more tests per
 * row (test_hostile_rowNN_*).  The attacker is the raw end of a
 * SOCK_SEQPACKET socketpair whose other end is adopted by the library: it
 * speaks the wire format of doc/protocol.md by hand (its own encoder, not
 * the library's), so it can send anything.  Every case checks the error
 * code, that the received fd was closed (fd count), that nothing was mapped
 * (maps_now()), the RELEASE sent back for a rejected region, and that
 * the channel either still works (an honest sealed region goes through) or
 * is broken for good (-SSHM_EBROKEN).  A row this kernel cannot exercise is
 * a skip with its reason, never a pass.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "macro.h"
#include "sshm.h"
#include "testlib.h"



/* ------------------------------------------------------------ wire, by hand */

/*
 * The encoders, raw_send() and raw_recv() are testlib's (raw_*, written by
 * hand from doc/protocol.md); these two read what the library sends a raw
 * consumer, which only this suite plays.
 */

/* One packet and the fds it carried (closed by the caller): its length or
 * -1.  What a raw consumer of the library's REGIONs uses. */
static ssize_t raw_recv_fds(int sock, uint8_t *buf, size_t cap, int *fds, int *nfds,
			    int timeout_ms)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int) * 4)];
	} ctl;
	struct iovec iov = { .iov_base = buf, .iov_len = cap };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf) };
	struct pollfd p = { .fd = sock, .events = POLLIN };
	struct cmsghdr *c;
	ssize_t n;

	*nfds = 0;
	if (poll(&p, 1, timeout_ms) != 1)
		return -1;
	n = recvmsg(sock, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n < 0)
		return -1;
	for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		size_t i, k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		for (i = 0; i < k && *nfds < 4; i++)
			memcpy(&fds[(*nfds)++], CMSG_DATA(c) + i * sizeof(int), sizeof(int));
	}
	return n;
}

/* Reads one REGION from the library: its id, or 0.  Closes the fd. */
static uint64_t raw_take_region(int sock, int timeout_ms)
{
	uint8_t b[32 + 4096];
	int fds[4], nfds, i;
	ssize_t n = raw_recv_fds(sock, b, sizeof(b), fds, &nfds, timeout_ms);

	for (i = 0; i < nfds; i++)
		close(fds[i]);
	if (n < 32 || nfds != 1 || raw_get32(b) != RAW_MAGIC || b[5] != RAW_REGION)
		return 0;
	return raw_get64(b + 8);
}

/* Nothing at all is waiting for the attacker (no RELEASE, no HELLO...). */
static int raw_quiet(int sock)
{
	struct pollfd p = { .fd = sock, .events = POLLIN };

	return poll(&p, 1, 0) == 0;
}

/* ------------------------------------------------------------ memfds */

/* Memfd mappings left in this process (see test_map_count()). */
static int maps_now(void)
{
	return test_map_count();
}

/* ------------------------------------------------------------ the attacker */

struct atk {
	struct sshm_channel *ch; /* the library's end */
	int raw;                 /* the attacker's end */
};

/* Adopts one end; the attacker does NOT send its HELLO yet. */
static void atk_open_nohello(struct atk *a, unsigned int flags)
{
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	assert_ok(sshm_channel_adopt(sv[0], flags, &a->ch));
	a->raw = sv[1];
}

/* Reads the library's HELLO (its constructor sent it at once). */
static void atk_read_hello(struct atk *a)
{
	uint8_t b[64];
	ssize_t n = raw_recv(a->raw, b, sizeof(b), 5000);

	ck_assert_msg(n >= 32 && raw_get32(b) == RAW_MAGIC && b[4] == 1 &&
		      b[5] == RAW_HELLO,
		      "no HELLO from the library (%zd)", n);
	ck_assert_uint_eq(raw_get32(b + 8), SSHM_WINDOW_DEFAULT);
}

static void atk_open_flags(struct atk *a, unsigned int flags)
{
	uint8_t b[32];

	atk_open_nohello(a, flags);
	ck_assert_int_eq(raw_send(a->raw, b, raw_hello(b, 64, 0), -1), 0);
	atk_read_hello(a);
}

static void atk_open(struct atk *a)
{
	atk_open_flags(a, 0);
}

static void atk_close(struct atk *a)
{
	sshm_channel_unref(a->ch);
	if (a->raw >= 0)
		close(a->raw);
}

static int atk_region(struct atk *a, uint64_t id, uint64_t size, int32_t announced,
		      int fd)
{
	return raw_send_region(a->raw, id, size, announced, fd);
}

/* An honest sealed region goes through, is released when dropped. */
static void atk_check_usable(struct atk *a, uint64_t id)
{
	struct sshm_view *v = NULL;
	int fd = test_memfd_pattern(8192, (unsigned int)id, SSHM_SEALS_APPLIED);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(atk_region(a, id, 8192, fd, fd), 0);
	assert_ok(sshm_channel_recv(a->ch, NULL, &v));
	ck_assert(sshm_view_is_region(v));
	ck_assert(test_view_matches(v, 8192, (unsigned int)id));
	sshm_view_unref(v);
	ck_assert_msg(raw_wait_release(a->raw, id, 5000) == 0,
		      "no RELEASE of the honest region %llu", (unsigned long long)id);
	close(fd);
}

/* The channel is broken for good: every call says so. */
static void atk_check_broken(struct atk *a)
{
	struct sshm_view *v = NULL;
	struct sshm_region *r = NULL;

	assert_err(sshm_channel_recv(a->ch, NULL, &v), -SSHM_EBROKEN);
	ck_assert_ptr_null(v);
	assert_err(sshm_channel_flush(a->ch), -SSHM_EBROKEN);
	assert_ok(sshm_region_new(4096, 0, &r));
	assert_ok(sshm_region_seal(r));
	assert_err(sshm_channel_send(a->ch, r, NULL, 0), -SSHM_EBROKEN);
	sshm_region_unref(r);
}

/*
 * The core of an fd-level rejection: the attacker sends REGION @id with
 * @fd (announced as itself, @size), recv returns @want, the received fd is
 * closed at once (fd count back to what it was before the send), nothing
 * was mapped, the RELEASE naming @id came back, and the channel still
 * carries an honest region.
 */
static void expect_fd_rejected(struct atk *a, uint64_t id, int fd, uint64_t size,
			       const struct sshm_policy *pol, int want)
{
	struct sshm_view *v = NULL;
	int fds, maps;

	fds = test_fd_count();
	maps = maps_now();
	ck_assert_int_eq(atk_region(a, id, size, fd, fd), 0);
	assert_err(sshm_channel_recv(a->ch, pol, &v), want);
	ck_assert_ptr_null(v);
	ck_assert_int_eq(test_fd_count(), fds);
	ck_assert_int_eq(maps_now(), maps);
	ck_assert_msg(raw_wait_release(a->raw, id, 5000) == 0,
		      "no RELEASE for the rejected region %llu", (unsigned long long)id);
	atk_check_usable(a, id + 1000);
}

/* One attacker, one bad fd, one expected code. */
static void fd_case(int fd, uint64_t size, int want)
{
	struct atk a;

	ck_assert_int_ge(fd, 0);
	atk_open(&a);
	expect_fd_rejected(&a, 1, fd, size, NULL, want);
	atk_close(&a);
	close(fd);
}

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
		return "memfd_secret(2) is not available (Linux < 5.14, or secretmem disabled)";
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

/* ------------------------------------------------------------ rows 1-3: seals */

START_TEST(test_hostile_row01_unsealed)
{
	fd_case(test_memfd_pattern(4096, 1, 0), 4096, -SSHM_ESEALS);
}
END_TEST

START_TEST(test_hostile_row01_no_allow_sealing)
{
	/* Without MFD_ALLOW_SEALING the memfd comes with F_SEAL_SEAL only. */
	int fd = memfd_create("hostile", MFD_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, 4096), 0);
	ck_assert_int_eq(fcntl(fd, F_GET_SEALS), F_SEAL_SEAL);
	fd_case(fd, 4096, -SSHM_ESEALS);
}
END_TEST

START_TEST(test_hostile_row01_seal_missing)
{
	/* Each of SHRINK, GROW, WRITE missing in turn, F_SEAL_SEAL set. */
	static const unsigned int missing[] = { F_SEAL_SHRINK, F_SEAL_GROW, F_SEAL_WRITE };
	struct atk a;
	unsigned int i;

	atk_open(&a);
	for (i = 0; i < 3; i++) {
		int fd = test_memfd_pattern(4096, i, SSHM_SEALS_APPLIED & ~missing[i]);

		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(fcntl(fd, F_GET_SEALS), (int)(SSHM_SEALS_APPLIED & ~missing[i]));
		expect_fd_rejected(&a, 10 + i, fd, 4096, NULL, -SSHM_ESEALS);
		close(fd);
	}
	atk_close(&a);
}
END_TEST

START_TEST(test_hostile_row01_only_one_seal)
{
	/* Exactly one of the three required seals, and no F_SEAL_SEAL: the
	 * attacker could still add the others later, too late to matter. */
	static const unsigned int only[] = { F_SEAL_SHRINK, F_SEAL_GROW, F_SEAL_WRITE };
	struct atk a;
	unsigned int i;

	atk_open(&a);
	for (i = 0; i < 3; i++) {
		int fd = test_memfd_pattern(4096, i, only[i]);

		ck_assert_int_ge(fd, 0);
		expect_fd_rejected(&a, 20 + i, fd, 4096, NULL, -SSHM_ESEALS);
		close(fd);
	}
	atk_close(&a);
}
END_TEST

START_TEST(test_hostile_row01_required_seal_seal)
{
	/* SHRINK|GROW|WRITE without F_SEAL_SEAL: accepted by default (the
	 * three required seals can never be removed), rejected by a policy
	 * that asks for F_SEAL_SEAL too. */
	struct atk a;
	struct sshm_policy pol;
	struct sshm_view *v = NULL;
	const unsigned int three = F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;
	int fd = test_memfd_pattern(4096, 3, three);

	ck_assert_int_ge(fd, 0);
	atk_open(&a);
	memset(&pol, 0, sizeof(pol));
	pol.required_seals = F_SEAL_SEAL;
	expect_fd_rejected(&a, 1, fd, 4096, &pol, -SSHM_ESEALS);

	ck_assert_int_eq(atk_region(&a, 2, 4096, fd, fd), 0);
	assert_ok(sshm_channel_recv(a.ch, NULL, &v));
	ck_assert_uint_eq(sshm_view_seals(v), three);
	ck_assert(test_view_matches(v, 4096, 3));
	sshm_view_unref(v);
	ck_assert_int_eq(raw_wait_release(a.raw, 2, 5000), 0);
	close(fd);
	atk_close(&a);
}
END_TEST

START_TEST(test_hostile_row02_future_write)
{
	/* F_SEAL_FUTURE_WRITE instead of WRITE: the attacker keeps a writable
	 * mapping made before the seal and writes through it after sending.
	 * Rejected, so the consumer never maps (never sees) changing bytes. */
	struct atk a;
	struct sshm_view *v = NULL;
	uint8_t *w;
	int fd, maps, fds;

	fd = test_memfd_pattern(16384, 4, 0);
	ck_assert_int_ge(fd, 0);
	w = mmap(NULL, 16384, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ck_assert_ptr_ne(w, MAP_FAILED);
	ck_assert_int_eq(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW |
					      F_SEAL_FUTURE_WRITE | F_SEAL_SEAL), 0);
	/* The premise: the seal does not stop the old mapping. */
	w[0] ^= 0xff;
	w[0] ^= 0xff;

	atk_open(&a);
	fds = test_fd_count();
	maps = maps_now();
	ck_assert_int_eq(atk_region(&a, 1, 16384, fd, fd), 0);
	memset(w, 0xAA, 16384); /* after sending, before the consumer looks */
	assert_err(sshm_channel_recv(a.ch, NULL, &v), -SSHM_ESEALS);
	ck_assert_ptr_null(v);
	memset(w, 0x55, 16384); /* and after */
	ck_assert_int_eq(test_fd_count(), fds);
	ck_assert_int_eq(maps_now(), maps);
	ck_assert_int_eq(raw_wait_release(a.raw, 1, 5000), 0);

	/* Even a policy asking for FUTURE_WRITE on top still wants WRITE. */
	{
		struct sshm_policy pol;

		memset(&pol, 0, sizeof(pol));
		pol.required_seals = F_SEAL_FUTURE_WRITE;
		expect_fd_rejected(&a, 2, fd, 16384, &pol, -SSHM_ESEALS);
	}
	atk_check_usable(&a, 3);

	ck_assert_int_eq(munmap(w, 16384), 0);
	close(fd);
	atk_close(&a);
}
END_TEST

START_TEST(test_hostile_row03_truncate_before_seal)
{
	/* The attacker sends an unsealed memfd and shrinks it before the
	 * consumer checks it: the seals are checked before the size, so the
	 * verdict is "seals", and nothing is mapped (no SIGBUS possible). */
	struct atk a;
	struct sshm_view *v = NULL;
	int fd = test_memfd_pattern(65536, 5, 0), fds, maps;

	ck_assert_int_ge(fd, 0);
	atk_open(&a);
	fds = test_fd_count();
	maps = maps_now();
	ck_assert_int_eq(atk_region(&a, 1, 65536, fd, fd), 0);
	ck_assert_int_eq(ftruncate(fd, 4096), 0);
	assert_err(sshm_channel_recv(a.ch, NULL, &v), -SSHM_ESEALS);
	ck_assert_int_eq(test_fd_count(), fds);
	ck_assert_int_eq(maps_now(), maps);
	ck_assert_int_eq(raw_wait_release(a.raw, 1, 5000), 0);

	/* Same with the announced size matching the new size: still seals. */
	ck_assert_int_eq(atk_region(&a, 2, 65536, fd, fd), 0);
	ck_assert_int_eq(ftruncate(fd, 0), 0);
	assert_err(sshm_channel_recv(a.ch, NULL, &v), -SSHM_ESEALS);
	ck_assert_int_eq(test_fd_count(), fds);
	ck_assert_int_eq(maps_now(), maps);
	ck_assert_int_eq(raw_wait_release(a.raw, 2, 5000), 0);

	/* Only SHRINK missing: the attacker shrinks, still "seals". */
	close(fd);
	fd = test_memfd_pattern(65536, 5, F_SEAL_GROW | F_SEAL_WRITE);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(atk_region(&a, 3, 65536, fd, fd), 0);
	ck_assert_int_eq(ftruncate(fd, 4096), 0);
	assert_err(sshm_channel_recv(a.ch, NULL, &v), -SSHM_ESEALS);
	ck_assert_int_eq(test_fd_count(), fds);
	ck_assert_int_eq(maps_now(), maps);
	ck_assert_int_eq(raw_wait_release(a.raw, 3, 5000), 0);

	atk_check_usable(&a, 4);
	close(fd);
	atk_close(&a);
}
END_TEST

START_TEST(test_hostile_row03_sealed_cannot_shrink)
{
	/* A sealed region accepted: the attacker's shrink, hole punch and
	 * writes all fail, and every byte of the view stays readable. */
	struct atk a;
	struct sshm_view *v = NULL;
	int fd = test_memfd_pattern(65536, 6, SSHM_SEALS_APPLIED);

	ck_assert_int_ge(fd, 0);
	atk_open(&a);
	ck_assert_int_eq(atk_region(&a, 1, 65536, fd, fd), 0);
	assert_ok(sshm_channel_recv(a.ch, NULL, &v));
	ck_assert_int_eq(ftruncate(fd, 0), -1);
	ck_assert_int_eq(errno, EPERM);
	ck_assert_int_eq(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 65536), -1);
	ck_assert_int_eq(errno, EPERM);
	ck_assert_int_eq(pwrite(fd, "x", 1, 0), -1);
	ck_assert_int_eq(errno, EPERM);
	ck_assert_ptr_eq(mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0),
			 MAP_FAILED);
	ck_assert(test_view_matches(v, 65536, 6));
	sshm_view_unref(v);
	ck_assert_int_eq(raw_wait_release(a.raw, 1, 5000), 0);
	close(fd);
	atk_close(&a);
}
END_TEST

/* ------------------------------------------------------------ row 17 */

START_TEST(test_hostile_row17_consumer_add_seals)
{
	/* The library producer always sets F_SEAL_SEAL: the consumer cannot
	 * add seals (e.g. FUTURE_WRITE/EXEC games) to the producer's memfd. */
	struct sshm_channel *p, *c;
	struct sshm_region *r = NULL;
	struct sshm_view *v = NULL;
	int fd;

	assert_ok(sshm_channel_pair(0, &p, &c));
	assert_ok(sshm_region_new(8192, 0, &r));
	assert_ok(sshm_region_write(r, 0, "sealed", 6));
	assert_ok(sshm_region_seal(r));
	ck_assert_int_eq(fcntl(sshm_region_fd(r), F_GET_SEALS) & SSHM_SEALS_APPLIED, SSHM_SEALS_APPLIED);
	assert_ok(sshm_channel_send(p, r, NULL, 0));
	assert_ok(sshm_channel_recv(c, NULL, &v));
	fd = sshm_view_fd(v);
	ck_assert_int_ge(fd, 0);
	ck_assert_uint_ne(sshm_view_seals(v) & F_SEAL_SEAL, 0);
	errno = 0;
	ck_assert_int_eq(fcntl(fd, F_ADD_SEALS, F_SEAL_FUTURE_WRITE), -1);
	ck_assert_int_eq(errno, EPERM);
	errno = 0;
	ck_assert_int_eq(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK), -1);
	ck_assert_int_eq(errno, EPERM);
	/* Nothing was added (F_SEAL_EXEC may be there: MFD_NOEXEC_SEAL). */
	ck_assert_int_eq(fcntl(sshm_region_fd(r), F_GET_SEALS) & F_SEAL_FUTURE_WRITE, 0);
	ck_assert_mem_eq(sshm_view_data(v), "sealed", 6);
	sshm_view_unref(v);
	sshm_region_unref(r);
	sshm_channel_unref(p);
	sshm_channel_unref(c);
}
END_TEST

/* ------------------------------------------------------------ rows 4-6: sizes */

START_TEST(test_hostile_row04_size_mismatch)
{
	struct atk a;
	int fd = test_memfd_pattern(8192, 7, SSHM_SEALS_APPLIED);

	ck_assert_int_ge(fd, 0);
	atk_open(&a);
	expect_fd_rejected(&a, 1, fd, 16384, NULL, -SSHM_ESIZE); /* larger */
	expect_fd_rejected(&a, 2, fd, 4096, NULL, -SSHM_ESIZE);  /* smaller */
	expect_fd_rejected(&a, 3, fd, 8193, NULL, -SSHM_ESIZE);
	expect_fd_rejected(&a, 4, fd, 8191, NULL, -SSHM_ESIZE);
	close(fd);
	atk_close(&a);
}
END_TEST

START_TEST(test_hostile_row04_size_zero)
{
	struct atk a;
	int fd = test_memfd_pattern(4096, 8, SSHM_SEALS_APPLIED);
	int empty = test_memfd_pattern(0, 0, SSHM_SEALS_APPLIED);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_ge(empty, 0);
	atk_open(&a);
	expect_fd_rejected(&a, 1, fd, 0, NULL, -SSHM_ESIZE);    /* header 0 */
	expect_fd_rejected(&a, 2, empty, 0, NULL, -SSHM_ESIZE); /* both 0 */
	expect_fd_rejected(&a, 3, empty, 4096, NULL, -SSHM_ESIZE);
	close(fd);
	close(empty);
	atk_close(&a);
}
END_TEST

START_TEST(test_hostile_row04_overflow)
{
	/* Sizes that overflow size_t/off_t arithmetic in a naive consumer. */
	static const uint64_t lies[] = { UINT64_MAX, UINT64_MAX - 4095, (uint64_t)1 << 63,
					 ((uint64_t)1 << 63) + 4096, (uint64_t)1 << 32,
					 ((uint64_t)1 << 32) + 4096 };
	struct atk a;
	unsigned int i;
	int fd = test_memfd_pattern(4096, 9, SSHM_SEALS_APPLIED);

	ck_assert_int_ge(fd, 0);
	atk_open(&a);
	for (i = 0; i < sizeof(lies) / sizeof(lies[0]); i++)
		expect_fd_rejected(&a, 1 + i, fd, lies[i], NULL, -SSHM_ESIZE);
	close(fd);
	atk_close(&a);
}
END_TEST

START_TEST(test_hostile_row04_above_cap)
{
	struct atk a;
	struct sshm_policy pol;
	struct sshm_view *v = NULL;
	int fd = test_memfd_pattern(8192, 10, SSHM_SEALS_APPLIED);

	ck_assert_int_ge(fd, 0);
	atk_open(&a);
	memset(&pol, 0, sizeof(pol));
	pol.max_size = 8191;
	expect_fd_rejected(&a, 1, fd, 8192, &pol, -SSHM_ETOOBIG);
	pol.max_size = 4096;
	expect_fd_rejected(&a, 2, fd, 8192, &pol, -SSHM_ETOOBIG);
	/* At the cap exactly: accepted. */
	pol.max_size = 8192;
	ck_assert_int_eq(atk_region(&a, 3, 8192, fd, fd), 0);
	assert_ok(sshm_channel_recv(a.ch, &pol, &v));
	ck_assert(test_view_matches(v, 8192, 10));
	sshm_view_unref(v);
	ck_assert_int_eq(raw_wait_release(a.raw, 3, 5000), 0);
	close(fd);
	atk_close(&a);
}
END_TEST

START_TEST(test_hostile_row04_default_cap)
{
	/* Just above SSHM_DEFAULT_MAX_SIZE (sparse: costs nothing). */
	int fd = test_memfd_pattern(0, 0, 0);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, (off_t)SSHM_DEFAULT_MAX_SIZE + 4096), 0);
	ck_assert_int_eq(fcntl(fd, F_ADD_SEALS, SSHM_SEALS_APPLIED), 0);
	fd_case(fd, SSHM_DEFAULT_MAX_SIZE + 4096, -SSHM_ETOOBIG);
}
END_TEST

#define TIB ((uint64_t)1 << 40)

static int sparse_memfd(uint64_t size)
{
	int fd = test_memfd_pattern(0, 0, 0);

	if (fd < 0)
		return -1;
	if (ftruncate(fd, (off_t)size) < 0 || fcntl(fd, F_ADD_SEALS, SSHM_SEALS_APPLIED) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static const char *need_sparse_tib(void)
{
	int fd = sparse_memfd(TIB);

	if (fd < 0)
		return "cannot create a 1 TiB sparse memfd here";
	close(fd);
	return NULL;
}

START_TEST(test_hostile_row05_sparse_tib)
{
	struct atk a;
	struct sshm_policy pol;
	struct stat st;
	int fd = sparse_memfd(TIB);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fstat(fd, &st), 0);
	ck_assert_int_eq(st.st_blocks, 0);
	atk_open(&a);
	/* The default cap (1 GiB) refuses it. */
	expect_fd_rejected(&a, 1, fd, TIB, NULL, -SSHM_ETOOBIG);
	/* A 2 TiB cap lets it past the size check; "populated" sees holes. */
	memset(&pol, 0, sizeof(pol));
	pol.max_size = 2 * TIB;
	pol.flags = SSHM_POLICY_POPULATED;
	expect_fd_rejected(&a, 2, fd, TIB, &pol, -SSHM_EHOLES);
	close(fd);
	atk_close(&a);
}
END_TEST

START_TEST(test_hostile_row05_hole_hidden_by_blocks)
{
	/* st_blocks inflated past EOF (fallocate KEEP_SIZE) so that it
	 * covers st_size, yet one page inside is a hole: SEEK_HOLE sees it. */
	struct atk a;
	struct sshm_policy pol;
	struct sshm_view *v = NULL;
	struct stat st;
	int fd = test_memfd_pattern(65536, 11, 0);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 16384, 4096), 0);
	ck_assert_int_eq(fallocate(fd, FALLOC_FL_KEEP_SIZE, 65536, 65536), 0);
	ck_assert_int_eq(fcntl(fd, F_ADD_SEALS, SSHM_SEALS_APPLIED), 0);
	ck_assert_int_eq(fstat(fd, &st), 0);
	ck_assert_int_ge((uint64_t)st.st_blocks * 512, 65536);

	atk_open(&a);
	memset(&pol, 0, sizeof(pol));
	pol.flags = SSHM_POLICY_POPULATED;
	expect_fd_rejected(&a, 1, fd, 65536, &pol, -SSHM_EHOLES);
	/* The default policy reads the hole as zeroes: accepted. */
	ck_assert_int_eq(atk_region(&a, 2, 65536, fd, fd), 0);
	assert_ok(sshm_channel_recv(a.ch, NULL, &v));
	ck_assert_uint_eq(((const uint8_t *)sshm_view_data(v))[16384], 0);
	sshm_view_unref(v);
	ck_assert_int_eq(raw_wait_release(a.raw, 2, 5000), 0);
	/* A fully populated one passes the populated policy. */
	close(fd);
	fd = test_memfd_pattern(65536, 12, SSHM_SEALS_APPLIED);
	ck_assert_int_eq(atk_region(&a, 3, 65536, fd, fd), 0);
	assert_ok(sshm_channel_recv(a.ch, &pol, &v));
	ck_assert(test_view_matches(v, 65536, 12));
	sshm_view_unref(v);
	ck_assert_int_eq(raw_wait_release(a.raw, 3, 5000), 0);
	close(fd);
	atk_close(&a);
}
END_TEST

START_TEST(test_hostile_row06_hugetlb)
{
	struct atk a;
	struct sshm_policy pol;
	int fd = test_hugetlb_memfd();

	ck_assert_int_ge(fd, 0);
	atk_open(&a);
	/* Default policy: no hugetlb at all. */
	expect_fd_rejected(&a, 1, fd, TEST_HUGE_SIZE, NULL, -SSHM_EHUGETLB);
	/* Populated-only policy still forbids hugetlb. */
	memset(&pol, 0, sizeof(pol));
	pol.flags = SSHM_POLICY_POPULATED;
	expect_fd_rejected(&a, 2, fd, TEST_HUGE_SIZE, &pol, -SSHM_EHUGETLB);
	/* Allowed and populated: this one has no page, so holes. */
	pol.flags = SSHM_POLICY_ALLOW_HUGETLB | SSHM_POLICY_POPULATED;
	expect_fd_rejected(&a, 3, fd, TEST_HUGE_SIZE, &pol, -SSHM_EHOLES);
	/* ALLOW_HUGETLB without POPULATED is not a policy at all. */
	{
		struct sshm_view *v = NULL;

		pol.flags = SSHM_POLICY_ALLOW_HUGETLB;
		assert_err(sshm_channel_recv(a.ch, &pol, &v), -EINVAL);
	}
	close(fd);
	atk_close(&a);
}
END_TEST

/* ------------------------------------------------------------ rows 10, 11, 14: framing */

/*
 * A framing violation: the attacker sends @len bytes with @nfds fds (fresh
 * sealed memfds, valid ones: only the framing is wrong), recv returns
 * @want, every fd that arrived is closed, nothing is mapped, and the
 * channel is broken for good.
 */
static void expect_framing(struct atk *a, const void *buf, size_t len, int nfds, int want,
			   const char *what)
{
	struct sshm_view *v = NULL;
	int fds[4], i, before, maps, r;

	ck_assert(nfds <= 4);
	for (i = 0; i < nfds; i++) {
		fds[i] = test_memfd_pattern(4096, (unsigned int)i, SSHM_SEALS_APPLIED);
		ck_assert_int_ge(fds[i], 0);
	}
	before = test_fd_count();
	maps = maps_now();
	ck_assert_msg(raw_sendv(a->raw, buf, len, fds, nfds) == 0, "%s: send: %s", what,
		      strerror(errno));
	r = sshm_channel_recv(a->ch, NULL, &v);
	ck_assert_msg(r == want, "%s: expected %d (%s), got %d (%s)", what, want,
		      sshm_strerror(want), r, sshm_strerror(r));
	ck_assert_ptr_null(v);
	ck_assert_msg(test_fd_count() == before, "%s: %d fds before, %d after", what, before,
		      test_fd_count());
	ck_assert_int_eq(maps_now(), maps);
	atk_check_broken(a);
	for (i = 0; i < nfds; i++)
		close(fds[i]);
}

/* A fresh attacker (HELLO exchanged unless @no_hello), one violation. */
static void framing_case(int no_hello, const void *buf, size_t len, int nfds, int want,
			 const char *what)
{
	struct atk a;

	if (no_hello) {
		atk_open_nohello(&a, 0);
		atk_read_hello(&a);
	} else {
		atk_open(&a);
	}
	expect_framing(&a, buf, len, nfds, want, what);
	atk_close(&a);
}

static uint8_t pkt[RAW_PACKET_MAX + 65536];

START_TEST(test_hostile_row10_two_fds)
{
	size_t n = raw_region(pkt, 1, 4096, 3, NULL, 0);

	framing_case(0, pkt, n, 2, -SSHM_EPROTO, "REGION with two fds");
	framing_case(0, pkt, n, 4, -SSHM_EPROTO, "REGION with four fds");
}
END_TEST

START_TEST(test_hostile_row10_two_rights_cmsgs)
{
	/* Two SCM_RIGHTS control messages of one fd each. */
	union {
		struct cmsghdr h;
		char buf[2 * CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec iov;
	struct msghdr msg;
	struct cmsghdr *c;
	struct sshm_view *v = NULL;
	struct atk a;
	int m1 = test_memfd_pattern(4096, 1, SSHM_SEALS_APPLIED),
	    m2 = test_memfd_pattern(4096, 2, SSHM_SEALS_APPLIED);
	int before, maps;

	ck_assert_int_ge(m1, 0);
	ck_assert_int_ge(m2, 0);
	atk_open(&a);
	iov.iov_base = pkt;
	iov.iov_len = raw_region(pkt, 1, 4096, m1, NULL, 0);
	memset(&msg, 0, sizeof(msg));
	memset(&ctl, 0, sizeof(ctl));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = ctl.buf;
	msg.msg_controllen = sizeof(ctl.buf);
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &m1, sizeof(int));
	c = CMSG_NXTHDR(&msg, c);
	ck_assert_ptr_nonnull(c);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &m2, sizeof(int));
	before = test_fd_count();
	maps = maps_now();
	ck_assert_int_eq(sendmsg(a.raw, &msg, MSG_NOSIGNAL), (ssize_t)iov.iov_len);
	assert_err(sshm_channel_recv(a.ch, NULL, &v), -SSHM_EPROTO);
	ck_assert_int_eq(test_fd_count(), before);
	ck_assert_int_eq(maps_now(), maps);
	atk_check_broken(&a);
	atk_close(&a);
	close(m1);
	close(m2);
}
END_TEST

START_TEST(test_hostile_row10_ctrunc)
{
	/* More fds than the library's control buffer holds: the kernel
	 * installs what fits, closes the rest, sets MSG_CTRUNC. */
	int fds[64], i, before, maps;
	struct sshm_view *v = NULL;
	struct atk a;
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(fds))];
	} ctl;
	struct iovec iov;
	struct msghdr msg;
	struct cmsghdr *c;

	for (i = 0; i < 64; i++) {
		fds[i] = test_memfd_pattern(4096, (unsigned int)i, SSHM_SEALS_APPLIED);
		ck_assert_int_ge(fds[i], 0);
	}
	atk_open(&a);
	iov.iov_base = pkt;
	iov.iov_len = raw_region(pkt, 1, 4096, fds[0], NULL, 0);
	memset(&msg, 0, sizeof(msg));
	memset(&ctl, 0, sizeof(ctl));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = ctl.buf;
	msg.msg_controllen = sizeof(ctl.buf);
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(fds));
	memcpy(CMSG_DATA(c), fds, sizeof(fds));
	before = test_fd_count();
	maps = maps_now();
	ck_assert_int_eq(sendmsg(a.raw, &msg, MSG_NOSIGNAL), (ssize_t)iov.iov_len);
	assert_err(sshm_channel_recv(a.ch, NULL, &v), -SSHM_EPROTO);
	ck_assert_int_eq(test_fd_count(), before);
	ck_assert_int_eq(maps_now(), maps);
	atk_check_broken(&a);
	atk_close(&a);
	for (i = 0; i < 64; i++)
		close(fds[i]);
}
END_TEST

START_TEST(test_hostile_row10_region_without_fd)
{
	size_t n = raw_region(pkt, 1, 4096, 3, NULL, 0);

	framing_case(0, pkt, n, 0, -SSHM_EPROTO, "REGION without an fd");
}
END_TEST

START_TEST(test_hostile_row10_fd_on_other_types)
{
	const uint64_t id = 1;
	size_t n;

	n = raw_inline(pkt, "data", 4);
	framing_case(0, pkt, n, 1, -SSHM_EPROTO, "INLINE with an fd");
	n = raw_release(pkt, &id, 1);
	framing_case(0, pkt, n, 1, -SSHM_EPROTO, "RELEASE with an fd");
	n = raw_hello(pkt, 64, 0);
	framing_case(1, pkt, n, 1, -SSHM_EPROTO, "first HELLO with an fd");
	framing_case(0, pkt, n, 1, -SSHM_EPROTO, "second HELLO with an fd");
}
END_TEST

/* Can an attacker deliver a control message other than rights/creds? */
static const char *need_unknown_cmsg(void)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	char x = 'x';
	struct iovec iov = { .iov_base = &x, .iov_len = 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
			      .msg_controllen = sizeof(ctl.buf) };
	struct cmsghdr *c;
	int sv[2], ok;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return "socketpair failed";
	memset(&ctl, 0, sizeof(ctl));
	c = &ctl.h;
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = 0x7f;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	ok = sendmsg(sv[0], &msg, MSG_NOSIGNAL | MSG_DONTWAIT) == 1;
	close(sv[0]);
	close(sv[1]);
	return ok ? NULL
		  : "the kernel refuses unknown SOL_SOCKET cmsg types on AF_UNIX "
		    "(sendmsg EINVAL): an attacker cannot deliver one";
}

START_TEST(test_hostile_row10_unknown_cmsg)
{
	/* Only reached on a kernel that forwards an unknown cmsg type. */
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec iov;
	struct msghdr msg;
	struct cmsghdr *c;
	struct sshm_view *v = NULL;
	struct atk a;

	atk_open(&a);
	iov.iov_base = pkt;
	iov.iov_len = raw_inline(pkt, "x", 1);
	memset(&msg, 0, sizeof(msg));
	memset(&ctl, 0, sizeof(ctl));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = ctl.buf;
	msg.msg_controllen = sizeof(ctl.buf);
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = 0x7f;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	ck_assert_int_eq(sendmsg(a.raw, &msg, MSG_NOSIGNAL), (ssize_t)iov.iov_len);
	assert_err(sshm_channel_recv(a.ch, NULL, &v), -SSHM_EPROTO);
	atk_check_broken(&a);
	atk_close(&a);
}
END_TEST

START_TEST(test_hostile_row11_zero_length_with_fd)
{
	/* A zero-length packet carrying an fd is not end of file. */
	struct sshm_view *v = NULL;
	struct atk a;

	atk_open(&a);
	expect_framing(&a, pkt, 0, 1, -SSHM_EPROTO, "zero-length packet with an fd");
	/* Still broken, not "peer gone", although the peer closes now. */
	close(a.raw);
	a.raw = -1;
	assert_err(sshm_channel_recv(a.ch, NULL, &v), -SSHM_EBROKEN);
	atk_close(&a);
}
END_TEST

START_TEST(test_hostile_row11_zero_length_no_fd)
{
	/* Without an fd it still carries credentials (SO_PASSCRED): a packet,
	 * not end of file, and an empty packet is no message. */
	framing_case(0, pkt, 0, 0, -SSHM_EPROTO, "zero-length packet");
}
END_TEST

START_TEST(test_hostile_row11_oversized)
{
	/* One byte over the largest valid packet, shaped as an INLINE that
	 * claims the maximum: MSG_TRUNC. */
	size_t n;

	memset(pkt, 'z', sizeof(pkt));
	raw_common(pkt, RAW_INLINE);
	raw_put32(pkt + 8, 4096);
	raw_put32(pkt + 12, 65536);
	n = RAW_PACKET_MAX + 1;
	framing_case(0, pkt, n, 0, -SSHM_EPROTO, "69649-byte packet");
	framing_case(0, pkt, n, 1, -SSHM_EPROTO, "69649-byte packet with an fd");
	framing_case(0, pkt, RAW_PACKET_MAX + 65536, 1, -SSHM_EPROTO,
		     "135184-byte packet");
	/* A REGION header followed by too much meta, truncated too. */
	raw_region(pkt, 1, 4096, 3, NULL, 0);
	framing_case(0, pkt, RAW_PACKET_MAX + 100, 1, -SSHM_EPROTO, "oversized REGION");
}
END_TEST

START_TEST(test_hostile_row11_largest_valid)
{
	/* The boundary: exactly 69648 bytes (INLINE, full meta and data) passes. */
	struct sshm_view *v = NULL;
	struct atk a;
	size_t mlen = 0;

	memset(pkt, 'q', sizeof(pkt));
	raw_common(pkt, RAW_INLINE);
	raw_put32(pkt + 8, 4096);
	raw_put32(pkt + 12, 65536);
	atk_open(&a);
	ck_assert_int_eq(raw_send(a.raw, pkt, RAW_PACKET_MAX, -1), 0);
	assert_ok(sshm_channel_recv(a.ch, NULL, &v));
	ck_assert_uint_eq(sshm_view_size(v), 65536);
	ck_assert_ptr_nonnull(sshm_view_meta(v, &mlen));
	ck_assert_uint_eq(mlen, 4096);
	sshm_view_unref(v);
	atk_check_usable(&a, 1);
	atk_close(&a);
}
END_TEST

START_TEST(test_hostile_row14_no_hello_first)
{
	const uint64_t id = 1;
	size_t n;

	n = raw_region(pkt, 1, 4096, 3, NULL, 0);
	framing_case(1, pkt, n, 1, -SSHM_EPROTO, "REGION before HELLO");
	n = raw_inline(pkt, "x", 1);
	framing_case(1, pkt, n, 0, -SSHM_EPROTO, "INLINE before HELLO");
	n = raw_release(pkt, &id, 1);
	framing_case(1, pkt, n, 0, -SSHM_EPROTO, "RELEASE before HELLO");
}
END_TEST

START_TEST(test_hostile_row14_duplicate_hello)
{
	size_t n = raw_hello(pkt, 64, 0);

	framing_case(0, pkt, n, 0, -SSHM_EPROTO, "second HELLO");
}
END_TEST

START_TEST(test_hostile_row14_hello_longer_is_valid)
{
	/* Bytes past the 48-byte extended HELLO are later versions' fields:
	 * ignored. */
	struct atk a;

	atk_open_nohello(&a, 0);
	memset(pkt, 0xee, 64);
	raw_hello(pkt, 64, 0);
	memset(pkt + 32, 0, 16); /* no budget, no features, reserved 0 */
	ck_assert_int_eq(raw_send(a.raw, pkt, 64, -1), 0);
	atk_read_hello(&a);
	atk_check_usable(&a, 1);
	atk_close(&a);
}
END_TEST

/* Packets that fail the header decode, each on a fresh attacker. */
struct bad_case {
	const char *what;
	int no_hello; /* sent as the first message */
	int nfds;
	int want;
};

static size_t bad_build(unsigned int i, struct bad_case *c)
{
	const uint64_t ids[2] = { 1, 2 };
	size_t n;

	memset(c, 0, sizeof(*c));
	c->want = -SSHM_EHEADER;
	switch (i) {
	case 0:
		c->what = "bad magic (REGION, fd)";
		n = raw_region(pkt, 1, 4096, 3, NULL, 0);
		raw_put32(pkt, 0x4d485354);
		c->nfds = 1;
		return n;
	case 1:
		c->what = "magic byte-swapped";
		n = raw_region(pkt, 1, 4096, 3, NULL, 0);
		raw_put32(pkt, 0x5353484d);
		c->nfds = 1;
		return n;
	case 2:
		c->what = "version 0";
		n = raw_region(pkt, 1, 4096, 3, NULL, 0);
		pkt[4] = 0;
		c->nfds = 1;
		c->want = -SSHM_EVERSION;
		return n;
	case 3:
		c->what = "version 2";
		n = raw_inline(pkt, "x", 1);
		pkt[4] = 2;
		c->want = -SSHM_EVERSION;
		return n;
	case 4:
		c->what = "version 255 HELLO first";
		n = raw_hello(pkt, 64, 0);
		pkt[4] = 255;
		c->no_hello = 1;
		c->want = -SSHM_EVERSION;
		return n;
	case 5:
		c->what = "type 0";
		n = raw_region(pkt, 1, 4096, 3, NULL, 0);
		pkt[5] = 0;
		c->nfds = 1;
		return n;
	case 6:
		c->what = "type 5";
		n = raw_region(pkt, 1, 4096, 3, NULL, 0);
		pkt[5] = 5;
		c->nfds = 1;
		return n;
	case 7:
		c->what = "type 255";
		n = raw_inline(pkt, "x", 1);
		pkt[5] = 255;
		return n;
	case 8:
		c->what = "reserved byte 6";
		n = raw_region(pkt, 1, 4096, 3, NULL, 0);
		pkt[6] = 1;
		c->nfds = 1;
		return n;
	case 9:
		c->what = "reserved byte 7";
		n = raw_inline(pkt, "x", 1);
		pkt[7] = 0x80;
		return n;
	case 10:
		c->what = "HELLO 31 bytes";
		c->no_hello = 1;
		return raw_hello(pkt, 64, 0) - 1;
	case 11:
		c->what = "HELLO window 0";
		c->no_hello = 1;
		return raw_hello(pkt, 0, 0);
	case 12:
		c->what = "HELLO reserved field";
		c->no_hello = 1;
		n = raw_hello(pkt, 64, 0);
		raw_put32(pkt + 28, 1);
		return n;
	case 13:
		c->what = "REGION 31 bytes";
		c->nfds = 1;
		return raw_region(pkt, 1, 4096, 3, NULL, 0) - 1;
	case 14:
		c->what = "REGION meta_len larger than the packet";
		c->nfds = 1;
		n = raw_region(pkt, 1, 4096, 3, "meta", 4);
		raw_put32(pkt + 28, 5);
		return n;
	case 15:
		c->what = "REGION meta_len smaller than the packet";
		c->nfds = 1;
		n = raw_region(pkt, 1, 4096, 3, "meta", 4);
		raw_put32(pkt + 28, 3);
		return n;
	case 16:
		c->what = "REGION meta_len 4097";
		c->nfds = 1;
		memset(pkt, 'm', 32 + 4097);
		return raw_region(pkt, 1, 4096, 3, pkt + 32, 4097);
	case 17:
		c->what = "REGION meta_len UINT32_MAX";
		c->nfds = 1;
		n = raw_region(pkt, 1, 4096, 3, NULL, 0);
		raw_put32(pkt + 28, UINT32_MAX);
		return n;
	case 18:
		c->what = "REGION id 0";
		c->nfds = 1;
		return raw_region(pkt, 0, 4096, 3, NULL, 0);
	case 19:
		c->what = "REGION announced fd -1";
		c->nfds = 1;
		return raw_region(pkt, 1, 4096, -1, NULL, 0);
	case 20:
		c->what = "REGION announced fd INT32_MIN";
		c->nfds = 1;
		return raw_region(pkt, 1, 4096, INT32_MIN, NULL, 0);
	case 21:
		c->what = "INLINE 15 bytes";
		return raw_inline(pkt, NULL, 0) - 1;
	case 22:
		c->what = "INLINE data_len larger than the packet";
		n = raw_inline(pkt, "abcd", 4);
		raw_put32(pkt + 12, 5);
		return n;
	case 23:
		c->what = "INLINE data_len UINT32_MAX (sum overflow)";
		n = raw_inline(pkt, "abcd", 4);
		raw_put32(pkt + 8, UINT32_MAX - 3);
		raw_put32(pkt + 12, 4 + 4);
		return n;
	case 24:
		c->what = "INLINE meta_len 4097";
		n = raw_inline(pkt, NULL, 0);
		raw_put32(pkt + 8, 4097);
		memset(pkt + 16, 'm', 4097);
		return n + 4097;
	case 25:
		c->what = "INLINE data_len 65537";
		n = raw_inline(pkt, NULL, 0);
		raw_put32(pkt + 12, 65537);
		memset(pkt + 16, 'd', 65537);
		return n + 65537;
	case 26:
		c->what = "RELEASE count 0";
		return raw_release(pkt, ids, 0);
	case 27:
		c->what = "RELEASE count larger than the packet";
		n = raw_release(pkt, ids, 2);
		raw_put32(pkt + 8, 3);
		return n;
	case 28:
		c->what = "RELEASE count 4097";
		memset(pkt, 0, 16 + 8 * 4097);
		n = raw_release(pkt, ids, 1);
		raw_put32(pkt + 8, 4097);
		return 16 + 8 * 4097;
	case 29:
		c->what = "RELEASE reserved field";
		n = raw_release(pkt, ids, 1);
		raw_put32(pkt + 12, 1);
		return n;
	case 30:
		c->what = "RELEASE 15 bytes";
		return raw_release(pkt, ids, 1) - 9;
	case 31:
		c->what = "4-byte packet";
		raw_put32(pkt, RAW_MAGIC);
		return 4;
	case 32:
		c->what = "1-byte packet with an fd";
		c->nfds = 1;
		pkt[0] = 'S';
		return 1;
	case 33:
		c->what = "RELEASE count UINT32_MAX (length overflow)";
		n = raw_release(pkt, ids, 1);
		raw_put32(pkt + 8, UINT32_MAX);
		return n;
	default:
		return 0;
	}
}

START_TEST(test_hostile_row14_bad_headers)
{
	struct bad_case c;
	unsigned int i;
	size_t n;

	for (i = 0; (n = bad_build(i, &c)) != 0; i++)
		framing_case(c.no_hello, pkt, n, c.nfds, c.want, c.what);
	ck_assert_uint_eq(i, 34);
}
END_TEST

START_TEST(test_hostile_row14_release_unknown_id)
{
	/* Well framed, but a sequence violation: a RELEASE of an id this side
	 * never sent.  The consumer that gets it breaks. */
	const uint64_t id = 77;
	size_t n = raw_release(pkt, &id, 1);

	framing_case(0, pkt, n, 0, -SSHM_EPROTO, "RELEASE of an unknown id");
}
END_TEST

/* ------------------------------------------------------------ row 14: fuzz */

static int is_fd_verdict(int r)
{
	switch (-r) {
	case SSHM_ENOTREG:
	case SSHM_EOPATH:
	case SSHM_ENOTMEMFD:
	case SSHM_EHUGETLB:
	case SSHM_ESEALS:
	case SSHM_ESIZE:
	case SSHM_ETOOBIG:
	case SSHM_EHOLES:
	case SSHM_EIDENTITY:
	case SSHM_EUNVERIFIED:
		return 1;
	}
	return 0;
}

static int is_framing(int r)
{
	return r == -SSHM_EPROTO || r == -SSHM_EHEADER || r == -SSHM_EVERSION;
}

/* One fd of a random kind for the fuzzer, or -1. */
static int fuzz_fd(uint64_t size)
{
	int p[2];

	switch (test_rng() % 5) {
	case 0:
	case 1:
		return test_memfd_pattern(size, 1, SSHM_SEALS_APPLIED);
	case 2:
		return test_memfd_pattern(size, 2, 0);
	case 3:
		if (pipe2(p, O_CLOEXEC) < 0)
			return -1;
		close(p[1]);
		return p[0];
	default:
		return open("/dev/null", O_RDONLY | O_CLOEXEC);
	}
}

static size_t fuzz_packet(uint8_t *b, int *announced)
{
	static const uint64_t ids[3] = { 1, 2, 3 };
	size_t n;
	unsigned int k, flips;

	switch (test_rng() % 6) {
	case 0:
		n = raw_hello(b, (uint32_t)(test_rng() % 3), 0);
		break;
	case 1:
	case 2:
		n = raw_region(b, 1 + test_rng() % 3, 4096 * (test_rng() % 3), *announced,
			     "meta", (uint32_t)(test_rng() % 5));
		break;
	case 3:
		n = raw_inline(b, "payload", (uint32_t)(test_rng() % 8));
		break;
	case 4:
		n = raw_release(b, ids, (uint32_t)(test_rng() % 4));
		break;
	default:
		n = test_rng() % 96;
		for (k = 0; k < n; k++)
			b[k] = (uint8_t)test_rng();
		if (test_rng() % 2 && n >= 8)
			raw_common(b, (uint8_t)(test_rng() % 6));
		break;
	}
	flips = (unsigned int)(test_rng() % 4);
	for (k = 0; k < flips && n > 0; k++)
		b[test_rng() % n] ^= (uint8_t)(1u << (test_rng() % 8));
	switch (test_rng() % 8) {
	case 0:
		n = n ? (size_t)(test_rng() % n) : 0;
		break;
	case 1:
		for (k = 0; k < 8; k++)
			b[n + k] = (uint8_t)test_rng();
		n += 1 + test_rng() % 8;
		break;
	}
	return n;
}

START_TEST(test_hostile_row14_fuzz)
{
	unsigned int i, ok = 0, verdicts = 0, framing = 0, again = 0;

	test_rng_seed(0x5353484d2024ULL);
	for (i = 0; i < 1000; i++) {
		struct sshm_view *v = NULL;
		struct atk a;
		int fds[2] = { -1, -1 }, nfds, before, maps, r, k, announced;
		uint8_t b[256];
		size_t n;

		if (test_rng() % 10 == 0) {
			atk_open_nohello(&a, SSHM_CHANNEL_NONBLOCK);
			atk_read_hello(&a);
		} else {
			atk_open_flags(&a, SSHM_CHANNEL_NONBLOCK);
		}
		nfds = (int)(test_rng() % 4);
		nfds = nfds == 3 ? 2 : nfds == 2 ? 1 : nfds;
		for (k = 0; k < nfds; k++) {
			fds[k] = fuzz_fd(4096 * (1 + test_rng() % 2));
			ck_assert_int_ge(fds[k], 0);
		}
		announced = fds[0] >= 0 ? fds[0] : 3;
		n = fuzz_packet(b, &announced);
		before = test_fd_count();
		maps = maps_now();
		ck_assert_msg(raw_sendv(a.raw, b, n, fds, nfds) == 0, "packet %u: send: %s", i,
			      strerror(errno));
		r = sshm_channel_recv(a.ch, NULL, &v);
		if (r >= 0) {
			ok++;
			ck_assert_ptr_nonnull(v);
			v = sshm_view_unref(v);
		} else if (is_fd_verdict(r)) {
			verdicts++;
			if (i % 16 == 0)
				atk_check_usable(&a, 100);
		} else if (is_framing(r)) {
			framing++;
			assert_err(sshm_channel_recv(a.ch, NULL, &v), -SSHM_EBROKEN);
		} else {
			ck_assert_msg(r == -EAGAIN, "packet %u (%zu bytes, %d fds): undocumented %d (%s)",
				      i, n, nfds, r, sshm_strerror(r));
			again++;
		}
		ck_assert_msg(test_fd_count() == before, "packet %u: %d fds before, %d after (r=%d %s)",
			      i, before, test_fd_count(), r, sshm_strerror(r));
		ck_assert_msg(maps_now() == maps, "packet %u: mapping left (r=%d)", i, r);
		for (k = 0; k < nfds; k++)
			close(fds[k]);
		atk_close(&a);
	}
	fprintf(stderr, "row14 fuzz: %u accepted, %u fd verdicts, %u framing, %u consumed\n", ok,
		verdicts, framing, again);
	/* The corpus reached every outcome, not only "bad magic". */
	ck_assert_uint_gt(ok, 0);
	ck_assert_uint_gt(verdicts, 0);
	ck_assert_uint_gt(framing, 0);
}
END_TEST

/* ------------------------------------------------------------ row 13: RLIMIT_NOFILE */

static const char *need_not_valgrind(void)
{
	return test_under_valgrind() ? "valgrind emulates RLIMIT_NOFILE and keeps fds of its own "
				  "above the limit: the kernel never hits EMFILE in recvmsg"
				: NULL;
}

static int highest_fd(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int hi = -1;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && atoi(e->d_name) > hi && atoi(e->d_name) != dirfd(d))
			hi = atoi(e->d_name);
	closedir(d);
	return hi;
}

struct rlimit_ctx {
	int slots;  /* fd slots left free when recv runs */
	int policy; /* SSHM_POLICY_* flags for that recv */
};

/*
 * In a child: the fd table is filled up to RLIMIT_NOFILE but @slots, then a
 * REGION arrives.  recvmsg cannot install everything (MSG_CTRUNC) or a
 * later open fails (-EMFILE): a clean error, every fd closed, and the
 * channel either usable or broken for good.
 */
static int child_rlimit(void *arg)
{
	const struct rlimit_ctx *ctx = arg;
	struct sshm_channel *ch = NULL;
	struct sshm_view *v = NULL;
	struct sshm_policy pol;
	struct rlimit old, lim;
	uint8_t b[64];
	int sv[2], m, fill[1024], nfill = 0, before, maps, r, i;

	CHILD_CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0, 10);
	CHILD_CHECK(sshm_channel_adopt(sv[0], 0, &ch) == 0, 11);
	CHILD_CHECK(raw_send(sv[1], b, raw_hello(b, 64, 0), -1) == 0, 12);
	CHILD_CHECK(raw_recv(sv[1], b, sizeof(b), 5000) >= 32, 13);
	m = test_memfd_pattern(4096, 1, SSHM_SEALS_APPLIED);
	CHILD_CHECK(m >= 0, 14);
	CHILD_CHECK(raw_send_region(sv[1], 1, 4096, m, m) == 0, 15);
	before = test_fd_count();
	maps = maps_now();

	/* No free slot below the highest fd, then the limit just above it. */
	CHILD_CHECK(getrlimit(RLIMIT_NOFILE, &old) == 0, 16);
	lim = old;
	lim.rlim_cur = (rlim_t)highest_fd() + 1;
	CHILD_CHECK(setrlimit(RLIMIT_NOFILE, &lim) == 0, 17);
	while (nfill < 1024 && (fill[nfill] = dup(m)) >= 0)
		nfill++;
	CHILD_CHECK(errno == EMFILE, 18);
	lim.rlim_cur += (rlim_t)ctx->slots;
	CHILD_CHECK(setrlimit(RLIMIT_NOFILE, &lim) == 0, 19);

	memset(&pol, 0, sizeof(pol));
	pol.flags = (unsigned int)ctx->policy;
	r = sshm_channel_recv(ch, &pol, &v);

	CHILD_CHECK(setrlimit(RLIMIT_NOFILE, &old) == 0, 20);
	for (i = 0; i < nfill; i++)
		close(fill[i]);
	if (r >= 0)
		sshm_view_unref(v);
	fprintf(stderr, "row13: %d free slot(s), policy 0x%x: recv %d (%s)\n", ctx->slots,
		ctx->policy, r, sshm_strerror(r));
	CHILD_CHECK(test_fd_count() == before, 21);
	CHILD_CHECK(maps_now() == maps, 22);
	if (r == -SSHM_EPROTO) {
		/* Cleanly broken. */
		CHILD_CHECK(sshm_channel_recv(ch, NULL, &v) == -SSHM_EBROKEN, 23);
	} else {
		/* A clean fd-level error (or success): released, usable. */
		CHILD_CHECK(r >= 0 || r == -EMFILE || is_fd_verdict(r), 24);
		CHILD_CHECK(raw_wait_release(sv[1], 1, 5000) == 0, 25);
		CHILD_CHECK(raw_send_region(sv[1], 2, 4096, m, m) == 0, 26);
		r = sshm_channel_recv(ch, NULL, &v);
		CHILD_CHECK(r == 0, 27);
		CHILD_CHECK(test_view_matches(v, 4096, 1), 28);
		sshm_view_unref(v);
	}
	if (ctx->slots == 0)
		/* Not even the region fd fits: the only outcome is CTRUNC. */
		CHILD_CHECK(r == -SSHM_EPROTO, 29);
	sshm_channel_unref(ch);
	close(sv[1]);
	close(m);
	return 0;
}

START_TEST(test_hostile_row13_no_slot)
{
	struct rlimit_ctx ctx = { .slots = 0 };

	test_wait(test_fork(child_rlimit, &ctx), 0);
}
END_TEST

START_TEST(test_hostile_row13_one_slot)
{
	/* One slot: with SO_PASSPIDFD the pidfd takes it and the region fd
	 * does not fit (MSG_CTRUNC); without, the region fd fits. */
	struct rlimit_ctx ctx = { .slots = 1 };

	test_wait(test_fork(child_rlimit, &ctx), 0);
}
END_TEST

START_TEST(test_hostile_row13_just_enough)
{
	/* Room for what recvmsg installs, none for the fds the pipeline opens
	 * later (pidfd_open, the /proc reopen of the populated check). */
	struct rlimit_ctx ctx = { .slots = test_need_passpidfd() ? 1 : 2 };

	test_wait(test_fork(child_rlimit, &ctx), 0);
	ctx.policy = SSHM_POLICY_POPULATED;
	test_wait(test_fork(child_rlimit, &ctx), 0);
}
END_TEST

/* ------------------------------------------------------------ row 15: peer dies */

struct killed_ctx {
	int raw;     /* the attacker's end */
	int lib_end; /* closed in the child */
	int ready;   /* pipe: the child says "all sent" */
	int n;       /* regions to send */
};

static int child_send_then_hang(void *arg)
{
	const struct killed_ctx *ctx = arg;
	uint8_t b[64];
	int fds[16], i;

	close(ctx->lib_end);
	CHILD_CHECK(raw_send(ctx->raw, b, raw_hello(b, 64, 0), -1) == 0, 10);
	for (i = 0; i < ctx->n; i++) {
		fds[i] = test_memfd_pattern(8192, (unsigned int)i + 1, SSHM_SEALS_APPLIED);
		CHILD_CHECK(fds[i] >= 0, 11);
		CHILD_CHECK(raw_send_region(ctx->raw, (uint64_t)i + 1, 8192, fds[i],
					    fds[i]) == 0, 12);
	}
	CHILD_CHECK(write(ctx->ready, "r", 1) == 1, 13);
	for (;;)
		pause(); /* until SIGKILL; never reads the library's packets */
	return 0;
}

START_TEST(test_hostile_row15_sigkill_mid_stream)
{
	struct killed_ctx ctx = { .n = 6 };
	struct sshm_channel *ch = NULL;
	struct sshm_view *v[6] = { NULL };
	struct sshm_region *r = NULL;
	int sv[2], ready[2], st, i;
	char c;
	pid_t pid;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	ck_assert_int_eq(pipe2(ready, O_CLOEXEC), 0);
	assert_ok(sshm_channel_adopt(sv[0], 0, &ch));
	ctx.raw = sv[1];
	ctx.lib_end = sv[0];
	ctx.ready = ready[1];
	pid = test_fork(child_send_then_hang, &ctx);
	close(sv[1]);
	close(ready[1]);
	ck_assert_int_eq(read(ready[0], &c, 1), 1);
	close(ready[0]);

	/* Two taken and dropped: their RELEASEs sit unread in the attacker's
	 * queue when it dies (the kernel then reports ECONNRESET first). */
	for (i = 0; i < 2; i++) {
		assert_ok(sshm_channel_recv(ch, NULL, &v[i]));
		ck_assert(test_view_matches(v[i], 8192, (unsigned int)i + 1));
		v[i] = sshm_view_unref(v[i]);
	}
	assert_ok(sshm_channel_recv(ch, NULL, &v[2]));

	ck_assert_int_eq(kill(pid, SIGKILL), 0);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);

	/* What was queued is still delivered, intact; then the end. */
	for (i = 3; i < 6; i++) {
		assert_ok(sshm_channel_recv(ch, NULL, &v[i]));
		ck_assert(test_view_matches(v[i], 8192, (unsigned int)i + 1));
		ck_assert_int_ne(sshm_view_identity(v[i])->verdict, SSHM_VERDICT_VERIFIED);
	}
	assert_err(sshm_channel_recv(ch, NULL, &v[0]), -EPIPE);
	assert_err(sshm_channel_recv(ch, NULL, &v[0]), -EPIPE);
	/* Sending to the dead peer: -EPIPE, and no SIGPIPE (we would die). */
	assert_ok(sshm_region_new(4096, 0, &r));
	assert_ok(sshm_region_seal(r));
	assert_err(sshm_channel_send(ch, r, NULL, 0), -EPIPE);
	assert_err(sshm_channel_send_bytes(ch, "x", 1, NULL, 0), -EPIPE);
	sshm_region_unref(r);
	/* Views dropped after the end: their releases go nowhere, quietly. */
	for (i = 2; i < 6; i++)
		sshm_view_unref(v[i]);
	sshm_channel_unref(ch);
}
END_TEST

START_TEST(test_hostile_row15_consumer_gone)
{
	/* The library produces; the raw consumer vanishes with regions in
	 * flight: -EPIPE from send, drain returns 0, no SIGPIPE, no leak. */
	struct atk a;
	struct sshm_region *r = NULL;
	struct sshm_view *v = NULL;

	atk_open(&a);
	assert_ok(sshm_region_new(4096, 0, &r));
	assert_ok(sshm_region_seal(r));
	assert_ok(sshm_channel_send(a.ch, r, NULL, 0));
	assert_ok(sshm_channel_send(a.ch, r, NULL, 0));
	ck_assert_uint_eq(sshm_channel_inflight(a.ch), 2);
	/* It reads one (and closes the fd), leaves the other unread. */
	ck_assert_uint_eq(raw_take_region(a.raw, 5000), 1);
	close(a.raw);
	a.raw = -1;
	assert_err(sshm_channel_send(a.ch, r, NULL, 0), -EPIPE);
	assert_err(sshm_channel_send_bytes(a.ch, "abc", 3, NULL, 0), -EPIPE);
	assert_ok(sshm_channel_drain(a.ch));
	ck_assert_uint_eq(sshm_channel_inflight(a.ch), 0);
	assert_err(sshm_channel_recv(a.ch, NULL, &v), -EPIPE);
	sshm_region_unref(r);
	atk_close(&a);
}
END_TEST

/* ------------------------------------------------------------ row 16: never released */

static struct sshm_region *sealed_region(uint64_t size)
{
	struct sshm_region *r = NULL;

	assert_ok(sshm_region_new(size, 0, &r));
	assert_ok(sshm_region_write(r, 0, "hostile", 7));
	assert_ok(sshm_region_seal(r));
	return r;
}

START_TEST(test_hostile_row16_nonblock_window_eagain)
{
	/* The raw consumer takes nothing and releases nothing: the library's
	 * window fills, then -EAGAIN, never an unbounded queue. */
	struct atk a;
	struct sshm_region *r = sealed_region(4096);
	unsigned int i;
	uint8_t b[32];
	const uint64_t one = 1;

	atk_open_flags(&a, SSHM_CHANNEL_NONBLOCK);
	for (i = 0; i < SSHM_WINDOW_DEFAULT; i++)
		assert_ok(sshm_channel_send(a.ch, r, NULL, 0));
	ck_assert_uint_eq(sshm_channel_inflight(a.ch), SSHM_WINDOW_DEFAULT);
	assert_err(sshm_channel_send(a.ch, r, NULL, 0), -EAGAIN);
	assert_err(sshm_channel_send(a.ch, r, NULL, 0), -EAGAIN);
	assert_err(sshm_channel_drain(a.ch), -EAGAIN);
	ck_assert_uint_eq(sshm_channel_inflight(a.ch), SSHM_WINDOW_DEFAULT);
	/* Inline payloads carry no fd and no window: still go. */
	assert_ok(sshm_channel_send_bytes(a.ch, "x", 1, NULL, 0));

	/* One release opens one slot. */
	for (i = 0; i < SSHM_WINDOW_DEFAULT; i++)
		ck_assert_uint_eq(raw_take_region(a.raw, 5000), i + 1);
	ck_assert_int_eq(raw_send(a.raw, b, raw_release(b, &one, 1), -1), 0);
	assert_ok(sshm_channel_send(a.ch, r, NULL, 0));
	assert_err(sshm_channel_send(a.ch, r, NULL, 0), -EAGAIN);
	ck_assert_uint_eq(sshm_channel_inflight(a.ch), SSHM_WINDOW_DEFAULT);
	sshm_region_unref(r);
	atk_close(&a);
}
END_TEST

START_TEST(test_hostile_row16_small_peer_window)
{
	/* A peer announcing a window of 3 gets at most 3. */
	struct atk a;
	struct sshm_region *r = sealed_region(4096);
	uint8_t b[32];
	unsigned int i;

	atk_open_nohello(&a, SSHM_CHANNEL_NONBLOCK);
	ck_assert_int_eq(raw_send(a.raw, b, raw_hello(b, 3, 0), -1), 0);
	atk_read_hello(&a);
	for (i = 0; i < 3; i++)
		assert_ok(sshm_channel_send(a.ch, r, NULL, 0));
	assert_err(sshm_channel_send(a.ch, r, NULL, 0), -EAGAIN);
	ck_assert_uint_eq(sshm_channel_inflight(a.ch), 3);
	for (i = 0; i < 3; i++)
		ck_assert_uint_ne(raw_take_region(a.raw, 5000), 0);
	sshm_region_unref(r);
	atk_close(&a);
}
END_TEST

struct block_ctx {
	int lib_end;
	int raw; /* closed in the child */
};

static int child_blocking_producer(void *arg)
{
	const struct block_ctx *ctx = arg;
	struct sshm_channel *ch = NULL;
	struct sshm_region *r = NULL;
	unsigned int i;

	close(ctx->raw);
	CHILD_CHECK(sshm_channel_adopt(ctx->lib_end, 0, &ch) == 0, 10);
	CHILD_CHECK(sshm_region_new(4096, 0, &r) == 0, 11);
	CHILD_CHECK(sshm_region_seal(r) == 0, 12);
	/* The 65th blocks until the parent releases one. */
	for (i = 0; i <= SSHM_WINDOW_DEFAULT; i++)
		CHILD_CHECK(sshm_channel_send(ch, r, NULL, 0) == 0, 13);
	CHILD_CHECK(sshm_channel_inflight(ch) == SSHM_WINDOW_DEFAULT, 14);
	sshm_region_unref(r);
	sshm_channel_unref(ch);
	return 0;
}

START_TEST(test_hostile_row16_blocking_waits)
{
	struct block_ctx ctx;
	int sv[2];
	unsigned int i;
	uint8_t b[32], hello[64];
	const uint64_t one = 1;
	pid_t pid;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	ctx.lib_end = sv[0];
	ctx.raw = sv[1];
	pid = test_fork(child_blocking_producer, &ctx);
	close(sv[0]);
	ck_assert_int_eq(raw_send(sv[1], b, raw_hello(b, 64, 0), -1), 0);
	ck_assert_int_eq(raw_recv(sv[1], hello, sizeof(hello), 5000), 48); /* its HELLO */
	for (i = 0; i < SSHM_WINDOW_DEFAULT; i++)
		ck_assert_uint_eq(raw_take_region(sv[1], 5000), i + 1);
	/* Blocked: nothing more comes. */
	ck_assert_uint_eq(raw_take_region(sv[1], 300), 0);
	ck_assert_int_eq(raw_send(sv[1], b, raw_release(b, &one, 1), -1), 0);
	ck_assert_uint_eq(raw_take_region(sv[1], 5000), SSHM_WINDOW_DEFAULT + 1);
	test_wait(pid, 0);
	close(sv[1]);
}
END_TEST

START_TEST(test_hostile_row16_peer_exceeds_window)
{
	/* The attacker ignores OUR window (64): a 65th unreleased REGION. */
	struct atk a;
	struct sshm_view *v[SSHM_WINDOW_DEFAULT];
	struct sshm_view *x = NULL;
	int fd = test_memfd_pattern(4096, 1, SSHM_SEALS_APPLIED), before, maps;
	unsigned int i;

	ck_assert_int_ge(fd, 0);
	atk_open(&a);
	for (i = 0; i <= SSHM_WINDOW_DEFAULT; i++)
		ck_assert_int_eq(atk_region(&a, i + 1, 4096, fd, fd), 0);
	for (i = 0; i < SSHM_WINDOW_DEFAULT; i++)
		assert_ok(sshm_channel_recv(a.ch, NULL, &v[i]));
	before = test_fd_count();
	maps = maps_now();
	assert_err(sshm_channel_recv(a.ch, NULL, &x), -SSHM_EPROTO);
	ck_assert_ptr_null(x);
	ck_assert_int_eq(test_fd_count(), before);
	ck_assert_int_eq(maps_now(), maps);
	atk_check_broken(&a);
	/* The views taken before stay valid. */
	for (i = 0; i < SSHM_WINDOW_DEFAULT; i++) {
		ck_assert(test_view_matches(v[i], 4096, 1));
		sshm_view_unref(v[i]);
	}
	close(fd);
	atk_close(&a);
}
END_TEST

START_TEST(test_hostile_row16_window_refilled_by_releases)
{
	/* The honest counterpart: a peer that waits for our releases may send
	 * any number of regions in total. */
	struct atk a;
	int fd = test_memfd_pattern(4096, 2, SSHM_SEALS_APPLIED);
	unsigned int i;

	ck_assert_int_ge(fd, 0);
	atk_open(&a);
	for (i = 0; i < 3 * SSHM_WINDOW_DEFAULT; i++) {
		struct sshm_view *v = NULL;

		ck_assert_int_eq(atk_region(&a, i + 1, 4096, fd, fd), 0);
		assert_ok(sshm_channel_recv(a.ch, NULL, &v));
		sshm_view_unref(v);
		ck_assert_int_eq(raw_wait_release(a.raw, i + 1, 5000), 0);
	}
	close(fd);
	atk_close(&a);
}
END_TEST

/* The producer side: RELEASEs that name nothing in flight. */
static void producer_bad_release(const uint64_t *ids, uint32_t count, int pre_release,
				 int use_recv)
{
	struct atk a;
	struct sshm_region *r = sealed_region(4096);
	struct sshm_view *v = NULL;
	uint8_t b[64];
	const uint64_t one = 1;

	atk_open(&a);
	assert_ok(sshm_channel_send(a.ch, r, NULL, 0));
	ck_assert_uint_eq(raw_take_region(a.raw, 5000), 1);
	if (pre_release) {
		ck_assert_int_eq(raw_send(a.raw, b, raw_release(b, &one, 1), -1), 0);
		assert_ok(sshm_channel_drain(a.ch));
		ck_assert_uint_eq(sshm_channel_inflight(a.ch), 0);
	}
	ck_assert_int_eq(raw_send(a.raw, b, raw_release(b, ids, count), -1), 0);
	if (use_recv)
		assert_err(sshm_channel_recv(a.ch, NULL, &v), -SSHM_EPROTO);
	else
		assert_err(sshm_channel_flush(a.ch), -SSHM_EPROTO);
	atk_check_broken(&a);
	sshm_region_unref(r);
	atk_close(&a);
}

START_TEST(test_hostile_row16_release_never_sent)
{
	const uint64_t ninety_nine = 99, twice[2] = { 1, 1 }, one = 1;

	producer_bad_release(&ninety_nine, 1, 0, 0); /* flush */
	producer_bad_release(&ninety_nine, 1, 0, 1); /* recv */
	producer_bad_release(&one, 1, 1, 0);         /* released twice */
	producer_bad_release(twice, 2, 0, 1);        /* twice in one packet */
}
END_TEST

START_TEST(test_hostile_row16_stop_reading)
{
	/* The raw consumer reads nothing at all: inline sends on a
	 * non-blocking channel end in -EAGAIN, not an unbounded queue. */
	struct atk a;
	static uint8_t payload[16384];
	unsigned int i;
	int r = 0;

	atk_open_flags(&a, SSHM_CHANNEL_NONBLOCK);
	for (i = 0; i < 100000 && r == 0; i++)
		r = sshm_channel_send_bytes(a.ch, payload, sizeof(payload), NULL, 0);
	assert_err(r, -EAGAIN);
	ck_assert_uint_lt(i, 100000);
	atk_close(&a);
}
END_TEST

START_TEST(test_hostile_row16_flood_while_pumping)
{
	/* Data arriving while the library only collects releases (flush) is
	 * queued with its fds, at most 64 packets (no unbounded allocation);
	 * a REGION past our window breaks the channel when it is read; views
	 * taken before stay valid; every queued fd is closed (the fixture). */
	struct atk a;
	struct sshm_view *v = NULL, *held[SSHM_WINDOW_DEFAULT];
	int fd = test_memfd_pattern(4096, 1, SSHM_SEALS_APPLIED);
	unsigned int i;

	ck_assert_int_ge(fd, 0);
	atk_open(&a);
	for (i = 0; i < 10; i++)
		ck_assert_int_eq(atk_region(&a, i + 1, 4096, fd, fd), 0);
	assert_ok(sshm_channel_flush(a.ch));
	assert_ok(sshm_channel_recv(a.ch, NULL, &v));
	ck_assert(test_view_matches(v, 4096, 1));
	sshm_view_unref(v);
	ck_assert_int_eq(raw_wait_release(a.raw, 1, 5000), 0);
	/* 9 unreleased + 56 = 65: one past the window. */
	for (i = 10; i < 66; i++)
		ck_assert_int_eq(atk_region(&a, i + 1, 4096, fd, fd), 0);
	assert_ok(sshm_channel_flush(a.ch));
	for (i = 0; i < SSHM_WINDOW_DEFAULT; i++) {
		assert_ok(sshm_channel_recv(a.ch, NULL, &held[i]));
		ck_assert(test_view_matches(held[i], 4096, 1));
	}
	assert_err(sshm_channel_recv(a.ch, NULL, &v), -SSHM_EPROTO);
	atk_check_broken(&a);
	for (i = 0; i < SSHM_WINDOW_DEFAULT; i++) {
		ck_assert(test_view_matches(held[i], 4096, 1));
		sshm_view_unref(held[i]);
	}
	close(fd);
	atk_close(&a);
}
END_TEST

/* ------------------------------------------------------------ rows 8, 9: immutability */

START_TEST(test_hostile_row08_mprotect_write)
{
	struct sshm_channel *p, *c;
	struct sshm_region *r = sealed_region(3 * 4096);
	struct sshm_view *v = NULL;
	void *data;
	size_t len = 3 * 4096;

	assert_ok(sshm_channel_pair(0, &p, &c));
	assert_ok(sshm_channel_send(p, r, NULL, 0));
	assert_ok(sshm_channel_recv(c, NULL, &v));
	data = (void *)sshm_view_data(v);
	errno = 0;
	ck_assert_int_eq(mprotect(data, len, PROT_READ | PROT_WRITE), -1);
	ck_assert_int_eq(errno, EACCES);
	errno = 0;
	ck_assert_int_eq(mprotect(data, len, PROT_WRITE), -1);
	ck_assert_int_eq(errno, EACCES);
	ck_assert_mem_eq(data, "hostile", 7);
	sshm_view_unref(v);
	sshm_region_unref(r);
	sshm_channel_unref(p);
	sshm_channel_unref(c);
}
END_TEST

START_TEST(test_hostile_row08_proc_self_mem)
{
	/* /proc/self/mem writes with FOLL_FORCE: must not reach the region
	 * (nor, in a shared mapping, even the view). */
	struct sshm_channel *p, *c;
	struct sshm_region *r = sealed_region(4096);
	struct sshm_view *v = NULL;
	const uint8_t *data;
	int mem;
	ssize_t n;

	assert_ok(sshm_channel_pair(0, &p, &c));
	assert_ok(sshm_channel_send(p, r, NULL, 0));
	assert_ok(sshm_channel_send(p, r, NULL, 0));
	assert_ok(sshm_channel_recv(c, NULL, &v));
	data = sshm_view_data(v);
	mem = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
	ck_assert_int_ge(mem, 0);
	n = pwrite(mem, "PWNED", 5, (off_t)(uintptr_t)data);
	close(mem);
	ck_assert_msg(n < 0, "write through /proc/self/mem succeeded (%zd)", n);
	ck_assert_mem_eq(data, "hostile", 7);
	sshm_view_unref(v);
	/* A second view of the same region: still the original bytes. */
	assert_ok(sshm_channel_recv(c, NULL, &v));
	ck_assert_mem_eq(sshm_view_data(v), "hostile", 7);
	sshm_view_unref(v);
	sshm_region_unref(r);
	sshm_channel_unref(p);
	sshm_channel_unref(c);
}
END_TEST

START_TEST(test_hostile_row08_view_fd_write)
{
	/* The consumer holds the memfd itself: every write path is sealed. */
	struct sshm_channel *p, *c;
	struct sshm_region *r = sealed_region(4096);
	struct sshm_view *v = NULL;
	char path[64];
	uint8_t *priv;
	int fd, re;

	assert_ok(sshm_channel_pair(0, &p, &c));
	assert_ok(sshm_channel_send(p, r, NULL, 0));
	assert_ok(sshm_channel_recv(c, NULL, &v));
	fd = sshm_view_fd(v);
	errno = 0;
	ck_assert_int_eq(pwrite(fd, "X", 1, 0), -1);
	ck_assert_int_eq(errno, EPERM);
	ck_assert_ptr_eq(mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), MAP_FAILED);
	ck_assert_int_eq(ftruncate(fd, 0), -1);
	ck_assert_int_eq(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 4096), -1);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	re = open(path, O_RDWR | O_CLOEXEC);
	ck_assert_int_ge(re, 0);
	ck_assert_int_eq(pwrite(re, "X", 1, 0), -1);
	close(re);
	/* A private writable mapping is a copy: the view does not change. */
	priv = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	ck_assert_ptr_ne(priv, MAP_FAILED);
	priv[0] = 'X';
	ck_assert_int_eq(munmap(priv, 4096), 0);
	ck_assert_mem_eq(sshm_view_data(v), "hostile", 7);
	sshm_view_unref(v);
	sshm_region_unref(r);
	sshm_channel_unref(p);
	sshm_channel_unref(c);
}
END_TEST

START_TEST(test_hostile_row09_writable_mapping_ebusy)
{
	struct atk a;
	struct sshm_region *r = NULL;
	void *own, *extra;

	atk_open(&a);
	assert_ok(sshm_region_new(8192, 0, &r));
	assert_ok(sshm_region_map(r, &own));
	memcpy(own, "before", 6);
	extra = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, sshm_region_fd(r), 0);
	ck_assert_ptr_ne(extra, MAP_FAILED);
	assert_err(sshm_region_seal(r), -EBUSY);
	ck_assert_int_eq(sshm_region_is_sealed(r), 0);
	/* All or none: not one seal was applied. */
	ck_assert_int_eq(fcntl(sshm_region_fd(r), F_GET_SEALS) & SSHM_SEALS_APPLIED, 0);
	assert_err(sshm_channel_send(a.ch, r, NULL, 0), -SSHM_ENOTSEALED);
	ck_assert_uint_eq(sshm_channel_inflight(a.ch), 0);
	ck_assert(raw_quiet(a.raw)); /* nothing was sent */
	/* The extra mapping still writes: proof the region is not sealed. */
	memcpy(extra, "after!", 6);
	ck_assert_int_eq(munmap(extra, 8192), 0);
	assert_ok(sshm_region_seal(r));
	assert_ok(sshm_channel_send(a.ch, r, NULL, 0));
	ck_assert_uint_eq(raw_take_region(a.raw, 5000), 1);
	sshm_region_unref(r);
	atk_close(&a);
}
END_TEST

START_TEST(test_hostile_row09_pinned_pages_ebusy)
{
	/* vmsplice(2) leaves references to the region's pages in a pipe: a
	 * later write through the pipe's page would bypass the seal. */
	struct atk a;
	struct sshm_region *r = NULL;
	struct iovec iov;
	char buf[4096];
	void *own;
	int pp[2];

	atk_open(&a);
	ck_assert_int_eq(pipe2(pp, O_CLOEXEC), 0);
	assert_ok(sshm_region_new(4 * 4096, 0, &r));
	assert_ok(sshm_region_map(r, &own));
	memset(own, 'p', 4 * 4096);
	iov.iov_base = own;
	iov.iov_len = 4096;
	ck_assert_int_eq(vmsplice(pp[1], &iov, 1, 0), 4096);
	assert_err(sshm_region_seal(r), -EBUSY);
	ck_assert_int_eq(sshm_region_is_sealed(r), 0);
	assert_err(sshm_channel_send(a.ch, r, NULL, 0), -SSHM_ENOTSEALED);
	ck_assert(raw_quiet(a.raw));
	/* Once the pipe gave its pages back, sealing works. */
	ck_assert_int_eq(read(pp[0], buf, sizeof(buf)), 4096);
	assert_ok(sshm_region_seal(r));
	assert_ok(sshm_channel_send(a.ch, r, NULL, 0));
	ck_assert_uint_eq(raw_take_region(a.raw, 5000), 1);
	close(pp[0]);
	close(pp[1]);
	sshm_region_unref(r);
	atk_close(&a);
}
END_TEST

/* ------------------------------------------------------------ rows 18-21: identity */


struct pair_ctx {
	struct sshm_channel *child_end;
	struct sshm_channel *parent_end;
};

static int child_lib_send(void *arg)
{
	struct pair_ctx *ctx = arg;
	struct sshm_region *r = NULL;
	struct sshm_view *v = NULL;
	uint8_t *p;
	int i;

	ctx->parent_end = sshm_channel_unref(ctx->parent_end);
	CHILD_CHECK(sshm_region_new(8192, 0, &r) == 0, 10);
	CHILD_CHECK(sshm_region_map(r, (void **)&p) == 0, 11);
	for (i = 0; i < 8192; i++)
		p[i] = test_pattern_byte(18, (uint64_t)i);
	CHILD_CHECK(sshm_region_seal(r) == 0, 12);
	CHILD_CHECK(sshm_channel_send(ctx->child_end, r, NULL, 0) == 0, 13);
	sshm_region_unref(r);
	/* Keep the fd open until the parent hangs up. */
	CHILD_CHECK(sshm_channel_recv(ctx->child_end, NULL, &v) == -EPIPE, 14);
	sshm_channel_unref(ctx->child_end);
	return 0;
}

START_TEST(test_hostile_row18_fork_child_sends)
{
	struct pair_ctx ctx;
	struct sshm_view *v = NULL;
	const struct sshm_identity *id;
	struct ucred peer;
	socklen_t len = sizeof(peer);
	pid_t pid;

	assert_ok(sshm_channel_pair(0, &ctx.child_end, &ctx.parent_end));
	pid = test_fork(child_lib_send, &ctx);
	ctx.child_end = sshm_channel_unref(ctx.child_end);
	/* SO_PEERCRED names the creator of the pair: us, not the sender. */
	ck_assert_int_eq(getsockopt(sshm_channel_fd(ctx.parent_end), SOL_SOCKET, SO_PEERCRED,
				    &peer, &len), 0);
	ck_assert_int_eq(peer.pid, getpid());
	assert_ok(sshm_channel_recv(ctx.parent_end, NULL, &v));
	id = sshm_view_identity(v);
	assert_verdict(id, SSHM_VERDICT_VERIFIED);
	ck_assert_msg(id->pid == pid, "identity names %d, the sender is %d (parent %d)",
		      (int)id->pid, (int)pid, (int)getpid());
	ck_assert(test_view_matches(v, 8192, 18));
	sshm_view_unref(v);
	sshm_channel_unref(ctx.parent_end);
	test_wait(pid, 0);
}
END_TEST

START_TEST(test_hostile_row19_dup2_over_announced)
{
	/* The attacker announces fd N, passes it, then dup2()s another sealed
	 * memfd (same size) over N before the consumer looks. */
	struct atk a;
	struct sshm_view *v = NULL;
	int m1 = test_memfd_pattern(4096, 1, SSHM_SEALS_APPLIED),
	    m2 = test_memfd_pattern(4096, 2, SSHM_SEALS_APPLIED);
	int keep, before, maps;

	ck_assert_int_ge(m1, 0);
	ck_assert_int_ge(m2, 0);
	atk_open(&a);
	keep = dup(m1); /* so the check at the end can use m1's file again */
	ck_assert_int_ge(keep, 0);
	before = test_fd_count();
	maps = maps_now();
	ck_assert_int_eq(atk_region(&a, 1, 4096, m1, m1), 0);
	ck_assert_int_eq(dup2(m2, m1), m1);
	assert_err(sshm_channel_recv(a.ch, NULL, &v), -SSHM_EIDENTITY);
	ck_assert_ptr_null(v);
	ck_assert_int_eq(test_fd_count(), before);
	ck_assert_int_eq(maps_now(), maps);
	ck_assert_int_eq(raw_wait_release(a.raw, 1, 5000), 0);
	atk_check_usable(&a, 2);
	close(keep);
	close(m1);
	close(m2);
	atk_close(&a);
}
END_TEST

START_TEST(test_hostile_row19_closed_announced)
{
	/* Closes the announced fd after sending: unverifiable with a reason,
	 * rejected under REQUIRED, never "verified". */
	struct atk a;
	struct sshm_view *v = NULL;
	struct sshm_policy pol;
	int m, m2;

	atk_open(&a);
	/* Announced numbers far above anything in use: in this one process,
	 * the consumer's next fd would otherwise reuse the number. */
	m = test_memfd_pattern(4096, 3, SSHM_SEALS_APPLIED);
	ck_assert_int_ge(m, 0);
	ck_assert_int_eq(dup2(m, 900), 900);
	close(m);
	m = 900;
	ck_assert_int_eq(atk_region(&a, 1, 4096, m, m), 0);
	close(m);
	assert_ok(sshm_channel_recv(a.ch, NULL, &v));
	assert_verdict(sshm_view_identity(v), SSHM_VERDICT_UNVERIFIABLE);
	ck_assert_int_eq(sshm_view_identity(v)->reason, -EBADF);
	ck_assert(test_view_matches(v, 4096, 3));
	sshm_view_unref(v);
	ck_assert_int_eq(raw_wait_release(a.raw, 1, 5000), 0);

	m2 = test_memfd_pattern(4096, 4, SSHM_SEALS_APPLIED);
	ck_assert_int_ge(m2, 0);
	ck_assert_int_eq(dup2(m2, 901), 901);
	close(m2);
	m2 = 901;
	ck_assert_int_eq(atk_region(&a, 2, 4096, m2, m2), 0);
	close(m2);
	memset(&pol, 0, sizeof(pol));
	pol.identity = SSHM_IDENTITY_REQUIRED;
	assert_err(sshm_channel_recv(a.ch, &pol, &v), -SSHM_EUNVERIFIED);
	ck_assert_int_eq(raw_wait_release(a.raw, 2, 5000), 0);
	atk_check_usable(&a, 3);
	atk_close(&a);
}
END_TEST

struct other_ctx {
	int raw;
	int lib_end;
	int mode; /* 0: other uid, 1: non-dumpable */
};

/* Sends an honest region (id 1) and a lying one (id 2), then keeps every
 * fd open until both are released. */
static int child_other_identity(void *arg)
{
	const struct other_ctx *ctx = arg;
	uint8_t b[64];
	int m1, m2, m3;

	close(ctx->lib_end);
	m1 = test_memfd_pattern(4096, 1, SSHM_SEALS_APPLIED);
	m2 = test_memfd_pattern(4096, 2, SSHM_SEALS_APPLIED);
	m3 = test_memfd_pattern(4096, 3, SSHM_SEALS_APPLIED);
	CHILD_CHECK(m1 >= 0 && m2 >= 0 && m3 >= 0, 10);
	if (ctx->mode == 0)
		CHILD_CHECK(setresgid(65534, 65534, 65534) == 0 &&
				    setresuid(65534, 65534, 65534) == 0, 11);
	else
		CHILD_CHECK(prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0, 12);
	CHILD_CHECK(raw_send(ctx->raw, b, raw_hello(b, 64, 0), -1) == 0, 13);
	CHILD_CHECK(raw_send_region(ctx->raw, 1, 4096, m1, m1) == 0, 14);
	CHILD_CHECK(raw_send_region(ctx->raw, 2, 4096, m3, m2) == 0, 15);
	CHILD_CHECK(raw_recv(ctx->raw, b, sizeof(b), 5000) >= 32, 16); /* its HELLO */
	CHILD_CHECK(raw_wait_release(ctx->raw, 1, 10000) == 0, 17);
	CHILD_CHECK(raw_wait_release(ctx->raw, 2, 10000) == 0, 18);
	return 0;
}

static void other_identity_case(int mode)
{
	struct other_ctx ctx;
	struct sshm_channel *ch = NULL;
	struct sshm_view *v = NULL;
	const struct sshm_identity *id;
	int sv[2], r;
	pid_t pid;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	assert_ok(sshm_channel_adopt(sv[0], 0, &ch));
	ctx.raw = sv[1];
	ctx.lib_end = sv[0];
	ctx.mode = mode;
	pid = test_fork(child_other_identity, &ctx);
	close(sv[1]);

	/* Honest: verified (we may kcmp it) or unverifiable, never mismatch. */
	assert_ok(sshm_channel_recv(ch, NULL, &v));
	id = sshm_view_identity(v);
	ck_assert_int_eq(id->pid, pid);
	ck_assert_msg(id->verdict == SSHM_VERDICT_VERIFIED ||
			      id->verdict == SSHM_VERDICT_UNVERIFIABLE,
		      "honest region: %s", sshm_verdict_name(id->verdict));
	if (mode == 0)
		ck_assert_uint_eq(id->uid, 65534);
	ck_assert(test_view_matches(v, 4096, 1));
	fprintf(stderr, "row19 (%s): honest region %s (reason %d)\n",
		mode ? "non-dumpable" : "other uid", sshm_verdict_name(id->verdict),
		id->reason);
	sshm_view_unref(v);
	/* Lying: rejected (mismatch) or unverifiable, never verified. */
	r = sshm_channel_recv(ch, NULL, &v);
	if (r >= 0) {
		id = sshm_view_identity(v);
		ck_assert_msg(id->verdict == SSHM_VERDICT_UNVERIFIABLE,
			      "lying region accepted as %s", sshm_verdict_name(id->verdict));
		sshm_view_unref(v);
	} else {
		assert_err(r, -SSHM_EIDENTITY);
	}
	test_wait(pid, 0);
	assert_err(sshm_channel_recv(ch, NULL, &v), -EPIPE);
	sshm_channel_unref(ch);
}

START_TEST(test_hostile_row19_other_uid)
{
	other_identity_case(0);
}
END_TEST

START_TEST(test_hostile_row19_non_dumpable)
{
	other_identity_case(1);
}
END_TEST

static const char *need_root(void)
{
	return geteuid() == 0 ? NULL : "needs root to switch the sender to another uid";
}

static int child_send_and_exit(void *arg)
{
	struct pair_ctx *ctx = arg;
	struct sshm_region *r = NULL;

	ctx->parent_end = sshm_channel_unref(ctx->parent_end);
	CHILD_CHECK(sshm_region_new(4096, 0, &r) == 0, 10);
	CHILD_CHECK(sshm_region_write(r, 0, "bye", 3) == 0, 11);
	CHILD_CHECK(sshm_region_seal(r) == 0, 12);
	CHILD_CHECK(sshm_channel_send(ctx->child_end, r, NULL, 0) == 0, 13);
	CHILD_CHECK(sshm_channel_send(ctx->child_end, r, NULL, 0) == 0, 14);
	sshm_region_unref(r);
	sshm_channel_unref(ctx->child_end);
	return 0;
}

START_TEST(test_hostile_row20_sender_exited)
{
	struct pair_ctx ctx;
	struct sshm_view *v = NULL;
	struct sshm_policy pol;
	const struct sshm_identity *id;
	pid_t pid;

	assert_ok(sshm_channel_pair(0, &ctx.child_end, &ctx.parent_end));
	pid = test_fork(child_send_and_exit, &ctx);
	ctx.child_end = sshm_channel_unref(ctx.child_end);
	test_wait(pid, 0);
	assert_ok(sshm_channel_recv(ctx.parent_end, NULL, &v));
	id = sshm_view_identity(v);
	assert_verdict(id, SSHM_VERDICT_UNVERIFIABLE);
	ck_assert_int_lt(id->reason, 0);
	ck_assert_int_eq(id->pid, pid);
	ck_assert_mem_eq(sshm_view_data(v), "bye", 3);
	sshm_view_unref(v);
	memset(&pol, 0, sizeof(pol));
	pol.identity = SSHM_IDENTITY_REQUIRED;
	assert_err(sshm_channel_recv(ctx.parent_end, &pol, &v), -SSHM_EUNVERIFIED);
	assert_err(sshm_channel_recv(ctx.parent_end, NULL, &v), -EPIPE);
	sshm_channel_unref(ctx.parent_end);
}
END_TEST

/* Writes ns_last_pid so that the next fork gets @pid. */
static int set_last_pid(pid_t pid)
{
	char b[32];
	int fd = open("/proc/sys/kernel/ns_last_pid", O_WRONLY | O_CLOEXEC), n, ok;

	if (fd < 0)
		return -1;
	n = snprintf(b, sizeof(b), "%d", (int)pid - 1);
	ok = write(fd, b, (size_t)n) == n;
	close(fd);
	return ok ? 0 : -1;
}

static const char *need_pid_reuse(void)
{
	const char *r = test_need_verified();
	pid_t a, b;
	int st, tries;

	if (r)
		return r;
	if (test_need_passpidfd())
		return "no SO_PASSPIDFD (Linux < 6.5): without a pidfd in the message a reused "
		       "pid cannot be told apart (documented limitation)";
	for (tries = 0; tries < 10; tries++) {
		fflush(NULL);
		a = fork();
		if (a < 0)
			return "fork failed";
		if (a == 0)
			_exit(0);
		waitpid(a, &st, 0);
		if (set_last_pid(a) < 0)
			return "cannot write /proc/sys/kernel/ns_last_pid (needs CAP_SYS_ADMIN "
			       "or CAP_CHECKPOINT_RESTORE): cannot force a pid reuse";
		b = fork();
		if (b < 0)
			return "fork failed";
		if (b == 0)
			_exit(0);
		waitpid(b, &st, 0);
		if (b == a)
			return NULL;
	}
	return "ns_last_pid did not give the same pid back (busy system)";
}

struct reuse_ctx {
	int raw;
	int lib_end;
	int m;     /* the memfd, at the same fd number in both children */
	int hello; /* the sender sends the HELLO first */
	int hold;  /* pipe read end: the impostor waits on it */
	int holdw; /* its write end, closed in the children */
};

static int child_reuse_sender(void *arg)
{
	const struct reuse_ctx *ctx = arg;
	uint8_t b[64];

	close(ctx->lib_end);
	if (ctx->hello)
		CHILD_CHECK(raw_send(ctx->raw, b, raw_hello(b, 64, 0), -1) == 0, 10);
	CHILD_CHECK(raw_send_region(ctx->raw, 1 + (uint64_t)getpid(), 4096, ctx->m,
				    ctx->m) == 0, 11);
	return 0; /* exits: its pid is free for reuse */
}

static int child_impostor(void *arg)
{
	const struct reuse_ctx *ctx = arg;
	char c;

	/* Same pid, same file at the announced fd number: kcmp says "same". */
	close(ctx->holdw);
	(void)!read(ctx->hold, &c, 1);
	return 0;
}

START_TEST(test_hostile_row20_pid_reuse)
{
	struct reuse_ctx ctx;
	struct sshm_channel *ch = NULL;
	struct sshm_view *v = NULL;
	const struct sshm_identity *id;
	int sv[2], hp[2], tries;
	pid_t a = 0, b = 0;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	ck_assert_int_eq(pipe2(hp, O_CLOEXEC), 0);
	assert_ok(sshm_channel_adopt(sv[0], 0, &ch));
	ctx.raw = sv[1];
	ctx.lib_end = sv[0];
	ctx.m = test_memfd_pattern(4096, 20, SSHM_SEALS_APPLIED);
	ctx.hold = hp[0];
	ctx.holdw = hp[1];
	ck_assert_int_ge(ctx.m, 0);

	/* Other processes may grab the pid first on a busy machine: then the
	 * region of that attempt is drained (never "verified" either) and a
	 * new sender tries again. */
	for (tries = 0; tries < 20; tries++) {
		ctx.hello = tries == 0;
		a = test_fork(child_reuse_sender, &ctx);
		test_wait(a, 0);
		ck_assert_int_eq(set_last_pid(a), 0);
		b = test_fork(child_impostor, &ctx);
		if (b == a)
			break;
		ck_assert_int_eq(kill(b, SIGKILL), 0);
		ck_assert_int_eq(waitpid(b, NULL, 0), b);
		if (sshm_channel_recv(ch, NULL, &v) >= 0) {
			ck_assert_int_ne(sshm_view_identity(v)->verdict, SSHM_VERDICT_VERIFIED);
			v = sshm_view_unref(v);
		}
	}
	ck_assert_msg(b == a, "could not get a pid back in %d tries", tries);
	assert_ok(sshm_channel_recv(ch, NULL, &v));
	id = sshm_view_identity(v);
	ck_assert_int_eq(id->pid, a);
	/* The premise: a check by pid alone would be fooled. */
	ck_assert_int_eq(syscall(SYS_kcmp, a, getpid(), 0, ctx.m, sshm_view_fd(v)), 0);
	ck_assert_msg(id->verdict != SSHM_VERDICT_VERIFIED,
		      "pid %d was reused by another process, yet the verdict is verified",
		      (int)a);
	assert_verdict(id, SSHM_VERDICT_UNVERIFIABLE);
	sshm_view_unref(v);

	close(hp[1]);
	test_wait(b, 0);
	close(hp[0]);
	close(ctx.m);
	close(sv[1]);
	assert_err(sshm_channel_recv(ch, NULL, &v), -EPIPE);
	sshm_channel_unref(ch);
}
END_TEST

/* ------------------------------------------------------------ row 21: features */

static int have_noexec_seal(void)
{
	int fd = memfd_create("probe", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_NOEXEC_SEAL);

	if (fd < 0)
		return 0;
	close(fd);
	return 1;
}

START_TEST(test_hostile_row21_features)
{
	/* Reports what this kernel has; the tests below use it. */
	fprintf(stderr,
		"row21 features: kcmp=%s pidfd=%s verified=%s SO_PASSPIDFD=%s "
		"MFD_NOEXEC_SEAL=%s MFD_HUGETLB=%s valgrind=%s\n",
		test_need_kcmp() ? "no" : "yes", test_need_pidfd() ? "no" : "yes",
		test_need_verified() ? "no" : "yes", test_need_passpidfd() ? "no" : "yes",
		have_noexec_seal() ? "yes" : "no", test_need_hugetlb() ? "no" : "yes",
		test_under_valgrind() ? "yes" : "no");
}
END_TEST

static const char *need_noexec(void)
{
	return have_noexec_seal() ? NULL : "MFD_NOEXEC_SEAL is not available (Linux < 6.3)";
}

static const char *need_no_noexec(void)
{
	return have_noexec_seal() ? "MFD_NOEXEC_SEAL is present: its fallback cannot be "
				    "exercised on this kernel"
				  : NULL;
}

static void check_region_exec_seal(int want_exec)
{
	struct sshm_channel *p, *c;
	struct sshm_region *r = sealed_region(4096);
	struct sshm_view *v = NULL;
	int seals = fcntl(sshm_region_fd(r), F_GET_SEALS);

	ck_assert_int_ge(seals, 0);
	ck_assert_int_eq(!!(seals & F_SEAL_EXEC), want_exec);
	assert_ok(sshm_channel_pair(0, &p, &c));
	assert_ok(sshm_channel_send(p, r, NULL, 0));
	assert_ok(sshm_channel_recv(c, NULL, &v));
	ck_assert_int_eq(!!(sshm_view_seals(v) & F_SEAL_EXEC), want_exec);
	ck_assert_uint_eq(sshm_view_seals(v) & SSHM_SEALS_APPLIED, SSHM_SEALS_APPLIED);
	sshm_view_unref(v);
	sshm_region_unref(r);
	sshm_channel_unref(p);
	sshm_channel_unref(c);
}

START_TEST(test_hostile_row21_noexec_seal_on)
{
	check_region_exec_seal(1);
}
END_TEST

START_TEST(test_hostile_row21_noexec_seal_off)
{
	check_region_exec_seal(0);
}
END_TEST

static const char *need_verified_no_passpidfd(void)
{
	const char *r = test_need_verified();

	if (r)
		return r;
	return test_need_passpidfd() ? NULL
				     : "SO_PASSPIDFD is present: the pidfd_open fallback "
				       "cannot be exercised on this kernel";
}

static void check_pidfd_flag(int want)
{
	struct sshm_channel *p, *c;
	struct sshm_region *r = sealed_region(4096);
	struct sshm_view *v = NULL;

	assert_ok(sshm_channel_pair(0, &p, &c));
	assert_ok(sshm_channel_send(p, r, NULL, 0));
	assert_ok(sshm_channel_recv(c, NULL, &v));
	assert_verdict(sshm_view_identity(v), SSHM_VERDICT_VERIFIED);
	ck_assert_int_eq(!!(sshm_view_identity(v)->flags & SSHM_IDENTITY_F_PIDFD), want);
	sshm_view_unref(v);
	sshm_region_unref(r);
	sshm_channel_unref(p);
	sshm_channel_unref(c);
}

START_TEST(test_hostile_row21_passpidfd_on)
{
	check_pidfd_flag(1);
}
END_TEST

START_TEST(test_hostile_row21_passpidfd_off)
{
	check_pidfd_flag(0);
}
END_TEST

static const char *need_no_kcmp(void)
{
	return test_need_kcmp() ? NULL
				: "kcmp(2) is present: the no-kcmp fallback cannot be "
				  "exercised on this kernel";
}

START_TEST(test_hostile_row21_no_kcmp)
{
	/* Without kcmp: unverifiable (-ENOSYS), accepted under best effort,
	 * rejected under REQUIRED, never "verified". */
	struct sshm_channel *p, *c;
	struct sshm_region *r = sealed_region(4096);
	struct sshm_view *v = NULL;
	struct sshm_policy pol;

	assert_ok(sshm_channel_pair(0, &p, &c));
	assert_ok(sshm_channel_send(p, r, NULL, 0));
	assert_ok(sshm_channel_send(p, r, NULL, 0));
	assert_ok(sshm_channel_recv(c, NULL, &v));
	assert_verdict(sshm_view_identity(v), SSHM_VERDICT_UNVERIFIABLE);
	ck_assert_int_eq(sshm_view_identity(v)->reason, -ENOSYS);
	sshm_view_unref(v);
	memset(&pol, 0, sizeof(pol));
	pol.identity = SSHM_IDENTITY_REQUIRED;
	assert_err(sshm_channel_recv(c, &pol, &v), -SSHM_EUNVERIFIED);
	sshm_region_unref(r);
	sshm_channel_unref(p);
	sshm_channel_unref(c);
}
END_TEST

START_TEST(test_hostile_row21_kcmp_on)
{
	/* With kcmp (and a pidfd): an honest same-process region is verified. */
	check_pidfd_flag(!test_need_passpidfd());
}
END_TEST

/* ------------------------------------------------------------ SIGBUS proof */

/*
 * A forked attacker sends SB_REGIONS regions of random sizes, sealed,
 * unsealed and FUTURE_WRITE-only, and right after each send shrinks,
 * punches holes, pwrite()s and maps writable its own fd (and writes through
 * a mapping kept from before the seal).  A forked consumer reads every byte
 * of every view it accepts and checks it against the checksum the attacker
 * put in the metadata.  Any SIGBUS kills the consumer by a signal; any
 * changed byte makes it exit non-zero.
 */
#define SB_REGIONS 200
#define SB_MAX_SIZE (256u * 1024u)

enum { SB_SEALED, SB_UNSEALED, SB_FUTURE_WRITE };

struct sb_meta {
	uint64_t sum;
	uint64_t size;
	uint32_t kind;
	uint32_t index;
};

static uint64_t sb_sum(const volatile uint8_t *p, uint64_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL, i;

	for (i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

struct sb_ctx {
	int raw;
	int lib_end;
};

struct sb_slot {
	int fd;
	void *map; /* a FUTURE_WRITE region's writable mapping */
	size_t size;
};

static struct sb_slot sb_slots[SB_REGIONS + 1];
static unsigned int sb_inflight;
static uint8_t rbuf[16 + 8 * 4096];

/* Handles one packet from the consumer: RELEASEs free their slots. */
static int sb_read_releases(int raw, int timeout_ms)
{
	ssize_t n = raw_recv(raw, rbuf, sizeof(rbuf), timeout_ms);
	uint32_t count, k;

	if (n == -1)
		return timeout_ms ? -1 : 0;
	if (n < 16 || raw_get32(rbuf) != RAW_MAGIC || rbuf[5] != RAW_RELEASE)
		return -1;
	count = raw_get32(rbuf + 8);
	for (k = 0; k < count; k++) {
		uint64_t id = raw_get64(rbuf + 16 + 8 * k);

		if (id == 0 || id > SB_REGIONS || sb_slots[id].fd < 0)
			return -1;
		close(sb_slots[id].fd);
		if (sb_slots[id].map)
			munmap(sb_slots[id].map, sb_slots[id].size);
		sb_slots[id].fd = -1;
		sb_slots[id].map = NULL;
		sb_inflight--;
	}
	return 0;
}

static int child_sb_attacker(void *arg)
{
	const struct sb_ctx *ctx = arg;
	static uint8_t data[SB_MAX_SIZE];
	uint8_t b[64 + sizeof(struct sb_meta)];
	unsigned int i, sealed = 0;
	uint64_t k;

	close(ctx->lib_end);
	for (i = 0; i <= SB_REGIONS; i++)
		sb_slots[i].fd = -1;
	test_rng_seed(0xb05b05b05ULL);
	CHILD_CHECK(raw_send(ctx->raw, b, raw_hello(b, 64, 0), -1) == 0, 10);
	CHILD_CHECK(raw_recv(ctx->raw, b, sizeof(b), 5000) >= 32, 11);

	for (i = 0; i < SB_REGIONS; i++) {
		struct sb_meta meta;
		const uint64_t id = i + 1;
		const size_t size = 1 + (size_t)(test_rng() % SB_MAX_SIZE);
		const unsigned int kind = (unsigned int)(test_rng() % 3);
		uint8_t *w = NULL, *m2;
		int fd;

		for (k = 0; k < size; k += 8) {
			uint64_t x = test_rng();

			memcpy(data + k, &x, size - k < 8 ? size - k : 8);
		}
		fd = memfd_create("sb", MFD_CLOEXEC | MFD_ALLOW_SEALING);
		CHILD_CHECK(fd >= 0, 12);
		CHILD_CHECK(ftruncate(fd, (off_t)size) == 0, 13);
		CHILD_CHECK(pwrite(fd, data, size, 0) == (ssize_t)size, 14);
		if (kind == SB_SEALED) {
			CHILD_CHECK(fcntl(fd, F_ADD_SEALS, SSHM_SEALS_APPLIED) == 0, 15);
			sealed++;
		} else if (kind == SB_FUTURE_WRITE) {
			w = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
			CHILD_CHECK(w != MAP_FAILED, 16);
			CHILD_CHECK(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW |
							   F_SEAL_FUTURE_WRITE | F_SEAL_SEAL) == 0,
				    17);
		}
		meta.sum = sb_sum(data, size);
		meta.size = size;
		meta.kind = kind;
		meta.index = i;
		while (sb_inflight >= SSHM_WINDOW_DEFAULT - 4)
			CHILD_CHECK(sb_read_releases(ctx->raw, 10000) == 0, 18);
		sb_slots[id].fd = fd;
		sb_slots[id].map = w;
		sb_slots[id].size = size;
		sb_inflight++;
		CHILD_CHECK(raw_send(ctx->raw, b,
				     raw_region(b, id, size, fd, &meta, sizeof(meta)),
				     fd) == 0, 19);

		/* The attacks, right after the send. */
		if (ftruncate(fd, (off_t)(size / 2)) == 0 || ftruncate(fd, 0) == 0)
			CHILD_CHECK(kind == SB_UNSEALED, 20);
		if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0,
			      (off_t)size + 4096) == 0)
			CHILD_CHECK(kind == SB_UNSEALED, 21);
		if (pwrite(fd, "MUTATED!", 8, (off_t)(size / 3)) == 8)
			CHILD_CHECK(kind == SB_UNSEALED, 22);
		m2 = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (m2 != MAP_FAILED) {
			CHILD_CHECK(kind == SB_UNSEALED, 23);
			/* Grow it back first: writing past EOF is our own SIGBUS. */
			CHILD_CHECK(ftruncate(fd, (off_t)size) == 0, 24);
			memset(m2, 0x5a, size);
			munmap(m2, size);
		}
		if (w) {
			memset(w, 0xa5, size);
			CHILD_CHECK(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0,
					      (off_t)size) != 0, 25);
		}
		CHILD_CHECK(sb_read_releases(ctx->raw, 0) == 0, 26);
	}
	/* The last message: how many regions were sealed. */
	{
		uint8_t last[16 + sizeof(sealed)];

		CHILD_CHECK(raw_send(ctx->raw, last, raw_inline(last, &sealed, sizeof(sealed)),
				     -1) == 0, 27);
	}
	while (sb_inflight > 0)
		CHILD_CHECK(sb_read_releases(ctx->raw, 20000) == 0, 28);
	close(ctx->raw);
	return 0;
}

static int child_sb_consumer(void *arg)
{
	const struct sb_ctx *ctx = arg;
	struct sshm_channel *ch = NULL;
	unsigned int accepted = 0, rejected = 0, sealed = ~0u;

	close(ctx->raw);
	CHILD_CHECK(sshm_channel_adopt(ctx->lib_end, 0, &ch) == 0, 40);
	for (;;) {
		struct sshm_view *v = NULL;
		struct sb_meta meta;
		const void *mp;
		size_t mlen = 0;
		int r = sshm_channel_recv(ch, NULL, &v);

		if (r == -EPIPE)
			break;
		if (r == -SSHM_ESEALS) {
			rejected++;
			continue;
		}
		if (r < 0)
			fprintf(stderr, "sigbus consumer: recv %d (%s)\n", r, sshm_strerror(r));
		CHILD_CHECK(r == 0, 41);
		if (!sshm_view_is_region(v)) {
			CHILD_CHECK(sshm_view_size(v) == sizeof(sealed), 42);
			memcpy(&sealed, sshm_view_data(v), sizeof(sealed));
			sshm_view_unref(v);
			continue;
		}
		mp = sshm_view_meta(v, &mlen);
		CHILD_CHECK(mp && mlen == sizeof(meta), 43);
		memcpy(&meta, mp, sizeof(meta));
		CHILD_CHECK(meta.kind == SB_SEALED, 44);
		CHILD_CHECK(sshm_view_size(v) == meta.size, 45);
		/* Every byte, twice: no SIGBUS, no change in between. */
		CHILD_CHECK(sb_sum(sshm_view_data(v), meta.size) == meta.sum, 46);
		CHILD_CHECK(sb_sum(sshm_view_data(v), meta.size) == meta.sum, 47);
		accepted++;
		sshm_view_unref(v);
	}
	fprintf(stderr, "sigbus proof: %u accepted, %u rejected, %u sealed sent\n", accepted,
		rejected, sealed);
	CHILD_CHECK(accepted == sealed, 48);
	CHILD_CHECK(accepted + rejected == SB_REGIONS, 49);
	sshm_channel_unref(ch);
	return 0;
}

START_TEST(test_hostile_sigbus_proof)
{
	struct sb_ctx ctx;
	int sv[2];
	pid_t consumer, attacker;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	ctx.lib_end = sv[0];
	ctx.raw = sv[1];
	consumer = test_fork(child_sb_consumer, &ctx);
	attacker = test_fork(child_sb_attacker, &ctx);
	close(sv[0]);
	close(sv[1]);
	/* test_wait fails on a death by signal (SIGBUS) and on a non-zero exit. */
	test_wait(consumer, 0);
	test_wait(attacker, 0);
}
END_TEST

START_TEST(test_hostile_row02_readonly_mapping_kept)
{
	/* The attacker keeps a read-only MAP_SHARED mapping from before the
	 * seal and tries to mprotect it writable afterwards.  Either the
	 * kernel refuses the seal while it exists (-EBUSY), or the mprotect
	 * fails: the consumer's bytes never change. */
	struct atk a;
	struct sshm_view *v = NULL;
	uint8_t *ro;
	int fd = test_memfd_pattern(8192, 7, 0);

	ck_assert_int_ge(fd, 0);
	ro = mmap(NULL, 8192, PROT_READ, MAP_SHARED, fd, 0);
	ck_assert_ptr_ne(ro, MAP_FAILED);
	if (fcntl(fd, F_ADD_SEALS, SSHM_SEALS_APPLIED) < 0) {
		ck_assert_int_eq(errno, EBUSY);
		ck_assert_int_eq(munmap(ro, 8192), 0);
		ck_assert_int_eq(fcntl(fd, F_ADD_SEALS, SSHM_SEALS_APPLIED), 0);
		ro = NULL;
	}
	atk_open(&a);
	ck_assert_int_eq(atk_region(&a, 1, 8192, fd, fd), 0);
	assert_ok(sshm_channel_recv(a.ch, NULL, &v));
	if (ro) {
		ck_assert_int_eq(mprotect(ro, 8192, PROT_READ | PROT_WRITE), -1);
		ck_assert_int_eq(munmap(ro, 8192), 0);
	}
	ck_assert(test_view_matches(v, 8192, 7));
	sshm_view_unref(v);
	ck_assert_int_eq(raw_wait_release(a.raw, 1, 5000), 0);
	close(fd);
	atk_close(&a);
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
	maps = maps_now();
	ck_assert_int_eq(atk_region(&a, 1, 4096, wo, wo), 0);
	r = sshm_channel_recv(a.ch, NULL, &v);
	ck_assert_msg(r < 0, "a write-only fd was accepted");
	ck_assert(!is_framing(r));
	ck_assert_int_eq(test_fd_count(), fds);
	ck_assert_int_eq(maps_now(), maps);
	ck_assert_int_eq(raw_wait_release(a.raw, 1, 5000), 0);
	atk_check_usable(&a, 2);
	close(wo);
	close(m);
	atk_close(&a);
}
END_TEST

/* ------------------------------------------------------------ suite */

static Suite *hostile_suite(void)
{
	Suite *s = suite_create("hostile");
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
	test_add_if(tc, test_hostile_row07_opath_memfd, NULL);
	test_add_if(tc, test_hostile_row07_write_only_memfd, NULL);
	test_add_if(tc, test_hostile_row12_own_socket_end, NULL);
	test_add_if(tc, test_hostile_row12_library_end, NULL);
	suite_add_tcase(s, tc);

	tc = test_tcase("rows01_03_seals");
	test_add_if(tc, test_hostile_row01_unsealed, NULL);
	test_add_if(tc, test_hostile_row01_no_allow_sealing, NULL);
	test_add_if(tc, test_hostile_row01_seal_missing, NULL);
	test_add_if(tc, test_hostile_row01_only_one_seal, NULL);
	test_add_if(tc, test_hostile_row01_required_seal_seal, NULL);
	test_add_if(tc, test_hostile_row02_future_write, NULL);
	test_add_if(tc, test_hostile_row02_readonly_mapping_kept, NULL);
	test_add_if(tc, test_hostile_row03_truncate_before_seal, NULL);
	test_add_if(tc, test_hostile_row03_sealed_cannot_shrink, NULL);
	test_add_if(tc, test_hostile_row17_consumer_add_seals, NULL);
	suite_add_tcase(s, tc);

	tc = test_tcase("rows04_06_sizes");
	test_add_if(tc, test_hostile_row04_size_mismatch, NULL);
	test_add_if(tc, test_hostile_row04_size_zero, NULL);
	test_add_if(tc, test_hostile_row04_overflow, NULL);
	test_add_if(tc, test_hostile_row04_above_cap, NULL);
	test_add_if(tc, test_hostile_row04_default_cap, NULL);
	test_add_if(tc, test_hostile_row05_sparse_tib, need_sparse_tib());
	test_add_if(tc, test_hostile_row05_hole_hidden_by_blocks, NULL);
	test_add_if(tc, test_hostile_row06_hugetlb, test_need_hugetlb());
	suite_add_tcase(s, tc);

	tc = test_tcase("rows10_14_framing");
	test_add_if(tc, test_hostile_row10_two_fds, NULL);
	test_add_if(tc, test_hostile_row10_two_rights_cmsgs, NULL);
	test_add_if(tc, test_hostile_row10_ctrunc, NULL);
	test_add_if(tc, test_hostile_row10_region_without_fd, NULL);
	test_add_if(tc, test_hostile_row10_fd_on_other_types, NULL);
	test_add_if(tc, test_hostile_row10_unknown_cmsg, need_unknown_cmsg());
	test_add_if(tc, test_hostile_row11_zero_length_with_fd, NULL);
	test_add_if(tc, test_hostile_row11_zero_length_no_fd, NULL);
	test_add_if(tc, test_hostile_row11_oversized, NULL);
	test_add_if(tc, test_hostile_row11_largest_valid, NULL);
	test_add_if(tc, test_hostile_row14_no_hello_first, NULL);
	test_add_if(tc, test_hostile_row14_duplicate_hello, NULL);
	test_add_if(tc, test_hostile_row14_hello_longer_is_valid, NULL);
	test_add_if(tc, test_hostile_row14_bad_headers, NULL);
	test_add_if(tc, test_hostile_row14_release_unknown_id, NULL);
	test_add_if(tc, test_hostile_row14_fuzz, NULL);
	suite_add_tcase(s, tc);

	tc = test_tcase("rows13_16_resources");
	test_add_if(tc, test_hostile_row13_no_slot, need_not_valgrind());
	test_add_if(tc, test_hostile_row13_one_slot, need_not_valgrind());
	test_add_if(tc, test_hostile_row13_just_enough, need_not_valgrind());
	test_add_if(tc, test_hostile_row15_sigkill_mid_stream, NULL);
	test_add_if(tc, test_hostile_row15_consumer_gone, NULL);
	test_add_if(tc, test_hostile_row16_nonblock_window_eagain, NULL);
	test_add_if(tc, test_hostile_row16_small_peer_window, NULL);
	test_add_if(tc, test_hostile_row16_blocking_waits, NULL);
	test_add_if(tc, test_hostile_row16_peer_exceeds_window, NULL);
	test_add_if(tc, test_hostile_row16_window_refilled_by_releases, NULL);
	test_add_if(tc, test_hostile_row16_release_never_sent, NULL);
	test_add_if(tc, test_hostile_row16_stop_reading, NULL);
	test_add_if(tc, test_hostile_row16_flood_while_pumping, NULL);
	suite_add_tcase(s, tc);

	tc = test_tcase("rows08_09_immutable");
	test_add_if(tc, test_hostile_row08_mprotect_write, NULL);
	test_add_if(tc, test_hostile_row08_proc_self_mem, NULL);
	test_add_if(tc, test_hostile_row08_view_fd_write, NULL);
	test_add_if(tc, test_hostile_row09_writable_mapping_ebusy, NULL);
	test_add_if(tc, test_hostile_row09_pinned_pages_ebusy, NULL);
	suite_add_tcase(s, tc);

	tc = test_tcase("rows18_21_identity");
	test_add_if(tc, test_hostile_row18_fork_child_sends, test_need_verified());
	test_add_if(tc, test_hostile_row19_dup2_over_announced, test_need_kcmp());
	test_add_if(tc, test_hostile_row19_closed_announced, test_need_kcmp());
	test_add_if(tc, test_hostile_row19_other_uid, need_root() ? need_root() : test_need_kcmp());
	test_add_if(tc, test_hostile_row19_non_dumpable, test_need_kcmp());
	test_add_if(tc, test_hostile_row20_sender_exited, test_need_kcmp());
	test_add_if(tc, test_hostile_row20_pid_reuse, need_pid_reuse());
	test_add_if(tc, test_hostile_row21_features, NULL);
	test_add_if(tc, test_hostile_row21_kcmp_on, test_need_verified());
	test_add_if(tc, test_hostile_row21_no_kcmp, need_no_kcmp());
	test_add_if(tc, test_hostile_row21_passpidfd_on, test_need_verified_passpidfd());
	test_add_if(tc, test_hostile_row21_passpidfd_off, need_verified_no_passpidfd());
	test_add_if(tc, test_hostile_row21_noexec_seal_on, need_noexec());
	test_add_if(tc, test_hostile_row21_noexec_seal_off, need_no_noexec());
	suite_add_tcase(s, tc);

	tc = test_tcase("sigbus");
	test_add_if(tc, test_hostile_sigbus_proof, NULL);
	suite_add_tcase(s, tc);

	return s;
}

int main(void)
{
	return test_run(hostile_suite());
}
