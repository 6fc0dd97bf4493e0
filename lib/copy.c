/* SPDX-License-Identifier: MIT */
/*
 * copy - payloads copied through the socket in pieces (COPY messages), as
 * the receiving side assembles them: the first piece says how large the
 * whole is, the next ones are read straight into place.  No I/O here.
 */
#include <stdlib.h>
#include <string.h>

#include "copy.h"
#include "private.h"

/*
 * How far into @buf the metadata goes, so that the payload is 64-byte
 * aligned and, when more pieces follow the first (@first bytes), the next
 * ones land 0 to 63 bytes behind where the kernel reads them from (it
 * holds each piece WIRE_COPY_LEN bytes into a page, after its header):
 * never just ahead, which would stall the copy (COPY_PAGE_MASK).
 */
static size_t place(const uint8_t *buf, uint32_t meta_len, size_t first, int more)
{
	uintptr_t want = 0; /* the payload's offset within a page */

	if (more)
		want = (WIRE_COPY_LEN - (uintptr_t)first) & COPY_PAGE_MASK &
		       ~(uintptr_t)63;
	return (size_t)((want - (uintptr_t)buf - meta_len) & COPY_PAGE_MASK);
}

int copy_begin(struct copy_in *c, const struct wire_msg *m, const struct ucred *cred)
{
	const struct wire_copy *w = &m->u.copy;

	if (w->offset != 0 || w->total > COPY_MAX)
		return -SSHM_EPROTO;
	/* A new buffer's pages are committed as the pieces arrive: a peer
	 * that announces much and sends little costs us what it sent.  The
	 * spare is memory held already. */
	c->buf = spare_take(COPY_PAGE_MASK + (size_t)w->meta_len + (size_t)w->total);
	if (!c->buf)
		return -ENOMEM;
	c->pad = place(c->buf, w->meta_len, w->data_len, w->data_len < w->total);
	c->meta_len = w->meta_len;
	c->total = w->total;
	if (w->meta_len)
		memcpy(c->buf + c->pad, m->meta, w->meta_len);
	memcpy(c->buf + c->pad + w->meta_len, m->data, w->data_len);
	c->got = w->data_len;
	c->cred = *cred;
	return c->got == c->total;
}

void copy_next_iov(struct copy_in *c, uint8_t *head, struct iovec iov[2])
{
	iov[0].iov_base = head;
	iov[0].iov_len = WIRE_COPY_LEN;
	iov[1].iov_base = c->buf + c->pad + c->meta_len + c->got;
	iov[1].iov_len = (size_t)(c->total - c->got);
}

int copy_piece(struct copy_in *c, const uint8_t *head, size_t len)
{
	struct wire_copy w;
	int r;

	r = wire_decode_copy_piece(head, len, &w);
	if (r < 0)
		return r;
	/* The next piece of the same payload, exactly where the last ended. */
	if (w.total != c->total || w.offset != c->got)
		return -SSHM_EPROTO;
	c->got += w.data_len;
	return c->got == c->total;
}

uint8_t *copy_take(struct copy_in *c, size_t *ret_pad)
{
	uint8_t *buf = c->buf;

	*ret_pad = c->pad;
	memset(c, 0, sizeof(*c));
	return buf;
}

void copy_reset(struct copy_in *c)
{
	spare_give(c->buf);
	memset(c, 0, sizeof(*c));
}
