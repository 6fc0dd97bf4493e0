/* SPDX-License-Identifier: MIT */
/*
 * region - the producer's region: a memfd that is created, sized, filled
 * (through a mapping or pwrite) and then sealed, irreversibly.
 */
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "hugepage.h"
#include "private.h"
#include "region.h"
#include "syscall.h"

struct sshm_region {
	/* Atomic: one sealed region may be in flight on channels served by
	 * different threads, each holding and dropping references. */
	atomic_uint refs;
	int fd;
	uint64_t size;
	unsigned int flags; /* SSHM_REGION_* */
	void *map;	    /* our writable mapping, NULL until sshm_region_map() */
	int sealed;
};

#define REGION_FLAGS SSHM_REGION_HUGEPAGE

int region_memfd_new(const char *name, uint64_t size, unsigned int extra_flags)
{
	int fd = sys_memfd_sealable(name, extra_flags);

	if (fd < 0)
		return fd;
	if (ftruncate(fd, (off_t)size) < 0) {
		int r = neg_errno();

		close(fd);
		return r;
	}
	return fd;
}

int region_check_size(uint64_t size)
{
	/* The size must fit off_t (ftruncate) and size_t (mmap). */
	if (size == 0 || size > (uint64_t)INT64_MAX || size > SIZE_MAX)
		return -EINVAL;
	return 0;
}

void *region_map_rw(int fd, uint64_t size, unsigned int flags)
{
	return hugepage_map((size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
			    flags & SSHM_REGION_HUGEPAGE);
}

int region_wrap(int fd, uint64_t size, unsigned int flags, void *map,
		struct sshm_region **ret)
{
	struct sshm_region *r;

	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	atomic_init(&r->refs, 1);
	r->fd = fd;
	r->size = size;
	r->flags = flags;
	r->map = map;
	*ret = r;
	return 0;
}

SSHM_EXPORT int sshm_region_new(uint64_t size, unsigned int flags,
				struct sshm_region **ret_region)
{
	int fd, r;

	if (region_check_size(size) < 0 || (flags & ~REGION_FLAGS) || !ret_region)
		return -EINVAL;
	fd = region_memfd_new("sshm", size, 0);
	if (fd < 0)
		return fd;
	r = region_wrap(fd, size, flags, NULL, ret_region);
	if (r < 0)
		close(fd);
	return r;
}

SSHM_EXPORT struct sshm_region *sshm_region_ref(struct sshm_region *r)
{
	if (!r)
		return NULL;
	atomic_fetch_add_explicit(&r->refs, 1, memory_order_relaxed);
	return r;
}

SSHM_EXPORT struct sshm_region *sshm_region_unref(struct sshm_region *r)
{
	if (!r)
		return NULL;
	if (atomic_fetch_sub_explicit(&r->refs, 1, memory_order_acq_rel) != 1)
		return NULL;
	if (r->map)
		munmap(r->map, (size_t)r->size);
	close(r->fd);
	free(r);
	return NULL;
}

SSHM_EXPORT int sshm_region_map(struct sshm_region *r, void **ret_data)
{
	void *p;

	if (!r || !ret_data)
		return -EINVAL;
	if (r->sealed)
		return -SSHM_ESEALED;
	if (!r->map) {
		p = region_map_rw(r->fd, r->size, r->flags);
		if (p == MAP_FAILED)
			return neg_errno();
		r->map = p;
	}
	*ret_data = r->map;
	return 0;
}

SSHM_EXPORT int sshm_region_write(struct sshm_region *r, uint64_t offset, const void *buf,
				  size_t len)
{
	const char *p = buf;

	if (!r || (!buf && len))
		return -EINVAL;
	if (offset > r->size || len > r->size - offset)
		return -EINVAL;
	if (r->sealed)
		return -SSHM_ESEALED;

	while (len > 0) {
		ssize_t n = pwrite(r->fd, p, len, (off_t)offset);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return neg_errno();
		}
		if (n == 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
		offset += (uint64_t)n;
	}
	return 0;
}

SSHM_EXPORT int sshm_region_seal(struct sshm_region *r)
{
	if (!r)
		return -EINVAL;
	if (r->sealed)
		return 0;

	/* F_SEAL_WRITE fails with EBUSY while any writable shared mapping
	 * exists, ours included: drop ours first.  The kernel applies the
	 * whole mask or nothing, so a failure leaves the region writable. */
	if (r->map) {
		munmap(r->map, (size_t)r->size);
		r->map = NULL;
	}
	if (fcntl(r->fd, F_ADD_SEALS, SSHM_SEALS_APPLIED) < 0)
		return neg_errno();
	r->sealed = 1;
	return 0;
}

SSHM_EXPORT int sshm_region_is_sealed(const struct sshm_region *r)
{
	return r && r->sealed;
}

SSHM_EXPORT uint64_t sshm_region_size(const struct sshm_region *r)
{
	return r ? r->size : 0;
}

SSHM_EXPORT int sshm_region_fd(const struct sshm_region *r)
{
	return r ? r->fd : -EINVAL;
}
