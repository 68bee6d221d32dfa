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

#define BENCH_MKFS_OPTS		"-O ^has_journal -E lazy_itable_init=1,nodiscard"
#define BENCH_BLOCKSIZE		4096
#define CHECK_LOG_UNIT		4	/* checker: 16 blocks, 64 KiB */
#define CHECK_FILES		100	/* atomic files on the checker image */
#define CHECK_REPEAT		3	/* state machine runs, best one kept */
#define AGE_TARGET		0.78	/* fraction of blocks in use after aging */
#define AGE_MAX_LEN		512	/* longest aged "file", in blocks */

static const unsigned int alloc_log_units[] = { 0, 4, 8 };
#define NR_ALLOC_UNITS	(sizeof(alloc_log_units) / sizeof(alloc_log_units[0]))

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

/*
 * One group of windows, 1 to 8 windows long, of a random kind: valid
 * (short pieces, or one long extent over whole windows), misaligned by
 * a few blocks, with a hole, or physically discontiguous.  Sometimes
 * whole unmapped windows follow (they do not break the rule).
 */
static errcode_t gen_group(struct extent_list *l, blk64_t u, blk64_t *lblk,
			   blk64_t *pblk)
{
	blk64_t cuts[8], span, shift = 0, jump = 0, off, pb;
	unsigned int n, i, r = rng_below(100);
	unsigned int drop = ~0U, jump_at = ~0U;
	errcode_t retval;

	if (u < 2 && r >= 47)
		r = 0;		/* one-block windows cannot break the rule */
	if (r < 42 || (r >= 47 && r < 90)) {
		span = (1 + rng_below(3)) * u;
		n = partition(span, 6, cuts);
	} else {
		span = (2 + rng_below(7)) * u;
		cuts[0] = 0;
		cuts[1] = span;
		n = 1;
	}
	if (r >= 47 && r < 62)
		shift = 1 + rng_below(u - 1);
	if (r >= 62 && r < 90 && n < 2) {
		cuts[1] = 1 + rng_below(span - 1);
		cuts[2] = span;
		n = 2;
	}
	if (r >= 62 && r < 77)
		drop = rng_below(n);
	if (r >= 77 && r < 90) {
		jump_at = 1 + rng_below(n - 1);
		jump = u * (1 + rng_below(4));
	}
	if (r >= 95)
		shift = 1 + rng_below(u - 1);

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
				retval = list_add(l, ws + off, ws + off, len, flag);
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

/* Build the checker image; the expected bad windows go to *expected. */
static int build_check_image(const struct options *o, const char *path,
			     ext2_ino_t *inos, __u64 *nr_extents,
			     __u64 *expected)
{
	struct extent_list l = { NULL, 0, 0 };
	ext2_filsys fs = NULL;
	ext2fs_atomic_alloc_t ac = NULL;
	blk64_t u = 1ULL << CHECK_LOG_UNIT, span, goal = 0, blocks;
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
		snprintf(name, sizeof(name), "atomic-%03d", i);
		retval = gen_file(&l, u, per_file, &span);
		if (retval) {
			com_err(program, retval, "while generating %s", name);
			goto fail;
		}
		retval = build_file(fs, ac, name, &l, span, &goal, &inos[i]);
		if (retval) {
			com_err(program, retval, "while building %s", name);
			goto fail;
		}
		*nr_extents += l.nr;
		*expected += reference_bad(&l, u, &mapped);
		data_blocks += list_blocks(&l);
	}
	ext2fs_atomic_alloc_close(ac);
	ac = NULL;
	for (i = 0; i < CHECK_FILES; i++) {
		struct ext2_inode inode;

		retval = ext2fs_read_inode(fs, inos[i], &inode);
		if (retval) {
			com_err(program, retval, "while reading inode %u",
				inos[i]);
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
	list_free(&l);
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
	list_free(&l);
	return 1;
}
