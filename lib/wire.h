/* SPDX-License-Identifier: MIT */
/*
 * wire - sshm message headers: encode and decode, pure functions on bytes.
 * No I/O, no allocation, no fds: this is the fuzzable part of the receive
 * path.  doc/protocol.md is the normative description; keep them in step.
 */
#ifndef SSHM_WIRE_H
#define SSHM_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define WIRE_MAGIC   0x4d485353u /* "SSHM" as little-endian bytes */
#define WIRE_VERSION 1u

enum wire_type {
	WIRE_HELLO = 1,
	WIRE_REGION = 2,
	WIRE_INLINE = 3,
	WIRE_RELEASE = 4,
	/* Only to a peer whose HELLO announced them (WIRE_F_*): */
	WIRE_COPY = 5,
	WIRE_SENDER = 6,
	WIRE_LIMITS = 7,
};

/* HELLO features: what the HELLO's author accepts and does. */
#define WIRE_F_COPY 0x1u /* accepts COPY messages */
#define WIRE_F_SENDER                                                                    \
	0x2u		   /* accepts SENDER, and sends one before it sends              \
			    * from another process than before */
#define WIRE_F_LIMITS 0x4u /* accepts LIMITS messages */
#define WIRE_F_KNOWN  (WIRE_F_COPY | WIRE_F_SENDER | WIRE_F_LIMITS)

#define WIRE_COMMON_LEN	   8u
#define WIRE_HELLO_LEN	   32u
#define WIRE_REGION_LEN	   32u /* + meta */
#define WIRE_INLINE_LEN	   16u /* + meta + data */
#define WIRE_RELEASE_LEN   16u /* + 8 * count */
#define WIRE_HELLO_EXT_LEN 48u /* the HELLO with budget and features */
#define WIRE_COPY_LEN	   32u /* + meta + data */
#define WIRE_SENDER_LEN	   16u
#define WIRE_LIMITS_LEN	   24u

/* Hard protocol limits: a peer may announce less, never more. */
#define WIRE_META_MAX	 4096u
#define WIRE_INLINE_MAX	 65536u
#define WIRE_WINDOW_MAX	 4096u
#define WIRE_RELEASE_MAX WIRE_WINDOW_MAX
/* The largest packet any valid message can be. */
#define WIRE_PACKET_MAX (WIRE_INLINE_LEN + WIRE_META_MAX + WIRE_INLINE_MAX)

struct wire_hello {
	uint32_t window;     /* regions the sender accepts unreleased, >= 1 */
	uint32_t inline_max; /* largest inline payload it accepts */
	uint64_t max_size;   /* largest region it accepts, 0: unstated */
	uint32_t meta_max;   /* largest metadata blob it accepts */
	/* Past byte 32; a version-1 HELLO of 32 bytes leaves them 0. */
	uint64_t budget;   /* bytes of unreleased regions it accepts, 0: unstated */
	uint32_t features; /* WIRE_F_*; unknown bits are ignored */
	int extended;	   /* decoded: the peer sent the 48-byte form (knows budgets) */
};

struct wire_region {
	uint64_t id;	      /* != 0, chosen by the sender */
	uint64_t size;	      /* announced st_size */
	int32_t announced_fd; /* sender's fd number for kcmp, >= 0 */
	uint32_t meta_len;
};

struct wire_inline {
	uint32_t meta_len;
	uint32_t data_len;
};

struct wire_release {
	uint32_t count; /* 1..WIRE_RELEASE_MAX */
};

/* What the sender of this message accepts from now on, as in its HELLO. */
struct wire_limits {
	uint32_t window; /* >= 1 */
	uint64_t budget; /* 0: unstated */
};

/* One packet of a payload copied through the socket in pieces. */
struct wire_copy {
	uint64_t total;	   /* the whole payload, > 0 */
	uint64_t offset;   /* of this piece's data; 0 for the first */
	uint32_t meta_len; /* only in the first piece */
	uint32_t data_len; /* > 0, offset + data_len <= total */
};

struct wire_msg {
	enum wire_type type;
	union {
		struct wire_hello hello;
		struct wire_region region;
		struct wire_inline inl;
		struct wire_release release;
		struct wire_copy copy;
		struct wire_limits limits;
	} u;
	const uint8_t *meta; /* into the decoded buffer, NULL if none */
	const uint8_t *data; /* INLINE, COPY payload (data_len bytes; never NULL) */
	const uint8_t *ids;  /* RELEASE ids, count * 8 bytes little-endian */
};

/*
 * Decode one packet of @len bytes.  Checks magic, version, type, reserved
 * bits and that the lengths add up to exactly @len with no overflow.
 * Returns 0, -SSHM_EHEADER or -SSHM_EVERSION.  @ret written on success only.
 */
int wire_decode(const void *buf, size_t len, struct wire_msg *ret);

/*
 * A COPY piece whose header (WIRE_COPY_LEN bytes at @head) was read apart
 * from its data: checks the header as wire_decode() would for a packet of
 * @len bytes in all, with no metadata (only a first piece has some).
 * 0 or -SSHM_EHEADER, -SSHM_EVERSION; @ret written on success only.
 */
int wire_decode_copy_piece(const void *head, size_t len, struct wire_copy *ret);

/* Release id number @i of a decoded RELEASE (i < count). */
uint64_t wire_release_id(const struct wire_msg *msg, uint32_t i);

/*
 * Encoders write the fixed part (a HELLO always in its extended form) into @buf (which
 * must hold the *_LEN bytes) and return its length; the caller appends meta/data/ids with
 * iovecs.
 */
size_t wire_encode_hello(uint8_t *buf, const struct wire_hello *h);
size_t wire_encode_region(uint8_t *buf, const struct wire_region *r);
size_t wire_encode_inline(uint8_t *buf, const struct wire_inline *in);
size_t wire_encode_release(uint8_t *buf, uint32_t count);
size_t wire_encode_copy(uint8_t *buf, const struct wire_copy *c);
size_t wire_encode_sender(uint8_t *buf);
size_t wire_encode_limits(uint8_t *buf, const struct wire_limits *l);
/* Append-encode one id for a RELEASE at @buf (8 bytes). */
void wire_put_id(uint8_t *buf, uint64_t id);

#endif
