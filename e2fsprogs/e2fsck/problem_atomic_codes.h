/* SPDX-License-Identifier: GPL-2.0 */
/*
 * problem_atomic_codes.h --- the problem codes of e2fsck's atomic pass
 * (pass_atomic.c), included by problem.h.
 *
 * The codes are stable: e2fsck.conf's [problems] section and scripts
 * name them.  They sit above every other pass's codes, so that their
 * entries (problem_atomic.h) close problem_table[] in ascending order.
 */

#ifndef E2FSCK_PROBLEM_ATOMIC_CODES_H
#define E2FSCK_PROBLEM_ATOMIC_CODES_H

/* The superblock's atomic write unit is invalid */
#define PR_A_UNIT_INVALID		0x0A0001

/* An atomic write unit is recorded without the atomic_write feature */
#define PR_A_UNIT_NO_FEATURE		0x0A0002

/* Flagged inodes, no feature, a valid unit recorded: set the feature */
#define PR_A_SET_FEATURE		0x0A0003

/* Atomic_Write flag without the atomic_write feature */
#define PR_A_FLAG_NO_FEATURE		0x0A0004

/* Atomic_Write flag on an inode that is neither a file nor a directory */
#define PR_A_FLAG_BAD_TYPE		0x0A0005

/* Atomic_Write flag on a block-mapped file */
#define PR_A_FLAG_NOT_EXTENTS		0x0A0006

/* Atomic_Write flag on a file with inline data */
#define PR_A_FLAG_INLINE		0x0A0007

/* Atomic_Write flag on a file with data journalling */
#define PR_A_FLAG_JOURNAL_DATA		0x0A0008

/* Atomic write windows that break the alignment rule */
#define PR_A_WINDOW_BROKEN		0x0A0009

/* No free aligned run to move broken windows to */
#define PR_A_NO_ALIGNED_SPACE		0x0A000A

/* Pass A: Checking atomic write alignment */
#define PR_A_PASS_HEADER		0x0A000B

/* Error allocating the list of atomic inodes (pass 1) */
#define PR_A_NOTE_ERROR			0x0A000C

/* Error while checking or repairing an atomic inode */
#define PR_A_INODE_ERROR		0x0A000D

/* Broken windows left: problems left unfixed make the bitmaps unsure */
#define PR_A_WINDOW_NOT_MOVED		0x0A000E

#endif /* E2FSCK_PROBLEM_ATOMIC_CODES_H */
