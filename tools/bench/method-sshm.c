/* SPDX-License-Identifier: MIT */
/*
 * method-sshm - the library's ways to send, each against the same consumer
 * (sshm_channel_recv, read and check every byte, unref):
 *
 *   sshm        region_new + region_map + fill in place + seal + send
 *   sshm-write  fill a reused buffer, region_new + region_write + seal + send
 *   sshm-auto   fill a reused buffer, sshm_channel(s)_send_bytes(): whatever the
 *               library chooses for the size (inline, a region, a copy)
 *   sshm-pool   as sshm, the region from an sshm_pool with a refill thread
 *
 * The producer's channels hold to --window and --budget
 * (sshm_channel_set_limits()); after every send the producer samples its
 * channel's in-flight bytes (sshm_channel_stats()) and keeps the most.
 */
#include <errno.h>
#include <string.h>

#include "bench.h"

/* The deepest pool; never more regions than may be in flight (plan.c). */
#define POOL_DEPTH 8u

int sshm_link_pair(struct cell *c, struct link *l)
{
	int r;

	r = sshm_channel_pair(0, &l->prod_ch, &l->cons_ch);
	if (r < 0)
		return r;
	/* The producer keeps to these, and the consumer grants them (its
	 * LIMITS message): both sides set the same; 0 takes the default. */
	r = sshm_channel_set_limits(l->prod_ch, c->o->window, c->o->budget);
	if (r >= 0)
		r = sshm_channel_set_limits(l->cons_ch, c->o->window, c->o->budget);
	return r;
}

static int sshm_setup(struct cell *c)
{
	unsigned int j;
	int r;

	for (j = 0; j < c->consumers; j++) {
		r = sshm_link_pair(c, &c->link[j]);
		if (r < 0)
			return r;
	}
	return 0;
}

int sshm_track_inflight(struct outcome *out, struct sshm_channel *ch)
{
	struct sshm_channel_stats st;
	int r;

	r = sshm_channel_stats(ch, &st, sizeof(st));
	if (r < 0) {
		fail(out, r, 0, "channel stats");
		return r;
	}
	if (st.inflight_bytes > out->inflight_max)
		out->inflight_max = st.inflight_bytes;
	return 0;
}

static int buffer_prepare(struct cell *c, int role, struct worker *w)
{
	return role == ROLE_PRODUCER ? worker_buffer(w, c->size) : 0;
}

/*
 * Filled before the start, and never deeper than the in-flight window: the
 * timed part is the steady state, the refill thread keeping up or not, and
 * the pool's memory stays within the budget as the channel's does.
 */
static int pool_prepare(struct cell *c, int role, struct worker *w)
{
	unsigned int depth = c->plan.window < POOL_DEPTH ? (unsigned int)c->plan.window
							 : POOL_DEPTH;

	if (role != ROLE_PRODUCER)
		return 0;
	return sshm_pool_new(c->size, depth,
			     SSHM_POOL_MAP | SSHM_POOL_THREAD |
				 (c->o->hugepage ? SSHM_POOL_HUGEPAGE : 0),
			     &w->pool);
}

/* The same sealed region to every consumer: zero-copy fan-out. */
static int send_region(struct cell *c, struct outcome *out, struct sshm_region *region,
		       const struct msg_meta *meta)
{
	unsigned int j;
	int r;

	for (j = 0; j < c->consumers; j++) {
		r = sshm_channel_send(c->link[j].prod_ch, region, meta, sizeof(*meta));
		if (r < 0) {
			fail(out, r, 0, "send message %llu to consumer %u",
			     (unsigned long long)meta->index, j);
			return r;
		}
		r = sshm_track_inflight(out, c->link[j].prod_ch);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Fills through the region's own mapping, seals and sends; drops @region. */
static int fill_mapped(struct cell *c, struct outcome *out, struct sshm_region *region,
		       uint64_t i)
{
	struct msg_meta meta = { i, 0 };
	void *p;
	int r;

	r = sshm_region_map(region, &p);
	if (r < 0) {
		fail(out, r, 0, "region_map");
		goto out;
	}
	meta.sum = fill_sum(p, (size_t)c->size, i, 0);
	r = sshm_region_seal(region);
	if (r < 0) {
		fail(out, r, 0, "region_seal");
		goto out;
	}
	r = send_region(c, out, region, &meta);
out:
	sshm_region_unref(region);
	return r;
}

static int sshm_send(struct cell *c, struct worker *w, struct outcome *out, uint64_t i)
{
	struct sshm_region *region;
	int r;

	(void)w;
	r = sshm_region_new(c->size, c->o->hugepage ? SSHM_REGION_HUGEPAGE : 0, &region);
	if (r < 0) {
		fail(out, r, 0, "new region for message %llu", (unsigned long long)i);
		return r;
	}
	return fill_mapped(c, out, region, i);
}

static int pool_send(struct cell *c, struct worker *w, struct outcome *out, uint64_t i)
{
	struct sshm_region *region;
	int r;

	r = sshm_pool_get(w->pool, &region);
	if (r < 0) {
		fail(out, r, 0, "pool_get for message %llu", (unsigned long long)i);
		return r;
	}
	return fill_mapped(c, out, region, i);
}

static int write_send(struct cell *c, struct worker *w, struct outcome *out, uint64_t i)
{
	struct msg_meta meta = { i, 0 };
	struct sshm_region *region;
	int r;

	/* Filling the source buffer is this method's write of every byte. */
	meta.sum = fill_sum(w->buf, (size_t)c->size, i, 0);
	r = sshm_region_new(c->size, c->o->hugepage ? SSHM_REGION_HUGEPAGE : 0, &region);
	if (r < 0) {
		fail(out, r, 0, "new region for message %llu", (unsigned long long)i);
		return r;
	}
	r = sshm_region_write(region, 0, w->buf, (size_t)c->size);
	if (r < 0)
		fail(out, r, 0, "region_write");
	if (r >= 0) {
		r = sshm_region_seal(region);
		if (r < 0)
			fail(out, r, 0, "region_seal");
	}
	if (r >= 0)
		r = send_region(c, out, region, &meta);
	sshm_region_unref(region);
	return r;
}

/*
 * The library's copy call, whatever it does with the size: send_bytes to
 * one consumer, sshm_channels_send_bytes() to several (one region for all
 * when that wins).
 */
static int auto_send(struct cell *c, struct worker *w, struct outcome *out, uint64_t i)
{
	struct sshm_channel *chs[MAX_CONSUMERS];
	int errs[MAX_CONSUMERS];
	struct msg_meta meta = { i, 0 };
	unsigned int j;
	int r;

	meta.sum = fill_sum(w->buf, (size_t)c->size, i, 0);
	for (j = 0; j < c->consumers; j++)
		chs[j] = c->link[j].prod_ch;
	r = sshm_channels_send_bytes(chs, c->consumers, w->buf, (size_t)c->size, &meta,
				     sizeof(meta), errs);
	if (r < 0) {
		for (j = 0; j < c->consumers && errs[j] == 0; j++)
			;
		fail(out, r, 0, "send_bytes message %llu to consumer %u",
		     (unsigned long long)i, j);
		return r;
	}
	for (j = 0; j < c->consumers; j++) {
		r = sshm_track_inflight(out, c->link[j].prod_ch);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Our memfds must outlive the consumers' identity checks. */
static void sshm_finish(struct cell *c, struct worker *w, struct outcome *out, uint64_t n)
{
	unsigned int j;
	int r;

	(void)w;
	(void)n;
	for (j = 0; j < c->consumers; j++) {
		r = sshm_channel_drain(c->link[j].prod_ch);
		if (r < 0)
			fail(out, r, 0, "wait for consumer %u's releases", j);
	}
}

static int sshm_recv(struct cell *c, struct worker *w, struct outcome *out,
		     unsigned int j, uint64_t i)
{
	struct sshm_policy policy;
	struct sshm_view *v;
	int r;

	(void)w;
	/* The default policy unless told otherwise. */
	memset(&policy, 0, sizeof(policy));
	if (c->o->prefault)
		policy.flags |= SSHM_POLICY_PREFAULT;
	r = sshm_channel_recv(c->link[j].cons_ch, &policy, &v);
	if (r == -EPIPE)
		return 0;
	if (r < 0) {
		fail(out, r, 0, "receive message %llu", (unsigned long long)i);
		return r;
	}
	r = check_view(out, v, c->size, i);
	/* Unmaps and releases: part of the consumer's cost. */
	sshm_view_unref(v);
	return r < 0 ? r : 1;
}

#define SSHM_FLAGS (METHOD_SEALED | METHOD_LIMITED)

const struct method method_sshm = {
	.name = "sshm",
	.flags = SSHM_FLAGS,
	.setup = sshm_setup,
	.send = sshm_send,
	.finish = sshm_finish,
	.recv = sshm_recv,
};

const struct method method_sshm_write = {
	.name = "sshm-write",
	.flags = SSHM_FLAGS,
	.setup = sshm_setup,
	.prepare = buffer_prepare,
	.send = write_send,
	.finish = sshm_finish,
	.recv = sshm_recv,
};

const struct method method_sshm_auto = {
	.name = "sshm-auto",
	.flags = SSHM_FLAGS,
	.setup = sshm_setup,
	.prepare = buffer_prepare,
	.send = auto_send,
	.finish = sshm_finish,
	.recv = sshm_recv,
};

/* Opt-in: it adds a thread, and the default run stays comparable. */
const struct method method_sshm_pool = {
	.name = "sshm-pool",
	.flags = SSHM_FLAGS | METHOD_OPT_IN,
	.setup = sshm_setup,
	.prepare = pool_prepare,
	.send = pool_send,
	.finish = sshm_finish,
	.recv = sshm_recv,
};
