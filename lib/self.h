/* SPDX-License-Identifier: MIT */
#ifndef SSHM_SELF_H
#define SSHM_SELF_H

#include <sys/types.h>

/*
 * This process's pid without a system call per question: glibc no longer
 * caches getpid(), and every send and receive asks (is this still the
 * process that announced itself?).  The answer is kept with a byte in a
 * page that the kernel zeroes in every child (MADV_WIPEONFORK, Linux
 * 4.14), so a fork by any means, raw clone(2) included, is seen; where the
 * page cannot be had, getpid().
 */
pid_t self_pid(void);

#endif
