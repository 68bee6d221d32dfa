/* SPDX-License-Identifier: GPL-2.0 */
/*
 * wrapio.h --- channels of I/O managers that wrap another channel.
 */

#ifndef E2ATOMIC_WRAPIO_H
#define E2ATOMIC_WRAPIO_H

#include <ext2fs/ext2fs.h>

errcode_t wrapio_new(io_manager self, const char *name, io_channel real,
		     void *priv, io_channel *ret);
void wrapio_free(io_channel channel);

#endif /* E2ATOMIC_WRAPIO_H */
