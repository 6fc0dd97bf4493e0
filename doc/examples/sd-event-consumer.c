/* SPDX-License-Identifier: MIT */
/*
 * sd-event-consumer - many producers in an sd-event loop, the views
 * checked by a small pool of threads.
 *
 *   sd-event-consumer SOCKET
 *
 * Listens on SOCKET.  Every producer that connects gets a non-blocking
 * channel, watched by the loop (sd_event_add_io()) on its socket and on
 * its wake fd.  The loop thread only receives: each view goes to a
 * worker, which checksums the bytes, prints one line and drops the view,
 * so that the region's release leaves from the worker.  A refused message
 * is a line too and the channel goes on; a producer that breaks the
 * protocol or leaves is dropped and the others are served on.  SIGINT or
 * SIGTERM stops it once the workers have dropped every view.
 *
 *   cc -std=c11 -Wall -Wextra -Werror -pthread -o sd-event-consumer \
 *      sd-event-consumer.c $(pkg-config --cflags --libs sshm libsystemd)
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <sshm.h>
#include <systemd/sd-event.h>

#define WORKERS 4

/*
 * Views of one producer in the workers' hands, at most.  Regions are
 * bounded by the producer's window already (SSHM_WINDOW_DEFAULT), inline
 * copies by nothing: without this, a fast producer would fill the pool's
 * queue faster than the workers empty it.  A producer at the bound is not
 * read until a view comes back.
 */
#define MAX_HELD SSHM_WINDOW_DEFAULT

struct conn;

struct job {
	struct job *next;
	struct conn *conn; /* for the loop thread: a worker never looks */
	struct sshm_view *view;
	unsigned int conn_id;
	unsigned long n;
};

/*
 * The pool: jobs in, jobs out.  sd-event is for one thread, so a worker
 * tells the loop that a job is done through an eventfd it watches.
 */
struct pool {
	pthread_mutex_t lock;
	pthread_cond_t more;
	struct job *todo, **todo_tail, *done;
	int done_fd;
	int quit;
	pthread_t threads[WORKERS];
	unsigned int n_threads;
};

struct server {
	sd_event *event;
	struct sshm_listener *listener;
	sd_event_source *listener_source;
	struct pool pool;
	struct conn *conns;
	struct sshm_policy policy;
	unsigned int next_id;
	unsigned long messages;
	unsigned int held; /* views in the workers' hands, all producers */
	int stopping, status;
};

/* One producer.  Only the loop thread touches it: workers get views. */
struct conn {
	struct conn *next;
	struct server *srv;
	struct sshm_channel *ch; /* NULL once dropped */
	unsigned int id;
	unsigned int refs; /* the server's, and one per view in a worker */
	unsigned int held;
	unsigned long messages;
	sd_event_source *io, *wake;
	uint32_t events; /* the socket's, 0 while its source is off */
	int want_out;	 /* releases queued: wait until the socket has room */
};

static void conn_serve(struct conn *c);

/* The checksum of cksum(1) (POSIX CRC-32, the length appended). */
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

/* ------------------------------------------------------------ the workers */

/*
 * Read every byte (a sealed region cannot change under us), print, drop
 * the view.  Its last unref unmaps the region and sends the release from
 * this thread, without blocking; if the socket is full the release is
 * queued and the channel's wake fd wakes the loop to send it.
 */
static void check(struct job *job)
{
	const struct sshm_identity *id = sshm_view_identity(job->view);
	const uint64_t size = sshm_view_size(job->view);

	printf("conn %u message %lu: %s of %llu bytes from pid %ld, identity %s, cksum "
	       "%lu %llu\n",
	       job->conn_id, job->n, sshm_view_is_region(job->view) ? "region" : "inline",
	       (unsigned long long)size, (long)id->pid, sshm_verdict_name(id->verdict),
	       (unsigned long)cksum(sshm_view_data(job->view), size),
	       (unsigned long long)size);
	job->view = sshm_view_unref(job->view);
}

static void *worker(void *arg)
{
	struct pool *p = arg;
	const uint64_t one = 1;
	struct job *job;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		while (!p->todo && !p->quit)
			pthread_cond_wait(&p->more, &p->lock);
		job = p->todo;
		if (!job)
			break;
		p->todo = job->next;
		if (!p->todo)
			p->todo_tail = &p->todo;
		pthread_mutex_unlock(&p->lock);
		check(job);
		pthread_mutex_lock(&p->lock);
		job->next = p->done;
		p->done = job;
		/* Cannot fail short of 2^64 - 1 writes unread. */
		if (write(p->done_fd, &one, sizeof(one)) < 0)
			abort();
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

static int pool_start(struct pool *p)
{
	int r;

	if (pthread_mutex_init(&p->lock, NULL) != 0)
		return -ENOMEM;
	if (pthread_cond_init(&p->more, NULL) != 0) {
		pthread_mutex_destroy(&p->lock);
		return -ENOMEM;
	}
	p->todo_tail = &p->todo;
	p->done_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (p->done_fd < 0)
		return -errno;
	for (; p->n_threads < WORKERS; p->n_threads++) {
		r = pthread_create(&p->threads[p->n_threads], NULL, worker, p);
		if (r != 0)
			return p->n_threads > 0 ? 0 : -r;
	}
	return 0;
}

/* Lets the workers finish what is queued, joins them, and returns the
 * jobs done that the loop did not take. */
static struct job *pool_stop(struct pool *p)
{
	unsigned int i;

	if (!p->todo_tail)
		return NULL;
	pthread_mutex_lock(&p->lock);
	p->quit = 1;
	pthread_cond_broadcast(&p->more);
	pthread_mutex_unlock(&p->lock);
	for (i = 0; i < p->n_threads; i++)
		pthread_join(p->threads[i], NULL);
	if (p->done_fd >= 0)
		close(p->done_fd);
	pthread_cond_destroy(&p->more);
	pthread_mutex_destroy(&p->lock);
	return p->done;
}

static void pool_push(struct pool *p, struct job *job)
{
	job->next = NULL;
	pthread_mutex_lock(&p->lock);
	*p->todo_tail = job;
	p->todo_tail = &job->next;
	pthread_cond_signal(&p->more);
	pthread_mutex_unlock(&p->lock);
}

/* ------------------------------------------------------------ producers */

static void conn_unref(struct conn *c)
{
	if (--c->refs == 0)
		free(c);
}

static int paused(const struct conn *c)
{
	return c->held >= MAX_HELD || c->srv->stopping;
}

/* One view fewer in the workers' hands.  A producer paused at MAX_HELD
 * is read again. */
static void job_done(struct server *srv, struct job *job)
{
	struct conn *c = job->conn;

	srv->held--;
	if (c->held-- == MAX_HELD && c->ch)
		conn_serve(c);
	conn_unref(c);
	free(job);
}

/* Every job the workers are done with goes back to its conn. */
static void jobs_done(struct server *srv, struct job *job)
{
	struct job *next;

	for (; job; job = next) {
		next = job->next;
		job_done(srv, job);
	}
}

/* The workers' eventfd. */
static int on_done(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct server *srv = userdata;
	struct job *job;
	uint64_t n;

	(void)s;
	(void)revents;
	/* Cleared before the list is taken: a job done after this makes it
	 * readable again. */
	if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		return -errno;
	pthread_mutex_lock(&srv->pool.lock);
	job = srv->pool.done;
	srv->pool.done = NULL;
	pthread_mutex_unlock(&srv->pool.lock);
	jobs_done(srv, job);
	if (srv->stopping && srv->held == 0)
		return sd_event_exit(srv->event, srv->status);
	return 0;
}

static void hand_off(struct conn *c, struct sshm_view *view)
{
	struct job *job = malloc(sizeof(*job));

	/* No memory for the job: drop the view here, which releases it. */
	if (!job) {
		printf("conn %u message %lu: dropped unchecked: out of memory\n", c->id,
		       c->messages);
		sshm_view_unref(view);
		return;
	}
	job->conn = c;
	job->view = view;
	job->conn_id = c->id;
	job->n = c->messages;
	c->refs++;
	c->held++;
	c->srv->held++;
	pool_push(&c->srv->pool, job);
}

/*
 * Watches the socket for what the channel waits for now: input unless
 * paused, room while releases are queued.  The source is off otherwise:
 * epoll reports a hang-up whatever was asked for, and would wake us for
 * ever while we may not read.
 */
static int conn_watch(struct conn *c)
{
	uint32_t events = (paused(c) ? 0 : EPOLLIN) | (c->want_out ? EPOLLOUT : 0);
	int r = 0;

	if (events == c->events)
		return 0;
	if (events)
		r = sd_event_source_set_io_events(c->io, events);
	if (r >= 0)
		r = sd_event_source_set_enabled(c->io,
						events ? SD_EVENT_ON : SD_EVENT_OFF);
	if (r < 0)
		return r;
	c->events = events;
	return 0;
}

/*
 * Sources first, then the channel.  Views still in the workers keep the
 * socket open and release through it; the wake fd goes with the channel
 * (or with the last of them), and nothing watches it any more.
 */
static void conn_close(struct conn *c)
{
	struct conn **p;

	c->io = sd_event_source_unref(c->io);
	c->wake = sd_event_source_unref(c->wake);
	c->ch = sshm_channel_unref(c->ch);
	for (p = &c->srv->conns; *p != c; p = &(*p)->next)
		;
	*p = c->next;
	conn_unref(c);
}

static void conn_drop(struct conn *c, int err)
{
	if (err == -EPIPE)
		printf("conn %u: producer left after %lu messages\n", c->id, c->messages);
	else
		printf("conn %u: dropped after %lu messages: %s\n", c->id, c->messages,
		       sshm_strerror(err));
	conn_close(c);
}

/*
 * Receives until -EAGAIN or MAX_HELD.  Returns 0, or the code of the
 * error after which the channel is done (sshm_channel_is_open() 0: the
 * producer left, or broke the protocol).
 */
static int conn_receive(struct conn *c)
{
	struct sshm_view *view;
	int r;

	while (!paused(c)) {
		r = sshm_channel_recv(c->ch, &c->srv->policy, &view);
		if (r == -EAGAIN)
			return 0;
		if (r < 0 && !sshm_channel_is_open(c->ch))
			return r;
		c->messages++;
		c->srv->messages++;
		/* Refused (seals, size, identity...): closed unmapped and
		 * released already.  The channel goes on. */
		if (r < 0)
			printf("conn %u message %lu: refused: %s\n", c->id, c->messages,
			       sshm_strerror(r));
		else
			hand_off(c, view);
	}
	return 0;
}

/*
 * Whatever woke us: receive until -EAGAIN (unless paused), then flush.
 * Flush sends the releases still queued and says how many are left (wait
 * for room then), and reads what came in meanwhile: releases, and the
 * producer's messages, which it keeps where the socket's readiness no
 * longer shows them.  So receive again while sshm_channel_pending() says
 * some are kept.
 */
static void conn_serve(struct conn *c)
{
	int r;

	for (;;) {
		r = conn_receive(c);
		if (r == 0)
			r = sshm_channel_flush(c->ch);
		if (r < 0)
			break;
		c->want_out = r > 0;
		if (paused(c) || !sshm_channel_pending(c->ch)) {
			r = conn_watch(c);
			break;
		}
	}
	if (r < 0)
		conn_drop(c, r);
}

static int on_channel(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	(void)s;
	(void)fd;
	(void)revents;
	/* May drop the conn: nothing of it is used after this. */
	conn_serve(userdata);
	return 0;
}

/*
 * A release was queued: a worker found the socket full.  Serving the
 * channel flushes, and sshm_channel_flush() clears the eventfd.
 */
static int on_wake(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	(void)s;
	(void)fd;
	(void)revents;
	conn_serve(userdata);
	return 0;
}

static int conn_new(struct server *srv, struct sshm_channel *ch)
{
	struct conn *c;
	int wake, r;

	c = calloc(1, sizeof(*c));
	if (!c) {
		sshm_channel_unref(ch);
		return -ENOMEM;
	}
	c->srv = srv;
	c->ch = ch;
	c->id = ++srv->next_id;
	c->refs = 1;
	c->next = srv->conns;
	srv->conns = c;
	/* Made now, so that it exists before a view can be dropped. */
	r = wake = sshm_channel_wake_fd(ch);
	if (r >= 0)
		r = sd_event_add_io(srv->event, &c->wake, wake, EPOLLIN, on_wake, c);
	if (r >= 0)
		r = sd_event_add_io(srv->event, &c->io, sshm_channel_fd(ch), EPOLLIN,
				    on_channel, c);
	if (r < 0) {
		conn_drop(c, r);
		return 0;
	}
	c->events = EPOLLIN;
	printf("conn %u: connected\n", c->id);
	return 0;
}

static void server_stop(struct server *srv, int status)
{
	struct conn *c, *next;

	if (srv->stopping)
		return;
	srv->stopping = 1;
	srv->status = status;
	/* No new producers: dropping the listener removes the socket file. */
	srv->listener_source = sd_event_source_unref(srv->listener_source);
	fprintf(stderr, "sd-event-consumer: stopping, %llu connections refused\n",
		(unsigned long long)sshm_listener_refused(srv->listener));
	srv->listener = sshm_listener_unref(srv->listener);
	/* No more reading.  The wake fds stay watched: the workers still
	 * drop views, and the loop sends what their releases queue. */
	for (c = srv->conns; c; c = next) {
		next = c->next;
		if (conn_watch(c) < 0)
			conn_close(c);
	}
	if (srv->held == 0)
		sd_event_exit(srv->event, status);
}

/* Accepts every producer waiting, until -EAGAIN. */
static int on_listener(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct server *srv = userdata;
	struct sshm_channel *ch;
	int r;

	(void)s;
	(void)fd;
	(void)revents;
	for (;;) {
		r = sshm_listener_accept(srv->listener, SSHM_CHANNEL_NONBLOCK, &ch);
		if (r == -EAGAIN)
			return 0;
		/* The producer gave up before we got to it. */
		if (r == -ECONNABORTED || r == -EINTR)
			continue;
		if (r >= 0)
			r = conn_new(srv, ch);
		/* E.g. -EMFILE: the connection stays, and would wake us for
		 * ever. */
		if (r < 0) {
			fprintf(stderr, "sd-event-consumer: accept: %s\n",
				sshm_strerror(r));
			server_stop(srv, 1);
			return 0;
		}
	}
}

static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si,
		     void *userdata)
{
	(void)s;
	(void)si;
	server_stop(userdata, 0);
	return 0;
}

static int fail(const char *what, int err)
{
	fprintf(stderr, "sd-event-consumer: %s: %s\n", what, sshm_strerror(err));
	return 1;
}

int main(int argc, char **argv)
{
	struct server srv;
	sigset_t mask;
	int r, ret = 1;

	memset(&srv, 0, sizeof(srv));
	srv.pool.done_fd = -1;
	if (argc != 2) {
		fprintf(stderr, "usage: sd-event-consumer SOCKET\n");
		return 2;
	}
	/* One line per message, whole, from whichever thread prints it. */
	if (setvbuf(stdout, NULL, _IOLBF, 0) != 0)
		return 1;
	/* The default limits, a hole-free region, and best-effort identity. */
	srv.policy.identity = SSHM_IDENTITY_BEST_EFFORT;
	srv.policy.flags = SSHM_POLICY_POPULATED;

	/* sd-event reads signals from a signalfd: they must be blocked in
	 * every thread, so before the workers start (they inherit the mask). */
	if (sigemptyset(&mask) < 0 || sigaddset(&mask, SIGINT) < 0 ||
	    sigaddset(&mask, SIGTERM) < 0)
		return fail("sigset", errno);
	r = pthread_sigmask(SIG_BLOCK, &mask, NULL);
	if (r != 0)
		return fail("pthread_sigmask", r);

	r = sshm_listener_new(argv[1], SSHM_CHANNEL_NONBLOCK, &srv.listener);
	if (r < 0)
		return fail(argv[1], r);
	/* Producers of our own user only: a path socket's permissions may
	 * say as much, an abstract socket has none. */
	r = sshm_listener_allow_uid(srv.listener, (uint32_t)getuid());
	if (r >= 0)
		r = sd_event_default(&srv.event);
	if (r >= 0)
		r = sd_event_add_io(srv.event, &srv.listener_source,
				    sshm_listener_fd(srv.listener), EPOLLIN, on_listener,
				    &srv);
	if (r >= 0)
		r = sd_event_add_signal(srv.event, NULL, SIGINT, on_signal, &srv);
	if (r >= 0)
		r = sd_event_add_signal(srv.event, NULL, SIGTERM, on_signal, &srv);
	if (r >= 0)
		r = pool_start(&srv.pool);
	if (r >= 0)
		r = sd_event_add_io(srv.event, NULL, srv.pool.done_fd, EPOLLIN, on_done,
				    &srv);
	if (r < 0) {
		fail("set up", r);
		goto out;
	}
	fprintf(stderr, "sd-event-consumer: listening on %s, pid %ld\n", argv[1],
		(long)getpid());

	r = sd_event_loop(srv.event);
	if (r < 0)
		fail("event loop", r);
	else
		ret = r;
	fprintf(stderr,
		"sd-event-consumer: stopped after %lu messages, every view released\n",
		srv.messages);
out:
	/* Every view is dropped (but after an error): the channels close
	 * their sockets, then the loop goes with the sources it owns. */
	while (srv.conns)
		conn_close(srv.conns);
	sd_event_source_unref(srv.listener_source);
	sd_event_unref(srv.event);
	/* After an error, what the workers still held is dropped now. */
	jobs_done(&srv, pool_stop(&srv.pool));
	sshm_listener_unref(srv.listener);
	return ret;
}
