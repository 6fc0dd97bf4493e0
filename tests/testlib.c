/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

#define MAX_SKIPS 64
static const char *skip_names[MAX_SKIPS];
static const char *skip_reasons[MAX_SKIPS];
static int n_skips;

int test_fd_count(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the DIR's own fd */
}

static int count_maps_with(const char *needle)
{
	FILE *f = fopen("/proc/self/maps", "re");
	char line[512];
	int n = 0;

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f))
		n += strstr(line, needle) != NULL;
	fclose(f);
	return n;
}

int test_map_count(void)
{
	return count_maps_with("/memfd:");
}

unsigned long test_reserved_bytes(void)
{
	FILE *f = fopen("/proc/self/maps", "re");
	char line[512];
	unsigned long lo, hi, total = 0;

	ck_assert_ptr_nonnull(f);
	/* "---p 00000000 00:00 0": anonymous, private, no access.  Bytes, not
	 * lines: the kernel merges adjacent reservations into one. */
	while (fgets(line, sizeof(line), f))
		if (strstr(line, " ---p 00000000 00:00 0 ") &&
		    sscanf(line, "%lx-%lx", &lo, &hi) == 2)
			total += hi - lo;
	fclose(f);
	return total;
}

static int fds_before;

static void fd_setup(void)
{
	fds_before = test_fd_count();
}

static void fd_teardown(void)
{
	int after = test_fd_count();

	ck_assert_msg(after == fds_before, "fd leak: %d open fds before the test, %d after",
		      fds_before, after);
}

TCase *test_tcase(const char *name)
{
	TCase *tc = tcase_create(name);

	tcase_add_checked_fixture(tc, fd_setup, fd_teardown);
	tcase_set_timeout(tc, 60);
	return tc;
}

void test_skip(const char *name, const char *reason)
{
	if (n_skips < MAX_SKIPS) {
		skip_names[n_skips] = name;
		skip_reasons[n_skips] = reason;
	}
	n_skips++;
}

int test_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int run, failed, i;

	srunner_run_all(sr, CK_NORMAL);
	run = srunner_ntests_run(sr);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	for (i = 0; i < n_skips && i < MAX_SKIPS; i++)
		printf("SKIP: %s: %s\n", skip_names[i], skip_reasons[i]);
	if (run == 0 && n_skips > 0)
		return 77;
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

pid_t test_fork(int (*fn)(void *), void *arg)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		_exit(fn(arg));
	return pid;
}

void test_wait(pid_t pid, int status)
{
	int st;

	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st), "child %d died by signal %d", (int)pid,
		      WIFSIGNALED(st) ? WTERMSIG(st) : 0);
	ck_assert_int_eq(WEXITSTATUS(st), status);
}

const char *test_need_kcmp(void)
{
	pid_t self = getpid();

	/* KCMP_FILE == 0; comparing fd 0 with itself needs only the syscall. */
	if (syscall(SYS_kcmp, self, self, 0, 0, 0) < 0 && errno == ENOSYS)
		return "kcmp(2) is not available (CONFIG_KCMP off)";
	return NULL;
}

const char *test_need_pidfd(void)
{
#ifdef SYS_pidfd_open
	long fd = syscall(SYS_pidfd_open, getpid(), 0);

	if (fd >= 0) {
		close((int)fd);
		return NULL;
	}
#endif
	return "pidfd_open(2) failed (Linux < 5.3, or a tool such as valgrind that does not know it)";
}

int test_under_valgrind(void)
{
	const char *p = getenv("LD_PRELOAD");

	return p && strstr(p, "vgpreload") != NULL;
}

const char *test_need_real_rlimit(void)
{
	return test_under_valgrind() ? "valgrind emulates RLIMIT_NOFILE and keeps fds of its own"
				     : NULL;
}
