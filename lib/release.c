/* SPDX-License-Identifier: MIT */
/*
 * release - the receiving side's debt to its peer: regions held and
 * RELEASEs to send.  Views drop regions from whatever thread they are
 * dropped in, so everything here is under one lock; the reference count is
 * atomic.
 */
#include <assert.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "private.h"
#include "release.h"
#include "socket.h"
#include "wire.h"

struct release_queue {
	atomic_uint refs;
	int fd;
	unsigned int window;
	uint64_t budget;
	pthread_mutex_t lock;
	uint64_t *held;	     /* ids received and not released, window entries */
	uint64_t *held_size; /* their sizes */
	unsigned int n_held;
	uint64_t owed_bytes; /* of the regions held or released and not sent */
	uint64_t *queued_size;
	uint64_t *queued; /* ids released and not sent yet, window entries */
	unsigned int n_queued;
	uint8_t *ids; /* the encoded ids of one RELEASE, window * 8 bytes */
	uint64_t released, release_packets;
	int wake;  /* eventfd, -1 until asked for */
	int woken; /* it was written and not read since */
};

static void queue_free(struct release_queue *q)
{
	free(q->held);
	free(q->held_size);
	free(q->queued);
	free(q->queued_size);
	free(q->ids);
	free(q);
}

int release_queue_new(int fd, unsigned int window, uint64_t budget,
		      struct release_queue **ret)
{
	struct release_queue *q;

	q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	q->held = calloc(window, sizeof(q->held[0]));
	q->held_size = calloc(window, sizeof(q->held_size[0]));
	q->queued = calloc(window, sizeof(q->queued[0]));
	q->queued_size = calloc(window, sizeof(q->queued_size[0]));
	q->ids = malloc((size_t)window * 8);
	if (!q->held || !q->held_size || !q->queued || !q->queued_size || !q->ids) {
		queue_free(q);
		return -ENOMEM;
	}
	atomic_init(&q->refs, 1);
	q->fd = fd;
	q->wake = -1;
	q->window = window;
	q->budget = budget;
	pthread_mutex_init(&q->lock, NULL);
	*ret = q;
	return 0;
}

struct release_queue *release_queue_ref(struct release_queue *q)
{
	atomic_fetch_add_explicit(&q->refs, 1, memory_order_relaxed);
	return q;
}

void release_queue_unref(struct release_queue *q)
{
	if (!q || atomic_fetch_sub_explicit(&q->refs, 1, memory_order_acq_rel) != 1)
		return;
	/* Last chance for what is still queued; the peer reads the rest as
	 * end of stream. */
	(void)release_queue_flush(q);
	close(q->fd);
	if (q->wake >= 0)
		close(q->wake);
	pthread_mutex_destroy(&q->lock);
	queue_free(q);
}

static int grow(uint64_t **p, unsigned int n)
{
	uint64_t *q = realloc(*p, (size_t)n * sizeof(**p));

	if (!q)
		return -ENOMEM;
	*p = q;
	return 0;
}

int release_queue_set_limits(struct release_queue *q, unsigned int window,
			     uint64_t budget)
{
	uint8_t *ids;
	int r = 0;

	pthread_mutex_lock(&q->lock);
	if (window > q->window) {
		if (grow(&q->held, window) < 0 || grow(&q->held_size, window) < 0 ||
		    grow(&q->queued, window) < 0 || grow(&q->queued_size, window) < 0 ||
		    !(ids = realloc(q->ids, (size_t)window * 8))) {
			r = -ENOMEM;
		} else {
			q->ids = ids;
			q->window = window;
		}
	}
	if (r == 0 && budget > q->budget)
		q->budget = budget;
	pthread_mutex_unlock(&q->lock);
	return r;
}

static int find_held(const struct release_queue *q, uint64_t id)
{
	unsigned int i;

	for (i = 0; i < q->n_held; i++)
		if (q->held[i] == id)
			return (int)i;
	return -1;
}

/* Released by us but the RELEASE not sent yet: the peer still counts it
 * as unreleased, and may not use the id again. */
static int is_queued(const struct release_queue *q, uint64_t id)
{
	unsigned int i;

	for (i = 0; i < q->n_queued; i++)
		if (q->queued[i] == id)
			return 1;
	return 0;
}

int release_queue_hold(struct release_queue *q, uint64_t id, uint64_t size,
		       int check_budget)
{
	unsigned int owed;
	int r = 0;

	pthread_mutex_lock(&q->lock);
	owed = q->n_held + q->n_queued;
	if (owed >= q->window || find_held(q, id) >= 0 || is_queued(q, id))
		r = -SSHM_EPROTO;
	else if (check_budget && owed > 0 &&
		 (q->owed_bytes > q->budget || size > q->budget - q->owed_bytes))
		r = -SSHM_EPROTO;
	if (r == 0) {
		q->held_size[q->n_held] = size;
		q->held[q->n_held++] = id;
		q->owed_bytes += size;
	}
	pthread_mutex_unlock(&q->lock);
	return r;
}

/* Called with the lock held. */
static int flush_locked(struct release_queue *q)
{
	uint8_t hdr[WIRE_RELEASE_LEN];
	struct iovec iov[2];
	unsigned int i;
	int r;

	if (q->n_queued == 0)
		return 0;
	iov[0].iov_base = hdr;
	iov[0].iov_len = wire_encode_release(hdr, q->n_queued);
	for (i = 0; i < q->n_queued; i++)
		wire_put_id(q->ids + (size_t)i * 8, q->queued[i]);
	iov[1].iov_base = q->ids;
	iov[1].iov_len = (size_t)q->n_queued * 8;
	r = socket_send(q->fd, iov, 2, -1, 1);
	if (r == -EAGAIN || r == -ENOBUFS)
		return (int)q->n_queued;
	if (r < 0 && r != -EPIPE)
		return r;
	/* Sent, or the peer is gone and no longer cares. */
	for (i = 0; i < q->n_queued; i++)
		q->owed_bytes -= q->queued_size[i];
	q->released += q->n_queued;
	q->release_packets++;
	q->n_queued = 0;
	return 0;
}

void release_queue_put(struct release_queue *q, uint64_t id)
{
	int i;

	pthread_mutex_lock(&q->lock);
	i = find_held(q, id);
	assert(i >= 0 && q->n_queued < q->window);
	q->queued_size[q->n_queued] = q->held_size[i];
	q->queued[q->n_queued++] = id;
	q->n_held--;
	q->held[i] = q->held[q->n_held];
	q->held_size[i] = q->held_size[q->n_held];
	/* Whoever waits on the channel sends it once the socket has room. */
	if (flush_locked(q) > 0 && q->wake >= 0) {
		(void)eventfd_write(q->wake, 1);
		q->woken = 1;
	}
	pthread_mutex_unlock(&q->lock);
}

int release_queue_flush(struct release_queue *q)
{
	eventfd_t v;
	int r;

	pthread_mutex_lock(&q->lock);
	/* The channel's thread is here to send what was queued: the wake
	 * has done its work (read only when written: no syscall else). */
	if (q->woken) {
		(void)eventfd_read(q->wake, &v);
		q->woken = 0;
	}
	r = flush_locked(q);
	pthread_mutex_unlock(&q->lock);
	return r;
}

unsigned int release_queue_owed(struct release_queue *q)
{
	unsigned int n;

	pthread_mutex_lock(&q->lock);
	n = q->n_held + q->n_queued;
	pthread_mutex_unlock(&q->lock);
	return n;
}

void release_queue_stats(struct release_queue *q, struct sshm_channel_stats *st)
{
	pthread_mutex_lock(&q->lock);
	st->held = q->n_held + q->n_queued;
	st->held_bytes = q->owed_bytes;
	st->released = q->released;
	st->release_packets = q->release_packets;
	pthread_mutex_unlock(&q->lock);
}

int release_queue_wake_fd(struct release_queue *q)
{
	int fd;

	pthread_mutex_lock(&q->lock);
	if (q->wake < 0)
		q->wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	fd = q->wake >= 0 ? q->wake : neg_errno();
	pthread_mutex_unlock(&q->lock);
	return fd;
}

int release_queue_peek_wake_fd(struct release_queue *q)
{
	int fd;

	pthread_mutex_lock(&q->lock);
	fd = q->wake;
	pthread_mutex_unlock(&q->lock);
	return fd;
}

unsigned int release_queue_queued(struct release_queue *q)
{
	eventfd_t v;
	unsigned int n;

	pthread_mutex_lock(&q->lock);
	if (q->woken) {
		(void)eventfd_read(q->wake, &v);
		q->woken = 0;
	}
	n = q->n_queued;
	pthread_mutex_unlock(&q->lock);
	return n;
}
