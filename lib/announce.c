/* SPDX-License-Identifier: MIT */
/*
 * announce - what a side tells its peer besides data: its HELLO at once,
 * a SENDER when another process sends from now on, a LIMITS when what it
 * accepts changed.
 */
#include <unistd.h>

#include "conn.h"
#include "private.h"
#include "self.h"
#include "socket.h"

int channel_send_hello(struct sshm_channel *ch)
{
	const struct wire_hello h = {
		.window = SSHM_WINDOW_DEFAULT,
		.inline_max = SSHM_INLINE_MAX,
		.max_size = 0,
		.meta_max = SSHM_META_MAX,
		.budget = SSHM_BUDGET_DEFAULT,
		.features = WIRE_F_SENDER | WIRE_F_COPY | WIRE_F_LIMITS,
	};
	uint8_t buf[WIRE_HELLO_EXT_LEN];
	struct iovec iov = { buf, wire_encode_hello(buf, &h) };

	return socket_send(ch->fd, &iov, 1, -1, 1);
}

static int announce_limits(struct sshm_channel *ch, int dontwait)
{
	const struct wire_limits l = { .window = ch->window, .budget = ch->budget };
	uint8_t buf[WIRE_LIMITS_LEN];
	struct iovec iov = { buf, wire_encode_limits(buf, &l) };
	int r;

	if (!ch->limits_unsent || !ch->have_hello ||
	    !(ch->hello.features & WIRE_F_LIMITS))
		return 0;
	r = socket_send(ch->fd, &iov, 1, -1, dontwait);
	if (r < 0)
		return dontwait && (r == -EAGAIN || r == -ENOBUFS) ? 0 : r;
	ch->announced = l;
	ch->limits_unsent = 0;
	return 0;
}

int channel_announce(struct sshm_channel *ch, int dontwait)
{
	uint8_t buf[WIRE_SENDER_LEN];
	struct iovec iov = { buf, 0 };
	pid_t self;
	int r;

	if (ch->hello.features & WIRE_F_SENDER) {
		self = self_pid();
		if (self != ch->sender) {
			iov.iov_len = wire_encode_sender(buf);
			r = socket_send(ch->fd, &iov, 1, -1, dontwait);
			if (r < 0)
				return dontwait && r == -EAGAIN ? 0 : r;
			ch->sender = self;
		}
	}
	return announce_limits(ch, dontwait);
}
