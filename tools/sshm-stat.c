/* SPDX-License-Identifier: MIT */
/*
 * sshm-stat - inspect a descriptor without trusting it.
 *
 * A descriptor is looked at the way a consumer must look at a received one.
 * Its type comes from statx(2) alone (AT_STATX_DONT_SYNC: no FUSE or network
 * round trip), so a FIFO, a terminal, a socket or a device of another
 * process is never opened at all, and nothing is ever read, polled or
 * ioctl()ed before it proved to be a sealed memfd.  Another process's file
 * is pinned with an O_PATH open before it is reopened, so what we reopen is
 * what we stat()ed.  Only a memfd that sshm_fd_verify() accepts is mapped,
 * read-only, to count its resident pages.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "features.h"
#include "tool.h"

#define STATX_WANT (0x7ffu | STATX_MNT_ID) /* STATX_BASIC_STATS | STATX_MNT_ID */

/* Major numbers of terminals (devices.txt): never touched, only named. */
#define TTY_MAJOR 4
#define TTYAUX_MAJOR 5
#define PTS_MAJOR_FIRST 136
#define PTS_MAJOR_LAST 143

#define MEMFD_NO 0
#define MEMFD_SHMEM 1
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

/* The kernel's struct statx: libc headers differ on stx_mnt_id. */
struct kstatx_ts {
	int64_t sec;
	uint32_t nsec;
	int32_t pad;
};

struct kstatx {
	uint32_t mask, blksize;
	uint64_t attributes;
	uint32_t nlink, uid, gid;
	uint16_t mode, pad1;
	uint64_t ino, size, blocks, attributes_mask;
	struct kstatx_ts atime, btime, ctime, mtime;
	uint32_t rdev_major, rdev_minor, dev_major, dev_minor;
	uint64_t mnt_id;
	uint64_t spare[13];
};

/* The memfd filesystems, by device: how the library tells a memfd too. */
struct memfd_devs {
	int have_shm, have_huge;
	dev_t shm, huge;
};

/* Everything learnt about one target, printed as text or JSON. */
struct report {
	const char *target;
	pid_t pid;             /* 0: one of our own descriptors */
	int fd;
	int err;               /* the target could not be inspected */
	const char *err_what;
	char name[PATH_MAX];   /* readlink(2) of the /proc link: display only */
	size_t name_len;
	int have_name;
	struct finfo fi;
	char fstype[32];       /* from mountinfo */
	int fs_known;          /* 1 found, 0 kernel-internal mount, -1 unknown */
	int flags;             /* the holder's open flags, -1 unknown */
	int memfd;             /* MEMFD_* */
	const char *how;       /* how the file was reached */
	int have_seals;
	unsigned int seals;
	int have_holes;
	uint64_t first_hole;
	int have_resident;
	uint64_t resident, pages;
	int have_huge;
	unsigned long shmem_pmd_kb, file_pmd_kb, hugetlb_kb;
	int map_err;           /* mmap or mincore failed */
	int verdict;
	const char *verdict_by; /* "sshm_fd_verify" or "stat" */
};

static struct memfd_devs memfd_devs;

static void usage(void)
{
	printf("Usage: %s [OPTIONS] TARGET...\n"
	       "       %s [OPTIONS] --same A B\n"
	       "       %s [OPTIONS] --system\n"
	       "Inspect descriptors the way an sshm consumer must: without trusting them.\n"
	       "TARGET is FD, one of this process's descriptors (e.g. inherited:\n"
	       "'sshm-stat 3 3<file'), or PID:FD, descriptor FD of process PID.\n"
	       "\n"
	       "Reports the type, whether it is a memfd, its seals, size, allocated\n"
	       "blocks and holes, resident pages, huge pages, inode and mount id, and\n"
	       "the verdict of sshm_fd_verify().  Another process's FIFO, terminal,\n"
	       "socket or device is never opened; nothing that is not a sealed memfd is\n"
	       "ever read, mapped or ioctl()ed.\n"
	       "\n"
	       "  -c, --check            exit with status 2 if a target is not an\n"
	       "                         acceptable sealed memfd\n"
	       "      --same A B         say whether A and B are the same open file (kcmp),\n"
	       "                         only the same inode, or different files\n"
	       "      --system           show which kernel features sshm can use here\n"
	       "  -j, --json             print JSON instead of text\n"
	       "  -s, --max-size SIZE    policy: refuse memfds above SIZE bytes (suffixes\n"
	       "                         K, M, G, T; default 1G)\n"
	       "  -p, --populated        policy: refuse memfds with holes\n"
	       "      --allow-hugetlb    policy: accept hugetlb memfds (implies --populated)\n"
	       "  -h, --help             show this help and exit\n"
	       "  -V, --version          show the version and exit\n"
	       "\n"
	       "Exit status: 0 success, 1 usage error, 2 a target is not an acceptable\n"
	       "sealed memfd (with --check only), 3 system error (e.g. no such descriptor).\n",
	       tool_name, tool_name, tool_name);
}

static int parse_options(int argc, char **argv, struct options *o)
{
	enum { OPT_SAME = 256, OPT_SYSTEM, OPT_HUGETLB };
	static const struct option longopts[] = {
		{ "check", no_argument, NULL, 'c' },
		{ "same", no_argument, NULL, OPT_SAME },
		{ "system", no_argument, NULL, OPT_SYSTEM },
		{ "json", no_argument, NULL, 'j' },
		{ "max-size", required_argument, NULL, 's' },
		{ "populated", no_argument, NULL, 'p' },
		{ "allow-hugetlb", no_argument, NULL, OPT_HUGETLB },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	/* The all-zero policy is the library's default one. */
	memset(o, 0, sizeof(*o));
	while ((c = getopt_long(argc, argv, "cjs:phV", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o->check = 1;
			break;
		case OPT_SAME:
			o->same = 1;
			break;
		case OPT_SYSTEM:
			o->system = 1;
			break;
		case 'j':
			o->json = 1;
			break;
		case 's':
			if (tool_parse_max_size(optarg, &o->policy.max_size) < 0)
				return -1;
			break;
		case 'p':
			o->policy.flags |= SSHM_POLICY_POPULATED;
			break;
		case OPT_HUGETLB:
			/* A hole in a hugetlb region is a SIGBUS: the library
			 * only allows hugetlb together with "populated". */
			o->policy.flags |= SSHM_POLICY_ALLOW_HUGETLB |
					   SSHM_POLICY_POPULATED;
			break;
		case 'h':
			usage();
			return 1;
		case 'V':
			tool_version();
			return 1;
		default:
			return -1;
		}
	}
	o->nargs = argc - optind;
	o->args = argv + optind;
	if (o->same && o->system) {
		tool_error(0, "--same and --system exclude each other");
		return -1;
	}
	if (o->system && o->nargs > 0) {
		tool_error(0, "--system takes no TARGET");
		return -1;
	}
	if (o->same && o->nargs != 2) {
		tool_error(0, "--same needs exactly two targets");
		return -1;
	}
	if (!o->system && o->nargs < 1) {
		tool_error(0, "missing TARGET");
		return -1;
	}
	return 0;
}

/* "FD" or "PID:FD".  *ret_pid is 0 for one of our own descriptors. */
static int parse_target(const char *s, pid_t *ret_pid, int *ret_fd)
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
		if (tool_parse_ulong(buf, &pid) < 0 || pid == 0 ||
		    pid > INT32_MAX)
			return -EINVAL;
		s = colon + 1;
	}
	if (tool_parse_ulong(s, &fd) < 0 || fd > INT_MAX)
		return -EINVAL;
	*ret_pid = (pid_t)pid;
	*ret_fd = (int)fd;
	return 0;
}

/* /proc/PID/DIR/FD, or /proc/self/DIR/FD for our own descriptors. */
static void proc_path(char *buf, size_t len, pid_t pid, const char *dir, int fd)
{
	if (pid)
		snprintf(buf, len, "/proc/%ld/%s/%d", (long)pid, dir, fd);
	else
		snprintf(buf, len, "/proc/self/%s/%d", dir, fd);
}

/* ------------------------------------------------------------ stat alone */

static void finfo_from_stat(const struct stat *st, struct finfo *fi)
{
	memset(fi, 0, sizeof(*fi));
	fi->mode = (unsigned int)st->st_mode;
	fi->ino = (uint64_t)st->st_ino;
	fi->size = st->st_size > 0 ? (uint64_t)st->st_size : 0;
	fi->blocks = (uint64_t)st->st_blocks;
	fi->dev_major = major(st->st_dev);
	fi->dev_minor = minor(st->st_dev);
	fi->rdev_major = major(st->st_rdev);
	fi->rdev_minor = minor(st->st_rdev);
}

/*
 * statx(2) of @path relative to @dirfd (AT_EMPTY_PATH with ""), falling back
 * to fstatat(2) before Linux 4.11.  The raw syscall, because the struct of
 * older libcs has no stx_mnt_id.
 */
static int finfo_get(int dirfd, const char *path, int flags, struct finfo *fi)
{
	struct stat st;
#ifdef SYS_statx
	struct kstatx sx;

	memset(&sx, 0, sizeof(sx));
	if (syscall(SYS_statx, dirfd, path, flags | AT_STATX_DONT_SYNC,
		    STATX_WANT, &sx) == 0) {
		memset(fi, 0, sizeof(*fi));
		fi->mode = sx.mode;
		fi->ino = sx.ino;
		fi->size = sx.size;
		fi->blocks = sx.blocks;
		fi->dev_major = sx.dev_major;
		fi->dev_minor = sx.dev_minor;
		fi->rdev_major = sx.rdev_major;
		fi->rdev_minor = sx.rdev_minor;
		fi->have_mnt_id = !!(sx.mask & STATX_MNT_ID);
		fi->mnt_id = sx.mnt_id;
		return 0;
	}
	if (errno != ENOSYS)
		return -errno;
#endif
	if (fstatat(dirfd, path, &st, flags) < 0)
		return -errno;
	finfo_from_stat(&st, fi);
	return 0;
}

static int same_dev(const struct finfo *fi, dev_t dev)
{
	return fi->dev_major == major(dev) && fi->dev_minor == minor(dev);
}

/* The devices of the memfd filesystems, from memfds of our own. */
static void memfd_devs_init(struct memfd_devs *d)
{
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
	fd = (int)syscall(SYS_memfd_create, "sshm-stat-probe",
			  MFD_CLOEXEC | MFD_HUGETLB);
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

/*
 * The filesystem type of mount @mnt_id as /proc/PID/mountinfo lists it.
 * 1: found; 0: not listed, a kernel-internal mount (pipes, sockets, anon
 * inodes, memfds); negative: mountinfo unreadable.
 */
static int mount_fstype(pid_t pid, uint64_t mnt_id, char *buf, size_t len)
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
		"tmpfs", "ramfs", "hugetlbfs", "ext2", "ext3", "ext4", "xfs",
		"btrfs", "f2fs", "vfat", "exfat", "msdos", "overlay",
		"squashfs", "erofs", "iso9660", "zfs", "bcachefs",
	};

	return rp->fs_known == 1 &&
	       fs_in(rp, storage, sizeof(storage) / sizeof(storage[0]));
}

/*
 * Filesystems whose stat(2) and statfs(2) cannot call into a userspace
 * daemon, the network or an automounter.  A file anywhere else (FUSE, NFS,
 * autofs...) may block us: it is reported from statx(AT_STATX_DONT_SYNC).
 */
static int fs_is_local(const struct report *rp)
{
	static const char *const pseudo[] = {
		"devtmpfs", "devpts", "proc", "sysfs", "mqueue", "cgroup",
		"cgroup2", "debugfs", "tracefs", "securityfs", "pstore", "bpf",
		"configfs", "efivarfs", "binfmt_misc", "nsfs", "pidfs",
	};

	/* Not in mountinfo: pipefs, sockfs, anon_inodefs, the memfd mount. */
	if (rp->fs_known == 0)
		return 1;
	return fs_is_storage(rp) ||
	       (rp->fs_known == 1 &&
		fs_in(rp, pseudo, sizeof(pseudo) / sizeof(pseudo[0])));
}

/* The holder's open flags and, before statx had it, the mount id. */
static void read_fdinfo(struct report *rp)
{
	char path[64], line[256];
	unsigned long long v;
	unsigned int fl;
	FILE *f;

	proc_path(path, sizeof(path), rp->pid, "fdinfo", rp->fd);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "flags: %o", &fl) == 1)
			rp->flags = (int)fl;
		else if (!rp->fi.have_mnt_id &&
			 sscanf(line, "mnt_id: %llu", &v) == 1) {
			rp->fi.mnt_id = v;
			rp->fi.have_mnt_id = 1;
		}
	}
	fclose(f);
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
		r = mount_fstype(rp->pid, rp->fi.mnt_id, rp->fstype,
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

/* ------------------------------------------------------------ memfd state */

/* PMD- and hugetlb-mapped kB of our own mapping at @addr, from smaps. */
static void read_smaps(const void *addr, struct report *rp)
{
	unsigned long start, end, kb;
	char line[256];
	int in = 0;
	FILE *f;

	f = fopen("/proc/self/smaps", "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
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
	fclose(f);
}

/*
 * Resident pages (mincore) and huge pages (smaps) of an accepted, sealed
 * memfd.  Only pages mincore() calls resident are touched, one byte each:
 * a fault on a shmem hole would allocate a page, a fault on a resident page
 * only maps it, PMD-sized where the folio is huge.
 */
static void inspect_mapping(int fd, struct report *rp)
{
	const size_t psz = (size_t)sysconf(_SC_PAGESIZE);
	const size_t len = (size_t)rp->fi.size;
	const volatile unsigned char *p;
	unsigned char *vec;
	size_t i, pages = (len + psz - 1) / psz;
	unsigned int sink = 0;
	void *map;

	map = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		rp->map_err = -errno;
		return;
	}
	vec = malloc(pages);
	if (!vec) {
		rp->map_err = -ENOMEM;
		goto out;
	}
	if (mincore(map, len, vec) < 0) {
		rp->map_err = -errno;
		goto out;
	}
	p = map;
	for (i = 0; i < pages; i++) {
		if (!(vec[i] & 1))
			continue;
		rp->resident++;
		sink += p[i * psz];
	}
	(void)sink;
	rp->pages = pages;
	rp->have_resident = 1;
	read_smaps(map, rp);
out:
	free(vec);
	munmap(map, len);
}

/*
 * Holes, seals and, for an accepted memfd, the mapping.  @own is a read-only
 * description of our own, or -1: SEEK_HOLE on a shared description would
 * move the holder's offset.  @seals_fd is any non-O_PATH descriptor of it.
 */
static void inspect_file(int seals_fd, int own, struct report *rp)
{
	off_t hole;
	int s;

	if (rp->memfd == MEMFD_HUGETLB) {
		/* hugetlbfs has no SEEK_HOLE; st_blocks is exact there. */
		rp->have_holes = 1;
		rp->first_hole = rp->fi.blocks * 512 < rp->fi.size ? UINT64_MAX :
				 rp->fi.size;
	} else if (own >= 0) {
		hole = lseek(own, 0, SEEK_HOLE);
		if (hole >= 0) {
			rp->have_holes = 1;
			rp->first_hole = (uint64_t)hole;
		}
	}
	if (rp->memfd == MEMFD_NO)
		return;
	s = seals_fd >= 0 ? fcntl(seals_fd, F_GET_SEALS) : -1;
	if (s >= 0) {
		rp->seals = (unsigned int)s;
		rp->have_seals = 1;
	}
	if (own >= 0 && rp->verdict == 0 && rp->fi.size > 0 &&
	    rp->fi.size <= SIZE_MAX)
		inspect_mapping(own, rp);
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
static int inspect_own(const struct options *o, struct report *rp)
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
		read_fdinfo(rp);
	rp->flags = fl | (fdfl & FD_CLOEXEC ? O_CLOEXEC : 0);
	describe(rp);
	if (!fs_is_local(rp)) {
		rp->how = "statx only: its filesystem may call out to a daemon or the network";
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
	inspect_file(own >= 0 ? own : (fl & O_PATH ? -1 : fd), own, rp);
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
static int inspect_pid(const struct options *o, struct report *rp)
{
	char path[64];
	int opath, own = -1, vfd, r;

	proc_path(path, sizeof(path), rp->pid, "fd", rp->fd);
	r = finfo_get(AT_FDCWD, path, 0, &rp->fi);
	if (r < 0) {
		rp->err_what = "statx";
		return r;
	}
	read_fdinfo(rp);
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
		rp->how = own >= 0 ? "statx, O_PATH, and a read-only reopen of it" :
			  "statx, and an O_PATH descriptor (read-only reopen refused)";
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
		inspect_file(own, own, rp);
	r = 0;
out:
	if (own >= 0)
		close(own);
	close(opath);
	return r;
}

/* ------------------------------------------------------------ text output */

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
static const char *type_name(unsigned int mode, int json)
{
	size_t i;

	for (i = 0; i < sizeof(file_types) / sizeof(file_types[0]); i++)
		if ((mode & S_IFMT) == file_types[i].fmt)
			return json ? file_types[i].key : file_types[i].name;
	return json ? "anon" : "anonymous inode";
}

/* Judged by major number alone: isatty(3) would be an ioctl. */
static int is_terminal(const struct finfo *fi)
{
	unsigned int m = fi->rdev_major;

	return S_ISCHR(fi->mode) &&
	       (m == TTY_MAJOR || m == TTYAUX_MAJOR ||
		(m >= PTS_MAJOR_FIRST && m <= PTS_MAJOR_LAST));
}

static void flags_string(int flags, char *buf, size_t len)
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
	snprintf(buf, len, "%s%s%s%s", acc,
		 flags & O_NONBLOCK ? ",nonblock" : "",
		 flags & O_APPEND ? ",append" : "",
		 flags & O_CLOEXEC ? ",cloexec" : "");
}

static const char *memfd_name(int kind)
{
	return kind == MEMFD_SHMEM ? "memfd (shmem)" :
	       kind == MEMFD_HUGETLB ? "memfd (hugetlb)" : "not a memfd";
}

static void print_holes(FILE *f, const struct report *rp)
{
	if (!rp->have_holes)
		fputs(", holes unknown (not opened)", f);
	else if (rp->first_hole == UINT64_MAX)
		fputs(", has holes", f);
	else if (rp->first_hole < rp->fi.size)
		fprintf(f, ", has holes (first at offset %" PRIu64 ")",
			rp->first_hole);
	else
		fputs(", no holes", f);
}

static void print_mapping(FILE *f, const struct report *rp)
{
	if (rp->memfd == MEMFD_NO)
		return;
	fprintf(f, "  %-11s", "resident");
	if (rp->have_resident)
		fprintf(f, "%" PRIu64 " of %" PRIu64 " pages\n", rp->resident,
			rp->pages);
	else if (rp->map_err)
		fprintf(f, "unknown: mmap or mincore: %s\n",
			sshm_strerror(rp->map_err));
	else
		fputs("not mapped: only a memfd sshm_fd_verify() accepts is\n", f);
	if (rp->have_huge)
		fprintf(f, "  %-11sshmem PMD %lu kB, file PMD %lu kB, hugetlb %lu kB (resident pages, in our mapping)\n",
			"huge pages", rp->shmem_pmd_kb, rp->file_pmd_kb,
			rp->hugetlb_kb);
}

static void print_text(FILE *f, const struct report *rp)
{
	char buf[64];

	fprintf(f, "%s:", rp->target);
	if (rp->have_name) {
		fputc(' ', f);
		tool_print_quoted(f, rp->name, rp->name_len);
	}
	fprintf(f, "\n  %-11s%s", "type", type_name(rp->fi.mode, 0));
	if (S_ISCHR(rp->fi.mode) || S_ISBLK(rp->fi.mode))
		fprintf(f, " %u:%u%s", rp->fi.rdev_major, rp->fi.rdev_minor,
			is_terminal(&rp->fi) ? ", a terminal" : "");
	if (S_ISREG(rp->fi.mode))
		fprintf(f, ", %s", memfd_name(rp->memfd));
	fprintf(f, "\n  %-11s%s\n", "inspected", rp->how);
	if (rp->flags >= 0) {
		flags_string(rp->flags, buf, sizeof(buf));
		fprintf(f, "  %-11s%s\n", "flags", buf);
	}
	if (rp->have_seals) {
		fprintf(f, "  %-11s", "seals");
		tool_print_seals(f, rp->seals);
		fputc('\n', f);
	}
	if (S_ISREG(rp->fi.mode)) {
		fprintf(f, "  %-11s%" PRIu64 " bytes\n", "size", rp->fi.size);
		fprintf(f, "  %-11s%" PRIu64 " bytes (%" PRIu64 " blocks of 512)",
			"allocated", rp->fi.blocks * 512, rp->fi.blocks);
		print_holes(f, rp);
		fputc('\n', f);
	}
	print_mapping(f, rp);
	fprintf(f, "  %-11s%" PRIu64 " on device %u:%u", "inode", rp->fi.ino,
		rp->fi.dev_major, rp->fi.dev_minor);
	if (rp->fi.have_mnt_id)
		fprintf(f, ", mount id %" PRIu64, rp->fi.mnt_id);
	if (rp->fs_known == 1 || rp->memfd != MEMFD_NO)
		fprintf(f, " (%s)", rp->fstype);
	else if (rp->fs_known == 0)
		fputs(" (kernel-internal)", f);
	fprintf(f, "\n  %-11s%s%s (%s)\n", "verdict",
		rp->verdict ? "refused: " : "accepted",
		rp->verdict ? sshm_strerror(rp->verdict) : "", rp->verdict_by);
}

/* ------------------------------------------------------------ JSON output */

/*
 * A JSON string.  The bytes are not necessarily UTF-8 (a memfd name is the
 * producer's choice): every byte outside printable ASCII is written as
 * \u00XX, so the output is always valid JSON and maps back to the bytes.
 */
static void json_string(FILE *f, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i;

	fputc('"', f);
	for (i = 0; i < len; i++) {
		if (p[i] == '"' || p[i] == '\\')
			fprintf(f, "\\%c", p[i]);
		else if (p[i] == '\n')
			fputs("\\n", f);
		else if (p[i] == '\t')
			fputs("\\t", f);
		else if (p[i] < 0x20 || p[i] >= 0x7f)
			fprintf(f, "\\u%04x", p[i]);
		else
			fputc(p[i], f);
	}
	fputc('"', f);
}

struct json {
	FILE *f;
	int first;
};

static void json_key(struct json *j, const char *key)
{
	fprintf(j->f, "%s\"%s\": ", j->first ? "" : ", ", key);
	j->first = 0;
}

static void json_str(struct json *j, const char *key, const char *s)
{
	json_key(j, key);
	if (s)
		json_string(j->f, s, strlen(s));
	else
		fputs("null", j->f);
}

static void json_u64(struct json *j, const char *key, int known, uint64_t v)
{
	json_key(j, key);
	if (known)
		fprintf(j->f, "%" PRIu64, v);
	else
		fputs("null", j->f);
}

/* -1: null */
static void json_bool(struct json *j, const char *key, int v)
{
	json_key(j, key);
	fputs(v < 0 ? "null" : v ? "true" : "false", j->f);
}

static void json_seals(struct json *j, const struct report *rp)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m;

	json_key(j, "seals");
	m = rp->have_seals ? open_memstream(&buf, &len) : NULL;
	if (m) {
		tool_print_seals(m, rp->seals);
		fclose(m);
	}
	if (buf)
		json_string(j->f, buf, len);
	else
		fputs("null", j->f);
	free(buf);
	json_u64(j, "seals_mask", rp->have_seals, rp->seals);
}

static void json_verdict(struct json *j, const struct report *rp)
{
	const char *msg;

	json_key(j, "verdict");
	fprintf(j->f, "{\"accepted\": %s, \"code\": %d, \"message\": ",
		rp->verdict ? "false" : "true", rp->verdict);
	msg = rp->verdict ? sshm_strerror(rp->verdict) : "accepted";
	json_string(j->f, msg, strlen(msg));
	fputs(", \"by\": ", j->f);
	json_string(j->f, rp->verdict_by, strlen(rp->verdict_by));
	fputc('}', j->f);
}

static void print_json(FILE *f, const struct report *rp)
{
	struct json j = { f, 1 };
	const int reg = S_ISREG(rp->fi.mode), mapped = rp->have_resident;
	char buf[64];

	fputs("  {", f);
	json_str(&j, "target", rp->target);
	json_u64(&j, "pid", rp->pid != 0, (uint64_t)rp->pid);
	json_u64(&j, "fd", 1, (uint64_t)rp->fd);
	if (rp->err) {
		json_str(&j, "error", sshm_strerror(rp->err));
		json_str(&j, "error_in", rp->err_what);
		fputc('}', f);
		return;
	}
	json_key(&j, "name");
	if (rp->have_name)
		json_string(f, rp->name, rp->name_len);
	else
		fputs("null", f);
	json_str(&j, "type", type_name(rp->fi.mode, 1));
	if (S_ISCHR(rp->fi.mode) || S_ISBLK(rp->fi.mode)) {
		snprintf(buf, sizeof(buf), "%u:%u", rp->fi.rdev_major,
			 rp->fi.rdev_minor);
		json_str(&j, "rdev", buf);
		json_bool(&j, "terminal", is_terminal(&rp->fi));
	}
	json_str(&j, "inspected", rp->how);
	if (rp->flags >= 0)
		flags_string(rp->flags, buf, sizeof(buf));
	json_str(&j, "flags", rp->flags >= 0 ? buf : NULL);
	json_bool(&j, "memfd", rp->memfd != MEMFD_NO);
	json_bool(&j, "hugetlb", rp->memfd == MEMFD_HUGETLB);
	json_seals(&j, rp);
	json_u64(&j, "size", reg, rp->fi.size);
	json_u64(&j, "blocks", 1, rp->fi.blocks);
	json_u64(&j, "allocated", 1, rp->fi.blocks * 512);
	json_bool(&j, "holes", reg && rp->have_holes ?
		  rp->first_hole < rp->fi.size || rp->first_hole == UINT64_MAX : -1);
	json_u64(&j, "first_hole", reg && rp->have_holes &&
		 rp->first_hole < rp->fi.size, rp->first_hole);
	json_u64(&j, "resident_pages", mapped, rp->resident);
	json_u64(&j, "pages", mapped, rp->pages);
	json_str(&j, "map_error", rp->map_err ? sshm_strerror(rp->map_err) : NULL);
	json_u64(&j, "shmem_pmd_kb", rp->have_huge, rp->shmem_pmd_kb);
	json_u64(&j, "file_pmd_kb", rp->have_huge, rp->file_pmd_kb);
	json_u64(&j, "hugetlb_kb", rp->have_huge, rp->hugetlb_kb);
	json_u64(&j, "inode", 1, rp->fi.ino);
	snprintf(buf, sizeof(buf), "%u:%u", rp->fi.dev_major, rp->fi.dev_minor);
	json_str(&j, "device", buf);
	json_u64(&j, "mount_id", rp->fi.have_mnt_id, rp->fi.mnt_id);
	json_str(&j, "filesystem", rp->fs_known == 1 || rp->memfd != MEMFD_NO ?
		 rp->fstype : rp->fs_known == 0 ? "kernel-internal" : NULL);
	json_verdict(&j, rp);
	fputc('}', f);
}

/* ------------------------------------------------------------ inspect mode */

/*
 * Exit status of a run over every target: 3 if one could not be inspected,
 * else 2 with --check if one is not acceptable, else 0.
 */
static int run_inspect(const struct options *o)
{
	struct report *reports;
	int i, r, ret = TOOL_EXIT_OK, refused = 0;

	reports = calloc((size_t)o->nargs, sizeof(*reports));
	if (!reports) {
		tool_error(-ENOMEM, "allocate");
		return TOOL_EXIT_SYSTEM;
	}
	/* Our own targets are checked before this tool opens anything, so a
	 * closed number cannot be mistaken for one of our internal fds. */
	for (i = 0; i < o->nargs; i++) {
		struct report *rp = &reports[i];

		rp->target = o->args[i];
		rp->flags = -1;
		rp->verdict_by = "stat";
		if (parse_target(rp->target, &rp->pid, &rp->fd) < 0) {
			tool_error(0, "'%s' is not FD or PID:FD", rp->target);
			free(reports);
			return tool_usage_error();
		}
		if (!rp->pid && fcntl(rp->fd, F_GETFD) < 0) {
			rp->err = -errno;
			rp->err_what = "not an open descriptor";
		}
	}
	memfd_devs_init(&memfd_devs);
	if (o->json)
		fputs("[\n", stdout);
	for (i = 0; i < o->nargs; i++) {
		struct report *rp = &reports[i];

		if (!rp->err) {
			r = rp->pid ? inspect_pid(o, rp) : inspect_own(o, rp);
			if (r < 0)
				rp->err = r;
		}
		if (rp->err) {
			tool_error(rp->err, "%s: %s", rp->target, rp->err_what);
			ret = TOOL_EXIT_SYSTEM;
		} else if (rp->verdict > -SSHM_EBASE && rp->verdict < 0) {
			/* Not a verdict on the file: the check itself failed. */
			tool_error(rp->verdict, "%s: sshm_fd_verify", rp->target);
			ret = TOOL_EXIT_SYSTEM;
		} else if (rp->verdict) {
			refused = 1;
		}
		if (o->json) {
			print_json(stdout, rp);
			fputs(i + 1 < o->nargs ? ",\n" : "\n", stdout);
		} else if (!rp->err) {
			print_text(stdout, rp);
		}
	}
	if (o->json)
		fputs("]\n", stdout);
	free(reports);
	if (ret == TOOL_EXIT_OK && o->check && refused)
		ret = TOOL_EXIT_REFUSED;
	return ret;
}

/* ------------------------------------------------------------ --same */

/* statx of a target, without opening it. */
static int target_stat(const char *arg, pid_t *ret_pid, int *ret_fd,
		       struct finfo *fi)
{
	char path[64];
	int r;

	if (parse_target(arg, ret_pid, ret_fd) < 0) {
		tool_error(0, "'%s' is not FD or PID:FD", arg);
		return -EINVAL;
	}
	if (*ret_pid) {
		proc_path(path, sizeof(path), *ret_pid, "fd", *ret_fd);
		r = finfo_get(AT_FDCWD, path, 0, fi);
	} else {
		r = fcntl(*ret_fd, F_GETFD) < 0 ? -errno :
		    finfo_get(*ret_fd, "", AT_EMPTY_PATH, fi);
	}
	if (r < 0)
		tool_error(r, "%s", arg);
	return r;
}

/*
 * The same open file (one description: shared offset and flags) only kcmp
 * can tell; the same inode st_dev and st_ino tell.  kcmp is only asked when
 * the inodes match: different inodes are different files.
 */
static int run_same(const struct options *o)
{
	const char *a = o->args[0], *b = o->args[1];
	struct finfo fa, fb;
	pid_t pa, pb;
	int fda, fdb, same_inode, kr = 1, kerr = 0, r;
	const char *result;

	r = target_stat(a, &pa, &fda, &fa);
	if (r >= 0)
		r = target_stat(b, &pb, &fdb, &fb);
	if (r == -EINVAL)
		return tool_usage_error();
	if (r < 0)
		return TOOL_EXIT_SYSTEM;
	same_inode = fa.dev_major == fb.dev_major &&
		     fa.dev_minor == fb.dev_minor && fa.ino == fb.ino;
	if (same_inode) {
		kr = (int)syscall(SYS_kcmp, pa ? pa : getpid(),
				  pb ? pb : getpid(), KCMP_FILE,
				  (unsigned long)fda, (unsigned long)fdb);
		if (kr < 0)
			kerr = -errno;
	}
	result = kr == 0 ? "same-open-file" : same_inode ? "same-inode" :
		 "different";
	if (o->json) {
		struct json j = { stdout, 1 };

		fputs("{", stdout);
		json_str(&j, "a", a);
		json_str(&j, "b", b);
		json_bool(&j, "same_inode", same_inode);
		json_bool(&j, "same_open_file", kerr ? -1 : kr == 0);
		json_str(&j, "kcmp_error", kerr ? sshm_strerror(kerr) : NULL);
		json_str(&j, "result", result);
		fputs("}\n", stdout);
		return TOOL_EXIT_OK;
	}
	printf("%s and %s: ", a, b);
	if (kr == 0)
		printf("the same open file (kcmp)\n");
	else if (same_inode && !kerr)
		printf("different open files of the same inode %" PRIu64 " on device %u:%u (kcmp)\n",
		       fa.ino, fa.dev_major, fa.dev_minor);
	else if (same_inode)
		printf("the same inode %" PRIu64 " on device %u:%u; the same open file? unknown, kcmp: %s\n",
		       fa.ino, fa.dev_major, fa.dev_minor, sshm_strerror(kerr));
	else
		printf("different files\n");
	return TOOL_EXIT_OK;
}

/* ------------------------------------------------------------ --system */

/* The portability floor of doc/architecture.md, in order of importance. */
static const enum feature shown[] = {
	FEATURE_MEMFD_SEALS,
	FEATURE_KCMP,
	FEATURE_PIDFD_OPEN,
	FEATURE_SO_PASSPIDFD,
	FEATURE_SO_PEERPIDFD,
	FEATURE_MFD_NOEXEC_SEAL,
	FEATURE_RO_SHARED_MAP,
	FEATURE_SEAL_FUTURE_WRITE,
	FEATURE_DUPFD_QUERY,
	FEATURE_SO_PASSRIGHTS,
};

#define N_SHOWN ELEMENTSOF(shown)

/* Linux 5.16 to 5.19 without the fix let a read-only holder write. */
static int cve_2022_2590_window(const char *release)
{
	unsigned int maj, min;

	if (sscanf(release, "%u.%u", &maj, &min) != 2)
		return 0;
	return maj == 5 && min >= 16 && min <= 19;
}

static void system_text(const struct utsname *u, const int *err,
			int thp_err, const char *thp)
{
	const struct feature_info *fi;
	size_t i;

	printf("%-46s %s\n", "kernel", u->release);
	for (i = 0; i < N_SHOWN; i++)
		printf("%-46s %s\n", feature_info(shown[i])->name,
		       err[i] ? "no" : "yes");
	printf("%-46s %s\n", "shmem THP", thp_err ? "unknown" : thp);
	for (i = 0; i < N_SHOWN; i++) {
		fi = feature_info(shown[i]);
		if (err[i])
			printf("missing: %s (Linux %s; %s): %s\n", fi->name,
			       fi->since, sshm_strerror(err[i]), fi->missing);
	}
	if (!thp_err && (!strcmp(thp, "never") || !strcmp(thp, "deny")))
		printf("note: shmem THP is '%s': regions use base pages (more TLB misses and page tables for large regions)\n",
		       thp);
	if (cve_2022_2590_window(u->release))
		printf("warning: Linux 5.16-5.19 without the CVE-2022-2590 fix lets a read-only holder write a write-sealed memfd: check your kernel\n");
}

static void system_json(const struct utsname *u, const int *err,
			int thp_err, const char *thp)
{
	const struct feature_info *fi;
	struct json j = { stdout, 1 };
	size_t i;

	fputs("{", stdout);
	json_str(&j, "kernel", u->release);
	json_str(&j, "shmem_thp", thp_err ? NULL : thp);
	json_bool(&j, "cve_2022_2590_window", cve_2022_2590_window(u->release));
	json_key(&j, "features");
	fputs("[\n", stdout);
	for (i = 0; i < N_SHOWN; i++) {
		struct json k = { stdout, 1 };

		fi = feature_info(shown[i]);
		fputs("  {", stdout);
		json_str(&k, "name", fi->name);
		json_bool(&k, "available", !err[i]);
		json_str(&k, "since", fi->since);
		json_str(&k, "error", err[i] ? sshm_strerror(err[i]) : NULL);
		json_str(&k, "meaning", err[i] ? fi->missing : NULL);
		fputs(i + 1 < N_SHOWN ? "},\n" : "}\n", stdout);
	}
	fputs("]}\n", stdout);
}

static int run_system(const struct options *o)
{
	int err[N_SHOWN];
	struct utsname u;
	char thp[32] = "";
	size_t i;
	int thp_err;

	if (uname(&u) < 0) {
		tool_error(-errno, "uname");
		return TOOL_EXIT_SYSTEM;
	}
	/* Each probe tries the real thing on objects of its own. */
	for (i = 0; i < N_SHOWN; i++)
		err[i] = feature_probe(shown[i]);
	thp_err = feature_shmem_thp(thp, sizeof(thp));
	if (o->json)
		system_json(&u, err, thp_err, thp);
	else
		system_text(&u, err, thp_err, thp);
	return TOOL_EXIT_OK;
}

int main(int argc, char **argv)
{
	static char outbuf[BUFSIZ];
	struct options o;
	int r;

	tool_name = "sshm-stat";
	/* A buffer of our own: stdio would otherwise ask isatty(1), an ioctl,
	 * and standard output may be the very terminal being inspected. */
	setvbuf(stdout, outbuf, _IOLBF, sizeof(outbuf));
	/* getopt_long() names argv[0] in its messages: not libtool's path. */
	argv[0] = (char *)tool_name;
	r = parse_options(argc, argv, &o);
	if (r > 0)
		return TOOL_EXIT_OK;
	if (r < 0)
		return tool_usage_error();
	if (o.system)
		return run_system(&o);
	if (o.same)
		return run_same(&o);
	return run_inspect(&o);
}
