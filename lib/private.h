/* SPDX-License-Identifier: MIT */
/*
 * private - what every file of libsshm shares and nothing outside sees.
 */
#ifndef SSHM_PRIVATE_H
#define SSHM_PRIVATE_H

#include <errno.h>
#include <unistd.h>

#include "macro.h"
#include "sshm.h"

/* Everything is hidden (-fvisibility=hidden) but what is marked here and
 * listed in libsshm.sym. */
#define SSHM_EXPORT __attribute__((visibility("default")))

/* errno as a negative return value, never 0 even if errno was not set. */
static inline int neg_errno(void)
{
	return errno > 0 ? -errno : -EIO;
}

#endif
