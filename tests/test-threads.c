/* SPDX-License-Identifier: MIT */
/*
 * test-threads - the thread model of sshm.h: a channel is used by one thread
 * at a time, but its views may be dropped in any thread, and one region may
 * be in flight on channels served by different threads.  A release from a
 * worker reaches the peer without the channel's thread doing anything; one
 * that found the socket full wakes the channel's wait.  The stress test is
 * what the ThreadSanitizer build of CI runs.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/resource.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "macro.h"
#include "sshm.h"
#include "testlib.h"

struct rawpair {
	struct sshm_channel *ch; /* the library's consumer */
	int raw;		 /* the producer, by hand */
};

static void rawpair_open(struct rawpair *p)
{
	uint8_t b[RAW_PACKET_MAX];
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	assert_ok(sshm_channel_adopt(sv[0], 0, &p->ch));
	p->raw = sv[1];
	ck_assert_int_eq(raw_recv(p->raw, b, sizeof(b), 5000), 48);
	ck_assert_int_eq(raw_send(p->raw, b, raw_hello(b, 64, 0), -1), 0);
}

static void *unref_thread(void *arg)
{
	sshm_view_unref(arg);
	return NULL;
}

/* A worker drops the view; the channel's thread does nothing at all. */
START_TEST(test_threads_release_from_worker)
{
	struct sshm_view *v = NULL;
	struct rawpair p;
	pthread_t t;
	int fd = test_memfd_pattern(4096, 1, SSHM_SEALS_APPLIED);

	ck_assert_int_ge(fd, 0);
	rawpair_open(&p);
	ck_assert_int_eq(raw_send_region(p.raw, 11, 4096, fd, fd), 0);
	assert_ok(sshm_channel_recv(p.ch, NULL, &v));
	ck_assert_int_eq(pthread_create(&t, NULL, unref_thread, v), 0);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_int_eq(raw_wait_release(p.raw, 11, 5000), 0);
	close(fd);
	close(p.raw);
	sshm_channel_unref(p.ch);
}
END_TEST

#define N_FULL 20

struct waiter {
	struct sshm_channel *ch;
	int r;
	struct sshm_view *v;
};

static void *recv_thread(void *arg)
{
	struct waiter *w = arg;

	w->r = sshm_channel_recv(w->ch, NULL, &w->v);
	return NULL;
}

/*
 * The peer stops reading, so releases dropped in a worker find the socket
 * full and are queued, while the channel's thread is already blocked in
 * recv waiting for data.  When the peer reads again, that wait must send
 * them: the peer gets every release before it sends anything more.
 */
START_TEST(test_threads_queued_release_wakes_wait)
{
	struct sshm_view *views[N_FULL];
	uint64_t ids[N_FULL];
	struct waiter w = { 0 };
	struct rawpair p;
	uint8_t b[64];
	pthread_t t;
	int fd = test_memfd_pattern(4096, 2, SSHM_SEALS_APPLIED), small = 1, i;

	ck_assert_int_ge(fd, 0);
	rawpair_open(&p);
	/* The smallest send buffer the kernel allows: a few RELEASEs fill
	 * it while the peer does not read. */
	ck_assert_int_eq(setsockopt(sshm_channel_fd(p.ch), SOL_SOCKET, SO_SNDBUF, &small,
				    sizeof(small)),
			 0);
	for (i = 0; i < N_FULL; i++) {
		ids[i] = 100 + (uint64_t)i;
		ck_assert_int_eq(raw_send_region(p.raw, ids[i], 4096, fd, fd), 0);
	}
	for (i = 0; i < N_FULL; i++)
		assert_ok(sshm_channel_recv(p.ch, NULL, &views[i]));

	w.ch = p.ch;
	ck_assert_int_eq(pthread_create(&t, NULL, recv_thread, &w), 0);
	usleep(50 * 1000); /* let it block; a late start is fine too */
	for (i = 0; i < N_FULL; i++)
		sshm_view_unref(views[i]);
	/* Some went out at once, the rest were queued: the peer reads now,
	 * and must see them all without sending anything first. */
	ck_assert_msg(raw_wait_releases(p.raw, ids, N_FULL, 5000) == 0,
		      "the releases queued while the channel waited never came");
	ck_assert_int_eq(raw_send(p.raw, b, raw_inline(b, "go", 2), -1), 0);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	assert_ok(w.r);
	ck_assert_mem_eq(sshm_view_data(w.v), "go", 2);
	sshm_view_unref(w.v);
	close(fd);
	close(p.raw);
	sshm_channel_unref(p.ch);
}
END_TEST

/* The wake fd's errors: no channel; no descriptor left for the eventfd
 * (asked again later, it is made then). */
START_TEST(test_threads_wake_fd_errors)
{
	struct sshm_channel *a, *b;
	struct rlimit old, rl;
	int fd;

	assert_err(sshm_channel_wake_fd(NULL), -EINVAL);
	test_pair_make(0, &a, &b);
	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &old), 0);
	/* The lowest free fd is the first the eventfd could take. */
	fd = dup(0);
	ck_assert_int_ge(fd, 0);
	close(fd);
	rl = old;
	rl.rlim_cur = (rlim_t)fd;
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
	assert_err(sshm_channel_wake_fd(a), -EMFILE);
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &old), 0);
	ck_assert_int_ge(sshm_channel_wake_fd(a), 0);
	sshm_channel_unref(a);
	sshm_channel_unref(b);
}
END_TEST

/*
 * The wake fd, for an event loop: readable once a release had to be
 * queued, and no longer once sshm_channel_flush() ran for it; else a loop
 * that does as sshm_channel_wake_fd(3) says would spin.
 */
START_TEST(test_threads_wake_fd_cleared_by_flush)
{
	struct sshm_channel *a, *b;
	struct sshm_region *r = test_region_pattern_checked(4096, 3);
	struct sshm_view *v = NULL, *w = NULL;
	pthread_t t;
	int wake, n = 0;

	test_pair_make(SSHM_CHANNEL_NONBLOCK, &a, &b);
	assert_ok(sshm_channel_send(a, r, NULL, 0));
	assert_ok(sshm_channel_recv(b, NULL, &v));
	wake = sshm_channel_wake_fd(b);
	ck_assert_int_ge(wake, 0);
	ck_assert_int_eq(test_poll_one(wake, POLLIN, 0), 0);
	/* b's socket to a full: a reads nothing meanwhile. */
	while (sshm_channel_send_bytes(b,
				       "sixty-four bytes of nothing in particular, "
				       "filling the socket...",
				       64, NULL, 0) == 0)
		n++;
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(pthread_create(&t, NULL, unref_thread, v), 0);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_int_ne(test_poll_one(wake, POLLIN, 0), 0);
	/* a reads everything; the loop of b flushes for the wake. */
	while (sshm_channel_recv(a, NULL, &w) == 0)
		w = sshm_view_unref(w);
	ck_assert_int_eq(sshm_channel_flush(b), 0);
	ck_assert_int_eq(test_poll_one(wake, POLLIN, 0), 0);
	/* And the release did reach a. */
	for (n = 0; n < 5000 && sshm_channel_inflight(a) > 0; n++) {
		ck_assert_int_ge(sshm_channel_flush(a), 0);
		usleep(1000);
	}
	ck_assert_uint_eq(sshm_channel_inflight(a), 0);
	sshm_region_unref(r);
	sshm_channel_unref(a);
	sshm_channel_unref(b);
}
END_TEST

/* ------------------------------------------------------------ stress */

#define N_CHANNELS 3
#define N_WORKERS  3
#define N_ROUNDS   300

struct stress {
	struct sshm_channel *prod[N_CHANNELS];
	struct sshm_channel *cons[N_CHANNELS];
	/* views handed to the workers: a small locked stack */
	pthread_mutex_t lock;
	pthread_cond_t more;
	struct sshm_view *stack[256];
	unsigned int n;
	int done;
	atomic_uint received;
	atomic_uint bad;
};

static void stress_push(struct stress *s, struct sshm_view *v)
{
	pthread_mutex_lock(&s->lock);
	while (s->n == ELEMENTSOF(s->stack))
		pthread_cond_wait(&s->more, &s->lock);
	s->stack[s->n++] = v;
	pthread_cond_broadcast(&s->more);
	pthread_mutex_unlock(&s->lock);
}

static void *stress_worker(void *arg)
{
	struct stress *s = arg;

	for (;;) {
		struct sshm_view *v;

		pthread_mutex_lock(&s->lock);
		while (s->n == 0 && !s->done)
			pthread_cond_wait(&s->more, &s->lock);
		if (s->n == 0) {
			pthread_mutex_unlock(&s->lock);
			return NULL;
		}
		v = s->stack[--s->n];
		pthread_cond_broadcast(&s->more);
		pthread_mutex_unlock(&s->lock);
		if (!test_view_matches(v, sshm_view_size(v), 7))
			atomic_fetch_add(&s->bad, 1);
		sshm_view_unref(v);
	}
}

struct consumer_arg {
	struct stress *s;
	unsigned int i;
};

/* One thread per consuming channel, each receiving and handing views on. */
static void *stress_consumer(void *arg)
{
	struct consumer_arg *c = arg;
	struct stress *s = c->s;
	unsigned int k;

	for (k = 0; k < N_ROUNDS; k++) {
		struct sshm_view *v = NULL;

		if (sshm_channel_recv(s->cons[c->i], NULL, &v) < 0) {
			atomic_fetch_add(&s->bad, 1);
			return NULL;
		}
		atomic_fetch_add(&s->received, 1);
		stress_push(s, v);
	}
	return NULL;
}

struct producer_arg {
	struct stress *s;
	struct sshm_region *r;
	unsigned int i;
};

/* One thread per producing channel; all send the same regions. */
static void *stress_producer(void *arg)
{
	struct producer_arg *p = arg;
	unsigned int k;

	for (k = 0; k < N_ROUNDS; k++)
		if (sshm_channel_send(p->s->prod[p->i], p->r, NULL, 0) < 0) {
			atomic_fetch_add(&p->s->bad, 1);
			return NULL;
		}
	if (sshm_channel_drain(p->s->prod[p->i]) < 0)
		atomic_fetch_add(&p->s->bad, 1);
	return NULL;
}

/*
 * N channels, each served by a consumer thread and a producer thread; the
 * producers fan one region out to every channel; M workers drop the views.
 * Every view is checked, every region released, nothing leaks (the
 * fixture counts fds); under ThreadSanitizer, no race.
 */
START_TEST(test_threads_stress)
{
	pthread_t prod[N_CHANNELS], cons[N_CHANNELS], work[N_WORKERS];
	struct consumer_arg ca[N_CHANNELS];
	struct producer_arg pa[N_CHANNELS];
	struct sshm_region *r = test_region_pattern_checked(64 * 1024, 7);
	struct stress *s = calloc(1, sizeof(*s));
	unsigned int i;

	ck_assert_ptr_nonnull(s);
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->more, NULL);
	for (i = 0; i < N_CHANNELS; i++)
		test_pair_make(0, &s->prod[i], &s->cons[i]);
	for (i = 0; i < N_WORKERS; i++)
		ck_assert_int_eq(pthread_create(&work[i], NULL, stress_worker, s), 0);
	for (i = 0; i < N_CHANNELS; i++) {
		ca[i] = (struct consumer_arg){ s, i };
		pa[i] = (struct producer_arg){ s, r, i };
		ck_assert_int_eq(pthread_create(&cons[i], NULL, stress_consumer, &ca[i]),
				 0);
		ck_assert_int_eq(pthread_create(&prod[i], NULL, stress_producer, &pa[i]),
				 0);
	}
	for (i = 0; i < N_CHANNELS; i++) {
		ck_assert_int_eq(pthread_join(prod[i], NULL), 0);
		ck_assert_int_eq(pthread_join(cons[i], NULL), 0);
	}
	pthread_mutex_lock(&s->lock);
	s->done = 1;
	pthread_cond_broadcast(&s->more);
	pthread_mutex_unlock(&s->lock);
	for (i = 0; i < N_WORKERS; i++)
		ck_assert_int_eq(pthread_join(work[i], NULL), 0);
	ck_assert_uint_eq(atomic_load(&s->bad), 0);
	ck_assert_uint_eq(atomic_load(&s->received), N_CHANNELS * N_ROUNDS);
	for (i = 0; i < N_CHANNELS; i++) {
		ck_assert_uint_eq(sshm_channel_inflight(s->prod[i]), 0);
		sshm_channel_unref(s->prod[i]);
		sshm_channel_unref(s->cons[i]);
	}
	sshm_region_unref(r);
	pthread_cond_destroy(&s->more);
	pthread_mutex_destroy(&s->lock);
	free(s);
}
END_TEST

static Suite *threads_suite(void)
{
	Suite *s = suite_create("threads");
	TCase *tc;

	tc = test_tcase("release");
	tcase_add_test(tc, test_threads_release_from_worker);
	tcase_add_test(tc, test_threads_queued_release_wakes_wait);
	tcase_add_test(tc, test_threads_wake_fd_cleared_by_flush);
	test_add_if(tc, test_threads_wake_fd_errors, test_need_real_rlimit());
	suite_add_tcase(s, tc);

	tc = test_tcase("stress");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_threads_stress);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_run(threads_suite());
}
