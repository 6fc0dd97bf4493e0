/* SPDX-License-Identifier: MIT */
/*
 * test-identity - the identity verdict of received regions: kcmp(2) against
 * the pid of this message's SCM_CREDENTIALS (never SO_PEERCRED), verified /
 * mismatch / unverifiable / not checked, and what each policy does with it.
 * The hostile cases use a raw SOCK_SEQPACKET end that speaks the wire format
 * by hand, so it can announce an fd number other than the one it passes.
 * A forked sender (SO_PEERCRED names the parent), a sender already reaped
 * and the SO_PASSPIDFD flag are rows 18, 20 and 21 of test-hostile-identity.
 * Every test that needs kcmp is skipped (not passed) without it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "macro.h"
#include "sshm.h"
#include "testlib.h"

/* ------------------------------------------------------------ helpers */

static void policy_init(struct sshm_policy *p, int identity)
{
	memset(p, 0, sizeof(*p));
	p->identity = identity;
}

/* ------------------------------------------------------------ raw peer */

/* Our HELLO (window 64, max_size 1 GiB), then the library's (which its
 * constructor sent at once). */
static int raw_handshake(int sock)
{
	uint8_t b[64];
	ssize_t n;

	if (raw_send(sock, b, raw_hello(b, 64, (uint64_t)1 << 30), -1) < 0)
		return -1;
	n = raw_recv(sock, b, sizeof(b), 5000);
	if (n < 32 || sshm_get_le32(b) != RAW_MAGIC || b[4] != 1 || b[5] != RAW_HELLO)
		return -1;
	return 0;
}

/* A memfd sealed the way sshm seals, holding pattern @seed. */
static int sealed_memfd(uint64_t size, unsigned int seed)
{
	return test_memfd_pattern(size, seed, SSHM_SEALS_APPLIED);
}

/* A channel on one end of a socketpair, the test speaking raw on the other. */
struct raw_peer {
	struct sshm_channel *ch;
	int raw;
};

static void raw_peer_open(struct raw_peer *p)
{
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	assert_ok(sshm_channel_adopt(sv[0], 0, &p->ch));
	p->raw = sv[1];
	ck_assert_msg(raw_handshake(p->raw) == 0, "raw handshake failed");
}

static void raw_peer_close(struct raw_peer *p)
{
	sshm_channel_unref(p->ch);
	close(p->raw);
}

/* The closed fd number the attacker announces: far above anything the
 * test opens, so the receiver's fd table (the same one, in-process) cannot
 * hand it out meanwhile. */
#define CLOSED_FD 1000

/* ------------------------------------------------------------ verdicts */

static void check_own_identity(const struct sshm_identity *id)
{
	ck_assert_int_eq(id->pid, getpid());
	ck_assert_uint_eq(id->uid, getuid());
	ck_assert_uint_eq(id->gid, getgid());
	ck_assert_int_eq(id->reason, 0);
	ck_assert_int_ge(id->announced_fd, 0);
}

START_TEST(test_identity_same_process_verified)
{
	struct sshm_channel *a, *b;
	struct sshm_region *r;
	struct sshm_view *v = NULL;
	const struct sshm_identity *id;
	struct sshm_policy pol;
	pid_t self = getpid();

	assert_ok(sshm_channel_pair(0, &a, &b));
	r = test_region_pattern(8192, 1);
	ck_assert_ptr_nonnull(r);
	assert_ok(sshm_channel_send(a, r, NULL, 0));
	assert_ok(sshm_channel_send(a, r, NULL, 0));

	/* The default policy (NULL) runs the check. */
	assert_ok(sshm_channel_recv(b, NULL, &v));
	id = sshm_view_identity(v);
	assert_verdict(id, SSHM_VERDICT_VERIFIED);
	check_own_identity(id);
	/* With SO_PASSPIDFD the kernel's pidfd proved it; without (Linux
	 * < 6.5) a pid lookup did: the flag says which. */
	ck_assert_msg(!!(id->flags & SSHM_IDENTITY_F_PIDFD) == !test_need_passpidfd(),
		      "SO_PASSPIDFD %s, yet identity flags are 0x%x",
		      test_need_passpidfd() ? "absent" : "present", id->flags);
	/* Independently: the announced fd is open here (same process) and is
	 * the very file the view holds. */
	ck_assert_int_eq(
	    syscall(SYS_kcmp, self, self, KCMP_FILE, id->announced_fd, sshm_view_fd(v)),
	    0);
	v = sshm_view_unref(v);

	/* So does REQUIRED, with the same outcome. */
	policy_init(&pol, SSHM_IDENTITY_REQUIRED);
	assert_ok(sshm_channel_recv(b, &pol, &v));
	assert_verdict(sshm_view_identity(v), SSHM_VERDICT_VERIFIED);
	check_own_identity(sshm_view_identity(v));
	ck_assert(test_view_matches(v, 8192, 1));

	sshm_view_unref(v);
	sshm_region_unref(r);
	sshm_channel_unref(a);
	sshm_channel_unref(b);
}
END_TEST

START_TEST(test_identity_zeroed_policy_checks)
{
	/* The header promises: a zeroed policy is the default one.  With
	 * SSHM_IDENTITY_OFF once numbered 0, memset() silently switched the
	 * identity check off. */
	struct sshm_channel *a, *b;
	struct sshm_region *r;
	struct sshm_view *v = NULL;
	struct sshm_policy pol;

	memset(&pol, 0, sizeof(pol));
	assert_ok(sshm_channel_pair(0, &a, &b));
	r = test_region_pattern(4096, 3);
	ck_assert_ptr_nonnull(r);
	assert_ok(sshm_channel_send(a, r, NULL, 0));
	assert_ok(sshm_channel_recv(b, &pol, &v));
	assert_verdict(sshm_view_identity(v), SSHM_VERDICT_VERIFIED);
	sshm_view_unref(v);
	sshm_region_unref(r);
	sshm_channel_unref(a);
	sshm_channel_unref(b);
}
END_TEST

START_TEST(test_identity_listener_verified)
{
	/* Channels from a listener: credentials are passed on accepted sockets
	 * (SO_PASSCRED set on them, or inherited from the listener). */
	struct sshm_listener *l = NULL;
	struct sshm_channel *c = NULL, *s = NULL;
	struct sshm_region *r;
	struct sshm_view *v = NULL;
	char name[64];

	snprintf(name, sizeof(name), "@sshm-test-id-%d", (int)getpid());
	assert_ok(sshm_listener_new(name, 0, &l));
	assert_ok(sshm_channel_connect(name, 0, &c));
	r = test_region_pattern(4096, 3);
	ck_assert_ptr_nonnull(r);
	/* The server's HELLO is only sent by accept() and the first send
	 * waits for it: accept first, this is a single thread. */
	assert_ok(sshm_listener_accept(l, 0, &s));
	assert_ok(sshm_channel_send(c, r, NULL, 0));
	assert_ok(sshm_channel_recv(s, NULL, &v));
	assert_verdict(sshm_view_identity(v), SSHM_VERDICT_VERIFIED);
	check_own_identity(sshm_view_identity(v));
	v = sshm_view_unref(v);

	/* ... and the other direction. */
	assert_ok(sshm_channel_send(s, r, NULL, 0));
	assert_ok(sshm_channel_recv(c, NULL, &v));
	assert_verdict(sshm_view_identity(v), SSHM_VERDICT_VERIFIED);
	check_own_identity(sshm_view_identity(v));

	sshm_view_unref(v);
	sshm_region_unref(r);
	sshm_listener_unref(l);
	sshm_channel_unref(c);
	sshm_channel_unref(s);
}
END_TEST

/* ------------------------------------------------------------ not checked */

START_TEST(test_identity_off_not_checked)
{
	struct sshm_channel *a, *b;
	struct sshm_region *r;
	struct sshm_view *v = NULL;
	struct sshm_policy pol;
	const struct sshm_identity *id;

	assert_ok(sshm_channel_pair(0, &a, &b));
	r = test_region_pattern(4096, 6);
	ck_assert_ptr_nonnull(r);
	assert_ok(sshm_channel_send(a, r, NULL, 0));
	policy_init(&pol, SSHM_IDENTITY_OFF);
	assert_ok(sshm_channel_recv(b, &pol, &v));
	id = sshm_view_identity(v);
	assert_verdict(id, SSHM_VERDICT_NOT_CHECKED);
	ck_assert_int_eq(id->reason, 0);
	ck_assert(test_view_matches(v, 4096, 6));

	sshm_view_unref(v);
	sshm_region_unref(r);
	sshm_channel_unref(a);
	sshm_channel_unref(b);
}
END_TEST

START_TEST(test_identity_inline_not_checked)
{
	struct sshm_channel *a, *b;
	struct sshm_view *v = NULL;
	struct sshm_policy pol;
	const struct sshm_identity *id;

	assert_ok(sshm_channel_pair(0, &a, &b));
	assert_ok(sshm_channel_send_bytes(a, "abc", 3, NULL, 0));
	assert_ok(sshm_channel_send_bytes(a, "def", 3, NULL, 0));

	assert_ok(sshm_channel_recv(b, NULL, &v));
	ck_assert_int_eq(sshm_view_is_region(v), 0);
	id = sshm_view_identity(v);
	assert_verdict(id, SSHM_VERDICT_NOT_CHECKED);
	ck_assert_int_eq(id->reason, 0);
	v = sshm_view_unref(v);

	/* No fd, nothing to verify: REQUIRED is about regions. */
	policy_init(&pol, SSHM_IDENTITY_REQUIRED);
	assert_ok(sshm_channel_recv(b, &pol, &v));
	assert_verdict(sshm_view_identity(v), SSHM_VERDICT_NOT_CHECKED);
	ck_assert_mem_eq(sshm_view_data(v), "def", 3);

	sshm_view_unref(v);
	sshm_channel_unref(a);
	sshm_channel_unref(b);
}
END_TEST

/* ------------------------------------------------------------ hostile sender */

START_TEST(test_identity_attacker_wrong_fd)
{
	/* Passes memfd m1, announces m2: a sealed memfd of the same size. */
	struct raw_peer p;
	struct sshm_view *v = NULL;
	struct sshm_policy pol;
	const uint64_t ids[] = { 1, 2, 3 };
	int m1, m2;

	raw_peer_open(&p);
	m1 = sealed_memfd(4096, 1);
	m2 = sealed_memfd(4096, 2);
	ck_assert_int_ge(m1, 0);
	ck_assert_int_ge(m2, 0);

	ck_assert_int_eq(raw_send_region(p.raw, 1, 4096, m2, m1), 0);
	assert_err(sshm_channel_recv(p.ch, NULL, &v), -SSHM_EIDENTITY);
	ck_assert_ptr_null(v);
	/* Mismatch is rejected whatever the policy. */
	ck_assert_int_eq(raw_send_region(p.raw, 2, 4096, m2, m1), 0);
	policy_init(&pol, SSHM_IDENTITY_REQUIRED);
	assert_err(sshm_channel_recv(p.ch, &pol, &v), -SSHM_EIDENTITY);
	/* Both came back as releases: the sender's window is not eaten. */
	ck_assert_msg(raw_wait_releases(p.raw, ids, 2, 5000) == 0,
		      "no RELEASE for the rejected regions");

	/* The channel is still usable: an honest region goes through. */
	ck_assert_int_eq(raw_send_region(p.raw, 3, 4096, m1, m1), 0);
	assert_ok(sshm_channel_recv(p.ch, NULL, &v));
	assert_verdict(sshm_view_identity(v), SSHM_VERDICT_VERIFIED);
	ck_assert_int_eq(sshm_view_identity(v)->announced_fd, m1);
	ck_assert_int_eq(sshm_view_identity(v)->pid, getpid());
	ck_assert(test_view_matches(v, 4096, 1));
	sshm_view_unref(v);
	ck_assert_int_eq(raw_wait_releases(p.raw, ids + 2, 1, 5000), 0);

	close(m1);
	close(m2);
	raw_peer_close(&p);
}
END_TEST

START_TEST(test_identity_attacker_closed_fd_best_effort)
{
	struct raw_peer p;
	struct sshm_view *v = NULL;
	const struct sshm_identity *id;
	const uint64_t ids[] = { 7 };
	int m1;

	ck_assert_int_eq(fcntl(CLOSED_FD, F_GETFD), -1);
	raw_peer_open(&p);
	m1 = sealed_memfd(8192, 3);
	ck_assert_int_ge(m1, 0);

	ck_assert_int_eq(raw_send_region(p.raw, 7, 8192, CLOSED_FD, m1), 0);
	assert_ok(sshm_channel_recv(p.ch, NULL, &v));
	id = sshm_view_identity(v);
	assert_verdict(id, SSHM_VERDICT_UNVERIFIABLE);
	assert_err(id->reason, -EBADF);
	ck_assert_int_eq(id->announced_fd, CLOSED_FD);
	ck_assert_int_eq(id->pid, getpid());
	ck_assert(test_view_matches(v, 8192, 3));
	sshm_view_unref(v);
	ck_assert_int_eq(raw_wait_releases(p.raw, ids, 1, 5000), 0);

	close(m1);
	raw_peer_close(&p);
}
END_TEST

START_TEST(test_identity_attacker_closed_fd_required)
{
	struct raw_peer p;
	struct sshm_view *v = NULL;
	struct sshm_policy pol;
	const uint64_t ids[] = { 8, 9 };
	int m1;

	raw_peer_open(&p);
	m1 = sealed_memfd(8192, 3);
	ck_assert_int_ge(m1, 0);
	policy_init(&pol, SSHM_IDENTITY_REQUIRED);

	ck_assert_int_eq(raw_send_region(p.raw, 8, 8192, CLOSED_FD, m1), 0);
	assert_err(sshm_channel_recv(p.ch, &pol, &v), -SSHM_EUNVERIFIED);
	ck_assert_ptr_null(v);
	ck_assert_int_eq(raw_wait_releases(p.raw, ids, 1, 5000), 0);

	/* Still usable. */
	ck_assert_int_eq(raw_send_region(p.raw, 9, 8192, m1, m1), 0);
	assert_ok(sshm_channel_recv(p.ch, &pol, &v));
	assert_verdict(sshm_view_identity(v), SSHM_VERDICT_VERIFIED);
	sshm_view_unref(v);
	ck_assert_int_eq(raw_wait_releases(p.raw, ids + 1, 1, 5000), 0);

	close(m1);
	raw_peer_close(&p);
}
END_TEST

START_TEST(test_identity_attacker_off_skips_kcmp)
{
	/* OFF does not run kcmp, so it cannot see the lie: not checked. */
	struct raw_peer p;
	struct sshm_view *v = NULL;
	struct sshm_policy pol;
	int m1, m2;

	raw_peer_open(&p);
	m1 = sealed_memfd(4096, 1);
	m2 = sealed_memfd(4096, 2);
	ck_assert_int_ge(m1, 0);
	ck_assert_int_ge(m2, 0);
	policy_init(&pol, SSHM_IDENTITY_OFF);

	ck_assert_int_eq(raw_send_region(p.raw, 1, 4096, m2, m1), 0);
	assert_ok(sshm_channel_recv(p.ch, &pol, &v));
	assert_verdict(sshm_view_identity(v), SSHM_VERDICT_NOT_CHECKED);
	ck_assert(test_view_matches(v, 4096, 1));
	sshm_view_unref(v);

	close(m1);
	close(m2);
	raw_peer_close(&p);
}
END_TEST

/* The attacker in another process: its pid comes from the credentials. */
struct attacker_ctx {
	struct sshm_channel *ch; /* the parent's; closed in the child */
	int raw;
};

static int child_attacker(void *arg)
{
	struct attacker_ctx *ctx = arg;
	const uint64_t ids[] = { 11, 12, 13 };
	int m1, m2;

	close(sshm_channel_fd(ctx->ch));
	CHILD_CHECK(raw_handshake(ctx->raw) == 0, 10);
	m1 = sealed_memfd(3 * 4096, 21);
	m2 = sealed_memfd(3 * 4096, 22);
	CHILD_CHECK(m1 >= 0 && m2 >= 0, 11);
	CHILD_CHECK(fcntl(CLOSED_FD, F_GETFD) == -1, 12);
	CHILD_CHECK(raw_send_region(ctx->raw, 11, 3 * 4096, m1, m1) == 0, 13);
	CHILD_CHECK(raw_send_region(ctx->raw, 12, 3 * 4096, m2, m1) == 0, 14);
	CHILD_CHECK(raw_send_region(ctx->raw, 13, 3 * 4096, CLOSED_FD, m1) == 0, 15);
	/* Keep every fd open until the parent released all three. */
	CHILD_CHECK(raw_wait_releases(ctx->raw, ids, 3, 5000) == 0, 16);
	close(m1);
	close(m2);
	close(ctx->raw);
	return 0;
}

START_TEST(test_identity_attacker_child)
{
	struct attacker_ctx ctx;
	struct sshm_view *v = NULL;
	const struct sshm_identity *id;
	int sv[2];
	pid_t pid;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	assert_ok(sshm_channel_adopt(sv[0], 0, &ctx.ch));
	ctx.raw = sv[1];
	pid = test_fork(child_attacker, &ctx);
	close(sv[1]);

	assert_ok(sshm_channel_recv(ctx.ch, NULL, &v));
	id = sshm_view_identity(v);
	assert_verdict(id, SSHM_VERDICT_VERIFIED);
	ck_assert_int_eq(id->pid, pid);
	ck_assert(test_view_matches(v, 3 * 4096, 21));
	v = sshm_view_unref(v);

	assert_err(sshm_channel_recv(ctx.ch, NULL, &v), -SSHM_EIDENTITY);

	assert_ok(sshm_channel_recv(ctx.ch, NULL, &v));
	id = sshm_view_identity(v);
	assert_verdict(id, SSHM_VERDICT_UNVERIFIABLE);
	assert_err(id->reason, -EBADF);
	ck_assert_int_eq(id->pid, pid);
	sshm_view_unref(v);

	test_wait(pid, 0);
	assert_err(sshm_channel_recv(ctx.ch, NULL, &v), -EPIPE);
	sshm_channel_unref(ctx.ch);
}
END_TEST

/* ------------------------------------------------------------ suite */

static Suite *identity_suite(void)
{
	Suite *s = suite_create("identity");
	const char *kcmp = test_need_kcmp();
	const char *verified = test_need_verified();
	TCase *tc;

	tc = test_tcase("verdict");
	test_add_if(tc, test_identity_same_process_verified, verified);
	test_add_if(tc, test_identity_zeroed_policy_checks, verified);
	test_add_if(tc, test_identity_listener_verified, verified);
	suite_add_tcase(s, tc);

	tc = test_tcase("not_checked");
	test_add_if(tc, test_identity_off_not_checked, NULL);
	test_add_if(tc, test_identity_inline_not_checked, NULL);
	test_add_if(tc, test_identity_attacker_off_skips_kcmp, NULL);
	suite_add_tcase(s, tc);

	tc = test_tcase("attacker");
	/* Each ends with an honest region that must come out verified. */
	test_add_if(tc, test_identity_attacker_wrong_fd, verified);
	test_add_if(tc, test_identity_attacker_closed_fd_best_effort, kcmp);
	test_add_if(tc, test_identity_attacker_closed_fd_required, verified);
	test_add_if(tc, test_identity_attacker_child, verified);
	suite_add_tcase(s, tc);

	return s;
}

int main(void)
{
	return test_run(identity_suite());
}
