/*
 * atomic_relocate.c --- move windows of an atomic file to aligned runs.
 *
 * Moving windows [w0, w0 + n) of a file, with U the unit and
 * L0 = w0 * U, L1 = (w0 + n) * U:
 *
 *   1. read the old mapping of [L0, L1);
 *   2. take an aligned free run P of L1 - L0 blocks;
 *   3. copy every written block below EOF to P + (lblk - L0), in large
 *      pieces;
 *   4. switch the extent tree over: [L0, L1) maps P, written where
 *      the old map had written blocks below EOF, unwritten elsewhere
 *      (holes included); atomic_set_range() does it copy on write,
 *      each changed leaf and the path above it to new blocks, the
 *      inode changed in memory and queued (atomic_extent.c);
 *   5. free the old blocks: they stay taken until the switch is on
 *      disk.
 *
 * The batch (atomic_batch.c) then flushes the copies and the new tree
 * blocks of many moves at once, and only after that flush writes the
 * inodes, so at every moment of a crash each block of the file maps a
 * copy of its data, in whatever order the disk took the writes.
 *
 * Written blocks that lie wholly past EOF become unwritten (the rule
 * demands it); unwritten blocks stay unwritten and are not copied.
 */

#include <string.h>

#include "atomic_int.h"

#define COPY_CHUNK_BYTES	(1024 * 1024)

static errcode_t seg_add(struct seg_list *sl, blk64_t lblk, blk64_t pblk,
			 blk64_t len, int uninit)
{
	errcode_t retval;

	retval = atomic_room_for(&sl->segs, &sl->alloc, sl->nr,
				 sizeof(struct seg));
	if (retval)
		return retval;
	sl->segs[sl->nr].lblk = lblk;
	sl->segs[sl->nr].pblk = pblk;
	sl->segs[sl->nr].len = len;
	sl->segs[sl->nr].uninit = uninit;
	sl->nr++;
	return 0;
}

/*
 * The mapping of [l0, l1), in logical order.  A map that a sound
 * filesystem cannot have (overlapping extents, blocks outside the
 * filesystem) is refused before anything is copied or freed.
 */
errcode_t atomic_collect(struct atomic_tree *t, blk64_t l0, blk64_t l1,
			 struct seg_list *sl)
{
	struct ext2_super_block *sb = t->fs->super;
	struct ext2fs_extent ext, prev;
	blk64_t start, end = l0;
	errcode_t retval;

	retval = atomic_seek_extent(t, l0, &ext);
	while (!retval && ext.e_lblk < l1) {
		if ((sl->nr && ext.e_lblk < end) ||
		    ext.e_pblk < sb->s_first_data_block ||
		    ext.e_pblk + ext.e_len > ext2fs_blocks_count(sb))
			return EXT2_ET_ATOMIC_CORRUPT_MAP;
		start = ext.e_lblk > l0 ? ext.e_lblk : l0;
		end = ext.e_lblk + ext.e_len < l1 ? ext.e_lblk + ext.e_len : l1;
		retval = seg_add(sl, start, ext.e_pblk + (start - ext.e_lblk),
				 end - start, atomic_ext_uninit(&ext));
		if (retval)
			return retval;
		prev = ext;
		retval = atomic_next_extent(t, &prev, &ext);
	}
	if (retval == EXT2_ET_EXTENT_NO_NEXT)
		retval = 0;
	return retval;
}

/*
 * Copy the written blocks below eof of every segment to the new run.
 * No flush here: the batch flushes before any inode points at the copy.
 */
static errcode_t copy_data(ext2_filsys fs, const struct seg_list *sl,
			   blk64_t l0, blk64_t new_pblk, blk64_t eof,
			   struct ext2fs_atomic_reloc_stats *st)
{
	blk64_t chunk = COPY_CHUNK_BYTES / fs->blocksize, lblk, end, n;
	const struct seg *s;
	errcode_t retval;
	char *buf;
	size_t i;

	if (!chunk)
		chunk = 1;
	retval = ext2fs_get_mem(chunk * fs->blocksize, &buf);
	if (retval)
		return retval;
	for (i = 0; i < sl->nr; i++) {
		s = &sl->segs[i];
		if (s->uninit)
			continue;
		end = s->lblk + s->len < eof ? s->lblk + s->len : eof;
		for (lblk = s->lblk; lblk < end; lblk += n) {
			n = end - lblk < chunk ? end - lblk : chunk;
			retval = io_channel_read_blk64(fs->io,
					s->pblk + (lblk - s->lblk), n, buf);
			if (retval)
				goto cleanup;
			retval = io_channel_write_blk64(fs->io,
					new_pblk + (lblk - l0), n, buf);
			if (retval)
				goto cleanup;
			if (st)
				st->blocks_copied += n;
		}
	}
cleanup:
	ext2fs_free_mem(&buf);
	return retval;
}

/*
 * The new map of [l0, l1): every block at new_pblk + (lblk - l0);
 * written where the old map had written blocks below EOF, unwritten
 * elsewhere (holes, unwritten blocks, blocks past EOF).
 */
static errcode_t new_map(const struct seg_list *sl, blk64_t l0, blk64_t l1,
			 blk64_t new_pblk, blk64_t eof, struct elist *l)
{
	blk64_t lblk = l0, next, cut;
	errcode_t retval = 0;
	size_t i = 0;
	int written;

	while (lblk < l1 && !retval) {
		if (i < sl->nr && sl->segs[i].lblk == lblk) {
			next = lblk + sl->segs[i].len;
			written = !sl->segs[i++].uninit;
		} else {
			next = i < sl->nr ? sl->segs[i].lblk : l1;
			written = 0;
		}
		cut = written && eof > lblk && eof < next ? eof : next;
		retval = atomic_elist_add_range(l, lblk, new_pblk + (lblk - l0),
						cut - lblk,
						!written || lblk >= eof);
		if (!retval && cut < next)
			retval = atomic_elist_add_range(l, cut,
							new_pblk + (cut - l0),
							next - cut, 1);
		lblk = next;
	}
	return retval;
}

/* Logical clusters that the segments map. */
blk64_t atomic_mapped_clusters(ext2_filsys fs, const struct seg_list *sl)
{
	blk64_t mapped = 0, last = ~0ULL, c, first, end;
	size_t i;

	for (i = 0; i < sl->nr; i++) {
		first = EXT2FS_B2C(fs, sl->segs[i].lblk);
		end = EXT2FS_B2C(fs, sl->segs[i].lblk + sl->segs[i].len - 1);
		for (c = first; c <= end; c++)
			if (c != last) {
				mapped++;
				last = c;
			}
	}
	return mapped;
}

/* Step 4 of the header comment. */
static errcode_t switch_over(struct atomic_tree *t,
			     const struct seg_list *sl, blk64_t l0,
			     blk64_t l1, blk64_t new_pblk, blk64_t eof)
{
	struct elist l = { NULL, 0, 0 };
	errcode_t retval;

	retval = new_map(sl, l0, l1, new_pblk, eof, &l);
	if (!retval)
		retval = atomic_set_range(t, l0, l1, l.e, l.n);
	ext2fs_free_mem(&l.e);
	return retval;
}

/*
 * Move windows [first_window, first_window + nr_windows) of inode ino
 * to one aligned free run, preferably at or after goal, below limit
 * (0: anywhere).  inode may be NULL; if given, it is kept up to date
 * (and must be the file's current state: the batch's copy, see
 * ext2fs_atomic_read_inode()).  Windows with no mapped block are left
 * alone.
 */
static errcode_t move_windows(ext2fs_atomic_alloc_t ac, ext2_ino_t ino,
			      struct ext2_inode *inode, __u64 first_window,
			      __u64 nr_windows, blk64_t goal, blk64_t limit,
			      struct ext2fs_atomic_reloc_stats *st)
{
	ext2_filsys fs = ext2fs_atomic_alloc_fs(ac);
	blk64_t unit = ext2fs_atomic_unit_blocks(fs);
	blk64_t l0 = first_window * unit, l1 = l0 + nr_windows * unit;
	struct atomic_tree tree = { NULL, NULL, 0, NULL, NULL }, *t = &tree;
	struct seg_list sl = { NULL, 0, 0 };
	struct ext2_inode inode_buf;
	blk64_t eof, new_pblk, filled;
	errcode_t retval;
	size_t i;

	if (!nr_windows || l1 > (1ULL << 32))
		return EXT2_ET_ATOMIC_BAD_RANGE;
	if (!inode) {
		retval = ext2fs_atomic_read_inode(ac, ino, &inode_buf);
		if (retval)
			return retval;
		inode = &inode_buf;
	}
	retval = atomic_extent_inode(fs, ino, &inode, &inode_buf);
	if (retval)
		return retval;
	eof = (EXT2_I_SIZE(inode) + fs->blocksize - 1) / fs->blocksize;

	retval = atomic_tree_open(ac, ino, inode, t);
	if (retval)
		goto cleanup;
	retval = atomic_collect(t, l0, l1, &sl);
	if (retval || !sl.nr)
		goto cleanup;
	if (!goal)
		goal = sl.segs[0].pblk;
	retval = ext2fs_atomic_alloc_run(ac, goal, limit, l1 - l0, &new_pblk);
	if (retval)
		goto cleanup;
	retval = copy_data(fs, &sl, l0, new_pblk, eof, st);
	if (retval) {
		/* Nothing points at the new run yet: give it back. */
		ext2fs_block_alloc_stats_range(fs, new_pblk, l1 - l0, -1);
		goto cleanup;
	}
	/* The filled holes count before the switch queues the inode. */
	filled = EXT2FS_B2C(fs, l1 - l0) - atomic_mapped_clusters(fs, &sl);
	if (filled)
		retval = ext2fs_iblk_add_blocks(fs, inode, filled);
	if (!retval)
		retval = switch_over(t, &sl, l0, l1, new_pblk, eof);
	for (i = 0; i < sl.nr && !retval; i++)
		retval = ext2fs_atomic_free_blocks(ac, sl.segs[i].pblk,
						   sl.segs[i].len);
	if (retval)
		goto cleanup;
	if (st)
		st->windows_moved += nr_windows;
cleanup:
	atomic_tree_close(t);
	ext2fs_free_mem(&sl.segs);
	return retval;
}

errcode_t ext2fs_atomic_move_windows(ext2fs_atomic_alloc_t ac,
				     ext2_ino_t ino,
				     struct ext2_inode *inode,
				     __u64 first_window, __u64 nr_windows,
				     blk64_t goal, blk64_t limit,
				     struct ext2fs_atomic_reloc_stats *st)
{
	atomic_begin(ac);
	return atomic_end(ac, move_windows(ac, ino, inode, first_window,
					   nr_windows, goal, limit, st));
}

/* The broken windows of one inode, as the checker reports them. */
struct bad_list {
	struct ext2fs_atomic_violation	*v;
	size_t				nr;
	size_t				alloc;
	errcode_t			err;
};

static int note_violation(ext2_ino_t ino EXT2FS_ATTR((unused)),
			  const struct ext2fs_atomic_violation *v, void *priv)
{
	struct bad_list *bl = priv;

	bl->err = atomic_room_for(&bl->v, &bl->alloc, bl->nr, sizeof(*v));
	if (bl->err)
		return 1;
	bl->v[bl->nr++] = *v;
	return 0;
}

/*
 * Move a range of windows; when no aligned run is big enough for all
 * of them, move the halves separately, down to single windows.
 */
static errcode_t move_split(ext2fs_atomic_alloc_t ac, ext2_ino_t ino,
			    struct ext2_inode *inode, __u64 first, __u64 n,
			    blk64_t goal, blk64_t limit,
			    struct ext2fs_atomic_reloc_stats *st)
{
	errcode_t retval;

	retval = move_windows(ac, ino, inode, first, n, goal, limit, st);
	if (retval != EXT2_ET_ATOMIC_NO_SPACE || n == 1)
		return retval;
	retval = move_split(ac, ino, inode, first, n / 2, goal, limit, st);
	if (!retval)
		retval = move_split(ac, ino, inode, first + n / 2, n - n / 2,
				    goal, limit, st);
	return retval;
}

/*
 * Move windows [first, first + n) of inode ino to aligned runs near
 * their old blocks, in pieces of at most one maximal extent, so that a
 * single interrupted move leaves little to redo.  inode (may be NULL) is
 * kept up to date.
 */
errcode_t ext2fs_atomic_relocate_range(ext2fs_atomic_alloc_t ac,
				       ext2_ino_t ino,
				       struct ext2_inode *inode,
				       __u64 first, __u64 n,
				       struct ext2fs_atomic_reloc_stats *st)
{
	ext2_filsys fs = ext2fs_atomic_alloc_fs(ac);
	__u64 per_move = EXT_INIT_MAX_LEN / ext2fs_atomic_unit_blocks(fs);
	struct ext2_inode inode_buf;
	errcode_t retval = 0;
	__u64 w, k;

	if (!per_move)
		per_move = 1;
	atomic_begin(ac);
	if (!inode) {
		retval = ext2fs_atomic_read_inode(ac, ino, &inode_buf);
		inode = &inode_buf;
	}
	for (w = 0; w < n && !retval; w += k) {
		k = n - w < per_move ? n - w : per_move;
		retval = move_split(ac, ino, inode, first + w, k, 0, 0, st);
	}
	return atomic_end(ac, retval);
}

/* Repair every window of inode ino that breaks the rule. */
errcode_t ext2fs_atomic_relocate_inode(ext2fs_atomic_alloc_t ac,
				       ext2_ino_t ino,
				       ext2fs_atomic_progress_func progress,
				       void *priv,
				       struct ext2fs_atomic_reloc_stats *st)
{
	ext2_filsys fs = ext2fs_atomic_alloc_fs(ac);
	struct bad_list bl = { NULL, 0, 0, 0 };
	struct ext2_inode inode;
	__u64 total = 0, done = 0;
	errcode_t retval;
	size_t i;

	atomic_begin(ac);
	retval = ext2fs_atomic_read_inode(ac, ino, &inode);
	if (!retval)
		retval = ext2fs_atomic_check_inode(fs, ino, &inode,
						   note_violation, &bl, NULL);
	if (!retval)
		retval = bl.err;
	if (retval)
		goto cleanup;
	for (i = 0; i < bl.nr; i++)
		total += bl.v[i].nr_windows;
	for (i = 0; i < bl.nr && !retval; i++) {
		retval = ext2fs_atomic_relocate_range(ac, ino, &inode,
						      bl.v[i].first_window,
						      bl.v[i].nr_windows, st);
		done += bl.v[i].nr_windows;
		if (progress)
			progress(ino, done, total, priv);
	}
cleanup:
	ext2fs_free_mem(&bl.v);
	return atomic_end(ac, retval);
}
