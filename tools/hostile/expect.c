/* SPDX-License-Identifier: MIT */
/*
 * expect - what an attack waits for, in the words of doc/threat-model.md.
 * "Refused": the region comes back in a RELEASE and the connection stays
 * usable.  "Broken": the consumer closes the connection.  A consumer
 * cannot be looked into; these are what it says on the wire, each within
 * the timeout.
 */
#include <errno.h>
#include <string.h>

#include "hostile.h"

/* RELEASEs name up to 4096 ids. */
static uint8_t rx[16 + 8 * 4096];

unsigned int expect_collect(struct conn *c, const uint64_t *ids, unsigned int n,
			    int64_t deadline, int *ret_closed)
{
	unsigned int seen = 0, i, k, count;
	ssize_t len;

	*ret_closed = 0;
	while (seen < n || !n) {
		len = peer_recv(c, rx, sizeof(rx), deadline);
		if (len == 0) {
			*ret_closed = 1;
			break;
		}
		if (len < 0)
			break;
		/* Anything else the consumer sends (data of its own) is
		 * allowed and of no interest here. */
		count = pkt_release_count(rx, (size_t)len);
		for (k = 0; k < count; k++)
			for (i = 0; i < n; i++)
				if (sshm_get_le64(rx + 16 + 8 * (size_t)k) == ids[i]) {
					seen++;
					break;
				}
	}
	return seen;
}

int expect_release(struct run *r, struct conn *c, uint64_t id)
{
	int closed;

	if (expect_collect(c, &id, 1, peer_deadline(r), &closed) == 1)
		return 0;
	if (closed)
		run_fail(r,
			 "closed the connection instead of releasing region %llu "
			 "(refused is not broken)",
			 (unsigned long long)id);
	else
		run_fail(r, "region %llu not released within %lu ms",
			 (unsigned long long)id, r->o->timeout_ms);
	return -1;
}

int expect_refused(struct run *r, struct conn *c, uint64_t id, uint64_t size,
		   int32_t announced, int fd)
{
	int e = peer_send_region(c, id, size, announced, fd, peer_deadline(r));

	if (e == -EPIPE) {
		run_fail(r, "the connection was closed before region %llu could be sent",
			 (unsigned long long)id);
		return -1;
	}
	if (e < 0) {
		run_fail(r, "sending region %llu: %s", (unsigned long long)id,
			 strerror(-e));
		return -1;
	}
	return expect_release(r, c, id);
}

void expect_kept(struct run *r, struct conn *c)
{
	/* An id no attack uses: the follow-up is a region of its own. */
	const uint64_t id = 0x4b455054; /* "KEPT" */
	int fd, e, closed;

	if (run_failed(r))
		return;
	fd = obj_sealed(r, 8192, 0);
	if (fd < 0)
		return;
	e = peer_send_region(c, id, 8192, fd, fd, peer_deadline(r));
	if (e == 0 && expect_collect(c, &id, 1, peer_deadline(r), &closed) == 1) {
		run_note(r, "connection kept");
		return;
	}
	if (e == -EPIPE || (e == 0 && closed)) {
		run_note(r, "connection closed after the refusal");
		if (r->o->strict)
			run_fail(r,
				 "closed the connection after a refusal that leaves it "
				 "usable (--strict)");
		return;
	}
	run_fail(r,
		 "an honest region on the same connection was not released "
		 "within %lu ms",
		 r->o->timeout_ms);
}

void expect_broken(struct run *r, struct conn *c)
{
	int closed;

	(void)expect_collect(c, NULL, 0, peer_deadline(r), &closed);
	if (closed) {
		run_note(r, "connection closed by the consumer");
		return;
	}
	run_fail(r,
		 "the connection was still open %lu ms after a framing violation "
		 "(it must be broken)",
		 r->o->timeout_ms);
}

void expect_refuse_each(struct run *r, const int *fds, const uint64_t *sizes,
			unsigned int n)
{
	struct conn *c;
	unsigned int i, done = 0;

	if (run_failed(r) || !(c = peer_start(r)))
		return;
	for (i = 0; i < n; i++) {
		if (expect_refused(r, c, i + 1, sizes[i], fds[i], fds[i]) < 0)
			break;
		done++;
	}
	run_note(r, "released %u/%u", done, n);
	expect_kept(r, c);
}
