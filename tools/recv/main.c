/* SPDX-License-Identifier: MIT */
/*
 * sshm-recv - receive sealed regions, verify them, write their bytes out.
 *
 * Every message goes through sshm_channel_recv() with the policy built from
 * the options; the report on stderr says what was checked, so the tool
 * doubles as a way to see what a producer really sends.  This file: the
 * options, the listener or the connection, the exit status.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "recv.h"

#define MAX_CONNS_DEFAULT 64ul
#define MAX_CONNS_MAX	  1048576ul /* the kernel's default fs.nr_open */
#define IDLE_DEFAULT	  30ul	    /* seconds */
#define IDLE_MAX	  604800ul  /* a week */

static void usage(void)
{
	printf(
	    "Usage: %s [OPTIONS] SOCKET\n"
	    "Listen on SOCKET (a path, or @name for an abstract socket), serve sshm\n"
	    "producers, all at once, and write the payload of every message they send\n"
	    "to standard output, until one producer has closed its connection and no\n"
	    "other is sending.  A verification report per message goes to standard\n"
	    "error.\n"
	    "\n"
	    "  -o, --output FILE          write the payloads to FILE instead\n"
	    "  -c, --connect              connect to SOCKET instead of listening on it\n"
	    "  -n, --count N              stop after N messages\n"
	    "  -k, --keep-going           report refused messages and producers and go\n"
	    "                             on; serve producers without end\n"
	    "  -s, --max-size SIZE        refuse regions above SIZE bytes (suffixes K, "
	    "M,\n"
	    "                             G, T; default 1G)\n"
	    "  -I, --identity MODE        kcmp identity check: off, best-effort "
	    "(default)\n"
	    "                             or required\n"
	    "  -p, --populated            refuse regions with holes\n"
	    "      --max-connections N    serve at most N connections at once, close\n"
	    "                             the ones beyond at once (default %lu)\n"
	    "      --idle-timeout SECONDS close a connection that sent no message for\n"
	    "                             SECONDS (default %lu, 0: never)\n"
	    "      --allow-uid USER       accept connections from USER (a name or a\n"
	    "                             uid) only; repeatable, with --allow-gid\n"
	    "      --allow-gid GROUP      accept connections from members of GROUP\n"
	    "      --stats                print figures on standard error at exit\n"
	    "  -q, --quiet                no report on standard error\n"
	    "  -h, --help                 show this help and exit\n"
	    "  -V, --version              show the version and exit\n"
	    "\n"
	    "Exit status: 0 success, 1 usage error, 2 a message or producer was refused\n"
	    "(with --keep-going: at exit), 3 system or connection error.\n",
	    tool_name, MAX_CONNS_DEFAULT, IDLE_DEFAULT);
}

static int parse_identity(const char *s, int *ret)
{
	if (!strcmp(s, "off"))
		*ret = SSHM_IDENTITY_OFF;
	else if (!strcmp(s, "best-effort"))
		*ret = SSHM_IDENTITY_BEST_EFFORT;
	else if (!strcmp(s, "required"))
		*ret = SSHM_IDENTITY_REQUIRED;
	else
		return -EINVAL;
	return 0;
}

/* A uid or gid: digits, or a name from the user or group database. */
static int parse_id(const char *opt, const char *arg, int group, uint32_t *list,
		    unsigned int *n)
{
	unsigned long v;
	struct passwd *pw;
	struct group *gr;

	if (*n == RECV_ALLOW_MAX) {
		tool_error(0, "%s: at most %d", opt, RECV_ALLOW_MAX);
		return -1;
	}
	/* (uid_t)-1 is no id: chown(2) takes it as "unchanged". */
	if (tool_parse_ulong(arg, &v) == 0 && v < UINT32_MAX) {
		list[(*n)++] = (uint32_t)v;
		return 0;
	}
	if (group && (gr = getgrnam(arg))) {
		list[(*n)++] = (uint32_t)gr->gr_gid;
		return 0;
	}
	if (!group && (pw = getpwnam(arg))) {
		list[(*n)++] = (uint32_t)pw->pw_uid;
		return 0;
	}
	tool_error(0, "%s: '%s' is no %s", opt, arg,
		   group ? "group name or gid" : "user name or uid");
	return -1;
}

static int parse_seconds(const char *arg, unsigned long *ret)
{
	if (tool_parse_ulong(arg, ret) < 0 || *ret > IDLE_MAX) {
		tool_error(
		    0, "--idle-timeout: '%s' is not a number of seconds from 0 to %lu",
		    arg, IDLE_MAX);
		return -1;
	}
	return 0;
}

enum {
	OPT_MAX_CONNS = 256,
	OPT_IDLE,
	OPT_ALLOW_UID,
	OPT_ALLOW_GID,
	OPT_STATS,
};

/* The options of the listening mode only.  0, or -1 reported. */
static int parse_listen_option(int c, struct options *o)
{
	switch (c) {
	case OPT_MAX_CONNS:
		return tool_parse_count("--max-connections", optarg, MAX_CONNS_MAX,
					&o->max_conns) < 0
			   ? -1
			   : 0;
	case OPT_IDLE:
		return parse_seconds(optarg, &o->idle_timeout);
	case OPT_ALLOW_UID:
		return parse_id("--allow-uid", optarg, 0, o->uids, &o->n_uids);
	default:
		return parse_id("--allow-gid", optarg, 1, o->gids, &o->n_gids);
	}
}

/* 0: go on; 1: done (--help, --version); -1: usage error, reported. */
static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "connect", no_argument, NULL, 'c' },
		{ "count", required_argument, NULL, 'n' },
		{ "keep-going", no_argument, NULL, 'k' },
		{ "max-size", required_argument, NULL, 's' },
		{ "identity", required_argument, NULL, 'I' },
		{ "populated", no_argument, NULL, 'p' },
		{ "max-connections", required_argument, NULL, OPT_MAX_CONNS },
		{ "idle-timeout", required_argument, NULL, OPT_IDLE },
		{ "allow-uid", required_argument, NULL, OPT_ALLOW_UID },
		{ "allow-gid", required_argument, NULL, OPT_ALLOW_GID },
		{ "stats", no_argument, NULL, OPT_STATS },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *listen_only = NULL;
	int c, i;

	/* The all-zero policy is the library's default one. */
	memset(o, 0, sizeof(*o));
	o->policy.identity = SSHM_IDENTITY_BEST_EFFORT;
	o->max_conns = MAX_CONNS_DEFAULT;
	o->idle_timeout = IDLE_DEFAULT;
	while ((c = getopt_long(argc, argv, "o:cn:ks:I:pqhV", longopts, &i)) != -1) {
		switch (c) {
		case 'o':
			o->output = strcmp(optarg, "-") ? optarg : NULL;
			break;
		case 'c':
			o->connect = 1;
			break;
		case 'n':
			if (tool_parse_count("--count", optarg, ULONG_MAX, &o->count) < 0)
				return -1;
			break;
		case 'k':
			o->keep_going = 1;
			break;
		case 's':
			if (tool_parse_max_size(optarg, &o->policy.max_size) < 0)
				return -1;
			break;
		case 'I':
			if (parse_identity(optarg, &o->policy.identity) < 0) {
				tool_error(0,
					   "--identity: '%s' is not off, best-effort or "
					   "required",
					   optarg);
				return -1;
			}
			break;
		case 'p':
			o->policy.flags |= SSHM_POLICY_POPULATED;
			break;
		case OPT_MAX_CONNS:
		case OPT_IDLE:
		case OPT_ALLOW_UID:
		case OPT_ALLOW_GID:
			if (parse_listen_option(c, o) < 0)
				return -1;
			listen_only = longopts[i].name;
			break;
		case OPT_STATS:
			o->stats = 1;
			break;
		case 'q':
			o->quiet = 1;
			break;
		case 'h':
			usage();
			return 1;
		case 'V':
			tool_version();
			return 1;
		default:
			return -1;
		}
	}
	if (o->connect && listen_only) {
		tool_error(0, "--%s applies to a listening socket, not with --connect",
			   listen_only);
		return -1;
	}
	if (argc - optind != 1) {
		tool_error(0,
			   argc - optind < 1 ? "missing SOCKET" : "too many arguments");
		return -1;
	}
	o->socket = argv[optind];
	return 0;
}

/*
 * Per connection: its socket, and an eventfd once it has handed out a
 * region view.  More while messages wait (see sshm-recv(1)); this is the
 * floor below which --max-connections cannot be reached.
 */
static void check_nofile(const struct options *o, unsigned long nofile)
{
	if (o->connect || nofile >= 2 * o->max_conns + 64)
		return;
	tool_error(0,
		   "warning: RLIMIT_NOFILE is %lu: too low for --max-connections %lu "
		   "(2 descriptors each, and more per message waiting)",
		   nofile, o->max_conns);
}

static int listen_on(const struct options *o, struct sshm_listener **ret)
{
	struct sshm_listener *l = NULL;
	unsigned int i;
	int r;

	r = sshm_listener_new(o->socket, SSHM_CHANNEL_NONBLOCK, &l);
	/* The library never removes a socket file it did not create. */
	if (r == -EADDRINUSE && o->socket[0] != '@')
		tool_error(r, "listen on %s (a stale socket? remove it)", o->socket);
	else if (r < 0)
		tool_error(r, "listen on %s", o->socket);
	for (i = 0; r >= 0 && i < o->n_uids; i++)
		r = sshm_listener_allow_uid(l, o->uids[i]);
	for (i = 0; r >= 0 && i < o->n_gids; i++)
		r = sshm_listener_allow_gid(l, o->gids[i]);
	if (r < 0 && l) {
		tool_error(r, "allow uids and gids on %s", o->socket);
		sshm_listener_unref(l);
	}
	if (r < 0)
		return r;
	*ret = l;
	return 0;
}

static void run_listen(struct state *st)
{
	struct sshm_listener *listener;

	if (listen_on(st->o, &listener) < 0) {
		recv_stop(st, STOP_FAILED);
		return;
	}
	loop_arm_unlink(st->o->socket);
	loop_listen(st, listener);
	/* The listener unlinks its own path: stop the handler racing it. */
	loop_arm_unlink(NULL);
	sshm_listener_unref(listener);
}

static void run_connect(struct state *st)
{
	struct sshm_channel *ch = NULL;
	int r;

	r = sshm_channel_connect(st->o->socket, SSHM_CHANNEL_NONBLOCK, &ch);
	/* A stop signal interrupted a connect(2) that waited: no error. */
	if (r == -EINTR && loop_stopping()) {
		recv_stop(st, STOP_SIGNAL);
		return;
	}
	if (r < 0) {
		tool_error(r, "connect to %s", st->o->socket);
		recv_stop(st, STOP_FAILED);
		return;
	}
	loop_connect(st, ch);
}

static int exit_status(const struct state *st)
{
	switch (st->stop) {
	case STOP_FAILED:
		return TOOL_EXIT_SYSTEM;
	case STOP_REFUSED:
		return TOOL_EXIT_REFUSED;
	default:
		return st->refused ? TOOL_EXIT_REFUSED : TOOL_EXIT_OK;
	}
}

int main(int argc, char **argv)
{
	struct options o;
	struct state st;
	int r;

	tool_name = "sshm-recv";
	/* A closed stdout must be an EPIPE from write(2), not a death. */
	signal(SIGPIPE, SIG_IGN);

	/* getopt_long() names argv[0] in its messages: not libtool's path. */
	argv[0] = (char *)tool_name;
	r = parse_options(argc, argv, &o);
	if (r > 0)
		return TOOL_EXIT_OK;
	if (r < 0)
		return tool_usage_error();
	check_nofile(&o, tool_raise_nofile());

	memset(&st, 0, sizeof(st));
	st.o = &o;
	st.out_fd = STDOUT_FILENO;
	if (o.output) {
		st.out_fd = open(o.output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
				 0666);
		if (st.out_fd < 0) {
			tool_error(-errno, "open %s", o.output);
			return TOOL_EXIT_SYSTEM;
		}
	}
	r = loop_signals();
	if (r < 0) {
		tool_error(r, "set up signals");
		return TOOL_EXIT_SYSTEM;
	}

	if (o.connect)
		run_connect(&st);
	else
		run_listen(&st);

	if (o.output && close(st.out_fd) < 0 && st.stop != STOP_FAILED) {
		tool_error(-errno, "close %s", o.output);
		st.stop = STOP_FAILED;
	}
	if (o.stats)
		stats_print(&st.totals, !o.connect);
	return exit_status(&st);
}
