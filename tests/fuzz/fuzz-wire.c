/* SPDX-License-Identifier: MIT */
/*
 * fuzz-wire - libFuzzer target for the header decoder alone: any bytes
 * either decode into a message whose lengths add up exactly, or are
 * rejected with a header or version error.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>

#include "sshm.h"
#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wire_msg m;
	uint64_t sum = 0;
	uint32_t i;
	int r;

	r = wire_decode(data, size, &m);
	if (r < 0) {
		assert(r == -SSHM_EHEADER || r == -SSHM_EVERSION);
		return 0;
	}
	switch (m.type) {
	case WIRE_HELLO:
		assert(size == WIRE_HELLO_LEN || size >= WIRE_HELLO_EXT_LEN);
		assert(m.u.hello.window > 0);
		break;
	case WIRE_COPY:
		assert(size ==
		       WIRE_COPY_LEN + (size_t)m.u.copy.meta_len + m.u.copy.data_len);
		assert(m.u.copy.offset < m.u.copy.total);
		assert(m.u.copy.data_len > 0 &&
		       m.u.copy.data_len <= m.u.copy.total - m.u.copy.offset);
		sum += m.data[m.u.copy.data_len - 1];
		break;
	case WIRE_SENDER:
		assert(size == WIRE_SENDER_LEN);
		break;
	case WIRE_LIMITS:
		assert(size == WIRE_LIMITS_LEN && m.u.limits.window > 0);
		break;
	case WIRE_REGION:
		assert(size == WIRE_REGION_LEN + m.u.region.meta_len);
		assert(m.u.region.id != 0 && m.u.region.announced_fd >= 0);
		break;
	case WIRE_INLINE:
		assert(size == WIRE_INLINE_LEN + m.u.inl.meta_len + m.u.inl.data_len);
		/* Touch the payload: ASan catches a pointer outside the input. */
		if (m.u.inl.data_len)
			sum += m.data[m.u.inl.data_len - 1];
		break;
	case WIRE_RELEASE:
		assert(size == WIRE_RELEASE_LEN + (size_t)m.u.release.count * 8);
		for (i = 0; i < m.u.release.count; i++)
			sum += wire_release_id(&m, i);
		break;
	default:
		assert(!"decoded an unknown type");
	}
	(void)sum;
	return 0;
}
