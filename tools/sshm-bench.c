/* SPDX-License-Identifier: MIT */
/*
 * sshm-bench - how fast a sealed region travels, against the copies it
 * replaces and against an unsealed shared ring (the ceiling).
 *
 * Every cell (method x size x rep) is a fresh set of processes: the parent
 * sets up the connections, forks N consumers and one producer, lets the
 * producer go once every child has allocated and touched its buffers, and
 * reads what each child left in a shared page.  The producer writes every
 * byte of every message (a pattern derived from the message index) and a
 * checksum of what it wrote; every consumer reads every byte and compares.
 * Elapsed time runs from the producer's start to the last consumer's last
 * verified message, so setup, fork and teardown are never counted.
 *
 * Cells run interleaved (for rep: for size: for method) so that drift on a
 * noisy machine hits every method alike; the median rep is reported.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <linux/futex.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tool.h"

/* Message k's word w is k * GOLDEN + w: cheap, and differs per message. */
#define GOLDEN              UINT64_C(0x9e3779b97f4a7c15)
#define MIN_SIZE            16u /* a checksum word and an index word (raw) */
#define MAX_SIZE            SSHM_DEFAULT_MAX_SIZE /* the consumer's default cap */
#define MAX_SIZES           32u
#define MAX_CONSUMERS       32u
#define MIN_MESSAGES        10u
#define DEFAULT_SECONDS     0.2
#define DEFAULT_REPS        3u
#define DEFAULT_ROUND_TRIPS 20000ul
#define WARMUP_ROUND_TRIPS  200ul
#define POOL_DEPTH          8u

#define SOCK_BUF   (4 << 20)           /* seqpacket SO_SNDBUF/SO_RCVBUF */
#define PACKET_MAX ((size_t)1 << 20)   /* seqpacket: messages cut into these */
#define PIPE_SIZE  (1 << 20)           /* F_SETPIPE_SZ, when allowed */

/* The ring holds 4..16 slots, about 64 MiB when the size allows. */
#define RING_BYTES     ((uint64_t)64 << 20)
#define RING_SLOTS_MIN 4u
#define RING_SLOTS_MAX 16u
#define RING_SPIN      256u
#define RING_HDR       4096u
#define RING_FLAG      UINT32_C(0x80000000) /* head: done; tail: consumer gave up */
#define RING_COUNT     UINT32_C(0x7fffffff)

/* Children that take longer than this are killed (a hang is a failure). */
#define READY_TIMEOUT_S 120
#define COUNT_TIMEOUT_S 600
#define CRASH_POLL_MS   200

enum method {
	M_SSHM,
	M_SSHM_WRITE,
	M_SSHM_AUTO,
	M_SSHM_POOL,
	M_SEQPACKET,
	M_STREAM,
	M_PIPE,
	M_RING,
	M_COUNT,
};

static const char *const method_names[M_COUNT] = {
	[M_SSHM] = "sshm",
	[M_SSHM_WRITE] = "sshm-write",
	[M_SSHM_AUTO] = "sshm-auto",
	[M_SSHM_POOL] = "sshm-pool",
	[M_SEQPACKET] = "seqpacket",
	[M_STREAM] = "stream",
	[M_PIPE] = "pipe",
	[M_RING] = "ring",
};

static int method_is_library(int m)
{
	return m == M_SSHM || m == M_SSHM_WRITE || m == M_SSHM_AUTO || m == M_SSHM_POOL;
}

/* Latency tests: one round trip is a message out and a 1-byte reply back. */
enum lat_kind {
	LAT_INLINE,    /* sshm_channel_send_bytes() below the inline threshold */
	LAT_REGION,    /* region_new + region_write + seal + send, every time */
	LAT_SEQPACKET, /* send(2) on a SOCK_SEQPACKET socket, 1-byte reply */
};

static const struct lat_test {
	const char *name;
	uint64_t size;
	enum lat_kind kind;
} lat_tests[] = {
	{ "sshm-inline", 64, LAT_INLINE },
	{ "sshm-inline", 4096, LAT_INLINE },
	{ "sshm-region", 4096, LAT_REGION },
	{ "seqpacket", 64, LAT_SEQPACKET },
	{ "seqpacket", 4096, LAT_SEQPACKET },
};

#define N_LAT_TESTS (sizeof(lat_tests) / sizeof(lat_tests[0]))

struct options {
	uint64_t sizes[MAX_SIZES];
	unsigned int n_sizes;
	int methods[M_COUNT];
	unsigned int n_methods;
	unsigned int consumers;
	unsigned int reps;
	double seconds;          /* per cell, unless bytes or messages is set */
	uint64_t bytes;          /* per cell and consumer, 0: unset */
	unsigned long messages;  /* per cell, 0: unset */
	unsigned long round_trips;
	int csv;
	int latency;
	int prefault;            /* consumers: SSHM_POLICY_PREFAULT */
	int hugepage;            /* SSHM_REGION_HUGEPAGE, SSHM_POOL_HUGEPAGE */
	int progress;            /* stderr is a terminal */
};

/* What one child reports, in a page shared with the parent. */
struct outcome {
	uint64_t messages;  /* sent (producer) or verified (consumer) */
	uint64_t t_start;   /* producer: released by the parent, ns */
	uint64_t t_end;     /* consumer: last message verified, ns */
	uint64_t median_ns; /* latency */
	uint64_t p99_ns;
	int err;            /* first failure, negative code; 0: none */
	int corrupt;        /* the failure is wrong data, not a system error */
	char what[160];
};

struct shared {
	struct outcome prod;
	struct outcome cons[MAX_CONSUMERS];
};

/* The metadata of library messages. */
struct msg_meta {
	uint64_t index;
	uint64_t sum;
};

struct ring_word {
	_Alignas(64) _Atomic uint32_t value;
	_Atomic uint32_t waiters;
};

/* Lives at the start of a MAP_SHARED mapping made before fork(). */
struct ring {
	struct ring_word head;                 /* published | RING_FLAG: done */
	struct ring_word tail[MAX_CONSUMERS];  /* consumed | RING_FLAG: gave up */
	uint32_t nslots;
	size_t stride;
};

_Static_assert(sizeof(struct ring) <= RING_HDR, "ring header larger than RING_HDR");

/* One producer-consumer connection; the unused side is -1/NULL. */
struct link {
	struct sshm_channel *prod_ch, *cons_ch;
	int prod_fd, cons_fd;
};

#define ROLE_PARENT   (-2)
#define ROLE_PRODUCER (-1)

/* Everything one cell needs, set up by the parent before fork(). */
struct cell {
	const struct options *o;
	int method;                  /* enum method, or -1 for latency */
	const struct lat_test *lat;  /* latency test, or NULL */
	uint64_t size;
	unsigned int consumers;
	uint64_t count;              /* messages, 0: run for o->seconds */
	uint64_t budget_ns;
	size_t packet;               /* seqpacket: bytes per packet */
	struct link link[MAX_CONSUMERS];
	struct ring *ring;
	size_t ring_len;
	struct shared *sh;
	char note[160];              /* how the setup differs from the ideal */
	int culled;                  /* children killed after one crashed */
};

/* A child's buffers. */
struct worker {
	void *buf;
	uint64_t *samples;
	struct sshm_pool *pool; /* sshm-pool: made after fork(), it has a thread */
};

struct run {
	double seconds;
	uint64_t messages;
	int ok;
};

/* ------------------------------------------------------------ small things */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * UINT64_C(1000000000) + (uint64_t)ts.tv_nsec;
}

static const char *format_size(uint64_t size, char *buf, size_t len)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB" };
	unsigned int u = 0;

	while (u < 3 && size >= 1024 && size % 1024 == 0) {
		size /= 1024;
		u++;
	}
	snprintf(buf, len, "%llu %s", (unsigned long long)size, units[u]);
	return buf;
}

static void fail(struct outcome *out, int err, int corrupt, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * Records what went wrong, with sshm_strerror(@err) appended unless @err is
 * 0.  Keeps the first failure only: later ones are usually its consequences.
 */
static void fail(struct outcome *out, int err, int corrupt, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	if (out->err)
		return;
	out->err = err ? err : -EPROTO;
	out->corrupt = corrupt;
	va_start(ap, fmt);
	vsnprintf(out->what, sizeof(out->what), fmt, ap);
	va_end(ap);
	n = strlen(out->what);
	if (err)
		snprintf(out->what + n, sizeof(out->what) - n, ": %s", sshm_strerror(err));
}

/* ----------------------------------------------------------------- payload */

static uint64_t mix(uint64_t sum, uint64_t xor)
{
	return sum ^ (xor << 29 | xor >> 35);
}

static uint64_t pattern(uint64_t index, uint64_t word)
{
	return index * GOLDEN + word;
}

/*
 * Writes message @index's pattern to @len bytes at @dst, whose first word is
 * word @first of the message, and returns the checksum of what it wrote.
 * The sum is accumulated from registers: the fill is the producer's one pass.
 */
static uint64_t fill_sum(void *dst, size_t len, uint64_t index, uint64_t first)
{
	uint64_t *w = dst, v = pattern(index, first), s = 0, x = 0, t = 0;
	size_t n = len / 8, k;

	for (k = 0; k < n; k++, v++) {
		w[k] = v;
		s += v;
		x ^= v;
	}
	if (len % 8) {
		/* Summed as read back, so both sides agree on any endianness. */
		memcpy(w + n, &v, len % 8);
		memcpy(&t, w + n, len % 8);
		s += t;
		x ^= t;
	}
	return mix(s, x);
}

/* The consumer's checksum: reads every byte, two lanes to keep up with memory. */
static uint64_t sum_words(const void *src, size_t len)
{
	const uint64_t *w = src;
	uint64_t s0 = 0, s1 = 0, x0 = 0, x1 = 0, t = 0;
	size_t n = len / 8, k;

	for (k = 0; k + 2 <= n; k += 2) {
		s0 += w[k];
		x0 ^= w[k];
		s1 += w[k + 1];
		x1 ^= w[k + 1];
	}
	if (k < n) {
		s0 += w[k];
		x0 ^= w[k];
	}
	if (len % 8) {
		memcpy(&t, w + n, len % 8);
		s0 += t;
		x0 ^= t;
	}
	return mix(s0 + s1, x0 ^ x1);
}

/* Raw methods: word 0 is the checksum of the rest, word 1 names the message. */
static void fill_raw(void *buf, uint64_t size, uint64_t index)
{
	uint64_t sum = fill_sum((char *)buf + 8, (size_t)size - 8, index, 1);

	memcpy(buf, &sum, 8);
}

static int check_raw(struct outcome *out, const void *buf, uint64_t size,
		     uint64_t index)
{
	uint64_t want, first;

	memcpy(&want, buf, 8);
	memcpy(&first, (const char *)buf + 8, 8);
	if (first != pattern(index, 1)) {
		fail(out, 0, 1, "message %llu: another message's bytes "
		     "(lost, duplicated or reordered)", (unsigned long long)index);
		return -EPROTO;
	}
	if (sum_words((const char *)buf + 8, (size_t)size - 8) != want) {
		fail(out, 0, 1, "message %llu: checksum mismatch",
		     (unsigned long long)index);
		return -EPROTO;
	}
	return 0;
}

/* Library methods: the checksum of the whole payload travels in the meta. */
static int check_view(struct outcome *out, const struct sshm_view *v,
		      uint64_t size, uint64_t index)
{
	const unsigned long long i = (unsigned long long)index;
	const void *meta, *data = sshm_view_data(v);
	struct msg_meta m;
	size_t meta_len;
	uint64_t first;

	meta = sshm_view_meta(v, &meta_len);
	if (sshm_view_size(v) != size || meta_len != sizeof(m)) {
		fail(out, 0, 1, "message %llu: %llu bytes and %zu of meta, "
		     "expected %llu and %zu", i,
		     (unsigned long long)sshm_view_size(v), meta_len,
		     (unsigned long long)size, sizeof(m));
		return -EPROTO;
	}
	memcpy(&m, meta, sizeof(m));
	memcpy(&first, data, 8);
	if (m.index != index || first != pattern(index, 0)) {
		fail(out, 0, 1, "message %llu: another message's bytes "
		     "(lost, duplicated or reordered)", i);
		return -EPROTO;
	}
	if (sum_words(data, (size_t)size) != m.sum) {
		fail(out, 0, 1, "message %llu: checksum mismatch", i);
		return -EPROTO;
	}
	return 0;
}

/* --------------------------------------------------------------- raw copies */

/* Reads exactly @len bytes; fewer only at end of file.  Bytes read, or -errno. */
static ssize_t read_full(int fd, void *buf, size_t len)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = read(fd, (char *)buf + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

static int writev_all(int fd, struct iovec *iov, int n)
{
	ssize_t w;

	while (n > 0) {
		w = writev(fd, iov, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		/* Skip what went out: whole vectors, then part of one. */
		while (n > 0 && (size_t)w >= iov->iov_len) {
			w -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	return 0;
}

static int raw_send(const struct cell *c, int fd, const void *buf, uint64_t size)
{
	uint64_t len = size, off, n;
	struct iovec iov[2] = {
		{ &len, sizeof(len) },
		{ (void *)buf, (size_t)size },
	};
	ssize_t w;

	switch (c->method) {
	case M_STREAM:
		return writev_all(fd, iov, 2);
	case M_PIPE:
		return tool_write_all(fd, buf, (size_t)size);
	default:
		break;
	}
	/* SOCK_SEQPACKET: a packet goes whole or not at all. */
	for (off = 0; off < size; off += n) {
		n = size - off < c->packet ? size - off : c->packet;
		do
			w = send(fd, (const char *)buf + off, (size_t)n, MSG_NOSIGNAL);
		while (w < 0 && errno == EINTR);
		if (w < 0)
			return errno == ECONNRESET ? -EPIPE : -errno;
	}
	return 0;
}

/* One message into @buf: 1, 0 at a clean end of file, or a negative code. */
static int raw_recv(const struct cell *c, int fd, void *buf, uint64_t size)
{
	struct iovec iov;
	struct msghdr mh;
	uint64_t len, off, want;
	ssize_t n;

	if (c->method == M_STREAM) {
		n = read_full(fd, &len, sizeof(len));
		if (n == 0)
			return 0;
		if (n < 0)
			return (int)n;
		if (n != sizeof(len) || len != size)
			return -EPROTO;
	}
	if (c->method == M_STREAM || c->method == M_PIPE) {
		n = read_full(fd, buf, (size_t)size);
		if (n < 0)
			return (int)n;
		if (n == 0 && c->method == M_PIPE)
			return 0;
		return (uint64_t)n == size ? 1 : -EPROTO;
	}
	for (off = 0; off < size; off += (uint64_t)n) {
		want = size - off < c->packet ? size - off : c->packet;
		iov.iov_base = (char *)buf + off;
		iov.iov_len = (size_t)want;
		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		do
			n = recvmsg(fd, &mh, 0);
		while (n < 0 && errno == EINTR);
		if (n < 0)
			return -errno;
		/* We never send an empty packet: 0 is the end. */
		if (n == 0 && off == 0)
			return 0;
		if ((uint64_t)n != want || (mh.msg_flags & MSG_TRUNC))
			return -EPROTO;
	}
	return 1;
}

/* ---------------------------------------------------------------------- ring */

static void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

static long futex(_Atomic uint32_t *word, int op, uint32_t val)
{
	/* Not FUTEX_PRIVATE_FLAG: the word is shared between processes. */
	return syscall(SYS_futex, (uint32_t *)word, op, val, NULL, NULL, 0);
}

/* Returns once @w may have moved from @old; callers re-check. */
static void ring_wait(struct ring_word *w, uint32_t old)
{
	unsigned int i;

	/* A short spin catches the peer on the other core without a syscall. */
	for (i = 0; i < RING_SPIN; i++) {
		if (atomic_load_explicit(&w->value, memory_order_relaxed) != old)
			return;
		cpu_relax();
	}
	atomic_fetch_add(&w->waiters, 1);
	/* FUTEX_WAIT re-reads the word under the kernel's lock, and a poster
	 * stores before it reads waiters (both seq_cst): no lost wake-up. */
	futex(&w->value, FUTEX_WAIT, old);
	atomic_fetch_sub(&w->waiters, 1);
}

static void ring_post(struct ring_word *w, uint32_t value)
{
	atomic_store(&w->value, value);
	if (atomic_load(&w->waiters))
		futex(&w->value, FUTEX_WAKE, INT_MAX);
}

static void ring_flag(struct ring_word *w)
{
	atomic_fetch_or(&w->value, RING_FLAG);
	futex(&w->value, FUTEX_WAKE, INT_MAX);
}

static char *ring_slot(struct ring *rg, uint64_t index)
{
	return (char *)rg + RING_HDR + (size_t)(index % rg->nslots) * rg->stride;
}

/* Waits until message @index may overwrite its slot: every consumer is done
 * with message index - nslots.  -EPIPE when a consumer gave up. */
static int ring_wait_room(struct ring *rg, unsigned int consumers, uint32_t index)
{
	uint32_t min, v;
	unsigned int j, slow;

	for (;;) {
		min = RING_COUNT;
		slow = 0;
		for (j = 0; j < consumers; j++) {
			v = atomic_load_explicit(&rg->tail[j].value, memory_order_acquire);
			if (v & RING_FLAG)
				return -EPIPE;
			if (v < min) {
				min = v;
				slow = j;
			}
		}
		if (index - min < rg->nslots)
			return 0;
		ring_wait(&rg->tail[slow], min);
	}
}

/* The head once it moved past @seen or the producer finished. */
static uint32_t ring_wait_data(struct ring *rg, uint32_t seen)
{
	uint32_t h;

	for (;;) {
		h = atomic_load_explicit(&rg->head.value, memory_order_acquire);
		if ((h & RING_COUNT) != seen || (h & RING_FLAG))
			return h;
		ring_wait(&rg->head, h);
	}
}

/* ------------------------------------------------------------------ producer */

static int keep_going(const struct cell *c, uint64_t i, uint64_t t0)
{
	if (c->count)
		return i < c->count;
	/* Time-bound, but never fewer than MIN_MESSAGES: big sizes. */
	return i < MIN_MESSAGES || now_ns() - t0 < c->budget_ns;
}

/* One message to every consumer through the library. */
static int send_library(struct cell *c, struct outcome *out, struct worker *w,
			uint64_t i)
{
	const unsigned int flags = c->o->hugepage ? SSHM_REGION_HUGEPAGE : 0;
	struct sshm_region *region = NULL;
	void *buf = w->buf;
	struct msg_meta meta = { i, 0 };
	unsigned int j;
	void *p;
	int r;

	if (c->method == M_SSHM_AUTO) {
		meta.sum = fill_sum(buf, (size_t)c->size, i, 0);
		for (j = 0; j < c->consumers; j++) {
			r = sshm_channel_send_bytes(c->link[j].prod_ch, buf, (size_t)c->size,
						    &meta, sizeof(meta));
			if (r < 0) {
				fail(out, r, 0, "send_bytes message %llu to consumer %u",
				     (unsigned long long)i, j);
				return r;
			}
		}
		return 0;
	}
	if (c->method == M_SSHM_POOL)
		r = sshm_pool_get(w->pool, &region);
	else
		r = sshm_region_new(c->size, flags, &region);
	if (r < 0) {
		fail(out, r, 0, "new region for message %llu", (unsigned long long)i);
		return r;
	}
	if (c->method == M_SSHM || c->method == M_SSHM_POOL) {
		r = sshm_region_map(region, &p);
		if (r < 0) {
			fail(out, r, 0, "region_map");
			goto out;
		}
		meta.sum = fill_sum(p, (size_t)c->size, i, 0);
	} else {
		/* Filling the source buffer is this method's write of every byte. */
		meta.sum = fill_sum(buf, (size_t)c->size, i, 0);
		r = sshm_region_write(region, 0, buf, (size_t)c->size);
		if (r < 0) {
			fail(out, r, 0, "region_write");
			goto out;
		}
	}
	r = sshm_region_seal(region);
	if (r < 0) {
		fail(out, r, 0, "region_seal");
		goto out;
	}
	/* The same sealed region to everyone: zero-copy fan-out. */
	for (j = 0; j < c->consumers && r >= 0; j++) {
		r = sshm_channel_send(c->link[j].prod_ch, region, &meta, sizeof(meta));
		if (r < 0)
			fail(out, r, 0, "send message %llu to consumer %u",
			     (unsigned long long)i, j);
	}
out:
	sshm_region_unref(region);
	return r;
}

static int send_ring(struct cell *c, struct outcome *out, uint64_t i)
{
	int r;

	r = ring_wait_room(c->ring, c->consumers, (uint32_t)i);
	if (r < 0) {
		fail(out, r, 0, "message %llu: a consumer gave up",
		     (unsigned long long)i);
		return r;
	}
	fill_raw(ring_slot(c->ring, i), c->size, i);
	ring_post(&c->ring->head, (uint32_t)(i + 1));
	return 0;
}

static int send_raw(struct cell *c, struct outcome *out, void *buf, uint64_t i)
{
	unsigned int j;
	int r;

	fill_raw(buf, c->size, i);
	for (j = 0; j < c->consumers; j++) {
		r = raw_send(c, c->link[j].prod_fd, buf, c->size);
		if (r < 0) {
			fail(out, r, 0, "send message %llu to consumer %u",
			     (unsigned long long)i, j);
			return r;
		}
	}
	return 0;
}

static void produce(struct cell *c, struct worker *w, struct outcome *out)
{
	uint64_t i, t0 = now_ns();
	unsigned int j;
	int r = 0;

	out->t_start = t0;
	for (i = 0; keep_going(c, i, t0); i++) {
		if (method_is_library(c->method))
			r = send_library(c, out, w, i);
		else if (c->method == M_RING)
			r = send_ring(c, out, i);
		else
			r = send_raw(c, out, w->buf, i);
		if (r < 0)
			break;
	}
	out->messages = i;
	if (c->method == M_RING) {
		ring_flag(&c->ring->head);
		return;
	}
	/* Our memfds must outlive the consumers' identity checks. */
	for (j = 0; j < c->consumers && method_is_library(c->method); j++) {
		r = sshm_channel_drain(c->link[j].prod_ch);
		if (r < 0)
			fail(out, r, 0, "wait for consumer %u's releases", j);
	}
}

/* ------------------------------------------------------------------ consumer */

static void consume_library(struct cell *c, struct outcome *out, unsigned int j)
{
	struct sshm_channel *ch = c->link[j].cons_ch;
	struct sshm_policy policy;
	struct sshm_view *v;
	uint64_t i;
	int r;

	/* The default policy unless told otherwise. */
	memset(&policy, 0, sizeof(policy));
	if (c->o->prefault)
		policy.flags |= SSHM_POLICY_PREFAULT;
	for (i = 0;; i++) {
		r = sshm_channel_recv(ch, &policy, &v);
		if (r == -EPIPE)
			break;
		if (r < 0) {
			fail(out, r, 0, "receive message %llu", (unsigned long long)i);
			break;
		}
		r = check_view(out, v, c->size, i);
		/* Unmaps and releases: part of the consumer's cost. */
		sshm_view_unref(v);
		if (r < 0)
			break;
		out->messages = i + 1;
		out->t_end = now_ns();
	}
}

static void consume_ring(struct cell *c, struct outcome *out, unsigned int j)
{
	struct ring *rg = c->ring;
	uint32_t h, t = 0;

	for (;;) {
		h = ring_wait_data(rg, t);
		if ((h & RING_COUNT) == t)
			break;
		if (check_raw(out, ring_slot(rg, t), c->size, t) < 0) {
			ring_flag(&rg->tail[j]);
			return;
		}
		t++;
		ring_post(&rg->tail[j], t);
		out->messages = t;
		out->t_end = now_ns();
	}
}

static void consume_raw(struct cell *c, struct worker *w, struct outcome *out,
			unsigned int j)
{
	uint64_t i;
	int r;

	for (i = 0;; i++) {
		r = raw_recv(c, c->link[j].cons_fd, w->buf, c->size);
		if (r == 0)
			break;
		if (r < 0) {
			fail(out, r, 0, "receive message %llu", (unsigned long long)i);
			break;
		}
		if (check_raw(out, w->buf, c->size, i) < 0)
			break;
		out->messages = i + 1;
		out->t_end = now_ns();
	}
}

/* ------------------------------------------------------------------ latency */

static int cmp_u64(const void *a, const void *b)
{
	const uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* One message out, the 1-byte reply back. */
static int round_trip(struct cell *c, struct outcome *out, void *buf, uint64_t i)
{
	struct sshm_channel *ch = c->link[0].prod_ch;
	struct sshm_region *region = NULL;
	struct msg_meta meta = { i, 0 };
	struct sshm_view *v = NULL;
	char reply;
	ssize_t n;
	int r;

	if (c->lat->kind == LAT_SEQPACKET) {
		fill_raw(buf, c->size, i);
		r = raw_send(c, c->link[0].prod_fd, buf, c->size);
		if (r < 0) {
			fail(out, r, 0, "send message %llu", (unsigned long long)i);
			return r;
		}
		do
			n = recv(c->link[0].prod_fd, &reply, 1, 0);
		while (n < 0 && errno == EINTR);
		if (n != 1) {
			r = n < 0 ? -errno : -EPIPE;
			fail(out, r, 0, "reply to message %llu", (unsigned long long)i);
			return r;
		}
		return 0;
	}
	meta.sum = fill_sum(buf, (size_t)c->size, i, 0);
	if (c->lat->kind == LAT_INLINE) {
		r = sshm_channel_send_bytes(ch, buf, (size_t)c->size, &meta, sizeof(meta));
	} else {
		r = sshm_region_new(c->size, 0, &region);
		if (r >= 0)
			r = sshm_region_write(region, 0, buf, (size_t)c->size);
		if (r >= 0)
			r = sshm_region_seal(region);
		if (r >= 0)
			r = sshm_channel_send(ch, region, &meta, sizeof(meta));
		sshm_region_unref(region);
	}
	if (r < 0) {
		fail(out, r, 0, "send message %llu", (unsigned long long)i);
		return r;
	}
	r = sshm_channel_recv(ch, NULL, &v);
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

static void produce_latency(struct cell *c, struct worker *w, struct outcome *out)
{
	const uint64_t n = c->count;
	uint64_t i, t0;
	int r;

	out->t_start = now_ns();
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

static void consume_latency(struct cell *c, struct worker *w, struct outcome *out)
{
	struct sshm_channel *ch = c->link[0].cons_ch;
	const char reply = 'r';
	struct sshm_view *v;
	uint64_t i;
	ssize_t n;
	int r;

	for (i = 0;; i++) {
		if (c->lat->kind == LAT_SEQPACKET) {
			r = raw_recv(c, c->link[0].cons_fd, w->buf, c->size);
			if (r == 0)
				break;
			if (r > 0)
				r = check_raw(out, w->buf, c->size, i);
			else
				fail(out, r, 0, "receive message %llu", (unsigned long long)i);
			if (r < 0)
				break;
			do
				n = send(c->link[0].cons_fd, &reply, 1, MSG_NOSIGNAL);
			while (n < 0 && errno == EINTR);
			r = n < 0 ? -errno : 0;
		} else {
			r = sshm_channel_recv(ch, NULL, &v);
			if (r == -EPIPE)
				break;
			if (r < 0) {
				fail(out, r, 0, "receive message %llu", (unsigned long long)i);
				break;
			}
			r = check_view(out, v, c->size, i);
			/* Released before the reply, as a real consumer would. */
			sshm_view_unref(v);
			if (r < 0)
				break;
			r = sshm_channel_send_bytes(ch, &reply, 1, NULL, 0);
		}
		if (r < 0) {
			fail(out, r, 0, "reply to message %llu", (unsigned long long)i);
			break;
		}
		out->messages = i + 1;
	}
}

/* ---------------------------------------------------------------- the cells */

static void link_close(struct link *l, int producer_side)
{
	if (producer_side) {
		l->prod_ch = sshm_channel_unref(l->prod_ch);
		if (l->prod_fd >= 0)
			close(l->prod_fd);
		l->prod_fd = -1;
	} else {
		l->cons_ch = sshm_channel_unref(l->cons_ch);
		if (l->cons_fd >= 0)
			close(l->cons_fd);
		l->cons_fd = -1;
	}
}

/* Drops every end @role does not use (the parent uses none). */
static void cell_keep(struct cell *c, int role)
{
	unsigned int j;

	for (j = 0; j < c->consumers; j++) {
		if (role != ROLE_PRODUCER)
			link_close(&c->link[j], 1);
		if (role != (int)j)
			link_close(&c->link[j], 0);
	}
}

static int setup_ring(struct cell *c)
{
	uint64_t slots = RING_BYTES / c->size;
	struct ring *rg;

	if (slots < RING_SLOTS_MIN)
		slots = RING_SLOTS_MIN;
	if (slots > RING_SLOTS_MAX)
		slots = RING_SLOTS_MAX;
	/* Slots start on cache lines, so neighbours never share one. */
	c->ring_len = RING_HDR + (size_t)slots * (((size_t)c->size + 63) & ~(size_t)63);
	rg = mmap(NULL, c->ring_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		  -1, 0);
	if (rg == MAP_FAILED)
		return -errno;
	/* Allocated here once; the children only map the pages. */
	memset(rg, 0, c->ring_len);
	rg->nslots = (uint32_t)slots;
	rg->stride = ((size_t)c->size + 63) & ~(size_t)63;
	c->ring = rg;
	return 0;
}

static int setup_seqpacket(struct cell *c, struct link *l)
{
	const int want = SOCK_BUF;
	socklen_t len = sizeof(int);
	int sv[2], got = 0, i;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	for (i = 0; i < 2; i++) {
		(void)setsockopt(sv[i], SOL_SOCKET, SO_SNDBUF, &want, sizeof(want));
		(void)setsockopt(sv[i], SOL_SOCKET, SO_RCVBUF, &want, sizeof(want));
	}
	l->prod_fd = sv[0];
	l->cons_fd = sv[1];
	/* A packet must fit the send buffer (net.core.wmem_max caps it):
	 * halve it until two fit, and say so. */
	if (getsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &got, &len) < 0)
		return -errno;
	while (c->packet > 4096 && (uint64_t)got < 2 * (uint64_t)c->packet)
		c->packet /= 2;
	if (c->packet < PACKET_MAX)
		snprintf(c->note, sizeof(c->note), "seqpacket: SO_SNDBUF is %d bytes, "
			 "packets of %zu bytes", got, c->packet);
	return 0;
}

static int setup_link(struct cell *c, struct link *l)
{
	int sv[2];

	if (method_is_library(c->method) || (c->lat && c->lat->kind != LAT_SEQPACKET))
		return sshm_channel_pair(0, &l->prod_ch, &l->cons_ch);
	switch (c->method) {
	case M_STREAM:
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
			return -errno;
		break;
	case M_PIPE:
		if (pipe2(sv, O_CLOEXEC) < 0)
			return -errno;
		/* Beyond fs.pipe-max-size needs CAP_SYS_RESOURCE. */
		if (fcntl(sv[1], F_SETPIPE_SZ, PIPE_SIZE) < 0)
			snprintf(c->note, sizeof(c->note), "pipe: F_SETPIPE_SZ %d: %s",
				 PIPE_SIZE, sshm_strerror(errno));
		/* pipe2 gives [read, write]. */
		l->prod_fd = sv[1];
		l->cons_fd = sv[0];
		return 0;
	default:
		return setup_seqpacket(c, l);
	}
	l->prod_fd = sv[0];
	l->cons_fd = sv[1];
	return 0;
}

static void cell_free(struct cell *c)
{
	cell_keep(c, ROLE_PARENT);
	if (c->ring)
		munmap(c->ring, c->ring_len);
	if (c->sh)
		munmap(c->sh, sizeof(*c->sh));
	c->ring = NULL;
	c->sh = NULL;
}

static int cell_setup(struct cell *c)
{
	unsigned int j;
	int r;

	for (j = 0; j < MAX_CONSUMERS; j++) {
		c->link[j].prod_fd = c->link[j].cons_fd = -1;
		c->link[j].prod_ch = c->link[j].cons_ch = NULL;
	}
	c->packet = PACKET_MAX;
	c->sh = mmap(NULL, sizeof(*c->sh), PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (c->sh == MAP_FAILED) {
		c->sh = NULL;
		return -errno;
	}
	if (c->method == M_RING)
		return setup_ring(c);
	for (j = 0; j < c->consumers; j++) {
		r = setup_link(c, &c->link[j]);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Touches every page of [p, p + len): the children's first lap is not timed. */
static void touch(void *p, size_t len, int write)
{
	volatile char *b = p;
	size_t off;

	for (off = 0; off < len; off += 4096) {
		if (write)
			b[off] = 0;
		else
			(void)b[off];
	}
}

static int worker_setup(struct cell *c, int role, struct worker *w)
{
	const int producer = role == ROLE_PRODUCER;
	int need_buf;

	memset(w, 0, sizeof(*w));
	if (c->method == M_RING) {
		/* The slots are free: no consumer reads before the first post. */
		touch((char *)c->ring + RING_HDR, c->ring_len - RING_HDR, producer);
		return 0;
	}
	if (c->lat)
		need_buf = producer || c->lat->kind == LAT_SEQPACKET;
	else if (method_is_library(c->method))
		need_buf = producer && (c->method == M_SSHM_WRITE || c->method == M_SSHM_AUTO);
	else
		need_buf = 1;
	if (need_buf) {
		w->buf = malloc((size_t)c->size);
		if (!w->buf)
			return -ENOMEM;
		memset(w->buf, 0, (size_t)c->size);
	}
	if (c->lat && producer) {
		w->samples = calloc((size_t)c->count, sizeof(w->samples[0]));
		if (!w->samples)
			return -ENOMEM;
	}
	/* Filled before the start: the timed part is the steady state, with
	 * the refill thread keeping up or not. */
	if (c->method == M_SSHM_POOL && producer)
		return sshm_pool_new(c->size, POOL_DEPTH, SSHM_POOL_MAP | SSHM_POOL_THREAD |
				     (c->o->hugepage ? SSHM_POOL_HUGEPAGE : 0), &w->pool);
	return 0;
}

static void worker_free(struct worker *w)
{
	free(w->buf);
	free(w->samples);
	w->pool = sshm_pool_unref(w->pool);
	w->buf = NULL;
	w->samples = NULL;
}

static void child_main(struct cell *c, int role, int ready_w, int go_r)
	__attribute__((noreturn));

/* A forked child: keep its ends, get ready, run, report, _exit(). */
static void child_main(struct cell *c, int role, int ready_w, int go_r)
{
	struct outcome *out = role == ROLE_PRODUCER ? &c->sh->prod : &c->sh->cons[role];
	struct worker w;
	char b = 'r';
	ssize_t n;
	int r;

	cell_keep(c, role);
	r = worker_setup(c, role, &w);
	if (r < 0) {
		fail(out, r, 0, "set up");
		b = 'x';
	}
	/* ready_w stays open until we exit: the parent sees our end as EOF. */
	do
		n = write(ready_w, &b, 1);
	while (n < 0 && errno == EINTR);
	if (b == 'x' || n != 1)
		goto out;
	if (role == ROLE_PRODUCER) {
		/* The parent closes its end of go once every child is ready. */
		do
			n = read(go_r, &b, 1);
		while (n < 0 && errno == EINTR);
		close(go_r);
		if (c->lat)
			produce_latency(c, &w, out);
		else
			produce(c, &w, out);
	} else {
		close(go_r);
		if (c->lat)
			consume_latency(c, &w, out);
		else if (method_is_library(c->method))
			consume_library(c, out, (unsigned int)role);
		else if (c->method == M_RING)
			consume_ring(c, out, (unsigned int)role);
		else
			consume_raw(c, &w, out, (unsigned int)role);
	}
out:
	worker_free(&w);
	cell_keep(c, ROLE_PARENT);
	/* _exit: the parent's stdio buffers are not ours to flush. */
	_exit(out->err ? 1 : 0);
}

static void describe_status(char *buf, size_t len, int status)
{
	if (WIFSIGNALED(status))
		snprintf(buf, len, "killed by signal %d (%s)", WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
	else
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(status));
}

/* Waits for POLLIN/POLLHUP on @fd up to @deadline (ns). 1 ready, 0 timeout. */
static int wait_readable(int fd, uint64_t deadline)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	uint64_t now;
	int r;

	for (;;) {
		now = now_ns();
		if (now >= deadline)
			return 0;
		r = poll(&pfd, 1, (int)((deadline - now) / 1000000 + 1));
		if (r > 0)
			return 1;
		if (r < 0 && errno != EINTR)
			return -errno;
	}
}

/* 1 + the index of a child killed by a signal, without reaping it; 0: none. */
static unsigned int find_crashed(const pid_t *pids, unsigned int n)
{
	siginfo_t si;
	unsigned int k;

	for (k = 0; k < n; k++) {
		memset(&si, 0, sizeof(si));
		if (waitid(P_PID, (id_t)pids[k], &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
		    si.si_pid == pids[k] && si.si_code != CLD_EXITED)
			return k + 1;
	}
	return 0;
}

/*
 * Forks the consumers and the producer, releases the producer once all are
 * ready, waits for all to exit (killing them past the deadline), and leaves
 * the outcomes in c->sh.  A negative code when the children could not run;
 * 0 otherwise (the outcomes tell whether they succeeded).
 */
static int run_children(struct cell *c, char *why, size_t why_len)
{
	pid_t pids[MAX_CONSUMERS + 1];
	unsigned int n = 0, k, ready = 0, bad = 0, crashed = 0;
	int fds[4] = { -1, -1, -1, -1 }; /* ready r/w, go r/w */
	uint64_t timeout_s = c->count ? COUNT_TIMEOUT_S :
		(uint64_t)(60 + 20 * c->o->seconds);
	int role, status, r = 0;
	char b;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0 || pipe2(fds + 2, O_CLOEXEC) < 0) {
		r = -errno;
		snprintf(why, why_len, "pipe: %s", sshm_strerror(r));
		goto out;
	}
	fflush(NULL);
	for (role = 0; role <= (int)c->consumers; role++) {
		/* The consumers first: the producer is the one released last. */
		int me = role == (int)c->consumers ? ROLE_PRODUCER : role;

		pid = fork();
		if (pid < 0) {
			r = -errno;
			snprintf(why, why_len, "fork: %s", sshm_strerror(r));
			break;
		}
		if (pid == 0) {
			close(fds[0]);
			close(fds[3]);
			child_main(c, me, fds[1], fds[2]);
		}
		pids[n++] = pid;
	}
	close(fds[1]);
	close(fds[2]);
	fds[1] = fds[2] = -1;
	cell_keep(c, ROLE_PARENT);

	/* Everyone allocated and touched its buffers: let the producer go. */
	while (r == 0 && ready < n) {
		if (wait_readable(fds[0], now_ns() + READY_TIMEOUT_S * UINT64_C(1000000000)) <= 0 ||
		    read(fds[0], &b, 1) != 1) {
			snprintf(why, why_len, "children not ready after %d s", READY_TIMEOUT_S);
			r = -ETIMEDOUT;
			break;
		}
		if (b != 'r')
			bad++;
		ready++;
	}
	close(fds[3]);
	fds[3] = -1;
	/* All exited when the last copy of ready's write end is gone.  Look
	 * for a crash between slices: a ring peer would wait for it forever. */
	if (r == 0 && !bad) {
		uint64_t deadline = now_ns() + timeout_s * UINT64_C(1000000000), slice;
		int w;

		while (r == 0 && !crashed) {
			slice = now_ns() + CRASH_POLL_MS * UINT64_C(1000000);
			w = wait_readable(fds[0], slice < deadline ? slice : deadline);
			if (w < 0 || (w == 0 && now_ns() >= deadline)) {
				snprintf(why, why_len, "no end after %llu s",
					 (unsigned long long)timeout_s);
				r = -ETIMEDOUT;
			} else if (w == 0) {
				crashed = find_crashed(pids, n);
			} else if (read(fds[0], &b, 1) == 0) {
				break;
			}
		}
	}
	c->culled = crashed != 0;
	/* Our own children only, by pid. */
	if (r < 0 || bad || crashed)
		for (k = 0; k < n; k++)
			kill(pids[k], SIGKILL);
	for (k = 0; k < n; k++) {
		while (waitpid(pids[k], &status, 0) < 0 && errno == EINTR)
			;
		/* The ones we killed are not news: the crash or timeout is. */
		if (r < 0 || (crashed && crashed != k + 1))
			continue;
		if (WIFSIGNALED(status) || WEXITSTATUS(status) != 0) {
			struct outcome *out = k == n - 1 && n == c->consumers + 1 ?
				&c->sh->prod : &c->sh->cons[k];
			char s[64];

			describe_status(s, sizeof(s), status);
			if (!out->err)
				fail(out, 0, 0, "%s", s);
		}
	}
out:
	for (k = 0; k < 4; k++)
		if (fds[k] >= 0)
			close(fds[k]);
	return r;
}

static void progress_clear(const struct options *o)
{
	if (o->progress)
		fputs("\r\033[K", stderr);
}

/* Prints every failure of a cell; 2 for wrong data, 1 for other errors, 0 ok. */
static int report_failures(const struct options *o, const struct cell *c,
			   const char *label, unsigned int rep, int r, const char *why)
{
	const struct shared *sh = c->sh;
	int worst = 0;
	unsigned int j;

	progress_clear(o);
	if (r < 0) {
		tool_error(0, "%s, rep %u: %s", label, rep + 1, why);
		return 1;
	}
	for (j = 0; j < c->consumers; j++) {
		const struct outcome *out = &sh->cons[j];

		if (out->err) {
			tool_error(0, "%s, rep %u: consumer %u: %s", label, rep + 1, j,
				   out->what);
			if (out->corrupt || !worst)
				worst = out->corrupt ? 2 : 1;
		} else if (!c->lat && !c->culled && !sh->prod.err &&
			   out->messages != sh->prod.messages) {
			tool_error(0, "%s, rep %u: consumer %u: received %llu of %llu messages",
				   label, rep + 1, j, (unsigned long long)out->messages,
				   (unsigned long long)sh->prod.messages);
			worst = 2;
		}
	}
	/* Last: its errors are mostly the consumers' failures seen from afar. */
	if (sh->prod.err) {
		tool_error(0, "%s, rep %u: producer: %s", label, rep + 1, sh->prod.what);
		if (!worst || sh->prod.corrupt)
			worst = sh->prod.corrupt ? 2 : 1;
	}
	return worst;
}

/* ---------------------------------------------------------------- reporting */

static void system_line(FILE *f, const char *prefix)
{
	char line[256], thp[64] = "unknown", *a, *b;
	struct utsname u;
	FILE *s;

	s = fopen("/sys/kernel/mm/transparent_hugepage/shmem_enabled", "re");
	if (s) {
		if (fgets(line, sizeof(line), s) && (a = strchr(line, '[')) &&
		    (b = strchr(a, ']'))) {
			*b = '\0';
			snprintf(thp, sizeof(thp), "%s", a + 1);
		}
		fclose(s);
	}
	if (uname(&u) < 0)
		memset(&u, 0, sizeof(u));
	fprintf(f, "%s%s %s: %s %s %s, %ld CPUs online, shmem THP %s\n", prefix,
		tool_name, PACKAGE_VERSION, u.sysname, u.release, u.machine,
		sysconf(_SC_NPROCESSORS_ONLN), thp);
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
	const struct run *sorted[64];
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

static void print_table(const struct options *o, const struct run *runs)
{
	const unsigned int nm = o->n_methods, R = o->reps;
	const struct run *base, *m, *cell;
	unsigned int s, k, seq = nm;
	char sz[32];
	double gbps;

	for (k = 0; k < nm; k++)
		if (o->methods[k] == M_SEQPACKET)
			seq = k;
	for (s = 0; s < o->n_sizes; s++) {
		const uint64_t size = o->sizes[s];

		base = seq < nm ? median_run(runs + ((size_t)s * nm + seq) * R, R) : NULL;
		printf("\n%s (%llu bytes), %u consumer%s\n", format_size(size, sz, sizeof(sz)),
		       (unsigned long long)size, o->consumers, o->consumers > 1 ? "s" : "");
		printf("%-12s %9s %12s %13s %9s %8s %7s\n", "method", "GB/s", "msgs/s",
		       "vs seqpacket", "messages", "seconds", "spread");
		for (k = 0; k < nm; k++) {
			cell = runs + ((size_t)s * nm + k) * R;
			m = median_run(cell, R);
			if (!m) {
				printf("%-12s %9s\n", method_names[o->methods[k]], "FAILED");
				continue;
			}
			gbps = run_rate(m) * (double)o->consumers * (double)size / 1e9;
			printf("%-12s %9.3f %12.0f", method_names[o->methods[k]], gbps,
			       run_rate(m) * o->consumers);
			if (base)
				printf(" %12.2fx", run_rate(m) / run_rate(base));
			else
				printf(" %13s", "-");
			printf(" %9llu %8.3f", (unsigned long long)m->messages, m->seconds);
			if (R > 1)
				printf(" %6.0f%%\n", spread(cell, R, m));
			else
				printf(" %7s\n", "-");
		}
	}
}

static void print_csv(const struct options *o, const struct run *runs)
{
	const unsigned int nm = o->n_methods, R = o->reps;
	const struct run *m;
	unsigned int s, k;
	double rate;

	printf("method,size,consumers,messages,seconds,msgs_per_s,gb_per_s\n");
	for (s = 0; s < o->n_sizes; s++) {
		for (k = 0; k < nm; k++) {
			m = median_run(runs + ((size_t)s * nm + k) * R, R);
			/* A failed cell has no number: stderr said why. */
			if (!m)
				continue;
			rate = run_rate(m) * o->consumers;
			printf("%s,%llu,%u,%llu,%.6f,%.1f,%.4f\n", method_names[o->methods[k]],
			       (unsigned long long)o->sizes[s], o->consumers,
			       (unsigned long long)m->messages, m->seconds, rate,
			       rate * (double)o->sizes[s] / 1e9);
		}
	}
}

/* ------------------------------------------------------------------- drivers */

static int run_throughput(const struct options *o)
{
	const unsigned int nm = o->n_methods, R = o->reps;
	unsigned int rep, s, k, done = 0, total = R * o->n_sizes * nm;
	char label[64], sz[32], why[160], last_note[160] = "";
	struct run *runs, *run;
	struct cell c;
	int worst = 0, f, r;
	uint64_t t, end;
	unsigned int j;

	runs = calloc((size_t)total, sizeof(*runs));
	if (!runs) {
		tool_error(-ENOMEM, "allocate results");
		return TOOL_EXIT_SYSTEM;
	}
	for (rep = 0; rep < R; rep++) {
		for (s = 0; s < o->n_sizes; s++) {
			for (k = 0; k < nm; k++) {
				memset(&c, 0, sizeof(c));
				c.o = o;
				c.method = o->methods[k];
				c.size = o->sizes[s];
				c.consumers = o->consumers;
				c.budget_ns = (uint64_t)(o->seconds * 1e9);
				if (o->messages)
					c.count = o->messages;
				else if (o->bytes)
					c.count = o->bytes / c.size > MIN_MESSAGES ?
						o->bytes / c.size : MIN_MESSAGES;
				snprintf(label, sizeof(label), "%s, %s", method_names[c.method],
					 format_size(c.size, sz, sizeof(sz)));
				if (o->progress)
					fprintf(stderr, "\r\033[K%s: [%u/%u] rep %u: %s", tool_name,
						++done, total, rep + 1, label);
				why[0] = '\0';
				r = cell_setup(&c);
				if (r < 0)
					snprintf(why, sizeof(why), "set up: %s", sshm_strerror(r));
				else
					r = run_children(&c, why, sizeof(why));
				/* Setup compromises, once each. */
				if (c.note[0] && strcmp(c.note, last_note)) {
					progress_clear(o);
					tool_error(0, "note: %s", c.note);
					snprintf(last_note, sizeof(last_note), "%s", c.note);
				}
				f = c.sh ? report_failures(o, &c, label, rep, r, why) : 1;
				if (f > worst)
					worst = f;
				run = &runs[((size_t)s * nm + k) * R + rep];
				if (f == 0) {
					t = c.sh->prod.t_start;
					end = t;
					for (j = 0; j < c.consumers; j++)
						if (c.sh->cons[j].t_end > end)
							end = c.sh->cons[j].t_end;
					run->messages = c.sh->prod.messages;
					run->seconds = (double)(end - t) / 1e9;
					run->ok = end > t;
				}
				cell_free(&c);
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

static int run_latency(const struct options *o)
{
	char label[64], sz[32], why[160];
	int worst = 0, f, r;
	struct cell c;
	unsigned int t;

	if (o->csv)
		printf("test,size,round_trips,median_us,p99_us\n");
	else
		printf("\nround trips: %lu per test after %lu warm-up, reply 1 byte "
		       "(inline for sshm)\n%-12s %8s %11s %11s\n", o->round_trips,
		       WARMUP_ROUND_TRIPS, "test", "size", "median us", "p99 us");
	for (t = 0; t < N_LAT_TESTS; t++) {
		memset(&c, 0, sizeof(c));
		c.o = o;
		c.method = -1;
		c.lat = &lat_tests[t];
		c.size = c.lat->size;
		c.consumers = 1;
		c.count = o->round_trips;
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
		if (f == 0 && o->csv)
			printf("%s,%llu,%lu,%.3f,%.3f\n", c.lat->name,
			       (unsigned long long)c.size, o->round_trips,
			       (double)c.sh->prod.median_ns / 1e3,
			       (double)c.sh->prod.p99_ns / 1e3);
		else if (f == 0)
			printf("%-12s %8s %11.2f %11.2f\n", c.lat->name, sz,
			       (double)c.sh->prod.median_ns / 1e3,
			       (double)c.sh->prod.p99_ns / 1e3);
		else if (!o->csv)
			printf("%-12s %8s %11s\n", c.lat->name, sz, "FAILED");
		cell_free(&c);
	}
	progress_clear(o);
	return worst == 2 ? TOOL_EXIT_REFUSED : worst ? TOOL_EXIT_SYSTEM : TOOL_EXIT_OK;
}

/* ------------------------------------------------------------------- options */

static void usage(void)
{
	printf("Usage: %s [OPTIONS]\n"
	       "Measure sealed shared-memory transfers against raw copies between\n"
	       "processes.  Each cell forks one producer and N consumers; every byte\n"
	       "is written by the producer and read and checksummed by every consumer.\n"
	       "\n"
	       "  -m, --methods LIST    comma-separated, \"all\" for every one; default\n"
	       "                        all but sshm-pool:\n"
	       "        sshm          region_new + region_map + fill + seal + send;\n"
	       "                      consumer recv, read, unref (release)\n"
	       "        sshm-write    fill a reused buffer, region_new + region_write\n"
	       "                      + seal + send\n"
	       "        sshm-auto     fill a reused buffer, channel_send_bytes (inline\n"
	       "                      up to the threshold, a region above)\n"
	       "        sshm-pool     as sshm, the region from an sshm_pool (%u deep,\n"
	       "                      mapped and populated ahead by its thread)\n"
	       "        seqpacket     copy over AF_UNIX SOCK_SEQPACKET, 4 MiB socket\n"
	       "                      buffers, 1 MiB packets\n"
	       "        stream        copy over AF_UNIX SOCK_STREAM, default buffers,\n"
	       "                      length-prefixed\n"
	       "        pipe          copy through a pipe (1 MiB when allowed)\n"
	       "        ring          unsealed shared ring, atomics + futex: no safety\n"
	       "                      at all, the ceiling\n"
	       "  -s, --sizes LIST      message sizes (K, M, G, T suffixes), default\n"
	       "                        4K,64K,1M,16M,64M; from 16 bytes to 1 GiB\n"
	       "  -c, --consumers N     consumers, each gets every message (default 1,\n"
	       "                        at most %u); sshm, sshm-write and sshm-pool\n"
	       "                        send one sealed region to all, sshm-auto calls\n"
	       "                        send_bytes once per consumer, seqpacket, stream\n"
	       "                        and pipe send N copies, ring is read in place\n"
	       "  -r, --reps R          repetitions of every cell, the median is shown\n"
	       "                        (default %u)\n"
	       "  -t, --seconds S       producer time per cell (default %g), at least\n"
	       "                        %u messages\n"
	       "  -b, --bytes N         payload per cell and consumer instead (K, M, G)\n"
	       "  -n, --messages N      exactly N messages per cell instead\n"
	       "      --csv             CSV on standard output, one row per method and\n"
	       "                        size (the median rep): method, size, consumers,\n"
	       "                        messages, seconds, msgs_per_s, gb_per_s; with\n"
	       "                        --latency: test, size, round_trips, median_us,\n"
	       "                        p99_us (the kernel line goes to standard error)\n"
	       "  -l, --latency         round trips instead: 64 B and 4 KiB inline\n"
	       "                        through the library, 4 KiB as a new sealed\n"
	       "                        region each time, raw seqpacket 64 B and 4 KiB;\n"
	       "                        median and 99th percentile\n"
	       "      --round-trips N   per latency test (default %lu)\n"
	       "      --prefault        consumers map with SSHM_POLICY_PREFAULT (not\n"
	       "                        with --latency)\n"
	       "      --hugepage        sshm regions with SSHM_REGION_HUGEPAGE, pools with\n"
	       "                        SSHM_POOL_HUGEPAGE; no effect on pwrite fills\n"
	       "                        (sshm-write, sshm-auto) or --latency; shmem THP\n"
	       "                        decides the rest\n"
	       "  -h, --help            show this help and exit\n"
	       "  -V, --version         show the version and exit\n"
	       "\n"
	       "GB/s is payload bytes delivered to all consumers per second (1e9 bytes),\n"
	       "msgs/s counts deliveries too; \"messages\" is what the producer sent\n"
	       "in the median rep; \"spread\" is (max - min) / median over the reps.\n"
	       "Time runs from the producer's start to the last consumer's last\n"
	       "verified message.  Cells are interleaved (rep, size, method) so drift\n"
	       "hits every method alike.  Progress goes to standard error on a terminal.\n"
	       "\n"
	       "Exit status: 0 success, 1 usage error, 2 a consumer saw wrong or\n"
	       "missing data (or a wrong reply with --latency),\n"
	       "3 any other failure (each is reported on standard error).\n",
	       tool_name, POOL_DEPTH, MAX_CONSUMERS, DEFAULT_REPS, DEFAULT_SECONDS,
	       MIN_MESSAGES, DEFAULT_ROUND_TRIPS);
}

static int parse_methods(const char *arg, struct options *o)
{
	char *copy, *tok, *save = NULL;
	unsigned int k;
	int m, r = 0;

	copy = strdup(arg);
	if (!copy)
		return -ENOMEM;
	o->n_methods = 0;
	for (tok = strtok_r(copy, ",", &save); tok && !r;
	     tok = strtok_r(NULL, ",", &save)) {
		for (m = 0; m < M_COUNT; m++) {
			if (strcmp(tok, "all") && strcmp(tok, method_names[m]))
				continue;
			for (k = 0; k < o->n_methods && o->methods[k] != m; k++)
				;
			if (k == o->n_methods)
				o->methods[o->n_methods++] = m;
			if (strcmp(tok, "all"))
				break;
		}
		if (m == M_COUNT && strcmp(tok, "all")) {
			tool_error(0, "--methods: unknown method '%s' (sshm, sshm-write, "
				   "sshm-auto, sshm-pool, seqpacket, stream, pipe, ring, all)",
				   tok);
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
		if (tool_parse_size(tok, &size) < 0 || size < MIN_SIZE || size > MAX_SIZE) {
			tool_error(0, "--sizes: '%s' is not a size from %u bytes to 1 GiB",
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

static int parse_options(int argc, char **argv, struct options *o)
{
	enum { OPT_CSV = 256, OPT_ROUND_TRIPS, OPT_PREFAULT, OPT_HUGEPAGE };
	static const struct option longopts[] = {
		{ "methods", required_argument, NULL, 'm' },
		{ "sizes", required_argument, NULL, 's' },
		{ "consumers", required_argument, NULL, 'c' },
		{ "reps", required_argument, NULL, 'r' },
		{ "seconds", required_argument, NULL, 't' },
		{ "bytes", required_argument, NULL, 'b' },
		{ "messages", required_argument, NULL, 'n' },
		{ "csv", no_argument, NULL, OPT_CSV },
		{ "latency", no_argument, NULL, 'l' },
		{ "round-trips", required_argument, NULL, OPT_ROUND_TRIPS },
		{ "prefault", no_argument, NULL, OPT_PREFAULT },
		{ "hugepage", no_argument, NULL, OPT_HUGEPAGE },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	static const uint64_t default_sizes[] = {
		(uint64_t)4 << 10, (uint64_t)64 << 10, (uint64_t)1 << 20,
		(uint64_t)16 << 20, (uint64_t)64 << 20,
	};
	unsigned long v;
	unsigned int k, budgets = 0;
	char *end;
	int c;

	memset(o, 0, sizeof(*o));
	for (k = 0; k < sizeof(default_sizes) / sizeof(default_sizes[0]); k++)
		o->sizes[o->n_sizes++] = default_sizes[k];
	/* sshm-pool is opt-in: it adds a thread and the default run is fixed. */
	for (k = 0; k < M_COUNT; k++)
		if (k != M_SSHM_POOL)
			o->methods[o->n_methods++] = (int)k;
	o->consumers = 1;
	o->reps = DEFAULT_REPS;
	o->seconds = DEFAULT_SECONDS;
	o->round_trips = DEFAULT_ROUND_TRIPS;
	while ((c = getopt_long(argc, argv, "m:s:c:r:t:b:n:lhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'm':
			if (parse_methods(optarg, o) < 0)
				return -1;
			break;
		case 's':
			if (parse_sizes(optarg, o) < 0)
				return -1;
			break;
		case 'c':
			if (tool_parse_count("--consumers", optarg, MAX_CONSUMERS, &v) < 0)
				return -1;
			o->consumers = (unsigned int)v;
			break;
		case 'r':
			if (tool_parse_count("--reps", optarg, 64, &v) < 0)
				return -1;
			o->reps = (unsigned int)v;
			break;
		case 't':
			errno = 0;
			o->seconds = strtod(optarg, &end);
			if (errno || *end || end == optarg || !isfinite(o->seconds) ||
			    o->seconds <= 0 || o->seconds > 3600) {
				tool_error(0, "--seconds: '%s' is not a duration from 0 to 3600",
					   optarg);
				return -1;
			}
			budgets++;
			break;
		case 'b':
			if (tool_parse_size(optarg, &o->bytes) < 0 || o->bytes == 0) {
				tool_error(0, "--bytes: '%s' is not a positive size", optarg);
				return -1;
			}
			budgets++;
			break;
		case 'n':
			if (tool_parse_count("--messages", optarg, RING_COUNT, &v) < 0)
				return -1;
			o->messages = v;
			budgets++;
			break;
		case OPT_CSV:
			o->csv = 1;
			break;
		case 'l':
			o->latency = 1;
			break;
		case OPT_PREFAULT:
			o->prefault = 1;
			break;
		case OPT_HUGEPAGE:
			o->hugepage = 1;
			break;
		case OPT_ROUND_TRIPS:
			if (tool_parse_count("--round-trips", optarg, 100000000, &v) < 0)
				return -1;
			o->round_trips = v;
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
	if (optind < argc) {
		tool_error(0, "unexpected argument '%s'", argv[optind]);
		return -1;
	}
	if (budgets > 1) {
		tool_error(0, "use one of --seconds, --bytes and --messages");
		return -1;
	}
	if (o->latency && o->consumers != 1) {
		tool_error(0, "--latency measures one consumer");
		return -1;
	}
	for (k = 0; k < o->n_sizes && o->bytes; k++) {
		if (o->bytes / o->sizes[k] > RING_COUNT) {
			tool_error(0, "--bytes: too many messages");
			return -1;
		}
	}
	return 0;
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

	/* CSV stays pure: the kernel line is a comment on stderr then. */
	if (o.csv) {
		system_line(stderr, "# ");
		if (o.prefault || o.hugepage)
			fprintf(stderr, "# %s%s\n", o.prefault ? "consumers prefault " : "",
				o.hugepage ? "huge-page regions" : "");
	} else {
		system_line(stdout, "");
		if (!o.latency) {
			printf("%u consumer%s, %u rep%s (median shown), %s%s", o.consumers,
			       o.consumers > 1 ? "s" : "", o.reps, o.reps > 1 ? "s" : "",
			       o.prefault ? "consumers prefault, " : "",
			       o.hugepage ? "huge-page regions, " : "");
			if (o.messages)
				printf("%lu messages per cell\n", o.messages);
			else if (o.bytes)
				printf("%llu bytes per cell and consumer (at least %u messages)\n",
				       (unsigned long long)o.bytes, MIN_MESSAGES);
			else
				printf("%g s per cell (at least %u messages)\n", o.seconds,
				       MIN_MESSAGES);
		}
	}
	fflush(stdout);
	return o.latency ? run_latency(&o) : run_throughput(&o);
}
