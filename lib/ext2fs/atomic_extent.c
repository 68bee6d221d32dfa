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
 * relocator must survive a crash after any single write, and a torn
 * write, so before any insertion it makes room itself, copy on write:
 * new blocks are written first, nothing points to them yet, and one
 * write of the inode switches the file over.
 *   - root full: write a new block holding all root entries, then
 *     rewrite the inode with a one-entry index root pointing to it;
 *   - other node full: write its two halves to two new blocks and each
 *     node above it, up to the root, to a new block pointing to its new
 *     child (the parent also gets the upper half's entry), then rewrite
 *     the root in the inode.  The old path's blocks are freed.
 * A tree block is never rewritten in place while it grows: a torn
 * write of one used to leave a block whose checksum did not match, and
 * stock e2fsck (1.47) clears the whole inode when it must also repair
 * a child of such a block.
 */

#include <string.h>

#include "atomic_int.h"

#define MAX_GROW_STEPS	16
#define MAX_DEPTH	5	/* ext4's limit on the tree's depth */

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

/* One node on the path from the root down to the entry for lblk. */
struct path_node {
	struct ext2fs_extent	*e;	/* its entries, with room for one more */
	int			n;	/* how many */
	int			at;	/* the entry on the path */
	blk64_t			blk;	/* its block; 0 for the root */
};

/* Read the nodes at heights h..depth on the path to lblk. */
static errcode_t read_path(struct atomic_tree *t, int h, int depth,
			   blk64_t lblk, struct path_node *p, int max)
{
	errcode_t retval;
	int g;

	for (g = depth; g >= h; g--) {
		retval = node_entries(t, g, lblk, p[g].e, max, &p[g].n);
		if (retval)
			return retval;
		if (!p[g].n)
			return EXT2_ET_ATOMIC_CORRUPT_MAP;
		for (p[g].at = 0; p[g].at + 1 < p[g].n &&
		     p[g].e[p[g].at + 1].e_lblk <= lblk; p[g].at++)
			;
		p[g].blk = g == depth ? 0 :
			p[g + 1].e[p[g + 1].at].e_pblk;
	}
	return 0;
}

/* Write entries as a new tree block at height g; *blk gets its number. */
static errcode_t write_new_node(struct atomic_tree *t, int g,
				const struct ext2fs_extent *e, int n,
				blk64_t *blk)
{
	errcode_t retval;

	retval = new_tree_block(t, blk);
	if (!retval)
		retval = write_node(t, *blk, g, e, n);
	return retval;
}

/* Rewrite the root in the inode with entries e[0..n): the one switch. */
static errcode_t write_root(struct atomic_tree *t, int depth,
			    const struct ext2fs_extent *e, int n)
{
	struct ext3_extent_header *root =
		(struct ext3_extent_header *) t->inode->i_block;
	int i;

	root->eh_entries = ext2fs_cpu_to_le16(n);
	root->eh_depth = ext2fs_cpu_to_le16(depth);
	for (i = 0; i < n; i++)
		encode_entry(root, i, depth == 0, &e[i]);
	return ext2fs_write_inode(t->fs, t->ino, t->inode);
}

/*
 * The node at height h holding lblk is full and is not the root, and
 * its parent has room: split it, copy on write.  Its two halves go to
 * two new blocks; each node above it up to the root is rewritten to a
 * new block with its path entry pointing to the new child (the parent
 * gets the entry for the upper half too); the inode, written once,
 * switches the file to the new path.  Until that write the old tree is
 * untouched, and no tree block is ever written in place, so a torn
 * write can only hit a block nothing points to.
 */
static errcode_t split_node(struct atomic_tree *t, int h, blk64_t lblk)
{
	struct ext3_extent_header *root =
		(struct ext3_extent_header *) t->inode->i_block;
	int depth = ext2fs_le16_to_cpu(root->eh_depth);
	int max = t->fs->blocksize / sizeof(struct ext3_extent) + 1;
	struct path_node p[MAX_DEPTH + 1];
	struct ext2fs_extent *buf = NULL, *e, hi_ix;
	blk64_t lo, hi, child;
	errcode_t retval;
	int g, k;

	if (depth > MAX_DEPTH || h >= depth)
		return EXT2_ET_ATOMIC_CORRUPT_MAP;
	retval = ext2fs_get_array((depth + 1) * max, sizeof(*buf), &buf);
	if (retval)
		return retval;
	for (g = 0; g <= depth; g++)
		p[g].e = buf + g * max;
	retval = read_path(t, h, depth, lblk, p, max - 1);
	if (retval)
		goto cleanup;
	k = p[h].n / 2;
	retval = write_new_node(t, h, p[h].e, k, &lo);
	if (!retval)
		retval = write_new_node(t, h, p[h].e + k, p[h].n - k, &hi);
	if (retval)
		goto cleanup;
	hi_ix.e_lblk = p[h].e[k].e_lblk;
	hi_ix.e_pblk = hi;
	hi_ix.e_len = 1;
	hi_ix.e_flags = 0;
	child = lo;
	/* The old path's blocks leave with the switch. */
	for (g = h; g < depth; g++)
		ext2fs_iblk_sub_blocks(t->fs, t->inode, 1);
	for (g = h + 1; !retval && g <= depth; g++) {
		e = p[g].e;
		e[p[g].at].e_pblk = child;
		if (g == h + 1) {
			memmove(e + p[g].at + 2, e + p[g].at + 1,
				(p[g].n - p[g].at - 1) * sizeof(*e));
			e[p[g].at + 1] = hi_ix;
			p[g].n++;
		}
		if (g < depth)
			retval = write_new_node(t, g, e, p[g].n, &child);
		else
			retval = write_root(t, depth, e, p[g].n);
	}
	if (retval)
		goto cleanup;
	/* Switched: the old path is garbage now. */
	for (g = h; g < depth; g++)
		ext2fs_atomic_free_blocks(t->ac, p[g].blk, 1);
	/* The handle's view of the tree is stale now. */
	atomic_tree_close(t);
	retval = atomic_tree_open(t->ac, t->ino, t->inode, t);
cleanup:
	ext2fs_free_mem(&buf);
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
