/* SPDX-License-Identifier: MIT */
/*
 * test-copy - payloads copied through the socket in pieces (COPY, lib/copy.c
 * and send.c), and one payload sent to several channels.  The library's
 * own pieces arrive intact at every size around the piece boundaries; a raw
 * peer's pieces are held to doc/protocol.md: in order, back to back, no fd,
 * within the cap; a violation breaks the channel and leaks nothing; a
 * half-received copy waits on a non-blocking channel and is dropped at end
 * of stream.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"
#include "sshm.h"
#include "testlib.h"

#define FIRST_MAX (16 + 4096 + 65536 - 32) /* data of a first piece without meta */

static uint8_t *pattern(size_t len, unsigned int seed)
{
	uint8_t *p = malloc(len ? len : 1);

	ck_assert_ptr_nonnull(p);
	test_pattern_fill(p, len, seed);
	return p;
}

/*
 * A send in another thread: like a write to a socket, a large copy returns
 * once the peer has read most of it, so the receiving end must be served
 * meanwhile.
 */
struct sender {
	pthread_t t;
	struct sshm_channel *ch;
	const void *data, *meta;
	size_t len, meta_len;
	int r;
};

static void *send_thread(void *arg)
{
	struct sender *s = arg;

	s->r = sshm_channel_send_bytes(s->ch, s->data, s->len, s->meta, s->meta_len);
	return NULL;
}

static void send_start(struct sender *s, struct sshm_channel *ch, const void *data,
		       size_t len, const char *meta)
{
	*s = (struct sender){ .ch = ch,
			      .data = data,
			      .len = len,
			      .meta = meta,
			      .meta_len = meta ? strlen(meta) : 0 };
	ck_assert_int_eq(pthread_create(&s->t, NULL, send_thread, s), 0);
}

static int send_wait(struct sender *s)
{
	ck_assert_int_eq(pthread_join(s->t, NULL), 0);
	return s->r;
}

/* sshm_channels_send_bytes() in another thread. */
struct fanout {
	struct sshm_channel **chs;
	unsigned int n;
	const void *data;
	size_t len;
	int *errs;
	int r;
};

static void *fanout_thread(void *arg)
{
	struct fanout *f = arg;

	f->r = sshm_channels_send_bytes(f->chs, f->n, f->data, f->len, NULL, 0, f->errs);
	return NULL;
}

/* send_bytes on a blocking pair, received as a copy (not a region). */
static void roundtrip(size_t len, unsigned int seed, const char *meta)
{
	struct sshm_channel *a, *b;
	struct sshm_view *v = NULL;
	uint8_t *buf = pattern(len, seed);
	size_t mlen = 0, meta_len = meta ? strlen(meta) : 0;
	struct sshm_channel_stats st;
	struct sender snd;

	test_pair_make(0, &a, &b);
	ck_assert_int_eq(sshm_channel_set_inline_max(a, 1024), 0);
	send_start(&snd, a, buf, len, meta);
	assert_ok(sshm_channel_recv(b, NULL, &v));
	assert_ok(send_wait(&snd));
	memset(buf, 0, len); /* copied: the caller's buffer is free again */
	test_view_check_pattern(v, len, seed);
	if (meta_len)
		ck_assert_mem_eq(sshm_view_meta(v, &mlen), meta, meta_len);
	else
		ck_assert_ptr_null(sshm_view_meta(v, &mlen));
	ck_assert_uint_eq(mlen, meta_len);
	/* Nothing in flight: a copy pins nothing of the producer's. */
	ck_assert_uint_eq(sshm_channel_inflight(a), 0);
	assert_ok(sshm_channel_stats(b, &st, sizeof(st)));
	ck_assert_uint_eq(st.received_bytes, len);
	sshm_view_unref(v);
	free(buf);
	sshm_channel_unref(a);
	sshm_channel_unref(b);
}

START_TEST(test_copy_sizes)
{
	static const size_t sizes[] = {
		1025,	    FIRST_MAX - 1, FIRST_MAX,	  FIRST_MAX + 1,
		200 * 1024, 1 << 20,	   (3 << 20) + 7,
	};
	unsigned int i;

	for (i = 0; i < ELEMENTSOF(sizes); i++) {
		/* Only where shmem has no huge pages is every size a copy;
		 * elsewhere the large ones may be regions, also fine. */
		roundtrip(sizes[i], 20 + i, NULL);
		roundtrip(sizes[i], 40 + i, "meta of a copy");
	}
}
END_TEST

/* A copy above the receiver's policy cap: refused, the channel goes on. */
START_TEST(test_copy_above_cap)
{
	struct sshm_channel *a, *b;
	struct sshm_policy pol;
	struct sshm_view *v = NULL;
	uint8_t *buf = pattern(300 * 1024, 3);
	struct sender snd;

	memset(&pol, 0, sizeof(pol));
	pol.max_size = 100 * 1024;
	test_pair_make(0, &a, &b);
	send_start(&snd, a, buf, 300 * 1024, NULL);
	assert_err(sshm_channel_recv(b, &pol, &v), -SSHM_ETOOBIG);
	ck_assert_int_eq(sshm_channel_is_open(b), 1);
	assert_ok(send_wait(&snd));
	assert_ok(sshm_channel_send_bytes(a, buf, 1000, NULL, 0));
	assert_ok(sshm_channel_recv(b, &pol, &v));
	ck_assert_uint_eq(sshm_view_size(v), 1000);
	sshm_view_unref(v);
	free(buf);
	sshm_channel_unref(a);
	sshm_channel_unref(b);
}
END_TEST

/* A copy read while the receiver itself waits in a send (pump): kept. */
START_TEST(test_copy_kept_by_pump)
{
	struct sshm_channel *a, *b;
	struct sshm_view *v = NULL;
	uint8_t *buf = pattern(500 * 1024, 4);
	struct sender snd;
	int i;

	test_pair_make(0, &a, &b);
	send_start(&snd, a, buf, 500 * 1024, "k");
	/* b's flush reads what is there without blocking: the pieces as they
	 * come, until the whole copy is kept. */
	for (i = 0; i < 5000 && sshm_channel_pending(b) == 0; i++) {
		ck_assert_int_ge(sshm_channel_flush(b), 0);
		usleep(1000);
	}
	assert_ok(send_wait(&snd));
	ck_assert_uint_eq(sshm_channel_pending(b), 1);
	assert_ok(sshm_channel_recv(b, NULL, &v));
	test_view_check_pattern(v, 500 * 1024, 4);
	sshm_view_unref(v);
	free(buf);
	sshm_channel_unref(a);
	sshm_channel_unref(b);
}
END_TEST

/* ------------------------------------------------------------ a raw sender */

struct raw {
	struct sshm_channel *ch;
	int raw;
};

static size_t raw_hello_copy(uint8_t *b)
{
	size_t n = raw_hello(b, 64, 0);

	sshm_put_le64(b + n, 0);
	sshm_put_le32(b + n + 8, 0x1); /* COPY */
	sshm_put_le32(b + n + 12, 0);
	return n + 16;
}

static void raw_open(struct raw *r, unsigned int flags)
{
	uint8_t b[RAW_PACKET_MAX];
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	assert_ok(sshm_channel_adopt(sv[0], flags, &r->ch));
	r->raw = sv[1];
	ck_assert_int_eq(raw_recv(r->raw, b, sizeof(b), 5000), 48);
	/* The library accepts COPY: it says so. */
	ck_assert_uint_eq(sshm_get_le32(b + 40) & 0x1, 0x1);
	ck_assert_int_eq(raw_send(r->raw, b, raw_hello_copy(b), -1), 0);
}

static void raw_close(struct raw *r)
{
	if (r->raw >= 0)
		close(r->raw);
	sshm_channel_unref(r->ch);
}

/* One COPY piece: header, then @data_len bytes of pattern @seed from @off. */
static int raw_piece(int sock, uint64_t total, uint64_t off, uint32_t data_len,
		     const char *meta, int fd)
{
	static uint8_t b[32 + 4096 + 300 * 1024];
	uint32_t meta_len = meta ? (uint32_t)strlen(meta) : 0;
	uint64_t i;

	raw_common(b, 5);
	sshm_put_le64(b + 8, total);
	sshm_put_le64(b + 16, off);
	sshm_put_le32(b + 24, meta_len);
	sshm_put_le32(b + 28, data_len);
	if (meta_len)
		memcpy(b + 32, meta, meta_len);
	for (i = 0; i < data_len; i++)
		b[32 + meta_len + i] = test_pattern_byte(9, off + i);
	return raw_send(sock, b, 32 + meta_len + data_len, fd);
}

START_TEST(test_copy_raw_pieces)
{
	struct sshm_view *v = NULL;
	size_t mlen;
	struct raw r;

	raw_open(&r, 0);
	ck_assert_int_eq(raw_piece(r.raw, 100000, 0, 1000, "mm", -1), 0);
	ck_assert_int_eq(raw_piece(r.raw, 100000, 1000, 60000, NULL, -1), 0);
	ck_assert_int_eq(raw_piece(r.raw, 100000, 61000, 39000, NULL, -1), 0);
	assert_ok(sshm_channel_recv(r.ch, NULL, &v));
	test_view_check_pattern(v, 100000, 9);
	ck_assert_mem_eq(sshm_view_meta(v, &mlen), "mm", 2);
	ck_assert_int_eq(sshm_view_is_region(v), 0);
	sshm_view_unref(v);
	raw_close(&r);
}
END_TEST

/*
 * Where the pieces go (COPY_PAGE_MASK in lib/copy.h): the kernel holds a
 * piece's data WIRE_COPY_LEN (32) bytes into a page, and copies it fastest
 * when the source is not 1 to 63 bytes behind it within a page.  The
 * library sender ends its first piece where the source is 32 bytes into a
 * page, whatever the caller's buffer; the later pieces are whole pages.
 */
START_TEST(test_copy_sender_places_pieces)
{
	static const size_t offsets[] = { 0, 16, 32, 100, 4064 };
	const size_t len = (1 << 20) + 12345, cap = (2 << 20);
	uint8_t *page, *in = malloc(cap), *src;
	unsigned int i;
	struct sender snd;
	struct raw r;

	ck_assert_ptr_nonnull(in);
	ck_assert_int_eq(posix_memalign((void **)&page, 4096, len + 8192), 0);
	for (i = 0; i < ELEMENTSOF(offsets); i++) {
		uint64_t got = 0, piece;
		ssize_t n;
		int k;

		src = page + offsets[i];
		test_pattern_fill(src, len, 7);
		raw_open(&r, 0);
		send_start(&snd, r.ch, src, len, NULL);
		for (k = 0; got < len; k++) {
			n = recv(r.raw, in, cap, 0);
			ck_assert_int_ge(n, 32);
			ck_assert_uint_eq(in[5], 5); /* COPY */
			piece = sshm_get_le32(in + 28);
			ck_assert_uint_eq(sshm_get_le64(in + 16), got);
			ck_assert_mem_eq(in + 32, src + got, piece);
			got += piece;
			if (k == 0)
				ck_assert_uint_eq(((uintptr_t)(src + got) - 32) % 4096,
						  0);
			else if (got < len)
				ck_assert_uint_eq(piece % 4096, 0);
		}
		ck_assert_int_gt(k, 1);
		ck_assert_uint_eq(got, len);
		assert_ok(send_wait(&snd));
		raw_close(&r);
	}
	free(page);
	free(in);
}
END_TEST

/*
 * The receiving side places a copy so that its payload is 64-byte aligned
 * and the second piece lands 0 to 63 bytes behind where the kernel holds
 * it (32 bytes into a page), however long the first piece was.  The
 * buffer of one copy is the next one's (the spare, lib/spare.c).
 */
START_TEST(test_copy_receiver_places_pieces)
{
	static const uint32_t firsts[] = { 1, 1000, 4064, 4096, 4097, 60000 };
	const uint64_t total = 150 * 1024; /* within the raw end's SO_SNDBUF */
	const uint8_t *data, *first_data = NULL;
	struct sshm_view *v = NULL;
	unsigned int i, k;
	uintptr_t at;
	struct raw r;

	raw_open(&r, 0);
	for (i = 0; i < ELEMENTSOF(firsts); i++) {
		for (k = 0; k < 2; k++) {
			ck_assert_int_eq(raw_piece(r.raw, total, 0, firsts[i], NULL, -1),
					 0);
			ck_assert_int_eq(raw_piece(r.raw, total, firsts[i],
						   (uint32_t)(total - firsts[i]), NULL,
						   -1),
					 0);
			assert_ok(sshm_channel_recv(r.ch, NULL, &v));
			test_view_check_pattern(v, total, 9);
			data = sshm_view_data(v);
			ck_assert_uint_eq((uintptr_t)data % 64, 0);
			at = ((uintptr_t)data + firsts[i] - 32) % 4096;
			ck_assert_msg(at == 0 || at >= 4096 - 63,
				      "first piece %u: the second lands %u bytes off",
				      firsts[i], (unsigned int)at);
			/* The same copy again: the buffer the last one left. */
			if (k == 0)
				first_data = data;
			else
				ck_assert_ptr_eq(data, first_data);
			sshm_view_unref(v);
		}
	}
	raw_close(&r);
}
END_TEST

/* Each violation on a fresh channel: broken, nothing leaked (the suite's
 * fixture counts fds). */
enum bad {
	BAD_GAP,
	BAD_OVERLAP,
	BAD_TOTAL,
	BAD_INTERLEAVED,
	BAD_FD,
	BAD_FIRST_OFFSET,
	BAD_TOO_BIG,
	BAD_META_LATER,
	N_BAD
};

START_TEST(test_copy_raw_violations)
{
	unsigned int i;

	for (i = 0; i < N_BAD; i++) {
		struct sshm_view *v = NULL;
		struct raw r;
		uint8_t b[64];
		int fd = -1, rr;

		raw_open(&r, 0);
		if (i != BAD_FIRST_OFFSET && i != BAD_TOO_BIG)
			ck_assert_int_eq(raw_piece(r.raw, 10000, 0, 1000, NULL, -1), 0);
		switch (i) {
		case BAD_GAP:
			rr = raw_piece(r.raw, 10000, 1001, 100, NULL, -1);
			break;
		case BAD_OVERLAP:
			rr = raw_piece(r.raw, 10000, 999, 100, NULL, -1);
			break;
		case BAD_TOTAL:
			rr = raw_piece(r.raw, 20000, 1000, 100, NULL, -1);
			break;
		case BAD_INTERLEAVED:
			rr = raw_send(r.raw, b, raw_inline(b, "x", 1), -1);
			break;
		case BAD_FD:
			fd = test_memfd_pattern(4096, 1, SSHM_SEALS_APPLIED);
			rr = raw_piece(r.raw, 10000, 1000, 100, NULL, fd);
			break;
		case BAD_FIRST_OFFSET:
			rr = raw_piece(r.raw, 10000, 5000, 100, NULL, -1);
			break;
		case BAD_TOO_BIG:
			rr = raw_piece(r.raw, ((uint64_t)1 << 30) + 1, 0, 100, NULL, -1);
			break;
		default: /* BAD_META_LATER */
			rr = raw_piece(r.raw, 10000, 1000, 100, "late", -1);
			break;
		}
		ck_assert_int_eq(rr, 0);
		rr = sshm_channel_recv(r.ch, NULL, &v);
		ck_assert_msg(rr == -SSHM_EPROTO || rr == -SSHM_EHEADER,
			      "case %u: recv = %d (%s), expected a violation", i, rr,
			      sshm_strerror(rr));
		ck_assert_int_eq(sshm_channel_is_open(r.ch), 0);
		if (fd >= 0)
			close(fd);
		raw_close(&r);
	}
}
END_TEST

/* Half a copy: -EAGAIN on a non-blocking channel, then the rest arrives. */
START_TEST(test_copy_raw_nonblock)
{
	struct sshm_view *v = NULL;
	struct raw r;

	raw_open(&r, SSHM_CHANNEL_NONBLOCK);
	ck_assert_int_eq(raw_piece(r.raw, 3000, 0, 1000, NULL, -1), 0);
	assert_err(sshm_channel_recv(r.ch, NULL, &v), -EAGAIN);
	ck_assert_int_eq(raw_piece(r.raw, 3000, 1000, 1000, NULL, -1), 0);
	assert_err(sshm_channel_recv(r.ch, NULL, &v), -EAGAIN);
	ck_assert_int_eq(raw_piece(r.raw, 3000, 2000, 1000, NULL, -1), 0);
	assert_ok(sshm_channel_recv(r.ch, NULL, &v));
	test_view_check_pattern(v, 3000, 9);
	sshm_view_unref(v);
	raw_close(&r);
}
END_TEST

/* The sender leaves in the middle of a copy: end of stream, nothing kept. */
START_TEST(test_copy_raw_eof_midway)
{
	struct sshm_view *v = NULL;
	struct raw r;

	raw_open(&r, 0);
	ck_assert_int_eq(raw_piece(r.raw, 3000, 0, 1000, NULL, -1), 0);
	close(r.raw);
	r.raw = -1;
	assert_err(sshm_channel_recv(r.ch, NULL, &v), -EPIPE);
	ck_assert_int_eq(sshm_channel_is_open(r.ch), 0);
	raw_close(&r);
}
END_TEST

/* A peer of 0.1.0 (no COPY in its HELLO) never gets one. */
START_TEST(test_copy_not_to_v1_peer)
{
	uint8_t b[RAW_PACKET_MAX];
	struct sshm_channel *ch;
	uint8_t *buf = pattern(200 * 1024, 5);
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	assert_ok(sshm_channel_adopt(sv[0], 0, &ch));
	ck_assert_int_eq(raw_recv(sv[1], b, sizeof(b), 5000), 48);
	ck_assert_int_eq(raw_send(sv[1], b, raw_hello(b, 64, 0), -1), 0);
	assert_ok(sshm_channel_send_bytes(ch, buf, 200 * 1024, NULL, 0));
	/* A REGION, in flight until released, not a COPY. */
	ck_assert_uint_eq(sshm_channel_inflight(ch), 1);
	free(buf);
	close(sv[1]);
	sshm_channel_unref(ch);
}
END_TEST

/* ------------------------------------------------------------ fan-out */

/*
 * send_bytes' path by size and the shmem THP mode (lib/send.c): a copy up
 * to 8 MiB, and above without huge pages; a region from 8 MiB with them.
 * test-emulated.sh runs this under both modes whatever the machine's.
 */
START_TEST(test_copy_auto_path_by_thp)
{
	static const size_t sizes[] = { (4 << 20) + 1, 8 << 20 };
	struct sshm_channel *a, *b;
	struct sshm_view *v = NULL;
	unsigned int i;
	struct sender snd;
	uint8_t *buf;
	int region;

	for (i = 0; i < ELEMENTSOF(sizes); i++) {
		buf = pattern(sizes[i], 30 + i);
		test_pair_make(0, &a, &b);
		send_start(&snd, a, buf, sizes[i], NULL);
		assert_ok(sshm_channel_recv(b, NULL, &v));
		test_view_check_pattern(v, sizes[i], 30 + i);
		region = sizes[i] >= (8 << 20) && !test_shmem_thp_never();
		ck_assert_msg(sshm_view_is_region(v) == region,
			      "%zu bytes, shmem THP %s: expected a %s", sizes[i],
			      test_shmem_thp_never() ? "never" : "on",
			      region ? "region" : "copy");
		sshm_view_unref(v);
		assert_ok(send_wait(&snd));
		sshm_channel_unref(a);
		sshm_channel_unref(b);
		free(buf);
	}
}
END_TEST

/*
 * One payload to three consumers from 4 MiB: with shmem huge pages, one
 * region filled once and mapped by all; without, a copy each (a shared
 * region then loses to copies: doc/benchmarks.md).
 */
START_TEST(test_copy_fanout_shared_region)
{
	const size_t size = 4 << 20;
	struct sshm_channel *prod[3], *cons[3];
	struct sshm_view *v[3];
	struct stat st[3];
	int errs[3] = { 1, 1, 1 };
	uint8_t *buf = pattern(size, 6);
	const int shared = !test_shmem_thp_never();
	pthread_t t;
	struct fanout f;
	unsigned int i;

	for (i = 0; i < 3; i++)
		test_pair_make(0, &prod[i], &cons[i]);
	/* Copies return once read: the consumers are served meanwhile. */
	f = (struct fanout){
		.chs = prod, .n = 3, .data = buf, .len = size, .errs = errs
	};
	ck_assert_int_eq(pthread_create(&t, NULL, fanout_thread, &f), 0);
	for (i = 0; i < 3; i++) {
		assert_ok(sshm_channel_recv(cons[i], NULL, &v[i]));
		test_view_check_pattern(v[i], size, 6);
		ck_assert_int_eq(sshm_view_is_region(v[i]), shared);
		if (shared)
			ck_assert_int_eq(fstat(sshm_view_fd(v[i]), &st[i]), 0);
	}
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	assert_ok(f.r);
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(errs[i], 0);
	/* One region, filled once, mapped by all three. */
	if (shared) {
		ck_assert_uint_eq(st[0].st_ino, st[1].st_ino);
		ck_assert_uint_eq(st[0].st_ino, st[2].st_ino);
	}
	for (i = 0; i < 3; i++) {
		sshm_view_unref(v[i]);
		assert_ok(sshm_channel_drain(prod[i]));
		sshm_channel_unref(prod[i]);
		sshm_channel_unref(cons[i]);
	}
	free(buf);
}
END_TEST

START_TEST(test_copy_fanout_small_and_errors)
{
	struct sshm_channel *prod[2], *cons[2], *none[2] = { NULL, NULL };
	struct sshm_view *v = NULL;
	int errs[2];
	unsigned int i;

	for (i = 0; i < 2; i++)
		test_pair_make(0, &prod[i], &cons[i]);
	assert_err(sshm_channels_send_bytes(none, 2, "x", 1, NULL, 0, NULL), -EINVAL);
	assert_err(sshm_channels_send_bytes(prod, 0, "x", 1, NULL, 0, NULL), -EINVAL);
	assert_err(sshm_channels_send_bytes(NULL, 1, "x", 1, NULL, 0, NULL), -EINVAL);
	/* The second consumer is gone: the first still gets it. */
	cons[1] = sshm_channel_unref(cons[1]);
	assert_err(sshm_channels_send_bytes(prod, 2, "hi", 2, NULL, 0, errs), -EPIPE);
	ck_assert_int_eq(errs[0], 0);
	ck_assert_int_eq(errs[1], -EPIPE);
	assert_ok(sshm_channel_recv(cons[0], NULL, &v));
	ck_assert_mem_eq(sshm_view_data(v), "hi", 2);
	sshm_view_unref(v);
	for (i = 0; i < 2; i++) {
		sshm_channel_unref(prod[i]);
		sshm_channel_unref(cons[i]);
	}
}
END_TEST

static Suite *copy_suite(void)
{
	Suite *s = suite_create("copy");
	TCase *tc;

	tc = test_tcase("library");
	tcase_add_test(tc, test_copy_sizes);
	tcase_add_test(tc, test_copy_above_cap);
	tcase_add_test(tc, test_copy_kept_by_pump);
	tcase_add_test(tc, test_copy_not_to_v1_peer);
	suite_add_tcase(s, tc);

	tc = test_tcase("raw");
	tcase_add_test(tc, test_copy_raw_pieces);
	tcase_add_test(tc, test_copy_raw_violations);
	tcase_add_test(tc, test_copy_raw_nonblock);
	tcase_add_test(tc, test_copy_raw_eof_midway);
	tcase_add_test(tc, test_copy_sender_places_pieces);
	tcase_add_test(tc, test_copy_receiver_places_pieces);
	suite_add_tcase(s, tc);

	tc = test_tcase("fanout");
	tcase_add_test(tc, test_copy_auto_path_by_thp);
	tcase_add_test(tc, test_copy_fanout_shared_region);
	tcase_add_test(tc, test_copy_fanout_small_and_errors);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_run(copy_suite());
}
