/* SPDX-License-Identifier: MIT */
/*
 * wire - message header encode/decode.  Every multi-byte field is
 * little-endian and read byte by byte, so alignment and host order never
 * matter and a hostile buffer can only ever be rejected.
 */
#include "config.h"

#include <string.h>

#include "macro.h"
#include "sshm.h"
#include "wire.h"

static size_t put_common(uint8_t *buf, enum wire_type type)
{
	sshm_put_le32(buf, WIRE_MAGIC);
	buf[4] = WIRE_VERSION;
	buf[5] = (uint8_t)type;
	buf[6] = 0;
	buf[7] = 0;
	return WIRE_COMMON_LEN;
}

static int decode_hello(const uint8_t *p, size_t len, struct wire_msg *m)
{
	struct wire_hello *h = &m->u.hello;

	/* Longer HELLOs are allowed: later versions may append fields. */
	if (len < WIRE_HELLO_LEN)
		return -SSHM_EHEADER;
	h->window = sshm_get_le32(p + 8);
	h->inline_max = sshm_get_le32(p + 12);
	h->max_size = sshm_get_le64(p + 16);
	h->meta_max = sshm_get_le32(p + 24);
	if (h->window == 0 || sshm_get_le32(p + 28) != 0)
		return -SSHM_EHEADER;
	/* The extension is all or nothing: a HELLO cut inside it is no
	 * HELLO of any version. */
	if (len == WIRE_HELLO_LEN)
		return 0;
	if (len < WIRE_HELLO_EXT_LEN)
		return -SSHM_EHEADER;
	h->budget = sshm_get_le64(p + 32);
	h->features = sshm_get_le32(p + 40);
	h->extended = 1;
	return sshm_get_le32(p + 44) != 0 ? -SSHM_EHEADER : 0;
}

static int decode_region(const uint8_t *p, size_t len, struct wire_msg *m)
{
	struct wire_region *r = &m->u.region;

	if (len < WIRE_REGION_LEN)
		return -SSHM_EHEADER;
	r->id = sshm_get_le64(p + 8);
	r->size = sshm_get_le64(p + 16);
	r->announced_fd = (int32_t)sshm_get_le32(p + 24);
	r->meta_len = sshm_get_le32(p + 28);
	if (r->id == 0 || r->announced_fd < 0 || r->meta_len > WIRE_META_MAX ||
	    len != WIRE_REGION_LEN + (size_t)r->meta_len)
		return -SSHM_EHEADER;
	m->meta = r->meta_len ? p + WIRE_REGION_LEN : NULL;
	return 0;
}

static int decode_inline(const uint8_t *p, size_t len, struct wire_msg *m)
{
	struct wire_inline *in = &m->u.inl;

	if (len < WIRE_INLINE_LEN)
		return -SSHM_EHEADER;
	in->meta_len = sshm_get_le32(p + 8);
	in->data_len = sshm_get_le32(p + 12);
	/* Both bounded first, so the sum below cannot overflow. */
	if (in->meta_len > WIRE_META_MAX || in->data_len > WIRE_INLINE_MAX ||
	    len != WIRE_INLINE_LEN + (size_t)in->meta_len + in->data_len)
		return -SSHM_EHEADER;
	m->meta = in->meta_len ? p + WIRE_INLINE_LEN : NULL;
	m->data = p + WIRE_INLINE_LEN + in->meta_len;
	return 0;
}

static int decode_release(const uint8_t *p, size_t len, struct wire_msg *m)
{
	uint32_t count;

	if (len < WIRE_RELEASE_LEN)
		return -SSHM_EHEADER;
	count = sshm_get_le32(p + 8);
	if (count == 0 || count > WIRE_RELEASE_MAX || sshm_get_le32(p + 12) != 0 ||
	    len != WIRE_RELEASE_LEN + (size_t)count * 8)
		return -SSHM_EHEADER;
	m->u.release.count = count;
	m->ids = p + WIRE_RELEASE_LEN;
	return 0;
}

/* The COPY fields of the header at @p, for a packet of @len bytes. */
static int check_copy(const uint8_t *p, size_t len, struct wire_copy *c)
{
	if (len < WIRE_COPY_LEN)
		return -SSHM_EHEADER;
	c->total = sshm_get_le64(p + 8);
	c->offset = sshm_get_le64(p + 16);
	c->meta_len = sshm_get_le32(p + 24);
	c->data_len = sshm_get_le32(p + 28);
	/* Each bounded before the sums, which therefore cannot overflow:
	 * offset < total, and data_len fits what is left. */
	if (c->total == 0 || c->offset >= c->total || c->data_len == 0 ||
	    c->data_len > c->total - c->offset || c->meta_len > WIRE_META_MAX ||
	    (c->offset != 0 && c->meta_len != 0) ||
	    len - WIRE_COPY_LEN != (uint64_t)c->meta_len + c->data_len)
		return -SSHM_EHEADER;
	return 0;
}

static int decode_copy(const uint8_t *p, size_t len, struct wire_msg *m)
{
	struct wire_copy *c = &m->u.copy;
	int r = check_copy(p, len, c);

	if (r < 0)
		return r;
	m->meta = c->meta_len ? p + WIRE_COPY_LEN : NULL;
	m->data = p + WIRE_COPY_LEN + c->meta_len;
	return 0;
}

static int decode_sender(const uint8_t *p, size_t len, struct wire_msg *m)
{
	(void)m;
	if (len != WIRE_SENDER_LEN || sshm_get_le64(p + 8) != 0)
		return -SSHM_EHEADER;
	return 0;
}

static int decode_limits(const uint8_t *p, size_t len, struct wire_msg *m)
{
	if (len != WIRE_LIMITS_LEN || sshm_get_le32(p + 12) != 0)
		return -SSHM_EHEADER;
	m->u.limits.window = sshm_get_le32(p + 8);
	m->u.limits.budget = sshm_get_le64(p + 16);
	return m->u.limits.window == 0 ? -SSHM_EHEADER : 0;
}

int wire_decode(const void *buf, size_t len, struct wire_msg *ret)
{
	const uint8_t *p = buf;
	struct wire_msg m;
	int r;

	if (!buf || len < WIRE_COMMON_LEN || sshm_get_le32(p) != WIRE_MAGIC)
		return -SSHM_EHEADER;
	if (p[4] != WIRE_VERSION)
		return -SSHM_EVERSION;
	if (p[6] != 0 || p[7] != 0)
		return -SSHM_EHEADER;

	memset(&m, 0, sizeof(m));
	m.type = (enum wire_type)p[5];
	switch (p[5]) {
	case WIRE_HELLO:
		r = decode_hello(p, len, &m);
		break;
	case WIRE_REGION:
		r = decode_region(p, len, &m);
		break;
	case WIRE_INLINE:
		r = decode_inline(p, len, &m);
		break;
	case WIRE_RELEASE:
		r = decode_release(p, len, &m);
		break;
	case WIRE_COPY:
		r = decode_copy(p, len, &m);
		break;
	case WIRE_SENDER:
		r = decode_sender(p, len, &m);
		break;
	case WIRE_LIMITS:
		r = decode_limits(p, len, &m);
		break;
	default:
		r = -SSHM_EHEADER;
		break;
	}
	if (r < 0)
		return r;
	*ret = m;
	return 0;
}

int wire_decode_copy_piece(const void *head, size_t len, struct wire_copy *ret)
{
	const uint8_t *p = head;
	struct wire_copy c;
	int r;

	if (len < WIRE_COPY_LEN || sshm_get_le32(p) != WIRE_MAGIC)
		return -SSHM_EHEADER;
	if (p[4] != WIRE_VERSION)
		return -SSHM_EVERSION;
	if (p[5] != WIRE_COPY || p[6] != 0 || p[7] != 0)
		return -SSHM_EHEADER;
	r = check_copy(p, len, &c);
	if (r < 0 || c.meta_len != 0)
		return r < 0 ? r : -SSHM_EHEADER;
	*ret = c;
	return 0;
}

uint64_t wire_release_id(const struct wire_msg *msg, uint32_t i)
{
	return sshm_get_le64(msg->ids + (size_t)i * 8);
}

void wire_put_id(uint8_t *buf, uint64_t id)
{
	sshm_put_le64(buf, id);
}

size_t wire_encode_hello(uint8_t *buf, const struct wire_hello *h)
{
	put_common(buf, WIRE_HELLO);
	sshm_put_le32(buf + 8, h->window);
	sshm_put_le32(buf + 12, h->inline_max);
	sshm_put_le64(buf + 16, h->max_size);
	sshm_put_le32(buf + 24, h->meta_max);
	sshm_put_le32(buf + 28, 0);
	sshm_put_le64(buf + 32, h->budget);
	sshm_put_le32(buf + 40, h->features);
	sshm_put_le32(buf + 44, 0);
	return WIRE_HELLO_EXT_LEN;
}

size_t wire_encode_region(uint8_t *buf, const struct wire_region *r)
{
	put_common(buf, WIRE_REGION);
	sshm_put_le64(buf + 8, r->id);
	sshm_put_le64(buf + 16, r->size);
	sshm_put_le32(buf + 24, (uint32_t)r->announced_fd);
	sshm_put_le32(buf + 28, r->meta_len);
	return WIRE_REGION_LEN;
}

size_t wire_encode_inline(uint8_t *buf, const struct wire_inline *in)
{
	put_common(buf, WIRE_INLINE);
	sshm_put_le32(buf + 8, in->meta_len);
	sshm_put_le32(buf + 12, in->data_len);
	return WIRE_INLINE_LEN;
}

size_t wire_encode_release(uint8_t *buf, uint32_t count)
{
	put_common(buf, WIRE_RELEASE);
	sshm_put_le32(buf + 8, count);
	sshm_put_le32(buf + 12, 0);
	return WIRE_RELEASE_LEN;
}

size_t wire_encode_copy(uint8_t *buf, const struct wire_copy *c)
{
	put_common(buf, WIRE_COPY);
	sshm_put_le64(buf + 8, c->total);
	sshm_put_le64(buf + 16, c->offset);
	sshm_put_le32(buf + 24, c->meta_len);
	sshm_put_le32(buf + 28, c->data_len);
	return WIRE_COPY_LEN;
}

size_t wire_encode_sender(uint8_t *buf)
{
	put_common(buf, WIRE_SENDER);
	sshm_put_le64(buf + 8, 0);
	return WIRE_SENDER_LEN;
}

size_t wire_encode_limits(uint8_t *buf, const struct wire_limits *l)
{
	put_common(buf, WIRE_LIMITS);
	sshm_put_le32(buf + 8, l->window);
	sshm_put_le32(buf + 12, 0);
	sshm_put_le64(buf + 16, l->budget);
	return WIRE_LIMITS_LEN;
}
