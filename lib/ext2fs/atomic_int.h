/*
 * atomic_int.h --- helpers shared inside the atomic library only.
 */

#ifndef EXT2FS_ATOMIC_INT_H
#define EXT2FS_ATOMIC_INT_H

#include "ext2fs_atomic.h"

errcode_t atomic_seek_extent(ext2_extent_handle_t handle, blk64_t lblk,
			     struct ext2fs_extent *ext);
errcode_t atomic_next_extent(ext2_extent_handle_t handle,
			     const struct ext2fs_extent *prev,
			     struct ext2fs_extent *ext);

errcode_t atomic_insert_extent(ext2_extent_handle_t handle,
			       struct ext2fs_extent *ext);
errcode_t atomic_map_range(ext2_extent_handle_t handle, blk64_t lblk,
			   blk64_t pblk, blk64_t len, int uninit);
errcode_t atomic_extent_inode(ext2_filsys fs, ext2_ino_t ino,
			       struct ext2_inode **inode,
			       struct ext2_inode *buf);

#endif /* EXT2FS_ATOMIC_INT_H */
