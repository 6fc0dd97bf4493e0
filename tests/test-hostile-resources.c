/* SPDX-License-Identifier: MIT */
/*
 * test-hostile-resources - the rows of the threat matrix in
 * doc/threat-model.md about what an attacker can make the other side
 * spend: 4-6 (lying sizes, overflows, caps on both sides, sparse and hugetlb
 * memfds whose holes would fault), 13 (RLIMIT_NOFILE nearly exhausted), 15 (the peer
 * killed mid-stream, or gone with regions in flight) and 16 (a consumer
 * that never releases or never reads, and a producer that ignores the
 * window).  The harness is hostile.h.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "macro.h"
#include "sshm.h"
#include "testlib.h"
#include "hostile.h"

/* ------------------------------------------------------------ rows 4-6: sizes */

START_TEST(test_hostile_row04_size_mismatch)
{
	struct atk a;
	int fd = test_memfd_pattern(8192, 7, SSHM_SEALS_APPLIED);

	ck_assert_int_ge(fd, 0);
	atk_open(&a);
	expect_fd_rejected(&a, 1, fd, 16384, NULL, -SSHM_ESIZE); /* larger */
	expect_fd_rejected(&a, 2, fd, 4096, NULL, -SSHM_ESIZE);	 /* smaller */
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
	expect_fd_rejected(&a, 1, fd, 0, NULL, -SSHM_ESIZE);	/* header 0 */
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
	static const uint64_t lies[] = { UINT64_MAX,	    UINT64_MAX - 4095,
					 (uint64_t)1 << 63, ((uint64_t)1 << 63) + 4096,
					 (uint64_t)1 << 32, ((uint64_t)1 << 32) + 4096 };
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

START_TEST(test_hostile_row04_peer_max_size)
{
	/* The other direction: a peer that takes regions of 8192 bytes at
	 * most is never sent a larger one, by send or by send_bytes (whose
	 * region made on the way must not leak: the fixture). */
	static uint8_t data[8193];
	struct sshm_region *fits = sealed_region(8192), *big = sealed_region(8193);
	struct atk a;

	atk_open_limits(&a, 65536, 8192, 4096);
	assert_ok(sshm_channel_set_inline_max(a.ch, 0));
	assert_err(sshm_channel_send(a.ch, big, NULL, 0), -SSHM_ETOOBIG);
	assert_err(sshm_channel_send_bytes(a.ch, data, sizeof(data), NULL, 0),
		   -SSHM_ETOOBIG);
	ck_assert_uint_eq(sshm_channel_inflight(a.ch), 0);
	ck_assert(raw_quiet(a.raw));
	/* At the limit exactly: sent. */
	assert_ok(sshm_channel_send(a.ch, fits, NULL, 0));
	assert_ok(sshm_channel_send_bytes(a.ch, data, 8192, NULL, 0));
	ck_assert_uint_eq(raw_take_region(a.raw, 5000), 1);
	ck_assert_uint_eq(raw_take_region(a.raw, 5000), 2);
	ck_assert_uint_eq(sshm_channel_inflight(a.ch), 2);
	sshm_region_unref(fits);
	sshm_region_unref(big);
	atk_close(&a);
}
END_TEST

#define TIB ((uint64_t)1 << 40)

static int sparse_memfd(uint64_t size)
{
	int fd = test_memfd_pattern(0, 0, 0);

	if (fd < 0)
		return -1;
	if (ftruncate(fd, (off_t)size) < 0 ||
	    fcntl(fd, F_ADD_SEALS, SSHM_SEALS_APPLIED) < 0) {
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
	ck_assert_int_eq(
	    fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 16384, 4096), 0);
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

/* ------------------------------------------------------------ row 13: RLIMIT_NOFILE */

static const char *need_not_valgrind(void)
{
	return test_under_valgrind()
		   ? "valgrind emulates RLIMIT_NOFILE and keeps fds of its own "
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
		if (e->d_name[0] != '.' && atoi(e->d_name) > hi &&
		    atoi(e->d_name) != dirfd(d))
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
	int sv[2], m, fill[1024], nfill = 0, before, maps, r, first, i;

	CHILD_CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0, 10);
	CHILD_CHECK(sshm_channel_adopt(sv[0], 0, &ch) == 0, 11);
	CHILD_CHECK(raw_send(sv[1], b, raw_hello(b, 64, 0), -1) == 0, 12);
	CHILD_CHECK(raw_recv(sv[1], b, sizeof(b), 5000) >= 32, 13);
	m = test_memfd_pattern(4096, 1, SSHM_SEALS_APPLIED);
	CHILD_CHECK(m >= 0, 14);
	CHILD_CHECK(raw_send_region(sv[1], 1, 4096, m, m) == 0, 15);
	before = test_fd_count();
	maps = test_map_count();

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
	r = first = sshm_channel_recv(ch, &pol, &v);

	CHILD_CHECK(setrlimit(RLIMIT_NOFILE, &old) == 0, 20);
	for (i = 0; i < nfill; i++)
		close(fill[i]);
	if (r >= 0)
		sshm_view_unref(v);
	fprintf(stderr, "row13: %d free slot(s), policy 0x%x: recv %d (%s)\n", ctx->slots,
		ctx->policy, r, sshm_strerror(r));
	CHILD_CHECK(test_fd_count() == before, 21);
	CHILD_CHECK(test_map_count() == maps, 22);
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
		/* Not even the region fd fits: the kernel drops it and says
		 * MSG_CTRUNC.  Our table is full, not the peer at fault: this
		 * one message is refused (-EMFILE), released, and the channel
		 * goes on (the next region arrived above). */
		CHILD_CHECK(first == -EMFILE, 29);
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
	/* One slot: the region fd takes it (the kernel installs SCM_RIGHTS
	 * first), and the pidfd arrives as a negative SCM_PIDFD, -EMFILE:
	 * delivered, its identity unverifiable with that reason. */
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
	int n;	     /* regions to send */
};

static int child_send_then_hang(void *arg)
{
	const struct killed_ctx *ctx = arg;
	uint8_t b[64];
	int fds[16], i;

	close(ctx->lib_end);
	CHILD_CHECK(raw_send(ctx->raw, b, raw_hello(b, 64, 0), -1) == 0, 10);
	for (i = 0; i < ctx->n; i++) {
		fds[i] = test_memfd_pattern(8192, (unsigned int)i + 1,
					    SSHM_SEALS_APPLIED);
		CHILD_CHECK(fds[i] >= 0, 11);
		CHILD_CHECK(
		    raw_send_region(ctx->raw, (uint64_t)i + 1, 8192, fds[i], fds[i]) == 0,
		    12);
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
	sigset_t old;
	char c;
	pid_t pid;

	test_sigpipe_hold(&old);
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
		ck_assert_int_ne(sshm_view_identity(v[i])->verdict,
				 SSHM_VERDICT_VERIFIED);
	}
	assert_err(sshm_channel_recv(ch, NULL, &v[0]), -EPIPE);
	assert_err(sshm_channel_recv(ch, NULL, &v[0]), -EPIPE);
	/* Sending to the dead peer: -EPIPE (and no SIGPIPE, checked below). */
	assert_ok(sshm_region_new(4096, 0, &r));
	assert_ok(sshm_region_seal(r));
	assert_err(sshm_channel_send(ch, r, NULL, 0), -EPIPE);
	assert_err(sshm_channel_send_bytes(ch, "x", 1, NULL, 0), -EPIPE);
	sshm_region_unref(r);
	/* Views dropped after the end: their releases go nowhere, quietly. */
	for (i = 2; i < 6; i++)
		sshm_view_unref(v[i]);
	sshm_channel_unref(ch);
	ck_assert_msg(!test_sigpipe_raised(&old), "a call on a dead peer raised SIGPIPE");
}
END_TEST

START_TEST(test_hostile_row15_consumer_gone)
{
	/* The library produces; the raw consumer vanishes with regions in
	 * flight: -EPIPE from send, drain returns 0, no SIGPIPE, no leak. */
	struct atk a;
	struct sshm_region *r = NULL;
	struct sshm_view *v = NULL;
	sigset_t old;

	test_sigpipe_hold(&old);
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
	ck_assert_msg(!test_sigpipe_raised(&old),
		      "a call on a departed consumer raised SIGPIPE");
}
END_TEST

/* ------------------------------------------------------------ row 16: never released */

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
	maps = test_map_count();
	assert_err(sshm_channel_recv(a.ch, NULL, &x), -SSHM_EPROTO);
	ck_assert_ptr_null(x);
	ck_assert_int_eq(test_fd_count(), before);
	ck_assert_int_eq(test_map_count(), maps);
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
	producer_bad_release(&one, 1, 1, 0);	     /* released twice */
	producer_bad_release(twice, 2, 0, 1);	     /* twice in one packet */
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

/* ------------------------------------------------------------ suite */

static Suite *hostile_resources_suite(void)
{
	Suite *s = suite_create("hostile-resources");
	TCase *tc;

	tc = test_tcase("rows04_06_sizes");
	test_add_if(tc, test_hostile_row04_size_mismatch, NULL);
	test_add_if(tc, test_hostile_row04_size_zero, NULL);
	test_add_if(tc, test_hostile_row04_overflow, NULL);
	test_add_if(tc, test_hostile_row04_above_cap, NULL);
	test_add_if(tc, test_hostile_row04_default_cap, NULL);
	test_add_if(tc, test_hostile_row04_peer_max_size, NULL);
	test_add_if(tc, test_hostile_row05_sparse_tib, need_sparse_tib());
	test_add_if(tc, test_hostile_row05_hole_hidden_by_blocks, test_need_proc());
	test_add_if(tc, test_hostile_row06_hugetlb, test_need_hugetlb());
	suite_add_tcase(s, tc);

	tc = test_tcase("row13_rlimit");
	test_add_if(tc, test_hostile_row13_no_slot, need_not_valgrind());
	test_add_if(tc, test_hostile_row13_one_slot, need_not_valgrind());
	test_add_if(tc, test_hostile_row13_just_enough,
		    need_not_valgrind() ? need_not_valgrind() : test_need_proc());
	suite_add_tcase(s, tc);

	tc = test_tcase("row15_peer_dies");
	test_add_if(tc, test_hostile_row15_sigkill_mid_stream, NULL);
	test_add_if(tc, test_hostile_row15_consumer_gone, NULL);
	suite_add_tcase(s, tc);

	tc = test_tcase("row16_window");
	test_add_if(tc, test_hostile_row16_nonblock_window_eagain, NULL);
	test_add_if(tc, test_hostile_row16_small_peer_window, NULL);
	test_add_if(tc, test_hostile_row16_blocking_waits, NULL);
	test_add_if(tc, test_hostile_row16_peer_exceeds_window, NULL);
	test_add_if(tc, test_hostile_row16_window_refilled_by_releases, NULL);
	test_add_if(tc, test_hostile_row16_release_never_sent, NULL);
	test_add_if(tc, test_hostile_row16_stop_reading, NULL);
	test_add_if(tc, test_hostile_row16_flood_while_pumping, NULL);
	suite_add_tcase(s, tc);

	return s;
}

int main(void)
{
	return hostile_run(hostile_resources_suite());
}
