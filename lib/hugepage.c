/* SPDX-License-Identifier: MIT */
/*
 * hugepage - mappings that can use transparent huge pages.  Whether shmem
 * gets huge folios is the system's choice
 * (/sys/kernel/mm/transparent_hugepage/shmem_enabled); what the library can do
 * is not stand in the way: align large mappings to 2 MiB and advise.
 */
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hugepage.h"
#include "private.h"

void *hugepage_map(size_t len, int prot, int flags, int fd, int advise)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t span, head;
	uintptr_t base, aligned;
	void *reserve, *p;

	if (len < HUGEPAGE_SIZE)
		return mmap(NULL, len, prot, flags, fd, 0);

	/* Reserve len + 2 MiB of address space, map over its aligned part,
	 * and give back the slack on both sides. */
	span = (len + page - 1) & ~(page - 1);
	reserve = mmap(NULL, span + HUGEPAGE_SIZE, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (reserve == MAP_FAILED)
		return MAP_FAILED;
	base = (uintptr_t)reserve;
	aligned = (base + HUGEPAGE_SIZE - 1) & ~(uintptr_t)(HUGEPAGE_SIZE - 1);
	p = mmap((void *)aligned, len, prot, flags | MAP_FIXED, fd, 0);
	if (p == MAP_FAILED) {
		int saved = errno;

		munmap(reserve, span + HUGEPAGE_SIZE);
		errno = saved;
		return MAP_FAILED;
	}
	head = aligned - base;
	if (head)
		munmap(reserve, head);
	if (HUGEPAGE_SIZE - head)
		munmap((void *)(aligned + span), HUGEPAGE_SIZE - head);
	/* Advice only: a kernel or mode without THP ignores or refuses it. */
	if (advise)
		(void)madvise(p, len, MADV_HUGEPAGE);
	return p;
}
