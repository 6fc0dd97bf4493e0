/* SPDX-License-Identifier: MIT */
/*
 * serve - one connection's turn: receive what it has, write each payload
 * out, and after every error let sshm_channel_is_open() say whether one
 * message was refused (the channel goes on) or the channel is done.  No
 * list of error codes: a region refused for a reason the library learns
 * tomorrow is still one message refused.
 */
#include <errno.h>
#include <unistd.h>

#include "recv.h"

/* Messages per turn: a producer that sends without pause must leave the
 * others their turn. */
#define BATCH 16u

/* Written in chunks, so that the progress line moves. */
#define CHUNK ((size_t)1 << 20)

/*
 * write(2) until done.  A stop signal interrupts a write that blocks on a
 * reader who does not read (the handlers have no SA_RESTART): it returns
 * EINTR, or the part written, and the run ends instead of hanging.
 */
static int write_all(int fd, const char *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0 && errno != EINTR)
			return -errno;
		if ((n < 0 || (size_t)n < len) && loop_stopping())
			return -EINTR;
		if (n > 0) {
			p += n;
			len -= (size_t)n;
		}
	}
	return 0;
}

static int output(struct state *st, const struct sshm_view *view)
{
	const char *data = sshm_view_data(view);
	const size_t len = (size_t)sshm_view_size(view);
	struct tool_progress pr;
	size_t off, n;
	int r = 0;

	tool_progress_start(&pr, "writing", len);
	for (off = 0; off < len && r == 0; off += n) {
		n = len - off < CHUNK ? len - off : CHUNK;
		r = write_all(st->out_fd, data + off, n);
		tool_progress(&pr, off + n);
	}
	tool_progress_end(&pr);
	/* Whoever read our output left: nothing to say, just stop.  A
	 * signal: the run ends, said at exit. */
	if (r < 0 && r != -EPIPE && r != -EINTR)
		tool_error(r, "write %s",
			   st->o->output ? st->o->output : "standard output");
	return r;
}

/* One more message handled, accepted or refused: its number. */
static unsigned long handled(struct state *st, struct conn *c)
{
	c->messages++;
	return ++st->messages;
}

/* One message refused, the channel still open. */
static void refused_message(struct state *st, struct conn *c, int r)
{
	st->refused = 1;
	stats_add_errno(&st->totals, r);
	tool_error(r, "message %lu: refused", handled(st, c));
	if (!st->o->keep_going)
		recv_stop(st, STOP_REFUSED);
}

/*
 * After an error from sshm_channel_recv().  -EAGAIN is no error (nothing
 * more now), -EPIPE on a closed channel the producer's end; beyond those,
 * whether the channel is still open is the whole decision.
 */
static enum turn after_error(struct state *st, struct conn *c, int r)
{
	if (r == -EAGAIN)
		return TURN_WAIT;
	if (sshm_channel_is_open(c->ch) > 0) {
		refused_message(st, c, r);
		return TURN_AGAIN;
	}
	if (r == -EPIPE)
		return TURN_CLOSED;
	st->refused = 1;
	tool_error(r, "connection %lu: producer refused, connection dropped", c->id);
	if (!st->o->keep_going)
		recv_stop(st, STOP_REFUSED);
	return TURN_DROPPED;
}

static void accepted_message(struct state *st, struct conn *c, struct sshm_view *view)
{
	unsigned long n = handled(st, c);

	if (!st->o->quiet)
		tool_print_report(stderr, n, view);
	if (output(st, view) < 0)
		recv_stop(st, loop_stopping() ? STOP_SIGNAL : STOP_FAILED);
}

/*
 * Receives until the channel has nothing more (-EAGAIN), at most BATCH
 * messages.  Every view is dropped as soon as its bytes are written: that
 * releases the region, and the producer's window waits for it.
 */
enum turn serve_turn(struct state *st, struct conn *c)
{
	const struct options *o = st->o;
	struct sshm_view *view;
	enum turn t;
	unsigned int n;
	int r;

	for (n = 0; n < BATCH && st->stop == STOP_NOT; n++) {
		r = sshm_channel_recv(c->ch, &o->policy, &view);
		if (r < 0) {
			t = after_error(st, c, r);
			if (t != TURN_AGAIN)
				return t;
		} else {
			accepted_message(st, c, view);
			sshm_view_unref(view);
		}
		if (o->count && st->messages >= o->count)
			recv_stop(st, STOP_DONE);
	}
	return TURN_AGAIN;
}
