/* SPDX-License-Identifier: MIT */
/*
 * attack-resources - rows 16 and 17 of the threat matrix, from the
 * producer's side: a flood of regions that never reads a RELEASE, so that
 * the consumer's window fills with releases it cannot send; an id used
 * twice in a row; the consumer adding seals to a memfd that lacks
 * F_SEAL_SEAL (17); and slow peers that connect and then say nothing, a
 * HELLO only, or one REGION, while an honest producer must still be served
 * within the timeout: what a consumer that serves one connection at a
 * time cannot do.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "hostile.h"

/* Past the window by far, and past what a socket buffer holds of RELEASEs. */
static uint32_t flood_count(const struct run *r)
{
	uint64_t n = (uint64_t)r->c->hello.window * 4 + 256;

	return n > 20000 ? 20000 : (uint32_t)n;
}

/* Distinct ids of 1..@n released, until @deadline or a close. */
static uint32_t count_released(struct conn *c, uint8_t *seen, uint32_t n,
			       int64_t deadline, int *ret_closed)
{
	static uint8_t b[16 + 8 * 4096];
	uint32_t got = 0, k, count;
	uint64_t id;
	ssize_t len;

	*ret_closed = 0;
	while (got < n) {
		len = peer_recv(c, b, sizeof(b), deadline);
		if (len == 0)
			*ret_closed = 1;
		if (len <= 0)
			break;
		count = pkt_release_count(b, (size_t)len);
		for (k = 0; k < count; k++) {
			id = sshm_get_le64(b + 16 + 8 * (size_t)k);
			if (id >= 1 && id <= n && !seen[id]) {
				seen[id] = 1;
				got++;
			}
		}
	}
	return got;
}

/*
 * Sends regions as fast as the socket takes them and reads nothing: once
 * the consumer's RELEASEs no longer fit in our socket, it holds more
 * unreleased regions than its window.  Either it kept up (all released in
 * the end) or it closed the connection; it must not stall.
 */
static void flood(struct run *r, int arg)
{
	const uint32_t n = flood_count(r);
	uint32_t i, got;
	uint8_t *seen;
	struct conn *c;
	int fd, e = 0, closed;

	fd = obj_sealed(r, 4096, 0);
	if (fd < 0 || !(c = peer_start(r)))
		return;
	seen = calloc((size_t)n + 1, 1);
	if (!seen) {
		run_syserr(r, -ENOMEM, "flood");
		return;
	}
	for (i = 1; i <= n; i++) {
		e = peer_send_region(c, i, 4096, fd, fd, peer_deadline(r));
		if (e < 0)
			break;
	}
	if (e == -ETIMEDOUT) {
		run_fail(r,
			 "the consumer stopped reading after %u regions without "
			 "closing the connection",
			 i - 1);
	} else if (e < 0 && e != -EPIPE) {
		run_fail(r, "sending: %s", strerror(-e));
	} else {
		got = count_released(c, seen, i - 1, peer_deadline(r), &closed);
		if (closed || e == -EPIPE)
			run_note(r, "closed after %u of %u regions (window %u)", i - 1, n,
				 r->c->hello.window);
		else if (got == n)
			run_note(r, "all %u released, connection kept", n);
		else
			run_fail(r,
				 "%u of %u regions released within %lu ms, and the "
				 "connection still open",
				 got, n, r->o->timeout_ms);
	}
	free(seen);
}

/* The same id twice in a row: a violation if the consumer still held the
 * first when the second came, else a region like any other. */
static void duplicate_id(struct run *r, int arg)
{
	const uint64_t ids[2] = { 7, 7 };
	struct conn *c;
	int fd = obj_sealed(r, 4096, 0), e, closed;
	unsigned int got;

	if (fd < 0 || !(c = peer_start(r)))
		return;
	e = peer_send_region(c, 7, 4096, fd, fd, peer_deadline(r));
	if (e == 0)
		e = peer_send_region(c, 7, 4096, fd, fd, peer_deadline(r));
	if (e < 0 && e != -EPIPE) {
		run_fail(r, "sending: %s", strerror(-e));
		return;
	}
	got = expect_collect(c, ids, 2, peer_deadline(r), &closed);
	if (got == 2)
		run_note(r, "released twice, connection kept");
	else if (closed || e == -EPIPE)
		run_note(r, "released %u time%s, then connection closed", got,
			 got == 1 ? "" : "s");
	else
		run_fail(r, "id 7 released %u of 2 times within %lu ms, connection open",
			 got, r->o->timeout_ms);
}

/* SHRINK|GROW|WRITE without F_SEAL_SEAL: acceptable, and open to more
 * seals.  The consumer must leave them, and the size, as they were. */
static void seals_unchanged(struct run *r, int arg)
{
	const unsigned int seals = SSHM_SEALS_REQUIRED;
	int fd = obj_memfd(r, 8192, seals, 0, 0), now;
	struct conn *c;
	struct stat st;

	if (fd < 0 || !(c = peer_start(r)))
		return;
	if (peer_send_region(c, 1, 8192, fd, fd, peer_deadline(r)) < 0) {
		run_fail(r, "the region could not be sent");
		return;
	}
	if (expect_release(r, c, 1) < 0)
		return;
	now = fcntl(fd, F_GET_SEALS);
	if (now != (int)seals)
		run_fail(r,
			 "the consumer changed the seals of our memfd (0x%x, was 0x%x)",
			 (unsigned int)now, seals);
	else if (fstat(fd, &st) < 0 || st.st_size != 8192)
		run_fail(r, "the size of our memfd changed");
	else
		run_note(r, "released 1/1, seals and size unchanged");
}

/* Connect and say nothing (@arg 0), a HELLO only (1), or a HELLO and one
 * REGION (2), then silence: an honest producer must be served meanwhile. */
static void slow(struct run *r, int arg)
{
	static const char *const what[] = { "silent", "after HELLO", "after a REGION" };
	const uint64_t id = 1;
	struct conn *c = peer_new(r);
	char why[256];
	int fd = -1, closed;

	if (!c || peer_connect(r, c) < 0)
		return;
	if (arg >= 1 && peer_send_hello(r, c) < 0)
		return;
	if (arg == 2 && ((fd = obj_sealed(r, 4096, 0)) < 0 ||
			 peer_send_region(c, id, 4096, fd, fd, peer_deadline(r)) < 0)) {
		run_fail(r, "the region could not be sent");
		return;
	}
	if (honest_check(r->o->socket, r->seq, r->o->timeout_ms, why, sizeof(why)) == 0)
		run_note(r, "served while the peer held its connection %s", what[arg]);
	else
		run_fail(r,
			 "an honest producer was not served while a peer held its "
			 "connection %s: %s",
			 what[arg], why);
	if (arg == 2) {
		if (expect_collect(c, &id, 1, peer_deadline(r), &closed) == 1)
			run_note(r, "region released");
		else if (!run_failed(r))
			run_fail(r, "the silent peer's region was never released");
	}
}

const struct attack attacks_resources[] = {
	ATTACK("flood-window", 16, "released|broken",
	       "regions far beyond the consumer's window, never reading a RELEASE", flood,
	       0),
	ATTACK("duplicate-id", 16, "released|broken", "the same region id twice in a row",
	       duplicate_id, 0),
	ATTACK("slow-silent", 16, "served",
	       "connect and say nothing, while an honest producer must be served", slow,
	       0),
	ATTACK("slow-hello", 16, "served",
	       "a HELLO, then silence, while an honest producer must be served", slow, 1),
	ATTACK("slow-region", 16, "served",
	       "a HELLO and one REGION, then silence, while an "
	       "honest producer must be served",
	       slow, 2),
	ATTACK("seals-unchanged", 17, "released",
	       "a memfd without F_SEAL_SEAL: the consumer must not add seals to it",
	       seals_unchanged, 0),
};
const size_t n_attacks_resources = ELEMENTSOF(attacks_resources);
