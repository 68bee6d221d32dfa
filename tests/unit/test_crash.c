// SPDX-License-Identifier: GPL-2.0
/*
 * test_crash.c --- the library's write order under a power cut.  Each
 * scenario (a relocation, a deep-tree repair) is crashed three ways
 * by crash_io.c:
 *
 *   stop     the first N writes applied, in order, for every N;
 *   torn     the same, write N + 1 cut after a 512-byte sector;
 *   reorder  the disk reorders writes between flushes (crash_model.h):
 *            for every flush epoch, crash states made of any subset of
 *            the epoch's 4 KiB pieces, some torn.
 *
 * Every crash state is checked: the files read back whole before any
 * repair; after our e2fsck -fy (exit 0 or 1) they still do, no window
 * is broken and a second run, our e2fsck -fn, is clean; after stock
 * e2fsck -fy alone (the bit set aside, then restored) they read back
 * whole; the atomic_write bit is on at every stage.
 */

#include <fcntl.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"
#include "crash_io.h"
#include "crash_model.h"
#include "run.h"

/*
 * Environment (make crash-sweep sets the exhaustive values):
 *   E2ATOMIC_CRASH_STRIDE        stop mode: every kth N (default 1)
 *   E2ATOMIC_CRASH_TORN_STRIDE   torn mode: every kth N (default
 *                                TORN_STRIDE)
 *   E2ATOMIC_CRASH_STATE_STRIDE  reorder: every kth crash state of a
 *                                scenario (default REORDER_STRIDE)
 *   E2ATOMIC_CRASH_TEAR_ALL=1    reorder: every sector of every piece
 *   E2ATOMIC_CRASH_RANDOM        reorder: random states per epoch (16)
 *   E2ATOMIC_CRASH_SUMMARY=1     one table row per scenario and mode
 */
/*
 * make check's samples: some 260 crash states, 93 s of CPU time when
 * measured; make crash-sweep tries every one of them (some 2,000 with
 * the tears rotated, several times that with every sector torn).
 */
#define TORN_STRIDE	8
#define REORDER_STRIDE	24

static long env_long(const char *name, long def)
{
	const char *s = getenv(name);

	return s && *s ? atol(s) : def;
}

static long env_stride(const char *name, long def)
{
	long k = env_long(name, def);

	return k > 0 ? k : 1;
}

static int summary(void)
{
	return getenv("E2ATOMIC_CRASH_SUMMARY") != NULL;
}

static void copy_image(const char *from, const char *to)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "cp --sparse=always '%s' '%s'", from, to);
	CU_ASSERT_EQUAL_FATAL(system(cmd), 0);
}

/* Relocate the victim on image path (crash_io decides what lands). */
static void relocate(const char *path, ext2_ino_t ino)
{
	ext2fs_atomic_alloc_t ac = NULL;
	ext2_filsys fs;

	if (ext2fs_open(path, EXT2_FLAG_RW | EXT2_FLAG_64BITS, 0, 0,
			crash_io_manager, &fs))
		return;
	if (!ext2fs_read_bitmaps(fs) && !ext2fs_atomic_alloc_open(fs, &ac))
		ext2fs_atomic_relocate_inode(ac, ino, NULL, NULL, NULL);
	ext2fs_atomic_alloc_close(ac);
	ext2fs_close_free(&fs);
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

/* A hole in a full leaf: filling it must grow the tree first. */
static void setup_full_leaf(struct test_img *t, ext2_ino_t *victim,
			    ext2_ino_t *other)
{
	*victim = test_deep_file(t, "victim", 1);
	*other = test_atomic_file(t, "other", 2, 2 * 16 * t->fs->blocksize,
				  4);
	CU_ASSERT_TRUE(test_bad_windows(t->fs, *victim) > 0);
}

/* As above, but the repair adds entries: the leaf's tail shifts. */
static void setup_shift_leaf(struct test_img *t, ext2_ino_t *victim,
			     ext2_ino_t *other)
{
	*victim = test_deep_file(t, "victim", 2);
	*other = test_atomic_file(t, "other", 2, 2 * 16 * t->fs->blocksize,
				  4);
	CU_ASSERT_TRUE(test_bad_windows(t->fs, *victim) > 0);
}

/*
 * The f_windows image's "deep" file (tests/lib/windows_setup.sh): 400
 * mapped windows of two extents (every other window of the file) in a
 * depth-1 tree, five of them moved 3 blocks off their alignment, so
 * that the repair rewrites several leaves below the root.  The shell
 * breaks windows 0, 100, 200, 300 and 398 (the first half of the
 * file); here the 0th, 100th, 200th, 300th and 398th mapped windows
 * (windows 0 to 796) are broken, so that the leaves rewritten span
 * the whole tree, the last one included.  The written half of every
 * window holds a pattern: a lost or misplaced entry changes the hash.
 */
static void setup_deep(struct test_img *t, ext2_ino_t *victim,
		       ext2_ino_t *other)
{
	static const __u64 broken[] = { 0, 100, 200, 300, 398 };
	unsigned int bs = t->fs->blocksize;
	unsigned int i;

	*victim = test_deep_file(t, "victim", 0);
	for (i = 0; i < 400; i++)
		CU_ASSERT_EQUAL(fsutil_write_pattern(t->fs, *victim,
				i * 32ULL * bs, 8ULL * bs, 8), 0);
	for (i = 0; i < sizeof(broken) / sizeof(broken[0]); i++)
		CU_ASSERT_EQUAL(fsutil_shift_window(t->ac, *victim,
						    2 * broken[i], 3), 0);
	*other = test_atomic_file(t, "other", 2, 2 * 16 * bs, 4);
	CU_ASSERT_EQUAL(test_bad_windows(t->fs, *victim), 5);
}

struct scenario {
	const char		*name;
	unsigned int		blocksize;
	unsigned long long	blocks, unit;
	void			(*setup)(struct test_img *, ext2_ino_t *,
					 ext2_ino_t *);
	void			(*act)(const char *, ext2_ino_t);
};

/* A scenario's images and files, while it runs. */
struct crash_case {
	const struct scenario	*sc;
	char			base[300];	/* before the operation */
	char			work[300];	/* the crash state checked */
	char			copy[300];	/* the one stock repairs */
	char			post[300];	/* reorder: epoch applied */
	char			log[300];	/* reorder: the epoch's log */
	ext2_ino_t		victim, other;
	__u64			hv, ho;		/* their hashes */
};

/* Counts of crash states: one row of the table. */
struct sweep_result {
	const char	*mode;
	long		total;		/* writes, or epochs (reorder) */
	long		tried;
	int		lost;		/* before any repair */
	int		lost_own;	/* after our e2fsck -fy */
	int		rule_own;	/* windows still broken after it */
	int		unclean;	/* -fy failed, or -fn unclean */
	int		lost_stock;	/* after stock e2fsck -fy alone */
	int		bit_lost;	/* the bit gone, at any stage */
	int		stock_not_run;	/* no superblock to set the bit aside */
	int		torn_sb;	/* stock ran on a torn primary */
	int		torn_sb_failed;	/* and gave up */
};

static void case_open(struct crash_case *cc, const struct scenario *sc)
{
	struct test_img t;

	memset(cc, 0, sizeof(*cc));
	cc->sc = sc;
	CU_ASSERT_EQUAL_FATAL(test_img_make(&t, sc->blocksize, sc->blocks,
					    NULL, sc->unit), 0);
	sc->setup(&t, &cc->victim, &cc->other);
	CU_ASSERT_EQUAL(fsutil_hash_file(t.fs, cc->victim, &cc->hv), 0);
	CU_ASSERT_EQUAL(fsutil_hash_file(t.fs, cc->other, &cc->ho), 0);
	test_img_close(&t);
	snprintf(cc->base, sizeof(cc->base), "%s", t.path);
	snprintf(cc->work, sizeof(cc->work), "%s.crash", t.path);
	snprintf(cc->copy, sizeof(cc->copy), "%s.stock", t.path);
	snprintf(cc->post, sizeof(cc->post), "%s.post", t.path);
	snprintf(cc->log, sizeof(cc->log), "%s.log", t.path);
}

static void case_close(struct crash_case *cc)
{
	unlink(cc->base);
	unlink(cc->work);
	unlink(cc->copy);
	unlink(cc->post);
	unlink(cc->log);
}

/*
 * Do both files read back whole?  *has_feature: is the bit on; *bad
 * (when not NULL): broken windows left in the two files.
 */
static int files_whole(const struct crash_case *cc, const char *path,
		       int *has_feature, __u64 *bad)
{
	ext2_filsys fs;
	__u64 h1 = 0, h2 = 0;
	int ok;

	*has_feature = 0;
	if (bad)
		*bad = 0;
	/*
	 * Bitmaps and group descriptors may disagree after a crash (libext2fs
	 * writes them at close); what matters here is the files' data.
	 */
	if (ext2fs_open(path, EXT2_FLAG_64BITS | EXT2_FLAG_IGNORE_CSUM_ERRORS,
			0, 0, unix_io_manager, &fs))
		return 0;
	ok = !fsutil_hash_file(fs, cc->victim, &h1) &&
	     !fsutil_hash_file(fs, cc->other, &h2) &&
	     h1 == cc->hv && h2 == cc->ho;
	*has_feature = ext2fs_atomic_has_feature(fs->super);
	if (bad)
		*bad = test_bad_windows(fs, cc->victim) +
		       test_bad_windows(fs, cc->other);
	ext2fs_close_free(&fs);
	return ok;
}

/*
 * Our e2fsck ($E2ATOMIC_E2FSCK, default the build's) with opts; its exit
 * status.  Its output goes to $E2ATOMIC_CRASH_FSCK_LOG when set (to
 * see what a failing state did), else nowhere.
 */
static int our_fsck(const char *path, const char *opts)
{
	const char *prog = getenv("E2ATOMIC_E2FSCK");
	const char *out = getenv("E2ATOMIC_CRASH_FSCK_LOG");
	char cmd[8192], ours[4096];
	int ret;

	if (!prog || !*prog) {
		run_path(RUN_OURS, "e2fsck", ours, sizeof(ours));
		prog = ours;
	}
	snprintf(cmd, sizeof(cmd), "'%s' %s '%s' >> '%s' 2>&1",
		 prog, opts, path,
		 out && *out ? out : "/dev/null");
	ret = system(cmd);
	return WIFEXITED(ret) ? WEXITSTATUS(ret) : 128;
}

static __u32 sb_csum(const struct ext2_super_block *sb)
{
	return ext2fs_crc32c_le(~0U, (unsigned char const *) sb,
				offsetof(struct ext2_super_block, s_checksum));
}

/*
 * Set the bit and unit aside in the superblock copy at off, if there is
 * one: only those bytes change, and the checksum is made again only if
 * it held before.  *log_unit: the first unit found.
 */
static void set_aside_copy(int fd, off_t off, int *log_unit)
{
	struct ext2_super_block sb;
	int csum_held;

	if (pread(fd, &sb, sizeof(sb), off) != (ssize_t) sizeof(sb) ||
	    sb.s_magic != EXT2_SUPER_MAGIC)
		return;
	csum_held = sb_csum(&sb) == sb.s_checksum;
	if (*log_unit < 0 && ext2fs_atomic_has_feature(&sb))
		*log_unit = ext2fs_atomic_get_log_unit(&sb);
	ext2fs_atomic_clear_feature(&sb);
	ext2fs_atomic_set_log_unit(&sb, 0);
	if (ext2fs_has_feature_metadata_csum(&sb) && csum_held)
		sb.s_checksum = sb_csum(&sb);
	CU_ASSERT_EQUAL(pwrite(fd, &sb, sizeof(sb), off), sizeof(sb));
}

static int group_has_super(struct ext2_super_block *sb,
			   unsigned long long g)
{
	static const unsigned int base[] = { 3, 5, 7 };
	unsigned long long p;
	int i;

	if (g <= 1 || !ext2fs_has_feature_sparse_super(sb))
		return 1;
	for (i = 0; i < 3; i++) {
		for (p = base[i]; p < g; p *= base[i])
			;
		if (p == g)
			return 1;
	}
	return 0;
}

/*
 * For an image libext2fs cannot open (a torn primary superblock): set
 * the bit aside by hand in every copy of the superblock, so that stock
 * e2fsck meets the same torn primary and the same backups, the bit
 * and unit aside.  Returns the log unit, or -1 (not done).
 */
static int set_aside_raw(const char *path)
{
	struct ext2_super_block sb;
	unsigned long long bs, bpg, groups, g;
	int fd, log_unit = -1;

	fd = open(path, O_RDWR);
	if (fd < 0)
		return -1;
	if (pread(fd, &sb, sizeof(sb), SUPERBLOCK_OFFSET) !=
	    (ssize_t) sizeof(sb) || sb.s_magic != EXT2_SUPER_MAGIC ||
	    !sb.s_blocks_per_group || sb.s_log_block_size > 6) {
		close(fd);
		return -1;
	}
	bs = EXT2_MIN_BLOCK_SIZE << sb.s_log_block_size;
	bpg = sb.s_blocks_per_group;
	groups = (ext2fs_blocks_count(&sb) - sb.s_first_data_block +
		  bpg - 1) / bpg;
	set_aside_copy(fd, SUPERBLOCK_OFFSET, &log_unit);
	for (g = 1; g < groups; g++)
		if (group_has_super(&sb, g))
			set_aside_copy(fd, (sb.s_first_data_block + g * bpg) *
				       bs, &log_unit);
	close(fd);
	return log_unit;
}

/*
 * Stock e2fsck -fy on path with the feature bit cleared (then
 * restored).  When libext2fs cannot open the image (a torn primary
 * superblock), the bit is set aside by hand (set_aside_raw) and
 * *torn_sb set.  Returns stock's exit status, or -1 when the bit could
 * not be set aside: stock e2fsck was not run.
 */
static int stock_repair(const char *path, int *torn_sb)
{
	char *argv[] = { "e2fsck", "-fy", (char *) path, NULL };
	ext2_filsys fs;
	int log_unit, status;

	*torn_sb = 0;
	if (ext2fs_open(path, EXT2_FLAG_RW | EXT2_FLAG_64BITS, 0, 0,
			unix_io_manager, &fs)) {
		*torn_sb = 1;
		log_unit = set_aside_raw(path);
		if (log_unit < 0)
			return -1;
	} else {
		log_unit = ext2fs_atomic_get_log_unit(fs->super);
		ext2fs_atomic_clear_feature(fs->super);
		ext2fs_atomic_set_log_unit(fs->super, 0);
		ext2fs_mark_super_dirty(fs);
		CU_ASSERT_EQUAL(ext2fs_close_free(&fs), 0);
	}
	status = run_prog(RUN_STOCK, "e2fsck", argv);
	/* Left unreadable: the files' check that follows counts it. */
	if (ext2fs_open(path, EXT2_FLAG_RW | EXT2_FLAG_64BITS, 0, 0,
			unix_io_manager, &fs))
		return status;
	ext2fs_atomic_enable(fs, log_unit);
	CU_ASSERT_EQUAL(ext2fs_close_free(&fs), 0);
	return status;
}

/* A failing crash state, named so that it can be made again. */
static void note_failure(const struct crash_case *cc,
			 const struct sweep_result *r, const char *state,
			 const char *what)
{
	printf("# %s, %s, %s: %s\n", cc->sc->name, r->mode, state, what);
	fflush(stdout);
}

/*
 * Check the crash state in cc->work (see the header comment) and
 * count it in r; state names it for the messages.
 */
static void check_state(const struct crash_case *cc, struct sweep_result *r,
			const char *state)
{
	int bit, bit_ok = 1, status, stock, torn_sb;
	__u64 bad;

	r->tried++;
	if (!files_whole(cc, cc->work, &bit, NULL)) {
		r->lost++;
		note_failure(cc, r, state, "lost before any repair");
	}
	bit_ok &= bit;
	copy_image(cc->work, cc->copy);
	stock = stock_repair(cc->copy, &torn_sb);

	status = our_fsck(cc->work, "-fy");
	if (!files_whole(cc, cc->work, &bit, &bad)) {
		r->lost_own++;
		note_failure(cc, r, state, "lost after our e2fsck -fy");
	}
	bit_ok &= bit;
	if (bad) {
		r->rule_own++;
		note_failure(cc, r, state,
			     "windows broken after our e2fsck -fy");
	}
	if (status > 1 && torn_sb && stock > 1) {
		/*
		 * Our e2fsck is e2fsprogs' own: on a torn primary superblock
		 * without a backup it gives up like the unpatched one (see
		 * below), changing nothing.  Counted with stock's.
		 */
		note_failure(cc, r, state, "torn primary superblock: our "
			     "e2fsck -fy gave up too, as the unpatched one");
	} else if (status > 1) {
		r->unclean++;
		note_failure(cc, r, state, "our e2fsck -fy exit status > 1");
	} else if (our_fsck(cc->work, "-fn")) {
		r->unclean++;
		note_failure(cc, r, state,
			     "our e2fsck -fn after -fy not clean");
	}

	status = stock;
	r->torn_sb += torn_sb && status >= 0;
	if (status < 0) {
		r->stock_not_run++;
		note_failure(cc, r, state, "stock e2fsck not run (no "
			     "superblock to set the bit aside in)");
	} else if (torn_sb && status > 1) {
		/*
		 * libext2fs' own superblock write torn: stock e2fsck gives
		 * up (no backup to fall back to) and changes nothing.  Not
		 * a loss of data, not a success either: counted apart.
		 */
		r->torn_sb_failed++;
		note_failure(cc, r, state, "torn primary superblock: stock "
			     "e2fsck -fy gave up (exit status > 1)");
	} else {
		CU_ASSERT_TRUE(status <= 1);
		if (status > 1)
			note_failure(cc, r, state,
				     "stock e2fsck -fy exit status > 1");
		if (!files_whole(cc, cc->copy, &bit, NULL)) {
			r->lost_stock++;
			note_failure(cc, r, state,
				     "lost after stock e2fsck -fy");
		}
		bit_ok &= bit;
	}
	if (!bit_ok) {
		r->bit_lost++;
		note_failure(cc, r, state, "atomic_write bit lost");
	}
}

/* One table row, then the asserts on it. */
static void report(const struct crash_case *cc, const struct sweep_result *r)
{
	if (summary())
		printf("| %-46s | %-8s | %5ld | %5ld | %4d | %4d | %4d | %4d "
		       "| %4d | %3d/%d | %4d | %4d |\n", cc->sc->name,
		       r->mode, r->total, r->tried, r->lost, r->lost_own,
		       r->rule_own, r->unclean, r->lost_stock, r->torn_sb,
		       r->torn_sb_failed, r->bit_lost, r->stock_not_run);
	CU_ASSERT_EQUAL(r->lost, 0);
	CU_ASSERT_EQUAL(r->lost_own, 0);
	CU_ASSERT_EQUAL(r->rule_own, 0);
	CU_ASSERT_EQUAL(r->unclean, 0);
	CU_ASSERT_EQUAL(r->lost_stock, 0);
	CU_ASSERT_EQUAL(r->bit_lost, 0);
}

/*
 * Stop after every strideth N (torn: with write N + 1 cut after k
 * sectors, for every k inside a block).
 */
static void sweep_in_order(const struct crash_case *cc, long total, int torn)
{
	struct sweep_result r;
	long n, stride;
	char state[80];
	int k, last = torn ? (int) cc->sc->blocksize / 512 - 1 : 0;

	memset(&r, 0, sizeof(r));
	r.mode = torn ? "torn" : "stop";
	r.total = total;
	stride = torn ?
		 env_stride("E2ATOMIC_CRASH_TORN_STRIDE", TORN_STRIDE) :
		 env_stride("E2ATOMIC_CRASH_STRIDE", 1);
	for (k = torn; k <= last; k++) {
		crash_io_set_torn(k);
		for (n = 0; n <= total; n += stride) {
			copy_image(cc->base, cc->work);
			crash_io_set_budget(n);
			cc->sc->act(cc->work, cc->victim);
			snprintf(state, sizeof(state), "after write %ld, "
				 "torn after %d sectors", n, k);
			check_state(cc, &r, state);
		}
	}
	crash_io_set_torn(0);
	crash_io_set_budget(-1);
	report(cc, &r);
}

/* Run the operation on a fresh copy, crashing in epoch e: cc->post. */
static long run_epoch(const struct crash_case *cc, long e)
{
	long pieces;

	copy_image(cc->base, cc->post);
	unlink(cc->log);
	crash_io_set_epoch(e, cc->log);
	cc->sc->act(cc->post, cc->victim);
	crash_io_set_epoch(-1, NULL);
	pieces = crash_model_pieces(cc->log);
	CU_ASSERT_TRUE_FATAL(pieces >= 0);
	return pieces;
}

/* Make crash state sel of the epoch in cc->post into cc->work. */
static int make_state(const struct crash_case *cc, const char *sel)
{
	copy_image(cc->post, cc->work);
	return crash_model_apply(cc->work, cc->log, sel);
}

/* The selectors of an epoch of n pieces, in the order tried. */
struct selectors {
	char	(*s)[32];
	long	n, max;
};

static void add_selector(struct selectors *sl, const char *fmt, long a,
			 long b)
{
	void *tmp;

	if (sl->n == sl->max) {
		sl->max = sl->max ? 2 * sl->max : 64;
		tmp = realloc(sl->s, sl->max * sizeof(*sl->s));
		CU_ASSERT_PTR_NOT_NULL_FATAL(tmp);
		sl->s = tmp;
	}
	snprintf(sl->s[sl->n++], sizeof(*sl->s), fmt, a, b);
}

/*
 * all, none, every piece dropped in turn, every piece torn (after one
 * sector k rotating with the piece, or after each with TEAR_ALL), and
 * the random states; only all when the epoch wrote nothing.
 */
static void epoch_selectors(const char *log, long n, struct selectors *sl)
{
	int tear_all = getenv("E2ATOMIC_CRASH_TEAR_ALL") != NULL;
	long i, k, sectors, rnd = env_long("E2ATOMIC_CRASH_RANDOM", 16);

	sl->n = 0;
	add_selector(sl, "all", 0, 0);
	if (!n)
		return;		/* an empty epoch has one state */
	add_selector(sl, "none", 0, 0);
	for (i = 0; i < n; i++)
		add_selector(sl, "drop:%ld", i, 0);
	for (i = 0; i < n; i++) {
		sectors = crash_model_piece_sectors(log, i);
		if (sectors < 2)
			continue;
		if (!tear_all) {
			add_selector(sl, "tear:%ld:%ld", i,
				     1 + i % (sectors - 1));
			continue;
		}
		for (k = 1; k < sectors; k++)
			add_selector(sl, "tear:%ld:%ld", i, k);
	}
	for (i = 1; i <= rnd; i++)
		add_selector(sl, "rand:%ld", i, 0);
}

/*
 * For every epoch 0 .. flushes: every strideth crash state of the
 * scenario (counted across its epochs, so that a stride does not
 * always land on the same kind of state).
 */
static void sweep_reorder(const struct crash_case *cc, long flushes)
{
	long stride = env_stride("E2ATOMIC_CRASH_STATE_STRIDE",
				 REORDER_STRIDE);
	struct selectors sl = { NULL, 0, 0 };
	struct sweep_result r;
	long e, j, pieces, seen = 0;
	char state[80];

	memset(&r, 0, sizeof(r));
	r.mode = "reorder";
	r.total = flushes + 1;
	for (e = 0; e <= flushes; e++) {
		pieces = run_epoch(cc, e);
		epoch_selectors(cc->log, pieces, &sl);
		for (j = 0; j < sl.n; j++, seen++) {
			if (seen % stride)
				continue;
			snprintf(state, sizeof(state), "epoch %ld, %s", e,
				 sl.s[j]);
			CU_ASSERT_EQUAL_FATAL(make_state(cc, sl.s[j]), 0);
			check_state(cc, &r, state);
		}
	}
	free(sl.s);
	report(cc, &r);
}

/* Every mode on one scenario. */
static void crash_sweep(const struct scenario *sc)
{
	struct crash_case cc;
	long total, flushes;

	case_open(&cc, sc);
	copy_image(cc.base, cc.work);
	crash_io_set_budget(-1);
	sc->act(cc.work, cc.victim);
	total = crash_io_writes();
	flushes = crash_io_flushes();
	CU_ASSERT_TRUE_FATAL(total > 5);
	sweep_in_order(&cc, total, 0);
	sweep_in_order(&cc, total, 1);
	sweep_reorder(&cc, flushes);
	case_close(&cc);
}

/* Is byte off of the image in [start, start + len)? */
static int covers(unsigned long long start, unsigned int len,
		  unsigned long long off)
{
	return off >= start && off < start + len;
}

/* Where the victim's inode lies in the image, in bytes. */
static unsigned long long inode_offset(ext2_filsys fs, ext2_ino_t ino)
{
	dgrp_t group = (ino - 1) / fs->super->s_inodes_per_group;
	unsigned long long index = (ino - 1) % fs->super->s_inodes_per_group;

	return ext2fs_inode_table_loc(fs, group) * fs->blocksize +
	       index * EXT2_INODE_SIZE(fs->super);
}

/* The blocks below the root of ino's extent tree on image path. */
struct tree_blocks {
	blk64_t			blk[256];
	int			n;
	unsigned long long	inode_off;
	unsigned int		blocksize;
};

static void read_tree(const char *path, ext2_ino_t ino, struct tree_blocks *tb)
{
	ext2_extent_handle_t h;
	struct ext2fs_extent e;
	ext2_filsys fs;
	errcode_t err;

	tb->n = 0;
	CU_ASSERT_EQUAL_FATAL(ext2fs_open(path, EXT2_FLAG_64BITS |
					  EXT2_FLAG_IGNORE_CSUM_ERRORS, 0, 0,
					  unix_io_manager, &fs), 0);
	tb->inode_off = inode_offset(fs, ino);
	tb->blocksize = fs->blocksize;
	CU_ASSERT_EQUAL_FATAL(ext2fs_extent_open(fs, ino, &h), 0);
	for (err = ext2fs_extent_get(h, EXT2_EXTENT_ROOT, &e); !err;
	     err = ext2fs_extent_get(h, EXT2_EXTENT_NEXT, &e))
		if (!(e.e_flags & EXT2_EXTENT_FLAGS_LEAF) &&
		    !(e.e_flags & EXT2_EXTENT_FLAGS_SECOND_VISIT) &&
		    tb->n < 256)
			tb->blk[tb->n++] = e.e_pblk;
	ext2fs_extent_free(h);
	ext2fs_free(fs);
}

static int is_tree_block(const struct tree_blocks *tb, unsigned long long off)
{
	int i;

	for (i = 0; i < tb->n; i++)
		if (covers(tb->blk[i] * tb->blocksize, tb->blocksize, off))
			return 1;
	return 0;
}

/*
 * The crash the reorder model was brought in for: an epoch that writes
 * the victim's inode (the switch) and also a block of the tree that
 * inode points to; the disk keeps the inode and drops that block.
 * Every such state of every epoch is made and checked.  A library
 * that flushes the new tree before the switch has no such state (the
 * epochs that write the inode are still counted, so that a log that
 * does not show them fails the test).
 */
static void leaf_dropped_inode_kept(const struct scenario *sc)
{
	struct sweep_result r;
	struct crash_case cc;
	struct tree_blocks tb;
	unsigned long long off;
	unsigned int len;
	long flushes, e, i, pieces, inode_piece, switches = 0;
	char state[160], sel[40];

	case_open(&cc, sc);
	memset(&r, 0, sizeof(r));
	r.mode = "leafdrop";
	copy_image(cc.base, cc.work);
	crash_io_set_budget(-1);
	sc->act(cc.work, cc.victim);
	flushes = crash_io_flushes();
	r.total = flushes + 1;
	for (e = 0; e <= flushes; e++) {
		pieces = run_epoch(&cc, e);
		read_tree(cc.post, cc.victim, &tb);
		inode_piece = -1;
		for (i = 0; i < pieces && !crash_io_piece(i, &off, &len); i++)
			if (covers(off, len, tb.inode_off))
				inode_piece = i;
		switches += inode_piece >= 0;
		for (i = 0; inode_piece >= 0 && i < pieces; i++) {
			if (crash_io_piece(i, &off, &len) ||
			    !is_tree_block(&tb, off))
				continue;
			snprintf(sel, sizeof(sel), "drop:%ld", i);
			snprintf(state, sizeof(state), "epoch %ld, %s (tree "
				 "block %llu; inode: piece %ld)", e, sel,
				 off / tb.blocksize, inode_piece);
			CU_ASSERT_EQUAL_FATAL(make_state(&cc, sel), 0);
			check_state(&cc, &r, state);
		}
	}
	/* The log does show the switches (else the test proves nothing). */
	CU_ASSERT_TRUE(switches > 0);
	report(&cc, &r);
	case_close(&cc);
}

static const struct scenario scenarios[] = {
	{ "relocation, 4k blocks", 4096, 8192, 65536,
	  setup_shapes, relocate },
	{ "relocation, 1k blocks", 1024, 8192, 16384,
	  setup_shapes, relocate },
	{ "relocation, hole in a full leaf, 4k blocks", 4096, 32768, 65536,
	  setup_full_leaf, relocate },
	{ "relocation, hole in a full leaf, 1k blocks", 1024, 32768, 16384,
	  setup_full_leaf, relocate },
	{ "relocation, entries shift in a leaf, 4k blocks", 4096, 32768,
	  65536, setup_shift_leaf, relocate },
	{ "relocation, entries shift in a leaf, 1k blocks", 1024, 32768,
	  16384, setup_shift_leaf, relocate },
	{ "deep-tree repair, 4k blocks", 4096, 32768, 65536,
	  setup_deep, relocate },
	{ "deep-tree repair, 1k blocks", 1024, 32768, 16384,
	  setup_deep, relocate },
};

static void test_crash_4k(void)
{
	crash_sweep(&scenarios[0]);
}

static void test_crash_1k(void)
{
	crash_sweep(&scenarios[1]);
}

static void test_crash_full_leaf_4k(void)
{
	crash_sweep(&scenarios[2]);
}

static void test_crash_full_leaf_1k(void)
{
	crash_sweep(&scenarios[3]);
}

static void test_crash_shift_leaf_4k(void)
{
	crash_sweep(&scenarios[4]);
}

static void test_crash_shift_leaf_1k(void)
{
	crash_sweep(&scenarios[5]);
}

static void test_crash_deep_4k(void)
{
	crash_sweep(&scenarios[6]);
}

static void test_crash_deep_1k(void)
{
	crash_sweep(&scenarios[7]);
}

static void test_leaf_dropped_4k(void)
{
	leaf_dropped_inode_kept(&scenarios[6]);
}

static void test_leaf_dropped_1k(void)
{
	leaf_dropped_inode_kept(&scenarios[7]);
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
		{ "every write of a deep-tree repair, 4k blocks",
		  test_crash_deep_4k },
		{ "every write of a deep-tree repair, 1k blocks",
		  test_crash_deep_1k },
		{ "reorder: deep-tree repair, leaf dropped, inode kept, "
		  "4k blocks", test_leaf_dropped_4k },
		{ "reorder: deep-tree repair, leaf dropped, inode kept, "
		  "1k blocks", test_leaf_dropped_1k });
}
