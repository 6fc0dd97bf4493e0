/* SPDX-License-Identifier: MIT */
/*
 * listener - a listening socket that turns connections into channels.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "private.h"
#include "socket.h"

#define ALLOW_MAX 64u

struct sshm_listener {
	unsigned int refs;
	int fd;
	int passpidfd; /* accepted sockets inherit SO_PASSCRED/SO_PASSPIDFD */
	char *path;    /* to unlink, NULL for abstract names */
	/* Where memfds live, learned once: an accept needs no probe memfd,
	 * so a full descriptor table cannot lose a connection there. */
	struct verify_env env;

	/* who may connect */
	uint32_t uids[ALLOW_MAX], gids[ALLOW_MAX];
	unsigned int n_uids, n_gids;
	sshm_peer_check_fn check;
	void *userdata;
	uint64_t refused;
};

/* A bound, listening socket with credentials passing set before any
 * connection can queue a message. */
static int listen_on(const char *path, unsigned int flags, int *ret_passpidfd)
{
	struct sockaddr_un sa;
	socklen_t len;
	int fd, r;

	r = socket_make_addr(path, &sa, &len);
	if (r < 0)
		return r;
	fd = socket(AF_UNIX,
		    SOCK_SEQPACKET | SOCK_CLOEXEC |
			(flags & SSHM_CHANNEL_NONBLOCK ? SOCK_NONBLOCK : 0),
		    0);
	if (fd < 0)
		return neg_errno();
	/* Accepted sockets inherit both, so credentials are attached even
	 * to messages sent before accept(). */
	r = socket_set_passcred(fd);
	if (r >= 0) {
		*ret_passpidfd = r;
		r = bind(fd, (struct sockaddr *)&sa, len) < 0 ? neg_errno() : 0;
	}
	if (r >= 0 && listen(fd, SOMAXCONN) < 0) {
		r = neg_errno();
		if (path[0] != '@')
			unlink(path);
	}
	if (r < 0) {
		close(fd);
		return r;
	}
	return fd;
}

SSHM_EXPORT int sshm_listener_new(const char *path, unsigned int flags,
				  struct sshm_listener **ret_listener)
{
	struct sshm_listener *l;
	int fd;

	if (!path || (flags & ~SSHM_CHANNEL_NONBLOCK) || !ret_listener)
		return -EINVAL;
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	if (path[0] != '@') {
		l->path = strdup(path);
		if (!l->path) {
			free(l);
			return -ENOMEM;
		}
	}
	fd = verify_env_init(&l->env);
	if (fd >= 0)
		fd = listen_on(path, flags, &l->passpidfd);
	if (fd < 0) {
		free(l->path);
		free(l);
		return fd;
	}
	l->refs = 1;
	l->fd = fd;
	*ret_listener = l;
	return 0;
}

SSHM_EXPORT struct sshm_listener *sshm_listener_ref(struct sshm_listener *l)
{
	if (!l)
		return NULL;
	assert(l->refs > 0);
	l->refs++;
	return l;
}

SSHM_EXPORT struct sshm_listener *sshm_listener_unref(struct sshm_listener *l)
{
	if (!l)
		return NULL;
	assert(l->refs > 0);
	if (--l->refs > 0)
		return NULL;
	if (l->path)
		unlink(l->path);
	close(l->fd);
	free(l->path);
	free(l);
	return NULL;
}

SSHM_EXPORT int sshm_listener_fd(const struct sshm_listener *l)
{
	return l ? l->fd : -EINVAL;
}

SSHM_EXPORT int sshm_listener_allow_uid(struct sshm_listener *l, uint32_t uid)
{
	if (!l)
		return -EINVAL;
	if (l->n_uids == ALLOW_MAX)
		return -ENOSPC;
	l->uids[l->n_uids++] = uid;
	return 0;
}

SSHM_EXPORT int sshm_listener_allow_gid(struct sshm_listener *l, uint32_t gid)
{
	if (!l)
		return -EINVAL;
	if (l->n_gids == ALLOW_MAX)
		return -ENOSPC;
	l->gids[l->n_gids++] = gid;
	return 0;
}

SSHM_EXPORT int sshm_listener_set_check(struct sshm_listener *l, sshm_peer_check_fn check,
					void *userdata)
{
	if (!l)
		return -EINVAL;
	l->check = check;
	l->userdata = userdata;
	return 0;
}

SSHM_EXPORT uint64_t sshm_listener_refused(const struct sshm_listener *l)
{
	return l ? l->refused : 0;
}

static int in_list(const uint32_t *list, unsigned int n, uint32_t v)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (list[i] == v)
			return 1;
	return 0;
}

/* The peer's supplementary groups (SO_PEERGROUPS, 4.13) hold an allowed
 * gid.  Without them only the primary group counts. */
static int groups_allowed(const struct sshm_listener *l, int fd)
{
	gid_t groups[256];
	socklen_t len = sizeof(groups);
	unsigned int i;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) < 0)
		return 0;
	for (i = 0; i < len / sizeof(groups[0]); i++)
		if (in_list(l->gids, l->n_gids, (uint32_t)groups[i]))
			return 1;
	return 0;
}

/* 1 if the peer on accepted socket @fd may stay, 0 if not, -errno. */
static int peer_allowed(const struct sshm_listener *l, int fd)
{
	struct sshm_peer peer;
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int r;

	if (!l->n_uids && !l->n_gids && !l->check)
		return 1;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return neg_errno();
	if ((l->n_uids || l->n_gids) && !in_list(l->uids, l->n_uids, cred.uid) &&
	    !in_list(l->gids, l->n_gids, cred.gid) &&
	    !(l->n_gids && groups_allowed(l, fd)))
		return 0;
	if (!l->check)
		return 1;
	memset(&peer, 0, sizeof(peer));
	peer.pid = cred.pid;
	peer.uid = cred.uid;
	peer.gid = cred.gid;
	len = sizeof(peer.pidfd);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERPIDFD, &peer.pidfd, &len) < 0)
		peer.pidfd = -1;
	r = l->check(&peer, l->userdata) == 1;
	if (peer.pidfd >= 0)
		close(peer.pidfd);
	return r;
}

SSHM_EXPORT int sshm_listener_accept(struct sshm_listener *l, unsigned int flags,
				     struct sshm_channel **ret_channel)
{
	int fd, r;

	if (!l || (flags & ~SSHM_CHANNEL_NONBLOCK) || !ret_channel)
		return -EINVAL;
	for (;;) {
		do
			fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC);
		while (fd < 0 && errno == EINTR);
		if (fd < 0)
			return neg_errno();
		r = peer_allowed(l, fd);
		if (r > 0)
			break;
		/* Refused before a byte was read: closed, counted, and the
		 * next one is taken. */
		close(fd);
		if (r < 0)
			return r;
		l->refused++;
	}
	/* A client that left already is a channel too: what it sent before
	 * leaving is delivered, then end of stream. */
	r = channel_new(fd, flags, l->passpidfd, &l->env, ret_channel);
	if (r < 0)
		close(fd);
	return r;
}
