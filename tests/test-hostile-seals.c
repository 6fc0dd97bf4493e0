/* SPDX-License-Identifier: MIT */
/*
 * test-hostile-seals - the rows of the threat matrix in
 * doc/threat-model.md about seals and immutability: 1-3 (unsealed, partly
 * sealed, FUTURE_WRITE with a writable mapping kept, truncated before the
 * check), 8 (writes to the view through mprotect, /proc/self/mem or its
 * fd), 9 (sealing refused while a writable mapping or a pinned page
 * exists), 17 (the consumer adding seals), and the SIGBUS proof: a forked
 * attacker mutating every region right after sending it while a forked
 * consumer reads every byte it accepted.  The harness is hostile.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "macro.h"
#include "sshm.h"
#include "testlib.h"
#include "hostile.h"

/* ------------------------------------------------------------ rows 1-3: seals */

START_TEST(test_hostile_row01_unsealed)
{
	fd_case(test_memfd_pattern(4096, 1, 0), 4096, -SSHM_ESEALS);
}
END_TEST

START_TEST(test_hostile_row01_no_allow_sealing)
{
	/* Without MFD_ALLOW_SEALING the memfd comes with F_SEAL_SEAL only:
	 * none of the required seals.  (Under vm.memfd_noexec=2 the kernel
	 * makes it MFD_NOEXEC_SEAL instead: F_SEAL_EXEC, sealable, and still
	 * none of the required seals.) */
	int fd = memfd_create("hostile", MFD_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, 4096), 0);
	ck_assert_int_eq(fcntl(fd, F_GET_SEALS) & SSHM_SEALS_REQUIRED, 0);
	fd_case(fd, 4096, -SSHM_ESEALS);
}
END_TEST

START_TEST(test_hostile_row01_seal_missing)
{
	/* Each of SHRINK, GROW, WRITE missing in turn, F_SEAL_SEAL set. */
	static const unsigned int missing[] = { F_SEAL_SHRINK, F_SEAL_GROW,
						F_SEAL_WRITE };
	struct atk a;
	unsigned int i;

	atk_open(&a);
	for (i = 0; i < 3; i++) {
		int fd = test_memfd_pattern(4096, i, SSHM_SEALS_APPLIED & ~missing[i]);

		ck_assert_int_ge(fd, 0);
		/* F_SEAL_EXEC aside: vm.memfd_noexec=2 adds it to every memfd. */
		ck_assert_int_eq(fcntl(fd, F_GET_SEALS) & ~F_SEAL_EXEC,
				 (int)(SSHM_SEALS_APPLIED & ~missing[i]));
		expect_fd_rejected(&a, 10 + i, fd, 4096, NULL, -SSHM_ESEALS);
		close(fd);
	}
	atk_close(&a);
}
END_TEST

START_TEST(test_hostile_row01_only_one_seal)
{
	/* Exactly one of the three required seals, and no F_SEAL_SEAL: the
	 * attacker could still add the others later, too late to matter. */
	static const unsigned int only[] = { F_SEAL_SHRINK, F_SEAL_GROW, F_SEAL_WRITE };
	struct atk a;
	unsigned int i;

	atk_open(&a);
	for (i = 0; i < 3; i++) {
		int fd = test_memfd_pattern(4096, i, only[i]);

		ck_assert_int_ge(fd, 0);
		expect_fd_rejected(&a, 20 + i, fd, 4096, NULL, -SSHM_ESEALS);
		close(fd);
	}
	atk_close(&a);
}
END_TEST

START_TEST(test_hostile_row01_required_seal_seal)
{
	/* SHRINK|GROW|WRITE without F_SEAL_SEAL: accepted by default (the
	 * three required seals can never be removed), rejected by a policy
	 * that asks for F_SEAL_SEAL too. */
	struct atk a;
	struct sshm_policy pol;
	struct sshm_view *v = NULL;
	const unsigned int three = F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;
	int fd = test_memfd_pattern(4096, 3, three);

	ck_assert_int_ge(fd, 0);
	atk_open(&a);
	memset(&pol, 0, sizeof(pol));
	pol.required_seals = F_SEAL_SEAL;
	expect_fd_rejected(&a, 1, fd, 4096, &pol, -SSHM_ESEALS);

	ck_assert_int_eq(atk_region(&a, 2, 4096, fd, fd), 0);
	assert_ok(sshm_channel_recv(a.ch, NULL, &v));
	ck_assert_uint_eq(sshm_view_seals(v) & ~(unsigned int)F_SEAL_EXEC, three);
	ck_assert(test_view_matches(v, 4096, 3));
	sshm_view_unref(v);
	ck_assert_int_eq(raw_wait_release(a.raw, 2, 5000), 0);
	close(fd);
	atk_close(&a);
}
END_TEST

START_TEST(test_hostile_row02_future_write)
{
	/* F_SEAL_FUTURE_WRITE instead of WRITE: the attacker keeps a writable
	 * mapping made before the seal and writes through it after sending.
	 * Rejected, so the consumer never maps (never sees) changing bytes. */
	struct atk a;
	struct sshm_view *v = NULL;
	uint8_t *w;
	int fd, maps, fds;

	fd = test_memfd_pattern(16384, 4, 0);
	ck_assert_int_ge(fd, 0);
	w = mmap(NULL, 16384, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ck_assert_ptr_ne(w, MAP_FAILED);
	ck_assert_int_eq(
	    fcntl(fd, F_ADD_SEALS,
		  F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_FUTURE_WRITE | F_SEAL_SEAL),
	    0);
	/* The premise: the seal does not stop the old mapping. */
	w[0] ^= 0xff;
	w[0] ^= 0xff;

	atk_open(&a);
	fds = test_fd_count();
	maps = test_map_count();
	ck_assert_int_eq(atk_region(&a, 1, 16384, fd, fd), 0);
	memset(w, 0xAA, 16384); /* after sending, before the consumer looks */
	assert_err(sshm_channel_recv(a.ch, NULL, &v), -SSHM_ESEALS);
	ck_assert_ptr_null(v);
	memset(w, 0x55, 16384); /* and after */
	ck_assert_int_eq(test_fd_count(), fds);
	ck_assert_int_eq(test_map_count(), maps);
	ck_assert_int_eq(raw_wait_release(a.raw, 1, 5000), 0);

	/* Even a policy asking for FUTURE_WRITE on top still wants WRITE. */
	{
		struct sshm_policy pol;

		memset(&pol, 0, sizeof(pol));
		pol.required_seals = F_SEAL_FUTURE_WRITE;
		expect_fd_rejected(&a, 2, fd, 16384, &pol, -SSHM_ESEALS);
	}
	atk_check_usable(&a, 3);

	ck_assert_int_eq(munmap(w, 16384), 0);
	close(fd);
	atk_close(&a);
}
END_TEST

START_TEST(test_hostile_row02_readonly_mapping_kept)
{
	/* The attacker keeps a read-only MAP_SHARED mapping from before the
	 * seal and tries to mprotect it writable afterwards.  Either the
	 * kernel refuses the seal while it exists (-EBUSY), or the mprotect
	 * fails: the consumer's bytes never change. */
	struct atk a;
	struct sshm_view *v = NULL;
	uint8_t *ro;
	int fd = test_memfd_pattern(8192, 7, 0);

	ck_assert_int_ge(fd, 0);
	ro = mmap(NULL, 8192, PROT_READ, MAP_SHARED, fd, 0);
	ck_assert_ptr_ne(ro, MAP_FAILED);
	if (fcntl(fd, F_ADD_SEALS, SSHM_SEALS_APPLIED) < 0) {
		ck_assert_int_eq(errno, EBUSY);
		ck_assert_int_eq(munmap(ro, 8192), 0);
		ck_assert_int_eq(fcntl(fd, F_ADD_SEALS, SSHM_SEALS_APPLIED), 0);
		ro = NULL;
	}
	atk_open(&a);
	ck_assert_int_eq(atk_region(&a, 1, 8192, fd, fd), 0);
	assert_ok(sshm_channel_recv(a.ch, NULL, &v));
	if (ro) {
		ck_assert_int_eq(mprotect(ro, 8192, PROT_READ | PROT_WRITE), -1);
		ck_assert_int_eq(munmap(ro, 8192), 0);
	}
	ck_assert(test_view_matches(v, 8192, 7));
	sshm_view_unref(v);
	ck_assert_int_eq(raw_wait_release(a.raw, 1, 5000), 0);
	close(fd);
	atk_close(&a);
}
END_TEST

START_TEST(test_hostile_row03_truncate_before_seal)
{
	/* The attacker sends an unsealed memfd and shrinks it before the
	 * consumer checks it: the seals are checked before the size, so the
	 * verdict is "seals", and nothing is mapped (no SIGBUS possible). */
	struct atk a;
	struct sshm_view *v = NULL;
	int fd = test_memfd_pattern(65536, 5, 0), fds, maps;

	ck_assert_int_ge(fd, 0);
	atk_open(&a);
	fds = test_fd_count();
	maps = test_map_count();
	ck_assert_int_eq(atk_region(&a, 1, 65536, fd, fd), 0);
	ck_assert_int_eq(ftruncate(fd, 4096), 0);
	assert_err(sshm_channel_recv(a.ch, NULL, &v), -SSHM_ESEALS);
	ck_assert_int_eq(test_fd_count(), fds);
	ck_assert_int_eq(test_map_count(), maps);
	ck_assert_int_eq(raw_wait_release(a.raw, 1, 5000), 0);

	/* Same with the announced size matching the new size: still seals. */
	ck_assert_int_eq(atk_region(&a, 2, 65536, fd, fd), 0);
	ck_assert_int_eq(ftruncate(fd, 0), 0);
	assert_err(sshm_channel_recv(a.ch, NULL, &v), -SSHM_ESEALS);
	ck_assert_int_eq(test_fd_count(), fds);
	ck_assert_int_eq(test_map_count(), maps);
	ck_assert_int_eq(raw_wait_release(a.raw, 2, 5000), 0);

	/* Only SHRINK missing: the attacker shrinks, still "seals". */
	close(fd);
	fd = test_memfd_pattern(65536, 5, F_SEAL_GROW | F_SEAL_WRITE);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(atk_region(&a, 3, 65536, fd, fd), 0);
	ck_assert_int_eq(ftruncate(fd, 4096), 0);
	assert_err(sshm_channel_recv(a.ch, NULL, &v), -SSHM_ESEALS);
	ck_assert_int_eq(test_fd_count(), fds);
	ck_assert_int_eq(test_map_count(), maps);
	ck_assert_int_eq(raw_wait_release(a.raw, 3, 5000), 0);

	atk_check_usable(&a, 4);
	close(fd);
	atk_close(&a);
}
END_TEST

START_TEST(test_hostile_row03_sealed_cannot_shrink)
{
	/* A sealed region accepted: the attacker's shrink, hole punch and
	 * writes all fail, and every byte of the view stays readable. */
	struct atk a;
	struct sshm_view *v = NULL;
	int fd = test_memfd_pattern(65536, 6, SSHM_SEALS_APPLIED);

	ck_assert_int_ge(fd, 0);
	atk_open(&a);
	ck_assert_int_eq(atk_region(&a, 1, 65536, fd, fd), 0);
	assert_ok(sshm_channel_recv(a.ch, NULL, &v));
	ck_assert_int_eq(ftruncate(fd, 0), -1);
	ck_assert_int_eq(errno, EPERM);
	ck_assert_int_eq(
	    fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 65536), -1);
	ck_assert_int_eq(errno, EPERM);
	ck_assert_int_eq(pwrite(fd, "x", 1, 0), -1);
	ck_assert_int_eq(errno, EPERM);
	ck_assert_ptr_eq(mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0),
			 MAP_FAILED);
	ck_assert(test_view_matches(v, 65536, 6));
	sshm_view_unref(v);
	ck_assert_int_eq(raw_wait_release(a.raw, 1, 5000), 0);
	close(fd);
	atk_close(&a);
}
END_TEST

/* ------------------------------------------------------------ row 17 */

START_TEST(test_hostile_row17_consumer_add_seals)
{
	/* The library producer always sets F_SEAL_SEAL: the consumer cannot
	 * add seals (e.g. FUTURE_WRITE/EXEC games) to the producer's memfd. */
	struct sshm_channel *p, *c;
	struct sshm_region *r = NULL;
	struct sshm_view *v = NULL;
	int fd;

	assert_ok(sshm_channel_pair(0, &p, &c));
	assert_ok(sshm_region_new(8192, 0, &r));
	assert_ok(sshm_region_write(r, 0, "sealed", 6));
	assert_ok(sshm_region_seal(r));
	ck_assert_int_eq(fcntl(sshm_region_fd(r), F_GET_SEALS) & SSHM_SEALS_APPLIED,
			 SSHM_SEALS_APPLIED);
	assert_ok(sshm_channel_send(p, r, NULL, 0));
	assert_ok(sshm_channel_recv(c, NULL, &v));
	fd = sshm_view_fd(v);
	ck_assert_int_ge(fd, 0);
	ck_assert_uint_ne(sshm_view_seals(v) & F_SEAL_SEAL, 0);
	errno = 0;
	ck_assert_int_eq(fcntl(fd, F_ADD_SEALS, F_SEAL_FUTURE_WRITE), -1);
	ck_assert_int_eq(errno, EPERM);
	errno = 0;
	ck_assert_int_eq(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK), -1);
	ck_assert_int_eq(errno, EPERM);
	/* Nothing was added (F_SEAL_EXEC may be there: MFD_NOEXEC_SEAL). */
	ck_assert_int_eq(fcntl(sshm_region_fd(r), F_GET_SEALS) & F_SEAL_FUTURE_WRITE, 0);
	ck_assert_mem_eq(sshm_view_data(v), "sealed", 6);
	sshm_view_unref(v);
	sshm_region_unref(r);
	sshm_channel_unref(p);
	sshm_channel_unref(c);
}
END_TEST

/* ------------------------------------------------------------ rows 8, 9: immutability */

START_TEST(test_hostile_row08_mprotect_write)
{
	/* Neither the whole view nor one page of it turns writable. */
	const size_t len = 3 * 4096;
	struct sshm_channel *p, *c;
	struct sshm_region *r = test_region_pattern_checked(len, 8);
	struct sshm_view *v = NULL;
	void *data;
	int ret;

	assert_ok(sshm_channel_pair(0, &p, &c));
	assert_ok(sshm_channel_send(p, r, NULL, 0));
	assert_ok(sshm_channel_recv(c, NULL, &v));
	data = (void *)sshm_view_data(v);
	errno = 0;
	ret = mprotect(data, len, PROT_READ | PROT_WRITE);
	ck_assert_msg(
	    ret == -1 && errno == EACCES,
	    "mprotect(PROT_READ | PROT_WRITE) on the view: %d (%s), expected EACCES", ret,
	    strerror(errno));
	errno = 0;
	ret = mprotect(data, len, PROT_WRITE);
	ck_assert_msg(ret == -1 && errno == EACCES,
		      "mprotect(PROT_WRITE) on the view: %d (%s), expected EACCES", ret,
		      strerror(errno));
	errno = 0;
	ret = mprotect(data, test_page_size(), PROT_READ | PROT_WRITE);
	ck_assert_msg(ret == -1 && errno == EACCES,
		      "mprotect(PROT_WRITE) on its first page: %d (%s), expected EACCES",
		      ret, strerror(errno));
	test_view_check_pattern(v, len, 8);
	sshm_view_unref(v);
	sshm_region_unref(r);
	sshm_channel_unref(p);
	sshm_channel_unref(c);
}
END_TEST

START_TEST(test_hostile_row08_proc_self_mem)
{
	/* /proc/self/mem writes with FOLL_FORCE: a MAP_PRIVATE view would get
	 * a private copy-on-write page there; the read-only shared view must
	 * refuse, and the region (its memfd) must not change either. */
	struct sshm_channel *p, *c;
	struct sshm_region *r = test_region_pattern_checked(4096, 9);
	struct sshm_view *v = NULL;
	const uint8_t *data;
	uint8_t junk[16], ondisk;
	int mem;
	ssize_t n;

	assert_ok(sshm_channel_pair(0, &p, &c));
	assert_ok(sshm_channel_send(p, r, NULL, 0));
	assert_ok(sshm_channel_send(p, r, NULL, 0));
	assert_ok(sshm_channel_recv(c, NULL, &v));
	data = sshm_view_data(v);
	memset(junk, (uint8_t)~data[0], sizeof(junk));
	mem = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
	ck_assert_int_ge(mem, 0);
	n = pwrite(mem, junk, sizeof(junk), (off_t)(uintptr_t)data);
	close(mem);
	ck_assert_msg(n < 0, "write through /proc/self/mem succeeded (%zd)", n);
	test_view_check_pattern(v, 4096, 9);
	ck_assert_int_eq(pread(sshm_view_fd(v), &ondisk, 1, 0), 1);
	ck_assert_uint_eq(ondisk, test_pattern_byte(9, 0));
	sshm_view_unref(v);
	/* A second view of the same region: still the original bytes. */
	assert_ok(sshm_channel_recv(c, NULL, &v));
	test_view_check_pattern(v, 4096, 9);
	sshm_view_unref(v);
	sshm_region_unref(r);
	sshm_channel_unref(p);
	sshm_channel_unref(c);
}
END_TEST

START_TEST(test_hostile_row08_view_fd_write)
{
	/* The consumer holds the memfd itself: every write path is sealed. */
	struct sshm_channel *p, *c;
	struct sshm_region *r = sealed_region(4096);
	struct sshm_view *v = NULL;
	char path[64];
	uint8_t *priv;
	int fd, re;

	assert_ok(sshm_channel_pair(0, &p, &c));
	assert_ok(sshm_channel_send(p, r, NULL, 0));
	assert_ok(sshm_channel_recv(c, NULL, &v));
	fd = sshm_view_fd(v);
	errno = 0;
	ck_assert_int_eq(pwrite(fd, "X", 1, 0), -1);
	ck_assert_int_eq(errno, EPERM);
	ck_assert_ptr_eq(mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0),
			 MAP_FAILED);
	ck_assert_int_eq(ftruncate(fd, 0), -1);
	ck_assert_int_eq(
	    fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 4096), -1);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	re = open(path, O_RDWR | O_CLOEXEC);
	ck_assert_int_ge(re, 0);
	ck_assert_int_eq(pwrite(re, "X", 1, 0), -1);
	close(re);
	/* A private writable mapping is a copy: the view does not change. */
	priv = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	ck_assert_ptr_ne(priv, MAP_FAILED);
	priv[0] = 'X';
	ck_assert_int_eq(munmap(priv, 4096), 0);
	ck_assert_mem_eq(sshm_view_data(v), "hostile", 7);
	sshm_view_unref(v);
	sshm_region_unref(r);
	sshm_channel_unref(p);
	sshm_channel_unref(c);
}
END_TEST

START_TEST(test_hostile_row09_writable_mapping_ebusy)
{
	struct atk a;
	struct sshm_region *r = NULL;
	void *own, *extra;

	atk_open(&a);
	assert_ok(sshm_region_new(8192, 0, &r));
	assert_ok(sshm_region_map(r, &own));
	memcpy(own, "before", 6);
	extra = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, sshm_region_fd(r),
		     0);
	ck_assert_ptr_ne(extra, MAP_FAILED);
	assert_err(sshm_region_seal(r), -EBUSY);
	ck_assert_int_eq(sshm_region_is_sealed(r), 0);
	/* All or none: not one seal was applied. */
	ck_assert_int_eq(fcntl(sshm_region_fd(r), F_GET_SEALS) & SSHM_SEALS_APPLIED, 0);
	assert_err(sshm_channel_send(a.ch, r, NULL, 0), -SSHM_ENOTSEALED);
	ck_assert_uint_eq(sshm_channel_inflight(a.ch), 0);
	ck_assert(raw_quiet(a.raw)); /* nothing was sent */
	/* The extra mapping still writes: proof the region is not sealed. */
	memcpy(extra, "after!", 6);
	ck_assert_int_eq(munmap(extra, 8192), 0);
	assert_ok(sshm_region_seal(r));
	assert_ok(sshm_channel_send(a.ch, r, NULL, 0));
	ck_assert_uint_eq(raw_take_region(a.raw, 5000), 1);
	sshm_region_unref(r);
	atk_close(&a);
}
END_TEST

START_TEST(test_hostile_row09_pinned_pages_ebusy)
{
	/* vmsplice(2) leaves references to the region's pages in a pipe: a
	 * later write through the pipe's page would bypass the seal. */
	struct atk a;
	struct sshm_region *r = NULL;
	struct iovec iov;
	char buf[4096];
	void *own;
	int pp[2];

	atk_open(&a);
	ck_assert_int_eq(pipe2(pp, O_CLOEXEC), 0);
	assert_ok(sshm_region_new(4 * 4096, 0, &r));
	assert_ok(sshm_region_map(r, &own));
	memset(own, 'p', 4 * 4096);
	iov.iov_base = own;
	iov.iov_len = 4096;
	ck_assert_int_eq(vmsplice(pp[1], &iov, 1, 0), 4096);
	assert_err(sshm_region_seal(r), -EBUSY);
	ck_assert_int_eq(sshm_region_is_sealed(r), 0);
	assert_err(sshm_channel_send(a.ch, r, NULL, 0), -SSHM_ENOTSEALED);
	ck_assert(raw_quiet(a.raw));
	/* Once the pipe gave its pages back, sealing works. */
	ck_assert_int_eq(read(pp[0], buf, sizeof(buf)), 4096);
	assert_ok(sshm_region_seal(r));
	assert_ok(sshm_channel_send(a.ch, r, NULL, 0));
	ck_assert_uint_eq(raw_take_region(a.raw, 5000), 1);
	close(pp[0]);
	close(pp[1]);
	sshm_region_unref(r);
	atk_close(&a);
}
END_TEST

/* ------------------------------------------------------------ SIGBUS proof */

/*
 * A forked attacker sends SB_REGIONS regions of random sizes, sealed,
 * unsealed and FUTURE_WRITE-only, and right after each send shrinks,
 * punches holes, pwrite()s and maps writable its own fd (and writes through
 * a mapping kept from before the seal).  A forked consumer reads every byte
 * of every view it accepts and checks it against the checksum the attacker
 * put in the metadata.  Any SIGBUS kills the consumer by a signal; any
 * changed byte makes it exit non-zero.
 */
#define SB_REGIONS  200
#define SB_MAX_SIZE (256u * 1024u)

enum { SB_SEALED, SB_UNSEALED, SB_FUTURE_WRITE };

struct sb_meta {
	uint64_t sum;
	uint64_t size;
	uint32_t kind;
	uint32_t index;
};

static uint64_t sb_sum(const volatile uint8_t *p, uint64_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL, i;

	for (i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

struct sb_ctx {
	int raw;
	int lib_end;
};

struct sb_slot {
	int fd;
	void *map; /* a FUTURE_WRITE region's writable mapping */
	size_t size;
};

static struct sb_slot sb_slots[SB_REGIONS + 1];
static unsigned int sb_inflight;
static uint8_t rbuf[16 + 8 * 4096];

/* Handles one packet from the consumer: RELEASEs free their slots. */
static int sb_read_releases(int raw, int timeout_ms)
{
	ssize_t n = raw_recv(raw, rbuf, sizeof(rbuf), timeout_ms);
	uint32_t count, k;

	if (n == -1)
		return timeout_ms ? -1 : 0;
	if (n < 16 || sshm_get_le32(rbuf) != RAW_MAGIC || rbuf[5] != RAW_RELEASE)
		return -1;
	count = sshm_get_le32(rbuf + 8);
	for (k = 0; k < count; k++) {
		uint64_t id = sshm_get_le64(rbuf + 16 + 8 * k);

		if (id == 0 || id > SB_REGIONS || sb_slots[id].fd < 0)
			return -1;
		close(sb_slots[id].fd);
		if (sb_slots[id].map)
			munmap(sb_slots[id].map, sb_slots[id].size);
		sb_slots[id].fd = -1;
		sb_slots[id].map = NULL;
		sb_inflight--;
	}
	return 0;
}

static int child_sb_attacker(void *arg)
{
	const struct sb_ctx *ctx = arg;
	static uint8_t data[SB_MAX_SIZE];
	uint8_t b[64 + sizeof(struct sb_meta)];
	unsigned int i, sealed = 0;
	uint64_t k;

	close(ctx->lib_end);
	for (i = 0; i <= SB_REGIONS; i++)
		sb_slots[i].fd = -1;
	test_rng_seed(0xb05b05b05ULL);
	CHILD_CHECK(raw_send(ctx->raw, b, raw_hello(b, 64, 0), -1) == 0, 10);
	CHILD_CHECK(raw_recv(ctx->raw, b, sizeof(b), 5000) >= 32, 11);

	for (i = 0; i < SB_REGIONS; i++) {
		struct sb_meta meta;
		const uint64_t id = i + 1;
		const size_t size = 1 + (size_t)(test_rng() % SB_MAX_SIZE);
		const unsigned int kind = (unsigned int)(test_rng() % 3);
		uint8_t *w = NULL, *m2;
		int fd;

		for (k = 0; k < size; k += 8) {
			uint64_t x = test_rng();

			memcpy(data + k, &x, size - k < 8 ? size - k : 8);
		}
		fd = memfd_create("sb", MFD_CLOEXEC | MFD_ALLOW_SEALING);
		CHILD_CHECK(fd >= 0, 12);
		CHILD_CHECK(ftruncate(fd, (off_t)size) == 0, 13);
		CHILD_CHECK(pwrite(fd, data, size, 0) == (ssize_t)size, 14);
		if (kind == SB_SEALED) {
			CHILD_CHECK(fcntl(fd, F_ADD_SEALS, SSHM_SEALS_APPLIED) == 0, 15);
			sealed++;
		} else if (kind == SB_FUTURE_WRITE) {
			w = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
			CHILD_CHECK(w != MAP_FAILED, 16);
			CHILD_CHECK(fcntl(fd, F_ADD_SEALS,
					  F_SEAL_SHRINK | F_SEAL_GROW |
					      F_SEAL_FUTURE_WRITE | F_SEAL_SEAL) == 0,
				    17);
		}
		meta.sum = sb_sum(data, size);
		meta.size = size;
		meta.kind = kind;
		meta.index = i;
		while (sb_inflight >= SSHM_WINDOW_DEFAULT - 4)
			CHILD_CHECK(sb_read_releases(ctx->raw, 10000) == 0, 18);
		sb_slots[id].fd = fd;
		sb_slots[id].map = w;
		sb_slots[id].size = size;
		sb_inflight++;
		CHILD_CHECK(raw_send(ctx->raw, b,
				     raw_region(b, id, size, fd, &meta, sizeof(meta)),
				     fd) == 0,
			    19);

		/* The attacks, right after the send. */
		if (ftruncate(fd, (off_t)(size / 2)) == 0 || ftruncate(fd, 0) == 0)
			CHILD_CHECK(kind == SB_UNSEALED, 20);
		if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0,
			      (off_t)size + 4096) == 0)
			CHILD_CHECK(kind == SB_UNSEALED, 21);
		if (pwrite(fd, "MUTATED!", 8, (off_t)(size / 3)) == 8)
			CHILD_CHECK(kind == SB_UNSEALED, 22);
		m2 = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (m2 != MAP_FAILED) {
			CHILD_CHECK(kind == SB_UNSEALED, 23);
			/* Grow it back first: writing past EOF is our own SIGBUS. */
			CHILD_CHECK(ftruncate(fd, (off_t)size) == 0, 24);
			memset(m2, 0x5a, size);
			munmap(m2, size);
		}
		if (w) {
			memset(w, 0xa5, size);
			CHILD_CHECK(fallocate(fd,
					      FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
					      0, (off_t)size) != 0,
				    25);
		}
		CHILD_CHECK(sb_read_releases(ctx->raw, 0) == 0, 26);
	}
	/* The last message: how many regions were sealed. */
	{
		uint8_t last[16 + sizeof(sealed)];

		CHILD_CHECK(raw_send(ctx->raw, last,
				     raw_inline(last, &sealed, sizeof(sealed)), -1) == 0,
			    27);
	}
	while (sb_inflight > 0)
		CHILD_CHECK(sb_read_releases(ctx->raw, 20000) == 0, 28);
	close(ctx->raw);
	return 0;
}

static int child_sb_consumer(void *arg)
{
	const struct sb_ctx *ctx = arg;
	struct sshm_channel *ch = NULL;
	unsigned int accepted = 0, rejected = 0, sealed = ~0u;

	close(ctx->raw);
	CHILD_CHECK(sshm_channel_adopt(ctx->lib_end, 0, &ch) == 0, 40);
	for (;;) {
		struct sshm_view *v = NULL;
		struct sb_meta meta;
		const void *mp;
		size_t mlen = 0;
		int r = sshm_channel_recv(ch, NULL, &v);

		if (r == -EPIPE)
			break;
		if (r == -SSHM_ESEALS) {
			rejected++;
			continue;
		}
		if (r < 0)
			fprintf(stderr, "sigbus consumer: recv %d (%s)\n", r,
				sshm_strerror(r));
		CHILD_CHECK(r == 0, 41);
		if (!sshm_view_is_region(v)) {
			CHILD_CHECK(sshm_view_size(v) == sizeof(sealed), 42);
			memcpy(&sealed, sshm_view_data(v), sizeof(sealed));
			sshm_view_unref(v);
			continue;
		}
		mp = sshm_view_meta(v, &mlen);
		CHILD_CHECK(mp && mlen == sizeof(meta), 43);
		memcpy(&meta, mp, sizeof(meta));
		CHILD_CHECK(meta.kind == SB_SEALED, 44);
		CHILD_CHECK(sshm_view_size(v) == meta.size, 45);
		/* Every byte, twice: no SIGBUS, no change in between. */
		CHILD_CHECK(sb_sum(sshm_view_data(v), meta.size) == meta.sum, 46);
		CHILD_CHECK(sb_sum(sshm_view_data(v), meta.size) == meta.sum, 47);
		accepted++;
		sshm_view_unref(v);
	}
	fprintf(stderr, "sigbus proof: %u accepted, %u rejected, %u sealed sent\n",
		accepted, rejected, sealed);
	CHILD_CHECK(accepted == sealed, 48);
	CHILD_CHECK(accepted + rejected == SB_REGIONS, 49);
	sshm_channel_unref(ch);
	return 0;
}

START_TEST(test_hostile_sigbus_proof)
{
	struct sb_ctx ctx;
	int sv[2];
	pid_t consumer, attacker;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	ctx.lib_end = sv[0];
	ctx.raw = sv[1];
	consumer = test_fork(child_sb_consumer, &ctx);
	attacker = test_fork(child_sb_attacker, &ctx);
	close(sv[0]);
	close(sv[1]);
	/* test_wait fails on a death by signal (SIGBUS) and on a non-zero exit. */
	test_wait(consumer, 0);
	test_wait(attacker, 0);
}
END_TEST

/* ------------------------------------------------------------ suite */

static Suite *hostile_seals_suite(void)
{
	Suite *s = suite_create("hostile-seals");
	TCase *tc;

	tc = test_tcase("rows01_03_seals");
	test_add_if(tc, test_hostile_row01_unsealed, NULL);
	test_add_if(tc, test_hostile_row01_no_allow_sealing, NULL);
	test_add_if(tc, test_hostile_row01_seal_missing, NULL);
	test_add_if(tc, test_hostile_row01_only_one_seal, NULL);
	test_add_if(tc, test_hostile_row01_required_seal_seal, NULL);
	test_add_if(tc, test_hostile_row02_future_write, NULL);
	test_add_if(tc, test_hostile_row02_readonly_mapping_kept, NULL);
	test_add_if(tc, test_hostile_row03_truncate_before_seal, NULL);
	test_add_if(tc, test_hostile_row03_sealed_cannot_shrink, NULL);
	test_add_if(tc, test_hostile_row17_consumer_add_seals, NULL);
	suite_add_tcase(s, tc);

	tc = test_tcase("rows08_09_immutable");
	test_add_if(tc, test_hostile_row08_mprotect_write, test_need_ro_view());
	test_add_if(tc, test_hostile_row08_proc_self_mem, test_need_ro_view());
	test_add_if(tc, test_hostile_row08_view_fd_write, test_need_proc());
	test_add_if(tc, test_hostile_row09_writable_mapping_ebusy, NULL);
	test_add_if(tc, test_hostile_row09_pinned_pages_ebusy, NULL);
	suite_add_tcase(s, tc);

	tc = test_tcase("sigbus");
	test_add_if(tc, test_hostile_sigbus_proof, NULL);
	suite_add_tcase(s, tc);

	return s;
}

int main(void)
{
	return hostile_run(hostile_seals_suite());
}
