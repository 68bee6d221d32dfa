/*
 * atomic_alloc.c --- the aligned allocator.
 *
 * A run is U * n blocks starting at a block number that is a multiple
 * of U counted from block 0 of the filesystem (not from the start of a
 * group: on 1 KiB-block filesystems s_first_data_block is 1).  The
 * search uses the bitmaps' own find_first_zero/find_first_set, so it
 * skips used and free stretches without looking at single blocks.
 *
 * Besides fs->block_map the allocator consults a map of its own,
 * "meta", every group's metadata (belt and braces: the block bitmap
 * already marks it, unless it is damaged).  Blocks that a change
 * unlinks are not freed at once: the batch (atomic_batch.c) keeps them
 * marked in fs->block_map until the switch that unlinked them is on
 * disk behind a flush, so neither this allocator nor libext2fs can
 * overwrite data that the file on disk may still map.  When no run is
 * free and the batch holds such blocks, the allocator syncs the batch
 * and looks again.
 */

#include <errno.h>
#include <stdlib.h>

#include "atomic_int.h"

struct ext2fs_atomic_alloc {
	ext2_filsys		fs;
	blk64_t			unit;
	ext2fs_block_bitmap	meta;
	struct atomic_batch	*batch;
};

static blk64_t round_up(blk64_t blk, blk64_t unit)
{
	return (blk + unit - 1) / unit * unit;
}

static void mark_group_metadata(ext2_filsys fs, dgrp_t group,
				ext2fs_block_bitmap map)
{
	blk64_t blk;

	ext2fs_reserve_super_and_bgd(fs, group, map);
	blk = ext2fs_block_bitmap_loc(fs, group);
	if (blk)
		ext2fs_mark_block_bitmap2(map, blk);
	blk = ext2fs_inode_bitmap_loc(fs, group);
	if (blk)
		ext2fs_mark_block_bitmap2(map, blk);
	blk = ext2fs_inode_table_loc(fs, group);
	if (blk && blk + fs->inode_blocks_per_group <=
	    ext2fs_blocks_count(fs->super))
		ext2fs_mark_block_bitmap_range2(map, blk,
						fs->inode_blocks_per_group);
}

errcode_t ext2fs_atomic_alloc_open(ext2_filsys fs, ext2fs_atomic_alloc_t *ret)
{
	ext2fs_atomic_alloc_t ac;
	errcode_t retval;
	dgrp_t group;

	/* Reading again would drop changes not yet written. */
	if (!fs->block_map) {
		retval = ext2fs_read_block_bitmap(fs);
		if (retval)
			return retval;
	}
	retval = ext2fs_get_memzero(sizeof(*ac), &ac);
	if (retval)
		return retval;
	ac->fs = fs;
	ac->unit = ext2fs_atomic_unit_blocks(fs);
	retval = ext2fs_allocate_block_bitmap(fs, "atomic metadata map",
					      &ac->meta);
	if (retval)
		goto cleanup;
	retval = atomic_batch_new(&ac->batch);
	if (retval)
		goto cleanup;
	for (group = 0; group < fs->group_desc_count; group++)
		mark_group_metadata(fs, group, ac->meta);
	*ret = ac;
	return 0;
cleanup:
	ext2fs_atomic_alloc_close(ac);
	return retval;
}

ext2_filsys ext2fs_atomic_alloc_fs(ext2fs_atomic_alloc_t ac)
{
	return ac->fs;
}

struct atomic_batch *atomic_alloc_batch(ext2fs_atomic_alloc_t ac)
{
	return ac->batch;
}

/*
 * Sync the batch (every queued switch written and flushed, every block
 * it unlinked free again), then let go.  The filesystem's bitmaps and
 * counters are written when it is closed, after this.
 */
errcode_t ext2fs_atomic_alloc_close(ext2fs_atomic_alloc_t ac)
{
	errcode_t retval = 0;

	if (!ac)
		return 0;
	if (ac->batch)
		retval = ext2fs_atomic_sync(ac);
	if (ac->meta)
		ext2fs_free_block_bitmap(ac->meta);
	atomic_batch_free(ac->batch);
	ext2fs_free_mem(&ac);
	return retval;
}

/* First block >= blk that is free in map, or end if there is none. */
static blk64_t next_zero(ext2fs_block_bitmap map, blk64_t blk, blk64_t end)
{
	blk64_t out;

	if (blk >= end || ext2fs_find_first_zero_block_bitmap2(map, blk,
							       end - 1, &out))
		return end;
	return out;
}

/* First block in [blk, end) that is set in map, or end if none is. */
static blk64_t next_set(ext2fs_block_bitmap map, blk64_t blk, blk64_t end)
{
	blk64_t out;

	if (blk >= end || ext2fs_find_first_set_block_bitmap2(map, blk,
							      end - 1, &out))
		return end;
	return out;
}

/*
 * Where the next candidate may start if [start, start + len) is not
 * free in map: past the first used block, and past the whole used
 * stretch that begins there.  Returns 0 when the run is free.
 */
static blk64_t blocked_until(ext2fs_block_bitmap map, blk64_t start,
			     blk64_t len, blk64_t to)
{
	blk64_t hit = next_set(map, start, start + len);

	if (hit == start + len)
		return 0;
	return next_zero(map, hit, to);
}

/* Search [from, to) for an aligned free run of len blocks. */
static errcode_t search(ext2fs_atomic_alloc_t ac, blk64_t from, blk64_t to,
			blk64_t len, blk64_t *ret)
{
	ext2_filsys fs = ac->fs;
	blk64_t pos = from, start, skip;

	while (pos < to) {
		start = round_up(next_zero(fs->block_map, pos, to), ac->unit);
		if (start + len > to)
			break;
		skip = blocked_until(fs->block_map, start, len, to);
		if (!skip)
			skip = blocked_until(ac->meta, start, len, to);
		if (!skip) {
			*ret = start;
			return 0;
		}
		pos = skip;
	}
	return EXT2_ET_ATOMIC_NO_SPACE;
}

/*
 * Find (without taking) an aligned free run of len blocks (a multiple
 * of the unit) below limit (0: the end of the filesystem), preferring
 * the first one at or after goal and wrapping around once.
 */
errcode_t ext2fs_atomic_find_run(ext2fs_atomic_alloc_t ac, blk64_t goal,
				 blk64_t limit, blk64_t len, blk64_t *ret)
{
	ext2_filsys fs = ac->fs;
	blk64_t lo = fs->super->s_first_data_block;
	blk64_t end = ext2fs_blocks_count(fs->super);

	if (!len || len % ac->unit)
		return EINVAL;
	if (limit && limit < end)
		end = limit;
	if (goal < lo || goal >= end)
		goal = lo;
	if (!search(ac, goal, end, len, ret))
		return 0;
	/* Wrap around: a run may start before goal and end past it. */
	return search(ac, lo, goal + len < end ? goal + len : end, len, ret);
}

/*
 * Find a run and take it: bitmap, group counters, checksums, sb count.
 * Blocks the batch holds back are tried too, after a sync.
 */
errcode_t ext2fs_atomic_alloc_run(ext2fs_atomic_alloc_t ac, blk64_t goal,
				  blk64_t limit, blk64_t len, blk64_t *ret)
{
	errcode_t retval;

	retval = ext2fs_atomic_find_run(ac, goal, limit, len, ret);
	if (retval == EXT2_ET_ATOMIC_NO_SPACE &&
	    atomic_batch_holds_blocks(ac)) {
		retval = ext2fs_atomic_sync(ac);
		if (!retval)
			retval = ext2fs_atomic_find_run(ac, goal, limit, len,
							ret);
	}
	if (retval)
		return retval;
	ext2fs_block_alloc_stats_range(ac->fs, *ret, len, +1);
	return 0;
}

/*
 * Give blocks back to the filesystem.  With bigalloc a cluster is
 * freed once, however many of its blocks are named (the blocks of a
 * cluster all belong to one logical cluster of one file, which the
 * caller frees as a whole).
 */
void atomic_release_blocks(ext2fs_atomic_alloc_t ac, blk64_t blk,
			   blk64_t len)
{
	ext2_filsys fs = ac->fs;
	blk64_t end = blk + len;

	if (EXT2FS_CLUSTER_RATIO(fs) == 1) {
		ext2fs_block_alloc_stats_range(fs, blk, len, -1);
		return;
	}
	blk = EXT2FS_C2B(fs, EXT2FS_B2C(fs, blk));
	for (; blk < end; blk += EXT2FS_CLUSTER_RATIO(fs))
		if (ext2fs_test_block_bitmap2(fs->block_map, blk))
			ext2fs_block_alloc_stats2(fs, blk, -1);
}

/* Does [blk, blk + len) touch any group's metadata? */
int ext2fs_atomic_is_metadata(ext2fs_atomic_alloc_t ac, blk64_t blk,
			      blk64_t len)
{
	ext2_filsys fs = ac->fs;
	blk64_t end = blk + len;

	if (blk < fs->super->s_first_data_block ||
	    end > ext2fs_blocks_count(fs->super))
		return 1;
	return next_set(ac->meta, blk, end) < end;
}

/* Is the unit holding blk wholly free: a run the allocator could give? */
static int in_free_unit(ext2fs_atomic_alloc_t ac, blk64_t blk)
{
	ext2_filsys fs = ac->fs;
	blk64_t start = blk - blk % ac->unit;

	if (start < fs->super->s_first_data_block ||
	    start + ac->unit > ext2fs_blocks_count(fs->super))
		return 0;
	return next_set(fs->block_map, start, start + ac->unit) ==
			start + ac->unit &&
	       next_set(ac->meta, start, start + ac->unit) ==
			start + ac->unit;
}

/* A free block in [from, to) outside every wholly free unit. */
static errcode_t loose_search(ext2fs_atomic_alloc_t ac, blk64_t from,
			      blk64_t to, blk64_t *ret)
{
	blk64_t pos = from, blk, used;

	while (pos < to) {
		blk = next_zero(ac->fs->block_map, pos, to);
		if (blk >= to)
			break;
		if (ext2fs_test_block_bitmap2(ac->meta, blk)) {
			pos = next_zero(ac->meta, blk, to);
			continue;
		}
		if (!in_free_unit(ac, blk)) {
			*ret = blk;
			return 0;
		}
		/* Free units up to the next used block: skip them. */
		used = next_set(ac->fs->block_map, blk, to);
		pos = used - used % ac->unit;
		if (pos <= blk)
			pos = blk - blk % ac->unit + ac->unit;
	}
	return EXT2_ET_ATOMIC_NO_SPACE;
}

/*
 * Take one block for metadata (an extent-tree node) without breaking
 * a free aligned run: the first free block at or after goal (wrapping
 * around) whose unit is partly in use; any free block if there is no
 * such block.
 */
errcode_t ext2fs_atomic_alloc_loose_block(ext2fs_atomic_alloc_t ac,
					  blk64_t goal, blk64_t *ret)
{
	ext2_filsys fs = ac->fs;
	blk64_t lo = fs->super->s_first_data_block;
	blk64_t end = ext2fs_blocks_count(fs->super);
	errcode_t retval;

	if (goal < lo || goal >= end)
		goal = lo;
	retval = loose_search(ac, goal, end, ret);
	if (retval)
		retval = loose_search(ac, lo, goal, ret);
	if (retval)
		retval = ext2fs_new_block2(fs, goal, NULL, ret);
	if (!retval)
		ext2fs_block_alloc_stats2(fs, *ret, +1);
	return retval;
}
