// SPDX-License-Identifier: GPL-2.0
/*
 * test_check.c --- the rule checker: every kind of violation, valid
 * layouts, and random layouts compared with a block-by-block reference.
 */

#include <string.h>

#include "unit.h"

#define MAX_WINDOWS	64
#define MAX_BLOCKS	(MAX_WINDOWS * 16)

/* Per-window problem masks collected from the checker's reports. */
struct seen {
	int	mask[MAX_WINDOWS + 1];
	int	calls;
};

static int collect(ext2_ino_t ino, const struct ext2fs_atomic_violation *v,
		   void *priv)
{
	struct seen *s = priv;
	__u64 w;

	(void) ino;
	s->calls++;
	for (w = v->first_window; w < v->first_window + v->nr_windows; w++)
		if (w <= MAX_WINDOWS)
			s->mask[w] |= v->problems;
	return 0;
}

struct ext {
	blk64_t lblk, pblk;
	__u32 len;
	int uninit;
};

static __u64 run_checker(blk64_t unit, __u64 size, const struct ext *e,
			 int n, struct seen *s)
{
	struct ext2fs_atomic_checker c;
	int i;

	memset(s, 0, sizeof(*s));
	ext2fs_atomic_checker_init(&c, unit, size, 4096, collect, s);
	for (i = 0; i < n; i++)
		ext2fs_atomic_checker_add(&c, e[i].lblk, e[i].pblk, e[i].len,
					  e[i].uninit);
	ext2fs_atomic_checker_finish(&c);
	return c.nr_bad;
}

#define CHECK(unit, size, ...) ({					\
	static const struct ext list[] = { __VA_ARGS__ };		\
	run_checker(unit, size, list, sizeof(list) / sizeof(list[0]), &s); })

static void test_valid_layouts(void)
{
	struct seen s;

	/* One extent over four windows, aligned. */
	CU_ASSERT_EQUAL(CHECK(16, 64 * 4096, { 0, 160, 64, 0 }), 0);
	/* A window made of a written and an unwritten extent. */
	CU_ASSERT_EQUAL(CHECK(16, 10 * 4096,
			      { 0, 32, 10, 0 }, { 10, 42, 6, 1 }), 0);
	/* Windows far apart, with unmapped windows between them. */
	CU_ASSERT_EQUAL(CHECK(16, 1 << 30,
			      { 0, 16, 16, 0 }, { 160, 4096, 32, 0 }), 0);
	/* A partial last window past EOF in an unwritten extent. */
	CU_ASSERT_EQUAL(CHECK(8, 5 * 4096 + 1,
			      { 0, 8, 6, 0 }, { 6, 14, 2, 1 }), 0);
	/* U == 1: any layout obeys the rule. */
	CU_ASSERT_EQUAL(CHECK(1, 3 * 4096,
			      { 0, 7, 1, 0 }, { 1, 3, 1, 0 }, { 2, 100, 1, 0 }),
			0);
	/* No extents at all. */
	CU_ASSERT_EQUAL(run_checker(16, 0, NULL, 0, &s), 0);
}

static void test_each_violation(void)
{
	struct seen s;

	CU_ASSERT_EQUAL(CHECK(16, 32 * 4096, { 0, 33, 32, 0 }), 2);
	CU_ASSERT_EQUAL(s.mask[0], EXT2FS_ATOMIC_MISALIGNED);
	CU_ASSERT_EQUAL(s.mask[1], EXT2FS_ATOMIC_MISALIGNED);
	CU_ASSERT_EQUAL(s.calls, 1);	/* reported as one range */

	CU_ASSERT_EQUAL(CHECK(16, 32 * 4096,
			      { 0, 32, 7, 0 }, { 8, 40, 8, 0 }), 1);
	CU_ASSERT_EQUAL(s.mask[0], EXT2FS_ATOMIC_HOLE);

	/* Hole at the start and at the end of a window. */
	CU_ASSERT_EQUAL(CHECK(16, 64 * 4096,
			      { 1, 33, 15, 0 }, { 16, 48, 15, 0 }), 2);
	CU_ASSERT_EQUAL(s.mask[0], EXT2FS_ATOMIC_HOLE);
	CU_ASSERT_EQUAL(s.mask[1], EXT2FS_ATOMIC_HOLE);

	CU_ASSERT_EQUAL(CHECK(16, 32 * 4096,
			      { 0, 32, 8, 0 }, { 8, 64, 8, 0 }), 1);
	CU_ASSERT_EQUAL(s.mask[0], EXT2FS_ATOMIC_DISCONTIGUOUS);

	/* Written blocks past EOF in the last window. */
	CU_ASSERT_EQUAL(CHECK(16, 4096 * 20, { 0, 32, 32, 0 }), 1);
	CU_ASSERT_EQUAL(s.mask[1], EXT2FS_ATOMIC_PAST_EOF);
	CU_ASSERT_EQUAL(s.mask[0], 0);
	/* EOF exactly at a window boundary: a whole written window past. */
	CU_ASSERT_EQUAL(CHECK(16, 4096 * 16, { 0, 32, 48, 0 }), 2);
	CU_ASSERT_EQUAL(s.mask[1], EXT2FS_ATOMIC_PAST_EOF);
	CU_ASSERT_EQUAL(s.mask[2], EXT2FS_ATOMIC_PAST_EOF);

	/* Several at once in one window. */
	CU_ASSERT_EQUAL(CHECK(16, 4096 * 4,
			      { 0, 33, 4, 0 }, { 6, 80, 4, 0 }), 1);
	CU_ASSERT_EQUAL(s.mask[0], EXT2FS_ATOMIC_MISALIGNED |
			EXT2FS_ATOMIC_HOLE | EXT2FS_ATOMIC_DISCONTIGUOUS |
			EXT2FS_ATOMIC_PAST_EOF);

	/* Overlapping extents (a corrupt map) never pass as valid... */
	CU_ASSERT_TRUE(CHECK(16, 4096 * 32,
			     { 0, 32, 16, 0 }, { 8, 40, 8, 0 }) > 0);
	/* ...and a window they share is counted once. */
	CU_ASSERT_EQUAL(CHECK(16, 1 << 20,
			      { 0, 1600, 8, 0 }, { 4, 1604, 8, 0 }), 1);
	CU_ASSERT_EQUAL(s.calls, 1);
}

/* The callback may stop the walk. */
static int stop_first(ext2_ino_t ino, const struct ext2fs_atomic_violation *v,
		      void *priv)
{
	(void) ino;
	(void) v;
	(*(int *) priv)++;
	return 1;
}

static void test_stop(void)
{
	struct ext2fs_atomic_checker c;
	int calls = 0, i;

	ext2fs_atomic_checker_init(&c, 4, 1 << 20, 4096, stop_first, &calls);
	for (i = 0; i < 10; i++)
		ext2fs_atomic_checker_add(&c, i * 8, i * 8 + 1, 4, 0);
	ext2fs_atomic_checker_finish(&c);
	CU_ASSERT_EQUAL(calls, 1);
}

/*
 * The reference: judge each window block by block, straight from the
 * words of FORMAT.md section 3.
 */
struct blockmap {
	blk64_t	pblk[MAX_BLOCKS];	/* 0: hole */
	int	uninit[MAX_BLOCKS];
};

static int reference_mask(const struct blockmap *m, blk64_t unit,
			  blk64_t eof, __u64 w)
{
	blk64_t b, first = ~0ULL;
	int mask = 0;

	for (b = w * unit; b < (w + 1) * unit; b++) {
		if (!m->pblk[b])
			continue;
		if (first == ~0ULL) {
			first = b;
			if (m->pblk[b] % unit != b % unit)
				mask |= EXT2FS_ATOMIC_MISALIGNED;
		} else if (m->pblk[b] != m->pblk[first] + (b - first)) {
			mask |= EXT2FS_ATOMIC_DISCONTIGUOUS;
		}
		if (!m->uninit[b] && b >= eof)
			mask |= EXT2FS_ATOMIC_PAST_EOF;
	}
	if (first == ~0ULL)
		return 0;
	for (b = w * unit; b < (w + 1) * unit; b++)
		if (!m->pblk[b])
			mask |= EXT2FS_ATOMIC_HOLE;
	return mask;
}

/* A random layout: most windows valid, some broken in random ways. */
static void random_layout(struct blockmap *m, blk64_t unit, __u64 windows,
			  blk64_t *eof, int allow_broken)
{
	blk64_t b, base;
	__u64 w;
	int kind;

	memset(m, 0, sizeof(*m));
	for (w = 0; w < windows; w++) {
		kind = test_rand() % 8;
		if (kind == 0)
			continue;		/* unmapped window */
		base = (1 + test_rand() % 1000) * unit;
		for (b = 0; b < unit; b++) {
			m->pblk[w * unit + b] = base + b;
			m->uninit[w * unit + b] = test_rand() % 4 == 0;
		}
		if (!allow_broken || kind < 5)
			continue;
		b = w * unit + test_rand() % unit;
		if (kind == 5)
			m->pblk[b] = 0;				/* hole */
		else if (kind == 6 && unit > 1)
			m->pblk[b] += 1 + test_rand() % 7;	/* jump */
		else
			for (b = w * unit; b < (w + 1) * unit; b++)
				m->pblk[b] += 1;		/* shift */
	}
	*eof = test_rand() % (windows * unit + 1);
	/* Valid layouts keep everything past EOF unwritten. */
	for (b = *eof; b < windows * unit && !allow_broken; b++)
		m->uninit[b] = 1;
}

/* Feed the map as extents, cut at random places as well as natural ones. */
static void feed_map(struct ext2fs_atomic_checker *c, const struct blockmap *m,
		     blk64_t nblocks)
{
	blk64_t b = 0, start;

	while (b < nblocks) {
		if (!m->pblk[b]) {
			b++;
			continue;
		}
		start = b++;
		while (b < nblocks && m->pblk[b] &&
		       m->pblk[b] == m->pblk[b - 1] + 1 &&
		       m->uninit[b] == m->uninit[start] &&
		       test_rand() % 16)
			b++;
		ext2fs_atomic_checker_add(c, start, m->pblk[start], b - start,
					  m->uninit[start]);
	}
}

static void compare_random(int allow_broken, int rounds)
{
	static struct blockmap m;
	struct ext2fs_atomic_checker c;
	struct seen s;
	blk64_t unit, eof;
	__u64 windows, w, bad;
	int round, mismatches = 0;

	test_srand(allow_broken ? 4242 : 777);
	for (round = 0; round < rounds; round++) {
		unit = 1ULL << (test_rand() % 5);
		windows = 1 + test_rand() % MAX_WINDOWS;
		random_layout(&m, unit, windows, &eof, allow_broken);
		memset(&s, 0, sizeof(s));
		ext2fs_atomic_checker_init(&c, unit, eof * 4096, 4096,
					   collect, &s);
		feed_map(&c, &m, windows * unit);
		ext2fs_atomic_checker_finish(&c);
		bad = 0;
		for (w = 0; w < windows; w++) {
			int want = reference_mask(&m, unit, eof, w);

			bad += !!want;
			if (s.mask[w] != want)
				mismatches++;
		}
		if (bad != c.nr_bad)
			mismatches++;
		if (!allow_broken && c.nr_bad)
			mismatches++;
	}
	CU_ASSERT_EQUAL(mismatches, 0);
}

static void test_random_valid(void)
{
	compare_random(0, 20000);
}

static void test_random_broken(void)
{
	compare_random(1, 20000);
}

/* Shapes on a real image, including a window split across two leaves. */
static void test_on_image(void)
{
	struct test_img t;
	ext2_ino_t ino;
	blk64_t base;
	struct seen s;

	CU_ASSERT_EQUAL_FATAL(test_img_make(&t, 4096, 32768, NULL, 65536), 0);
	ino = test_atomic_file(&t, "aligned", 4, 4 * 65536, 1);
	CU_ASSERT_EQUAL(test_bad_windows(t.fs, ino), 0);

	/* 400 windows of 2 extents each: a depth-1 tree of several leaves. */
	ino = test_deep_file(&t, "deep", 0);
	CU_ASSERT_EQUAL(test_bad_windows(t.fs, ino), 0);
	/* Break window 200 (logical 6400): its second half moves away. */
	CU_ASSERT_EQUAL_FATAL(ext2fs_atomic_find_run(t.ac, 0, 0, 16, &base), 0);
	CU_ASSERT_EQUAL(fsutil_unmap(t.fs, ino, 6400 + 8, 8), 0);
	CU_ASSERT_EQUAL(fsutil_map(t.fs, ino, 6400 + 8, base + 8, 8, 1), 0);
	memset(&s, 0, sizeof(s));
	CU_ASSERT_EQUAL(ext2fs_atomic_check_inode(t.fs, ino, NULL, collect,
						  &s, NULL), 0);
	CU_ASSERT_EQUAL(s.calls, 1);
	CU_ASSERT_EQUAL(test_bad_windows(t.fs, ino), 1);
	CU_ASSERT_EQUAL(test_stock_fsck(&t), 0);
	test_img_free(&t);
}

static void test_not_extents(void)
{
	struct test_img t;
	struct ext2_inode inode;

	CU_ASSERT_EQUAL_FATAL(test_img_make(&t, 4096, 4096, NULL, 65536), 0);
	CU_ASSERT_EQUAL(ext2fs_read_inode(t.fs, EXT2_ROOT_INO, &inode), 0);
	inode.i_flags &= ~EXT4_EXTENTS_FL;
	CU_ASSERT_EQUAL(ext2fs_atomic_check_inode(t.fs, EXT2_ROOT_INO, &inode,
						  NULL, NULL, NULL),
			EXT2_ET_ATOMIC_NOT_EXTENTS);
	test_img_free(&t);
}

void add_check_tests(void)
{
	ADD_SUITE("checker",
		{ "valid layouts", test_valid_layouts },
		{ "each violation", test_each_violation },
		{ "callback stops the walk", test_stop },
		{ "random valid layouts", test_random_valid },
		{ "random broken layouts vs reference", test_random_broken },
		{ "shapes on an image, deep tree", test_on_image },
		{ "block-mapped file refused", test_not_extents });
}
