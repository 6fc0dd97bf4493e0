/* SPDX-License-Identifier: MIT */
#ifndef SSHM_IDENTITY_H
#define SSHM_IDENTITY_H

#include <sys/types.h>

#include "sshm.h"

/* Who sent a message, as the kernel told us with it. */
struct identity_sender {
	pid_t pid;	 /* SCM_CREDENTIALS, 0 when none */
	int pidfd;	 /* SCM_PIDFD, or -1 */
	int pidfd_error; /* an SCM_PIDFD that carried the kernel's -errno */
	/* The socket hands over SCM_PIDFD (SO_PASSPIDFD took): a message
	 * without a usable pidfd is never matched to a pid by lookup. */
	int pidfd_facility;
};

/*
 * Is @received_fd (ours) the very open file that the sender holds as
 * @announced_fd?  The sender's pidfd pins the process: if it is still alive
 * after kcmp, its pid was not reused and kcmp compared the right fd table.
 * Only where the socket has no SCM_PIDFD at all (Linux < 6.5) is a pidfd
 * opened here from the pid, which pins the process from now on but cannot
 * exclude a reuse that already happened; SSHM_IDENTITY_F_PIDFD is then not
 * set.  A sender known to be gone is unverifiable (-SSHM_EEXITED), never
 * verified.  Fills @id (verdict, reason, flags); pid/uid/gid are the
 * caller's.
 */
void identity_check(const struct identity_sender *sender, int announced_fd,
		    int received_fd, struct sshm_identity *id);

#endif
