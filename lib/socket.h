/* SPDX-License-Identifier: MIT */
#ifndef SSHM_SOCKET_H
#define SSHM_SOCKET_H

#include <stddef.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>

/* More fds than any message may carry: an extra one is seen and closed
 * rather than dropped silently by the kernel. */
#define SOCKET_RX_FDS 8

/*
 * What the control messages of one received packet carried.  Every fd in
 * it is the receiver's to close (socket_rx_close()).
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
	/*
	 * The kernel could not install the fds the packet carried (MSG_CTRUNC)
	 * because our own descriptor table is full: -EMFILE or -ENFILE, and
	 * the fds are gone.  Not the peer's doing: the packet is otherwise
	 * intact.  0 otherwise.
	 */
	int fds_lost;
};

/*
 * How much a channel's socket may hold on its way to the peer (the kernel
 * doubles what is asked).  A datagram socket's queue is bounded by its
 * sender's SO_SNDBUF alone, and the default (net.core.wmem_default, often
 * 208 KiB) makes a producer of large copies or many small messages block
 * and wake every few packets.  Memory is taken only by what is queued.
 */
#define SOCKET_SNDBUF ((int)4 << 20)

/*
 * Raises SO_SNDBUF to @size: SO_SNDBUFFORCE where permitted
 * (CAP_NET_ADMIN), else SO_SNDBUF, which the kernel caps at
 * net.core.wmem_max.  Never lowers it.  Returns what the socket now has.
 */
int socket_grow_sndbuf(int fd, int size);

/* O_NONBLOCK on or off: 0 or -errno. */
int socket_set_nonblock(int fd, int on);

/*
 * Credentials on every message (SO_PASSCRED), and the sender's pidfd with
 * them where the kernel has it (SO_PASSPIDFD, Linux 6.5), before any
 * message can be queued.  Returns 1 when the socket hands over pidfds, 0
 * when the kernel lacks them, or -errno.
 */
int socket_set_passcred(int fd);

/* "@name" is an abstract socket, anything else a path: 0, -EINVAL or
 * -ENAMETOOLONG. */
int socket_make_addr(const char *path, struct sockaddr_un *sa, socklen_t *ret_len);

/*
 * One packet of @iovlen iovecs, with @pass_fd as SCM_RIGHTS when >= 0.
 * MSG_NOSIGNAL always, MSG_DONTWAIT when @dontwait.  0, -EPIPE when the
 * peer is gone (ECONNRESET included), -EAGAIN, or -errno.
 */
int socket_send(int fd, const struct iovec *iov, int iovlen, int pass_fd, int dontwait);

/*
 * One packet into @buf (@cap bytes), what came with it into @rx.
 * Returns its length (> 0), 0 at end of stream, -EAGAIN, -errno, or
 * -SSHM_EPROTO when the packet cannot be a message: truncated (MSG_TRUNC,
 * MSG_CTRUNC), empty but carrying something, or with control messages a
 * peer may not send.  On every error the fds that arrived are closed.
 * MSG_CTRUNC because our own table is full is no violation: the packet
 * is returned with rx->fds_lost set.
 * A peer's reset is not an error: the packets it sent before leaving are
 * read, then end of stream.
 */
ssize_t socket_recv(int fd, void *buf, size_t cap, int dontwait, struct socket_rx *rx);

/* The same into @iovlen iovecs: a header into one buffer, data into place. */
ssize_t socket_recvv(int fd, const struct iovec *iov, int iovlen, int dontwait,
		     struct socket_rx *rx);

/*
 * Collects what @mh's control messages carry into @rx (which it
 * initialises).  Returns 0, or -SSHM_EPROTO for anything a peer may not
 * send: an unknown control message, an SCM_RIGHTS with other than one fd,
 * more than one SCM_RIGHTS, SCM_PIDFD or SCM_CREDENTIALS, a malformed
 * length.  Even then every fd that arrived is in @rx, to be closed.
 */
int socket_parse_control(const struct msghdr *mh, struct socket_rx *rx);

/* Closes every fd in @rx and forgets them. */
void socket_rx_close(struct socket_rx *rx);

#endif
