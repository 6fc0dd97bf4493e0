/* SPDX-License-Identifier: MIT */
#ifndef SSHM_HUGEPAGE_H
#define SSHM_HUGEPAGE_H

#include <stddef.h>

#define HUGEPAGE_SIZE ((size_t)2 << 20)

/*
 * mmap(2) of @len bytes of @fd at offset 0.  A mapping of at least 2 MiB is
 * placed on a 2 MiB boundary, so a huge folio of the file can be mapped by
 * one PMD entry; @advise also asks for huge pages (MADV_HUGEPAGE, which is
 * what the shmem THP mode "advise" waits for).  MAP_POPULATE in @flags is
 * honoured after the advice, so populated pages can be huge.  MAP_FAILED
 * and errno on failure, like mmap.
 */
void *hugepage_map(size_t len, int prot, int flags, int fd, int advise);

/*
 * Faults in every page of the mapping @p, @len bytes, for reading or (when
 * @write) writing: MADV_POPULATE_READ/WRITE (5.14), or a touch per page on
 * older kernels.  0 or -errno (-ENOMEM, -EFAULT, -EINTR...).
 */
int hugepage_populate(void *p, size_t len, int write);

/* What /sys/kernel/mm/transparent_hugepage/shmem_enabled says for memfds. */
enum hugepage_shmem {
	HUGEPAGE_SHMEM_NEVER,  /* also deny, and unknown (no THP, no sysfs) */
	HUGEPAGE_SHMEM_ALWAYS, /* also force */
	HUGEPAGE_SHMEM_WITHIN_SIZE,
	HUGEPAGE_SHMEM_ADVISE, /* only mappings advised MADV_HUGEPAGE */
};

/* Reads the mode (a few syscalls: callers keep the answer). */
enum hugepage_shmem hugepage_shmem_mode(void);

#endif
