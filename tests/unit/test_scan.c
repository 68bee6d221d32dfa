// SPDX-License-Identifier: GPL-2.0
/*
 * test_scan.c --- the atomic inode enumerator.
 */

#include "unit.h"

static void test_count(void)
{
	struct test_img t;
	ext2_ino_t ino, count = 0, deleted;
	struct ext2_inode inode;
	int i;

	CU_ASSERT_EQUAL_FATAL(test_img_make(&t, 4096, 16384, NULL, 65536), 0);
	CU_ASSERT_EQUAL(ext2fs_atomic_count_inodes(t.fs, &count), 0);
	CU_ASSERT_EQUAL(count, 0);
	for (i = 0; i < 5; i++) {
		char name[16];

		snprintf(name, sizeof(name), "f%d", i);
		CU_ASSERT_EQUAL(fsutil_create_file(t.fs, name, i % 2 == 0,
						   &ino), 0);
	}
	deleted = ino;
	/* A flagged inode that is free in the bitmap does not count. */
	CU_ASSERT_EQUAL(ext2fs_read_inode(t.fs, deleted, &inode), 0);
	inode.i_flags |= EXT4_ATOMIC_FL;
	CU_ASSERT_EQUAL(ext2fs_write_inode(t.fs, deleted, &inode), 0);
	ext2fs_inode_alloc_stats2(t.fs, deleted, -1, 0);
	/* A flagged directory counts. */
	CU_ASSERT_EQUAL(ext2fs_read_inode(t.fs, EXT2_ROOT_INO, &inode), 0);
	inode.i_flags |= EXT4_ATOMIC_FL;
	CU_ASSERT_EQUAL(ext2fs_write_inode(t.fs, EXT2_ROOT_INO, &inode), 0);
	CU_ASSERT_EQUAL(ext2fs_atomic_count_inodes(t.fs, &count), 0);
	CU_ASSERT_EQUAL(count, 3);	/* f0, f2 and the root */
	CU_ASSERT_EQUAL_FATAL(test_img_reopen(&t), 0);
	CU_ASSERT_EQUAL(ext2fs_atomic_count_inodes(t.fs, &count), 0);
	CU_ASSERT_EQUAL(count, 3);
	test_img_free(&t);
}

static int stop_at_first(ext2_filsys fs, ext2_ino_t ino,
			 struct ext2_inode *inode, void *priv)
{
	(void) fs;
	(void) inode;
	*(ext2_ino_t *) priv = ino;
	return 1;
}

static void test_stop(void)
{
	struct test_img t;
	ext2_ino_t a, b, first = 0;

	CU_ASSERT_EQUAL_FATAL(test_img_make(&t, 1024, 16384, NULL, 4096), 0);
	CU_ASSERT_EQUAL(fsutil_create_file(t.fs, "a", 1, &a), 0);
	CU_ASSERT_EQUAL(fsutil_create_file(t.fs, "b", 1, &b), 0);
	CU_ASSERT_EQUAL(ext2fs_atomic_scan_inodes(t.fs, stop_at_first, &first),
			0);
	CU_ASSERT_EQUAL(first, a);
	test_img_free(&t);
}

void add_scan_tests(void)
{
	ADD_SUITE("scan",
		{ "counts in-use flagged inodes", test_count },
		{ "callback stops the scan", test_stop });
}
