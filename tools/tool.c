/* SPDX-License-Identifier: MIT */
/*
 * tool - helpers shared by the sshm-* tools: error messages, number parsing,
 * whole-file input, output, and the per-message verification report.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "tool.h"

/* Large enough to amortise the syscalls, small enough to sit in cache. */
#define CHUNK_SIZE ((size_t)256 * 1024)
/* Metadata is printed up to this many bytes, then "...". */
#define META_SHOWN 256u

const char *tool_name = "sshm";

void tool_error(int err, const char *fmt, ...)
{
	va_list ap;

	flockfile(stderr);
	fprintf(stderr, "%s: ", tool_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (err)
		fprintf(stderr, ": %s", sshm_strerror(err));
	fputc('\n', stderr);
	funlockfile(stderr);
}

int tool_usage_error(void)
{
	fprintf(stderr, "Try '%s --help'.\n", tool_name);
	return TOOL_EXIT_USAGE;
}

void tool_version(void)
{
	printf("%s (%s) %s\n", tool_name, PACKAGE_NAME, PACKAGE_VERSION);
}

unsigned long tool_raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return 0;
	/* Never refused by the kernel (the hard limit is at most
	 * fs.nr_open), but a sandbox may: then the old soft limit stays. */
	if (rl.rlim_cur < rl.rlim_max) {
		rlim_t old = rl.rlim_cur;

		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			rl.rlim_cur = old;
	}
	return rl.rlim_cur > ULONG_MAX ? ULONG_MAX : (unsigned long)rl.rlim_cur;
}

int tool_parse_ulong(const char *s, unsigned long *ret)
{
	unsigned long v;
	char *end;

	/* strtoul() would take "-1", " 1" and "" without complaint. */
	if (!isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno)
		return -errno;
	if (*end)
		return -EINVAL;
	*ret = v;
	return 0;
}

int tool_parse_count(const char *opt, const char *arg, unsigned long max,
		     unsigned long *ret)
{
	unsigned long v;

	if (tool_parse_ulong(arg, &v) < 0 || v == 0 || v > max) {
		/* Without an upper bound there is no range worth naming. */
		if (max == ULONG_MAX)
			tool_error(0, "%s: '%s' is not a positive number", opt, arg);
		else
			tool_error(0, "%s: '%s' is not a number from 1 to %lu", opt, arg,
				   max);
		return -EINVAL;
	}
	*ret = v;
	return 0;
}

int tool_parse_size(const char *s, uint64_t *ret_size)
{
	static const char units[] = "KMGT";
	unsigned long long v;
	unsigned int shift = 0;
	const char *u;
	char *end;

	if (!isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -errno;
	if (*end) {
		u = strchr(units, toupper((unsigned char)*end));
		if (!u)
			return -EINVAL;
		shift = 10 * (unsigned int)(u - units + 1);
		end++;
		if (strcmp(end, "") && strcmp(end, "B") && strcmp(end, "iB"))
			return -EINVAL;
	}
	if (v > (UINT64_MAX >> shift))
		return -ERANGE;
	*ret_size = (uint64_t)v << shift;
	return 0;
}

int tool_read_all(int fd, void **ret_buf, size_t *ret_len)
{
	size_t len = 0, cap = 0;
	char *buf = NULL, *p;
	ssize_t n;

	for (;;) {
		if (len == cap) {
			if (cap > SIZE_MAX / 2) {
				free(buf);
				return -ENOMEM;
			}
			cap = cap ? cap * 2 : CHUNK_SIZE;
			p = realloc(buf, cap);
			if (!p) {
				free(buf);
				return -ENOMEM;
			}
			buf = p;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			n = -errno;
			free(buf);
			return (int)n;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	/* Hand back NULL for empty input so callers need only one test. */
	if (len == 0) {
		free(buf);
		buf = NULL;
	}
	*ret_buf = buf;
	*ret_len = len;
	return 0;
}

/* Progress on standard error, only when it is a terminal and the job is
 * large enough to be worth watching; at most one update per percent. */
#define PROGRESS_MIN ((uint64_t)16 << 20)

void tool_progress_start(struct tool_progress *p, const char *what, uint64_t total)
{
	p->what = what;
	p->total = total;
	p->shown = 0;
	p->on = total >= PROGRESS_MIN && isatty(STDERR_FILENO);
}

void tool_progress(struct tool_progress *p, uint64_t done)
{
	if (!p->on || (done - p->shown < p->total / 100 && done < p->total))
		return;
	p->shown = done;
	fprintf(stderr, "\r%s: %s %3u%% (%llu of %llu MiB)", tool_name, p->what,
		(unsigned int)(done * 100 / p->total), (unsigned long long)(done >> 20),
		(unsigned long long)(p->total >> 20));
}

void tool_progress_end(struct tool_progress *p)
{
	/* Erase the line: the report that follows starts clean. */
	if (p->on && p->shown)
		fputs("\r\033[K", stderr);
	p->on = 0;
}

int tool_write_progress(int fd, const void *buf, size_t len, const char *what)
{
	const char *p = buf;
	struct tool_progress pr;
	size_t off = 0, n;
	int r = 0;

	tool_progress_start(&pr, what, len);
	while (off < len && r == 0) {
		n = len - off < CHUNK_SIZE * 4 ? len - off : CHUNK_SIZE * 4;
		r = tool_write_all(fd, p + off, n);
		off += n;
		tool_progress(&pr, off);
	}
	tool_progress_end(&pr);
	return r;
}

int tool_parse_max_size(const char *arg, uint64_t *ret)
{
	uint64_t v;

	/* 0 would silently mean the library's default cap: refuse it. */
	if (tool_parse_size(arg, &v) < 0 || v == 0) {
		tool_error(0, "--max-size: '%s' is not a size (e.g. 4096, 64K, 16M, 1G)",
			   arg);
		return -1;
	}
	*ret = v;
	return 0;
}

int tool_fill_region(int fd, struct sshm_region *region)
{
	struct tool_progress pr;
	uint64_t size = sshm_region_size(region), off = 0;
	size_t want;
	ssize_t n;
	char *buf;
	int r = 0;

	buf = malloc(CHUNK_SIZE);
	if (!buf)
		return -ENOMEM;
	tool_progress_start(&pr, "reading", size);
	while (off < size) {
		want = size - off < CHUNK_SIZE ? (size_t)(size - off) : CHUNK_SIZE;
		n = read(fd, buf, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			goto out;
		}
		/* The file shrank under us: refuse rather than send zeroes. */
		if (n == 0) {
			r = -ENODATA;
			goto out;
		}
		r = sshm_region_write(region, off, buf, (size_t)n);
		if (r < 0)
			goto out;
		off += (uint64_t)n;
		tool_progress(&pr, off);
	}
	r = 0;
out:
	tool_progress_end(&pr);
	free(buf);
	return r;
}

int tool_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

void tool_print_seals(FILE *f, unsigned int seals)
{
	/* A table: one row per line. */
	/* clang-format off */
	static const struct {
		unsigned int bit;
		const char *name;
	} names[] = {
		{ F_SEAL_SHRINK, "shrink" },
		{ F_SEAL_GROW, "grow" },
		{ F_SEAL_WRITE, "write" },
		{ F_SEAL_FUTURE_WRITE, "future-write" },
		{ F_SEAL_EXEC, "exec" },
		{ F_SEAL_SEAL, "seal" },
	};
	/* clang-format on */
	const char *sep = "";
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!(seals & names[i].bit))
			continue;
		fprintf(f, "%s%s", sep, names[i].name);
		seals &= ~names[i].bit;
		sep = ",";
	}
	/* Seals this tool does not know yet are shown, not hidden. */
	if (seals)
		fprintf(f, "%s0x%x", sep, seals);
	else if (!*sep)
		fputs("none", f);
}

/* The bytes are the peer's: escape them so they cannot drive the terminal. */
void tool_print_quoted(FILE *f, const void *buf, size_t len)
{
	const unsigned char *meta = buf;
	size_t i, shown = len < META_SHOWN ? len : META_SHOWN;

	fputc('"', f);
	for (i = 0; i < shown; i++) {
		if (meta[i] == '"' || meta[i] == '\\')
			fprintf(f, "\\%c", meta[i]);
		else if (meta[i] >= 0x20 && meta[i] < 0x7f)
			fputc(meta[i], f);
		else
			fprintf(f, "\\x%02x", meta[i]);
	}
	fputc('"', f);
	if (shown < len)
		fprintf(f, "... (%zu bytes)", len);
}

static void print_identity(FILE *f, const struct sshm_identity *id)
{
	fprintf(f, "identity %s", sshm_verdict_name(id->verdict));
	switch (id->verdict) {
	case SSHM_VERDICT_VERIFIED:
		fprintf(f, " (pid %ld, fd %ld%s)", (long)id->pid, (long)id->announced_fd,
			id->flags & SSHM_IDENTITY_F_PIDFD ? ", pidfd" : "");
		break;
	case SSHM_VERDICT_UNVERIFIABLE:
		fprintf(f, " (pid %ld, fd %ld: %s)", (long)id->pid,
			(long)id->announced_fd, sshm_strerror(id->reason));
		break;
	default:
		break;
	}
}

void tool_print_report(FILE *f, unsigned long n, const struct sshm_view *view)
{
	const struct sshm_identity *id = sshm_view_identity(view);
	const void *meta;
	size_t meta_len;

	meta = sshm_view_meta(view, &meta_len);
	flockfile(f);
	fprintf(f, "%s: message %lu: ", tool_name, n);
	if (sshm_view_is_region(view)) {
		fprintf(f, "region %llu bytes, seals ",
			(unsigned long long)sshm_view_size(view));
		tool_print_seals(f, sshm_view_seals(view));
	} else {
		fprintf(f, "inline %llu bytes", (unsigned long long)sshm_view_size(view));
	}
	fputs(", ", f);
	print_identity(f, id);
	if (meta_len > 0) {
		fputs(", meta ", f);
		tool_print_quoted(f, meta, meta_len);
	}
	fputc('\n', f);
	funlockfile(f);
}

static const char *volatile unlink_path;

static void unlink_and_die(int sig)
{
	const char *path = unlink_path;

	/* unlink(2) is async-signal-safe; SA_RESETHAND made the next one fatal. */
	if (path)
		unlink(path);
	raise(sig);
}

void tool_unlink_on_signal(const char *path)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	static int installed;
	struct sigaction sa;
	size_t i;

	if (path && path[0] == '@')
		path = NULL;
	unlink_path = path;
	if (!path || installed)
		return;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = unlink_and_die;
	sa.sa_flags = (int)(SA_RESETHAND | SA_RESTART);
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
	installed = 1;
}

int tool_listen(const char *path, struct sshm_listener **ret_listener)
{
	int r;

	r = sshm_listener_new(path, 0, ret_listener);
	/* The library never removes a socket file it did not create. */
	if (r == -EADDRINUSE && path[0] != '@')
		tool_error(r, "listen on %s (a stale socket? remove it)", path);
	else if (r < 0)
		tool_error(r, "listen on %s", path);
	if (r < 0)
		return r;
	tool_unlink_on_signal(path);
	return 0;
}
