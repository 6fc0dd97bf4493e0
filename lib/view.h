/* SPDX-License-Identifier: MIT */
#ifndef SSHM_VIEW_H
#define SSHM_VIEW_H

#include <stddef.h>
#include <stdint.h>

#include "sshm.h"

/*
 * A new view holding one reference on @channel, with copies of @meta and,
 * for an inline message, of @data.  NULL on ENOMEM.  @id 0: inline.
 */
struct sshm_view *view_new(struct sshm_channel *channel, uint64_t id,
			   const uint8_t *meta, size_t meta_len,
			   const uint8_t *data, size_t data_len,
			   const struct sshm_identity *identity);

/* Hands a verified, mapped region to the view, which then owns fd and map. */
void view_set_region(struct sshm_view *view, int fd, void *map, uint64_t size,
		     unsigned int seals);

#endif
