/* SPDX-License-Identifier: MIT */
/*
 * peer - who the peer of a connection is, and how each message's sender is
 * pinned for the identity check: the pidfd of each process known to send,
 * taken once, or a pidfd with every packet while one not known yet may.
 */
#include <fcntl.h>
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
	p->known[0].pid = cred.pid;
	p->known[0].pidfd = pidfd;
	p->n_known = 1;
}

void peer_fini(struct peer *p)
{
	unsigned int i;

	for (i = 0; i < p->n_known; i++)
		close(p->known[i].pidfd);
	p->n_known = 0;
}

static int find_known(const struct peer *p, pid_t pid)
{
	unsigned int i;

	for (i = 0; i < p->n_known; i++)
		if (p->known[i].pid == pid)
			return (int)i;
	return -1;
}

void peer_hello(struct peer *p, int fd, const struct wire_hello *h, pid_t pid)
{
	if (!p->passpidfd || p->switched_on || find_known(p, pid) < 0 ||
	    !(h->features & WIRE_F_SENDER))
		return;
	if (set_passpidfd(fd, 0) == 0)
		p->passpidfd = 0;
}

/*
 * The sender of a packet that brought its own pidfd becomes known: its pid
 * and that pidfd pin its next packets as SO_PEERPIDFD pins the peer's (the
 * pidfd names the very process that sent, whose pid names no other while
 * it lives).
 */
static void learn(struct peer *p, int fd, const struct socket_rx *rx)
{
	int pidfd;

	if (!rx->have_cred || rx->cred.pid <= 0 || find_known(p, rx->cred.pid) >= 0)
		return;
	pidfd = fcntl(rx->pidfd, F_DUPFD_CLOEXEC, 3);
	if (pidfd < 0)
		return;
	if (set_passpidfd(fd, 0) < 0) {
		close(pidfd);
		return;
	}
	p->known[p->n_known].pid = rx->cred.pid;
	p->known[p->n_known++].pidfd = pidfd;
	p->passpidfd = 0;
	p->switched_on = 0;
}

int peer_packet(struct peer *p, int fd, const struct socket_rx *rx)
{
	int k;

	if (rx->pidfd >= 0) {
		if (p->switched_on && p->n_known < PEER_SENDERS_MAX)
			learn(p, fd, rx);
		return rx->pidfd;
	}
	if (p->passpidfd || !rx->have_cred)
		return -1;
	k = find_known(p, rx->cred.pid);
	if (k >= 0)
		return p->known[k].pidfd;
	/* A sender not known: from the next packet on, every one brings
	 * its sender's pidfd.  This one has none, and so pins nobody. */
	if (set_passpidfd(fd, 1) == 0) {
		p->passpidfd = 1;
		p->switched_on = 1;
	}
	return -1;
}
