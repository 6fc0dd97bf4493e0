/* SPDX-License-Identifier: MIT */
/*
 * socket - the AF_UNIX SOCK_SEQPACKET transport: socket options, addresses,
 * one packet out with an optional fd, one packet in with what the kernel
 * attached to it.  It returns codes and never acts on a channel.
 */
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include "private.h"
#include "socket.h"

/* Room for every control message a packet may bring: credentials, a
 * pidfd, and two SCM_RIGHTS fds (alignment gives two anyway), so an extra
 * fd is seen and closed rather than silently dropped by the kernel.  A
 * buffer without room for the SCM_PIDFD would truncate every packet
 * (MSG_CTRUNC).  doc/protocol.md states this size. */
#define CONTROL_LEN                                                                      \
	(CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(sizeof(int)) +                    \
	 CMSG_SPACE(2 * sizeof(int)))

int socket_set_nonblock(int fd, int on)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0)
		return neg_errno();
	fl = on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK;
	if (fcntl(fd, F_SETFL, fl) < 0)
		return neg_errno();
	return 0;
}

static int sndbuf_of(int fd)
{
	int v = 0;
	socklen_t len = sizeof(v);

	return getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, &len) < 0 ? 0 : v;
}

int socket_grow_sndbuf(int fd, int size)
{
	int now = sndbuf_of(fd);

	/* The kernel reports twice what was set. */
	if (now >= 2 * size)
		return now;
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	return sndbuf_of(fd);
}

int socket_set_passcred(int fd)
{
	const int one = 1;

	if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0)
		return neg_errno();
	return setsockopt(fd, SOL_SOCKET, SO_PASSPIDFD, &one, sizeof(one)) == 0;
}

int socket_make_addr(const char *path, struct sockaddr_un *sa, socklen_t *ret_len)
{
	size_t n;

	if (!path || !path[0] || (path[0] == '@' && !path[1]))
		return -EINVAL;
	n = strlen(path);
	if (n >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	memcpy(sa->sun_path, path, n);
	if (path[0] == '@') {
		/* Abstract: no terminating NUL counts in the length. */
		sa->sun_path[0] = '\0';
		*ret_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	} else {
		*ret_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
	}
	return 0;
}

int socket_send(int fd, const struct iovec *iov, int iovlen, int pass_fd, int dontwait)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct msghdr mh = { .msg_iov = (struct iovec *)iov,
			     .msg_iovlen = (size_t)iovlen };
	ssize_t n;

	if (pass_fd >= 0) {
		struct cmsghdr *c;

		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = sizeof(ctl.buf);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &pass_fd, sizeof(int));
	}
	do
		n = sendmsg(fd, &mh, MSG_NOSIGNAL | (dontwait ? MSG_DONTWAIT : 0));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == ECONNRESET ? -EPIPE : neg_errno();
	return 0;
}

/*
 * After MSG_CTRUNC: our buffer has room for everything a valid packet
 * brings, so either the peer sent more (a violation), or the kernel could
 * not install what it sent because our own table is full.  -EMFILE or
 * -ENFILE for the latter (a new descriptor cannot be had), 0 otherwise.
 */
static int table_full(int fd)
{
	int t = fcntl(fd, F_DUPFD_CLOEXEC, 0);

	if (t >= 0) {
		close(t);
		return 0;
	}
	return errno == EMFILE || errno == ENFILE ? -errno : 0;
}

ssize_t socket_recv(int fd, void *buf, size_t cap, int dontwait, struct socket_rx *rx)
{
	const struct iovec iov = { buf, cap };

	return socket_recvv(fd, &iov, 1, dontwait, rx);
}

ssize_t socket_recvv(int fd, const struct iovec *iov, int iovlen, int dontwait,
		     struct socket_rx *rx)
{
	union {
		struct cmsghdr align;
		char buf[CONTROL_LEN];
	} ctl;
	struct msghdr mh = {
		.msg_iov = (struct iovec *)iov,
		.msg_iovlen = (size_t)iovlen,
		.msg_control = ctl.buf,
		.msg_controllen = sizeof(ctl.buf),
	};
	ssize_t n;
	int r;

	do
		n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC | (dontwait ? MSG_DONTWAIT : 0));
	/* ECONNRESET: the peer closed with our packets unread.  The kernel
	 * reports (and clears) that error before the packets the peer sent
	 * before it left: read on, they and then end of stream follow. */
	while (n < 0 && (errno == EINTR || errno == ECONNRESET));
	if (n < 0) {
		memset(rx, 0, sizeof(*rx));
		rx->pidfd = -1;
		return neg_errno();
	}
	r = socket_parse_control(&mh, rx);
	/* A zero-length packet is end of stream only when nothing came with
	 * it: one carrying credentials or an fd is a packet, and empty. */
	if (n == 0 && mh.msg_controllen == 0 && r == 0)
		return 0;
	if (r == 0 && (mh.msg_flags & MSG_CTRUNC) && !(mh.msg_flags & MSG_TRUNC) && n > 0)
		rx->fds_lost = table_full(fd);
	if (r == 0 && ((mh.msg_flags & MSG_TRUNC) || n == 0 ||
		       ((mh.msg_flags & MSG_CTRUNC) && !rx->fds_lost)))
		r = -SSHM_EPROTO;
	if (r < 0) {
		socket_rx_close(rx);
		return r;
	}
	return n;
}

static void rx_init(struct socket_rx *rx)
{
	memset(rx, 0, sizeof(*rx));
	rx->pidfd = -1;
}

/* An SCM_PIDFD value: a descriptor, or the kernel's -errno for a sender
 * that was gone when the packet was read. */
static int take_pidfd(struct socket_rx *rx, int value)
{
	if (rx->pidfd >= 0 || rx->pidfd_error) {
		if (value >= 0)
			close(value);
		return -SSHM_EPROTO;
	}
	if (value >= 0)
		rx->pidfd = value;
	else
		rx->pidfd_error = value >= -4095 ? value : -EIO;
	return 0;
}

int socket_parse_control(const struct msghdr *mh, struct socket_rx *rx)
{
	const char *end = (const char *)mh->msg_control + mh->msg_controllen;
	struct cmsghdr *c;
	int r = 0, v;

	rx_init(rx);
	for (c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR((struct msghdr *)mh, c)) {
		size_t payload, i, n;

		/* The kernel writes these, but a length that does not fit
		 * would make us read past the buffer: stop there. */
		if (c->cmsg_len < CMSG_LEN(0) || (const char *)c + c->cmsg_len > end)
			return -SSHM_EPROTO;
		payload = c->cmsg_len - CMSG_LEN(0);
		if (c->cmsg_level != SOL_SOCKET) {
			r = -SSHM_EPROTO;
		} else if (c->cmsg_type == SCM_RIGHTS) {
			n = payload / sizeof(int);
			for (i = 0; i < n; i++) {
				memcpy(&v, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
				if (rx->nfds < SOCKET_RX_FDS)
					rx->fds[rx->nfds++] = v;
				else
					close(v);
			}
			if (n != 1 || payload % sizeof(int) || rx->nfds > 1)
				r = -SSHM_EPROTO;
		} else if (c->cmsg_type == SCM_PIDFD && payload == sizeof(int)) {
			memcpy(&v, CMSG_DATA(c), sizeof(int));
			if (take_pidfd(rx, v) < 0)
				r = -SSHM_EPROTO;
		} else if (c->cmsg_type == SCM_CREDENTIALS &&
			   payload == sizeof(struct ucred) && !rx->have_cred) {
			memcpy(&rx->cred, CMSG_DATA(c), sizeof(struct ucred));
			rx->have_cred = 1;
		} else {
			r = -SSHM_EPROTO;
		}
	}
	return r;
}

void socket_rx_close(struct socket_rx *rx)
{
	unsigned int i;

	for (i = 0; i < rx->nfds; i++)
		close(rx->fds[i]);
	rx->nfds = 0;
	if (rx->pidfd >= 0)
		close(rx->pidfd);
	rx->pidfd = -1;
}
