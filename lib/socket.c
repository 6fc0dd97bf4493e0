/* SPDX-License-Identifier: MIT */
/*
 * socket - the AF_UNIX SOCK_SEQPACKET transport: what the kernel attaches to
 * a received packet.  It returns codes and never acts on a channel.
 */
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "private.h"
#include "socket.h"
#include "syscall.h"

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
		} else if (c->cmsg_type == SCM_CREDENTIALS && payload == sizeof(struct ucred) &&
			   !rx->have_cred) {
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
