// SPDX-License-Identifier: GPL-2.0
/*
 * pass_atomic.c --- e2fsck's atomic pass: the atomic_write feature, its
 * unit and the files with the Atomic_Write flag.
 *
 * Pass 1 notes every inode in use with EXT4_ATOMIC_FL while it scans
 * the inode tables (e2fsck_note_atomic_inode()); this pass reads only
 * those inodes.  It runs after pass 5, because a repair allocates
 * blocks and so needs the block bitmap that pass 5 has made right.
 *
 *   1. the superblock: with the feature the unit must be valid; without
 *      it, flagged files get the feature back when the unit recorded is
 *      valid;
 *   2. each noted inode still in use and still flagged: the feature
 *      must be on and the inode a directory (the flag passes to new
 *      files) or a regular file with extents, neither inline data nor
 *      data journalling;
 *   3. every window of every atomic regular file obeys the alignment
 *      rule; a broken window is moved to a free aligned run by the
 *      library's relocator, data kept; when no run is free, the flag is
 *      cleared, data kept where it is;
 *   4. without the feature the unit byte must be zero.
 *
 * Writes go through ctx->fs->io, so -z's undo file covers them.  The
 * relocations of all files share one batch of the library's allocator
 * (copies and new tree blocks flushed once before the inodes that
 * switch to them are written), which keeps the file data safe when a
 * crash drops or reorders writes.  The bitmaps of a relocation reach
 * the disk only when e2fsck closes the filesystem; so before its first
 * change the pass clears the superblock's valid state on disk, and
 * e2fsck sets it again only at its normal end: a crash in the middle of
 * a repair leaves a filesystem that the next boot checks in full.
 */

#include "config.h"
#include <string.h>

#include "e2fsck.h"
#include "problem.h"
#include "ext2fs/ext2fs_atomic.h"

/* The pass number e2fsck's -C progress reports */
#define ATOMIC_PASS	6

struct atomic_pass {
	e2fsck_t		ctx;
	ext2fs_atomic_alloc_t	ac;	/* opened at the first relocation */
	int			feature;	/* and a valid unit */
	int			marked;	/* not clean, on disk */
	int			may_move;	/* nothing left unfixed before */
};

struct window_list {
	struct ext2fs_atomic_violation	*v;
	size_t				nr, alloc;
};

void e2fsck_note_atomic_inode(e2fsck_t ctx, ext2_ino_t ino)
{
	struct problem_context pctx;

	clear_problem_context(&pctx);
	if (!ctx->atomic_inodes)
		pctx.errcode = ext2fs_u32_list_create(&ctx->atomic_inodes, 16);
	if (!pctx.errcode)
		pctx.errcode = ext2fs_u32_list_add(ctx->atomic_inodes, ino);
	if (pctx.errcode) {
		fix_problem(ctx, PR_A_NOTE_ERROR, &pctx);
		ctx->flags |= E2F_FLAG_ABORT;
	}
}

static void inode_error(struct atomic_pass *ap, ext2_ino_t ino,
			errcode_t err)
{
	struct problem_context pctx;

	clear_problem_context(&pctx);
	pctx.ino = ino;
	pctx.errcode = err;
	fix_problem(ap->ctx, PR_A_INODE_ERROR, &pctx);	/* fatal */
}

/*
 * Before the first change: the superblock says "not clean" on disk
 * (behind a flush), so that a crash during the repair is followed by a
 * full check.  e2fsck's normal end sets the state again.
 */
static void begin_repair(struct atomic_pass *ap)
{
	ext2_filsys fs = ap->ctx->fs;
	errcode_t err;

	if (ap->marked)
		return;
	ap->marked = 1;
	fs->super->s_state &= ~EXT2_VALID_FS;
	ext2fs_mark_super_dirty(fs);
	err = ext2fs_flush(fs);
	if (err)
		inode_error(ap, 0, err);
}

/* Inodes go through the batch once relocations have begun. */
static void read_inode(struct atomic_pass *ap, ext2_ino_t ino,
		       struct ext2_inode *inode)
{
	errcode_t err;

	if (!ap->ac) {
		e2fsck_read_inode(ap->ctx, ino, inode, "pass_atomic");
		return;
	}
	err = ext2fs_atomic_read_inode(ap->ac, ino, inode);
	if (err)
		inode_error(ap, ino, err);
}

static void clear_flag(struct atomic_pass *ap, ext2_ino_t ino,
		       struct ext2_inode *inode)
{
	errcode_t err;

	begin_repair(ap);
	inode->i_flags &= ~EXT4_ATOMIC_FL;
	if (!ap->ac) {
		e2fsck_write_inode(ap->ctx, ino, inode, "pass_atomic");
		return;
	}
	err = ext2fs_atomic_write_inode(ap->ac, ino, inode);
	if (err)
		inode_error(ap, ino, err);
}

/* A noted inode that is still a flagged file: pass 2-4 may clear some. */
static int still_atomic(struct atomic_pass *ap, ext2_ino_t ino,
			struct ext2_inode *inode)
{
	read_inode(ap, ino, inode);
	return inode->i_links_count && inode->i_mode &&
		(inode->i_flags & EXT4_ATOMIC_FL);
}

static ext2_ino_t count_flagged(struct atomic_pass *ap)
{
	struct ext2_inode inode;
	ext2_u32_iterate iter;
	ext2_ino_t n = 0;
	blk_t ino;

	if (!ap->ctx->atomic_inodes ||
	    ext2fs_u32_list_iterate_begin(ap->ctx->atomic_inodes, &iter))
		return 0;
	while (ext2fs_u32_list_iterate(iter, &ino))
		n += still_atomic(ap, ino, &inode);
	ext2fs_u32_list_iterate_end(iter);
	return n;
}

/*
 * The unit an invalid one is reset to: the default (mke2fs' for an
 * image file), halved until the filesystem's geometry allows it.
 */
static unsigned int valid_unit(ext2_filsys fs)
{
	unsigned long long unit = EXT2FS_ATOMIC_DEFAULT_UNIT_BYTES;
	unsigned int log;

	for (; unit >= fs->blocksize; unit /= 2)
		if (!ext2fs_atomic_bytes_to_log(fs->super, unit, &log))
			return log;
	/* Only the cluster size remains (bigalloc with tiny groups). */
	for (log = 0; log < 32; log++)
		if (!ext2fs_atomic_validate_unit(fs->super, log))
			return log;
	return 0;
}

static void describe_log(ext2_filsys fs, unsigned int log, char *buf,
			 size_t size)
{
	struct ext2_super_block sb = *fs->super;

	ext2fs_atomic_set_log_unit(&sb, log);
	ext2fs_atomic_describe_unit(&sb, buf, size);
}

/* Step 1, and the feature itself when flagged inodes need it. */
static void check_super(struct atomic_pass *ap)
{
	e2fsck_t ctx = ap->ctx;
	ext2_filsys fs = ctx->fs;
	unsigned int log = ext2fs_atomic_get_log_unit(fs->super);
	struct problem_context pctx;
	char unit[64];

	clear_problem_context(&pctx);
	pctx.num = log;
	pctx.str = unit;
	if (!ext2fs_has_feature_atomic_write(fs->super)) {
		if (!log || ext2fs_atomic_validate_unit(fs->super, log))
			return;
		pctx.num = count_flagged(ap);
		describe_log(fs, log, unit, sizeof(unit));
		if (pctx.num && fix_problem(ctx, PR_A_SET_FEATURE, &pctx)) {
			begin_repair(ap);
			ext2fs_atomic_enable(fs, log);
		}
		return;
	}
	pctx.errcode = ext2fs_atomic_validate_unit(fs->super, log);
	if (!pctx.errcode)
		return;
	log = valid_unit(fs);
	describe_log(fs, log, unit, sizeof(unit));
	if (fix_problem(ctx, PR_A_UNIT_INVALID, &pctx)) {
		begin_repair(ap);
		ext2fs_atomic_enable(fs, log);
	}
}

/* Step 2 for one inode: 1 if its windows are to be checked. */
static int check_flag(struct atomic_pass *ap, ext2_ino_t ino,
		      struct ext2_inode *inode)
{
	struct problem_context pctx;
	problem_t code = 0;

	clear_problem_context(&pctx);
	pctx.ino = ino;
	pctx.inode = inode;
	switch (ext2fs_has_feature_atomic_write(ap->ctx->fs->super) ?
		ext2fs_atomic_inode_valid(ap->ctx->fs, inode) :
		EXT2_ET_ATOMIC_NO_FEATURE) {
	case 0:
		return LINUX_S_ISREG(inode->i_mode);
	case EXT2_ET_ATOMIC_NO_FEATURE:
		code = PR_A_FLAG_NO_FEATURE;
		break;
	case EXT2_ET_ATOMIC_BAD_TYPE:
		code = PR_A_FLAG_BAD_TYPE;
		break;
	case EXT2_ET_ATOMIC_NOT_EXTENTS:
		code = PR_A_FLAG_NOT_EXTENTS;
		break;
	case EXT2_ET_ATOMIC_INLINE_DATA:
		code = PR_A_FLAG_INLINE;
		break;
	case EXT2_ET_ATOMIC_DATA_JOURNAL:
		code = PR_A_FLAG_JOURNAL_DATA;
		break;
	default:
		return 0;
	}
	if (fix_problem(ap->ctx, code, &pctx))
		clear_flag(ap, ino, inode);
	return 0;
}

static int note_window(ext2_ino_t ino EXT2FS_ATTR((unused)),
		       const struct ext2fs_atomic_violation *v, void *priv)
{
	struct window_list *w = priv;

	if (w->nr == w->alloc) {
		w->alloc = w->alloc ? 2 * w->alloc : 16;
		if (ext2fs_resize_array(sizeof(*w->v), w->nr, w->alloc, &w->v))
			return 1;
	}
	w->v[w->nr++] = *v;
	return 0;
}

static void describe_problems(int mask, char *buf, size_t size)
{
	const char *sep = "";
	size_t len = 0;
	int bit;

	buf[0] = 0;
	for (bit = 1; bit <= EXT2FS_ATOMIC_ALL_PROBLEMS && len < size;
	     bit <<= 1) {
		if (!(mask & bit))
			continue;
		len += snprintf(buf + len, size - len, "%s%s", sep,
				ext2fs_atomic_problem_name(bit));
		sep = ", ";
	}
}

static errcode_t open_allocator(struct atomic_pass *ap)
{
	errcode_t err;

	if (ap->ac)
		return 0;
	err = ext2fs_atomic_alloc_open(ap->ctx->fs, &ap->ac);
	if (!err)
		ext2fs_atomic_set_batching(ap->ac, 1);
	return err;
}

/* The last resort for one window: keep the data, drop the flag. */
static void no_aligned_space(struct atomic_pass *ap, ext2_ino_t ino,
			     struct ext2_inode *inode,
			     struct problem_context *pctx)
{
	errcode_t err;

	/* What is done so far reaches the disk before preen may halt. */
	err = ext2fs_atomic_sync(ap->ac);
	if (err)
		inode_error(ap, ino, err);
	if (!fix_problem(ap->ctx, PR_A_NO_ALIGNED_SPACE, pctx))
		return;
	read_inode(ap, ino, inode);
	clear_flag(ap, ino, inode);
}

/* Step 3 for one atomic file. */
static void check_windows(struct atomic_pass *ap, ext2_ino_t ino,
			  struct ext2_inode *inode)
{
	struct ext2fs_atomic_reloc_stats st = { 0, 0 };
	struct window_list w = { NULL, 0, 0 };
	struct problem_context pctx;
	char problems[128];
	errcode_t err;
	size_t i;

	err = ext2fs_atomic_check_inode(ap->ctx->fs, ino, inode, note_window,
					&w, NULL);
	for (i = 0; !err && i < w.nr; i++) {
		clear_problem_context(&pctx);
		pctx.ino = ino;
		pctx.blk = w.v[i].first_window;
		pctx.blk2 = w.v[i].first_window + w.v[i].nr_windows - 1;
		describe_problems(w.v[i].problems, problems, sizeof(problems));
		pctx.str = problems;
		if (!ap->may_move) {
			/* A relocation allocates from the block bitmap. */
			fix_problem(ap->ctx, PR_A_WINDOW_NOT_MOVED, &pctx);
			ext2fs_unmark_valid(ap->ctx->fs);
			continue;
		}
		if (!fix_problem(ap->ctx, PR_A_WINDOW_BROKEN, &pctx))
			continue;
		begin_repair(ap);
		err = open_allocator(ap);
		if (!err)
			err = ext2fs_atomic_relocate_range(ap->ac, ino, inode,
							   pctx.blk,
							   w.v[i].nr_windows,
							   &st);
		if (err == EXT2_ET_ATOMIC_NO_SPACE) {
			no_aligned_space(ap, ino, inode, &pctx);
			err = 0;
			break;
		}
	}
	ext2fs_free_mem(&w.v);
	if (st.windows_moved)
		ext2fs_mark_changed(ap->ctx->fs);
	if (err)
		inode_error(ap, ino, err);
}

/* Steps 2 and 3 for every noted inode. */
static void check_inodes(struct atomic_pass *ap)
{
	e2fsck_t ctx = ap->ctx;
	struct ext2_inode inode;
	ext2_u32_iterate iter;
	unsigned long done = 0, total;
	errcode_t err;
	blk_t ino;

	if (!ctx->atomic_inodes)
		return;
	total = ext2fs_u32_list_count(ctx->atomic_inodes);
	err = ext2fs_u32_list_iterate_begin(ctx->atomic_inodes, &iter);
	if (err) {
		inode_error(ap, 0, err);
		return;
	}
	while (ext2fs_u32_list_iterate(iter, &ino)) {
		if (ctx->progress &&
		    (ctx->progress)(ctx, ATOMIC_PASS, done++, total))
			break;
		if (ctx->flags & E2F_FLAG_SIGNAL_MASK)
			break;
		if (e2fsck_mmp_update(ctx->fs))
			fatal_error(ctx, 0);
		if (still_atomic(ap, ino, &inode) &&
		    check_flag(ap, ino, &inode) && ap->feature)
			check_windows(ap, ino, &inode);
	}
	ext2fs_u32_list_iterate_end(iter);
	if (ctx->progress)
		(ctx->progress)(ctx, ATOMIC_PASS, total, total);
}

void e2fsck_pass_atomic(e2fsck_t ctx)
{
	ext2_filsys fs = ctx->fs;
	struct atomic_pass ap;
	struct problem_context pctx;
	errcode_t err;

	/* Nothing atomic on the filesystem: not a word, as without us. */
	if (!ext2fs_has_feature_atomic_write(fs->super) &&
	    !ext2fs_atomic_get_log_unit(fs->super) &&
	    !(ctx->atomic_inodes && ext2fs_u32_list_count(ctx->atomic_inodes)))
		return;

	ext2fs_atomic_init();	/* the library's error messages */
	memset(&ap, 0, sizeof(ap));
	ap.ctx = ctx;
	/*
	 * A problem left unfixed (say, pass 5's bitmap differences) makes
	 * the block bitmap unsure: windows are then reported, not moved.
	 * -n moves nothing anyway and reports them as usual.
	 */
	ap.may_move = ext2fs_test_valid(fs) ||
		(ctx->options & E2F_OPT_READONLY);
	clear_problem_context(&pctx);
	if (!(ctx->options & E2F_OPT_PREEN))
		fix_problem(ctx, PR_A_PASS_HEADER, &pctx);

	check_super(&ap);
	ap.feature = ext2fs_has_feature_atomic_write(fs->super) &&
		!ext2fs_atomic_validate_unit(fs->super,
				ext2fs_atomic_get_log_unit(fs->super));
	check_inodes(&ap);

	pctx.num = ext2fs_atomic_get_log_unit(fs->super);
	if (!ext2fs_has_feature_atomic_write(fs->super) && pctx.num &&
	    !(ctx->flags & E2F_FLAG_SIGNAL_MASK) &&
	    fix_problem(ctx, PR_A_UNIT_NO_FEATURE, &pctx)) {
		begin_repair(&ap);
		ext2fs_atomic_disable(fs);
	}

	/* Commit and flush the batch, free what the switches unlinked. */
	err = ext2fs_atomic_alloc_close(ap.ac);
	if (err)
		inode_error(&ap, 0, err);
}
