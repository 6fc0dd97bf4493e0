/* SPDX-License-Identifier: MIT */
/*
 * epoll-consumer - many producers, one thread, nothing ever blocks.
 *
 *   epoll-consumer SOCKET N
 *
 * Listens on SOCKET without blocking; every producer that connects gets a
 * non-blocking channel in the same epoll set as the listener and a
 * signalfd for SIGINT.  Prints one line per message received and exits
 * after N messages, or at once on SIGINT.
 *
 * At most MAX_PRODUCERS (64) producers at once: one more is accepted and
 * closed at once.  Nothing closes a producer that connects and sends
 * nothing, so 64 of them keep every other one out: a server open to
 * strangers also needs an idle timeout (sshm-recv(1) has one) and a word
 * on who may connect (sshm_listener_allow_uid(3)).
 *
 * Descriptors: per producer its socket, plus an eventfd once it has
 * handed out a region view (the library makes it, for views dropped in
 * other threads; we drop ours here, so we never watch it, see
 * sshm_channel_wake_fd(3)), plus one memfd per view kept (none: each is
 * dropped at once).  Data messages read ahead by sshm_channel_flush() and
 * not yet received hold a memfd and a pidfd each, up to the window of 64
 * per producer.  Worst case 64 x (2 + 2 x 64) = 8320, far above the usual
 * soft limit of 1024: main() raises RLIMIT_NOFILE to the hard limit.
 *
 *   cc -std=c11 -Wall -Wextra -Werror -o epoll-consumer epoll-consumer.c \
 *      $(pkg-config --cflags --libs sshm)
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <sshm.h>

#define MAX_PRODUCERS 64

/* epoll_event.data.u64: these two, or FIRST_SLOT + the channel's slot. */
#define TAG_LISTENER 0
#define TAG_SIGNAL   1
#define FIRST_SLOT   2

struct state {
	int ep;
	struct sshm_listener *listener;
	struct sshm_channel *ch[MAX_PRODUCERS];
	int want_out[MAX_PRODUCERS]; /* EPOLLOUT registered for the slot */
	struct sshm_policy policy;
	unsigned long received, wanted;
};

static int fail(const char *what, int err)
{
	fprintf(stderr, "epoll-consumer: %s: %s\n", what, sshm_strerror(err));
	return err < 0 ? err : -err;
}

static int watch(struct state *s, int op, int fd, uint32_t events, uint64_t tag)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = events;
	ev.data.u64 = tag;
	if (epoll_ctl(s->ep, op, fd, &ev) < 0)
		return -errno;
	return 0;
}

/* Dropping the channel also drops its socket from the epoll set. */
static void drop(struct state *s, int slot)
{
	s->ch[slot] = sshm_channel_unref(s->ch[slot]);
	s->want_out[slot] = 0;
}

/* Accepts every producer waiting, until -EAGAIN. */
static int on_listener(struct state *s)
{
	struct sshm_channel *ch;
	int slot, r;

	for (;;) {
		r = sshm_listener_accept(s->listener, SSHM_CHANNEL_NONBLOCK, &ch);
		if (r == -EAGAIN)
			return 0;
		/* The producer gave up before we got to it. */
		if (r == -ECONNABORTED || r == -EINTR)
			continue;
		if (r < 0)
			return fail("accept", r);
		for (slot = 0; slot < MAX_PRODUCERS && s->ch[slot]; slot++)
			;
		if (slot == MAX_PRODUCERS) {
			fprintf(stderr,
				"epoll-consumer: too many producers, one turned away\n");
			sshm_channel_unref(ch);
			continue;
		}
		r = watch(s, EPOLL_CTL_ADD, sshm_channel_fd(ch), EPOLLIN,
			  FIRST_SLOT + (uint64_t)slot);
		if (r < 0) {
			sshm_channel_unref(ch);
			return fail("epoll_ctl", r);
		}
		s->ch[slot] = ch;
	}
}

/*
 * Receives until -EAGAIN.  Returns the number of messages handled, or a
 * negative code when the channel must go (the producer left, or broke the
 * protocol).
 */
static int receive_ready(struct state *s, int slot)
{
	const struct sshm_identity *id;
	struct sshm_view *view;
	int r, n = 0;

	while (s->received < s->wanted) {
		r = sshm_channel_recv(s->ch[slot], &s->policy, &view);
		if (r == -EAGAIN)
			break;
		/* Closed: the producer left (-EPIPE) or broke the protocol. */
		if (r < 0 && sshm_channel_is_open(s->ch[slot]) <= 0)
			return r;
		n++;
		s->received++;
		/* Still open: one message refused (a failed check, a failed
		 * mapping: whatever the code), closed, released. */
		if (r < 0) {
			printf("message %lu: refused: %s\n", s->received,
			       sshm_strerror(r));
			continue;
		}
		id = sshm_view_identity(view);
		printf("message %lu: %llu bytes from pid %ld, identity %s\n", s->received,
		       (unsigned long long)sshm_view_size(view), (long)id->pid,
		       sshm_verdict_name(id->verdict));
		/* Releases the region: the producer's window (and its drain)
		 * wait for this. */
		sshm_view_unref(view);
	}
	return n;
}

/*
 * Everything a readable or writable channel needs.  A release that does
 * not fit in the socket stays queued in the channel: sshm_channel_flush()
 * retries it and says how many are left, so EPOLLOUT is asked for while
 * any are.  Flush also reads what the producer sent meanwhile and keeps its
 * messages for recv, where epoll cannot see them: sshm_channel_pending()
 * counts those, and we receive again until there are none.
 */
static int on_channel(struct state *s, int slot)
{
	int pending = 0, r, out;

	for (;;) {
		r = receive_ready(s, slot);
		if (r < 0)
			break;
		pending = sshm_channel_flush(s->ch[slot]);
		if (pending < 0) {
			r = pending;
			break;
		}
		if (!sshm_channel_pending(s->ch[slot]) || s->received >= s->wanted)
			break;
	}
	if (r < 0) {
		if (r != -EPIPE)
			fail("producer dropped", r);
		drop(s, slot);
		return 0;
	}
	out = pending > 0;
	if (out == s->want_out[slot])
		return 0;
	r = watch(s, EPOLL_CTL_MOD, sshm_channel_fd(s->ch[slot]),
		  EPOLLIN | (out ? EPOLLOUT : 0), FIRST_SLOT + (uint64_t)slot);
	if (r < 0)
		return fail("epoll_ctl", r);
	s->want_out[slot] = out;
	return 0;
}

/* The soft limit up to the hard one: see the descriptor budget above. */
static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
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

/* SIGINT as a readable descriptor: blocked, then read from a signalfd. */
static int signal_fd(void)
{
	sigset_t mask;
	int fd;

	if (sigemptyset(&mask) < 0 || sigaddset(&mask, SIGINT) < 0)
		return -errno;
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return -errno;
	fd = signalfd(-1, &mask, SFD_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

static int run(struct state *s, int sfd)
{
	struct epoll_event events[16];
	struct signalfd_siginfo si;
	int i, n, r;
	uint64_t tag;

	while (s->received < s->wanted) {
		n = epoll_wait(s->ep, events, 16, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return fail("epoll_wait", errno);
		for (i = 0; i < n && s->received < s->wanted; i++) {
			tag = events[i].data.u64;
			if (tag == TAG_SIGNAL) {
				if (read(sfd, &si, sizeof(si)) != (ssize_t)sizeof(si))
					return fail("read signalfd", errno);
				fprintf(
				    stderr,
				    "epoll-consumer: interrupted after %lu messages\n",
				    s->received);
				return 0;
			}
			r = tag == TAG_LISTENER ? on_listener(s)
			    : s->ch[tag - FIRST_SLOT]
				? on_channel(s, (int)(tag - FIRST_SLOT))
				: 0;
			if (r < 0)
				return r;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct state s;
	int sfd = -1, i, r, ret = 1;

	memset(&s, 0, sizeof(s));
	s.ep = -1;
	if (argc != 3 || parse_count(argv[2], &s.wanted) < 0) {
		fprintf(stderr,
			"usage: epoll-consumer SOCKET N\n"
			"Receives N messages from at most %d producers at once.\n",
			MAX_PRODUCERS);
		return 2;
	}
	raise_nofile();
	/* The default limits, a hole-free region, and best-effort identity. */
	s.policy.identity = SSHM_IDENTITY_BEST_EFFORT;
	s.policy.flags = SSHM_POLICY_POPULATED;

	sfd = signal_fd();
	if (sfd < 0) {
		fail("signalfd", sfd);
		goto out;
	}
	s.ep = epoll_create1(EPOLL_CLOEXEC);
	if (s.ep < 0) {
		fail("epoll_create1", errno);
		goto out;
	}
	/* SSHM_CHANNEL_NONBLOCK on a listener: accept returns -EAGAIN. */
	r = sshm_listener_new(argv[1], SSHM_CHANNEL_NONBLOCK, &s.listener);
	if (r < 0) {
		fail(argv[1], r);
		goto out;
	}
	r = watch(&s, EPOLL_CTL_ADD, sshm_listener_fd(s.listener), EPOLLIN, TAG_LISTENER);
	if (r >= 0)
		r = watch(&s, EPOLL_CTL_ADD, sfd, EPOLLIN, TAG_SIGNAL);
	if (r < 0) {
		fail("epoll_ctl", r);
		goto out;
	}
	/* Line by line, so a reader sees each message as it comes. */
	if (setvbuf(stdout, NULL, _IOLBF, 0) != 0) {
		fail("setvbuf", EIO);
		goto out;
	}
	if (run(&s, sfd) == 0)
		ret = 0;
out:
	/* Every view is gone already: this closes the sockets. */
	for (i = 0; i < MAX_PRODUCERS; i++)
		sshm_channel_unref(s.ch[i]);
	/* Removes the socket file the listener created. */
	sshm_listener_unref(s.listener);
	if (s.ep >= 0)
		(void)close(s.ep);
	if (sfd >= 0)
		(void)close(sfd);
	return ret;
}
