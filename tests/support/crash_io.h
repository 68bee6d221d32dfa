/* SPDX-License-Identifier: GPL-2.0 */
/*
 * crash_io.h --- an I/O manager for crash tests: it forwards to the unix
 * manager and, once its write budget is spent, silently drops every
 * further write, as if the machine had stopped at that moment.  In
 * torn mode the first write past the budget applies only its first k
 * sectors of 512 bytes before the rest are dropped: a write cut by the
 * power failure on a device that writes 512-byte sectors atomically.
 * In reorder mode (crash_model.h) it lets every write through up to
 * the end of a chosen flush epoch, logging that epoch's writes, and
 * drops everything after it.
 * E2ATOMIC_CRASH_TRACE in the environment prints every write (its
 * number, block and count) and every flush on standard error.
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
/*
 * Reorder mode, for the next run: apply the writes of epochs before
 * epoch, apply and log (to the file log, by crash_model_log) those of
 * epoch, let flush epoch + 1 through and drop every write after it.
 * A negative epoch turns it off.  It resets the write and flush
 * counts, and the budget to none (the two modes do not mix).
 */
void crash_io_set_epoch(long epoch, const char *log);
/*
 * Flushes seen since the last set_budget or set_epoch: after a run
 * without a crash, the run's last epoch.
 */
long crash_io_flushes(void);
/*
 * Where piece i of the crash epoch's log lies in the image (pieces as
 * crash_model_log cuts them, numbered as the selectors number them),
 * so that a test can name the piece of a given block.  Returns 0, or
 * -1 when the last run in reorder mode logged no such piece.
 */
int crash_io_piece(long i, unsigned long long *off, unsigned int *len);

#endif /* E2ATOMIC_CRASH_IO_H */
