/* SPDX-License-Identifier: MIT */
/*
 * consumer - the smallest useful sshm consumer.
 *
 *   consumer SOCKET > OUTPUT
 *
 * Listens on SOCKET (a path, or @name for an abstract socket), accepts one
 * producer and receives every message it sends under an explicit policy.
 * For each one it reports the identity verdict and the size on standard
 * error and writes the bytes to standard output; a message the policy
 * refuses is reported and skipped.  It exits when the producer closes the
 * connection (status 0), or breaks the protocol (status 1).
 *
 *   cc -std=c11 -Wall -Wextra -Werror -o consumer consumer.c \
 *      $(pkg-config --cflags --libs sshm)
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sshm.h>

static int fail(const char *what, int err)
{
	fprintf(stderr, "consumer: %s: %s\n", what, sshm_strerror(err));
	return 1;
}

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void report(unsigned long n, const struct sshm_view *view)
{
	const struct sshm_identity *id = sshm_view_identity(view);

	fprintf(stderr,
		"consumer: message %lu: %s of %llu bytes from pid %ld, identity %s", n,
		sshm_view_is_region(view) ? "sealed region" : "inline copy",
		(unsigned long long)sshm_view_size(view), (long)id->pid,
		sshm_verdict_name(id->verdict));
	/* E.g. a producer of another user: kcmp(2) is not allowed then. */
	if (id->verdict == SSHM_VERDICT_UNVERIFIABLE)
		fprintf(stderr, " (%s)", sshm_strerror(id->reason));
	fputc('\n', stderr);
}

int main(int argc, char **argv)
{
	struct sshm_listener *listener = NULL;
	struct sshm_channel *ch = NULL;
	struct sshm_policy policy;
	struct sshm_view *view;
	unsigned long n = 0;
	int r, ret = 1;

	if (argc != 2) {
		fprintf(stderr, "usage: consumer SOCKET\n");
		return 2;
	}
	/* A reader of our output that goes away is an EPIPE, not a death. */
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		return fail("ignore SIGPIPE", errno);

	/*
	 * What we accept, beyond what is always required (a memfd sealed
	 * against shrink, grow and write): at most 256 MiB, no holes (a
	 * sparse region would make us allocate memory as we read it), and
	 * an identity check whose "mismatch" is fatal but whose
	 * "unverifiable" (e.g. another user) is tolerated.  Unused fields
	 * must be zero.
	 */
	memset(&policy, 0, sizeof(policy));
	policy.max_size = (uint64_t)256 << 20;
	policy.identity = SSHM_IDENTITY_BEST_EFFORT;
	policy.flags = SSHM_POLICY_POPULATED;

	r = sshm_listener_new(argv[1], 0, &listener);
	if (r < 0)
		return fail(argv[1], r);
	r = sshm_listener_accept(listener, 0, &ch);
	/* One producer only: dropping the listener removes the socket file. */
	sshm_listener_unref(listener);
	if (r < 0)
		return fail("accept", r);

	for (;;) {
		r = sshm_channel_recv(ch, &policy, &view);
		/*
		 * After an error, the channel alone says what it meant.  Still
		 * open: one message was refused (it failed a check, or could
		 * not be mapped: -SSHM_E* and -errno alike), it was closed
		 * unmapped and released, and the next one may be fine.  No list
		 * of codes: a producer must not stop us with one we forgot.
		 */
		if (r < 0 && sshm_channel_is_open(ch) > 0) {
			fprintf(stderr, "consumer: message %lu refused: %s\n", ++n,
				sshm_strerror(r));
			continue;
		}
		/* Closed: the producer left after everything it sent was
		 * received (-EPIPE), or it broke the protocol. */
		if (r == -EPIPE)
			break;
		if (r < 0) {
			fail("receive", r);
			goto out;
		}
		report(++n, view);
		r = write_all(STDOUT_FILENO, sshm_view_data(view),
			      (size_t)sshm_view_size(view));
		/* Dropping the view unmaps the region and releases it to the
		 * producer, which waits for that: do it as soon as possible. */
		sshm_view_unref(view);
		if (r < 0) {
			fail("write standard output", r);
			goto out;
		}
	}
	ret = 0;
out:
	sshm_channel_unref(ch);
	return ret;
}
