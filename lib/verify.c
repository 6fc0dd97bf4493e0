/* SPDX-License-Identifier: MIT */
/*
 * verify - the accept policy: is this fd a sealed memfd we may map?  Then map
 * it read-only.  Nothing here trusts the fd: only fcntl(2) and fstat(2) touch
 * it until the seals are proven; then lseek(2) (on a description of our
 * own) and mmap(2).
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "hugepage.h"
#include "private.h"
#include "syscall.h"
#include "verify.h"

#define POLICY_FLAGS                                                                     \
	(SSHM_POLICY_ALLOW_HUGETLB | SSHM_POLICY_POPULATED | SSHM_POLICY_PREFAULT)

static int probe_dev(unsigned int flags, dev_t *ret)
{
	struct stat st;
	int fd, r = 0;

	fd = sys_memfd_sealable("sshm-probe", flags);
	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0)
		r = neg_errno();
	else
		*ret = st.st_dev;
	close(fd);
	return r;
}

int verify_env_init(struct verify_env *env)
{
	int r;

	memset(env, 0, sizeof(*env));
	/* Without the shmem probe every region would be refused as "not a
	 * memfd": fail now, with the reason (EMFILE, ENOMEM...). */
	r = probe_dev(0, &env->shm_dev);
	if (r < 0)
		return r;
	env->have_shm_dev = 1;
	/* Works with an empty hugetlb pool too: the probe has no pages.  No
	 * hugetlb support just means no hugetlb region is ever accepted. */
	env->have_huge_dev = probe_dev(MFD_HUGETLB, &env->huge_dev) == 0;
	return 0;
}

int verify_policy_check(const struct sshm_policy *p)
{
	size_t i;

	if (!p)
		return 0;
	for (i = 0; i < ELEMENTSOF(p->reserved); i++)
		if (p->reserved[i])
			return -EINVAL;
	if (p->identity != SSHM_IDENTITY_BEST_EFFORT &&
	    p->identity != SSHM_IDENTITY_REQUIRED && p->identity != SSHM_IDENTITY_OFF)
		return -EINVAL;
	if (p->flags & ~POLICY_FLAGS)
		return -EINVAL;
	/* A hole in a hugetlb region is a SIGBUS with an empty pool: allowing
	 * hugetlb without "populated" is a policy that cannot be honoured. */
	if ((p->flags & SSHM_POLICY_ALLOW_HUGETLB) && !(p->flags & SSHM_POLICY_POPULATED))
		return -EINVAL;
	if (p->required_seals &
	    ~(unsigned int)(F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE |
			    F_SEAL_FUTURE_WRITE | F_SEAL_EXEC))
		return -EINVAL;
	return 0;
}

/*
 * What kind of memfd @st is: 0 shmem, 1 hugetlb, or -SSHM_ENOTMEMFD.  Every
 * memfd of a kind lives on one kernel-internal mount, so the device number
 * alone proves it: a /dev/shm or hugetlbfs file reached by a path has the
 * same filesystem type but another device.
 */
static int memfd_kind(const struct verify_env *env, const struct stat *st)
{
	if (env->have_shm_dev && st->st_dev == env->shm_dev)
		return 0;
	if (env->have_huge_dev && st->st_dev == env->huge_dev)
		return 1;
	return -SSHM_ENOTMEMFD;
}

/*
 * The verdict for an fd that has no seals at all (not shmem, not
 * hugetlbfs): not regular, or a regular file that is no memfd.  statx with
 * AT_STATX_DONT_SYNC answers from cached attributes, so a FUSE or network
 * file whose server never replies cannot stall us here as fstat could.
 */
static int classify_rejected(int fd)
{
	struct statx stx;

	if (statx(fd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, STATX_TYPE, &stx) < 0)
		return neg_errno();
	return S_ISREG(stx.stx_mode) ? -SSHM_ENOTMEMFD : -SSHM_ENOTREG;
}

/*
 * A new read-only description of the file @fd refers to, through
 * /proc/self/fd: its offset is ours alone, and a mapping made from it can
 * never become writable (no VM_MAYWRITE).  It must be the very inode @st
 * describes.  -ENOENT without /proc, -EACCES when the file's mode (which
 * the sender chose) denies us reading, -ESTALE if it is another file.
 */
static int reopen_rdonly(int fd, const struct stat *st)
{
	char path[sizeof("/proc/self/fd/") + 12];
	struct stat own_st;
	int own;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	own = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (own < 0)
		return neg_errno();
	if (fstat(own, &own_st) < 0 || own_st.st_dev != st->st_dev ||
	    own_st.st_ino != st->st_ino) {
		close(own);
		return -ESTALE;
	}
	return own;
}

/*
 * No holes: every page of the region is allocated (or swapped).  st_blocks
 * alone can be inflated by fallocate(KEEP_SIZE) past EOF before sealing, so
 * SEEK_HOLE decides; it runs on a description of our own because the
 * received one is shared with the sender and lseek would move its offset.
 */
static int check_populated(int fd, const struct stat *st, int huge)
{
	off_t hole;
	int own, r = 0;

	if ((uint64_t)st->st_blocks * 512 < (uint64_t)st->st_size)
		return -SSHM_EHOLES;
	/* hugetlbfs has no SEEK_HOLE (it reports EOF) and no fallocate past
	 * EOF on a sealed file; st_blocks is exact there. */
	if (huge)
		return 0;
	own = reopen_rdonly(fd, st);
	if (own < 0)
		return own;
	hole = lseek(own, 0, SEEK_HOLE);
	if (hole < 0)
		r = neg_errno();
	else if (hole < st->st_size)
		r = -SSHM_EHOLES;
	close(own);
	return r;
}

int verify_fd(const struct verify_env *env, int fd, uint64_t announced,
	      const struct sshm_policy *p, unsigned int *ret_seals, uint64_t *ret_size)
{
	const uint64_t cap = p && p->max_size ? p->max_size : SSHM_DEFAULT_MAX_SIZE;
	const unsigned int flags = p ? p->flags : 0;
	unsigned int need = SSHM_SEALS_REQUIRED | (p ? p->required_seals : 0);
	struct stat st;
	int seals, huge, r;

	/*
	 * Seals first: F_GET_SEALS is an fcntl, safe on any fd (no read, poll
	 * or ioctl), and seals are never removed.  So if SHRINK and GROW are
	 * set now, the fstat below sees the final size, and one fstat gives
	 * type, device and size.  Non-shmem files answer EINVAL, O_PATH fds
	 * EBADF.
	 */
	seals = fcntl(fd, F_GET_SEALS);
	if (seals < 0 && errno == EBADF) {
		int fl = fcntl(fd, F_GETFL);

		return fl >= 0 && (fl & O_PATH) ? -SSHM_EOPATH : -EBADF;
	}
	if (seals < 0 && errno != EINVAL)
		return neg_errno();
	if (seals < 0)
		return classify_rejected(fd);
	if (fstat(fd, &st) < 0)
		return neg_errno();
	if (!S_ISREG(st.st_mode))
		return -SSHM_ENOTREG;
	huge = memfd_kind(env, &st);
	if (huge < 0)
		return -SSHM_ENOTMEMFD;
	/* A hole in a hugetlb region is a SIGBUS when the pool is empty:
	 * only a populated hugetlb region is ever acceptable. */
	if (huge &&
	    (!(flags & SSHM_POLICY_ALLOW_HUGETLB) || !(flags & SSHM_POLICY_POPULATED)))
		return -SSHM_EHUGETLB;
	if (((unsigned int)seals & need) != need)
		return -SSHM_ESEALS;

	if (st.st_size <= 0)
		return -SSHM_ESIZE;
	if (announced && (uint64_t)st.st_size != announced)
		return -SSHM_ESIZE;
	if ((uint64_t)st.st_size > cap || (uint64_t)st.st_size > SIZE_MAX)
		return -SSHM_ETOOBIG;
	if (flags & SSHM_POLICY_POPULATED) {
		r = check_populated(fd, &st, huge);
		if (r < 0)
			return r;
	}
	if (ret_seals)
		*ret_seals = (unsigned int)seals;
	if (ret_size)
		*ret_size = (uint64_t)st.st_size;
	return 0;
}

/*
 * Before Linux 6.7 (6.1.149 and 6.12.9 in the stable series) a
 * write-sealed memfd opened O_RDWR cannot be mapped shared even read-only
 * (EPERM: the mapping would keep VM_MAYWRITE).  A read-only description of
 * our own can: map that, so mprotect(PROT_WRITE) and /proc/self/mem writes
 * stay impossible.  Only without /proc (or when the sender's file mode
 * denies us reading) is the mapping private: the same immutable bytes, but
 * the mapping itself could be made writable (copy on write) by this
 * process.
 */
static void *map_old_kernel(int fd, size_t size, int flags)
{
	struct stat st;
	void *p;
	int own;

	if (fstat(fd, &st) < 0)
		return MAP_FAILED;
	own = reopen_rdonly(fd, &st);
	if (own < 0)
		return hugepage_map(size, PROT_READ, MAP_PRIVATE | flags, fd, 1);
	p = hugepage_map(size, PROT_READ, MAP_SHARED | flags, own, 1);
	close(own);
	return p;
}

int verify_map(int fd, uint64_t size, int prefault, void **ret_map)
{
	const int populate = prefault ? MAP_POPULATE : 0;
	void *p;

	/* Advised and 2 MiB aligned: if the producer's pages are huge folios,
	 * the view maps them with PMD entries. */
	p = hugepage_map((size_t)size, PROT_READ, MAP_SHARED | populate, fd, 1);
	if (p == MAP_FAILED && errno == EPERM)
		p = map_old_kernel(fd, (size_t)size, populate);
	if (p == MAP_FAILED)
		return neg_errno();
	*ret_map = p;
	return 0;
}

SSHM_EXPORT int sshm_fd_verify(int fd, uint64_t size, const struct sshm_policy *policy,
			       unsigned int *ret_seals)
{
	struct verify_env env;
	int r;

	if (fd < 0)
		return -EBADF;
	r = verify_policy_check(policy);
	if (r < 0)
		return r;
	r = verify_env_init(&env);
	if (r < 0)
		return r;
	return verify_fd(&env, fd, size, policy, ret_seals, NULL);
}
