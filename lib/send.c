/* SPDX-License-Identifier: MIT */
/*
 * send - the sending side of a channel: sealed regions, kept in the ledger
 * until the peer releases them, and copies (inline payloads, or a region
 * made for the bytes).
 */
#include <string.h>

#include "channel-internal.h"
#include "private.h"
#include "socket.h"

/* Arguments at the API edge: -EINVAL, before anything is consumed. */
static int check_args_meta(const void *meta, size_t meta_len)
{
	return (!meta && meta_len) || meta_len > SSHM_META_MAX ? -EINVAL : 0;
}

/* What the peer announced it accepts: known once its HELLO was read. */
static int check_peer_limits(const struct sshm_channel *ch, uint64_t size,
			     size_t meta_len)
{
	if (meta_len > ch->hello.meta_max)
		return -EMSGSIZE;
	if (ch->hello.max_size && size > ch->hello.max_size)
		return -SSHM_ETOOBIG;
	return 0;
}

/* Sends a sealed region the channel has room for, and records it. */
static int send_region(struct sshm_channel *ch, struct sshm_region *region,
		       const void *meta, size_t meta_len)
{
	const struct wire_region w = {
		.id = ch->next_id,
		.size = sshm_region_size(region),
		.announced_fd = sshm_region_fd(region),
		.meta_len = (uint32_t)meta_len,
	};
	uint8_t hdr[WIRE_REGION_LEN];
	const struct iovec iov[2] = {
		{ hdr, wire_encode_region(hdr, &w) },
		{ (void *)meta, meta_len },
	};
	int r;

	r = channel_announce_sender(ch);
	if (r >= 0)
		r = socket_send(ch->fd, iov, meta_len ? 2 : 1, w.announced_fd, 0);
	if (r < 0)
		return r;
	ch->next_id++;
	ledger_add(&ch->ledger, w.id, region);
	ch->stats.sent++;
	ch->stats.sent_bytes += w.size;
	return 0;
}

SSHM_EXPORT int sshm_channel_send(struct sshm_channel *ch, struct sshm_region *region,
				  const void *meta, size_t meta_len)
{
	int r;

	if (!ch || !region || check_args_meta(meta, meta_len) < 0)
		return -EINVAL;
	if (!sshm_region_is_sealed(region))
		return -SSHM_ENOTSEALED;
	if (ch->broken)
		return -SSHM_EBROKEN;
	r = channel_wait_hello(ch);
	if (r >= 0)
		r = check_peer_limits(ch, sshm_region_size(region), meta_len);
	if (r >= 0)
		r = channel_wait_room(ch, sshm_region_size(region));
	if (r >= 0)
		r = send_region(ch, region, meta, meta_len);
	return r;
}

static int send_inline(struct sshm_channel *ch, const void *data, size_t len,
		       const void *meta, size_t meta_len)
{
	const struct wire_inline w = {
		.meta_len = (uint32_t)meta_len,
		.data_len = (uint32_t)len,
	};
	uint8_t hdr[WIRE_INLINE_LEN];
	const struct iovec iov[3] = {
		{ hdr, wire_encode_inline(hdr, &w) },
		{ (void *)meta, meta_len },
		{ (void *)data, len },
	};

	int r = channel_announce_sender(ch);

	if (r >= 0)
		r = socket_send(ch->fd, iov, 3, -1, 0);
	if (r < 0)
		return r;
	ch->stats.sent++;
	ch->stats.sent_bytes += len;
	return 0;
}

/* A new region holding a copy of @data, sealed. */
static int region_of(const void *data, size_t len, struct sshm_region **ret)
{
	struct sshm_region *region;
	int r;

	r = sshm_region_new(len, 0, &region);
	if (r < 0)
		return r;
	r = sshm_region_write(region, 0, data, len);
	if (r >= 0)
		r = sshm_region_seal(region);
	if (r < 0) {
		sshm_region_unref(region);
		return r;
	}
	*ret = region;
	return 0;
}

SSHM_EXPORT int sshm_channel_send_bytes(struct sshm_channel *ch, const void *data,
					size_t len, const void *meta, size_t meta_len)
{
	struct sshm_region *region;
	size_t threshold;
	int r;

	if (!ch || (!data && len) || check_args_meta(meta, meta_len) < 0)
		return -EINVAL;
	if (ch->broken)
		return -SSHM_EBROKEN;
	r = channel_wait_hello(ch);
	if (r < 0)
		return r;
	threshold = ch->hello.inline_max < ch->inline_max ? ch->hello.inline_max
							 : ch->inline_max;
	/* An empty payload is always inline. */
	if (len <= threshold) {
		r = check_peer_limits(ch, 0, meta_len);
		return r < 0 ? r : send_inline(ch, data, len, meta, meta_len);
	}
	r = check_peer_limits(ch, len, meta_len);
	/* Room first: a full window on a non-blocking channel must not cost
	 * a region made for nothing. */
	if (r >= 0)
		r = channel_wait_room(ch, len);
	if (r < 0)
		return r;
	r = region_of(data, len, &region);
	if (r < 0)
		return r;
	r = send_region(ch, region, meta, meta_len);
	sshm_region_unref(region);
	return r;
}
