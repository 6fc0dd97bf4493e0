/* SPDX-License-Identifier: MIT */
/*
 * method-ring - an unsealed ring in a shared anonymous mapping made before
 * fork(): the producer writes each message in place into the next slot and
 * advances a shared counter; every consumer checks the slot in place and
 * advances a counter of its own.  Nothing is sealed, verified or
 * protected, and nothing is mapped per message: the ceiling, not a
 * transport.
 */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bench.h"

/* The ring holds 4..16 slots, about 64 MiB when the size allows. */
#define RING_BYTES     ((uint64_t)64 << 20)
#define RING_SLOTS_MIN 4u
#define RING_SLOTS_MAX 16u
#define RING_SPIN      256u
#define RING_HDR       4096u
#define RING_FLAG      UINT32_C(0x80000000) /* head: done; tail: consumer gave up */
#define RING_COUNT     UINT32_C(0x7fffffff)

struct ring_word {
	_Alignas(64) _Atomic uint32_t value;
	_Atomic uint32_t waiters;
};

/* Lives at the start of the mapping. */
struct ring {
	struct ring_word head;		      /* published | RING_FLAG: done */
	struct ring_word tail[MAX_CONSUMERS]; /* consumed | RING_FLAG: gave up */
	uint32_t nslots;
	size_t stride;
};

_Static_assert(sizeof(struct ring) <= RING_HDR, "ring header larger than RING_HDR");
_Static_assert(MAX_MESSAGES <= RING_COUNT, "the ring counts 31 bits");

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
			v = atomic_load_explicit(&rg->tail[j].value,
						 memory_order_acquire);
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

static int ring_setup(struct cell *c)
{
	uint64_t slots = RING_BYTES / c->size;
	size_t stride;
	struct ring *rg;

	if (slots < RING_SLOTS_MIN)
		slots = RING_SLOTS_MIN;
	if (slots > RING_SLOTS_MAX)
		slots = RING_SLOTS_MAX;
	/* Slots start on cache lines, so neighbours never share one. */
	stride = ((size_t)c->size + 63) & ~(size_t)63;
	c->ring_len = RING_HDR + (size_t)slots * stride;
	rg = mmap(NULL, c->ring_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		  -1, 0);
	if (rg == MAP_FAILED)
		return -errno;
	/* Allocated here once; the children only map the pages. */
	memset(rg, 0, c->ring_len);
	rg->nslots = (uint32_t)slots;
	rg->stride = stride;
	c->ring = rg;
	return 0;
}

static void ring_cleanup(struct cell *c)
{
	if (c->ring)
		munmap(c->ring, c->ring_len);
	c->ring = NULL;
}

/* Touches every slot: the children's first lap is not a page fault each. */
static int ring_prepare(struct cell *c, int role, struct worker *w)
{
	volatile char *b = (char *)c->ring + RING_HDR;
	size_t off;

	(void)w;
	/* The slots are free: no consumer reads before the first post. */
	for (off = 0; off < c->ring_len - RING_HDR; off += 4096) {
		if (role == ROLE_PRODUCER)
			b[off] = 0;
		else
			(void)b[off];
	}
	return 0;
}

static int ring_send(struct cell *c, struct worker *w, struct outcome *out, uint64_t i)
{
	struct ring *rg = c->ring;
	int r;

	(void)w;
	r = ring_wait_room(rg, c->consumers, (uint32_t)i);
	if (r < 0) {
		fail(out, r, 0, "message %llu: a consumer gave up",
		     (unsigned long long)i);
		return r;
	}
	fill_raw(ring_slot(rg, i), c->size, i);
	ring_post(&rg->head, (uint32_t)(i + 1));
	return 0;
}

static void ring_finish(struct cell *c, struct worker *w, struct outcome *out, uint64_t n)
{
	(void)w;
	(void)out;
	(void)n;
	ring_flag(&((struct ring *)c->ring)->head);
}

static int ring_recv(struct cell *c, struct worker *w, struct outcome *out,
		     unsigned int j, uint64_t i)
{
	struct ring *rg = c->ring;
	uint32_t h;

	(void)w;
	h = ring_wait_data(rg, (uint32_t)i);
	if ((h & RING_COUNT) == (uint32_t)i)
		return 0;
	if (check_raw(out, ring_slot(rg, i), c->size, i) < 0) {
		/* The producer must not wait for us forever. */
		ring_flag(&rg->tail[j]);
		return -EPROTO;
	}
	ring_post(&rg->tail[j], (uint32_t)(i + 1));
	return 1;
}

const struct method method_ring = {
	.name = "ring",
	.flags = METHOD_CEILING,
	.setup = ring_setup,
	.prepare = ring_prepare,
	.send = ring_send,
	.finish = ring_finish,
	.recv = ring_recv,
	.cleanup = ring_cleanup,
};
