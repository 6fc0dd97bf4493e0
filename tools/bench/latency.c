/* SPDX-License-Identifier: MIT */
/*
 * latency - --latency: round trips between one producer and one consumer,
 * a message out (checked by the consumer as every message is) and a 1-byte
 * reply back.  After WARMUP_ROUND_TRIPS not timed, each round trip is
 * timed; the median and the nearest-rank 99th percentile are reported.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "bench.h"

enum lat_kind {
	LAT_INLINE,    /* sshm_channel_send_bytes() below the inline threshold */
	LAT_REGION,    /* region_new + region_write + seal + send, every time */
	LAT_SEQPACKET, /* send(2) on a SOCK_SEQPACKET socket, 1-byte reply */
};

struct lat_test {
	const char *name;
	uint64_t size;
	enum lat_kind kind;
};

static const struct lat_test lat_tests[] = {
	{ "sshm-inline", 64, LAT_INLINE },    { "sshm-inline", 4096, LAT_INLINE },
	{ "sshm-region", 4096, LAT_REGION },  { "seqpacket", 64, LAT_SEQPACKET },
	{ "seqpacket", 4096, LAT_SEQPACKET },
};

static int cmp_u64(const void *a, const void *b)
{
	const uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int lat_setup(struct cell *c)
{
	if (c->lat->kind == LAT_SEQPACKET)
		return seqpacket_pair(c, &c->link[0]);
	return sshm_link_pair(c, &c->link[0]);
}

static int lat_prepare(struct cell *c, int role, struct worker *w)
{
	int r = 0;

	if (role == ROLE_PRODUCER || c->lat->kind == LAT_SEQPACKET)
		r = worker_buffer(w, c->size);
	if (r == 0 && role == ROLE_PRODUCER) {
		w->samples = calloc((size_t)c->plan.count, sizeof(w->samples[0]));
		if (!w->samples)
			r = -ENOMEM;
	}
	return r;
}

static int seqpacket_round_trip(struct cell *c, struct outcome *out, void *buf,
				uint64_t i)
{
	const int fd = c->link[0].prod_fd;
	char reply;
	ssize_t n;
	int r;

	fill_raw(buf, c->size, i);
	r = packet_send(fd, buf, c->size, c->packet);
	if (r < 0) {
		fail(out, r, 0, "send message %llu", (unsigned long long)i);
		return r;
	}
	do
		n = recv(fd, &reply, 1, 0);
	while (n < 0 && errno == EINTR);
	if (n != 1) {
		r = n < 0 ? -errno : -EPIPE;
		fail(out, r, 0, "reply to message %llu", (unsigned long long)i);
		return r;
	}
	return 0;
}

static int sshm_send_one(struct cell *c, const void *buf, const struct msg_meta *meta)
{
	struct sshm_channel *ch = c->link[0].prod_ch;
	struct sshm_region *region = NULL;
	int r;

	if (c->lat->kind == LAT_INLINE)
		return sshm_channel_send_bytes(ch, buf, (size_t)c->size, meta,
					       sizeof(*meta));
	r = sshm_region_new(c->size, 0, &region);
	if (r >= 0)
		r = sshm_region_write(region, 0, buf, (size_t)c->size);
	if (r >= 0)
		r = sshm_region_seal(region);
	if (r >= 0)
		r = sshm_channel_send(ch, region, meta, sizeof(*meta));
	sshm_region_unref(region);
	return r;
}

/* One message out, the 1-byte reply back. */
static int round_trip(struct cell *c, struct outcome *out, void *buf, uint64_t i)
{
	struct msg_meta meta = { i, 0 };
	struct sshm_view *v = NULL;
	int r;

	if (c->lat->kind == LAT_SEQPACKET)
		return seqpacket_round_trip(c, out, buf, i);
	meta.sum = fill_sum(buf, (size_t)c->size, i, 0);
	r = sshm_send_one(c, buf, &meta);
	if (r < 0) {
		fail(out, r, 0, "send message %llu", (unsigned long long)i);
		return r;
	}
	r = sshm_channel_recv(c->link[0].prod_ch, NULL, &v);
	if (r < 0) {
		fail(out, r, 0, "reply to message %llu", (unsigned long long)i);
		return r;
	}
	if (sshm_view_size(v) != 1) {
		fail(out, 0, 1, "reply to message %llu: %llu bytes",
		     (unsigned long long)i, (unsigned long long)sshm_view_size(v));
		r = -EPROTO;
	}
	sshm_view_unref(v);
	return r;
}

static void lat_produce(struct cell *c, struct worker *w, struct outcome *out)
{
	const uint64_t n = c->plan.count;
	uint64_t i, t0;
	int r;

	for (i = 0; i < WARMUP_ROUND_TRIPS + n; i++) {
		t0 = now_ns();
		if (round_trip(c, out, w->buf, i) < 0)
			break;
		if (i >= WARMUP_ROUND_TRIPS)
			w->samples[i - WARMUP_ROUND_TRIPS] = now_ns() - t0;
	}
	if (i == WARMUP_ROUND_TRIPS + n) {
		qsort(w->samples, (size_t)n, sizeof(w->samples[0]), cmp_u64);
		out->messages = n;
		out->median_ns = w->samples[n / 2];
		/* The nearest-rank 99th percentile. */
		out->p99_ns = w->samples[(n * 99 + 99) / 100 - 1];
	}
	if (c->lat->kind != LAT_SEQPACKET) {
		r = sshm_channel_drain(c->link[0].prod_ch);
		if (r < 0)
			fail(out, r, 0, "wait for the consumer's releases");
	}
}

/* Message @i, checked, then the reply: 1, 0 at the end, or a negative code. */
static int seqpacket_echo(struct cell *c, struct worker *w, struct outcome *out,
			  uint64_t i)
{
	const int fd = c->link[0].cons_fd;
	const char reply = 'r';
	ssize_t n;
	int r;

	r = packet_recv(fd, w->buf, c->size, c->packet);
	if (r < 0)
		fail(out, r, 0, "receive message %llu", (unsigned long long)i);
	if (r > 0 && check_raw(out, w->buf, c->size, i) < 0)
		r = -EPROTO;
	if (r <= 0)
		return r;
	do
		n = send(fd, &reply, 1, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : 1;
}

static int sshm_echo(struct cell *c, struct outcome *out, uint64_t i)
{
	struct sshm_channel *ch = c->link[0].cons_ch;
	const char reply = 'r';
	struct sshm_view *v;
	int r;

	r = sshm_channel_recv(ch, NULL, &v);
	if (r == -EPIPE)
		return 0;
	if (r < 0) {
		fail(out, r, 0, "receive message %llu", (unsigned long long)i);
		return r;
	}
	r = check_view(out, v, c->size, i);
	/* Released before the reply, as a real consumer would. */
	sshm_view_unref(v);
	if (r < 0)
		return r;
	r = sshm_channel_send_bytes(ch, &reply, 1, NULL, 0);
	return r < 0 ? r : 1;
}

static void lat_consume(struct cell *c, struct worker *w, struct outcome *out,
			unsigned int j)
{
	uint64_t i;
	int r;

	(void)j;
	for (i = 0;; i++) {
		if (c->lat->kind == LAT_SEQPACKET)
			r = seqpacket_echo(c, w, out, i);
		else
			r = sshm_echo(c, out, i);
		if (r == 0)
			break;
		if (r < 0) {
			fail(out, r, 0, "reply to message %llu", (unsigned long long)i);
			break;
		}
		out->messages = i + 1;
	}
}

static void lat_init(struct cell *c, const struct options *o, const struct lat_test *t)
{
	memset(c, 0, sizeof(*c));
	c->o = o;
	c->lat = t;
	c->size = t->size;
	c->consumers = 1;
	c->plan.count = o->round_trips;
	c->plan.timeout_s = 600;
	c->setup = lat_setup;
	c->prepare = lat_prepare;
	c->produce = lat_produce;
	c->consume = lat_consume;
}

static void print_result(const struct options *o, const struct cell *c, int ok)
{
	char sz[32];

	format_size(c->size, sz, sizeof(sz));
	if (ok && o->csv)
		printf("%s,%llu,%lu,%.3f,%.3f,ok\n", c->lat->name,
		       (unsigned long long)c->size, o->round_trips,
		       (double)c->sh->prod.median_ns / 1e3,
		       (double)c->sh->prod.p99_ns / 1e3);
	else if (ok)
		printf("%-12s %8s %11.2f %11.2f\n", c->lat->name, sz,
		       (double)c->sh->prod.median_ns / 1e3,
		       (double)c->sh->prod.p99_ns / 1e3);
	else if (o->csv)
		printf("%s,%llu,%lu,,,failed\n", c->lat->name,
		       (unsigned long long)c->size, o->round_trips);
	else
		printf("%-12s %8s %11s\n", c->lat->name, sz, "FAILED");
}

int run_latency(const struct options *o)
{
	char label[64], sz[32], why[160];
	int worst = 0, f, r;
	struct cell c;
	unsigned int t;

	if (o->csv)
		printf("test,size,round_trips,median_us,p99_us,status\n");
	else
		printf("\nround trips: %lu per test after %lu warm-up, reply 1 byte "
		       "(inline for sshm)\n%-12s %8s %11s %11s\n",
		       o->round_trips, WARMUP_ROUND_TRIPS, "test", "size", "median us",
		       "p99 us");
	for (t = 0; t < ELEMENTSOF(lat_tests); t++) {
		lat_init(&c, o, &lat_tests[t]);
		snprintf(label, sizeof(label), "%s, %s", c.lat->name,
			 format_size(c.size, sz, sizeof(sz)));
		if (o->progress)
			fprintf(stderr, "\r\033[K%s: latency %s", tool_name, label);
		why[0] = '\0';
		r = cell_setup(&c);
		if (r < 0)
			snprintf(why, sizeof(why), "set up: %s", sshm_strerror(r));
		else
			r = run_children(&c, why, sizeof(why));
		f = c.sh ? report_failures(o, &c, label, 0, r, why) : 1;
		if (f > worst)
			worst = f;
		print_result(o, &c, f == 0);
		cell_free(&c);
	}
	progress_clear(o);
	return worst == 2 ? TOOL_EXIT_REFUSED : worst ? TOOL_EXIT_SYSTEM : TOOL_EXIT_OK;
}
