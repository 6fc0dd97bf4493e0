/* SPDX-License-Identifier: MIT */
#ifndef SSHM_CHANNEL_H
#define SSHM_CHANNEL_H

#include <stdint.h>

#include "sshm.h"

/*
 * A view of region @id was dropped: queue the RELEASE for the peer and try
 * to send it without blocking.
 */
void channel_release(struct sshm_channel *channel, uint64_t id);

#endif
