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
#include "self.h"
#include "syscall.h"

static void unverifiable(struct sshm_identity *id, int reason)
{
	id->verdict = SSHM_VERDICT_UNVERIFIABLE;
	/* No process has that pid any more: the sender is gone, whoever
	 * says so. */
	id->reason = reason == -ESRCH ? -SSHM_EEXITED : reason;
}

/*
 * What an SCM_PIDFD without a descriptor says: -EINVAL (Linux 6.5-6.16) or
 * -ESRCH, the sender was reaped; -EMFILE, -ENFILE, -ENOMEM, we had no room
 * for its pidfd.  Either way nothing pins the sender.
 */
static int pidfd_error_reason(int err)
{
	return err == -EINVAL || err == -ESRCH ? -SSHM_EEXITED : err;
}

void identity_check(const struct identity_sender *sender, int announced_fd,
		    int received_fd, struct sshm_identity *id)
{
	int pidfd = sender->pidfd, own_pidfd = -1, r, alive;

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
	/* No pidfd came with the message: its pid may already name another
	 * process, and looking it up would find that one. */
	if (sender->pidfd_error) {
		unverifiable(id, pidfd_error_reason(sender->pidfd_error));
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

	r = sys_kcmp(sender->pid, self_pid(), KCMP_FILE, (unsigned long)announced_fd,
		     (unsigned long)received_fd);
	/*
	 * Whatever kcmp answered (same, different, or an error such as
	 * -EBADF or -EPERM), it was about the process that has the pid now.
	 * Signal 0 through the pidfd, after kcmp, succeeds only while the
	 * sender is alive: then that process was the sender.  Otherwise the
	 * answer may describe another process and says nothing.
	 */
	alive = pidfd >= 0 ? sys_pidfd_send_signal(pidfd, 0) : own_pidfd;
	/* Where liveness cannot be asked at all (no pidfd_send_signal:
	 * before 5.1, or valgrind), kcmp's answer stands as it is: a
	 * mismatch is still refused, a match stays unverifiable below. */
	if (alive < 0 && alive != -ENOSYS && pidfd >= 0) {
		unverifiable(id, alive);
		goto out;
	}
	if (r < 0) {
		/* -EBADF: the sender no longer has the announced fd open;
		 * -EPERM: another user or a non-dumpable sender; -ENOSYS:
		 * kernel without CONFIG_KCMP. */
		unverifiable(id, r);
		goto out;
	}
	if (r != 0) {
		/* Without any pidfd (no pidfd_open either) a mismatch cannot
		 * be told from a reused pid; refusing is the safe side. */
		id->verdict = SSHM_VERDICT_MISMATCH;
		goto out;
	}
	if (alive < 0) {
		unverifiable(id, alive);
		goto out;
	}
	id->verdict = SSHM_VERDICT_VERIFIED;
	if (own_pidfd < 0)
		id->flags |= SSHM_IDENTITY_F_PIDFD;
out:
	if (own_pidfd >= 0)
		close(own_pidfd);
}
