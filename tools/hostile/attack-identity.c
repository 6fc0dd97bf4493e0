/* SPDX-License-Identifier: MIT */
/*
 * attack-identity - rows 15 and 18 to 20 of the threat matrix: a peer that
 * closes or is killed in the middle of its stream (15), a forked child
 * that sends although the HELLO promised a SENDER message first (18), an
 * announced descriptor number that names another file, is replaced by
 * dup2(2) or closed right after sending (19), and a sender that has exited
 * and been reaped before the consumer looks (20).
 *
 * Identity is a diagnosis, not a gate (doc/threat-model.md): what the
 * consumer decided cannot be seen from here, only that every region comes
 * back released and the consumer goes on.  The one verdict that is
 * certain, a mismatch, must not be mapped where the consumer can tell.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hostile.h"

/* A number well above what the attack uses, for announced descriptors. */
#define HIGH_FD 200

/* Connects, sends HELLO and REGIONs 1..@n of @fds, reads nothing: the
 * connection, or NULL. */
static struct conn *send_unread(struct run *r, const int *fds, int n)
{
	struct conn *c = peer_new(r);
	int i;

	if (!c || peer_connect(r, c) < 0 || peer_send_hello(r, c) < 0)
		return NULL;
	for (i = 0; i < n; i++)
		if (peer_send_region(c, (uint64_t)i + 1, 8192, fds[i], fds[i],
				     peer_deadline(r)) < 0)
			return NULL;
	return c;
}

/* HELLO and two REGIONs, then close without reading a byte. */
static void close_mid_stream(struct run *r, int arg)
{
	struct conn *c;
	int fds[2];

	fds[0] = obj_sealed(r, 8192, 0);
	fds[1] = obj_sealed(r, 8192, 0);
	if (run_failed(r) || !(c = send_unread(r, fds, 2)))
		return;
	peer_close(c);
	run_note(r, "closed after HELLO and 2 regions, unread");
}

/* Waits until @fd is readable (one byte), within the timeout. */
static int wait_byte(struct run *r, int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char b;

	if (poll(&p, 1, (int)r->o->timeout_ms) != 1 || read(fd, &b, 1) != 1)
		return -1;
	return 0;
}

/* The same from a child, killed by SIGKILL once it has sent. */
static void killed_mid_stream(struct run *r, int arg)
{
	int fds[2], ready[2];
	pid_t pid;

	fds[0] = obj_sealed(r, 8192, 0);
	fds[1] = obj_sealed(r, 8192, 0);
	if (run_failed(r))
		return;
	if (pipe2(ready, O_CLOEXEC) < 0) {
		run_syserr(r, -errno, "pipe2");
		return;
	}
	pid = fork();
	if (pid == 0) {
		close(ready[0]);
		if (!send_unread(r, fds, 2) || write(ready[1], "r", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(ready[1]);
	if (pid < 0) {
		run_syserr(r, -errno, "fork");
	} else if (wait_byte(r, ready[0]) < 0) {
		run_child(r, pid);
		run_fail(r, "the child could not send (not accepted?)");
	} else {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		run_note(r, "killed after HELLO and 2 regions");
	}
	close(ready[0]);
}

/*
 * Our HELLO promised SENDER; a forked child sends a REGION on our
 * connection without one, and holds the descriptor until told to go.
 */
static void fork_no_sender(struct run *r, int arg)
{
	int fd = obj_sealed(r, 8192, 0), go[2];
	struct conn *c;
	pid_t pid;

	if (fd < 0 || !(c = peer_start(r)))
		return;
	if (pipe2(go, O_CLOEXEC) < 0) {
		run_syserr(r, -errno, "pipe2");
		return;
	}
	pid = fork();
	if (pid == 0) {
		char b;

		close(go[1]);
		if (peer_send_region(c, 1, 8192, fd, fd, peer_deadline(r)) < 0)
			_exit(1);
		while (read(go[0], &b, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	close(go[0]);
	if (pid < 0) {
		run_syserr(r, -errno, "fork");
	} else {
		run_child(r, pid);
		if (expect_release(r, c, 1) == 0)
			run_note(r, "released 1/1 (sent by a child, no SENDER)");
	}
	close(go[1]);
	expect_kept(r, c);
}

/*
 * Can the consumer learn that an announced number names another file?  It
 * must check identities, the kernel must have kcmp(2), and kcmp must be
 * allowed to look at us: the consumer runs as our user or as root (without
 * --pid, taken to be so).  Else the verdict is "unverifiable", which a
 * consumer may accept: then a mapping is no failure.
 */
static const char *mismatch_uncertain(const struct run *r)
{
	uid_t uid;
	int fd;

	if (r->o->no_identity)
		return "--no-identity";
	fd = memfd_create("sshm-hostile-kcmp", MFD_CLOEXEC);
	if (fd >= 0 && syscall(SYS_kcmp, getpid(), getpid(), KCMP_FILE, fd, fd) < 0 &&
	    errno == ENOSYS) {
		close(fd);
		return "no kcmp(2) here";
	}
	if (fd >= 0)
		close(fd);
	if (r->o->pid && fdcheck_euid(r->o->pid, &uid) == 0 && uid != 0 &&
	    uid != geteuid())
		return "the consumer runs as another user: kcmp(2) is denied to it";
	return NULL;
}

/* REGION of memfd A announcing the number of memfd B: kcmp says another
 * file, a certain mismatch, where the consumer can tell. */
static void announced_other(struct run *r, int arg)
{
	const char *why = mismatch_uncertain(r);
	int a = obj_sealed(r, 8192, why ? 0 : OBJ_UNTOUCHED), b = obj_sealed(r, 8192, 0);
	struct conn *c;

	if (run_failed(r) || !(c = peer_start(r)))
		return;
	if (expect_refused(r, c, 1, 8192, b, a) == 0)
		run_note(r, "released 1/1");
	if (why)
		run_note(r, "may be mapped (%s)", why);
	expect_kept(r, c);
}

/* Announces and passes number N, then, right after the send, puts another
 * sealed memfd at N (@arg 0) or closes N (@arg 1): the verdict depends on
 * who is first, so only the release is certain. */
static void announced_changed(struct run *r, int arg)
{
	int a = obj_sealed(r, 8192, 0), b = obj_sealed(r, 8192, 0), n;
	struct conn *c;

	if (run_failed(r) || !(c = peer_start(r)))
		return;
	n = fcntl(a, F_DUPFD_CLOEXEC, HIGH_FD);
	if (n < 0) {
		run_syserr(r, -errno, "F_DUPFD");
		return;
	}
	if (peer_send_region(c, 1, 8192, n, n, peer_deadline(r)) < 0) {
		run_fail(r, "the region could not be sent");
		close(n);
		return;
	}
	if (arg == 0)
		dup2(b, n);
	close(n);
	if (expect_release(r, c, 1) == 0)
		run_note(r, "released 1/1 (%s after sending)",
			 arg ? "closed" : "replaced");
	expect_kept(r, c);
}

/* A child connects, sends HELLO and a REGION, and exits: reaped before the
 * consumer may even have read it. */
static void sender_exited(struct run *r, int arg)
{
	int fd = obj_sealed(r, 8192, 0), status;
	pid_t pid;

	if (fd < 0)
		return;
	pid = fork();
	if (pid == 0)
		_exit(send_unread(r, &fd, 1) ? 0 : 1);
	if (pid < 0) {
		run_syserr(r, -errno, "fork");
		return;
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status)) {
		run_fail(r, "the child could not send (not accepted?)");
		return;
	}
	run_note(r, "the sender exited and was reaped right after sending");
}

const struct attack attacks_identity[] = {
	ATTACK("close-mid-stream", 15, "survived",
	       "HELLO and two regions, then close without reading anything",
	       close_mid_stream, 0),
	ATTACK("killed-mid-stream", 15, "survived",
	       "a child sends HELLO and two regions, then is killed (SIGKILL)",
	       killed_mid_stream, 0),
	ATTACK("fork-no-sender", 18, "released",
	       "the HELLO promised SENDER; a forked child sends a region without one",
	       fork_no_sender, 0),
	ATTACK("announced-other-file", 19, "refused",
	       "the announced fd number names another sealed memfd (kcmp: mismatch)",
	       announced_other, 0),
	ATTACK("dup2-after-send", 19, "released",
	       "another sealed memfd dup2()ed over the announced number after sending",
	       announced_changed, 0),
	ATTACK("closed-announced", 19, "released",
	       "the announced descriptor closed after sending", announced_changed, 1),
	ATTACK("sender-exited", 20, "survived",
	       "a child sends a region and exits, reaped before the consumer looks",
	       sender_exited, 0),
};
const size_t n_attacks_identity = ELEMENTSOF(attacks_identity);
