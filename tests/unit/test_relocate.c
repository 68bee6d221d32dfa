// SPDX-License-Identifier: GPL-2.0
/*
 * test_relocate.c --- the window relocator: every broken shape repaired
 * with contents and written/unwritten state kept, on 4 KiB, 1 KiB and
 * bigalloc filesystems; stock e2fsck agrees afterwards.
 */

#include <string.h>

#include "unit.h"

#define MAX_STATE 8192

/* Per logical block below EOF: 0 hole, 1 written, 2 unwritten. */
static void block_states(ext2_filsys fs, ext2_ino_t ino, blk64_t n,
			 unsigned char *state)
{
	struct ext2_inode inode;
	blk64_t b, pblk;
	int flags;

	CU_ASSERT_EQUAL_FATAL(ext2fs_read_inode(fs, ino, &inode), 0);
	for (b = 0; b < n; b++) {
		pblk = 0;
		flags = 0;
		CU_ASSERT_EQUAL(ext2fs_bmap2(fs, ino, &inode, NULL, 0, b,
					     &flags, &pblk), 0);
		state[b] = !pblk ? 0 : (flags & BMAP_RET_UNINIT) ? 2 : 1;
	}
}

/* Holes inside a broken window become unwritten; nothing else changes. */
static int states_kept(const unsigned char *before,
		       const unsigned char *after, blk64_t n)
{
	blk64_t b;

	for (b = 0; b < n; b++)
		if (before[b] != after[b] && !(before[b] == 0 && after[b] == 2))
			return 0;
	return 1;
}

struct shape {
	const char *name;
	void (*breakit)(struct test_img *t, ext2_ino_t ino, blk64_t u);
};

/* Shifts by whole clusters, so that bigalloc's own rules still hold. */
static void br_misaligned(struct test_img *t, ext2_ino_t ino, blk64_t u)
{
	blk64_t c = EXT2FS_CLUSTER_RATIO(t->fs);

	CU_ASSERT_EQUAL(fsutil_shift_window(t->ac, ino, 1, c), 0);
	CU_ASSERT_EQUAL(fsutil_shift_window(t->ac, ino, 3, u - c), 0);
}

static void br_hole(struct test_img *t, ext2_ino_t ino, blk64_t u)
{
	blk64_t c = EXT2FS_CLUSTER_RATIO(t->fs);

	CU_ASSERT_EQUAL(fsutil_unmap(t->fs, ino, u + u / 2, u / 4 + c), 0);
	CU_ASSERT_EQUAL(fsutil_unmap(t->fs, ino, 2 * u, c), 0);
}

static void br_discontiguous(struct test_img *t, ext2_ino_t ino, blk64_t u)
{
	blk64_t run;

	CU_ASSERT_EQUAL_FATAL(ext2fs_atomic_find_run(t->ac, 0, 0, u, &run), 0);
	CU_ASSERT_EQUAL(fsutil_move_blocks(t->fs, ino, 2 * u + u / 2, u / 2,
					   run + u / 2), 0);
}

static void br_past_eof(struct test_img *t, ext2_ino_t ino, blk64_t u)
{
	/* The file ends in the middle of window 3: its tail is written. */
	CU_ASSERT_EQUAL(fsutil_set_size(t->fs, ino,
			(3 * u + u / 2) * t->fs->blocksize - 100), 0);
}

static void br_everything(struct test_img *t, ext2_ino_t ino, blk64_t u)
{
	br_misaligned(t, ino, u);
	br_hole(t, ino, u);
	br_discontiguous(t, ino, u);
	br_past_eof(t, ino, u);
}

static void relocate_shape(unsigned int blocksize, const char *opts,
			   unsigned long long unit_bytes,
			   const struct shape *sh)
{
	static unsigned char before[MAX_STATE], after[MAX_STATE];
	struct ext2fs_atomic_reloc_stats st = { 0, 0 };
	struct test_img t;
	ext2_ino_t ino, other;
	__u64 h, h_after, h_other, h_other_after, u;
	blk64_t n;

	CU_ASSERT_EQUAL_FATAL(test_img_make(&t, blocksize, 65536, opts,
					    unit_bytes), 0);
	u = ext2fs_atomic_unit_blocks(t.fs);
	n = 4 * u;
	CU_ASSERT_FATAL(n <= MAX_STATE);
	ino = test_atomic_file(&t, "victim", 4, n * blocksize, 7);
	other = test_atomic_file(&t, "bystander", 2, 2 * u * blocksize - 1, 8);
	/* Part of the victim is unwritten: extend size over a new window. */
	CU_ASSERT_EQUAL(fsutil_write_pattern(t.fs, ino, 0, u * blocksize / 2,
					     9), 0);
	sh->breakit(&t, ino, u);
	CU_ASSERT_TRUE(test_bad_windows(t.fs, ino) > 0);
	CU_ASSERT_EQUAL(fsutil_hash_file(t.fs, ino, &h), 0);
	CU_ASSERT_EQUAL(fsutil_hash_file(t.fs, other, &h_other), 0);
	block_states(t.fs, ino, n, before);

	{
		errcode_t err = ext2fs_atomic_relocate_inode(t.ac, ino, NULL,
							     NULL, &st);
		if (err)
			com_err("relocate_shape", err, "shape %s, %u",
				sh->name, blocksize);
		CU_ASSERT_EQUAL(err, 0);
	}
	CU_ASSERT_TRUE(st.windows_moved > 0);
	CU_ASSERT_EQUAL(test_bad_windows(t.fs, ino), 0);
	CU_ASSERT_EQUAL(test_bad_windows(t.fs, other), 0);

	/* Everything is still there after a close and a reopen. */
	CU_ASSERT_EQUAL_FATAL(test_img_reopen(&t), 0);
	CU_ASSERT_EQUAL(test_bad_windows(t.fs, ino), 0);
	CU_ASSERT_EQUAL(fsutil_hash_file(t.fs, ino, &h_after), 0);
	CU_ASSERT_EQUAL(fsutil_hash_file(t.fs, other, &h_other_after), 0);
	CU_ASSERT_EQUAL(h, h_after);
	CU_ASSERT_EQUAL(h_other, h_other_after);
	block_states(t.fs, ino, n, after);
	{
		/* Written blocks wholly past EOF may turn unwritten. */
		struct ext2_inode inode;
		blk64_t eof;

		CU_ASSERT_EQUAL(ext2fs_read_inode(t.fs, ino, &inode), 0);
		eof = (EXT2_I_SIZE(&inode) + blocksize - 1) / blocksize;
		CU_ASSERT_TRUE(states_kept(before, after,
					   eof < n ? eof : n));
	}
	CU_ASSERT_EQUAL(test_stock_fsck(&t), 0);
	test_img_free(&t);
}

static const struct shape shapes[] = {
	{ "misaligned", br_misaligned },
	{ "hole", br_hole },
	{ "discontiguous", br_discontiguous },
	{ "written past EOF", br_past_eof },
	{ "all at once", br_everything },
};

static void test_shapes_4k(void)
{
	unsigned int i;

	for (i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++)
		relocate_shape(4096, NULL, 65536, &shapes[i]);
}

static void test_shapes_1k(void)
{
	unsigned int i;

	for (i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++)
		relocate_shape(1024, NULL, 16384, &shapes[i]);
}

static void test_shapes_1k_big_unit(void)
{
	relocate_shape(1024, NULL, 1 << 20, &shapes[4]);
}

static void test_shapes_bigalloc(void)
{
	relocate_shape(4096, "-O bigalloc -C 16384", 65536, &shapes[0]);
	relocate_shape(4096, "-O bigalloc -C 16384", 65536, &shapes[4]);
}

static void test_shapes_metadata_csum_off(void)
{
	relocate_shape(4096, "-O ^metadata_csum,^flex_bg", 32768,
		       &shapes[4]);
}

/* Windows broken across the leaves of a deep extent tree. */
static void test_deep_tree(void)
{
	struct ext2fs_atomic_reloc_stats st = { 0, 0 };
	struct test_img t;
	ext2_ino_t ino;
	__u64 h, h2;
	int i;

	CU_ASSERT_EQUAL_FATAL(test_img_make(&t, 4096, 65536, NULL, 65536), 0);
	ino = test_deep_file(&t, "deep", 0);
	for (i = 0; i < 400; i += 37)
		CU_ASSERT_EQUAL(fsutil_shift_window(t.ac, ino, 2 * i, 3), 0);
	CU_ASSERT_EQUAL(test_bad_windows(t.fs, ino), 11);
	CU_ASSERT_EQUAL(fsutil_hash_file(t.fs, ino, &h), 0);
	CU_ASSERT_EQUAL(ext2fs_atomic_relocate_inode(t.ac, ino, NULL, NULL,
						     &st), 0);
	CU_ASSERT_EQUAL(st.windows_moved, 11);
	CU_ASSERT_EQUAL_FATAL(test_img_reopen(&t), 0);
	CU_ASSERT_EQUAL(test_bad_windows(t.fs, ino), 0);
	CU_ASSERT_EQUAL(fsutil_hash_file(t.fs, ino, &h2), 0);
	CU_ASSERT_EQUAL(h, h2);
	CU_ASSERT_EQUAL(test_stock_fsck(&t), 0);
	test_img_free(&t);
}

/* The tree's depth (0: the root in the inode is the leaf). */
static int tree_depth(ext2_filsys fs, ext2_ino_t ino)
{
	struct ext2_inode inode;

	if (ext2fs_read_inode(fs, ino, &inode))
		return -1;
	return ext2fs_le16_to_cpu(((struct ext3_extent_header *)
				   inode.i_block)->eh_depth);
}

/*
 * 200 windows of 16 blocks, each with only its first 4 blocks mapped
 * (written): the repair maps the other 12 as unwritten, so every
 * window goes from one entry to two and the copy-on-write leaf rewrite
 * must split leaves and grow the tree a level (1 KiB blocks: 84
 * entries a leaf, 4 in the root: 3 leaves before, 5 or more after).
 */
static void test_tree_grows(void)
{
	struct ext2fs_atomic_reloc_stats st = { 0, 0 };
	struct test_img t;
	ext2_ino_t ino = 0;
	blk64_t base = 0;
	__u64 h, h2;
	int i, d0;

	CU_ASSERT_EQUAL_FATAL(test_img_make(&t, 1024, 65536, NULL, 16384), 0);
	CU_ASSERT_EQUAL_FATAL(fsutil_create_file(t.fs, "grow", 1, &ino), 0);
	for (i = 0; i < 200; i++) {
		CU_ASSERT_EQUAL_FATAL(ext2fs_atomic_alloc_run(t.ac, base, 0,
							      16, &base), 0);
		CU_ASSERT_EQUAL_FATAL(fsutil_map(t.fs, ino, i * 16, base, 4,
						 0), 0);
		ext2fs_block_alloc_stats_range(t.fs, base + 4, 12, -1);
		CU_ASSERT_EQUAL(fsutil_write_pattern(t.fs, ino,
				i * 16ULL * 1024, 4 * 1024, 9), 0);
	}
	CU_ASSERT_EQUAL(fsutil_set_size(t.fs, ino, 200ULL * 16 * 1024), 0);
	d0 = tree_depth(t.fs, ino);
	CU_ASSERT_EQUAL(d0, 1);
	CU_ASSERT_EQUAL(test_bad_windows(t.fs, ino), 200);
	CU_ASSERT_EQUAL(fsutil_hash_file(t.fs, ino, &h), 0);
	CU_ASSERT_EQUAL(ext2fs_atomic_relocate_inode(t.ac, ino, NULL, NULL,
						     &st), 0);
	CU_ASSERT_EQUAL_FATAL(test_img_reopen(&t), 0);
	CU_ASSERT_EQUAL(test_bad_windows(t.fs, ino), 0);
	CU_ASSERT_TRUE(tree_depth(t.fs, ino) > d0);
	CU_ASSERT_EQUAL(fsutil_hash_file(t.fs, ino, &h2), 0);
	CU_ASSERT_EQUAL(h, h2);
	CU_ASSERT_EQUAL(test_stock_fsck(&t), 0);
	test_img_free(&t);
}

/* No aligned run left: an error, and the file is as it was. */
static void test_no_space(void)
{
	struct test_img t;
	ext2_ino_t ino;
	blk64_t run;
	__u64 h, h2, bad;

	CU_ASSERT_EQUAL_FATAL(test_img_make(&t, 4096, 8192, NULL, 65536), 0);
	ino = test_atomic_file(&t, "f", 2, 2 * 65536, 3);
	CU_ASSERT_EQUAL(fsutil_shift_window(t.ac, ino, 1, 2), 0);
	bad = test_bad_windows(t.fs, ino);
	CU_ASSERT_EQUAL(fsutil_hash_file(t.fs, ino, &h), 0);
	while (!ext2fs_atomic_alloc_run(t.ac, 0, 0, 16, &run))
		;
	CU_ASSERT_EQUAL(ext2fs_atomic_relocate_inode(t.ac, ino, NULL, NULL,
						     NULL),
			EXT2_ET_ATOMIC_NO_SPACE);
	CU_ASSERT_EQUAL(test_bad_windows(t.fs, ino), bad);
	CU_ASSERT_EQUAL(fsutil_hash_file(t.fs, ino, &h2), 0);
	CU_ASSERT_EQUAL(h, h2);
	test_img_discard(&t);
}

struct progress_log {
	__u64 last_done, total;
	int calls;
};

static void progress(ext2_ino_t ino, __u64 done, __u64 total, void *priv)
{
	struct progress_log *p = priv;

	(void) ino;
	CU_ASSERT_TRUE(done > p->last_done && done <= total);
	p->last_done = done;
	p->total = total;
	p->calls++;
}

/* Moving valid windows below a limit, as a shrink needs, with progress. */
static void test_move_below_limit(void)
{
	struct progress_log pl = { 0, 0, 0 };
	struct test_img t;
	struct ext2_inode inode;
	ext2_ino_t ino;
	__u64 h, h2;
	blk64_t pblk;
	int flags;

	CU_ASSERT_EQUAL_FATAL(test_img_make(&t, 4096, 65536, NULL, 65536), 0);
	ino = test_atomic_file(&t, "high", 0, 0, 0);
	CU_ASSERT_EQUAL(ext2fs_read_inode(t.fs, ino, &inode), 0);
	CU_ASSERT_EQUAL(ext2fs_atomic_alloc_windows(t.ac, ino, &inode, 0, 3,
						    60000, 0), 0);
	CU_ASSERT_EQUAL(fsutil_write_pattern(t.fs, ino, 0, 3 * 65536, 5), 0);
	CU_ASSERT_EQUAL(fsutil_hash_file(t.fs, ino, &h), 0);
	CU_ASSERT_EQUAL(ext2fs_read_inode(t.fs, ino, &inode), 0);
	CU_ASSERT_EQUAL(ext2fs_atomic_move_windows(t.ac, ino, &inode, 0, 3, 0,
						   32768, NULL), 0);
	CU_ASSERT_EQUAL(ext2fs_bmap2(t.fs, ino, &inode, NULL, 0, 47, &flags,
				     &pblk), 0);
	CU_ASSERT_TRUE(pblk < 32768);
	CU_ASSERT_EQUAL(test_bad_windows(t.fs, ino), 0);
	/* The relocator's progress callback sees steady progress. */
	CU_ASSERT_EQUAL(fsutil_shift_window(t.ac, ino, 0, 1), 0);
	CU_ASSERT_EQUAL(fsutil_shift_window(t.ac, ino, 2, 1), 0);
	CU_ASSERT_EQUAL(ext2fs_atomic_relocate_inode(t.ac, ino, progress, &pl,
						     NULL), 0);
	CU_ASSERT_EQUAL(pl.total, 2);
	CU_ASSERT_EQUAL(pl.last_done, 2);
	CU_ASSERT_EQUAL(fsutil_hash_file(t.fs, ino, &h2), 0);
	CU_ASSERT_EQUAL(h, h2);
	CU_ASSERT_EQUAL(test_stock_fsck(&t), 0);
	test_img_free(&t);
}

void add_relocate_tests(void)
{
	ADD_SUITE("relocator",
		{ "every shape, 4k blocks", test_shapes_4k },
		{ "every shape, 1k blocks", test_shapes_1k },
		{ "1k blocks, 1 MiB unit", test_shapes_1k_big_unit },
		{ "bigalloc", test_shapes_bigalloc },
		{ "no metadata_csum, no flex_bg", test_shapes_metadata_csum_off },
		{ "deep extent tree", test_deep_tree },
		{ "repairs that grow the tree a level", test_tree_grows },
		{ "no space leaves the file alone", test_no_space },
		{ "move below a limit, progress", test_move_below_limit });
}
