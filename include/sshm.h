/*
 * sshm - sealed shared-memory IPC for Linux
 *
 * SPDX-License-Identifier: MIT
 *
 * The whole public API of libsshm.  Conventions, for every function below:
 *
 *  - A function that can fail returns int: >= 0 on success, a negative code on
 *    failure: -errno for system errors, -SSHM_E* for the library's own verdicts
 *    (a range that never collides with errno).  sshm_strerror() names them all.
 *  - Output parameters come last, are named ret_*, and are written only on
 *    success.
 *  - Objects are opaque and reference counted; *_ref() returns its argument
 *    (NULL for NULL), *_unref(NULL) is a no-op and every *_unref() returns
 *    NULL.
 *  - The library never logs, installs no signal handler, keeps no global
 *    state and never reports through errno.  Every descriptor it creates is
 *    close-on-exec.
 *  - Threads.  A channel (and a listener) is used by one thread at a time:
 *    it has no lock; distinct channels may be used from distinct threads.
 *    Views may be read and dropped in any thread, while the channel is in
 *    use elsewhere: a view's last unref sends its region's release from
 *    that thread, without blocking (see sshm_channel_wake_fd() for the
 *    case of a full socket).  Regions and views are reference counted
 *    atomically: a sealed region may be in flight on channels served by
 *    different threads at once; filling and sealing it is one thread's.
 *    A pool's get may run beside its refill thread.  After fork(2) the
 *    child may use what it inherited, except a pool made with
 *    SSHM_POOL_THREAD (its thread is not in the child): drop such a pool
 *    only in the parent.
 *
 * This header compiles as C89 and as C++.
 */
#ifndef SSHM_H
#define SSHM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* Error codes: returned negated.  Above any errno value (errno < 4096).      */

#define SSHM_EBASE        4096 /* not returned; start of the library's range */
#define SSHM_ENOTREG      4097 /* fd is not a regular file (pipe, socket, tty...) */
#define SSHM_EOPATH       4098 /* fd was opened with O_PATH */
#define SSHM_ENOTMEMFD    4099 /* regular file, but not a memfd */
#define SSHM_EHUGETLB     4100 /* hugetlb memfd and the policy forbids it */
#define SSHM_ESEALS       4101 /* a required seal is missing */
#define SSHM_ESIZE        4102 /* size differs from the announced size, or 0 */
#define SSHM_ETOOBIG      4103 /* size above the policy's cap */
#define SSHM_EIDENTITY    4104 /* kcmp: not the file the peer announced */
#define SSHM_EUNVERIFIED  4105 /* identity unverifiable, policy requires it */
#define SSHM_EHEADER      4106 /* malformed message header */
#define SSHM_EPROTO       4107 /* protocol violation (fds, cmsg, sequence) */
#define SSHM_EVERSION     4108 /* peer speaks an incompatible protocol */
#define SSHM_EBROKEN      4109 /* channel broken by an earlier violation */
#define SSHM_ENOTSEALED   4110 /* region must be sealed first */
#define SSHM_ESEALED      4111 /* region is sealed: no more writes */
#define SSHM_EHOLES       4112 /* region has holes, policy wants it populated */
#define SSHM_EEXITED      4113 /* identity: the sender exited before the check */
#define SSHM_ELAST        4114 /* not returned; end of the range */

/*
 * sshm_strerror - describe an error code
 *
 * Accepts a code with either sign (-SSHM_ESEALS or SSHM_ESEALS, -EPIPE or
 * EPIPE).  Returns a static string; never NULL, also for unknown codes.
 */
const char *sshm_strerror(int err);

/* ------------------------------------------------------------------------ */
/* Producer: regions                                                          */

struct sshm_region;

/* region flags */
#define SSHM_REGION_HUGEPAGE 0x1u /* 2 MiB-aligned writable mapping, MADV_HUGEPAGE */

/*
 * sshm_region_new - create an empty, writable region of @size bytes
 * @size: bytes, > 0
 * @flags: SSHM_REGION_* (-EINVAL for others)
 * @ret_region: the new region, one reference, owned by the caller
 *
 * The region is a memfd (MFD_CLOEXEC | MFD_ALLOW_SEALING, plus
 * MFD_NOEXEC_SEAL where the kernel has it) sized to @size and filled with
 * zeroes.  Fill it with sshm_region_map() or sshm_region_write(), then seal it.
 * Errors: -EINVAL, -ENOMEM, -EMFILE, -EFBIG, other -errno from memfd_create(2)
 * and ftruncate(2).
 */
int sshm_region_new(uint64_t size, unsigned int flags,
		    struct sshm_region **ret_region);

struct sshm_region *sshm_region_ref(struct sshm_region *region);
struct sshm_region *sshm_region_unref(struct sshm_region *region);

/*
 * sshm_region_map - writable mapping of an unsealed region
 *
 * Maps the whole region read-write (MAP_SHARED) on the first call and returns
 * the same address on later calls.  The mapping belongs to the region; the
 * pointer is valid until sshm_region_seal() is called (whether or not the
 * seal succeeds) or the last reference is dropped.
 * Errors: -EINVAL, -SSHM_ESEALED, -errno from mmap(2).
 */
int sshm_region_map(struct sshm_region *region, void **ret_data);

/*
 * sshm_region_write - copy bytes into an unsealed region without mapping it
 *
 * pwrite(2)s @len bytes from @buf at @offset.  For a fresh region this is
 * faster than filling a mapping: it skips the producer's page faults.
 * Returns 0 once all @len bytes are written.  Errors: -EINVAL (range outside the region), -SSHM_ESEALED, -errno.
 */
int sshm_region_write(struct sshm_region *region, uint64_t offset,
		      const void *buf, size_t len);

/*
 * sshm_region_seal - make the region immutable, irreversibly
 *
 * Drops the region's own writable mapping, then applies F_SEAL_SHRINK |
 * F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL in one fcntl(2): all or none.
 * Sealing an already sealed region returns 0.
 * Errors: -EBUSY if another writable mapping of the memfd exists or pages
 * are pinned (nothing is sealed then), -errno.
 */
int sshm_region_seal(struct sshm_region *region);

/* 1 if sealed, 0 if not. */
int sshm_region_is_sealed(const struct sshm_region *region);
uint64_t sshm_region_size(const struct sshm_region *region);
/* The memfd, borrowed: valid as long as the region. */
int sshm_region_fd(const struct sshm_region *region);

/* ------------------------------------------------------------------------ */
/* Producer: a pool of regions prepared ahead                                 */

struct sshm_pool;

/* pool flags */
#define SSHM_POOL_THREAD   0x1u /* refill from a background thread */
#define SSHM_POOL_MAP      0x2u /* keep a populated writable mapping ready */
#define SSHM_POOL_HUGEPAGE 0x4u /* regions get SSHM_REGION_HUGEPAGE */

/*
 * sshm_pool_new - keep up to @depth regions of @size bytes ready
 * @depth: 1..1024
 * @flags: SSHM_POOL_*
 *
 * A ready region is a memfd already sized and with its pages allocated
 * (fallocate(2)), or, with SSHM_POOL_MAP, mapped writable with every page
 * populated, so that filling it takes no page fault.  The pool is filled
 * before this returns; SSHM_POOL_THREAD starts a thread that refills it
 * after every sshm_pool_get() (the only thread the library ever creates;
 * it is joined by the last unref).  Without it, sshm_pool_fill() refills.
 * Errors: -EINVAL, -ENOMEM, -EMFILE, -errno from memfd_create(2),
 *   fallocate(2), mmap(2), pthread_create(3).
 */
int sshm_pool_new(uint64_t size, unsigned int depth, unsigned int flags,
		  struct sshm_pool **ret_pool);
struct sshm_pool *sshm_pool_ref(struct sshm_pool *pool);
struct sshm_pool *sshm_pool_unref(struct sshm_pool *pool);

/*
 * sshm_pool_get - take a ready region (one reference, owned by the caller)
 *
 * Prepares one on the spot when none is ready.  The region is unsealed and
 * belongs to the caller alone: fill, seal and send it as any other.  Safe
 * to call while the refill thread runs; one pool is not meant to be used
 * from several threads at once otherwise.
 * Errors: -EINVAL, and those of sshm_pool_new() when preparing on the spot.
 */
int sshm_pool_get(struct sshm_pool *pool, struct sshm_region **ret_region);

/* Tops the pool up synchronously: the number added, or a negative code. */
int sshm_pool_fill(struct sshm_pool *pool);
/* Regions ready now. */
unsigned int sshm_pool_ready(struct sshm_pool *pool);

/* ------------------------------------------------------------------------ */
/* Receive policy                                                             */

/* identity modes; 0 is the default, so a zeroed policy checks identity */
#define SSHM_IDENTITY_BEST_EFFORT 0 /* reject mismatch, accept unverifiable */
#define SSHM_IDENTITY_REQUIRED    1 /* reject mismatch and unverifiable */
#define SSHM_IDENTITY_OFF         2 /* do not run kcmp */

/* policy flags */
#define SSHM_POLICY_ALLOW_HUGETLB 0x1u /* accept hugetlbfs memfds (needs POPULATED) */
#define SSHM_POLICY_POPULATED     0x2u /* reject regions with holes */
#define SSHM_POLICY_PREFAULT      0x4u /* map with MAP_POPULATE: no read faults later */

#define SSHM_DEFAULT_MAX_SIZE ((uint64_t)1 << 30) /* 1 GiB */

/*
 * What a consumer accepts.  Zero every field (memset) and set what you need:
 * the all-zero policy is the default one, also used when NULL is passed:
 * seals SHRINK|GROW|WRITE, max size SSHM_DEFAULT_MAX_SIZE, identity
 * best-effort, no hugetlb.  required_seals is added to SHRINK|GROW|WRITE,
 * which are always required.  -EINVAL for: reserved[] not zero, an unknown
 * identity mode, unknown flags or seal bits, and SSHM_POLICY_ALLOW_HUGETLB
 * without SSHM_POLICY_POPULATED (a hole in a hugetlb region is a SIGBUS).
 * SSHM_POLICY_POPULATED looks for holes with SEEK_HOLE on a description of
 * its own opened through /proc/self/fd (the received one shares its offset
 * with the sender): without /proc it fails with -ENOENT.
 */
struct sshm_policy {
	uint64_t max_size;           /* 0: SSHM_DEFAULT_MAX_SIZE */
	unsigned int required_seals; /* extra F_SEAL_* bits */
	int identity;                /* SSHM_IDENTITY_* */
	unsigned int flags;          /* SSHM_POLICY_* */
	unsigned int reserved[5];
};

/* ------------------------------------------------------------------------ */
/* Identity                                                                   */

#define SSHM_VERDICT_NOT_CHECKED  0 /* inline payload, or policy said OFF */
#define SSHM_VERDICT_VERIFIED     1 /* kcmp: same open file as the peer's fd */
#define SSHM_VERDICT_MISMATCH     2 /* kcmp: a different file (never accepted) */
#define SSHM_VERDICT_UNVERIFIABLE 3 /* see reason */

/* identity flags */
/*
 * Set when the message itself carried the sender's pidfd (SCM_PIDFD, Linux
 * 6.5) and the process was alive after kcmp: the pid cannot have been
 * reused.  Without it a "verified" verdict rests on a pidfd opened on
 * receipt, which cannot exclude a reuse that happened before.
 */
#define SSHM_IDENTITY_F_PIDFD 0x1u

struct sshm_identity {
	int verdict;          /* SSHM_VERDICT_* */
	int reason;           /* UNVERIFIABLE: -errno or -SSHM_E*; else 0 */
	int32_t pid;          /* sender, from SCM_CREDENTIALS of this message */
	uint32_t uid;
	uint32_t gid;
	int32_t announced_fd; /* the fd number the sender announced */
	unsigned int flags;   /* SSHM_IDENTITY_F_* */
	unsigned int reserved;
};

/* Short name of a verdict ("verified", "mismatch", ...), static, never NULL. */
const char *sshm_verdict_name(int verdict);

/* ------------------------------------------------------------------------ */
/* Channels                                                                   */

struct sshm_channel;
struct sshm_listener;
struct sshm_view;

/* channel flags */
#define SSHM_CHANNEL_NONBLOCK 0x1u /* send/recv return -EAGAIN instead of blocking */

#define SSHM_META_MAX     4096u  /* largest metadata blob per message */
#define SSHM_INLINE_MAX   65536u /* largest inline payload */
#define SSHM_INLINE_DEFAULT 65536u /* send_bytes threshold unless set */
#define SSHM_WINDOW_DEFAULT 64u  /* regions in flight per direction */
/* Bytes of regions in flight per direction.  Measured (doc/benchmarks.md,
 * "The in-flight budget"): 16 MiB is as fast as 32-128 MiB at 16 and
 * 64 MiB messages, and faster at 4 MiB, where less memory in flight
 * stays in cache. */
#define SSHM_BUDGET_DEFAULT ((uint64_t)16 << 20)

/*
 * Constructors.  None of them waits for the peer: the handshake (a HELLO each
 * way) is sent at once and the peer's is read by the first send or recv.
 * Every fd is close-on-exec, SO_PASSCRED (and SO_PASSPIDFD where the kernel has
 * it) is set before any message can arrive.  @flags: SSHM_CHANNEL_*.
 *
 * sshm_channel_pair: a connected pair in this process (socketpair(2)); after
 *   fork(2) each side drops the end it does not use.
 * sshm_channel_connect: connect to @path; "@name" is an abstract socket.
 * sshm_channel_adopt: take an already connected SOCK_SEQPACKET AF_UNIX
 *   socket; on success the channel owns @fd, on failure the caller still does
 *   (its FD_CLOEXEC, O_NONBLOCK and SO_PASSCRED may have been set).  Messages
 *   the peer sent before adopt() set SO_PASSCRED may carry no credentials:
 *   their identity is unverifiable (-ESRCH).
 * Every constructor first makes a memfd of its own to learn where memfds
 *   live (see sshm_fd_verify()); that can fail with -EMFILE or -ENOMEM.
 * Errors: -EINVAL, -ENOMEM, -EMFILE, -ENAMETOOLONG (path), -EINTR
 *   (connect), -ENOTSOCK, -EAFNOSUPPORT, -EPROTOTYPE, -ENOTCONN, -EBADF
 *   (adopt), -errno from socket(2)/connect(2)/sendmsg(2).
 */
int sshm_channel_pair(unsigned int flags, struct sshm_channel **ret_a,
		      struct sshm_channel **ret_b);
int sshm_channel_connect(const char *path, unsigned int flags,
			 struct sshm_channel **ret_channel);
int sshm_channel_adopt(int fd, unsigned int flags,
		       struct sshm_channel **ret_channel);

struct sshm_channel *sshm_channel_ref(struct sshm_channel *channel);
/*
 * Drops a reference.  The last one drops the regions this side sent that
 * the peer has not released, and releases the regions received but never
 * returned by sshm_channel_recv().  The socket itself closes when the
 * channel and every view received on it are gone (a view releases its
 * region through it).
 */
struct sshm_channel *sshm_channel_unref(struct sshm_channel *channel);

/*
 * The socket, borrowed, for poll(2)/epoll(7).  Readable, or
 * sshm_channel_pending() non-zero: call recv until -EAGAIN (a packet may be
 * a release the library consumes, then recv returns -EAGAIN).  -EINVAL for
 * NULL.
 */
int sshm_channel_fd(const struct sshm_channel *channel);

/*
 * sshm_channel_send - send a sealed region with optional metadata
 * @meta, @meta_len: up to SSHM_META_MAX bytes copied into the packet (may be NULL/0)
 *
 * The channel keeps a reference on the region (and so its fd open) until the
 * peer releases it.  At most the window's worth of regions are in flight:
 * when full, a blocking channel waits for releases, a non-blocking one returns
 * -EAGAIN.  A region may be sent any number of times on any channels.
 * Errors: -EINVAL, -SSHM_ENOTSEALED, -SSHM_ETOOBIG (above the peer's
 *   announced maximum), -EMSGSIZE (meta above the peer's announced
 *   maximum), -EAGAIN, -EPIPE (peer gone), -SSHM_EBROKEN,
 *   -SSHM_EPROTO, -SSHM_EHEADER, -SSHM_EVERSION (bad handshake), -ENOBUFS
 *   (too many messages queued while waiting), -errno.
 */
int sshm_channel_send(struct sshm_channel *channel, struct sshm_region *region,
		      const void *meta, size_t meta_len);

/*
 * sshm_channel_send_bytes - send a copy of @len bytes
 *
 * The consumer gets the bytes as a view, whichever way they travel; the
 * library picks, per message, what is fastest where it measured it: up to
 * the channel's inline threshold inside one packet; above it, copied
 * through the socket in pieces (COPY, blocking channels), or through a new
 * sealed region where shmem has transparent huge pages and the payload is
 * large (and on non-blocking channels, whose pieces could stop halfway).
 * Errors: as sshm_channel_send(), plus those of sshm_region_new().
 */
int sshm_channel_send_bytes(struct sshm_channel *channel, const void *data,
			    size_t len, const void *meta, size_t meta_len);

/*
 * sshm_channels_send_bytes - send one payload to @n channels
 * @ret_errors: (optional) the result of each channel, 0 or a negative code
 *
 * As sshm_channel_send_bytes() on each, except that where shmem has
 * transparent huge pages a large payload goes through one sealed region
 * that every consumer maps (filled once) rather than n copies.  Each channel blocks or not per its own mode.  Returns 0
 * when every channel got it, else the first error (see @ret_errors).
 * Errors: -EINVAL (before anything is sent), and those of
 * sshm_channel_send_bytes().
 */
int sshm_channels_send_bytes(struct sshm_channel *const *channels, unsigned int n,
			     const void *data, size_t len, const void *meta,
			     size_t meta_len, int *ret_errors);

/*
 * sshm_channel_recv - receive, verify and map the next message
 * @policy: what to accept, NULL for the default policy
 * @ret_view: the view, one reference, owned by the caller
 *
 * Runs the whole receive pipeline: control-message checks, header decode,
 * fd checks (O_PATH, type, filesystem, seals, then size), identity, and a
 * read-only mapping.  Release messages from the peer are handled on the way.
 * A region that fails the checks is closed, never mapped, released back to
 * the peer, and its code returned; the channel stays usable.  A framing or
 * protocol violation closes every fd received and breaks the channel.
 * Errors: -EPIPE (peer closed), -EAGAIN (non-blocking, nothing ready),
 *   -SSHM_ENOTREG, -SSHM_EOPATH, -SSHM_ENOTMEMFD, -SSHM_EHUGETLB,
 *   -SSHM_ESEALS, -SSHM_ESIZE, -SSHM_ETOOBIG, -SSHM_EHOLES,
 *   -SSHM_EIDENTITY, -SSHM_EUNVERIFIED, -SSHM_EHEADER, -SSHM_EPROTO,
 *   -SSHM_EVERSION, -SSHM_EBROKEN, -EINVAL (bad policy), -errno.
 */
int sshm_channel_recv(struct sshm_channel *channel,
		      const struct sshm_policy *policy,
		      struct sshm_view **ret_view);

/*
 * sshm_channel_flush - exchange what can be exchanged without blocking
 *
 * Sends the releases that could not be sent yet (full socket), then reads
 * whatever the peer has sent without blocking: its releases shrink
 * sshm_channel_inflight(), its data messages are kept for
 * sshm_channel_recv().  Returns the number of releases still unsent, or a
 * negative code (-SSHM_EBROKEN, -SSHM_EPROTO, -SSHM_EHEADER, -errno).  A
 * peer that left is not an error here: what it sent before is still
 * delivered by sshm_channel_recv(), then -EPIPE.
 */
int sshm_channel_flush(struct sshm_channel *channel);

/*
 * sshm_channel_drain - wait until the peer has released every region sent
 *
 * Returns 0 when nothing is in flight any more, also when the peer closed
 * the connection (its regions are dropped then).  Data messages arriving
 * meanwhile are kept for sshm_channel_recv().  A non-blocking channel returns
 * -EAGAIN while regions are still in flight and nothing can be read.
 * Errors: -EAGAIN, -ENOBUFS, -SSHM_EBROKEN, -SSHM_EPROTO, -SSHM_EHEADER,
 *   -SSHM_EVERSION, -errno.
 */
int sshm_channel_drain(struct sshm_channel *channel);

/*
 * sshm_channel_set_inline_max - largest payload sshm_channel_send_bytes()
 * copies into the packet instead of sending a sealed region
 *
 * Default SSHM_INLINE_DEFAULT (measured: see doc/benchmarks.md); at most
 * SSHM_INLINE_MAX and what the peer announced.  0 sends every non-empty
 * payload as a region (an empty one is always inline).  Errors: -EINVAL.
 */
int sshm_channel_set_inline_max(struct sshm_channel *channel, size_t bytes);

/*
 * sshm_channel_wake_fd - for event loops whose views are dropped in other
 * threads
 *
 * A view dropped in any thread sends its region's RELEASE at once, without
 * blocking.  Only when the socket is full (the peer is not reading) is it
 * queued, and the channel sends it with its next call; its own blocking
 * waits wake for it.  An event loop that waits on sshm_channel_fd() alone
 * would not: it also watches this eventfd (borrowed, close-on-exec,
 * non-blocking) for input, and calls sshm_channel_flush() when it is
 * readable, and waits for POLLOUT on sshm_channel_fd() while flush reports
 * releases still queued.  Made on the first call (or when the first region
 * view is handed out), valid as long as the channel.  -EINVAL, -EMFILE.
 */
int sshm_channel_wake_fd(struct sshm_channel *channel);

/*
 * Data messages already read from the socket and kept for
 * sshm_channel_recv() (by a send, drain or flush waiting for releases).  They
 * do not make sshm_channel_fd() readable: an event loop calls recv while
 * this is non-zero.
 */
unsigned int sshm_channel_pending(const struct sshm_channel *channel);

/* Regions this side sent that the peer has not released yet. */
unsigned int sshm_channel_inflight(const struct sshm_channel *channel);

/*
 * sshm_channel_set_limits - how much may be in flight, each way
 * @window: regions sent and not released, 1..4096; 0: SSHM_WINDOW_DEFAULT
 * @budget: bytes of those regions; 0: SSHM_BUDGET_DEFAULT
 *
 * Every region sent stays pinned (memory and fd) until the peer releases
 * it.  A send waits (or returns -EAGAIN) until one more region fits both
 * the window and the budget, this side's and the ones the peer announced,
 * whichever is smaller; a region larger than the budget travels alone.
 * The same values are what this side accepts from the peer: it is told
 * (a LIMITS message, at once or with the channel's next call) and held to
 * them; raising them lets a producer keep more in flight, and what is
 * enforced never shrinks while the connection lasts.  The defaults are
 * announced at construction.  A peer that exceeds what it was granted
 * breaks the channel.  Errors: -EINVAL, -ENOMEM.
 */
int sshm_channel_set_limits(struct sshm_channel *channel, unsigned int window,
			    uint64_t budget);

/*
 * What a channel has done and holds, for an operator: the library never
 * logs.  Counters only grow; the in-flight and held figures are now.
 */
struct sshm_channel_stats {
	uint64_t sent;		  /* data messages sent: regions, inline, copies */
	uint64_t sent_bytes;	  /* their payload bytes */
	uint64_t received;	  /* data messages sshm_channel_recv() delivered */
	uint64_t received_bytes;  /* their payload bytes */
	uint64_t refused;	  /* messages sshm_channel_recv() refused */
	/* refused by code: [c - SSHM_EBASE] for -SSHM_E* code c, [0] for -errno */
	uint64_t refused_by[32];
	uint64_t inflight;	  /* regions sent, not released by the peer */
	uint64_t inflight_bytes;  /* their sizes */
	uint64_t held;		  /* regions received, not released to the peer yet */
	uint64_t held_bytes;	  /* their sizes (as announced) */
	uint64_t released;	  /* region ids released to the peer */
	uint64_t release_packets; /* RELEASE packets that carried them */
	uint64_t abandoned;	  /* regions in flight when the peer closed */
	/* What this side may have in flight now: the smaller of its own and
	 * the peer's limits (0 until the peer's HELLO is read), to tell a
	 * full window or budget from a full socket after -EAGAIN. */
	uint64_t window;
	uint64_t budget;
	uint64_t reserved[5];
};

/*
 * sshm_channel_stats - copy the channel's figures into @ret
 * @size: sizeof(struct sshm_channel_stats) as the caller was built with;
 *   a smaller (older) struct gets its prefix, a larger one zeroes at the end
 *
 * Errors: -EINVAL (NULL, or @size smaller than the first field).
 */
int sshm_channel_stats(const struct sshm_channel *channel,
		       struct sshm_channel_stats *ret, size_t size);

/*
 * sshm_channel_is_open - may this channel still carry messages?
 *
 * 1 while it can: after any error from sshm_channel_recv() (or send), a
 * channel that is still open refused one message (a region that failed a
 * check, identity, mapping: -SSHM_E*, -EACCES, -ENOMEM...) or had nothing
 * to give (-EAGAIN), and the next call goes on.  0 once it cannot: broken
 * by a protocol violation, or the peer closed and everything it sent
 * before has been received.  Drop it then.  -EINVAL for NULL.
 */
int sshm_channel_is_open(const struct sshm_channel *channel);

/*
 * Listener: bind + listen on @path ("@name": abstract).  A stale socket file
 * at @path is not removed: -EADDRINUSE.  The listener unlinks the path it
 * created when the last reference goes.  sshm_listener_accept() returns
 * -EAGAIN on a listener made with SSHM_CHANNEL_NONBLOCK when nobody waits;
 * @flags of accept apply to the new channel.
 */
int sshm_listener_new(const char *path, unsigned int flags,
		      struct sshm_listener **ret_listener);
struct sshm_listener *sshm_listener_ref(struct sshm_listener *listener);
struct sshm_listener *sshm_listener_unref(struct sshm_listener *listener);
int sshm_listener_fd(const struct sshm_listener *listener);
int sshm_listener_accept(struct sshm_listener *listener, unsigned int flags,
			 struct sshm_channel **ret_channel);

/*
 * Who may connect.  A path socket is guarded by its file's permissions; an
 * abstract one ("@name") by nothing: anyone in the network namespace can
 * connect.  A listener can refuse a peer at accept, before reading a byte,
 * from its SO_PEERCRED credentials: the uid (effective, at connect) and
 * the primary and supplementary groups must match an allowed uid or gid,
 * if any is set; then a check function, if set, must return 1.  A refused
 * connection is closed and counted, and accept goes on with the next one
 * (-EAGAIN on a non-blocking listener when none is waiting).
 */
struct sshm_peer {
	int32_t pid;	      /* as SO_PEERCRED names it */
	uint32_t uid;
	uint32_t gid;
	int pidfd;	      /* SO_PEERPIDFD (Linux 6.5), borrowed for the call; -1 */
	unsigned int reserved[4];
};

/* Returns 1 to accept the peer, anything else to refuse it. */
typedef int (*sshm_peer_check_fn)(const struct sshm_peer *peer, void *userdata);

/* Adds an allowed uid or gid (at most 64 each).  -EINVAL, -ENOSPC. */
int sshm_listener_allow_uid(struct sshm_listener *listener, uint32_t uid);
int sshm_listener_allow_gid(struct sshm_listener *listener, uint32_t gid);
/* Sets (or with NULL, removes) the check function.  -EINVAL for NULL
 * listener. */
int sshm_listener_set_check(struct sshm_listener *listener, sshm_peer_check_fn check,
			    void *userdata);
/* Connections refused so far. */
uint64_t sshm_listener_refused(const struct sshm_listener *listener);

/* ------------------------------------------------------------------------ */
/* Consumer: views                                                            */

struct sshm_view *sshm_view_ref(struct sshm_view *view);
/* The last unref unmaps, closes the fd and releases the region to the peer. */
struct sshm_view *sshm_view_unref(struct sshm_view *view);

/* Read-only bytes, valid until the last unref.  Never NULL (size may be 0 inline). */
const void *sshm_view_data(const struct sshm_view *view);
uint64_t sshm_view_size(const struct sshm_view *view);
/* Metadata copy; NULL when there is none (*ret_len then 0).  @ret_len may
 * be NULL.  Valid until the last unref. */
const void *sshm_view_meta(const struct sshm_view *view, size_t *ret_len);
/* 1 if the payload came in a sealed region, 0 if inline. */
int sshm_view_is_region(const struct sshm_view *view);
/* The received memfd, borrowed (valid until the last unref), -1 if inline,
 * -EINVAL for NULL. */
int sshm_view_fd(const struct sshm_view *view);
/* F_GET_SEALS of the region as verified, 0 if inline. */
unsigned int sshm_view_seals(const struct sshm_view *view);
/* Identity verdict of this message; the pointer is valid until the last unref. */
const struct sshm_identity *sshm_view_identity(const struct sshm_view *view);

/* ------------------------------------------------------------------------ */
/* Checking a descriptor by hand                                              */

/*
 * sshm_fd_verify - run the receive pipeline's fd checks on @fd
 * @size: announced size, or 0 to skip the size comparison
 * @policy: NULL for the default
 * @ret_seals: (optional, may be NULL) the seals found
 *
 * Never reads, polls or ioctls @fd.  Returns 0 if the policy accepts it.
 * Errors: -SSHM_ENOTREG, -SSHM_EOPATH, -SSHM_ENOTMEMFD, -SSHM_EHUGETLB,
 *   -SSHM_ESEALS, -SSHM_ESIZE, -SSHM_ETOOBIG, -SSHM_EHOLES, -EINVAL, -errno.
 */
int sshm_fd_verify(int fd, uint64_t size, const struct sshm_policy *policy,
		   unsigned int *ret_seals);

#ifdef __cplusplus
}
#endif

#endif /* SSHM_H */
