/* SPDX-License-Identifier: MIT */
/*
 * hostile - what the test-hostile-* suites share: the raw consumer, the
 * attacker's end of an adopted socketpair, the checks of a rejected fd,
 * and the kernel features a run reports.  See hostile.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "macro.h"
#include "hostile.h"

/* ------------------------------------------------------------ raw consumer */

/*
 * The encoders, raw_send() and raw_recv() are testlib's (raw_*, written by
 * hand from doc/protocol.md); these read what the library sends a raw
 * consumer, which only the hostile suites play.
 */

ssize_t raw_recv_fds(int sock, uint8_t *buf, size_t cap, int *fds, int *nfds,
		     int timeout_ms)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int) * 4)];
	} ctl;
	struct iovec iov = { .iov_base = buf, .iov_len = cap };
	struct msghdr msg = { .msg_iov = &iov,
			      .msg_iovlen = 1,
			      .msg_control = ctl.buf,
			      .msg_controllen = sizeof(ctl.buf) };
	struct pollfd p = { .fd = sock, .events = POLLIN };
	struct cmsghdr *c;
	ssize_t n;

	*nfds = 0;
	if (poll(&p, 1, timeout_ms) != 1)
		return -1;
	n = recvmsg(sock, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n < 0)
		return -1;
	for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		size_t i, k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		for (i = 0; i < k && *nfds < 4; i++)
			memcpy(&fds[(*nfds)++], CMSG_DATA(c) + i * sizeof(int),
			       sizeof(int));
	}
	return n;
}

uint64_t raw_take_region(int sock, int timeout_ms)
{
	uint8_t b[32 + 4096];
	int fds[4], nfds, i;
	ssize_t n = raw_recv_fds(sock, b, sizeof(b), fds, &nfds, timeout_ms);

	for (i = 0; i < nfds; i++)
		close(fds[i]);
	if (n < 32 || nfds != 1 || sshm_get_le32(b) != RAW_MAGIC || b[5] != RAW_REGION)
		return 0;
	return sshm_get_le64(b + 8);
}

int raw_quiet(int sock)
{
	struct pollfd p = { .fd = sock, .events = POLLIN };

	return poll(&p, 1, 0) == 0;
}

/* ------------------------------------------------------------ the attacker */

void atk_open_nohello(struct atk *a, unsigned int flags)
{
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	assert_ok(sshm_channel_adopt(sv[0], flags, &a->ch));
	a->raw = sv[1];
}

void atk_read_hello(struct atk *a)
{
	uint8_t b[64];
	ssize_t n = raw_recv(a->raw, b, sizeof(b), 5000);

	ck_assert_msg(n >= 32 && sshm_get_le32(b) == RAW_MAGIC && b[4] == 1 &&
			  b[5] == RAW_HELLO,
		      "no HELLO from the library (%zd)", n);
	ck_assert_uint_eq(sshm_get_le32(b + 8), SSHM_WINDOW_DEFAULT);
}

void atk_open_flags(struct atk *a, unsigned int flags)
{
	uint8_t b[32];

	atk_open_nohello(a, flags);
	ck_assert_int_eq(raw_send(a->raw, b, raw_hello(b, 64, 0), -1), 0);
	atk_read_hello(a);
}

void atk_open(struct atk *a)
{
	atk_open_flags(a, 0);
}

void atk_open_limits(struct atk *a, uint32_t inline_max, uint64_t max_size,
		     uint32_t meta_max)
{
	uint8_t b[32];
	size_t n = raw_hello(b, 64, max_size);

	sshm_put_le32(b + 12, inline_max);
	sshm_put_le32(b + 24, meta_max);
	atk_open_nohello(a, 0);
	ck_assert_int_eq(raw_send(a->raw, b, n, -1), 0);
	atk_read_hello(a);
}

void atk_close(struct atk *a)
{
	sshm_channel_unref(a->ch);
	if (a->raw >= 0)
		close(a->raw);
}

int atk_region(struct atk *a, uint64_t id, uint64_t size, int32_t announced, int fd)
{
	return raw_send_region(a->raw, id, size, announced, fd);
}

void atk_check_usable(struct atk *a, uint64_t id)
{
	struct sshm_view *v = NULL;
	int fd = test_memfd_pattern(8192, (unsigned int)id, SSHM_SEALS_APPLIED);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(atk_region(a, id, 8192, fd, fd), 0);
	assert_ok(sshm_channel_recv(a->ch, NULL, &v));
	ck_assert(sshm_view_is_region(v));
	ck_assert(test_view_matches(v, 8192, (unsigned int)id));
	sshm_view_unref(v);
	ck_assert_msg(raw_wait_release(a->raw, id, 5000) == 0,
		      "no RELEASE of the honest region %llu", (unsigned long long)id);
	close(fd);
}

void atk_check_broken(struct atk *a)
{
	struct sshm_view *v = NULL;
	struct sshm_region *r = NULL;

	assert_err(sshm_channel_recv(a->ch, NULL, &v), -SSHM_EBROKEN);
	ck_assert_ptr_null(v);
	assert_err(sshm_channel_flush(a->ch), -SSHM_EBROKEN);
	assert_ok(sshm_region_new(4096, 0, &r));
	assert_ok(sshm_region_seal(r));
	assert_err(sshm_channel_send(a->ch, r, NULL, 0), -SSHM_EBROKEN);
	assert_err(sshm_channel_send_bytes(a->ch, "x", 1, NULL, 0), -SSHM_EBROKEN);
	assert_err(sshm_channels_send_bytes(&a->ch, 1, "x", 1, NULL, 0, NULL),
		   -SSHM_EBROKEN);
	sshm_region_unref(r);
}

void expect_fd_rejected(struct atk *a, uint64_t id, int fd, uint64_t size,
			const struct sshm_policy *pol, int want)
{
	struct sshm_view *v = NULL;
	int fds, maps;

	fds = test_fd_count();
	maps = test_map_count();
	ck_assert_int_eq(atk_region(a, id, size, fd, fd), 0);
	assert_err(sshm_channel_recv(a->ch, pol, &v), want);
	ck_assert_ptr_null(v);
	ck_assert_int_eq(test_fd_count(), fds);
	ck_assert_int_eq(test_map_count(), maps);
	ck_assert_msg(raw_wait_release(a->raw, id, 5000) == 0,
		      "no RELEASE for the rejected region %llu", (unsigned long long)id);
	atk_check_usable(a, id + 1000);
}

void fd_case(int fd, uint64_t size, int want)
{
	struct atk a;

	ck_assert_int_ge(fd, 0);
	atk_open(&a);
	expect_fd_rejected(&a, 1, fd, size, NULL, want);
	atk_close(&a);
	close(fd);
}

/* ------------------------------------------------------------ verdicts */

struct sshm_region *sealed_region(uint64_t size)
{
	struct sshm_region *r = NULL;

	assert_ok(sshm_region_new(size, 0, &r));
	assert_ok(sshm_region_write(r, 0, "hostile", 7));
	assert_ok(sshm_region_seal(r));
	return r;
}

int is_fd_verdict(int r)
{
	switch (-r) {
	case SSHM_ENOTREG:
	case SSHM_EOPATH:
	case SSHM_ENOTMEMFD:
	case SSHM_EHUGETLB:
	case SSHM_ESEALS:
	case SSHM_ESIZE:
	case SSHM_ETOOBIG:
	case SSHM_EHOLES:
	case SSHM_EIDENTITY:
	case SSHM_EUNVERIFIED:
		return 1;
	}
	return 0;
}

int is_framing(int r)
{
	return r == -SSHM_EPROTO || r == -SSHM_EHEADER || r == -SSHM_EVERSION;
}

/* ------------------------------------------------------------ kernel */

int have_noexec_seal(void)
{
	int fd = memfd_create("probe", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_NOEXEC_SEAL);

	if (fd < 0)
		return 0;
	close(fd);
	return 1;
}

int hostile_run(Suite *s)
{
	/* stderr: unbuffered, so Check's forks do not print it again. */
	fprintf(stderr,
		"kernel features: kcmp=%s pidfd=%s verified=%s SO_PASSPIDFD=%s "
		"MFD_NOEXEC_SEAL=%s MFD_HUGETLB=%s valgrind=%s\n",
		test_need_kcmp() ? "no" : "yes", test_need_pidfd() ? "no" : "yes",
		test_need_verified() ? "no" : "yes", test_need_passpidfd() ? "no" : "yes",
		have_noexec_seal() ? "yes" : "no", test_need_hugetlb() ? "no" : "yes",
		test_under_valgrind() ? "yes" : "no");
	return test_run(s);
}
