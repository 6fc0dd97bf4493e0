/* SPDX-License-Identifier: MIT */
/*
 * bench - what the files of sshm-bench share: the options, a cell and its
 * plan, what a child reports, and the entry points of each concern.
 *
 *   main.c          options and the plan of cells (rep, size, method)
 *   plan.c          what a cell runs: in-flight limits, warm-up, minimum
 *   steady.c        the producer's and consumers' loops, phase by phase
 *   run.c           one cell: set up, fork, release, wait, collect
 *   pin.c           --pin: which CPU each process of a cell runs on
 *   payload.c       the pattern every producer writes and every consumer checks
 *   util.c          time, sizes, failures, whole reads and writes
 *   method-sshm.c   the library: sshm, sshm-write, sshm-auto, sshm-pool
 *   method-plain.c  plain-sealed: the sealed exchange without the library
 *   method-copy.c   seqpacket, stream, pipe
 *   method-ring.c   the unsealed shared ring
 *   latency.c       --latency: round trips
 *   report.c        text and CSV, median, spread, ratios
 *
 * No method is known by its name outside its own file: what the rest needs
 * to know (sealed, limited by the in-flight budget, the copy baseline, the
 * ceiling) is in struct method's flags.
 */
#ifndef SSHM_BENCH_H
#define SSHM_BENCH_H

#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "../tool.h"

/* Message k's word w is k * GOLDEN + w: cheap, and differs per message. */
#define GOLDEN	      UINT64_C(0x9e3779b97f4a7c15)
#define MIN_SIZE      16u		    /* a checksum word and an index word (raw) */
#define MAX_SIZE      SSHM_DEFAULT_MAX_SIZE /* the consumer's default cap */
#define MAX_SIZES     32u
#define MAX_CONSUMERS 32u
#define MAX_METHODS   16u
#define MAX_REPS      64u
/* Every counter of the ring is 31 bits: no cell sends more. */
#define MAX_MESSAGES UINT32_C(0x7fffffff)

/* A cell: warm-up, measured phase and cool-down, in windows (plan.c). */
#define WARMUP_WINDOWS	2u
#define MEASURE_WINDOWS 4u
#define COOL_WINDOWS	1u
#define MIN_MESSAGES	10u
#define DEFAULT_SECONDS 0.2
#define DEFAULT_WARMUP	0.1
#define DEFAULT_REPS	3u

#define DEFAULT_ROUND_TRIPS 20000ul
#define WARMUP_ROUND_TRIPS  200ul

/* Children that take longer than this are killed (a hang is a failure). */
#define READY_TIMEOUT_S 120

/* method flags */
#define METHOD_SEALED 0x1u /* a sealed exchange: compared with the ceiling too */
#define METHOD_LIMITED                                                                   \
	0x2u		      /* holds to --window/--budget, reports its in-flight bytes \
			       */
#define METHOD_BASELINE 0x4u  /* the copy every method is compared with */
#define METHOD_CEILING	0x8u  /* no safety at all: what sealed methods aim at */
#define METHOD_OPT_IN	0x10u /* not run unless named */

struct cell;
struct worker;
struct outcome;

/*
 * A way to move messages.  The parent calls setup before fork(); every
 * child calls prepare; the producer calls send for each message, then
 * finish; each consumer calls recv until it returns 0.
 */
struct method {
	const char *name;
	unsigned int flags; /* METHOD_* */
	int (*setup)(struct cell *c);
	/* Optional: buffers and such, in the child, before the start. */
	int (*prepare)(struct cell *c, int role, struct worker *w);
	/* Message @i to every consumer; fail() and a negative code on error. */
	int (*send)(struct cell *c, struct worker *w, struct outcome *out, uint64_t i);
	/* Optional: after the last message, @n of them. */
	void (*finish)(struct cell *c, struct worker *w, struct outcome *out, uint64_t n);
	/* Consumer @j, message @i: 1 verified, 0 the producer ended, < 0 failed. */
	int (*recv)(struct cell *c, struct worker *w, struct outcome *out, unsigned int j,
		    uint64_t i);
	/* Optional: the parent drops what setup made beyond c->link[]. */
	void (*cleanup)(struct cell *c);
};

extern const struct method method_sshm, method_sshm_write, method_sshm_auto,
    method_sshm_pool, method_plain_sealed, method_seqpacket, method_stream, method_pipe,
    method_ring;

/* --pin: where each process of a cell runs. */
struct placement {
	int on;
	int producer; /* CPU number */
	int consumer[MAX_CONSUMERS];
	unsigned int ncpus; /* CPUs this process may run on */
};

struct options {
	uint64_t sizes[MAX_SIZES];
	unsigned int n_sizes;
	const struct method *methods[MAX_METHODS];
	unsigned int n_methods;
	unsigned int consumers;
	unsigned int reps;
	double seconds;		/* measured, at least; unless bytes or messages */
	double warmup;		/* warm-up, at least */
	uint64_t bytes;		/* measured per cell and consumer, 0: unset */
	unsigned long messages; /* measured per cell, 0: unset */
	unsigned int window;	/* --window, 0: the library's default */
	uint64_t budget;	/* --budget, 0: the library's default */
	unsigned long round_trips;
	int csv;
	int latency;
	int prefault; /* consumers: SSHM_POLICY_PREFAULT */
	int hugepage; /* SSHM_REGION_HUGEPAGE, SSHM_POOL_HUGEPAGE */
	int progress; /* stderr is a terminal */
	struct placement pin;
};

/* What one child reports, in a page shared with the parent. */
struct outcome {
	uint64_t messages;     /* sent (producer) or verified (consumer) */
	uint64_t t_start;      /* consumer: the last warm-up message verified, ns */
	uint64_t t_end;	       /* consumer: the last measured message verified, ns */
	uint64_t inflight_max; /* producer: most bytes in flight after a send */
	uint64_t median_ns;    /* latency */
	uint64_t p99_ns;
	int err;     /* first failure, negative code; 0: none */
	int corrupt; /* the failure is wrong data, not a system error */
	char what[160];
};

#define PHASE_UNSET UINT64_MAX

struct shared {
	/* Set by the producer before it sends message warm_end (or
	 * measure_end): the first measured message, the first of the
	 * cool-down.  PHASE_UNSET until then. */
	_Atomic uint64_t warm_end;
	_Atomic uint64_t measure_end;
	struct outcome prod;
	struct outcome cons[MAX_CONSUMERS];
};

/* One producer-consumer connection; the unused side is -1/NULL. */
struct link {
	struct sshm_channel *prod_ch, *cons_ch;
	int prod_fd, cons_fd;
	/* plain-sealed, the producer's count of what is not credited back */
	uint64_t inflight, inflight_bytes;
};

#define ROLE_PARENT   (-2)
#define ROLE_PRODUCER (-1)

/* How long a cell runs (plan.c). */
struct plan {
	uint64_t window;      /* messages the producer may have in flight, >= 1 */
	uint64_t warm_min;    /* messages before the measured ones, at least */
	uint64_t warm_ns;     /* and time */
	uint64_t measure_min; /* measured messages, at least */
	uint64_t measure_ns;  /* and time, 0 with a count */
	uint64_t count;	      /* measured messages exactly, 0: by time */
	uint64_t cool;	      /* messages after the measured ones */
	uint64_t timeout_s;   /* the children are killed after this */
};

struct lat_test;

/* Everything one cell needs, set up by the parent before fork(). */
struct cell {
	const struct options *o;
	const struct method *method; /* NULL for latency */
	const struct lat_test *lat;  /* latency test, or NULL */
	uint64_t size;
	unsigned int consumers;
	struct plan plan;
	unsigned int window; /* effective in-flight limits */
	uint64_t budget;
	size_t packet; /* seqpacket: bytes per packet */
	struct link link[MAX_CONSUMERS];
	void *ring;
	size_t ring_len;
	struct shared *sh;
	char note[160]; /* how the setup differs from the ideal */
	int culled;	/* children killed after one crashed */
	/* What the parent and the children run: a method with steady.c's
	 * loops (cell_init()), or latency.c's round trips. */
	int (*setup)(struct cell *c);
	int (*prepare)(struct cell *c, int role, struct worker *w);
	void (*produce)(struct cell *c, struct worker *w, struct outcome *out);
	void (*consume)(struct cell *c, struct worker *w, struct outcome *out,
			unsigned int j);
	void (*cleanup)(struct cell *c);
};

/* A child's buffers. */
struct worker {
	void *buf;
	uint64_t *samples;
	struct sshm_pool *pool; /* sshm-pool: made after fork(), it has a thread */
};

/* What one repetition of a cell measured. */
struct run {
	double seconds;
	uint64_t messages;     /* measured, sent by the producer */
	uint64_t warmup;       /* messages before them */
	uint64_t inflight_max; /* bytes */
	int ok;
};

/* util.c */
uint64_t now_ns(void);
const char *format_size(uint64_t size, char *buf, size_t len);
const char *format_bytes(uint64_t bytes, char *buf, size_t len);
void fail(struct outcome *out, int err, int corrupt, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
ssize_t read_full(int fd, void *buf, size_t len);
int writev_all(int fd, struct iovec *iov, int n);
int parse_seconds(const char *opt, const char *arg, int zero_ok, double *ret);
void limits_effective(const struct options *o, unsigned int *window, uint64_t *budget);
/* A buffer of @size bytes for the child, touched: not a first fault later. */
int worker_buffer(struct worker *w, uint64_t size);

/* payload.c */
uint64_t fill_sum(void *dst, size_t len, uint64_t index, uint64_t first);
void fill_raw(void *buf, uint64_t size, uint64_t index);
int check_raw(struct outcome *out, const void *buf, uint64_t size, uint64_t index);
int check_data(struct outcome *out, const void *data, uint64_t size, uint64_t index,
	       uint64_t sum);
int check_view(struct outcome *out, const struct sshm_view *v, uint64_t size,
	       uint64_t index);

/* The metadata of library messages, and plain-sealed's packet. */
struct msg_meta {
	uint64_t index;
	uint64_t sum;
};

/* plan.c */
extern const struct method *const methods_all[];
extern const unsigned int methods_count;
/* The first method with @flag (METHOD_BASELINE, METHOD_CEILING), or NULL. */
const struct method *method_with(unsigned int flag);
void plan_size(const struct options *o, uint64_t size, struct plan *p);
/* A throughput cell of @m at @size, ready for cell_setup(). */
void cell_init(struct cell *c, const struct options *o, const struct method *m,
	       uint64_t size);

/* steady.c */
void produce(struct cell *c, struct worker *w, struct outcome *out);
void consume(struct cell *c, struct worker *w, struct outcome *out, unsigned int j);

/* run.c */
int cell_setup(struct cell *c);
void cell_free(struct cell *c);
void cell_keep(struct cell *c, int role);
int run_children(struct cell *c, char *why, size_t why_len);

/* pin.c */
int pin_plan(unsigned int consumers, struct placement *p);
int pin_self(const struct placement *p, int role);
/* "0/1+1": the producer's CPU, then the consumers'; "none" unpinned. */
const char *pin_describe(const struct placement *p, unsigned int consumers, char *buf,
			 size_t len);

/* method-sshm.c */
int sshm_link_pair(struct cell *c, struct link *l);
int sshm_track_inflight(struct outcome *out, struct sshm_channel *ch);

/* method-copy.c */
int seqpacket_pair(struct cell *c, struct link *l);
int packet_send(int fd, const void *buf, uint64_t size, size_t packet);
int packet_recv(int fd, void *buf, uint64_t size, size_t packet);
/* The socket buffers a seqpacket pair gets: "SO_SNDBUF ... (forced)". */
int seqpacket_describe(char *buf, size_t len);

/* latency.c */
int run_latency(const struct options *o);

/* report.c */
void progress_clear(const struct options *o);
int report_failures(const struct options *o, const struct cell *c, const char *label,
		    unsigned int rep, int r, const char *why);
void cell_result(const struct cell *c, struct run *run);
void print_header(const struct options *o);
void print_table(const struct options *o, const struct run *runs);
void print_csv(const struct options *o, const struct run *runs);

#endif
