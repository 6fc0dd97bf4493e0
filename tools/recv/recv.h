/* SPDX-License-Identifier: MIT */
/*
 * sshm-recv, one file per concern:
 *   main.c   the options, the policy, the exit status;
 *   loop.c   the event loop: the listener, every connection, the idle
 *            deadlines, the bound on connections, signals;
 *   serve.c  one connection's turn: receive, decide after an error,
 *            write the payloads out;
 *   stats.c  the figures --stats prints.
 */
#ifndef SSHM_RECV_H
#define SSHM_RECV_H

#include <stdint.h>

#include "../tool.h"

/* As many as a listener takes (sshm_listener_allow_uid(3)). */
#define RECV_ALLOW_MAX 64

struct options {
	const char *socket;
	const char *output;	    /* NULL: standard output */
	unsigned long count;	    /* 0: no limit */
	unsigned long max_conns;    /* connections served at once */
	unsigned long idle_timeout; /* seconds, 0: none */
	int connect;
	int keep_going;
	int quiet;
	int stats;
	uint32_t uids[RECV_ALLOW_MAX], gids[RECV_ALLOW_MAX];
	unsigned int n_uids, n_gids;
	struct sshm_policy policy;
};

/* Errno codes of refusals, counted by the tool: the library counts them
 * all under refused_by[0]. */
#define RECV_ERRNO_SLOTS 8

/* What --stats prints: summed over every connection of the run. */
struct totals {
	struct sshm_channel_stats ch;
	uint64_t served;      /* connections given a slot */
	uint64_t refused;     /* closed by the listener's allow-lists */
	uint64_t turned_away; /* closed at once: --max-connections reached */
	uint64_t timed_out;   /* closed after --idle-timeout */
	uint64_t dropped;     /* closed after a protocol violation */
	int errnos[RECV_ERRNO_SLOTS];
	uint64_t errno_count[RECV_ERRNO_SLOTS];
};

enum stop {
	STOP_NOT,     /* running */
	STOP_DONE,    /* the producers are done, or --count reached */
	STOP_REFUSED, /* a refusal without --keep-going */
	STOP_FAILED,  /* a system or output error, reported */
	STOP_SIGNAL,  /* SIGINT, SIGTERM or SIGHUP */
};

struct state {
	const struct options *o;
	int out_fd;
	unsigned long messages; /* handled so far, accepted or refused */
	int refused;		/* a message or a producer was refused */
	enum stop stop;
	struct totals totals;
};

/* Ends the run for @why, unless it is ending already. */
static inline void recv_stop(struct state *st, enum stop why)
{
	if (st->stop == STOP_NOT)
		st->stop = why;
}

/* A connection being served (loop.c owns them). */
struct conn {
	struct sshm_channel *ch;
	unsigned long id;	    /* accepted so far, for the reports */
	unsigned long messages;	    /* handled on it, accepted or refused */
	uint64_t deadline;	    /* ms of CLOCK_MONOTONIC, 0: none */
	struct conn *older, *newer; /* by deadline; NULL at the ends */
	int want_out;		    /* EPOLLOUT asked: releases queued */
	int again;		    /* messages kept by the library: no need to wait */
};

/* How a connection's turn ended. */
enum turn {
	TURN_WAIT,    /* nothing more now: wait until the socket is readable */
	TURN_AGAIN,   /* its batch is used up, or the run stops */
	TURN_CLOSED,  /* the producer left after everything it sent was handled */
	TURN_DROPPED, /* broken by a protocol violation */
};

/* serve.c */
enum turn serve_turn(struct state *st, struct conn *c);

/* loop.c: return once the run stopped, st->stop saying why.  The
 * channel is the loop's. */
void loop_listen(struct state *st, struct sshm_listener *listener);
void loop_connect(struct state *st, struct sshm_channel *ch);
/*
 * SIGINT, SIGTERM and SIGHUP end the run (and interrupt an output write
 * that blocks); a second one kills at once, removing the socket file
 * @path names (loop_arm_unlink(), NULL disarms).  0 or -errno.
 */
int loop_signals(void);
void loop_arm_unlink(const char *path);
/* 1 once a stop signal came. */
int loop_stopping(void);

/* stats.c */
void stats_add_channel(struct totals *t, const struct sshm_channel *ch);
void stats_add_errno(struct totals *t, int err);
void stats_print(const struct totals *t, int listening);

#endif
