/*
 * atomic_extent.c --- extent tree walks and crash-safe tree growth.
 *
 * Walks.  After ext2fs_extent_goto(), libext2fs 1.47 has not marked the
 * index levels above the leaf as visited, so the first
 * EXT2_EXTENT_NEXT_LEAF that has to leave the leaf goes down into the
 * same leaf again and returns its first extent.  atomic_next_extent()
 * skips what it has already seen (extents come in strictly increasing
 * logical order), which also repairs the visit marks.
 *
 * Growth.  libext2fs splits a full node by shrinking it first and
 * hooking the new node into the parent afterwards (and, for the root,
 * writes the inode with the new depth before the index entry): a crash
 * in between loses the moved entries or leaves a garbage pointer.  The
 * relocator must survive a crash after any single write, so before any
 * insertion it makes room itself, in an order where every intermediate
 * state maps every block:
 *   - root full: write a new block holding all root entries, then
 *     rewrite the inode with a one-entry index root pointing to it (one
 *     write switches over);
 *   - other node full: write a new node holding its upper half, hook
 *     it into the parent (for a moment those entries are in both nodes,
 *     mapping the same blocks; e2fsck drops the copies that lie outside
 *     their index's range), then delete the copies from the old node.
 */

#include <string.h>

#include "atomic_int.h"

#define MAX_GROW_STEPS	16

errcode_t atomic_tree_open(ext2fs_atomic_alloc_t ac, ext2_ino_t ino,
			   struct ext2_inode *inode, struct atomic_tree *t)
{
	ext2_filsys fs = ext2fs_atomic_alloc_fs(ac);

	t->ac = ac;
	t->fs = fs;
	t->ino = ino;
	t->inode = inode;
	t->handle = NULL;
	return ext2fs_extent_open2(fs, ino, inode, &t->handle);
}

void atomic_tree_close(struct atomic_tree *t)
{
	if (t->handle)
		ext2fs_extent_free(t->handle);
	t->handle = NULL;
}

errcode_t atomic_next_extent(struct atomic_tree *t,
			     const struct ext2fs_extent *prev,
			     struct ext2fs_extent *ext)
{
	errcode_t retval;

	do {
		retval = ext2fs_extent_get(t->handle, EXT2_EXTENT_NEXT_LEAF,
					   ext);
	} while (!retval && ext->e_lblk <= prev->e_lblk);
	return retval;
}

/*
 * Leave the handle on the first leaf extent that ends after lblk.
 * Returns EXT2_ET_EXTENT_NO_NEXT when there is none.
 */
errcode_t atomic_seek_extent(struct atomic_tree *t, blk64_t lblk,
			     struct ext2fs_extent *ext)
{
	struct ext2fs_extent prev;
	errcode_t retval;

	retval = ext2fs_extent_goto2(t->handle, 0, lblk);
	if (retval && retval != EXT2_ET_EXTENT_NOT_FOUND)
		return retval;
	retval = ext2fs_extent_get(t->handle, EXT2_EXTENT_CURRENT, ext);
	if (retval)
		return EXT2_ET_EXTENT_NO_NEXT;
	while (!(ext->e_flags & EXT2_EXTENT_FLAGS_LEAF) ||
	       ext->e_lblk + ext->e_len <= lblk) {
		prev = *ext;
		retval = atomic_next_extent(t, &prev, ext);
		if (retval)
			return retval;
	}
	return 0;
}

/* Put one entry, leaf or index, in on-disk form at slot i of a node. */
static void encode_entry(struct ext3_extent_header *eh, int i, int is_leaf,
			 const struct ext2fs_extent *e)
{
	if (is_leaf) {
		struct ext3_extent *ex = (struct ext3_extent *) (eh + 1) + i;

		ex->ee_block = ext2fs_cpu_to_le32(e->e_lblk);
		ex->ee_len = ext2fs_cpu_to_le16(e->e_len +
			((e->e_flags & EXT2_EXTENT_FLAGS_UNINIT) ?
			 EXT_INIT_MAX_LEN : 0));
		ex->ee_start = ext2fs_cpu_to_le32(e->e_pblk & 0xFFFFFFFF);
		ex->ee_start_hi = ext2fs_cpu_to_le16(e->e_pblk >> 32);
	} else {
		struct ext3_extent_idx *ix =
			(struct ext3_extent_idx *) (eh + 1) + i;

		ix->ei_block = ext2fs_cpu_to_le32(e->e_lblk);
		ix->ei_leaf = ext2fs_cpu_to_le32(e->e_pblk & 0xFFFFFFFF);
		ix->ei_leaf_hi = ext2fs_cpu_to_le16(e->e_pblk >> 32);
		ix->ei_unused = 0;
	}
}

/* Write a new tree block holding entries e[0..n) at the given depth. */
static errcode_t write_node(struct atomic_tree *t, blk64_t blk, int depth,
			    const struct ext2fs_extent *e, int n)
{
	ext2_filsys fs = t->fs;
	struct ext3_extent_header *eh;
	errcode_t retval;
	int i;

	retval = ext2fs_get_memzero(fs->blocksize, &eh);
	if (retval)
		return retval;
	eh->eh_magic = ext2fs_cpu_to_le16(EXT3_EXT_MAGIC);
	eh->eh_entries = ext2fs_cpu_to_le16(n);
	eh->eh_max = ext2fs_cpu_to_le16((fs->blocksize - sizeof(*eh)) /
					sizeof(struct ext3_extent));
	eh->eh_depth = ext2fs_cpu_to_le16(depth);
	for (i = 0; i < n; i++)
		encode_entry(eh, i, depth == 0, &e[i]);
	retval = ext2fs_extent_block_csum_set(fs, t->ino, eh);
	if (!retval)
		retval = io_channel_write_blk64(fs->io, blk, 1, eh);
	ext2fs_free_mem(&eh);
	return retval;
}

/* A tree block never takes a block of a free aligned run. */
static errcode_t new_tree_block(struct atomic_tree *t, blk64_t *blk)
{
	blk64_t goal = ext2fs_find_inode_goal(t->fs, t->ino, t->inode, 0);
	errcode_t retval;

	retval = ext2fs_atomic_alloc_loose_block(t->ac, goal, blk);
	if (!retval)
		retval = ext2fs_iblk_add_blocks(t->fs, t->inode, 1);
	return retval;
}

/* Read the entries of the node at height h above the leaves holding lblk. */
static errcode_t node_entries(struct atomic_tree *t, int h, blk64_t lblk,
			      struct ext2fs_extent *e, int max, int *n)
{
	errcode_t retval;

	retval = ext2fs_extent_goto2(t->handle, h, lblk);
	if (retval && retval != EXT2_ET_EXTENT_NOT_FOUND)
		return retval;
	*n = 0;
	retval = ext2fs_extent_get(t->handle, EXT2_EXTENT_FIRST_SIB, &e[0]);
	while (!retval && ++*n < max)
		retval = ext2fs_extent_get(t->handle, EXT2_EXTENT_NEXT_SIB,
					   &e[*n]);
	return retval == EXT2_ET_EXTENT_NO_NEXT ? 0 : retval;
}

/* The root is full: move all its entries one level down (one switch). */
static errcode_t push_down_root(struct atomic_tree *t)
{
	struct ext3_extent_header *root =
		(struct ext3_extent_header *) t->inode->i_block;
	struct ext2fs_extent e[4], ix;
	int n, depth = ext2fs_le16_to_cpu(root->eh_depth);
	blk64_t blk;
	errcode_t retval;

	retval = node_entries(t, depth, 0, e, 4, &n);
	if (!retval)
		retval = new_tree_block(t, &blk);
	if (!retval)
		retval = write_node(t, blk, depth, e, n);
	if (retval)
		return retval;
	ix.e_lblk = n ? e[0].e_lblk : 0;
	ix.e_pblk = blk;
	root->eh_entries = ext2fs_cpu_to_le16(1);
	root->eh_depth = ext2fs_cpu_to_le16(depth + 1);
	encode_entry(root, 0, 0, &ix);
	retval = ext2fs_write_inode(t->fs, t->ino, t->inode);
	if (retval)
		return retval;
	/* The handle's view of the root is stale now. */
	atomic_tree_close(t);
	return atomic_tree_open(t->ac, t->ino, t->inode, t);
}

/*
 * The node at height h holding lblk is full and is not the root, and
 * its parent has room: move its upper half to a new node.
 */
static errcode_t split_node(struct atomic_tree *t, int h, blk64_t lblk)
{
	struct ext2fs_extent *e = NULL, cur, ix;
	int n, k, i;
	blk64_t blk;
	errcode_t retval;

	retval = ext2fs_get_array(t->fs->blocksize / sizeof(struct ext3_extent),
				  sizeof(*e), &e);
	if (retval)
		return retval;
	retval = node_entries(t, h, lblk, e,
			      t->fs->blocksize / sizeof(struct ext3_extent), &n);
	if (retval)
		goto cleanup;
	k = n / 2;
	retval = new_tree_block(t, &blk);
	if (!retval)
		retval = write_node(t, blk, h, e + k, n - k);
	if (!retval)
		retval = ext2fs_write_inode(t->fs, t->ino, t->inode);
	if (retval)
		goto cleanup;
	/* Hook the new node in after the old one. */
	retval = ext2fs_extent_goto2(t->handle, h + 1, e[0].e_lblk);
	if (retval)
		goto cleanup;
	ix.e_lblk = e[k].e_lblk;
	ix.e_pblk = blk;
	ix.e_len = 1;
	ix.e_flags = 0;
	retval = ext2fs_extent_insert(t->handle, EXT2_EXTENT_INSERT_AFTER |
				      EXT2_EXTENT_INSERT_NOSPLIT, &ix);
	if (retval)
		goto cleanup;
	/* Drop the copies from the old node, which now ends at e[k - 1]. */
	retval = ext2fs_extent_goto2(t->handle, h, e[k - 1].e_lblk);
	for (i = k; i < n && !retval; i++) {
		retval = ext2fs_extent_get(t->handle, EXT2_EXTENT_NEXT_SIB,
					   &cur);
		if (!retval && cur.e_lblk != e[i].e_lblk)
			retval = EXT2_ET_ATOMIC_CORRUPT_MAP;
		if (!retval)
			retval = ext2fs_extent_delete(t->handle, 0);
		if (!retval)
			retval = ext2fs_extent_goto2(t->handle, h,
						     e[k - 1].e_lblk);
	}
cleanup:
	ext2fs_free_mem(&e);
	return retval;
}

/* Free entries of the node at height h holding lblk; is it the root? */
static errcode_t node_room(struct atomic_tree *t, int h, blk64_t lblk,
			   int *room, int *is_root)
{
	struct ext2_extent_info info;
	errcode_t retval;

	retval = ext2fs_extent_goto2(t->handle, h, lblk);
	if (retval == EXT2_ET_EXTENT_NOT_FOUND &&
	    ext2fs_extent_get_info(t->handle, &info) == 0 &&
	    info.num_entries == 0) {
		*room = info.max_entries;	/* empty tree */
		*is_root = 1;
		return 0;
	}
	if (retval && retval != EXT2_ET_EXTENT_NOT_FOUND)
		return retval;
	retval = ext2fs_extent_get_info(t->handle, &info);
	if (retval)
		return retval;
	*room = info.max_entries - info.num_entries;
	*is_root = info.curr_level == 0;
	return 0;
}

/*
 * Make sure one more entry fits in the leaf that holds lblk, growing
 * the tree safely if needed.
 */
errcode_t atomic_reserve_slot(struct atomic_tree *t, blk64_t lblk)
{
	struct ext2_extent_info info;
	int step, h, room, is_root;
	errcode_t retval;

	for (step = 0; step < MAX_GROW_STEPS; step++) {
		/* Find the lowest level, from the leaf up, with room. */
		for (h = 0; ; h++) {
			retval = node_room(t, h, lblk, &room, &is_root);
			if (retval)
				return retval;
			if (room > 0 || is_root)
				break;
		}
		if (h == 0 && room > 0)
			return 0;
		if (room == 0)
			retval = push_down_root(t);
		else
			retval = split_node(t, h - 1, lblk);
		if (retval)
			return retval;
	}
	retval = ext2fs_extent_get_info(t->handle, &info);
	return retval ? retval : EXT2_ET_CANT_INSERT_EXTENT;
}

/*
 * Insert ext, whose logical range must be wholly unmapped, at its place
 * in the tree: before the first extent after it, or after the last one.
 */
errcode_t atomic_insert_extent(struct atomic_tree *t,
			       struct ext2fs_extent *ext)
{
	struct ext2fs_extent cur;
	errcode_t retval;
	int flags = 0;

	retval = atomic_reserve_slot(t, ext->e_lblk);
	if (retval)
		return retval;
	retval = atomic_seek_extent(t, ext->e_lblk, &cur);
	if (!retval && cur.e_lblk < ext->e_lblk + ext->e_len)
		return EXT2_ET_ATOMIC_BAD_RANGE;
	if (retval == EXT2_ET_EXTENT_NO_NEXT) {
		if (!ext2fs_extent_get(t->handle, EXT2_EXTENT_LAST_LEAF, &cur))
			flags = EXT2_EXTENT_INSERT_AFTER;
	} else if (retval) {
		return retval;
	}
	retval = ext2fs_extent_insert(t->handle,
				      flags | EXT2_EXTENT_INSERT_NOSPLIT, ext);
	if (!retval)
		retval = ext2fs_extent_fix_parents(t->handle);
	return retval;
}

/*
 * Map [lblk, lblk + len) to [pblk, pblk + len), as extents of the
 * largest allowed length.  The logical range must be unmapped.
 */
errcode_t atomic_map_range(struct atomic_tree *t, blk64_t lblk,
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
		retval = atomic_insert_extent(t, &ext);
		lblk += n;
		pblk += n;
		len -= n;
	}
	return retval;
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
