/* SPDX-License-Identifier: MIT */
/*
 * sshm-recv - receive sealed regions, verify them, write their bytes out.
 *
 * Every message goes through sshm_channel_recv() with the policy built from
 * the options; the report on stderr says what was checked, so the tool
 * doubles as a way to see what a producer really sends.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tool.h"

struct options {
	const char *socket;
	const char *output;  /* NULL: standard output */
	unsigned long count; /* 0: no limit */
	int connect;
	int keep_going;
	int quiet;
	struct sshm_policy policy;
};

struct state {
	const struct options *o;
	int out_fd;
	unsigned long messages; /* received so far, accepted or refused */
	int refused;            /* at least one was refused */
};

/* How one connection ended. */
enum served {
	SERVED_CLOSED,  /* the producer left (or was dropped): may accept another */
	SERVED_COUNT,   /* --count messages handled */
	SERVED_REFUSED, /* a refusal ends the run (no --keep-going) */
	SERVED_FAILED,  /* system or output error, already reported */
};

static void usage(void)
{
	printf("Usage: %s [OPTIONS] SOCKET\n"
	       "Listen on SOCKET (a path, or @name for an abstract socket), accept one\n"
	       "sshm producer and write the payload of every message it sends to standard\n"
	       "output, until it closes the connection.  A verification report per\n"
	       "message goes to standard error.\n"
	       "\n"
	       "  -o, --output FILE      write the payloads to FILE instead\n"
	       "  -c, --connect          connect to SOCKET instead of listening on it\n"
	       "  -n, --count N          stop after N messages, accepting producers one\n"
	       "                         after another until then\n"
	       "  -k, --keep-going       report refused messages and go on; serve\n"
	       "                         producers one after another, without end\n"
	       "  -s, --max-size SIZE    refuse regions above SIZE bytes (suffixes K, M, G, T;\n"
	       "                         default 1G)\n"
	       "  -I, --identity MODE    kcmp identity check: off, best-effort (default)\n"
	       "                         or required\n"
	       "  -p, --populated        refuse regions with holes\n"
	       "  -q, --quiet            no report on standard error\n"
	       "  -h, --help             show this help and exit\n"
	       "  -V, --version          show the version and exit\n"
	       "\n"
	       "Exit status: 0 success, 1 usage error, 2 a message or producer was refused\n"
	       "(with --keep-going: at exit), 3 system or connection error.\n",
	       tool_name);
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
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	/* The all-zero policy is the library's default one. */
	memset(o, 0, sizeof(*o));
	o->policy.identity = SSHM_IDENTITY_BEST_EFFORT;
	while ((c = getopt_long(argc, argv, "o:cn:ks:I:pqhV", longopts,
				NULL)) != -1) {
		switch (c) {
		case 'o':
			o->output = strcmp(optarg, "-") ? optarg : NULL;
			break;
		case 'c':
			o->connect = 1;
			break;
		case 'n':
			if (tool_parse_count("--count", optarg, ULONG_MAX,
					     &o->count) < 0)
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
				tool_error(0, "--identity: '%s' is not off, best-effort or required",
					   optarg);
				return -1;
			}
			break;
		case 'p':
			o->policy.flags |= SSHM_POLICY_POPULATED;
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
	if (argc - optind != 1) {
		tool_error(0, argc - optind < 1 ? "missing SOCKET" :
			   "too many arguments");
		return -1;
	}
	o->socket = argv[optind];
	return 0;
}

/*
 * Codes after which the channel is broken: the producer, not one message,
 * is refused.  Every other library code refuses one message only.
 */
static int is_protocol_error(int r)
{
	return r == -SSHM_EHEADER || r == -SSHM_EPROTO ||
	       r == -SSHM_EVERSION || r == -SSHM_EBROKEN;
}

static int is_refusal(int r)
{
	return r <= -SSHM_EBASE && r >= -SSHM_ELAST;
}

static int output_view(struct state *st, const struct sshm_view *view)
{
	int r;

	r = tool_write_progress(st->out_fd, sshm_view_data(view),
				(size_t)sshm_view_size(view), "writing");
	/* Whoever read our output left: nothing to say, just stop. */
	if (r == -EPIPE)
		return r;
	if (r < 0)
		tool_error(r, "write %s", st->o->output ? st->o->output :
			   "standard output");
	return r;
}

static enum served serve(struct state *st, struct sshm_channel *ch)
{
	const struct options *o = st->o;
	struct sshm_view *view;
	int r;

	for (;;) {
		if (o->count && st->messages >= o->count)
			return SERVED_COUNT;
		r = sshm_channel_recv(ch, &o->policy, &view);
		if (r == -EPIPE || r == -ECONNRESET)
			return SERVED_CLOSED;
		if (is_protocol_error(r)) {
			st->refused = 1;
			tool_error(r, "producer refused, connection dropped");
			return o->keep_going ? SERVED_CLOSED : SERVED_REFUSED;
		}
		if (is_refusal(r)) {
			st->refused = 1;
			tool_error(r, "message %lu: refused", ++st->messages);
			if (!o->keep_going)
				return SERVED_REFUSED;
			continue;
		}
		if (r < 0) {
			tool_error(r, "receive from %s", o->socket);
			return SERVED_FAILED;
		}
		st->messages++;
		if (!o->quiet)
			tool_print_report(stderr, st->messages, view);
		r = output_view(st, view);
		/* Released as soon as it is written: the producer may be waiting. */
		sshm_view_unref(view);
		if (r < 0)
			return SERVED_FAILED;
	}
}

static enum served run_connect(struct state *st)
{
	const struct options *o = st->o;
	struct sshm_channel *ch = NULL;
	enum served res;
	int r;

	r = sshm_channel_connect(o->socket, 0, &ch);
	if (r < 0) {
		tool_error(r, "connect to %s", o->socket);
		return SERVED_FAILED;
	}
	res = serve(st, ch);
	sshm_channel_unref(ch);
	if (res == SERVED_CLOSED && o->count && st->messages < o->count) {
		tool_error(0, "%s: connection closed after %lu of %lu messages",
			   o->socket, st->messages, o->count);
		return SERVED_FAILED;
	}
	return res;
}

static enum served run_listen(struct state *st)
{
	const struct options *o = st->o;
	struct sshm_listener *listener = NULL;
	struct sshm_channel *ch;
	enum served res;
	int r;

	if (tool_listen(o->socket, &listener) < 0)
		return SERVED_FAILED;
	for (;;) {
		r = sshm_listener_accept(listener, 0, &ch);
		if (r == -EINTR || r == -ECONNABORTED)
			continue;
		if (r < 0) {
			tool_error(r, "accept on %s", o->socket);
			res = SERVED_FAILED;
			break;
		}
		res = serve(st, ch);
		sshm_channel_unref(ch);
		if (res != SERVED_CLOSED)
			break;
		/* By default one producer; --count and --keep-going want more. */
		if (!o->keep_going && !o->count)
			break;
	}
	/* The listener unlinks its own path: stop the handler racing it. */
	tool_unlink_on_signal(NULL);
	sshm_listener_unref(listener);
	return res;
}

int main(int argc, char **argv)
{
	struct options o;
	struct state st;
	enum served res;
	int r, ret;

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

	res = o.connect ? run_connect(&st) : run_listen(&st);

	if (o.output && close(st.out_fd) < 0 && res != SERVED_FAILED) {
		tool_error(-errno, "close %s", o.output);
		res = SERVED_FAILED;
	}
	switch (res) {
	case SERVED_FAILED:
		ret = TOOL_EXIT_SYSTEM;
		break;
	case SERVED_REFUSED:
		ret = TOOL_EXIT_REFUSED;
		break;
	default:
		ret = st.refused ? TOOL_EXIT_REFUSED : TOOL_EXIT_OK;
		break;
	}
	return ret;
}
