/* SPDX-License-Identifier: MIT */
/*
 * test-listener - channels that come from a listener: on a path (made,
 * refused when something is in the way, unlinked when the listener goes)
 * and on an abstract name (taken while it lives), accept() in both modes
 * and past a client that already left, and what connect() says when
 * nobody listens or the name cannot be one.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "sshm.h"
#include "testlib.h"

static void tmpdir_make(char *dir, size_t len)
{
	snprintf(dir, len, "/tmp/sshm-test-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

/* ------------------------------------------------------------ listen */

START_TEST(test_listener_path)
{
	char dir[64], path[128];
	struct sshm_listener *l = NULL;
	struct sshm_channel *c = NULL, *s = NULL;
	struct stat st;

	tmpdir_make(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/sock", dir);
	assert_ok(sshm_listener_new(path, 0, &l));
	ck_assert_ptr_nonnull(l);
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));
	ck_assert_int_ge(sshm_listener_fd(l), 0);

	/* connect() does not wait for accept(). */
	assert_ok(sshm_channel_connect(path, 0, &c));
	ck_assert_int_ne(test_poll_one(sshm_listener_fd(l), POLLIN, 5000) & POLLIN, 0);
	assert_ok(sshm_listener_accept(l, 0, &s));
	test_exchange(c, s);

	/* The listener unlinks its path when it goes; the connection stays. */
	l = sshm_listener_unref(l);
	ck_assert_int_eq(lstat(path, &st), -1);
	ck_assert_int_eq(errno, ENOENT);
	test_exchange(s, c);

	sshm_channel_unref(c);
	sshm_channel_unref(s);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

START_TEST(test_listener_abstract)
{
	char name[64];
	struct sshm_listener *l = NULL, *l2 = NULL;
	struct sshm_channel *c = NULL, *s = NULL;

	snprintf(name, sizeof(name), "@sshm-test-%d", (int)getpid());
	assert_ok(sshm_listener_new(name, 0, &l));
	/* The name is taken while the listener lives. */
	assert_err(sshm_listener_new(name, 0, &l2), -EADDRINUSE);
	ck_assert_ptr_null(l2);
	assert_ok(sshm_channel_connect(name, 0, &c));
	assert_ok(sshm_listener_accept(l, 0, &s));
	test_exchange(c, s);
	test_exchange(s, c);

	/* And free again once it is gone. */
	l = sshm_listener_unref(l);
	assert_ok(sshm_listener_new(name, 0, &l2));
	sshm_listener_unref(l2);
	sshm_channel_unref(c);
	sshm_channel_unref(s);
}
END_TEST

START_TEST(test_listener_path_exists)
{
	char dir[64], path[128];
	struct sshm_listener *l = NULL;
	struct stat st;
	int fd;

	tmpdir_make(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/sock", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "keep", 4), 4);
	close(fd);

	assert_err(sshm_listener_new(path, 0, &l), -EADDRINUSE);
	ck_assert_ptr_null(l);
	/* The file that was in the way is untouched. */
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	ck_assert_int_eq(st.st_size, 4);

	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

START_TEST(test_listener_stale_socket)
{
	/* A socket file left by a dead listener is not removed either. */
	char dir[64], path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct sshm_listener *l = NULL, *l2 = NULL;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd;

	tmpdir_make(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/sock", dir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);

	assert_err(sshm_listener_new(path, 0, &l), -EADDRINUSE);
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));

	/* A live listener's path is not taken over either. */
	ck_assert_int_eq(unlink(path), 0);
	assert_ok(sshm_listener_new(path, 0, &l));
	assert_err(sshm_listener_new(path, 0, &l2), -EADDRINUSE);
	ck_assert_ptr_null(l2);
	/* ... and the failed attempt did not unlink the live one's path. */
	ck_assert_int_eq(lstat(path, &st), 0);
	sshm_listener_unref(l);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

/* ------------------------------------------------------------ accept */

/* A client that connected and left before accept() is no failure of the
 * listener: accept returns its channel (which delivers what it sent, then
 * end of stream), and the next accept the next client. */
START_TEST(test_listener_accept_departed_client)
{
	struct sshm_listener *l;
	struct sshm_channel *gone, *stays, *ch;
	struct sshm_view *v = NULL;
	char name[64];

	snprintf(name, sizeof(name), "@sshm-test-departed-%d", (int)getpid());
	assert_ok(sshm_listener_new(name, 0, &l));
	assert_ok(sshm_channel_connect(name, 0, &gone));
	gone = sshm_channel_unref(gone);
	assert_ok(sshm_channel_connect(name, 0, &stays));

	assert_ok(sshm_listener_accept(l, 0, &ch));
	assert_err(sshm_channel_recv(ch, NULL, &v), -EPIPE);
	ck_assert_int_eq(sshm_channel_is_open(ch), 0);
	sshm_channel_unref(ch);
	/* (A client's first send waits for the server's HELLO, sent by
	 * accept: accept first.) */
	assert_ok(sshm_listener_accept(l, 0, &ch));
	assert_ok(sshm_channel_send_bytes(stays, "two", 3, NULL, 0));
	assert_ok(sshm_channel_recv(ch, NULL, &v));
	ck_assert_mem_eq(sshm_view_data(v), "two", 3);
	sshm_view_unref(v);
	sshm_channel_unref(ch);
	sshm_channel_unref(stays);
	sshm_listener_unref(l);
}
END_TEST

START_TEST(test_listener_nonblock_accept)
{
	char name[64];
	struct sshm_listener *l = NULL;
	struct sshm_channel *c = NULL, *s = NULL;
	struct sshm_view *v = NULL;

	snprintf(name, sizeof(name), "@sshm-test-nb-%d", (int)getpid());
	assert_ok(sshm_listener_new(name, SSHM_CHANNEL_NONBLOCK, &l));
	assert_err(sshm_listener_accept(l, 0, &s), -EAGAIN);
	ck_assert_ptr_null(s);
	ck_assert_int_eq(test_poll_one(sshm_listener_fd(l), POLLIN, 0), 0);

	assert_ok(sshm_channel_connect(name, 0, &c));
	ck_assert_int_ne(test_poll_one(sshm_listener_fd(l), POLLIN, 5000) & POLLIN, 0);
	/* accept()'s own flags apply to the new channel. */
	assert_ok(sshm_listener_accept(l, SSHM_CHANNEL_NONBLOCK, &s));
	/* Non-blocking: the client's HELLO is read, then nothing is there. */
	assert_err(sshm_channel_recv(s, NULL, &v), -EAGAIN);
	ck_assert_ptr_null(v);
	assert_ok(sshm_channel_send_bytes(c, "hi", 2, NULL, 0));

	sshm_listener_unref(l);
	sshm_channel_unref(c);
	sshm_channel_unref(s);
}
END_TEST

/* ------------------------------------------------------------ connect */

START_TEST(test_listener_connect_missing)
{
	char dir[64], path[128];
	struct sshm_channel *c = NULL;

	tmpdir_make(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/nobody-here", dir);
	assert_err(sshm_channel_connect(path, 0, &c), -ENOENT);
	ck_assert_ptr_null(c);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

START_TEST(test_listener_connect_refused)
{
	char name[64];
	struct sshm_channel *c = NULL;

	snprintf(name, sizeof(name), "@sshm-test-nobody-%d", (int)getpid());
	assert_err(sshm_channel_connect(name, 0, &c), -ECONNREFUSED);
	ck_assert_ptr_null(c);
}
END_TEST

START_TEST(test_listener_name_too_long)
{
	char name[300];
	struct sshm_channel *c = NULL;
	struct sshm_listener *l = NULL;

	memset(name, 'a', sizeof(name) - 1);
	name[0] = '/';
	name[sizeof(name) - 1] = '\0';
	assert_err(sshm_channel_connect(name, 0, &c), -ENAMETOOLONG);
	assert_err(sshm_listener_new(name, 0, &l), -ENAMETOOLONG);
	name[0] = '@';
	assert_err(sshm_channel_connect(name, 0, &c), -ENAMETOOLONG);
	assert_err(sshm_listener_new(name, 0, &l), -ENAMETOOLONG);
	assert_err(sshm_channel_connect("", 0, &c), -EINVAL);
	assert_err(sshm_channel_connect(NULL, 0, &c), -EINVAL);
	assert_err(sshm_listener_new(NULL, 0, &l), -EINVAL);
	ck_assert_ptr_null(c);
	ck_assert_ptr_null(l);
}
END_TEST

/* ------------------------------------------------------------ suite */

/* ------------------------------------------------------------ who may connect */

static void name_make(char *name, size_t len, const char *what)
{
	snprintf(name, len, "@sshm-test-%s-%d", what, (int)getpid());
}

/* Connects, and reports whether the server kept the connection: a refused
 * client reads end of stream at once, an accepted one reads the HELLO. */
static int kept(struct sshm_channel *c)
{
	struct sshm_view *v = NULL;
	int r = sshm_channel_recv(c, NULL, &v);

	sshm_view_unref(v);
	return r != -EPIPE;
}

START_TEST(test_listener_allow_uid)
{
	struct sshm_listener *l;
	struct sshm_channel *c, *s = NULL;
	char name[64];

	name_make(name, sizeof(name), "uid");
	assert_ok(sshm_listener_new(name, SSHM_CHANNEL_NONBLOCK, &l));
	assert_ok(sshm_listener_allow_uid(l, getuid() + 1));
	assert_ok(sshm_channel_connect(name, SSHM_CHANNEL_NONBLOCK, &c));
	assert_err(sshm_listener_accept(l, 0, &s), -EAGAIN);
	ck_assert_ptr_null(s);
	ck_assert_uint_eq(sshm_listener_refused(l), 1);
	ck_assert(!kept(c));
	sshm_channel_unref(c);

	assert_ok(sshm_listener_allow_uid(l, getuid()));
	assert_ok(sshm_channel_connect(name, SSHM_CHANNEL_NONBLOCK, &c));
	assert_ok(sshm_listener_accept(l, 0, &s));
	ck_assert_uint_eq(sshm_listener_refused(l), 1);
	ck_assert(kept(c));
	sshm_channel_unref(s);
	sshm_channel_unref(c);
	sshm_listener_unref(l);
}
END_TEST

START_TEST(test_listener_allow_gid)
{
	struct sshm_listener *l;
	struct sshm_channel *c, *s = NULL;
	char name[64];

	name_make(name, sizeof(name), "gid");
	assert_ok(sshm_listener_new(name, SSHM_CHANNEL_NONBLOCK, &l));
	assert_ok(sshm_listener_allow_gid(l, getgid() + 12345));
	assert_ok(sshm_channel_connect(name, 0, &c));
	assert_err(sshm_listener_accept(l, 0, &s), -EAGAIN);
	ck_assert_uint_eq(sshm_listener_refused(l), 1);
	sshm_channel_unref(c);
	assert_ok(sshm_listener_allow_gid(l, getgid()));
	assert_ok(sshm_channel_connect(name, 0, &c));
	assert_ok(sshm_listener_accept(l, 0, &s));
	sshm_channel_unref(s);
	sshm_channel_unref(c);
	sshm_listener_unref(l);
}
END_TEST

struct seen {
	struct sshm_peer peer;
	int calls, answer, pidfd_alive;
};

static int check_peer(const struct sshm_peer *peer, void *userdata)
{
	struct seen *s = userdata;

	s->peer = *peer;
	s->calls++;
	s->pidfd_alive = peer->pidfd >= 0 && fcntl(peer->pidfd, F_GETFD) >= 0;
	return s->answer;
}

START_TEST(test_listener_check_function)
{
	struct sshm_listener *l;
	struct sshm_channel *c, *s = NULL;
	struct seen seen = { .answer = 0 };
	char name[64];

	name_make(name, sizeof(name), "check");
	assert_ok(sshm_listener_new(name, SSHM_CHANNEL_NONBLOCK, &l));
	assert_ok(sshm_listener_set_check(l, check_peer, &seen));
	assert_ok(sshm_channel_connect(name, 0, &c));
	assert_err(sshm_listener_accept(l, 0, &s), -EAGAIN);
	ck_assert_int_eq(seen.calls, 1);
	ck_assert_int_eq(seen.peer.pid, getpid());
	ck_assert_uint_eq(seen.peer.uid, getuid());
	ck_assert_uint_eq(seen.peer.gid, getgid());
	if (!test_need_passpidfd())
		ck_assert_int_eq(seen.pidfd_alive, 1);
	ck_assert_uint_eq(sshm_listener_refused(l), 1);
	ck_assert(!kept(c));
	sshm_channel_unref(c);
	/* The pidfd was the callback's to borrow, not to keep: the fixture
	 * of this suite counts fds. */
	seen.answer = 1;
	assert_ok(sshm_channel_connect(name, 0, &c));
	assert_ok(sshm_listener_accept(l, 0, &s));
	ck_assert_int_eq(seen.calls, 2);
	sshm_channel_unref(s);
	sshm_channel_unref(c);
	/* Removed: everyone again. */
	assert_ok(sshm_listener_set_check(l, NULL, NULL));
	seen.answer = 0;
	assert_ok(sshm_channel_connect(name, 0, &c));
	assert_ok(sshm_listener_accept(l, 0, &s));
	ck_assert_int_eq(seen.calls, 2);
	sshm_channel_unref(s);
	sshm_channel_unref(c);
	sshm_listener_unref(l);
}
END_TEST

/* A peer of another user, on a listener that allows only ours: refused
 * before it is read; the next, ours, accepted by the same blocking call. */
static int child_other_user(void *arg)
{
	const char *name = arg;
	struct sshm_channel *c;

	CHILD_CHECK(setgid(65534) == 0 && setuid(65534) == 0, 10);
	CHILD_CHECK(sshm_channel_connect(name, 0, &c) == 0, 11);
	CHILD_CHECK(!kept(c), 12);
	sshm_channel_unref(c);
	return 0;
}

static const char *need_root(void)
{
	return geteuid() == 0 ? NULL : "needs root to connect as another user";
}

START_TEST(test_listener_other_user_refused)
{
	struct sshm_listener *l;
	struct sshm_channel *c, *s = NULL;
	char name[64];
	pid_t pid;

	name_make(name, sizeof(name), "other");
	assert_ok(sshm_listener_new(name, 0, &l));
	assert_ok(sshm_listener_allow_uid(l, getuid()));
	pid = test_fork(child_other_user, name);
	/* Wait until the child connected, so that its connection comes first. */
	while (test_poll_one(sshm_listener_fd(l), POLLIN, 5000) == 0)
		;
	usleep(50 * 1000);
	assert_ok(sshm_channel_connect(name, 0, &c));
	assert_ok(sshm_listener_accept(l, 0, &s));
	ck_assert_uint_eq(sshm_listener_refused(l), 1);
	test_wait(pid, 0);
	sshm_channel_unref(s);
	sshm_channel_unref(c);
	sshm_listener_unref(l);
}
END_TEST

START_TEST(test_listener_allow_limits)
{
	struct sshm_listener *l;
	char name[64];
	unsigned int i;

	name_make(name, sizeof(name), "limits");
	assert_ok(sshm_listener_new(name, 0, &l));
	for (i = 0; i < 64; i++)
		assert_ok(sshm_listener_allow_uid(l, 1000 + i));
	assert_err(sshm_listener_allow_uid(l, 1), -ENOSPC);
	assert_err(sshm_listener_allow_uid(NULL, 1), -EINVAL);
	assert_err(sshm_listener_allow_gid(NULL, 1), -EINVAL);
	assert_err(sshm_listener_set_check(NULL, NULL, NULL), -EINVAL);
	ck_assert_uint_eq(sshm_listener_refused(NULL), 0);
	sshm_listener_unref(l);
}
END_TEST

/*
 * At the descriptor limit, with room for the accepted socket and nothing
 * more: accept must return the channel (it needs no memfd of its own to
 * learn where memfds live: the listener learned it), not lose the
 * connection.
 */
static int child_accept_at_limit(void *arg)
{
	const char *name = arg;
	struct sshm_listener *l;
	struct sshm_channel *c, *s = NULL;
	struct sshm_view *v = NULL;
	struct rlimit old, lim;
	int fill[1024], nfill = 0, r, i;

	CHILD_CHECK(sshm_listener_new(name, 0, &l) == 0, 10);
	CHILD_CHECK(sshm_channel_connect(name, 0, &c) == 0, 11);
	CHILD_CHECK(getrlimit(RLIMIT_NOFILE, &old) == 0, 12);
	lim = old;
	lim.rlim_cur = 1024;
	CHILD_CHECK(setrlimit(RLIMIT_NOFILE, &lim) == 0, 13);
	while (nfill < 1024 &&
	       (fill[nfill] = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0)
		nfill++;
	CHILD_CHECK(errno == EMFILE && nfill > 0, 14);
	close(fill[--nfill]); /* one slot: the accepted socket's */
	r = sshm_listener_accept(l, 0, &s);
	if (r < 0)
		fprintf(stderr, "child: accept at the limit: %d (%s)\n", r,
			sshm_strerror(r));
	for (i = 0; i < nfill; i++)
		close(fill[i]);
	CHILD_CHECK(setrlimit(RLIMIT_NOFILE, &old) == 0, 15);
	CHILD_CHECK(r == 0, 16);
	CHILD_CHECK(sshm_channel_send_bytes(c, "ok", 2, NULL, 0) == 0, 17);
	CHILD_CHECK(sshm_channel_recv(s, NULL, &v) == 0, 18);
	CHILD_CHECK(memcmp(sshm_view_data(v), "ok", 2) == 0, 19);
	sshm_view_unref(v);
	sshm_channel_unref(s);
	sshm_channel_unref(c);
	sshm_listener_unref(l);
	return 0;
}

START_TEST(test_listener_accept_at_fd_limit)
{
	char name[64];

	name_make(name, sizeof(name), "limit");
	test_wait(test_fork(child_accept_at_limit, name), 0);
}
END_TEST

static Suite *listener_suite(void)
{
	Suite *s = suite_create("listener");
	TCase *tc;

	tc = test_tcase("listen");
	tcase_add_test(tc, test_listener_path);
	tcase_add_test(tc, test_listener_abstract);
	tcase_add_test(tc, test_listener_path_exists);
	tcase_add_test(tc, test_listener_stale_socket);
	suite_add_tcase(s, tc);

	tc = test_tcase("accept");
	tcase_add_test(tc, test_listener_accept_departed_client);
	tcase_add_test(tc, test_listener_nonblock_accept);
	suite_add_tcase(s, tc);

	tc = test_tcase("who");
	tcase_add_test(tc, test_listener_allow_uid);
	tcase_add_test(tc, test_listener_allow_gid);
	tcase_add_test(tc, test_listener_check_function);
	test_add_if(tc, test_listener_other_user_refused, need_root());
	tcase_add_test(tc, test_listener_allow_limits);
	test_add_if(tc, test_listener_accept_at_fd_limit, test_need_real_rlimit());
	suite_add_tcase(s, tc);

	tc = test_tcase("connect");
	tcase_add_test(tc, test_listener_connect_missing);
	tcase_add_test(tc, test_listener_connect_refused);
	tcase_add_test(tc, test_listener_name_too_long);
	suite_add_tcase(s, tc);

	return s;
}

int main(void)
{
	return test_run(listener_suite());
}
