/* SPDX-License-Identifier: MIT */
/*
 * macro - small macros shared by lib/, tools/ and tests/.  Header-only and
 * free of library internals.
 */
#ifndef SSHM_MACRO_H
#define SSHM_MACRO_H

#include <stdint.h>

#include "kernel-abi.h"

#define ELEMENTSOF(a) (sizeof(a) / sizeof((a)[0]))

/* Every seal a region must have to be accepted, whatever the policy says. */
#define SSHM_SEALS_REQUIRED (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)
/* What sshm_region_seal() applies: the required ones and F_SEAL_SEAL. */
#define SSHM_SEALS_APPLIED (SSHM_SEALS_REQUIRED | F_SEAL_SEAL)

#define SSHM_KIB ((uint64_t)1 << 10)
#define SSHM_MIB ((uint64_t)1 << 20)
#define SSHM_GIB ((uint64_t)1 << 30)

#endif
