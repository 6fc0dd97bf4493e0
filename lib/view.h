/* SPDX-License-Identifier: MIT */
#ifndef SSHM_VIEW_H
#define SSHM_VIEW_H

#include <stddef.h>
#include <stdint.h>

#include "release.h"
#include "sshm.h"

/* Everything a view is made of, for view_new(). */
struct view_parts {
	/* A region: the verified memfd, its read-only mapping, and where
	 * its release goes.  releases NULL: an inline payload. */
	struct release_queue *releases;
	uint64_t id;
	int fd;
	void *map;
	uint64_t size;
	unsigned int seals;
	/* An inline payload, copied; or, with @own, a heap buffer holding
	 * meta and data (where COPY pieces were assembled) that the view
	 * takes, and gives back with spare_give() when dropped (@own_spare)
	 * or frees. */
	const uint8_t *data;
	size_t data_len;
	uint8_t *own;
	int own_spare;
	/* Both: metadata (copied, or in @own) and the identity verdict. */
	const uint8_t *meta;
	size_t meta_len;
	const struct sshm_identity *identity;
};

/*
 * A view with one reference.  For a region it takes @p's fd and map and a
 * reference on its release queue; the last unref unmaps, closes and
 * releases.  -ENOMEM, and then the caller still owns fd and map.
 */
int view_new(const struct view_parts *p, struct sshm_view **ret);

#endif
