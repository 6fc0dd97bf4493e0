/* SPDX-License-Identifier: MIT */
/*
 * names - the words both outputs use for what was found: file types, open
 * flags and terminals.  Judged from stat and fdinfo alone.
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>

#include "stat.h"

/* Major numbers of terminals (devices.txt): never touched, only named. */
#define TTY_MAJOR	4
#define TTYAUX_MAJOR	5
#define PTS_MAJOR_FIRST 136
#define PTS_MAJOR_LAST	143

static const struct {
	unsigned int fmt;
	const char *key, *name;
} file_types[] = {
	{ S_IFREG, "regular", "regular file" },
	{ S_IFDIR, "directory", "directory" },
	{ S_IFCHR, "chardev", "character device" },
	{ S_IFBLK, "blockdev", "block device" },
	{ S_IFIFO, "fifo", "FIFO (pipe)" },
	{ S_IFSOCK, "socket", "socket" },
	{ S_IFLNK, "symlink", "symbolic link" },
};

/* @json: the short key, else the name.  Mode 0: an anonymous inode. */
const char *type_name(unsigned int mode, int json)
{
	size_t i;

	for (i = 0; i < ELEMENTSOF(file_types); i++)
		if ((mode & S_IFMT) == file_types[i].fmt)
			return json ? file_types[i].key : file_types[i].name;
	return json ? "anon" : "anonymous inode";
}

/* Judged by major number alone: isatty(3) would be an ioctl. */
int is_terminal(const struct finfo *fi)
{
	unsigned int m = fi->rdev_major;

	return S_ISCHR(fi->mode) && (m == TTY_MAJOR || m == TTYAUX_MAJOR ||
				     (m >= PTS_MAJOR_FIRST && m <= PTS_MAJOR_LAST));
}

void flags_string(int flags, char *buf, size_t len)
{
	const char *acc;

	if (flags & O_PATH)
		acc = "path";
	else if ((flags & O_ACCMODE) == O_RDONLY)
		acc = "rdonly";
	else if ((flags & O_ACCMODE) == O_WRONLY)
		acc = "wronly";
	else
		acc = "rdwr";
	snprintf(buf, len, "%s%s%s%s", acc, flags & O_NONBLOCK ? ",nonblock" : "",
		 flags & O_APPEND ? ",append" : "", flags & O_CLOEXEC ? ",cloexec" : "");
}
