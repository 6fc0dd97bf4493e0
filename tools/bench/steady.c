/* SPDX-License-Identifier: MIT */
/*
 * steady - the loops of a throughput cell, phase by phase (plan.c says how
 * long each is).
 *
 * The producer decides where the warm-up and the measured phase end, as
 * it goes, and publishes each boundary in the shared page before it sends
 * the message that starts the next phase.  A consumer that holds message
 * i therefore knows whether i starts a phase, and the time it takes is
 * the time it verified the message before: the measured span of a
 * consumer runs from its last warm-up message verified to its last
 * measured message verified, and counts exactly the measured messages.
 * Both ends fall in a full pipeline: the cool-down keeps the producer
 * sending after the last measured message.
 */
#include "bench.h"

/* Past this the warm-up ends whatever the plan says (and the measured phase
 * before MAX_MESSAGES): the ring counts 31 bits. */
#define LAST_START (MAX_MESSAGES / 2)

static int warm_done(const struct plan *p, uint64_t i, uint64_t elapsed)
{
	return (i >= p->warm_min && elapsed >= p->warm_ns) || i >= LAST_START;
}

static int measure_done(const struct plan *p, uint64_t n, uint64_t i, uint64_t elapsed)
{
	if (i + p->cool >= MAX_MESSAGES)
		return 1;
	if (p->count)
		return n >= p->count;
	return n >= p->measure_min && elapsed >= p->measure_ns;
}

void produce(struct cell *c, struct worker *w, struct outcome *out)
{
	enum { WARM_UP, MEASURED, COOL_DOWN } phase = WARM_UP;
	const struct plan *p = &c->plan;
	uint64_t i, warm = 0, stop = MAX_MESSAGES, t0 = now_ns();

	for (i = 0; i < stop; i++) {
		if (phase == WARM_UP && warm_done(p, i, now_ns() - t0)) {
			phase = MEASURED;
			warm = i;
			t0 = now_ns();
			atomic_store(&c->sh->warm_end, i);
		} else if (phase == MEASURED &&
			   measure_done(p, i - warm, i, now_ns() - t0)) {
			phase = COOL_DOWN;
			stop = i + p->cool;
			atomic_store(&c->sh->measure_end, i);
		}
		if (c->method->send(c, w, out, i) < 0)
			break;
	}
	out->messages = i;
	if (c->method->finish)
		c->method->finish(c, w, out, i);
}

void consume(struct cell *c, struct worker *w, struct outcome *out, unsigned int j)
{
	uint64_t i, t_prev = now_ns();

	for (i = 0;; i++) {
		if (c->method->recv(c, w, out, j, i) <= 0)
			break;
		/* Message i is here: any boundary at i was published before it. */
		if (i == atomic_load(&c->sh->warm_end))
			out->t_start = t_prev;
		if (i == atomic_load(&c->sh->measure_end))
			out->t_end = t_prev;
		out->messages = i + 1;
		t_prev = now_ns();
	}
}
