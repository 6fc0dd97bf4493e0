/* SPDX-License-Identifier: MIT */
/*
 * listener - a listening socket that turns connections into channels.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "channel-internal.h"
#include "private.h"
#include "socket.h"

struct sshm_listener {
	unsigned int refs;
	int fd;
	int passpidfd; /* accepted sockets inherit SO_PASSCRED/SO_PASSPIDFD */
	char *path;    /* to unlink, NULL for abstract names */
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

SSHM_EXPORT int sshm_listener_accept(struct sshm_listener *l, unsigned int flags,
				     struct sshm_channel **ret_channel)
{
	int fd, r;

	if (!l || (flags & ~SSHM_CHANNEL_NONBLOCK) || !ret_channel)
		return -EINVAL;
	do
		fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC);
	while (fd < 0 && errno == EINTR);
	if (fd < 0)
		return neg_errno();
	/* A client that left already is a channel too: what it sent before
	 * leaving is delivered, then end of stream. */
	r = channel_new(fd, flags, l->passpidfd, ret_channel);
	if (r < 0)
		close(fd);
	return r;
}
