/* SPDX-License-Identifier: MIT */
/*
 * test-peer - how each message's sender is pinned for identity (lib/peer.c):
 * the peer's pidfd taken once from the socket while the peer sends, a pidfd
 * per packet once another process does.  A pidfd per packet costs a
 * descriptor on every RELEASE and INLINE; these tests show it is asked for
 * only when needed, and that the identity guarantee holds either way: a
 * process that announces itself is verified, one that does not is never
 * verified by mistake, and a reused pid is never verified.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "macro.h"
#include "sshm.h"
#include "testlib.h"

/* SO_PASSPIDFD on the socket now: 1, 0, or -errno. */
static int passpidfd_of(int fd)
{
	int v = -1;
	socklen_t len = sizeof(v);

	if (getsockopt(fd, SOL_SOCKET, SO_PASSPIDFD, &v, &len) < 0)
		return -errno;
	return v;
}

static const char *need_pinning(void)
{
	const char *r = test_need_verified_passpidfd();

	return r;
}

/* A library peer promises SENDER: after its HELLO no pidfd per packet, yet
 * its regions are verified, pinned by its own pidfd. */
START_TEST(test_peer_no_pidfd_per_packet)
{
	struct sshm_channel *a, *b;
	struct sshm_region *r = test_region_pattern_checked(4096, 1);
	struct sshm_view *v = NULL;
	const struct sshm_identity *id;

	test_pair_make(0, &a, &b);
	ck_assert_int_eq(passpidfd_of(sshm_channel_fd(b)), 1); /* until the HELLO */
	assert_ok(sshm_channel_send(a, r, NULL, 0));
	assert_ok(sshm_channel_recv(b, NULL, &v));
	ck_assert_int_eq(passpidfd_of(sshm_channel_fd(b)), 0);
	id = sshm_view_identity(v);
	assert_verdict(id, SSHM_VERDICT_VERIFIED);
	ck_assert_uint_eq(id->flags & SSHM_IDENTITY_F_PIDFD, SSHM_IDENTITY_F_PIDFD);
	ck_assert_int_eq(id->pid, getpid());
	sshm_view_unref(v);
	/* Releases and inline payloads carry no pidfd either: the fd count
	 * fixture of this suite would see a leaked one. */
	assert_ok(sshm_channel_send_bytes(b, "x", 1, NULL, 0));
	assert_ok(sshm_channel_drain(a));
	assert_ok(sshm_channel_recv(a, NULL, &v));
	sshm_view_unref(v);
	ck_assert_int_eq(passpidfd_of(sshm_channel_fd(a)), 0);
	sshm_region_unref(r);
	sshm_channel_unref(a);
	sshm_channel_unref(b);
}
END_TEST

/* After fork the child sends: the library announces it (SENDER), the
 * receiver turns pidfds per packet on, the child's first region brings
 * its pidfd and hands the peer over to it: no pidfd per packet after. */
static int child_sends(void *arg)
{
	struct sshm_channel *a = arg;
	struct sshm_region *r = test_region_pattern(8192, 2);

	CHILD_CHECK(r != NULL, 10);
	CHILD_CHECK(sshm_channel_send(a, r, NULL, 0) == 0, 11);
	CHILD_CHECK(sshm_channel_drain(a) == 0, 12);
	CHILD_CHECK(sshm_channel_send(a, r, NULL, 0) == 0, 13);
	CHILD_CHECK(sshm_channel_drain(a) == 0, 14);
	sshm_region_unref(r);
	sshm_channel_unref(a);
	return 0;
}

START_TEST(test_peer_forked_child_announced)
{
	struct sshm_channel *a, *b;
	struct sshm_view *v = NULL;
	const struct sshm_identity *id;
	pid_t pid;

	test_pair_make(0, &a, &b);
	pid = test_fork(child_sends, a);
	a = sshm_channel_unref(a);
	assert_ok(sshm_channel_recv(b, NULL, &v));
	id = sshm_view_identity(v);
	assert_verdict(id, SSHM_VERDICT_VERIFIED);
	ck_assert_int_eq(id->pid, pid);
	ck_assert_uint_eq(id->flags & SSHM_IDENTITY_F_PIDFD, SSHM_IDENTITY_F_PIDFD);
	/* Handed over to the child: pinned by its pidfd from now on. */
	ck_assert_int_eq(passpidfd_of(sshm_channel_fd(b)), 0);
	test_view_check_pattern(v, 8192, 2);
	sshm_view_unref(v);
	assert_ok(sshm_channel_recv(b, NULL, &v));
	id = sshm_view_identity(v);
	assert_verdict(id, SSHM_VERDICT_VERIFIED);
	ck_assert_int_eq(id->pid, pid);
	ck_assert_int_eq(passpidfd_of(sshm_channel_fd(b)), 0);
	sshm_view_unref(v);
	test_wait(pid, 0);
	sshm_channel_unref(b);
}
END_TEST

/* Parent and children take turns sending on one channel: every region is
 * verified as its own sender's; the parent and four children become known
 * senders (PEER_SENDERS_MAX is 5), then pidfds per packet stay on. */
static int child_sends_one(void *arg)
{
	struct sshm_channel *a = arg;
	struct sshm_region *r = test_region_pattern(4096, 5);

	CHILD_CHECK(r != NULL, 10);
	CHILD_CHECK(sshm_channel_send(a, r, NULL, 0) == 0, 11);
	CHILD_CHECK(sshm_channel_drain(a) == 0, 12);
	sshm_region_unref(r);
	sshm_channel_unref(a);
	return 0;
}

START_TEST(test_peer_turns_verified)
{
	struct sshm_channel *a, *b;
	struct sshm_region *r = test_region_pattern_checked(4096, 5);
	struct sshm_view *v = NULL;
	int i;
	pid_t pid, sender;

	test_pair_make(0, &a, &b);
	for (i = 0; i < 12; i++) {
		/* On until the HELLO, and once a sixth sender came. */
		ck_assert_int_eq(passpidfd_of(sshm_channel_fd(b)), i == 0 || i > 9);
		if (i % 2) {
			pid = test_fork(child_sends_one, a);
			sender = pid;
		} else {
			assert_ok(sshm_channel_send(a, r, NULL, 0));
			pid = 0;
			sender = getpid();
		}
		assert_ok(sshm_channel_recv(b, NULL, &v));
		assert_verdict(sshm_view_identity(v), SSHM_VERDICT_VERIFIED);
		ck_assert_int_eq(sshm_view_identity(v)->pid, sender);
		sshm_view_unref(v);
		if (pid)
			test_wait(pid, 0);
		else
			assert_ok(sshm_channel_drain(a));
	}
	/* Six children: the fifth and sixth came with pidfds per packet. */
	ck_assert_int_eq(passpidfd_of(sshm_channel_fd(b)), 1);
	sshm_region_unref(r);
	sshm_channel_unref(a);
	sshm_channel_unref(b);
}
END_TEST

/* A child made by a raw clone(2), which glibc's fork handlers never see:
 * the library still knows it is another process (MADV_WIPEONFORK) and
 * announces it, and its region is verified as the child's. */
START_TEST(test_peer_raw_clone_announced)
{
	struct sshm_channel *a, *b;
	struct sshm_region *r = test_region_pattern_checked(4096, 5);
	struct sshm_view *v = NULL;
	pid_t pid;

	test_pair_make(0, &a, &b);
	/* The parent sends first, so that it is the sender it remembers. */
	assert_ok(sshm_channel_send(a, r, NULL, 0));
	assert_ok(sshm_channel_recv(b, NULL, &v));
	sshm_view_unref(v);
	assert_ok(sshm_channel_drain(a));
	fflush(NULL);
	pid = (pid_t)syscall(SYS_clone, SIGCHLD, 0, NULL, NULL, 0);
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		_exit(child_sends_one(a));
	assert_ok(sshm_channel_recv(b, NULL, &v));
	assert_verdict(sshm_view_identity(v), SSHM_VERDICT_VERIFIED);
	ck_assert_int_eq(sshm_view_identity(v)->pid, pid);
	sshm_view_unref(v);
	test_wait(pid, 0);
	sshm_region_unref(r);
	sshm_channel_unref(a);
	sshm_channel_unref(b);
}
END_TEST

/* ------------------------------------------------------------ raw peers */

static size_t raw_hello_sender(uint8_t *b)
{
	size_t n = raw_hello(b, 64, 0);

	sshm_put_le64(b + n, 0);
	sshm_put_le32(b + n + 8, 0x2); /* SENDER */
	sshm_put_le32(b + n + 12, 0);
	return n + 16;
}

struct raw_ctx {
	int raw;
	int m; /* a sealed memfd, at the same number in every child */
};

/* A child that sends a REGION without announcing itself, twice. */
static int child_unannounced(void *arg)
{
	const struct raw_ctx *c = arg;

	CHILD_CHECK(raw_send_region(c->raw, 1, 4096, c->m, c->m) == 0, 10);
	CHILD_CHECK(raw_send_region(c->raw, 2, 4096, c->m, c->m) == 0, 11);
	return 0;
}

/*
 * A peer that promised SENDER, yet another process sends a REGION without
 * one: that REGION came with no pidfd, so it is never verified; the
 * receiver turns pidfds per packet on, and the next REGION is verified.
 */
START_TEST(test_peer_unannounced_never_verified)
{
	struct sshm_channel *ch;
	struct sshm_view *v = NULL;
	struct raw_ctx c;
	uint8_t b[RAW_PACKET_MAX];
	int sv[2];
	pid_t pid;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	assert_ok(sshm_channel_adopt(sv[0], 0, &ch));
	c.raw = sv[1];
	c.m = test_memfd_pattern(4096, 3, SSHM_SEALS_APPLIED);
	ck_assert_int_ge(c.m, 0);
	ck_assert_int_eq(raw_recv(c.raw, b, sizeof(b), 5000), 48);
	ck_assert_int_eq(raw_send(c.raw, b, raw_hello_sender(b), -1), 0);
	/* The HELLO is read: pidfds per packet off. */
	assert_ok(sshm_channel_flush(ch));
	ck_assert_int_eq(passpidfd_of(sv[0]), 0);

	pid = test_fork(child_unannounced, &c);
	test_wait(pid, 0);
	/* The child is gone by now, which would not matter: its first
	 * REGION carries no pidfd at all. */
	assert_ok(sshm_channel_recv(ch, NULL, &v));
	assert_verdict(sshm_view_identity(v), SSHM_VERDICT_UNVERIFIABLE);
	assert_err(sshm_view_identity(v)->reason, -ENODATA);
	sshm_view_unref(v);
	ck_assert_int_eq(passpidfd_of(sv[0]), 1);
	/* The second came with a pidfd: of a dead process, so unverifiable,
	 * but pinned (-SSHM_EEXITED, not -ENODATA). */
	assert_ok(sshm_channel_recv(ch, NULL, &v));
	assert_verdict(sshm_view_identity(v), SSHM_VERDICT_UNVERIFIABLE);
	ck_assert_int_ne(sshm_view_identity(v)->reason, -ENODATA);
	sshm_view_unref(v);
	close(c.m);
	close(c.raw);
	sshm_channel_unref(ch);
}
END_TEST

/* ------------------------------------------------------------ pid reuse */

static int set_last_pid(pid_t pid)
{
	char s[32];
	int fd = open("/proc/sys/kernel/ns_last_pid", O_WRONLY | O_CLOEXEC), n, ok;

	if (fd < 0)
		return -1;
	n = snprintf(s, sizeof(s), "%d", (int)pid - 1);
	ok = write(fd, s, (size_t)n) == n;
	close(fd);
	return ok ? 0 : -1;
}

static const char *need_pid_reuse(void)
{
	const char *r = need_pinning();
	int fd;

	if (r)
		return r;
	fd = open("/proc/sys/kernel/ns_last_pid", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return "cannot write /proc/sys/kernel/ns_last_pid (needs CAP_SYS_ADMIN "
		       "or "
		       "CAP_CHECKPOINT_RESTORE): cannot force a pid reuse";
	close(fd);
	return NULL;
}

struct reuse_ctx {
	char name[64];
	int m;	   /* the memfd, at the same number in sender and impostor */
	int go[2]; /* the sender waits until the listener accepted */
	int hold[2];
};

static int connect_abstract(const char *name)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t n = strlen(name);
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	memcpy(sa.sun_path, name, n);
	sa.sun_path[0] = '\0';
	if (connect(fd, (struct sockaddr *)&sa,
		    (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Connects, waits for the accept, then HELLO (promising SENDER) and a
 * REGION, and exits: its pid is free. */
static int child_sender(void *arg)
{
	struct reuse_ctx *c = arg;
	uint8_t b[64];
	char x;
	int fd = connect_abstract(c->name);

	CHILD_CHECK(fd >= 0, 10);
	close(c->go[1]);
	CHILD_CHECK(read(c->go[0], &x, 1) == 0, 11);
	CHILD_CHECK(raw_send(fd, b, raw_hello_sender(b), -1) == 0, 12);
	CHILD_CHECK(raw_send_region(fd, 5, 4096, c->m, c->m) == 0, 13);
	return 0;
}

/* Same pid, the same open file at the announced number: kcmp matches. */
static int child_impostor(void *arg)
{
	struct reuse_ctx *c = arg;
	char x;

	close(c->hold[1]);
	(void)!read(c->hold[0], &x, 1);
	return 0;
}

/*
 * The peer's pidfd, taken at accept while the sender lived, pins it: when
 * its pid names an impostor by the time the REGION is read, the verdict is
 * unverifiable, never verified.
 */
START_TEST(test_peer_pid_reuse_never_verified)
{
	struct sshm_listener *l;
	struct sshm_channel *ch = NULL;
	struct sshm_view *v = NULL;
	struct reuse_ctx c;
	pid_t a, b = 0;
	int tries;

	snprintf(c.name, sizeof(c.name), "@sshm-test-peer-reuse-%d", (int)getpid());
	assert_ok(sshm_listener_new(c.name, 0, &l));
	c.m = test_memfd_pattern(4096, 4, SSHM_SEALS_APPLIED);
	ck_assert_int_ge(c.m, 0);
	ck_assert_int_eq(pipe2(c.hold, O_CLOEXEC), 0);
	for (tries = 0; tries < 20; tries++) {
		ck_assert_int_eq(pipe2(c.go, O_CLOEXEC), 0);
		a = test_fork(child_sender, &c);
		assert_ok(sshm_listener_accept(l, 0, &ch));
		close(c.go[0]);
		close(c.go[1]); /* go */
		test_wait(a, 0);
		ck_assert_int_eq(set_last_pid(a), 0);
		b = test_fork(child_impostor, &c);
		if (b == a)
			break;
		ck_assert_int_eq(kill(b, SIGKILL), 0);
		ck_assert_int_eq(waitpid(b, NULL, 0), b);
		ch = sshm_channel_unref(ch);
	}
	ck_assert_msg(b == a, "could not get a pid back in %d tries", tries);
	assert_ok(sshm_channel_recv(ch, NULL, &v));
	ck_assert_int_eq(sshm_view_identity(v)->pid, a);
	/* The premise: a check by pid alone would be fooled. */
	ck_assert_int_eq(syscall(SYS_kcmp, a, getpid(), KCMP_FILE, c.m, sshm_view_fd(v)),
			 0);
	ck_assert_msg(sshm_view_identity(v)->verdict != SSHM_VERDICT_VERIFIED,
		      "pid %d was reused by another process, yet the verdict is verified",
		      (int)a);
	assert_verdict(sshm_view_identity(v), SSHM_VERDICT_UNVERIFIABLE);
	assert_err(sshm_view_identity(v)->reason, -SSHM_EEXITED);
	/* Pinned by the peer's pidfd, not by one in the message. */
	ck_assert_int_eq(passpidfd_of(sshm_channel_fd(ch)), 0);
	sshm_view_unref(v);
	close(c.hold[1]);
	test_wait(b, 0);
	close(c.hold[0]);
	close(c.m);
	sshm_channel_unref(ch);
	sshm_listener_unref(l);
}
END_TEST

static Suite *peer_suite(void)
{
	Suite *s = suite_create("peer");
	TCase *tc;

	tc = test_tcase("pinning");
	test_add_if(tc, test_peer_no_pidfd_per_packet, need_pinning());
	test_add_if(tc, test_peer_forked_child_announced, need_pinning());
	test_add_if(tc, test_peer_turns_verified, need_pinning());
	test_add_if(tc, test_peer_raw_clone_announced, need_pinning());
	test_add_if(tc, test_peer_unannounced_never_verified, need_pinning());
	test_add_if(tc, test_peer_pid_reuse_never_verified, need_pid_reuse());
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_run(peer_suite());
}
