// SPDX-License-Identifier: GPL-2.0
/*
 * test_shrink.c --- the shrink support: the size a resize produces, the
 * plan (windows to move, free aligned units), the aligned minimum,
 * and tree blocks that leave free aligned runs alone.
 */

#include <string.h>

#include "unit.h"

/* An atomic file of n windows written with a pattern, placed at goal. */
static ext2_ino_t file_at(struct test_img *t, const char *name, __u64 n,
			  blk64_t goal, unsigned int seed)
{
	blk64_t unit = ext2fs_atomic_unit_blocks(t->fs);
	struct ext2_inode inode;
	ext2_ino_t ino = 0;

	CU_ASSERT_EQUAL_FATAL(fsutil_create_file(t->fs, name, 1, &ino), 0);
	CU_ASSERT_EQUAL_FATAL(ext2fs_read_inode(t->fs, ino, &inode), 0);
	CU_ASSERT_EQUAL_FATAL(ext2fs_atomic_alloc_windows(t->ac, ino, &inode,
						0, n, goal, 0), 0);
	CU_ASSERT_EQUAL_FATAL(fsutil_write_pattern(t->fs, ino, 0,
			n * unit * t->fs->blocksize - 100, seed), 0);
	return ino;
}

/* The highest physical block a file maps, looked at extent by extent. */
static blk64_t highest_block(ext2_filsys fs, ext2_ino_t ino)
{
	ext2_extent_handle_t h;
	struct ext2fs_extent e;
	blk64_t hi = 0;
	errcode_t err;

	CU_ASSERT_EQUAL_FATAL(ext2fs_extent_open(fs, ino, &h), 0);
	err = ext2fs_extent_get(h, EXT2_EXTENT_ROOT, &e);
	while (!err) {
		if ((e.e_flags & EXT2_EXTENT_FLAGS_LEAF) &&
		    e.e_pblk + e.e_len - 1 > hi)
			hi = e.e_pblk + e.e_len - 1;
		err = ext2fs_extent_get(h, EXT2_EXTENT_NEXT_LEAF, &e);
	}
	ext2fs_extent_free(h);
	return hi;
}

static void test_resize_end(void)
{
	struct test_img t;
	blk64_t end, first, bpg;

	CU_ASSERT_EQUAL_FATAL(test_img_make(&t, 1024, 65536, NULL, 16384), 0);
	first = t.fs->super->s_first_data_block;
	bpg = EXT2_BLOCKS_PER_GROUP(t.fs->super);
	/* Whole groups stay. */
	CU_ASSERT_EQUAL(ext2fs_atomic_resize_end(t.fs, first + 4 * bpg, &end),
			0);
	CU_ASSERT_EQUAL(end, first + 4 * bpg);
	/* A last group of 10 blocks cannot hold its metadata: dropped. */
	CU_ASSERT_EQUAL(ext2fs_atomic_resize_end(t.fs, first + 4 * bpg + 10,
						 &end), 0);
	CU_ASSERT_EQUAL(end, first + 4 * bpg);
	/* Half a group is kept. */
	CU_ASSERT_EQUAL(ext2fs_atomic_resize_end(t.fs, first + 4 * bpg +
						 bpg / 2, &end), 0);
	CU_ASSERT_EQUAL(end, first + 4 * bpg + bpg / 2);
	/* One group too small for its own metadata. */
	CU_ASSERT_EQUAL(ext2fs_atomic_resize_end(t.fs, first + 5, &end),
			EXT2_ET_TOOSMALL);
	test_img_free(&t);
}

/*
 * Atomic files high up; the plan for half the size counts their
 * windows and finds enough free aligned units below the end; a plan for
 * the full size moves nothing.  (The moves are resize2fs's block mover,
 * tested by the r_ tests.)
 */
static void plan_case(unsigned int blocksize, unsigned long long blocks,
		      unsigned long long unit_bytes)
{
	struct ext2fs_atomic_shrink_plan plan;
	struct test_img t;
	ext2_ino_t ino[3];
	blk64_t end = blocks / 2;
	int i;

	CU_ASSERT_EQUAL_FATAL(test_img_make(&t, blocksize, blocks, NULL,
					    unit_bytes), 0);
	for (i = 0; i < 3; i++) {
		char name[8];

		snprintf(name, sizeof(name), "a%d", i);
		ino[i] = file_at(&t, name, 5 + i,
				 blocks * (5 + i) / 9, i + 1);
		CU_ASSERT(highest_block(t.fs, ino[i]) >= end);
	}
	CU_ASSERT_EQUAL_FATAL(ext2fs_atomic_shrink_plan(t.ac, end, &plan), 0);
	CU_ASSERT_EQUAL(plan.end, end);
	CU_ASSERT_EQUAL(plan.windows, 5 + 6 + 7);
	CU_ASSERT(plan.slots >= plan.windows);
	CU_ASSERT_EQUAL(ext2fs_atomic_shrink_plan(t.ac, blocks, &plan), 0);
	CU_ASSERT_EQUAL(plan.windows, 0);
	test_img_free(&t);
}

static void test_plan_4k(void)
{
	plan_case(4096, 16384, 65536);
}

static void test_plan_1k(void)
{
	plan_case(1024, 32768, 16384);
}

/*
 * Free space chopped so that no aligned run is left low down: the
 * minimum is where enough free units lie below the end.  The answer
 * fits and one block less does not.
 */
static void test_min(void)
{
	struct ext2fs_atomic_shrink_plan plan;
	struct test_img t;
	blk64_t unit, b, min = 0, end;
	int i;

	CU_ASSERT_EQUAL_FATAL(test_img_make(&t, 4096, 16384, NULL, 65536), 0);
	unit = ext2fs_atomic_unit_blocks(t.fs);
	for (i = 0; i < 4; i++)
		file_at(&t, i ? "b" : "a", 10, 12000 + i * 1000, i + 1);
	/* One used block in each unit of the first half (memory only). */
	for (b = 0; b < 8192; b += unit)
		if (!ext2fs_test_block_bitmap2(t.fs->block_map, b + 3))
			ext2fs_mark_block_bitmap2(t.fs->block_map, b + 3);
	CU_ASSERT_EQUAL_FATAL(ext2fs_atomic_shrink_min(t.ac, 1000, &min), 0);
	CU_ASSERT(min > 8192);
	CU_ASSERT(min <= 16384);
	CU_ASSERT_EQUAL(ext2fs_atomic_shrink_plan(t.ac, min, &plan), 0);
	CU_ASSERT(plan.windows <= plan.slots);
	end = min - 1;
	if (!ext2fs_atomic_resize_end(t.fs, end, &end) && end < min)
		CU_ASSERT_EQUAL(ext2fs_atomic_shrink_plan(t.ac, min - 1,
							  &plan),
				EXT2_ET_ATOMIC_SHRINK_NO_SPACE);
	/* A floor above the answer is the answer. */
	CU_ASSERT_EQUAL(ext2fs_atomic_shrink_min(t.ac, min + 100, &b), 0);
	CU_ASSERT_EQUAL(b, min + 100);
	test_img_discard(&t);
}

/*
 * A loose block comes from a partly used unit while there is one, and
 * from anywhere free when every free block lies in a whole free unit.
 */
static void test_loose_block(void)
{
	struct test_img t;
	blk64_t unit, blk, b, end;

	CU_ASSERT_EQUAL_FATAL(test_img_make(&t, 4096, 8192, NULL, 65536), 0);
	unit = ext2fs_atomic_unit_blocks(t.fs);
	end = ext2fs_blocks_count(t.fs->super);
	/* Everything used except whole units 400-409 and block 5000. */
	ext2fs_mark_block_bitmap_range2(t.fs->block_map, 0, end);
	ext2fs_unmark_block_bitmap_range2(t.fs->block_map, 400 * unit,
					  10 * unit);
	ext2fs_unmark_block_bitmap2(t.fs->block_map, 5000);
	CU_ASSERT_EQUAL(ext2fs_atomic_alloc_loose_block(t.ac, 0, &blk), 0);
	CU_ASSERT_EQUAL(blk, 5000);
	CU_ASSERT(ext2fs_test_block_bitmap2(t.fs->block_map, 5000));
	/* Only whole free units remain: one of them gives a block. */
	CU_ASSERT_EQUAL(ext2fs_atomic_alloc_loose_block(t.ac, 0, &blk), 0);
	CU_ASSERT(blk >= 400 * unit && blk < 410 * unit);
	/* That unit is broken now: the next block comes from it. */
	CU_ASSERT_EQUAL(ext2fs_atomic_alloc_loose_block(t.ac, 0, &b), 0);
	CU_ASSERT_EQUAL(b / unit, blk / unit);
	test_img_discard(&t);
}

void add_shrink_tests(void)
{
	ADD_SUITE("shrink",
		{ "the size a resize produces", test_resize_end },
		{ "plan, 4k blocks", test_plan_4k },
		{ "plan, 1k blocks", test_plan_1k },
		{ "the aligned minimum", test_min },
		{ "tree blocks leave free aligned runs alone",
		  test_loose_block });
}
