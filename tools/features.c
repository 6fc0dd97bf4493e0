/* SPDX-License-Identifier: MIT */
/*
 * features - kernel feature probes, and what each feature means to sshm.
 * A probe tries the feature on a memfd, a socket pair or a pidfd of its
 * own and closes them again; nothing outside the calling process is
 * touched.  Calls go through libc (syscall(2) for the ones without a
 * wrapper), so that an LD_PRELOAD shim such as tests/kernel-shim.c sees
 * them as it sees the library's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "features.h"
#include "macro.h"

/* The huge page size a hugetlb memfd is sized to: the default one of
 * x86-64, and of arm64 with 4 KiB pages.  Sizing takes no page from the
 * pool, so an empty pool is enough. */
#define PROBE_HUGE_SIZE (2 * SSHM_MIB)

static int neg_errno(void)
{
	return errno > 0 ? -errno : -EIO;
}

static int memfd_new(unsigned int flags, off_t size)
{
#ifdef SYS_memfd_create
	int fd = (int)syscall(SYS_memfd_create, "sshm-probe", flags), r;

	if (fd < 0)
		return neg_errno();
	if (size && ftruncate(fd, size) < 0) {
		r = neg_errno();
		close(fd);
		return r;
	}
	return fd;
#else
	return -ENOSYS;
#endif
}

/* A memfd of @size bytes with the seals every region gets. */
static int memfd_sealed(unsigned int flags, off_t size, unsigned int seals)
{
	int fd = memfd_new(MFD_CLOEXEC | MFD_ALLOW_SEALING | flags, size), r;

	if (fd < 0)
		return fd;
	if (fcntl(fd, F_ADD_SEALS, seals) < 0) {
		r = neg_errno();
		close(fd);
		return r;
	}
	return fd;
}

/* A probe that only has to get a descriptor: 0 (closing it) or the error. */
static int probe_fd(int fd)
{
	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

static int pidfd_open_self(void)
{
#ifdef SYS_pidfd_open
	int fd = (int)syscall(SYS_pidfd_open, getpid(), 0);

	return fd < 0 ? neg_errno() : fd;
#else
	return -ENOSYS;
#endif
}

static int probe_memfd_seals(void)
{
	return probe_fd(memfd_sealed(0, 0, SSHM_SEALS_REQUIRED));
}

static int probe_kcmp(void)
{
	int fd = memfd_new(MFD_CLOEXEC, 0), r = -ENOSYS;

	if (fd < 0)
		return fd;
#ifdef SYS_kcmp
	r = (int)syscall(SYS_kcmp, getpid(), getpid(), KCMP_FILE, (unsigned long)fd,
			 (unsigned long)fd);
	/* A file compared with itself that is not "equal" is no kcmp. */
	r = r < 0 ? neg_errno() : r == 0 ? 0 : -EIO;
#endif
	close(fd);
	return r;
}

static int probe_pidfd_open(void)
{
	return probe_fd(pidfd_open_self());
}

/* Signal 0 asks whether the process lives: what identity relies on. */
static int probe_pidfd_send_signal(void)
{
	int fd = pidfd_open_self(), r = -ENOSYS;

	if (fd < 0)
		return fd;
#ifdef SYS_pidfd_send_signal
	r = syscall(SYS_pidfd_send_signal, fd, 0, NULL, 0) < 0 ? neg_errno() : 0;
#endif
	close(fd);
	return r;
}

/* @opt on one end of a SEQPACKET pair: set to 1, or read (PEERPIDFD). */
static int probe_sockopt(int opt, int get)
{
	int sv[2], one = 1, v = -1, r = 0;
	socklen_t len = sizeof(v);

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return neg_errno();
	if (get ? getsockopt(sv[0], SOL_SOCKET, opt, &v, &len) < 0
		: setsockopt(sv[0], SOL_SOCKET, opt, &one, sizeof(one)) < 0)
		r = neg_errno();
	if (get && r == 0 && v >= 0)
		close(v);
	close(sv[0]);
	close(sv[1]);
	return r;
}

static int probe_passpidfd(void)
{
#ifdef SO_PASSPIDFD
	return probe_sockopt(SO_PASSPIDFD, 0);
#else
	return -ENOPROTOOPT;
#endif
}

static int probe_peerpidfd(void)
{
#ifdef SO_PEERPIDFD
	return probe_sockopt(SO_PEERPIDFD, 1);
#else
	return -ENOPROTOOPT;
#endif
}

static int probe_passrights(void)
{
#ifdef SO_PASSRIGHTS
	return probe_sockopt(SO_PASSRIGHTS, 0);
#else
	return -ENOPROTOOPT;
#endif
}

static int probe_noexec_seal(void)
{
	return probe_fd(memfd_new(MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_NOEXEC_SEAL, 0));
}

static int probe_hugetlb(void)
{
	return probe_fd(
	    memfd_sealed(MFD_HUGETLB, (off_t)PROBE_HUGE_SIZE, SSHM_SEALS_APPLIED));
}

/* What a consumer does with a received, write-sealed O_RDWR memfd. */
static int probe_ro_shared(void)
{
	const size_t psz = (size_t)sysconf(_SC_PAGESIZE);
	int fd = memfd_sealed(0, (off_t)psz, SSHM_SEALS_REQUIRED), r = 0;
	void *p;

	if (fd < 0)
		return fd;
	p = mmap(NULL, psz, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		r = neg_errno();
	else
		munmap(p, psz);
	close(fd);
	return r;
}

static int probe_future_write(void)
{
	return probe_fd(memfd_sealed(0, 0, F_SEAL_FUTURE_WRITE));
}

static int probe_dupfd_query(void)
{
	int fd = memfd_new(MFD_CLOEXEC, 0), r;

	if (fd < 0)
		return fd;
	r = fcntl(fd, F_DUPFD_QUERY, fd);
	r = r < 0 ? neg_errno() : r == 1 ? 0 : -EIO;
	close(fd);
	return r;
}

/* Both advices on a shared memfd page, as the pool and prefault use them. */
static int probe_populate(void)
{
	const size_t psz = (size_t)sysconf(_SC_PAGESIZE);
	int fd = memfd_new(MFD_CLOEXEC, (off_t)psz), r = 0;
	void *p;

	if (fd < 0)
		return fd;
	p = mmap(NULL, psz, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		r = neg_errno();
	} else {
		if (madvise(p, psz, MADV_POPULATE_WRITE) < 0 ||
		    madvise(p, psz, MADV_POPULATE_READ) < 0)
			r = neg_errno();
		munmap(p, psz);
	}
	close(fd);
	return r;
}

static const struct feature_def {
	struct feature_info info;
	int (*probe)(void);
} features[FEATURE_MAX] = {
	[FEATURE_MEMFD_SEALS] = { { "memfd seals", "3.17",
				    "sshm cannot work here: no sealed memfds" },
				  probe_memfd_seals },
	[FEATURE_KCMP] = { { "kcmp", "3.5, CONFIG_KCMP",
			     "identity is never verified: every verdict is "
			     "'unverifiable', so --identity required refuses every "
			     "region (the seal and size checks still protect the "
			     "consumer)" },
			   probe_kcmp },
	[FEATURE_PIDFD_OPEN] = { { "pidfd_open", "5.3",
				   "a kcmp match cannot be pinned against pid reuse: "
				   "identity is 'unverifiable', never 'verified'" },
				 probe_pidfd_open },
	[FEATURE_PIDFD_SEND_SIGNAL] = { { "pidfd_send_signal", "5.1",
					  "a pidfd cannot tell whether the sender still "
					  "lives: identity is 'unverifiable', never "
					  "'verified'" },
					probe_pidfd_send_signal },
	[FEATURE_SO_PASSPIDFD] = { { "SO_PASSPIDFD", "6.5",
				     "no SCM_PIDFD: the sender is pinned with "
				     "pidfd_open() after the message arrived, and "
				     "identity never carries the 'pidfd' flag" },
				   probe_passpidfd },
	[FEATURE_SO_PEERPIDFD] = { { "SO_PEERPIDFD", "6.5",
				     "no pidfd of the peer from the socket; sshm relies "
				     "on per-message credentials anyway" },
				   probe_peerpidfd },
	[FEATURE_MFD_NOEXEC_SEAL] = { { "MFD_NOEXEC_SEAL", "6.3",
					"regions are created without the exec seal; "
					"harmless, sshm never maps PROT_EXEC" },
				      probe_noexec_seal },
	[FEATURE_MFD_HUGETLB] = { { "sealed MFD_HUGETLB memfd", "4.16, CONFIG_HUGETLBFS",
				    "no hugetlb region can exist here, so "
				    "--allow-hugetlb has nothing to accept; huge pages "
				    "can still come from shmem THP" },
				  probe_hugetlb },
	[FEATURE_RO_SHARED_MAP] = { { "read-only MAP_SHARED of a write-sealed memfd",
				      "6.7, 6.1.149, 6.12.9",
				      "consumers map a read-only reopen through "
				      "/proc/self/fd instead (the same guarantees); "
				      "without /proc, MAP_PRIVATE: the same immutable "
				      "bytes, but the mapping could be made writable "
				      "(copy on write) by the consumer itself" },
				    probe_ro_shared },
	[FEATURE_SEAL_FUTURE_WRITE] = { { "F_SEAL_FUTURE_WRITE", "5.1",
					  "nothing changes: sshm requires F_SEAL_WRITE "
					  "and never accepts F_SEAL_FUTURE_WRITE alone" },
					probe_future_write },
	[FEATURE_DUPFD_QUERY] = { { "F_DUPFD_QUERY", "6.10",
				    "files can only be compared with kcmp (which is what "
				    "sshm uses)" },
				  probe_dupfd_query },
	[FEATURE_SO_PASSRIGHTS] = { { "SO_PASSRIGHTS", "6.16",
				      "a socket cannot refuse SCM_RIGHTS up front: sshm "
				      "closes every unexpected fd after recvmsg "
				      "instead" },
				    probe_passrights },
	[FEATURE_MADV_POPULATE] = { { "MADV_POPULATE_READ/WRITE", "5.14",
				      "pools and prefaulting consumers touch every page "
				      "themselves: the same pages, one fault each" },
				    probe_populate },
};

const struct feature_info *feature_info(enum feature f)
{
	if ((unsigned int)f >= FEATURE_MAX)
		return NULL;
	return &features[f].info;
}

int feature_probe(enum feature f)
{
	if ((unsigned int)f >= FEATURE_MAX)
		return -EINVAL;
	return features[f].probe();
}

int feature_shmem_thp(char *buf, size_t len)
{
	char line[256], *open_b, *close_b;
	FILE *f;

	f = fopen("/sys/kernel/mm/transparent_hugepage/shmem_enabled", "re");
	if (!f)
		return neg_errno();
	if (!fgets(line, sizeof(line), f)) {
		fclose(f);
		return -EIO;
	}
	fclose(f);
	open_b = strchr(line, '[');
	close_b = open_b ? strchr(open_b, ']') : NULL;
	if (!close_b)
		return -EIO;
	*close_b = '\0';
	snprintf(buf, len, "%s", open_b + 1);
	return 0;
}
