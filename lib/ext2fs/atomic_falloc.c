/*
 * atomic_falloc.c --- give an atomic file new, whole, aligned windows.
 *
 * The allocation primitive of every offline tool that adds blocks to
 * an atomic file (debugfs write/fallocate, the demo, the tests): the
 * windows asked for must be wholly unmapped; each run of them gets one
 * aligned free run, mapped as unwritten blocks (the caller writes the
 * data afterwards, which turns them into written blocks in place) or,
 * with EXT2FS_ATOMIC_ALLOC_ZERO, zeroed and mapped written.
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
	if (!retval)
		retval = atomic_map_range(t, l0, pblk, len,
				!(flags & EXT2FS_ATOMIC_ALLOC_ZERO));
	if (!retval)
		retval = ext2fs_iblk_add_blocks(fs, inode,
						EXT2FS_B2C(fs, len));
	if (retval)
		ext2fs_block_alloc_stats_range(fs, pblk, len, -1);
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
	retval = atomic_tree_open(ac, ino, inode, t);
	if (retval)
		return retval;
	retval = range_mapped(t, first_window * unit,
			      (first_window + nr_windows) * unit, &mapped);
	if (!retval && mapped)
		retval = EXT2_ET_ATOMIC_BAD_RANGE;
	for (w = 0; w < nr_windows && !retval; w += n) {
		n = nr_windows - w < per_piece ? nr_windows - w : per_piece;
		retval = alloc_split(ac, t, inode, first_window + w, n,
				     goal, flags);
	}
	if (!retval)
		retval = ext2fs_write_inode(fs, ino, inode);
	atomic_tree_close(t);
	return retval;
}
