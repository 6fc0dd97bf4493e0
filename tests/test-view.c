/* SPDX-License-Identifier: MIT */
/*
 * test-view - the consumer's view: a store into it faults and its mapping
 * is read-only (mprotect and /proc/self/mem are row 8 of
 * test-hostile-seals), it reports the seals it was verified with, its fd
 * and metadata follow the documented lifetimes, and the last unref leaves
 * nothing mapped and releases the region.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "macro.h"
#include "sshm.h"
#include "testlib.h"

/* ------------------------------------------------------------ helpers */

/* A producer (non-blocking, so releases can be collected) and a consumer. */
struct fixture {
	struct sshm_channel *prod;
	struct sshm_channel *cons;
	struct sshm_region *region;
	uint64_t size;
	unsigned int seed;
};

static void fixture_open(struct fixture *f, uint64_t size, unsigned int seed)
{
	void *p;

	f->size = size;
	f->seed = seed;
	assert_ok(sshm_channel_pair(SSHM_CHANNEL_NONBLOCK, &f->prod, &f->cons));
	assert_ok(sshm_region_new(size, 0, &f->region));
	assert_ok(sshm_region_map(f->region, &p));
	test_pattern_fill(p, size, seed);
	assert_ok(sshm_region_seal(f->region));
}

static struct sshm_view *fixture_send_recv(struct fixture *f, const void *meta,
					   size_t meta_len)
{
	struct sshm_view *v = NULL;

	assert_ok(sshm_channel_send(f->prod, f->region, meta, meta_len));
	assert_ok(sshm_channel_recv(f->cons, NULL, &v));
	ck_assert_ptr_nonnull(v);
	ck_assert_int_eq(sshm_view_is_region(v), 1);
	return v;
}

/* In flight on the producer, after it read whatever releases arrived. */
static unsigned int fixture_inflight(struct fixture *f)
{
	struct sshm_view *v = NULL;

	assert_err(sshm_channel_recv(f->prod, NULL, &v), -EAGAIN);
	return sshm_channel_inflight(f->prod);
}

static void fixture_close(struct fixture *f)
{
	f->region = sshm_region_unref(f->region);
	f->prod = sshm_channel_unref(f->prod);
	f->cons = sshm_channel_unref(f->cons);
}

/*
 * Does this kernel let a write-sealed memfd be mapped MAP_SHARED read-only
 * (6.7, fixed again in 6.12.9/6.13)?  If so the library must use it; else
 * it falls back to MAP_PRIVATE.
 */
static int kernel_maps_sealed_shared(void)
{
	int fd = memfd_create("sshm-test-probe", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	void *p = MAP_FAILED;

	if (fd < 0)
		return 0;
	if (ftruncate(fd, 4096) == 0 && fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE) == 0)
		p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return 0;
	munmap(p, 4096);
	return 1;
}

/* The permissions of the /proc/self/maps line holding @addr ("r--s"). */
static void maps_perms(const void *addr, char perms[5])
{
	FILE *f = fopen("/proc/self/maps", "re");
	char line[512];
	int found = 0;

	ck_assert_ptr_nonnull(f);
	while (!found && fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;
		char p[5];

		if (sscanf(line, "%lx-%lx %4s", &lo, &hi, p) != 3)
			continue;
		if ((uintptr_t)addr >= lo && (uintptr_t)addr < hi) {
			memcpy(perms, p, 5);
			found = 1;
		}
	}
	fclose(f);
	ck_assert_msg(found, "%p is not in /proc/self/maps", addr);
}

/* ------------------------------------------------------------ read-only */

static int child_write_view(void *arg)
{
	volatile uint8_t *p = arg;

	/* Die by the signal itself, not by a sanitizer's or valgrind's
	 * report, and leave no core file behind. */
	signal(SIGSEGV, SIG_DFL);
	signal(SIGBUS, SIG_DFL);
	prctl(PR_SET_DUMPABLE, 0);
	p[0] = 0x5a;
	p[4096] = 0x5a;
	return 0; /* the store went through: the test fails */
}

START_TEST(test_view_write_segfaults)
{
	struct fixture f;
	struct sshm_view *v;
	uint8_t first;
	pid_t pid;
	int st;

	fixture_open(&f, 2 * 4096, 1);
	v = fixture_send_recv(&f, NULL, 0);
	first = *(const uint8_t *)sshm_view_data(v);

	pid = test_fork(child_write_view, (void *)sshm_view_data(v));
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV,
		      "writing to the view: child %s %d, expected killed by SIGSEGV",
		      WIFSIGNALED(st) ? "killed by signal" : "exited with",
		      WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
	ck_assert_uint_eq(*(const uint8_t *)sshm_view_data(v), first);
	test_view_check_pattern(v, f.size, f.seed);

	sshm_view_unref(v);
	fixture_close(&f);
}
END_TEST

START_TEST(test_view_mapping_read_only)
{
	struct fixture f;
	struct sshm_view *v;
	char perms[5];

	fixture_open(&f, 3 * 4096, 4);
	v = fixture_send_recv(&f, NULL, 0);
	maps_perms(sshm_view_data(v), perms);
	ck_assert_msg(perms[0] == 'r' && perms[1] == '-' && perms[2] == '-',
		      "view mapped \"%s\", expected read-only and never executable",
		      perms);
	if (kernel_maps_sealed_shared())
		ck_assert_msg(perms[3] == 's',
			      "view mapped \"%s\": this kernel allows a read-only "
			      "MAP_SHARED mapping, so no MAP_PRIVATE fallback",
			      perms);

	sshm_view_unref(v);
	fixture_close(&f);
}
END_TEST

/* ------------------------------------------------------------ accessors */

START_TEST(test_view_seals_reported)
{
	struct fixture f;
	struct sshm_view *v;
	unsigned int seals;
	int got;

	fixture_open(&f, 4096, 5);
	v = fixture_send_recv(&f, NULL, 0);
	seals = sshm_view_seals(v);
	ck_assert_uint_eq(seals & (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE),
			  F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE);
	/* An sshm producer always adds F_SEAL_SEAL. */
	ck_assert_uint_ne(seals & F_SEAL_SEAL, 0);
	got = fcntl(sshm_view_fd(v), F_GET_SEALS);
	ck_assert_int_ge(got, 0);
	ck_assert_uint_eq(seals, (unsigned int)got);

	sshm_view_unref(v);
	fixture_close(&f);
}
END_TEST

START_TEST(test_view_inline_accessors)
{
	struct sshm_channel *a, *b;
	struct sshm_view *v = NULL;
	size_t mlen = 99;

	assert_ok(sshm_channel_pair(0, &a, &b));
	assert_ok(sshm_channel_send_bytes(a, "payload", 7, NULL, 0));
	assert_ok(sshm_channel_recv(b, NULL, &v));
	ck_assert_int_eq(sshm_view_is_region(v), 0);
	ck_assert_int_eq(sshm_view_fd(v), -1);
	ck_assert_uint_eq(sshm_view_seals(v), 0);
	ck_assert_uint_eq(sshm_view_size(v), 7);
	ck_assert_mem_eq(sshm_view_data(v), "payload", 7);
	ck_assert_ptr_null(sshm_view_meta(v, &mlen));
	ck_assert_uint_eq(mlen, 0);
	ck_assert_ptr_nonnull(sshm_view_identity(v));
	ck_assert_int_eq(sshm_view_identity(v)->verdict, SSHM_VERDICT_NOT_CHECKED);

	sshm_view_unref(v);
	sshm_channel_unref(a);
	sshm_channel_unref(b);
}
END_TEST

START_TEST(test_view_fd_lifetime)
{
	struct fixture f;
	struct sshm_view *v;
	struct stat st;
	int fd, fl;

	fixture_open(&f, 5 * 4096 + 7, 6);
	v = fixture_send_recv(&f, NULL, 0);
	fd = sshm_view_fd(v);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(sshm_view_fd(v), fd);
	fl = fcntl(fd, F_GETFD);
	ck_assert_int_ge(fl, 0);
	ck_assert_msg(fl & FD_CLOEXEC, "the view's fd is not close-on-exec");
	ck_assert_int_eq(fstat(fd, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	ck_assert_uint_eq((uint64_t)st.st_size, f.size);
	ck_assert_uint_eq(sshm_view_size(v), f.size);

	/* Borrowed: the last unref closes it. */
	sshm_view_unref(v);
	errno = 0;
	ck_assert_int_eq(fcntl(fd, F_GETFD), -1);
	ck_assert_int_eq(errno, EBADF);
	fixture_close(&f);
}
END_TEST

START_TEST(test_view_meta)
{
	struct fixture f;
	struct sshm_view *v1, *v2;
	char meta[32] = "width=640 height=480";
	const void *m;
	size_t mlen = 77;

	fixture_open(&f, 4096, 7);
	v1 = fixture_send_recv(&f, NULL, 0);
	ck_assert_ptr_null(sshm_view_meta(v1, &mlen));
	ck_assert_uint_eq(mlen, 0);

	v2 = fixture_send_recv(&f, meta, strlen(meta));
	/* A copy: the sender's buffer may change afterwards. */
	memset(meta, 0, sizeof(meta));
	m = sshm_view_meta(v2, &mlen);
	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(mlen, strlen("width=640 height=480"));
	ck_assert_mem_eq(m, "width=640 height=480", mlen);
	/* Stable across calls. */
	ck_assert_ptr_eq(sshm_view_meta(v2, &mlen), m);

	sshm_view_unref(v1);
	sshm_view_unref(v2);
	fixture_close(&f);
}
END_TEST

/* ------------------------------------------------------------ references */

START_TEST(test_view_ref_unref)
{
	struct fixture f;
	struct sshm_view *v;

	fixture_open(&f, 3 * 4096, 8);
	v = fixture_send_recv(&f, NULL, 0);
	ck_assert_ptr_eq(sshm_view_ref(v), v);
	ck_assert_uint_eq(fixture_inflight(&f), 1);

	/* First of two: everything still there, nothing released. */
	ck_assert_ptr_null(sshm_view_unref(v));
	test_view_check_pattern(v, f.size, f.seed);
	ck_assert_int_ge(fcntl(sshm_view_fd(v), F_GETFD), 0);
	ck_assert_uint_eq(fixture_inflight(&f), 1);

	/* The last one releases the region to the producer. */
	ck_assert_ptr_null(sshm_view_unref(v));
	ck_assert_uint_eq(fixture_inflight(&f), 0);
	fixture_close(&f);
}
END_TEST

START_TEST(test_view_unref_null)
{
	ck_assert_ptr_null(sshm_view_unref(NULL));
}
END_TEST

/* Every accessor takes NULL; the one returning a code says -EINVAL, as
 * every function of the library that takes an object does. */
START_TEST(test_view_accessors_null)
{
	size_t len = 7;

	assert_err(sshm_view_fd(NULL), -EINVAL);
	ck_assert_ptr_null(sshm_view_data(NULL));
	ck_assert_uint_eq(sshm_view_size(NULL), 0);
	ck_assert_ptr_null(sshm_view_meta(NULL, &len));
	ck_assert_uint_eq(len, 0);
	ck_assert_int_eq(sshm_view_is_region(NULL), 0);
	ck_assert_uint_eq(sshm_view_seals(NULL), 0);
	ck_assert_ptr_null(sshm_view_identity(NULL));
	ck_assert_ptr_null(sshm_view_ref(NULL));
}
END_TEST

START_TEST(test_view_unmapped_after_unref)
{
	struct fixture f;
	struct sshm_view *v;
	int before, during;

	fixture_open(&f, 1 << 20, 9);
	/* Warm up: the first round trip may grow the heap. */
	v = fixture_send_recv(&f, NULL, 0);
	sshm_view_unref(v);
	(void)fixture_inflight(&f);

	before = test_map_count();
	v = fixture_send_recv(&f, NULL, 0);
	during = test_map_count();
	ck_assert_int_gt(during, before);
	sshm_view_unref(v);
	ck_assert_msg(test_map_count() == before,
		      "%d mappings before recv, %d with the view, %d after its unref",
		      before, during, test_map_count());
	(void)fixture_inflight(&f);
	fixture_close(&f);
}
END_TEST

START_TEST(test_view_outlives_channel)
{
	/* A view keeps the connection: unref the channel first, the view stays
	 * valid and its release still reaches the producer. */
	struct fixture f;
	struct sshm_view *v;

	fixture_open(&f, 2 * 4096, 10);
	v = fixture_send_recv(&f, NULL, 0);
	f.cons = sshm_channel_unref(f.cons);
	test_view_check_pattern(v, f.size, f.seed);
	ck_assert_uint_eq(fixture_inflight(&f), 1);

	sshm_view_unref(v);
	/* Release, then end of file: the producer sees both. */
	ck_assert_uint_eq(sshm_channel_inflight(f.prod), 1);
	{
		struct sshm_view *none = NULL;

		assert_err(sshm_channel_recv(f.prod, NULL, &none), -EPIPE);
	}
	ck_assert_uint_eq(sshm_channel_inflight(f.prod), 0);
	fixture_close(&f);
}
END_TEST

/* ------------------------------------------------------------ suite */

static Suite *view_suite(void)
{
	Suite *s = suite_create("view");
	TCase *tc;

	tc = test_tcase("read_only");
	tcase_add_test(tc, test_view_write_segfaults);
	tcase_add_test(tc, test_view_mapping_read_only);
	suite_add_tcase(s, tc);

	tc = test_tcase("accessors");
	tcase_add_test(tc, test_view_seals_reported);
	tcase_add_test(tc, test_view_inline_accessors);
	tcase_add_test(tc, test_view_fd_lifetime);
	tcase_add_test(tc, test_view_meta);
	tcase_add_test(tc, test_view_accessors_null);
	suite_add_tcase(s, tc);

	tc = test_tcase("references");
	tcase_add_test(tc, test_view_ref_unref);
	tcase_add_test(tc, test_view_unref_null);
	tcase_add_test(tc, test_view_unmapped_after_unref);
	tcase_add_test(tc, test_view_outlives_channel);
	suite_add_tcase(s, tc);

	return s;
}

int main(void)
{
	return test_run(view_suite());
}
