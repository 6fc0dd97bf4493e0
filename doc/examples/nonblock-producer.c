/* SPDX-License-Identifier: MIT */
/*
 * nonblock-producer - a producer that never blocks and still respects the
 * consumer's back-pressure.
 *
 *   nonblock-producer SOCKET COUNT
 *
 * Sends COUNT messages of pseudo-random bytes on a non-blocking channel,
 * in turn: a sealed region it fills itself (sshm_channel_send()), a small
 * copy that travels inside the packet and a large one that the library
 * puts in a region of its own (both sshm_channel_send_bytes()).  Prints
 * one line per message with its cksum(1) checksum, and exits 0 once the
 * consumer has released every region.
 *
 *   cc -std=c11 -Wall -Wextra -Werror -o nonblock-producer nonblock-producer.c \
 *      $(pkg-config --cflags --libs sshm)
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sshm.h>

/* A small window and budget, so that the consumer pushes back often. */
#define WINDOW	  8
#define BUDGET	  ((uint64_t)512 << 10)
#define LARGE_MAX (256u << 10)

struct producer {
	struct sshm_channel *ch;
	unsigned char *buf; /* LARGE_MAX bytes */
	uint64_t rng;
	short events; /* what the next wait for room waits for */
	unsigned long waits;
};

static int fail(const char *what, int err)
{
	fprintf(stderr, "nonblock-producer: %s: %s\n", what, sshm_strerror(err));
	return 1;
}

/*
 * The checksum of cksum(1), which POSIX defines (CRC-32, polynomial
 * 0x04c11db7, the length appended): a test compares it with a file's.
 */
static uint32_t crc_add(uint32_t crc, unsigned char byte)
{
	int i;

	crc ^= (uint32_t)byte << 24;
	for (i = 0; i < 8; i++)
		crc = (crc << 1) ^ (0x04c11db7u & -(crc >> 31));
	return crc;
}

static uint32_t cksum(const unsigned char *p, uint64_t len)
{
	uint32_t crc = 0;
	uint64_t i;

	for (i = 0; i < len; i++)
		crc = crc_add(crc, p[i]);
	for (; len; len >>= 8)
		crc = crc_add(crc, len & 0xff);
	return ~crc;
}

/* xorshift64: cheap bytes that differ from message to message. */
static uint64_t next(struct producer *p)
{
	p->rng ^= p->rng << 13;
	p->rng ^= p->rng >> 7;
	p->rng ^= p->rng << 17;
	return p->rng;
}

static void fill(struct producer *p, unsigned char *dst, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		dst[i] = (unsigned char)next(p);
}

/* A sealed region of @len random bytes, filled through its own mapping. */
static int make_region(struct producer *p, size_t len, struct sshm_region **ret,
		       uint32_t *ret_sum)
{
	struct sshm_region *region;
	void *map;
	int r;

	r = sshm_region_new(len, 0, &region);
	if (r < 0)
		return r;
	r = sshm_region_map(region, &map);
	if (r >= 0) {
		fill(p, map, len);
		*ret_sum = cksum(map, len);
		/* Unmaps it: the mapping is gone once the region is sealed. */
		r = sshm_region_seal(region);
	}
	if (r < 0) {
		sshm_region_unref(region);
		return r;
	}
	*ret = region;
	return 0;
}

/*
 * A send returned -EAGAIN.  Either the window or the budget is full, and
 * only the consumer's releases open it again: they make the socket
 * readable, and sshm_channel_flush() reads them.  Or the socket itself is
 * full, and it becomes writable once the consumer reads.  The code does
 * not say which, so the first wait is for both.  But a socket found
 * writable that still refused the retry was limited by the window: we
 * are the only writer, so it cannot have filled up meanwhile.  Waiting
 * for POLLOUT again would return at once for as long as the window stays
 * full, so the next wait is for input alone.
 */
static int wait_for_room(struct producer *p)
{
	struct pollfd pfd = { .fd = sshm_channel_fd(p->ch), .events = p->events };
	int r;

	p->waits++;
	if (poll(&pfd, 1, -1) < 0)
		return errno == EINTR ? 0 : -errno;
	if (!(pfd.revents & (POLLIN | POLLHUP | POLLERR))) {
		p->events = POLLIN;
		return 0;
	}
	/* The consumer's HELLO, then its releases; a hang-up is read as end
	 * of stream and the retry says -EPIPE. */
	r = sshm_channel_flush(p->ch);
	if (r < 0)
		return r;
	/* Data from the consumer would be kept for a recv this program
	 * never makes, and keep the socket readable for ever. */
	if (sshm_channel_pending(p->ch) > 0) {
		fprintf(stderr, "nonblock-producer: the consumer sends messages; this "
				"program only sends\n");
		return -EPROTO;
	}
	p->events = POLLIN | POLLOUT;
	return 0;
}

/* Message @i: a region of ours, a small copy or a large copy, in turn. */
static int send_message(struct producer *p, unsigned long i)
{
	static const char *const kind[] = { "region", "inline copy", "copy in a region" };
	struct sshm_region *region = NULL;
	size_t len;
	uint32_t sum;
	int r;

	if (i % 3 == 1)
		len = 1 + next(p) % 65536; /* SSHM_INLINE_DEFAULT: inline */
	else
		len = 65537 + next(p) % (LARGE_MAX - 65536);
	if (i % 3 == 0) {
		r = make_region(p, len, &region, &sum);
		if (r < 0)
			return fail("make a region", r);
	} else {
		fill(p, p->buf, len);
		sum = cksum(p->buf, len);
	}
	/* On -EAGAIN nothing was sent: the same message is sent again. */
	for (;;) {
		if (region)
			r = sshm_channel_send(p->ch, region, NULL, 0);
		else
			r = sshm_channel_send_bytes(p->ch, p->buf, len, NULL, 0);
		if (r != -EAGAIN)
			break;
		r = wait_for_room(p);
		if (r < 0)
			break;
	}
	/* The channel holds its own reference until the release. */
	sshm_region_unref(region);
	if (r < 0)
		return fail("send", r);
	p->events = POLLIN | POLLOUT;
	printf("sent %lu: %s of %zu bytes, cksum %lu %zu\n", i + 1, kind[i % 3], len,
	       (unsigned long)sum, len);
	return 0;
}

/*
 * sshm_channel_drain() on a non-blocking channel returns -EAGAIN while
 * regions are in flight and nothing can be read: wait for input, again.
 */
static int wait_released(struct sshm_channel *ch)
{
	struct pollfd pfd = { .fd = sshm_channel_fd(ch), .events = POLLIN };
	int r;

	while ((r = sshm_channel_drain(ch)) == -EAGAIN)
		if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
			return -errno;
	return r;
}

static int parse_count(const char *arg, unsigned long *ret)
{
	char *end;

	errno = 0;
	*ret = strtoul(arg, &end, 10);
	if (errno || *end || end == arg || *ret == 0 || arg[0] == '-')
		return -EINVAL;
	return 0;
}

int main(int argc, char **argv)
{
	struct producer p;
	struct sshm_channel_stats st;
	unsigned long count, i;
	int r, ret = 1;

	memset(&p, 0, sizeof(p));
	if (argc != 3 || parse_count(argv[2], &count) < 0) {
		fprintf(stderr, "usage: nonblock-producer SOCKET COUNT\n");
		return 2;
	}
	/* Line by line: each line is out as soon as its message is sent. */
	if (setvbuf(stdout, NULL, _IOLBF, 0) != 0)
		return fail("setvbuf", EIO);
	p.rng = 0x9e3779b97f4a7c15u ^ (uint64_t)getpid();
	p.events = POLLIN | POLLOUT;
	p.buf = malloc(LARGE_MAX);
	if (!p.buf)
		return fail("malloc", ENOMEM);

	/* Returns at once: the HELLOs are exchanged by the first send. */
	r = sshm_channel_connect(argv[1], SSHM_CHANNEL_NONBLOCK, &p.ch);
	if (r < 0) {
		fail(argv[1], r);
		goto out;
	}
	r = sshm_channel_set_limits(p.ch, WINDOW, BUDGET);
	if (r < 0) {
		fail("set the limits", r);
		goto out;
	}
	for (i = 0; i < count; i++)
		if (send_message(&p, i) != 0)
			goto out;
	r = wait_released(p.ch);
	if (r < 0) {
		fail("wait for the releases", r);
		goto out;
	}
	/* drain() also returns 0 when the consumer left: its regions were
	 * dropped then, not released.  The channel says which. */
	if (!sshm_channel_is_open(p.ch)) {
		fprintf(stderr, "nonblock-producer: the consumer left before releasing "
				"every region\n");
		goto out;
	}
	r = sshm_channel_stats(p.ch, &st, sizeof(st));
	if (r < 0) {
		fail("stats", r);
		goto out;
	}
	printf("done: %llu messages, %llu bytes, %lu waits for room, every region "
	       "released\n",
	       (unsigned long long)st.sent, (unsigned long long)st.sent_bytes, p.waits);
	ret = 0;
out:
	sshm_channel_unref(p.ch);
	free(p.buf);
	return ret;
}
