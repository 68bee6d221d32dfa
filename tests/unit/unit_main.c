// SPDX-License-Identifier: GPL-2.0
/*
 * unit_main.c --- the CUnit runner and the scratch-image helpers.
 *
 * Images are made in $TMPDIR (default /tmp) with stock mke2fs and
 * removed afterwards.  Exit status: 0 if every test passed.
 */

#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <CUnit/Basic.h>

#include "unit.h"

static unsigned int rand_state = 1;

void test_srand(unsigned int seed)
{
	rand_state = seed ? seed : 1;
}

/* xorshift32: the same sequence on every machine. */
unsigned int test_rand(void)
{
	rand_state ^= rand_state << 13;
	rand_state ^= rand_state >> 17;
	rand_state ^= rand_state << 5;
	return rand_state;
}

int test_img_make(struct test_img *t, unsigned int blocksize,
		  unsigned long long blocks, const char *mkfs_opts,
		  unsigned long long unit_bytes)
{
	const char *dir = getenv("TMPDIR");
	static int seq;
	unsigned int log_unit;

	memset(t, 0, sizeof(*t));
	snprintf(t->path, sizeof(t->path), "%s/e2atomic-unit-%d-%d.img",
		 dir ? dir : "/tmp", (int) getpid(), seq++);
	if (fsutil_mkfs(t->path, blocksize, blocks, mkfs_opts))
		return -1;
	if (fsutil_open(t->path, 1, &t->fs))
		return -1;
	if (unit_bytes) {
		if (ext2fs_atomic_bytes_to_log(t->fs->super, unit_bytes,
					       &log_unit) ||
		    ext2fs_atomic_enable(t->fs, log_unit))
			return -1;
	}
	return ext2fs_atomic_alloc_open(t->fs, &t->ac) ? -1 : 0;
}

/* Write everything back and close (the image stays). */
void test_img_close(struct test_img *t)
{
	ext2fs_atomic_alloc_close(t->ac);
	t->ac = NULL;
	if (t->fs)
		CU_ASSERT_EQUAL(ext2fs_close_free(&t->fs), 0);
	t->fs = NULL;
}

int test_img_reopen(struct test_img *t)
{
	test_img_close(t);
	if (fsutil_open(t->path, 1, &t->fs))
		return -1;
	return ext2fs_atomic_alloc_open(t->fs, &t->ac) ? -1 : 0;
}

void test_img_free(struct test_img *t)
{
	test_img_close(t);
	unlink(t->path);
}

/* Drop the image without writing anything back (random bitmaps). */
void test_img_discard(struct test_img *t)
{
	ext2fs_atomic_alloc_close(t->ac);
	t->ac = NULL;
	if (t->fs)
		ext2fs_free(t->fs);
	t->fs = NULL;
	unlink(t->path);
}

/*
 * A file of 400 windows (U = 16, every other window mapped) of two
 * extents each, written then unwritten, in a depth-1 extent tree whose
 * leaves libext2fs fills up (it splits at EOF by moving one entry, so
 * each full leaf keeps one free slot).  With holey_first, window 0 maps
 * only blocks 0-3 (written) and 8-11 (unwritten): filling its two holes
 * needs two new entries in a leaf with one free slot.  holey_first 2:
 * every extent is written and holds a pattern (a lost entry changes
 * the file's hash), window 0 maps 0-3 and 8-11, so its new map has
 * four entries where it had two and the whole leaf shifts.
 */
ext2_ino_t test_deep_file(struct test_img *t, const char *name,
			  int holey_first)
{
	ext2_ino_t ino = 0;
	blk64_t base = 0, len;
	int i;

	CU_ASSERT_EQUAL_FATAL(fsutil_create_file(t->fs, name, 1, &ino), 0);
	for (i = 0; i < 400; i++) {
		/* Hold the whole window, or a tree split could take part. */
		CU_ASSERT_EQUAL_FATAL(ext2fs_atomic_alloc_run(t->ac, base, 0,
							      16, &base), 0);
		len = (i == 0 && holey_first) ? 4 : 8;
		CU_ASSERT_EQUAL_FATAL(fsutil_map(t->fs, ino, i * 32, base,
						 len, 0), 0);
		CU_ASSERT_EQUAL_FATAL(fsutil_map(t->fs, ino, i * 32 + 8,
						 base + 8, len,
						 holey_first != 2), 0);
		if (len < 8) {
			ext2fs_block_alloc_stats_range(t->fs, base + len,
						       8 - len, -1);
			ext2fs_block_alloc_stats_range(t->fs, base + 8 + len,
						       8 - len, -1);
		}
	}
	CU_ASSERT_EQUAL(fsutil_set_size(t->fs, ino,
					400ULL * 32 * t->fs->blocksize), 0);
	for (i = 0; holey_first == 2 && i < 400; i++) {
		len = i ? 8 : 4;
		CU_ASSERT_EQUAL(fsutil_write_pattern(t->fs, ino,
				i * 32ULL * t->fs->blocksize,
				len * t->fs->blocksize, 7), 0);
		CU_ASSERT_EQUAL(fsutil_write_pattern(t->fs, ino,
				(i * 32ULL + 8) * t->fs->blocksize,
				len * t->fs->blocksize, 7), 0);
	}
	return ino;
}

/* Close, then run stock e2fsck -fn on a copy without the feature bit. */
int test_stock_fsck(struct test_img *t)
{
	char copy[300];

	test_img_close(t);
	snprintf(copy, sizeof(copy), "%s.copy", t->path);
	return fsutil_stock_fsck_clean(t->path, copy);
}

/* An atomic file of nr_windows aligned windows, written with a pattern. */
ext2_ino_t test_atomic_file(struct test_img *t, const char *name,
			    __u64 nr_windows, __u64 size, unsigned int seed)
{
	struct ext2_inode inode;
	ext2_ino_t ino = 0;

	CU_ASSERT_EQUAL_FATAL(fsutil_create_file(t->fs, name, 1, &ino), 0);
	CU_ASSERT_EQUAL_FATAL(ext2fs_read_inode(t->fs, ino, &inode), 0);
	if (nr_windows)
		CU_ASSERT_EQUAL_FATAL(ext2fs_atomic_alloc_windows(t->ac, ino,
					&inode, 0, nr_windows, 0, 0), 0);
	if (size)
		CU_ASSERT_EQUAL_FATAL(fsutil_write_pattern(t->fs, ino, 0,
							   size, seed), 0);
	return ino;
}

__u64 test_bad_windows(ext2_filsys fs, ext2_ino_t ino)
{
	__u64 bad = ~0ULL;

	CU_ASSERT_EQUAL(ext2fs_atomic_check_inode(fs, ino, NULL, NULL, NULL,
						  &bad), 0);
	return bad;
}

/*
 * unit_tests [-v] [SUITE [TEST]]: every suite, or the one named, or
 * one test of it.
 */
int main(int argc, char **argv)
{
	unsigned int failed;
	int verbose = argc > 1 && !strcmp(argv[1], "-v");
	const char *only = argc > 1 + verbose ? argv[1 + verbose] : NULL;
	const char *test_name = argc > 2 + verbose ? argv[2 + verbose] : NULL;
	CU_pSuite suite = NULL;
	CU_pTest test = NULL;

	ext2fs_atomic_init();
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	add_format_tests();
	add_check_tests();
	add_alloc_tests();
	add_relocate_tests();
	add_scan_tests();
	add_flags_tests();
	add_shrink_tests();
	add_batch_tests();
	add_crash_tests();
	CU_basic_set_mode(verbose ? CU_BRM_VERBOSE : CU_BRM_NORMAL);
	if (only && !(suite = CU_get_suite(only))) {
		fprintf(stderr, "unit_tests: no suite %s\n", only);
		CU_cleanup_registry();
		return 2;
	}
	if (suite && test_name && !(test = CU_get_test(suite, test_name))) {
		fprintf(stderr, "unit_tests: no test %s in %s\n", test_name,
			only);
		CU_cleanup_registry();
		return 2;
	}
	if (test)
		CU_basic_run_test(suite, test);
	else if (suite)
		CU_basic_run_suite(suite);
	else
		CU_basic_run_tests();
	failed = CU_get_number_of_tests_failed() +
		 CU_get_number_of_failures();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
