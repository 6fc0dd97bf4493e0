/* SPDX-License-Identifier: MIT */
/*
 * conn - the channel object, one connection's state, as the files of a
 * channel share it: channel.c, inbound.c, announce.c, send.c, receive.c,
 * listener.c.  Nothing else includes this.
 */
#ifndef SSHM_CONN_H
#define SSHM_CONN_H

#include <stdint.h>
#include <sys/socket.h>

#include "copy.h"
#include "ledger.h"
#include "peer.h"
#include "release.h"
#include "sshm.h"
#include "verify.h"
#include "wire.h"

/* Data messages kept while a send, flush or drain waits for releases. */
#define CHANNEL_PENDING_MAX 64u

/* A data message (REGION, INLINE, or a whole COPY) read from the socket and
 * decoded. */
struct packet {
	uint8_t *buf; /* the channel's rxbuf, or an owned copy when kept */
	size_t len;
	struct wire_msg msg; /* points into buf */
	int fd;		     /* a REGION's memfd, else -1 */
	int fd_error;	     /* a REGION whose fd we had no room for: -EMFILE */
	int pidfd;	     /* SCM_PIDFD, or -1 */
	int pidfd_error;     /* an SCM_PIDFD without a descriptor */
	int pin;	     /* the pidfd pinning the sender: pidfd, the peer's, or -1 */
	struct ucred cred;   /* zero when the message had no credentials */
	int owned;	     /* buf is a copy to free */
};

struct sshm_channel {
	unsigned int refs;
	int fd; /* the socket; owned by the release queue */
	unsigned int flags;
	int broken; /* the code that broke the channel, 0 while usable */
	int eof;
	struct peer peer; /* who is on the other end, and how its messages are pinned */
	int have_hello;
	struct wire_hello hello; /* the peer's */
	struct verify_env env;

	/* sending side */
	uint64_t next_id;
	struct ledger ledger;
	unsigned int window; /* this side's own limits (sshm_channel_set_limits) */
	uint64_t budget;
	struct wire_limits announced; /* what the peer was told we accept */
	int limits_unsent;	      /* window/budget differ from announced */
	pid_t sender; /* the process that sent last: a SENDER before another does */

	/* receiving side */
	struct release_queue *releases;
	struct copy_in copy; /* a payload arriving in COPY pieces */
	struct packet pending[CHANNEL_PENDING_MAX];
	unsigned int n_pending;
	uint8_t *rxbuf; /* WIRE_PACKET_MAX bytes */

	size_t inline_max; /* send_bytes threshold */
	size_t copy_piece; /* the size of COPY pieces after the first */
	int thp;	   /* enum hugepage_shmem, -1 until send_bytes asks */

	struct sshm_channel_stats stats; /* counters; the rest is filled on demand */
};

/* A refusal by sshm_channel_recv(), counted by code. */
void channel_count_refusal(struct sshm_channel *ch, int code);

/*
 * A channel around a connected socket whose SO_PASSCRED (and SO_PASSPIDFD,
 * @passpidfd) the caller set.  Sends our HELLO.  @env: where memfds live,
 * learned already (a listener's), or NULL to learn it with a probe memfd.
 * Never closes @fd: on failure the caller still owns it.
 */
int channel_new(int fd, unsigned int flags, int passpidfd, const struct verify_env *env,
		struct sshm_channel **ret);

/* announce.c: our HELLO, sent once at construction. */
int channel_send_hello(struct sshm_channel *ch);

/*
 * inbound.c: reads until @done(ch, @arg) holds, or (@done NULL) until
 * nothing is left to read; data messages are kept for recv.  Blocks per
 * the channel's mode unless @dontwait.
 */
int channel_pump(struct sshm_channel *ch,
		 int (*done)(const struct sshm_channel *, uint64_t), uint64_t arg,
		 int dontwait);

/* For channel_pump(): nothing this side sent is in flight any more. */
int channel_nothing_in_flight(const struct sshm_channel *ch, uint64_t unused);

/* Marks the channel broken by @code (the first code sticks); returns @code. */
static inline int channel_break(struct sshm_channel *ch, int code)
{
	if (!ch->broken)
		ch->broken = code;
	return code;
}

/* Waits (per the channel's mode) until the peer's HELLO is known. */
int channel_wait_hello(struct sshm_channel *ch);

/* Waits (per the channel's mode) until one more region of @size bytes fits
 * the window and the budget (both sides' limits). */
int channel_wait_room(struct sshm_channel *ch, uint64_t size);

/*
 * Reads what the peer sent without blocking: its releases, its data (kept
 * for recv).  For a sender that must wait for room in the socket: a peer
 * that waits for room in ours is served meanwhile.  0, -ENOBUFS when
 * CHANNEL_PENDING_MAX messages are kept, or a violation.
 */
int channel_read_ready(struct sshm_channel *ch);

/*
 * Before a data message (and at flush, and before a wait): a SENDER if this
 * process is not the one that sent before and the peer wants to know, and a
 * LIMITS if this side's limits changed since it last told the peer.
 * @dontwait: only what the socket takes at once.  0, or the send's error.
 */
int channel_announce(struct sshm_channel *ch, int dontwait);

/*
 * The next data message: a kept one first, else from the socket (blocking
 * per the channel's mode), consuming HELLOs and RELEASEs on the way.  The
 * owed RELEASEs are sent first.  The caller owns @p's fds and calls
 * packet_done().
 */
int channel_next(struct sshm_channel *ch, struct packet *p);

/* Closes what is left of @p's fds and frees its copy. */
void packet_done(struct packet *p);

#endif
