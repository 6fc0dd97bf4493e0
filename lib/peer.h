/* SPDX-License-Identifier: MIT */
#ifndef SSHM_PEER_H
#define SSHM_PEER_H

#include <sys/types.h>

#include "socket.h"
#include "wire.h"

/*
 * Who the peer of a connection is, and how each message's sender is pinned
 * for identity.  The kernel can hand over the sender's pidfd with every
 * packet (SO_PASSPIDFD), but that costs a descriptor per packet, RELEASEs
 * and INLINEs included.  Instead the peer's pidfd is taken once from the
 * socket (SO_PEERPIDFD): a message whose credentials name the peer's pid
 * while that pidfd shows it alive was sent by the peer (two live processes
 * never share a pid, and the connection cannot predate the peer).  Per
 * packet pidfds are asked for only when the peer may send from another
 * process: before its HELLO, when it did not promise SENDER messages, and
 * once a packet came from a pid not known yet.  The first packet that then
 * brings its sender's pidfd makes that sender known too (a channel made
 * before a fork and used by the child, or processes taking turns), and
 * they are off again.  Once PEER_SENDERS_MAX senders are known they stay
 * on.  Known pidfds are kept till the end: messages read ahead and not
 * received yet borrow them as their pin.
 */
#define PEER_SENDERS_MAX 5

struct peer {
	struct {
		pid_t pid;
		int pidfd;
	} known[PEER_SENDERS_MAX]; /* [0]: SO_PEERCRED and SO_PEERPIDFD */
	unsigned int n_known;
	int passpidfd;	 /* SO_PASSPIDFD is on now */
	int facility;	 /* the kernel has SO_PASSPIDFD at all */
	int switched_on; /* turned on: a sender not known yet sent */
};

/* Learns the peer of connected socket @fd, on which the caller set
 * SO_PASSCRED and tried SO_PASSPIDFD (@passpidfd: it took). */
void peer_init(struct peer *p, int fd, int passpidfd);
void peer_fini(struct peer *p);

/* The peer's HELLO, as credentials @pid sent it: with WIRE_F_SENDER it
 * promises to announce another sending process, and per-packet pidfds are
 * turned off. */
void peer_hello(struct peer *p, int fd, const struct wire_hello *h, pid_t pid);

/*
 * A packet arrived with @rx.  If it came from a sender not known while
 * per-packet pidfds were off, they are turned on, until a packet with a
 * pidfd makes its sender known (see above).  Returns the pidfd that pins
 * this packet's sender: its own SCM_PIDFD, a known sender's (borrowed),
 * or -1.
 */
int peer_packet(struct peer *p, int fd, const struct socket_rx *rx);

#endif
