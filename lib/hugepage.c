/* SPDX-License-Identifier: MIT */
/*
 * hugepage - mappings that can use transparent huge pages.  Whether shmem
 * gets huge folios is the system's choice
 * (/sys/kernel/mm/transparent_hugepage/shmem_enabled); what the library can do
 * is not stand in the way: align large mappings to 2 MiB and advise.
 */
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hugepage.h"
#include "private.h"

int hugepage_populate(void *p, size_t len, int write)
{
	volatile char *c = p;
	size_t page, off;

	if (madvise(p, len, write ? MADV_POPULATE_WRITE : MADV_POPULATE_READ) == 0)
		return 0;
	if (errno != EINVAL)
		return neg_errno();
	/* Before 5.14: touch every page ourselves. */
	page = (size_t)sysconf(_SC_PAGESIZE);
	for (off = 0; off < len; off += page) {
		if (write)
			c[off] = 0;
		else
			(void)c[off];
	}
	return 0;
}

void *hugepage_map(size_t len, int prot, int flags, int fd, int advise)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t span, head;
	int populate;
	uintptr_t base, aligned;
	void *reserve, *p;

	if (len < HUGEPAGE_SIZE)
		return mmap(NULL, len, prot, flags, fd, 0);
	/* MAP_POPULATE would fault the pages in before the advice exists,
	 * as small pages under the THP mode "advise": populate afterwards. */
	populate = flags & MAP_POPULATE;
	flags &= ~MAP_POPULATE;

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
	/* Best effort, as MAP_POPULATE is: a failure shows as a fault later. */
	if (populate)
		(void)hugepage_populate(p, len, prot & PROT_WRITE);
	return p;
}

enum hugepage_shmem hugepage_shmem_mode(void)
{
	static const struct {
		const char *name;
		enum hugepage_shmem mode;
	} modes[] = {
		{ "[always]", HUGEPAGE_SHMEM_ALWAYS },
		{ "[force]", HUGEPAGE_SHMEM_ALWAYS },
		{ "[within_size]", HUGEPAGE_SHMEM_WITHIN_SIZE },
		{ "[advise]", HUGEPAGE_SHMEM_ADVISE },
	};
	char buf[128];
	ssize_t n;
	size_t i;
	int fd;

	fd = open("/sys/kernel/mm/transparent_hugepage/shmem_enabled",
		  O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return HUGEPAGE_SHMEM_NEVER;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return HUGEPAGE_SHMEM_NEVER;
	buf[n] = '\0';
	/* The selected mode is the one in brackets. */
	for (i = 0; i < ELEMENTSOF(modes); i++)
		if (strstr(buf, modes[i].name))
			return modes[i].mode;
	return HUGEPAGE_SHMEM_NEVER;
}
