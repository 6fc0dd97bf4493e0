/* SPDX-License-Identifier: MIT */
/*
 * loop-peer - the producers of tests/test-loops.sh that no example plays:
 *
 *   loop-peer hostile SOCKET   refused, still served, then dropped
 *   loop-peer depart SOCKET    leaves with regions in flight
 *   loop-peer deaf SOCKET [S]  does not read: the consumer's releases queue;
 *                              then stays connected S seconds
 *
 * hostile and deaf speak the wire format by hand (testlib's raw_*), depart
 * is an honest libsshm producer.  Each prints "cksum C S" for every payload
 * the consumer should deliver intact (as cksum(1) prints it), then one
 * line that starts with its mode.  Exit 0 when the consumer behaved: 1
 * otherwise, with the reason on standard error.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

#define TIMEOUT_MS 20000

static int die(const char *what)
{
	fprintf(stderr, "loop-peer: %s\n", what);
	exit(1);
}

/* cksum(1): POSIX CRC-32, the length appended, as the examples print it. */
static uint32_t crc_add(uint32_t crc, uint8_t byte)
{
	int i;

	crc ^= (uint32_t)byte << 24;
	for (i = 0; i < 8; i++)
		crc = (crc << 1) ^ (0x04c11db7u & -(crc >> 31));
	return crc;
}

static unsigned long cksum(const uint8_t *p, uint64_t len)
{
	uint32_t crc = 0;
	uint64_t i;

	for (i = 0; i < len; i++)
		crc = crc_add(crc, p[i]);
	for (; len; len >>= 8)
		crc = crc_add(crc, len & 0xff);
	return (unsigned long)(uint32_t)~crc;
}

static void print_sum(const uint8_t *p, uint64_t len)
{
	printf("cksum %lu %llu\n", cksum(p, len), (unsigned long long)len);
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A raw connection that has said HELLO and read the consumer's. */
static int raw_open(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	uint8_t b[64];
	int s;

	if (strlen(path) >= sizeof(sa.sun_path))
		die("socket path too long");
	strcpy(sa.sun_path, path);
	s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die("connect");
	if (raw_send(s, b, raw_hello(b, 64, 0), -1) < 0)
		die("send HELLO");
	if (raw_recv(s, b, sizeof(b), TIMEOUT_MS) < 32 || b[5] != RAW_HELLO)
		die("no HELLO from the consumer");
	return s;
}

/*
 * A region of unsealed memfd: refused and released, the channel goes on
 * (an inline message after it is delivered); then a header that is none:
 * the consumer must drop the channel, which we see as end of stream.
 */
static int hostile(const char *path)
{
	static const char text[] = "hostile peer: still served after a refusal\n";
	uint8_t b[RAW_PACKET_MAX];
	int s = raw_open(path), fd;
	long end;
	ssize_t n;

	fd = test_memfd_pattern(65536, 7, 0);
	if (fd < 0 || raw_send_region(s, 1, 65536, fd, fd) < 0)
		die("send an unsealed region");
	close(fd);
	if (raw_wait_release(s, 1, TIMEOUT_MS) < 0)
		die("the unsealed region was not released");
	if (raw_send(s, b, raw_inline(b, text, sizeof(text) - 1), -1) < 0)
		die("send INLINE");
	print_sum((const uint8_t *)text, sizeof(text) - 1);
	memset(b, 0xa5, 32);
	if (raw_send(s, b, 32, -1) < 0)
		die("send garbage");
	end = now_ms() + TIMEOUT_MS;
	do
		n = raw_recv(s, b, sizeof(b), TIMEOUT_MS);
	while (n > 0 && now_ms() < end);
	if (n != 0)
		die("the consumer kept the channel after a malformed header");
	printf("hostile: refused region released, dropped after a malformed header\n");
	close(s);
	return 0;
}

/*
 * A region, then, once its release is in (and left unread), more
 * regions and copies, and gone at once without waiting for a release.
 * Leaving with a packet unread sets ECONNRESET on the consumer's socket
 * (POLLERR) while our last messages may still wait there: they must be
 * delivered all the same.
 */
static int depart(const char *path)
{
	struct pollfd p = { .events = POLLIN };
	struct sshm_channel *ch;
	struct sshm_region *region;
	uint64_t size;
	uint8_t *buf;
	unsigned int i;
	int r;

	r = sshm_channel_connect(path, 0, &ch);
	if (r < 0)
		die("connect");
	for (i = 0; i < 12; i++) {
		size = i % 4 == 0 ? 100001 + 1000 * i : 1000 + i;
		buf = malloc(size);
		if (!buf)
			die("malloc");
		test_pattern_fill(buf, size, 40 + i);
		if (i % 4 == 0) {
			region = test_region_pattern(size, 40 + i);
			r = region ? sshm_channel_send(ch, region, NULL, 0) : -ENOMEM;
			sshm_region_unref(region);
		} else {
			r = sshm_channel_send_bytes(ch, buf, size, NULL, 0);
		}
		if (r < 0)
			die("send");
		print_sum(buf, size);
		free(buf);
		p.fd = sshm_channel_fd(ch);
		if (i == 0 && poll(&p, 1, TIMEOUT_MS) != 1)
			die("no release of the first region");
	}
	printf("depart: left with %u regions in flight\n", sshm_channel_inflight(ch));
	sshm_channel_unref(ch);
	return 0;
}

/* Bytes of RELEASEs the consumer sent and we have not read. */
static int inq(int s)
{
	int n;

	if (ioctl(s, FIONREAD, &n) < 0)
		die("FIONREAD");
	return n;
}

/*
 * Regions, 16 at a time, each round once the consumer released the last
 * (a RELEASE of one id is 24 bytes), never reading them.  When the
 * consumer's socket is full its releases stop arriving: they are queued,
 * and its loop must flush them when we read.  Then read: every id must
 * come back.  Then stay @linger seconds: a consumer whose wake fd stayed
 * readable would spin meanwhile.
 */
static int deaf(const char *path, unsigned int linger)
{
	enum { ROUND = 16, MAX_REGIONS = 4096, SIZE = 8192 };
	uint8_t b[RAW_PACKET_MAX], data[SIZE];
	static uint8_t seen[MAX_REGIONS + 1];
	unsigned int sent = 0, stalled = 0, got = 0, i, k;
	int s = raw_open(path), fd, last;
	long idle;
	ssize_t n;

	fd = test_memfd_pattern(SIZE, 9, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE);
	if (fd < 0)
		die("memfd");
	test_pattern_fill(data, SIZE, 9);
	while (!stalled && sent < MAX_REGIONS) {
		for (i = 0; i < ROUND; i++)
			if (raw_send_region(s, ++sent, SIZE, fd, fd) < 0)
				die("send a region");
		/* All released, or no progress for a second: stalled. */
		last = inq(s);
		idle = now_ms() + 1000;
		while (inq(s) < (int)(24 * sent)) {
			if (inq(s) != last) {
				last = inq(s);
				idle = now_ms() + 1000;
			} else if (now_ms() > idle) {
				stalled = (unsigned int)last / 24;
				break;
			}
			usleep(1000);
		}
	}
	for (i = 0; i < sent; i++)
		print_sum(data, SIZE);
	while (got < sent) {
		n = raw_recv(s, b, sizeof(b), TIMEOUT_MS);
		if (n < 16 || b[5] != RAW_RELEASE ||
		    (size_t)n != 16 + 8 * (size_t)sshm_get_le32(b + 8))
			die("no RELEASE for every region");
		for (k = 0; k < sshm_get_le32(b + 8); k++) {
			uint64_t id = sshm_get_le64(b + 16 + 8 * k);

			if (id == 0 || id > sent || seen[id])
				die("a RELEASE of an id not in flight");
			seen[id] = 1;
			got++;
		}
	}
	if (stalled)
		printf("deaf: %u regions, releases stalled after %u, then all released\n",
		       sent, stalled);
	else
		printf("deaf: %u regions, all released, never stalled\n", sent);
	sleep(linger);
	close(fd);
	close(s);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 3 && !(argc == 4 && !strcmp(argv[1], "deaf")))
		return die("usage: loop-peer hostile|depart|deaf SOCKET [SECONDS]");
	if (setvbuf(stdout, NULL, _IOLBF, 0) != 0)
		return die("setvbuf");
	if (!strcmp(argv[1], "hostile"))
		return hostile(argv[2]);
	if (!strcmp(argv[1], "depart"))
		return depart(argv[2]);
	if (!strcmp(argv[1], "deaf"))
		return deaf(argv[2], argc == 4 ? (unsigned int)atoi(argv[3]) : 0);
	return die("usage: loop-peer hostile|depart|deaf SOCKET [SECONDS]");
}
