/* SPDX-License-Identifier: MIT */
/*
 * syscall - the only place raw system calls without a usable libc wrapper
 * are made, and the only place their -1/errno becomes -errno.  Constants the
 * build machine's headers may predate are defined here with their kernel
 * values; whether the running kernel has them is detected at run time.
 */
#ifndef SSHM_SYSCALL_H
#define SSHM_SYSCALL_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

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
#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x0010 /* Linux 5.1 */
#endif
#ifndef F_SEAL_EXEC
#define F_SEAL_EXEC 0x0020 /* Linux 6.3 */
#endif
/* The asm-generic values; alpha, mips, parisc and sparc number socket
 * options their own way, and there the build headers must have them (or
 * the feature stays off: setsockopt fails and identity falls back). */
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
#endif
#ifndef KCMP_FILE
#define KCMP_FILE 0
#endif
/* Numbers only for x86_64; elsewhere the build headers must have them, or
 * the calls below answer -ENOSYS and the features are reported off. */
#if defined(__x86_64__) && !defined(__ILP32__)
#ifndef SYS_kcmp
#define SYS_kcmp 312
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif
#endif

static inline int sys_result(long r)
{
	if (r >= 0)
		return (int)r;
	return errno > 0 ? -errno : -EIO;
}

static inline int sys_memfd_create(const char *name, unsigned int flags)
{
	return sys_result(syscall(SYS_memfd_create, name, flags));
}

/* 0: same file; 1, 2, 3: different; negative: -errno. */
static inline int sys_kcmp(pid_t pid1, pid_t pid2, int type, unsigned long idx1,
			   unsigned long idx2)
{
#ifdef SYS_kcmp
	return sys_result(syscall(SYS_kcmp, pid1, pid2, type, idx1, idx2));
#else
	return -ENOSYS;
#endif
}

static inline int sys_pidfd_open(pid_t pid, unsigned int flags)
{
#ifdef SYS_pidfd_open
	return sys_result(syscall(SYS_pidfd_open, pid, flags));
#else
	return -ENOSYS;
#endif
}

static inline int sys_pidfd_send_signal(int pidfd, int sig)
{
#ifdef SYS_pidfd_send_signal
	return sys_result(syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0));
#else
	return -ENOSYS;
#endif
}

#endif
