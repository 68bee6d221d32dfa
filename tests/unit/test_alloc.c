// SPDX-License-Identifier: GPL-2.0
/*
 * test_alloc.c --- the aligned allocator against a brute-force search
 * over random bitmaps, on 1 KiB, 4 KiB and bigalloc filesystems.
 */

#include <string.h>

#include "unit.h"

/*
 * The reference: the first aligned run of len blocks at or after goal
 * (then from the start) that is free in used, looked at block by block.
 */
static int brute_force(ext2_filsys fs, ext2fs_block_bitmap used,
		       blk64_t unit, blk64_t goal, blk64_t len, blk64_t *ret)
{
	blk64_t first = fs->super->s_first_data_block;
	blk64_t end = ext2fs_blocks_count(fs->super), start, b;
	int pass;

	if (goal < first || goal >= end)
		goal = first;
	for (pass = 0; pass < 2; pass++) {
		start = ((pass ? first : goal) + unit - 1) / unit * unit;
		for (; start + len <= end; start += unit) {
			for (b = start; b < start + len; b++)
				if (ext2fs_test_block_bitmap2(used, b))
					break;
			if (b == start + len) {
				*ret = start;
				return 0;
			}
		}
	}
	return -1;
}

/* Mark random stretches used, in memory only. */
static void age(ext2_filsys fs, unsigned int percent)
{
	blk64_t end = ext2fs_blocks_count(fs->super);
	blk64_t first = fs->super->s_first_data_block, b, n;
	blk64_t target = (end - first) * percent / 100, done = 0;

	while (done < target) {
		b = first + test_rand() % (end - first);
		n = 1 + test_rand() % ((test_rand() % 8) ? 8 : 200);
		if (b + n > end)
			n = end - b;
		ext2fs_mark_block_bitmap_range2(fs->block_map, b, n);
		done += n;
	}
}

/*
 * The last round: everything used but one block in the middle of each
 * aligned unit, so free blocks remain and no aligned run does.
 */
static void no_aligned_run_left(ext2_filsys fs, blk64_t unit)
{
	blk64_t b, first = fs->super->s_first_data_block;
	blk64_t end = ext2fs_blocks_count(fs->super);

	ext2fs_mark_block_bitmap_range2(fs->block_map, first, end - first);
	for (b = unit / 2; unit > 1 && b < end; b += unit)
		if (b >= first && (blk64_t) EXT2FS_CLUSTER_RATIO(fs) < unit)
			ext2fs_unmark_block_bitmap2(fs->block_map, b);
}

static void compare_with_brute_force(unsigned int blocksize,
				     unsigned long long blocks,
				     const char *opts,
				     unsigned long long unit_bytes,
				     unsigned int seed)
{
	struct test_img t;
	ext2fs_block_bitmap snapshot;
	blk64_t unit, goal, len, ours = 0, theirs = 0;
	int round, mismatches = 0, found = 0, missed = 0, meta = 0;
	int ret_ours, ret_theirs;

	test_srand(seed);
	CU_ASSERT_EQUAL_FATAL(test_img_make(&t, blocksize, blocks, opts,
					    unit_bytes), 0);
	unit = ext2fs_atomic_unit_blocks(t.fs);
	for (round = 0; round < 13; round++) {
		if (round < 12)
			age(t.fs, 10);
		else
			no_aligned_run_left(t.fs, unit);
		CU_ASSERT_EQUAL_FATAL(ext2fs_copy_bitmap(t.fs->block_map,
							 &snapshot), 0);
		for (int i = 0; i < 40; i++) {
			len = unit * (1 + test_rand() % (round < 6 ? 4 : 1));
			goal = test_rand() % ext2fs_blocks_count(t.fs->super);
			ret_ours = ext2fs_atomic_find_run(t.ac, goal, 0, len,
							  &ours) == 0;
			ret_theirs = brute_force(t.fs, snapshot, unit, goal,
						 len, &theirs) == 0;
			if (ret_ours != ret_theirs ||
			    (ret_ours && ours != theirs))
				mismatches++;
			if (ret_ours) {
				found++;
				if (ours % unit ||
				    ext2fs_atomic_is_metadata(t.ac, ours, len))
					meta++;
			} else {
				missed++;
			}
		}
		ext2fs_free_block_bitmap(snapshot);
	}
	CU_ASSERT_EQUAL(mismatches, 0);
	CU_ASSERT_EQUAL(meta, 0);
	/* Both outcomes were exercised: runs found, and none left. */
	CU_ASSERT_TRUE(found > 0);
	CU_ASSERT_TRUE(missed > 0);
	test_img_discard(&t);	/* the random bitmap is never written */
}

static void test_brute_4k(void)
{
	compare_with_brute_force(4096, 65536, NULL, 65536, 11);
}

static void test_brute_1k(void)
{
	/* s_first_data_block is 1: alignment counts from block 0 */
	compare_with_brute_force(1024, 65536, NULL, 16384, 12);
}

static void test_brute_1k_one_block(void)
{
	compare_with_brute_force(1024, 32768, NULL, 1024, 13);
}

static void test_brute_bigalloc(void)
{
	compare_with_brute_force(4096, 131072, "-O bigalloc -C 16384",
				 65536, 14);
}

static void test_brute_flex_bg_off(void)
{
	compare_with_brute_force(4096, 65536, "-O ^flex_bg", 1 << 20, 15);
}

/* A damaged bitmap that forgets the metadata does not fool it. */
static void test_metadata_never_returned(void)
{
	struct test_img t;
	blk64_t blk, end;
	int bad = 0;

	CU_ASSERT_EQUAL_FATAL(test_img_make(&t, 1024, 32768, "-O ^flex_bg",
					    4096), 0);
	end = ext2fs_blocks_count(t.fs->super);
	ext2fs_unmark_block_bitmap_range2(t.fs->block_map, 1, end - 1);
	blk = 0;
	while (!ext2fs_atomic_find_run(t.ac, blk, 0, 4, &blk)) {
		if (ext2fs_atomic_is_metadata(t.ac, blk, 4) || blk % 4)
			bad++;
		ext2fs_mark_block_bitmap_range2(t.fs->block_map, blk, 4);
	}
	CU_ASSERT_EQUAL(bad, 0);
	/* Group 0's superblock (block 1) and group 1's backup are metadata. */
	CU_ASSERT_TRUE(ext2fs_atomic_is_metadata(t.ac, 0, 4));
	CU_ASSERT_TRUE(ext2fs_atomic_is_metadata(t.ac, 8192, 4));
	test_img_discard(&t);
}

/* Taking a run updates the bitmap and the counters; frees are not reused. */
static void test_accounting(void)
{
	struct test_img t;
	blk64_t free_before, run, again;
	dgrp_t group;
	__u32 group_free;

	CU_ASSERT_EQUAL_FATAL(test_img_make(&t, 4096, 32768, NULL, 65536), 0);
	free_before = ext2fs_free_blocks_count(t.fs->super);
	CU_ASSERT_EQUAL_FATAL(ext2fs_atomic_find_run(t.ac, 0, 0, 32, &run), 0);
	group = ext2fs_group_of_blk2(t.fs, run);
	group_free = ext2fs_bg_free_blocks_count(t.fs, group);
	CU_ASSERT_EQUAL_FATAL(ext2fs_atomic_alloc_run(t.ac, 0, 0, 32, &run), 0);
	CU_ASSERT_EQUAL(run % 16, 0);
	CU_ASSERT_TRUE(ext2fs_test_block_bitmap_range2(t.fs->block_map, run,
						       32) == 0);
	CU_ASSERT_EQUAL(ext2fs_free_blocks_count(t.fs->super),
			free_before - 32);
	CU_ASSERT_EQUAL(ext2fs_bg_free_blocks_count(t.fs, group),
			group_free - 32);
	/* Freed blocks stay taken until the batch syncs (atomic_batch.c). */
	CU_ASSERT_EQUAL(ext2fs_atomic_free_blocks(t.ac, run, 32), 0);
	CU_ASSERT_EQUAL(ext2fs_free_blocks_count(t.fs->super),
			free_before - 32);
	CU_ASSERT_EQUAL(ext2fs_atomic_find_run(t.ac, run, 0, 32, &again), 0);
	CU_ASSERT_TRUE(again >= run + 32 || again + 32 <= run);
	CU_ASSERT_EQUAL(ext2fs_atomic_commit(t.ac), 0);
	CU_ASSERT_EQUAL(ext2fs_free_blocks_count(t.fs->super),
			free_before - 32);
	CU_ASSERT_EQUAL(ext2fs_atomic_sync(t.ac), 0);
	CU_ASSERT_EQUAL(ext2fs_free_blocks_count(t.fs->super), free_before);
	CU_ASSERT_TRUE(ext2fs_test_block_bitmap_range2(t.fs->block_map, run,
						       32));
	/* limit: nothing at or above it */
	CU_ASSERT_EQUAL(ext2fs_atomic_find_run(t.ac, 0, 8192, 16, &again), 0);
	CU_ASSERT_TRUE(again + 16 <= 8192);
	CU_ASSERT_EQUAL(ext2fs_atomic_find_run(t.ac, 0, 16, 16, &again),
			EXT2_ET_ATOMIC_NO_SPACE);
	CU_ASSERT_NOT_EQUAL(ext2fs_atomic_find_run(t.ac, 0, 0, 15, &again), 0);
	test_img_free(&t);
}

/* A full filesystem: no run, a clean error. */
static void test_no_space(void)
{
	struct test_img t;
	blk64_t run;

	CU_ASSERT_EQUAL_FATAL(test_img_make(&t, 4096, 8192, NULL, 65536), 0);
	while (!ext2fs_atomic_alloc_run(t.ac, 0, 0, 16, &run))
		;
	CU_ASSERT_EQUAL(ext2fs_atomic_find_run(t.ac, 0, 0, 16, &run),
			EXT2_ET_ATOMIC_NO_SPACE);
	test_img_discard(&t);
}

/* Whole windows for a file: aligned, unwritten, and stock fsck agrees. */
static void test_alloc_windows(void)
{
	struct test_img t;
	struct ext2_inode inode;
	ext2_ino_t ino;

	CU_ASSERT_EQUAL_FATAL(test_img_make(&t, 1024, 65536, NULL, 65536), 0);
	ino = test_atomic_file(&t, "f", 0, 0, 0);
	CU_ASSERT_EQUAL(ext2fs_read_inode(t.fs, ino, &inode), 0);
	CU_ASSERT_EQUAL(ext2fs_atomic_alloc_windows(t.ac, ino, &inode, 2, 3,
						    0, 0), 0);
	CU_ASSERT_EQUAL(ext2fs_atomic_alloc_windows(t.ac, ino, &inode, 6, 1,
					0, EXT2FS_ATOMIC_ALLOC_ZERO), 0);
	/* Overlapping an existing window is refused. */
	CU_ASSERT_EQUAL(ext2fs_atomic_alloc_windows(t.ac, ino, &inode, 4, 2,
						    0, 0),
			EXT2_ET_ATOMIC_BAD_RANGE);
	CU_ASSERT_EQUAL(fsutil_set_size(t.fs, ino, 7ULL * 65536), 0);
	CU_ASSERT_EQUAL(test_bad_windows(t.fs, ino), 0);
	CU_ASSERT_EQUAL(test_stock_fsck(&t), 0);
	test_img_free(&t);
}

/* A large allocation is a few long extents, not one per block. */
static void test_alloc_windows_large(void)
{
	struct test_img t;
	struct ext2_inode inode;
	ext2_extent_handle_t h;
	struct ext2fs_extent e;
	ext2_ino_t ino;
	int extents = 0, blocks = 0;
	errcode_t retval;

	CU_ASSERT_EQUAL_FATAL(test_img_make(&t, 4096, 131072, NULL, 65536), 0);
	ino = test_atomic_file(&t, "big", 0, 0, 0);
	CU_ASSERT_EQUAL(ext2fs_read_inode(t.fs, ino, &inode), 0);
	CU_ASSERT_EQUAL(ext2fs_atomic_alloc_windows(t.ac, ino, &inode, 0,
						    4096, 0, 0), 0);
	CU_ASSERT_EQUAL(fsutil_set_size(t.fs, ino, 4096ULL * 65536), 0);
	CU_ASSERT_EQUAL(test_bad_windows(t.fs, ino), 0);
	CU_ASSERT_EQUAL_FATAL(ext2fs_extent_open(t.fs, ino, &h), 0);
	retval = ext2fs_extent_get(h, EXT2_EXTENT_ROOT, &e);
	while (!retval) {
		if (e.e_flags & EXT2_EXTENT_FLAGS_LEAF) {
			extents++;
			blocks += e.e_len;
		}
		retval = ext2fs_extent_get(h, EXT2_EXTENT_NEXT_LEAF, &e);
	}
	ext2fs_extent_free(h);
	CU_ASSERT_TRUE(extents >= 2 && extents <= 8);
	CU_ASSERT_EQUAL(blocks, 4096 * 16);
	CU_ASSERT_EQUAL(test_stock_fsck(&t), 0);
	test_img_free(&t);
}

void add_alloc_tests(void)
{
	ADD_SUITE("allocator",
		{ "brute force, 4k blocks", test_brute_4k },
		{ "brute force, 1k blocks", test_brute_1k },
		{ "brute force, 1k blocks, unit of one block",
		  test_brute_1k_one_block },
		{ "brute force, bigalloc", test_brute_bigalloc },
		{ "brute force, no flex_bg, 1 MiB unit",
		  test_brute_flex_bg_off },
		{ "metadata never returned", test_metadata_never_returned },
		{ "accounting and freed blocks", test_accounting },
		{ "no space", test_no_space },
		{ "whole windows for a file", test_alloc_windows },
		{ "large allocation, few extents", test_alloc_windows_large });
}
