/* SPDX-License-Identifier: MIT */
/*
 * method-copy - the copies a sealed region replaces: seqpacket (the tuned
 * baseline every method is compared with), stream and pipe.  The producer
 * fills one reused buffer per message and writes it to every consumer; each
 * consumer reads it into a reused buffer of its own and checks it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"

#define SOCK_BUF   (4 << 20)	     /* seqpacket: send and receive buffers */
#define PACKET_MAX ((size_t)1 << 20) /* seqpacket: messages cut into these */
#define PIPE_SIZE  (1 << 20)	     /* F_SETPIPE_SZ, when allowed */

/*
 * Asks for @want bytes of buffer: forced past net.core.wmem_max/rmem_max
 * when we may (CAP_NET_ADMIN), else as much as the cap allows (the plain
 * option silently takes the smaller).  1 when forced.
 */
static int sock_buf(int fd, int opt, int force, int want)
{
	if (setsockopt(fd, SOL_SOCKET, force, &want, sizeof(want)) == 0)
		return 1;
	(void)setsockopt(fd, SOL_SOCKET, opt, &want, sizeof(want));
	return 0;
}

/* The owner's tuned baseline: 4 MiB buffers both ways on both ends. */
static int seqpacket_open(int sv[2], int *forced)
{
	int i;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	*forced = 1;
	for (i = 0; i < 2; i++) {
		if (!sock_buf(sv[i], SO_SNDBUF, SO_SNDBUFFORCE, SOCK_BUF))
			*forced = 0;
		if (!sock_buf(sv[i], SO_RCVBUF, SO_RCVBUFFORCE, SOCK_BUF))
			*forced = 0;
	}
	return 0;
}

static int sock_get(int fd, int opt)
{
	socklen_t len = sizeof(int);
	int v = 0;

	return getsockopt(fd, SOL_SOCKET, opt, &v, &len) < 0 ? -errno : v;
}

int seqpacket_describe(char *buf, size_t len)
{
	int sv[2], forced, r;

	r = seqpacket_open(sv, &forced);
	if (r < 0)
		return r;
	snprintf(buf, len,
		 "seqpacket: %d MiB buffers asked with %s: SO_SNDBUF %d, "
		 "SO_RCVBUF %d bytes read back",
		 SOCK_BUF >> 20,
		 forced ? "SO_SNDBUFFORCE/SO_RCVBUFFORCE"
			: "SO_SNDBUF/SO_RCVBUF (no CAP_NET_ADMIN: net.core.[rw]mem_max "
			  "caps them)",
		 sock_get(sv[0], SO_SNDBUF), sock_get(sv[1], SO_RCVBUF));
	close(sv[0]);
	close(sv[1]);
	return 0;
}

int seqpacket_pair(struct cell *c, struct link *l)
{
	int sv[2], got, forced, r;

	r = seqpacket_open(sv, &forced);
	if (r < 0)
		return r;
	l->prod_fd = sv[0];
	l->cons_fd = sv[1];
	/* A packet must fit the send buffer: halve it until two fit, and say so. */
	got = sock_get(sv[0], SO_SNDBUF);
	if (got < 0)
		return got;
	c->packet = PACKET_MAX;
	while (c->packet > 4096 && (uint64_t)got < 2 * (uint64_t)c->packet)
		c->packet /= 2;
	if (c->packet < PACKET_MAX)
		snprintf(c->note, sizeof(c->note),
			 "seqpacket: SO_SNDBUF is %d bytes, "
			 "packets of %zu bytes",
			 got, c->packet);
	return 0;
}

/* SOCK_SEQPACKET: a packet goes whole or not at all. */
int packet_send(int fd, const void *buf, uint64_t size, size_t packet)
{
	uint64_t off, n;
	ssize_t w;

	for (off = 0; off < size; off += n) {
		n = size - off < packet ? size - off : packet;
		do
			w = send(fd, (const char *)buf + off, (size_t)n, MSG_NOSIGNAL);
		while (w < 0 && errno == EINTR);
		if (w < 0)
			return errno == ECONNRESET ? -EPIPE : -errno;
	}
	return 0;
}

/* One message into @buf: 1, 0 at a clean end, or a negative code. */
int packet_recv(int fd, void *buf, uint64_t size, size_t packet)
{
	struct msghdr mh;
	struct iovec iov;
	uint64_t off, want;
	ssize_t n;

	for (off = 0; off < size; off += (uint64_t)n) {
		want = size - off < packet ? size - off : packet;
		iov.iov_base = (char *)buf + off;
		iov.iov_len = (size_t)want;
		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		do
			n = recvmsg(fd, &mh, 0);
		while (n < 0 && errno == EINTR);
		if (n < 0)
			return -errno;
		/* We never send an empty packet: 0 is the end. */
		if (n == 0 && off == 0)
			return 0;
		if ((uint64_t)n != want || (mh.msg_flags & MSG_TRUNC))
			return -EPROTO;
	}
	return 1;
}

static int copy_setup(struct cell *c, int (*pair)(struct cell *c, struct link *l))
{
	unsigned int j;
	int r;

	for (j = 0; j < c->consumers; j++) {
		r = pair(c, &c->link[j]);
		if (r < 0)
			return r;
	}
	return 0;
}

static int seqpacket_setup(struct cell *c)
{
	return copy_setup(c, seqpacket_pair);
}

static int stream_pair(struct cell *c, struct link *l)
{
	int sv[2];

	(void)c;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	l->prod_fd = sv[0];
	l->cons_fd = sv[1];
	return 0;
}

static int stream_setup(struct cell *c)
{
	return copy_setup(c, stream_pair);
}

static int pipe_pair(struct cell *c, struct link *l)
{
	int fds[2];

	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	/* Beyond fs.pipe-max-size needs CAP_SYS_RESOURCE. */
	if (fcntl(fds[1], F_SETPIPE_SZ, PIPE_SIZE) < 0)
		snprintf(c->note, sizeof(c->note), "pipe: F_SETPIPE_SZ %d: %s", PIPE_SIZE,
			 sshm_strerror(errno));
	/* pipe2 gives [read, write]. */
	l->prod_fd = fds[1];
	l->cons_fd = fds[0];
	return 0;
}

static int pipe_setup(struct cell *c)
{
	return copy_setup(c, pipe_pair);
}

static int copy_prepare(struct cell *c, int role, struct worker *w)
{
	(void)role;
	return worker_buffer(w, c->size);
}

static int seqpacket_one(const struct cell *c, int fd, const void *buf)
{
	return packet_send(fd, buf, c->size, c->packet);
}

/* Length-prefixed, length and payload in one writev(2). */
static int stream_one(const struct cell *c, int fd, const void *buf)
{
	uint64_t len = c->size;
	struct iovec iov[2] = {
		{ &len, sizeof(len) },
		{ (void *)buf, (size_t)c->size },
	};

	return writev_all(fd, iov, 2);
}

static int pipe_one(const struct cell *c, int fd, const void *buf)
{
	return tool_write_all(fd, buf, (size_t)c->size);
}

/* Fills the buffer once and writes it to every consumer: N copies. */
static int copy_send(struct cell *c, struct worker *w, struct outcome *out, uint64_t i,
		     int (*one)(const struct cell *c, int fd, const void *buf))
{
	unsigned int j;
	int r;

	fill_raw(w->buf, c->size, i);
	for (j = 0; j < c->consumers; j++) {
		r = one(c, c->link[j].prod_fd, w->buf);
		if (r < 0) {
			fail(out, r, 0, "send message %llu to consumer %u",
			     (unsigned long long)i, j);
			return r;
		}
	}
	return 0;
}

static int seqpacket_send(struct cell *c, struct worker *w, struct outcome *out,
			  uint64_t i)
{
	return copy_send(c, w, out, i, seqpacket_one);
}

static int stream_send(struct cell *c, struct worker *w, struct outcome *out, uint64_t i)
{
	return copy_send(c, w, out, i, stream_one);
}

static int pipe_send(struct cell *c, struct worker *w, struct outcome *out, uint64_t i)
{
	return copy_send(c, w, out, i, pipe_one);
}

/* A received message @i: 1 checked, or a negative code after fail(). */
static int copy_check(struct cell *c, struct worker *w, struct outcome *out, uint64_t i,
		      int r)
{
	if (r < 0) {
		fail(out, r, 0, "receive message %llu", (unsigned long long)i);
		return r;
	}
	if (r > 0 && check_raw(out, w->buf, c->size, i) < 0)
		return -EPROTO;
	return r;
}

static int seqpacket_recv(struct cell *c, struct worker *w, struct outcome *out,
			  unsigned int j, uint64_t i)
{
	int r = packet_recv(c->link[j].cons_fd, w->buf, c->size, c->packet);

	return copy_check(c, w, out, i, r);
}

static int stream_recv(struct cell *c, struct worker *w, struct outcome *out,
		       unsigned int j, uint64_t i)
{
	const int fd = c->link[j].cons_fd;
	uint64_t len;
	ssize_t n;
	int r;

	n = read_full(fd, &len, sizeof(len));
	if (n == 0)
		return 0;
	if (n < 0)
		r = (int)n;
	else if (n != sizeof(len) || len != c->size)
		r = -EPROTO;
	else {
		n = read_full(fd, w->buf, (size_t)c->size);
		r = n < 0 ? (int)n : (uint64_t)n == c->size ? 1 : -EPROTO;
	}
	return copy_check(c, w, out, i, r);
}

static int pipe_recv(struct cell *c, struct worker *w, struct outcome *out,
		     unsigned int j, uint64_t i)
{
	ssize_t n = read_full(c->link[j].cons_fd, w->buf, (size_t)c->size);
	int r;

	if (n == 0)
		return 0;
	r = n < 0 ? (int)n : (uint64_t)n == c->size ? 1 : -EPROTO;
	return copy_check(c, w, out, i, r);
}

const struct method method_seqpacket = {
	.name = "seqpacket",
	.flags = METHOD_BASELINE,
	.setup = seqpacket_setup,
	.prepare = copy_prepare,
	.send = seqpacket_send,
	.recv = seqpacket_recv,
};

const struct method method_stream = {
	.name = "stream",
	.setup = stream_setup,
	.prepare = copy_prepare,
	.send = stream_send,
	.recv = stream_recv,
};

const struct method method_pipe = {
	.name = "pipe",
	.setup = pipe_setup,
	.prepare = copy_prepare,
	.send = pipe_send,
	.recv = pipe_recv,
};
