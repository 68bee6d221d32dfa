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

/* A piece of a file's mapping, and a growable list of them. */
struct seg {
	blk64_t	lblk;
	blk64_t	pblk;
	blk64_t	len;
	int	uninit;
};

struct seg_list {
	struct seg	*segs;
	size_t		nr;
	size_t		alloc;
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

/* atomic_batch.c and its hooks in atomic_alloc.c */
struct atomic_batch;
errcode_t atomic_room_for(void *array, size_t *alloc, size_t nr,
			  size_t elem);
errcode_t atomic_batch_new(struct atomic_batch **ret);
void atomic_batch_free(struct atomic_batch *b);
struct atomic_batch *atomic_alloc_batch(ext2fs_atomic_alloc_t ac);
int atomic_batch_holds_blocks(ext2fs_atomic_alloc_t ac);
errcode_t atomic_queue_inode(ext2fs_atomic_alloc_t ac, ext2_ino_t ino,
			     const struct ext2_inode *inode);
void atomic_release_blocks(ext2fs_atomic_alloc_t ac, blk64_t blk,
			   blk64_t len);
void atomic_begin(ext2fs_atomic_alloc_t ac);
errcode_t atomic_end(ext2fs_atomic_alloc_t ac, errcode_t retval);

errcode_t atomic_set_range(struct atomic_tree *t, blk64_t l0, blk64_t l1,
			   const struct ext2fs_extent *e, int n);
errcode_t atomic_map_range(struct atomic_tree *t, blk64_t lblk,
			   blk64_t pblk, blk64_t len, int uninit);
errcode_t atomic_collect(struct atomic_tree *t, blk64_t l0, blk64_t l1,
			 struct seg_list *sl);
blk64_t atomic_mapped_clusters(ext2_filsys fs, const struct seg_list *sl);
errcode_t atomic_extent_inode(ext2_filsys fs, ext2_ino_t ino,
			      struct ext2_inode **inode,
			      struct ext2_inode *buf);

#endif /* EXT2FS_ATOMIC_INT_H */
