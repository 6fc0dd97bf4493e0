/* SPDX-License-Identifier: MIT */
/*
 * stat - what the files of sshm-stat share: the options, what is learnt
 * about a file and a target, and the entry points of each concern.
 *
 *   main.c         options, the run over every target, dispatch
 *   statx.c        a raw statx(2) reader (struct finfo)
 *   proc.c         /proc: fd and fdinfo paths, mountinfo, smaps
 *   inspect.c      what a descriptor is, without reading it
 *   memfd.c        what a sealed memfd holds: holes, seals, pages
 *   names.c        the words both outputs use for types and flags
 *   output-text.c  a report as text
 *   output-json.c  a report as JSON
 *   json.c         a small JSON writer (json.h), free of sshm-stat types
 *   same.c         --same: one open file, one inode, or different
 *   system.c       --system: kernel features (tools/features.h)
 *
 * The rule every file keeps: a target is opened, read or mapped only as
 * inspect.c allows (its top comment says how, and why).
 */
#ifndef SSHM_STAT_H
#define SSHM_STAT_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "../tool.h"

#define MEMFD_NO      0
#define MEMFD_SHMEM   1
#define MEMFD_HUGETLB 2

struct options {
	int json;
	int check;
	int same;
	int system;
	struct sshm_policy policy;
	int nargs;
	char **args;
};

/* What statx(2) (or fstat(2) on old kernels) said about a file. */
struct finfo {
	unsigned int mode;
	uint64_t ino, size, blocks;
	unsigned int dev_major, dev_minor, rdev_major, rdev_minor;
	uint64_t mnt_id;
	int have_mnt_id;
};

/* Everything learnt about one target, printed as text or JSON. */
struct report {
	const char *target;
	pid_t pid; /* 0: one of our own descriptors */
	int fd;
	int err; /* the target could not be inspected */
	const char *err_what;
	char name[PATH_MAX]; /* readlink(2) of the /proc link: display only */
	size_t name_len;
	int have_name;
	struct finfo fi;
	char fstype[32]; /* from mountinfo */
	int fs_known;	 /* 1 found, 0 kernel-internal mount, -1 unknown */
	int flags;	 /* the holder's open flags, -1 unknown */
	int memfd;	 /* MEMFD_* */
	const char *how; /* how the file was reached */
	int have_seals;
	unsigned int seals;
	int have_holes;
	uint64_t first_hole;
	int have_resident;
	uint64_t resident, pages;
	int have_huge;
	unsigned long shmem_pmd_kb, file_pmd_kb, hugetlb_kb;
	int map_err; /* mmap or mincore failed */
	int verdict;
	const char *verdict_by; /* "sshm_fd_verify" or "stat" */
};

/* statx.c */
int finfo_get(int dirfd, const char *path, int flags, struct finfo *fi);

/* proc.c */
void proc_path(char *buf, size_t len, pid_t pid, const char *dir, int fd);
int proc_mount_fstype(pid_t pid, uint64_t mnt_id, char *buf, size_t len);
void proc_read_fdinfo(struct report *rp);
void proc_read_smaps(const void *addr, struct report *rp);

/* inspect.c */
int target_parse(const char *s, pid_t *ret_pid, int *ret_fd);
int target_stat(pid_t pid, int fd, struct finfo *fi);
void inspect_init(void);
int inspect_own(const struct options *o, struct report *rp);
int inspect_pid(const struct options *o, struct report *rp);

/* memfd.c */
void memfd_inspect(int seals_fd, int own, struct report *rp);

/* names.c */
const char *type_name(unsigned int mode, int json);
int is_terminal(const struct finfo *fi);
void flags_string(int flags, char *buf, size_t len);

/* output-text.c, output-json.c */
void output_text(FILE *f, const struct report *rp);
void output_json(FILE *f, const struct report *rp);

/* same.c, system.c: exit statuses */
int run_same(const struct options *o);
int run_system(const struct options *o);

#endif
