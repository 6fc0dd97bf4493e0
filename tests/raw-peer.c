/* SPDX-License-Identifier: MIT */
/*
 * raw-peer - a producer that misbehaves on purpose, for the tools' tests
 * (tests/test-recv.sh, tests/test-examples.sh).  It speaks the wire format
 * as doc/protocol.md writes it, encoded here by hand, without libsshm.
 *
 *   raw-peer [-t SECONDS] [-u UID] SOCKET MODE
 *
 * MODE is what it sends, then it waits (at most SECONDS, default 30) for
 * the consumer to act:
 *   idle                     nothing;
 *   hello-only               a HELLO;
 *   one-region-then-silence  a HELLO and one good REGION;
 *   write-only-region        a HELLO, a REGION the consumer must refuse (a
 *                            sealed memfd reopened write-only: every check
 *                            passes, the read-only mapping fails), then a
 *                            good one;
 *   good                     a HELLO and one good REGION.
 * A good region holds "good region\n".  The first three wait until the
 * consumer closes the connection and exit 0 (2 if it is still open at the
 * end); the last two until every region is released and exit 0 (3 if the
 * connection closed before).  Either way the last line on standard output
 * says what happened after how many milliseconds.  "connected" is printed
 * once the packets are sent.  -u UID connects as that user (root only).
 * Exit status 1: usage, 4: system error.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define MAGIC	  0x4d485353u
#define T_HELLO	  1
#define T_REGION  2
#define T_RELEASE 4

#define GOOD "good region\n"
#define BAD  "refused region\n"

static int fail(const char *what)
{
	fprintf(stderr, "raw-peer: %s: %s\n", what, strerror(errno));
	return 4;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* The common header: magic, version 1, type, reserved. */
static void header(uint8_t *b, uint8_t type)
{
	put32(b, MAGIC);
	b[4] = 1;
	b[5] = type;
	b[6] = b[7] = 0;
}

static int send_packet(int sock, const uint8_t *buf, size_t len, int fd)
{
	char control[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { (void *)buf, len };
	struct msghdr mh;
	struct cmsghdr *cm;

	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (fd >= 0) {
		memset(control, 0, sizeof(control));
		mh.msg_control = control;
		mh.msg_controllen = sizeof(control);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	return sendmsg(sock, &mh, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -1;
}

/* The 48-byte HELLO, no features: window 64, protocol limits. */
static int send_hello(int sock)
{
	uint8_t b[48];

	memset(b, 0, sizeof(b));
	header(b, T_HELLO);
	put32(b + 8, 64);
	put32(b + 12, 65536);
	put32(b + 24, 4096);
	return send_packet(sock, b, sizeof(b), -1);
}

/* A REGION whose announced fd is the one sent: kcmp finds it the same. */
static int send_region(int sock, uint64_t id, int fd, uint64_t size)
{
	uint8_t b[32];

	memset(b, 0, sizeof(b));
	header(b, T_REGION);
	put64(b + 8, id);
	put64(b + 16, size);
	put32(b + 24, (uint32_t)fd);
	return send_packet(sock, b, sizeof(b), fd);
}

/* A memfd holding @text, sealed against shrink, grow, write and seal. */
static int sealed_memfd(const char *text)
{
	const size_t len = strlen(text);
	int fd = memfd_create("raw-peer", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	if (fd < 0)
		return -1;
	if (write(fd, text, len) != (ssize_t)len ||
	    fcntl(fd, F_ADD_SEALS,
		  F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The same sealed file, opened again write-only: no read mapping. */
static int write_only_memfd(const char *text)
{
	char path[64];
	int fd = sealed_memfd(text), wo;

	if (fd < 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	wo = open(path, O_WRONLY | O_CLOEXEC);
	close(fd);
	return wo;
}

static int connect_to(const char *name)
{
	struct sockaddr_un sa;
	socklen_t len;
	int sock;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(name) >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sa.sun_path, name, strlen(name));
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(name));
	/* "@name": abstract, its first byte \0. */
	if (name[0] == '@')
		sa.sun_path[0] = '\0';
	sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (sock < 0)
		return -1;
	if (connect(sock, (struct sockaddr *)&sa, len) < 0) {
		close(sock);
		return -1;
	}
	return sock;
}

static long elapsed_ms(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/*
 * Reads what the consumer sends until it closes, or, with @want regions
 * sent, until all are released.  Returns 0 closed, 1 all released, 2
 * timed out.  Its own packets (HELLO, RELEASE) are all it can send us.
 */
static int wait_consumer(int sock, unsigned int want, long limit_ms,
			 const struct timespec *t0, unsigned int *released)
{
	uint8_t b[70000];
	struct pollfd pfd = { sock, POLLIN, 0 };
	ssize_t n;
	long left;

	for (;;) {
		if (want && *released >= want)
			return 1;
		left = limit_ms - elapsed_ms(t0);
		if (left <= 0 || poll(&pfd, 1, (int)left) == 0)
			return 2;
		n = recv(sock, b, sizeof(b), MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0)
			return 0;
		if (n >= 16 && get32(b) == MAGIC && b[5] == T_RELEASE)
			*released += get32(b + 8);
	}
}

static int send_mode(int sock, const char *mode)
{
	int fd, r;

	if (!strcmp(mode, "idle"))
		return 0;
	if (send_hello(sock) < 0)
		return -1;
	if (!strcmp(mode, "hello-only"))
		return 0;
	if (!strcmp(mode, "write-only-region")) {
		fd = write_only_memfd(BAD);
		if (fd < 0)
			return -1;
		r = send_region(sock, 1, fd, strlen(BAD));
		close(fd);
		if (r < 0)
			return -1;
	}
	fd = sealed_memfd(GOOD);
	if (fd < 0)
		return -1;
	/* Kept open (never closed: we exit): identity is checked against it. */
	return send_region(sock, 2, fd, strlen(GOOD));
}

int main(int argc, char **argv)
{
	static const char *const modes[] = { "idle", "hello-only",
					     "one-region-then-silence",
					     "write-only-region", "good" };
	unsigned int regions, released = 0;
	long limit = 30, uid = -1;
	struct timespec t0;
	const char *mode;
	int c, sock, r, known = 0;
	size_t i;

	while ((c = getopt(argc, argv, "t:u:")) != -1) {
		if (c == 't')
			limit = strtol(optarg, NULL, 10);
		else if (c == 'u')
			uid = strtol(optarg, NULL, 10);
		else
			return 1;
	}
	if (argc - optind != 2) {
		fprintf(stderr, "usage: raw-peer [-t SECONDS] [-u UID] SOCKET MODE\n");
		return 1;
	}
	mode = argv[optind + 1];
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		known |= !strcmp(mode, modes[i]);
	if (!known) {
		fprintf(stderr, "raw-peer: unknown mode '%s'\n", mode);
		return 1;
	}
	if (uid >= 0 && (setgroups(0, NULL) < 0 ||
			 setresgid((gid_t)uid, (gid_t)uid, (gid_t)uid) < 0 ||
			 setresuid((uid_t)uid, (uid_t)uid, (uid_t)uid) < 0))
		return fail("become another user");
	sock = connect_to(argv[optind]);
	if (sock < 0)
		return fail(argv[optind]);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = send_mode(sock, mode);
	/* Closed before we were done sending: refused at accept. */
	if (r < 0 && errno != EPIPE && errno != ECONNRESET)
		return fail("send");
	printf("connected\n");
	fflush(stdout);
	/* one-region-then-silence waits for the close, not the release. */
	regions = !strcmp(mode, "good") ? 1 : !strcmp(mode, "write-only-region") ? 2 : 0;
	r = r < 0 ? 0 : wait_consumer(sock, regions, limit * 1000, &t0, &released);
	printf("%s after %ld ms, %u released\n",
	       r == 1	? "released"
	       : r == 0 ? "closed"
			: "open",
	       elapsed_ms(&t0), released);
	if (r == 2)
		return 2;
	return regions && r == 0 ? 3 : 0;
}
