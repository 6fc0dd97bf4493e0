/* SPDX-License-Identifier: MIT */
/*
 * pin - --pin: each process of a cell on a CPU of its own, as the owner's
 * tuned baseline was measured, so that the scheduler moving a process (and
 * its cache) between CPUs is not part of a method's cost.
 *
 * The CPUs are those this process may run on (sched_getaffinity(2)), in
 * order: the producer gets the first to itself, the consumers go round
 * the others.  With fewer CPUs than processes consumers share (2 CPUs, 4
 * consumers: the producer on the first, all four consumers on the
 * second); with one CPU everything shares it.  A thread a process starts
 * (sshm-pool's refill thread) stays on its CPU.  The parent is not pinned:
 * it sleeps while a cell runs.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include "bench.h"

int pin_plan(unsigned int consumers, struct placement *p)
{
	int cpus[MAX_CONSUMERS + 1];
	unsigned int n = 0, j;
	cpu_set_t set;
	int k;

	memset(p, 0, sizeof(*p));
	if (sched_getaffinity(0, sizeof(set), &set) < 0)
		return -errno;
	p->ncpus = (unsigned int)CPU_COUNT(&set);
	for (k = 0; k < CPU_SETSIZE && n <= consumers; k++)
		if (CPU_ISSET(k, &set))
			cpus[n++] = k;
	if (n == 0)
		return -ENODEV;
	p->on = 1;
	p->producer = cpus[0];
	for (j = 0; j < consumers; j++)
		p->consumer[j] = n > 1 ? cpus[1 + j % (n - 1)] : cpus[0];
	return 0;
}

int pin_self(const struct placement *p, int role)
{
	cpu_set_t set;
	int cpu;

	if (!p->on)
		return 0;
	cpu = role == ROLE_PRODUCER ? p->producer : p->consumer[role];
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) < 0 ? -errno : 0;
}

const char *pin_describe(const struct placement *p, unsigned int consumers, char *buf,
			 size_t len)
{
	size_t n;
	unsigned int j;

	if (!p->on) {
		snprintf(buf, len, "none");
		return buf;
	}
	n = (size_t)snprintf(buf, len, "%d", p->producer);
	for (j = 0; j < consumers && n < len; j++)
		n += (size_t)snprintf(buf + n, len - n, "%c%d", j ? '+' : '/',
				      p->consumer[j]);
	return buf;
}
