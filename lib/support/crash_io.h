/*
 * crash_io.h --- an I/O manager for crash tests: it forwards to the unix
 * manager and, once its write budget is spent, silently drops every
 * further write, as if the machine had stopped at that moment.  In
 * torn mode the first write past the budget applies only its first k
 * sectors of 512 bytes before the rest are dropped: a write cut by the
 * power failure on a device that writes 512-byte sectors atomically.
 * E2ATOMIC_CRASH_TRACE in the environment prints every write (its
 * number, block and count) on standard error.
 */

#ifndef E2ATOMIC_CRASH_IO_H
#define E2ATOMIC_CRASH_IO_H

#include <ext2fs/ext2fs.h>

extern io_manager crash_io_manager;

/* Writes allowed from now on; a negative budget never runs out. */
void crash_io_set_budget(long budget);
/*
 * Torn mode: the write past the budget applies its first sectors
 * 512-byte sectors (a shorter write applies whole); 0 turns it off.
 * It stays until changed.
 */
void crash_io_set_torn(int sectors);
/* Writes issued (applied or dropped) since the last set_budget. */
long crash_io_writes(void);

#endif /* E2ATOMIC_CRASH_IO_H */
