/*
 * pass_atomic.c --- Pass A: the atomic write checks, after stock
 * e2fsck's five passes have made the filesystem consistent.
 *
 *   1. the superblock: the unit is valid with the feature, zero
 *      without it;
 *   2. every inode with EXT4_ATOMIC_FL (one inode-table scan): the
 *      feature must be on (or be set, when the unit is valid), the
 *      inode a regular file with extents and without inline data or
 *      data journalling, or a directory;
 *   3. every window of every atomic file obeys the rule (one walk of
 *      each extent tree); a broken one is relocated to a free aligned
 *      run with the library, and when none is free the flag is cleared
 *      (the data is kept).
 *
 * The repairs of every file go through one batch of the library's
 * allocator (lib/ext2fs/atomic_batch.c): the copies and new extent
 * tree blocks of many windows are flushed once before the inodes that
 * switch to them are written, so the pass stays crash safe when the
 * disk reorders writes, at a few flushes for the whole pass.
 */

#include <stdlib.h>
#include <string.h>

#include "atomic_fsck.h"

struct ino_list {
	ext2_ino_t	*ino;
	size_t		nr, alloc;
};

static int collect(ext2_filsys fs, ext2_ino_t ino, struct ext2_inode *inode,
		   void *priv)
{
	struct ino_list *l = priv;
	ext2_ino_t *n;

	(void) fs;
	(void) inode;
	if (l->nr == l->alloc) {
		l->alloc = l->alloc ? 2 * l->alloc : 64;
		n = realloc(l->ino, l->alloc * sizeof(*n));
		if (!n)
			return 1;
		l->ino = n;
	}
	l->ino[l->nr++] = ino;
	return 0;
}

static void progress(struct atomic_ctx *ctx, size_t done, size_t total)
{
	if (ctx->progress && total)
		fprintf(ctx->progress, "6 %zu %zu %s\n", done, total,
			ctx->device);
}

/* Inodes go through the batch when the pass repairs windows. */
static errcode_t read_inode(struct atomic_ctx *ctx, ext2_ino_t ino,
			    struct ext2_inode *inode)
{
	if (ctx->ac)
		return ext2fs_atomic_read_inode(ctx->ac, ino, inode);
	return ext2fs_read_inode(ctx->fs, ino, inode);
}

static errcode_t clear_flag(struct atomic_ctx *ctx, ext2_ino_t ino,
			    struct ext2_inode *inode)
{
	inode->i_flags &= ~EXT4_ATOMIC_FL;
	ctx->changed = 1;
	if (ctx->ac)
		return ext2fs_atomic_write_inode(ctx->ac, ino, inode);
	return ext2fs_write_inode(ctx->fs, ino, inode);
}

/* The unit to reset an invalid one to: the default, made valid. */
static unsigned int valid_unit(struct atomic_ctx *ctx)
{
	struct ext2fs_atomic_devinfo dev;
	unsigned long long unit;
	unsigned int log;
	int warn;

	if (ext2fs_atomic_probe_device(ctx->device, &dev))
		memset(&dev, 0, sizeof(dev));
	unit = ext2fs_atomic_default_unit(&dev, ctx->fs->blocksize, &warn);
	for (; unit >= ctx->fs->blocksize; unit /= 2)
		if (!ext2fs_atomic_bytes_to_log(ctx->fs->super, unit, &log))
			return log;
	/* Only the cluster size remains (bigalloc with tiny groups). */
	for (log = 0; log < 32; log++)
		if (!ext2fs_atomic_validate_unit(ctx->fs->super, log))
			return log;
	return 0;
}

static void describe_log(struct atomic_ctx *ctx, unsigned int log, char *buf,
			 size_t size)
{
	struct ext2_super_block sb = *ctx->fs->super;

	ext2fs_atomic_set_log_unit(&sb, log);
	ext2fs_atomic_describe_unit(&sb, buf, size);
}

/* Step 1, and the feature itself when flagged inodes need it. */
static void check_super(struct atomic_ctx *ctx, size_t flagged)
{
	struct ext2_super_block *sb = ctx->fs->super;
	struct problem_context pctx;
	unsigned int log = ext2fs_atomic_get_log_unit(sb);
	errcode_t err;

	clear_problem_context(&pctx);
	pctx.log_unit = log;
	if (!ext2fs_atomic_has_feature(sb)) {
		pctx.count = flagged;
		describe_log(ctx, log, pctx.unit, sizeof(pctx.unit));
		if (flagged && log && !ext2fs_atomic_validate_unit(sb, log) &&
		    fix_problem(ctx, PR_A_SET_FEATURE, &pctx)) {
			ext2fs_atomic_enable(ctx->fs, log);
			ctx->changed = 1;
		}
		return;
	}
	err = ext2fs_atomic_validate_unit(sb, log);
	if (!err)
		return;
	pctx.errcode = err;
	describe_log(ctx, valid_unit(ctx), pctx.unit, sizeof(pctx.unit));
	if (fix_problem(ctx, PR_A_UNIT_INVALID, &pctx)) {
		ext2fs_atomic_enable(ctx->fs, valid_unit(ctx));
		ctx->changed = 1;
	}
}

/* Step 2 for one inode: 1 if its windows are to be checked. */
static int check_flag(struct atomic_ctx *ctx, ext2_ino_t ino,
		      struct ext2_inode *inode, int feature)
{
	struct problem_context pctx;
	int code = 0;

	clear_problem_context(&pctx);
	pctx.ino = ino;
	pctx.mode = inode->i_mode;
	switch (feature ? ext2fs_atomic_inode_valid(ctx->fs, inode) :
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
	}
	if (code && fix_problem(ctx, code, &pctx))
		clear_flag(ctx, ino, inode);
	return 0;
}

struct windows {
	struct ext2fs_atomic_violation	*v;
	size_t				nr, alloc;
};

static int note(ext2_ino_t ino, const struct ext2fs_atomic_violation *v,
		void *priv)
{
	struct windows *w = priv;
	struct ext2fs_atomic_violation *n;

	(void) ino;
	if (w->nr == w->alloc) {
		w->alloc = w->alloc ? 2 * w->alloc : 16;
		n = realloc(w->v, w->alloc * sizeof(*n));
		if (!n)
			return 1;
		w->v = n;
	}
	w->v[w->nr++] = *v;
	return 0;
}

/* Step 3 for one atomic file. */
static errcode_t check_windows(struct atomic_ctx *ctx, ext2_ino_t ino,
			       struct ext2_inode *inode)
{
	struct ext2fs_atomic_reloc_stats st = { 0, 0 };
	struct problem_context pctx;
	struct windows w = { NULL, 0, 0 };
	errcode_t err;
	size_t i;

	err = ext2fs_atomic_check_inode(ctx->fs, ino, inode, note, &w, NULL);
	for (i = 0; !err && i < w.nr && !ctx->halt; i++) {
		clear_problem_context(&pctx);
		pctx.ino = ino;
		pctx.first = w.v[i].first_window;
		pctx.last = w.v[i].first_window + w.v[i].nr_windows - 1;
		pctx.problems = w.v[i].problems;
		if (!fix_problem(ctx, PR_A_WINDOW_BROKEN, &pctx))
			continue;
		err = ext2fs_atomic_relocate_range(ctx->ac, ino, inode,
						   pctx.first,
						   w.v[i].nr_windows, &st);
		if (st.windows_moved)
			ctx->changed = 1;
		if (err != EXT2_ET_ATOMIC_NO_SPACE)
			continue;
		err = 0;
		if (fix_problem(ctx, PR_A_NO_ALIGNED_SPACE, &pctx)) {
			err = read_inode(ctx, ino, inode);
			if (!err)
				err = clear_flag(ctx, ino, inode);
		}
		break;
	}
	free(w.v);
	return err;
}

static errcode_t open_fs(struct atomic_ctx *ctx)
{
	io_manager io = unix_io_manager;
	char *undo = NULL;
	int flags = EXT2_FLAG_64BITS;
	errcode_t err;

	if (!(ctx->options & OPT_NO))
		flags |= EXT2_FLAG_RW;
	if (ctx->undo_file && (flags & EXT2_FLAG_RW)) {
		undo = malloc(strlen(ctx->undo_file) + 8);
		if (!undo)
			return EXT2_ET_NO_MEMORY;
		sprintf(undo, "%s.atomic", ctx->undo_file);
		set_undo_io_backing_manager(unix_io_manager);
		set_undo_io_backup_file(undo);
		io = undo_io_manager;
	}
	err = ext2fs_open(ctx->device, flags, ctx->superblock,
			  ctx->superblock ? ctx->blocksize : 0, io, &ctx->fs);
	free(undo);
	if (!err)
		err = ext2fs_atomic_check_geometry(ctx->fs->super);
	if (!err)
		err = ext2fs_read_bitmaps(ctx->fs);
	if (err && ctx->fs) {
		ext2fs_free(ctx->fs);
		ctx->fs = NULL;
	}
	return err;
}

/* Returns the FSCK_* status of the pass. */
int atomic_pass(struct atomic_ctx *ctx)
{
	struct ino_list l = { NULL, 0, 0 };
	struct ext2_inode inode;
	struct problem_context pctx;
	errcode_t err;
	int feature;
	size_t i;

	err = open_fs(ctx);
	if (err) {
		com_err(ctx->program, err, "while opening %s for the atomic "
			"write checks", ctx->device);
		return FSCK_ERROR;
	}
	fix_problem(ctx, PR_A_PASS_HEADER, NULL);
	err = ext2fs_atomic_scan_inodes(ctx->fs, collect, &l);
	if (err)
		goto fail;
	check_super(ctx, l.nr);
	feature = ext2fs_atomic_has_feature(ctx->fs->super);
	if (feature && !(ctx->options & OPT_NO)) {
		err = ext2fs_atomic_alloc_open(ctx->fs, &ctx->ac);
		if (err)
			goto fail;
		ext2fs_atomic_set_batching(ctx->ac, 1);
	}
	for (i = 0; i < l.nr && !ctx->halt; i++) {
		progress(ctx, i, l.nr);
		err = read_inode(ctx, l.ino[i], &inode);
		if (!err && check_flag(ctx, l.ino[i], &inode, feature) &&
		    ext2fs_atomic_has_feature(ctx->fs->super) &&
		    !ext2fs_atomic_validate_unit(ctx->fs->super,
			ext2fs_atomic_get_log_unit(ctx->fs->super)))
			err = check_windows(ctx, l.ino[i], &inode);
		if (err)
			goto fail;
	}
	progress(ctx, l.nr, l.nr);
	clear_problem_context(&pctx);
	pctx.log_unit = ext2fs_atomic_get_log_unit(ctx->fs->super);
	if (!ext2fs_atomic_has_feature(ctx->fs->super) && pctx.log_unit &&
	    fix_problem(ctx, PR_A_UNIT_NO_FEATURE, &pctx)) {
		ext2fs_atomic_disable(ctx->fs);
		ctx->changed = 1;
	}
	free(l.ino);
	err = ext2fs_atomic_alloc_close(ctx->ac);
	ctx->ac = NULL;
	if (err)
		goto fail;
	if (!ctx->changed) {
		/* Closing would still write (s_kbytes_written): don't. */
		ext2fs_free(ctx->fs);
		ctx->fs = NULL;
		return ctx->status;
	}
	err = ext2fs_close_free(&ctx->fs);
	if (err) {
		com_err(ctx->program, err, "while closing %s", ctx->device);
		return FSCK_ERROR;
	}
	return ctx->status | (ctx->changed ? FSCK_NONDESTRUCT : 0);
fail:
	com_err(ctx->program, err, "during the atomic write checks of %s",
		ctx->device);
	free(l.ino);
	l.ino = NULL;
	ext2fs_atomic_alloc_close(ctx->ac);
	ctx->ac = NULL;
	if (ctx->fs)
		ext2fs_close_free(&ctx->fs);
	return FSCK_ERROR | (ctx->changed ? FSCK_NONDESTRUCT : 0);
}
