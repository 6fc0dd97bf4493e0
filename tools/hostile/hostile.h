/* SPDX-License-Identifier: MIT */
/*
 * hostile - what the files of sshm-hostile share.  The tool plays a hostile
 * producer against a consumer that listens: every row of the threat matrix
 * (doc/threat-model.md) that a peer can mount, each attack on connections
 * of its own, each followed by an honest producer that must still be
 * served.  One file per concern:
 *
 *   main.c              options, the run over the attacks, the exit status
 *   run.c               one attack: its checks after the fact, its cleanup
 *   wire.c              the wire format of doc/protocol.md, written by hand
 *   peer.c              the raw peer: connections, packets with descriptors
 *   expect.c            what an attack waits for: a RELEASE, a close
 *   objects.c           what an attack sends (memfds, pipes...) and the
 *                       probes that tell whether the consumer touched it
 *   honest.c            the honest producer, through the public API only
 *   fdcheck.c           /proc/PID/fd and maps: what the consumer still holds
 *   report.c            the table and the JSON
 *   attacks.c           the list, and the rows no peer can mount
 *   attack-seals.c      rows 1-6: seals, truncation, sizes, sparse, hugetlb
 *   attack-fds.c        rows 7 and 12: descriptors that are not memfds
 *   attack-framing.c    rows 10, 11, 14: control messages, lengths, headers
 *   attack-identity.c   rows 15, 18-20: deaths, forks, announced numbers
 *   attack-resources.c  rows 16, 17: floods, duplicate ids, slow peers
 *
 * Public API of libsshm only (honest.c), plus the header-only kernel-abi.h
 * and macro.h; never lib/wire.c: the attacker must not share the
 * consumer's idea of the format it tests.
 */
#ifndef SSHM_HOSTILE_H
#define SSHM_HOSTILE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "../tool.h"

/* ------------------------------------------------------------ options */

struct options {
	const char *socket;
	pid_t pid;		  /* 0: no /proc accounting */
	unsigned long timeout_ms; /* every step */
	uint64_t max_size;	  /* the consumer's cap when its HELLO states none */
	int no_identity;	  /* the consumer does not check identities */
	int strict;		  /* a refusal that closes the connection fails */
	int json;
	int list;
	const char *only; /* comma-separated names, NULL: every attack */
};

/* ------------------------------------------------------------ wire.c */

#define PKT_MAGIC	  0x4d485353u
#define PKT_HELLO	  1
#define PKT_REGION	  2
#define PKT_INLINE	  3
#define PKT_RELEASE	  4
#define PKT_COPY	  5
#define PKT_SENDER	  6
#define PKT_F_COPY	  0x1u
#define PKT_F_SENDER	  0x2u
#define PKT_HELLO_LEN	  32u
#define PKT_HELLO_EXT_LEN 48u
#define PKT_META_MAX	  4096u
#define PKT_INLINE_MAX	  65536u
#define PKT_PACKET_MAX	  (16u + PKT_META_MAX + PKT_INLINE_MAX)

/* What a HELLO says. */
struct hello {
	uint32_t window, inline_max, meta_max, features;
	uint64_t max_size, budget;
	size_t len;
};

/* Encoders: a well-formed packet at @b, its length returned. */
size_t pkt_hello(uint8_t *b, uint32_t window, uint32_t features);
size_t pkt_region(uint8_t *b, uint64_t id, uint64_t size, int32_t announced,
		  const void *meta, uint32_t meta_len);
size_t pkt_inline(uint8_t *b, const void *data, uint32_t len);
size_t pkt_release(uint8_t *b, const uint64_t *ids, uint32_t count);
size_t pkt_copy(uint8_t *b, uint64_t total, uint64_t offset, const void *data,
		uint32_t len);
size_t pkt_sender(uint8_t *b);

/* Decoders of what a consumer sends: 0, or -1 if @b is not one. */
int pkt_parse_hello(const uint8_t *b, size_t len, struct hello *ret);
/* A well-formed RELEASE: its count, else 0. */
uint32_t pkt_release_count(const uint8_t *b, size_t len);

/* ------------------------------------------------------------ the run */

#define MAX_OBJECTS  80
#define MAX_CONNS    12
#define MAX_CHILDREN 4

enum verdict { VERDICT_PASS, VERDICT_FAIL, VERDICT_SKIP };

/* What the consumer told us of itself, once, before the attacks. */
struct consumer {
	struct hello hello;
	uint64_t cap; /* the largest region it takes: its HELLO's, else --max-size */
};

/* One connection to the consumer, as the attacker sees it. */
struct conn {
	int fd;	    /* -1 once closed */
	int closed; /* the consumer closed it */
	int have_hello;
	struct hello hello;
};

/* Probes: how we tell afterwards whether the consumer touched an object. */
#define PROBE_NONE    0
#define PROBE_ATIME   1 /* atime set to 1 s: a mapping or a read moves it */
#define PROBE_QUEUED  2 /* @canary bytes queued: still there, nobody read */
#define PROBE_COUNTER 3 /* an eventfd counting @canary: nobody read it */

struct object {
	int fd; /* ours, closed after the attack; -1 once closed */
	const char *what;
	dev_t dev;
	ino_t ino;
	int probe;
	long canary;
	int untouched;	     /* must not be mapped or read: a refusal */
	unsigned int before; /* the consumer's descriptors and mappings of it
			      * when it was registered (--pid) */
};

struct attack;

struct run {
	const struct options *o;
	const struct consumer *c;
	const struct attack *a;
	enum verdict verdict;
	int syserr; /* a failure of ours, not the consumer's: exit status 3 */
	char observed[512];
	char reason[512];
	struct object obj[MAX_OBJECTS];
	unsigned int nobj;
	struct conn conn[MAX_CONNS];
	unsigned int nconn;
	pid_t child[MAX_CHILDREN];
	unsigned int nchild;
	unsigned int seq; /* of the honest producer: its pattern */
	int unserved;	  /* the honest producer was not served afterwards */
};

struct attack {
	const char *name;
	int row;
	const char *expected; /* refused, broken, released, survived, served... */
	const char *what;     /* one line for --list */
	void (*fn)(struct run *r, int arg);
	int arg;
	const char *na;	  /* not applicable from a peer: why */
	const void *spec; /* what the family makes of it (attack-framing.c) */
};

/* An entry of an attack table. */
#define ATTACK(n, r, e, w, f, a)                                                         \
	{                                                                                \
		.name = (n), .row = (r), .expected = (e), .what = (w), .fn = (f),        \
		.arg = (a)                                                               \
	}

/* run.c */
void run_note(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void run_fail(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void run_skip(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A system error of ours (@err: -errno): the attack is skipped, exit 3. */
void run_syserr(struct run *r, int err, const char *what);
int run_failed(const struct run *r);
/* A child of the attack, killed and reaped after it. */
void run_child(struct run *r, pid_t pid);
void run_attack(const struct options *o, const struct consumer *c, const struct attack *a,
		unsigned int seq, struct run *r);

/* ------------------------------------------------------------ peer.c */

/* CLOCK_MONOTONIC in milliseconds: what every deadline is counted in. */
int64_t now_ms(void);
/* A new connection slot of @r, not connected yet (fd -1); NULL (a system
 * error of the run) past MAX_CONNS. */
struct conn *peer_new(struct run *r);
/* Connects within the timeout; 0, or -1 with the run failed. */
int peer_connect(struct run *r, struct conn *c);
/* Sends our HELLO (48 bytes, window 64, SENDER promised). */
int peer_send_hello(struct run *r, struct conn *c);
/* Reads the consumer's HELLO within the timeout. */
int peer_read_hello(struct run *r, struct conn *c);
/* All three. */
int peer_open(struct run *r, struct conn *c);
/* A new connection, opened: NULL with the run failed or skipped. */
struct conn *peer_start(struct run *r);
void peer_close(struct conn *c);
/*
 * One packet with @nfds descriptors in one SCM_RIGHTS, waiting for room
 * until @deadline: 0, -EPIPE (the consumer closed), -ETIMEDOUT, -errno.
 */
int peer_send(struct conn *c, const void *buf, size_t len, const int *fds, int nfds,
	      int64_t deadline);
/* The same with a message of the caller's (control data of its own). */
int peer_sendmsg(struct conn *c, const struct msghdr *m, size_t len, int64_t deadline);
/* A REGION without metadata passing @fd. */
int peer_send_region(struct conn *c, uint64_t id, uint64_t size, int32_t announced,
		     int fd, int64_t deadline);
/*
 * One packet from the consumer before @deadline (descriptors it carried
 * are closed): its length, 0 when the consumer closed, -ETIMEDOUT, -errno.
 */
ssize_t peer_recv(struct conn *c, uint8_t *buf, size_t cap, int64_t deadline);
int64_t peer_deadline(const struct run *r);

/* ------------------------------------------------------------ expect.c */

/* REGION @id must come back released; 0, or -1 with the run failed. */
int expect_release(struct run *r, struct conn *c, uint64_t id);
/* Sends REGION @id (@fd announced as @announced, @size) and expects its
 * release: a refusal.  0 or -1. */
int expect_refused(struct run *r, struct conn *c, uint64_t id, uint64_t size,
		   int32_t announced, int fd);
/* After refusals, the connection still carries an honest region: refused,
 * not broken.  A consumer that closed it is noted (a failure if --strict). */
void expect_kept(struct run *r, struct conn *c);
/* On a fresh connection, memfd @fds[i] announced as itself with @sizes[i]
 * (ids 1..@n) must each be refused, then the connection kept. */
void expect_refuse_each(struct run *r, const int *fds, const uint64_t *sizes,
			unsigned int n);
/* The consumer must close @c (a framing violation breaks it). */
void expect_broken(struct run *r, struct conn *c);
/* Reads what came until @deadline or a close: the ids of @ids released
 * (count returned), *ret_closed set when the consumer closed. */
unsigned int expect_collect(struct conn *c, const uint64_t *ids, unsigned int n,
			    int64_t deadline, int *ret_closed);

/* ------------------------------------------------------------ objects.c */

#define OBJ_UNTOUCHED 0x1u /* a refusal: never mapped, never read */

/* Registers @fd (ours, closed after the attack) with @probe armed: @fd,
 * or -1 with the run marked a system error (@fd is closed then). */
int obj_add(struct run *r, int fd, const char *what, int probe, long canary,
	    unsigned int flags);
/* A memfd of @size bytes, filled with a pattern unless @sparse, with
 * @seals added (none when 0), registered with an atime probe. */
int obj_memfd(struct run *r, uint64_t size, unsigned int seals, int sparse,
	      unsigned int flags);
/* A memfd of @size with the pattern, sealed with everything: what an honest
 * producer sends (the attacks' follow-ups, and valid passengers of bad
 * packets). */
int obj_sealed(struct run *r, uint64_t size, unsigned int flags);
/* Arms the atime probe again after the attack used the file itself. */
int obj_rearm(struct run *r, int fd);
/* Every untouched object still is: else the run fails. */
void obj_check(struct run *r);
/* Closes object @fd before the end of the attack; its file is still
 * looked for in the consumer's /proc. */
void obj_close(struct run *r, int fd);
void obj_close_all(struct run *r);
/* The directory for files on disk ($TMPDIR, else /var/tmp). */
const char *obj_tmpdir(void);

/* ------------------------------------------------------------ honest.c */

/*
 * An honest producer on a fresh connection (sshm_channel_connect()): a
 * sealed region holding pattern @seq with metadata, sent, and released by
 * the consumer within @timeout_ms, the connection left open.  0, or -1
 * with the reason in @why.
 */
int honest_check(const char *socket, unsigned int seq, unsigned long timeout_ms,
		 char *why, size_t len);

/* ------------------------------------------------------------ fdcheck.c */

/* NULL when /proc/@pid/fd can be read, else why not. */
const char *fdcheck_access(pid_t pid, char *buf, size_t len);
/* The effective uid of @pid: 0, or -errno. */
int fdcheck_euid(pid_t pid, uid_t *ret);
/* 1 while @pid exists (not a zombie), 0 once gone. */
int fdcheck_alive(pid_t pid);
/* Descriptors and mappings of @pid that refer to object @i of @r now (0
 * when an earlier object is the same file: counted there). */
int fdcheck_before(pid_t pid, const struct run *r, unsigned int i);
/*
 * Descriptors and mappings of @pid that refer to objects of @r beyond what
 * it held when they were registered, waiting up to @settle_ms for them to
 * go, and in @what the kinds of them ("pipe, memfd"): 0, or -errno.
 */
int fdcheck_count(pid_t pid, const struct run *r, unsigned long settle_ms,
		  unsigned int *ret_fds, unsigned int *ret_maps, char *what, size_t len);

/* ------------------------------------------------------------ report.c */

struct tally {
	unsigned int passed, failed, skipped, na;
};

void report_begin(const struct options *o, const struct consumer *c);
void report_attack(const struct options *o, const struct run *r, struct tally *t);
void report_end(const struct options *o, const struct tally *t);
/* --list */
void report_list(const struct attack *const *list, size_t n);

/* ------------------------------------------------------------ attacks */

/* Every attack, in the order of the threat matrix's rows. */
size_t attacks_all(const struct attack *const **ret);

extern const struct attack attacks_seals[], attacks_fds[], attacks_framing[],
    attacks_identity[], attacks_resources[], attacks_na[];
extern const size_t n_attacks_seals, n_attacks_fds, n_attacks_framing, n_attacks_identity,
    n_attacks_resources, n_attacks_na;

#endif
