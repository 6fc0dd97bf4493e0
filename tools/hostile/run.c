/* SPDX-License-Identifier: MIT */
/*
 * run - one attack from start to verdict.  The attack does its own part
 * (what it sends, what it expects on the wire); then, for every attack
 * alike and in this order:
 *
 *  1. its connections are closed and its children killed: a consumer that
 *     serves one connection at a time would otherwise still be busy;
 *  2. an honest producer on a fresh connection must be served (the slow
 *     peers also ran one while they held their connections);
 *  3. the probes: no object the consumer had to refuse was mapped or read;
 *  4. with --pid, the consumer is alive and holds no descriptor and no
 *     mapping of anything the attack sent.
 *
 * Only then are the attack's own objects closed: while they are open their
 * inode numbers cannot name anything else.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hostile.h"

/* Bounds the wait for a consumer to close what it released. */
#define SETTLE_MAX_MS 2000ul

static void append(char *buf, size_t size, const char *sep, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));

static void append(char *buf, size_t size, const char *sep, const char *fmt, va_list ap)
{
	size_t n = strlen(buf);

	if (n && n + strlen(sep) < size) {
		strcpy(buf + n, sep);
		n += strlen(sep);
	}
	if (n < size)
		vsnprintf(buf + n, size - n, fmt, ap);
}

void run_note(struct run *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	append(r->observed, sizeof(r->observed), ", ", fmt, ap);
	va_end(ap);
}

void run_fail(struct run *r, const char *fmt, ...)
{
	va_list ap;

	if (r->verdict == VERDICT_SKIP)
		return;
	r->verdict = VERDICT_FAIL;
	va_start(ap, fmt);
	append(r->reason, sizeof(r->reason), "; ", fmt, ap);
	va_end(ap);
}

void run_skip(struct run *r, const char *fmt, ...)
{
	va_list ap;

	r->verdict = VERDICT_SKIP;
	r->reason[0] = '\0';
	va_start(ap, fmt);
	vsnprintf(r->reason, sizeof(r->reason), fmt, ap);
	va_end(ap);
}

void run_syserr(struct run *r, int err, const char *what)
{
	/* Not the consumer's doing: no verdict on it, and exit status 3. */
	run_skip(r, "system error: %s: %s", what, strerror(-err));
	r->syserr = 1;
}

int run_failed(const struct run *r)
{
	return r->verdict != VERDICT_PASS;
}

void run_child(struct run *r, pid_t pid)
{
	if (r->nchild < MAX_CHILDREN)
		r->child[r->nchild++] = pid;
}

static void close_peers(struct run *r)
{
	unsigned int i;

	for (i = 0; i < r->nconn; i++)
		peer_close(&r->conn[i]);
	for (i = 0; i < r->nchild; i++) {
		kill(r->child[i], SIGKILL);
		while (waitpid(r->child[i], NULL, 0) < 0 && errno == EINTR)
			;
	}
	r->nchild = 0;
}

static void check_served(struct run *r)
{
	char why[256];
	int i;

	if (honest_check(r->o->socket, r->seq, r->o->timeout_ms, why, sizeof(why)) == 0) {
		run_note(r, "served afterwards");
		return;
	}
	r->unserved = 1;
	/* A consumer on its way out (its socket file already unlinked) is
	 * given a moment to be gone, so that the report says so. */
	for (i = 0; r->o->pid && i < 25 && fdcheck_alive(r->o->pid); i++)
		usleep(20000);
	if (r->o->pid && !fdcheck_alive(r->o->pid))
		run_fail(r, "the consumer process exited");
	else
		run_fail(r, "an honest producer was not served afterwards: %s", why);
}

static void check_held(struct run *r)
{
	unsigned long settle = r->o->timeout_ms < SETTLE_MAX_MS ? r->o->timeout_ms
								: SETTLE_MAX_MS;
	unsigned int fds, maps;
	char what[128];
	int e;

	if (!r->o->pid || !r->nobj)
		return;
	if (!fdcheck_alive(r->o->pid))
		return; /* said already: nothing is held by a process gone */
	e = fdcheck_count(r->o->pid, r, settle, &fds, &maps, what, sizeof(what));
	if (e < 0) {
		run_syserr(r, e, "/proc of the consumer");
		return;
	}
	if (fds)
		run_fail(r, "the consumer kept %u descriptor%s of the attack open (%s)",
			 fds, fds == 1 ? "" : "s", what);
	if (maps)
		run_fail(r, "the consumer kept %u mapping%s of the attack", maps,
			 maps == 1 ? "" : "s");
	if (!fds && !maps)
		run_note(r, "nothing kept");
}

void run_attack(const struct options *o, const struct consumer *c, const struct attack *a,
		unsigned int seq, struct run *r)
{
	memset(r, 0, sizeof(*r));
	r->o = o;
	r->c = c;
	r->a = a;
	r->seq = seq;
	r->verdict = VERDICT_PASS;
	if (a->na) {
		run_skip(r, "not applicable from a peer: %s", a->na);
		return;
	}
	a->fn(r, a->arg);
	close_peers(r);
	if (r->verdict != VERDICT_SKIP) {
		check_served(r);
		obj_check(r);
		check_held(r);
	}
	obj_close_all(r);
}
