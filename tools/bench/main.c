/* SPDX-License-Identifier: MIT */
/*
 * sshm-bench - how fast a sealed region travels, against the copies it
 * replaces, against the same sealed exchange without the library, and
 * against an unsealed shared ring (the ceiling).
 *
 * This file: the options, and the plan of cells.  Cells run interleaved
 * (for rep: for size: for method) so that drift on a noisy machine hits
 * every method alike; the median rep is reported with the spread.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

/* What sshm_channel_set_limits() accepts. */
#define WINDOW_MAX 4096u
/* --messages, and --bytes over any size: far below the ring's 31 bits. */
#define COUNT_MAX 1000000000ul

static void usage(void)
{
	char budget[32];

	format_bytes(SSHM_BUDGET_DEFAULT, budget, sizeof(budget));
	printf(
	    "Usage: %s [OPTIONS]\n"
	    "Measure sealed shared-memory transfers against raw copies between\n"
	    "processes.  A cell is a method, a size and a repetition: one producer\n"
	    "and N consumers, forked afresh; the producer writes every byte of\n"
	    "every message, every consumer reads and checks every byte.\n"
	    "\n"
	    "What a cell measures: a steady exchange.  The producer may have a\n"
	    "window of messages in flight: the smaller of --window and --budget\n"
	    "divided by the size, at least 1.  It sends a warm-up of at least %u\n"
	    "windows and --warmup seconds, then the measured messages (at least %u\n"
	    "windows, %u messages and --seconds), then %u window more so that the\n"
	    "measured phase ends with the pipeline full.  A consumer's span runs\n"
	    "from its last warm-up message verified to its last measured one; the\n"
	    "cell's time from the earliest start to the latest end, and its rate\n"
	    "is the measured messages times the consumers over that time.\n"
	    "\n"
	    "  -m, --methods LIST    comma-separated, \"all\" for every one; default\n"
	    "                        all but sshm-pool:\n"
	    "        sshm          region_new + region_map + fill + seal + send;\n"
	    "                      consumer recv, read, unref (release)\n"
	    "        sshm-write    fill a reused buffer, region_new + region_write\n"
	    "                      + seal + send\n"
	    "        sshm-auto     fill a reused buffer, channel(s)_send_bytes:\n"
	    "                      what the library chooses (inline, copy, region)\n"
	    "        sshm-pool     as sshm, the region from an sshm_pool (8 deep, or\n"
	    "                      the window when smaller; populated by its thread)\n"
	    "        plain-sealed  the same without the library: memfd, pwrite,\n"
	    "                      F_ADD_SEALS, SCM_RIGHTS; consumer F_GET_SEALS,\n"
	    "                      mmap read-only, read, munmap, a credit back;\n"
	    "                      the library's in-flight rule and limits\n"
	    "        seqpacket     copy over AF_UNIX SOCK_SEQPACKET, 4 MiB socket\n"
	    "                      buffers (forced when permitted), 1 MiB packets:\n"
	    "                      the baseline of every ratio\n"
	    "        stream        copy over AF_UNIX SOCK_STREAM, default buffers,\n"
	    "                      length-prefixed\n"
	    "        pipe          copy through a pipe (1 MiB when allowed)\n"
	    "        ring          unsealed shared ring, atomics + futex: no safety\n"
	    "                      at all, the ceiling\n"
	    "  -s, --sizes LIST      message sizes (K, M, G, T suffixes), default\n"
	    "                        4K,64K,1M,16M,64M; from 16 bytes to 1 GiB\n"
	    "  -c, --consumers N     consumers, each gets every message (default 1,\n"
	    "                        at most %u); sshm, sshm-write, sshm-pool and\n"
	    "                        plain-sealed send one sealed region to all,\n"
	    "                        sshm-auto calls channels_send_bytes for all,\n"
	    "                        seqpacket, stream and pipe send N copies, ring\n"
	    "                        is read in place\n"
	    "  -r, --reps R          repetitions of every cell (default %u)\n"
	    "  -t, --seconds S       measured time per cell, at least (default %g)\n"
	    "      --warmup S        warm-up time per cell, at least (default %g;\n"
	    "                        0: the warm-up windows only)\n"
	    "  -b, --bytes N         measured payload per cell and consumer instead\n"
	    "  -n, --messages N      measured messages per cell instead\n"
	    "      --window N        regions each producer channel may have in flight,\n"
	    "                        1 to %u (default %u); a library consumer grants\n"
	    "                        %u at most\n"
	    "      --budget SIZE     their bytes (default %s); a library consumer\n"
	    "                        grants %s at most; a larger region goes alone\n"
	    "      --pin             the producer on the first CPU allowed, the\n"
	    "                        consumers round the others (sharing when fewer)\n"
	    "      --csv             CSV on standard output, one row per method and\n"
	    "                        size; the header lines go to standard error\n"
	    "  -l, --latency         round trips instead: 64 B and 4 KiB inline\n"
	    "                        through the library, 4 KiB as a new sealed\n"
	    "                        region each time, raw seqpacket 64 B and 4 KiB;\n"
	    "                        median and 99th percentile\n"
	    "      --round-trips N   per latency test (default %lu)\n"
	    "      --prefault        consumers map with SSHM_POLICY_PREFAULT\n"
	    "                        (plain-sealed: populated); not with --latency\n"
	    "      --hugepage        sshm regions with SSHM_REGION_HUGEPAGE, pools with\n"
	    "                        SSHM_POOL_HUGEPAGE, plain-sealed filled through an\n"
	    "                        advised mapping; shmem THP decides the rest\n"
	    "  -h, --help            show this help and exit\n"
	    "  -V, --version         show the version and exit\n"
	    "\n"
	    "Per size: GB/s is payload delivered to all consumers per second (1e9\n"
	    "bytes), msgs/s counts deliveries; the ratios are to seqpacket and, for\n"
	    "sealed methods, to ring in the same run; \"spread\" is (max - min) /\n"
	    "median of the reps' rates; \"messages\" were measured in the median rep;\n"
	    "\"in flight\" is the most bytes any producer channel held unreleased\n"
	    "after a send, over every rep.  Progress goes to a terminal's stderr.\n"
	    "\n"
	    "Exit status: 0 success, 1 usage error, 2 a consumer saw wrong or\n"
	    "missing data (or a wrong reply with --latency),\n"
	    "3 any other failure (each is reported on standard error).\n",
	    tool_name, WARMUP_WINDOWS, MEASURE_WINDOWS, MIN_MESSAGES, COOL_WINDOWS,
	    MAX_CONSUMERS, DEFAULT_REPS, DEFAULT_SECONDS, DEFAULT_WARMUP, WINDOW_MAX,
	    SSHM_WINDOW_DEFAULT, SSHM_WINDOW_DEFAULT, budget, budget,
	    DEFAULT_ROUND_TRIPS);
}

static const struct method *method_named(const char *name)
{
	unsigned int k;

	for (k = 0; k < methods_count; k++)
		if (strcmp(name, methods_all[k]->name) == 0)
			return methods_all[k];
	return NULL;
}

static void method_add(struct options *o, const struct method *m)
{
	unsigned int k;

	for (k = 0; k < o->n_methods; k++)
		if (o->methods[k] == m)
			return;
	o->methods[o->n_methods++] = m;
}

static void method_unknown(const char *name)
{
	char list[256] = "";
	size_t n = 0;
	unsigned int k;

	for (k = 0; k < methods_count && n < sizeof(list); k++)
		n += (size_t)snprintf(list + n, sizeof(list) - n, "%s, ",
				      methods_all[k]->name);
	tool_error(0, "--methods: unknown method '%s' (%sall)", name, list);
}

static int parse_methods(const char *arg, struct options *o)
{
	char *copy, *tok, *save = NULL;
	const struct method *m;
	unsigned int k;
	int r = 0;

	copy = strdup(arg);
	if (!copy)
		return -ENOMEM;
	o->n_methods = 0;
	for (tok = strtok_r(copy, ",", &save); tok && !r;
	     tok = strtok_r(NULL, ",", &save)) {
		if (strcmp(tok, "all") == 0) {
			for (k = 0; k < methods_count; k++)
				method_add(o, methods_all[k]);
		} else if ((m = method_named(tok))) {
			method_add(o, m);
		} else {
			method_unknown(tok);
			r = -EINVAL;
		}
	}
	free(copy);
	if (!r && o->n_methods == 0) {
		tool_error(0, "--methods: empty list");
		r = -EINVAL;
	}
	return r;
}

static int parse_sizes(const char *arg, struct options *o)
{
	char *copy, *tok, *save = NULL;
	uint64_t size;
	int r = 0;

	copy = strdup(arg);
	if (!copy)
		return -ENOMEM;
	o->n_sizes = 0;
	for (tok = strtok_r(copy, ",", &save); tok && !r;
	     tok = strtok_r(NULL, ",", &save)) {
		if (tool_parse_size(tok, &size) < 0 || size < MIN_SIZE ||
		    size > MAX_SIZE) {
			tool_error(0,
				   "--sizes: '%s' is not a size from %u bytes to 1 GiB",
				   tok, MIN_SIZE);
			r = -EINVAL;
		} else if (o->n_sizes == MAX_SIZES) {
			tool_error(0, "--sizes: more than %u sizes", MAX_SIZES);
			r = -EINVAL;
		} else {
			o->sizes[o->n_sizes++] = size;
		}
	}
	free(copy);
	if (!r && o->n_sizes == 0) {
		tool_error(0, "--sizes: empty list");
		r = -EINVAL;
	}
	return r;
}

static int parse_positive_size(const char *opt, const char *arg, uint64_t *ret)
{
	if (tool_parse_size(arg, ret) < 0 || *ret == 0) {
		tool_error(0, "%s: '%s' is not a positive size", opt, arg);
		return -EINVAL;
	}
	return 0;
}

static int parse_uint(const char *opt, const char *arg, unsigned long max,
		      unsigned int *ret)
{
	unsigned long v;

	if (tool_parse_count(opt, arg, max, &v) < 0)
		return -EINVAL;
	*ret = (unsigned int)v;
	return 0;
}

static void options_default(struct options *o)
{
	static const uint64_t default_sizes[] = {
		(uint64_t)4 << 10,  (uint64_t)64 << 10, (uint64_t)1 << 20,
		(uint64_t)16 << 20, (uint64_t)64 << 20,
	};
	unsigned int k;

	memset(o, 0, sizeof(*o));
	for (k = 0; k < ELEMENTSOF(default_sizes); k++)
		o->sizes[o->n_sizes++] = default_sizes[k];
	for (k = 0; k < methods_count; k++)
		if (!(methods_all[k]->flags & METHOD_OPT_IN))
			method_add(o, methods_all[k]);
	o->consumers = 1;
	o->reps = DEFAULT_REPS;
	o->seconds = DEFAULT_SECONDS;
	o->warmup = DEFAULT_WARMUP;
	o->round_trips = DEFAULT_ROUND_TRIPS;
}

enum {
	OPT_CSV = 256,
	OPT_ROUND_TRIPS,
	OPT_PREFAULT,
	OPT_HUGEPAGE,
	OPT_WARMUP,
	OPT_WINDOW,
	OPT_BUDGET,
	OPT_PIN,
};

static const struct option longopts[] = {
	{ "methods", required_argument, NULL, 'm' },
	{ "sizes", required_argument, NULL, 's' },
	{ "consumers", required_argument, NULL, 'c' },
	{ "reps", required_argument, NULL, 'r' },
	{ "seconds", required_argument, NULL, 't' },
	{ "warmup", required_argument, NULL, OPT_WARMUP },
	{ "bytes", required_argument, NULL, 'b' },
	{ "messages", required_argument, NULL, 'n' },
	{ "window", required_argument, NULL, OPT_WINDOW },
	{ "budget", required_argument, NULL, OPT_BUDGET },
	{ "pin", no_argument, NULL, OPT_PIN },
	{ "csv", no_argument, NULL, OPT_CSV },
	{ "latency", no_argument, NULL, 'l' },
	{ "round-trips", required_argument, NULL, OPT_ROUND_TRIPS },
	{ "prefault", no_argument, NULL, OPT_PREFAULT },
	{ "hugepage", no_argument, NULL, OPT_HUGEPAGE },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

/* How long a cell's measured phase is: one of the three, once. */
static int parse_length(int c, const char *arg, struct options *o, unsigned int *given)
{
	(*given)++;
	switch (c) {
	case 't':
		return parse_seconds("--seconds", arg, 0, &o->seconds);
	case 'b':
		return parse_positive_size("--bytes", arg, &o->bytes);
	default:
		return tool_parse_count("--messages", arg, COUNT_MAX, &o->messages);
	}
}

/* One option: 0, 1 to exit successfully (--help), or negative. */
static int parse_one(int c, const char *arg, struct options *o, unsigned int *given)
{
	switch (c) {
	case 'm':
		return parse_methods(arg, o);
	case 's':
		return parse_sizes(arg, o);
	case 'c':
		return parse_uint("--consumers", arg, MAX_CONSUMERS, &o->consumers);
	case 'r':
		return parse_uint("--reps", arg, MAX_REPS, &o->reps);
	case 't':
	case 'b':
	case 'n':
		return parse_length(c, arg, o, given);
	case OPT_WARMUP:
		return parse_seconds("--warmup", arg, 1, &o->warmup);
	case OPT_WINDOW:
		return parse_uint("--window", arg, WINDOW_MAX, &o->window);
	case OPT_BUDGET:
		return parse_positive_size("--budget", arg, &o->budget);
	case OPT_ROUND_TRIPS:
		return tool_parse_count("--round-trips", arg, 100000000, &o->round_trips);
	case OPT_PIN:
		o->pin.on = 1;
		return 0;
	case OPT_CSV:
		o->csv = 1;
		return 0;
	case 'l':
		o->latency = 1;
		return 0;
	case OPT_PREFAULT:
		o->prefault = 1;
		return 0;
	case OPT_HUGEPAGE:
		o->hugepage = 1;
		return 0;
	case 'h':
		usage();
		return 1;
	case 'V':
		tool_version();
		return 1;
	default:
		return -EINVAL;
	}
}

/* What the options say together. */
static int options_check(const struct options *o, unsigned int given)
{
	unsigned int k;

	if (given > 1) {
		tool_error(0, "use one of --seconds, --bytes and --messages, once");
		return -EINVAL;
	}
	if (o->latency && o->consumers != 1) {
		tool_error(0, "--latency measures one consumer");
		return -EINVAL;
	}
	for (k = 0; k < o->n_sizes && o->bytes; k++) {
		if (o->bytes / o->sizes[k] > COUNT_MAX) {
			tool_error(0, "--bytes: more than %lu messages", COUNT_MAX);
			return -EINVAL;
		}
	}
	return 0;
}

static int parse_options(int argc, char **argv, struct options *o)
{
	unsigned int given = 0;
	int c, r;

	options_default(o);
	while ((c = getopt_long(argc, argv, "m:s:c:r:t:b:n:lhV", longopts, NULL)) != -1) {
		r = parse_one(c, optarg, o, &given);
		if (r)
			return r;
	}
	if (optind < argc) {
		tool_error(0, "unexpected argument '%s'", argv[optind]);
		return -EINVAL;
	}
	return options_check(o, given);
}

/* One cell: set up, run, report; its figures in @run.  0, 1 or 2. */
static int run_cell(const struct options *o, struct cell *c, unsigned int rep,
		    struct run *run, char *last_note, size_t note_len)
{
	char label[64], sz[32], why[160] = "";
	int f, r;

	snprintf(label, sizeof(label), "%s, %s", c->method->name,
		 format_size(c->size, sz, sizeof(sz)));
	if (o->progress)
		fprintf(stderr, "\r\033[K%s: rep %u: %s", tool_name, rep + 1, label);
	r = cell_setup(c);
	if (r < 0)
		snprintf(why, sizeof(why), "set up: %s", sshm_strerror(r));
	else
		r = run_children(c, why, sizeof(why));
	/* Setup compromises, once each. */
	if (c->note[0] && strcmp(c->note, last_note)) {
		progress_clear(o);
		tool_error(0, "note: %s", c->note);
		snprintf(last_note, note_len, "%s", c->note);
	}
	f = c->sh ? report_failures(o, c, label, rep, r, why) : 1;
	if (f == 0)
		cell_result(c, run);
	cell_free(c);
	return f;
}

static int run_throughput(const struct options *o)
{
	const unsigned int nm = o->n_methods, R = o->reps;
	unsigned int rep, s, k;
	char last_note[160] = "";
	struct run *runs;
	struct cell c;
	int worst = 0, f;

	runs = calloc((size_t)R * o->n_sizes * nm, sizeof(*runs));
	if (!runs) {
		tool_error(-ENOMEM, "allocate results");
		return TOOL_EXIT_SYSTEM;
	}
	for (rep = 0; rep < R; rep++) {
		for (s = 0; s < o->n_sizes; s++) {
			for (k = 0; k < nm; k++) {
				cell_init(&c, o, o->methods[k], o->sizes[s]);
				f = run_cell(o, &c, rep,
					     &runs[((size_t)s * nm + k) * R + rep],
					     last_note, sizeof(last_note));
				worst = f > worst ? f : worst;
			}
		}
	}
	progress_clear(o);
	if (o->csv)
		print_csv(o, runs);
	else
		print_table(o, runs);
	free(runs);
	return worst == 2 ? TOOL_EXIT_REFUSED : worst ? TOOL_EXIT_SYSTEM : TOOL_EXIT_OK;
}

int main(int argc, char **argv)
{
	struct options o;
	int r;

	tool_name = "sshm-bench";
	/* A consumer that died must show up as EPIPE, not kill the producer. */
	signal(SIGPIPE, SIG_IGN);
	argv[0] = (char *)tool_name;
	r = parse_options(argc, argv, &o);
	if (r > 0)
		return TOOL_EXIT_OK;
	if (r < 0)
		return tool_usage_error();
	o.progress = isatty(STDERR_FILENO);
	if (o.pin.on) {
		r = pin_plan(o.consumers, &o.pin);
		if (r < 0) {
			tool_error(r, "--pin: the CPUs allowed");
			return TOOL_EXIT_SYSTEM;
		}
	}
	print_header(&o);
	return o.latency ? run_latency(&o) : run_throughput(&o);
}
