/* SPDX-License-Identifier: MIT */
/*
 * sshm-soak - long-running leak check, not a timed test.
 *
 * Phase 1: MESSAGES messages of random sizes (1 B .. 4 MiB, log-uniform;
 * inline, fresh regions and pooled regions mixed) from a forked producer
 * through one channel, every byte checked by the consumer, every view
 * released.  Phase 2: CYCLES connect/send/disconnect cycles against a
 * listener.  Both processes sample their open fds, RSS and mappings after a
 * warm-up and at the end; the fd and mapping counts must match exactly and
 * RSS may not grow by more than the slack (allocator arenas settle).  Exits
 * 0 only if both sides held steady and every byte arrived intact.
 *
 * usage: sshm-soak [MESSAGES [CYCLES]]   (default 1000000 10000)
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sshm.h"

#define RSS_SLACK_KB 8192 /* allocator arenas and page cache noise */

struct sample {
	int fds;
	long rss_kb;
	int maps;
};

static int count_dir(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n - 1; /* the DIR's own fd */
}

static void sample(struct sample *s)
{
	FILE *f;
	char line[256];
	int c;

	s->fds = count_dir("/proc/self/fd");
	s->rss_kb = -1;
	f = fopen("/proc/self/status", "re");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &s->rss_kb) == 1)
			break;
	if (f)
		fclose(f);
	s->maps = 0;
	f = fopen("/proc/self/maps", "re");
	while (f && (c = getc(f)) != EOF)
		s->maps += c == '\n';
	if (f)
		fclose(f);
}

static int compare(const char *who, const struct sample *a, const struct sample *b)
{
	int ok = a->fds == b->fds && a->maps == b->maps &&
		 b->rss_kb - a->rss_kb <= RSS_SLACK_KB;

	printf("%s: fds %d -> %d, mappings %d -> %d, RSS %ld -> %ld kB: %s\n", who,
	       a->fds, b->fds, a->maps, b->maps, a->rss_kb, b->rss_kb,
	       ok ? "steady" : "LEAK");
	return ok;
}

/* xorshift64*: reproducible sizes and contents. */
static uint64_t next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ull;
}

static size_t random_size(uint64_t *s)
{
	unsigned int bits = (unsigned int)(next(s) % 23); /* 1 B .. 4 MiB */

	return 1 + (size_t)(next(s) & ((1ull << bits) - 1));
}

static uint64_t pattern_sum(uint8_t *buf, size_t len, uint64_t seed)
{
	uint64_t sum = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		buf[i] = (uint8_t)(seed + i * 131);
		sum = sum * 31 + buf[i];
	}
	return sum;
}

static uint64_t view_sum(const uint8_t *p, uint64_t len)
{
	uint64_t sum = 0, i;

	for (i = 0; i < len; i++)
		sum = sum * 31 + p[i];
	return sum;
}

/* One message: payload per @i, meta = {index, checksum}. */
static int produce_one(struct sshm_channel *ch, struct sshm_pool *pool, uint64_t i,
		       uint64_t *rng, uint8_t *buf)
{
	uint64_t meta[2];
	size_t len = random_size(rng);
	struct sshm_region *r;
	int ret;

	meta[0] = i;
	meta[1] = pattern_sum(buf, len, i);
	if (i % 3 != 2 || len > 65536)
		return sshm_channel_send_bytes(ch, buf, len, meta, sizeof(meta));
	/* Every third small one through the pool, to soak it too. */
	ret = sshm_pool_get(pool, &r);
	if (ret < 0)
		return ret;
	meta[1] = pattern_sum(buf, 65536, i);
	ret = sshm_region_write(r, 0, buf, 65536);
	if (ret >= 0)
		ret = sshm_region_seal(r);
	if (ret >= 0)
		ret = sshm_channel_send(ch, r, meta, sizeof(meta));
	sshm_region_unref(r);
	return ret;
}

static int producer(struct sshm_channel *ch, uint64_t messages)
{
	struct sample before = { 0 }, after;
	struct sshm_pool *pool;
	uint64_t rng = 0x5eed, i;
	uint8_t *buf = malloc((size_t)4 << 20);
	int ret = 0;

	if (!buf || sshm_pool_new(65536, 8, 0, &pool) < 0)
		return 3;
	for (i = 0; i < messages && ret >= 0; i++) {
		/* Regions in flight and in the pool hold fds: sample both
		 * times with nothing in flight and the pool full. */
		if (i == messages / 10) {
			ret = sshm_channel_drain(ch);
			if (ret >= 0)
				ret = sshm_pool_fill(pool);
			sample(&before);
		}
		if (ret >= 0)
			ret = produce_one(ch, pool, i, &rng, buf);
	}
	if (ret >= 0)
		ret = sshm_channel_drain(ch);
	if (ret >= 0)
		ret = sshm_pool_fill(pool);
	if (ret >= 0)
		sample(&after);
	sshm_pool_unref(pool);
	free(buf);
	if (ret < 0) {
		fprintf(stderr, "producer: message %" PRIu64 ": %s\n", i,
			sshm_strerror(ret));
		return 3;
	}
	return compare("producer", &before, &after) ? 0 : 1;
}

static int consume_one(struct sshm_channel *ch, uint64_t expect)
{
	struct sshm_view *v;
	const uint64_t *meta;
	size_t meta_len;
	int ret;

	ret = sshm_channel_recv(ch, NULL, &v);
	if (ret < 0) {
		fprintf(stderr, "consumer: message %" PRIu64 ": %s\n", expect,
			sshm_strerror(ret));
		return ret;
	}
	meta = sshm_view_meta(v, &meta_len);
	if (meta_len != 16 || meta[0] != expect ||
	    view_sum(sshm_view_data(v), sshm_view_size(v)) != meta[1]) {
		fprintf(stderr, "consumer: message %" PRIu64 ": corrupt\n", expect);
		ret = -EBADMSG;
	}
	sshm_view_unref(v);
	return ret;
}

static int soak_messages(uint64_t messages)
{
	struct sshm_channel *a, *b;
	struct sample before = { 0 }, after;
	uint64_t i;
	int ok = 1, ret = 0, status;
	pid_t pid;

	if (sshm_channel_pair(0, &a, &b) < 0)
		return 0;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return 0;
	if (pid == 0) {
		sshm_channel_unref(b);
		status = producer(a, messages);
		sshm_channel_unref(a);
		fflush(stdout);
		_exit(status);
	}
	sshm_channel_unref(a);
	for (i = 0; i < messages && ret >= 0; i++) {
		if (i == messages / 10)
			sample(&before);
		ret = consume_one(b, i);
	}
	/* Both samples with the channel open: it holds its socket, its
	 * wake eventfd and perhaps the peer's pidfd, all in both. */
	sample(&after);
	sshm_channel_unref(b);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
		ok = 0;
	printf("messages: %" PRIu64 " of %" PRIu64 " received intact\n",
	       ret < 0 ? i - 1 : i, messages);
	return compare("consumer", &before, &after) && ok && ret >= 0;
}

static int soak_cycles(unsigned int cycles)
{
	struct sshm_listener *l;
	struct sample before = { 0 }, after;
	char name[64];
	unsigned int c;
	int ok = 1, status;
	pid_t pid;

	snprintf(name, sizeof(name), "@sshm-soak-%d", (int)getpid());
	if (sshm_listener_new(name, 0, &l) < 0)
		return 0;
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		sshm_listener_unref(l);
		for (c = 0; c < cycles; c++) {
			struct sshm_channel *ch;
			uint64_t meta[2] = { c, 0 };
			uint8_t byte = 0;

			meta[1] = pattern_sum(&byte, 1, c);
			if (sshm_channel_connect(name, 0, &ch) < 0 ||
			    sshm_channel_send_bytes(ch, &byte, 1, meta, sizeof(meta)) < 0)
				_exit(3);
			sshm_channel_unref(ch);
		}
		_exit(0);
	}
	for (c = 0; c < cycles && ok; c++) {
		struct sshm_channel *ch;

		if (c == cycles / 10)
			sample(&before);
		ok = sshm_listener_accept(l, 0, &ch) >= 0 && consume_one(ch, c) >= 0;
		sshm_channel_unref(ch);
	}
	sample(&after);
	sshm_listener_unref(l);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
		ok = 0;
	printf("cycles: %u of %u\n", c, cycles);
	return compare("listener", &before, &after) && ok;
}

int main(int argc, char **argv)
{
	uint64_t messages = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000;
	unsigned int cycles = argc > 2 ? (unsigned int)strtoul(argv[2], NULL, 10) : 10000;
	int ok;

	if (messages < 10 || cycles < 10) {
		fprintf(stderr, "usage: %s [MESSAGES >= 10 [CYCLES >= 10]]\n", argv[0]);
		return 1;
	}
	ok = soak_messages(messages);
	ok = soak_cycles(cycles) && ok;
	printf("%s\n", ok ? "soak: steady" : "soak: FAILED");
	return ok ? 0 : 1;
}
