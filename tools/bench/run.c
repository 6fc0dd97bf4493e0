/* SPDX-License-Identifier: MIT */
/*
 * run - one cell as a fresh set of processes: the parent sets up the
 * connections, forks N consumers and one producer, lets the producer go
 * once every child is pinned (--pin) and has allocated and touched its
 * buffers, and reads what each child left in a shared page.  Setup, fork
 * and teardown are never timed.  A child that hangs or crashes is a
 * failure: the parent kills the cell's children (its own, by pid) and says
 * why.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

#define NS_PER_S      UINT64_C(1000000000)
#define CRASH_POLL_MS 200

/* The pipes between the parent and the children. */
enum { READY_R, READY_W, GO_R, GO_W };

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
void cell_keep(struct cell *c, int role)
{
	unsigned int j;

	for (j = 0; j < c->consumers; j++) {
		if (role != ROLE_PRODUCER)
			link_close(&c->link[j], 1);
		if (role != (int)j)
			link_close(&c->link[j], 0);
	}
}

int cell_setup(struct cell *c)
{
	unsigned int j;

	for (j = 0; j < MAX_CONSUMERS; j++) {
		c->link[j].prod_fd = c->link[j].cons_fd = -1;
		c->link[j].prod_ch = c->link[j].cons_ch = NULL;
	}
	c->sh = mmap(NULL, sizeof(*c->sh), PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (c->sh == MAP_FAILED) {
		c->sh = NULL;
		return -errno;
	}
	atomic_store(&c->sh->warm_end, PHASE_UNSET);
	atomic_store(&c->sh->measure_end, PHASE_UNSET);
	return c->setup ? c->setup(c) : 0;
}

void cell_free(struct cell *c)
{
	cell_keep(c, ROLE_PARENT);
	if (c->cleanup)
		c->cleanup(c);
	if (c->sh)
		munmap(c->sh, sizeof(*c->sh));
	c->sh = NULL;
}

static void worker_free(struct worker *w)
{
	free(w->buf);
	free(w->samples);
	w->pool = sshm_pool_unref(w->pool);
	w->buf = NULL;
	w->samples = NULL;
}

/* Pinned first, so that buffers are allocated where they will be used. */
static int child_prepare(struct cell *c, int role, struct worker *w, struct outcome *out)
{
	int r;

	memset(w, 0, sizeof(*w));
	r = pin_self(&c->o->pin, role);
	if (r < 0) {
		fail(out, r, 0, "pin to a CPU");
		return r;
	}
	r = c->prepare ? c->prepare(c, role, w) : 0;
	if (r < 0)
		fail(out, r, 0, "set up");
	return r;
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

	cell_keep(c, role);
	if (child_prepare(c, role, &w, out) < 0)
		b = 'x';
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
		c->produce(c, &w, out);
	} else {
		close(go_r);
		c->consume(c, &w, out, (unsigned int)role);
	}
out:
	worker_free(&w);
	cell_keep(c, ROLE_PARENT);
	/* _exit: the parent's stdio buffers are not ours to flush. */
	_exit(out->err ? 1 : 0);
}

/* The consumers first: the producer is the last one forked, pids[n - 1]. */
static int fork_children(struct cell *c, int fds[4], pid_t *pids, unsigned int *n,
			 char *why, size_t why_len)
{
	int role, me;
	pid_t pid;

	fflush(NULL);
	for (role = 0; role <= (int)c->consumers; role++) {
		me = role == (int)c->consumers ? ROLE_PRODUCER : role;
		pid = fork();
		if (pid < 0) {
			snprintf(why, why_len, "fork: %s", sshm_strerror(errno));
			return -errno;
		}
		if (pid == 0) {
			close(fds[READY_R]);
			close(fds[GO_W]);
			child_main(c, me, fds[READY_W], fds[GO_R]);
		}
		pids[(*n)++] = pid;
	}
	return 0;
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

/* One byte from each of @n children: 'r' ready.  The count of the others. */
static int wait_ready(int fd, unsigned int n, unsigned int *bad, char *why,
		      size_t why_len)
{
	const uint64_t deadline = now_ns() + READY_TIMEOUT_S * NS_PER_S;
	unsigned int k;
	char b;

	for (k = 0; k < n; k++) {
		if (wait_readable(fd, deadline) <= 0 || read(fd, &b, 1) != 1) {
			snprintf(why, why_len, "children not ready after %d s",
				 READY_TIMEOUT_S);
			return -ETIMEDOUT;
		}
		if (b != 'r')
			(*bad)++;
	}
	return 0;
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
 * All exited when the last copy of ready's write end is gone.  Looks for a
 * crash between slices: a ring peer would wait for it forever.
 */
static int wait_done(const struct cell *c, int fd, const pid_t *pids, unsigned int n,
		     unsigned int *crashed, char *why, size_t why_len)
{
	const uint64_t deadline = now_ns() + c->plan.timeout_s * NS_PER_S;
	uint64_t slice;
	char b;
	int w;

	while (!*crashed) {
		slice = now_ns() + CRASH_POLL_MS * UINT64_C(1000000);
		w = wait_readable(fd, slice < deadline ? slice : deadline);
		if (w < 0 || (w == 0 && now_ns() >= deadline)) {
			snprintf(why, why_len, "no end after %llu s",
				 (unsigned long long)c->plan.timeout_s);
			return -ETIMEDOUT;
		}
		if (w == 0)
			*crashed = find_crashed(pids, n);
		else if (read(fd, &b, 1) == 0)
			return 0;
	}
	return 0;
}

static void describe_status(char *buf, size_t len, int status)
{
	if (WIFSIGNALED(status))
		snprintf(buf, len, "killed by signal %d (%s)", WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
	else
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(status));
}

/* Reaps every child; one that failed without saying why gets its status. */
static void reap(struct cell *c, const pid_t *pids, unsigned int n, int killed,
		 unsigned int crashed)
{
	const int have_producer = n == c->consumers + 1;
	struct outcome *out;
	unsigned int k;
	char s[64];
	int status;

	for (k = 0; k < n; k++) {
		while (waitpid(pids[k], &status, 0) < 0 && errno == EINTR)
			;
		/* The ones we killed are not news: the crash or timeout is. */
		if (killed && crashed != k + 1)
			continue;
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
			continue;
		out = have_producer && k == n - 1 ? &c->sh->prod : &c->sh->cons[k];
		describe_status(s, sizeof(s), status);
		if (!out->err)
			fail(out, 0, 0, "%s", s);
	}
}

/*
 * Forks the consumers and the producer, releases the producer once all are
 * ready, waits for all to exit (killing them past the deadline), and leaves
 * the outcomes in c->sh.  A negative code when the children could not run;
 * 0 otherwise (the outcomes tell whether they succeeded).
 */
int run_children(struct cell *c, char *why, size_t why_len)
{
	int fds[4] = { -1, -1, -1, -1 };
	pid_t pids[MAX_CONSUMERS + 1];
	unsigned int n = 0, k, bad = 0, crashed = 0;
	int r;

	if (pipe2(fds, O_CLOEXEC) < 0 || pipe2(fds + 2, O_CLOEXEC) < 0) {
		r = -errno;
		snprintf(why, why_len, "pipe: %s", sshm_strerror(r));
		goto out;
	}
	r = fork_children(c, fds, pids, &n, why, why_len);
	close(fds[READY_W]);
	close(fds[GO_R]);
	fds[READY_W] = fds[GO_R] = -1;
	cell_keep(c, ROLE_PARENT);
	if (r == 0)
		r = wait_ready(fds[READY_R], n, &bad, why, why_len);
	/* Everyone is ready: let the producer go. */
	close(fds[GO_W]);
	fds[GO_W] = -1;
	if (r == 0 && !bad)
		r = wait_done(c, fds[READY_R], pids, n, &crashed, why, why_len);
	c->culled = crashed != 0;
	/* Our own children only, by pid. */
	if (r < 0 || bad || crashed)
		for (k = 0; k < n; k++)
			kill(pids[k], SIGKILL);
	reap(c, pids, n, r < 0 || crashed, crashed);
out:
	for (k = 0; k < 4; k++)
		if (fds[k] >= 0)
			close(fds[k]);
	return r;
}
