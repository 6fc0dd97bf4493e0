/* SPDX-License-Identifier: MIT */
#ifndef SSHM_IDENTITY_H
#define SSHM_IDENTITY_H

#include <sys/types.h>

#include "sshm.h"

/*
 * Is @received_fd (ours) the very open file that process @pid holds as
 * @announced_fd?  @pidfd (from SCM_PIDFD, or -1) pins the process: if it is
 * still alive after kcmp, the pid was not reused.  Without one, a pidfd is
 * opened here, which pins the process from now on but cannot exclude a reuse
 * that already happened; SSHM_IDENTITY_F_PIDFD is then not set.  Fills @id
 * (verdict, reason, flags); pid/uid/gid are the caller's.
 */
void identity_check(pid_t pid, int pidfd, int announced_fd, int received_fd,
		    struct sshm_identity *id);

#endif
