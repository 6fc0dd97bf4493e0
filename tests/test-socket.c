/* SPDX-License-Identifier: MIT */
/*
 * test-socket - what the kernel attaches to a received packet, as the
 * transport reads it (internal: lib/socket.c), and what identity makes of
 * it.  Control buffers are written by hand here, so that every shape a
 * kernel may hand over is fed, including those this machine's kernel never
 * produces: Linux 6.5 to about 6.15 put a negative errno into SCM_PIDFD
 * when the sender had already been reaped.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "identity.h"
#include "socket.h"
#include "sshm.h"
#include "syscall.h"
#include "testlib.h"

/* A control buffer being written, cmsg after cmsg. */
struct ctl {
	union {
		uint64_t align; /* cmsghdr's (its flexible member keeps it out) */
		char buf[512];
	} u;
	size_t len;
	struct msghdr mh;
};

static void ctl_init(struct ctl *c)
{
	memset(c, 0, sizeof(*c));
}

static void ctl_add(struct ctl *c, int type, const void *data, size_t len)
{
	struct cmsghdr *h = (struct cmsghdr *)(void *)(c->u.buf + c->len);

	ck_assert_uint_le(c->len + CMSG_SPACE(len), sizeof(c->u.buf));
	h->cmsg_len = CMSG_LEN(len);
	h->cmsg_level = SOL_SOCKET;
	h->cmsg_type = type;
	memcpy(CMSG_DATA(h), data, len);
	c->len += CMSG_SPACE(len);
}

static void ctl_add_int(struct ctl *c, int type, int v)
{
	ctl_add(c, type, &v, sizeof(v));
}

static void ctl_add_cred(struct ctl *c, pid_t pid)
{
	struct ucred u = { .pid = pid, .uid = getuid(), .gid = getgid() };

	ctl_add(c, SCM_CREDENTIALS, &u, sizeof(u));
}

static struct msghdr *ctl_msg(struct ctl *c)
{
	c->mh.msg_control = c->u.buf;
	c->mh.msg_controllen = c->len;
	return &c->mh;
}

static int fd_is_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

static int open_null(void)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	return fd;
}

START_TEST(test_socket_pidfd_error_recorded)
{
	struct socket_rx rx;
	struct ctl c;

	ctl_init(&c);
	ctl_add_cred(&c, 4242);
	ctl_add_int(&c, SCM_PIDFD, -EINVAL);
	assert_ok(socket_parse_control(ctl_msg(&c), &rx));
	ck_assert_int_eq(rx.have_cred, 1);
	ck_assert_int_eq(rx.cred.pid, 4242);
	/* Not a descriptor: nothing to close, and never taken for one. */
	ck_assert_int_eq(rx.pidfd, -1);
	ck_assert_int_eq(rx.pidfd_error, -EINVAL);
	ck_assert_uint_eq(rx.nfds, 0);
	socket_rx_close(&rx);
}
END_TEST

START_TEST(test_socket_pidfd_error_out_of_range)
{
	struct socket_rx rx;
	struct ctl c;

	ctl_init(&c);
	ctl_add_int(&c, SCM_PIDFD, -100000);
	assert_ok(socket_parse_control(ctl_msg(&c), &rx));
	ck_assert_int_eq(rx.pidfd, -1);
	ck_assert_int_eq(rx.pidfd_error, -EIO);
}
END_TEST

START_TEST(test_socket_pidfd_taken)
{
	struct socket_rx rx;
	struct ctl c;
	int fd = open_null();

	ctl_init(&c);
	ctl_add_cred(&c, getpid());
	ctl_add_int(&c, SCM_PIDFD, fd);
	assert_ok(socket_parse_control(ctl_msg(&c), &rx));
	ck_assert_int_eq(rx.pidfd, fd);
	ck_assert_int_eq(rx.pidfd_error, 0);
	socket_rx_close(&rx);
	ck_assert(!fd_is_open(fd));
	ck_assert_int_eq(rx.pidfd, -1);
}
END_TEST

START_TEST(test_socket_two_pidfds)
{
	struct socket_rx rx;
	struct ctl c;
	int a = open_null(), b = open_null();

	ctl_init(&c);
	ctl_add_int(&c, SCM_PIDFD, a);
	ctl_add_int(&c, SCM_PIDFD, b);
	assert_err(socket_parse_control(ctl_msg(&c), &rx), -SSHM_EPROTO);
	ck_assert(!fd_is_open(b));
	socket_rx_close(&rx);
	ck_assert(!fd_is_open(a));
}
END_TEST

START_TEST(test_socket_pidfd_after_error)
{
	struct socket_rx rx;
	struct ctl c;
	int fd = open_null();

	ctl_init(&c);
	ctl_add_int(&c, SCM_PIDFD, -EINVAL);
	ctl_add_int(&c, SCM_PIDFD, fd);
	assert_err(socket_parse_control(ctl_msg(&c), &rx), -SSHM_EPROTO);
	socket_rx_close(&rx);
	ck_assert(!fd_is_open(fd));
}
END_TEST

START_TEST(test_socket_rights_two_fds)
{
	struct socket_rx rx;
	struct ctl c;
	int fds[2] = { open_null(), open_null() };

	ctl_init(&c);
	ctl_add(&c, SCM_RIGHTS, fds, sizeof(fds));
	assert_err(socket_parse_control(ctl_msg(&c), &rx), -SSHM_EPROTO);
	ck_assert_uint_eq(rx.nfds, 2);
	socket_rx_close(&rx);
	ck_assert(!fd_is_open(fds[0]) && !fd_is_open(fds[1]));
}
END_TEST

START_TEST(test_socket_rights_twice)
{
	struct socket_rx rx;
	struct ctl c;
	int a = open_null(), b = open_null();

	ctl_init(&c);
	ctl_add_int(&c, SCM_RIGHTS, a);
	ctl_add_int(&c, SCM_RIGHTS, b);
	assert_err(socket_parse_control(ctl_msg(&c), &rx), -SSHM_EPROTO);
	socket_rx_close(&rx);
	ck_assert(!fd_is_open(a) && !fd_is_open(b));
}
END_TEST

START_TEST(test_socket_one_fd_and_creds)
{
	struct socket_rx rx;
	struct ctl c;
	int fd = open_null();

	ctl_init(&c);
	ctl_add_int(&c, SCM_RIGHTS, fd);
	ctl_add_cred(&c, getpid());
	assert_ok(socket_parse_control(ctl_msg(&c), &rx));
	ck_assert_uint_eq(rx.nfds, 1);
	ck_assert_int_eq(rx.fds[0], fd);
	ck_assert_int_eq(rx.cred.pid, getpid());
	socket_rx_close(&rx);
	ck_assert(!fd_is_open(fd));
}
END_TEST

START_TEST(test_socket_unknown_type)
{
	struct socket_rx rx;
	struct ctl c;

	ctl_init(&c);
	ctl_add_int(&c, 0x7777, 1);
	assert_err(socket_parse_control(ctl_msg(&c), &rx), -SSHM_EPROTO);
}
END_TEST

START_TEST(test_socket_creds_twice)
{
	struct socket_rx rx;
	struct ctl c;

	ctl_init(&c);
	ctl_add_cred(&c, 1);
	ctl_add_cred(&c, 2);
	assert_err(socket_parse_control(ctl_msg(&c), &rx), -SSHM_EPROTO);
}
END_TEST

START_TEST(test_socket_length_past_buffer)
{
	struct socket_rx rx;
	struct ctl c;
	struct cmsghdr *h;

	ctl_init(&c);
	ctl_add_int(&c, SCM_PIDFD, -EINVAL);
	h = (struct cmsghdr *)(void *)c.u.buf;
	h->cmsg_len = sizeof(c.u.buf) * 2;
	assert_err(socket_parse_control(ctl_msg(&c), &rx), -SSHM_EPROTO);
}
END_TEST

START_TEST(test_socket_empty)
{
	struct socket_rx rx;
	struct ctl c;

	ctl_init(&c);
	assert_ok(socket_parse_control(ctl_msg(&c), &rx));
	ck_assert_int_eq(rx.have_cred, 0);
	ck_assert_int_eq(rx.pidfd, -1);
	ck_assert_uint_eq(rx.nfds, 0);
}
END_TEST

/*
 * The hole itself: a REGION whose SCM_PIDFD says the sender is gone, and
 * whose pid now names a live process that holds the very same open file at
 * the announced number (here: ourselves, so kcmp matches).  A pid lookup
 * would say "verified"; the verdict must be unverifiable, -SSHM_EEXITED.
 */
START_TEST(test_socket_exited_sender_never_verified)
{
	struct sshm_identity id;
	struct socket_rx rx;
	struct identity_sender s;
	struct ctl c;
	int fd = open_null();

	ctl_init(&c);
	ctl_add_cred(&c, getpid());
	ctl_add_int(&c, SCM_PIDFD, -EINVAL);
	assert_ok(socket_parse_control(ctl_msg(&c), &rx));
	memset(&s, 0, sizeof(s));
	s.pid = rx.cred.pid;
	s.pidfd = rx.pidfd;
	s.pidfd_error = rx.pidfd_error;
	s.pidfd_facility = 1;
	memset(&id, 0, sizeof(id));
	identity_check(&s, fd, fd, &id);
	assert_verdict(&id, SSHM_VERDICT_UNVERIFIABLE);
	assert_err(id.reason, -SSHM_EEXITED);
	close(fd);
}
END_TEST

/* An SCM_PIDFD of -EMFILE: we had no fd slot for the sender's pidfd.  Not
 * "the sender exited", but nothing pins it either: unverifiable, with the
 * cause. */
START_TEST(test_socket_pidfd_error_no_room)
{
	struct identity_sender s = {
		.pid = getpid(), .pidfd = -1, .pidfd_error = -EMFILE, .pidfd_facility = 1
	};
	struct sshm_identity id;
	int fd = open_null();

	memset(&id, 0, sizeof(id));
	identity_check(&s, fd, fd, &id);
	assert_verdict(&id, SSHM_VERDICT_UNVERIFIABLE);
	assert_err(id.reason, -EMFILE);
	close(fd);
}
END_TEST

/* A pidfd of a sender that is gone, and a pid that now names a process
 * holding another file at the announced number: kcmp says "different", but
 * about the wrong process.  Unverifiable (the sender exited), not a
 * mismatch that would refuse an honest region. */
START_TEST(test_socket_dead_sender_no_mismatch)
{
	struct identity_sender s = { .pid = getpid(), .pidfd_facility = 1 };
	struct sshm_identity id;
	int a = open_null(), b = open_null(), st;
	pid_t child;

	child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0)
		_exit(0);
	s.pidfd = sys_pidfd_open(child, 0);
	ck_assert_int_ge(s.pidfd, 0);
	ck_assert_int_eq(waitpid(child, &st, 0), child);
	memset(&id, 0, sizeof(id));
	identity_check(&s, a, b, &id);
	assert_verdict(&id, SSHM_VERDICT_UNVERIFIABLE);
	assert_err(id.reason, -SSHM_EEXITED);
	close(s.pidfd);
	close(a);
	close(b);
}
END_TEST

/* A socket that passes pidfds, and a message that has none: no lookup. */
START_TEST(test_socket_facility_without_pidfd)
{
	struct identity_sender s = { .pid = getpid(), .pidfd = -1, .pidfd_facility = 1 };
	struct sshm_identity id;
	int fd = open_null();

	memset(&id, 0, sizeof(id));
	identity_check(&s, fd, fd, &id);
	assert_verdict(&id, SSHM_VERDICT_UNVERIFIABLE);
	assert_err(id.reason, -ENODATA);
	close(fd);
}
END_TEST

/* Without the facility (Linux < 6.5) the pid is looked up: verified, but
 * without SSHM_IDENTITY_F_PIDFD. */
START_TEST(test_socket_no_facility_lookup)
{
	struct identity_sender s = { .pid = getpid(), .pidfd = -1 };
	struct sshm_identity id;
	int fd = open_null();

	memset(&id, 0, sizeof(id));
	identity_check(&s, fd, fd, &id);
	assert_verdict(&id, SSHM_VERDICT_VERIFIED);
	ck_assert_uint_eq(id.flags & SSHM_IDENTITY_F_PIDFD, 0);
	close(fd);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("socket");
	TCase *tc;

	tc = test_tcase("control");
	tcase_add_test(tc, test_socket_pidfd_error_recorded);
	tcase_add_test(tc, test_socket_pidfd_error_out_of_range);
	tcase_add_test(tc, test_socket_pidfd_taken);
	tcase_add_test(tc, test_socket_two_pidfds);
	tcase_add_test(tc, test_socket_pidfd_after_error);
	tcase_add_test(tc, test_socket_rights_two_fds);
	tcase_add_test(tc, test_socket_rights_twice);
	tcase_add_test(tc, test_socket_one_fd_and_creds);
	tcase_add_test(tc, test_socket_unknown_type);
	tcase_add_test(tc, test_socket_creds_twice);
	tcase_add_test(tc, test_socket_length_past_buffer);
	tcase_add_test(tc, test_socket_empty);
	suite_add_tcase(s, tc);

	tc = test_tcase("identity");
	tcase_add_test(tc, test_socket_exited_sender_never_verified);
	tcase_add_test(tc, test_socket_facility_without_pidfd);
	tcase_add_test(tc, test_socket_pidfd_error_no_room);
	test_add_if(tc, test_socket_dead_sender_no_mismatch, test_need_verified());
	test_add_if(tc, test_socket_no_facility_lookup, test_need_verified());
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_run(make_suite());
}
