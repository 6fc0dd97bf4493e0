/* SPDX-License-Identifier: MIT */
/*
 * inspect - what a descriptor is, without reading it.
 *
 * A descriptor is looked at the way a consumer must look at a received one.
 * Its type comes from statx(2) alone (AT_STATX_DONT_SYNC: no FUSE or network
 * round trip), so a FIFO, a terminal, a socket or a device of another
 * process is never opened at all, and nothing is ever read, polled or
 * ioctl()ed before it proved to be a sealed memfd.  Another process's file
 * is pinned with an O_PATH open before it is reopened, so what we reopen is
 * what we stat()ed.  Only a memfd that sshm_fd_verify() accepts is mapped,
 * read-only, to count its resident pages (memfd.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "stat.h"

/* The memfd filesystems, by device: how the library tells a memfd too. */
struct memfd_devs {
	int have_shm, have_huge;
	dev_t shm, huge;
};

static struct memfd_devs memfd_devs;

/* "FD" or "PID:FD".  *ret_pid is 0 for one of our own descriptors. */
int target_parse(const char *s, pid_t *ret_pid, int *ret_fd)
{
	char buf[32];
	const char *colon = strchr(s, ':');
	unsigned long pid = 0, fd;
	size_t n;

	if (colon) {
		n = (size_t)(colon - s);
		if (n == 0 || n >= sizeof(buf))
			return -EINVAL;
		memcpy(buf, s, n);
		buf[n] = '\0';
		if (tool_parse_ulong(buf, &pid) < 0 || pid == 0 || pid > INT32_MAX)
			return -EINVAL;
		s = colon + 1;
	}
	if (tool_parse_ulong(s, &fd) < 0 || fd > INT_MAX)
		return -EINVAL;
	*ret_pid = (pid_t)pid;
	*ret_fd = (int)fd;
	return 0;
}

/* statx of a target, without opening it. */
int target_stat(pid_t pid, int fd, struct finfo *fi)
{
	char path[64];

	if (pid) {
		proc_path(path, sizeof(path), pid, "fd", fd);
		return finfo_get(AT_FDCWD, path, 0, fi);
	}
	return fcntl(fd, F_GETFD) < 0 ? -errno : finfo_get(fd, "", AT_EMPTY_PATH, fi);
}

/* ------------------------------------------------------------ stat alone */

static int same_dev(const struct finfo *fi, dev_t dev)
{
	return fi->dev_major == major(dev) && fi->dev_minor == minor(dev);
}

/* The devices of the memfd filesystems, from memfds of our own. */
void inspect_init(void)
{
	struct memfd_devs *d = &memfd_devs;
	struct stat st;
	int fd;

	memset(d, 0, sizeof(*d));
	fd = (int)syscall(SYS_memfd_create, "sshm-stat-probe", MFD_CLOEXEC);
	if (fd >= 0 && fstat(fd, &st) == 0) {
		d->shm = st.st_dev;
		d->have_shm = 1;
	}
	if (fd >= 0)
		close(fd);
	/* Works with an empty hugetlb pool: the probe has no pages. */
	fd = (int)syscall(SYS_memfd_create, "sshm-stat-probe", MFD_CLOEXEC | MFD_HUGETLB);
	if (fd >= 0 && fstat(fd, &st) == 0) {
		d->huge = st.st_dev;
		d->have_huge = 1;
	}
	if (fd >= 0)
		close(fd);
}

static int memfd_kind(const struct finfo *fi)
{
	if (!S_ISREG(fi->mode))
		return MEMFD_NO;
	if (memfd_devs.have_shm && same_dev(fi, memfd_devs.shm))
		return MEMFD_SHMEM;
	if (memfd_devs.have_huge && same_dev(fi, memfd_devs.huge))
		return MEMFD_HUGETLB;
	return MEMFD_NO;
}

static int fs_in(const struct report *rp, const char *const *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(rp->fstype, list[i]))
			return 1;
	return 0;
}

/* Filesystems with files worth a SEEK_HOLE: reopening one is harmless. */
static int fs_is_storage(const struct report *rp)
{
	static const char *const storage[] = {
		"tmpfs",   "ramfs",    "hugetlbfs", "ext2",    "ext3",	"ext4",
		"xfs",	   "btrfs",    "f2fs",	    "vfat",    "exfat", "msdos",
		"overlay", "squashfs", "erofs",	    "iso9660", "zfs",	"bcachefs",
	};

	return rp->fs_known == 1 && fs_in(rp, storage, ELEMENTSOF(storage));
}

/*
 * Filesystems whose stat(2) and statfs(2) cannot call into a userspace
 * daemon, the network or an automounter.  A file anywhere else (FUSE, NFS,
 * autofs...) may block us: it is reported from statx(AT_STATX_DONT_SYNC).
 */
static int fs_is_local(const struct report *rp)
{
	static const char *const pseudo[] = {
		"devtmpfs", "devpts",	"proc",	       "sysfs",	     "mqueue", "cgroup",
		"cgroup2",  "debugfs",	"tracefs",     "securityfs", "pstore", "bpf",
		"configfs", "efivarfs", "binfmt_misc", "nsfs",	     "pidfs",
	};

	/* Not in mountinfo: pipefs, sockfs, anon_inodefs, the memfd mount. */
	if (rp->fs_known == 0)
		return 1;
	return fs_is_storage(rp) ||
	       (rp->fs_known == 1 && fs_in(rp, pseudo, ELEMENTSOF(pseudo)));
}

/* What the library would say, for a file it may not be shown. */
static void verdict_from_stat(struct report *rp)
{
	if (rp->flags >= 0 && (rp->flags & O_PATH))
		rp->verdict = -SSHM_EOPATH;
	else if (!S_ISREG(rp->fi.mode))
		rp->verdict = -SSHM_ENOTREG;
	else
		rp->verdict = -SSHM_ENOTMEMFD;
	rp->verdict_by = "stat";
}

/* Name, filesystem and memfd-ness: everything that needs no descriptor. */
static void describe(struct report *rp)
{
	char path[64];
	ssize_t n;
	int r;

	proc_path(path, sizeof(path), rp->pid, "fd", rp->fd);
	n = readlink(path, rp->name, sizeof(rp->name));
	if (n >= 0) {
		rp->name_len = (size_t)n;
		rp->have_name = 1;
	}
	rp->fs_known = -1;
	if (rp->fi.have_mnt_id) {
		r = proc_mount_fstype(rp->pid, rp->fi.mnt_id, rp->fstype,
				      sizeof(rp->fstype));
		rp->fs_known = r > 0 ? 1 : r == 0 ? 0 : -1;
	}
	rp->memfd = memfd_kind(&rp->fi);
	if (rp->memfd != MEMFD_NO) {
		snprintf(rp->fstype, sizeof(rp->fstype), "%s",
			 rp->memfd == MEMFD_SHMEM ? "tmpfs" : "hugetlbfs");
		rp->fs_known = 0;
	}
}

/* A read-only description of our own of the file behind our @fd. */
static int reopen(int fd)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	return open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
}

/*
 * Whether a regular file may be reopened: a memfd, or a file on a storage
 * filesystem (anonymous inodes, /proc and sysfs files are left alone).
 */
static int may_reopen(const struct report *rp)
{
	if (!S_ISREG(rp->fi.mode))
		return 0;
	return rp->memfd != MEMFD_NO || fs_is_storage(rp);
}

/* ------------------------------------------------------------ targets */

/* One of our own descriptors: fcntl, statx and the library are safe on it. */
int inspect_own(const struct options *o, struct report *rp)
{
	int fd = rp->fd, fl, fdfl, own, r;

	fl = fcntl(fd, F_GETFL);
	fdfl = fcntl(fd, F_GETFD);
	if (fl < 0 || fdfl < 0) {
		rp->err_what = "not an open descriptor";
		return -errno;
	}
	r = finfo_get(fd, "", AT_EMPTY_PATH, &rp->fi);
	if (r < 0) {
		rp->err_what = "statx";
		return r;
	}
	if (!rp->fi.have_mnt_id)
		proc_read_fdinfo(rp);
	rp->flags = fl | (fdfl & FD_CLOEXEC ? O_CLOEXEC : 0);
	describe(rp);
	if (!fs_is_local(rp)) {
		rp->how =
		    "statx only: its filesystem may call out to a daemon or the network";
		verdict_from_stat(rp);
		return 0;
	}
	/* The library never reads, polls or ioctls: safe on a tty or FIFO. */
	rp->verdict = sshm_fd_verify(fd, 0, &o->policy, NULL);
	rp->verdict_by = "sshm_fd_verify";
	rp->how = "our descriptor: fcntl and stat only";
	if (!may_reopen(rp))
		return 0;
	own = reopen(fd);
	if (own >= 0)
		rp->how = "our descriptor, and a read-only reopen through /proc/self/fd";
	memfd_inspect(own >= 0 ? own : (fl & O_PATH ? -1 : fd), own, rp);
	if (own >= 0)
		close(own);
	return 0;
}

/*
 * Another process's descriptor, through /proc/PID/fd/FD.  Its type comes
 * from statx of the link, so a FIFO, terminal, socket or device is never
 * opened.  A regular file or directory is opened O_PATH (no driver call)
 * and statx'd again through that descriptor, which pins the inode: the
 * read-only reopen of a regular file goes through it, so the holder cannot
 * swap the descriptor between our checks and our open.
 */
int inspect_pid(const struct options *o, struct report *rp)
{
	char path[64];
	int opath, own = -1, vfd, r;

	proc_path(path, sizeof(path), rp->pid, "fd", rp->fd);
	r = finfo_get(AT_FDCWD, path, 0, &rp->fi);
	if (r < 0) {
		rp->err_what = "statx";
		return r;
	}
	proc_read_fdinfo(rp);
	describe(rp);
	rp->how = "statx of the /proc link only: never opened";
	if ((!S_ISREG(rp->fi.mode) && !S_ISDIR(rp->fi.mode)) || !fs_is_local(rp)) {
		verdict_from_stat(rp);
		return 0;
	}
	opath = open(path, O_PATH | O_CLOEXEC);
	if (opath < 0) {
		rp->err_what = "open O_PATH";
		return -errno;
	}
	r = finfo_get(opath, "", AT_EMPTY_PATH, &rp->fi);
	if (r < 0) {
		rp->err_what = "statx";
		goto out;
	}
	describe(rp);
	rp->how = "statx, and an O_PATH descriptor";
	if (may_reopen(rp)) {
		own = reopen(opath);
		rp->how =
		    own >= 0
			? "statx, O_PATH, and a read-only reopen of it"
			: "statx, and an O_PATH descriptor (read-only reopen refused)";
	}
	/* The library's verdict on the holder's kind of descriptor. */
	vfd = rp->flags >= 0 && (rp->flags & O_PATH) ? opath : own;
	if (vfd >= 0) {
		rp->verdict = sshm_fd_verify(vfd, 0, &o->policy, NULL);
		rp->verdict_by = "sshm_fd_verify";
	} else {
		verdict_from_stat(rp);
	}
	if (own >= 0)
		memfd_inspect(own, own, rp);
	r = 0;
out:
	if (own >= 0)
		close(own);
	close(opath);
	return r;
}
