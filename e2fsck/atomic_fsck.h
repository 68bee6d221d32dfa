/*
 * atomic_fsck.h --- the atomic pass of e2fsck: context and problem codes.
 */

#ifndef E2ATOMIC_FSCK_H
#define E2ATOMIC_FSCK_H

#include <stdio.h>
#include "ext2fs_atomic.h"

/* fsck exit status bits (fsck(8)) */
#define FSCK_OK			0
#define FSCK_NONDESTRUCT	1
#define FSCK_REBOOT		2
#define FSCK_UNCORRECTED	4
#define FSCK_ERROR		8
#define FSCK_USAGE		16
#define FSCK_CANCELED		32

/* Modes, as e2fsck's -n, -y, -p/-a and interactive. */
#define OPT_NO		0x1
#define OPT_YES		0x2
#define OPT_PREEN	0x4

struct atomic_ctx {
	const char		*program;
	const char		*device;
	int			options;
	blk64_t			superblock;	/* -b */
	unsigned int		blocksize;	/* -B */
	const char		*undo_file;	/* -z: ours gets ".atomic" */
	FILE			*progress;	/* -C fd */
	ext2_filsys		fs;
	ext2fs_atomic_alloc_t	ac;
	int			status;		/* FSCK_* bits of the pass */
	int			changed;
	int			halt;		/* preen met a hard problem */
	int			header_first;	/* print Pass A's header even
						   if nothing is found */
	int			header_done;
};

/* What a message is about. */
struct problem_context {
	ext2_ino_t	ino;
	__u16		mode;
	__u64		first, last;	/* windows */
	__u64		count;
	int		problems;	/* EXT2FS_ATOMIC_* */
	unsigned int	log_unit;
	char		unit[64];
	errcode_t	errcode;
};

/* Problem codes: stable, never reused. */
#define PR_A_UNIT_INVALID		0x0A0001
#define PR_A_UNIT_NO_FEATURE		0x0A0002
#define PR_A_SET_FEATURE		0x0A0003
#define PR_A_FLAG_NO_FEATURE		0x0A0004
#define PR_A_FLAG_BAD_TYPE		0x0A0005
#define PR_A_FLAG_NOT_EXTENTS		0x0A0006
#define PR_A_FLAG_INLINE		0x0A0007
#define PR_A_FLAG_JOURNAL_DATA		0x0A0008
#define PR_A_WINDOW_BROKEN		0x0A0009
#define PR_A_NO_ALIGNED_SPACE		0x0A000A
#define PR_A_PASS_HEADER		0x0A000B

int fix_problem(struct atomic_ctx *ctx, int code, struct problem_context *pctx);
void clear_problem_context(struct problem_context *pctx);
int atomic_pass(struct atomic_ctx *ctx);

#endif /* E2ATOMIC_FSCK_H */
