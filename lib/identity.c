/* SPDX-License-Identifier: MIT */
/*
 * identity - kcmp(2) and pidfd checks.  A diagnosis, not a gate: the gate is
 * verify.c.  A "verified" verdict is only given when kcmp said "same file"
 * and the process it compared is proven to be the one that sent.
 */
#include <signal.h>
#include <sys/types.h>
#include <unistd.h>

#include "identity.h"
#include "private.h"
#include "syscall.h"

static void unverifiable(struct sshm_identity *id, int reason)
{
	id->verdict = SSHM_VERDICT_UNVERIFIABLE;
	/* No process has that pid any more: the sender is gone, whoever
	 * says so. */
	id->reason = reason == -ESRCH ? -SSHM_EEXITED : reason;
}

void identity_check(const struct identity_sender *sender, int announced_fd,
		    int received_fd, struct sshm_identity *id)
{
	int pidfd = sender->pidfd, own_pidfd = -1, r;

	id->flags = 0;
	id->reason = 0;
	/* pid 0: the message carried no credentials (SO_PASSCRED was set
	 * after it was queued), or the sender is in a pid namespace we
	 * cannot see. */
	if (sender->pid <= 0) {
		id->verdict = SSHM_VERDICT_UNVERIFIABLE;
		id->reason = -ESRCH;
		return;
	}
	/* The kernel could not make a pidfd of the sender when we read the
	 * message: it had exited and been reaped, so its pid may already
	 * name another process.  Looking the pid up would find that one. */
	if (sender->pidfd_error) {
		unverifiable(id, -SSHM_EEXITED);
		return;
	}
	if (pidfd < 0) {
		if (sender->pidfd_facility) {
			/* The socket passes pidfds, yet this message had
			 * none: nothing pins the sender. */
			unverifiable(id, -ENODATA);
			return;
		}
		own_pidfd = sys_pidfd_open(sender->pid, 0);
		pidfd = own_pidfd;
	}

	r = sys_kcmp(sender->pid, getpid(), KCMP_FILE, (unsigned long)announced_fd,
		     (unsigned long)received_fd);
	if (r < 0) {
		/* -EBADF: the peer no longer has the announced fd open;
		 * -EPERM: another user or a non-dumpable peer; -ESRCH: gone;
		 * -ENOSYS: kernel without CONFIG_KCMP. */
		unverifiable(id, r);
		goto out;
	}
	if (r != 0) {
		id->verdict = SSHM_VERDICT_MISMATCH;
		goto out;
	}
	if (pidfd < 0) {
		unverifiable(id, own_pidfd);
		goto out;
	}
	/* Signal 0 through the pidfd: succeeds only while the process the
	 * pidfd names is alive, so @pid still names it and kcmp compared the
	 * right fd table. */
	r = sys_pidfd_send_signal(pidfd, 0);
	if (r < 0) {
		unverifiable(id, r);
		goto out;
	}
	id->verdict = SSHM_VERDICT_VERIFIED;
	if (own_pidfd < 0)
		id->flags |= SSHM_IDENTITY_F_PIDFD;
out:
	if (own_pidfd >= 0)
		close(own_pidfd);
}
