/* SPDX-License-Identifier: MIT */
/*
 * memfd - what a file that may be reopened holds: its holes, its seals and,
 * for a sealed memfd that sshm_fd_verify() accepted, its resident and huge
 * pages.  Only that accepted memfd is ever mapped, read-only.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "stat.h"

/*
 * Resident pages (mincore) and huge pages (smaps) of an accepted, sealed
 * memfd.  Only pages mincore() calls resident are touched, one byte each:
 * a fault on a shmem hole would allocate a page, a fault on a resident page
 * only maps it, PMD-sized where the folio is huge.
 */
static void inspect_mapping(int fd, struct report *rp)
{
	const size_t psz = (size_t)sysconf(_SC_PAGESIZE);
	const size_t len = (size_t)rp->fi.size;
	const volatile unsigned char *p;
	unsigned char *vec;
	size_t i, pages = (len + psz - 1) / psz;
	unsigned int sink = 0;
	void *map;

	map = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		rp->map_err = -errno;
		return;
	}
	vec = malloc(pages);
	if (!vec) {
		rp->map_err = -ENOMEM;
		goto out;
	}
	if (mincore(map, len, vec) < 0) {
		rp->map_err = -errno;
		goto out;
	}
	p = map;
	for (i = 0; i < pages; i++) {
		if (!(vec[i] & 1))
			continue;
		rp->resident++;
		sink += p[i * psz];
	}
	(void)sink;
	rp->pages = pages;
	rp->have_resident = 1;
	proc_read_smaps(map, rp);
out:
	free(vec);
	munmap(map, len);
}

/*
 * Holes, seals and, for an accepted memfd, the mapping.  @own is a read-only
 * description of our own, or -1: SEEK_HOLE on a shared description would
 * move the holder's offset.  @seals_fd is any non-O_PATH descriptor of it.
 */
void memfd_inspect(int seals_fd, int own, struct report *rp)
{
	off_t hole;
	int s;

	if (rp->memfd == MEMFD_HUGETLB) {
		/* hugetlbfs has no SEEK_HOLE; st_blocks is exact there. */
		rp->have_holes = 1;
		rp->first_hole = rp->fi.blocks * 512 < rp->fi.size ? UINT64_MAX
								   : rp->fi.size;
	} else if (own >= 0) {
		hole = lseek(own, 0, SEEK_HOLE);
		if (hole >= 0) {
			rp->have_holes = 1;
			rp->first_hole = (uint64_t)hole;
		}
	}
	if (rp->memfd == MEMFD_NO)
		return;
	s = seals_fd >= 0 ? fcntl(seals_fd, F_GET_SEALS) : -1;
	if (s >= 0) {
		rp->seals = (unsigned int)s;
		rp->have_seals = 1;
	}
	if (own >= 0 && rp->verdict == 0 && rp->fi.size > 0 && rp->fi.size <= SIZE_MAX)
		inspect_mapping(own, rp);
}
