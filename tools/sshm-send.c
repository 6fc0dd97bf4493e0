/* SPDX-License-Identifier: MIT */
/*
 * sshm-send - send a file or standard input as one sealed memfd region.
 *
 * The payload is prepared (read, copied into a region, sealed) before the
 * connection is made, so an unreadable input never shows the consumer a
 * half-finished conversation.  The tool then waits for the consumer to
 * release every region: exiting earlier would close the memfds while the
 * consumer may still be checking their identity against this process.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tool.h"

struct options {
	const char *socket;
	const char *file; /* "-" for standard input */
	const char *meta; /* NULL: none */
	size_t meta_len;
	unsigned long count;
	int inline_copy; /* sshm_channel_send_bytes() */
	int listen;
	int verbose;
};

/* What goes out: either a sealed region, or bytes for send_bytes(). */
struct payload {
	struct sshm_region *region;
	void *buf;
	size_t len;
};

static void usage(void)
{
	printf(
	    "Usage: %s [OPTIONS] SOCKET [FILE|-]\n"
	    "Send FILE (default: standard input) as one sealed shared-memory region\n"
	    "to the sshm consumer at SOCKET (a path, or @name for an abstract socket).\n"
	    "\n"
	    "  -m, --meta STRING   attach STRING to every message as metadata\n"
	    "  -n, --count N       send the same region N times, zero-copy (default 1)\n"
	    "  -i, --inline        send a copy with sshm_channel_send_bytes(): inside\n"
	    "                      the packet when small enough, else a new region\n"
	    "  -l, --listen        listen on SOCKET and serve one consumer instead of\n"
	    "                      connecting to it\n"
	    "  -v, --verbose       report what was sent on standard error\n"
	    "  -h, --help          show this help and exit\n"
	    "  -V, --version       show the version and exit\n"
	    "\n"
	    "Empty input is sent inline.  The tool exits once the consumer has released\n"
	    "every region (or closed the connection).\n"
	    "\n"
	    "Exit status: 0 success, 1 usage error, 3 system or connection error.\n",
	    tool_name);
}

static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "meta", required_argument, NULL, 'm' },
		{ "count", required_argument, NULL, 'n' },
		{ "inline", no_argument, NULL, 'i' },
		{ "listen", no_argument, NULL, 'l' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->count = 1;
	o->file = "-";
	while ((c = getopt_long(argc, argv, "m:n:ilvhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'm':
			o->meta = optarg;
			o->meta_len = strlen(optarg);
			if (o->meta_len > SSHM_META_MAX) {
				tool_error(0, "--meta: longer than %u bytes",
					   SSHM_META_MAX);
				return -1;
			}
			break;
		case 'n':
			if (tool_parse_count("--count", optarg, ULONG_MAX, &o->count) < 0)
				return -1;
			break;
		case 'i':
			o->inline_copy = 1;
			break;
		case 'l':
			o->listen = 1;
			break;
		case 'v':
			o->verbose = 1;
			break;
		case 'h':
			usage();
			return 1;
		case 'V':
			tool_version();
			return 1;
		default:
			return -1;
		}
	}
	if (argc - optind < 1 || argc - optind > 2) {
		tool_error(0,
			   argc - optind < 1 ? "missing SOCKET" : "too many arguments");
		return -1;
	}
	o->socket = argv[optind];
	if (argc - optind == 2)
		o->file = argv[optind + 1];
	/* An empty meta is no meta: the wire cannot tell them apart. */
	if (o->meta_len == 0)
		o->meta = NULL;
	return 0;
}

/* The file the user named, for messages. */
static const char *input_name(const struct options *o)
{
	return strcmp(o->file, "-") ? o->file : "standard input";
}

static int region_from_fd(const struct options *o, int fd, uint64_t size,
			  struct payload *p)
{
	struct sshm_region *region = NULL;
	int r;

	r = sshm_region_new(size, 0, &region);
	if (r < 0) {
		tool_error(r, "create a region of %llu bytes", (unsigned long long)size);
		return r;
	}
	r = tool_fill_region(fd, region);
	if (r == -ENODATA)
		tool_error(0, "%s: file shrank while being read", input_name(o));
	else if (r < 0)
		tool_error(r, "read %s", input_name(o));
	if (r < 0)
		goto fail;
	r = sshm_region_seal(region);
	if (r < 0) {
		tool_error(r, "seal the region");
		goto fail;
	}
	p->region = region;
	return 0;
fail:
	sshm_region_unref(region);
	return r;
}

static int region_from_buffer(const void *buf, size_t len, struct payload *p)
{
	/* Chunks bound each pwrite(2), so progress is never all-or-nothing. */
	const size_t chunk = (size_t)1 << 20;
	struct sshm_region *region = NULL;
	size_t off, n;
	int r;

	r = sshm_region_new(len, 0, &region);
	if (r < 0) {
		tool_error(r, "create a region of %zu bytes", len);
		return r;
	}
	for (off = 0; off < len; off += n) {
		n = len - off < chunk ? len - off : chunk;
		r = sshm_region_write(region, off, (const char *)buf + off, n);
		if (r < 0) {
			tool_error(r, "write into the region");
			goto fail;
		}
	}
	r = sshm_region_seal(region);
	if (r < 0) {
		tool_error(r, "seal the region");
		goto fail;
	}
	p->region = region;
	return 0;
fail:
	sshm_region_unref(region);
	return r;
}

/*
 * A regular file with a size goes straight into the region; anything else
 * (a pipe, a tty, /proc files that claim size 0) is read whole first,
 * because its size is only known at end of file.
 */
static int prepare_payload(const struct options *o, struct payload *p)
{
	struct stat st;
	off_t pos;
	int fd = STDIN_FILENO, r;

	memset(p, 0, sizeof(*p));
	if (strcmp(o->file, "-")) {
		fd = open(o->file, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			r = -errno;
			tool_error(r, "open %s", o->file);
			return r;
		}
	}
	if (fstat(fd, &st) < 0) {
		r = -errno;
		tool_error(r, "stat %s", input_name(o));
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		r = -EISDIR;
		tool_error(r, "read %s", input_name(o));
		goto out;
	}
	/* Standard input may be a regular file already partly read. */
	pos = S_ISREG(st.st_mode) ? lseek(fd, 0, SEEK_CUR) : -1;
	if (pos >= 0 && st.st_size > pos && !o->inline_copy) {
		r = region_from_fd(o, fd, (uint64_t)(st.st_size - pos), p);
		goto out;
	}
	r = tool_read_all(fd, &p->buf, &p->len);
	if (r < 0) {
		tool_error(r, "read %s", input_name(o));
		goto out;
	}
	/* A region cannot be empty; an inline message can. */
	if (o->inline_copy || p->len == 0)
		goto out;
	r = region_from_buffer(p->buf, p->len, p);
	free(p->buf);
	p->buf = NULL;
	p->len = 0;
out:
	if (fd != STDIN_FILENO)
		close(fd);
	return r;
}

static int open_channel(const struct options *o, struct sshm_channel **ret)
{
	struct sshm_listener *listener = NULL;
	int r;

	if (!o->listen) {
		r = sshm_channel_connect(o->socket, 0, ret);
		if (r < 0)
			tool_error(r, "connect to %s", o->socket);
		return r;
	}
	r = tool_listen(o->socket, &listener);
	if (r < 0)
		return r;
	r = sshm_listener_accept(listener, 0, ret);
	if (r < 0)
		tool_error(r, "accept on %s", o->socket);
	/* One consumer only: the socket file goes as soon as it is in. */
	tool_unlink_on_signal(NULL);
	sshm_listener_unref(listener);
	return r;
}

/*
 * Exiting closes the memfds: wait until the consumer has released them (or
 * closed the connection, which releases everything it still held).
 */
static int wait_released(const struct options *o, struct sshm_channel *ch)
{
	struct sshm_channel_stats st;
	int r;

	if (o->verbose && sshm_channel_inflight(ch) > 0)
		tool_error(0, "waiting for %u region(s) to be released",
			   sshm_channel_inflight(ch));
	/* 0 also when the consumer closed: that released everything. */
	r = sshm_channel_drain(ch);
	if (r < 0) {
		tool_error(r, "wait for %s to release the regions", o->socket);
		return r;
	}
	/* Closed with regions unreleased: it left (or was turned away)
	 * before it took them, and nothing says it read them. */
	r = sshm_channel_stats(ch, &st, sizeof(st));
	if (r >= 0 && st.abandoned > 0) {
		tool_error(0, "%s closed the connection before releasing %llu region(s)",
			   o->socket, (unsigned long long)st.abandoned);
		return -EPIPE;
	}
	return r < 0 ? r : 0;
}

static int send_all(const struct options *o, struct sshm_channel *ch,
		    const struct payload *p)
{
	unsigned long i;
	int r;

	for (i = 0; i < o->count; i++) {
		if (p->region)
			r = sshm_channel_send(ch, p->region, o->meta, o->meta_len);
		else
			r = sshm_channel_send_bytes(ch, p->buf, p->len, o->meta,
						    o->meta_len);
		if (r < 0) {
			tool_error(r, "send message %lu to %s", i + 1, o->socket);
			return r;
		}
	}
	if (o->verbose)
		tool_error(0, "sent %s%llu bytes %lu time(s), meta %zu bytes",
			   p->region ? "region of " : "copy of ",
			   p->region ? (unsigned long long)sshm_region_size(p->region)
				     : (unsigned long long)p->len,
			   o->count, o->meta_len);
	return wait_released(o, ch);
}

int main(int argc, char **argv)
{
	struct sshm_channel *ch = NULL;
	struct options o;
	struct payload p = { NULL, NULL, 0 };
	int r, ret = TOOL_EXIT_SYSTEM;

	tool_name = "sshm-send";
	/* The library sends with MSG_NOSIGNAL; this covers everything else. */
	signal(SIGPIPE, SIG_IGN);
	/* A region in flight holds its memfd until released: many of them
	 * (--count) need descriptors. */
	(void)tool_raise_nofile();

	/* getopt_long() names argv[0] in its messages: not libtool's path. */
	argv[0] = (char *)tool_name;
	r = parse_options(argc, argv, &o);
	if (r > 0)
		return TOOL_EXIT_OK;
	if (r < 0)
		return tool_usage_error();

	if (prepare_payload(&o, &p) < 0)
		goto out;
	if (open_channel(&o, &ch) < 0)
		goto out;
	if (send_all(&o, ch, &p) < 0)
		goto out;
	if (o.verbose)
		tool_error(0, "done");
	ret = TOOL_EXIT_OK;
out:
	sshm_channel_unref(ch);
	sshm_region_unref(p.region);
	free(p.buf);
	return ret;
}
