/* SPDX-License-Identifier: MIT */
/*
 * send - the sending side of a channel: sealed regions, kept in the ledger
 * until the peer releases them, and copies (inline payloads, or a region
 * made for the bytes).
 */
#include <poll.h>
#include <string.h>

#include "conn.h"
#include "hugepage.h"
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

	r = channel_announce(ch, 0);
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

	int r = channel_announce(ch, 0);

	if (r >= 0)
		r = socket_send(ch->fd, iov, 3, -1, 0);
	if (r < 0)
		return r;
	ch->stats.sent++;
	ch->stats.sent_bytes += len;
	return 0;
}

/*
 * Where a copy of bytes goes through a sealed region rather than the
 * socket: only where shmem can use transparent huge pages (without them
 * every 4 KiB page costs each consumer a fault, a TLB entry and an unmap,
 * and copying wins at every size, for one consumer and for four alike),
 * from REGION_MIN_THP up for one consumer, and from FANOUT_MIN_THP up for
 * several, which one region serves at once.  Measured, THP within_size,
 * sshm-bench --pin (doc/benchmarks.md, "Where send_bytes switches"): a
 * region is 0.87x a copy at 4 MiB, 0.98x at 8 MiB, 1.29x at 12 MiB; to
 * four consumers 0.58x at 1 MiB (no huge page below 2 MiB), 2.2x at 4 MiB.
 */
#define REGION_MIN_THP ((uint64_t)8 << 20)
#define FANOUT_MIN_THP ((uint64_t)4 << 20)

/* A new region holding a copy of @data, sealed.  Filled by pwrite, or,
 * where shmem gives huge pages only to advised mappings, through one. */
static int region_of(const void *data, size_t len, int thp, struct sshm_region **ret)
{
	const int advise = thp == HUGEPAGE_SHMEM_ADVISE;
	struct sshm_region *region;
	void *map;
	int r;

	r = sshm_region_new(len, advise ? SSHM_REGION_HUGEPAGE : 0, &region);
	if (r < 0)
		return r;
	if (advise) {
		r = sshm_region_map(region, &map);
		if (r >= 0)
			memcpy(map, data, len);
	} else {
		r = sshm_region_write(region, 0, data, len);
	}
	if (r >= 0)
		r = sshm_region_seal(region);
	if (r < 0) {
		sshm_region_unref(region);
		return r;
	}
	*ret = region;
	return 0;
}

/*
 * One COPY piece, however long the socket is full.  Meanwhile what the peer
 * sends is read: a peer blocked sending to us while we block sending to it
 * would otherwise wait for us forever.
 */
static int send_piece(struct sshm_channel *ch, const struct iovec *iov)
{
	struct pollfd pfd = { .fd = ch->fd };
	int r, reading = 1;

	for (;;) {
		r = socket_send(ch->fd, iov, 3, -1, 1);
		if (r != -EAGAIN)
			return r;
		pfd.events = POLLOUT | (reading ? POLLIN : 0);
		if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
			return neg_errno();
		if (pfd.revents & POLLIN) {
			r = channel_read_ready(ch);
			/* With CHANNEL_PENDING_MAX messages kept, only wait. */
			if (r == -ENOBUFS)
				reading = 0;
			else if (r < 0)
				return r;
		}
	}
}

/*
 * @len bytes in COPY pieces: the first fits the largest packet of any
 * other type (the receiver reads it into its usual buffer), the next ones
 * are as large as the socket sends well.  The pieces of one payload go out
 * back to back; once one is out, a failure but the peer's leaving breaks
 * the channel, which could not carry anything else.  Like a write to a
 * socket, a large copy returns once the peer has read most of it.
 */
static int send_copy(struct sshm_channel *ch, const uint8_t *data, size_t len,
		     const void *meta, size_t meta_len)
{
	size_t first = WIRE_PACKET_MAX - WIRE_COPY_LEN - meta_len;
	struct wire_copy w = { .total = len };
	uint8_t hdr[WIRE_COPY_LEN];
	struct iovec iov[3];
	size_t off = 0, piece;
	int r;

	/* The later pieces start where the kernel's copy into the packet is
	 * fast: it puts the header first, then the data, and a source 1 to
	 * 63 bytes behind the destination within a page stalls every load
	 * on a store to the same page offset (4K aliasing: 2.3x slower at
	 * 1 MiB on this VM's AMD EPYC).  Source and destination alike at
	 * once past the header: data + first = WIRE_COPY_LEN, modulo a page. */
	if (len > first)
		first -= ((uintptr_t)(data + first) - WIRE_COPY_LEN) & COPY_PAGE_MASK;
	r = channel_announce(ch, 0);
	while (r >= 0 && off < len) {
		w.offset = off;
		w.meta_len = off ? 0 : (uint32_t)meta_len;
		piece = off ? ch->copy_piece : first;
		w.data_len = (uint32_t)(len - off < piece ? len - off : piece);
		iov[0] = (struct iovec){ hdr, wire_encode_copy(hdr, &w) };
		iov[1] = (struct iovec){ (void *)meta, w.meta_len };
		iov[2] = (struct iovec){ (void *)(data + off), w.data_len };
		r = send_piece(ch, iov);
		if (r < 0 && off > 0 && r != -EPIPE)
			channel_break(ch, r);
		off += w.data_len;
	}
	if (r < 0)
		return r;
	ch->stats.sent++;
	ch->stats.sent_bytes += len;
	return 0;
}

static int thp_mode(struct sshm_channel *ch)
{
	if (ch->thp < 0)
		ch->thp = (int)hugepage_shmem_mode();
	return ch->thp;
}

static size_t inline_threshold(const struct sshm_channel *ch)
{
	return ch->hello.inline_max < ch->inline_max ? ch->hello.inline_max
						     : ch->inline_max;
}

/* The path a payload of @len bytes takes to one consumer. */
enum path { PATH_INLINE, PATH_COPY, PATH_REGION };

static enum path choose(struct sshm_channel *ch, size_t len)
{
	/* An empty payload is always inline. */
	if (len <= inline_threshold(ch))
		return PATH_INLINE;
	/* A copy's pieces must go out back to back: on a non-blocking
	 * channel a full socket would stop one halfway. */
	if ((ch->flags & SSHM_CHANNEL_NONBLOCK) || !(ch->hello.features & WIRE_F_COPY) ||
	    len > COPY_MAX)
		return PATH_REGION;
	if (thp_mode(ch) != HUGEPAGE_SHMEM_NEVER && len >= REGION_MIN_THP)
		return PATH_REGION;
	return PATH_COPY;
}

/* One payload to one channel by @path; @region is made on demand (and
 * kept for the next channel of a fan-out). */
static int send_by(struct sshm_channel *ch, enum path path, const void *data, size_t len,
		   const void *meta, size_t meta_len, struct sshm_region **region)
{
	int r;

	if (path == PATH_INLINE) {
		r = check_peer_limits(ch, 0, meta_len);
		return r < 0 ? r : send_inline(ch, data, len, meta, meta_len);
	}
	r = check_peer_limits(ch, len, meta_len);
	if (r < 0)
		return r;
	if (path == PATH_COPY)
		return send_copy(ch, data, len, meta, meta_len);
	/* Room first: a full window on a non-blocking channel must not cost
	 * a region made for nothing. */
	r = channel_wait_room(ch, len);
	if (r >= 0 && !*region)
		r = region_of(data, len, thp_mode(ch), region);
	return r < 0 ? r : send_region(ch, *region, meta, meta_len);
}

SSHM_EXPORT int sshm_channel_send_bytes(struct sshm_channel *ch, const void *data,
					size_t len, const void *meta, size_t meta_len)
{
	struct sshm_region *region = NULL;
	int r;

	if (!ch || (!data && len) || check_args_meta(meta, meta_len) < 0)
		return -EINVAL;
	if (ch->broken)
		return -SSHM_EBROKEN;
	r = channel_wait_hello(ch);
	if (r >= 0)
		r = send_by(ch, choose(ch, len), data, len, meta, meta_len, &region);
	sshm_region_unref(region);
	return r;
}

SSHM_EXPORT int sshm_channels_send_bytes(struct sshm_channel *const *chs, unsigned int n,
					 const void *data, size_t len, const void *meta,
					 size_t meta_len, int *ret_errors)
{
	struct sshm_region *region = NULL;
	int r, first = 0, shared;
	unsigned int i;

	if (!chs || n == 0 || (!data && len) || check_args_meta(meta, meta_len) < 0)
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (!chs[i])
			return -EINVAL;
	/* One sealed region for all: filled once, every consumer maps the
	 * same pages; n copies cost n times the bytes. */
	shared = n > 1 && len >= FANOUT_MIN_THP &&
		 thp_mode(chs[0]) != HUGEPAGE_SHMEM_NEVER;
	for (i = 0; i < n; i++) {
		struct sshm_channel *ch = chs[i];

		r = ch->broken ? -SSHM_EBROKEN : channel_wait_hello(ch);
		if (r >= 0) {
			enum path path = choose(ch, len);

			if (shared && path == PATH_COPY)
				path = PATH_REGION;
			r = send_by(ch, path, data, len, meta, meta_len, &region);
		}
		if (ret_errors)
			ret_errors[i] = r < 0 ? r : 0;
		if (r < 0 && !first)
			first = r;
	}
	sshm_region_unref(region);
	return first;
}
