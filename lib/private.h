/* SPDX-License-Identifier: MIT */
/*
 * private - what every file of libsshm shares and nothing outside sees.
 */
#ifndef SSHM_PRIVATE_H
#define SSHM_PRIVATE_H

#include <errno.h>
#include <unistd.h>

#include "sshm.h"

/* Everything is hidden (-fvisibility=hidden) but what is marked here and
 * listed in libsshm.sym. */
#define SSHM_EXPORT __attribute__((visibility("default")))

/* errno as a negative return value, never 0 even if errno was not set. */
static inline int neg_errno(void)
{
	return errno > 0 ? -errno : -EIO;
}

/* close(2) that keeps errno and ignores EINTR (the fd is gone on Linux). */
static inline void close_keep_errno(int fd)
{
	int saved = errno;

	if (fd >= 0)
		(void)close(fd);
	errno = saved;
}

#define ELEMENTSOF(a) (sizeof(a) / sizeof((a)[0]))

/* Every seal a sealed region must have, whatever the policy says. */
#define SSHM_SEALS_REQUIRED (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)
/* What sshm_region_seal() applies. */
#define SSHM_SEALS_APPLIED (SSHM_SEALS_REQUIRED | F_SEAL_SEAL)

#endif
