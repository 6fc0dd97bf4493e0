/* SPDX-License-Identifier: MIT */
/*
 * spare - one buffer kept between received copies, so that a large one is
 * not a fresh mapping faulted in page by page each time.
 */
#include <malloc.h>
#include <pthread.h>
#include <stdlib.h>

#include "spare.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static void *spare; /* or NULL */

void *spare_take(size_t size)
{
	void *buf;
	size_t have;

	pthread_mutex_lock(&lock);
	buf = spare;
	spare = NULL;
	pthread_mutex_unlock(&lock);
	if (buf) {
		/* What malloc gave, which is at least what was asked. */
		have = malloc_usable_size(buf);
		if (have >= size && have / 2 <= size)
			return buf;
		free(buf);
	}
	return malloc(size ? size : 1);
}

void spare_give(void *buf)
{
	void *old;

	if (!buf)
		return;
	if (malloc_usable_size(buf) > SPARE_MAX + SPARE_SLACK) {
		free(buf);
		return;
	}
	pthread_mutex_lock(&lock);
	old = spare;
	spare = buf;
	pthread_mutex_unlock(&lock);
	free(old);
}

/* Nothing kept past the library's unloading (or valgrind would say so). */
__attribute__((destructor)) static void spare_fini(void)
{
	free(spare);
	spare = NULL;
}
