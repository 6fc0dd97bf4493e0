/* SPDX-License-Identifier: MIT */
/*
 * peer - the raw peer: an AF_UNIX SOCK_SEQPACKET connection to the
 * consumer, packets with whatever descriptors and control data an attack
 * wants, and reads with a deadline.  The socket is non-blocking: a
 * consumer that stops reading must cost a timeout, never a hang.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "hostile.h"

int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t peer_deadline(const struct run *r)
{
	return now_ms() + (int64_t)r->o->timeout_ms;
}

/* poll(2) one fd until @deadline: 1 ready, 0 timed out, -errno. */
static int wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	int64_t left;
	int n;

	for (;;) {
		left = deadline - now_ms();
		if (left < 0)
			left = 0;
		n = poll(&p, 1, (int)left);
		if (n >= 0)
			return n > 0;
		if (errno != EINTR)
			return -errno;
	}
}

struct conn *peer_new(struct run *r)
{
	struct conn *c;

	/* The attacks are written with fewer: running out is a bug here. */
	if (r->nconn == MAX_CONNS) {
		run_syserr(r, -ENOBUFS, "too many connections in one attack");
		return NULL;
	}
	c = &r->conn[r->nconn++];
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	return c;
}

/* "@name": abstract, its first byte NUL; the length excludes any padding. */
static int make_addr(const char *path, struct sockaddr_un *sa, socklen_t *len)
{
	size_t n = strlen(path);

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (n == 0 || n >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	memcpy(sa->sun_path, path, n);
	if (path[0] == '@')
		sa->sun_path[0] = '\0';
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	return 0;
}

int peer_connect(struct run *r, struct conn *c)
{
	const int64_t deadline = peer_deadline(r);
	struct sockaddr_un sa;
	socklen_t len;
	int fd, e;

	e = make_addr(r->o->socket, &sa, &len);
	if (e < 0) {
		run_syserr(r, e, r->o->socket);
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		run_syserr(r, -errno, "socket");
		return -1;
	}
	/* A full backlog answers EAGAIN on a non-blocking AF_UNIX socket:
	 * the consumer does not accept, which is worth a retry until the
	 * deadline and a failure after. */
	while (connect(fd, (struct sockaddr *)&sa, len) < 0) {
		e = errno;
		if ((e == EAGAIN || e == EINTR) && now_ms() < deadline) {
			usleep(10000);
			continue;
		}
		close(fd);
		run_fail(r, "connect: %s", strerror(e));
		return -1;
	}
	c->fd = fd;
	return 0;
}

int peer_send_hello(struct run *r, struct conn *c)
{
	uint8_t b[PKT_HELLO_EXT_LEN];
	size_t n = pkt_hello(b, 64, PKT_F_SENDER);
	int e = peer_send(c, b, n, NULL, 0, peer_deadline(r));

	if (e < 0) {
		run_fail(r, "sending our HELLO: %s", strerror(-e));
		return -1;
	}
	return 0;
}

int peer_read_hello(struct run *r, struct conn *c)
{
	uint8_t b[256];
	ssize_t n = peer_recv(c, b, sizeof(b), peer_deadline(r));

	if (n == -ETIMEDOUT) {
		run_fail(r, "no HELLO from the consumer within %lu ms (not accepted?)",
			 r->o->timeout_ms);
		return -1;
	}
	if (n <= 0) {
		run_fail(r, "the consumer closed the connection before its HELLO%s%s",
			 n < 0 ? ": " : "", n < 0 ? strerror((int)-n) : "");
		return -1;
	}
	if (pkt_parse_hello(b, (size_t)n, &c->hello) < 0) {
		run_fail(r, "the consumer's first packet (%zd bytes) is not a HELLO", n);
		return -1;
	}
	c->have_hello = 1;
	return 0;
}

int peer_open(struct run *r, struct conn *c)
{
	if (peer_connect(r, c) < 0 || peer_send_hello(r, c) < 0)
		return -1;
	return peer_read_hello(r, c);
}

struct conn *peer_start(struct run *r)
{
	struct conn *c = peer_new(r);

	return c && peer_open(r, c) == 0 ? c : NULL;
}

void peer_close(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

int peer_sendmsg(struct conn *c, const struct msghdr *m, size_t len, int64_t deadline)
{
	ssize_t n;
	int w;

	if (c->fd < 0)
		return -EPIPE;
	for (;;) {
		n = sendmsg(c->fd, m, MSG_NOSIGNAL);
		if (n >= 0)
			return (size_t)n == len ? 0 : -EMSGSIZE;
		if (errno == EPIPE || errno == ECONNRESET || errno == ENOTCONN)
			return -EPIPE;
		if (errno != EAGAIN && errno != EINTR)
			return -errno;
		w = wait_fd(c->fd, POLLOUT, deadline);
		if (w < 0)
			return w;
		if (w == 0)
			return -ETIMEDOUT;
	}
}

int peer_send(struct conn *c, const void *buf, size_t len, const int *fds, int nfds,
	      int64_t deadline)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int) * MAX_OBJECTS)];
	} ctl;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr m;
	struct cmsghdr *h;

	memset(&m, 0, sizeof(m));
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	if (nfds > 0) {
		if (nfds > MAX_OBJECTS)
			return -EINVAL;
		memset(&ctl, 0, sizeof(ctl));
		m.msg_control = ctl.buf;
		m.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
		h = CMSG_FIRSTHDR(&m);
		h->cmsg_level = SOL_SOCKET;
		h->cmsg_type = SCM_RIGHTS;
		h->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
		memcpy(CMSG_DATA(h), fds, sizeof(int) * (size_t)nfds);
	}
	return peer_sendmsg(c, &m, len, deadline);
}

int peer_send_region(struct conn *c, uint64_t id, uint64_t size, int32_t announced,
		     int fd, int64_t deadline)
{
	uint8_t b[32];

	return peer_send(c, b, pkt_region(b, id, size, announced, NULL, 0), &fd, 1,
			 deadline);
}

/* A consumer may send descriptors too: ours to close, never to use. */
static void close_rights(struct msghdr *m)
{
	struct cmsghdr *h;
	size_t i, k;
	int fd;

	for (h = CMSG_FIRSTHDR(m); h; h = CMSG_NXTHDR(m, h)) {
		if (h->cmsg_level != SOL_SOCKET || h->cmsg_type != SCM_RIGHTS)
			continue;
		k = (h->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < k; i++) {
			memcpy(&fd, CMSG_DATA(h) + i * sizeof(int), sizeof(int));
			close(fd);
		}
	}
}

ssize_t peer_recv(struct conn *c, uint8_t *buf, size_t cap, int64_t deadline)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int) * 16)];
	} ctl;
	struct iovec iov = { .iov_base = buf, .iov_len = cap };
	struct msghdr m;
	ssize_t n;
	int w;

	if (c->fd < 0 || c->closed)
		return 0;
	for (;;) {
		memset(&m, 0, sizeof(m));
		m.msg_iov = &iov;
		m.msg_iovlen = 1;
		m.msg_control = ctl.buf;
		m.msg_controllen = sizeof(ctl.buf);
		n = recvmsg(c->fd, &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n >= 0) {
			close_rights(&m);
			/* A zero-length packet from the consumer with control
			 * data would not be end of file; it sends none. */
			if (n == 0)
				c->closed = 1;
			return n;
		}
		if (errno == ECONNRESET || errno == EPIPE) {
			c->closed = 1;
			return 0;
		}
		if (errno != EAGAIN && errno != EINTR)
			return -errno;
		w = wait_fd(c->fd, POLLIN, deadline);
		if (w < 0)
			return w;
		if (w == 0)
			return -ETIMEDOUT;
	}
}
