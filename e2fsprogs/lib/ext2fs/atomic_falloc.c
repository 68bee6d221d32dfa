/*
 * atomic_falloc.c --- give an atomic file new, whole, aligned windows.
 *
 * The allocation primitive of every offline tool that adds blocks to
 * an atomic file (debugfs write/fallocate, the demo, the tests): the
 * windows asked for must be wholly unmapped; each run of them gets one
 * aligned free run, mapped as unwritten blocks (the caller writes the
 * data afterwards, which turns them into written blocks in place) or,
 * with EXT2FS_ATOMIC_ALLOC_ZERO, zeroed and mapped written: the zeroes
 * are flushed with the batch before the inode that maps them is
 * written (atomic_batch.c), so a crash never shows stale blocks.
 */

#include <string.h>

#include "atomic_int.h"

/* Is any block of [l0, l1) mapped? */
static errcode_t range_mapped(struct atomic_tree *t, blk64_t l0,
			      blk64_t l1, int *mapped)
{
	struct ext2fs_extent ext;
	errcode_t retval;

	retval = atomic_seek_extent(t, l0, &ext);
	*mapped = !retval && ext.e_lblk < l1;
	return retval == EXT2_ET_EXTENT_NO_NEXT ? 0 : retval;
}

static errcode_t zero_run(ext2_filsys fs, blk64_t blk, blk64_t len)
{
	return ext2fs_zero_blocks2(fs, blk, len, NULL, NULL);
}

static errcode_t alloc_piece(ext2fs_atomic_alloc_t ac,
			     struct atomic_tree *t,
			     struct ext2_inode *inode, blk64_t l0,
			     blk64_t len, blk64_t goal, int flags)
{
	ext2_filsys fs = ext2fs_atomic_alloc_fs(ac);
	blk64_t pblk;
	errcode_t retval;

	retval = ext2fs_atomic_alloc_run(ac, goal, 0, len, &pblk);
	if (retval)
		return retval;
	if (flags & EXT2FS_ATOMIC_ALLOC_ZERO)
		retval = zero_run(fs, pblk, len);
	/* Counted before the map queues the inode. */
	if (!retval)
		retval = ext2fs_iblk_add_blocks(fs, inode,
						EXT2FS_B2C(fs, len));
	if (retval) {
		ext2fs_block_alloc_stats_range(fs, pblk, len, -1);
		return retval;
	}
	retval = atomic_map_range(t, l0, pblk, len,
				  !(flags & EXT2FS_ATOMIC_ALLOC_ZERO));
	if (retval) {
		ext2fs_iblk_sub_blocks(fs, inode, EXT2FS_B2C(fs, len));
		ext2fs_block_alloc_stats_range(fs, pblk, len, -1);
	}
	return retval;
}

/* Allocate n windows from first, halving the run when space is short. */
static errcode_t alloc_split(ext2fs_atomic_alloc_t ac,
			     struct atomic_tree *t,
			     struct ext2_inode *inode, __u64 first, __u64 n,
			     blk64_t goal, int flags)
{
	blk64_t unit = ext2fs_atomic_unit_blocks(ext2fs_atomic_alloc_fs(ac));
	errcode_t retval;

	retval = alloc_piece(ac, t, inode, first * unit, n * unit, goal,
			     flags);
	if (retval != EXT2_ET_ATOMIC_NO_SPACE || n == 1)
		return retval;
	retval = alloc_split(ac, t, inode, first, n / 2, goal, flags);
	if (!retval)
		retval = alloc_split(ac, t, inode, first + n / 2,
				     n - n / 2, goal, flags);
	return retval;
}

errcode_t ext2fs_atomic_alloc_windows(ext2fs_atomic_alloc_t ac,
				      ext2_ino_t ino,
				      struct ext2_inode *inode,
				      __u64 first_window, __u64 nr_windows,
				      blk64_t goal, int flags)
{
	ext2_filsys fs = ext2fs_atomic_alloc_fs(ac);
	blk64_t unit = ext2fs_atomic_unit_blocks(fs);
	struct atomic_tree tree, *t = &tree;
	__u64 per_piece = EXT_UNINIT_MAX_LEN / unit, w, n;
	int mapped;
	errcode_t retval;

	if (!nr_windows || (first_window + nr_windows) * unit > (1ULL << 32))
		return EXT2_ET_ATOMIC_BAD_RANGE;
	if (!(inode->i_flags & EXT4_EXTENTS_FL))
		return EXT2_ET_ATOMIC_NOT_EXTENTS;
	if (!per_piece)
		per_piece = 1;
	atomic_begin(ac);
	retval = atomic_tree_open(ac, ino, inode, t);
	if (retval)
		return atomic_end(ac, retval);
	retval = range_mapped(t, first_window * unit,
			      (first_window + nr_windows) * unit, &mapped);
	if (!retval && mapped)
		retval = EXT2_ET_ATOMIC_BAD_RANGE;
	for (w = 0; w < nr_windows && !retval; w += n) {
		n = nr_windows - w < per_piece ? nr_windows - w : per_piece;
		retval = alloc_split(ac, t, inode, first_window + w, n,
				     goal, flags);
	}
	atomic_tree_close(t);
	return atomic_end(ac, retval);
}

/* Zero the written blocks of [from, to) in place (part of a window). */
static errcode_t zero_part(ext2_filsys fs, ext2_ino_t ino,
			   struct ext2_inode *inode, blk64_t from, blk64_t to)
{
	blk64_t lblk, pblk;
	errcode_t retval;
	char *zero = NULL;
	int flags;

	retval = ext2fs_get_memzero(fs->blocksize, &zero);
	for (lblk = from; lblk < to && !retval; lblk++) {
		pblk = 0;
		flags = 0;
		retval = ext2fs_bmap2(fs, ino, inode, NULL, 0, lblk, &flags,
				      &pblk);
		if (retval || !pblk || (flags & BMAP_RET_UNINIT))
			continue;
		retval = io_channel_write_blk64(fs->io, pblk, 1, zero);
	}
	ext2fs_free_mem(&zero);
	return retval;
}

/* Unmap the whole windows [l0, l1), copy on write; free their blocks. */
static errcode_t unmap_windows(ext2fs_atomic_alloc_t ac, ext2_ino_t ino,
			       struct ext2_inode *inode, blk64_t l0,
			       blk64_t l1)
{
	ext2_filsys fs = ext2fs_atomic_alloc_fs(ac);
	struct atomic_tree tree = { NULL, NULL, 0, NULL, NULL }, *t = &tree;
	struct seg_list sl = { NULL, 0, 0 };
	errcode_t retval;
	size_t i;

	retval = atomic_tree_open(ac, ino, inode, t);
	if (!retval)
		retval = atomic_collect(t, l0, l1, &sl);
	if (retval || !sl.nr)
		goto cleanup;
	/* Counted before the change queues the inode. */
	ext2fs_iblk_sub_blocks(fs, inode, atomic_mapped_clusters(fs, &sl));
	retval = atomic_set_range(t, l0, l1, NULL, 0);
	for (i = 0; i < sl.nr && !retval; i++)
		retval = ext2fs_atomic_free_blocks(ac, sl.segs[i].pblk,
						   sl.segs[i].len);
cleanup:
	atomic_tree_close(t);
	ext2fs_free_mem(&sl.segs);
	return retval;
}

/*
 * Punch [start, end] (blocks; end ~0ULL: to the end of the file) out of
 * an atomic file that obeys the rule, as the patched kernel does: the
 * whole windows in the range are unmapped, copy on write, their blocks
 * freed once the change is on disk; the parts of windows at either end
 * are zeroed in place, so no window loses a block.  inode is kept up to
 * date and must be the file's current state.
 */
errcode_t ext2fs_atomic_punch(ext2fs_atomic_alloc_t ac, ext2_ino_t ino,
			      struct ext2_inode *inode, blk64_t start,
			      blk64_t end)
{
	ext2_filsys fs = ext2fs_atomic_alloc_fs(ac);
	blk64_t unit = ext2fs_atomic_unit_blocks(fs), max = 1ULL << 32;
	blk64_t stop = end >= max - 1 ? max : end + 1;	/* exclusive */
	blk64_t ws, we;
	errcode_t retval;

	if (start >= stop)
		return EXT2_ET_ATOMIC_BAD_RANGE;
	if (!(inode->i_flags & EXT4_EXTENTS_FL))
		return EXT2_ET_ATOMIC_NOT_EXTENTS;
	ws = (start + unit - 1) / unit * unit;	/* first whole window */
	we = stop == max ? max : stop / unit * unit;	/* and its end */
	atomic_begin(ac);
	if (ws >= we) {
		retval = zero_part(fs, ino, inode, start, stop);
		return atomic_end(ac, retval);
	}
	retval = zero_part(fs, ino, inode, start, ws);
	if (!retval)
		retval = zero_part(fs, ino, inode, we, stop);
	if (!retval)
		retval = unmap_windows(ac, ino, inode, ws, we);
	return atomic_end(ac, retval);
}
