/* SPDX-License-Identifier: MIT */
/*
 * testlib - what every sshm Check suite shares:
 *  - test_tcase(): a TCase whose checked fixture records the number of open
 *    fds before each test and fails the test if it changed (every test is
 *    also a leak test);
 *  - test_add_if(): add a test, or record it as skipped with the reason when
 *    the kernel lacks what it needs (a skip is printed and never counted as a
 *    pass; a suite whose every test was skipped exits 77);
 *  - test_fork()/test_wait(): two-process tests check the child's status.
 */
#ifndef SSHM_TESTLIB_H
#define SSHM_TESTLIB_H

#include <check.h>
#include <sys/types.h>

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

TCase *test_tcase(const char *name);

/* Records a skipped test; see test_add_if(). */
void test_skip(const char *name, const char *reason);
#define test_add_if(tc, fn, skip_reason)                        \
	do {                                                    \
		const char *r_ = (skip_reason);                 \
		if (r_)                                         \
			test_skip(#fn, r_);                     \
		else                                            \
			tcase_add_test((tc), fn);               \
	} while (0)

/* Runs the suite, prints the skips, returns the process exit status. */
int test_run(Suite *s);

/*
 * Forks; the child runs fn(arg) and _exit()s with its return value.  The
 * parent gets the pid; test_wait() asserts the child exited with @status.
 */
pid_t test_fork(int (*fn)(void *), void *arg);
void test_wait(pid_t pid, int status);

/* 1 when running under valgrind (its preload library is in LD_PRELOAD). */
int test_under_valgrind(void);
/* NULL, or why RLIMIT_NOFILE games cannot work here (valgrind emulates it). */
const char *test_need_real_rlimit(void);

/* Kernel features, NULL when present or the reason a test must skip. */
const char *test_need_kcmp(void);
const char *test_need_pidfd(void);

#endif
