/* SPDX-License-Identifier: MIT */
/*
 * inbound - what arrives on a channel: packets read (steps 1 to 3 of the
 * receive pipeline: control messages, header, sequence), what the library
 * consumes itself (HELLO, RELEASE, SENDER, LIMITS), COPY pieces read
 * straight into place, data messages kept for a later recv, and the waits
 * (which also send the releases queued while the socket was full).
 */
#include <assert.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "private.h"
#include "socket.h"

void packet_done(struct packet *p)
{
	if (p->fd >= 0)
		close(p->fd);
	if (p->pidfd >= 0)
		close(p->pidfd);
	p->fd = p->pidfd = -1;
	if (p->owned)
		free(p->buf);
	p->buf = NULL;
	p->owned = 0;
}

/* The peer closed: it will release nothing any more, and everything it
 * held of ours is released implicitly. */
static void channel_eof(struct sshm_channel *ch)
{
	ch->eof = 1;
	ch->stats.abandoned += ch->ledger.n;
	ledger_clear(&ch->ledger);
}

/*
 * One packet from the socket into @iov.  A wait also sends the RELEASEs
 * that were queued because the socket was full, once it has room, and
 * wakes for those that views dropped in other threads queue meanwhile.
 * Without a wake fd (no region view was ever handed out) and with nothing
 * queued, only this thread can queue a release: a plain blocking read.
 */
static ssize_t recv_packet(struct sshm_channel *ch, int dontwait, const struct iovec *iov,
			   int iovlen, struct socket_rx *rx)
{
	struct pollfd pfd[2];
	ssize_t n;
	int wake;

	wake = release_queue_peek_wake_fd(ch->releases);
	if (dontwait || (ch->flags & SSHM_CHANNEL_NONBLOCK) ||
	    (wake < 0 && release_queue_queued(ch->releases) == 0))
		return socket_recvv(ch->fd, iov, iovlen, dontwait, rx);
	for (;;) {
		n = socket_recvv(ch->fd, iov, iovlen, 1, rx);
		if (n != -EAGAIN)
			return n;
		pfd[0].fd = ch->fd;
		pfd[0].events = POLLIN;
		/* Reading the count clears the wake: a release queued from now
		 * on makes it readable again. */
		if (release_queue_queued(ch->releases))
			pfd[0].events |= POLLOUT;
		pfd[1].fd = wake;
		pfd[1].events = POLLIN;
		if (poll(pfd, wake >= 0 ? 2 : 1, -1) < 0 && errno != EINTR)
			return neg_errno();
		(void)release_queue_flush(ch->releases);
	}
}

/*
 * Step 3 of the pipeline, sequence: HELLO first and once, RELEASE only of
 * ids in flight, no REGION beyond our window or with an id the peer holds
 * already.  Returns 1 for a data message, 0 when consumed, or a violation.
 */
static int consume_packet(struct sshm_channel *ch, const struct wire_msg *m, pid_t pid)
{
	uint32_t i;
	int r;

	if (m->type == WIRE_HELLO) {
		if (ch->have_hello)
			return -SSHM_EPROTO;
		ch->hello = m->u.hello;
		ch->have_hello = 1;
		peer_hello(&ch->peer, ch->fd, &ch->hello, pid);
		/* Limits set before the peer was known go out now. */
		(void)channel_announce(ch, 1);
		return 0;
	}
	if (!ch->have_hello)
		return -SSHM_EPROTO;
	switch (m->type) {
	case WIRE_RELEASE:
		for (i = 0; i < m->u.release.count; i++) {
			r = ledger_release(&ch->ledger, wire_release_id(m, i));
			if (r < 0)
				return r;
		}
		return 0;
	case WIRE_REGION:
		/* A 0.1.0 peer (32-byte HELLO) knows no budget: only the
		 * window holds it. */
		r = release_queue_hold(ch->releases, m->u.region.id, m->u.region.size,
				       ch->hello.extended);
		return r < 0 ? r : 1;
	case WIRE_INLINE:
	case WIRE_COPY:
		return 1;
	case WIRE_SENDER:
		/* What it says was acted on when it arrived (peer_packet). */
		return 0;
	case WIRE_LIMITS:
		/* What the peer accepts from now on: the next send's limits. */
		ch->hello.window = m->u.limits.window;
		ch->hello.budget = m->u.limits.budget;
		return 0;
	default:
		return -SSHM_EPROTO;
	}
}

/*
 * Reads one packet: steps 1 (control messages), 2 (header) and 3
 * (sequence).  Returns 1 with a data message in @p (its buffer is the
 * channel's rxbuf), 0 when the library consumed it, -EPIPE at end of
 * stream, or an error; a violation breaks the channel and closes every fd
 * that came with the packet.
 */
/* A payload whose last COPY piece just arrived, as a data message. */
static void copy_done(struct sshm_channel *ch, struct packet *p)
{
	const uint32_t meta_len = ch->copy.meta_len;
	const uint64_t total = ch->copy.total;
	const struct ucred cred = ch->copy.cred;
	size_t pad;

	memset(p, 0, sizeof(*p));
	p->buf = copy_take(&ch->copy, &pad);
	p->owned = 1;
	p->len = pad + (size_t)meta_len + (size_t)total;
	p->msg.type = WIRE_COPY;
	p->msg.u.copy.total = total;
	p->msg.u.copy.meta_len = meta_len;
	p->msg.meta = meta_len ? p->buf + pad : NULL;
	p->msg.data = p->buf + pad + meta_len;
	p->fd = p->pidfd = p->pin = -1;
	p->cred = cred;
}

/* The end of the stream, or a violation, in the middle of a COPY: what was
 * assembled is dropped. */
static int copy_abort(struct sshm_channel *ch, int code)
{
	copy_reset(&ch->copy);
	if (code == -EPIPE) {
		channel_eof(ch);
		return code;
	}
	return channel_break(ch, code);
}

/* The next COPY piece, read straight into place. */
static int read_piece(struct sshm_channel *ch, int dontwait, struct packet *p)
{
	uint8_t head[WIRE_COPY_LEN];
	struct socket_rx rx;
	struct iovec iov[2];
	ssize_t n;
	int r;

	copy_next_iov(&ch->copy, head, iov);
	n = recv_packet(ch, dontwait, iov, 2, &rx);
	if (n == 0 || n == -SSHM_EPROTO)
		return copy_abort(ch, n == 0 ? -EPIPE : (int)n);
	if (n < 0)
		return (int)n;
	(void)peer_packet(&ch->peer, ch->fd, &rx);
	r = rx.nfds ? -SSHM_EPROTO : copy_piece(&ch->copy, head, (size_t)n);
	socket_rx_close(&rx);
	if (r < 0)
		return copy_abort(ch, r);
	if (r == 0)
		return 0;
	copy_done(ch, p);
	return 1;
}

/*
 * Reads one packet: steps 1 (control messages), 2 (header) and 3
 * (sequence).  Returns 1 with a data message in @p (its buffer is the
 * channel's rxbuf, or an owned one for a COPY), 0 when the library
 * consumed it, -EPIPE at end of stream, or an error; a violation breaks the
 * channel and closes every fd that came with the packet.
 */
static int read_one(struct sshm_channel *ch, int dontwait, struct packet *p)
{
	const struct iovec iov = { ch->rxbuf, WIRE_PACKET_MAX };
	struct socket_rx rx;
	struct wire_msg m;
	ssize_t n;
	int r, pin;

	if (ch->eof)
		return -EPIPE;
	if (copy_active(&ch->copy))
		return read_piece(ch, dontwait, p);
	n = recv_packet(ch, dontwait, &iov, 1, &rx);
	if (n == 0) {
		channel_eof(ch);
		return -EPIPE;
	}
	if (n == -SSHM_EPROTO)
		return channel_break(ch, (int)n);
	if (n < 0)
		return (int)n;
	pin = peer_packet(&ch->peer, ch->fd, &rx);
	r = wire_decode(ch->rxbuf, (size_t)n, &m);
	/* A REGION whose fd we had no room for is refused alone (it is
	 * released); an fd lost with any other type was one too many. */
	if (r == 0 && rx.nfds != (m.type == WIRE_REGION && !rx.fds_lost ? 1u : 0u))
		r = -SSHM_EPROTO;
	if (r == 0 && rx.fds_lost && m.type != WIRE_REGION)
		r = -SSHM_EPROTO;
	if (r == 0)
		r = consume_packet(ch, &m, rx.cred.pid);
	if (r <= 0 || m.type == WIRE_COPY) {
		/* Consumed (every packet may bring a pidfd), a violation, or
		 * a COPY (its pieces go to their own buffer). */
		socket_rx_close(&rx);
		if (r == 1)
			r = copy_begin(&ch->copy, &m, &rx.cred);
		if (r < 0)
			return copy_abort(ch, r);
		if (r == 0)
			return 0;
		if (m.type == WIRE_COPY) {
			copy_done(ch, p);
			return 1;
		}
	}
	memset(p, 0, sizeof(*p));
	p->buf = ch->rxbuf;
	p->len = (size_t)n;
	p->msg = m;
	p->fd = rx.nfds ? rx.fds[0] : -1;
	p->fd_error = rx.fds_lost;
	p->pidfd = rx.pidfd;
	p->pidfd_error = rx.pidfd_error;
	p->pin = pin;
	p->cred = rx.cred;
	return 1;
}

/* Keeps a data message for a later recv: its buffer is copied (or, when
 * it is its own already, kept). */
static int keep(struct sshm_channel *ch, struct packet *p)
{
	struct packet *q = &ch->pending[ch->n_pending];
	uint8_t *copy;

	assert(ch->n_pending < CHANNEL_PENDING_MAX);
	if (p->owned) {
		*q = *p;
		ch->n_pending++;
		return 0;
	}
	copy = malloc(p->len);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, p->buf, p->len);
	*q = *p;
	q->buf = copy;
	q->owned = 1;
	/* Decoded again so that the message points into the copy. */
	(void)wire_decode(copy, p->len, &q->msg);
	ch->n_pending++;
	return 0;
}

/*
 * Reads until @done(ch) holds, or (@done NULL) until nothing is left to
 * read.  Data messages are kept for recv.  Blocks per the channel's mode
 * unless @dontwait.
 */
int channel_pump(struct sshm_channel *ch,
		 int (*done)(const struct sshm_channel *, uint64_t), uint64_t arg,
		 int dontwait)
{
	struct packet p;
	int r;

	while (!done || !done(ch, arg)) {
		if (ch->n_pending >= CHANNEL_PENDING_MAX)
			return -ENOBUFS;
		r = read_one(ch, dontwait, &p);
		if (r <= 0) {
			if (r < 0)
				return r;
			continue;
		}
		r = keep(ch, &p);
		if (r < 0) {
			packet_done(&p);
			return r;
		}
	}
	return 0;
}

static int have_hello(const struct sshm_channel *ch, uint64_t unused)
{
	(void)unused;
	return ch->have_hello;
}

static unsigned int min_u(unsigned int a, unsigned int b)
{
	return a < b ? a : b;
}

/*
 * One more region of @size fits: fewer regions in flight than both
 * windows, and their bytes plus @size within both budgets (a peer that
 * states none has none).  A region alone may exceed the budget: otherwise
 * it could never travel.
 */
static int fits(const struct sshm_channel *ch, uint64_t size)
{
	uint64_t budget = ch->budget;

	if (!ch->have_hello || ch->ledger.n >= min_u(ch->hello.window, ch->window))
		return 0;
	if (ch->hello.budget && ch->hello.budget < budget)
		budget = ch->hello.budget;
	return ch->ledger.n == 0 ||
	       (ch->ledger.bytes <= budget && size <= budget - ch->ledger.bytes);
}

int channel_nothing_in_flight(const struct sshm_channel *ch, uint64_t unused)
{
	(void)unused;
	return ch->ledger.n == 0 || ch->eof;
}

int channel_read_ready(struct sshm_channel *ch)
{
	int r = channel_pump(ch, NULL, 0, 1);

	return r == -EAGAIN || r == -EPIPE ? 0 : r;
}

int channel_wait_hello(struct sshm_channel *ch)
{
	return ch->have_hello ? 0 : channel_pump(ch, have_hello, 0, 0);
}

int channel_wait_room(struct sshm_channel *ch, uint64_t size)
{
	return fits(ch, size) ? 0 : channel_pump(ch, fits, size, 0);
}

int channel_next(struct sshm_channel *ch, struct packet *p)
{
	int r;

	if (ch->broken)
		return -SSHM_EBROKEN;
	if (ch->n_pending > 0) {
		*p = ch->pending[0];
		memmove(&ch->pending[0], &ch->pending[1],
			(ch->n_pending - 1) * sizeof(ch->pending[0]));
		ch->n_pending--;
		return 0;
	}
	/* What we owe goes out before we may block. */
	(void)release_queue_flush(ch->releases);
	(void)channel_announce(ch, 1);
	do
		r = read_one(ch, 0, p);
	while (r == 0);
	return r < 0 ? r : 0;
}
