/* SPDX-License-Identifier: MIT */
/*
 * tool - helpers shared by the sshm-* command-line tools.  Public API of
 * libsshm only; from lib/ nothing but the header-only kernel-abi.h and
 * macro.h, which hold no library internals.
 */
#ifndef SSHM_TOOL_H
#define SSHM_TOOL_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <fcntl.h>
#include <sshm.h>

#include "macro.h"

/* Exit statuses, the same for every tool. */
#define TOOL_EXIT_OK	  0
#define TOOL_EXIT_USAGE	  1
#define TOOL_EXIT_REFUSED 2 /* a message failed verification (sshm-recv) */
#define TOOL_EXIT_SYSTEM  3 /* system, input/output or connection error */

/* "sshm-send", "sshm-recv": set by main() before anything is printed. */
extern const char *tool_name;

/*
 * Prints "PROG: WHAT: sshm_strerror(err)" to stderr, or "PROG: WHAT" when
 * @err is 0.  @err may have either sign.
 */
void tool_error(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prints "Try 'PROG --help'." after a usage error and returns TOOL_EXIT_USAGE. */
int tool_usage_error(void);

/* --version: prints "PROG (sshm) VERSION" to standard output. */
void tool_version(void);

/*
 * Raises the soft RLIMIT_NOFILE to the hard limit, at start.  A receiver
 * spends descriptors per connection and per message (see sshm-recv(1));
 * the usual soft limit of 1024 only protects select(2), which no tool
 * uses.  Returns the soft limit now in force (the old one when it could
 * not be raised: the tool goes on with it).
 */
unsigned long tool_raise_nofile(void);

/*
 * Parses a byte count: decimal digits, optionally followed by K, M, G, T
 * (powers of 1024, either case, optionally followed by "iB" or "B").
 * Returns 0, -EINVAL or -ERANGE; *ret_size written on success only.
 */
int tool_parse_size(const char *s, uint64_t *ret_size);

/* Parses plain decimal digits into *ret (>= 0).  0, -EINVAL or -ERANGE. */
int tool_parse_ulong(const char *s, unsigned long *ret);

/*
 * A count option such as --count N: decimal digits, from 1 to @max.  On
 * failure prints "OPT: 'ARG' is not a positive number" (@max ULONG_MAX)
 * or "OPT: 'ARG' is not a number from 1 to MAX" and returns -EINVAL;
 * *ret written on success only.
 */
int tool_parse_count(const char *opt, const char *arg, unsigned long max,
		     unsigned long *ret);

/*
 * Reads @fd until end of file into a new buffer.  On success the buffer
 * (NULL when *ret_len is 0) is given to the caller, who free()s it.
 * Returns 0, -ENOMEM or -errno from read(2).
 */
int tool_read_all(int fd, void **ret_buf, size_t *ret_len);

/*
 * Fills @region from offset 0 to its end with bytes read from @fd, in
 * chunks, through sshm_region_write().  Returns 0, -ENODATA when @fd ends
 * before the region is full, or a negative code from read(2) or the library.
 */
int tool_fill_region(int fd, struct sshm_region *region);

/* --max-size: a size above 0 (0 would mean the default cap); prints the
 * error itself and returns -1. */
int tool_parse_max_size(const char *arg, uint64_t *ret);

/* A progress line on standard error for jobs of 16 MiB and more, shown
 * only when standard error is a terminal. */
struct tool_progress {
	const char *what;
	uint64_t total;
	uint64_t shown;
	int on;
};
void tool_progress_start(struct tool_progress *p, const char *what, uint64_t total);
void tool_progress(struct tool_progress *p, uint64_t done);
void tool_progress_end(struct tool_progress *p);

/* tool_write_all() in chunks, with a progress line named @what. */
int tool_write_progress(int fd, const void *buf, size_t len, const char *what);

/*
 * Writes all @len bytes to @fd, retrying short writes and EINTR.
 * Returns 0 or -errno (-EPIPE when the reader went away).
 */
int tool_write_all(int fd, const void *buf, size_t len);

/*
 * Prints F_SEAL_* bits as "shrink,grow,write,future-write,exec,seal" (the
 * ones set), unknown bits in hex, "none" for 0.
 */
void tool_print_seals(FILE *f, unsigned int seals);

/*
 * Prints @len bytes from an untrusted source between double quotes, with
 * '"', '\\' and every non-printable byte escaped, cut after 256 bytes.
 */
void tool_print_quoted(FILE *f, const void *buf, size_t len);

/*
 * Prints one line about received message number @n to @f:
 *   PROG: message N: region SIZE bytes, seals S, identity ..., meta "..."
 */
void tool_print_report(FILE *f, unsigned long n, const struct sshm_view *view);

/*
 * While @path is set, SIGINT, SIGTERM and SIGHUP unlink it before the
 * process dies of the signal, so an interrupted listener leaves no stale
 * socket file behind (the library refuses to bind over one).  NULL (or an
 * "@abstract" name) disarms.  @path must stay valid while armed.
 */
void tool_unlink_on_signal(const char *path);

/*
 * sshm_listener_new() on @path, errors reported, with the path armed for
 * removal on a fatal signal (tool_unlink_on_signal()).  Disarm with
 * tool_unlink_on_signal(NULL) before the last sshm_listener_unref().
 */
int tool_listen(const char *path, struct sshm_listener **ret_listener);

#endif
