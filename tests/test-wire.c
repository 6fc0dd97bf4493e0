/* SPDX-License-Identifier: MIT */
/*
 * test-wire - the message header codec (internal, pure functions).
 * Every message type round-trips; every malformed header is rejected with
 * -SSHM_EHEADER (or -SSHM_EVERSION) and leaves the output untouched; random
 * bytes never crash the decoder.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sshm.h"
#include "wire.h"
#include "testlib.h"

/* Large enough for every valid message plus slack for "one byte more". */
#define BUF_MAX (WIRE_PACKET_MAX + 64)

#define SENTINEL 0xa5

static uint8_t buf[BUF_MAX];

/* Pattern bytes for meta/data/trailers, so misplaced pointers show. */
static void fill_pattern(uint8_t *p, size_t len, uint8_t seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(seed + i * 7);
}

/*
 * Decodes @len bytes of @p expecting @want; checks that @ret was not touched
 * on failure (it is pre-filled with SENTINEL).
 */
static void expect_reject_at(const uint8_t *p, size_t len, int want, int line)
{
	struct wire_msg m, pristine;
	int r;

	memset(&m, SENTINEL, sizeof(m));
	memset(&pristine, SENTINEL, sizeof(pristine));
	r = wire_decode(p, len, &m);
	ck_assert_msg(r == want, "line %d: wire_decode(len %zu) = %d, want %d", line, len,
		      r, want);
	ck_assert_msg(memcmp(&m, &pristine, sizeof(m)) == 0,
		      "line %d: wire_decode wrote ret on failure (len %zu)", line, len);
}
#define expect_reject(p, len, want) expect_reject_at((p), (len), (want), __LINE__)

static void expect_ok_at(const uint8_t *p, size_t len, struct wire_msg *m, int line)
{
	int r;

	memset(m, SENTINEL, sizeof(*m));
	r = wire_decode(p, len, m);
	ck_assert_msg(r == 0, "line %d: wire_decode(len %zu) = %d, want 0", line, len, r);
}
#define expect_ok(p, len, m) expect_ok_at((p), (len), (m), __LINE__)

/* ------------------------------------------------------------ builders */

static size_t build_hello(uint8_t *p, uint32_t window)
{
	struct wire_hello h = {
		.window = window,
		.inline_max = 1000,
		.max_size = 1 << 20,
		.meta_max = 100,
	};

	return wire_encode_hello(p, &h);
}

static size_t build_region(uint8_t *p, uint64_t id, int32_t fd, uint32_t meta_len)
{
	struct wire_region r = {
		.id = id,
		.size = 4096,
		.announced_fd = fd,
		.meta_len = meta_len,
	};
	size_t n = wire_encode_region(p, &r);

	if (meta_len <= WIRE_META_MAX)
		fill_pattern(p + n, meta_len, 0x11);
	return n + (meta_len <= WIRE_META_MAX ? meta_len : 0);
}

static size_t build_inline(uint8_t *p, uint32_t meta_len, uint32_t data_len)
{
	struct wire_inline in = { .meta_len = meta_len, .data_len = data_len };
	size_t n = wire_encode_inline(p, &in);

	if (meta_len <= WIRE_META_MAX && data_len <= WIRE_INLINE_MAX) {
		fill_pattern(p + n, meta_len, 0x22);
		fill_pattern(p + n + meta_len, data_len, 0x33);
		n += (size_t)meta_len + data_len;
	}
	return n;
}

static size_t build_release(uint8_t *p, uint32_t count)
{
	size_t n = wire_encode_release(p, count);
	uint32_t i;

	if (count <= WIRE_RELEASE_MAX)
		for (i = 0; i < count; i++, n += 8)
			wire_put_id(p + n, 0x0102030405060708ull * (i + 1));
	return n;
}

/* ------------------------------------------------------------ round trips */

START_TEST(test_wire_layout_common)
{
	size_t n = build_hello(buf, 3);

	ck_assert_uint_eq(n, WIRE_HELLO_EXT_LEN);
	/* "SSHM" on the wire whatever the host order. */
	ck_assert_mem_eq(buf, "SSHM", 4);
	ck_assert_uint_eq(buf[4], WIRE_VERSION);
	ck_assert_uint_eq(buf[5], WIRE_HELLO);
	ck_assert_uint_eq(buf[6], 0);
	ck_assert_uint_eq(buf[7], 0);
	/* Little-endian fields. */
	ck_assert_uint_eq(buf[8], 3);
	ck_assert_uint_eq(buf[9], 0);
}
END_TEST

START_TEST(test_wire_roundtrip_hello)
{
	static const struct wire_hello cases[] = {
		{ .window = 1, .inline_max = 0, .max_size = 0, .meta_max = 0 },
		{ .window = SSHM_WINDOW_DEFAULT,
		  .inline_max = SSHM_INLINE_MAX,
		  .max_size = SSHM_DEFAULT_MAX_SIZE,
		  .meta_max = SSHM_META_MAX,
		  .budget = (uint64_t)64 << 20,
		  .features = WIRE_F_KNOWN },
		{ .window = 0xffffffffu,
		  .inline_max = 0xffffffffu,
		  .max_size = UINT64_MAX,
		  .meta_max = 0xffffffffu,
		  .budget = UINT64_MAX,
		  .features = 0xffffffffu },
		{ .window = 0x01020304u,
		  .inline_max = 0x05060708u,
		  .max_size = 0x1112131415161718ull,
		  .meta_max = 0x21222324u,
		  .budget = 0x3132333435363738ull,
		  .features = 0x41424344u },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct wire_msg m;
		/* Odd offset: the decoder must not care about alignment. */
		uint8_t *p = buf + 1;

		ck_assert_uint_eq(wire_encode_hello(p, &cases[i]), WIRE_HELLO_EXT_LEN);
		expect_ok(p, WIRE_HELLO_EXT_LEN, &m);
		ck_assert_int_eq(m.type, WIRE_HELLO);
		ck_assert_uint_eq(m.u.hello.window, cases[i].window);
		ck_assert_uint_eq(m.u.hello.inline_max, cases[i].inline_max);
		ck_assert_uint_eq(m.u.hello.max_size, cases[i].max_size);
		ck_assert_uint_eq(m.u.hello.meta_max, cases[i].meta_max);
		ck_assert_uint_eq(m.u.hello.budget, cases[i].budget);
		ck_assert_uint_eq(m.u.hello.features, cases[i].features);
		ck_assert_ptr_null(m.meta);
		ck_assert_ptr_null(m.data);
		ck_assert_ptr_null(m.ids);
	}
}
END_TEST

START_TEST(test_wire_roundtrip_hello_longer)
{
	struct wire_msg m;
	size_t n = build_hello(buf, 7), extra;

	/* A later version may append fields past the extension: ignored,
	 * not rejected. */
	for (extra = 1; extra <= 64; extra += 7) {
		fill_pattern(buf + n, extra, 0x44);
		expect_ok(buf, n + extra, &m);
		ck_assert_int_eq(m.type, WIRE_HELLO);
		ck_assert_uint_eq(m.u.hello.window, 7);
		ck_assert_uint_eq(m.u.hello.inline_max, 1000);
		ck_assert_uint_eq(m.u.hello.max_size, 1 << 20);
		ck_assert_uint_eq(m.u.hello.meta_max, 100);
	}
}
END_TEST

/* A version-1 HELLO of exactly 32 bytes: no budget, no features. */
START_TEST(test_wire_hello_v1)
{
	struct wire_msg m;
	size_t n = build_hello(buf, 9);

	ck_assert_uint_eq(n, WIRE_HELLO_EXT_LEN);
	expect_ok(buf, WIRE_HELLO_LEN, &m);
	ck_assert_uint_eq(m.u.hello.window, 9);
	ck_assert_uint_eq(m.u.hello.budget, 0);
	ck_assert_uint_eq(m.u.hello.features, 0);
}
END_TEST

/* Cut inside the extension, or with its reserved word set: malformed. */
START_TEST(test_wire_hello_ext_malformed)
{
	size_t n = build_hello(buf, 9), len;
	int byte;

	for (len = WIRE_HELLO_LEN + 1; len < WIRE_HELLO_EXT_LEN; len++)
		expect_reject(buf, len, -SSHM_EHEADER);
	for (byte = 44; byte < 48; byte++) {
		n = build_hello(buf, 9);
		buf[byte] = 1;
		expect_reject(buf, n, -SSHM_EHEADER);
	}
}
END_TEST

START_TEST(test_wire_roundtrip_region)
{
	static const struct wire_region cases[] = {
		{ .id = 1, .size = 1, .announced_fd = 0, .meta_len = 0 },
		{ .id = UINT64_MAX,
		  .size = UINT64_MAX,
		  .announced_fd = INT32_MAX,
		  .meta_len = 1 },
		{ .id = 0x0102030405060708ull,
		  .size = 0x1112131415161718ull,
		  .announced_fd = 0x21222324,
		  .meta_len = 100 },
		{ .id = 42, .size = 4096, .announced_fd = 3, .meta_len = WIRE_META_MAX },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct wire_msg m;
		uint8_t *p = buf + 3;
		size_t n = wire_encode_region(p, &cases[i]);

		ck_assert_uint_eq(n, WIRE_REGION_LEN);
		fill_pattern(p + n, cases[i].meta_len, (uint8_t)i);
		n += cases[i].meta_len;
		expect_ok(p, n, &m);
		ck_assert_int_eq(m.type, WIRE_REGION);
		ck_assert_uint_eq(m.u.region.id, cases[i].id);
		ck_assert_uint_eq(m.u.region.size, cases[i].size);
		ck_assert_int_eq(m.u.region.announced_fd, cases[i].announced_fd);
		ck_assert_uint_eq(m.u.region.meta_len, cases[i].meta_len);
		if (cases[i].meta_len) {
			ck_assert_ptr_eq(m.meta, p + WIRE_REGION_LEN);
		} else {
			ck_assert_ptr_null(m.meta);
		}
		ck_assert_ptr_null(m.data);
		ck_assert_ptr_null(m.ids);
	}
}
END_TEST

START_TEST(test_wire_roundtrip_inline)
{
	static const struct wire_inline cases[] = {
		{ .meta_len = 0, .data_len = 0 },
		{ .meta_len = 0, .data_len = 1 },
		{ .meta_len = 1, .data_len = 0 },
		{ .meta_len = 17, .data_len = 4099 },
		{ .meta_len = WIRE_META_MAX, .data_len = WIRE_INLINE_MAX },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct wire_msg m;
		uint8_t *p = buf + 5;
		size_t n = wire_encode_inline(p, &cases[i]);

		ck_assert_uint_eq(n, WIRE_INLINE_LEN);
		fill_pattern(p + n, (size_t)cases[i].meta_len + cases[i].data_len,
			     (uint8_t)i);
		n += (size_t)cases[i].meta_len + cases[i].data_len;
		expect_ok(p, n, &m);
		ck_assert_int_eq(m.type, WIRE_INLINE);
		ck_assert_uint_eq(m.u.inl.meta_len, cases[i].meta_len);
		ck_assert_uint_eq(m.u.inl.data_len, cases[i].data_len);
		if (cases[i].meta_len) {
			ck_assert_ptr_eq(m.meta, p + WIRE_INLINE_LEN);
		} else {
			ck_assert_ptr_null(m.meta);
		}
		if (cases[i].data_len) {
			ck_assert_ptr_eq(m.data, p + WIRE_INLINE_LEN + cases[i].meta_len);
		} else if (m.data) {
			/* wire.h says NULL; at least it must not point past the packet.
			 */
			ck_assert_ptr_eq(m.data, p + n);
		}
		ck_assert_ptr_null(m.ids);
	}
}
END_TEST

START_TEST(test_wire_roundtrip_release)
{
	static const uint32_t counts[] = { 1, 2, 3, 64, WIRE_RELEASE_MAX };
	size_t i;

	for (i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		struct wire_msg m;
		uint8_t *p = buf + 7;
		size_t n = build_release(p, counts[i]);
		uint32_t k;

		ck_assert_uint_eq(n, WIRE_RELEASE_LEN + (size_t)counts[i] * 8);
		expect_ok(p, n, &m);
		ck_assert_int_eq(m.type, WIRE_RELEASE);
		ck_assert_uint_eq(m.u.release.count, counts[i]);
		ck_assert_ptr_eq(m.ids, p + WIRE_RELEASE_LEN);
		for (k = 0; k < counts[i]; k++)
			ck_assert_uint_eq(wire_release_id(&m, k),
					  0x0102030405060708ull * (k + 1));
		ck_assert_ptr_null(m.meta);
		ck_assert_ptr_null(m.data);
	}
}
END_TEST

START_TEST(test_wire_roundtrip_release_id_extremes)
{
	static const uint64_t ids[] = { 1, UINT64_MAX, 0x8000000000000000ull, 0xff };
	struct wire_msg m;
	size_t n = wire_encode_release(buf, 4), k;

	for (k = 0; k < 4; k++, n += 8)
		wire_put_id(buf + n, ids[k]);
	/* Little-endian on the wire. */
	ck_assert_uint_eq(buf[WIRE_RELEASE_LEN + 24], 0xff);
	ck_assert_uint_eq(buf[WIRE_RELEASE_LEN + 25], 0);
	expect_ok(buf, n, &m);
	for (k = 0; k < 4; k++)
		ck_assert_uint_eq(wire_release_id(&m, (uint32_t)k), ids[k]);
}
END_TEST

/* ------------------------------------------------------------ common header */

START_TEST(test_wire_reject_null)
{
	expect_reject(NULL, 0, -SSHM_EHEADER);
	expect_reject(NULL, WIRE_HELLO_LEN, -SSHM_EHEADER);
}
END_TEST

/* Every length below the smallest valid message of each type. */
START_TEST(test_wire_reject_short)
{
	static const size_t min[] = {
		WIRE_HELLO_EXT_LEN,
		WIRE_REGION_LEN,
		WIRE_INLINE_LEN,
		WIRE_RELEASE_LEN + 8,
	};
	struct wire_msg m;
	size_t i, n, len;

	memset(buf, 0, sizeof(buf));
	for (i = 0; i < 4; i++) {
		switch (i) {
		case 0:
			n = build_hello(buf, 1);
			break;
		case 1:
			n = build_region(buf, 1, 0, 0);
			break;
		case 2:
			n = build_inline(buf, 0, 0);
			break;
		default:
			n = build_release(buf, 1);
			break;
		}
		ck_assert_uint_eq(n, min[i]);
		for (len = 0; len < n; len++)
			/* A HELLO cut at 32 bytes is the version-1 one
			 * (test_wire_hello_v1); anything else is short. */
			if (i != 0 || len != WIRE_HELLO_LEN)
				expect_reject(buf, len, -SSHM_EHEADER);
		/* The full one is fine: only the length made the difference. */
		expect_ok(buf, n, &m);
	}
}
END_TEST

START_TEST(test_wire_reject_magic)
{
	size_t n = build_hello(buf, 1);
	int byte, bit;

	/* Every single-bit error in the magic. */
	for (byte = 0; byte < 4; byte++)
		for (bit = 0; bit < 8; bit++) {
			buf[byte] ^= (uint8_t)(1u << bit);
			expect_reject(buf, n, -SSHM_EHEADER);
			buf[byte] ^= (uint8_t)(1u << bit);
		}
	/* Host-order magic on a little-endian host is still wrong if swapped. */
	sshm_put_le32(buf, 0x5353484du);
	expect_reject(buf, n, -SSHM_EHEADER);
	memset(buf, 0, 4);
	expect_reject(buf, n, -SSHM_EHEADER);
}
END_TEST

START_TEST(test_wire_reject_version)
{
	static const uint8_t versions[] = { 0, 2, 3, 0x81, 255 };
	size_t i;

	for (i = 0; i < sizeof(versions); i++) {
		size_t n = build_region(buf, 1, 0, 0);

		buf[4] = versions[i];
		expect_reject(buf, n, -SSHM_EVERSION);
		n = build_hello(buf, 1);
		buf[4] = versions[i];
		expect_reject(buf, n, -SSHM_EVERSION);
		/* Short, but with the whole common header: still a version error. */
		expect_reject(buf, WIRE_COMMON_LEN, -SSHM_EVERSION);
	}
}
END_TEST

START_TEST(test_wire_reject_type)
{
	unsigned int type;

	for (type = 0; type < 256; type++) {
		size_t n;

		if (type >= WIRE_HELLO && type <= WIRE_LIMITS)
			continue;
		memset(buf, 0, 64);
		n = build_hello(buf, 1);
		buf[5] = (uint8_t)type;
		expect_reject(buf, n, -SSHM_EHEADER);
		expect_reject(buf, 64, -SSHM_EHEADER);
		expect_reject(buf, WIRE_COMMON_LEN, -SSHM_EHEADER);
	}
}
END_TEST

START_TEST(test_wire_reject_type_named)
{
	/* The three the protocol document calls out. */
	static const uint8_t types[] = { 0, 8, 255 };
	size_t i;

	for (i = 0; i < sizeof(types); i++) {
		size_t n = build_region(buf, 1, 0, 0);

		buf[5] = types[i];
		expect_reject(buf, n, -SSHM_EHEADER);
	}
}
END_TEST

START_TEST(test_wire_reject_reserved_common)
{
	int type, byte;

	for (type = WIRE_HELLO; type <= WIRE_RELEASE; type++)
		for (byte = 6; byte <= 7; byte++) {
			size_t n;

			switch (type) {
			case WIRE_HELLO:
				n = build_hello(buf, 1);
				break;
			case WIRE_REGION:
				n = build_region(buf, 1, 0, 0);
				break;
			case WIRE_INLINE:
				n = build_inline(buf, 0, 0);
				break;
			default:
				n = build_release(buf, 1);
				break;
			}
			buf[byte] = 1;
			expect_reject(buf, n, -SSHM_EHEADER);
			buf[byte] = 0x80;
			expect_reject(buf, n, -SSHM_EHEADER);
		}
}
END_TEST

/* ------------------------------------------------------------ HELLO */

START_TEST(test_wire_hello_window_zero)
{
	size_t n = build_hello(buf, 0);

	expect_reject(buf, n, -SSHM_EHEADER);
	/* Also when longer. */
	fill_pattern(buf + n, 16, 0);
	expect_reject(buf, n + 16, -SSHM_EHEADER);
}
END_TEST

START_TEST(test_wire_hello_reserved)
{
	int byte;

	for (byte = 28; byte < 32; byte++) {
		size_t n = build_hello(buf, 1);

		buf[byte] = 1;
		expect_reject(buf, n, -SSHM_EHEADER);
		expect_reject(buf, n + 8, -SSHM_EHEADER);
	}
}
END_TEST

/* ------------------------------------------------------------ COPY, SENDER */

static size_t build_copy(uint8_t *p, uint64_t total, uint64_t offset, uint32_t meta_len,
			 uint32_t data_len)
{
	const struct wire_copy c = {
		.total = total,
		.offset = offset,
		.meta_len = meta_len,
		.data_len = data_len,
	};
	size_t n = wire_encode_copy(p, &c);

	fill_pattern(p + n, (size_t)meta_len + data_len, 0x55);
	return n + meta_len + data_len;
}

START_TEST(test_wire_roundtrip_copy)
{
	struct wire_msg m;
	size_t n;

	n = build_copy(buf, 1 << 20, 0, 5, 1000);
	expect_ok(buf, n, &m);
	ck_assert_int_eq(m.type, WIRE_COPY);
	ck_assert_uint_eq(m.u.copy.total, 1 << 20);
	ck_assert_uint_eq(m.u.copy.offset, 0);
	ck_assert_uint_eq(m.u.copy.meta_len, 5);
	ck_assert_uint_eq(m.u.copy.data_len, 1000);
	ck_assert_ptr_eq(m.meta, buf + WIRE_COPY_LEN);
	ck_assert_ptr_eq(m.data, buf + WIRE_COPY_LEN + 5);
	/* The last piece, exactly to the end. */
	n = build_copy(buf, 1 << 20, (1 << 20) - 1000, 0, 1000);
	expect_ok(buf, n, &m);
	ck_assert_ptr_null(m.meta);
	ck_assert_uint_eq(m.u.copy.offset, (1 << 20) - 1000);
	/* Offsets near the top of the range must not wrap. */
	n = build_copy(buf, UINT64_MAX, UINT64_MAX - 10, 0, 10);
	expect_ok(buf, n, &m);
}
END_TEST

START_TEST(test_wire_copy_malformed)
{
	size_t n;

	n = build_copy(buf, 0, 0, 0, 1); /* total 0 */
	expect_reject(buf, n, -SSHM_EHEADER);
	n = build_copy(buf, 100, 100, 0, 1); /* offset at the end */
	expect_reject(buf, n, -SSHM_EHEADER);
	n = build_copy(buf, 100, 90, 0, 11); /* past the end */
	expect_reject(buf, n, -SSHM_EHEADER);
	n = build_copy(buf, UINT64_MAX, UINT64_MAX - 10, 0, 11); /* wraps */
	expect_reject(buf, n, -SSHM_EHEADER);
	n = build_copy(buf, 100, 0, 0, 0); /* empty piece */
	expect_reject(buf, n, -SSHM_EHEADER);
	n = build_copy(buf, 100, 10, 3, 10); /* meta after the first piece */
	expect_reject(buf, n, -SSHM_EHEADER);
	n = build_copy(buf, 100, 0, 0, 10);
	expect_reject(buf, n - 1, -SSHM_EHEADER); /* short */
	expect_reject(buf, n + 1, -SSHM_EHEADER); /* long */
	n = build_copy(buf, 100, 0, 0, 10);
	sshm_put_le32(buf + 24, WIRE_META_MAX + 1);
	expect_reject(buf, n, -SSHM_EHEADER);
	/* A length mismatch that the sum of 32-bit lengths would hide. */
	n = build_copy(buf, 100, 0, 0, 10);
	sshm_put_le32(buf + 24, 0xffffffffu);
	sshm_put_le32(buf + 28, 11);
	expect_reject(buf, n, -SSHM_EHEADER);
}
END_TEST

START_TEST(test_wire_sender)
{
	struct wire_msg m;
	size_t n = wire_encode_sender(buf);

	ck_assert_uint_eq(n, WIRE_SENDER_LEN);
	expect_ok(buf, n, &m);
	ck_assert_int_eq(m.type, WIRE_SENDER);
	expect_reject(buf, n - 1, -SSHM_EHEADER);
	expect_reject(buf, n + 1, -SSHM_EHEADER);
	buf[12] = 1;
	expect_reject(buf, n, -SSHM_EHEADER);
}
END_TEST

START_TEST(test_wire_limits)
{
	const struct wire_limits l = { .window = 4096, .budget = (uint64_t)1 << 40 };
	struct wire_msg m;
	size_t n = wire_encode_limits(buf, &l);

	ck_assert_uint_eq(n, WIRE_LIMITS_LEN);
	expect_ok(buf, n, &m);
	ck_assert_int_eq(m.type, WIRE_LIMITS);
	ck_assert_uint_eq(m.u.limits.window, 4096);
	ck_assert_uint_eq(m.u.limits.budget, (uint64_t)1 << 40);
	expect_reject(buf, n - 1, -SSHM_EHEADER);
	expect_reject(buf, n + 1, -SSHM_EHEADER);
	buf[12] = 1; /* reserved */
	expect_reject(buf, n, -SSHM_EHEADER);
	n = wire_encode_limits(buf, &(struct wire_limits){ .window = 0, .budget = 1 });
	expect_reject(buf, n, -SSHM_EHEADER);
}
END_TEST

/* ------------------------------------------------------------ REGION */

START_TEST(test_wire_region_id_zero)
{
	size_t n = build_region(buf, 0, 3, 0);

	expect_reject(buf, n, -SSHM_EHEADER);
	n = build_region(buf, 0, 3, 10);
	expect_reject(buf, n, -SSHM_EHEADER);
}
END_TEST

START_TEST(test_wire_region_negative_fd)
{
	static const int32_t fds[] = { -1, -2, INT32_MIN, INT32_MIN + 1 };
	size_t i;

	for (i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		size_t n = build_region(buf, 1, fds[i], 0);

		expect_reject(buf, n, -SSHM_EHEADER);
	}
}
END_TEST

START_TEST(test_wire_region_meta_too_long)
{
	static const uint32_t lens[] = {
		WIRE_META_MAX + 1, WIRE_META_MAX + 8, 0x10000,	   0x7fffffff,
		0x80000000u,	   0xffffffe0u,	      0xffffffffu,
	};
	size_t i;

	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		struct wire_region r = {
			.id = 1, .size = 1, .announced_fd = 0, .meta_len = lens[i]
		};
		size_t n = wire_encode_region(buf, &r);

		/* A buffer that really is that long, where that fits. */
		if (lens[i] <= BUF_MAX - WIRE_REGION_LEN)
			expect_reject(buf, n + lens[i], -SSHM_EHEADER);
		expect_reject(buf, n, -SSHM_EHEADER);
		expect_reject(buf, BUF_MAX, -SSHM_EHEADER);
		/* The length a 32-bit sum would wrap to. */
		if ((uint32_t)(WIRE_REGION_LEN + lens[i]) <= BUF_MAX)
			expect_reject(buf, (uint32_t)(WIRE_REGION_LEN + lens[i]),
				      -SSHM_EHEADER);
	}
}
END_TEST

START_TEST(test_wire_region_length_mismatch)
{
	static const uint32_t metas[] = { 0, 1, 10, WIRE_META_MAX };
	size_t i;

	for (i = 0; i < sizeof(metas) / sizeof(metas[0]); i++) {
		size_t n = build_region(buf, 9, 4, metas[i]);
		struct wire_msg m;

		expect_ok(buf, n, &m);
		expect_reject(buf, n + 1, -SSHM_EHEADER);
		expect_reject(buf, n - 1, -SSHM_EHEADER);
		expect_reject(buf, n + 8, -SSHM_EHEADER);
	}
}
END_TEST

/* ------------------------------------------------------------ INLINE */

START_TEST(test_wire_inline_meta_too_long)
{
	size_t n;

	n = build_inline(buf, WIRE_META_MAX + 1, 0);
	expect_reject(buf, n + WIRE_META_MAX + 1, -SSHM_EHEADER);
	n = build_inline(buf, WIRE_META_MAX + 1, 10);
	expect_reject(buf, n + WIRE_META_MAX + 1 + 10, -SSHM_EHEADER);
	n = build_inline(buf, 0xffffffffu, 0);
	expect_reject(buf, n, -SSHM_EHEADER);
	expect_reject(buf, BUF_MAX, -SSHM_EHEADER);
}
END_TEST

START_TEST(test_wire_inline_data_too_long)
{
	struct wire_msg m;
	size_t n;

	n = build_inline(buf, 0, WIRE_INLINE_MAX);
	expect_ok(buf, n, &m);
	n = build_inline(buf, 0, WIRE_INLINE_MAX + 1);
	expect_reject(buf, n + WIRE_INLINE_MAX + 1, -SSHM_EHEADER);
	n = build_inline(buf, 5, WIRE_INLINE_MAX + 1);
	expect_reject(buf, n + 5 + WIRE_INLINE_MAX + 1, -SSHM_EHEADER);
	n = build_inline(buf, 0, 0x80000000u);
	expect_reject(buf, BUF_MAX, -SSHM_EHEADER);
}
END_TEST

START_TEST(test_wire_inline_length_mismatch)
{
	static const uint32_t lens[][2] = {
		{ 0, 0 },
		{ 0, 1 },
		{ 1, 0 },
		{ 10, 20 },
		{ WIRE_META_MAX, WIRE_INLINE_MAX },
	};
	size_t i;

	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		size_t n = build_inline(buf, lens[i][0], lens[i][1]);
		struct wire_msg m;

		expect_ok(buf, n, &m);
		expect_reject(buf, n + 1, -SSHM_EHEADER);
		expect_reject(buf, n - 1, -SSHM_EHEADER);
	}
}
END_TEST

/*
 * meta_len + data_len chosen so that 16 + meta_len + data_len, computed in
 * 32 bits, wraps around to exactly the buffer length.
 */
START_TEST(test_wire_inline_sum_overflow)
{
	static const struct {
		uint32_t meta, data;
		size_t len;
	} cases[] = {
		{ 0xffffffffu, 0x11, 32 }, /* 16 + 2^32 + 16 -> 32 */
		{ 0x11, 0xffffffffu, 32 },
		{ 0x10, 0xfffffff0u, 16 }, /* 16 + 2^32 -> 16 */
		{ 0xfffffff0u, 0x10, 16 },
		{ 0xffffffffu, 0xffffffffu, 16 },
		{ 0xffffffffu, 0xffffffffu, 14 }, /* 16 + 2^33 - 2 -> 14 */
		{ 0x80000000u, 0x80000000u, 16 }, /* 16 + 2^32 -> 16 */
		{ 0x7ffffff8u, 0x80000000u, 8 },
		{ 0, 0xfffffff0u, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = cases[i].len < WIRE_INLINE_LEN ? WIRE_INLINE_LEN
							    : cases[i].len;

		build_inline(buf, cases[i].meta, cases[i].data);
		fill_pattern(buf + WIRE_INLINE_LEN, 64, 0x55);
		expect_reject(buf, len, -SSHM_EHEADER);
		expect_reject(buf, BUF_MAX, -SSHM_EHEADER);
	}
}
END_TEST

/* ------------------------------------------------------------ RELEASE */

START_TEST(test_wire_release_count_zero)
{
	size_t n = wire_encode_release(buf, 0);

	expect_reject(buf, n, -SSHM_EHEADER);
	expect_reject(buf, n + 8, -SSHM_EHEADER);
}
END_TEST

START_TEST(test_wire_release_count_too_big)
{
	static const uint32_t counts[] = {
		WIRE_RELEASE_MAX + 1, 0x10000,	  0x1fffffff,  0x20000000,
		0x20000001,	      0x7fffffff, 0xffffffffu,
	};
	size_t i;

	for (i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		size_t n = wire_encode_release(buf, counts[i]);
		size_t want = WIRE_RELEASE_LEN + (size_t)counts[i] * 8;

		memset(buf + n, 0x01, BUF_MAX - n);
		if (want <= BUF_MAX)
			expect_reject(buf, want, -SSHM_EHEADER);
		/* 16 + 8 * count wrapped to 32 bits. */
		if ((uint32_t)want <= BUF_MAX)
			expect_reject(buf, (uint32_t)want, -SSHM_EHEADER);
		expect_reject(buf, n, -SSHM_EHEADER);
		expect_reject(buf, BUF_MAX, -SSHM_EHEADER);
	}
}
END_TEST

START_TEST(test_wire_release_length_mismatch)
{
	static const uint32_t counts[] = { 1, 2, 5, WIRE_RELEASE_MAX };
	size_t i;

	for (i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		size_t n = build_release(buf, counts[i]);
		struct wire_msg m;

		expect_ok(buf, n, &m);
		expect_reject(buf, n + 1, -SSHM_EHEADER);
		expect_reject(buf, n - 1, -SSHM_EHEADER);
		expect_reject(buf, n + 8, -SSHM_EHEADER);
		expect_reject(buf, n - 8, -SSHM_EHEADER);
		expect_reject(buf, n + 4, -SSHM_EHEADER);
	}
}
END_TEST

START_TEST(test_wire_release_reserved)
{
	int byte;

	for (byte = 12; byte < 16; byte++) {
		size_t n = build_release(buf, 1);

		buf[byte] = 0x40;
		expect_reject(buf, n, -SSHM_EHEADER);
	}
}
END_TEST

/* ------------------------------------------------------------ random bytes */

/* A decoded message must describe exactly the bytes it came from. */
static void check_consistent(const uint8_t *p, size_t len, const struct wire_msg *m)
{
	const uint8_t *end = p + len;

	switch (m->type) {
	case WIRE_HELLO:
		ck_assert(len == WIRE_HELLO_LEN || len >= WIRE_HELLO_EXT_LEN);
		ck_assert_uint_ne(m->u.hello.window, 0);
		break;
	case WIRE_COPY:
		ck_assert_uint_gt(m->u.copy.total, m->u.copy.offset);
		ck_assert_uint_ge(m->u.copy.data_len, 1);
		ck_assert_uint_le(m->u.copy.data_len, m->u.copy.total - m->u.copy.offset);
		ck_assert_uint_eq(len, WIRE_COPY_LEN + (size_t)m->u.copy.meta_len +
					   m->u.copy.data_len);
		ck_assert_ptr_eq(m->data, p + WIRE_COPY_LEN + m->u.copy.meta_len);
		ck_assert(m->data + m->u.copy.data_len <= end);
		break;
	case WIRE_SENDER:
		ck_assert_uint_eq(len, WIRE_SENDER_LEN);
		break;
	case WIRE_LIMITS:
		ck_assert_uint_eq(len, WIRE_LIMITS_LEN);
		ck_assert_uint_ne(m->u.limits.window, 0);
		break;
	case WIRE_REGION:
		ck_assert_uint_eq(len, WIRE_REGION_LEN + (size_t)m->u.region.meta_len);
		ck_assert_uint_le(m->u.region.meta_len, WIRE_META_MAX);
		ck_assert_uint_ne(m->u.region.id, 0);
		ck_assert_int_ge(m->u.region.announced_fd, 0);
		if (m->u.region.meta_len) {
			ck_assert_ptr_eq(m->meta, p + WIRE_REGION_LEN);
		} else {
			ck_assert_ptr_null(m->meta);
		}
		break;
	case WIRE_INLINE:
		ck_assert_uint_le(m->u.inl.meta_len, WIRE_META_MAX);
		ck_assert_uint_le(m->u.inl.data_len, WIRE_INLINE_MAX);
		ck_assert_uint_eq(len, WIRE_INLINE_LEN + (size_t)m->u.inl.meta_len +
					   m->u.inl.data_len);
		if (m->u.inl.meta_len)
			ck_assert_ptr_eq(m->meta, p + WIRE_INLINE_LEN);
		if (m->u.inl.data_len) {
			ck_assert_ptr_eq(m->data,
					 p + WIRE_INLINE_LEN + m->u.inl.meta_len);
			ck_assert(m->data + m->u.inl.data_len <= end);
		}
		break;
	case WIRE_RELEASE:
		ck_assert_uint_ge(m->u.release.count, 1);
		ck_assert_uint_le(m->u.release.count, WIRE_RELEASE_MAX);
		ck_assert_uint_eq(len, WIRE_RELEASE_LEN + (size_t)m->u.release.count * 8);
		ck_assert_ptr_eq(m->ids, p + WIRE_RELEASE_LEN);
		ck_assert(m->ids + (size_t)m->u.release.count * 8 <= end);
		break;
	default:
		ck_abort_msg("decoded unknown type %d", (int)m->type);
	}
}

START_TEST(test_wire_random_bytes)
{
	struct wire_msg m, pristine;
	unsigned long ok[WIRE_LIMITS + 1] = { 0 }, rejected = 0;
	uint8_t *p;
	int i;

	/*
	 * Exactly-sized heap buffers, so a read past the end shows under
	 * valgrind and ASan.
	 */
	test_rng_seed(0x5353484d00000001ull);
	memset(&pristine, SENTINEL, sizeof(pristine));
	for (i = 0; i < 100000; i++) {
		size_t len = (size_t)(test_rng() % 201), k;
		uint64_t mode = test_rng();
		int r;

		p = malloc(len ? len : 1);
		ck_assert_ptr_nonnull(p);
		for (k = 0; k < len; k++)
			p[k] = (uint8_t)test_rng();
		if ((mode & 1) && len >= 5) {
			/* Half the time: valid magic and version ... */
			sshm_put_le32(p, WIRE_MAGIC);
			p[4] = WIRE_VERSION;
			/* ... mostly a known type, zero reserved bytes ... */
			if ((mode & 6) && len >= WIRE_COMMON_LEN) {
				p[5] = (uint8_t)(1 + (mode >> 8) % 8);
				p[6] = p[7] = 0;
			}
			/* ... and often lengths that add up. */
			if ((mode & 0x30) && len >= WIRE_RELEASE_LEN) {
				switch (p[5]) {
				case WIRE_REGION:
					if (len >= WIRE_REGION_LEN)
						sshm_put_le32(
						    p + 28,
						    (uint32_t)(len - WIRE_REGION_LEN));
					break;
				case WIRE_INLINE: {
					uint32_t meta = (uint32_t)((mode >> 16) %
								   (len -
								    WIRE_INLINE_LEN + 1));

					sshm_put_le32(p + 8, meta);
					sshm_put_le32(
					    p + 12,
					    (uint32_t)(len - WIRE_INLINE_LEN - meta));
					break;
				}
				case WIRE_RELEASE:
					sshm_put_le32(
					    p + 8,
					    (uint32_t)((len - WIRE_RELEASE_LEN) / 8));
					sshm_put_le32(p + 12, 0);
					break;
				case WIRE_HELLO:
					if (len >= WIRE_HELLO_LEN)
						sshm_put_le32(p + 28, 0);
					if (len >= WIRE_HELLO_EXT_LEN)
						sshm_put_le32(p + 44, 0);
					break;
				case WIRE_COPY:
					if (len > WIRE_COPY_LEN) {
						uint64_t total = 1 +
								 (mode >> 24) % 100000;
						uint32_t d = (uint32_t)(len -
									WIRE_COPY_LEN);

						sshm_put_le64(p + 8, total + d);
						sshm_put_le64(p + 16,
							      (mode >> 40) % (total + 1));
						sshm_put_le32(p + 24, 0);
						sshm_put_le32(p + 28, d);
					}
					break;
				case WIRE_SENDER:
					memset(p + WIRE_COMMON_LEN, 0,
					       len - WIRE_COMMON_LEN);
					break;
				default:
					break;
				}
			}
		}
		memset(&m, SENTINEL, sizeof(m));
		r = wire_decode(p, len, &m);
		if (r == 0) {
			check_consistent(p, len, &m);
			ok[m.type]++;
		} else {
			ck_assert_msg(r == -SSHM_EHEADER || r == -SSHM_EVERSION,
				      "buffer %d: wire_decode = %d", i, r);
			ck_assert_msg(memcmp(&m, &pristine, sizeof(m)) == 0,
				      "buffer %d: ret written on failure", i);
			rejected++;
		}
		free(p);
	}
	/* The generator really reached every decoder, not just the magic check. */
	for (i = WIRE_HELLO; i <= WIRE_COPY; i++)
		ck_assert_msg(ok[i] > 0, "no random buffer decoded as type %d", i);
	ck_assert_uint_gt(rejected, 0);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("wire");
	TCase *tc;

	tc = test_tcase("roundtrip");
	tcase_add_test(tc, test_wire_layout_common);
	tcase_add_test(tc, test_wire_roundtrip_hello);
	tcase_add_test(tc, test_wire_roundtrip_hello_longer);
	tcase_add_test(tc, test_wire_roundtrip_region);
	tcase_add_test(tc, test_wire_roundtrip_inline);
	tcase_add_test(tc, test_wire_roundtrip_release);
	tcase_add_test(tc, test_wire_roundtrip_release_id_extremes);
	suite_add_tcase(s, tc);

	tc = test_tcase("common");
	tcase_add_test(tc, test_wire_reject_null);
	tcase_add_test(tc, test_wire_reject_short);
	tcase_add_test(tc, test_wire_reject_magic);
	tcase_add_test(tc, test_wire_reject_version);
	tcase_add_test(tc, test_wire_reject_type);
	tcase_add_test(tc, test_wire_reject_type_named);
	tcase_add_test(tc, test_wire_reject_reserved_common);
	suite_add_tcase(s, tc);

	tc = test_tcase("hello");
	tcase_add_test(tc, test_wire_hello_window_zero);
	tcase_add_test(tc, test_wire_hello_reserved);
	tcase_add_test(tc, test_wire_hello_v1);
	tcase_add_test(tc, test_wire_hello_ext_malformed);
	suite_add_tcase(s, tc);

	tc = test_tcase("copy");
	tcase_add_test(tc, test_wire_roundtrip_copy);
	tcase_add_test(tc, test_wire_copy_malformed);
	tcase_add_test(tc, test_wire_sender);
	tcase_add_test(tc, test_wire_limits);
	suite_add_tcase(s, tc);

	tc = test_tcase("region");
	tcase_add_test(tc, test_wire_region_id_zero);
	tcase_add_test(tc, test_wire_region_negative_fd);
	tcase_add_test(tc, test_wire_region_meta_too_long);
	tcase_add_test(tc, test_wire_region_length_mismatch);
	suite_add_tcase(s, tc);

	tc = test_tcase("inline");
	tcase_add_test(tc, test_wire_inline_meta_too_long);
	tcase_add_test(tc, test_wire_inline_data_too_long);
	tcase_add_test(tc, test_wire_inline_length_mismatch);
	tcase_add_test(tc, test_wire_inline_sum_overflow);
	suite_add_tcase(s, tc);

	tc = test_tcase("release");
	tcase_add_test(tc, test_wire_release_count_zero);
	tcase_add_test(tc, test_wire_release_count_too_big);
	tcase_add_test(tc, test_wire_release_length_mismatch);
	tcase_add_test(tc, test_wire_release_reserved);
	suite_add_tcase(s, tc);

	tc = test_tcase("random");
	tcase_add_test(tc, test_wire_random_bytes);
	suite_add_tcase(s, tc);

	return s;
}

int main(void)
{
	return test_run(make_suite());
}
