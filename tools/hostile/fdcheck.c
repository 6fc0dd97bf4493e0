/* SPDX-License-Identifier: MIT */
/*
 * fdcheck - what the consumer still holds of an attack, from /proc/PID:
 * every descriptor in fd/ whose file (stat(2) follows the magic link to
 * the open file, sockets and pipes included) has the device and inode of
 * an object the attack sent, and every mapping in maps of one.  Reading
 * another process's fd/ takes the same user (and a dumpable process) or
 * root; nothing of the consumer is opened, only stat()ed.
 *
 * Most objects are fresh, made by the attack, so the consumer held none of
 * them before; but /dev/null is everyone's, and every eventfd shares the
 * one anonymous inode with the consumer's own epoll or signalfd.  So each
 * object's file is counted when it is registered, before anything is sent,
 * and only more than that afterwards was kept.  A consumer may send a
 * RELEASE a moment before it closes the descriptor, so what it holds is
 * counted again until @settle_ms have passed.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "hostile.h"

const char *fdcheck_access(pid_t pid, char *buf, size_t len)
{
	char path[64];
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%ld/fd", (long)pid);
	d = opendir(path);
	if (!d) {
		snprintf(buf, len, "%s: %s", path, strerror(errno));
		return buf;
	}
	closedir(d);
	return NULL;
}

int fdcheck_alive(pid_t pid)
{
	char path[64], state = 0;
	FILE *f;
	int n;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	/* pid (comm) S ...: comm may hold spaces and parentheses. */
	n = fscanf(f, "%*d (%*[^)]) %c", &state);
	fclose(f);
	return n == 1 && state != 'Z' && state != 'X';
}

int fdcheck_euid(pid_t pid, uid_t *ret)
{
	char path[64], line[256];
	unsigned long real, eff;
	int e = -ENOENT;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Uid: %lu %lu", &real, &eff) == 2) {
			*ret = (uid_t)eff;
			e = 0;
			break;
		}
	fclose(f);
	return e;
}

/* Object @only of @r, or any (@only < 0), is the file @dev, @ino: which
 * one, plus 1; else 0. */
static unsigned int is_ours(const struct run *r, int only, dev_t dev, ino_t ino)
{
	unsigned int i;

	/* @only may be the object being registered, past r->nobj. */
	if (only >= 0)
		return r->obj[only].dev == dev && r->obj[only].ino == ino
			   ? (unsigned int)only + 1
			   : 0;
	for (i = 0; i < r->nobj; i++)
		if (r->obj[i].dev == dev && r->obj[i].ino == ino)
			return i + 1;
	return 0;
}

/* @hit (may be NULL): set for each object found. */
static int count_fds(pid_t pid, const struct run *r, int only, unsigned int *ret,
		     unsigned char *hit)
{
	unsigned int k;
	char dir[64], path[PATH_MAX];
	struct dirent *de;
	struct stat st;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%ld/fd", (long)pid);
	d = opendir(dir);
	if (!d)
		return -errno;
	*ret = 0;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		/* Gone meanwhile (closed): not held. */
		if (stat(path, &st) < 0 || !(k = is_ours(r, only, st.st_dev, st.st_ino)))
			continue;
		(*ret)++;
		if (hit)
			hit[k - 1] = 1;
	}
	closedir(d);
	return 0;
}

/* "start-end perms offset MAJ:MIN inode path": the device is hex. */
static int count_maps(pid_t pid, const struct run *r, int only, unsigned int *ret)
{
	char path[64], line[PATH_MAX + 128];
	unsigned int maj, min;
	unsigned long ino;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/maps", (long)pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	*ret = 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*s %*s %*s %x:%x %lu", &maj, &min, &ino) != 3 || !ino)
			continue;
		if (is_ours(r, only, makedev(maj, min), (ino_t)ino))
			(*ret)++;
	}
	fclose(f);
	return 0;
}

int fdcheck_before(pid_t pid, const struct run *r, unsigned int i)
{
	unsigned int fds = 0, maps = 0, k;

	/* Counted once, with the first object of the file. */
	for (k = 0; k < i; k++)
		if (r->obj[k].dev == r->obj[i].dev && r->obj[k].ino == r->obj[i].ino)
			return 0;
	if (count_fds(pid, r, (int)i, &fds, NULL) < 0 ||
	    count_maps(pid, r, (int)i, &maps) < 0)
		return 0;
	return (int)(fds + maps);
}

/* The kinds of fresh objects found, "pipe, memfd", into @buf. */
static void name_hits(const struct run *r, const unsigned char *hit, char *buf,
		      size_t len)
{
	unsigned int i, k;
	size_t n = 0;

	buf[0] = '\0';
	for (i = 0; i < r->nobj; i++) {
		if (!hit[i] || r->obj[i].before)
			continue;
		for (k = 0; k < i; k++)
			if (hit[k] && !r->obj[k].before &&
			    !strcmp(r->obj[k].what, r->obj[i].what))
				break;
		if (k == i && n < len)
			n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? ", " : "",
					      r->obj[i].what);
	}
}

int fdcheck_count(pid_t pid, const struct run *r, unsigned long settle_ms,
		  unsigned int *ret_fds, unsigned int *ret_maps, char *what, size_t len)
{
	const int64_t deadline = now_ms() + (int64_t)settle_ms;
	unsigned int fds = 0, maps = 0, before = 0, i;
	unsigned char hit[MAX_OBJECTS];
	int e;

	for (i = 0; i < r->nobj; i++)
		before += r->obj[i].before;
	for (;;) {
		memset(hit, 0, sizeof(hit));
		e = count_fds(pid, r, -1, &fds, hit);
		if (e == 0)
			e = count_maps(pid, r, -1, &maps);
		if (e < 0)
			return e;
		if (fds + maps <= before || now_ms() >= deadline)
			break;
		usleep(20000);
	}
	/* What it held before the attack (its own /dev/null, its own
	 * anonymous inodes: every eventfd shares one) is not the attack's;
	 * taken off the descriptors first, then the mappings. */
	if (fds >= before) {
		fds -= before;
	} else {
		maps -= before - fds < maps ? before - fds : maps;
		fds = 0;
	}
	name_hits(r, hit, what, len);
	*ret_fds = fds;
	*ret_maps = maps;
	return 0;
}
