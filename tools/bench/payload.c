/* SPDX-License-Identifier: MIT */
/*
 * payload - what travels: the producer writes every byte of every message
 * (a pattern derived from the message index) and a checksum of what it
 * wrote; every consumer reads every byte, sums it and compares, and checks
 * that the message is the one expected next.  A benchmark that does not
 * check what arrived proves nothing.
 */
#include <errno.h>
#include <string.h>

#include "bench.h"

static uint64_t mix(uint64_t sum, uint64_t xor)
{
	return sum ^ (xor << 29 | xor >> 35);
}

static uint64_t pattern(uint64_t index, uint64_t word)
{
	return index * GOLDEN + word;
}

/*
 * Writes message @index's pattern to @len bytes at @dst, whose first word is
 * word @first of the message, and returns the checksum of what it wrote.
 * The sum is accumulated from registers: the fill is the producer's one pass.
 */
uint64_t fill_sum(void *dst, size_t len, uint64_t index, uint64_t first)
{
	uint64_t *w = dst, v = pattern(index, first), s = 0, x = 0, t = 0;
	size_t n = len / 8, k;

	for (k = 0; k < n; k++, v++) {
		w[k] = v;
		s += v;
		x ^= v;
	}
	if (len % 8) {
		/* Summed as read back, so both sides agree on any endianness. */
		memcpy(w + n, &v, len % 8);
		memcpy(&t, w + n, len % 8);
		s += t;
		x ^= t;
	}
	return mix(s, x);
}

/* The consumer's checksum: reads every byte, two lanes to keep up with memory. */
static uint64_t sum_words(const void *src, size_t len)
{
	const uint64_t *w = src;
	uint64_t s0 = 0, s1 = 0, x0 = 0, x1 = 0, t = 0;
	size_t n = len / 8, k;

	for (k = 0; k + 2 <= n; k += 2) {
		s0 += w[k];
		x0 ^= w[k];
		s1 += w[k + 1];
		x1 ^= w[k + 1];
	}
	if (k < n) {
		s0 += w[k];
		x0 ^= w[k];
	}
	if (len % 8) {
		memcpy(&t, w + n, len % 8);
		s0 += t;
		x0 ^= t;
	}
	return mix(s0 + s1, x0 ^ x1);
}

/* Raw methods: word 0 is the checksum of the rest, word 1 names the message. */
void fill_raw(void *buf, uint64_t size, uint64_t index)
{
	uint64_t sum = fill_sum((char *)buf + 8, (size_t)size - 8, index, 1);

	memcpy(buf, &sum, 8);
}

int check_raw(struct outcome *out, const void *buf, uint64_t size, uint64_t index)
{
	uint64_t want, first;

	memcpy(&want, buf, 8);
	memcpy(&first, (const char *)buf + 8, 8);
	if (first != pattern(index, 1)) {
		fail(out, 0, 1,
		     "message %llu: another message's bytes "
		     "(lost, duplicated or reordered)",
		     (unsigned long long)index);
		return -EPROTO;
	}
	if (sum_words((const char *)buf + 8, (size_t)size - 8) != want) {
		fail(out, 0, 1, "message %llu: checksum mismatch",
		     (unsigned long long)index);
		return -EPROTO;
	}
	return 0;
}

/* Sealed methods: the whole payload is the pattern, @sum came beside it. */
int check_data(struct outcome *out, const void *data, uint64_t size, uint64_t index,
	       uint64_t sum)
{
	uint64_t first;

	memcpy(&first, data, 8);
	if (first != pattern(index, 0)) {
		fail(out, 0, 1,
		     "message %llu: another message's bytes "
		     "(lost, duplicated or reordered)",
		     (unsigned long long)index);
		return -EPROTO;
	}
	if (sum_words(data, (size_t)size) != sum) {
		fail(out, 0, 1, "message %llu: checksum mismatch",
		     (unsigned long long)index);
		return -EPROTO;
	}
	return 0;
}

/* Library methods: the index and the checksum travel in the meta. */
int check_view(struct outcome *out, const struct sshm_view *v, uint64_t size,
	       uint64_t index)
{
	const unsigned long long i = (unsigned long long)index;
	struct msg_meta m;
	const void *meta;
	size_t meta_len;

	meta = sshm_view_meta(v, &meta_len);
	if (sshm_view_size(v) != size || meta_len != sizeof(m)) {
		fail(out, 0, 1,
		     "message %llu: %llu bytes and %zu of meta, "
		     "expected %llu and %zu",
		     i, (unsigned long long)sshm_view_size(v), meta_len,
		     (unsigned long long)size, sizeof(m));
		return -EPROTO;
	}
	memcpy(&m, meta, sizeof(m));
	if (m.index != index) {
		fail(out, 0, 1,
		     "message %llu: another message's meta "
		     "(lost, duplicated or reordered)",
		     i);
		return -EPROTO;
	}
	return check_data(out, sshm_view_data(v), size, index, m.sum);
}
