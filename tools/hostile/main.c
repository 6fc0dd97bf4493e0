/* SPDX-License-Identifier: MIT */
/*
 * sshm-hostile - the attacker: every row of the threat matrix that a peer
 * can mount, against a consumer that listens, each followed by an honest
 * producer that must still be served.  This file: the options, what the
 * consumer says of itself before the first attack, the run over the
 * attacks and the exit status.  hostile.h lists the other files.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostile.h"

#define TIMEOUT_DEFAULT 5ul
#define TIMEOUT_MAX	3600ul

static void usage(void)
{
	printf(
	    "Usage: %s [OPTIONS] SOCKET\n"
	    "       %s --list\n"
	    "Attack the sshm consumer listening on SOCKET (a path, or @name for an\n"
	    "abstract socket) as a hostile producer: every row of the threat matrix a\n"
	    "peer can mount, each on connections of its own.  Per attack it reports\n"
	    "whether the consumer refused it (released the region, or closed the\n"
	    "connection after a framing violation), whether it left what it refused\n"
	    "untouched, and whether an honest producer was still served afterwards.\n"
	    "\n"
	    "  -p, --pid PID          the consumer's process: check in /proc/PID that "
	    "it\n"
	    "                         keeps no descriptor or mapping of an attack\n"
	    "  -t, --timeout SECONDS  for every step (default %lu): longer is a hang\n"
	    "  -o, --only NAME,...    run these attacks only (see --list)\n"
	    "  -l, --list             list the attacks and exit\n"
	    "  -s, --max-size SIZE    the consumer's size cap, when its HELLO states\n"
	    "                         none (default 1G)\n"
	    "      --no-identity      the consumer does not check identities (e.g.\n"
	    "                         sshm-recv -I off): it may map a region whose\n"
	    "                         announced descriptor is another file\n"
	    "      --strict           a refused region after which the consumer closes\n"
	    "                         the connection is a failure (refused is not "
	    "broken)\n"
	    "  -j, --json             print one JSON object instead of the table\n"
	    "  -h, --help             show this help and exit\n"
	    "  -V, --version          show the version and exit\n"
	    "\n"
	    "Exit status: 0 every applicable attack passed, 1 usage error, 2 an attack\n"
	    "failed, 3 system error (or the consumer cannot be reached at all).\n",
	    tool_name, tool_name, TIMEOUT_DEFAULT);
}

/* Is @name in the comma-separated @list? */
static int listed(const char *list, const char *name)
{
	size_t n = strlen(name);
	const char *p = list;

	while (p && *p) {
		if (!strncmp(p, name, n) && (p[n] == ',' || p[n] == '\0'))
			return 1;
		p = strchr(p, ',');
		p = p ? p + 1 : NULL;
	}
	return 0;
}

/* Every name in --only is an attack. */
static int check_only(const char *only)
{
	const struct attack *const *all;
	size_t n = attacks_all(&all), i, len;
	const char *p = only, *end;

	while (*p) {
		end = strchr(p, ',');
		len = end ? (size_t)(end - p) : strlen(p);
		for (i = 0; i < n; i++)
			if (strlen(all[i]->name) == len && !strncmp(all[i]->name, p, len))
				break;
		if (i == n) {
			tool_error(0, "--only: no attack named '%.*s' (see --list)",
				   (int)len, p);
			return -1;
		}
		p += len + (end != NULL);
	}
	return 0;
}

static int parse_arg(int c, struct options *o)
{
	unsigned long v;

	switch (c) {
	case 'p':
		if (tool_parse_count("--pid", optarg, 4194304, &v) < 0)
			return -1;
		o->pid = (pid_t)v;
		return 0;
	case 't':
		if (tool_parse_count("--timeout", optarg, TIMEOUT_MAX, &v) < 0)
			return -1;
		o->timeout_ms = v * 1000;
		return 0;
	case 'o':
		o->only = optarg;
		return check_only(optarg);
	case 's':
		return tool_parse_max_size(optarg, &o->max_size);
	default:
		return -1;
	}
}

/* 0: go on; 1: done (--help, --version); -1: usage error, reported. */
static int parse_options(int argc, char **argv, struct options *o)
{
	enum { OPT_STRICT = 256, OPT_NO_IDENTITY };
	static const struct option longopts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "timeout", required_argument, NULL, 't' },
		{ "only", required_argument, NULL, 'o' },
		{ "list", no_argument, NULL, 'l' },
		{ "max-size", required_argument, NULL, 's' },
		{ "no-identity", no_argument, NULL, OPT_NO_IDENTITY },
		{ "strict", no_argument, NULL, OPT_STRICT },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->timeout_ms = TIMEOUT_DEFAULT * 1000;
	o->max_size = SSHM_DEFAULT_MAX_SIZE;
	while ((c = getopt_long(argc, argv, "p:t:o:ls:jhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'l':
			o->list = 1;
			break;
		case OPT_STRICT:
			o->strict = 1;
			break;
		case OPT_NO_IDENTITY:
			o->no_identity = 1;
			break;
		case 'j':
			o->json = 1;
			break;
		case 'h':
			usage();
			return 1;
		case 'V':
			tool_version();
			return 1;
		default:
			if (parse_arg(c, o) < 0)
				return -1;
		}
	}
	if (o->list)
		return 0;
	if (argc - optind != 1) {
		tool_error(0,
			   argc - optind < 1 ? "missing SOCKET" : "too many arguments");
		return -1;
	}
	o->socket = argv[optind];
	return 0;
}

/* Its HELLO, on a connection of our own, and an honest producer served:
 * 0, or -1 (reported) when there is nothing to attack. */
static int learn_consumer(const struct options *o, struct consumer *c)
{
	static const struct attack hello = { .name = "hello" };
	struct run r;
	struct conn *conn;
	char why[256];

	memset(&r, 0, sizeof(r));
	r.o = o;
	r.a = &hello;
	conn = peer_start(&r);
	if (!conn) {
		tool_error(0, "%s: %s", o->socket, r.reason);
		return -1;
	}
	memset(c, 0, sizeof(*c));
	c->hello = conn->hello;
	c->cap = c->hello.max_size ? c->hello.max_size : o->max_size;
	peer_close(conn);
	if (honest_check(o->socket, 0, o->timeout_ms, why, sizeof(why)) < 0) {
		tool_error(0, "%s: an honest producer is not served: %s", o->socket, why);
		return -1;
	}
	return 0;
}

/* After an attack whose honest producer was not served: does the consumer
 * serve one again?  If not, the attacks left cannot tell anything. */
static int recovered(const struct options *o, unsigned int seq)
{
	char why[256];

	return honest_check(o->socket, seq, o->timeout_ms, why, sizeof(why)) == 0;
}

static void not_run(const struct options *o, const struct attack *a, const char *after,
		    struct tally *t)
{
	struct run r;

	memset(&r, 0, sizeof(r));
	r.o = o;
	r.a = a;
	if (a->na) {
		run_skip(&r, "not applicable from a peer: %s", a->na);
	} else {
		r.verdict = VERDICT_FAIL;
		snprintf(r.reason, sizeof(r.reason),
			 "not run: the consumer stopped serving after %s", after);
	}
	report_attack(o, &r, t);
}

/* The exit status. */
static int run_all(const struct options *o, const struct consumer *c)
{
	const struct attack *const *all;
	size_t n = attacks_all(&all), i;
	const char *gone = NULL;
	struct tally t = { 0 };
	unsigned int seq = 1;
	int syserr = 0;
	struct run r;

	report_begin(o, c);
	for (i = 0; i < n; i++) {
		if (o->only && !listed(o->only, all[i]->name))
			continue;
		if (gone) {
			not_run(o, all[i], gone, &t);
			continue;
		}
		run_attack(o, c, all[i], seq++, &r);
		report_attack(o, &r, &t);
		syserr |= r.syserr;
		if (r.unserved && !recovered(o, seq++))
			gone = all[i]->name;
	}
	report_end(o, &t);
	if (syserr)
		return TOOL_EXIT_SYSTEM;
	return t.failed ? TOOL_EXIT_REFUSED : TOOL_EXIT_OK;
}

int main(int argc, char **argv)
{
	const struct attack *const *all;
	struct consumer c;
	struct options o;
	char buf[256];
	int r;

	tool_name = "sshm-hostile";
	/* The consumer may close at any time: EPIPE, never a death. */
	signal(SIGPIPE, SIG_IGN);
	argv[0] = (char *)tool_name;
	r = parse_options(argc, argv, &o);
	if (r > 0)
		return TOOL_EXIT_OK;
	if (r < 0)
		return tool_usage_error();
	if (o.list) {
		size_t n = attacks_all(&all);

		report_list(all, n);
		return TOOL_EXIT_OK;
	}
	if (o.pid && fdcheck_access(o.pid, buf, sizeof(buf))) {
		tool_error(0, "--pid: %s", buf);
		return TOOL_EXIT_SYSTEM;
	}
	if (learn_consumer(&o, &c) < 0)
		return TOOL_EXIT_SYSTEM;
	return run_all(&o, &c);
}
