/* SPDX-License-Identifier: MIT */
/*
 * peer - who the peer of a connection is, and how each message's sender is
 * pinned for the identity check: the peer's own pidfd, taken once, or a
 * pidfd with every packet where the peer may send from another process.
 */
#include <string.h>
#include <unistd.h>

#include "peer.h"
#include "private.h"

static int set_passpidfd(int fd, int on)
{
	return setsockopt(fd, SOL_SOCKET, SO_PASSPIDFD, &on, sizeof(on)) == 0
		   ? 0
		   : neg_errno();
}

void peer_init(struct peer *p, int fd, int passpidfd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int pidfd = -1;

	memset(p, 0, sizeof(*p));
	p->pidfd = -1;
	p->passpidfd = p->facility = passpidfd;
	if (!passpidfd)
		return;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || cred.pid <= 0)
		return;
	len = sizeof(pidfd);
	/* SO_PEERPIDFD (6.5, like SO_PASSPIDFD) installs a pidfd; it fails
	 * when the peer is gone already.  O_CLOEXEC is implied. */
	if (getsockopt(fd, SOL_SOCKET, SO_PEERPIDFD, &pidfd, &len) < 0 || pidfd < 0)
		return;
	p->pid = cred.pid;
	p->pidfd = pidfd;
}

void peer_fini(struct peer *p)
{
	if (p->pidfd >= 0)
		close(p->pidfd);
	p->pidfd = -1;
}

void peer_hello(struct peer *p, int fd, const struct wire_hello *h, pid_t pid)
{
	if (!p->passpidfd || p->switched_on || p->pidfd < 0 || pid != p->pid ||
	    !(h->features & WIRE_F_SENDER))
		return;
	if (set_passpidfd(fd, 0) == 0)
		p->passpidfd = 0;
}

int peer_packet(struct peer *p, int fd, const struct socket_rx *rx)
{
	if (rx->pidfd >= 0)
		return rx->pidfd;
	if (p->passpidfd || !rx->have_cred)
		return -1;
	if (rx->cred.pid == p->pid)
		return p->pidfd;
	/* Another process sends: from the next packet on, every one brings
	 * its sender's pidfd.  This one has none, and so pins nobody. */
	if (set_passpidfd(fd, 1) == 0) {
		p->passpidfd = 1;
		p->switched_on = 1;
	}
	return -1;
}
