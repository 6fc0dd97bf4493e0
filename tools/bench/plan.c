/* SPDX-License-Identifier: MIT */
/*
 * plan - what a throughput cell runs.  A cell exchanges a steady stream,
 * not a first burst: the producer may have a window of messages in flight
 * (the library's window, or fewer when the budget holds fewer of the
 * size), so the cell runs
 *
 *   warm-up    at least WARMUP_WINDOWS windows and --warmup seconds,
 *              not measured: the pipeline fills, memory is recycled;
 *   measured   at least MEASURE_WINDOWS windows (and MIN_MESSAGES) and
 *              --seconds, or the count --messages or --bytes gives (never
 *              fewer than that minimum);
 *   cool-down  COOL_WINDOWS windows, not measured: the measured phase ends
 *              with the pipeline still full, not draining.
 *
 * Every method of a size runs the same minimum, whatever holds it back,
 * so that their cells are comparable.
 */
#include <string.h>

#include "bench.h"

/* Every method, in the order "all" runs them. */
const struct method *const methods_all[] = {
	&method_sshm,	   &method_sshm_write,	 &method_sshm_auto,
	&method_sshm_pool, &method_plain_sealed, &method_seqpacket,
	&method_stream,	   &method_pipe,	 &method_ring,
};
const unsigned int methods_count = ELEMENTSOF(methods_all);

_Static_assert(ELEMENTSOF(methods_all) <= MAX_METHODS, "MAX_METHODS too small");

const struct method *method_with(unsigned int flag)
{
	unsigned int k;

	for (k = 0; k < methods_count; k++)
		if (methods_all[k]->flags & flag)
			return methods_all[k];
	return NULL;
}

static uint64_t max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

void plan_size(const struct options *o, uint64_t size, struct plan *p)
{
	unsigned int window;
	uint64_t budget, per, total;

	memset(p, 0, sizeof(*p));
	limits_effective(o, &window, &budget);
	/* A message larger than the budget travels alone. */
	per = budget / size;
	p->window = per == 0 ? 1 : per < window ? per : window;
	p->warm_min = WARMUP_WINDOWS * p->window;
	p->warm_ns = (uint64_t)(o->warmup * 1e9);
	p->measure_min = max_u64(MEASURE_WINDOWS * p->window, MIN_MESSAGES);
	if (o->messages)
		p->count = max_u64(o->messages, p->measure_min);
	else if (o->bytes)
		p->count = max_u64(o->bytes / size, p->measure_min);
	else
		p->measure_ns = (uint64_t)(o->seconds * 1e9);
	p->cool = COOL_WINDOWS * p->window;
	/* A hang is a failure, but not before the least a cell moves had 10 MB/s. */
	total = p->warm_min + (p->count ? p->count : p->measure_min) + p->cool;
	p->timeout_s = p->count ? 600 : 60 + (uint64_t)(20 * (o->warmup + o->seconds));
	p->timeout_s += total * size * o->consumers / 10000000;
}

void cell_init(struct cell *c, const struct options *o, const struct method *m,
	       uint64_t size)
{
	memset(c, 0, sizeof(*c));
	c->o = o;
	c->method = m;
	c->size = size;
	c->consumers = o->consumers;
	limits_effective(o, &c->window, &c->budget);
	plan_size(o, size, &c->plan);
	c->setup = m->setup;
	c->prepare = m->prepare;
	c->produce = produce;
	c->consume = consume;
	c->cleanup = m->cleanup;
}
