/* SPDX-License-Identifier: MIT */
/*
 * test-pool - the region pool: pages allocated ahead, with or without a
 * ready mapping, refilled on demand or by a thread, and a huge-page region
 * from it that travels aligned on both sides.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sshm.h"
#include "testlib.h"

#define MiB (1024u * 1024u)

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

START_TEST(test_pool_new_invalid)
{
	struct sshm_pool *p = (struct sshm_pool *)0x1;

	assert_err(sshm_pool_new(0, 1, 0, &p), -EINVAL);
	assert_err(sshm_pool_new(4096, 0, 0, &p), -EINVAL);
	assert_err(sshm_pool_new(4096, 1025, 0, &p), -EINVAL);
	assert_err(sshm_pool_new(4096, 1, 0x80, &p), -EINVAL);
	assert_err(sshm_pool_new(4096, 1, 0, NULL), -EINVAL);
	ck_assert_ptr_eq(p, (struct sshm_pool *)0x1);
	ck_assert_ptr_null(sshm_pool_unref(NULL));
	ck_assert_ptr_null(sshm_pool_ref(NULL));
	assert_err(sshm_pool_get(NULL, NULL), -EINVAL);
	assert_err(sshm_pool_fill(NULL), -EINVAL);
	ck_assert_uint_eq(sshm_pool_ready(NULL), 0);
}
END_TEST

START_TEST(test_pool_get_allocated)
{
	const uint64_t size = 1 * MiB;
	struct sshm_pool *pool;
	struct sshm_region *r;
	struct stat st;

	assert_ok(sshm_pool_new(size, 3, 0, &pool));
	ck_assert_uint_eq(sshm_pool_ready(pool), 3);
	assert_ok(sshm_pool_get(pool, &r));
	ck_assert_uint_eq(sshm_pool_ready(pool), 2);
	ck_assert_uint_eq(sshm_region_size(r), size);
	ck_assert_int_eq(sshm_region_is_sealed(r), 0);
	/* The pages were allocated ahead: no hole left to fault in. */
	ck_assert_int_eq(fstat(sshm_region_fd(r), &st), 0);
	ck_assert_uint_ge((uint64_t)st.st_blocks * 512, size);
	assert_ok(sshm_region_write(r, 0, "abc", 3));
	assert_ok(sshm_region_seal(r));
	sshm_region_unref(r);

	/* Refilled synchronously without a thread. */
	assert_ret(sshm_pool_fill(pool), 1);
	assert_ret(sshm_pool_fill(pool), 0);
	ck_assert_uint_eq(sshm_pool_ready(pool), 3);
	sshm_pool_unref(pool);
}
END_TEST

START_TEST(test_pool_empty_prepares_on_the_spot)
{
	struct sshm_pool *pool;
	struct sshm_region *r[3];
	int i;

	assert_ok(sshm_pool_new(8192, 1, 0, &pool));
	for (i = 0; i < 3; i++)
		assert_ok(sshm_pool_get(pool, &r[i]));
	ck_assert_uint_eq(sshm_pool_ready(pool), 0);
	/* Three distinct memfds. */
	ck_assert_int_ne(sshm_region_fd(r[0]), sshm_region_fd(r[1]));
	ck_assert_int_ne(sshm_region_fd(r[1]), sshm_region_fd(r[2]));
	for (i = 0; i < 3; i++)
		sshm_region_unref(r[i]);
	/* The pool outlives nothing it gave away: regions are the caller's. */
	sshm_pool_unref(pool);
}
END_TEST

START_TEST(test_pool_map_populated)
{
	const uint64_t size = 512 * 1024;
	struct sshm_pool *pool;
	struct sshm_region *r;
	void *p, *q;

	assert_ok(sshm_pool_new(size, 2, SSHM_POOL_MAP, &pool));
	assert_ok(sshm_pool_get(pool, &r));
	assert_ok(sshm_region_map(r, &p));
	/* Every page is mapped before the producer touches one. */
	ck_assert_uint_eq(test_mapped_pages(p), size / test_page_size());
	memset(p, 0x5a, size);
	assert_ok(sshm_region_map(r, &q));
	ck_assert_ptr_eq(p, q);
	assert_ok(sshm_region_seal(r));
	sshm_region_unref(r);
	sshm_pool_unref(pool);
}
END_TEST

START_TEST(test_pool_thread_refills)
{
	struct sshm_pool *pool;
	struct sshm_region *r[4];
	int i, waited;

	assert_ok(sshm_pool_new(64 * 1024, 4, SSHM_POOL_THREAD, &pool));
	for (i = 0; i < 4; i++)
		assert_ok(sshm_pool_get(pool, &r[i]));
	for (waited = 0; sshm_pool_ready(pool) < 4 && waited < 5000; waited += 10)
		sleep_ms(10);
	ck_assert_uint_eq(sshm_pool_ready(pool), 4);
	for (i = 0; i < 4; i++)
		sshm_region_unref(r[i]);
	/* The last unref stops and joins the thread and closes every ready
	 * memfd: the fd fixture checks it. */
	sshm_pool_unref(pool);
}
END_TEST

/* A SSHM_POOL_HUGEPAGE region is mapped on a 2 MiB boundary by its producer
 * and, once sent, by the consumer's view, which gives its slack back. */
START_TEST(test_pool_hugepage_aligned_both_sides)
{
	struct sshm_channel *a, *b;
	struct sshm_pool *pool;
	struct sshm_region *r;
	struct sshm_view *v;
	void *p;
	unsigned long reserves;

	assert_ok(sshm_channel_pair(0, &a, &b));
	assert_ok(sshm_pool_new(3 * MiB, 1, SSHM_POOL_MAP | SSHM_POOL_HUGEPAGE, &pool));
	assert_ok(sshm_pool_get(pool, &r));
	assert_ok(sshm_region_map(r, &p));
	/* A mapping of 2 MiB or more starts on a 2 MiB boundary. */
	ck_assert_uint_eq((uintptr_t)p % (2 * MiB), 0);
	memset(p, 0x77, 3 * MiB);
	assert_ok(sshm_region_seal(r));
	assert_ok(sshm_channel_send(a, r, NULL, 0));
	reserves = test_reserved_bytes();
	assert_ok(sshm_channel_recv(b, NULL, &v));
	ck_assert_uint_eq((uintptr_t)sshm_view_data(v) % (2 * MiB), 0);
	/* The alignment slack around the view was given back at once. */
	ck_assert_uint_le(test_reserved_bytes(), reserves);
	ck_assert_int_eq(((const unsigned char *)sshm_view_data(v))[3 * MiB - 1], 0x77);
	sshm_view_unref(v);
	assert_ok(sshm_channel_drain(a));
	sshm_region_unref(r);
	sshm_pool_unref(pool);
	sshm_channel_unref(a);
	sshm_channel_unref(b);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("pool");
	TCase *tc;

	tc = test_tcase("pool");
	tcase_add_test(tc, test_pool_new_invalid);
	tcase_add_test(tc, test_pool_get_allocated);
	tcase_add_test(tc, test_pool_empty_prepares_on_the_spot);
	tcase_add_test(tc, test_pool_map_populated);
	tcase_add_test(tc, test_pool_thread_refills);
	tcase_add_test(tc, test_pool_hugepage_aligned_both_sides);
	suite_add_tcase(s, tc);

	return s;
}

int main(void)
{
	return test_run(make_suite());
}
