/* SPDX-License-Identifier: MIT */
/*
 * report - what a run says: what it was measured on and how, every failure
 * on standard error, and per size a line per method (text) or a row per
 * method and size (CSV) with the median repetition, the spread of the
 * repetitions, the ratios to the copy baseline and, for sealed methods, to
 * the ceiling, all measured in the same run, and the most bytes the
 * producer had in flight.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "bench.h"
#include "../features.h"

void progress_clear(const struct options *o)
{
	if (o->progress)
		fputs("\r\033[K", stderr);
}

static void system_line(FILE *f, const char *prefix)
{
	char thp[64];
	struct utsname u;

	if (feature_shmem_thp(thp, sizeof(thp)) < 0)
		snprintf(thp, sizeof(thp), "unknown");
	if (uname(&u) < 0)
		memset(&u, 0, sizeof(u));
	fprintf(f, "%s%s %s: %s %s %s, %ld CPUs online, shmem THP %s\n", prefix,
		tool_name, PACKAGE_VERSION, u.sysname, u.release, u.machine,
		sysconf(_SC_NPROCESSORS_ONLN), thp);
}

static void setup_line(FILE *f, const char *prefix, const struct options *o)
{
	const struct placement *p = &o->pin;
	char pin[8 * (MAX_CONSUMERS + 1)];

	fprintf(f, "%s%u consumer%s", prefix, o->consumers, o->consumers > 1 ? "s" : "");
	if (!o->latency)
		fprintf(f, ", %u rep%s (median shown, methods interleaved)", o->reps,
			o->reps > 1 ? "s" : "");
	fprintf(f, "%s%s", o->prefault ? ", consumers prefault" : "",
		o->hugepage ? ", huge-page regions" : "");
	if (!p->on) {
		fprintf(f, ", not pinned\n");
		return;
	}
	fprintf(f, ", pinned to CPUs %s (producer/consumers)",
		pin_describe(p, o->latency ? 1 : o->consumers, pin, sizeof(pin)));
	if (p->ncpus < 2)
		fprintf(f, ", one CPU: all share it");
	else if (!o->latency && p->ncpus < o->consumers + 1)
		fprintf(f, ", %u CPUs: consumers share", p->ncpus);
	fputc('\n', f);
}

static void limits_line(FILE *f, const char *prefix, const struct options *o)
{
	unsigned int window;
	uint64_t budget;
	char b[32];

	limits_effective(o, &window, &budget);
	fprintf(f, "%sin flight per channel: window %u, budget %s (%s)\n", prefix, window,
		format_bytes(budget, b, sizeof(b)),
		o->window || o->budget
		    ? "--window/--budget, at most what a library consumer announces"
		    : "the library's defaults");
}

static void cell_line(FILE *f, const char *prefix, const struct options *o)
{
	fprintf(f, "%sa cell: %u windows and %g s of warm-up, then ", prefix,
		WARMUP_WINDOWS, o->warmup);
	if (o->messages)
		fprintf(f, "%lu messages", o->messages);
	else if (o->bytes)
		fprintf(f, "%llu bytes per consumer", (unsigned long long)o->bytes);
	else
		fprintf(f, "%g s", o->seconds);
	fprintf(f,
		" measured (at least %u windows and %u messages), then %u window%s "
		"of cool-down\n",
		MEASURE_WINDOWS, MIN_MESSAGES, COOL_WINDOWS, COOL_WINDOWS > 1 ? "s" : "");
}

/* What the numbers were measured on and how; CSV keeps it on stderr. */
void print_header(const struct options *o)
{
	FILE *f = o->csv ? stderr : stdout;
	const char *prefix = o->csv ? "# " : "";
	char buf[256];

	system_line(f, prefix);
	setup_line(f, prefix, o);
	if (!o->latency) {
		limits_line(f, prefix, o);
		cell_line(f, prefix, o);
	}
	if (seqpacket_describe(buf, sizeof(buf)) == 0)
		fprintf(f, "%s%s\n", prefix, buf);
	fflush(f);
}

/* A consumer's failure, or its count or timing that does not add up. */
static int consumer_failure(const struct cell *c, unsigned int j, char *buf, size_t len)
{
	const struct outcome *out = &c->sh->cons[j], *prod = &c->sh->prod;

	if (out->err) {
		snprintf(buf, len, "%s", out->what);
		return out->corrupt ? 2 : 1;
	}
	if (c->lat || c->culled || prod->err)
		return 0;
	if (out->messages != prod->messages) {
		snprintf(buf, len, "received %llu of %llu messages",
			 (unsigned long long)out->messages,
			 (unsigned long long)prod->messages);
		return 2;
	}
	if (!out->t_start || !out->t_end || out->t_end < out->t_start) {
		snprintf(buf, len, "no measured phase seen");
		return 1;
	}
	return 0;
}

/* Prints every failure of a cell; 2 for wrong data, 1 for other errors, 0 ok. */
int report_failures(const struct options *o, const struct cell *c, const char *label,
		    unsigned int rep, int r, const char *why)
{
	const struct outcome *prod = &c->sh->prod;
	int worst = 0, f;
	unsigned int j;
	char what[200];

	progress_clear(o);
	if (r < 0) {
		tool_error(0, "%s, rep %u: %s", label, rep + 1, why);
		return 1;
	}
	for (j = 0; j < c->consumers; j++) {
		f = consumer_failure(c, j, what, sizeof(what));
		if (f)
			tool_error(0, "%s, rep %u: consumer %u: %s", label, rep + 1, j,
				   what);
		if (f > worst)
			worst = f;
	}
	/* Last: its errors are mostly the consumers' failures seen from afar. */
	if (prod->err) {
		tool_error(0, "%s, rep %u: producer: %s", label, rep + 1, prod->what);
		f = prod->corrupt ? 2 : 1;
		if (f > worst)
			worst = f;
	}
	return worst;
}

/* A successful cell's figures: the consumers' measured spans, merged. */
void cell_result(const struct cell *c, struct run *run)
{
	const uint64_t warm = atomic_load(&c->sh->warm_end);
	const uint64_t end = atomic_load(&c->sh->measure_end);
	uint64_t t0 = UINT64_MAX, t1 = 0;
	char a[32], b[32];
	unsigned int j;

	for (j = 0; j < c->consumers; j++) {
		if (c->sh->cons[j].t_start < t0)
			t0 = c->sh->cons[j].t_start;
		if (c->sh->cons[j].t_end > t1)
			t1 = c->sh->cons[j].t_end;
	}
	run->ok = t1 > t0 && end != PHASE_UNSET && end > warm;
	run->messages = run->ok ? end - warm : 0;
	run->warmup = warm;
	run->seconds = run->ok ? (double)(t1 - t0) / 1e9 : 0;
	run->inflight_max = c->sh->prod.inflight_max;
	/* A region larger than the budget travels alone: more is a finding. */
	if ((c->method->flags & METHOD_LIMITED) && run->inflight_max > c->budget &&
	    run->inflight_max > c->size)
		tool_error(0, "%s, %s: %s in flight, above the budget of %s",
			   c->method->name, format_size(c->size, a, sizeof(a)),
			   format_bytes(run->inflight_max, b, sizeof(b)),
			   format_bytes(c->budget, a, sizeof(a)));
}

static double run_rate(const struct run *r)
{
	return (double)r->messages / r->seconds;
}

static int cmp_run(const void *a, const void *b)
{
	const double x = run_rate(*(const struct run *const *)a);
	const double y = run_rate(*(const struct run *const *)b);

	return x < y ? -1 : x > y;
}

/* The median rep (the lower one of an even count: a real run), or NULL if
 * any rep failed. */
static const struct run *median_run(const struct run *runs, unsigned int n)
{
	const struct run *sorted[MAX_REPS];
	unsigned int k;

	for (k = 0; k < n; k++) {
		if (!runs[k].ok)
			return NULL;
		sorted[k] = &runs[k];
	}
	qsort(sorted, n, sizeof(sorted[0]), cmp_run);
	return sorted[(n - 1) / 2];
}

/* (max - min) / median of the reps' rates, in percent: how noisy a cell was. */
static double spread(const struct run *runs, unsigned int n, const struct run *median)
{
	double lo = run_rate(&runs[0]), hi = lo, v;
	unsigned int k;

	for (k = 1; k < n; k++) {
		v = run_rate(&runs[k]);
		lo = v < lo ? v : lo;
		hi = v > hi ? v : hi;
	}
	return 100 * (hi - lo) / run_rate(median);
}

/* The most any rep had in flight: the claim is about every one. */
static uint64_t inflight_max(const struct run *runs, unsigned int n)
{
	uint64_t m = 0;
	unsigned int k;

	for (k = 0; k < n; k++)
		if (runs[k].inflight_max > m)
			m = runs[k].inflight_max;
	return m;
}

/* One method at one size, everything a line or a row shows. */
struct line {
	const struct method *method;
	const struct run *cell;	    /* its reps */
	const struct run *median;   /* NULL: failed */
	double rate;		    /* deliveries per second */
	double vs_base, vs_ceiling; /* 0: not shown */
};

/* The median of @m at size @s, or NULL when it was not run or failed. */
static const struct run *median_of(const struct options *o, const struct run *runs,
				   unsigned int s, const struct method *m)
{
	unsigned int k;

	for (k = 0; m && k < o->n_methods; k++)
		if (o->methods[k] == m)
			return median_run(runs + ((size_t)s * o->n_methods + k) * o->reps,
					  o->reps);
	return NULL;
}

static void line_at(const struct options *o, const struct run *runs, unsigned int s,
		    unsigned int k, struct line *l)
{
	const struct run *base = median_of(o, runs, s, method_with(METHOD_BASELINE));
	const struct run *ceil = median_of(o, runs, s, method_with(METHOD_CEILING));

	memset(l, 0, sizeof(*l));
	l->method = o->methods[k];
	l->cell = runs + ((size_t)s * o->n_methods + k) * o->reps;
	l->median = median_run(l->cell, o->reps);
	if (!l->median)
		return;
	l->rate = run_rate(l->median) * o->consumers;
	if (base)
		l->vs_base = run_rate(l->median) / run_rate(base);
	if (ceil && (l->method->flags & METHOD_SEALED))
		l->vs_ceiling = run_rate(l->median) / run_rate(ceil);
}

static void print_ratio(double v, int width)
{
	if (v > 0)
		printf(" %*.2fx", width - 1, v);
	else
		printf(" %*s", width, "-");
}

static void print_line(const struct options *o, const struct line *l, uint64_t size)
{
	char b[32];

	if (!l->median) {
		printf("%-12s %8s\n", l->method->name, "FAILED");
		return;
	}
	printf("%-12s %8.3f %11.0f", l->method->name, l->rate * (double)size / 1e9,
	       l->rate);
	print_ratio(l->vs_base, 12);
	print_ratio(l->vs_ceiling, 8);
	if (o->reps > 1)
		printf(" %6.0f%%", spread(l->cell, o->reps, l->median));
	else
		printf(" %7s", "-");
	printf(" %9llu %8.3f", (unsigned long long)l->median->messages,
	       l->median->seconds);
	if (l->method->flags & METHOD_LIMITED)
		printf(" %10s\n",
		       format_bytes(inflight_max(l->cell, o->reps), b, sizeof(b)));
	else
		printf(" %10s\n", "-");
}

void print_table(const struct options *o, const struct run *runs)
{
	const struct method *base = method_with(METHOD_BASELINE);
	const struct method *ceil = method_with(METHOD_CEILING);
	char sz[32], vs_base[32], vs_ceil[32];
	struct plan p;
	struct line l;
	unsigned int s, k;

	snprintf(vs_base, sizeof(vs_base), "vs %s", base ? base->name : "-");
	snprintf(vs_ceil, sizeof(vs_ceil), "vs %s", ceil ? ceil->name : "-");
	for (s = 0; s < o->n_sizes; s++) {
		plan_size(o, o->sizes[s], &p);
		printf(
		    "\n%s (%llu bytes), %u consumer%s; messages in flight at most %llu, "
		    "warm-up %llu+, measured %llu+, cool-down %llu\n",
		    format_size(o->sizes[s], sz, sizeof(sz)),
		    (unsigned long long)o->sizes[s], o->consumers,
		    o->consumers > 1 ? "s" : "", (unsigned long long)p.window,
		    (unsigned long long)p.warm_min,
		    (unsigned long long)(p.count ? p.count : p.measure_min),
		    (unsigned long long)p.cool);
		printf("%-12s %8s %11s %12s %8s %7s %9s %8s %10s\n", "method", "GB/s",
		       "msgs/s", vs_base, vs_ceil, "spread", "messages", "seconds",
		       "in flight");
		for (k = 0; k < o->n_methods; k++) {
			line_at(o, runs, s, k, &l);
			print_line(o, &l, o->sizes[s]);
		}
	}
}

static void csv_ratio(double v)
{
	if (v > 0)
		printf(",%.4f", v);
	else
		printf(",");
}

static void csv_row(const struct options *o, const struct line *l, uint64_t size,
		    const char *pin)
{
	unsigned int window;
	uint64_t budget;

	limits_effective(o, &window, &budget);
	printf("%s,%llu,%u", l->method->name, (unsigned long long)size, o->consumers);
	if (l->median)
		printf(",%llu,%.6f,%.1f,%.4f,%u", (unsigned long long)l->median->messages,
		       l->median->seconds, l->rate, l->rate * (double)size / 1e9,
		       o->reps);
	else
		printf(",,,,,%u", o->reps);
	if (l->median && o->reps > 1)
		printf(",%.1f", spread(l->cell, o->reps, l->median));
	else
		printf(",");
	csv_ratio(l->vs_base);
	csv_ratio(l->vs_ceiling);
	if (l->median)
		printf(",%llu", (unsigned long long)l->median->warmup);
	else
		printf(",");
	printf(",%u,%llu", window, (unsigned long long)budget);
	if (l->method->flags & METHOD_LIMITED)
		printf(",%llu", (unsigned long long)inflight_max(l->cell, o->reps));
	else
		printf(",");
	printf(",%s,%s\n", pin, l->median ? "ok" : "failed");
}

void print_csv(const struct options *o, const struct run *runs)
{
	const struct method *base = method_with(METHOD_BASELINE);
	const struct method *ceil = method_with(METHOD_CEILING);
	struct line l;
	unsigned int s, k;
	char pin[8 * (MAX_CONSUMERS + 1)];

	pin_describe(&o->pin, o->consumers, pin, sizeof(pin));
	printf("method,size,consumers,messages,seconds,msgs_per_s,gb_per_s,reps,"
	       "spread_pct,vs_%s,vs_%s,warmup_messages,window,budget,"
	       "inflight_max_bytes,pin,status\n",
	       base ? base->name : "baseline", ceil ? ceil->name : "ceiling");
	for (s = 0; s < o->n_sizes; s++) {
		for (k = 0; k < o->n_methods; k++) {
			line_at(o, runs, s, k, &l);
			csv_row(o, &l, o->sizes[s], pin);
		}
	}
}
