/* SPDX-License-Identifier: MIT */
/*
 * test-limits - what a channel keeps in flight: the window (regions) and
 * the budget (bytes), this side's (sshm_channel_set_limits) and the peer's
 * (its HELLO), the smaller of each; a region larger than the budget alone;
 * the receiver holding a peer to what it announced; and the accounting of
 * sshm_channel_stats() never above the budget while random traffic flows.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "macro.h"
#include "sshm.h"
#include "testlib.h"

static struct sshm_channel_stats stats_of(const struct sshm_channel *ch)
{
	struct sshm_channel_stats st;

	assert_ok(sshm_channel_stats(ch, &st, sizeof(st)));
	return st;
}

/* Receives one region and drops it, so the producer gets one release. */
static void consume_one(struct sshm_channel *cons)
{
	struct sshm_view *v = NULL;

	assert_ok(sshm_channel_recv(cons, NULL, &v));
	sshm_view_unref(v);
}

START_TEST(test_limits_budget_nonblock)
{
	struct sshm_channel *prod, *cons;
	struct sshm_region *r = test_region_pattern_checked(4096, 1);
	struct sshm_channel_stats st;

	test_pair_make(SSHM_CHANNEL_NONBLOCK, &prod, &cons);
	assert_ok(sshm_channel_set_limits(prod, 0, 3 * 4096));
	assert_err(sshm_channel_recv(cons, NULL, &(struct sshm_view *){ NULL }), -EAGAIN);
	assert_ok(sshm_channel_send(prod, r, NULL, 0));
	assert_ok(sshm_channel_send(prod, r, NULL, 0));
	assert_ok(sshm_channel_send(prod, r, NULL, 0));
	assert_err(sshm_channel_send(prod, r, NULL, 0), -EAGAIN);
	st = stats_of(prod);
	ck_assert_uint_eq(st.inflight, 3);
	ck_assert_uint_eq(st.inflight_bytes, 3 * 4096);
	ck_assert_uint_eq(st.sent, 3);
	/* The limits that held: the budget is what is full. */
	ck_assert_uint_eq(st.window, SSHM_WINDOW_DEFAULT);
	ck_assert_uint_eq(st.budget, 3 * 4096);

	consume_one(cons);
	/* The other two are still in the socket: read, not released. */
	st = stats_of(cons);
	ck_assert_uint_eq(st.held, 0);
	ck_assert_uint_eq(st.released, 1);
	ck_assert_uint_eq(st.release_packets, 1);
	ck_assert_uint_eq(st.received, 1);
	ck_assert_uint_eq(st.received_bytes, 4096);
	assert_ok(sshm_channel_send(prod, r, NULL, 0));
	assert_err(sshm_channel_send(prod, r, NULL, 0), -EAGAIN);
	ck_assert_uint_eq(stats_of(prod).inflight_bytes, 3 * 4096);
	sshm_region_unref(r);
	sshm_channel_unref(prod);
	sshm_channel_unref(cons);
}
END_TEST

START_TEST(test_limits_window_nonblock)
{
	struct sshm_channel *prod, *cons;
	struct sshm_region *r = test_region_pattern_checked(4096, 2);

	test_pair_make(SSHM_CHANNEL_NONBLOCK, &prod, &cons);
	assert_ok(sshm_channel_set_limits(prod, 2, 0));
	assert_err(sshm_channel_recv(cons, NULL, &(struct sshm_view *){ NULL }), -EAGAIN);
	assert_ok(sshm_channel_send(prod, r, NULL, 0));
	assert_ok(sshm_channel_send(prod, r, NULL, 0));
	assert_err(sshm_channel_send(prod, r, NULL, 0), -EAGAIN);
	consume_one(cons);
	assert_ok(sshm_channel_send(prod, r, NULL, 0));
	sshm_region_unref(r);
	sshm_channel_unref(prod);
	sshm_channel_unref(cons);
}
END_TEST

/* A region larger than the budget travels, but alone. */
START_TEST(test_limits_large_region_alone)
{
	struct sshm_channel *prod, *cons;
	struct sshm_region *big = test_region_pattern_checked(16384, 3);
	struct sshm_region *small = test_region_pattern_checked(4096, 4);

	test_pair_make(SSHM_CHANNEL_NONBLOCK, &prod, &cons);
	assert_ok(sshm_channel_set_limits(prod, 0, 4096));
	assert_err(sshm_channel_recv(cons, NULL, &(struct sshm_view *){ NULL }), -EAGAIN);
	assert_ok(sshm_channel_send(prod, big, NULL, 0));
	assert_err(sshm_channel_send(prod, small, NULL, 0), -EAGAIN);
	assert_err(sshm_channel_send(prod, big, NULL, 0), -EAGAIN);
	consume_one(cons);
	assert_ok(sshm_channel_send(prod, small, NULL, 0));
	assert_err(sshm_channel_send(prod, small, NULL, 0), -EAGAIN);
	sshm_region_unref(big);
	sshm_region_unref(small);
	sshm_channel_unref(prod);
	sshm_channel_unref(cons);
}
END_TEST

/* A consumer grants more than the defaults: its LIMITS reaches the
 * producer, which then keeps up to that in flight. */
START_TEST(test_limits_consumer_grants_more)
{
	struct sshm_channel *prod, *cons;
	struct sshm_region *r = test_region_pattern_checked(4096, 8);
	unsigned int i;

	test_pair_make(SSHM_CHANNEL_NONBLOCK, &prod, &cons);
	assert_ok(sshm_channel_set_limits(cons, 100, 0));
	assert_ok(sshm_channel_set_limits(prod, 200, 0));
	assert_err(sshm_channel_recv(cons, NULL, &(struct sshm_view *){ NULL }), -EAGAIN);
	for (i = 0; i < 100; i++)
		assert_ok(sshm_channel_send(prod, r, NULL, 0));
	assert_err(sshm_channel_send(prod, r, NULL, 0), -EAGAIN);
	ck_assert_uint_eq(stats_of(prod).inflight, 100);
	/* And the consumer holds the producer to it: all 100 are taken. */
	for (i = 0; i < 100; i++)
		consume_one(cons);
	sshm_region_unref(r);
	sshm_channel_unref(prod);
	sshm_channel_unref(cons);
}
END_TEST

START_TEST(test_limits_invalid)
{
	struct sshm_channel *a, *b;

	test_pair_make(0, &a, &b);
	assert_err(sshm_channel_set_limits(NULL, 1, 1), -EINVAL);
	assert_err(sshm_channel_set_limits(a, 4097, 0), -EINVAL);
	assert_ok(sshm_channel_set_limits(a, 4096, UINT64_MAX));
	assert_ok(sshm_channel_set_limits(a, 0, 0));
	assert_err(sshm_channel_stats(NULL, &(struct sshm_channel_stats){ 0 }, 8),
		   -EINVAL);
	assert_err(sshm_channel_stats(a, NULL, 8), -EINVAL);
	assert_err(sshm_channel_stats(a, &(struct sshm_channel_stats){ 0 }, 4), -EINVAL);
	sshm_channel_unref(a);
	sshm_channel_unref(b);
}
END_TEST

/*
 * A blocking send waiting for a release keeps what the peer sends
 * meanwhile, up to 64 data messages: then -ENOBUFS, and the kept ones are
 * all still delivered, in order.
 */
START_TEST(test_limits_send_enobufs)
{
	struct sshm_channel *a, *b;
	struct sshm_region *r = test_region_pattern_checked(4096, 4);
	struct sshm_view *v = NULL, *held = NULL;
	char msg[16];
	int i;

	test_pair_make(0, &a, &b);
	assert_ok(sshm_channel_set_limits(a, 1, 0));
	assert_ok(sshm_channel_send(a, r, NULL, 0));
	assert_ok(sshm_channel_recv(b, NULL, &held)); /* not released */
	for (i = 0; i < 70; i++) {
		snprintf(msg, sizeof(msg), "m%d", i);
		assert_ok(sshm_channel_send_bytes(b, msg, strlen(msg) + 1, NULL, 0));
	}
	assert_err(sshm_channel_send(a, r, NULL, 0), -ENOBUFS);
	ck_assert_uint_eq(sshm_channel_pending(a), 64);
	for (i = 0; i < 70; i++) {
		snprintf(msg, sizeof(msg), "m%d", i);
		assert_ok(sshm_channel_recv(a, NULL, &v));
		ck_assert_str_eq(sshm_view_data(v), msg);
		v = sshm_view_unref(v);
	}
	sshm_view_unref(held);
	assert_ok(sshm_channel_send(a, r, NULL, 0));
	sshm_region_unref(r);
	sshm_channel_unref(a);
	sshm_channel_unref(b);
}
END_TEST

/* An older caller's smaller struct gets its prefix, nothing past it. */
START_TEST(test_limits_stats_prefix)
{
	struct sshm_channel *a, *b;
	uint64_t two[3] = { 0, 0, 0xdeadbeef };

	test_pair_make(0, &a, &b);
	assert_ok(sshm_channel_send_bytes(a, "abc", 3, NULL, 0));
	assert_ok(sshm_channel_stats(a, (struct sshm_channel_stats *)(void *)two,
				     2 * sizeof(uint64_t)));
	ck_assert_uint_eq(two[0], 1);
	ck_assert_uint_eq(two[1], 3);
	ck_assert_uint_eq(two[2], 0xdeadbeef);
	sshm_channel_unref(a);
	sshm_channel_unref(b);
}
END_TEST

/* ------------------------------------------------------------ the peer's */

/* A raw peer whose 48-byte HELLO announces @window and @budget. */
static size_t raw_hello_ext(uint8_t *b, uint32_t window, uint64_t budget,
			    uint32_t features)
{
	size_t n = raw_hello(b, window, 0);

	sshm_put_le64(b + n, budget);
	sshm_put_le32(b + n + 8, features);
	sshm_put_le32(b + n + 12, 0);
	return n + 16;
}

struct rawpeer {
	struct sshm_channel *ch;
	int raw;
};

static void rawpeer_open(struct rawpeer *p, unsigned int flags, const uint8_t *hello,
			 size_t len)
{
	uint8_t b[RAW_PACKET_MAX];
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	assert_ok(sshm_channel_adopt(sv[0], flags, &p->ch));
	p->raw = sv[1];
	ck_assert_int_eq(raw_recv(p->raw, b, sizeof(b), 5000), 48);
	/* The library announces its budget and window. */
	ck_assert_uint_eq(sshm_get_le32(b + 8), SSHM_WINDOW_DEFAULT);
	ck_assert_uint_eq(sshm_get_le64(b + 32), SSHM_BUDGET_DEFAULT);
	ck_assert_int_eq(raw_send(p->raw, hello, len, -1), 0);
}

static void rawpeer_close(struct rawpeer *p)
{
	close(p->raw);
	sshm_channel_unref(p->ch);
}

/* The peer's budget, smaller than ours, is the one that holds. */
START_TEST(test_limits_peer_budget)
{
	struct sshm_region *r = test_region_pattern_checked(4096, 5);
	struct rawpeer p;
	uint8_t b[64];

	rawpeer_open(&p, SSHM_CHANNEL_NONBLOCK, b, raw_hello_ext(b, 64, 8192, 0));
	assert_ok(sshm_channel_send(p.ch, r, NULL, 0));
	assert_ok(sshm_channel_send(p.ch, r, NULL, 0));
	assert_err(sshm_channel_send(p.ch, r, NULL, 0), -EAGAIN);
	sshm_region_unref(r);
	rawpeer_close(&p);
}
END_TEST

/* A sparse, sealed memfd of @size: costs nothing to make or to verify. */
static int sparse_sealed(uint64_t size)
{
	int fd = test_memfd_pattern(4096, 6, 0);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, (off_t)size), 0);
	ck_assert_int_eq(fcntl(fd, F_ADD_SEALS, SSHM_SEALS_APPLIED), 0);
	return fd;
}

/*
 * A producer that announced it knows budgets (48-byte HELLO) and sends two
 * regions whose sum exceeds the budget we announced: a violation.  One
 * alone, however large, is fine.
 */
START_TEST(test_limits_receiver_enforces_budget)
{
	const uint64_t size = SSHM_BUDGET_DEFAULT / 2 + 4096;
	struct sshm_view *v = NULL;
	struct rawpeer p;
	uint8_t b[64];
	int fd = sparse_sealed(size);

	rawpeer_open(&p, 0, b, raw_hello_ext(b, 64, 0, 0));
	ck_assert_int_eq(raw_send_region(p.raw, 1, size, fd, fd), 0);
	ck_assert_int_eq(raw_send_region(p.raw, 2, size, fd, fd), 0);
	assert_ok(sshm_channel_recv(p.ch, NULL, &v));
	assert_err(sshm_channel_recv(p.ch, NULL, &(struct sshm_view *){ NULL }),
		   -SSHM_EPROTO);
	ck_assert_int_eq(sshm_channel_is_open(p.ch), 0);
	sshm_view_unref(v);
	close(fd);
	rawpeer_close(&p);
}
END_TEST

/* A 0.1.0 peer (32-byte HELLO) never heard of budgets: only its window. */
START_TEST(test_limits_v1_peer_no_budget)
{
	const uint64_t size = SSHM_BUDGET_DEFAULT / 2 + 4096;
	struct sshm_view *v1 = NULL, *v2 = NULL;
	struct rawpeer p;
	uint8_t b[64];
	int fd = sparse_sealed(size);

	rawpeer_open(&p, 0, b, raw_hello(b, 64, 0));
	ck_assert_int_eq(raw_send_region(p.raw, 1, size, fd, fd), 0);
	ck_assert_int_eq(raw_send_region(p.raw, 2, size, fd, fd), 0);
	assert_ok(sshm_channel_recv(p.ch, NULL, &v1));
	assert_ok(sshm_channel_recv(p.ch, NULL, &v2));
	ck_assert_uint_eq(stats_of(p.ch).held_bytes, 2 * size);
	sshm_view_unref(v1);
	sshm_view_unref(v2);
	close(fd);
	rawpeer_close(&p);
}
END_TEST

/* ------------------------------------------------------------ accounting */

/*
 * Random sizes through a budget, a consumer that keeps a random number of
 * views: after every send, what is in flight is within the budget (or one
 * region alone), by the library's own accounting and by the consumer's.
 */
START_TEST(test_limits_accounting_random)
{
	const uint64_t budget = 256 * 1024;
	struct sshm_channel *prod, *cons;
	struct sshm_view *kept[64];
	unsigned int n_kept = 0, i, sent = 0;
	struct sshm_channel_stats st;

	test_rng_seed(0x6275646765740001ull);
	test_pair_make(SSHM_CHANNEL_NONBLOCK, &prod, &cons);
	assert_ok(sshm_channel_set_limits(prod, 64, budget));
	assert_err(sshm_channel_recv(cons, NULL, &(struct sshm_view *){ NULL }), -EAGAIN);
	for (i = 0; i < 2000; i++) {
		uint64_t size = 4096 * (1 + test_rng() % 96); /* up to 1.5x the budget */
		struct sshm_region *r;
		struct sshm_view *v = NULL;
		int ret;

		assert_ok(sshm_region_new(size, 0, &r));
		assert_ok(sshm_region_seal(r));
		ret = sshm_channel_send(prod, r, NULL, 0);
		sshm_region_unref(r);
		ck_assert_msg(ret == 0 || ret == -EAGAIN, "send: %d", ret);
		sent += ret == 0;
		st = stats_of(prod);
		ck_assert_msg(st.inflight <= 1 || st.inflight_bytes <= budget,
			      "%llu bytes in %llu regions in flight, budget %llu",
			      (unsigned long long)st.inflight_bytes,
			      (unsigned long long)st.inflight,
			      (unsigned long long)budget);
		/* The consumer takes what came, keeps some, drops some. */
		while (sshm_channel_recv(cons, NULL, &v) == 0) {
			if (n_kept < ELEMENTSOF(kept) && test_rng() % 2)
				kept[n_kept++] = v;
			else
				sshm_view_unref(v);
			v = NULL;
		}
		st = stats_of(cons);
		ck_assert_msg(st.held <= 1 || st.held_bytes <= budget,
			      "consumer holds %llu bytes in %llu regions, budget %llu",
			      (unsigned long long)st.held_bytes,
			      (unsigned long long)st.held, (unsigned long long)budget);
		while (n_kept > 0 && test_rng() % 3 == 0)
			sshm_view_unref(kept[--n_kept]);
		(void)sshm_channel_flush(prod);
	}
	ck_assert_uint_gt(sent, 100);
	while (n_kept > 0)
		sshm_view_unref(kept[--n_kept]);
	sshm_channel_unref(prod);
	sshm_channel_unref(cons);
}
END_TEST

static Suite *limits_suite(void)
{
	Suite *s = suite_create("limits");
	TCase *tc;

	tc = test_tcase("own");
	tcase_add_test(tc, test_limits_budget_nonblock);
	tcase_add_test(tc, test_limits_send_enobufs);
	tcase_add_test(tc, test_limits_window_nonblock);
	tcase_add_test(tc, test_limits_large_region_alone);
	tcase_add_test(tc, test_limits_invalid);
	tcase_add_test(tc, test_limits_stats_prefix);
	tcase_add_test(tc, test_limits_consumer_grants_more);
	suite_add_tcase(s, tc);

	tc = test_tcase("peer");
	tcase_add_test(tc, test_limits_peer_budget);
	tcase_add_test(tc, test_limits_receiver_enforces_budget);
	tcase_add_test(tc, test_limits_v1_peer_no_budget);
	suite_add_tcase(s, tc);

	tc = test_tcase("accounting");
	tcase_add_test(tc, test_limits_accounting_random);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_run(limits_suite());
}
