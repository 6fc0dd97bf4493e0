/* SPDX-License-Identifier: MIT */
/*
 * glib-consumer - many producers in a GLib main loop, the views checked in
 * a GThreadPool.
 *
 *   glib-consumer SOCKET
 *
 * Listens on SOCKET.  Every producer that connects gets a non-blocking
 * channel, watched by the main loop (g_unix_fd_add()) on its socket and
 * on its wake fd.  The loop thread only receives: each view goes to a
 * worker, which checksums the bytes, prints one line and drops the view,
 * so that the region's release leaves from the worker.  A refused message
 * is a line too and the channel goes on; a producer that breaks the
 * protocol or leaves is dropped and the others are served on.  SIGINT or
 * SIGTERM stops it once the workers have dropped every view.
 *
 *   cc -std=c11 -Wall -Wextra -Werror -o glib-consumer glib-consumer.c \
 *      $(pkg-config --cflags --libs sshm glib-2.0)
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <glib-unix.h>
#include <sshm.h>

#define WORKERS 4

/*
 * Views of one producer in the workers' hands, at most.  Regions are
 * bounded by the producer's window already (SSHM_WINDOW_DEFAULT), inline
 * copies by nothing: without this, a fast producer would fill the pool's
 * queue faster than the workers empty it.  A producer at the bound is not
 * read until a view comes back.
 */
#define MAX_HELD SSHM_WINDOW_DEFAULT

struct server {
	GMainLoop *loop;
	struct sshm_listener *listener;
	guint listener_id;
	GThreadPool *pool;
	GList *conns;
	struct sshm_policy policy;
	unsigned int next_id;
	unsigned long messages;
	unsigned int held; /* views in the workers' hands, all producers */
	int stopping, status;
};

/* One producer.  Only the loop thread touches it: workers get views. */
struct conn {
	struct server *srv;
	struct sshm_channel *ch; /* NULL once dropped */
	unsigned int id;
	unsigned int refs; /* the server's, and one per view in a worker */
	unsigned int held;
	unsigned long messages;
	guint io_id; /* the socket's watch, 0 when none */
	GIOCondition io_cond;
	guint wake_id;
	int want_out; /* releases queued: wait until the socket has room */
};

struct job {
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
		g_free(c);
}

static int paused(const struct conn *c)
{
	return c->held >= MAX_HELD || c->srv->stopping;
}

/*
 * Back in the loop thread (an idle source): one view fewer in the
 * workers' hands.  A producer paused at MAX_HELD is read again.
 */
static gboolean job_done(gpointer data)
{
	struct job *job = data;
	struct conn *c = job->conn;
	struct server *srv = c->srv;

	srv->held--;
	if (c->held-- == MAX_HELD && c->ch)
		conn_serve(c);
	conn_unref(c);
	g_free(job);
	if (srv->stopping && srv->held == 0)
		g_main_loop_quit(srv->loop);
	return G_SOURCE_REMOVE;
}

/*
 * In a worker: read every byte (a sealed region cannot change under us),
 * print, drop the view.  Its last unref unmaps the region and sends the
 * release from this thread, without blocking; if the socket is full the
 * release is queued and the channel's wake fd wakes the loop to send it.
 */
static void work(gpointer data, gpointer unused)
{
	struct job *job = data;
	const struct sshm_identity *id = sshm_view_identity(job->view);
	const uint64_t size = sshm_view_size(job->view);

	(void)unused;
	printf("conn %u message %lu: %s of %llu bytes from pid %ld, identity %s, cksum "
	       "%lu %llu\n",
	       job->conn_id, job->n, sshm_view_is_region(job->view) ? "region" : "inline",
	       (unsigned long long)size, (long)id->pid, sshm_verdict_name(id->verdict),
	       (unsigned long)cksum(sshm_view_data(job->view), size),
	       (unsigned long long)size);
	job->view = sshm_view_unref(job->view);
	/* The conn is the loop thread's: tell it there, not here.  Attaching
	 * a source to a context is thread-safe. */
	g_idle_add_full(G_PRIORITY_DEFAULT, job_done, job, NULL);
}

static void hand_off(struct conn *c, struct sshm_view *view)
{
	struct job *job = g_new(struct job, 1);
	GError *err = NULL;

	job->conn = c;
	job->view = view;
	job->conn_id = c->id;
	job->n = c->messages;
	c->refs++;
	c->held++;
	c->srv->held++;
	/* Fails only when no thread could be made: then check it here, a
	 * view may be dropped in any thread. */
	if (!g_thread_pool_push(c->srv->pool, job, &err)) {
		fprintf(stderr, "glib-consumer: no worker (%s), checking in the loop\n",
			err->message);
		g_error_free(err);
		work(job, NULL);
	}
}

static gboolean on_channel(gint fd, GIOCondition cond, gpointer data);

/*
 * Watches the socket for what the channel waits for now: input unless
 * paused, room while releases are queued.  No watch at all otherwise:
 * poll(2) reports a hang-up whatever was asked for, and would wake us
 * for ever while we may not read.
 */
static void conn_watch(struct conn *c)
{
	GIOCondition cond = (paused(c) ? 0 : G_IO_IN) | (c->want_out ? G_IO_OUT : 0);

	if (cond == c->io_cond)
		return;
	if (c->io_id)
		g_source_remove(c->io_id);
	c->io_id = cond ? g_unix_fd_add(sshm_channel_fd(c->ch), cond, on_channel, c) : 0;
	c->io_cond = cond;
}

/*
 * Watches first, then the channel.  Views still in the workers keep the
 * socket open and release through it; the wake fd goes with the channel
 * (or with the last of them), and nothing watches it any more.
 */
static void conn_close(struct conn *c)
{
	struct server *srv = c->srv;

	if (c->io_id)
		g_source_remove(c->io_id);
	g_source_remove(c->wake_id);
	c->io_id = c->wake_id = 0;
	c->ch = sshm_channel_unref(c->ch);
	srv->conns = g_list_remove(srv->conns, c);
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
		if (r < 0) {
			conn_drop(c, r);
			return;
		}
		c->want_out = r > 0;
		if (paused(c) || !sshm_channel_pending(c->ch))
			break;
	}
	conn_watch(c);
}

static gboolean on_channel(gint fd, GIOCondition cond, gpointer data)
{
	(void)fd;
	(void)cond;
	/* May drop the conn: nothing of it is used after this. */
	conn_serve(data);
	return G_SOURCE_CONTINUE;
}

/*
 * A release was queued: a worker found the socket full.  Serving the
 * channel flushes, and sshm_channel_flush() clears the eventfd.
 */
static gboolean on_wake(gint fd, GIOCondition cond, gpointer data)
{
	(void)fd;
	(void)cond;
	conn_serve(data);
	return G_SOURCE_CONTINUE;
}

static void conn_new(struct server *srv, struct sshm_channel *ch)
{
	struct conn *c;
	int wake;

	/* Made now, so that it exists before a view can be dropped. */
	wake = sshm_channel_wake_fd(ch);
	if (wake < 0) {
		fprintf(stderr, "glib-consumer: wake fd: %s, producer turned away\n",
			sshm_strerror(wake));
		sshm_channel_unref(ch);
		return;
	}
	c = g_new0(struct conn, 1);
	c->srv = srv;
	c->ch = ch;
	c->id = ++srv->next_id;
	c->refs = 1;
	c->wake_id = g_unix_fd_add(wake, G_IO_IN, on_wake, c);
	srv->conns = g_list_prepend(srv->conns, c);
	printf("conn %u: connected\n", c->id);
	conn_watch(c);
}

static void server_stop(struct server *srv, int status)
{
	GList *l, *next;

	if (srv->stopping)
		return;
	srv->stopping = 1;
	srv->status = status;
	/* No new producers: dropping the listener removes the socket file. */
	g_source_remove(srv->listener_id);
	fprintf(stderr, "glib-consumer: stopping, %llu connections refused\n",
		(unsigned long long)sshm_listener_refused(srv->listener));
	srv->listener = sshm_listener_unref(srv->listener);
	/* No more reading.  The wake fds stay watched: the workers still
	 * drop views, and the loop sends what their releases queue. */
	for (l = srv->conns; l; l = next) {
		next = l->next;
		conn_watch(l->data);
	}
	if (srv->held == 0)
		g_main_loop_quit(srv->loop);
}

/* Accepts every producer waiting, until -EAGAIN. */
static gboolean on_listener(gint fd, GIOCondition cond, gpointer data)
{
	struct server *srv = data;
	struct sshm_channel *ch;
	int r;

	(void)fd;
	(void)cond;
	for (;;) {
		r = sshm_listener_accept(srv->listener, SSHM_CHANNEL_NONBLOCK, &ch);
		if (r == -EAGAIN)
			break;
		/* The producer gave up before we got to it. */
		if (r == -ECONNABORTED || r == -EINTR)
			continue;
		/* E.g. -EMFILE: the connection stays, and would wake us for
		 * ever. */
		if (r < 0) {
			fprintf(stderr, "glib-consumer: accept: %s\n", sshm_strerror(r));
			server_stop(srv, 1);
			break;
		}
		conn_new(srv, ch);
	}
	return G_SOURCE_CONTINUE;
}

static gboolean on_signal(gpointer data)
{
	server_stop(data, 0);
	return G_SOURCE_CONTINUE;
}

int main(int argc, char **argv)
{
	struct server srv;
	GError *err = NULL;
	guint sigint_id, sigterm_id;
	int r;

	memset(&srv, 0, sizeof(srv));
	if (argc != 2) {
		fprintf(stderr, "usage: glib-consumer SOCKET\n");
		return 2;
	}
	/* One line per message, whole, from whichever thread prints it. */
	if (setvbuf(stdout, NULL, _IOLBF, 0) != 0)
		return 1;
	/* The default limits, a hole-free region, and best-effort identity. */
	srv.policy.identity = SSHM_IDENTITY_BEST_EFFORT;
	srv.policy.flags = SSHM_POLICY_POPULATED;

	r = sshm_listener_new(argv[1], SSHM_CHANNEL_NONBLOCK, &srv.listener);
	if (r < 0) {
		fprintf(stderr, "glib-consumer: %s: %s\n", argv[1], sshm_strerror(r));
		return 1;
	}
	/* Producers of our own user only: a path socket's permissions may
	 * say as much, an abstract socket has none. */
	r = sshm_listener_allow_uid(srv.listener, (uint32_t)getuid());
	if (r < 0) {
		fprintf(stderr, "glib-consumer: allow uid: %s\n", sshm_strerror(r));
		sshm_listener_unref(srv.listener);
		return 1;
	}
	srv.pool = g_thread_pool_new(work, NULL, WORKERS, FALSE, &err);
	if (!srv.pool) {
		fprintf(stderr, "glib-consumer: thread pool: %s\n", err->message);
		g_error_free(err);
		sshm_listener_unref(srv.listener);
		return 1;
	}
	srv.loop = g_main_loop_new(NULL, FALSE);
	srv.listener_id = g_unix_fd_add(sshm_listener_fd(srv.listener), G_IO_IN,
					on_listener, &srv);
	sigint_id = g_unix_signal_add(SIGINT, on_signal, &srv);
	sigterm_id = g_unix_signal_add(SIGTERM, on_signal, &srv);
	fprintf(stderr, "glib-consumer: listening on %s, pid %ld\n", argv[1],
		(long)getpid());

	g_main_loop_run(srv.loop);

	/* Every view is dropped: the channels close their sockets. */
	while (srv.conns)
		conn_close(srv.conns->data);
	g_thread_pool_free(srv.pool, FALSE, TRUE);
	g_source_remove(sigint_id);
	g_source_remove(sigterm_id);
	g_main_loop_unref(srv.loop);
	fprintf(stderr,
		"glib-consumer: stopped after %lu messages, every view released\n",
		srv.messages);
	return srv.status;
}
