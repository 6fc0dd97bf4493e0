/* SPDX-License-Identifier: MIT */
/*
 * stats - what --stats prints at exit: the figures of
 * sshm_channel_stats(3), summed over every connection of the run (a
 * server that ran for a week has served too many to list one by one),
 * and what happened to the connections themselves.
 */
#include <errno.h>

#include "recv.h"

/* The channel's counters only grow: its last figures are its whole
 * contribution.  Taken just before the channel goes. */
void stats_add_channel(struct totals *t, const struct sshm_channel *ch)
{
	struct sshm_channel_stats s;
	size_t i;

	if (sshm_channel_stats(ch, &s, sizeof(s)) < 0)
		return;
	t->ch.received += s.received;
	t->ch.received_bytes += s.received_bytes;
	t->ch.refused += s.refused;
	for (i = 0; i < ELEMENTSOF(s.refused_by); i++)
		t->ch.refused_by[i] += s.refused_by[i];
	t->ch.released += s.released;
	t->ch.release_packets += s.release_packets;
}

/* A refusal with a plain errno: the library counts those together
 * (refused_by[0]), the tool by code, in the first free slot. */
void stats_add_errno(struct totals *t, int err)
{
	size_t i;

	if (err <= -SSHM_EBASE || err >= 0)
		return;
	for (i = 0; i < RECV_ERRNO_SLOTS; i++) {
		if (t->errnos[i] == err || t->errnos[i] == 0) {
			t->errnos[i] = err;
			t->errno_count[i]++;
			return;
		}
	}
}

static void print_refusals(const struct totals *t)
{
	uint64_t named = 0;
	size_t i;

	for (i = 0; i < RECV_ERRNO_SLOTS && t->errnos[i]; i++) {
		fprintf(stderr, "%s: stats: refused %llu: %s\n", tool_name,
			(unsigned long long)t->errno_count[i],
			sshm_strerror(t->errnos[i]));
		named += t->errno_count[i];
	}
	if (t->ch.refused_by[0] > named)
		fprintf(stderr, "%s: stats: refused %llu: other system errors\n",
			tool_name, (unsigned long long)(t->ch.refused_by[0] - named));
	for (i = 1; i < ELEMENTSOF(t->ch.refused_by); i++) {
		if (!t->ch.refused_by[i])
			continue;
		fprintf(stderr, "%s: stats: refused %llu: %s\n", tool_name,
			(unsigned long long)t->ch.refused_by[i],
			sshm_strerror(-(int)(SSHM_EBASE + i)));
	}
}

void stats_print(const struct totals *t, int listening)
{
	flockfile(stderr);
	if (listening)
		fprintf(
		    stderr,
		    "%s: stats: connections %llu served, %llu refused, %llu turned away, "
		    "%llu timed out, %llu dropped\n",
		    tool_name, (unsigned long long)t->served,
		    (unsigned long long)t->refused, (unsigned long long)t->turned_away,
		    (unsigned long long)t->timed_out, (unsigned long long)t->dropped);
	fprintf(stderr, "%s: stats: messages %llu received (%llu bytes), %llu refused\n",
		tool_name, (unsigned long long)t->ch.received,
		(unsigned long long)t->ch.received_bytes,
		(unsigned long long)t->ch.refused);
	print_refusals(t);
	fprintf(stderr, "%s: stats: releases %llu regions in %llu packets\n", tool_name,
		(unsigned long long)t->ch.released,
		(unsigned long long)t->ch.release_packets);
	funlockfile(stderr);
}
