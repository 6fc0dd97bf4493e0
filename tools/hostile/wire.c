/* SPDX-License-Identifier: MIT */
/*
 * wire - the sshm wire format of doc/protocol.md, written out by hand from
 * that page.  Not lib/wire.c: the attacker must be able to send what the
 * library's encoder never would, and must not share the consumer's idea
 * of the format when it tests it.  An encoder writes a well-formed packet;
 * the attacks then break what they want in it.
 */
#include <string.h>

#include "hostile.h"

/* Magic "SSHM", version 1, the type, two reserved zero bytes. */
static void common(uint8_t *b, uint8_t type)
{
	sshm_put_le32(b, PKT_MAGIC);
	b[4] = 1;
	b[5] = type;
	b[6] = 0;
	b[7] = 0;
}

/* The 48-byte form: the protocol limits, no max_size, no budget stated. */
size_t pkt_hello(uint8_t *b, uint32_t window, uint32_t features)
{
	common(b, PKT_HELLO);
	sshm_put_le32(b + 8, window);
	sshm_put_le32(b + 12, PKT_INLINE_MAX);
	sshm_put_le64(b + 16, 0);
	sshm_put_le32(b + 24, PKT_META_MAX);
	sshm_put_le32(b + 28, 0);
	sshm_put_le64(b + 32, 0);
	sshm_put_le32(b + 40, features);
	sshm_put_le32(b + 44, 0);
	return PKT_HELLO_EXT_LEN;
}

size_t pkt_region(uint8_t *b, uint64_t id, uint64_t size, int32_t announced,
		  const void *meta, uint32_t meta_len)
{
	common(b, PKT_REGION);
	sshm_put_le64(b + 8, id);
	sshm_put_le64(b + 16, size);
	sshm_put_le32(b + 24, (uint32_t)announced);
	sshm_put_le32(b + 28, meta_len);
	if (meta_len)
		memcpy(b + 32, meta, meta_len);
	return 32 + (size_t)meta_len;
}

size_t pkt_inline(uint8_t *b, const void *data, uint32_t len)
{
	common(b, PKT_INLINE);
	sshm_put_le32(b + 8, 0);
	sshm_put_le32(b + 12, len);
	if (len)
		memcpy(b + 16, data, len);
	return 16 + (size_t)len;
}

size_t pkt_release(uint8_t *b, const uint64_t *ids, uint32_t count)
{
	uint32_t i;

	common(b, PKT_RELEASE);
	sshm_put_le32(b + 8, count);
	sshm_put_le32(b + 12, 0);
	for (i = 0; i < count; i++)
		sshm_put_le64(b + 16 + 8 * (size_t)i, ids[i]);
	return 16 + 8 * (size_t)count;
}

/* One piece, without metadata. */
size_t pkt_copy(uint8_t *b, uint64_t total, uint64_t offset, const void *data,
		uint32_t len)
{
	common(b, PKT_COPY);
	sshm_put_le64(b + 8, total);
	sshm_put_le64(b + 16, offset);
	sshm_put_le32(b + 24, 0);
	sshm_put_le32(b + 28, len);
	if (len)
		memcpy(b + 32, data, len);
	return 32 + (size_t)len;
}

size_t pkt_sender(uint8_t *b)
{
	common(b, PKT_SENDER);
	sshm_put_le64(b + 8, 0);
	return 16;
}

static int is_type(const uint8_t *b, size_t len, uint8_t type)
{
	return len >= 8 && sshm_get_le32(b) == PKT_MAGIC && b[4] == 1 && b[5] == type;
}

int pkt_parse_hello(const uint8_t *b, size_t len, struct hello *ret)
{
	struct hello h;

	/* 33 to 47 bytes is malformed; past 48, later versions' fields. */
	if (!is_type(b, len, PKT_HELLO) || len < PKT_HELLO_LEN ||
	    (len > PKT_HELLO_LEN && len < PKT_HELLO_EXT_LEN))
		return -1;
	memset(&h, 0, sizeof(h));
	h.window = sshm_get_le32(b + 8);
	h.inline_max = sshm_get_le32(b + 12);
	h.max_size = sshm_get_le64(b + 16);
	h.meta_max = sshm_get_le32(b + 24);
	if (len >= PKT_HELLO_EXT_LEN) {
		h.budget = sshm_get_le64(b + 32);
		h.features = sshm_get_le32(b + 40);
	}
	h.len = len;
	if (h.window == 0)
		return -1;
	*ret = h;
	return 0;
}

uint32_t pkt_release_count(const uint8_t *b, size_t len)
{
	uint32_t count;

	if (!is_type(b, len, PKT_RELEASE) || len < 16)
		return 0;
	count = sshm_get_le32(b + 8);
	return len == 16 + 8 * (size_t)count ? count : 0;
}
