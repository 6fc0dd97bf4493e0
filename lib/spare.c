/* SPDX-License-Identifier: MIT */
/*
 * spare - one buffer kept between received copies, so that a large one is
 * not a fresh mapping faulted in page by page each time.
 */
#include <malloc.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "spare.h"

/* Or NULL.  Exchanged whole: no lock, so nothing a fork could catch held. */
static _Atomic(void *) spare;

void *spare_take(size_t size)
{
	void *buf;
	size_t have;

	buf = atomic_exchange(&spare, NULL);
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
	old = atomic_exchange(&spare, buf);
	free(old);
}

/* Nothing kept past the library's unloading (or valgrind would say so). */
__attribute__((destructor)) static void spare_fini(void)
{
	free(atomic_exchange(&spare, NULL));
}
