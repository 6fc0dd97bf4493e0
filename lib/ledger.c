/* SPDX-License-Identifier: MIT */
/*
 * ledger - the regions a channel has in flight, for the window and the
 * releases.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "ledger.h"
#include "private.h"

int ledger_init(struct ledger *l, unsigned int cap)
{
	memset(l, 0, sizeof(*l));
	l->entries = calloc(cap, sizeof(l->entries[0]));
	if (!l->entries)
		return -ENOMEM;
	l->cap = cap;
	return 0;
}

void ledger_fini(struct ledger *l)
{
	ledger_clear(l);
	free(l->entries);
	l->entries = NULL;
	l->cap = 0;
}

int ledger_reserve(struct ledger *l, unsigned int cap)
{
	struct ledger_entry *e;

	assert(cap >= l->n);
	if (cap == l->cap)
		return 0;
	e = realloc(l->entries, (size_t)(cap ? cap : 1) * sizeof(*e));
	if (!e)
		return -ENOMEM;
	l->entries = e;
	l->cap = cap;
	return 0;
}

void ledger_add(struct ledger *l, uint64_t id, struct sshm_region *r)
{
	struct ledger_entry *e;

	assert(l->n < l->cap);
	e = &l->entries[l->n++];
	e->id = id;
	e->size = sshm_region_size(r);
	e->region = sshm_region_ref(r);
	l->bytes += e->size;
}

int ledger_release(struct ledger *l, uint64_t id)
{
	unsigned int i;

	/* Releases mostly come in send order: the oldest is first. */
	for (i = 0; i < l->n; i++) {
		if (l->entries[i].id != id)
			continue;
		l->bytes -= l->entries[i].size;
		sshm_region_unref(l->entries[i].region);
		memmove(&l->entries[i], &l->entries[i + 1],
			(l->n - i - 1) * sizeof(l->entries[0]));
		l->n--;
		return 0;
	}
	return -SSHM_EPROTO;
}

void ledger_clear(struct ledger *l)
{
	while (l->n > 0)
		sshm_region_unref(l->entries[--l->n].region);
	l->bytes = 0;
}
