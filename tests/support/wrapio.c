// SPDX-License-Identifier: GPL-2.0
/*
 * wrapio.c --- the channel of an I/O manager that wraps another one
 * (the stock view, the crash-test manager): same name, block size and
 * flags as the real channel, with the manager's private data.
 */

#include <string.h>

#include "wrapio.h"

errcode_t wrapio_new(io_manager self, const char *name, io_channel real,
		     void *priv, io_channel *ret)
{
	io_channel channel;
	errcode_t err;

	err = ext2fs_get_memzero(sizeof(*channel), &channel);
	if (err)
		return err;
	err = ext2fs_get_mem(strlen(name) + 1, &channel->name);
	if (err) {
		ext2fs_free_mem(&channel);
		return err;
	}
	strcpy(channel->name, name);
	channel->magic = EXT2_ET_MAGIC_IO_CHANNEL;
	channel->manager = self;
	channel->block_size = real->block_size;
	channel->refcount = 1;
	channel->flags = real->flags;
	channel->private_data = priv;
	*ret = channel;
	return 0;
}

/* Free the wrapping channel only; its real channel is the caller's. */
void wrapio_free(io_channel channel)
{
	ext2fs_free_mem(&channel->name);
	ext2fs_free_mem(&channel);
}
