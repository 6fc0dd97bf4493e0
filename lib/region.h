/* SPDX-License-Identifier: MIT */
#ifndef SSHM_REGION_H
#define SSHM_REGION_H

#include "sshm.h"

/* Creates a sealable memfd of @size bytes; returns the fd or -errno. */
int region_memfd_new(const char *name, uint64_t size, unsigned int extra_flags);

/* -EINVAL unless @size is a valid region size. */
int region_check_size(uint64_t size);

/* The producer's writable mapping (huge-page friendly per SSHM_REGION_*). */
void *region_map_rw(int fd, uint64_t size, unsigned int flags);

/* A region around a prepared memfd; takes @fd and @map (may be NULL). */
int region_wrap(int fd, uint64_t size, unsigned int flags, void *map,
		struct sshm_region **ret);

#endif
