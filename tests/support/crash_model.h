/* SPDX-License-Identifier: GPL-2.0 */
/*
 * crash_model.h --- the reordering crash model, shared by the library's
 * crash I/O manager (crash_io.c) and the tools' LD_PRELOAD shim
 * (tests/crash/crash_preload.c).
 *
 * The model (../shared/design/QUALITY.md): a write is durable only
 * after the next flush; after a power cut any subset of the writes made
 * since the last flush may be on disk, and each of them may be torn at
 * any 512-byte sector.  Writes since the last flush are NOT applied in
 * the order made.
 *
 * Flushes cut a run into epochs: epoch 0 is every write before the
 * first flush, epoch e every write between flush e and flush e + 1.
 * To crash in epoch E, a run applies every write of epochs before E,
 * applies and also logs every write of epoch E, and drops every write
 * after flush E + 1 (that flush never completes).  The log splits each
 * write into pieces at 4 KiB file-offset boundaries (a piece never
 * crosses a page) and keeps, for each piece, the content of its page
 * just before the write.  crash_model_apply() then turns the image
 * (which holds every write of epoch E) into one crash state: every
 * page the epoch touched back to its content at the start of the
 * epoch, then the pieces the selector keeps re-applied in the order
 * they were made (so a page may end in an intermediate version, as a
 * write-back between two writes would leave it).
 *
 * The log is a file, so that several processes (a front end and the
 * stock program it runs) append to one log; appends are made with
 * O_APPEND and one write() per record.
 */

#ifndef E2ATOMIC_CRASH_MODEL_H
#define E2ATOMIC_CRASH_MODEL_H

#include <stdint.h>
#include <sys/types.h>

#define CRASH_PAGE	4096
#define CRASH_SECTOR	512

/*
 * Log a write of len bytes at off to the image open as fd, before it
 * is applied: split into pieces, each with its page's current content.
 * data NULL: the range becomes zeros (fallocate punch or zero range).
 * Returns 0, or -1 with errno set.
 */
int crash_model_log(const char *log, int fd, off_t off, size_t len,
		    const void *data);

/* Pieces in a log (0 for a missing or empty log), -1 on a bad log. */
long crash_model_pieces(const char *log);

/*
 * Selectors: which logged pieces a crash state keeps.
 *   "all"           every piece (the epoch fully on disk)
 *   "none"          no piece (the epoch wholly lost)
 *   "drop:I"        every piece but piece I (0-based)
 *   "tear:I:K"      every piece, piece I cut after its K-th sector
 *                   (sectors counted on the device, from 512-byte
 *                   boundaries: the first K sector boundaries after
 *                   the piece's start end it)
 *   "rand:S"        seed S: each piece kept with probability 1/2, and
 *                   a kept piece of more than one sector torn at a
 *                   random sector with probability 1/4
 * Returns 0, or -1 (bad selector, I/O error) with a message on stderr.
 */
int crash_model_apply(const char *image, const char *log,
		      const char *selector);

/* Sectors of piece i (for the tear selectors), -1 when there is none. */
int crash_model_piece_sectors(const char *log, long i);

#endif /* E2ATOMIC_CRASH_MODEL_H */
