/* SPDX-License-Identifier: MIT */
/*
 * attack-framing - rows 10, 11 and 14 of the threat matrix: control messages
 * (two descriptors, two SCM_RIGHTS, more descriptors than the consumer's
 * control buffer holds, none with a REGION, one with anything else, an
 * unknown type), packet lengths (zero, with and without a descriptor, one
 * byte past the largest), and headers (magic, version, type, reserved
 * bytes, lengths, field ranges, sequence, COPY and SENDER where they do
 * not belong, random bytes).  Each is a violation of steps 1-3 of
 * doc/protocol.md: the consumer must close the connection, and the valid
 * sealed memfds the packet carried must never be mapped.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "hostile.h"

/* The well-formed packet a violation starts from. */
enum base {
	B_NONE,
	B_REGION,      /* id 1, 4096 bytes, the first descriptor announced */
	B_REGION_META, /* the same with the 4 bytes "meta" */
	B_INLINE,      /* the byte "x" */
	B_HELLO,
	B_RELEASE,  /* of id 1 */
	B_RELEASE2, /* of ids 1 and 2 */
	B_RELEASE0, /* of nothing */
	B_SENDER,
	B_COPY,	      /* the first 10 bytes of 100 */
	B_COPY_WHOLE, /* 10 bytes of 10 */
};

/* A field overwritten: @width bytes (1, 4 or 8) at @at. */
struct patch {
	uint8_t at, width;
	uint64_t value;
};

#define ZERO_LENGTH INT32_MIN

struct framing {
	enum base base;
	uint8_t nfds;
	uint8_t first;	/* sent instead of our HELLO */
	int32_t resize; /* bytes appended, or cut off when negative */
	struct patch p[2];
	enum base then; /* a second packet: B_COPY at offset 50, or B_INLINE */
	int control;	/* the control data: CTL_* */
};

#define CTL_RIGHTS  0 /* one SCM_RIGHTS of the descriptors, if any */
#define CTL_TWO	    1 /* two SCM_RIGHTS of one descriptor each */
#define CTL_UNKNOWN 2 /* one control message of type 0x7f */

/* Large enough for one byte past the largest packet, and then some. */
static uint8_t pkt[PKT_PACKET_MAX + 65536];

static size_t build_base(enum base b, int fd, uint64_t offset)
{
	static const uint64_t ids[2] = { 1, 2 };

	switch (b) {
	case B_REGION:
	case B_REGION_META:
		return pkt_region(pkt, 1, 4096, fd < 0 ? 3 : fd, "meta",
				  b == B_REGION_META ? 4 : 0);
	case B_INLINE:
		return pkt_inline(pkt, "x", 1);
	case B_HELLO:
		return pkt_hello(pkt, 64, PKT_F_SENDER);
	case B_RELEASE:
	case B_RELEASE2:
	case B_RELEASE0:
		return pkt_release(pkt, ids,
				   b == B_RELEASE    ? 1
				   : b == B_RELEASE2 ? 2
						     : 0);
	case B_SENDER:
		return pkt_sender(pkt);
	case B_COPY:
		return pkt_copy(pkt, 100, offset, "0123456789", 10);
	case B_COPY_WHOLE:
		return pkt_copy(pkt, 10, 0, "0123456789", 10);
	default:
		return 0;
	}
}

/* The violating packet into pkt: its length. */
static size_t build(const struct framing *f, int fd)
{
	size_t n = build_base(f->base, fd, 0);
	unsigned int i;

	if (f->resize == ZERO_LENGTH)
		return 0;
	if (f->resize > 0)
		memset(pkt + n, 'z', (size_t)f->resize);
	n = (size_t)((ssize_t)n + f->resize);
	for (i = 0; i < ELEMENTSOF(f->p); i++) {
		if (f->p[i].width == 1)
			pkt[f->p[i].at] = (uint8_t)f->p[i].value;
		else if (f->p[i].width == 4)
			sshm_put_le32(pkt + f->p[i].at, (uint32_t)f->p[i].value);
		else if (f->p[i].width == 8)
			sshm_put_le64(pkt + f->p[i].at, f->p[i].value);
	}
	return n;
}

/* Control data of the kind no peer may send: two SCM_RIGHTS, or one of an
 * unknown type (a kernel that refuses to forward it makes that a skip). */
static int send_custom(struct run *r, struct conn *c, int control, const int *fds,
		       size_t len)
{
	union {
		struct cmsghdr h;
		char buf[2 * CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec iov = { .iov_base = pkt, .iov_len = len };
	struct msghdr m;
	struct cmsghdr *h;
	int i, e;

	memset(&ctl, 0, sizeof(ctl));
	memset(&m, 0, sizeof(m));
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = ctl.buf;
	m.msg_controllen = control == CTL_TWO ? sizeof(ctl.buf) : CMSG_SPACE(sizeof(int));
	h = CMSG_FIRSTHDR(&m);
	for (i = 0; h && i < (control == CTL_TWO ? 2 : 1); i++) {
		h->cmsg_level = SOL_SOCKET;
		h->cmsg_type = control == CTL_TWO ? SCM_RIGHTS : 0x7f;
		h->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(h), &fds[i], sizeof(int));
		h = CMSG_NXTHDR(&m, h);
	}
	e = peer_sendmsg(c, &m, len, peer_deadline(r));
	if (e == -EINVAL && control == CTL_UNKNOWN)
		run_skip(r, "the kernel refuses to send an unknown SOL_SOCKET control "
			    "message (EINVAL): no peer can deliver one");
	return e;
}

/* Connects @c and sends the violation @f on it: 0, or the error of a send. */
static int send_violation(struct run *r, const struct framing *f, struct conn *c)
{
	int fds[64], i, e;
	size_t len;

	fds[0] = -1;
	for (i = 0; i < f->nfds && i < (int)ELEMENTSOF(fds); i++)
		if ((fds[i] = obj_sealed(r, 4096, OBJ_UNTOUCHED)) < 0)
			return -ENOMEM;
	if (peer_connect(r, c) < 0 || (!f->first && peer_send_hello(r, c) < 0) ||
	    peer_read_hello(r, c) < 0)
		return -ENOTCONN;
	len = build(f, fds[0]);
	if (f->control != CTL_RIGHTS)
		e = send_custom(r, c, f->control, fds, len);
	else
		e = peer_send(c, pkt, len, fds, i, peer_deadline(r));
	if (e == 0 && f->then != B_NONE)
		e = peer_send(c, pkt, build_base(f->then, -1, 50), NULL, 0,
			      peer_deadline(r));
	return e;
}

static void framing(struct run *r, int arg)
{
	const struct framing *f = r->a->spec;
	struct conn *c;
	int e;

	if (f->base == B_COPY_WHOLE && (r->c->hello.features & PKT_F_COPY)) {
		run_skip(r, "the consumer announced COPY");
		return;
	}
	if (!(c = peer_new(r)))
		return;
	e = send_violation(r, f, c);
	if (run_failed(r))
		return;
	/* Closed already (-EPIPE): broken, as expected, and seen below. */
	if (e < 0 && e != -EPIPE) {
		run_fail(r, "sending the packet: %s", strerror(-e));
		return;
	}
	expect_broken(r, c);
}

/* Random packets of 1 to 256 bytes, one per connection, a descriptor with
 * every other one; the same bytes on every run. */
static void random_bytes(struct run *r, int arg)
{
	uint64_t x = 0x9e3779b97f4a7c15ull;
	unsigned int i, k, broken = 0, n = 8;
	struct conn *c;
	size_t len;
	int fd = -1;

	for (i = 0; i < n && !run_failed(r); i++) {
		x ^= x >> 12, x ^= x << 25, x ^= x >> 27;
		len = 1 + (size_t)(x % 256);
		for (k = 0; k < len; k++) {
			x ^= x >> 12, x ^= x << 25, x ^= x >> 27;
			pkt[k] = (uint8_t)((x * 0x2545f4914f6cdd1dull) >> 56);
		}
		if (len >= 4 && sshm_get_le32(pkt) == PKT_MAGIC)
			pkt[0] ^= 0xff;
		if (i % 2 && (fd = obj_sealed(r, 4096, OBJ_UNTOUCHED)) < 0)
			return;
		if (!(c = peer_start(r)))
			return;
		if (peer_send(c, pkt, len, &fd, i % 2, peer_deadline(r)) == -ETIMEDOUT) {
			run_fail(r, "the consumer stopped reading");
			return;
		}
		expect_broken(r, c);
		broken += !run_failed(r);
		peer_close(c);
	}
	r->observed[0] = '\0';
	run_note(r, "%u/%u connections closed by the consumer", broken, n);
}

#define FR(n, r, w, ...)                                                                 \
	{                                                                                \
		.name = n, .row = r, .expected = "broken", .what = w, .fn = framing,     \
		.spec = &(const struct framing)                                          \
		{                                                                        \
			__VA_ARGS__                                                      \
		}                                                                        \
	}
#define P(where, w, v)                                                                   \
	{                                                                                \
		.at = (where), .width = (w), .value = (v)                                \
	}

const struct attack attacks_framing[] = {
	/* row 10: control messages */
	FR("two-fds", 10, "a REGION carrying two descriptors", .base = B_REGION,
	   .nfds = 2),
	FR("two-rights", 10, "a REGION with two SCM_RIGHTS messages", .base = B_REGION,
	   .nfds = 2, .control = CTL_TWO),
	FR("ctrunc", 10,
	   "truncated control data: 64 descriptors, past the consumer's buffer",
	   .base = B_REGION, .nfds = 64),
	FR("region-without-fd", 10, "a REGION without any control message",
	   .base = B_REGION),
	FR("inline-with-fd", 10, "an INLINE carrying a descriptor", .base = B_INLINE,
	   .nfds = 1),
	FR("release-with-fd", 10, "a RELEASE carrying a descriptor", .base = B_RELEASE,
	   .nfds = 1),
	FR("hello-with-fd", 10, "the first HELLO carrying a descriptor", .base = B_HELLO,
	   .nfds = 1, .first = 1),
	FR("sender-with-fd", 10, "a SENDER carrying a descriptor", .base = B_SENDER,
	   .nfds = 1),
	FR("unknown-cmsg", 10, "a control message of an unknown type", .base = B_INLINE,
	   .nfds = 1, .control = CTL_UNKNOWN),
	/* row 11: lengths */
	FR("zero-length-fd", 11, "a zero-length packet with a descriptor",
	   .base = B_REGION, .nfds = 1, .resize = ZERO_LENGTH),
	FR("zero-length", 11, "a zero-length packet (credentials only)", .base = B_INLINE,
	   .resize = ZERO_LENGTH),
	FR("oversized", 11, "an INLINE one byte past the largest packet (69649 bytes)",
	   .base = B_INLINE, .resize = PKT_PACKET_MAX + 1 - 17,
	   .p = { P(8, 4, PKT_META_MAX), P(12, 4, PKT_INLINE_MAX) }),
	FR("oversized-fd", 11, "an oversized REGION with a descriptor", .base = B_REGION,
	   .nfds = 1, .resize = PKT_PACKET_MAX + 1 - 32, .p = { P(28, 4, PKT_META_MAX) }),
	/* row 14: headers, fields, sequence */
	FR("bad-magic", 14, "a REGION with a wrong magic", .base = B_REGION, .nfds = 1,
	   .p = { P(0, 4, PKT_MAGIC + 1) }),
	FR("swapped-magic", 14, "a REGION with a byte-swapped magic", .base = B_REGION,
	   .nfds = 1, .p = { P(0, 4, 0x5353484d) }),
	FR("version-0", 14, "a REGION of version 0", .base = B_REGION, .nfds = 1,
	   .p = { P(4, 1, 0) }),
	FR("version-2", 14, "an INLINE of version 2", .base = B_INLINE,
	   .p = { P(4, 1, 2) }),
	FR("hello-version", 14, "a first HELLO of version 255", .base = B_HELLO,
	   .first = 1, .p = { P(4, 1, 255) }),
	FR("type-0", 14, "a message of type 0 with a descriptor", .base = B_REGION,
	   .nfds = 1, .p = { P(5, 1, 0) }),
	FR("type-7", 14, "a message of type 7 (unknown)", .base = B_INLINE,
	   .p = { P(5, 1, 7) }),
	FR("type-255", 14, "a message of type 255", .base = B_INLINE,
	   .p = { P(5, 1, 255) }),
	FR("reserved-byte", 14, "a REGION with a reserved header byte set",
	   .base = B_REGION, .nfds = 1, .p = { P(6, 1, 1) }),
	FR("hello-31-bytes", 14, "a first HELLO of 31 bytes", .base = B_HELLO, .first = 1,
	   .resize = -17),
	FR("hello-40-bytes", 14, "a first HELLO of 40 bytes (33 to 47 are malformed)",
	   .base = B_HELLO, .first = 1, .resize = -8),
	FR("hello-window-0", 14, "a first HELLO announcing window 0", .base = B_HELLO,
	   .first = 1, .p = { P(8, 4, 0) }),
	FR("hello-reserved", 14, "a first HELLO with its reserved field set",
	   .base = B_HELLO, .first = 1, .p = { P(28, 4, 1) }),
	FR("region-31-bytes", 14, "a REGION of 31 bytes", .base = B_REGION, .nfds = 1,
	   .resize = -1),
	FR("meta-len-lies", 14, "a REGION whose meta_len exceeds the packet",
	   .base = B_REGION_META, .nfds = 1, .p = { P(28, 4, 5) }),
	FR("meta-len-4097", 14, "a REGION with 4097 bytes of metadata", .base = B_REGION,
	   .nfds = 1, .resize = PKT_META_MAX + 1, .p = { P(28, 4, PKT_META_MAX + 1) }),
	FR("region-id-0", 14, "a REGION of id 0", .base = B_REGION, .nfds = 1,
	   .p = { P(8, 8, 0) }),
	FR("announced-negative", 14, "a REGION announcing fd -1", .base = B_REGION,
	   .nfds = 1, .p = { P(24, 4, UINT32_MAX) }),
	FR("inline-overflow", 14, "an INLINE whose meta_len + data_len wraps around",
	   .base = B_INLINE, .p = { P(8, 4, UINT32_MAX), P(12, 4, 2) }),
	FR("inline-65537", 14, "an INLINE of 65537 data bytes", .base = B_INLINE,
	   .resize = PKT_INLINE_MAX, .p = { P(12, 4, PKT_INLINE_MAX + 1) }),
	FR("release-count-0", 14, "a RELEASE of no id", .base = B_RELEASE0),
	FR("release-count-lies", 14, "a RELEASE counting more ids than it holds",
	   .base = B_RELEASE2, .p = { P(8, 4, 3) }),
	FR("release-unknown-id", 14, "a RELEASE of an id never sent", .base = B_RELEASE),
	FR("no-hello-first", 14, "a REGION before any HELLO", .base = B_REGION, .nfds = 1,
	   .first = 1),
	FR("second-hello", 14, "a second HELLO", .base = B_HELLO),
	FR("sender-bad", 14, "a SENDER with its reserved field set", .base = B_SENDER,
	   .p = { P(8, 1, 1) }),
	FR("copy-unannounced", 14, "a COPY to a consumer that did not announce COPY",
	   .base = B_COPY_WHOLE),
	FR("copy-out-of-sequence", 14, "a COPY piece that leaves a gap after the first",
	   .base = B_COPY, .then = B_COPY),
	FR("copy-interleaved", 14, "an INLINE between two pieces of a COPY",
	   .base = B_COPY, .then = B_INLINE),
	ATTACK("random-bytes", 14, "broken",
	       "eight packets of random bytes, one per connection", random_bytes, 0),
};
const size_t n_attacks_framing = ELEMENTSOF(attacks_framing);
