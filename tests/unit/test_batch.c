// SPDX-License-Identifier: GPL-2.0
/*
 * test_batch.c --- the library's write order (lib/ext2fs/atomic_batch.c):
 * with batching on, repairs change the disk's inodes only at a commit,
 * after the flush that puts their copies and tree blocks on disk; the
 * blocks they unlink stay taken until a flush follows that commit; and
 * punch unmaps whole windows copy on write through the same batch.
 */

#include <string.h>

#include "unit.h"

static int same_map(const struct ext2_inode *a, const struct ext2_inode *b)
{
	return !memcmp(a->i_block, b->i_block, sizeof(a->i_block));
}

/* The physical block of logical block lblk (0: a hole). */
static blk64_t pblk_of(ext2_filsys fs, ext2_ino_t ino,
		       struct ext2_inode *inode, blk64_t lblk)
{
	blk64_t pblk = 0;
	int flags = 0;

	CU_ASSERT_EQUAL(ext2fs_bmap2(fs, ino, inode, NULL, 0, lblk, &flags,
				     &pblk), 0);
	return pblk;
}

static void test_commit_order(void)
{
	struct ext2_inode before[2], disk, queued;
	struct test_img t;
	ext2_ino_t ino[2];
	blk64_t u, old[2];
	__u64 hash[2], h;
	int i;

	CU_ASSERT_EQUAL_FATAL(test_img_make(&t, 4096, 16384, NULL, 65536), 0);
	u = ext2fs_atomic_unit_blocks(t.fs);
	for (i = 0; i < 2; i++) {
		ino[i] = test_atomic_file(&t, i ? "b" : "a", 4,
					  4 * u * t.fs->blocksize, i + 1);
		CU_ASSERT_EQUAL(fsutil_shift_window(t.ac, ino[i], 1, 1), 0);
		CU_ASSERT_EQUAL(fsutil_hash_file(t.fs, ino[i], &hash[i]), 0);
		CU_ASSERT_EQUAL(ext2fs_read_inode(t.fs, ino[i], &before[i]),
				0);
		old[i] = pblk_of(t.fs, ino[i], &before[i], u);
		CU_ASSERT_TRUE(test_bad_windows(t.fs, ino[i]) > 0);
	}

	ext2fs_atomic_set_batching(t.ac, 1);
	for (i = 0; i < 2; i++)
		CU_ASSERT_EQUAL(ext2fs_atomic_relocate_inode(t.ac, ino[i],
					NULL, NULL, NULL), 0);
	for (i = 0; i < 2; i++) {
		/* Queued, not written: the disk still maps the old blocks. */
		CU_ASSERT_EQUAL(ext2fs_read_inode(t.fs, ino[i], &disk), 0);
		CU_ASSERT_TRUE(same_map(&disk, &before[i]));
		CU_ASSERT_EQUAL(ext2fs_atomic_read_inode(t.ac, ino[i],
							 &queued), 0);
		CU_ASSERT_FALSE(same_map(&queued, &before[i]));
		CU_ASSERT_EQUAL(ext2fs_atomic_check_inode(t.fs, ino[i],
					&queued, NULL, NULL, &h), 0);
		CU_ASSERT_EQUAL(h, 0);
		CU_ASSERT_TRUE(ext2fs_test_block_bitmap2(t.fs->block_map,
							 old[i]));
	}

	CU_ASSERT_EQUAL(ext2fs_atomic_commit(t.ac), 0);
	for (i = 0; i < 2; i++) {
		CU_ASSERT_EQUAL(ext2fs_read_inode(t.fs, ino[i], &disk), 0);
		CU_ASSERT_EQUAL(ext2fs_atomic_read_inode(t.ac, ino[i],
							 &queued), 0);
		CU_ASSERT_TRUE(same_map(&disk, &queued));
		/* Written, but not yet behind a flush: still held back. */
		CU_ASSERT_TRUE(ext2fs_test_block_bitmap2(t.fs->block_map,
							 old[i]));
	}
	CU_ASSERT_EQUAL(ext2fs_atomic_sync(t.ac), 0);
	for (i = 0; i < 2; i++) {
		CU_ASSERT_FALSE(ext2fs_test_block_bitmap2(t.fs->block_map,
							  old[i]));
		CU_ASSERT_EQUAL(test_bad_windows(t.fs, ino[i]), 0);
		CU_ASSERT_EQUAL(fsutil_hash_file(t.fs, ino[i], &h), 0);
		CU_ASSERT_EQUAL(h, hash[i]);
	}
	CU_ASSERT_EQUAL(test_stock_fsck(&t), 0);
	test_img_free(&t);
}

/* Save every block of [0, n) of a file; holes read as zeros. */
static void read_blocks(ext2_filsys fs, ext2_ino_t ino, blk64_t n, char *buf)
{
	struct ext2_inode inode;
	blk64_t b, p;

	CU_ASSERT_EQUAL_FATAL(ext2fs_read_inode(fs, ino, &inode), 0);
	for (b = 0; b < n; b++) {
		p = pblk_of(fs, ino, &inode, b);
		if (!p)
			memset(buf + b * fs->blocksize, 0, fs->blocksize);
		else
			CU_ASSERT_EQUAL(io_channel_read_blk64(fs->io, p, 1,
					buf + b * fs->blocksize), 0);
	}
}

static void punch_case(unsigned int bs, unsigned long long unit_bytes)
{
	struct ext2_inode inode;
	struct test_img t;
	blk64_t u, n, b, p0, p1, free_before;
	char *before = NULL, *after, *zero;
	ext2_ino_t ino;
	blk_t iblocks;

	CU_ASSERT_EQUAL_FATAL(test_img_make(&t, bs, 16384, NULL, unit_bytes),
			      0);
	u = ext2fs_atomic_unit_blocks(t.fs);
	n = 6 * u;
	ino = test_atomic_file(&t, "p", 6, n * bs, 7);
	CU_ASSERT_EQUAL_FATAL(ext2fs_get_memzero(3 * n * bs, &before), 0);
	after = before + n * bs;
	zero = after + n * bs;
	read_blocks(t.fs, ino, n, before);
	CU_ASSERT_EQUAL(ext2fs_read_inode(t.fs, ino, &inode), 0);
	iblocks = inode.i_blocks;
	p0 = pblk_of(t.fs, ino, &inode, u);
	p1 = pblk_of(t.fs, ino, &inode, 4 * u - 1);
	free_before = ext2fs_free_blocks_count(t.fs->super);

	/* Half of window 0, windows 1-3 whole, half of window 4. */
	CU_ASSERT_EQUAL(ext2fs_atomic_punch(t.ac, ino, &inode, u / 2,
					    4 * u + u / 2 - 1), 0);
	CU_ASSERT_EQUAL(ext2fs_atomic_sync(t.ac), 0);
	read_blocks(t.fs, ino, n, after);
	for (b = 0; b < n; b++) {
		int punched = b >= u / 2 && b < 4 * u + u / 2;

		CU_ASSERT_EQUAL(memcmp(after + b * bs,
				       punched ? zero : before + b * bs, bs),
				0);
	}
	CU_ASSERT_EQUAL(ext2fs_read_inode(t.fs, ino, &inode), 0);
	for (b = u; b < 4 * u; b++)
		CU_ASSERT_EQUAL(pblk_of(t.fs, ino, &inode, b), 0);
	CU_ASSERT_NOT_EQUAL(pblk_of(t.fs, ino, &inode, u / 2), 0);
	CU_ASSERT_EQUAL(iblocks - inode.i_blocks, 3 * u * (bs / 512));
	CU_ASSERT_EQUAL(ext2fs_free_blocks_count(t.fs->super),
			free_before + 3 * u);
	CU_ASSERT_FALSE(ext2fs_test_block_bitmap2(t.fs->block_map, p0));
	CU_ASSERT_FALSE(ext2fs_test_block_bitmap2(t.fs->block_map, p1));
	CU_ASSERT_EQUAL(test_bad_windows(t.fs, ino), 0);
	CU_ASSERT_EQUAL(ext2fs_atomic_punch(t.ac, ino, &inode, 5, 4),
			EXT2_ET_ATOMIC_BAD_RANGE);
	ext2fs_free_mem(&before);
	CU_ASSERT_EQUAL(test_stock_fsck(&t), 0);
	test_img_free(&t);
}

static void test_punch_4k(void)
{
	punch_case(4096, 65536);
}

static void test_punch_1k(void)
{
	punch_case(1024, 16384);
}

/* A punch to the end of the file (end ~0) in a deep tree. */
static void test_punch_deep(void)
{
	struct ext2_inode inode;
	struct test_img t;
	ext2_ino_t ino;
	__u64 bad;

	CU_ASSERT_EQUAL_FATAL(test_img_make(&t, 4096, 32768, NULL, 65536), 0);
	ino = test_deep_file(&t, "deep", 0);
	CU_ASSERT_EQUAL_FATAL(ext2fs_read_inode(t.fs, ino, &inode), 0);
	CU_ASSERT_EQUAL(ext2fs_atomic_punch(t.ac, ino, &inode, 16 * 5,
					    ~0ULL), 0);
	CU_ASSERT_EQUAL(ext2fs_atomic_sync(t.ac), 0);
	CU_ASSERT_EQUAL(ext2fs_read_inode(t.fs, ino, &inode), 0);
	CU_ASSERT_EQUAL(pblk_of(t.fs, ino, &inode, 16 * 5), 0);
	CU_ASSERT_NOT_EQUAL(pblk_of(t.fs, ino, &inode, 16 * 5 - 1), 0);
	CU_ASSERT_EQUAL(ext2fs_atomic_check_inode(t.fs, ino, NULL, NULL, NULL,
						  &bad), 0);
	CU_ASSERT_EQUAL(test_stock_fsck(&t), 0);
	test_img_free(&t);
}

void add_batch_tests(void)
{
	ADD_SUITE("batch",
		{ "repairs reach the disk at a commit, unlinked blocks after "
		  "the next flush", test_commit_order },
		{ "punch: whole windows unmapped, ends zeroed, 4k blocks",
		  test_punch_4k },
		{ "punch: whole windows unmapped, ends zeroed, 1k blocks",
		  test_punch_1k },
		{ "punch to the end of a deep tree", test_punch_deep });
}
