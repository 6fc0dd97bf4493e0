/* SPDX-License-Identifier: MIT */
/*
 * attack-seals - rows 1 to 6 of the threat matrix: memfds that are not
 * sealed, or not quite (row 1); F_SEAL_FUTURE_WRITE with a writable
 * mapping kept and written through after sending (2); a file shrunk
 * after it was sent (3); sizes that lie, overflow, are zero or above the
 * cap (4); a 1 TiB sparse memfd (5); a hugetlb memfd (6).  Each region must
 * be refused: released, never mapped, and the connection still usable.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hostile.h"

#define U   OBJ_UNTOUCHED
#define TIB ((uint64_t)1 << 40)

static void refuse_one(struct run *r, int fd, uint64_t size)
{
	if (fd >= 0)
		expect_refuse_each(r, &fd, &size, 1);
}

static void unsealed(struct run *r, int arg)
{
	refuse_one(r, obj_memfd(r, 16384, 0, 0, U), 16384);
}

/* Without MFD_ALLOW_SEALING a memfd's only seal is F_SEAL_SEAL. */
static void only_seal_seal(struct run *r, int arg)
{
	int fd = memfd_create("sshm-hostile", MFD_CLOEXEC);

	if (fd >= 0 && ftruncate(fd, 16384) < 0) {
		close(fd);
		fd = -1;
	}
	refuse_one(r, obj_add(r, fd, "memfd", PROBE_ATIME, 0, U), 16384);
}

/* Each required seal missing in turn (F_SEAL_SEAL set, so for good), then
 * each present alone. */
static void partly_sealed(struct run *r, int arg)
{
	static const unsigned int seals[] = {
		SSHM_SEALS_APPLIED & ~F_SEAL_SHRINK,
		SSHM_SEALS_APPLIED & ~F_SEAL_GROW,
		SSHM_SEALS_APPLIED & ~F_SEAL_WRITE,
		F_SEAL_SHRINK,
		F_SEAL_GROW,
		F_SEAL_WRITE,
	};
	uint64_t sizes[ELEMENTSOF(seals)];
	int fds[ELEMENTSOF(seals)];
	unsigned int i;

	for (i = 0; i < ELEMENTSOF(seals); i++) {
		fds[i] = obj_memfd(r, 8192, seals[i], 0, U);
		if (fds[i] < 0)
			return;
		sizes[i] = 8192;
	}
	expect_refuse_each(r, fds, sizes, ELEMENTSOF(seals));
}

/*
 * SHRINK|GROW|FUTURE_WRITE|SEAL, and a writable mapping made before the
 * seal, which it does not stop: written right after the send, and again
 * after the verdict.  A consumer that took it would read changing bytes.
 */
static void future_write(struct run *r, int arg)
{
	const size_t size = 16384;
	struct conn *c;
	uint8_t *w;
	int fd;

	fd = obj_memfd(r, size, 0, 0, U);
	if (fd < 0)
		return;
	w = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (w == MAP_FAILED) {
		run_syserr(r, -errno, "mmap");
		return;
	}
	if (fcntl(fd, F_ADD_SEALS,
		  F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_FUTURE_WRITE | F_SEAL_SEAL) < 0) {
		run_skip(r, "F_SEAL_FUTURE_WRITE: %s (Linux < 5.1?)", strerror(errno));
		munmap(w, size);
		return;
	}
	/* Our own mapping moved the atime: the probe starts from here. */
	if (obj_rearm(r, fd) == 0 && (c = peer_start(r))) {
		if (peer_send_region(c, 1, size, fd, fd, peer_deadline(r)) == 0) {
			memset(w, 0xaa, size);
			if (expect_release(r, c, 1) == 0)
				run_note(r, "released 1/1 while written to");
			memset(w, 0x55, size);
			expect_kept(r, c);
		} else {
			run_fail(r, "the region could not be sent");
		}
	}
	munmap(w, size);
}

/* Unsealed (or without F_SEAL_SHRINK) and shrunk right after the send:
 * a consumer that mapped the announced size would fault past the end. */
static void truncate_after_send(struct run *r, int arg)
{
	const uint64_t size = 65536;
	int fds[3], i;
	struct conn *c;

	fds[0] = obj_memfd(r, size, 0, 0, U);
	fds[1] = obj_memfd(r, size, F_SEAL_GROW | F_SEAL_WRITE, 0, U);
	fds[2] = obj_memfd(r, size, 0, 0, U);
	if (run_failed(r) || !(c = peer_start(r)))
		return;
	for (i = 0; i < 3; i++) {
		if (peer_send_region(c, (uint64_t)i + 1, size, fds[i], fds[i],
				     peer_deadline(r)) < 0) {
			run_fail(r, "region %d could not be sent", i + 1);
			break;
		}
		if (ftruncate(fds[i], i == 2 ? 0 : 4096) < 0) {
			run_syserr(r, -errno, "ftruncate");
			return;
		}
		if (expect_release(r, c, (uint64_t)i + 1) < 0)
			break;
	}
	run_note(r, "released %d/3, each shrunk after sending", i);
	expect_kept(r, c);
}

static void size_lies(struct run *r, const uint64_t *lies, unsigned int n, uint64_t real)
{
	int fds[8];
	unsigned int i;
	int fd = obj_sealed(r, real, U);

	if (fd < 0 || n > ELEMENTSOF(fds))
		return;
	for (i = 0; i < n; i++)
		fds[i] = fd;
	expect_refuse_each(r, fds, lies, n);
}

static void size_mismatch(struct run *r, int arg)
{
	static const uint64_t lies[] = { 16384, 4096, 8193, 8191 };

	size_lies(r, lies, ELEMENTSOF(lies), 8192);
}

static void size_overflow(struct run *r, int arg)
{
	static const uint64_t lies[] = {
		UINT64_MAX,	   UINT64_MAX - 4095,
		(uint64_t)1 << 63, ((uint64_t)1 << 63) + 4096,
		(uint64_t)1 << 32, ((uint64_t)1 << 32) + 4096,
	};

	size_lies(r, lies, ELEMENTSOF(lies), 4096);
}

/* 0 in the header, in the file, or in both. */
static void size_zero(struct run *r, int arg)
{
	const uint64_t sizes[] = { 0, 0, 4096 };
	int fds[3];

	fds[0] = obj_sealed(r, 4096, U);
	fds[1] = obj_memfd(r, 0, SSHM_SEALS_APPLIED, 0, U);
	fds[2] = fds[1];
	if (fds[0] >= 0 && fds[1] >= 0)
		expect_refuse_each(r, fds, sizes, 3);
}

/* A sealed memfd of @size without a page: costs nothing to make. */
static int sparse_sealed(struct run *r, uint64_t size)
{
	int fd = memfd_create("sshm-hostile", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	if (fd < 0) {
		run_syserr(r, -errno, "memfd_create");
		return -1;
	}
	if (ftruncate(fd, (off_t)size) < 0 ||
	    fcntl(fd, F_ADD_SEALS, SSHM_SEALS_APPLIED) < 0) {
		run_skip(r, "a sparse memfd of %llu bytes: %s", (unsigned long long)size,
			 strerror(errno));
		close(fd);
		return -1;
	}
	return obj_add(r, fd, "memfd", PROBE_ATIME, 0, U);
}

static void above_cap(struct run *r, int arg)
{
	uint64_t size = r->c->cap + 4096;

	if (r->c->cap > ((uint64_t)1 << 62)) {
		run_skip(r, "the consumer's cap (%llu) leaves no size above it",
			 (unsigned long long)r->c->cap);
		return;
	}
	refuse_one(r, sparse_sealed(r, size), size);
}

static void sparse_tib(struct run *r, int arg)
{
	if (r->c->cap >= TIB) {
		run_skip(r, "the consumer's cap (%llu) admits 1 TiB: use --max-size",
			 (unsigned long long)r->c->cap);
		return;
	}
	refuse_one(r, sparse_sealed(r, TIB), TIB);
}

/* The default huge page size, from /proc/meminfo; 2 MiB if unknown. */
static uint64_t huge_page_size(void)
{
	unsigned long kb = 0;
	char line[128];
	FILE *f = fopen("/proc/meminfo", "re");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "Hugepagesize: %lu kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb ? (uint64_t)kb << 10 : (uint64_t)2 << 20;
}

/* Sealed and sparse: an empty huge page pool turns a read into SIGBUS. */
static void hugetlb(struct run *r, int arg)
{
	const uint64_t size = huge_page_size();
	int fd = memfd_create("sshm-hostile",
			      MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_HUGETLB);

	if (fd < 0) {
		run_skip(r, "MFD_HUGETLB: %s", strerror(errno));
		return;
	}
	if (ftruncate(fd, (off_t)size) < 0 ||
	    fcntl(fd, F_ADD_SEALS, SSHM_SEALS_APPLIED) < 0) {
		run_skip(r, "a sealed hugetlb memfd: %s", strerror(errno));
		close(fd);
		return;
	}
	refuse_one(r, obj_add(r, fd, "hugetlb memfd", PROBE_ATIME, 0, U), size);
}

const struct attack attacks_seals[] = {
	ATTACK("unsealed", 1, "refused", "a memfd without any seal", unsealed, 0),
	ATTACK("only-seal-seal", 1, "refused",
	       "a memfd made without MFD_ALLOW_SEALING: F_SEAL_SEAL alone",
	       only_seal_seal, 0),
	ATTACK("partly-sealed", 1, "refused",
	       "six memfds: each required seal missing in turn, then each alone",
	       partly_sealed, 0),
	ATTACK(
	    "future-write", 2, "refused",
	    "F_SEAL_FUTURE_WRITE instead of F_SEAL_WRITE, written through a mapping kept "
	    "from before the seal, right after sending",
	    future_write, 0),
	ATTACK("truncate-after-send", 3, "refused",
	       "unsealed (or without F_SEAL_SHRINK) memfds shrunk right after sending",
	       truncate_after_send, 0),
	ATTACK("size-mismatch", 4, "refused",
	       "announced sizes above, below and one byte off st_size", size_mismatch, 0),
	ATTACK("size-overflow", 4, "refused",
	       "announced sizes 2^64-1, 2^63, 2^32 and around", size_overflow, 0),
	ATTACK("size-zero", 4, "refused", "size 0 in the header, in the file, or both",
	       size_zero, 0),
	ATTACK("size-above-cap", 4, "refused",
	       "a sparse sealed memfd one page above the consumer's cap", above_cap, 0),
	ATTACK("sparse-1tib", 5, "refused", "a 1 TiB sparse sealed memfd", sparse_tib, 0),
	ATTACK("hugetlb", 6, "refused", "a sealed sparse MFD_HUGETLB memfd", hugetlb, 0),
};
const size_t n_attacks_seals = ELEMENTSOF(attacks_seals);
