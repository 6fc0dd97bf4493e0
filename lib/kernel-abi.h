/* SPDX-License-Identifier: MIT */
/*
 * kernel-abi - the one home of kernel constants that the build machine's
 * headers may predate.  Each is defined here with the kernel's own value,
 * only where the headers lack it; whether the running kernel has the
 * feature is always detected at run time.  Header-only and free of library
 * internals: lib/, tools/ and tests/ all include it.
 */
#ifndef SSHM_KERNEL_ABI_H
#define SSHM_KERNEL_ABI_H

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>

/* memfd_create(2) flags */
#ifndef MFD_CLOEXEC
#define MFD_CLOEXEC 0x0001u
#endif
#ifndef MFD_ALLOW_SEALING
#define MFD_ALLOW_SEALING 0x0002u
#endif
#ifndef MFD_HUGETLB
#define MFD_HUGETLB 0x0004u
#endif
#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 0x0008u /* Linux 6.3 */
#endif

/* Seals (fcntl F_ADD_SEALS / F_GET_SEALS, Linux 3.17) */
#ifndef F_SEAL_SEAL
#define F_SEAL_SEAL 0x0001
#endif
#ifndef F_SEAL_SHRINK
#define F_SEAL_SHRINK 0x0002
#endif
#ifndef F_SEAL_GROW
#define F_SEAL_GROW 0x0004
#endif
#ifndef F_SEAL_WRITE
#define F_SEAL_WRITE 0x0008
#endif
#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x0010 /* Linux 5.1 */
#endif
#ifndef F_SEAL_EXEC
#define F_SEAL_EXEC 0x0020 /* Linux 6.3 */
#endif
#ifndef F_DUPFD_QUERY
#define F_DUPFD_QUERY 1027 /* F_LINUX_SPECIFIC_BASE + 3, Linux 6.10 */
#endif

/* fallocate(2) modes */
#ifndef FALLOC_FL_KEEP_SIZE
#define FALLOC_FL_KEEP_SIZE 0x01
#endif
#ifndef FALLOC_FL_PUNCH_HOLE
#define FALLOC_FL_PUNCH_HOLE 0x02
#endif

/* madvise(2) */
#ifndef MADV_WIPEONFORK
#define MADV_WIPEONFORK 18 /* Linux 4.14 */
#endif
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22 /* Linux 5.14 */
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14 */
#endif

/* statx(2) */
#ifndef AT_STATX_DONT_SYNC
#define AT_STATX_DONT_SYNC 0x4000
#endif
#ifndef STATX_MNT_ID
#define STATX_MNT_ID 0x1000u /* Linux 5.8 */
#endif

/* kcmp(2) */
#ifndef KCMP_FILE
#define KCMP_FILE 0
#endif

/*
 * Socket options and control messages: the asm-generic values.  Alpha,
 * MIPS, PA-RISC and SPARC number socket options their own way; there the
 * build headers must have them, or the feature stays off (setsockopt
 * fails and the library takes its documented fallback).
 */
#if !defined(__alpha__) && !defined(__mips__) && !defined(__hppa__) && !defined(__sparc__)
#ifndef SO_PASSPIDFD
#define SO_PASSPIDFD 76 /* Linux 6.5 */
#endif
#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77 /* Linux 6.5 */
#endif
#ifndef SCM_PIDFD
#define SCM_PIDFD 0x04 /* Linux 6.5 */
#endif
#ifndef SO_PASSRIGHTS
#define SO_PASSRIGHTS 83 /* Linux 6.16 */
#endif
#endif

/*
 * System call numbers: only for x86_64, whose numbers are fixed here.
 * Elsewhere the build headers must have them, or the wrappers in
 * lib/syscall.h answer -ENOSYS and the features are reported off.
 */
#if defined(__x86_64__) && !defined(__ILP32__)
#ifndef SYS_kcmp
#define SYS_kcmp 312
#endif
#ifndef SYS_memfd_create
#define SYS_memfd_create 319
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_memfd_secret
#define SYS_memfd_secret 447
#endif
#endif

#endif
