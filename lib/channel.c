/* SPDX-License-Identifier: MIT */
/*
 * channel - one AF_UNIX SOCK_SEQPACKET connection: constructors, the
 * handshake, sending regions and inline payloads with the in-flight table,
 * and the receive pipeline of ARCHITECTURE.md (cmsg checks, header decode,
 * fd checks, identity, read-only mapping) up to a view.
 */
#include <assert.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "channel.h"
#include "identity.h"
#include "private.h"
#include "socket.h"
#include "syscall.h"
#include "verify.h"
#include "view.h"
#include "wire.h"

/* Data messages kept while a send or drain waits for releases. */
#define PENDING_MAX 64u

/* One received packet that passed the cmsg checks and the header decode. */
struct packet {
	uint8_t *buf; /* owned only when queued (pending) */
	size_t len;
	struct wire_msg msg;
	int fd;    /* the SCM_RIGHTS fd of a REGION, else -1 */
	int pidfd; /* SCM_PIDFD, or -1 */
	int pidfd_error; /* an SCM_PIDFD without a descriptor: sender gone */
	struct ucred cred;
};

struct inflight {
	uint64_t id;
	struct sshm_region *region;
};

struct sshm_channel {
	unsigned int refs;
	int fd;
	unsigned int flags;
	int broken; /* the code that broke the channel, 0 while usable */
	int eof;
	int passpidfd; /* the socket hands over SCM_PIDFD: never look a pid up */
	int have_peer_hello;
	struct wire_hello peer;
	struct verify_env env;

	/* sending side */
	uint64_t next_id;
	struct inflight inflight[SSHM_WINDOW_DEFAULT];
	unsigned int n_inflight;

	/* receiving side: regions received and not released yet (window) */
	unsigned int held;
	uint64_t releases[SSHM_WINDOW_DEFAULT];
	unsigned int n_releases;
	struct packet pending[PENDING_MAX];
	unsigned int n_pending;

	uint8_t *rxbuf; /* WIRE_PACKET_MAX bytes */
	size_t inline_max; /* send_bytes threshold */
};

struct sshm_listener {
	unsigned int refs;
	int fd;
	unsigned int flags;
	char *path; /* to unlink, NULL for abstract names */
};

/* ------------------------------------------------------------------ helpers */

static void packet_close(struct packet *p)
{
	if (p->fd >= 0)
		close(p->fd);
	if (p->pidfd >= 0)
		close(p->pidfd);
	p->fd = p->pidfd = -1;
}

static int channel_break(struct sshm_channel *ch, int code)
{
	if (!ch->broken)
		ch->broken = code;
	return code;
}

static unsigned int send_window(const struct sshm_channel *ch)
{
	return ch->peer.window < SSHM_WINDOW_DEFAULT ? ch->peer.window : SSHM_WINDOW_DEFAULT;
}

static void inflight_clear(struct sshm_channel *ch)
{
	while (ch->n_inflight > 0)
		sshm_region_unref(ch->inflight[--ch->n_inflight].region);
}

static int inflight_release(struct sshm_channel *ch, uint64_t id)
{
	unsigned int i;

	/* Releases mostly come in send order: the oldest is first. */
	for (i = 0; i < ch->n_inflight; i++) {
		if (ch->inflight[i].id != id)
			continue;
		sshm_region_unref(ch->inflight[i].region);
		memmove(&ch->inflight[i], &ch->inflight[i + 1],
			(ch->n_inflight - i - 1) * sizeof(ch->inflight[0]));
		ch->n_inflight--;
		return 0;
	}
	return -SSHM_EPROTO;
}

static int send_packet(struct sshm_channel *ch, struct iovec *iov, int iovlen,
		       int fd, int flags)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = (size_t)iovlen };
	ssize_t n;

	if (fd >= 0) {
		struct cmsghdr *c;

		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = sizeof(ctl.buf);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	do
		n = sendmsg(ch->fd, &mh, flags | MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == ECONNRESET ? -EPIPE : neg_errno();
	return 0;
}

/* Sends the queued RELEASEs without blocking; a gone peer drops them. */
static int flush_releases(struct sshm_channel *ch)
{
	uint8_t hdr[WIRE_RELEASE_LEN];
	uint8_t ids[SSHM_WINDOW_DEFAULT * 8];
	struct iovec iov[2];
	unsigned int i;
	int r;

	if (ch->n_releases == 0 || ch->broken)
		return 0;
	iov[0].iov_base = hdr;
	iov[0].iov_len = wire_encode_release(hdr, ch->n_releases);
	for (i = 0; i < ch->n_releases; i++)
		wire_put_id(ids + (size_t)i * 8, ch->releases[i]);
	iov[1].iov_base = ids;
	iov[1].iov_len = (size_t)ch->n_releases * 8;
	r = send_packet(ch, iov, 2, -1, MSG_DONTWAIT);
	if (r == -EAGAIN || r == -ENOBUFS)
		return 0;
	/* Kept on any other error: a release lost would shrink the peer's
	 * window for good. */
	if (r < 0 && r != -EPIPE)
		return r;
	/* Sent, or the peer is gone and no longer cares. */
	ch->n_releases = 0;
	return 0;
}

static void queue_release(struct sshm_channel *ch, uint64_t id)
{
	assert(ch->held > 0 && ch->n_releases < SSHM_WINDOW_DEFAULT);
	ch->held--;
	ch->releases[ch->n_releases++] = id;
	(void)flush_releases(ch);
}

void channel_release(struct sshm_channel *ch, uint64_t id)
{
	queue_release(ch, id);
}

/* ------------------------------------------------------------ constructors */

static int send_hello(struct sshm_channel *ch)
{
	const struct wire_hello h = {
		.window = SSHM_WINDOW_DEFAULT,
		.inline_max = SSHM_INLINE_MAX,
		.max_size = 0,
		.meta_max = SSHM_META_MAX,
	};
	uint8_t buf[WIRE_HELLO_LEN];
	struct iovec iov = { buf, wire_encode_hello(buf, &h) };

	return send_packet(ch, &iov, 1, -1, MSG_DONTWAIT);
}

static int set_nonblock(int fd, int on)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0)
		return neg_errno();
	fl = on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK;
	if (fcntl(fd, F_SETFL, fl) < 0)
		return neg_errno();
	return 0;
}

/*
 * Credentials on every message, before any message can be queued.  Returns
 * 1 when the socket also hands over the sender's pidfd (SCM_PIDFD, 6.5), 0
 * when the kernel lacks it, or -errno.
 */
static int set_passcred(int fd)
{
	const int one = 1;

	if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0)
		return neg_errno();
	/* Without SCM_PIDFD identity falls back to pidfd_open(pid). */
	return setsockopt(fd, SOL_SOCKET, SO_PASSPIDFD, &one, sizeof(one)) == 0;
}

/*
 * Wraps a connected socket.  Never closes @fd: on failure the caller still
 * owns it.
 */
static int channel_new(int fd, unsigned int flags, struct sshm_channel **ret)
{
	struct sshm_channel *ch;
	int passpidfd, r;

	r = set_nonblock(fd, flags & SSHM_CHANNEL_NONBLOCK);
	if (r < 0)
		return r;
	r = set_passcred(fd);
	if (r < 0)
		return r;
	passpidfd = r;
	ch = calloc(1, sizeof(*ch));
	if (!ch)
		return -ENOMEM;
	ch->rxbuf = malloc(WIRE_PACKET_MAX);
	if (!ch->rxbuf) {
		free(ch);
		return -ENOMEM;
	}
	ch->refs = 1;
	ch->fd = fd;
	ch->flags = flags;
	ch->passpidfd = passpidfd;
	ch->next_id = 1;
	ch->inline_max = SSHM_INLINE_DEFAULT;
	r = verify_env_init(&ch->env);
	if (r >= 0)
		r = send_hello(ch);
	if (r < 0) {
		free(ch->rxbuf);
		free(ch);
		return r;
	}
	*ret = ch;
	return 0;
}

SSHM_EXPORT int sshm_channel_pair(unsigned int flags, struct sshm_channel **ret_a,
				  struct sshm_channel **ret_b)
{
	struct sshm_channel *a = NULL, *b = NULL;
	int sv[2], r;

	if ((flags & ~SSHM_CHANNEL_NONBLOCK) || !ret_a || !ret_b)
		return -EINVAL;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return neg_errno();
	/* Both ends pass credentials before either HELLO is sent. */
	r = set_passcred(sv[0]);
	if (r >= 0)
		r = set_passcred(sv[1]);
	if (r >= 0)
		r = channel_new(sv[0], flags, &a);
	if (r < 0) {
		close(sv[0]);
		close(sv[1]);
		return r;
	}
	r = channel_new(sv[1], flags, &b);
	if (r < 0) {
		sshm_channel_unref(a);
		close(sv[1]);
		return r;
	}
	*ret_a = a;
	*ret_b = b;
	return 0;
}

/* "@name" is an abstract socket, anything else a path. */
static int make_addr(const char *path, struct sockaddr_un *sa, socklen_t *ret_len)
{
	size_t n;

	if (!path || !path[0] || (path[0] == '@' && !path[1]))
		return -EINVAL;
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	n = strlen(path);
	if (n >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	memcpy(sa->sun_path, path, n);
	if (path[0] == '@') {
		sa->sun_path[0] = '\0';
		*ret_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	} else {
		*ret_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
	}
	return 0;
}

SSHM_EXPORT int sshm_channel_connect(const char *path, unsigned int flags,
				     struct sshm_channel **ret_channel)
{
	struct sockaddr_un sa;
	socklen_t len;
	int fd, r;

	if ((flags & ~SSHM_CHANNEL_NONBLOCK) || !ret_channel)
		return -EINVAL;
	r = make_addr(path, &sa, &len);
	if (r < 0)
		return r;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return neg_errno();
	r = set_passcred(fd);
	if (r >= 0 && connect(fd, (struct sockaddr *)&sa, len) < 0)
		r = neg_errno();
	if (r >= 0)
		r = channel_new(fd, flags, ret_channel);
	if (r < 0)
		close(fd);
	return r;
}

SSHM_EXPORT int sshm_channel_adopt(int fd, unsigned int flags,
				   struct sshm_channel **ret_channel)
{
	struct sockaddr_un peer;
	int type, domain;
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
	return channel_new(fd, flags, ret_channel);
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
	for (i = 0; i < ch->n_pending; i++) {
		packet_close(&ch->pending[i]);
		free(ch->pending[i].buf);
	}
	inflight_clear(ch);
	close(ch->fd);
	free(ch->rxbuf);
	free(ch);
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

SSHM_EXPORT unsigned int sshm_channel_pending(const struct sshm_channel *ch)
{
	return ch ? ch->n_pending : 0;
}

SSHM_EXPORT unsigned int sshm_channel_inflight(const struct sshm_channel *ch)
{
	return ch ? ch->n_inflight : 0;
}

/* ---------------------------------------------------------------- receiving */

/* Room for every control message a packet may bring: credentials, a
 * pidfd, and two SCM_RIGHTS fds (alignment gives two anyway), so an extra fd
 * is seen and closed rather than silently dropped by the kernel.  A buffer
 * without room for the SCM_PIDFD would truncate every packet (MSG_CTRUNC). */
#define CONTROL_LEN                                                         \
	(CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(sizeof(int)) +       \
	 CMSG_SPACE(2 * sizeof(int)))

/*
 * Receives one packet into ch->rxbuf: step 1 (control messages) and step 2
 * (header) of the pipeline.  On any violation every fd that arrived is
 * closed and the channel is broken.
 */
static int read_packet(struct sshm_channel *ch, int dontwait, struct packet *p)
{
	union {
		struct cmsghdr align;
		char buf[CONTROL_LEN];
	} ctl;
	struct iovec iov = { ch->rxbuf, WIRE_PACKET_MAX };
	struct msghdr mh = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = ctl.buf,
		.msg_controllen = sizeof(ctl.buf),
	};
	struct socket_rx rx;
	ssize_t n;
	int r;

	if (ch->eof)
		return -EPIPE;
	do
		n = recvmsg(ch->fd, &mh, MSG_CMSG_CLOEXEC | (dontwait ? MSG_DONTWAIT : 0));
	/* ECONNRESET: the peer closed with our packets unread.  The kernel
	 * reports (and clears) that error before the packets the peer sent
	 * before it left: read on, they and then end-of-file follow. */
	while (n < 0 && (errno == EINTR || errno == ECONNRESET));
	if (n < 0)
		return neg_errno();

	memset(p, 0, sizeof(*p));
	p->fd = -1;
	r = socket_parse_control(&mh, &rx);
	if (n == 0 && mh.msg_controllen == 0 && r == 0) {
		/* End of stream: the peer will release nothing any more. */
		ch->eof = 1;
		inflight_clear(ch);
		return -EPIPE;
	}
	if (r == 0 && ((mh.msg_flags & (MSG_CTRUNC | MSG_TRUNC)) || n == 0))
		r = -SSHM_EPROTO;
	if (r == 0)
		r = wire_decode(ch->rxbuf, (size_t)n, &p->msg);
	if (r == 0 && rx.nfds != (p->msg.type == WIRE_REGION ? 1u : 0u))
		r = -SSHM_EPROTO;
	if (r < 0) {
		socket_rx_close(&rx);
		return channel_break(ch, r);
	}
	p->buf = ch->rxbuf;
	p->len = (size_t)n;
	p->fd = rx.nfds ? rx.fds[0] : -1;
	p->pidfd = rx.pidfd;
	p->pidfd_error = rx.pidfd_error;
	p->cred = rx.cred;
	return 0;
}

/*
 * Handles what the library consumes itself (HELLO, RELEASE).  Returns 1 for
 * a data message the caller must deliver, 0 if consumed, or a violation.
 */
static int consume_packet(struct sshm_channel *ch, struct packet *p)
{
	const struct wire_msg *m = &p->msg;
	uint32_t i;
	int r = 0;

	if (!ch->have_peer_hello && m->type != WIRE_HELLO)
		r = -SSHM_EPROTO;
	else if (m->type == WIRE_HELLO) {
		if (ch->have_peer_hello)
			r = -SSHM_EPROTO;
		ch->peer = m->u.hello;
		ch->have_peer_hello = 1;
	} else if (m->type == WIRE_RELEASE) {
		for (i = 0; i < m->u.release.count && r == 0; i++)
			r = inflight_release(ch, wire_release_id(m, i));
	} else if (m->type == WIRE_REGION) {
		/* The peer may not exceed the window we announced; releases
		 * not sent yet still count as in flight for it. */
		if (ch->held + ch->n_releases >= SSHM_WINDOW_DEFAULT)
			r = -SSHM_EPROTO;
		else
			ch->held++;
	}
	if (r < 0) {
		packet_close(p);
		return channel_break(ch, r);
	}
	if (m->type == WIRE_REGION || m->type == WIRE_INLINE)
		return 1;
	/* Every packet brings a pidfd (SO_PASSPIDFD), consumed ones too. */
	packet_close(p);
	return 0;
}

/* Keeps a data packet for a later recv: the buffer is copied. */
static int queue_packet(struct sshm_channel *ch, struct packet *p)
{
	struct packet *q = &ch->pending[ch->n_pending];
	uint8_t *copy;

	assert(ch->n_pending < PENDING_MAX);
	copy = malloc(p->len);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, p->buf, p->len);
	*q = *p;
	q->buf = copy;
	/* Re-decode so the message points into the copy. */
	(void)wire_decode(copy, p->len, &q->msg);
	ch->n_pending++;
	return 0;
}

/*
 * Reads and consumes packets until @done(ch) holds (NULL: until nothing is
 * left to read).  Data messages are queued for recv.  Blocks per the
 * channel's mode unless @dontwait.
 */
static int pump(struct sshm_channel *ch, int (*done)(const struct sshm_channel *),
		int dontwait)
{
	struct packet p;
	int r;

	while (!done || !done(ch)) {
		if (ch->n_pending >= PENDING_MAX)
			return -ENOBUFS;
		r = read_packet(ch, dontwait, &p);
		if (r < 0)
			return r;
		r = consume_packet(ch, &p);
		if (r < 0)
			return r;
		if (r == 1) {
			r = queue_packet(ch, &p);
			if (r < 0) {
				packet_close(&p);
				return r;
			}
		}
	}
	return 0;
}

static int have_hello(const struct sshm_channel *ch)
{
	return ch->have_peer_hello;
}

static int have_window(const struct sshm_channel *ch)
{
	return ch->have_peer_hello && ch->n_inflight < send_window(ch);
}

static int nothing_inflight(const struct sshm_channel *ch)
{
	return ch->n_inflight == 0 || ch->eof;
}

/* Steps 3-5 for a REGION: verify, identity, map.  Consumes p's fds. */
static int deliver_region(struct sshm_channel *ch, struct packet *p,
			  const struct sshm_policy *policy, struct sshm_view **ret)
{
	const struct wire_region *w = &p->msg.u.region;
	const int mode = policy ? policy->identity : SSHM_IDENTITY_BEST_EFFORT;
	struct sshm_identity id = {
		.verdict = SSHM_VERDICT_NOT_CHECKED,
		.pid = p->cred.pid,
		.uid = p->cred.uid,
		.gid = p->cred.gid,
		.announced_fd = w->announced_fd,
	};
	struct sshm_view *v = NULL;
	unsigned int seals = 0;
	void *map = NULL;
	int r;

	/* verify_fd treats 0 as "no size announced"; on the wire it is a lie. */
	r = w->size == 0 ? -SSHM_ESIZE : verify_fd(&ch->env, p->fd, w->size, policy,
						   &seals, NULL);
	if (r == 0 && mode != SSHM_IDENTITY_OFF) {
		const struct identity_sender sender = {
			.pid = p->cred.pid,
			.pidfd = p->pidfd,
			.pidfd_error = p->pidfd_error,
			.pidfd_facility = ch->passpidfd,
		};

		identity_check(&sender, w->announced_fd, p->fd, &id);
		if (id.verdict == SSHM_VERDICT_MISMATCH)
			r = -SSHM_EIDENTITY;
		else if (id.verdict == SSHM_VERDICT_UNVERIFIABLE &&
			 mode == SSHM_IDENTITY_REQUIRED)
			r = -SSHM_EUNVERIFIED;
	}
	if (r == 0)
		r = verify_map(p->fd, w->size,
			       policy && (policy->flags & SSHM_POLICY_PREFAULT), &map);
	if (r == 0) {
		v = view_new(ch, w->id, p->msg.meta, w->meta_len, NULL, 0, &id);
		if (!v) {
			munmap(map, (size_t)w->size);
			r = -ENOMEM;
		}
	}
	if (r < 0) {
		/* Rejected but well framed: hand the region back at once. */
		packet_close(p);
		queue_release(ch, w->id);
		return r;
	}
	view_set_region(v, p->fd, map, w->size, seals);
	p->fd = -1;
	packet_close(p);
	*ret = v;
	return 0;
}

static int deliver(struct sshm_channel *ch, struct packet *p,
		   const struct sshm_policy *policy, struct sshm_view **ret)
{
	struct sshm_identity id = {
		.verdict = SSHM_VERDICT_NOT_CHECKED,
		.pid = p->cred.pid,
		.uid = p->cred.uid,
		.gid = p->cred.gid,
		.announced_fd = -1,
	};
	struct sshm_view *v;

	if (p->msg.type == WIRE_REGION)
		return deliver_region(ch, p, policy, ret);
	packet_close(p);
	v = view_new(ch, 0, p->msg.meta, p->msg.u.inl.meta_len, p->msg.data,
		     p->msg.u.inl.data_len, &id);
	if (!v)
		return -ENOMEM;
	*ret = v;
	return 0;
}

SSHM_EXPORT int sshm_channel_recv(struct sshm_channel *ch,
				  const struct sshm_policy *policy,
				  struct sshm_view **ret_view)
{
	struct packet p;
	int r;

	if (!ch || !ret_view)
		return -EINVAL;
	r = verify_policy_check(policy);
	if (r < 0)
		return r;
	if (ch->broken)
		return -SSHM_EBROKEN;
	(void)flush_releases(ch);

	if (ch->n_pending > 0) {
		p = ch->pending[0];
		memmove(&ch->pending[0], &ch->pending[1],
			(ch->n_pending - 1) * sizeof(ch->pending[0]));
		ch->n_pending--;
		r = deliver(ch, &p, policy, ret_view);
		free(p.buf);
		return r;
	}
	for (;;) {
		r = read_packet(ch, 0, &p);
		if (r < 0)
			return r;
		r = consume_packet(ch, &p);
		if (r < 0)
			return r;
		if (r == 1)
			return deliver(ch, &p, policy, ret_view);
	}
}

SSHM_EXPORT int sshm_channel_flush(struct sshm_channel *ch)
{
	int r;

	if (!ch)
		return -EINVAL;
	if (ch->broken)
		return -SSHM_EBROKEN;
	r = flush_releases(ch);
	if (r < 0)
		return r;
	/* Collect the peer's releases (and keep its data) without blocking. */
	r = pump(ch, NULL, 1);
	if (r < 0 && r != -EAGAIN && r != -EPIPE && r != -ENOBUFS)
		return r;
	return (int)ch->n_releases;
}

SSHM_EXPORT int sshm_channel_drain(struct sshm_channel *ch)
{
	int r;

	if (!ch)
		return -EINVAL;
	if (ch->broken)
		return -SSHM_EBROKEN;
	(void)flush_releases(ch);
	if (ch->eof) {
		inflight_clear(ch);
		return 0;
	}
	r = pump(ch, nothing_inflight, 0);
	/* The peer left: everything in flight was dropped, nothing to wait for. */
	return r == -EPIPE && ch->eof ? 0 : r;
}

/* ------------------------------------------------------------------ sending */

static int check_meta(const struct sshm_channel *ch, const void *meta, size_t meta_len)
{
	if ((!meta && meta_len) || meta_len > SSHM_META_MAX)
		return -EINVAL;
	if (meta_len > ch->peer.meta_max)
		return -EMSGSIZE;
	return 0;
}

static int send_region(struct sshm_channel *ch, struct sshm_region *region,
		       const void *meta, size_t meta_len)
{
	struct wire_region w = {
		.id = ch->next_id,
		.size = sshm_region_size(region),
		.announced_fd = sshm_region_fd(region),
		.meta_len = (uint32_t)meta_len,
	};
	uint8_t hdr[WIRE_REGION_LEN];
	struct iovec iov[2] = {
		{ hdr, wire_encode_region(hdr, &w) },
		{ (void *)meta, meta_len },
	};
	int r;

	if (ch->peer.max_size && w.size > ch->peer.max_size)
		return -SSHM_ETOOBIG;
	r = pump(ch, have_window, 0);
	if (r < 0)
		return r;
	r = send_packet(ch, iov, meta_len ? 2 : 1, w.announced_fd, 0);
	if (r < 0)
		return r;
	ch->next_id++;
	ch->inflight[ch->n_inflight].id = w.id;
	ch->inflight[ch->n_inflight].region = sshm_region_ref(region);
	ch->n_inflight++;
	return 0;
}

SSHM_EXPORT int sshm_channel_send(struct sshm_channel *ch, struct sshm_region *region,
				  const void *meta, size_t meta_len)
{
	int r;

	if (!ch || !region || (!meta && meta_len) || meta_len > SSHM_META_MAX)
		return -EINVAL;
	if (!sshm_region_is_sealed(region))
		return -SSHM_ENOTSEALED;
	if (ch->broken)
		return -SSHM_EBROKEN;
	r = pump(ch, have_hello, 0);
	if (r < 0)
		return r;
	r = check_meta(ch, meta, meta_len);
	if (r < 0)
		return r;
	return send_region(ch, region, meta, meta_len);
}

static int send_inline(struct sshm_channel *ch, const void *data, size_t len,
		       const void *meta, size_t meta_len)
{
	const struct wire_inline w = {
		.meta_len = (uint32_t)meta_len,
		.data_len = (uint32_t)len,
	};
	uint8_t hdr[WIRE_INLINE_LEN];
	struct iovec iov[3] = {
		{ hdr, wire_encode_inline(hdr, &w) },
		{ (void *)meta, meta_len },
		{ (void *)data, len },
	};

	return send_packet(ch, iov, 3, -1, 0);
}

SSHM_EXPORT int sshm_channel_send_bytes(struct sshm_channel *ch, const void *data,
					size_t len, const void *meta, size_t meta_len)
{
	struct sshm_region *region;
	size_t threshold;
	int r;

	if (!ch || (!data && len) || (!meta && meta_len) || meta_len > SSHM_META_MAX)
		return -EINVAL;
	if (ch->broken)
		return -SSHM_EBROKEN;
	r = pump(ch, have_hello, 0);
	if (r < 0)
		return r;
	r = check_meta(ch, meta, meta_len);
	if (r < 0)
		return r;

	threshold = ch->peer.inline_max < ch->inline_max ? ch->peer.inline_max
							 : ch->inline_max;
	if (len <= threshold) /* an empty payload is always inline */
		return send_inline(ch, data, len, meta, meta_len);

	/* A slot first: a full window on a non-blocking channel must not
	 * cost a region made for nothing. */
	r = pump(ch, have_window, 0);
	if (r < 0)
		return r;
	r = sshm_region_new(len, 0, &region);
	if (r < 0)
		return r;
	r = sshm_region_write(region, 0, data, len);
	if (r >= 0)
		r = sshm_region_seal(region);
	if (r >= 0)
		r = send_region(ch, region, meta, meta_len);
	sshm_region_unref(region);
	return r;
}

/* ----------------------------------------------------------------- listener */

SSHM_EXPORT int sshm_listener_new(const char *path, unsigned int flags,
				  struct sshm_listener **ret_listener)
{
	struct sshm_listener *l;
	struct sockaddr_un sa;
	socklen_t len;
	int fd, r;

	if ((flags & ~SSHM_CHANNEL_NONBLOCK) || !ret_listener)
		return -EINVAL;
	r = make_addr(path, &sa, &len);
	if (r < 0)
		return r;
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	if (path[0] != '@') {
		l->path = strdup(path);
		if (!l->path) {
			free(l);
			return -ENOMEM;
		}
	}
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC |
				     (flags & SSHM_CHANNEL_NONBLOCK ? SOCK_NONBLOCK : 0),
		    0);
	if (fd < 0) {
		r = neg_errno();
		goto fail;
	}
	/* Accepted sockets inherit SO_PASSCRED, so credentials are attached
	 * even to messages sent before accept(). */
	r = set_passcred(fd);
	if (r >= 0 && bind(fd, (struct sockaddr *)&sa, len) < 0)
		r = neg_errno();
	if (r >= 0 && listen(fd, SOMAXCONN) < 0) {
		r = neg_errno();
		if (l->path)
			unlink(l->path);
	}
	if (r < 0) {
		close(fd);
		goto fail;
	}
	l->refs = 1;
	l->fd = fd;
	l->flags = flags;
	*ret_listener = l;
	return 0;
fail:
	free(l->path);
	free(l);
	return r;
}

SSHM_EXPORT struct sshm_listener *sshm_listener_ref(struct sshm_listener *l)
{
	if (!l)
		return NULL;
	assert(l->refs > 0);
	l->refs++;
	return l;
}

SSHM_EXPORT struct sshm_listener *sshm_listener_unref(struct sshm_listener *l)
{
	if (!l)
		return NULL;
	assert(l->refs > 0);
	if (--l->refs > 0)
		return NULL;
	if (l->path)
		unlink(l->path);
	close(l->fd);
	free(l->path);
	free(l);
	return NULL;
}

SSHM_EXPORT int sshm_listener_fd(const struct sshm_listener *l)
{
	return l ? l->fd : -EINVAL;
}

SSHM_EXPORT int sshm_listener_accept(struct sshm_listener *l, unsigned int flags,
				     struct sshm_channel **ret_channel)
{
	int fd, r;

	if (!l || (flags & ~SSHM_CHANNEL_NONBLOCK) || !ret_channel)
		return -EINVAL;
	for (;;) {
		do
			fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC);
		while (fd < 0 && errno == EINTR);
		if (fd < 0)
			return neg_errno();
		r = channel_new(fd, flags, ret_channel);
		if (r >= 0)
			return r;
		close(fd);
		/* That client left before we could greet it: not the
		 * listener's failure, take the next one. */
		if (r != -EPIPE)
			return r;
	}
}
