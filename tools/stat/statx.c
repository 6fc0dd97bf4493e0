/* SPDX-License-Identifier: MIT */
/*
 * statx - a raw statx(2) reader.  The type, size and mount of a file come
 * from statx alone, with AT_STATX_DONT_SYNC: no FUSE or network round
 * trip, and nothing is opened.  The raw syscall, because the struct statx
 * of older libcs has no stx_mnt_id; fstatat(2) before Linux 4.11.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "stat.h"

#define STATX_WANT (0x7ffu | STATX_MNT_ID) /* STATX_BASIC_STATS | STATX_MNT_ID */

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

/* statx(2) of @path relative to @dirfd (AT_EMPTY_PATH with ""). */
int finfo_get(int dirfd, const char *path, int flags, struct finfo *fi)
{
	struct stat st;
#ifdef SYS_statx
	struct kstatx sx;

	memset(&sx, 0, sizeof(sx));
	if (syscall(SYS_statx, dirfd, path, flags | AT_STATX_DONT_SYNC, STATX_WANT,
		    &sx) == 0) {
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
