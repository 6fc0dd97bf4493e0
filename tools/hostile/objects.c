/* SPDX-License-Identifier: MIT */
/*
 * objects - what an attack sends, and the probes that tell afterwards
 * whether the consumer touched it.  A consumer that refuses a descriptor
 * must never map or read it (doc/threat-model.md, "Refused"); from outside
 * that shows as:
 *
 *  - the atime of a file: mmap(2) of a memfd (shmem_mmap) and of any file
 *    updates it, and so does read(2); the checks the library makes
 *    (fcntl, fstat, statx, lseek, kcmp) do not.  The probe sets it to
 *    1970-01-01T00:00:01 after the file is ready, so that any later
 *    access moves it, also within the same clock tick and under relatime;
 *  - bytes queued in a pipe or a socket: still there, nobody read them;
 *  - an eventfd's counter: still the same, nobody read it.
 *
 * Every object stays open on our side until the attack is over, so that
 * /proc/PID/fd of the consumer can be matched against its inode.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hostile.h"

static const struct timespec probe_time = { 1, 0 };

static int arm(struct object *o)
{
	struct timespec ts[2] = { probe_time, { 0, UTIME_OMIT } };

	if (o->probe != PROBE_ATIME)
		return 0;
	return futimens(o->fd, ts) < 0 ? -errno : 0;
}

int obj_add(struct run *r, int fd, const char *what, int probe, long canary,
	    unsigned int flags)
{
	struct object *o;
	struct stat st;
	int e;

	if (fd < 0) {
		run_syserr(r, -errno, what);
		return -1;
	}
	if (r->nobj == MAX_OBJECTS) {
		close(fd);
		run_syserr(r, -ENOBUFS, "too many objects in one attack");
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		e = -errno;
		close(fd);
		run_syserr(r, e, what);
		return -1;
	}
	o = &r->obj[r->nobj];
	memset(o, 0, sizeof(*o));
	o->fd = fd;
	o->what = what;
	o->dev = st.st_dev;
	o->ino = st.st_ino;
	o->probe = probe;
	o->canary = canary;
	o->untouched = !!(flags & OBJ_UNTOUCHED);
	e = arm(o);
	if (e < 0) {
		close(fd);
		run_syserr(r, e, "futimens");
		return -1;
	}
	if (r->o->pid)
		o->before = (unsigned int)fdcheck_before(r->o->pid, r, r->nobj);
	r->nobj++;
	return fd;
}

int obj_rearm(struct run *r, int fd)
{
	unsigned int i;
	int e;

	for (i = 0; i < r->nobj; i++) {
		if (r->obj[i].fd != fd)
			continue;
		e = arm(&r->obj[i]);
		if (e < 0)
			run_syserr(r, e, "futimens");
		return e;
	}
	return -ENOENT;
}

/* The byte at @off: never constant over a page, so a page mapped at the
 * wrong offset would show. */
static uint8_t pattern(uint64_t off)
{
	return (uint8_t)(off * 7 + (off >> 12) * 13 + 0x5a);
}

static int fill(int fd, uint64_t size)
{
	uint8_t buf[16384];
	uint64_t off = 0;
	size_t i, n;

	while (off < size) {
		n = size - off < sizeof(buf) ? (size_t)(size - off) : sizeof(buf);
		for (i = 0; i < n; i++)
			buf[i] = pattern(off + i);
		if (pwrite(fd, buf, n, (off_t)off) != (ssize_t)n)
			return -1;
		off += n;
	}
	return 0;
}

int obj_memfd(struct run *r, uint64_t size, unsigned int seals, int sparse,
	      unsigned int flags)
{
	int fd = memfd_create("sshm-hostile", MFD_CLOEXEC | MFD_ALLOW_SEALING), e;

	if (fd < 0) {
		run_syserr(r, -errno, "memfd_create");
		return -1;
	}
	if (ftruncate(fd, (off_t)size) < 0 || (!sparse && fill(fd, size) < 0) ||
	    (seals && fcntl(fd, F_ADD_SEALS, seals) < 0)) {
		e = -errno;
		close(fd);
		run_syserr(r, e, "preparing a memfd");
		return -1;
	}
	return obj_add(r, fd, "memfd", PROBE_ATIME, 0, flags);
}

int obj_sealed(struct run *r, uint64_t size, unsigned int flags)
{
	return obj_memfd(r, size, SSHM_SEALS_APPLIED, 0, flags);
}

/* What the probe of @o says: NULL untouched, else how it was touched. */
static const char *probe(const struct object *o)
{
	struct stat st;
	uint64_t v;
	int n;

	switch (o->probe) {
	case PROBE_ATIME:
		if (fstat(o->fd, &st) < 0)
			return NULL;
		if (st.st_atim.tv_sec != probe_time.tv_sec ||
		    st.st_atim.tv_nsec != probe_time.tv_nsec)
			return "mapped or read";
		return NULL;
	case PROBE_QUEUED:
		if (ioctl(o->fd, FIONREAD, &n) < 0)
			return NULL;
		return n != o->canary ? "read from" : NULL;
	case PROBE_COUNTER:
		/* Non-blocking: a counter read to 0 by the consumer is EAGAIN. */
		if (read(o->fd, &v, sizeof(v)) != (ssize_t)sizeof(v))
			return "read from";
		return v != (uint64_t)o->canary ? "read from" : NULL;
	default:
		return NULL;
	}
}

void obj_check(struct run *r)
{
	const char *how;
	unsigned int i, touched = 0, watched = 0;

	for (i = 0; i < r->nobj; i++) {
		if (!r->obj[i].untouched || r->obj[i].probe == PROBE_NONE)
			continue;
		watched++;
		how = probe(&r->obj[i]);
		if (!how)
			continue;
		if (!touched)
			run_fail(r, "the consumer %s a %s it had to refuse", how,
				 r->obj[i].what);
		touched++;
	}
	if (watched && !touched)
		run_note(r, "not touched");
}

void obj_close(struct run *r, int fd)
{
	unsigned int i;

	for (i = 0; i < r->nobj; i++)
		if (r->obj[i].fd == fd) {
			close(fd);
			r->obj[i].fd = -1;
			r->obj[i].probe = PROBE_NONE;
		}
}

void obj_close_all(struct run *r)
{
	unsigned int i;

	for (i = 0; i < r->nobj; i++) {
		if (r->obj[i].fd >= 0)
			close(r->obj[i].fd);
		r->obj[i].fd = -1;
	}
	r->nobj = 0;
}

const char *obj_tmpdir(void)
{
	const char *d = getenv("TMPDIR");

	return d && d[0] == '/' ? d : "/var/tmp";
}
