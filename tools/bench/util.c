/* SPDX-License-Identifier: MIT */
/*
 * util - the small things every part of sshm-bench uses: the clock, sizes
 * for people, recording a failure, whole reads and writes.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * UINT64_C(1000000000) + (uint64_t)ts.tv_nsec;
}

/* "4 KiB", "1 MiB", "1000 B": exact multiples only, as sizes are given. */
const char *format_size(uint64_t size, char *buf, size_t len)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB" };
	unsigned int u = 0;

	while (u < 3 && size >= 1024 && size % 1024 == 0) {
		size /= 1024;
		u++;
	}
	snprintf(buf, len, "%llu %s", (unsigned long long)size, units[u]);
	return buf;
}

/* "256 KiB", "1.5 MiB": an amount measured, one decimal when not exact. */
const char *format_bytes(uint64_t bytes, char *buf, size_t len)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB" };
	uint64_t unit = 1;
	unsigned int u = 0;

	while (u < 3 && bytes / 1024 >= unit) {
		unit *= 1024;
		u++;
	}
	if (bytes % unit == 0)
		snprintf(buf, len, "%llu %s", (unsigned long long)(bytes / unit),
			 units[u]);
	else
		snprintf(buf, len, "%.1f %s", (double)bytes / (double)unit, units[u]);
	return buf;
}

/*
 * Records what went wrong, with sshm_strerror(@err) appended unless @err is
 * 0.  Keeps the first failure only: later ones are usually its consequences.
 */
void fail(struct outcome *out, int err, int corrupt, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	if (out->err)
		return;
	out->err = err ? err : -EPROTO;
	out->corrupt = corrupt;
	va_start(ap, fmt);
	vsnprintf(out->what, sizeof(out->what), fmt, ap);
	va_end(ap);
	n = strlen(out->what);
	if (err)
		snprintf(out->what + n, sizeof(out->what) - n, ": %s",
			 sshm_strerror(err));
}

/* Reads exactly @len bytes; fewer only at end of file.  Bytes read, or -errno. */
ssize_t read_full(int fd, void *buf, size_t len)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = read(fd, (char *)buf + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

int writev_all(int fd, struct iovec *iov, int n)
{
	ssize_t w;

	while (n > 0) {
		w = writev(fd, iov, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		/* Skip what went out: whole vectors, then part of one. */
		while (n > 0 && (size_t)w >= iov->iov_len) {
			w -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	return 0;
}

/* A duration option: above 0 (or from 0 with @zero_ok) to an hour. */
int parse_seconds(const char *opt, const char *arg, int zero_ok, double *ret)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno || *end || end == arg || !isfinite(v) || v < 0 ||
	    (!zero_ok && v == 0) || v > 3600) {
		tool_error(0, "%s: '%s' is not a duration %s", opt, arg,
			   zero_ok ? "from 0 to 3600" : "above 0 and at most 3600");
		return -EINVAL;
	}
	*ret = v;
	return 0;
}

/*
 * What a library producer's channel holds to: --window and --budget (the
 * defaults otherwise), which the consumer grants too (it sets the same
 * limits on its side, and tells the producer with a LIMITS message).
 */
void limits_effective(const struct options *o, unsigned int *window, uint64_t *budget)
{
	*window = o->window ? o->window : SSHM_WINDOW_DEFAULT;
	*budget = o->budget ? o->budget : SSHM_BUDGET_DEFAULT;
}

int worker_buffer(struct worker *w, uint64_t size)
{
	w->buf = malloc((size_t)size);
	if (!w->buf)
		return -ENOMEM;
	memset(w->buf, 0, (size_t)size);
	return 0;
}
