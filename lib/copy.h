/* SPDX-License-Identifier: MIT */
#ifndef SSHM_COPY_H
#define SSHM_COPY_H

#include <stdint.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "spare.h"
#include "wire.h"

/* The largest payload this side accepts as COPY pieces (protocol.md). */
#define COPY_MAX ((uint64_t)1 << 30)

/*
 * Where pieces are placed: each is read or written by one kernel copy
 * whose speed depends on its source and destination offsets within a page
 * (a destination 1 to 63 bytes ahead of its source, modulo 4096, stalls
 * the copy: 4K aliasing).  Both sides place the pieces after the first so
 * that neither happens (see send_copy() and copy_begin()).
 */
#define COPY_PAGE_MASK ((uintptr_t)4095)

/*
 * A payload arriving in COPY pieces: the receiving side's assembly.  The
 * buffer holds the metadata, then the payload, so that a view can take it
 * as it is.  Pure state: the caller reads the packets.
 */
struct copy_in {
	uint8_t *buf; /* the allocation, or NULL when idle */
	size_t pad;   /* meta_len + total bytes from buf + pad */
	uint32_t meta_len;
	uint64_t total;
	uint64_t got;
	struct ucred cred; /* of the first piece */
};

/*
 * The first piece, decoded in @m (with its data at m->data): a buffer for
 * the whole payload, and this piece's bytes in it.  Returns 1 when that
 * was the whole payload, 0 when more pieces must follow, -SSHM_EPROTO for
 * a piece out of place (offset not 0) or a payload above COPY_MAX,
 * -ENOMEM.
 */
int copy_begin(struct copy_in *c, const struct wire_msg *m, const struct ucred *cred);

/* 1 while a payload is being assembled. */
static inline int copy_active(const struct copy_in *c)
{
	return c->buf != NULL;
}

/*
 * Where the next piece goes: @head (WIRE_COPY_LEN bytes) for its header,
 * then straight into place in the buffer.  Fills @iov[2].
 */
void copy_next_iov(struct copy_in *c, uint8_t *head, struct iovec iov[2]);

/*
 * A piece of @len bytes was read as copy_next_iov() said: checks its
 * header against what came before.  1 when the payload is complete, 0 when
 * more must follow, or -SSHM_EHEADER/-SSHM_EPROTO.
 */
int copy_piece(struct copy_in *c, const uint8_t *head, size_t len);

/*
 * Gives the complete buffer away (the caller frees it or gives it back
 * with spare_give()), and goes idle.  The metadata starts @ret_pad bytes
 * in, the payload after it, 64-byte aligned.
 */
uint8_t *copy_take(struct copy_in *c, size_t *ret_pad);

/* Drops what was assembled so far: its buffer goes back to the spare. */
void copy_reset(struct copy_in *c);

#endif
