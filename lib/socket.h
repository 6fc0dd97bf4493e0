/* SPDX-License-Identifier: MIT */
#ifndef SSHM_SOCKET_H
#define SSHM_SOCKET_H

#include <sys/socket.h>

/* More fds than any message may carry: an extra one is seen and closed
 * rather than dropped silently by the kernel. */
#define SOCKET_RX_FDS 8

/*
 * What the control messages of one received packet carried.  Every fd in
 * it is ours to close (socket_rx_close()).
 */
struct socket_rx {
	int fds[SOCKET_RX_FDS]; /* SCM_RIGHTS, in order */
	unsigned int nfds;
	/* SCM_PIDFD: the sender's pidfd, or -1. */
	int pidfd;
	/*
	 * An SCM_PIDFD that carried no descriptor: the kernel's -errno.
	 * Linux 6.5 to about 6.15 put one there when the sender had already
	 * exited and been reaped; 0 otherwise.
	 */
	int pidfd_error;
	int have_cred;
	struct ucred cred; /* SCM_CREDENTIALS when have_cred */
};

/*
 * Collects what @mh's control messages carry into @rx (which it
 * initialises).  Returns 0, or -SSHM_EPROTO for anything a peer may not
 * send: an unknown control message, an SCM_RIGHTS with other than one fd,
 * more than one SCM_RIGHTS or SCM_PIDFD, a malformed length.  Even then
 * every fd that arrived is in @rx, to be closed.
 */
int socket_parse_control(const struct msghdr *mh, struct socket_rx *rx);

/* Closes every fd in @rx and forgets them. */
void socket_rx_close(struct socket_rx *rx);

#endif
