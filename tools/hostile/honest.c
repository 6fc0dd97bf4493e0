/* SPDX-License-Identifier: MIT */
/*
 * honest - the well-behaved producer that follows every attack, through the
 * public API alone, as any application would be: a fresh connection, a
 * sealed region with a known pattern and metadata, sent and released.  The
 * consumer's side cannot be inspected, so "served" means: the region was
 * released and the connection was not closed.
 *
 * The channel is non-blocking and every wait is a poll(2) with what is left
 * of the timeout; only connect(2), which the library makes blocking, is
 * bounded by a SIGALRM (a full backlog would otherwise wait for good).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#include "hostile.h"

/* Odd, and more than a page: the consumer maps and reads a real region. */
#define HONEST_SIZE 12289u

static void on_alarm(int sig)
{
	(void)sig; /* only to interrupt connect(2) with EINTR */
}

static void alarm_set(unsigned long ms)
{
	struct itimerval it;
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm; /* no SA_RESTART: connect returns EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	memset(&it, 0, sizeof(it));
	it.it_value.tv_sec = (time_t)(ms / 1000);
	it.it_value.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	setitimer(ITIMER_REAL, &it, NULL);
}

static int wait_readable(struct sshm_channel *ch, int64_t deadline)
{
	struct pollfd p = { .fd = sshm_channel_fd(ch), .events = POLLIN };
	int64_t left = deadline - now_ms();

	if (left <= 0)
		return -ETIMEDOUT;
	if (poll(&p, 1, (int)left) < 0 && errno != EINTR)
		return -errno;
	return 0;
}

static struct sshm_region *make_region(unsigned int seq, char *why, size_t len)
{
	struct sshm_region *region = NULL;
	uint8_t *p;
	unsigned int i;
	int e;

	e = sshm_region_new(HONEST_SIZE, 0, &region);
	if (e >= 0)
		e = sshm_region_map(region, (void **)&p);
	if (e >= 0) {
		/* Every page written: a consumer that wants no holes takes it. */
		for (i = 0; i < HONEST_SIZE; i++)
			p[i] = (uint8_t)(i * 31 + seq);
		e = sshm_region_seal(region);
	}
	if (e < 0) {
		snprintf(why, len, "honest region: %s", sshm_strerror(e));
		sshm_region_unref(region);
		return NULL;
	}
	return region;
}

/* Sends, then waits for the release: 0, or -1 with @why. */
static int serve(struct sshm_channel *ch, struct sshm_region *region, unsigned int seq,
		 int64_t deadline, char *why, size_t len)
{
	char meta[64];
	int e;

	snprintf(meta, sizeof(meta), "sshm-hostile honest producer #%u", seq);
	while ((e = sshm_channel_send(ch, region, meta, strlen(meta))) == -EAGAIN)
		if ((e = wait_readable(ch, deadline)) < 0)
			break;
	if (e < 0) {
		snprintf(why, len, "%s: %s",
			 e == -ETIMEDOUT ? "no HELLO from the consumer (not accepted?)"
					 : "send",
			 sshm_strerror(e));
		return -1;
	}
	while ((e = sshm_channel_drain(ch)) == -EAGAIN)
		if ((e = wait_readable(ch, deadline)) < 0)
			break;
	if (e < 0) {
		snprintf(why, len, "%s: %s",
			 e == -ETIMEDOUT ? "the honest region was not released" : "drain",
			 sshm_strerror(e));
		return -1;
	}
	/* drain also returns 0 when the consumer hung up: dropped, not released. */
	if (sshm_channel_inflight(ch) != 0 || sshm_channel_is_open(ch) != 1) {
		snprintf(why, len, "the consumer closed the honest connection");
		return -1;
	}
	return 0;
}

int honest_check(const char *socket, unsigned int seq, unsigned long timeout_ms,
		 char *why, size_t len)
{
	const int64_t deadline = now_ms() + (int64_t)timeout_ms;
	struct sshm_channel *ch = NULL;
	struct sshm_region *region;
	int e, r;

	region = make_region(seq, why, len);
	if (!region)
		return -1;
	alarm_set(timeout_ms);
	e = sshm_channel_connect(socket, SSHM_CHANNEL_NONBLOCK, &ch);
	alarm_set(0);
	if (e < 0) {
		snprintf(why, len, "connect: %s",
			 e == -EINTR ? "not accepted within the timeout"
				     : sshm_strerror(e));
		sshm_region_unref(region);
		return -1;
	}
	r = serve(ch, region, seq, deadline, why, len);
	sshm_channel_unref(ch);
	sshm_region_unref(region);
	if (r == 0)
		snprintf(why, len, "served");
	return r;
}
