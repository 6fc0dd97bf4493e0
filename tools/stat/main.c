/* SPDX-License-Identifier: MIT */
/*
 * sshm-stat - inspect a descriptor without trusting it.  This file: the
 * options, the run over every target with its exit status, and dispatch
 * to --same (same.c) and --system (system.c).  How a target is looked at
 * is inspect.c's concern; stat.h lists the others.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stat.h"

static void usage(void)
{
	printf(
	    "Usage: %s [OPTIONS] TARGET...\n"
	    "       %s [OPTIONS] --same A B\n"
	    "       %s [OPTIONS] --system\n"
	    "Inspect descriptors the way an sshm consumer must: without trusting them.\n"
	    "TARGET is FD, one of this process's descriptors (e.g. inherited:\n"
	    "'sshm-stat 3 3<file'), or PID:FD, descriptor FD of process PID.\n"
	    "\n"
	    "Reports the type, whether it is a memfd, its seals, size, allocated\n"
	    "blocks and holes, resident pages, huge pages, inode and mount id, and\n"
	    "the verdict of sshm_fd_verify().  Another process's FIFO, terminal,\n"
	    "socket or device is never opened; nothing that is not a sealed memfd is\n"
	    "ever read, mapped or ioctl()ed.\n"
	    "\n"
	    "  -c, --check            exit with status 2 if a target is not an\n"
	    "                         acceptable sealed memfd\n"
	    "      --same A B         say whether A and B are the same open file "
	    "(kcmp),\n"
	    "                         only the same inode, or different files\n"
	    "      --system           show which kernel features sshm can use here\n"
	    "  -j, --json             print JSON instead of text\n"
	    "  -s, --max-size SIZE    policy: refuse memfds above SIZE bytes (suffixes\n"
	    "                         K, M, G, T; default 1G)\n"
	    "  -p, --populated        policy: refuse memfds with holes\n"
	    "      --allow-hugetlb    policy: accept hugetlb memfds (implies "
	    "--populated)\n"
	    "  -h, --help             show this help and exit\n"
	    "  -V, --version          show the version and exit\n"
	    "\n"
	    "Exit status: 0 success, 1 usage error, 2 a target is not an acceptable\n"
	    "sealed memfd (with --check only), 3 system error (e.g. no such "
	    "descriptor).\n",
	    tool_name, tool_name, tool_name);
}

/* The modes and their number of targets, once every option is read. */
static int check_mode(const struct options *o)
{
	if (o->same && o->system) {
		tool_error(0, "--same and --system exclude each other");
		return -1;
	}
	if (o->system && o->nargs > 0) {
		tool_error(0, "--system takes no TARGET");
		return -1;
	}
	if (o->same && o->nargs != 2) {
		tool_error(0, "--same needs exactly two targets");
		return -1;
	}
	if (!o->system && o->nargs < 1) {
		tool_error(0, "missing TARGET");
		return -1;
	}
	return 0;
}

/* 0: go on; 1: done (--help, --version); -1: usage error, reported. */
static int parse_options(int argc, char **argv, struct options *o)
{
	enum { OPT_SAME = 256, OPT_SYSTEM, OPT_HUGETLB };
	static const struct option longopts[] = {
		{ "check", no_argument, NULL, 'c' },
		{ "same", no_argument, NULL, OPT_SAME },
		{ "system", no_argument, NULL, OPT_SYSTEM },
		{ "json", no_argument, NULL, 'j' },
		{ "max-size", required_argument, NULL, 's' },
		{ "populated", no_argument, NULL, 'p' },
		{ "allow-hugetlb", no_argument, NULL, OPT_HUGETLB },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	/* The all-zero policy is the library's default one. */
	memset(o, 0, sizeof(*o));
	while ((c = getopt_long(argc, argv, "cjs:phV", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o->check = 1;
			break;
		case OPT_SAME:
			o->same = 1;
			break;
		case OPT_SYSTEM:
			o->system = 1;
			break;
		case 'j':
			o->json = 1;
			break;
		case 's':
			if (tool_parse_max_size(optarg, &o->policy.max_size) < 0)
				return -1;
			break;
		case 'p':
			o->policy.flags |= SSHM_POLICY_POPULATED;
			break;
		case OPT_HUGETLB:
			/* A hole in a hugetlb region is a SIGBUS: the library
			 * only allows hugetlb together with "populated". */
			o->policy.flags |= SSHM_POLICY_ALLOW_HUGETLB |
					   SSHM_POLICY_POPULATED;
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
	o->nargs = argc - optind;
	o->args = argv + optind;
	return check_mode(o);
}

/*
 * Every target parsed, and each of our own checked, before this tool
 * opens anything: a closed number cannot be mistaken for one of our
 * internal fds.  Returns 0, or the exit status of a usage error.
 */
static int reports_init(const struct options *o, struct report *reports)
{
	int i;

	for (i = 0; i < o->nargs; i++) {
		struct report *rp = &reports[i];

		rp->target = o->args[i];
		rp->flags = -1;
		rp->verdict_by = "stat";
		if (target_parse(rp->target, &rp->pid, &rp->fd) < 0) {
			tool_error(0, "'%s' is not FD or PID:FD", rp->target);
			return tool_usage_error();
		}
		if (!rp->pid && fcntl(rp->fd, F_GETFD) < 0) {
			rp->err = -errno;
			rp->err_what = "not an open descriptor";
		}
	}
	return 0;
}

/* The exit status one target contributes; *refused set on a refusal. */
static int report_status(struct report *rp, int *refused)
{
	if (rp->err) {
		tool_error(rp->err, "%s: %s", rp->target, rp->err_what);
		return TOOL_EXIT_SYSTEM;
	}
	if (rp->verdict > -SSHM_EBASE && rp->verdict < 0) {
		/* Not a verdict on the file: the check itself failed. */
		tool_error(rp->verdict, "%s: sshm_fd_verify", rp->target);
		return TOOL_EXIT_SYSTEM;
	}
	if (rp->verdict)
		*refused = 1;
	return TOOL_EXIT_OK;
}

/*
 * Exit status of a run over every target: 3 if one could not be inspected,
 * else 2 with --check if one is not acceptable, else 0.
 */
static int run_inspect(const struct options *o)
{
	struct report *reports;
	int i, r, ret = TOOL_EXIT_OK, refused = 0;

	reports = calloc((size_t)o->nargs, sizeof(*reports));
	if (!reports) {
		tool_error(-ENOMEM, "allocate");
		return TOOL_EXIT_SYSTEM;
	}
	r = reports_init(o, reports);
	if (r) {
		free(reports);
		return r;
	}
	inspect_init();
	if (o->json)
		fputs("[\n", stdout);
	for (i = 0; i < o->nargs; i++) {
		struct report *rp = &reports[i];

		if (!rp->err) {
			r = rp->pid ? inspect_pid(o, rp) : inspect_own(o, rp);
			if (r < 0)
				rp->err = r;
		}
		if (report_status(rp, &refused) != TOOL_EXIT_OK)
			ret = TOOL_EXIT_SYSTEM;
		if (o->json) {
			fputs("  ", stdout);
			output_json(stdout, rp);
			fputs(i + 1 < o->nargs ? ",\n" : "\n", stdout);
		} else if (!rp->err) {
			output_text(stdout, rp);
		}
	}
	if (o->json)
		fputs("]\n", stdout);
	free(reports);
	if (ret == TOOL_EXIT_OK && o->check && refused)
		ret = TOOL_EXIT_REFUSED;
	return ret;
}

int main(int argc, char **argv)
{
	static char outbuf[BUFSIZ];
	struct options o;
	int r;

	tool_name = "sshm-stat";
	/* Every target costs descriptors of our own (an O_PATH, a reopen),
	 * and we may have inherited many: the same budget as every tool. */
	(void)tool_raise_nofile();
	/* A buffer of our own: stdio would otherwise ask isatty(1), an ioctl,
	 * and standard output may be the very terminal being inspected. */
	setvbuf(stdout, outbuf, _IOLBF, sizeof(outbuf));
	/* getopt_long() names argv[0] in its messages: not libtool's path. */
	argv[0] = (char *)tool_name;
	r = parse_options(argc, argv, &o);
	if (r > 0)
		return TOOL_EXIT_OK;
	if (r < 0)
		return tool_usage_error();
	if (o.system)
		return run_system(&o);
	if (o.same)
		return run_same(&o);
	return run_inspect(&o);
}
