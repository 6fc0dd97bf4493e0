/* SPDX-License-Identifier: MIT */
/*
 * channel - one sshm connection: construction, the handshake, reading
 * packets and consuming what belongs to the library (HELLO, RELEASE),
 * keeping data messages for later, flush and drain.  Sending is send.c,
 * the receive pipeline receive.c, the socket itself socket.c.
 */
#include <assert.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "channel-internal.h"
#include "private.h"
#include "socket.h"

/* ------------------------------------------------------------ construction */

static int send_hello(struct sshm_channel *ch)
{
	const struct wire_hello h = {
		.window = SSHM_WINDOW_DEFAULT,
		.inline_max = SSHM_INLINE_MAX,
		.max_size = 0,
		.meta_max = SSHM_META_MAX,
		.budget = SSHM_BUDGET_DEFAULT,
		.features = WIRE_F_SENDER | WIRE_F_COPY | WIRE_F_LIMITS,
	};
	uint8_t buf[WIRE_HELLO_EXT_LEN];
	struct iovec iov = { buf, wire_encode_hello(buf, &h) };

	return socket_send(ch->fd, &iov, 1, -1, 1);
}

/*
 * COPY pieces after the first: as large as the socket sends in one packet
 * (SO_SNDBUF, less the kernel's 32 bytes), in four, so that a few are in
 * the socket at once and the two sides overlap.  Measured in
 * doc/benchmarks.md.
 */
static size_t copy_piece_size(int fd)
{
	int sndbuf = 0;
	socklen_t len = sizeof(sndbuf);
	size_t n;

	if (getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, &len) < 0 || sndbuf < 8192)
		return 4096;
	n = ((size_t)sndbuf - 64) / 4;
	return n & ~(size_t)4095;
}

static void channel_free(struct sshm_channel *ch)
{
	copy_reset(&ch->copy);
	peer_fini(&ch->peer);
	ledger_fini(&ch->ledger);
	free(ch->rxbuf);
	free(ch);
}

int channel_new(int fd, unsigned int flags, int passpidfd, struct sshm_channel **ret)
{
	struct sshm_channel *ch;
	int r;

	r = socket_set_nonblock(fd, flags & SSHM_CHANNEL_NONBLOCK);
	if (r < 0)
		return r;
	ch = calloc(1, sizeof(*ch));
	if (!ch)
		return -ENOMEM;
	ch->refs = 1;
	ch->fd = fd;
	ch->flags = flags;
	ch->next_id = 1;
	ch->window = SSHM_WINDOW_DEFAULT;
	ch->budget = SSHM_BUDGET_DEFAULT;
	ch->announced.window = SSHM_WINDOW_DEFAULT;
	ch->announced.budget = SSHM_BUDGET_DEFAULT;
	/* Unknown: the first data message is preceded by a SENDER. */
	ch->sender = 0;
	ch->inline_max = SSHM_INLINE_DEFAULT;
	ch->copy_piece = copy_piece_size(fd);
	ch->thp = -1;
	peer_init(&ch->peer, fd, passpidfd);
	ch->rxbuf = malloc(WIRE_PACKET_MAX);
	r = ch->rxbuf ? ledger_init(&ch->ledger, ch->window) : -ENOMEM;
	if (r >= 0)
		r = verify_env_init(&ch->env);
	/* A peer that is gone already (-EPIPE) may have sent messages before
	 * it left: they are read and delivered, then end of stream. */
	if (r >= 0 && (r = send_hello(ch)) == -EPIPE)
		r = 0;
	/* Last: from here on the release queue owns the socket. */
	if (r >= 0)
		r = release_queue_new(fd, SSHM_WINDOW_DEFAULT, SSHM_BUDGET_DEFAULT,
				      &ch->releases);
	if (r < 0) {
		channel_free(ch);
		return r;
	}
	*ret = ch;
	return 0;
}

SSHM_EXPORT int sshm_channel_pair(unsigned int flags, struct sshm_channel **ret_a,
				  struct sshm_channel **ret_b)
{
	struct sshm_channel *a = NULL, *b = NULL;
	int sv[2], pa, pb, r;

	if ((flags & ~SSHM_CHANNEL_NONBLOCK) || !ret_a || !ret_b)
		return -EINVAL;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return neg_errno();
	/* Both ends pass credentials before either HELLO is sent. */
	r = pa = socket_set_passcred(sv[0]);
	if (r >= 0)
		r = pb = socket_set_passcred(sv[1]);
	if (r >= 0)
		r = channel_new(sv[0], flags, pa, &a);
	if (r < 0) {
		close(sv[0]);
		close(sv[1]);
		return r;
	}
	r = channel_new(sv[1], flags, pb, &b);
	if (r < 0) {
		sshm_channel_unref(a);
		close(sv[1]);
		return r;
	}
	*ret_a = a;
	*ret_b = b;
	return 0;
}

SSHM_EXPORT int sshm_channel_connect(const char *path, unsigned int flags,
				     struct sshm_channel **ret_channel)
{
	struct sockaddr_un sa;
	socklen_t len;
	int fd, passpidfd, r;

	if ((flags & ~SSHM_CHANNEL_NONBLOCK) || !ret_channel)
		return -EINVAL;
	r = socket_make_addr(path, &sa, &len);
	if (r < 0)
		return r;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return neg_errno();
	r = passpidfd = socket_set_passcred(fd);
	if (r >= 0 && connect(fd, (struct sockaddr *)&sa, len) < 0)
		r = neg_errno();
	if (r >= 0)
		r = channel_new(fd, flags, passpidfd, ret_channel);
	if (r < 0)
		close(fd);
	return r;
}

SSHM_EXPORT int sshm_channel_adopt(int fd, unsigned int flags,
				   struct sshm_channel **ret_channel)
{
	struct sockaddr_un peer;
	int type, domain, r;
	socklen_t len = sizeof(type);

	if (fd < 0 || (flags & ~SSHM_CHANNEL_NONBLOCK) || !ret_channel)
		return -EINVAL;
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0)
		return neg_errno();
	len = sizeof(domain);
	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) < 0)
		return neg_errno();
	if (domain != AF_UNIX)
		return -EAFNOSUPPORT;
	if (type != SOCK_SEQPACKET)
		return -EPROTOTYPE;
	len = sizeof(peer);
	if (getpeername(fd, (struct sockaddr *)&peer, &len) < 0)
		return neg_errno(); /* -ENOTCONN: not connected */
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
		return neg_errno();
	r = socket_set_passcred(fd);
	if (r < 0)
		return r;
	return channel_new(fd, flags, r, ret_channel);
}

SSHM_EXPORT struct sshm_channel *sshm_channel_ref(struct sshm_channel *ch)
{
	if (!ch)
		return NULL;
	assert(ch->refs > 0);
	ch->refs++;
	return ch;
}

SSHM_EXPORT struct sshm_channel *sshm_channel_unref(struct sshm_channel *ch)
{
	unsigned int i;

	if (!ch)
		return NULL;
	assert(ch->refs > 0);
	if (--ch->refs > 0)
		return NULL;
	/* Regions read but never delivered are released like rejected ones:
	 * the socket stays open while views remain, so the peer would not
	 * see end of stream for them. */
	for (i = 0; i < ch->n_pending; i++) {
		struct packet *p = &ch->pending[i];

		if (p->msg.type == WIRE_REGION && !ch->broken)
			release_queue_put(ch->releases, p->msg.u.region.id);
		packet_done(p);
	}
	release_queue_unref(ch->releases);
	channel_free(ch);
	return NULL;
}

SSHM_EXPORT int sshm_channel_fd(const struct sshm_channel *ch)
{
	return ch ? ch->fd : -EINVAL;
}

SSHM_EXPORT int sshm_channel_set_inline_max(struct sshm_channel *ch, size_t bytes)
{
	if (!ch || bytes > SSHM_INLINE_MAX)
		return -EINVAL;
	ch->inline_max = bytes;
	return 0;
}

SSHM_EXPORT int sshm_channel_set_limits(struct sshm_channel *ch, unsigned int window,
					uint64_t budget)
{
	int r;

	if (!ch || window > WIRE_WINDOW_MAX)
		return -EINVAL;
	window = window ? window : SSHM_WINDOW_DEFAULT;
	budget = budget ? budget : SSHM_BUDGET_DEFAULT;
	/* Room for every region in flight now, however small the window. */
	r = ledger_reserve(&ch->ledger, window > ch->ledger.n ? window : ch->ledger.n);
	if (r >= 0)
		r = release_queue_set_limits(ch->releases, window, budget);
	if (r < 0)
		return r;
	ch->window = window;
	ch->budget = budget;
	ch->limits_unsent = window != ch->announced.window || budget != ch->announced.budget;
	/* Told at once if the socket takes it, else with the next call. */
	(void)channel_announce(ch, 1);
	return 0;
}

void channel_count_refusal(struct sshm_channel *ch, int code)
{
	const int c = -code;

	ch->stats.refused++;
	if (c > SSHM_EBASE && c - SSHM_EBASE < (int)ELEMENTSOF(ch->stats.refused_by))
		ch->stats.refused_by[c - SSHM_EBASE]++;
	else
		ch->stats.refused_by[0]++;
}

SSHM_EXPORT int sshm_channel_stats(const struct sshm_channel *ch,
				   struct sshm_channel_stats *ret, size_t size)
{
	struct sshm_channel_stats st;

	if (!ch || !ret || size < sizeof(st.sent))
		return -EINVAL;
	st = ch->stats;
	st.inflight = ch->ledger.n;
	st.inflight_bytes = ch->ledger.bytes;
	release_queue_stats(ch->releases, &st);
	if (size > sizeof(st)) {
		memset((char *)ret + sizeof(st), 0, size - sizeof(st));
		size = sizeof(st);
	}
	memcpy(ret, &st, size);
	return 0;
}

SSHM_EXPORT int sshm_channel_wake_fd(struct sshm_channel *ch)
{
	return ch ? release_queue_wake_fd(ch->releases) : -EINVAL;
}

SSHM_EXPORT unsigned int sshm_channel_pending(const struct sshm_channel *ch)
{
	return ch ? ch->n_pending : 0;
}

SSHM_EXPORT int sshm_channel_is_open(const struct sshm_channel *ch)
{
	if (!ch)
		return -EINVAL;
	/* After end of stream, what was read before it is still delivered. */
	return !ch->broken && !(ch->eof && ch->n_pending == 0);
}

SSHM_EXPORT unsigned int sshm_channel_inflight(const struct sshm_channel *ch)
{
	return ch ? ch->ledger.n : 0;
}

int channel_break(struct sshm_channel *ch, int code)
{
	if (!ch->broken)
		ch->broken = code;
	return code;
}

/* ---------------------------------------------------------------- reading */

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

static int announce_limits(struct sshm_channel *ch, int dontwait)
{
	const struct wire_limits l = { .window = ch->window, .budget = ch->budget };
	uint8_t buf[WIRE_LIMITS_LEN];
	struct iovec iov = { buf, wire_encode_limits(buf, &l) };
	int r;

	if (!ch->limits_unsent || !ch->have_hello || !(ch->hello.features & WIRE_F_LIMITS))
		return 0;
	r = socket_send(ch->fd, &iov, 1, -1, dontwait);
	if (r < 0)
		return dontwait && (r == -EAGAIN || r == -ENOBUFS) ? 0 : r;
	ch->announced = l;
	ch->limits_unsent = 0;
	return 0;
}

/*
 * Step 3 of the pipeline, sequence: HELLO first and once, RELEASE only of
 * ids in flight, no REGION beyond our window or with an id the peer holds
 * already.  Returns 1 for a data message, 0 when consumed, or a violation.
 */
static int consume(struct sshm_channel *ch, const struct wire_msg *m, pid_t pid)
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
		(void)announce_limits(ch, 1);
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

	memset(p, 0, sizeof(*p));
	p->buf = copy_take(&ch->copy);
	p->owned = 1;
	p->len = (size_t)meta_len + (size_t)total;
	p->msg.type = WIRE_COPY;
	p->msg.u.copy.total = total;
	p->msg.u.copy.meta_len = meta_len;
	p->msg.meta = meta_len ? p->buf : NULL;
	p->msg.data = p->buf + meta_len;
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
	if (r == 0 && rx.nfds != (m.type == WIRE_REGION ? 1u : 0u))
		r = -SSHM_EPROTO;
	if (r == 0)
		r = consume(ch, &m, rx.cred.pid);
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
static int pump(struct sshm_channel *ch, int (*done)(const struct sshm_channel *, uint64_t),
		uint64_t arg, int dontwait)
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
	return ch->ledger.n == 0 || (ch->ledger.bytes <= budget && size <= budget - ch->ledger.bytes);
}

static int nothing_in_flight(const struct sshm_channel *ch, uint64_t unused)
{
	(void)unused;
	return ch->ledger.n == 0 || ch->eof;
}

int channel_read_ready(struct sshm_channel *ch)
{
	int r = pump(ch, NULL, 0, 1);

	return r == -EAGAIN || r == -EPIPE ? 0 : r;
}

int channel_wait_hello(struct sshm_channel *ch)
{
	return ch->have_hello ? 0 : pump(ch, have_hello, 0, 0);
}

int channel_wait_room(struct sshm_channel *ch, uint64_t size)
{
	return fits(ch, size) ? 0 : pump(ch, fits, size, 0);
}

int channel_announce(struct sshm_channel *ch, int dontwait)
{
	uint8_t buf[WIRE_SENDER_LEN];
	struct iovec iov = { buf, 0 };
	pid_t self;
	int r;

	if (ch->hello.features & WIRE_F_SENDER) {
		self = getpid();
		if (self != ch->sender) {
			iov.iov_len = wire_encode_sender(buf);
			r = socket_send(ch->fd, &iov, 1, -1, dontwait);
			if (r < 0)
				return dontwait && r == -EAGAIN ? 0 : r;
			ch->sender = self;
		}
	}
	return announce_limits(ch, dontwait);
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

SSHM_EXPORT int sshm_channel_flush(struct sshm_channel *ch)
{
	int r;

	if (!ch)
		return -EINVAL;
	if (ch->broken)
		return -SSHM_EBROKEN;
	r = release_queue_flush(ch->releases);
	if (r >= 0)
		r = channel_announce(ch, 1);
	if (r < 0)
		return r;
	/* Collect the peer's releases (and keep its data) without blocking. */
	r = pump(ch, NULL, 0, 1);
	if (r < 0 && r != -EAGAIN && r != -EPIPE && r != -ENOBUFS)
		return r;
	return release_queue_flush(ch->releases);
}

SSHM_EXPORT int sshm_channel_drain(struct sshm_channel *ch)
{
	int r;

	if (!ch)
		return -EINVAL;
	if (ch->broken)
		return -SSHM_EBROKEN;
	(void)release_queue_flush(ch->releases);
	r = pump(ch, nothing_in_flight, 0, 0);
	/* The peer left: everything in flight was dropped, nothing to wait for. */
	return r == -EPIPE && ch->eof ? 0 : r;
}
