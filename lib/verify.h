/* SPDX-License-Identifier: MIT */
#ifndef SSHM_VERIFY_H
#define SSHM_VERIFY_H

#include <sys/types.h>

#include "sshm.h"

/*
 * Where memfds live.  Every memfd of a size class is on one kernel-internal
 * mount, so its st_dev tells a memfd from a file of the same filesystem type
 * reached by a path (a /dev/shm or hugetlbfs file).  Learned once per
 * channel from probe memfds of our own.
 */
struct verify_env {
	dev_t shm_dev;
	dev_t huge_dev;
	unsigned int have_shm_dev : 1;
	unsigned int have_huge_dev : 1;
};

/* -errno if no memfd can be made to learn where memfds live. */
int verify_env_init(struct verify_env *env);

/* -EINVAL unless @p is NULL or valid. */
int verify_policy_check(const struct sshm_policy *p);

/*
 * The fd checks of the receive pipeline: F_GET_SEALS, then one fstat that
 * happens after the seals were read, so the size it shows is final.  The
 * verdicts come in this order: O_PATH, not regular, not a memfd (st_dev of
 * the kernel's internal mount), hugetlb policy, seals missing, size (zero,
 * announced, cap), holes.  Never reads, polls or ioctls @fd.  @announced 0:
 * no size comparison.
 */
int verify_fd(const struct verify_env *env, int fd, uint64_t announced,
	      const struct sshm_policy *p, unsigned int *ret_seals, uint64_t *ret_size);

/*
 * Maps a verified fd read-only and shared.  On kernels that refuse that for
 * a write-sealed memfd opened O_RDWR (< 6.7), from a read-only description
 * of our own (reopened through /proc/self/fd, checked to be the same
 * inode); only where that cannot be had, MAP_PRIVATE.  @prefault:
 * populate the mapping.
 */
int verify_map(int fd, uint64_t size, int prefault, void **ret_map);

#endif
