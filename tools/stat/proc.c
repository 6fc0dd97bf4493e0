/* SPDX-License-Identifier: MIT */
/*
 * proc - what /proc says about a descriptor and its mount: the paths of
 * /proc/PID/fd and fdinfo, the holder's open flags and mount id (fdinfo),
 * the filesystem type of a mount (mountinfo), and the huge pages of one of
 * our own mappings (smaps).  Text files of the kernel, parsed line by line;
 * a line that does not parse is skipped, never trusted.  Lines are read
 * whole (getline): a line can hold a name the producer chose (smaps names
 * the memfd), and a piece of it cut off by a fixed buffer must never be
 * read as a line of its own.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stat.h"

/* /proc/PID/DIR/FD, or /proc/self/DIR/FD for our own descriptors. */
void proc_path(char *buf, size_t len, pid_t pid, const char *dir, int fd)
{
	if (pid)
		snprintf(buf, len, "/proc/%ld/%s/%d", (long)pid, dir, fd);
	else
		snprintf(buf, len, "/proc/self/%s/%d", dir, fd);
}

/*
 * The filesystem type of mount @mnt_id as /proc/PID/mountinfo lists it.
 * 1: found; 0: not listed, a kernel-internal mount (pipes, sockets, anon
 * inodes, memfds); negative: mountinfo unreadable.
 */
int proc_mount_fstype(pid_t pid, uint64_t mnt_id, char *buf, size_t len)
{
	char path[64], *line = NULL, *sep;
	unsigned long long id;
	size_t cap = 0;
	FILE *f;
	int r = 0;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%ld/mountinfo", (long)pid);
	else
		snprintf(path, sizeof(path), "/proc/self/mountinfo");
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (getline(&line, &cap, f) > 0) {
		if (sscanf(line, "%llu", &id) != 1 || id != mnt_id)
			continue;
		/* Spaces in mount points are escaped: " - " only ends the
		 * optional fields. */
		sep = strstr(line, " - ");
		if (!sep)
			break;
		sep += 3;
		sep[strcspn(sep, " \n")] = '\0';
		snprintf(buf, len, "%s", sep);
		r = 1;
		break;
	}
	free(line);
	fclose(f);
	return r;
}

/* The holder's open flags and, before statx had it, the mount id. */
void proc_read_fdinfo(struct report *rp)
{
	char path[64], *line = NULL;
	unsigned long long v;
	unsigned int fl;
	size_t cap = 0;
	FILE *f;

	proc_path(path, sizeof(path), rp->pid, "fdinfo", rp->fd);
	f = fopen(path, "re");
	if (!f)
		return;
	while (getline(&line, &cap, f) > 0) {
		if (sscanf(line, "flags: %o", &fl) == 1)
			rp->flags = (int)fl;
		else if (!rp->fi.have_mnt_id && sscanf(line, "mnt_id: %llu", &v) == 1) {
			rp->fi.mnt_id = v;
			rp->fi.have_mnt_id = 1;
		}
	}
	free(line);
	fclose(f);
}

/* PMD- and hugetlb-mapped kB of our own mapping at @addr, from smaps. */
void proc_read_smaps(const void *addr, struct report *rp)
{
	unsigned long start, end, kb;
	char *line = NULL;
	size_t cap = 0;
	int in = 0;
	FILE *f;

	f = fopen("/proc/self/smaps", "re");
	if (!f)
		return;
	while (getline(&line, &cap, f) > 0) {
		if (!in) {
			in = sscanf(line, "%lx-%lx ", &start, &end) == 2 &&
			     start == (unsigned long)addr;
			continue;
		}
		if (!strncmp(line, "VmFlags:", 8))
			break;
		if (sscanf(line, "ShmemPmdMapped: %lu kB", &kb) == 1)
			rp->shmem_pmd_kb = kb, rp->have_huge = 1;
		else if (sscanf(line, "FilePmdMapped: %lu kB", &kb) == 1)
			rp->file_pmd_kb = kb, rp->have_huge = 1;
		else if (sscanf(line, "Shared_Hugetlb: %lu kB", &kb) == 1 ||
			 sscanf(line, "Private_Hugetlb: %lu kB", &kb) == 1)
			rp->hugetlb_kb += kb, rp->have_huge = 1;
	}
	free(line);
	fclose(f);
}
