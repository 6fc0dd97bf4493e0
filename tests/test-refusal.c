/* SPDX-License-Identifier: MIT */
/*
 * test-refusal - refused is not broken: the error contract of
 * sshm_channel_recv().  After a message is refused (a region that fails a
 * check, identity, or cannot be mapped) the channel is still open, the
 * region comes back to the sender as a RELEASE, and the next good message
 * is delivered.  After a framing violation or the peer's end of stream the
 * channel is closed for good.  sshm_channel_is_open() tells the two apart,
 * whatever the error code.  Also: what a peer sent before leaving is
 * delivered, at accept and at end of stream.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "macro.h"
#include "sshm.h"
#include "testlib.h"

/* The library's channel on one end of a socketpair, a raw peer on the other. */
struct peer {
	struct sshm_channel *ch;
	int raw;
	uint64_t next_id;
};

static void peer_open(struct peer *p)
{
	uint8_t b[RAW_PACKET_MAX];
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	assert_ok(sshm_channel_adopt(sv[0], 0, &p->ch));
	p->raw = sv[1];
	p->next_id = 1;
	/* The library's HELLO first, then ours. */
	ck_assert_int_ge(raw_recv(p->raw, b, sizeof(b), 5000), 32);
	ck_assert_int_eq(b[5], RAW_HELLO);
	ck_assert_int_eq(raw_send(p->raw, b, raw_hello(b, 64, 0), -1), 0);
}

static void peer_close(struct peer *p)
{
	if (p->raw >= 0)
		close(p->raw);
	sshm_channel_unref(p->ch);
}

/*
 * Sends @fd as a REGION announcing @size (and @fd itself as the announced
 * number unless @announced >= 0), expects recv to refuse it with @want,
 * the channel to stay open, and the id to come back released.
 */
static void expect_refused(struct peer *p, int fd, uint64_t size, int announced,
			   const struct sshm_policy *pol, int want, const char *what)
{
	struct sshm_view *v = NULL;
	uint64_t id = p->next_id++;
	int r;

	ck_assert_int_eq(
	    raw_send_region(p->raw, id, size, announced >= 0 ? announced : fd, fd), 0);
	r = sshm_channel_recv(p->ch, pol, &v);
	ck_assert_msg(r == want, "%s: recv = %d (%s), expected %d (%s)", what, r,
		      sshm_strerror(r), want, sshm_strerror(want));
	ck_assert_ptr_null(v);
	ck_assert_msg(sshm_channel_is_open(p->ch) == 1,
		      "%s: channel closed after a refusal", what);
	ck_assert_msg(raw_wait_release(p->raw, id, 5000) == 0, "%s: id %llu not released",
		      what, (unsigned long long)id);
}

/* A good region right after: delivered, intact, and released on unref. */
static void expect_delivered(struct peer *p, unsigned int seed)
{
	struct sshm_view *v = NULL;
	uint64_t id = p->next_id++;
	int fd = test_memfd_pattern(8192, seed, SSHM_SEALS_APPLIED);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(raw_send_region(p->raw, id, 8192, fd, fd), 0);
	assert_ok(sshm_channel_recv(p->ch, NULL, &v));
	test_view_check_pattern(v, 8192, seed);
	sshm_view_unref(v);
	ck_assert_int_eq(raw_wait_release(p->raw, id, 5000), 0);
	close(fd);
}

static int raw_connect(const char *name)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t n = strlen(name);
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	memcpy(sa.sun_path, name, n);
	sa.sun_path[0] = '\0'; /* "@name": abstract */
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa,
				 (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n)),
			 0);
	return fd;
}

static int reopen(int fd, int flags)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	return open(path, flags | O_CLOEXEC);
}

START_TEST(test_refusal_each_then_good_region)
{
	struct sshm_policy small;
	struct peer p;
	int sealed = test_memfd_pattern(8192, 1, SSHM_SEALS_APPLIED);
	int unsealed = test_memfd_pattern(8192, 2, 0);
	int future = test_memfd_pattern(
	    8192, 3, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_FUTURE_WRITE | F_SEAL_SEAL);
	int pipefd[2], wronly, opath;

	ck_assert_int_ge(sealed, 0);
	ck_assert_int_ge(unsealed, 0);
	ck_assert_int_ge(future, 0);
	ck_assert_int_eq(pipe2(pipefd, O_CLOEXEC), 0);
	/* The same sealed file, through descriptions a sender may choose. */
	wronly = reopen(sealed, O_WRONLY);
	opath = reopen(sealed, O_PATH);
	ck_assert_int_ge(wronly, 0);
	ck_assert_int_ge(opath, 0);
	memset(&small, 0, sizeof(small));
	small.max_size = 4096;

	peer_open(&p);
	expect_refused(&p, unsealed, 8192, -1, NULL, -SSHM_ESEALS, "unsealed");
	expect_delivered(&p, 10);
	expect_refused(&p, future, 8192, -1, NULL, -SSHM_ESEALS, "future-write only");
	expect_delivered(&p, 11);
	expect_refused(&p, sealed, 4096, -1, NULL, -SSHM_ESIZE, "size lie");
	expect_delivered(&p, 12);
	expect_refused(&p, sealed, 0, -1, NULL, -SSHM_ESIZE, "size 0");
	expect_delivered(&p, 13);
	expect_refused(&p, sealed, 8192, -1, &small, -SSHM_ETOOBIG, "above the cap");
	expect_delivered(&p, 14);
	expect_refused(&p, pipefd[0], 8192, -1, NULL, -SSHM_ENOTREG, "a pipe");
	expect_delivered(&p, 15);
	expect_refused(&p, opath, 8192, -1, NULL, -SSHM_EOPATH, "O_PATH");
	expect_delivered(&p, 16);
	/* Sealed, verified, but the description cannot be mapped for
	 * reading: refused by the mapping step with a plain errno. */
	expect_refused(&p, wronly, 8192, -1, NULL, -EACCES, "write-only description");
	expect_delivered(&p, 17);
	/* kcmp: the sender holds another file at the number it announced. */
	if (!test_need_kcmp())
		expect_refused(&p, sealed, 8192, unsealed, NULL, -SSHM_EIDENTITY,
			       "identity mismatch");
	expect_delivered(&p, 18);
	peer_close(&p);
	close(sealed);
	close(unsealed);
	close(future);
	close(wronly);
	close(opath);
	close(pipefd[0]);
	close(pipefd[1]);
}
END_TEST

START_TEST(test_refusal_violation_closes)
{
	struct sshm_view *v = NULL;
	struct peer p;
	uint8_t b[64];

	peer_open(&p);
	memset(b, 0xee, sizeof(b));
	ck_assert_int_eq(raw_send(p.raw, b, sizeof(b), -1), 0);
	assert_err(sshm_channel_recv(p.ch, NULL, &v), -SSHM_EHEADER);
	ck_assert_int_eq(sshm_channel_is_open(p.ch), 0);
	assert_err(sshm_channel_recv(p.ch, NULL, &v), -SSHM_EBROKEN);
	peer_close(&p);
}
END_TEST

/* Two REGIONs with the same id in flight: a violation (protocol.md), never
 * two views released under one id. */
START_TEST(test_refusal_duplicate_id_breaks)
{
	struct sshm_view *v = NULL;
	struct peer p;
	int fd = test_memfd_pattern(4096, 4, SSHM_SEALS_APPLIED);

	ck_assert_int_ge(fd, 0);
	peer_open(&p);
	ck_assert_int_eq(raw_send_region(p.raw, 7, 4096, fd, fd), 0);
	ck_assert_int_eq(raw_send_region(p.raw, 7, 4096, fd, fd), 0);
	assert_ok(sshm_channel_recv(p.ch, NULL, &v));
	assert_err(sshm_channel_recv(p.ch, NULL, &(struct sshm_view *){ NULL }),
		   -SSHM_EPROTO);
	ck_assert_int_eq(sshm_channel_is_open(p.ch), 0);
	sshm_view_unref(v);
	/* Released once, the id may be used again: on an open channel. */
	peer_close(&p);
	close(fd);
}
END_TEST

/*
 * An id whose RELEASE we queued but could not send yet (the peer is not
 * reading) is still unreleased for the peer: using it again is a
 * violation too.
 */
START_TEST(test_refusal_duplicate_of_queued_id)
{
	struct sshm_view *v[24];
	struct sshm_channel_stats st;
	struct peer p;
	int fd = test_memfd_pattern(4096, 6, SSHM_SEALS_APPLIED), small = 1, i;

	ck_assert_int_ge(fd, 0);
	peer_open(&p);
	/* A send buffer so small that a few RELEASEs fill it. */
	ck_assert_int_eq(setsockopt(sshm_channel_fd(p.ch), SOL_SOCKET, SO_SNDBUF, &small,
				    sizeof(small)),
			 0);
	for (i = 0; i < 24; i++)
		ck_assert_int_eq(raw_send_region(p.raw, 100 + (uint64_t)i, 4096, fd, fd),
				 0);
	for (i = 0; i < 24; i++)
		assert_ok(sshm_channel_recv(p.ch, NULL, &v[i]));
	for (i = 0; i < 24; i++)
		sshm_view_unref(v[i]);
	assert_ok(sshm_channel_stats(p.ch, &st, sizeof(st)));
	ck_assert_msg(st.held > 0, "every release went out: the socket never filled");
	/* The last one dropped is among the queued ones. */
	ck_assert_int_eq(raw_send_region(p.raw, 123, 4096, fd, fd), 0);
	assert_err(sshm_channel_recv(p.ch, NULL, &v[0]), -SSHM_EPROTO);
	ck_assert_int_eq(sshm_channel_is_open(p.ch), 0);
	peer_close(&p);
	close(fd);
}
END_TEST

START_TEST(test_refusal_same_id_after_release)
{
	struct sshm_view *v = NULL;
	struct peer p;
	int fd = test_memfd_pattern(4096, 5, SSHM_SEALS_APPLIED);

	ck_assert_int_ge(fd, 0);
	peer_open(&p);
	ck_assert_int_eq(raw_send_region(p.raw, 9, 4096, fd, fd), 0);
	assert_ok(sshm_channel_recv(p.ch, NULL, &v));
	sshm_view_unref(v);
	ck_assert_int_eq(raw_wait_release(p.raw, 9, 5000), 0);
	ck_assert_int_eq(raw_send_region(p.raw, 9, 4096, fd, fd), 0);
	assert_ok(sshm_channel_recv(p.ch, NULL, &v));
	test_view_check_pattern(v, 4096, 5);
	sshm_view_unref(v);
	peer_close(&p);
	close(fd);
}
END_TEST

START_TEST(test_refusal_eof_closes_after_data)
{
	struct sshm_view *v = NULL;
	struct peer p;
	uint8_t b[64];

	peer_open(&p);
	ck_assert_int_eq(raw_send(p.raw, b, raw_inline(b, "last", 4), -1), 0);
	close(p.raw);
	p.raw = -1;
	assert_ok(sshm_channel_recv(p.ch, NULL, &v));
	ck_assert_mem_eq(sshm_view_data(v), "last", 4);
	sshm_view_unref(v);
	assert_err(sshm_channel_recv(p.ch, NULL, &v), -EPIPE);
	ck_assert_int_eq(sshm_channel_is_open(p.ch), 0);
	peer_close(&p);
}
END_TEST

START_TEST(test_refusal_is_open_null)
{
	assert_err(sshm_channel_is_open(NULL), -EINVAL);
}
END_TEST

/*
 * A client that connects, sends HELLO and an INLINE, and leaves before the
 * listener accepts: accept returns its channel, the message is delivered,
 * then end of stream.  Nothing a peer sent before closing is lost.
 */
START_TEST(test_refusal_departed_client_delivered)
{
	struct sshm_listener *l;
	struct sshm_channel *ch;
	struct sshm_view *v = NULL;
	uint8_t b[64];
	char name[64];
	int fd;

	snprintf(name, sizeof(name), "@sshm-test-departed-%d", (int)getpid());
	assert_ok(sshm_listener_new(name, 0, &l));
	fd = raw_connect(name);
	ck_assert_int_eq(raw_send(fd, b, raw_hello(b, 64, 0), -1), 0);
	ck_assert_int_eq(raw_send(fd, b, raw_inline(b, "bye", 3), -1), 0);
	close(fd);

	assert_ok(sshm_listener_accept(l, 0, &ch));
	assert_ok(sshm_channel_recv(ch, NULL, &v));
	ck_assert_mem_eq(sshm_view_data(v), "bye", 3);
	sshm_view_unref(v);
	assert_err(sshm_channel_recv(ch, NULL, &v), -EPIPE);
	ck_assert_int_eq(sshm_channel_is_open(ch), 0);
	sshm_channel_unref(ch);
	sshm_listener_unref(l);
}
END_TEST

static Suite *refusal_suite(void)
{
	Suite *s = suite_create("refusal");
	TCase *tc;

	tc = test_tcase("refused");
	/* It reopens descriptors through /proc to make some of its cases. */
	test_add_if(tc, test_refusal_each_then_good_region, test_need_proc());
	tcase_add_test(tc, test_refusal_same_id_after_release);
	tcase_add_test(tc, test_refusal_is_open_null);
	suite_add_tcase(s, tc);

	tc = test_tcase("closed");
	tcase_add_test(tc, test_refusal_violation_closes);
	tcase_add_test(tc, test_refusal_duplicate_id_breaks);
	tcase_add_test(tc, test_refusal_duplicate_of_queued_id);
	tcase_add_test(tc, test_refusal_eof_closes_after_data);
	tcase_add_test(tc, test_refusal_departed_client_delivered);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_run(refusal_suite());
}
