/* SPDX-License-Identifier: MIT */
/*
 * testlib - what every sshm Check suite shares:
 *  - test_tcase(): a TCase whose checked fixture records the number of open
 *    fds before each test and fails the test if it changed (every test is
 *    also a leak test);
 *  - test_add_if(): add a test, or record it as skipped with the reason when
 *    the kernel lacks what it needs (a skip is printed and never counted as a
 *    pass; a suite whose every test was skipped exits 77);
 *  - test_fork()/test_wait(): two-process tests check the child's status;
 *  - assertions that print sshm_strerror() of what came back, and
 *    CHILD_CHECK() for forked children;
 *  - the byte pattern the suites send, and regions, memfds and views that
 *    hold or check it;
 *  - the hostile peer's wire format, written by hand (raw_*).
 */
#ifndef SSHM_TESTLIB_H
#define SSHM_TESTLIB_H

#include <check.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <unistd.h>

#include "macro.h"
#include "sshm.h"

int test_fd_count(void);
/*
 * Mappings of memfds in /proc/self/maps: what a view or a region leaves
 * mapped.  (Counting every mapping would not do: the sanitizers' allocators
 * map memory of their own at any time.)
 */
int test_map_count(void);
/* Bytes of anonymous PROT_NONE reservations: what an aligned mapping must
 * give back. */
unsigned long test_reserved_bytes(void);
size_t test_page_size(void);
/*
 * Pages of the mapping at @p that have page table entries (its "Rss" in
 * /proc/self/smaps): what a fault-free fill or read needs.  mincore(2) would
 * not do: for a shared file mapping it reports the page cache, not the
 * mapping.
 */
size_t test_mapped_pages(const void *p);

TCase *test_tcase(const char *name);

/* Records a skipped test; see test_add_if(). */
void test_skip(const char *name, const char *reason);
#define test_add_if(tc, fn, skip_reason)                                                 \
	do {                                                                             \
		const char *r_ = (skip_reason);                                          \
		if (r_)                                                                  \
			test_skip(#fn, r_);                                              \
		else                                                                     \
			tcase_add_test((tc), fn);                                        \
	} while (0)

/* Runs the suite, prints the skips, returns the process exit status. */
int test_run(Suite *s);

/*
 * Forks; the child runs fn(arg) and _exit()s with its return value.  The
 * parent gets the pid; test_wait() asserts the child exited with @status.
 */
pid_t test_fork(int (*fn)(void *), void *arg);
void test_wait(pid_t pid, int status);

/*
 * No SIGPIPE may come out of a library call.  test_sigpipe_hold() blocks
 * SIGPIPE (saving the mask in @old) so that one raised meanwhile stays
 * pending, whatever disposition the runner inherited: an ignored SIGPIPE
 * would hide it, a default one would kill the runner.
 * test_sigpipe_raised() says whether one is pending, takes it, and
 * restores @old.  No ck_assert: also used in forked children.
 */
void test_sigpipe_hold(sigset_t *old);
int test_sigpipe_raised(const sigset_t *old);

/* 1 when running under valgrind (its preload library is in LD_PRELOAD). */
int test_under_valgrind(void);
/* NULL, or why RLIMIT_NOFILE games cannot work here (valgrind emulates it). */
const char *test_need_real_rlimit(void);

/* Kernel features, NULL when present or the reason a test must skip. */
const char *test_need_kcmp(void);
/* 1 when shmem gets no transparent huge pages: what send_bytes decides by
 * (the file it reads, as tests/kernel-shim.c may emulate it). */
int test_shmem_thp_never(void);
const char *test_need_pidfd(void);
const char *test_need_passpidfd(void);
/*
 * A "verified" verdict needs kcmp and a pidfd to prove the pid was not
 * reused: pidfd_open(2) (or SCM_PIDFD) and pidfd_send_signal(2).  valgrind
 * 3.19 does not know pidfd_send_signal, so those tests skip under it.
 */
const char *test_need_verified(void);
const char *test_need_verified_passpidfd(void);
/* /proc/self/fd can be opened (a test reopens a descriptor through it). */
const char *test_need_proc(void);
/*
 * A view is a read-only MAP_SHARED mapping that can never be made
 * writable: either the kernel maps a write-sealed memfd that way directly
 * (6.7, 6.1.149, 6.12.9), or the library maps a read-only reopen through
 * /proc.  Without both, views are MAP_PRIVATE (the same bytes, but
 * mprotect(PROT_WRITE) succeeds on them).
 */
const char *test_need_ro_view(void);

/* ------------------------------------------------------------ assertions */

/*
 * assert_ok() for a library call that must succeed (>= 0), assert_err() for
 * one that must fail with exactly @err.  On failure: the call, and the codes
 * as numbers and in words.
 */
#define assert_ok(expr)                                                                  \
	do {                                                                             \
		int r_ = (expr);                                                         \
		ck_assert_msg(r_ >= 0, "%s: got %d (%s)", #expr, r_, sshm_strerror(r_)); \
	} while (0)

#define assert_err(expr, err)                                                            \
	do {                                                                             \
		int r_ = (expr), e_ = (err);                                             \
		ck_assert_msg(r_ == e_, "%s: expected %d (%s), got %d (%s)", #expr, e_,  \
			      sshm_strerror(e_), r_, sshm_strerror(r_));                 \
	} while (0)

/*
 * A call whose result is a count (sshm_pool_fill(), sshm_channel_flush())
 * must return exactly @want; a negative result is shown in words.
 */
#define assert_ret(expr, want)                                                           \
	do {                                                                             \
		int r_ = (expr), e_ = (want);                                            \
		ck_assert_msg(r_ == e_, "%s: expected %d, got %d (%s)", #expr, e_, r_,   \
			      r_ < 0 ? sshm_strerror(r_) : "a count");                   \
	} while (0)

#define assert_verdict(id, want)                                                         \
	do {                                                                             \
		const struct sshm_identity *i_ = (id);                                   \
		ck_assert_ptr_nonnull(i_);                                               \
		ck_assert_msg(i_->verdict == (want),                                     \
			      "verdict %s (reason %d: %s), expected %s",                 \
			      sshm_verdict_name(i_->verdict), i_->reason,                \
			      sshm_strerror(i_->reason), sshm_verdict_name(want));       \
	} while (0)

/*
 * Checks in a forked child.  No ck_assert there: it would report from the
 * wrong process (and with CK_FORK=no, jump back into Check's runner and go
 * on with the suite in the child).  Instead a line on stderr names the
 * failed condition and the child _exit()s with @code, distinct per step,
 * which the parent's test_wait() reports.
 */
#define CHILD_CHECK(cond, code)                                                          \
	do {                                                                             \
		if (!(cond)) {                                                           \
			fprintf(stderr, "child %d: %s:%d: %s failed\n", (int)getpid(),   \
				__FILE__, __LINE__, #cond);                              \
			_exit(code);                                                     \
		}                                                                        \
	} while (0)

/* ------------------------------------------------------------ payloads */

/*
 * The byte at @off of payload number @seed: never constant over a page, so
 * a page mapped at the wrong offset shows, and different for each seed.
 */
uint8_t test_pattern_byte(unsigned int seed, uint64_t off);
void test_pattern_fill(void *buf, uint64_t len, unsigned int seed);
/* Offset of the first byte that differs from the pattern, -1 if none. */
int64_t test_pattern_check(const void *buf, uint64_t len, unsigned int seed);

/*
 * A sealed region of @size bytes holding pattern @seed; NULL on failure
 * (no ck_assert: also used in forked children).
 */
struct sshm_region *test_region_pattern(uint64_t size, unsigned int seed);
/* The same, failing the test when it cannot be made. */
struct sshm_region *test_region_pattern_checked(uint64_t size, unsigned int seed);

/*
 * A memfd of @size bytes holding pattern @seed with @seals added (none when
 * 0), made by hand as a hostile producer would, not by sshm_region_*; -1 on
 * failure (no ck_assert: also used in forked children).
 */
int test_memfd_pattern(uint64_t size, unsigned int seed, unsigned int seals);

/* A sealed, sparse MFD_HUGETLB memfd of TEST_HUGE_SIZE bytes (sizing takes
 * no page from the pool: an empty one is enough), or -errno. */
#define TEST_HUGE_SIZE ((uint64_t)2 << 20)
int test_hugetlb_memfd(void);
const char *test_need_hugetlb(void);

/* sshm_channel_pair() that must work and give two distinct channels. */
void test_pair_make(unsigned int flags, struct sshm_channel **a, struct sshm_channel **b);
/* Both directions, a region each way and an inline payload each way: each
 * arrives intact and as the kind it was sent. */
void test_exchange(struct sshm_channel *x, struct sshm_channel *y);

/* Asserts that @v holds exactly @size bytes of pattern @seed. */
void test_view_check_pattern(const struct sshm_view *v, uint64_t size, unsigned int seed);
/* The same as 1 or 0, without asserting: for ck_assert() and children. */
int test_view_matches(const struct sshm_view *v, uint64_t size, unsigned int seed);

/* poll(2) one fd, again after EINTR; returns revents, 0 on timeout. */
int test_poll_one(int fd, short events, int timeout_ms);

/*
 * xorshift64*: from a fixed seed, the same sequence on every host, so a
 * failure replays.  One state per process (a forked child gets a copy).
 */
void test_rng_seed(uint64_t seed);
uint64_t test_rng(void);

/* ------------------------------------------------------------ raw wire */

/*
 * The wire format, written out by hand from doc/protocol.md so that the
 * tests do not share the library's encoder (lib/wire.c): they check it
 * against the spec, not against itself.  Common header: u32 magic "SSHM",
 * u8 version 1, u8 type, 2 zero bytes; then the type's fields, all
 * little-endian.  This is the hostile peer of test-identity and the
 * test-hostile-* suites: it can send anything, and reads what the library
 * sends.
 */
#define RAW_MAGIC      0x4d485353u
#define RAW_HELLO      1
#define RAW_REGION     2
#define RAW_INLINE     3
#define RAW_RELEASE    4
#define RAW_PACKET_MAX (16 + 4096 + 65536)

/* Encoders: write the packet at @b, return its length. */
void raw_common(uint8_t *b, uint8_t type);
/* inline_max 65536, meta_max 4096; @max_size 0 is "not stated". */
size_t raw_hello(uint8_t *b, uint32_t window, uint64_t max_size);
size_t raw_region(uint8_t *b, uint64_t id, uint64_t size, int32_t announced,
		  const void *meta, uint32_t meta_len);
size_t raw_inline(uint8_t *b, const void *data, uint32_t len);
size_t raw_release(uint8_t *b, const uint64_t *ids, uint32_t count);

/*
 * One packet carrying @nfds fds (0..4) in one SCM_RIGHTS; 0 or -1.  No
 * SCM_CREDENTIALS: the receiver has SO_PASSCRED, so the kernel attaches them.
 */
int raw_sendv(int sock, const void *buf, size_t len, const int *fds, int nfds);
/* The same with @fd when >= 0. */
int raw_send(int sock, const void *buf, size_t len, int fd);
/* A REGION without metadata, announcing @announced and passing @fd. */
int raw_send_region(int sock, uint64_t id, uint64_t size, int32_t announced, int fd);

/* One packet within @timeout_ms: its length, -1 on timeout/error, -2 when
 * it carried a control message (the library never sends fds). */
ssize_t raw_recv(int sock, uint8_t *buf, size_t cap, int timeout_ms);
/* Reads RELEASEs until every id in @ids[0..@n) was named (@n < 32), each
 * within @timeout_ms; 0, or -1 (timeout, another packet, bad length). */
int raw_wait_releases(int sock, const uint64_t *ids, unsigned int n, int timeout_ms);
int raw_wait_release(int sock, uint64_t id, int timeout_ms);

#endif
