/*
 * atomic_extent.c --- positioned walks over an extent tree.
 *
 * After ext2fs_extent_goto(), libext2fs 1.47 has not marked the index
 * levels above the leaf as visited, so the first EXT2_EXTENT_NEXT_LEAF
 * that has to leave the leaf goes down into the same leaf again and
 * returns its first extent.  The walk below skips what it has already
 * seen (extents come in strictly increasing logical order), which also
 * repairs the visit marks, so it then crosses into the next leaf.
 */

#include "atomic_int.h"

errcode_t atomic_next_extent(ext2_extent_handle_t handle,
			     const struct ext2fs_extent *prev,
			     struct ext2fs_extent *ext)
{
	errcode_t retval;

	do {
		retval = ext2fs_extent_get(handle, EXT2_EXTENT_NEXT_LEAF, ext);
	} while (!retval && ext->e_lblk <= prev->e_lblk);
	return retval;
}

/*
 * Leave the handle on the first leaf extent that ends after lblk.
 * Returns EXT2_ET_EXTENT_NO_NEXT when there is none.
 */
errcode_t atomic_seek_extent(ext2_extent_handle_t handle, blk64_t lblk,
			     struct ext2fs_extent *ext)
{
	struct ext2fs_extent prev;
	errcode_t retval;

	retval = ext2fs_extent_goto2(handle, 0, lblk);
	if (retval && retval != EXT2_ET_EXTENT_NOT_FOUND)
		return retval;
	retval = ext2fs_extent_get(handle, EXT2_EXTENT_CURRENT, ext);
	if (retval)
		return EXT2_ET_EXTENT_NO_NEXT;
	while (!(ext->e_flags & EXT2_EXTENT_FLAGS_LEAF) ||
	       ext->e_lblk + ext->e_len <= lblk) {
		prev = *ext;
		retval = atomic_next_extent(handle, &prev, ext);
		if (retval)
			return retval;
	}
	return 0;
}

/*
 * The inode to work on: the caller's (*inode), or read into buf.  The
 * rule and every repair apply to extent-mapped files only.
 */
errcode_t atomic_extent_inode(ext2_filsys fs, ext2_ino_t ino,
			      struct ext2_inode **inode,
			      struct ext2_inode *buf)
{
	errcode_t retval;

	if (!*inode) {
		retval = ext2fs_read_inode(fs, ino, buf);
		if (retval)
			return retval;
		*inode = buf;
	}
	if (!((*inode)->i_flags & EXT4_EXTENTS_FL))
		return EXT2_ET_ATOMIC_NOT_EXTENTS;
	return 0;
}

/*
 * Insert ext, whose logical range must be wholly unmapped, at its place
 * in the tree: before the first extent after it, or after the last one.
 */
errcode_t atomic_insert_extent(ext2_extent_handle_t handle,
			       struct ext2fs_extent *ext)
{
	struct ext2fs_extent cur;
	errcode_t retval;
	int flags = 0;

	retval = atomic_seek_extent(handle, ext->e_lblk, &cur);
	if (!retval && cur.e_lblk < ext->e_lblk + ext->e_len)
		return EXT2_ET_ATOMIC_BAD_RANGE;
	if (retval == EXT2_ET_EXTENT_NO_NEXT) {
		if (!ext2fs_extent_get(handle, EXT2_EXTENT_LAST_LEAF, &cur))
			flags = EXT2_EXTENT_INSERT_AFTER;
	} else if (retval) {
		return retval;
	}
	retval = ext2fs_extent_insert(handle, flags, ext);
	if (!retval)
		retval = ext2fs_extent_fix_parents(handle);
	return retval;
}

/*
 * Map [lblk, lblk + len) to [pblk, pblk + len), as extents of the
 * largest allowed length.  The logical range must be unmapped.
 */
errcode_t atomic_map_range(ext2_extent_handle_t handle, blk64_t lblk,
			   blk64_t pblk, blk64_t len, int uninit)
{
	struct ext2fs_extent ext;
	blk64_t max = uninit ? EXT_UNINIT_MAX_LEN : EXT_INIT_MAX_LEN, n;
	errcode_t retval = 0;

	while (len && !retval) {
		n = len < max ? len : max;
		ext.e_lblk = lblk;
		ext.e_pblk = pblk;
		ext.e_len = n;
		ext.e_flags = uninit ? EXT2_EXTENT_FLAGS_UNINIT : 0;
		retval = atomic_insert_extent(handle, &ext);
		lblk += n;
		pblk += n;
		len -= n;
	}
	return retval;
}
