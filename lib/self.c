/* SPDX-License-Identifier: MIT */
/*
 * self - this process's pid, asked for on every message, remembered in a
 * page that a fork wipes.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kernel-abi.h"
#include "self.h"

struct self_page {
	atomic_int valid; /* 0 in a new child: the kernel wiped the page */
	atomic_int pid;
};

static struct self_page *page;
static pthread_once_t page_once = PTHREAD_ONCE_INIT;

static void page_init(void)
{
	void *p = mmap(NULL, (size_t)sysconf(_SC_PAGESIZE), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return;
	if (madvise(p, (size_t)sysconf(_SC_PAGESIZE), MADV_WIPEONFORK) < 0) {
		munmap(p, (size_t)sysconf(_SC_PAGESIZE));
		return;
	}
	page = p;
}

pid_t self_pid(void)
{
	pid_t pid;

	(void)pthread_once(&page_once, page_init);
	if (!page)
		return getpid();
	if (atomic_load_explicit(&page->valid, memory_order_acquire))
		return atomic_load_explicit(&page->pid, memory_order_relaxed);
	/* First ask in this process: threads racing here store the same. */
	pid = getpid();
	atomic_store_explicit(&page->pid, pid, memory_order_relaxed);
	atomic_store_explicit(&page->valid, 1, memory_order_release);
	return pid;
}
