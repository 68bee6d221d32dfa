/*
 * atomic_int.h --- helpers shared inside the atomic library only.
 */

#ifndef EXT2FS_ATOMIC_INT_H
#define EXT2FS_ATOMIC_INT_H

#include "ext2fs_atomic.h"

/*
 * An extent tree being changed.  The handle is replaced after every
 * copy-on-write switch (see atomic_extent.c), so code that changes a
 * tree always goes through this structure.
 */
struct atomic_tree {
	ext2fs_atomic_alloc_t	ac;	/* where new tree blocks come from */
	ext2_filsys		fs;
	ext2_ino_t		ino;
	struct ext2_inode	*inode;
	ext2_extent_handle_t	handle;
};

/* A growable list of extent entries. */
struct elist {
	struct ext2fs_extent	*e;
	int			n;
	int			alloc;
};

static inline int atomic_ext_uninit(const struct ext2fs_extent *e)
{
	return !!(e->e_flags & EXT2_EXTENT_FLAGS_UNINIT);
}

errcode_t atomic_elist_add_range(struct elist *l, blk64_t lblk,
				 blk64_t pblk, blk64_t len, int uninit);
errcode_t atomic_tree_open(ext2fs_atomic_alloc_t ac, ext2_ino_t ino,
			   struct ext2_inode *inode, struct atomic_tree *t);
void atomic_tree_close(struct atomic_tree *t);
errcode_t atomic_seek_extent(struct atomic_tree *t, blk64_t lblk,
			     struct ext2fs_extent *ext);
errcode_t atomic_next_extent(struct atomic_tree *t,
			     const struct ext2fs_extent *prev,
			     struct ext2fs_extent *ext);
errcode_t atomic_free_tree_block(ext2fs_atomic_alloc_t ac, blk64_t blk);
errcode_t atomic_set_range(struct atomic_tree *t, blk64_t l0, blk64_t l1,
			   const struct ext2fs_extent *e, int n);
errcode_t atomic_map_range(struct atomic_tree *t, blk64_t lblk,
			   blk64_t pblk, blk64_t len, int uninit);
errcode_t atomic_extent_inode(ext2_filsys fs, ext2_ino_t ino,
			      struct ext2_inode **inode,
			      struct ext2_inode *buf);

#endif /* EXT2FS_ATOMIC_INT_H */
