/* SPDX-License-Identifier: MIT */
/*
 * broken-consumer - a consumer that is wrong on purpose, for
 * tests/test-hostile-tool.sh to prove that sshm-hostile can fail.
 *
 *   broken-consumer map-unverified SOCKET
 *	maps every REGION's descriptor and reads its first byte without
 *	checking anything (seals, type, size), then closes and releases it;
 *   broken-consumer leak-fds SOCKET
 *	never closes a descriptor it receives (it releases every region).
 *
 * Otherwise it behaves: it speaks the wire format of doc/protocol.md
 * (written by hand, without libsshm), serves up to 64 producers at once
 * from one poll(2) loop, and drops a connection whose packet is not
 * framed as the protocol says.  Runs until killed.
 */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_CONNS 64
#define MAGIC	  0x4d485353u

static int leak;
static sigjmp_buf bus;

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static void header(uint8_t *b, uint8_t type)
{
	memset(b, 0, 16);
	put32(b, MAGIC);
	b[4] = 1;
	b[5] = type;
}

/* HELLO: window 64, inline 65536, no cap stated, meta 4096, SENDER. */
static void send_hello(int fd)
{
	uint8_t b[48] = { 0 };

	header(b, 1);
	put32(b + 8, 64);
	put32(b + 12, 65536);
	put32(b + 24, 4096);
	put32(b + 40, 0x2);
	(void)send(fd, b, sizeof(b), MSG_NOSIGNAL | MSG_DONTWAIT);
}

static void send_release(int fd, const uint8_t *id)
{
	uint8_t b[24];

	header(b, 4);
	put32(b + 8, 1);
	memcpy(b + 16, id, 8);
	(void)send(fd, b, sizeof(b), MSG_NOSIGNAL | MSG_DONTWAIT);
}

static void on_bus(int sig)
{
	(void)sig;
	siglongjmp(bus, 1);
}

/* The bug: whatever came, mapped for the announced size and read. */
static void map_and_read(int fd, uint64_t size)
{
	volatile const uint8_t *p;

	if (size == 0 || size > ((uint64_t)1 << 30))
		return;
	p = mmap(NULL, (size_t)size, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return;
	/* A truncated or hugetlb file faults: survive it, to go on. */
	if (sigsetjmp(bus, 1) == 0)
		(void)p[0];
	munmap((void *)p, (size_t)size);
}

static void drop_fds(const int *fds, int n)
{
	int i;

	for (i = 0; i < n && !leak; i++)
		close(fds[i]);
}

/* One packet: 0 to go on, -1 to drop the connection. */
static int on_packet(int fd)
{
	static uint8_t b[70000];
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(8 * sizeof(int))];
	} ctl;
	struct iovec iov = { .iov_base = b, .iov_len = sizeof(b) };
	struct msghdr m = { .msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = ctl.buf,
			    .msg_controllen = sizeof(ctl.buf) };
	struct cmsghdr *h;
	int fds[8], n = 0, k;
	ssize_t len;

	len = recvmsg(fd, &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (len < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	for (h = CMSG_FIRSTHDR(&m); h; h = CMSG_NXTHDR(&m, h)) {
		if (h->cmsg_level != SOL_SOCKET || h->cmsg_type != SCM_RIGHTS)
			continue;
		for (k = 0; k < (int)((h->cmsg_len - CMSG_LEN(0)) / sizeof(int)) && n < 8;
		     k++)
			memcpy(&fds[n++], CMSG_DATA(h) + k * sizeof(int), sizeof(int));
	}
	if (len < 8 || (m.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) || get32(b) != MAGIC ||
	    b[4] != 1) {
		drop_fds(fds, n);
		return -1;
	}
	if (b[5] == 2 && len >= 32 && n == 1) {
		if (!leak)
			map_and_read(fds[0], get64(b + 16));
		drop_fds(fds, n);
		send_release(fd, b + 8);
		return 0;
	}
	drop_fds(fds, n);
	/* HELLO, INLINE and SENDER are taken as they come; anything else,
	 * or a descriptor where none belongs, ends the connection. */
	return n == 0 && (b[5] == 1 || b[5] == 3 || b[5] == 6) ? 0 : -1;
}

static int listen_on(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t n = strlen(path);
	int fd;

	if (n == 0 || n >= sizeof(sa.sun_path))
		return -1;
	memcpy(sa.sun_path, path, n);
	if (path[0] == '@')
		sa.sun_path[0] = '\0';
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 ||
	    bind(fd, (struct sockaddr *)&sa,
		 (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n)) < 0 ||
	    listen(fd, 128) < 0)
		return -1;
	return fd;
}

int main(int argc, char **argv)
{
	struct pollfd p[1 + MAX_CONNS];
	struct sigaction sa;
	int n = 1, i, fd;

	if (argc != 3 ||
	    (strcmp(argv[1], "map-unverified") && strcmp(argv[1], "leak-fds"))) {
		fprintf(stderr,
			"usage: broken-consumer map-unverified|leak-fds SOCKET\n");
		return 1;
	}
	leak = !strcmp(argv[1], "leak-fds");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_bus;
	sigaction(SIGBUS, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	p[0].fd = listen_on(argv[2]);
	p[0].events = POLLIN;
	if (p[0].fd < 0) {
		perror(argv[2]);
		return 3;
	}
	for (;;) {
		if (poll(p, (nfds_t)n, -1) < 0 && errno != EINTR)
			return 3;
		for (i = n - 1; i >= 1; i--) {
			if (!p[i].revents || on_packet(p[i].fd) == 0)
				continue;
			close(p[i].fd);
			p[i] = p[--n];
		}
		if (p[0].revents && n <= MAX_CONNS &&
		    (fd = accept4(p[0].fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK)) >=
			0) {
			send_hello(fd);
			p[n].fd = fd;
			p[n].events = POLLIN;
			p[n++].revents = 0;
		}
	}
}
