/* SPDX-License-Identifier: MIT */
/*
 * method-plain - plain-sealed: the sealed exchange written without the
 * library, as a reference for what the kernel allows in the same run.
 *
 * Per message the producer creates a memfd, sizes it, fills it (pwrite(2)
 * from a reused buffer; with --hugepage through a 2 MiB-aligned mapping
 * advised MADV_HUGEPAGE, as sshm fills), seals it (F_ADD_SEALS: shrink,
 * grow, write, seal), sends it to every consumer with SCM_RIGHTS beside
 * the index and the checksum, and closes it.  Each consumer checks
 * F_GET_SEALS and the size (fstat), maps it read-only (2 MiB-aligned and
 * advised from 2 MiB on, as the library's consumer does; populated with
 * --prefault), reads and checks every byte, unmaps, closes, and sends back
 * a credit of the message's size over the same socket.
 *
 * The producer holds to the library's in-flight rule with the same
 * limits: a message is sent when fewer than the window are uncredited
 * and their bytes plus its own fit the budget, or nothing is in flight.
 * What it leaves out, and the library pays for: credentials and identity
 * (kcmp), the policy's checks beyond seals and size, the protocol's
 * framing, and keeping each memfd open until it is released.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench.h"

#define PLAIN_SEALS (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)
#define HUGE_SIZE   ((size_t)2 << 20)

static int plain_pair(struct link *l)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	l->prod_fd = sv[0];
	l->cons_fd = sv[1];
	return 0;
}

static int plain_setup(struct cell *c)
{
	unsigned int j;
	int r;

	for (j = 0; j < c->consumers; j++) {
		r = plain_pair(&c->link[j]);
		if (r < 0)
			return r;
	}
	return 0;
}

static int plain_prepare(struct cell *c, int role, struct worker *w)
{
	if (role != ROLE_PRODUCER || c->o->hugepage)
		return 0;
	return worker_buffer(w, c->size);
}

/*
 * A shared mapping of @fd; from 2 MiB on aligned to 2 MiB and advised, so
 * that huge pages can be mapped whole, populated afterwards (MAP_POPULATE
 * would fault before the advice).  MAP_FAILED with errno on failure.
 */
static void *map_aligned(int fd, size_t len, int prot, int populate)
{
	size_t span, head;
	uintptr_t base, aligned;
	void *reserve, *p;

	if (len < HUGE_SIZE)
		return mmap(NULL, len, prot, MAP_SHARED | (populate ? MAP_POPULATE : 0),
			    fd, 0);
	span = (len + 4095) & ~(size_t)4095;
	reserve = mmap(NULL, span + HUGE_SIZE, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (reserve == MAP_FAILED)
		return MAP_FAILED;
	base = (uintptr_t)reserve;
	aligned = (base + HUGE_SIZE - 1) & ~(uintptr_t)(HUGE_SIZE - 1);
	p = mmap((void *)aligned, len, prot, MAP_SHARED | MAP_FIXED, fd, 0);
	if (p == MAP_FAILED) {
		int saved = errno;

		munmap(reserve, span + HUGE_SIZE);
		errno = saved;
		return MAP_FAILED;
	}
	head = aligned - base;
	if (head)
		munmap(reserve, head);
	if (HUGE_SIZE - head)
		munmap((void *)(aligned + span), HUGE_SIZE - head);
	(void)madvise(p, len, MADV_HUGEPAGE);
	/* Best effort, as MAP_POPULATE is: a failure shows as a fault later. */
	if (populate)
		(void)madvise(p, len,
			      (prot & PROT_WRITE) ? MADV_POPULATE_WRITE
						  : MADV_POPULATE_READ);
	return p;
}

/* A sized memfd that can be sealed; MFD_NOEXEC_SEAL where the kernel has it. */
static int memfd_sized(uint64_t size)
{
	static unsigned int noexec = MFD_NOEXEC_SEAL;
	int fd, r;

	fd = memfd_create("sshm-bench", MFD_CLOEXEC | MFD_ALLOW_SEALING | noexec);
	if (fd < 0 && errno == EINVAL && noexec) {
		noexec = 0;
		fd = memfd_create("sshm-bench", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	}
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)size) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

static int pwrite_all(int fd, const void *buf, uint64_t len)
{
	uint64_t off = 0;
	ssize_t n;

	while (off < len) {
		n = pwrite(fd, (const char *)buf + off, (size_t)(len - off), (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		off += (uint64_t)n;
	}
	return 0;
}

/* Fills @fd with message @i's pattern; its checksum in *@sum. */
static int plain_fill(struct cell *c, struct worker *w, int fd, uint64_t i, uint64_t *sum)
{
	void *p;

	if (!c->o->hugepage) {
		*sum = fill_sum(w->buf, (size_t)c->size, i, 0);
		return pwrite_all(fd, w->buf, c->size);
	}
	p = map_aligned(fd, (size_t)c->size, PROT_READ | PROT_WRITE, 0);
	if (p == MAP_FAILED)
		return -errno;
	*sum = fill_sum(p, (size_t)c->size, i, 0);
	/* A writable mapping left would make F_SEAL_WRITE fail (EBUSY). */
	munmap(p, (size_t)c->size);
	return 0;
}

/* Takes one credit back: a consumer is done with a message. */
static int credit_take(struct link *l)
{
	uint64_t bytes;
	ssize_t n;

	do
		n = recv(l->prod_fd, &bytes, sizeof(bytes), 0);
	while (n < 0 && errno == EINTR);
	if (n == 0)
		return -EPIPE;
	if (n < 0)
		return errno == ECONNRESET ? -EPIPE : -errno;
	if (n != sizeof(bytes) || l->inflight == 0 || bytes > l->inflight_bytes)
		return -EPROTO;
	l->inflight--;
	l->inflight_bytes -= bytes;
	return 0;
}

/* The library's rule: the window, and the budget unless nothing is in flight. */
static int credit_wait_room(const struct cell *c, struct link *l)
{
	int r;

	while (l->inflight >= c->window ||
	       (l->inflight > 0 && l->inflight_bytes + c->size > c->budget)) {
		r = credit_take(l);
		if (r < 0)
			return r;
	}
	return 0;
}

static int send_fd(int sock, int fd, const struct msg_meta *m)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { (void *)m, sizeof(*m) };
	struct msghdr mh;
	struct cmsghdr *cm;
	ssize_t n;

	memset(&u, 0, sizeof(u));
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = u.buf;
	mh.msg_controllen = sizeof(u.buf);
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(fd));
	do
		n = sendmsg(sock, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == ECONNRESET ? -EPIPE : -errno;
	return n == sizeof(*m) ? 0 : -EPROTO;
}

/* One sealed memfd to every consumer, within each one's credits. */
static int plain_send(struct cell *c, struct worker *w, struct outcome *out, uint64_t i)
{
	struct msg_meta meta = { i, 0 };
	struct link *l;
	unsigned int j;
	int fd, r;

	fd = memfd_sized(c->size);
	if (fd < 0) {
		fail(out, fd, 0, "memfd for message %llu", (unsigned long long)i);
		return fd;
	}
	r = plain_fill(c, w, fd, i, &meta.sum);
	if (r < 0)
		fail(out, r, 0, "fill message %llu", (unsigned long long)i);
	if (r >= 0 && fcntl(fd, F_ADD_SEALS, PLAIN_SEALS | F_SEAL_SEAL) < 0) {
		r = -errno;
		fail(out, r, 0, "seal message %llu", (unsigned long long)i);
	}
	for (j = 0; j < c->consumers && r >= 0; j++) {
		l = &c->link[j];
		r = credit_wait_room(c, l);
		if (r >= 0)
			r = send_fd(l->prod_fd, fd, &meta);
		if (r < 0) {
			fail(out, r, 0, "send message %llu to consumer %u",
			     (unsigned long long)i, j);
			break;
		}
		l->inflight++;
		l->inflight_bytes += c->size;
		if (l->inflight_bytes > out->inflight_max)
			out->inflight_max = l->inflight_bytes;
	}
	/* The descriptors in flight keep the memfd. */
	close(fd);
	return r;
}

/* Every credit back before the producer goes, as sshm_channel_drain() does. */
static void plain_finish(struct cell *c, struct worker *w, struct outcome *out,
			 uint64_t n)
{
	unsigned int j;
	int r;

	(void)w;
	(void)n;
	for (j = 0; j < c->consumers; j++) {
		while (c->link[j].inflight > 0) {
			r = credit_take(&c->link[j]);
			if (r < 0) {
				fail(out, r, 0, "wait for consumer %u's credits", j);
				break;
			}
		}
	}
}

/* The next packet: 1 with *@fd, 0 at the end, or a negative code. */
static int recv_fd(int sock, struct msg_meta *m, int *fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { m, sizeof(*m) };
	struct msghdr mh;
	struct cmsghdr *cm;
	ssize_t n;

	*fd = -1;
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = u.buf;
	mh.msg_controllen = sizeof(u.buf);
	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	cm = CMSG_FIRSTHDR(&mh);
	if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS &&
	    cm->cmsg_len == CMSG_LEN(sizeof(int)))
		memcpy(fd, CMSG_DATA(cm), sizeof(*fd));
	if (n == 0 && *fd < 0)
		return 0;
	if (n != sizeof(*m) || *fd < 0 || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)))
		return -EPROTO;
	return 1;
}

/* Seals, size, then every byte through a read-only mapping. */
static int plain_check(struct cell *c, struct outcome *out, int fd,
		       const struct msg_meta *m, uint64_t i)
{
	const unsigned long long ull = (unsigned long long)i;
	struct stat st;
	int seals, r;
	void *p;

	seals = fcntl(fd, F_GET_SEALS);
	if (seals < 0 || (seals & PLAIN_SEALS) != PLAIN_SEALS) {
		r = seals < 0 ? -errno : 0;
		fail(out, r, 0, "message %llu: seals %#x", ull,
		     seals < 0 ? 0u : (unsigned)seals);
		return r ? r : -EPROTO;
	}
	if (fstat(fd, &st) < 0) {
		r = -errno;
		fail(out, r, 0, "message %llu: fstat", ull);
		return r;
	}
	if ((uint64_t)st.st_size != c->size || m->index != i) {
		fail(out, 0, 1, "message %llu: %llu bytes, index %llu", ull,
		     (unsigned long long)st.st_size, (unsigned long long)m->index);
		return -EPROTO;
	}
	p = map_aligned(fd, (size_t)c->size, PROT_READ, c->o->prefault);
	if (p == MAP_FAILED) {
		r = -errno;
		fail(out, r, 0, "message %llu: mmap", ull);
		return r;
	}
	r = check_data(out, p, c->size, i, m->sum);
	munmap(p, (size_t)c->size);
	return r;
}

static int plain_recv(struct cell *c, struct worker *w, struct outcome *out,
		      unsigned int j, uint64_t i)
{
	const int sock = c->link[j].cons_fd;
	const uint64_t credit = c->size;
	struct msg_meta m;
	ssize_t n;
	int fd, r;

	(void)w;
	r = recv_fd(sock, &m, &fd);
	if (r < 0)
		fail(out, r, 0, "receive message %llu", (unsigned long long)i);
	if (fd >= 0 && r > 0 && plain_check(c, out, fd, &m, i) < 0)
		r = -EPROTO;
	if (fd >= 0)
		close(fd);
	if (r <= 0)
		return r;
	do
		n = send(sock, &credit, sizeof(credit), MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n != sizeof(credit)) {
		r = n < 0 ? -errno : -EPROTO;
		fail(out, r, 0, "credit for message %llu", (unsigned long long)i);
		return r;
	}
	return 1;
}

const struct method method_plain_sealed = {
	.name = "plain-sealed",
	.flags = METHOD_SEALED | METHOD_LIMITED,
	.setup = plain_setup,
	.prepare = plain_prepare,
	.send = plain_send,
	.finish = plain_finish,
	.recv = plain_recv,
};
