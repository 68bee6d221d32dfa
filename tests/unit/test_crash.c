/*
 * test_crash.c --- the relocator's write order: stop applying writes
 * after the Nth one, for every N of a relocation (or of a shrink's
 * evacuation), in stop and torn modes, and check that every file
 * still reads back whole before any repair, after our e2fsck -fy (which
 * must also leave every window whole) and after stock e2fsck -fy alone,
 * and that the atomic_write bit is on at every stage.
 */

#include <stdlib.h>
#include <sys/wait.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"
#include "crash_io.h"
#include "stock.h"

/*
 * Every N by default; E2ATOMIC_CRASH_STRIDE=k samples every kth (the
 * valgrind run uses it, the plain make check does not).  Torn writes
 * (the write after the Nth applies its first half) are sampled every
 * E2ATOMIC_CRASH_TORN_STRIDE (default 4) Ns; make crash-sweep sets
 * both to 1 and E2ATOMIC_CRASH_SUMMARY=1 for one table row per sweep.
 */
static long env_stride(const char *name, long def)
{
	const char *s = getenv(name);
	long k = s ? atol(s) : def;

	return k > 0 ? k : 1;
}

static long crash_stride(void)
{
	return env_stride("E2ATOMIC_CRASH_STRIDE", 1);
}

static void copy_image(const char *from, const char *to)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "cp --sparse=always '%s' '%s'", from, to);
	CU_ASSERT_EQUAL_FATAL(system(cmd), 0);
}

/* Relocate the victim on image path, letting budget writes through. */
static long relocate_with_budget(const char *path, ext2_ino_t ino,
				 long budget)
{
	ext2fs_atomic_alloc_t ac = NULL;
	ext2_filsys fs;

	crash_io_set_budget(budget);
	if (ext2fs_open(path, EXT2_FLAG_RW | EXT2_FLAG_64BITS, 0, 0,
			crash_io_manager, &fs))
		return -1;
	if (!ext2fs_read_bitmaps(fs) && !ext2fs_atomic_alloc_open(fs, &ac))
		ext2fs_atomic_relocate_inode(ac, ino, NULL, NULL, NULL);
	ext2fs_atomic_alloc_close(ac);
	ext2fs_close_free(&fs);
	return crash_io_writes();
}

/* Evacuate every window of the image's files below half its size. */
static long evacuate_with_budget(const char *path, ext2_ino_t ino,
				 long budget)
{
	struct ext2fs_atomic_shrink_plan plan;
	ext2fs_atomic_alloc_t ac = NULL;
	ext2_filsys fs;

	(void) ino;
	crash_io_set_budget(budget);
	if (ext2fs_open(path, EXT2_FLAG_RW | EXT2_FLAG_64BITS, 0, 0,
			crash_io_manager, &fs))
		return -1;
	if (!ext2fs_read_bitmaps(fs) && !ext2fs_atomic_alloc_open(fs, &ac) &&
	    !ext2fs_atomic_shrink_plan(ac, ext2fs_blocks_count(fs->super) / 2,
				       &plan))
		ext2fs_atomic_evacuate(ac, &plan, NULL, NULL, NULL);
	ext2fs_atomic_alloc_close(ac);
	ext2fs_close_free(&fs);
	return crash_io_writes();
}

/*
 * Do both files read back whole?  *has_feature: is the bit on; *bad
 * (when not NULL): broken windows left in the two files.
 */
static int hashes_match(const char *path, ext2_ino_t a, __u64 ha,
			ext2_ino_t b, __u64 hb, int *has_feature, __u64 *bad)
{
	ext2_filsys fs;
	__u64 h1 = 0, h2 = 0;
	int ok;

	/*
	 * Bitmaps and group descriptors may disagree after a crash (libext2fs
	 * writes them at close); what matters here is the files' data.
	 */
	if (ext2fs_open(path, EXT2_FLAG_64BITS | EXT2_FLAG_IGNORE_CSUM_ERRORS,
			0, 0, unix_io_manager, &fs))
		return 0;
	ok = !fsutil_hash_file(fs, a, &h1) && !fsutil_hash_file(fs, b, &h2) &&
	     h1 == ha && h2 == hb;
	*has_feature = ext2fs_atomic_has_feature(fs->super);
	if (bad)
		*bad = test_bad_windows(fs, a) + test_bad_windows(fs, b);
	ext2fs_close_free(&fs);
	return ok;
}

/*
 * The recovery the tools document: our e2fsck -fy ($E2ATOMIC_E2FSCK,
 * default the build's, with the build's stock view unless
 * $E2ATOMIC_STOCKVIEW is set).  It also takes over when the primary
 * superblock is torn (bad checksum), falling back to a backup as stock
 * e2fsck does.  Returns 1 (it was our e2fsck).
 */
static int own_repair(const char *path)
{
	const char *prog = getenv("E2ATOMIC_E2FSCK");
	char cmd[1024];
	int ret;

	setenv("E2ATOMIC_STOCKVIEW", "../lib/stock/stockview.so", 0);
	snprintf(cmd, sizeof(cmd), "'%s' -fy '%s' > /dev/null 2>&1",
		 prog ? prog : "../e2fsck/e2fsck", path);
	ret = system(cmd);
	CU_ASSERT_TRUE(WIFEXITED(ret) && WEXITSTATUS(ret) <= 1);
	return 1;
}

/* Stock e2fsck -fy on path with the feature bit cleared (then restored). */
static int stock_repair(const char *path)
{
	char *argv[] = { "e2fsck", "-fy", (char *) path, NULL };
	ext2_filsys fs;
	__u8 log_unit;
	int ret;

	if (ext2fs_open(path, EXT2_FLAG_RW | EXT2_FLAG_64BITS, 0, 0,
			unix_io_manager, &fs))
		return own_repair(path);
	log_unit = ext2fs_atomic_get_log_unit(fs->super);
	ext2fs_atomic_clear_feature(fs->super);
	ext2fs_atomic_set_log_unit(fs->super, 0);
	ext2fs_mark_super_dirty(fs);
	CU_ASSERT_EQUAL(ext2fs_close_free(&fs), 0);
	ret = stock_run("e2fsck", argv);
	CU_ASSERT_TRUE(ret == 0 || ret == 1);
	CU_ASSERT_EQUAL_FATAL(ext2fs_open(path, EXT2_FLAG_RW | EXT2_FLAG_64BITS,
					  0, 0, unix_io_manager, &fs), 0);
	ext2fs_atomic_enable(fs, log_unit);
	CU_ASSERT_EQUAL(ext2fs_close_free(&fs), 0);
	return 0;
}

/* Broken in several ways at once; the tree is in the inode or one leaf. */
static void setup_shapes(struct test_img *t, ext2_ino_t *victim,
			 ext2_ino_t *other)
{
	__u64 u = ext2fs_atomic_unit_blocks(t->fs);
	unsigned int bs = t->fs->blocksize;

	*victim = test_atomic_file(t, "victim", 4, 4 * u * bs - 77, 3);
	*other = test_atomic_file(t, "other", 2, 2 * u * bs, 4);
	CU_ASSERT_EQUAL(fsutil_shift_window(t->ac, *victim, 0, 1), 0);
	CU_ASSERT_EQUAL(fsutil_unmap(t->fs, *victim, 2 * u + 1, 2), 0);
	CU_ASSERT_EQUAL(fsutil_shift_window(t->ac, *victim, 3, u / 2), 0);
	CU_ASSERT_TRUE(test_bad_windows(t->fs, *victim) > 0);
}

/* Two atomic files in the upper half, for an evacuation below it. */
static void setup_high(struct test_img *t, ext2_ino_t *victim,
		       ext2_ino_t *other)
{
	blk64_t u = ext2fs_atomic_unit_blocks(t->fs);
	blk64_t blocks = ext2fs_blocks_count(t->fs->super);
	unsigned int bs = t->fs->blocksize;
	struct ext2_inode inode;
	ext2_ino_t *ino[2] = { victim, other };
	int i;

	for (i = 0; i < 2; i++) {
		*ino[i] = test_atomic_file(t, i ? "other" : "victim", 0, 0, 0);
		CU_ASSERT_EQUAL(ext2fs_read_inode(t->fs, *ino[i], &inode), 0);
		CU_ASSERT_EQUAL(ext2fs_atomic_alloc_windows(t->ac, *ino[i],
				&inode, 0, 3 + i, blocks * (6 + i) / 8, 0), 0);
		CU_ASSERT_EQUAL(fsutil_write_pattern(t->fs, *ino[i], 0,
				(3 + i) * u * bs - 99, 5 + i), 0);
	}
}

/* A hole in a full leaf: filling it must grow the tree first. */
static void setup_full_leaf(struct test_img *t, ext2_ino_t *victim,
			    ext2_ino_t *other)
{
	*victim = test_deep_file(t, "victim", 1);
	*other = test_atomic_file(t, "other", 2, 2 * 16 * t->fs->blocksize,
				  4);
	CU_ASSERT_TRUE(test_bad_windows(t->fs, *victim) > 0);
}

static int crash_torn_sectors;	/* for the messages */

/* As above, but the repair adds entries: the leaf's tail shifts. */
static void setup_shift_leaf(struct test_img *t, ext2_ino_t *victim,
			     ext2_ino_t *other)
{
	*victim = test_deep_file(t, "victim", 2);
	*other = test_atomic_file(t, "other", 2, 2 * 16 * t->fs->blocksize,
				  4);
	CU_ASSERT_TRUE(test_bad_windows(t->fs, *victim) > 0);
}

struct sweep_result {
	long	total, tried;
	int	lost;		/* before any repair */
	int	lost_own;	/* after our e2fsck -fy */
	int	rule_own;	/* windows still broken after it */
	int	lost_stock;	/* after stock e2fsck -fy alone */
	int	bit_lost;	/* atomic_write bit gone, at any stage */
	int	torn_sb;	/* stock could not open: our e2fsck did it */
};

static void note_loss(long n, const char *what)
{
	if (getenv("E2ATOMIC_CRASH_SUMMARY"))
		printf("# crash after write %ld (torn after %d sectors): %s\n",
		       n, crash_torn_sectors, what);
}

/*
 * Crash at every strideth N of act on copies of base; recover one copy
 * with our e2fsck -fy (files whole, rule holds) and another with stock
 * e2fsck -fy alone (files whole: a user without our tools loses nothing
 * either).
 */
static void sweep_mode(const char *base, const char *work, ext2_ino_t victim,
		       ext2_ino_t other, __u64 hv, __u64 ho, long stride,
		       long (*act)(const char *, ext2_ino_t, long),
		       struct sweep_result *r)
{
	char stock_copy[400];
	int has_feature;
	__u64 bad;
	long n;

	snprintf(stock_copy, sizeof(stock_copy), "%s.stock", work);
	for (n = 0; n <= r->total; n += stride) {
		copy_image(base, work);
		act(work, victim, n);
		r->tried++;
		if (!hashes_match(work, victim, hv, other, ho, &has_feature,
				  NULL))
			r->lost++;
		r->bit_lost += !has_feature;
		copy_image(work, stock_copy);

		own_repair(work);
		if (!hashes_match(work, victim, hv, other, ho, &has_feature,
				  &bad)) {
			r->lost_own++;
			note_loss(n, "lost after our e2fsck -fy");
		}
		if (bad) {
			r->rule_own++;
			note_loss(n, "windows broken after our e2fsck -fy");
		}
		r->bit_lost += !has_feature;

		r->torn_sb += stock_repair(stock_copy);
		if (!hashes_match(stock_copy, victim, hv, other, ho,
				  &has_feature, NULL)) {
			r->lost_stock++;
			note_loss(n, "lost after stock e2fsck -fy");
		}
		r->bit_lost += !has_feature;
	}
	unlink(stock_copy);
}

static void crash_sweep(const char *name, unsigned int blocksize,
			unsigned long long blocks, unsigned long long unit,
			void (*setup)(struct test_img *, ext2_ino_t *,
				      ext2_ino_t *),
			long (*act)(const char *, ext2_ino_t, long))
{
	static const char *mode_name[2] = { "stop", "torn" };
	struct sweep_result r;
	struct test_img t;
	char base[300], work[300];
	ext2_ino_t victim, other;
	__u64 hv, ho;
	long total;
	int torn, k;

	CU_ASSERT_EQUAL_FATAL(test_img_make(&t, blocksize, blocks, NULL,
					    unit), 0);
	setup(&t, &victim, &other);
	CU_ASSERT_EQUAL(fsutil_hash_file(t.fs, victim, &hv), 0);
	CU_ASSERT_EQUAL(fsutil_hash_file(t.fs, other, &ho), 0);
	test_img_close(&t);
	snprintf(base, sizeof(base), "%s", t.path);
	snprintf(work, sizeof(work), "%s.crash", t.path);

	copy_image(base, work);
	total = act(work, victim, -1);
	CU_ASSERT_TRUE_FATAL(total > 5);
	/* Stop, then a tear after each 512-byte sector of a block. */
	for (torn = 0; torn <= 1; torn++) {
		memset(&r, 0, sizeof(r));
		r.total = total;
		for (k = torn; k <= (torn ? (int) blocksize / 512 - 1 : 0); k++) {
			crash_io_set_torn(k);
			crash_torn_sectors = k;
			sweep_mode(base, work, victim, other, hv, ho, torn ?
				   env_stride("E2ATOMIC_CRASH_TORN_STRIDE", 4) :
				   crash_stride(), act, &r);
		}
		crash_io_set_torn(0);
		if (getenv("E2ATOMIC_CRASH_SUMMARY"))
			printf("| %-44s | %s | %6ld | %6ld | %4d | %4d | %4d "
			       "| %4d | %4d | %4d |\n", name, mode_name[torn],
			       r.total, r.tried, r.lost, r.lost_own,
			       r.rule_own, r.lost_stock, r.bit_lost,
			       r.torn_sb);
		CU_ASSERT_EQUAL(r.lost, 0);
		CU_ASSERT_EQUAL(r.lost_own, 0);
		CU_ASSERT_EQUAL(r.rule_own, 0);
		CU_ASSERT_EQUAL(r.lost_stock, 0);
		CU_ASSERT_EQUAL(r.bit_lost, 0);
	}
	unlink(work);
	unlink(base);
}

static void test_crash_4k(void)
{
	crash_sweep("relocation, 4k blocks",
		    4096, 8192, 65536,
		    setup_shapes, relocate_with_budget);
}

static void test_crash_1k(void)
{
	crash_sweep("relocation, 1k blocks",
		    1024, 8192, 16384,
		    setup_shapes, relocate_with_budget);
}

static void test_crash_full_leaf_4k(void)
{
	crash_sweep("relocation, hole in a full leaf, 4k blocks",
		    4096, 32768, 65536,
		    setup_full_leaf, relocate_with_budget);
}

static void test_crash_full_leaf_1k(void)
{
	crash_sweep("relocation, hole in a full leaf, 1k blocks",
		    1024, 32768, 16384,
		    setup_full_leaf, relocate_with_budget);
}

static void test_crash_shift_leaf_4k(void)
{
	crash_sweep("relocation, entries shift in a leaf, 4k blocks",
		    4096, 32768, 65536,
		    setup_shift_leaf, relocate_with_budget);
}

static void test_crash_shift_leaf_1k(void)
{
	crash_sweep("relocation, entries shift in a leaf, 1k blocks",
		    1024, 32768, 16384,
		    setup_shift_leaf, relocate_with_budget);
}

static void test_crash_evacuate_4k(void)
{
	crash_sweep("shrink's evacuation, 4k blocks",
		    4096, 8192, 65536,
		    setup_high, evacuate_with_budget);
}

static void test_crash_evacuate_1k(void)
{
	crash_sweep("shrink's evacuation, 1k blocks",
		    1024, 16384, 16384,
		    setup_high, evacuate_with_budget);
}

void add_crash_tests(void)
{
	ADD_SUITE("crash",
		{ "every write of a relocation, 4k blocks", test_crash_4k },
		{ "every write of a relocation, 1k blocks", test_crash_1k },
		{ "every write, hole in a full leaf, 4k blocks",
		  test_crash_full_leaf_4k },
		{ "every write, hole in a full leaf, 1k blocks",
		  test_crash_full_leaf_1k },
		{ "every write, entries shift in a leaf, 4k blocks",
		  test_crash_shift_leaf_4k },
		{ "every write, entries shift in a leaf, 1k blocks",
		  test_crash_shift_leaf_1k },
		{ "every write of a shrink's evacuation, 4k blocks",
		  test_crash_evacuate_4k },
		{ "every write of a shrink's evacuation, 1k blocks",
		  test_crash_evacuate_1k });
}
