/* SPDX-License-Identifier: MIT */
#ifndef SSHM_RELEASE_H
#define SSHM_RELEASE_H

#include <stdint.h>

/*
 * What a receiving side owes its peer: the regions it holds (received, not
 * released yet) and the RELEASEs it could not send yet.  Shared by a
 * channel and every view it handed out, so that dropping a view needs
 * nothing from the channel; it owns the connection's socket, which closes
 * with the last reference.  Safe to use from any thread.
 */
struct release_queue;

/* Takes @fd on success (not on failure).  @window, @budget: regions and
 * bytes of regions the peer may have unreleased with us.  0 or -ENOMEM. */
int release_queue_new(int fd, unsigned int window, uint64_t budget,
		      struct release_queue **ret);
struct release_queue *release_queue_ref(struct release_queue *q);
void release_queue_unref(struct release_queue *q);

/*
 * REGION @id of @size bytes arrived.  -SSHM_EPROTO when it would exceed the
 * window, or (@check_budget) the budget unless it comes alone (RELEASEs not
 * sent yet count: the peer cannot know of them), or when @id is already
 * held: the peer must release an id before it uses it again.
 */
int release_queue_hold(struct release_queue *q, uint64_t id, uint64_t size,
		       int check_budget);

/* Region @id (held) is done with: its RELEASE is queued and sent at once if
 * the socket takes it without blocking. */
void release_queue_put(struct release_queue *q, uint64_t id);

/*
 * Sends the queued RELEASEs without blocking: the number still queued
 * (socket full), or -errno (kept queued: a release lost would shrink the
 * peer's window for good).  A peer that is gone drops them.  Clears the
 * wake eventfd: whoever flushes is the one it was meant to wake.
 */
int release_queue_flush(struct release_queue *q);

/*
 * This side now accepts @window regions and @budget bytes in flight.  What
 * it enforces never shrinks: the peer may still be sending under a larger
 * announcement it has read.  0 or -ENOMEM.
 */
int release_queue_set_limits(struct release_queue *q, unsigned int window,
			     uint64_t budget);

/* Regions held plus RELEASEs not sent yet. */
unsigned int release_queue_owed(struct release_queue *q);

/*
 * An eventfd that becomes readable when a RELEASE had to be queued (the
 * socket was full), so that a thread waiting on the channel wakes to send
 * it.  Made on the first call; -errno if it cannot be.
 */
int release_queue_wake_fd(struct release_queue *q);

/* The eventfd, -1 while none was made: a channel whose views live in its
 * own thread only never needs one. */
int release_queue_peek_wake_fd(struct release_queue *q);

/* RELEASEs queued now (the socket was full), and clears the wake. */
unsigned int release_queue_queued(struct release_queue *q);

/* For sshm_channel_stats(): the regions held and their bytes (RELEASEs not
 * sent yet included), ids released and the packets that carried them. */
void release_queue_stats(struct release_queue *q, struct sshm_channel_stats *st);

#endif
