/* SPDX-License-Identifier: MIT */
/*
 * loop - every connection served at once by one thread that never waits
 * for a peer.  One epoll set holds the listener, a pipe the signal
 * handlers write to, and each channel's socket (sshm_channel_fd());
 * listener and channels are non-blocking.
 *
 * What a peer can cost the others is bounded: a connection that sends
 * nothing holds a slot until --idle-timeout (a deadline list, oldest
 * first, sets epoll_wait's timeout), beyond --max-connections a new one is
 * closed at once, and a producer that never pauses gets BATCH messages
 * per turn (serve.c) before the others have theirs.
 *
 * No channel's sshm_channel_wake_fd() is watched: every view is dropped in
 * this thread, right after its bytes are written, so a release that does
 * not fit in the socket is queued here and sshm_channel_flush() below
 * sees it.  A program that drops views in other threads must watch it.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "recv.h"

/* epoll_event.data.u64: these two, or FIRST_SLOT + a connection's slot. */
#define TAG_LISTENER 0
#define TAG_SIGNAL   1
#define FIRST_SLOT   2

#define EVENTS	     64
#define ACCEPT_BATCH 64u  /* connections taken per turn of the listener */
#define PAUSE_MS     100u /* the listener rests after accept failed */

struct loop {
	struct state *st;
	int ep;
	struct sshm_listener *listener; /* NULL with --connect */
	struct conn *slots;
	unsigned long n_slots, n_open, next_id;
	struct conn *oldest, *newest; /* those with a deadline */
	unsigned long n_again;	      /* slots with conn.again set */
	unsigned long round;	      /* epoll_wait calls so far */
	unsigned long *served_in;     /* per slot: the round it was served in */
	uint64_t resume;	      /* paused listener: ms it wakes at; 0 */
	uint64_t pauses;
	unsigned long producing; /* open connections that sent a message */
};

/* ------------------------------------------------------------ signals */

static volatile sig_atomic_t stop_signal;
static int wake_pipe[2] = { -1, -1 };
static const char *volatile unlink_path;

static void on_signal(int sig)
{
	const int saved = errno;

	/* A second one while stopping: die of it, as without --stats, and
	 * leave no socket file behind (all async-signal-safe). */
	if (stop_signal) {
		if (unlink_path)
			unlink(unlink_path);
		signal(sig, SIG_DFL);
		raise(sig);
	}
	stop_signal = sig;
	if (write(wake_pipe[1], "", 1) < 0) {
		/* Full: a wake is pending already. */
	}
	errno = saved;
}

int loop_signals(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa;
	size_t i;

	if (pipe2(wake_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		return -errno;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	/* No SA_RESTART: an output write blocked on a reader that does not
	 * read returns EINTR, and the run ends instead of hanging. */
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < ELEMENTSOF(sigs); i++)
		sigaction(sigs[i], &sa, NULL);
	return 0;
}

void loop_arm_unlink(const char *path)
{
	unlink_path = path && path[0] != '@' ? path : NULL;
}

int loop_stopping(void)
{
	return stop_signal != 0;
}

/* ------------------------------------------------------------ helpers */

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int watch(struct loop *l, int op, int fd, uint32_t events, uint64_t tag)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = events;
	ev.data.u64 = tag;
	return epoll_ctl(l->ep, op, fd, &ev) < 0 ? -errno : 0;
}

/* A power of two in (@before, @after]: what a flood is reported at, so
 * that its log grows with the logarithm of its size. */
static int report_due(uint64_t before, uint64_t after)
{
	/* Only when @after has a higher top bit than @before does a bit it
	 * has and @before lacks outweigh all of @before. */
	return after > before && (after & ~before) > before;
}

static void set_again(struct loop *l, struct conn *c, int again)
{
	if (c->again && !again)
		l->n_again--;
	else if (!c->again && again)
		l->n_again++;
	c->again = again;
}

/* ------------------------------------------------------- idle deadlines */

/* Every deadline is now + the same timeout: moving a connection to the
 * newest end keeps the list sorted. */
static void idle_unlink(struct loop *l, struct conn *c)
{
	if (!c->deadline)
		return;
	*(c->older ? &c->older->newer : &l->oldest) = c->newer;
	*(c->newer ? &c->newer->older : &l->newest) = c->older;
	c->older = c->newer = NULL;
	c->deadline = 0;
}

static void idle_touch(struct loop *l, struct conn *c, uint64_t now)
{
	const unsigned long idle = l->st->o->idle_timeout;

	if (!l->listener || !idle)
		return;
	idle_unlink(l, c);
	c->deadline = now + (uint64_t)idle * 1000;
	c->older = l->newest;
	*(l->newest ? &l->newest->newer : &l->oldest) = c;
	l->newest = c;
}

/* ---------------------------------------------------------- connections */

static struct conn *conn_add(struct loop *l, struct sshm_channel *ch, uint64_t now)
{
	unsigned long i;
	struct conn *c;
	int r;

	for (i = 0; l->slots[i].ch; i++)
		;
	c = &l->slots[i];
	memset(c, 0, sizeof(*c));
	c->id = ++l->next_id;
	r = watch(l, EPOLL_CTL_ADD, sshm_channel_fd(ch), EPOLLIN, FIRST_SLOT + i);
	if (r < 0) {
		tool_error(r, "connection %lu: epoll_ctl, closed", c->id);
		sshm_channel_unref(ch);
		return NULL;
	}
	c->ch = ch;
	l->n_open++;
	l->st->totals.served++;
	idle_touch(l, c, now);
	return c;
}

/* Whether the run is over once @c has gone. */
static void check_done(struct loop *l, const struct conn *c)
{
	const struct options *o = l->st->o;

	if (l->st->stop != STOP_NOT)
		return;
	if (!l->listener) {
		if (o->count && l->st->messages < o->count) {
			tool_error(0, "%s: connection closed after %lu of %lu messages",
				   o->socket, l->st->messages, o->count);
			recv_stop(l->st, STOP_FAILED);
		}
		recv_stop(l->st, STOP_DONE);
		return;
	}
	/* By default: once a producer is done and no other is half-way. */
	if (c->messages && !o->keep_going && !o->count && !l->producing)
		recv_stop(l->st, STOP_DONE);
}

static void conn_close(struct loop *l, struct conn *c)
{
	stats_add_channel(&l->st->totals, c->ch);
	/* The socket may outlive the channel (a view keeps it): out of the
	 * set now. */
	(void)epoll_ctl(l->ep, EPOLL_CTL_DEL, sshm_channel_fd(c->ch), NULL);
	idle_unlink(l, c);
	set_again(l, c, 0);
	if (c->messages)
		l->producing--;
	c->ch = sshm_channel_unref(c->ch);
	l->n_open--;
	check_done(l, c);
}

/* EPOLLOUT while releases wait for room in the socket. */
static int want_out(struct loop *l, struct conn *c, int out)
{
	int r;

	if (out == c->want_out)
		return 0;
	r = watch(l, EPOLL_CTL_MOD, sshm_channel_fd(c->ch),
		  EPOLLIN | (out ? EPOLLOUT : 0), FIRST_SLOT + (uint64_t)(c - l->slots));
	if (r < 0)
		return r;
	c->want_out = out;
	return 0;
}

/*
 * Serves @c until it has nothing more, or its batch is used up.  Once it
 * has nothing more, sshm_channel_flush() sends the releases that did not
 * fit in the socket (and says how many still wait: EPOLLOUT), and keeps
 * what the producer sent meanwhile.  Data kept by the library does not
 * make the socket readable: while sshm_channel_pending() says some is
 * there, we receive again, without waiting.
 */
static enum turn serve(struct loop *l, struct conn *c)
{
	enum turn t;
	int queued, r;

	for (;;) {
		t = serve_turn(l->st, c);
		/* Closed, or its batch used up: it comes back next round
		 * without waiting, and its next recv sends its releases.  A
		 * flush now would read ahead up to 64 messages, a memfd and a
		 * pidfd each, for nothing. */
		if (t != TURN_WAIT)
			return t;
		queued = sshm_channel_flush(c->ch);
		if (queued < 0 && sshm_channel_is_open(c->ch) <= 0) {
			/* A violation read ahead. */
			l->st->refused = 1;
			tool_error(queued,
				   "connection %lu: producer refused, connection dropped",
				   c->id);
			if (!l->st->o->keep_going)
				recv_stop(l->st, STOP_REFUSED);
			return TURN_DROPPED;
		}
		r = queued < 0 ? queued : want_out(l, c, queued > 0);
		if (r < 0) {
			tool_error(r, "connection %lu: releases cannot be sent, closed",
				   c->id);
			return TURN_CLOSED;
		}
		if (!sshm_channel_pending(c->ch))
			return t;
	}
}

static void on_conn(struct loop *l, struct conn *c, uint64_t now)
{
	const unsigned long before = c->messages;
	enum turn t;

	l->served_in[c - l->slots] = l->round;
	t = serve(l, c);
	if (c->messages > before) {
		if (!before)
			l->producing++;
		idle_touch(l, c, now);
	}
	if (t == TURN_DROPPED)
		l->st->totals.dropped++;
	if (t == TURN_CLOSED || t == TURN_DROPPED) {
		conn_close(l, c);
		return;
	}
	set_again(l, c, t == TURN_AGAIN);
}

/* The turns a batch cut short, after the ready ones had theirs. */
static void serve_again(struct loop *l, uint64_t now)
{
	unsigned long i;

	for (i = 0; i < l->n_slots && l->n_again && l->st->stop == STOP_NOT; i++)
		if (l->slots[i].again && l->served_in[i] != l->round)
			on_conn(l, &l->slots[i], now);
}

static void expire(struct loop *l, uint64_t now)
{
	struct totals *t = &l->st->totals;
	struct conn *c;

	while ((c = l->oldest) && c->deadline <= now && l->st->stop == STOP_NOT) {
		t->timed_out++;
		if (!l->st->o->quiet && report_due(t->timed_out - 1, t->timed_out))
			tool_error(0,
				   "connection %lu: no message for %lu s, closed "
				   "(%llu so far)",
				   c->id, l->st->o->idle_timeout,
				   (unsigned long long)t->timed_out);
		conn_close(l, c);
	}
}

/* ------------------------------------------------------------- listener */

/* Accept failed for want of a resource (descriptors, memory): the
 * listener stays readable, and retrying at once would spin. */
static void pause_listener(struct loop *l, uint64_t now, int err)
{
	if (report_due(l->pauses, l->pauses + 1))
		tool_error(err, "accept on %s (%llu times so far, pausing)",
			   l->st->o->socket, (unsigned long long)(l->pauses + 1));
	l->pauses++;
	if (watch(l, EPOLL_CTL_MOD, sshm_listener_fd(l->listener), 0, TAG_LISTENER) == 0)
		l->resume = now + PAUSE_MS;
}

static void resume_listener(struct loop *l, uint64_t now)
{
	if (!l->resume || now < l->resume)
		return;
	if (watch(l, EPOLL_CTL_MOD, sshm_listener_fd(l->listener), EPOLLIN,
		  TAG_LISTENER) == 0)
		l->resume = 0;
}

static void turn_away(struct loop *l, struct sshm_channel *ch)
{
	struct totals *t = &l->st->totals;

	sshm_channel_unref(ch);
	t->turned_away++;
	if (!l->st->o->quiet && report_due(t->turned_away - 1, t->turned_away))
		tool_error(0, "%llu connections turned away so far: %lu connections open",
			   (unsigned long long)t->turned_away, l->n_open);
}

/* Refused by the allow-lists, inside sshm_listener_accept(). */
static void note_refused(struct loop *l)
{
	struct totals *t = &l->st->totals;
	const uint64_t n = sshm_listener_refused(l->listener);

	if (!l->st->o->quiet && report_due(t->refused, n))
		tool_error(0,
			   "%llu connections refused so far: not an allowed uid or gid",
			   (unsigned long long)n);
	t->refused = n;
}

static void on_listener(struct loop *l, uint64_t now)
{
	struct sshm_channel *ch;
	struct conn *c;
	unsigned int i;
	int r;

	for (i = 0; i < ACCEPT_BATCH && l->st->stop == STOP_NOT; i++) {
		r = sshm_listener_accept(l->listener, SSHM_CHANNEL_NONBLOCK, &ch);
		note_refused(l);
		if (r == -EAGAIN)
			return;
		/* The producer gave up before we got to it. */
		if (r == -ECONNABORTED || r == -EINTR)
			continue;
		if (r < 0) {
			pause_listener(l, now, r);
			return;
		}
		/* Accepted and closed, not left waiting: a backlog of them would
		 * keep the listener readable, and their senders waiting. */
		if (l->n_open == l->n_slots) {
			turn_away(l, ch);
			continue;
		}
		c = conn_add(l, ch, now);
		/* Whatever it sent before we accepted it is read now. */
		if (c)
			on_conn(l, c, now);
	}
}

/* ----------------------------------------------------------------- loop */

static int next_timeout(const struct loop *l, uint64_t now)
{
	uint64_t until = UINT64_MAX;

	if (l->n_again)
		return 0;
	if (l->oldest)
		until = l->oldest->deadline;
	if (l->resume && l->resume < until)
		until = l->resume;
	if (until == UINT64_MAX)
		return -1;
	return until <= now ? 0 : until - now > INT_MAX ? INT_MAX : (int)(until - now);
}

static void dispatch(struct loop *l, uint64_t tag, uint64_t now)
{
	char buf[16];
	struct conn *c;

	if (tag == TAG_SIGNAL) {
		while (read(wake_pipe[0], buf, sizeof(buf)) > 0)
			;
		recv_stop(l->st, STOP_SIGNAL);
	} else if (tag == TAG_LISTENER) {
		on_listener(l, now);
	} else {
		c = &l->slots[tag - FIRST_SLOT];
		/* Its slot may have been emptied by an earlier event. */
		if (c->ch)
			on_conn(l, c, now);
	}
}

static void run(struct loop *l)
{
	struct epoll_event ev[EVENTS];
	uint64_t now;
	int i, n;

	while (l->st->stop == STOP_NOT) {
		n = epoll_wait(l->ep, ev, EVENTS, next_timeout(l, now_ms()));
		if (n < 0 && errno != EINTR) {
			tool_error(-errno, "epoll_wait");
			recv_stop(l->st, STOP_FAILED);
			break;
		}
		if (loop_stopping())
			recv_stop(l->st, STOP_SIGNAL);
		l->round++;
		now = now_ms();
		for (i = 0; i < n && l->st->stop == STOP_NOT; i++)
			dispatch(l, ev[i].data.u64, now);
		serve_again(l, now);
		if (l->listener)
			resume_listener(l, now);
		expire(l, now);
	}
}

static int loop_init(struct loop *l, struct state *st, unsigned long slots)
{
	int r;

	memset(l, 0, sizeof(*l));
	l->st = st;
	l->n_slots = slots;
	l->slots = calloc(slots, sizeof(l->slots[0]));
	l->served_in = calloc(slots, sizeof(l->served_in[0]));
	l->ep = epoll_create1(EPOLL_CLOEXEC);
	if (l->ep < 0)
		r = -errno;
	else if (!l->slots || !l->served_in)
		r = -ENOMEM;
	else
		r = watch(l, EPOLL_CTL_ADD, wake_pipe[0], EPOLLIN, TAG_SIGNAL);
	if (r < 0)
		tool_error(r, "set up the event loop");
	return r;
}

/* The connections still open when the run stops: their figures count. */
static void loop_fini(struct loop *l)
{
	unsigned long i;

	for (i = 0; l->slots && i < l->n_slots; i++)
		if (l->slots[i].ch)
			conn_close(l, &l->slots[i]);
	free(l->slots);
	free(l->served_in);
	if (l->ep >= 0)
		close(l->ep);
}

void loop_listen(struct state *st, struct sshm_listener *listener)
{
	struct loop l;
	int r;

	if (loop_init(&l, st, st->o->max_conns) == 0) {
		l.listener = listener;
		r = watch(&l, EPOLL_CTL_ADD, sshm_listener_fd(listener), EPOLLIN,
			  TAG_LISTENER);
		if (r < 0)
			tool_error(r, "set up the event loop");
		else
			run(&l);
	}
	/* Only a run that could not start has no reason to stop yet. */
	recv_stop(st, STOP_FAILED);
	loop_fini(&l);
}

void loop_connect(struct state *st, struct sshm_channel *ch)
{
	struct conn *c;
	struct loop l;

	if (loop_init(&l, st, 1) == 0) {
		c = conn_add(&l, ch, now_ms());
		if (c) {
			/* The producer may have sent everything already. */
			on_conn(&l, c, now_ms());
			run(&l);
		}
	} else {
		sshm_channel_unref(ch);
	}
	/* Only a run that could not start has no reason to stop yet. */
	recv_stop(st, STOP_FAILED);
	loop_fini(&l);
}
