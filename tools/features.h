/* SPDX-License-Identifier: MIT */
/*
 * features - which kernel features sshm can use on the running kernel.
 * Each probe tries the real thing on objects of its own: a header or a
 * version number says nothing about a backported fix, a config option, a
 * seccomp filter or a tool (valgrind) between us and the kernel.
 *
 * Shared by sshm-stat --system and the test suites' test_need_*()
 * (tests/testlib.c), so that the tool and a skipped test never disagree
 * about a kernel.  libc, kernel-abi.h and macro.h only: no library
 * internals, no <sshm.h>.
 *
 * Include it by its path ("../tools/features.h", "../features.h"), never
 * by putting tools/ on the include path: glibc's headers include
 * <features.h>, which this file would then shadow.
 */
#ifndef SSHM_FEATURES_H
#define SSHM_FEATURES_H

#include <stddef.h>

enum feature {
	FEATURE_MEMFD_SEALS,	   /* F_ADD_SEALS on a memfd */
	FEATURE_KCMP,		   /* kcmp(2) KCMP_FILE */
	FEATURE_PIDFD_OPEN,	   /* pidfd_open(2) */
	FEATURE_PIDFD_SEND_SIGNAL, /* pidfd_send_signal(2), signal 0 */
	FEATURE_SO_PASSPIDFD,	   /* SCM_PIDFD with every message */
	FEATURE_SO_PEERPIDFD,	   /* the peer's pidfd from the socket */
	FEATURE_MFD_NOEXEC_SEAL,   /* memfd_create(MFD_NOEXEC_SEAL) */
	FEATURE_MFD_HUGETLB,	   /* a sealed 2 MiB MFD_HUGETLB memfd */
	FEATURE_RO_SHARED_MAP,	   /* PROT_READ MAP_SHARED, write-sealed */
	FEATURE_SEAL_FUTURE_WRITE, /* F_SEAL_FUTURE_WRITE */
	FEATURE_DUPFD_QUERY,	   /* fcntl(F_DUPFD_QUERY) */
	FEATURE_SO_PASSRIGHTS,	   /* a socket that refuses SCM_RIGHTS */
	FEATURE_MADV_POPULATE,	   /* MADV_POPULATE_READ and _WRITE */
	FEATURE_MAX
};

struct feature_info {
	const char *name;    /* as sshm-stat --system prints it */
	const char *since;   /* "5.3", or "3.5, CONFIG_KCMP" */
	const char *missing; /* what sshm does without it */
};

/* The name, first kernel and consequence of @f; NULL past FEATURE_MAX. */
const struct feature_info *feature_info(enum feature f);

/*
 * Tries @f now, on objects of its own that it closes again: 0 when the
 * kernel has it, else a negative errno (-ENOSYS, -EINVAL, -ENOPROTOOPT...:
 * what the kernel answered).  Never cached: a probe costs a few syscalls,
 * and a preloaded shim may change the answer between runs.
 */
int feature_probe(enum feature f);

/*
 * The shmem transparent huge page mode, the bracketed word of
 * /sys/kernel/mm/transparent_hugepage/shmem_enabled ("never", "always",
 * "within_size", "advise", "deny", "force"), into @buf.  0, -EIO for a
 * line not understood, or -errno of the read.
 */
int feature_shmem_thp(char *buf, size_t len);

#endif
