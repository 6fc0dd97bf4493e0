/* SPDX-License-Identifier: MIT */
#ifndef SSHM_LEDGER_H
#define SSHM_LEDGER_H

#include <stdint.h>

#include "sshm.h"

struct ledger_entry {
	uint64_t id;
	uint64_t size;
	struct sshm_region *region; /* one reference, held until released */
};

/*
 * What a sending channel has in flight: every region sent and not yet
 * released by the peer, in send order, with their total size.  Holding a
 * reference keeps each region's fd open, so the peer's kcmp compares the
 * file announced.
 */
struct ledger {
	struct ledger_entry *entries;
	unsigned int n;
	unsigned int cap;
	uint64_t bytes;
};

/* Room for @cap regions, allocated once: adding never fails.  -ENOMEM. */
int ledger_init(struct ledger *l, unsigned int cap);
void ledger_fini(struct ledger *l);

/* Room for @cap regions (never less than are in flight).  -ENOMEM. */
int ledger_reserve(struct ledger *l, unsigned int cap);

/* Records region @r (a new reference) as id @id.  The caller made sure
 * n < cap. */
void ledger_add(struct ledger *l, uint64_t id, struct sshm_region *r);

/* The peer released @id: drops the reference.  0, or -SSHM_EPROTO for an
 * id not in flight. */
int ledger_release(struct ledger *l, uint64_t id);

/* The peer is gone: everything in flight is dropped. */
void ledger_clear(struct ledger *l);

#endif
