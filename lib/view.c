/* SPDX-License-Identifier: MIT */
/*
 * view - the consumer's immutable view of a received region (a read-only
 * mapping of a verified memfd) or of an inline payload (our own copy).  A
 * view knows nothing of channels: dropping it hands the region's id to the
 * release queue it came with.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "private.h"
#include "spare.h"
#include "view.h"

struct sshm_view {
	atomic_uint refs;
	struct release_queue *releases; /* NULL for inline */
	uint64_t id;
	int fd;
	void *map;
	const void *data;
	uint64_t size;
	unsigned int seals;
	struct sshm_identity identity;
	size_t meta_len;
	const uint8_t *meta;
	uint8_t *buf; /* holds meta, then inline or copied data */
	int spare;    /* buf goes back with spare_give(), else free() unless it
		       * is the one below */
	/* An inline payload and any metadata: one allocation with the view. */
	_Alignas(16) uint8_t own_buf[];
};

int view_new(const struct view_parts *p, struct sshm_view **ret)
{
	struct sshm_view *v;

	/* +1: an empty inline payload still has a valid, non-NULL address. */
	v = malloc(sizeof(*v) + (p->own ? 0 : p->meta_len + p->data_len + 1));
	if (!v)
		return -ENOMEM;
	memset(v, 0, sizeof(*v));
	if (p->own) {
		v->buf = p->own;
		v->spare = p->own_spare;
		v->meta = p->meta;
		v->data = p->data;
	} else {
		v->buf = v->own_buf;
		if (p->meta_len)
			memcpy(v->buf, p->meta, p->meta_len);
		if (p->data_len)
			memcpy(v->buf + p->meta_len, p->data, p->data_len);
		v->meta = v->buf;
		v->data = v->buf + p->meta_len;
	}
	atomic_init(&v->refs, 1);
	v->meta_len = p->meta_len;
	v->identity = *p->identity;
	v->fd = -1;
	if (p->releases) {
		v->releases = release_queue_ref(p->releases);
		v->id = p->id;
		v->fd = p->fd;
		v->map = p->map;
		v->data = p->map;
		v->size = p->size;
		v->seals = p->seals;
	} else {
		v->size = p->data_len;
	}
	*ret = v;
	return 0;
}

SSHM_EXPORT struct sshm_view *sshm_view_ref(struct sshm_view *v)
{
	if (!v)
		return NULL;
	atomic_fetch_add_explicit(&v->refs, 1, memory_order_relaxed);
	return v;
}

SSHM_EXPORT struct sshm_view *sshm_view_unref(struct sshm_view *v)
{
	if (!v)
		return NULL;
	if (atomic_fetch_sub_explicit(&v->refs, 1, memory_order_acq_rel) != 1)
		return NULL;
	if (v->releases) {
		munmap(v->map, (size_t)v->size);
		close(v->fd);
		/* Unmapped and closed first: the producer may reuse it at once. */
		release_queue_put(v->releases, v->id);
		release_queue_unref(v->releases);
	}
	if (v->spare)
		spare_give(v->buf);
	else if (v->buf != v->own_buf)
		free(v->buf);
	free(v);
	return NULL;
}

SSHM_EXPORT const void *sshm_view_data(const struct sshm_view *v)
{
	return v ? v->data : NULL;
}

SSHM_EXPORT uint64_t sshm_view_size(const struct sshm_view *v)
{
	return v ? v->size : 0;
}

SSHM_EXPORT const void *sshm_view_meta(const struct sshm_view *v, size_t *ret_len)
{
	if (!v || !v->meta_len) {
		if (ret_len)
			*ret_len = 0;
		return NULL;
	}
	if (ret_len)
		*ret_len = v->meta_len;
	return v->meta;
}

SSHM_EXPORT int sshm_view_is_region(const struct sshm_view *v)
{
	return v && v->releases;
}

SSHM_EXPORT int sshm_view_fd(const struct sshm_view *v)
{
	if (!v)
		return -EINVAL;
	return v->releases ? v->fd : -1;
}

SSHM_EXPORT unsigned int sshm_view_seals(const struct sshm_view *v)
{
	return v ? v->seals : 0;
}

SSHM_EXPORT const struct sshm_identity *sshm_view_identity(const struct sshm_view *v)
{
	return v ? &v->identity : NULL;
}
