/* SPDX-License-Identifier: MIT */
/*
 * hostile - the harness of the test-hostile-* suites: the threat matrix in
 * doc/threat-model.md, one or more tests per row (test_hostile_rowNN_*),
 * split by group into suites of their own.
 *
 * The attacker is the raw end of a SOCK_SEQPACKET socketpair whose other
 * end the library adopted: it speaks the wire format of doc/protocol.md by
 * hand (testlib's raw_*, not the library's encoder), so it can send
 * anything.  Every case checks the error code, that the received fd was
 * closed (fd count), that nothing was mapped (test_map_count()), the
 * RELEASE sent back for a rejected region, and that the channel either
 * still works (an honest sealed region goes through) or is broken for good
 * (-SSHM_EBROKEN).  A row this kernel cannot exercise is a skip with its
 * reason, never a pass.
 */
#ifndef SSHM_TESTS_HOSTILE_H
#define SSHM_TESTS_HOSTILE_H

#include <stdint.h>
#include <sys/types.h>

#include "sshm.h"
#include "testlib.h"

/* ------------------------------------------------------------ raw consumer */

/*
 * One packet and the fds it carried (up to 4, closed by the caller): its
 * length, or -1.  What a raw consumer of the library's REGIONs reads.
 */
ssize_t raw_recv_fds(int sock, uint8_t *buf, size_t cap, int *fds, int *nfds,
		     int timeout_ms);
/* Reads one REGION from the library: its id, or 0.  Closes the fd. */
uint64_t raw_take_region(int sock, int timeout_ms);
/* Nothing at all is waiting for the attacker (no RELEASE, no HELLO...). */
int raw_quiet(int sock);

/* ------------------------------------------------------------ the attacker */

struct atk {
	struct sshm_channel *ch; /* the library's end */
	int raw;		 /* the attacker's end, -1 once closed */
};

/* Adopts one end; the attacker does NOT send its HELLO yet. */
void atk_open_nohello(struct atk *a, unsigned int flags);
/* Reads the library's HELLO (its constructor sent it at once). */
void atk_read_hello(struct atk *a);
/* Both HELLOs exchanged (the attacker's announces a window of 64). */
void atk_open_flags(struct atk *a, unsigned int flags);
void atk_open(struct atk *a);
/* The same, the attacker's HELLO announcing these limits (window 64). */
void atk_open_limits(struct atk *a, uint32_t inline_max, uint64_t max_size,
		     uint32_t meta_max);
void atk_close(struct atk *a);
/* A REGION without metadata passing @fd; 0 or -1. */
int atk_region(struct atk *a, uint64_t id, uint64_t size, int32_t announced, int fd);
/* An honest sealed region @id goes through and is released when dropped. */
void atk_check_usable(struct atk *a, uint64_t id);
/* The channel is broken for good: recv, flush and send all say so. */
void atk_check_broken(struct atk *a);

/*
 * The core of an fd-level rejection: the attacker sends REGION @id with
 * @fd (announced as itself, @size), recv under @pol returns @want, the
 * received fd is closed at once (fd count back to what it was before the
 * send), nothing was mapped, the RELEASE naming @id came back, and the
 * channel still carries an honest region (id @id + 1000).
 */
void expect_fd_rejected(struct atk *a, uint64_t id, int fd, uint64_t size,
			const struct sshm_policy *pol, int want);
/* One fresh attacker, one bad fd (closed here), one expected code. */
void fd_case(int fd, uint64_t size, int want);

/* ------------------------------------------------------------ verdicts */

/* A sealed region of @size bytes starting with "hostile". */
struct sshm_region *sealed_region(uint64_t size);
/* A rejection of the fd alone: the channel stays usable. */
int is_fd_verdict(int r);
/* A framing violation: the channel is broken for good. */
int is_framing(int r);

/* ------------------------------------------------------------ kernel */

/* memfd_create(2) knows MFD_NOEXEC_SEAL (Linux >= 6.3). */
int have_noexec_seal(void);

/*
 * Prints (once, before the tests) which kernel features this run has, so
 * that the skips read in context; then test_run().  Information only: it
 * is not a test and counts as none.
 */
int hostile_run(Suite *s);

#endif
