/*
 * atomic_extent.c --- extent tree walks and copy-on-write tree changes.
 *
 * Walks.  After ext2fs_extent_goto(), libext2fs 1.47 has not marked the
 * index levels above the leaf as visited, so the first
 * EXT2_EXTENT_NEXT_LEAF that has to leave the leaf goes down into the
 * same leaf again and returns its first extent.  atomic_next_extent()
 * skips what it has already seen (extents come in strictly increasing
 * logical order), which also repairs the visit marks.
 *
 * Changes.  libext2fs changes a tree in place: an insertion shifts the
 * entries of a leaf and splits a full node by shrinking it before
 * hooking the new node in.  A crash between two of its writes, or a
 * write torn at a sector boundary (the block's checksum is in its
 * tail), can lose entries or leave two nodes claiming the same ones,
 * and stock e2fsck 1.47 then clears the whole inode.  So the library
 * never changes a tree block in place: atomic_set_range() rebuilds
 * each leaf it changes in memory, writes it (split over more blocks if
 * it overflows) and every node above it to new blocks, and switches
 * the file over by changing the root, which lives in the inode: the
 * inode is queued in the allocator's batch (atomic_batch.c), which
 * flushes the new blocks before it writes the inode, so however the
 * disk orders the writes, the inode on disk points either at the old
 * tree or at a new one that is wholly there.  The old path's blocks
 * are freed once that inode write is behind a flush.  A torn write can
 * then only hit a block nothing points to yet, or the inode, whose 256
 * bytes lie in one sector-aligned piece of its inode table block.
 */

#include <string.h>

#include "atomic_int.h"

#define MAX_DEPTH	5	/* ext4's limit on the tree's depth */
#define ROOT_MAX	4	/* entries the root in i_block holds */

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

/* Entries one tree block holds. */
static int block_max(ext2_filsys fs)
{
	return (fs->blocksize - sizeof(struct ext3_extent_header)) /
		sizeof(struct ext3_extent);
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
	eh->eh_max = ext2fs_cpu_to_le16(block_max(fs));
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

static errcode_t elist_push(struct elist *l, const struct ext2fs_extent *x)
{
	errcode_t retval;
	int n;

	if (l->n == l->alloc) {
		n = l->alloc ? l->alloc * 2 : 64;
		retval = ext2fs_resize_mem(l->alloc * sizeof(*x),
					   n * sizeof(*x), &l->e);
		if (retval)
			return retval;
		l->alloc = n;
	}
	l->e[l->n++] = *x;
	return 0;
}

/* One node on the path from the root down to the leaf holding lblk. */
struct path_node {
	struct ext2fs_extent	*e;	/* its entries */
	int			n;	/* how many */
	int			at;	/* the entry on the path */
	blk64_t			blk;	/* its block; 0 for the root */
};

/* Read the nodes on the path to lblk, root (height depth) to leaf. */
static errcode_t read_path(struct atomic_tree *t, int depth, blk64_t lblk,
			   struct path_node *p, int max)
{
	struct ext3_extent_header *root =
		(struct ext3_extent_header *) t->inode->i_block;
	errcode_t retval;
	int g;

	for (g = depth; g >= 0; g--) {
		p[g].n = 0;
		p[g].at = 0;
		p[g].blk = g == depth ? 0 : p[g + 1].e[p[g + 1].at].e_pblk;
		if (g == depth && !root->eh_entries) {
			if (depth)
				return EXT2_ET_ATOMIC_CORRUPT_MAP;
			break;		/* an empty tree */
		}
		retval = node_entries(t, g, lblk, p[g].e, max, &p[g].n);
		if (retval)
			return retval;
		if (!p[g].n)
			return EXT2_ET_ATOMIC_CORRUPT_MAP;
		while (p[g].at + 1 < p[g].n &&
		       p[g].e[p[g].at + 1].e_lblk <= lblk)
			p[g].at++;
	}
	return 0;
}

/* The first logical block after the leaf of the path (2^32: none). */
static blk64_t leaf_end(const struct path_node *p, int depth)
{
	blk64_t end = 1ULL << 32;
	int g;

	for (g = 1; g <= depth; g++)
		if (p[g].at + 1 < p[g].n && p[g].e[p[g].at + 1].e_lblk < end)
			end = p[g].e[p[g].at + 1].e_lblk;
	return end;
}

/* Can b be folded into a, its logical and physical successor? */
static int mergeable(const struct ext2fs_extent *a,
		     const struct ext2fs_extent *b)
{
	__u32 max = atomic_ext_uninit(a) ? EXT_UNINIT_MAX_LEN : EXT_INIT_MAX_LEN;

	return a->e_lblk + a->e_len == b->e_lblk &&
	       a->e_pblk + a->e_len == b->e_pblk &&
	       atomic_ext_uninit(a) == atomic_ext_uninit(b) &&
	       (blk64_t) a->e_len + b->e_len <= max;
}

/* Append [lblk, end) of x to out, merged into its last entry if it can. */
static errcode_t push_piece(struct elist *out, const struct ext2fs_extent *x,
			    blk64_t lblk, blk64_t end)
{
	struct ext2fs_extent piece = *x;

	if (lblk >= end)
		return 0;
	piece.e_pblk = x->e_pblk + (lblk - x->e_lblk);
	piece.e_lblk = lblk;
	piece.e_len = end - lblk;
	piece.e_flags &= EXT2_EXTENT_FLAGS_UNINIT;
	if (out->n && mergeable(&out->e[out->n - 1], &piece)) {
		out->e[out->n - 1].e_len += piece.e_len;
		return 0;
	}
	return elist_push(out, &piece);
}

/*
 * The leaf's entries with [a, b) replaced by the parts of e[0..n) that
 * lie in it.
 */
static errcode_t leaf_edit(const struct path_node *leaf, blk64_t a,
			   blk64_t b, const struct ext2fs_extent *e, int n,
			   struct elist *out)
{
	const struct ext2fs_extent *x;
	errcode_t retval = 0;
	blk64_t end;
	int i;

	for (i = 0; i < leaf->n && !retval; i++) {
		x = &leaf->e[i];
		end = x->e_lblk + x->e_len;
		retval = push_piece(out, x, x->e_lblk, end < a ? end : a);
	}
	for (i = 0; i < n && !retval; i++) {
		end = e[i].e_lblk + e[i].e_len;
		retval = push_piece(out, &e[i],
				    e[i].e_lblk > a ? e[i].e_lblk : a,
				    end < b ? end : b);
	}
	for (i = 0; i < leaf->n && !retval; i++) {
		x = &leaf->e[i];
		retval = push_piece(out, x, x->e_lblk > b ? x->e_lblk : b,
				    x->e_lblk + x->e_len);
	}
	return retval;
}

static int same_entries(const struct elist *l, const struct path_node *p)
{
	int i;

	if (l->n != p->n)
		return 0;
	for (i = 0; i < l->n; i++)
		if (l->e[i].e_lblk != p->e[i].e_lblk ||
		    l->e[i].e_pblk != p->e[i].e_pblk ||
		    l->e[i].e_len != p->e[i].e_len ||
		    atomic_ext_uninit(&l->e[i]) != atomic_ext_uninit(&p->e[i]))
			return 0;
	return 1;
}

/*
 * Write the entries of cur, at height g, to as many new blocks as they
 * need, and make cur the list of index entries pointing at them.
 */
static errcode_t write_level(struct atomic_tree *t, int g, struct elist *cur)
{
	struct elist up = { NULL, 0, 0 };
	struct ext2fs_extent ix;
	int bmax = block_max(t->fs), k, i, first, cnt;
	errcode_t retval = 0;

	k = (cur->n + bmax - 1) / bmax;
	for (i = 0, first = 0; i < k && !retval; i++, first += cnt) {
		cnt = cur->n / k + (i < cur->n % k);
		memset(&ix, 0, sizeof(ix));
		ix.e_lblk = cur->e[first].e_lblk;
		retval = new_tree_block(t, &ix.e_pblk);
		if (!retval)
			retval = write_node(t, ix.e_pblk, g, cur->e + first,
					    cnt);
		if (!retval)
			retval = elist_push(&up, &ix);
	}
	ext2fs_free_mem(&cur->e);
	*cur = up;
	return retval;
}

/*
 * Rewrite the root in the inode with the entries of l: the one switch,
 * queued in the batch.
 */
static errcode_t write_root(struct atomic_tree *t, int depth,
			    const struct elist *l)
{
	struct ext3_extent_header *root =
		(struct ext3_extent_header *) t->inode->i_block;
	int i;

	root->eh_entries = ext2fs_cpu_to_le16(l->n);
	root->eh_depth = ext2fs_cpu_to_le16(l->n ? depth : 0);
	for (i = 0; i < l->n; i++)
		encode_entry(root, i, depth == 0, &l->e[i]);
	return atomic_queue_inode(t->ac, t->ino, t->inode);
}

/*
 * Replace the leaf of path p by the entries of cur, copy on write: the
 * new leaf (or leaves, when they do not fit one block) and every node
 * above it go to new blocks, each parent with its path entry replaced
 * by the entries of its new children; the root, in the inode, is
 * changed last, growing a level when it overflows, and the inode
 * queued: only its write makes the file see the change.  The old
 * path's blocks are freed once that write is on disk.
 */
static errcode_t cow_path(struct atomic_tree *t, struct path_node *p,
			  int depth, struct elist *cur)
{
	struct elist parent = { NULL, 0, 0 };
	errcode_t retval = 0;
	blk64_t lblk;
	int g, i, j;

	for (g = 0; g < depth && !retval; g++) {
		lblk = p[g + 1].e[p[g + 1].at].e_lblk;
		retval = write_level(t, g, cur);
		if (retval)
			break;
		if (cur->n && cur->e[0].e_lblk > lblk)
			cur->e[0].e_lblk = lblk;	/* keep its range */
		parent.n = 0;
		for (i = 0; i < p[g + 1].n && !retval; i++) {
			if (i != p[g + 1].at) {
				retval = elist_push(&parent, &p[g + 1].e[i]);
				continue;
			}
			for (j = 0; j < cur->n && !retval; j++)
				retval = elist_push(&parent, &cur->e[j]);
		}
		if (retval)
			break;
		ext2fs_free_mem(&cur->e);
		*cur = parent;
		memset(&parent, 0, sizeof(parent));
	}
	while (!retval && cur->n > ROOT_MAX) {	/* the root overflows */
		if (++depth > MAX_DEPTH)
			retval = EXT2_ET_CANT_INSERT_EXTENT;
		else
			retval = write_level(t, depth - 1, cur);
	}
	if (retval)
		goto cleanup;
	for (g = 0; p[g].blk; g++)
		ext2fs_iblk_sub_blocks(t->fs, t->inode, 1);
	retval = write_root(t, depth, cur);
	if (retval)
		goto cleanup;
	for (g = 0; p[g].blk && !retval; g++)
		retval = ext2fs_atomic_free_blocks(t->ac, p[g].blk, 1);
	if (retval)
		goto cleanup;
	/* The handle's view of the tree is stale now. */
	atomic_tree_close(t);
	retval = atomic_tree_open(t->ac, t->ino, t->inode, t);
cleanup:
	ext2fs_free_mem(&parent.e);
	return retval;
}

/*
 * Make [l0, l1) map exactly to the extents e[0..n) (in logical order,
 * inside the range, each at most one extent long; holes allowed), copy
 * on write, one leaf at a time.  Between two leaves the file maps the
 * new blocks for the part already switched and the old ones for the
 * rest: the caller keeps both copies until the end.
 */
errcode_t atomic_set_range(struct atomic_tree *t, blk64_t l0, blk64_t l1,
			   const struct ext2fs_extent *e, int n)
{
	struct ext3_extent_header *root =
		(struct ext3_extent_header *) t->inode->i_block;
	struct path_node p[MAX_DEPTH + 1];
	struct ext2fs_extent *buf = NULL;
	struct elist out = { NULL, 0, 0 };
	int max = block_max(t->fs), depth, g;
	blk64_t pos = l0, b;
	errcode_t retval;

	retval = ext2fs_get_array((MAX_DEPTH + 1) * max, sizeof(*buf), &buf);
	if (retval)
		return retval;
	for (g = 0; g <= MAX_DEPTH; g++)
		p[g].e = buf + g * max;
	while (pos < l1) {
		depth = ext2fs_le16_to_cpu(root->eh_depth);
		retval = depth > MAX_DEPTH ? EXT2_ET_ATOMIC_CORRUPT_MAP :
			 read_path(t, depth, pos, p, max);
		if (retval)
			break;
		b = leaf_end(p, depth);
		if (b > l1 || b <= pos)
			b = l1;
		out.n = 0;
		retval = leaf_edit(&p[0], pos, b, e, n, &out);
		if (!retval && !same_entries(&out, &p[0]))
			retval = cow_path(t, p, depth, &out);
		if (retval)
			break;
		pos = b;
	}
	ext2fs_free_mem(&out.e);
	ext2fs_free_mem(&buf);
	return retval;
}

/*
 * Append the mapping of [lblk, lblk + len) to [pblk, pblk + len) to l,
 * as extents of the largest allowed length.
 */
errcode_t atomic_elist_add_range(struct elist *l, blk64_t lblk,
				 blk64_t pblk, blk64_t len, int uninit)
{
	blk64_t max = uninit ? EXT_UNINIT_MAX_LEN : EXT_INIT_MAX_LEN;
	struct ext2fs_extent ext;
	errcode_t retval = 0;

	ext.e_flags = uninit ? EXT2_EXTENT_FLAGS_UNINIT : 0;
	while (len && !retval) {
		ext.e_lblk = lblk;
		ext.e_pblk = pblk;
		ext.e_len = len < max ? len : max;
		retval = elist_push(l, &ext);
		lblk += ext.e_len;
		pblk += ext.e_len;
		len -= ext.e_len;
	}
	return retval;
}

/* Map [lblk, lblk + len) to [pblk, pblk + len); it must be unmapped. */
errcode_t atomic_map_range(struct atomic_tree *t, blk64_t lblk,
			   blk64_t pblk, blk64_t len, int uninit)
{
	struct elist l = { NULL, 0, 0 };
	struct ext2fs_extent cur;
	errcode_t retval;

	retval = atomic_seek_extent(t, lblk, &cur);
	if (!retval && cur.e_lblk < lblk + len)
		return EXT2_ET_ATOMIC_BAD_RANGE;
	if (retval && retval != EXT2_ET_EXTENT_NO_NEXT)
		return retval;
	retval = atomic_elist_add_range(&l, lblk, pblk, len, uninit);
	if (!retval)
		retval = atomic_set_range(t, lblk, lblk + len, l.e, l.n);
	ext2fs_free_mem(&l.e);
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
