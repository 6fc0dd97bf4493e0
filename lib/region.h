/* SPDX-License-Identifier: MIT */
#ifndef SSHM_REGION_H
#define SSHM_REGION_H

#include "sshm.h"

/* Creates a sealable memfd of @size bytes; returns the fd or -errno. */
int region_memfd_new(const char *name, uint64_t size, unsigned int extra_flags);

#endif
