/* SPDX-License-Identifier: MIT */
/*
 * uv-consumer - many producers in a libuv loop, the views checked in
 * libuv's thread pool.
 *
 *   uv-consumer SOCKET
 *
 * Listens on SOCKET.  Every producer that connects gets a non-blocking
 * channel, watched by the loop (a uv_poll_t) on its socket and on its
 * wake fd.  The loop thread only receives: each view goes to the pool
 * (uv_queue_work()), where a worker checksums the bytes, prints one line
 * and drops the view, so that the region's release leaves from the
 * worker.  A refused message is a line too and the channel goes on; a
 * producer that breaks the protocol or leaves is dropped and the others
 * are served on.  SIGINT or SIGTERM stops it once the workers have
 * dropped every view.
 *
 *   cc -std=c11 -Wall -Wextra -Werror -o uv-consumer uv-consumer.c \
 *      $(pkg-config --cflags --libs sshm libuv)
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sshm.h>
#include <uv.h>

/*
 * Views of one producer in the workers' hands, at most.  Regions are
 * bounded by the producer's window already (SSHM_WINDOW_DEFAULT), inline
 * copies by nothing: without this, a fast producer would fill the pool's
 * queue faster than the workers empty it.  A producer at the bound is not
 * read until a view comes back.
 */
#define MAX_HELD SSHM_WINDOW_DEFAULT

#define container_of(ptr, type, member)                                                  \
	((type *)(void *)((char *)(ptr)-offsetof(type, member)))

struct server {
	uv_loop_t *loop;
	struct sshm_listener *listener;
	uv_poll_t listener_poll;
	uv_signal_t sigint, sigterm;
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
	unsigned int
	    refs; /* the server's, one per open handle, one per view in a worker */
	unsigned int held;
	unsigned long messages;
	uv_poll_t io, wake;
	int events;   /* the socket's, 0 while it is not polled */
	int want_out; /* releases queued: wait until the socket has room */
};

struct job {
	uv_work_t req;
	struct conn *conn; /* for the loop thread: a worker never looks */
	struct sshm_view *view;
	unsigned int conn_id;
	unsigned long n;
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

static void conn_unref(struct conn *c)
{
	if (--c->refs == 0)
		free(c);
}

static int paused(const struct conn *c)
{
	return c->held >= MAX_HELD || c->srv->stopping;
}

/*
 * In a worker of libuv's pool: read every byte (a sealed region cannot
 * change under us), print, drop the view.  Its last unref unmaps the
 * region and sends the release from this thread, without blocking; if
 * the socket is full the release is queued and the channel's wake fd
 * wakes the loop to send it.
 */
static void work(uv_work_t *req)
{
	struct job *job = container_of(req, struct job, req);
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

static void server_close(struct server *srv);

/* Back in the loop thread: one view fewer in the workers' hands.  A
 * producer paused at MAX_HELD is read again. */
static void work_done(uv_work_t *req, int status)
{
	struct job *job = container_of(req, struct job, req);
	struct conn *c = job->conn;
	struct server *srv = c->srv;

	(void)status; /* UV_ECANCELED only after uv_cancel(), never called */
	srv->held--;
	if (c->held-- == MAX_HELD && c->ch)
		conn_serve(c);
	conn_unref(c);
	free(job);
	if (srv->stopping && srv->held == 0)
		server_close(srv);
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
	/* Fails only for a NULL work function. */
	(void)uv_queue_work(c->srv->loop, &job->req, work, work_done);
}

static void on_channel(uv_poll_t *handle, int status, int events);

/*
 * Polls the socket for what the channel waits for now: input unless
 * paused, room while releases are queued.  Not at all otherwise: epoll
 * reports a hang-up whatever was asked for, and would wake us for ever
 * while we may not read.
 */
static int conn_watch(struct conn *c)
{
	int events = (paused(c) ? 0 : UV_READABLE) | (c->want_out ? UV_WRITABLE : 0);
	int r = 0;

	if (events == c->events)
		return 0;
	if (events)
		r = uv_poll_start(&c->io, events, on_channel);
	else
		r = uv_poll_stop(&c->io);
	if (r < 0)
		return r;
	c->events = events;
	return 0;
}

/* A handle's memory is libuv's until its close callback. */
static void on_close(uv_handle_t *handle)
{
	conn_unref(handle->data);
}

/* uv_close() of a handle that was initialized (its loop is set). */
static void close_handle(void *handle, uv_close_cb cb)
{
	if (((uv_handle_t *)handle)->loop)
		uv_close(handle, cb);
}

/*
 * Handles first (uv_close() stops polling at once), then the channel.
 * Views still in the workers keep the socket open and release through
 * it; the wake fd goes with the channel (or with the last of them), and
 * nothing polls it any more.
 */
static void conn_close(struct conn *c)
{
	struct conn **p;

	close_handle(&c->io, on_close);
	close_handle(&c->wake, on_close);
	c->ch = sshm_channel_unref(c->ch);
	for (p = &c->srv->conns; *p != c; p = &(*p)->next)
		;
	*p = c->next;
	conn_unref(c);
}

/* libuv's codes are -errno on Linux: sshm_strerror() names them too. */
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

static void on_channel(uv_poll_t *handle, int status, int events)
{
	struct conn *c = handle->data;

	(void)events;
	/*
	 * On POLLERR libuv stops polling and says UV_EBADF.  The socket's
	 * error is ECONNRESET: the producer left with our releases unread.
	 * Not a reason to drop it: the packets it sent before it left are
	 * still to be read, and recv reads past the error to them, then to
	 * end of stream.  Serve it, which polls again.
	 */
	if (status < 0)
		c->events = 0;
	conn_serve(c); /* may drop the conn */
}

/*
 * A release was queued: a worker found the socket full.  Serving the
 * channel flushes, and sshm_channel_flush() clears the eventfd.
 */
static void on_wake(uv_poll_t *handle, int status, int events)
{
	(void)status;
	(void)events;
	conn_serve(handle->data);
}

static int conn_new(struct server *srv, struct sshm_channel *ch)
{
	struct conn *c;
	int wake, r;

	/* Made now, so that it exists before a view can be dropped. */
	wake = sshm_channel_wake_fd(ch);
	if (wake < 0) {
		fprintf(stderr, "uv-consumer: wake fd: %s, producer turned away\n",
			sshm_strerror(wake));
		sshm_channel_unref(ch);
		return 0;
	}
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
	c->io.data = c->wake.data = c;
	/* The server's reference, and one per handle until it is closed. */
	r = uv_poll_init(srv->loop, &c->io, sshm_channel_fd(ch));
	if (r >= 0) {
		c->refs++;
		r = uv_poll_init(srv->loop, &c->wake, wake);
	}
	if (r >= 0) {
		c->refs++;
		r = uv_poll_start(&c->wake, UV_READABLE, on_wake);
	}
	if (r >= 0)
		r = conn_watch(c);
	if (r < 0) {
		conn_drop(c, r);
		return 0;
	}
	printf("conn %u: connected\n", c->id);
	return 0;
}

/* Closes every conn: the loop then has nothing to wait for (the signal
 * handles do not count) and uv_run() returns. */
static void server_close(struct server *srv)
{
	while (srv->conns)
		conn_close(srv->conns);
}

static void server_stop(struct server *srv, int status)
{
	struct conn *c, *next;

	if (srv->stopping)
		return;
	srv->stopping = 1;
	srv->status = status;
	/* No new producers: dropping the listener removes the socket file. */
	close_handle(&srv->listener_poll, NULL);
	fprintf(stderr, "uv-consumer: stopping, %llu connections refused\n",
		(unsigned long long)sshm_listener_refused(srv->listener));
	srv->listener = sshm_listener_unref(srv->listener);
	/* No more reading.  The wake fds stay polled: the workers still
	 * drop views, and the loop sends what their releases queue. */
	for (c = srv->conns; c; c = next) {
		next = c->next;
		if (conn_watch(c) < 0)
			conn_close(c);
	}
	if (srv->held == 0)
		server_close(srv);
}

/* Accepts every producer waiting, until -EAGAIN. */
static void on_listener(uv_poll_t *handle, int status, int events)
{
	struct server *srv = handle->data;
	struct sshm_channel *ch;
	int r;

	(void)events;
	for (r = status; r >= 0;) {
		r = sshm_listener_accept(srv->listener, SSHM_CHANNEL_NONBLOCK, &ch);
		if (r == -EAGAIN)
			return;
		/* The producer gave up before we got to it. */
		if (r == -ECONNABORTED || r == -EINTR)
			r = 0;
		else if (r >= 0)
			r = conn_new(srv, ch);
	}
	/* E.g. -EMFILE: the connection stays, and would wake us for ever. */
	fprintf(stderr, "uv-consumer: accept: %s\n", sshm_strerror(r));
	server_stop(srv, 1);
}

static void on_signal(uv_signal_t *handle, int signum)
{
	(void)signum;
	server_stop(handle->data, 0);
}

int main(int argc, char **argv)
{
	struct server srv;
	int r;

	memset(&srv, 0, sizeof(srv));
	if (argc != 2) {
		fprintf(stderr, "usage: uv-consumer SOCKET\n");
		return 2;
	}
	/* One line per message, whole, from whichever thread prints it. */
	if (setvbuf(stdout, NULL, _IOLBF, 0) != 0)
		return 1;
	/* The default limits, a hole-free region, and best-effort identity. */
	srv.policy.identity = SSHM_IDENTITY_BEST_EFFORT;
	srv.policy.flags = SSHM_POLICY_POPULATED;
	srv.loop = uv_default_loop();

	r = sshm_listener_new(argv[1], SSHM_CHANNEL_NONBLOCK, &srv.listener);
	if (r < 0) {
		fprintf(stderr, "uv-consumer: %s: %s\n", argv[1], sshm_strerror(r));
		return 1;
	}
	/* Producers of our own user only: a path socket's permissions may
	 * say as much, an abstract socket has none. */
	srv.listener_poll.data = srv.sigint.data = srv.sigterm.data = &srv;
	r = sshm_listener_allow_uid(srv.listener, (uint32_t)getuid());
	if (r >= 0)
		r = uv_poll_init(srv.loop, &srv.listener_poll,
				 sshm_listener_fd(srv.listener));
	if (r >= 0)
		r = uv_poll_start(&srv.listener_poll, UV_READABLE, on_listener);
	if (r >= 0)
		r = uv_signal_init(srv.loop, &srv.sigint);
	if (r >= 0)
		r = uv_signal_start(&srv.sigint, on_signal, SIGINT);
	if (r >= 0)
		r = uv_signal_init(srv.loop, &srv.sigterm);
	if (r >= 0)
		r = uv_signal_start(&srv.sigterm, on_signal, SIGTERM);
	/* They do not keep the loop running, but stay until it ends: a
	 * second signal while the workers finish changes nothing. */
	if (srv.sigint.loop)
		uv_unref((uv_handle_t *)&srv.sigint);
	if (srv.sigterm.loop)
		uv_unref((uv_handle_t *)&srv.sigterm);
	if (r < 0) {
		/* Closes what was made; uv_run() below completes it. */
		fprintf(stderr, "uv-consumer: set up: %s\n", sshm_strerror(r));
		server_stop(&srv, 1);
	} else {
		fprintf(stderr, "uv-consumer: listening on %s, pid %ld\n", argv[1],
			(long)getpid());
	}

	/* Returns once every handle but the signals' is closed and every
	 * job done. */
	uv_run(srv.loop, UV_RUN_DEFAULT);
	fprintf(stderr, "uv-consumer: stopped after %lu messages, every view released\n",
		srv.messages);
	close_handle(&srv.sigint, NULL);
	close_handle(&srv.sigterm, NULL);
	uv_run(srv.loop, UV_RUN_DEFAULT);
	r = uv_loop_close(srv.loop);
	if (r < 0)
		fprintf(stderr, "uv-consumer: loop close: %s\n", uv_strerror(r));
	return r < 0 ? 1 : srv.status;
}
