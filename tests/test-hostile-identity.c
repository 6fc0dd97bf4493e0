/* SPDX-License-Identifier: MIT */
/*
 * test-hostile-identity - rows 18-21 of the threat matrix in
 * doc/threat-model.md: a forked child sending on its parent's socketpair
 * (SO_PEERCRED names the parent), an announced fd closed or dup2()ed over,
 * a sender under another uid or non-dumpable, a sender gone and its pid
 * reused, and the kernel features the identity check falls back without.
 * The verdict is a mismatch or "unverifiable: reason", never a false
 * "verified".  The harness is hostile.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "macro.h"
#include "sshm.h"
#include "testlib.h"
#include "hostile.h"

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
	ck_assert_int_eq(getsockopt(sshm_channel_fd(ctx.parent_end), SOL_SOCKET,
				    SO_PEERCRED, &peer, &len),
			 0);
	ck_assert_int_eq(peer.pid, getpid());
	assert_ok(sshm_channel_recv(ctx.parent_end, NULL, &v));
	id = sshm_view_identity(v);
	assert_verdict(id, SSHM_VERDICT_VERIFIED);
	ck_assert_msg(id->pid == pid, "identity names %d, the sender is %d (parent %d)",
		      (int)id->pid, (int)pid, (int)getpid());
	ck_assert_uint_eq(id->uid, getuid());
	ck_assert_int_eq(id->reason, 0);
	/* With SO_PASSPIDFD the kernel's pidfd proved it; without (Linux
	 * < 6.5) a pid lookup did: the flag says which. */
	ck_assert_int_eq(!!(id->flags & SSHM_IDENTITY_F_PIDFD), !test_need_passpidfd());
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
	maps = test_map_count();
	ck_assert_int_eq(atk_region(&a, 1, 4096, m1, m1), 0);
	ck_assert_int_eq(dup2(m2, m1), m1);
	assert_err(sshm_channel_recv(a.ch, NULL, &v), -SSHM_EIDENTITY);
	ck_assert_ptr_null(v);
	ck_assert_int_eq(test_fd_count(), before);
	ck_assert_int_eq(test_map_count(), maps);
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
	assert_err(sshm_view_identity(v)->reason, -EBADF);
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
				setresuid(65534, 65534, 65534) == 0,
			    11);
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
			      "lying region accepted as %s",
			      sshm_verdict_name(id->verdict));
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
	/* The sender is gone (and reaped) before the check: never "verified". */
	struct pair_ctx ctx;
	struct sshm_view *v = NULL;
	struct sshm_policy pol;
	const struct sshm_identity *id;
	pid_t pid;

	assert_ok(sshm_channel_pair(0, &ctx.child_end, &ctx.parent_end));
	pid = test_fork(child_send_and_exit, &ctx);
	ctx.child_end = sshm_channel_unref(ctx.child_end);
	test_wait(pid, 0);

	/* Best effort: accepted, with the reason. */
	assert_ok(sshm_channel_recv(ctx.parent_end, NULL, &v));
	id = sshm_view_identity(v);
	assert_verdict(id, SSHM_VERDICT_UNVERIFIABLE);
	ck_assert_msg(id->reason < 0, "unverifiable without a reason (%d)", id->reason);
	ck_assert_int_eq(id->pid, pid);
	ck_assert_mem_eq(sshm_view_data(v), "bye", 3);
	v = sshm_view_unref(v);

	/* Required: rejected, even though the release has nobody to go to. */
	memset(&pol, 0, sizeof(pol));
	pol.identity = SSHM_IDENTITY_REQUIRED;
	assert_err(sshm_channel_recv(ctx.parent_end, &pol, &v), -SSHM_EUNVERIFIED);
	ck_assert_ptr_null(v);
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
		return "no SO_PASSPIDFD (Linux < 6.5): without a pidfd in the message a "
		       "reused "
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
			return "cannot write /proc/sys/kernel/ns_last_pid (needs "
			       "CAP_SYS_ADMIN "
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
	int m;	   /* the memfd, at the same fd number in both children */
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
	CHILD_CHECK(
	    raw_send_region(ctx->raw, 1 + (uint64_t)getpid(), 4096, ctx->m, ctx->m) == 0,
	    11);
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
			ck_assert_int_ne(sshm_view_identity(v)->verdict,
					 SSHM_VERDICT_VERIFIED);
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

static const char *need_noexec(void)
{
	return have_noexec_seal() ? NULL
				  : "MFD_NOEXEC_SEAL is not available (Linux < 6.3)";
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
	ck_assert_msg(!!(sshm_view_identity(v)->flags & SSHM_IDENTITY_F_PIDFD) == want,
		      "SO_PASSPIDFD %s, yet identity flags are 0x%x",
		      want ? "present" : "absent", sshm_view_identity(v)->flags);
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
	assert_err(sshm_view_identity(v)->reason, -ENOSYS);
	sshm_view_unref(v);
	memset(&pol, 0, sizeof(pol));
	pol.identity = SSHM_IDENTITY_REQUIRED;
	assert_err(sshm_channel_recv(c, &pol, &v), -SSHM_EUNVERIFIED);
	sshm_region_unref(r);
	sshm_channel_unref(p);
	sshm_channel_unref(c);
}
END_TEST

/* ------------------------------------------------------------ suite */

static Suite *hostile_identity_suite(void)
{
	Suite *s = suite_create("hostile-identity");
	TCase *tc;

	tc = test_tcase("row18_fork");
	test_add_if(tc, test_hostile_row18_fork_child_sends, test_need_verified());
	suite_add_tcase(s, tc);

	tc = test_tcase("row19_announced_fd");
	test_add_if(tc, test_hostile_row19_dup2_over_announced, test_need_kcmp());
	test_add_if(tc, test_hostile_row19_closed_announced, test_need_kcmp());
	test_add_if(tc, test_hostile_row19_other_uid,
		    need_root() ? need_root() : test_need_kcmp());
	test_add_if(tc, test_hostile_row19_non_dumpable, test_need_kcmp());
	suite_add_tcase(s, tc);

	tc = test_tcase("row20_sender_gone");
	test_add_if(tc, test_hostile_row20_sender_exited, test_need_kcmp());
	test_add_if(tc, test_hostile_row20_pid_reuse, need_pid_reuse());
	suite_add_tcase(s, tc);

	tc = test_tcase("row21_features");
	test_add_if(tc, test_hostile_row21_no_kcmp, need_no_kcmp());
	test_add_if(tc, test_hostile_row21_passpidfd_on, test_need_verified_passpidfd());
	test_add_if(tc, test_hostile_row21_passpidfd_off, need_verified_no_passpidfd());
	test_add_if(tc, test_hostile_row21_noexec_seal_on, need_noexec());
	test_add_if(tc, test_hostile_row21_noexec_seal_off, need_no_noexec());
	suite_add_tcase(s, tc);

	return s;
}

int main(void)
{
	return hostile_run(hostile_identity_suite());
}
