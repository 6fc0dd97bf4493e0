/* SPDX-License-Identifier: MIT */
/*
 * channel - one sshm connection: construction, references, limits,
 * stats, flush and drain.  What arrives is inbound.c, what the library
 * tells the peer announce.c, sending send.c, the receive pipeline
 * receive.c, the socket itself socket.c.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "private.h"
#include "socket.h"

/* ------------------------------------------------------------ construction */

/*
 * COPY pieces after the first: a quarter of what the socket holds, so that
 * a few are in it at once and the two sides overlap, and at most COPY_PIECE_MAX:
 * the kernel puts most of a datagram in one contiguous allocation, and
 * larger pieces gained nothing measurable (doc/benchmarks.md).
 */
#define COPY_PIECE_MAX ((size_t)1 << 20)

static size_t copy_piece_size(int sndbuf)
{
	size_t n;

	if (sndbuf < 8192)
		return 4096;
	n = ((size_t)sndbuf - 64) / 4;
	if (n > COPY_PIECE_MAX)
		n = COPY_PIECE_MAX;
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

int channel_new(int fd, unsigned int flags, int passpidfd, const struct verify_env *env,
		struct sshm_channel **ret)
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
	ch->copy_piece = copy_piece_size(socket_grow_sndbuf(fd, SOCKET_SNDBUF));
	ch->thp = -1;
	peer_init(&ch->peer, fd, passpidfd);
	ch->rxbuf = malloc(WIRE_PACKET_MAX);
	r = ch->rxbuf ? ledger_init(&ch->ledger, ch->window) : -ENOMEM;
	if (r >= 0)
		r = env ? (ch->env = *env, 0) : verify_env_init(&ch->env);
	/* A peer that is gone already (-EPIPE) may have sent messages before
	 * it left: they are read and delivered, then end of stream. */
	if (r >= 0 && (r = channel_send_hello(ch)) == -EPIPE)
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
		r = channel_new(sv[0], flags, pa, NULL, &a);
	if (r < 0) {
		close(sv[0]);
		close(sv[1]);
		return r;
	}
	r = channel_new(sv[1], flags, pb, &a->env, &b);
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
		r = channel_new(fd, flags, passpidfd, NULL, ret_channel);
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
	return channel_new(fd, flags, r, NULL, ret_channel);
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
	ch->limits_unsent = window != ch->announced.window ||
			    budget != ch->announced.budget;
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
	if (ch->have_hello) {
		st.window = ch->hello.window < ch->window ? ch->hello.window : ch->window;
		st.budget = ch->hello.budget && ch->hello.budget < ch->budget
				? ch->hello.budget
				: ch->budget;
	}
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

/* ---------------------------------------------------------------- reading */

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
	/* A peer that left cannot be told anything, and no longer needs
	 * to be; what it sent before is still to be read, and recv says
	 * when the end of it comes. */
	if (r < 0 && r != -EPIPE)
		return r;
	/* Collect the peer's releases (and keep its data) without blocking. */
	r = channel_pump(ch, NULL, 0, 1);
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
	r = channel_pump(ch, channel_nothing_in_flight, 0, 0);
	/* The peer left: everything in flight was dropped, nothing to wait for. */
	return r == -EPIPE && ch->eof ? 0 : r;
}
