// SPDX-License-Identifier: GPL-2.0
/*
 * atomic_bench.c --- benchmarks of the atomic library's rule checker
 * and aligned allocator.
 *
 * "checker" times the checker's state machine on about a million
 * synthetic extents, then ext2fs_atomic_check_inode() over real extent
 * trees built on a sparse image.  "alloc" times ext2fs_atomic_alloc_run()
 * for three unit sizes on a large sparse image whose free space was
 * fragmented in memory.  Every result is checked against a simple
 * reference (the windows that must be reported, the aligned runs that
 * are really free), so a fast wrong answer is never shown as a result.
 */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"

static const char *program = "atomic_bench";

/* Quick to make: no journal, inode tables left unwritten, no discard. */
#define BENCH_MKFS_OPTS	"-O ^has_journal -E lazy_itable_init=1,nodiscard"
#define BENCH_BLOCKSIZE	4096

#define CHECK_LOG_UNIT	4	/* checker: 16 blocks, 64 KiB */
#define CHECK_FILES	100	/* atomic files on the checker image */
#define CHECK_REPEAT	3	/* state machine runs, best one kept */
#define AGE_TARGET	0.78	/* share of blocks in use after aging */
#define AGE_MAX_LEN	512	/* longest aged "file", in blocks */

static const unsigned int alloc_log_units[] = { 0, 4, 8 };
#define NR_ALLOC_UNITS	(sizeof(alloc_log_units) / sizeof(unsigned int))

struct options {
	const char		*dir;
	unsigned long long	extents;	/* -n */
	unsigned long long	size_gib;	/* -s */
	unsigned long long	runs;		/* -N */
	unsigned long long	seed;		/* -S */
	int			keep;		/* -k */
	int			fsck;		/* -F */
};

/*
 * splitmix64: small, fast, and the same sequence on every machine, so
 * a run with the same seed builds the same images.
 */
static __u64 rng_state;

static void rng_seed(__u64 seed)
{
	rng_state = seed;
}

static __u64 rng_next(void)
{
	__u64 z = (rng_state += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

/* Uniform in [0, n) for n > 0; the modulo bias is far below noise. */
static __u64 rng_below(__u64 n)
{
	return rng_next() % n;
}

/* Uniform in [0, 1). */
static double rng_unit(void)
{
	return (rng_next() >> 11) * (1.0 / 9007199254740992.0);
}

/*
 * A heavy-tailed length in [1, max]: P(len >= k) = 1/k, a Pareto tail
 * of exponent 1.  Most lengths are a few blocks, a few are hundreds.
 */
static blk64_t rng_heavy(blk64_t max)
{
	double len = 1.0 / (1.0 - rng_unit());

	return len >= (double) max ? max : (blk64_t) len;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Bytes really allocated to a (sparse) file. */
static unsigned long long disk_usage(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return 0;
	return (unsigned long long) st.st_blocks * 512;
}

/*
 * Write the image's dirty pages and drop it from the page cache, so the
 * next pass reads the extent blocks from the disk again.
 */
static void drop_page_cache(const char *path)
{
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return;
	if (fsync(fd) == 0)
		posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	close(fd);
}

/*
 * Extent lists
 */
struct bench_extent {
	blk64_t		lblk;
	blk64_t		pblk;
	__u32		len;
	int		uninit;
};

struct extent_list {
	struct bench_extent	*e;
	size_t			nr;
	size_t			max;
};

static errcode_t list_add(struct extent_list *l, blk64_t lblk, blk64_t pblk,
			  __u32 len, int uninit)
{
	struct bench_extent *e;
	errcode_t retval;

	if (l->nr == l->max) {
		size_t max = l->max ? 2 * l->max : 1024;

		retval = ext2fs_resize_mem(l->max * sizeof(*l->e),
					   max * sizeof(*l->e), &l->e);
		if (retval)
			return retval;
		l->max = max;
	}
	e = &l->e[l->nr++];
	e->lblk = lblk;
	e->pblk = pblk;
	e->len = len;
	e->uninit = uninit;
	return 0;
}

/* Blocks mapped by the list. */
static unsigned long long list_blocks(const struct extent_list *l)
{
	unsigned long long n = 0;
	size_t i;

	for (i = 0; i < l->nr; i++)
		n += l->e[i].len;
	return n;
}

static void list_free(struct extent_list *l)
{
	ext2fs_free_mem(&l->e);
	l->nr = l->max = 0;
}

/*
 * The reference for the checker, written independently of
 * atomic_check.c: a window breaks the rule iff it holds a mapped block
 * and is not wholly covered by pieces that all have the same physical
 * minus logical offset, a multiple of U.  Extents must be sorted and
 * must not overlap, and nothing may be written past EOF.  Returns the
 * bad windows; *mapped gets the windows that hold a mapped block.
 */
static __u64 reference_bad(const struct extent_list *l, blk64_t u,
			   __u64 *mapped)
{
	__u64 bad = 0, nr = 0, cur = 0, covered = 0, w, last;
	blk64_t delta = 0, lo, hi, end;
	int open = 0, ok = 0;
	size_t i;

	for (i = 0; i < l->nr; i++) {
		const struct bench_extent *e = &l->e[i];

		end = e->lblk + e->len;
		last = (end - 1) / u;
		for (w = e->lblk / u; w <= last; w++) {
			if (!open || w != cur) {
				if (open)
					bad += !(ok && covered == u);
				nr++;
				open = 1;
				cur = w;
				covered = 0;
				ok = 1;
				delta = e->pblk - e->lblk;
			}
			lo = e->lblk > w * u ? e->lblk : w * u;
			hi = end < (w + 1) * u ? end : (w + 1) * u;
			covered += hi - lo;
			if (e->pblk - e->lblk != delta || delta % u)
				ok = 0;
		}
	}
	if (open)
		bad += !(ok && covered == u);
	*mapped = nr;
	return bad;
}

/*
 * Synthetic extents for the state machine
 */

/* Split [0, span) into 1 to max_pieces pieces: cuts[0..n], returns n. */
static unsigned int partition(blk64_t span, unsigned int max_pieces,
			      blk64_t *cuts)
{
	unsigned int n = 1 + rng_below(max_pieces), i, j, k;
	blk64_t c;

	if (n > span)
		n = span;
	cuts[0] = 0;
	for (i = 1; i < n; i++) {
		c = 1 + rng_below(span - 1);
		for (j = i; j > 1 && cuts[j - 1] > c; j--)
			cuts[j] = cuts[j - 1];
		cuts[j] = c;
	}
	/* drop duplicate cuts */
	for (i = k = 1; i < n; i++)
		if (cuts[i] != cuts[k - 1])
			cuts[k++] = cuts[i];
	cuts[k] = span;
	return k;
}

/* Kinds of window groups for the state machine, and their shares in %. */
enum group_kind {
	G_VALID,	/* 1-3 windows, 1-6 aligned contiguous pieces */
	G_LONG,		/* one aligned extent over 2-8 whole windows */
	G_MISALIGNED,	/* like G_VALID, physically off by 1..U-1 */
	G_HOLE,		/* like G_VALID, one piece left unmapped */
	G_DISCONTIG,	/* like G_VALID, later pieces moved by k*U */
	G_LONG_MISAL,	/* like G_LONG, physically off by 1..U-1 */
	G_NR
};
static const unsigned int group_share[G_NR] = { 30, 5, 20, 20, 17, 8 };

/*
 * One group of windows of a random kind; about half of all windows come
 * out valid.  Sometimes whole unmapped windows follow (those do not
 * break the rule).
 */
static errcode_t gen_group(struct extent_list *l, blk64_t u, blk64_t *lblk,
			   blk64_t *pblk)
{
	blk64_t cuts[8], span, shift = 0, jump = 0, off, pb;
	unsigned int n, i, r = rng_below(100), kind = 0;
	unsigned int drop = ~0U, jump_at = ~0U;
	errcode_t retval;

	while (kind < G_NR - 1 && r >= group_share[kind])
		r -= group_share[kind++];
	if (kind == G_LONG || kind == G_LONG_MISAL) {
		span = (2 + rng_below(7)) * u;
		cuts[0] = 0;
		cuts[1] = span;
		n = 1;
	} else {
		span = (1 + rng_below(3)) * u;
		n = partition(span, 6, cuts);
	}
	if (u < 2)		/* one-block windows cannot break the rule */
		kind = G_VALID;
	if ((kind == G_HOLE || kind == G_DISCONTIG) && n < 2) {
		cuts[1] = 1 + rng_below(span - 1);
		cuts[2] = span;
		n = 2;
	}
	if (kind == G_MISALIGNED || kind == G_LONG_MISAL)
		shift = 1 + rng_below(u - 1);
	if (kind == G_HOLE)
		drop = rng_below(n);
	if (kind == G_DISCONTIG) {
		jump_at = 1 + rng_below(n - 1);
		jump = u * (1 + rng_below(4));
	}

	for (i = 0; i < n; i++) {
		if (i == drop)
			continue;
		off = cuts[i];
		pb = *pblk + shift + off + (i >= jump_at ? jump : 0);
		retval = list_add(l, *lblk + off, pb, cuts[i + 1] - off,
				  rng_below(2));
		if (retval)
			return retval;
	}
	*lblk += span;
	if (!rng_below(10))
		*lblk += u * (1 + rng_below(4));
	*pblk += span + 6 * u;
	return 0;
}

struct count_reports {
	__u64	reports;
	__u64	windows;
};

static int count_violation(ext2_ino_t ino EXT2FS_ATTR((unused)),
			   const struct ext2fs_atomic_violation *v, void *priv)
{
	struct count_reports *c = priv;

	c->reports++;
	c->windows += v->nr_windows;
	return 0;
}

struct check_row {
	const char	*what;
	__u64		extents;
	double		secs;
};

static void print_check_table(const struct check_row *rows, int nr)
{
	int i;

	printf("\n%-52s %10s %9s %10s\n", "what", "extents", "seconds",
	       "ns/extent");
	for (i = 0; i < nr; i++)
		printf("%-52s %10llu %9.3f %10.1f\n", rows[i].what,
		       (unsigned long long) rows[i].extents, rows[i].secs,
		       rows[i].extents ? rows[i].secs * 1e9 / rows[i].extents :
		       0.0);
}

/*
 * (i) the state machine alone, fed from memory: best of CHECK_REPEAT
 * runs without a callback and with a counting one.
 */
static int bench_state_machine(const struct options *o, struct check_row *rows,
			       int *nr_rows)
{
	struct extent_list l = { NULL, 0, 0 };
	struct ext2fs_atomic_checker c;
	struct count_reports cnt;
	blk64_t u = 1ULL << CHECK_LOG_UNIT, lblk = 0, pblk = 0;
	__u64 expected, mapped, i_size;
	double t, best[2] = { 1e30, 1e30 };
	errcode_t retval = 0;
	int rep, cb, ret = 1;
	size_t i;

	while (l.nr < o->extents && !retval)
		retval = gen_group(&l, u, &lblk, &pblk);
	if (retval) {
		com_err(program, retval, "while generating synthetic extents");
		goto out;
	}
	expected = reference_bad(&l, u, &mapped);
	i_size = (__u64) lblk * BENCH_BLOCKSIZE;
	printf("synthetic: %zu extents over %llu mapped windows of %llu "
	       "blocks, %.1f%% valid, %llu bad expected\n", l.nr,
	       (unsigned long long) mapped, (unsigned long long) u,
	       100.0 * (mapped - expected) / mapped,
	       (unsigned long long) expected);

	for (rep = 0; rep < CHECK_REPEAT; rep++) {
		for (cb = 0; cb < 2; cb++) {
			memset(&cnt, 0, sizeof(cnt));
			t = now();
			ext2fs_atomic_checker_init(&c, u, i_size,
					BENCH_BLOCKSIZE,
					cb ? count_violation : NULL, &cnt);
			for (i = 0; i < l.nr; i++)
				ext2fs_atomic_checker_add(&c, l.e[i].lblk,
					l.e[i].pblk, l.e[i].len,
					l.e[i].uninit);
			ext2fs_atomic_checker_finish(&c);
			t = now() - t;
			if (t < best[cb])
				best[cb] = t;
			if (c.nr_bad != expected ||
			    (cb && cnt.windows != expected)) {
				fprintf(stderr, "%s: state machine found %llu "
					"bad windows (%llu reported), "
					"expected %llu\n", program,
					(unsigned long long) c.nr_bad,
					(unsigned long long) cnt.windows,
					(unsigned long long) expected);
				goto out;
			}
		}
	}
	rows[*nr_rows].what = "state machine, no callback (best of 3)";
	rows[*nr_rows].extents = l.nr;
	rows[(*nr_rows)++].secs = best[0];
	rows[*nr_rows].what = "state machine, counting callback (best of 3)";
	rows[*nr_rows].extents = l.nr;
	rows[(*nr_rows)++].secs = best[1];
	ret = 0;
out:
	list_free(&l);
	return ret;
}

/* An atomic file of the checker image and its map. */
struct check_file {
	ext2_ino_t		ino;
	struct extent_list	l;
	blk64_t			span;	/* in blocks */
};

/*
 * One atomic file's map, relative to an aligned physical base: window
 * by window, either written and unwritten extents of 1 or 2 blocks in
 * turn (valid), or every other block mapped, half of those windows one
 * block off alignment (bad: hole, or hole and misaligned).  The
 * written/unwritten state flips at every extent, so no two neighbours
 * could ever merge.  Returns the span in blocks in *span.
 */
static errcode_t gen_file(struct extent_list *l, blk64_t u, size_t target,
			  blk64_t *span)
{
	blk64_t ws = 0, off, len, shift;
	int flag = 0;
	errcode_t retval = 0;

	l->nr = 0;
	while (l->nr < target && !retval) {
		if (rng_below(2)) {
			for (off = 0; off < u && !retval; off += len) {
				len = 1 + rng_below(2);
				if (off + len > u)
					len = u - off;
				retval = list_add(l, ws + off, ws + off, len,
						  flag);
				flag ^= 1;
			}
		} else {
			shift = u > 1 ? rng_below(2) : 0;
			for (off = 0; off < u && !retval; off += 2) {
				retval = list_add(l, ws + off, ws + off + shift,
						  1, flag);
				flag ^= 1;
			}
		}
		ws += u;
	}
	*span = ws;
	return retval;
}

/*
 * Create an atomic file and give it the extents of l: take an aligned
 * run for the whole span, insert the extents one after the other at the
 * end of the tree, then give back the blocks of the run that no extent
 * maps.
 */
static errcode_t build_file(ext2_filsys fs, ext2fs_atomic_alloc_t ac,
			    const char *name, const struct extent_list *l,
			    blk64_t span, blk64_t *goal, ext2_ino_t *ino)
{
	struct ext2_inode_large inode;
	struct ext2_inode *ip = (struct ext2_inode *) &inode;
	ext2_extent_handle_t h = NULL;
	struct ext2fs_extent ext, cur;
	blk64_t base, p, pb, mapped = 0;
	errcode_t retval;
	size_t i;

	retval = fsutil_create_file(fs, name, 1, ino);
	if (retval)
		return retval;
	retval = ext2fs_atomic_alloc_run(ac, *goal, 0, span, &base);
	if (retval)
		return retval;
	*goal = base + span;
	memset(&inode, 0, sizeof(inode));
	retval = ext2fs_read_inode_full(fs, *ino, ip, sizeof(inode));
	if (retval)
		return retval;
	retval = ext2fs_extent_open2(fs, *ino, ip, &h);
	if (retval)
		return retval;
	for (i = 0; i < l->nr; i++) {
		ext.e_lblk = l->e[i].lblk;
		ext.e_pblk = base + l->e[i].pblk;
		ext.e_len = l->e[i].len;
		ext.e_flags = l->e[i].uninit ? EXT2_EXTENT_FLAGS_UNINIT : 0;
		retval = ext2fs_extent_insert(h, i ? EXT2_EXTENT_INSERT_AFTER :
					      0, &ext);
		if (retval)
			goto out;
		mapped += ext.e_len;
		/* A node split may leave the handle elsewhere. */
		retval = ext2fs_extent_get(h, EXT2_EXTENT_CURRENT, &cur);
		if (!retval && cur.e_lblk != ext.e_lblk)
			retval = ext2fs_extent_goto(h, ext.e_lblk);
		if (retval)
			goto out;
	}
	ext2fs_extent_free(h);
	h = NULL;

	for (p = base, i = 0; i < l->nr; i++) {
		pb = base + l->e[i].pblk;
		if (pb > p)
			ext2fs_block_alloc_stats_range(fs, p, pb - p, -1);
		p = pb + l->e[i].len;
	}
	if (base + span > p)
		ext2fs_block_alloc_stats_range(fs, p, base + span - p, -1);

	retval = ext2fs_iblk_add_blocks(fs, ip, mapped);
	if (!retval)
		retval = ext2fs_inode_size_set(fs, ip,
					       (__u64) span * fs->blocksize);
	if (!retval)
		retval = ext2fs_write_inode_full(fs, *ino, ip, sizeof(inode));
out:
	if (h)
		ext2fs_extent_free(h);
	return retval;
}

/*
 * Build the checker image.  The files' maps stay in files[], the
 * expected bad windows go to *expected.
 */
static int build_check_image(const struct options *o, const char *path,
			     struct check_file *files, __u64 *nr_extents,
			     __u64 *expected)
{
	ext2_filsys fs = NULL;
	ext2fs_atomic_alloc_t ac = NULL;
	blk64_t u = 1ULL << CHECK_LOG_UNIT, goal = 0, blocks;
	size_t per_file = o->extents / CHECK_FILES;
	unsigned long long i_blocks = 0, data_blocks = 0;
	__u64 mapped;
	double t0, t1;
	char name[32];
	errcode_t retval;
	int i;

	/* About 1.7 blocks per extent are spanned; leave room to spare. */
	blocks = 4 * o->extents;
	if (blocks < 131072)
		blocks = 131072;
	blocks = (blocks + 32767) / 32768 * 32768;

	fflush(stdout);
	t0 = now();
	if (fsutil_mkfs(path, BENCH_BLOCKSIZE, blocks, BENCH_MKFS_OPTS)) {
		fprintf(stderr, "%s: stock mke2fs failed on %s\n", program,
			path);
		return 1;
	}
	t1 = now();
	retval = fsutil_open(path, 1, &fs);
	if (retval) {
		com_err(program, retval, "while opening %s", path);
		return 1;
	}
	retval = ext2fs_atomic_enable(fs, CHECK_LOG_UNIT);
	if (retval) {
		com_err(program, retval, "while enabling atomic_write on %s",
			path);
		goto fail;
	}
	retval = ext2fs_atomic_alloc_open(fs, &ac);
	if (retval) {
		com_err(program, retval, "while opening the allocator");
		goto fail;
	}
	*nr_extents = *expected = 0;
	for (i = 0; i < CHECK_FILES; i++) {
		struct extent_list *l = &files[i].l;

		snprintf(name, sizeof(name), "atomic-%03d", i);
		retval = gen_file(l, u, per_file, &files[i].span);
		if (retval) {
			com_err(program, retval, "while generating %s", name);
			goto fail;
		}
		retval = build_file(fs, ac, name, l, files[i].span, &goal,
				    &files[i].ino);
		if (retval) {
			com_err(program, retval, "while building %s", name);
			goto fail;
		}
		*nr_extents += l->nr;
		*expected += reference_bad(l, u, &mapped);
		data_blocks += list_blocks(l);
	}
	ext2fs_atomic_alloc_close(ac);
	ac = NULL;
	for (i = 0; i < CHECK_FILES; i++) {
		struct ext2_inode inode;

		retval = ext2fs_read_inode(fs, files[i].ino, &inode);
		if (retval) {
			com_err(program, retval, "while reading inode %u",
				files[i].ino);
			goto fail;
		}
		i_blocks += ext2fs_get_stat_i_blocks(fs, &inode) /
			    (fs->blocksize / 512);
	}
	retval = ext2fs_close_free(&fs);
	if (retval) {
		com_err(program, retval, "while closing %s", path);
		goto fail;
	}
	printf("image: %llu MiB sparse (%llu blocks), %d atomic files, "
	       "%llu extents, unit %llu blocks\n",
	       (unsigned long long) blocks * BENCH_BLOCKSIZE >> 20,
	       (unsigned long long) blocks, CHECK_FILES,
	       (unsigned long long) *nr_extents, (unsigned long long) u);
	printf("image: mkfs %.2f s, extent trees built in %.2f s "
	       "(%llu tree blocks), %llu MiB really written, "
	       "%llu bad windows expected\n", t1 - t0, now() - t1,
	       i_blocks - data_blocks, disk_usage(path) >> 20,
	       (unsigned long long) *expected);
	return 0;
fail:
	ext2fs_atomic_alloc_close(ac);
	if (fs)
		ext2fs_free(fs);
	return 1;
}

/*
 * The state machine alone over the image files' maps, from memory: with
 * check_inode's time, it tells what walking the extent trees costs.
 */
static int image_state_machine(const struct check_file *files,
			       __u64 expected, double *best)
{
	struct ext2fs_atomic_checker c;
	struct count_reports cnt;
	blk64_t u = 1ULL << CHECK_LOG_UNIT;
	const struct extent_list *l;
	__u64 bad;
	double t;
	int rep, f;
	size_t i;

	*best = 1e30;
	for (rep = 0; rep < CHECK_REPEAT; rep++) {
		memset(&cnt, 0, sizeof(cnt));
		bad = 0;
		t = now();
		for (f = 0; f < CHECK_FILES; f++) {
			l = &files[f].l;
			ext2fs_atomic_checker_init(&c, u,
					(__u64) files[f].span * BENCH_BLOCKSIZE,
					BENCH_BLOCKSIZE, count_violation, &cnt);
			for (i = 0; i < l->nr; i++)
				ext2fs_atomic_checker_add(&c, l->e[i].lblk,
					l->e[i].pblk, l->e[i].len,
					l->e[i].uninit);
			ext2fs_atomic_checker_finish(&c);
			bad += c.nr_bad;
		}
		t = now() - t;
		if (t < *best)
			*best = t;
		if (bad != expected || cnt.windows != expected) {
			fprintf(stderr, "%s: state machine found %llu bad "
				"windows in the image files (%llu reported), "
				"expected %llu\n", program,
				(unsigned long long) bad,
				(unsigned long long) cnt.windows,
				(unsigned long long) expected);
			return 1;
		}
	}
	return 0;
}

/* One pass of ext2fs_atomic_check_inode() over the files. */
static int check_pass(ext2_filsys fs, const struct check_file *files,
		      __u64 expected, double *secs)
{
	struct count_reports cnt = { 0, 0 };
	__u64 bad, total = 0;
	errcode_t retval;
	double t = now();
	int i;

	for (i = 0; i < CHECK_FILES; i++) {
		retval = ext2fs_atomic_check_inode(fs, files[i].ino, NULL,
						   count_violation, &cnt, &bad);
		if (retval) {
			com_err(program, retval, "while checking inode %u",
				files[i].ino);
			return 1;
		}
		total += bad;
	}
	*secs = now() - t;
	if (total != expected || cnt.windows != expected) {
		fprintf(stderr, "%s: check_inode found %llu bad windows "
			"(%llu reported), expected %llu\n", program,
			(unsigned long long) total,
			(unsigned long long) cnt.windows,
			(unsigned long long) expected);
		return 1;
	}
	return 0;
}

struct scan_state {
	struct count_reports	cnt;
	__u64			files;
	__u64			bad;
	ext2_ino_t		err_ino;
	errcode_t		err;
};

static int scan_one(ext2_filsys fs, ext2_ino_t ino, struct ext2_inode *inode,
		    void *priv)
{
	struct scan_state *s = priv;
	__u64 bad;

	s->err = ext2fs_atomic_check_inode(fs, ino, inode, count_violation,
					   &s->cnt, &bad);
	if (s->err) {
		s->err_ino = ino;
		return 1;
	}
	s->files++;
	s->bad += bad;
	return 0;
}

static int bench_checker(const struct options *o)
{
	struct check_row rows[8];
	struct scan_state ss;
	struct check_file files[CHECK_FILES];
	ext2_filsys fs = NULL;
	__u64 nr_extents, expected;
	char path[4096], copy[4200];
	errcode_t retval;
	double secs;
	int nr_rows = 0, ret = 1, st, i;

	memset(files, 0, sizeof(files));
	printf("== checker (seed %llu)\n", o->seed);
	if (bench_state_machine(o, rows, &nr_rows))
		return 1;

	snprintf(path, sizeof(path), "%s/atomic-bench-checker.img", o->dir);
	if (build_check_image(o, path, files, &nr_extents, &expected))
		goto out;
	if (o->fsck) {
		snprintf(copy, sizeof(copy), "%s.stock-copy", path);
		fflush(stdout);
		st = fsutil_stock_fsck_clean(path, copy);
		printf("image: stock e2fsck -fn on a copy without the feature "
		       "bit: exit %d%s\n", st, st ? "" : " (clean)");
		if (st)
			goto out;
	}

	if (image_state_machine(files, expected, &secs))
		goto out;
	rows[nr_rows].what = "state machine, image files' maps (best of 3)";
	rows[nr_rows].extents = nr_extents;
	rows[nr_rows++].secs = secs;

	drop_page_cache(path);
	retval = fsutil_open(path, 0, &fs);
	if (retval) {
		com_err(program, retval, "while opening %s", path);
		goto out;
	}
	if (check_pass(fs, files, expected, &secs))
		goto out;
	rows[nr_rows].what = "check_inode, 100 files, 1st pass (cache dropped)";
	rows[nr_rows].extents = nr_extents;
	rows[nr_rows++].secs = secs;
	if (check_pass(fs, files, expected, &secs))
		goto out;
	rows[nr_rows].what = "check_inode, 100 files, 2nd pass";
	rows[nr_rows].extents = nr_extents;
	rows[nr_rows++].secs = secs;

	memset(&ss, 0, sizeof(ss));
	secs = now();
	retval = ext2fs_atomic_scan_inodes(fs, scan_one, &ss);
	secs = now() - secs;
	if (ss.err) {
		com_err(program, ss.err, "while checking inode %u", ss.err_ino);
		goto out;
	}
	if (retval) {
		com_err(program, retval, "while scanning the inodes of %s",
			path);
		goto out;
	}
	if (ss.files != CHECK_FILES || ss.bad != expected ||
	    ss.cnt.windows != expected) {
		fprintf(stderr, "%s: scan found %llu atomic files and %llu "
			"bad windows, expected %d and %llu\n", program,
			(unsigned long long) ss.files,
			(unsigned long long) ss.bad, CHECK_FILES,
			(unsigned long long) expected);
		goto out;
	}
	rows[nr_rows].what = "scan_inodes + check_inode, whole fs";
	rows[nr_rows].extents = nr_extents;
	rows[nr_rows++].secs = secs;

	retval = ext2fs_close_free(&fs);
	if (retval) {
		com_err(program, retval, "while closing %s", path);
		goto out;
	}
	print_check_table(rows, nr_rows);
	ret = 0;
out:
	if (fs)
		ext2fs_free(fs);
	for (i = 0; i < CHECK_FILES; i++)
		list_free(&files[i].l);
	if (!o->keep)
		unlink(path);
	return ret;
}

/*
 * The allocator
 */
struct free_stats {
	blk64_t		free;
	__u64		extents;
	blk64_t		largest;
	/* aligned free units, for each of alloc_log_units[] */
	__u64		slots[NR_ALLOC_UNITS];
};

static const char *unit_label(unsigned int log_unit)
{
	switch (log_unit) {
	case 0:
		return "4 KiB";
	case 4:
		return "64 KiB";
	case 8:
		return "1 MiB";
	}
	return "?";
}

/*
 * Free extents of map, and how many units of each size fit in them at
 * aligned places: with a unit-sized request, exactly the runs an
 * aligned allocator can hand out before it must say "no space".
 */
static void free_space(ext2_filsys fs, ext2fs_block_bitmap map,
		       struct free_stats *st)
{
	blk64_t pos = fs->super->s_first_data_block, s, e, a, u;
	blk64_t end = ext2fs_blocks_count(fs->super);
	unsigned int i;

	memset(st, 0, sizeof(*st));
	while (pos < end) {
		if (ext2fs_find_first_zero_block_bitmap2(map, pos, end - 1, &s))
			break;
		if (ext2fs_find_first_set_block_bitmap2(map, s, end - 1, &e))
			e = end;
		st->extents++;
		st->free += e - s;
		if (e - s > st->largest)
			st->largest = e - s;
		for (i = 0; i < NR_ALLOC_UNITS; i++) {
			u = 1ULL << alloc_log_units[i];
			a = (s + u - 1) / u * u;
			if (a + u <= e)
				st->slots[i] += (e - a) / u;
		}
		pos = e;
	}
}

/*
 * Age the filesystem in memory.  "Files" of heavy-tailed lengths (1 to
 * AGE_MAX_LEN blocks) are laid back to back over the free space, as a
 * goal-based allocator places them, and each one is kept with the
 * probability that leaves about AGE_TARGET of the blocks in use, as if
 * the others had been deleted.  The free space ends up in many small
 * holes, and the few long files deleted leave some large ones.
 */
static void age(ext2_filsys fs, __u64 *nr_files, __u64 *nr_marked)
{
	blk64_t end = ext2fs_blocks_count(fs->super);
	blk64_t free = ext2fs_free_blocks_count(fs->super);
	blk64_t pos = fs->super->s_first_data_block, s, e, len;
	blk64_t run_start = 0, run_len = 0;
	double want = AGE_TARGET * end - (double) (end - free);
	double keep = want <= 0 || !free ? 0 : want / free;

	*nr_files = *nr_marked = 0;
	while (pos < end) {
		if (ext2fs_find_first_zero_block_bitmap2(fs->block_map, pos,
							 end - 1, &s))
			break;
		if (ext2fs_find_first_set_block_bitmap2(fs->block_map, s,
							end - 1, &e))
			e = end;
		for (pos = s; pos < e; pos += len) {
			len = rng_heavy(AGE_MAX_LEN);
			if (len > e - pos)
				len = e - pos;
			(*nr_files)++;
			if (rng_unit() >= keep) {
				if (run_len)
					ext2fs_block_alloc_stats_range(fs,
						run_start, run_len, +1);
				*nr_marked += !!run_len;
				run_len = 0;
				continue;
			}
			if (!run_len)
				run_start = pos;
			run_len += len;
		}
		if (run_len)
			ext2fs_block_alloc_stats_range(fs, run_start, run_len,
						       +1);
		*nr_marked += !!run_len;
		run_len = 0;
		pos = e;
	}
}

struct alloc_row {
	unsigned int	log_unit;
	__u64		found;
	double		secs;
	int		no_space;
	double		fail_secs[2];	/* no-space search times */
};

/* Report a returned run that breaks a promise of the allocator. */
static const char *bad_run(ext2_filsys fs, ext2fs_atomic_alloc_t ac,
			   ext2fs_block_bitmap before, blk64_t run, blk64_t u)
{
	blk64_t zero;

	if (run % u)
		return "is not aligned";
	if (run < fs->super->s_first_data_block ||
	    run + u > ext2fs_blocks_count(fs->super))
		return "lies outside the filesystem";
	if (!ext2fs_test_block_bitmap_range2(before, run, u))
		return "was not free (or was handed out twice)";
	if (!ext2fs_find_first_zero_block_bitmap2(fs->block_map, run,
						  run + u - 1, &zero))
		return "was not marked in use";
	if (ext2fs_atomic_is_metadata(ac, run, u))
		return "covers metadata";
	return NULL;
}

/*
 * Time o->runs allocations of one aligned unit at random goals (or
 * until there is no space), verify them, then give them back.
 */
static int bench_unit(ext2_filsys fs, const struct options *o,
		      unsigned int ui, ext2fs_block_bitmap aged,
		      const struct free_stats *st, blk64_t *runs,
		      struct alloc_row *row)
{
	unsigned int log_unit = alloc_log_units[ui];
	blk64_t u = 1ULL << log_unit, end = ext2fs_blocks_count(fs->super);
	blk64_t free_before = ext2fs_free_blocks_count(fs->super), free_after;
	ext2fs_atomic_alloc_t ac = NULL;
	ext2fs_block_bitmap check = NULL;
	const char *why;
	errcode_t retval;
	__u64 i, found = 0;
	int ret = 1, no_space = 0;
	double t;

	memset(row, 0, sizeof(*row));
	retval = ext2fs_atomic_validate_unit(fs->super, log_unit);
	if (retval) {
		com_err(program, retval, "for a unit of %llu blocks",
			(unsigned long long) u);
		return 1;
	}
	ext2fs_atomic_set_log_unit(fs->super, log_unit);
	ext2fs_atomic_set_feature(fs->super);
	retval = ext2fs_atomic_alloc_open(fs, &ac);
	if (retval) {
		com_err(program, retval, "while opening the allocator");
		return 1;
	}
	/*
	 * The aging lives in memory only: the allocator must work on the
	 * bitmap in memory, not on the one on disk (fixed in a2b5857).
	 */
	if (ext2fs_compare_block_bitmap(aged, fs->block_map)) {
		fprintf(stderr, "%s: ext2fs_atomic_alloc_open() replaced the "
			"block bitmap in memory\n", program);
		goto out;
	}
	if (ext2fs_atomic_unit_blocks(fs) != u) {
		fprintf(stderr, "%s: unit is %llu blocks, wanted %llu\n",
			program,
			(unsigned long long) ext2fs_atomic_unit_blocks(fs),
			(unsigned long long) u);
		goto out;
	}

	t = now();
	for (i = 0; i < o->runs; i++) {
		retval = ext2fs_atomic_alloc_run(ac, rng_below(end), 0, u,
						 &runs[found]);
		if (retval == EXT2_ET_ATOMIC_NO_SPACE) {
			no_space = 1;
			break;
		}
		if (retval) {
			com_err(program, retval, "while allocating %llu blocks",
				(unsigned long long) u);
			goto out;
		}
		found++;
	}
	t = now() - t;

	/*
	 * Once nothing is left, time a search that fails, with the goal at
	 * the first and at the last block of the filesystem.
	 */
	for (i = 0; no_space && i < 2; i++) {
		blk64_t goal = i ? end - 1 : fs->super->s_first_data_block;
		blk64_t run;

		row->fail_secs[i] = now();
		retval = ext2fs_atomic_find_run(ac, goal, 0, u, &run);
		row->fail_secs[i] = now() - row->fail_secs[i];
		if (retval != EXT2_ET_ATOMIC_NO_SPACE) {
			com_err(program, retval, "where no space was expected "
				"(goal %llu, unit %llu)",
				(unsigned long long) goal,
				(unsigned long long) u);
			goto out;
		}
	}

	/* Every run against the bitmap before, with the runs so far. */
	retval = ext2fs_copy_bitmap(aged, &check);
	if (retval) {
		com_err(program, retval, "while copying a bitmap");
		goto out;
	}
	for (i = 0; i < found; i++) {
		why = bad_run(fs, ac, check, runs[i], u);
		if (why) {
			fprintf(stderr, "%s: unit %llu: run %llu-%llu %s\n",
				program, (unsigned long long) u,
				(unsigned long long) runs[i],
				(unsigned long long) (runs[i] + u - 1), why);
			goto out;
		}
		ext2fs_mark_block_bitmap_range2(check, runs[i], u);
	}
	if (no_space && found != st->slots[ui]) {
		fprintf(stderr, "%s: unit %llu: no space after %llu runs, "
			"but %llu aligned free units were there\n", program,
			(unsigned long long) u, (unsigned long long) found,
			(unsigned long long) st->slots[ui]);
		goto out;
	}
	free_after = ext2fs_free_blocks_count(fs->super);
	if (free_after != free_before - found * u) {
		fprintf(stderr, "%s: unit %llu: free block count %llu, "
			"expected %llu\n", program, (unsigned long long) u,
			(unsigned long long) free_after,
			(unsigned long long) (free_before - found * u));
		goto out;
	}

	/* Give the runs back: the next unit starts from the same state. */
	for (i = 0; i < found; i++)
		ext2fs_block_alloc_stats_range(fs, runs[i], u, -1);
	if (ext2fs_compare_block_bitmap(aged, fs->block_map) ||
	    ext2fs_free_blocks_count(fs->super) != free_before) {
		fprintf(stderr, "%s: unit %llu: bitmap not back to the aged "
			"state\n", program, (unsigned long long) u);
		goto out;
	}
	row->log_unit = log_unit;
	row->found = found;
	row->secs = t;
	row->no_space = no_space;
	ret = 0;
out:
	if (check)
		ext2fs_free_block_bitmap(check);
	ext2fs_atomic_alloc_close(ac);
	return ret;
}

static void print_alloc_table(const struct options *o,
			      const struct alloc_row *rows, unsigned int nr,
			      const struct free_stats *st)
{
	char per_run[32];
	unsigned int i;

	printf("\n%-7s %7s %7s %9s %9s %12s %12s %13s %9s\n", "unit",
	       "asked", "found", "seconds", "us/run", "free blocks",
	       "free extents", "aligned units", "verified");
	for (i = 0; i < nr; i++) {
		if (rows[i].found)
			snprintf(per_run, sizeof(per_run), "%.2f",
				 rows[i].secs * 1e6 / rows[i].found);
		else
			snprintf(per_run, sizeof(per_run), "-");
		printf("%-7s %7llu %7llu %9.3f %9s %12llu %12llu %13llu %9s\n",
		       unit_label(rows[i].log_unit), o->runs,
		       (unsigned long long) rows[i].found, rows[i].secs,
		       per_run,
		       (unsigned long long) st->free,
		       (unsigned long long) st->extents,
		       (unsigned long long) st->slots[i], "ok");
	}
	for (i = 0; i < nr; i++)
		if (rows[i].no_space)
			printf("%s: no aligned unit left after %llu runs; a "
			       "search that fails takes %.1f ms with the goal "
			       "at the first block, %.1f ms at the last\n",
			       unit_label(rows[i].log_unit),
			       (unsigned long long) rows[i].found,
			       rows[i].fail_secs[0] * 1e3,
			       rows[i].fail_secs[1] * 1e3);
}

static int bench_alloc(const struct options *o)
{
	struct alloc_row rows[NR_ALLOC_UNITS];
	struct free_stats st;
	ext2_filsys fs = NULL;
	ext2fs_block_bitmap aged = NULL;
	blk64_t *runs = NULL, blocks = o->size_gib << 18;
	__u64 files, marked;
	char path[4096];
	errcode_t retval;
	double t0, t1;
	unsigned int i;
	int ret = 1;

	printf("== alloc (seed %llu)\n", o->seed);
	snprintf(path, sizeof(path), "%s/atomic-bench-alloc.img", o->dir);
	fflush(stdout);
	t0 = now();
	if (fsutil_mkfs(path, BENCH_BLOCKSIZE, blocks, BENCH_MKFS_OPTS)) {
		fprintf(stderr, "%s: stock mke2fs failed on %s\n", program,
			path);
		goto out;
	}
	printf("image: %llu GiB sparse (%llu blocks), mkfs %.2f s, "
	       "%llu MiB really written\n", o->size_gib,
	       (unsigned long long) blocks, now() - t0,
	       disk_usage(path) >> 20);
	/* Read-only: everything below changes only memory. */
	retval = fsutil_open(path, 0, &fs);
	if (retval) {
		com_err(program, retval, "while opening %s", path);
		goto out;
	}
	retval = ext2fs_get_array(o->runs, sizeof(*runs), &runs);
	if (retval) {
		com_err(program, retval, "while allocating the run table");
		goto out;
	}
	t1 = now();
	age(fs, &files, &marked);
	t1 = now() - t1;
	retval = ext2fs_copy_bitmap(fs->block_map, &aged);
	if (retval) {
		com_err(program, retval, "while copying the block bitmap");
		goto out;
	}
	free_space(fs, aged, &st);
	if (st.free != ext2fs_free_blocks_count(fs->super)) {
		fprintf(stderr, "%s: bitmap has %llu free blocks, counters "
			"say %llu\n", program, (unsigned long long) st.free,
			(unsigned long long)
			ext2fs_free_blocks_count(fs->super));
		goto out;
	}
	printf("aged in memory in %.2f s: %llu files laid down, %llu ranges "
	       "marked, %.1f%% of blocks in use\n", t1,
	       (unsigned long long) files, (unsigned long long) marked,
	       100.0 * (blocks - st.free) / blocks);
	printf("free space: %llu blocks in %llu extents (%.1f blocks average, "
	       "largest %llu)\n", (unsigned long long) st.free,
	       (unsigned long long) st.extents,
	       st.extents ? (double) st.free / st.extents : 0.0,
	       (unsigned long long) st.largest);
	printf("aligned free units:");
	for (i = 0; i < NR_ALLOC_UNITS; i++)
		printf(" %s %llu%s", unit_label(alloc_log_units[i]),
		       (unsigned long long) st.slots[i],
		       i + 1 < NR_ALLOC_UNITS ? "," : "\n");

	for (i = 0; i < NR_ALLOC_UNITS; i++)
		if (bench_unit(fs, o, i, aged, &st, runs, &rows[i]))
			goto out;
	print_alloc_table(o, rows, NR_ALLOC_UNITS, &st);
	ret = 0;
out:
	if (aged)
		ext2fs_free_block_bitmap(aged);
	ext2fs_free_mem(&runs);
	/* Never written back: the aging lives in memory only. */
	if (fs)
		ext2fs_free(fs);
	if (!o->keep)
		unlink(path);
	return ret;
}

static void usage(void)
{
	fprintf(stderr,
		"Usage: %s checker [-n extents] [-d dir] [-S seed] [-k] [-F]\n"
		"       %s alloc [-s size_gib] [-N runs] [-d dir] [-S seed] "
		"[-k]\n", program, program);
	exit(1);
}

static unsigned long long parse_num(const char *arg, unsigned long long min,
				    unsigned long long max)
{
	unsigned long long val;
	char *end;

	errno = 0;
	val = strtoull(arg, &end, 0);
	if (errno || !*arg || *end || *arg == '-' || val < min || val > max) {
		fprintf(stderr, "%s: bad number '%s' (%llu to %llu)\n",
			program, arg, min, max);
		exit(1);
	}
	return val;
}

int main(int argc, char **argv)
{
	struct options o;
	const char *cmd, *allowed;
	int c, checker;

	memset(&o, 0, sizeof(o));
	o.dir = ".";
	o.extents = 1000000;
	o.size_gib = 64;
	o.runs = 10000;
	o.seed = 1;
	if (argc < 2)
		usage();
	cmd = argv[1];
	if (!strcmp(cmd, "checker"))
		checker = 1;
	else if (!strcmp(cmd, "alloc"))
		checker = 0;
	else
		usage();
	allowed = checker ? "ndSkF" : "dsNSk";
	while ((c = getopt(argc - 1, argv + 1, "n:d:s:N:S:kF")) != EOF) {
		if (c == '?' || !strchr(allowed, c))
			usage();
		switch (c) {
		case 'n':
			o.extents = parse_num(optarg, CHECK_FILES, 100000000);
			break;
		case 'd':
			o.dir = optarg;
			break;
		case 's':
			o.size_gib = parse_num(optarg, 1, 4096);
			break;
		case 'N':
			o.runs = parse_num(optarg, 1, 100000000);
			break;
		case 'S':
			o.seed = parse_num(optarg, 0, ~0ULL);
			break;
		case 'k':
			o.keep = 1;
			break;
		case 'F':
			o.fsck = 1;
			break;
		}
	}
	if (optind != argc - 1)
		usage();
	ext2fs_atomic_init();
	rng_seed(o.seed);
	return checker ? bench_checker(&o) : bench_alloc(&o);
}
