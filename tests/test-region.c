/* SPDX-License-Identifier: MIT */
/*
 * test-region - the producer's region: creation, reference counting, the
 * writable mapping, pwrite bounds, sealing (exact seals, all or nothing,
 * irreversible, and what the kernel refuses on the fd afterwards), and the
 * huge-page aligned mapping of SSHM_REGION_HUGEPAGE.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"
#include "sshm.h"
#include "testlib.h"

#define SIZE 8192u
#define MiB  (1024u * 1024u)

/* A pointer value sshm_* must not store on failure. */
#define BOGUS_REGION ((struct sshm_region *)(uintptr_t)0x5a5a5a5a)
#define BOGUS_PTR    ((void *)(uintptr_t)0x5a5a5a5a)

static struct sshm_region *new_region(uint64_t size)
{
	struct sshm_region *r = NULL;

	assert_ok(sshm_region_new(size, 0, &r));
	ck_assert_ptr_nonnull(r);
	return r;
}

static unsigned int seals_of(int fd)
{
	int s = fcntl(fd, F_GET_SEALS);

	ck_assert_msg(s >= 0, "F_GET_SEALS: %s", strerror(errno));
	return (unsigned int)s;
}

static void fill(uint8_t *p, size_t len, uint8_t seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(seed ^ (i * 131));
}

/* Asserts the memfd holds @want at @offset, read with pread(2). */
static void expect_fd_bytes(int fd, uint64_t offset, const void *want, size_t len)
{
	uint8_t *got = malloc(len);

	ck_assert_ptr_nonnull(got);
	ck_assert_int_eq(pread(fd, got, len, (off_t)offset), (ssize_t)len);
	ck_assert_mem_eq(got, want, len);
	free(got);
}

static const char *need_noexec_seal(void)
{
	int fd = memfd_create("sshm-test-probe",
			      MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_NOEXEC_SEAL);

	if (fd < 0)
		return "memfd_create(MFD_NOEXEC_SEAL) is not supported (Linux < 6.3)";
	close(fd);
	return NULL;
}

/* ------------------------------------------------------------ new */

START_TEST(test_region_new_size_zero)
{
	struct sshm_region *r = BOGUS_REGION;

	assert_err(sshm_region_new(0, 0, &r), -EINVAL);
	ck_assert_ptr_eq(r, BOGUS_REGION);
}
END_TEST

START_TEST(test_region_new_flags)
{
	/* Every bit but the defined SSHM_REGION_HUGEPAGE. */
	static const unsigned int flags[] = { 2, 0x100, 0x80000000u, ~0u };
	size_t i;

	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		struct sshm_region *r = BOGUS_REGION;

		assert_err(sshm_region_new(SIZE, flags[i], &r), -EINVAL);
		ck_assert_ptr_eq(r, BOGUS_REGION);
	}
}
END_TEST

START_TEST(test_region_new_null_ret)
{
	assert_err(sshm_region_new(SIZE, 0, NULL), -EINVAL);
	assert_err(sshm_region_new(0, 0, NULL), -EINVAL);
}
END_TEST

START_TEST(test_region_new_too_big)
{
	static const uint64_t sizes[] = {
		UINT64_MAX,
		(uint64_t)INT64_MAX + 1,
		UINT64_MAX - 4095,
	};
	size_t i;

	/* Beyond off_t: ftruncate(2) cannot express it. */
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct sshm_region *r = BOGUS_REGION;
		int ret = sshm_region_new(sizes[i], 0, &r);

		ck_assert_msg(ret == -EINVAL || ret == -EFBIG,
			      "size %llu: got %d, want -EINVAL or -EFBIG",
			      (unsigned long long)sizes[i], ret);
		ck_assert_ptr_eq(r, BOGUS_REGION);
	}
}
END_TEST

START_TEST(test_region_new_basic)
{
	static const uint64_t sizes[] = { 1, 4095, 4096, 4097, SIZE, 1 << 20 };
	size_t i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct sshm_region *r = new_region(sizes[i]);
		int fd = sshm_region_fd(r);
		uint8_t *zero = calloc(1, (size_t)sizes[i]);
		struct stat st;

		ck_assert_ptr_nonnull(zero);
		ck_assert_int_ge(fd, 0);
		ck_assert_uint_eq(sshm_region_size(r), sizes[i]);
		ck_assert_int_eq(sshm_region_is_sealed(r), 0);
		ck_assert_int_eq(fstat(fd, &st), 0);
		ck_assert(S_ISREG(st.st_mode));
		ck_assert_int_eq(st.st_size, (off_t)sizes[i]);
		/* Filled with zeroes, and not sealed in any way yet. */
		expect_fd_bytes(fd, 0, zero, (size_t)sizes[i]);
		ck_assert_uint_eq(
		    seals_of(fd) & (SSHM_SEALS_APPLIED | F_SEAL_FUTURE_WRITE), 0);
		free(zero);
		ck_assert_ptr_null(sshm_region_unref(r));
	}
}
END_TEST

START_TEST(test_region_new_cloexec)
{
	struct sshm_region *r = new_region(SIZE);
	int fl = fcntl(sshm_region_fd(r), F_GETFD);

	ck_assert_int_ge(fl, 0);
	ck_assert_msg(fl & FD_CLOEXEC, "region fd is not close-on-exec");
	sshm_region_unref(r);
}
END_TEST

START_TEST(test_region_new_noexec)
{
	struct sshm_region *r = new_region(SIZE);
	int fd = sshm_region_fd(r);
	struct stat st;

	/* MFD_NOEXEC_SEAL: exec bits cleared and sealed from birth. */
	ck_assert_msg(
	    seals_of(fd) & F_SEAL_EXEC,
	    "kernel has MFD_NOEXEC_SEAL but the region lacks F_SEAL_EXEC (seals 0x%x)",
	    seals_of(fd));
	ck_assert_int_eq(fstat(fd, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0111, 0);
	ck_assert_int_eq(fchmod(fd, 0755), -1);
	ck_assert_int_eq(errno, EPERM);
	sshm_region_unref(r);
}
END_TEST

/* ------------------------------------------------------------ refcount */

START_TEST(test_region_unref_null)
{
	ck_assert_ptr_null(sshm_region_unref(NULL));
}
END_TEST

START_TEST(test_region_ref_counting)
{
	int before = test_fd_count();
	struct sshm_region *r = new_region(SIZE);
	int fd = sshm_region_fd(r);

	ck_assert_int_eq(test_fd_count(), before + 1);
	ck_assert_ptr_eq(sshm_region_ref(r), r);
	ck_assert_ptr_eq(sshm_region_ref(r), r);
	ck_assert_ptr_null(sshm_region_unref(r));
	ck_assert_ptr_null(sshm_region_unref(r));
	/* One reference left: the region and its fd are still alive. */
	ck_assert_int_eq(test_fd_count(), before + 1);
	ck_assert_int_ge(fcntl(fd, F_GETFD), 0);
	ck_assert_uint_eq(sshm_region_size(r), SIZE);
	ck_assert_int_eq(sshm_region_fd(r), fd);
	ck_assert_ptr_null(sshm_region_unref(r));
	ck_assert_int_eq(test_fd_count(), before);
}
END_TEST

START_TEST(test_region_unref_unmaps)
{
	int maps = test_map_count();
	struct sshm_region *r = new_region(SIZE);
	void *p;

	assert_ok(sshm_region_map(r, &p));
	ck_assert_int_eq(test_map_count(), maps + 1);
	sshm_region_ref(r);
	sshm_region_unref(r);
	ck_assert_int_eq(test_map_count(), maps + 1);
	sshm_region_unref(r);
	ck_assert_int_eq(test_map_count(), maps);
}
END_TEST

/* ------------------------------------------------------------ map */

START_TEST(test_region_map_same_pointer)
{
	struct sshm_region *r = new_region(SIZE);
	void *a = NULL, *b = NULL;

	assert_ok(sshm_region_map(r, &a));
	ck_assert_ptr_nonnull(a);
	assert_ok(sshm_region_map(r, &b));
	ck_assert_ptr_eq(a, b);
	sshm_region_unref(r);
}
END_TEST

START_TEST(test_region_map_visible_via_fd)
{
	struct sshm_region *r = new_region(SIZE);
	uint8_t want[SIZE];
	void *p;

	assert_ok(sshm_region_map(r, &p));
	/* Zero-filled at first, and writable over its whole length. */
	memset(want, 0, sizeof(want));
	ck_assert_mem_eq(p, want, SIZE);
	fill(want, SIZE, 0x3c);
	memcpy(p, want, SIZE);
	expect_fd_bytes(sshm_region_fd(r), 0, want, SIZE);
	sshm_region_unref(r);
}
END_TEST

START_TEST(test_region_map_null_args)
{
	struct sshm_region *r = new_region(SIZE);
	void *p = BOGUS_PTR;

	assert_err(sshm_region_map(r, NULL), -EINVAL);
	assert_err(sshm_region_map(NULL, &p), -EINVAL);
	ck_assert_ptr_eq(p, BOGUS_PTR);
	sshm_region_unref(r);
}
END_TEST

/* ------------------------------------------------------------ write */

START_TEST(test_region_write_visible)
{
	struct sshm_region *r = new_region(SIZE);
	int fd = sshm_region_fd(r);
	uint8_t data[SIZE], *p;

	fill(data, sizeof(data), 0x81);
	assert_ok(sshm_region_write(r, 0, data, SIZE));
	expect_fd_bytes(fd, 0, data, SIZE);
	assert_ok(sshm_region_write(r, 100, "hello", 5));
	expect_fd_bytes(fd, 100, "hello", 5);
	expect_fd_bytes(fd, 99, data + 99, 1);
	expect_fd_bytes(fd, 105, data + 105, 1);
	assert_ok(sshm_region_write(r, SIZE - 1, "z", 1));
	expect_fd_bytes(fd, SIZE - 1, "z", 1);
	/* Coherent with the mapping. */
	assert_ok(sshm_region_map(r, (void **)&p));
	ck_assert_mem_eq(p + 100, "hello", 5);
	assert_ok(sshm_region_write(r, 200, "world", 5));
	ck_assert_mem_eq(p + 200, "world", 5);
	sshm_region_unref(r);
}
END_TEST

START_TEST(test_region_write_empty)
{
	struct sshm_region *r = new_region(SIZE);

	assert_ok(sshm_region_write(r, 0, "", 0));
	assert_ok(sshm_region_write(r, SIZE - 1, "", 0));
	sshm_region_unref(r);
}
END_TEST

START_TEST(test_region_write_bounds)
{
	/* A table: one row per line. */
	/* clang-format off */
	static const struct { uint64_t offset; size_t len; } bad[] = {
		{ 0, SIZE + 1 }, { 1, SIZE }, { SIZE, 1 }, { SIZE - 1, 2 },
		{ SIZE + 1, 1 }, { SIZE * 2, 1 }, { 1ull << 40, 1 },
	};
	/* clang-format on */
	struct sshm_region *r = new_region(SIZE);
	uint8_t *big = malloc(SIZE * 2), zero[SIZE];
	size_t i;

	ck_assert_ptr_nonnull(big);
	memset(big, 0xee, SIZE * 2);
	memset(zero, 0, sizeof(zero));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(
		    sshm_region_write(r, bad[i].offset, big, bad[i].len) == -EINVAL,
		    "write(offset %llu, len %zu) to a %u-byte region was not -EINVAL",
		    (unsigned long long)bad[i].offset, bad[i].len, SIZE);
	/* Nothing of a refused write landed, not even the part that fits. */
	expect_fd_bytes(sshm_region_fd(r), 0, zero, SIZE);
	free(big);
	sshm_region_unref(r);
}
END_TEST

START_TEST(test_region_write_overflow)
{
	/* offset + len wraps around 2^64 to something inside the region. */
	/* A table: one row per line. */
	/* clang-format off */
	static const struct { uint64_t offset; size_t len; } bad[] = {
		{ UINT64_MAX, 1 }, { UINT64_MAX, 2 }, { UINT64_MAX - 1, 16 },
		{ UINT64_MAX - 4095, 8192 }, { 1ull << 63, 16 },
		{ (uint64_t)INT64_MAX, 2 },
	};
	/* clang-format on */
	struct sshm_region *r = new_region(SIZE);
	uint8_t data[8192], zero[SIZE];
	size_t i;

	memset(data, 0xee, sizeof(data));
	memset(zero, 0, sizeof(zero));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(sshm_region_write(r, bad[i].offset, data, bad[i].len) ==
				  -EINVAL,
			      "write(offset %llu, len %zu) was not -EINVAL",
			      (unsigned long long)bad[i].offset, bad[i].len);
	/* SIZE_MAX length from a small offset, buffer never touched. */
	assert_err(sshm_region_write(r, 1, data, SIZE_MAX), -EINVAL);
	expect_fd_bytes(sshm_region_fd(r), 0, zero, SIZE);
	sshm_region_unref(r);
}
END_TEST

START_TEST(test_region_write_null_args)
{
	struct sshm_region *r = new_region(SIZE);

	assert_err(sshm_region_write(r, 0, NULL, 1), -EINVAL);
	assert_err(sshm_region_write(NULL, 0, "x", 1), -EINVAL);
	sshm_region_unref(r);
}
END_TEST

/* ------------------------------------------------------------ seal */

START_TEST(test_region_seal_exact_seals)
{
	struct sshm_region *r = new_region(SIZE);
	int fd = sshm_region_fd(r);
	unsigned int s;

	assert_ok(sshm_region_seal(r));
	ck_assert_int_eq(sshm_region_is_sealed(r), 1);
	s = seals_of(fd);
	/* Exactly these four; F_SEAL_EXEC only comes from MFD_NOEXEC_SEAL. */
	ck_assert_msg((s & ~(unsigned int)F_SEAL_EXEC) == SSHM_SEALS_APPLIED,
		      "seals 0x%x, want 0x%x (+ F_SEAL_EXEC)", s, SSHM_SEALS_APPLIED);
	sshm_region_unref(r);
}
END_TEST

START_TEST(test_region_seal_twice)
{
	struct sshm_region *r = new_region(SIZE);
	unsigned int s;

	assert_ok(sshm_region_seal(r));
	s = seals_of(sshm_region_fd(r));
	assert_ok(sshm_region_seal(r));
	ck_assert_int_eq(sshm_region_is_sealed(r), 1);
	ck_assert_uint_eq(seals_of(sshm_region_fd(r)), s);
	sshm_region_unref(r);
}
END_TEST

START_TEST(test_region_seal_keeps_content)
{
	struct sshm_region *r = new_region(SIZE);
	uint8_t want[SIZE];
	void *p;

	fill(want, SIZE, 0x17);
	assert_ok(sshm_region_map(r, &p));
	memcpy(p, want, SIZE / 2);
	assert_ok(sshm_region_write(r, SIZE / 2, want + SIZE / 2, SIZE / 2));
	assert_ok(sshm_region_seal(r));
	expect_fd_bytes(sshm_region_fd(r), 0, want, SIZE);
	ck_assert_uint_eq(sshm_region_size(r), SIZE);
	sshm_region_unref(r);
}
END_TEST

START_TEST(test_region_seal_drops_mapping)
{
	struct sshm_region *r = new_region(SIZE);
	int maps;
	void *p;

	assert_ok(sshm_region_map(r, &p));
	maps = test_map_count();
	assert_ok(sshm_region_seal(r));
	ck_assert_int_eq(test_map_count(), maps - 1);
	sshm_region_unref(r);
}
END_TEST

START_TEST(test_region_seal_then_map_write)
{
	struct sshm_region *r = new_region(SIZE);
	void *p = BOGUS_PTR;

	assert_ok(sshm_region_seal(r));
	assert_err(sshm_region_map(r, &p), -SSHM_ESEALED);
	ck_assert_ptr_eq(p, BOGUS_PTR);
	assert_err(sshm_region_write(r, 0, "x", 1), -SSHM_ESEALED);
	sshm_region_unref(r);
}
END_TEST

START_TEST(test_region_seal_mapped_then_map_write)
{
	struct sshm_region *r = new_region(SIZE);
	void *p;

	/* The same after the region had its own mapping. */
	assert_ok(sshm_region_map(r, &p));
	assert_ok(sshm_region_seal(r));
	assert_err(sshm_region_map(r, &p), -SSHM_ESEALED);
	assert_err(sshm_region_write(r, 0, "x", 1), -SSHM_ESEALED);
	sshm_region_unref(r);
}
END_TEST

START_TEST(test_region_seal_busy_all_or_nothing)
{
	struct sshm_region *r = new_region(SIZE);
	int fd = sshm_region_fd(r);
	unsigned int before = seals_of(fd);
	uint8_t *extra;

	/* Someone else's writable shared mapping: F_SEAL_WRITE must fail. */
	extra = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ck_assert_ptr_ne(extra, MAP_FAILED);
	assert_err(sshm_region_seal(r), -EBUSY);
	/* Not one seal went on: not even SHRINK, GROW or SEAL. */
	ck_assert_uint_eq(seals_of(fd), before);
	ck_assert_int_eq(sshm_region_is_sealed(r), 0);
	/* Still a writable region. */
	assert_ok(sshm_region_write(r, 0, "abc", 3));
	ck_assert_mem_eq(extra, "abc", 3);
	ck_assert_int_eq(munmap(extra, SIZE), 0);

	assert_ok(sshm_region_seal(r));
	ck_assert_int_eq(sshm_region_is_sealed(r), 1);
	ck_assert_uint_eq(seals_of(fd) & ~(unsigned int)F_SEAL_EXEC, SSHM_SEALS_APPLIED);
	expect_fd_bytes(fd, 0, "abc", 3);
	sshm_region_unref(r);
}
END_TEST

START_TEST(test_region_seal_busy_then_map)
{
	struct sshm_region *r = new_region(SIZE);
	int fd = sshm_region_fd(r);
	uint8_t *extra, *p;

	extra = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ck_assert_ptr_ne(extra, MAP_FAILED);
	assert_ok(sshm_region_map(r, (void **)&p));
	assert_err(sshm_region_seal(r), -EBUSY);
	/* The old pointer is gone; mapping again gives a working one. */
	assert_ok(sshm_region_map(r, (void **)&p));
	p[10] = 'q';
	ck_assert_int_eq(extra[10], 'q');
	ck_assert_int_eq(munmap(extra, SIZE), 0);
	assert_ok(sshm_region_seal(r));
	expect_fd_bytes(fd, 10, "q", 1);
	sshm_region_unref(r);
}
END_TEST

START_TEST(test_region_sealed_fd_immutable)
{
	struct sshm_region *r = new_region(SIZE);
	int fd = sshm_region_fd(r);
	uint8_t want[SIZE];
	void *p;

	fill(want, SIZE, 0x99);
	assert_ok(sshm_region_write(r, 0, want, SIZE));
	assert_ok(sshm_region_seal(r));

	errno = 0;
	ck_assert_int_eq(ftruncate(fd, SIZE * 2), -1);
	ck_assert_int_eq(errno, EPERM);
	ck_assert_int_eq(ftruncate(fd, SIZE / 2), -1);
	ck_assert_int_eq(errno, EPERM);
	ck_assert_int_eq(ftruncate(fd, 0), -1);
	ck_assert_int_eq(errno, EPERM);
	ck_assert_int_eq(pwrite(fd, "x", 1, 0), -1);
	ck_assert_int_eq(errno, EPERM);
	ck_assert_int_eq(pwrite(fd, "x", 1, SIZE), -1);
	ck_assert_int_eq(errno, EPERM);
	p = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ck_assert_ptr_eq(p, MAP_FAILED);
	ck_assert_int_eq(errno, EPERM);
	ck_assert_int_ne(fallocate(fd, 0, 0, SIZE * 2), 0);
	ck_assert_int_ne(
	    fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, SIZE), 0);
	/* F_SEAL_SEAL: nobody adds seals (e.g. a consumer) either. */
	ck_assert_int_eq(fcntl(fd, F_ADD_SEALS, F_SEAL_FUTURE_WRITE), -1);
	ck_assert_int_eq(errno, EPERM);

	ck_assert_int_eq(lseek(fd, 0, SEEK_END), (off_t)SIZE);
	expect_fd_bytes(fd, 0, want, SIZE);
	sshm_region_unref(r);
}
END_TEST

START_TEST(test_region_sealed_fd_verifies)
{
	struct sshm_region *r = new_region(SIZE);
	int fd = sshm_region_fd(r);
	unsigned int seals = 0xdeadbeef;

	/* What a consumer will check, before and after. */
	assert_err(sshm_fd_verify(fd, SIZE, NULL, &seals), -SSHM_ESEALS);
	ck_assert_uint_eq(seals, 0xdeadbeef);
	assert_ok(sshm_region_seal(r));
	assert_ok(sshm_fd_verify(fd, SIZE, NULL, &seals));
	ck_assert_uint_eq(seals, seals_of(fd));
	sshm_region_unref(r);
}
END_TEST

/* ------------------------------------------------------------ hugepage */

START_TEST(test_region_hugepage_flag_aligned)
{
	struct sshm_region *r;
	void *p;

	assert_ok(sshm_region_new(4 * MiB + 4096, SSHM_REGION_HUGEPAGE, &r));
	assert_ok(sshm_region_map(r, &p));
	ck_assert_uint_eq((uintptr_t)p % (2 * MiB), 0);
	memset(p, 1, 4 * MiB + 4096);
	assert_ok(sshm_region_seal(r));
	sshm_region_unref(r);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("region");
	TCase *tc;

	tc = test_tcase("new");
	tcase_add_test(tc, test_region_new_size_zero);
	tcase_add_test(tc, test_region_new_flags);
	tcase_add_test(tc, test_region_new_null_ret);
	tcase_add_test(tc, test_region_new_too_big);
	tcase_add_test(tc, test_region_new_basic);
	tcase_add_test(tc, test_region_new_cloexec);
	test_add_if(tc, test_region_new_noexec, need_noexec_seal());
	suite_add_tcase(s, tc);

	tc = test_tcase("refcount");
	tcase_add_test(tc, test_region_unref_null);
	tcase_add_test(tc, test_region_ref_counting);
	tcase_add_test(tc, test_region_unref_unmaps);
	suite_add_tcase(s, tc);

	tc = test_tcase("map");
	tcase_add_test(tc, test_region_map_same_pointer);
	tcase_add_test(tc, test_region_map_visible_via_fd);
	tcase_add_test(tc, test_region_map_null_args);
	suite_add_tcase(s, tc);

	tc = test_tcase("write");
	tcase_add_test(tc, test_region_write_visible);
	tcase_add_test(tc, test_region_write_empty);
	tcase_add_test(tc, test_region_write_bounds);
	tcase_add_test(tc, test_region_write_overflow);
	tcase_add_test(tc, test_region_write_null_args);
	suite_add_tcase(s, tc);

	tc = test_tcase("seal");
	tcase_add_test(tc, test_region_seal_exact_seals);
	tcase_add_test(tc, test_region_seal_twice);
	tcase_add_test(tc, test_region_seal_keeps_content);
	tcase_add_test(tc, test_region_seal_drops_mapping);
	tcase_add_test(tc, test_region_seal_then_map_write);
	tcase_add_test(tc, test_region_seal_mapped_then_map_write);
	tcase_add_test(tc, test_region_seal_busy_all_or_nothing);
	tcase_add_test(tc, test_region_seal_busy_then_map);
	tcase_add_test(tc, test_region_sealed_fd_immutable);
	tcase_add_test(tc, test_region_sealed_fd_verifies);
	suite_add_tcase(s, tc);

	tc = test_tcase("hugepage");
	tcase_add_test(tc, test_region_hugepage_flag_aligned);
	suite_add_tcase(s, tc);

	return s;
}

int main(void)
{
	return test_run(make_suite());
}
