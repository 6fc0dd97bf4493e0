/* SPDX-License-Identifier: MIT */
/*
 * view - the consumer's immutable view of a received region (a read-only
 * mapping of a verified memfd) or of an inline payload (our own copy).
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "channel.h"
#include "private.h"
#include "view.h"

struct sshm_view {
	unsigned int refs;
	struct sshm_channel *channel;
	uint64_t id; /* region id to release, 0 for inline */
	int fd;
	void *map;
	const void *data;
	uint64_t size;
	unsigned int seals;
	struct sshm_identity identity;
	size_t meta_len;
	uint8_t *buf; /* meta, then inline data */
};

struct sshm_view *view_new(struct sshm_channel *channel, uint64_t id,
			   const uint8_t *meta, size_t meta_len,
			   const uint8_t *data, size_t data_len,
			   const struct sshm_identity *identity)
{
	struct sshm_view *v;

	v = calloc(1, sizeof(*v));
	if (!v)
		return NULL;
	/* +1: an empty inline payload still has a valid, non-NULL address. */
	v->buf = malloc(meta_len + data_len + 1);
	if (!v->buf) {
		free(v);
		return NULL;
	}
	if (meta_len)
		memcpy(v->buf, meta, meta_len);
	if (data_len)
		memcpy(v->buf + meta_len, data, data_len);
	v->refs = 1;
	v->channel = sshm_channel_ref(channel);
	v->id = id;
	v->fd = -1;
	v->data = v->buf + meta_len;
	v->size = data_len;
	v->meta_len = meta_len;
	v->identity = *identity;
	return v;
}

void view_set_region(struct sshm_view *v, int fd, void *map, uint64_t size,
		     unsigned int seals)
{
	assert(v->id != 0 && v->fd < 0);
	v->fd = fd;
	v->map = map;
	v->data = map;
	v->size = size;
	v->seals = seals;
}

SSHM_EXPORT struct sshm_view *sshm_view_ref(struct sshm_view *v)
{
	if (!v)
		return NULL;
	assert(v->refs > 0);
	v->refs++;
	return v;
}

SSHM_EXPORT struct sshm_view *sshm_view_unref(struct sshm_view *v)
{
	if (!v)
		return NULL;
	assert(v->refs > 0);
	if (--v->refs > 0)
		return NULL;
	if (v->map)
		munmap(v->map, (size_t)v->size);
	if (v->fd >= 0)
		close(v->fd);
	/* Unmapped and closed first: the producer may reuse it at once. */
	if (v->id)
		channel_release(v->channel, v->id);
	sshm_channel_unref(v->channel);
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
	return v->buf;
}

SSHM_EXPORT int sshm_view_is_region(const struct sshm_view *v)
{
	return v && v->id != 0;
}

SSHM_EXPORT int sshm_view_fd(const struct sshm_view *v)
{
	return v ? v->fd : -1;
}

SSHM_EXPORT unsigned int sshm_view_seals(const struct sshm_view *v)
{
	return v ? v->seals : 0;
}

SSHM_EXPORT const struct sshm_identity *sshm_view_identity(const struct sshm_view *v)
{
	return v ? &v->identity : NULL;
}
