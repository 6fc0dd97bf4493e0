/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../tools/features.h"
#include "macro.h"
#include "testlib.h"

/* Every skip, printed by test_run(): as many as the suite registers. */
struct skip {
	const char *name;
	const char *reason;
};
static struct skip *skips;
static size_t n_skips, cap_skips;

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

/*
 * Bytes of address space reserved and inaccessible: where a slack left
 * behind by the 2 MiB alignment of a mapping would show.  It may shrink
 * meanwhile (a sanitizer's allocator carves its heap from reservations of
 * its own), never grow: compare with <=.
 */
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

size_t test_page_size(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

size_t test_mapped_pages(const void *p)
{
	FILE *f = fopen("/proc/self/smaps", "re");
	char line[512];
	unsigned long lo, hi, kb;
	int in = 0;
	size_t res = (size_t)-1;

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 &&
		    strchr(line, '-') < strchr(line, ' ')) {
			in = (uintptr_t)p >= lo && (uintptr_t)p < hi;
			continue;
		}
		if (in && sscanf(line, "Rss: %lu kB", &kb) == 1) {
			res = kb * 1024 / test_page_size();
			break;
		}
	}
	fclose(f);
	ck_assert_msg(res != (size_t)-1, "no mapping at %p in /proc/self/smaps", p);
	return res;
}

static int fds_before;

static void fd_setup(void)
{
	fds_before = test_fd_count();
}

static void fd_teardown(void)
{
	int after = test_fd_count();

	ck_assert_msg(after == fds_before,
		      "fd leak: %d open fds before the test, %d after", fds_before,
		      after);
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
	if (n_skips == cap_skips) {
		size_t cap = cap_skips ? 2 * cap_skips : 32;
		struct skip *s = realloc(skips, cap * sizeof(*s));

		/* A skip that is not printed would pass for a test that ran:
		 * rather no run at all.  99 is automake's hard error. */
		if (!s) {
			fprintf(stderr, "testlib: no memory to record skip %s\n", name);
			exit(99);
		}
		skips = s;
		cap_skips = cap;
	}
	skips[n_skips].name = name;
	skips[n_skips].reason = reason;
	n_skips++;
}

int test_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int run, failed;
	size_t i;

	srunner_run_all(sr, CK_NORMAL);
	run = srunner_ntests_run(sr);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	for (i = 0; i < n_skips; i++)
		printf("SKIP: %s: %s\n", skips[i].name, skips[i].reason);
	free(skips);
	skips = NULL;
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

void test_sigpipe_hold(sigset_t *old)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	sigprocmask(SIG_BLOCK, &set, old);
}

int test_sigpipe_raised(const sigset_t *old)
{
	static const struct timespec now = { 0, 0 };
	sigset_t pending, set;
	int raised;

	sigemptyset(&pending);
	sigpending(&pending);
	raised = sigismember(&pending, SIGPIPE) == 1;
	if (raised) {
		sigemptyset(&set);
		sigaddset(&set, SIGPIPE);
		sigtimedwait(&set, NULL, &now);
	}
	sigprocmask(SIG_SETMASK, old, NULL);
	return raised;
}

const char *test_need_kcmp(void)
{
	if (feature_probe(FEATURE_KCMP) < 0)
		return "kcmp(2) is not available (CONFIG_KCMP off, or denied)";
	return NULL;
}

const char *test_need_pidfd(void)
{
	if (feature_probe(FEATURE_PIDFD_OPEN) < 0)
		return "pidfd_open(2) failed (Linux < 5.3, or a tool such as valgrind "
		       "that does not know it)";
	return NULL;
}

int test_under_valgrind(void)
{
	const char *p = getenv("LD_PRELOAD");

	return p && strstr(p, "vgpreload") != NULL;
}

const char *test_need_real_rlimit(void)
{
	return test_under_valgrind()
		   ? "valgrind emulates RLIMIT_NOFILE and keeps fds of its own"
		   : NULL;
}

const char *test_need_passpidfd(void)
{
	if (feature_probe(FEATURE_SO_PASSPIDFD) < 0)
		return "SO_PASSPIDFD is not available (Linux < 6.5)";
	return NULL;
}

const char *test_need_verified(void)
{
	const char *r = test_need_kcmp();

	if (r || (r = test_need_pidfd()))
		return r;
	if (feature_probe(FEATURE_PIDFD_SEND_SIGNAL) < 0)
		return "pidfd_send_signal(2) is not available (Linux < 5.1, or valgrind)";
	return NULL;
}

const char *test_need_verified_passpidfd(void)
{
	const char *r = test_need_verified();

	return r ? r : test_need_passpidfd();
}

/* ------------------------------------------------------------ payloads */

uint8_t test_pattern_byte(unsigned int seed, uint64_t off)
{
	return (uint8_t)(seed * 131u + off * 7u + (off >> 12) * 13u + 1u);
}

void test_pattern_fill(void *buf, uint64_t len, unsigned int seed)
{
	uint8_t *p = buf;
	uint64_t i;

	for (i = 0; i < len; i++)
		p[i] = test_pattern_byte(seed, i);
}

int64_t test_pattern_check(const void *buf, uint64_t len, unsigned int seed)
{
	const uint8_t *p = buf;
	uint64_t i;

	for (i = 0; i < len; i++)
		if (p[i] != test_pattern_byte(seed, i))
			return (int64_t)i;
	return -1;
}

struct sshm_region *test_region_pattern(uint64_t size, unsigned int seed)
{
	struct sshm_region *r = NULL;
	void *p;

	if (sshm_region_new(size, 0, &r) < 0)
		return NULL;
	if (sshm_region_map(r, &p) < 0)
		return sshm_region_unref(r);
	test_pattern_fill(p, size, seed);
	if (sshm_region_seal(r) < 0)
		return sshm_region_unref(r);
	return r;
}

struct sshm_region *test_region_pattern_checked(uint64_t size, unsigned int seed)
{
	struct sshm_region *r = test_region_pattern(size, seed);

	ck_assert_msg(r != NULL, "could not make a sealed region of %llu bytes",
		      (unsigned long long)size);
	return r;
}

int test_memfd_pattern(uint64_t size, unsigned int seed, unsigned int seals)
{
	int fd = memfd_create("sshm-test", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	uint8_t buf[4096];
	uint64_t off;

	if (fd < 0)
		return -1;
	if (ftruncate(fd, (off_t)size) < 0)
		goto fail;
	for (off = 0; off < size; off += sizeof(buf)) {
		size_t n = size - off < sizeof(buf) ? (size_t)(size - off) : sizeof(buf);
		size_t i;

		for (i = 0; i < n; i++)
			buf[i] = test_pattern_byte(seed, off + i);
		if (pwrite(fd, buf, n, (off_t)off) != (ssize_t)n)
			goto fail;
	}
	if (seals && fcntl(fd, F_ADD_SEALS, seals) < 0)
		goto fail;
	return fd;
fail:
	close(fd);
	return -1;
}

int test_hugetlb_memfd(void)
{
	int fd = memfd_create("sshm-test-huge",
			      MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_HUGETLB);

	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)TEST_HUGE_SIZE) < 0 ||
	    fcntl(fd, F_ADD_SEALS, SSHM_SEALS_APPLIED) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	return fd;
}

int test_shmem_thp_never(void)
{
	char buf[128] = "";
	int fd = open("/sys/kernel/mm/transparent_hugepage/shmem_enabled",
		      O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return 1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 1;
	buf[n] = '\0';
	return !strstr(buf, "[always]") && !strstr(buf, "[force]") &&
	       !strstr(buf, "[within_size]") && !strstr(buf, "[advise]");
}

const char *test_need_proc(void)
{
	int fd = open("/proc/self/fd/0", O_PATH | O_CLOEXEC);

	if (fd < 0)
		return "no /proc/self/fd (procfs not mounted)";
	close(fd);
	return NULL;
}

const char *test_need_ro_view(void)
{
	if (feature_probe(FEATURE_RO_SHARED_MAP) == 0 || !test_need_proc())
		return NULL;
	return "no read-only MAP_SHARED of a write-sealed memfd (Linux < 6.7) and no "
	       "/proc "
	       "for a read-only reopen: views are MAP_PRIVATE";
}

const char *test_need_hugetlb(void)
{
	/* The probe makes what test_hugetlb_memfd() makes. */
	if (feature_probe(FEATURE_MFD_HUGETLB) < 0)
		return "no sealable 2 MiB MFD_HUGETLB memfd on this kernel";
	return NULL;
}

void test_pair_make(unsigned int flags, struct sshm_channel **a, struct sshm_channel **b)
{
	*a = *b = NULL;
	assert_ok(sshm_channel_pair(flags, a, b));
	ck_assert_ptr_nonnull(*a);
	ck_assert_ptr_nonnull(*b);
	ck_assert_ptr_ne(*a, *b);
}

void test_exchange(struct sshm_channel *x, struct sshm_channel *y)
{
	struct sshm_channel *from[2] = { x, y }, *to[2] = { y, x };
	int i;

	for (i = 0; i < 2; i++) {
		struct sshm_region *r;
		struct sshm_view *v = NULL;

		r = test_region_pattern_checked(10000 + (uint64_t)i, 30 + i);
		assert_ok(sshm_channel_send(from[i], r, "r", 1));
		assert_ok(sshm_channel_send_bytes(from[i], &i, sizeof(i), NULL, 0));
		assert_ok(sshm_channel_recv(to[i], NULL, &v));
		ck_assert_int_eq(sshm_view_is_region(v), 1);
		test_view_check_pattern(v, 10000 + (uint64_t)i, 30 + i);
		v = sshm_view_unref(v);
		assert_ok(sshm_channel_recv(to[i], NULL, &v));
		ck_assert_int_eq(sshm_view_is_region(v), 0);
		ck_assert_mem_eq(sshm_view_data(v), &i, sizeof(i));
		sshm_view_unref(v);
		sshm_region_unref(r);
	}
}

void test_view_check_pattern(const struct sshm_view *v, uint64_t size, unsigned int seed)
{
	int64_t bad;

	ck_assert_uint_eq(sshm_view_size(v), size);
	ck_assert_ptr_nonnull(sshm_view_data(v));
	bad = test_pattern_check(sshm_view_data(v), size, seed);
	ck_assert_msg(bad < 0, "byte %lld of a %llu-byte view differs", (long long)bad,
		      (unsigned long long)size);
}

int test_view_matches(const struct sshm_view *v, uint64_t size, unsigned int seed)
{
	const void *p = sshm_view_data(v);

	return sshm_view_size(v) == size && p && test_pattern_check(p, size, seed) < 0;
}

int test_poll_one(int fd, short events, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = events };
	int r;

	do
		r = poll(&p, 1, timeout_ms);
	while (r < 0 && errno == EINTR);
	return r > 0 ? p.revents : r;
}

static uint64_t rng_state;

void test_rng_seed(uint64_t seed)
{
	rng_state = seed;
}

uint64_t test_rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

/* ------------------------------------------------------------ raw wire */

void raw_common(uint8_t *b, uint8_t type)
{
	sshm_put_le32(b, RAW_MAGIC);
	b[4] = 1;
	b[5] = type;
	b[6] = 0;
	b[7] = 0;
}

size_t raw_hello(uint8_t *b, uint32_t window, uint64_t max_size)
{
	raw_common(b, RAW_HELLO);
	sshm_put_le32(b + 8, window);
	sshm_put_le32(b + 12, 65536); /* inline_max */
	sshm_put_le64(b + 16, max_size);
	sshm_put_le32(b + 24, 4096); /* meta_max */
	sshm_put_le32(b + 28, 0);
	return 32;
}

size_t raw_region(uint8_t *b, uint64_t id, uint64_t size, int32_t announced,
		  const void *meta, uint32_t meta_len)
{
	raw_common(b, RAW_REGION);
	sshm_put_le64(b + 8, id);
	sshm_put_le64(b + 16, size);
	sshm_put_le32(b + 24, (uint32_t)announced);
	sshm_put_le32(b + 28, meta_len);
	if (meta_len)
		memcpy(b + 32, meta, meta_len);
	return 32 + meta_len;
}

size_t raw_inline(uint8_t *b, const void *data, uint32_t len)
{
	raw_common(b, RAW_INLINE);
	sshm_put_le32(b + 8, 0);
	sshm_put_le32(b + 12, len);
	if (len)
		memcpy(b + 16, data, len);
	return 16 + len;
}

size_t raw_release(uint8_t *b, const uint64_t *ids, uint32_t count)
{
	uint32_t i;

	raw_common(b, RAW_RELEASE);
	sshm_put_le32(b + 8, count);
	sshm_put_le32(b + 12, 0);
	for (i = 0; i < count; i++)
		sshm_put_le64(b + 16 + 8 * i, ids[i]);
	return 16 + 8 * (size_t)count;
}

int raw_sendv(int sock, const void *buf, size_t len, const int *fds, int nfds)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(4 * sizeof(int))];
	} ctl;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (nfds > 0) {
		struct cmsghdr *c;

		memset(&ctl, 0, sizeof(ctl));
		msg.msg_control = ctl.buf;
		msg.msg_controllen = CMSG_SPACE((size_t)nfds * sizeof(int));
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN((size_t)nfds * sizeof(int));
		memcpy(CMSG_DATA(c), fds, (size_t)nfds * sizeof(int));
	}
	return sendmsg(sock, &msg, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -1;
}

int raw_send(int sock, const void *buf, size_t len, int fd)
{
	return raw_sendv(sock, buf, len, &fd, fd >= 0 ? 1 : 0);
}

int raw_send_region(int sock, uint64_t id, uint64_t size, int32_t announced, int fd)
{
	uint8_t b[32];

	return raw_send(sock, b, raw_region(b, id, size, announced, NULL, 0), fd);
}

ssize_t raw_recv(int sock, uint8_t *buf, size_t cap, int timeout_ms)
{
	char ctl[CMSG_SPACE(sizeof(int) * 4)];
	struct iovec iov = { .iov_base = buf, .iov_len = cap };
	struct msghdr msg = { .msg_iov = &iov,
			      .msg_iovlen = 1,
			      .msg_control = ctl,
			      .msg_controllen = sizeof(ctl) };
	struct pollfd p = { .fd = sock, .events = POLLIN };
	ssize_t n;

	if (poll(&p, 1, timeout_ms) != 1)
		return -1;
	n = recvmsg(sock, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n < 0)
		return -1;
	if (msg.msg_controllen != 0 || (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)))
		return -2;
	return n;
}

int raw_wait_releases(int sock, const uint64_t *ids, unsigned int n, int timeout_ms)
{
	/* A RELEASE names up to the largest window, 4096 ids. */
	static uint8_t b[16 + 8 * 4096];
	unsigned int seen = 0, i, k;

	while (seen != (1u << n) - 1) {
		ssize_t len = raw_recv(sock, b, sizeof(b), timeout_ms);
		uint32_t count;

		if (len < 16 || sshm_get_le32(b) != RAW_MAGIC || b[5] != RAW_RELEASE)
			return -1;
		count = sshm_get_le32(b + 8);
		if ((size_t)len != 16 + (size_t)count * 8)
			return -1;
		for (k = 0; k < count; k++)
			for (i = 0; i < n; i++)
				if (sshm_get_le64(b + 16 + 8 * k) == ids[i])
					seen |= 1u << i;
	}
	return 0;
}

int raw_wait_release(int sock, uint64_t id, int timeout_ms)
{
	return raw_wait_releases(sock, &id, 1, timeout_ms);
}
