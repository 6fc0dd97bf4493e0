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

/*
 * Little-endian fields, byte by byte: alignment and host order never
 * matter.  The wire format's byte order, shared by lib/wire.c and the
 * independent encoders of tools/hostile and tests/ (which share nothing
 * else with the library's codec).
 */
static inline void sshm_put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static inline void sshm_put_le64(uint8_t *p, uint64_t v)
{
	sshm_put_le32(p, (uint32_t)v);
	sshm_put_le32(p + 4, (uint32_t)(v >> 32));
}

static inline uint32_t sshm_get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static inline uint64_t sshm_get_le64(const uint8_t *p)
{
	return (uint64_t)sshm_get_le32(p) | (uint64_t)sshm_get_le32(p + 4) << 32;
}

#define SSHM_KIB ((uint64_t)1 << 10)
#define SSHM_MIB ((uint64_t)1 << 20)
#define SSHM_GIB ((uint64_t)1 << 30)

#endif
