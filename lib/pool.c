/* SPDX-License-Identifier: MIT */
/*
 * pool - regions prepared ahead, so the producer's hot path is fill + seal +
 * send.  Preparing means creating and sizing the memfd and allocating its
 * pages: fallocate(2) for pwrite fills, or a writable mapping populated with
 * MADV_POPULATE_WRITE for in-place fills (page allocation, zeroing and page
 * table entries all done here instead of in first-touch faults).  A sealed
 * region can never be unsealed, so a pool hands out each region once.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "hugepage.h"
#include "private.h"
#include "region.h"
#include "syscall.h"

#define POOL_FLAGS     (SSHM_POOL_THREAD | SSHM_POOL_MAP | SSHM_POOL_HUGEPAGE)
#define POOL_DEPTH_MAX 1024u

struct prepared {
	int fd;
	void *map; /* NULL unless SSHM_POOL_MAP */
};

struct sshm_pool {
	atomic_uint refs;
	uint64_t size;
	unsigned int depth;
	unsigned int flags;
	unsigned int region_flags;

	pthread_mutex_t lock;
	pthread_cond_t want; /* the refill thread waits for room or stop */
	struct prepared *ready;
	unsigned int n_ready;
	int stop;
	int have_thread;
	pthread_t thread;
};

/* Creates one ready memfd; runs without the lock. */
static int prepare(const struct sshm_pool *pool, struct prepared *ret)
{
	void *map = NULL;
	int fd, r = 0;

	fd = region_memfd_new("sshm-pool", pool->size, 0);
	if (fd < 0)
		return fd;
	if (pool->flags & (SSHM_POOL_MAP | SSHM_POOL_HUGEPAGE)) {
		/* Populating through a (possibly huge-page advised) mapping is
		 * what gives huge folios under the THP mode "advise". */
		map = region_map_rw(fd, pool->size, pool->region_flags);
		if (map == MAP_FAILED) {
			r = neg_errno();
			map = NULL;
		} else {
			r = hugepage_populate(map, (size_t)pool->size, 1);
		}
		if (r >= 0 && !(pool->flags & SSHM_POOL_MAP)) {
			munmap(map, (size_t)pool->size);
			map = NULL;
		}
	} else if (fallocate(fd, 0, 0, (off_t)pool->size) < 0) {
		r = neg_errno();
	}
	if (r < 0) {
		if (map)
			munmap(map, (size_t)pool->size);
		close(fd);
		return r;
	}
	ret->fd = fd;
	ret->map = map;
	return 0;
}

static void prepared_release(const struct sshm_pool *pool, struct prepared *p)
{
	if (p->map)
		munmap(p->map, (size_t)pool->size);
	close(p->fd);
}

/* Adds one prepared region unless the pool is full: 1 added, 0 full. */
static int refill_one(struct sshm_pool *pool)
{
	struct prepared p;
	int r;

	pthread_mutex_lock(&pool->lock);
	r = pool->n_ready < pool->depth;
	pthread_mutex_unlock(&pool->lock);
	if (!r)
		return 0;
	r = prepare(pool, &p);
	if (r < 0)
		return r;
	pthread_mutex_lock(&pool->lock);
	if (pool->n_ready < pool->depth) {
		pool->ready[pool->n_ready++] = p;
		r = 1;
	} else {
		r = 0;
	}
	pthread_mutex_unlock(&pool->lock);
	if (r == 0)
		prepared_release(pool, &p);
	return r;
}

static void *refill_thread(void *arg)
{
	struct sshm_pool *pool = arg;

	for (;;) {
		pthread_mutex_lock(&pool->lock);
		while (!pool->stop && pool->n_ready >= pool->depth)
			pthread_cond_wait(&pool->want, &pool->lock);
		if (pool->stop) {
			pthread_mutex_unlock(&pool->lock);
			return NULL;
		}
		pthread_mutex_unlock(&pool->lock);
		/* A failure (EMFILE, ENOMEM) is not fatal: sshm_pool_get()
		 * prepares synchronously and reports the error itself.  Back
		 * off until the next get instead of spinning. */
		if (refill_one(pool) < 0) {
			pthread_mutex_lock(&pool->lock);
			if (!pool->stop)
				pthread_cond_wait(&pool->want, &pool->lock);
			pthread_mutex_unlock(&pool->lock);
		}
	}
}

SSHM_EXPORT int sshm_pool_fill(struct sshm_pool *pool)
{
	int r, added = 0;

	if (!pool)
		return -EINVAL;
	while ((r = refill_one(pool)) > 0)
		added++;
	return r < 0 && added == 0 ? r : added;
}

SSHM_EXPORT int sshm_pool_new(uint64_t size, unsigned int depth, unsigned int flags,
			      struct sshm_pool **ret_pool)
{
	struct sshm_pool *pool;
	int r;

	if (region_check_size(size) < 0 || depth == 0 || depth > POOL_DEPTH_MAX ||
	    (flags & ~POOL_FLAGS) || !ret_pool)
		return -EINVAL;
	pool = calloc(1, sizeof(*pool));
	if (!pool)
		return -ENOMEM;
	pool->ready = calloc(depth, sizeof(pool->ready[0]));
	if (!pool->ready) {
		free(pool);
		return -ENOMEM;
	}
	atomic_init(&pool->refs, 1);
	pool->size = size;
	pool->depth = depth;
	pool->flags = flags;
	pool->region_flags = flags & SSHM_POOL_HUGEPAGE ? SSHM_REGION_HUGEPAGE : 0;
	pthread_mutex_init(&pool->lock, NULL);
	pthread_cond_init(&pool->want, NULL);

	r = sshm_pool_fill(pool);
	if (r >= 0 && (flags & SSHM_POOL_THREAD)) {
		r = -pthread_create(&pool->thread, NULL, refill_thread, pool);
		pool->have_thread = r == 0;
	}
	if (r < 0) {
		sshm_pool_unref(pool);
		return r;
	}
	*ret_pool = pool;
	return 0;
}

SSHM_EXPORT struct sshm_pool *sshm_pool_ref(struct sshm_pool *pool)
{
	if (!pool)
		return NULL;
	atomic_fetch_add_explicit(&pool->refs, 1, memory_order_relaxed);
	return pool;
}

SSHM_EXPORT struct sshm_pool *sshm_pool_unref(struct sshm_pool *pool)
{
	if (!pool)
		return NULL;
	if (atomic_fetch_sub_explicit(&pool->refs, 1, memory_order_acq_rel) != 1)
		return NULL;
	if (pool->have_thread) {
		pthread_mutex_lock(&pool->lock);
		pool->stop = 1;
		pthread_cond_signal(&pool->want);
		pthread_mutex_unlock(&pool->lock);
		pthread_join(pool->thread, NULL);
	}
	while (pool->n_ready > 0)
		prepared_release(pool, &pool->ready[--pool->n_ready]);
	pthread_cond_destroy(&pool->want);
	pthread_mutex_destroy(&pool->lock);
	free(pool->ready);
	free(pool);
	return NULL;
}

SSHM_EXPORT int sshm_pool_get(struct sshm_pool *pool, struct sshm_region **ret_region)
{
	struct prepared p;
	int have, r;

	if (!pool || !ret_region)
		return -EINVAL;
	pthread_mutex_lock(&pool->lock);
	have = pool->n_ready > 0;
	if (have)
		p = pool->ready[--pool->n_ready];
	pthread_cond_signal(&pool->want);
	pthread_mutex_unlock(&pool->lock);

	/* Empty: the caller pays for this one. */
	if (!have) {
		r = prepare(pool, &p);
		if (r < 0)
			return r;
	}
	r = region_wrap(p.fd, pool->size, pool->region_flags, p.map, ret_region);
	if (r < 0)
		prepared_release(pool, &p);
	return r;
}

SSHM_EXPORT unsigned int sshm_pool_ready(struct sshm_pool *pool)
{
	unsigned int n;

	if (!pool)
		return 0;
	pthread_mutex_lock(&pool->lock);
	n = pool->n_ready;
	pthread_mutex_unlock(&pool->lock);
	return n;
}
