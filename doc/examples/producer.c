/* SPDX-License-Identifier: MIT */
/*
 * producer - the smallest useful sshm producer.
 *
 *   producer SOCKET FILE
 *
 * Copies FILE into a sealed shared-memory region and hands it to the
 * consumer listening on SOCKET (a path, or @name for an abstract socket).
 *
 *   cc -std=c11 -Wall -Wextra -Werror -o producer producer.c \
 *      $(pkg-config --cflags --libs sshm)
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sshm.h>

/* sshm_strerror() names errno values and the library's own codes alike. */
static int fail(const char *what, int err)
{
	fprintf(stderr, "producer: %s: %s\n", what, sshm_strerror(err));
	return 1;
}

/*
 * Copies @fd into @region with sshm_region_write(), which is pwrite(2) on
 * the memfd: no mapping, so no page faults on our side.
 */
static int fill(int fd, struct sshm_region *region)
{
	const uint64_t size = sshm_region_size(region);
	uint64_t off = 0;
	char buf[65536];
	ssize_t n;
	int r;

	while (off < size) {
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		/* The file shrank since fstat(): refuse rather than send zeroes. */
		if (n == 0)
			return -ENODATA;
		/* It grew: the region keeps the size fstat() said. */
		if ((uint64_t)n > size - off)
			n = (ssize_t)(size - off);
		r = sshm_region_write(region, off, buf, (size_t)n);
		if (r < 0)
			return r;
		off += (uint64_t)n;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct sshm_region *region = NULL;
	struct sshm_channel *ch = NULL;
	struct stat st;
	int fd, r, ret = 1;

	if (argc != 3) {
		fprintf(stderr, "usage: producer SOCKET FILE\n");
		return 2;
	}
	fd = open(argv[2], O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail(argv[2], errno);
	if (fstat(fd, &st) < 0) {
		fail(argv[2], errno);
		goto out;
	}
	/* A region has a fixed, non-zero size: known up front for a file. */
	if (!S_ISREG(st.st_mode) || st.st_size == 0) {
		fprintf(stderr, "producer: %s: not a non-empty regular file\n", argv[2]);
		goto out;
	}

	/* 1. A writable memfd of exactly the file's size. */
	r = sshm_region_new((uint64_t)st.st_size, 0, &region);
	if (r < 0) {
		fail("create a region", r);
		goto out;
	}
	/* 2. Fill it. */
	r = fill(fd, region);
	if (r < 0) {
		fail(r == -ENODATA ? "file shrank while read" : "fill the region", r);
		goto out;
	}
	/* 3. Seal it: from here on nobody, not even we, can change or resize
	 *    it.  That is what lets the consumer trust the bytes it maps. */
	r = sshm_region_seal(region);
	if (r < 0) {
		fail("seal the region", r);
		goto out;
	}
	/* 4. Connect and send.  The channel keeps its own reference on the
	 *    region, and so the memfd open, until the consumer releases it. */
	r = sshm_channel_connect(argv[1], 0, &ch);
	if (r < 0) {
		fail(argv[1], r);
		goto out;
	}
	r = sshm_channel_send(ch, region, NULL, 0);
	if (r < 0) {
		fail("send", r);
		goto out;
	}
	/* 5. Wait for the release before exiting: exiting closes the memfd,
	 *    and the consumer checks with kcmp(2) that the file it received is
	 *    the one we still hold.  Also returns 0 if the consumer left. */
	r = sshm_channel_drain(ch);
	if (r < 0) {
		fail("wait for the release", r);
		goto out;
	}
	ret = 0;
out:
	/* unref(NULL) is a no-op: one cleanup path for every exit. */
	sshm_channel_unref(ch);
	sshm_region_unref(region);
	/* Read-only: close(2) has nothing to report that we could act on. */
	(void)close(fd);
	return ret;
}
