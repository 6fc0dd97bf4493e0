/* SPDX-License-Identifier: MIT */
#ifndef SSHM_SPARE_H
#define SSHM_SPARE_H

#include <stddef.h>

/*
 * The buffer of a received copy, kept for the next one.  A large malloc()
 * is a fresh mapping (glibc: from 32 MiB at the latest), and a consumer
 * that reads a 64 MiB COPY into one pays a page fault per 4 KiB and an
 * unmap: more than the copy itself.  A view gives its copy's buffer back
 * when dropped; the next copy, on any channel, takes it if it fits.
 *
 * One buffer per process, for SPARE_MAX bytes of payload at most, so that
 * what is kept idle is bounded however many channels there are.
 * Thread-safe and lock-free (one atomic exchange each way).
 */
#define SPARE_MAX ((size_t)64 << 20)
/* What a buffer for SPARE_MAX bytes of payload may hold besides: its
 * metadata, its placement and malloc's rounding. */
#define SPARE_SLACK ((size_t)1 << 20)

/* A buffer of at least @size bytes (its old contents are garbage): the
 * spare when it fits and is not more than twice as large, else new.
 * NULL on -ENOMEM.  Free it with free() or give it back. */
void *spare_take(size_t size);

/* @buf (from spare_take, or NULL) is free again: kept, replacing the
 * spare, or freed. */
void spare_give(void *buf);

#endif
