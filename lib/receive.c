/* SPDX-License-Identifier: MIT */
/*
 * receive - the receive pipeline of doc/architecture.md, from a data
 * message to a view: for a REGION the fd checks (verify), the identity
 * (kcmp and the sender's pidfd), the read-only mapping, then the view.
 * Steps 1-3 (control messages, header, sequence) happened in channel.c
 * when the packet was read.  The only file that knows verify, identity
 * and view together.
 */
#include <string.h>
#include <sys/mman.h>

#include "conn.h"
#include "identity.h"
#include "private.h"
#include "view.h"

/* What the message's credentials say of its sender. */
static void identity_init(struct sshm_identity *id, const struct packet *p,
			  int announced_fd)
{
	memset(id, 0, sizeof(*id));
	id->verdict = SSHM_VERDICT_NOT_CHECKED;
	id->pid = p->cred.pid;
	id->uid = p->cred.uid;
	id->gid = p->cred.gid;
	id->announced_fd = announced_fd;
}

/* Step 4b: is the fd the one the sender announced?  0, or the refusal
 * the policy's identity mode makes of the verdict. */
static int check_identity(const struct sshm_channel *ch, const struct packet *p, int mode,
			  struct sshm_identity *id)
{
	const struct identity_sender sender = {
		.pid = p->cred.pid,
		.pidfd = p->pin,
		.pidfd_error = p->pidfd_error,
		.pidfd_facility = ch->peer.facility,
	};

	if (mode == SSHM_IDENTITY_OFF)
		return 0;
	identity_check(&sender, p->msg.u.region.announced_fd, p->fd, id);
	if (id->verdict == SSHM_VERDICT_MISMATCH)
		return -SSHM_EIDENTITY;
	if (id->verdict == SSHM_VERDICT_UNVERIFIABLE && mode == SSHM_IDENTITY_REQUIRED)
		return -SSHM_EUNVERIFIED;
	return 0;
}

/* Steps 4-6 for a REGION: verify, identity, map, view.  Takes p's fd on
 * success. */
static int receive_region(struct sshm_channel *ch, struct packet *p,
			  const struct sshm_policy *policy, struct sshm_view **ret)
{
	const struct wire_region *w = &p->msg.u.region;
	const int mode = policy ? policy->identity : SSHM_IDENTITY_BEST_EFFORT;
	const int prefault = policy && (policy->flags & SSHM_POLICY_PREFAULT);
	struct sshm_identity id;
	struct view_parts parts;
	unsigned int seals = 0;
	void *map;
	int r;

	identity_init(&id, p, w->announced_fd);
	/* The kernel had no room for the fd in our table: this one message
	 * is lost to us, not the channel. */
	if (p->fd < 0)
		return p->fd_error ? p->fd_error : -EBADF;
	/* verify_fd takes 0 as "no size announced"; on the wire it is a lie. */
	if (w->size == 0)
		return -SSHM_ESIZE;
	r = verify_fd(&ch->env, p->fd, w->size, policy, &seals, NULL);
	if (r < 0)
		return r;
	r = check_identity(ch, p, mode, &id);
	if (r < 0)
		return r;
	r = verify_map(p->fd, w->size, prefault, &map);
	if (r < 0)
		return r;
	parts = (struct view_parts){
		.releases = ch->releases,
		.id = w->id,
		.fd = p->fd,
		.map = map,
		.size = w->size,
		.seals = seals,
		.meta = p->msg.meta,
		.meta_len = w->meta_len,
		.identity = &id,
	};
	/* The view may be dropped in any thread: from now on a release it
	 * cannot send at once must be able to wake this channel's waits.
	 * Without an eventfd (EMFILE) the channel's next call sends it. */
	(void)release_queue_wake_fd(ch->releases);
	r = view_new(&parts, ret);
	if (r < 0) {
		munmap(map, (size_t)w->size);
		return r;
	}
	p->fd = -1;
	return 0;
}

static int receive_inline(const struct packet *p, struct sshm_view **ret)
{
	struct sshm_identity id;
	const struct view_parts parts = {
		.data = p->msg.data,
		.data_len = p->msg.u.inl.data_len,
		.meta = p->msg.meta,
		.meta_len = p->msg.u.inl.meta_len,
		.identity = &id,
	};

	identity_init(&id, p, -1);
	return view_new(&parts, ret);
}

/* A payload that came in COPY pieces: the view takes the assembled buffer. */
static int receive_copy(struct packet *p, const struct sshm_policy *policy,
			struct sshm_view **ret)
{
	const uint64_t cap = policy && policy->max_size ? policy->max_size
							: SSHM_DEFAULT_MAX_SIZE;
	struct sshm_identity id;
	struct view_parts parts = {
		.own = p->buf,
		.own_spare = 1,
		.data = p->msg.data,
		.meta = p->msg.meta,
		.data_len = (size_t)p->msg.u.copy.total,
		.meta_len = p->msg.u.copy.meta_len,
		.identity = &id,
	};
	int r;

	/* A copy is refused by size as a region is; there is nothing to
	 * release, its bytes are ours already. */
	if (p->msg.u.copy.total > cap)
		return -SSHM_ETOOBIG;
	identity_init(&id, p, -1);
	r = view_new(&parts, ret);
	if (r == 0)
		p->owned = 0; /* the view's now */
	return r;
}

SSHM_EXPORT int sshm_channel_recv(struct sshm_channel *ch,
				  const struct sshm_policy *policy,
				  struct sshm_view **ret_view)
{
	struct packet p;
	int r;

	if (!ch || !ret_view)
		return -EINVAL;
	r = verify_policy_check(policy);
	if (r < 0)
		return r;
	r = channel_next(ch, &p);
	if (r < 0)
		return r;
	if (p.msg.type == WIRE_INLINE) {
		r = receive_inline(&p, ret_view);
	} else if (p.msg.type == WIRE_COPY) {
		r = receive_copy(&p, policy, ret_view);
	} else {
		r = receive_region(ch, &p, policy, ret_view);
		/* Refused but well framed: closed, never mapped, and handed
		 * back at once so that the sender's window does not shrink.
		 * Closed first, as a view is: the sender may look for it. */
		if (r < 0) {
			const uint64_t id = p.msg.u.region.id;

			packet_done(&p);
			release_queue_put(ch->releases, id);
		}
	}
	packet_done(&p);
	if (r < 0) {
		channel_count_refusal(ch, r);
		return r;
	}
	ch->stats.received++;
	ch->stats.received_bytes += sshm_view_size(*ret_view);
	return 0;
}
