/* SPDX-License-Identifier: MIT */
/*
 * syscall - the only place raw system calls without a usable libc wrapper
 * are made, and the only place their -1/errno becomes -errno.  The numbers
 * and constants come from kernel-abi.h.
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

#include "kernel-abi.h"
#include "private.h"

static inline int sys_result(long r)
{
	return r >= 0 ? (int)r : neg_errno();
}

static inline int sys_memfd_create(const char *name, unsigned int flags)
{
	return sys_result(syscall(SYS_memfd_create, name, flags));
}

/*
 * A close-on-exec, sealable memfd that can never be made executable:
 * MFD_NOEXEC_SEAL where the kernel has it (6.3), which is also what
 * vm.memfd_noexec=2 demands; older kernels answer EINVAL to the flag.
 */
static inline int sys_memfd_sealable(const char *name, unsigned int extra_flags)
{
	const unsigned int base = MFD_CLOEXEC | MFD_ALLOW_SEALING | extra_flags;
	int fd = sys_memfd_create(name, base | MFD_NOEXEC_SEAL);

	return fd == -EINVAL ? sys_memfd_create(name, base) : fd;
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
