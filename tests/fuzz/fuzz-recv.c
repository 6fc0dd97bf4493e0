/* SPDX-License-Identifier: MIT */
/*
 * fuzz-recv - libFuzzer target for the whole receive path: the input is a
 * script of packets that an attacker sends over a real SOCK_SEQPACKET
 * socketpair, each with a choice of control message, to a non-blocking
 * channel that receives until it is told no more.  After every input the
 * process must hold exactly the fds and mappings it held before: a leak is
 * an abort, which the fuzzer reports like a crash.
 *
 * Input: records of [u8 ctl][u16 len, little-endian][len bytes of packet].
 * ctl & 7 picks what rides along: 0 nothing, 1 a sealed 4 KiB memfd,
 * 2 an unsealed memfd, 3 a pipe, 4 the attacker's own socket, 5 a memfd
 * sealed with F_SEAL_FUTURE_WRITE only, 6 /dev/null, 7 two sealed memfds.
 * ctl & 8 prefixes a valid HELLO so that the fuzzer reaches the later steps
 * without having to find one.
 */
#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"
#include "sshm.h"
#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Pipes we made this run, by inode: the only pipes whose fds we count. */
static unsigned long our_pipes[512];
static unsigned int n_our_pipes;

static int fd_is_foreign_pipe(const char *target)
{
	unsigned long ino;
	unsigned int i;

	if (sscanf(target, "pipe:[%lu]", &ino) != 1)
		return 0;
	for (i = 0; i < n_our_pipes; i++)
		if (our_pipes[i] == ino)
			return 0;
	return 1;
}

/*
 * Open fds, leaving out pipes we did not make: the sanitizer runtimes open
 * pipes of their own (LeakSanitizer's stop-the-world, which libFuzzer runs
 * between inputs) and may keep them.
 */
static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	char path[64], target[256];
	ssize_t n;
	int count = 0;

	assert(d);
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
		n = readlink(path, target, sizeof(target) - 1);
		target[n < 0 ? 0 : n] = '\0';
		count += !fd_is_foreign_pipe(target);
	}
	closedir(d);
	return count;
}

/* Mappings of memfds: views left mapped.  (Other mappings come and go
 * with the sanitizers' allocators.) */
static int count_maps(void)
{
	FILE *f = fopen("/proc/self/maps", "re");
	char line[512];
	int n = 0;

	assert(f);
	while (fgets(line, sizeof(line), f))
		n += strstr(line, "/memfd:") != NULL;
	fclose(f);
	return n;
}

static void dump_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	char path[64], target[256];
	ssize_t n;

	assert(d);
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
		n = readlink(path, target, sizeof(target) - 1);
		target[n < 0 ? 0 : n] = '\0';
		fprintf(stderr, "  fd %s -> %s\n", e->d_name, target);
	}
	closedir(d);
}

static int memfd(unsigned int seals)
{
	int fd = memfd_create("fuzz", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	assert(fd >= 0);
	assert(ftruncate(fd, 4096) == 0);
	if (seals)
		assert(fcntl(fd, F_ADD_SEALS, seals) == 0);
	return fd;
}

/* The fds that ride along with a packet, per ctl & 7; -1 terminated. */
static void make_fds(unsigned int kind, int own_sock, int fds[3], int close_me[3])
{
	const unsigned int sealed = F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE |
				    F_SEAL_SEAL;
	int p[2];

	fds[0] = fds[1] = fds[2] = -1;
	close_me[0] = close_me[1] = close_me[2] = -1;
	switch (kind) {
	case 1:
		fds[0] = close_me[0] = memfd(sealed);
		break;
	case 2:
		fds[0] = close_me[0] = memfd(0);
		break;
	case 3: {
		struct stat st;

		assert(pipe2(p, O_CLOEXEC) == 0);
		assert(fstat(p[0], &st) == 0);
		if (n_our_pipes < sizeof(our_pipes) / sizeof(our_pipes[0]))
			our_pipes[n_our_pipes++] = st.st_ino;
		fds[0] = close_me[0] = p[0];
		close_me[1] = p[1];
		break;
	}
	case 4:
		fds[0] = own_sock;
		break;
	case 5:
		fds[0] = close_me[0] = memfd(F_SEAL_SHRINK | F_SEAL_GROW |
					     F_SEAL_FUTURE_WRITE);
		break;
	case 6:
		fds[0] = close_me[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
		break;
	case 7:
		fds[0] = close_me[0] = memfd(sealed);
		fds[1] = close_me[1] = memfd(sealed);
		break;
	}
}

static void send_packet(int sock, const uint8_t *buf, size_t len, const int *fds)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(2 * sizeof(int))];
	} ctl;
	struct iovec iov = { (void *)buf, len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	int n = (fds[0] >= 0) + (fds[1] >= 0);

	if (n) {
		struct cmsghdr *c;

		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = CMSG_SPACE(n * sizeof(int));
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(n * sizeof(int));
		memcpy(CMSG_DATA(c), fds, n * sizeof(int));
	}
	/* A full socket or a refused packet is part of the game. */
	(void)sendmsg(sock, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
}

static void send_hello(int sock)
{
	/* The library's own features, so that COPY, SENDER and LIMITS from
	 * the fuzzer reach their code. */
	const struct wire_hello h = { .window = 64,
				      .inline_max = 65536,
				      .meta_max = 4096,
				      .budget = (uint64_t)64 << 20,
				      .features = WIRE_F_KNOWN };
	const int none[3] = { -1, -1, -1 };
	uint8_t buf[WIRE_HELLO_EXT_LEN];

	send_packet(sock, buf, wire_encode_hello(buf, &h), none);
}

/* Reads every byte of every accepted view, as a consumer would. */
static void consume(struct sshm_channel *ch)
{
	struct sshm_view *v;
	int i, r;

	for (i = 0; i < 256; i++) {
		const volatile uint8_t *p;
		uint64_t n, sum = 0;

		r = sshm_channel_recv(ch, NULL, &v);
		if (r == -EAGAIN || r == -EPIPE || r == -SSHM_EBROKEN)
			return;
		if (r < 0)
			continue;
		p = sshm_view_data(v);
		for (n = 0; n < sshm_view_size(v); n++)
			sum += p[n];
		(void)sum;
		sshm_view_unref(v);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fds_before = -1, maps_before = -1;
	struct sshm_channel *ch;
	int sv[2];
	size_t off = 0;

	if (fds_before < 0) {
		/* The first run also sets up what later ones reuse (probes). */
		fds_before = count_fds();
		maps_before = count_maps();
	}
	n_our_pipes = 0;
	assert(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0);
	assert(sshm_channel_adopt(sv[1], SSHM_CHANNEL_NONBLOCK, &ch) == 0);

	while (off + 3 <= size) {
		unsigned int ctl = data[off];
		size_t len = (size_t)data[off + 1] | (size_t)data[off + 2] << 8;
		int fds[3], close_me[3], i;

		off += 3;
		if (len > size - off)
			len = size - off;
		if (ctl & 8)
			send_hello(sv[0]);
		make_fds(ctl & 7, sv[0], fds, close_me);
		send_packet(sv[0], data + off, len, fds);
		for (i = 0; i < 3; i++)
			if (close_me[i] >= 0)
				close(close_me[i]);
		off += len;
		consume(ch);
	}
	close(sv[0]);
	consume(ch);
	sshm_channel_unref(ch);

	if (count_fds() != fds_before || count_maps() != maps_before) {
		fprintf(stderr, "leak: fds %d -> %d, maps %d -> %d\n", fds_before,
			count_fds(), maps_before, count_maps());
		dump_fds();
		abort();
	}
	return 0;
}
