/*
 * atomic_check.c --- the alignment rule checker (FORMAT.md section 3).
 *
 * The checker is a state machine fed with a file's extents in logical
 * order.  It keeps only the window that is still open, so one walk of
 * the extent tree costs O(number of extents): a long extent that
 * covers many whole windows is judged once, and the windows it covers
 * are reported as one range.
 */

#include <string.h>

#include "atomic_int.h"

void ext2fs_atomic_checker_init(struct ext2fs_atomic_checker *c,
				blk64_t unit, __u64 i_size,
				unsigned int blocksize,
				ext2fs_atomic_violation_func func, void *priv)
{
	memset(c, 0, sizeof(*c));
	c->unit = unit ? unit : 1;
	c->eof_lblk = (i_size + blocksize - 1) / blocksize;
	c->func = func;
	c->priv = priv;
}

/*
 * Hand the pending range of bad windows to the caller's function.
 */
static void flush_pending(struct ext2fs_atomic_checker *c)
{
	if (!c->pending.nr_windows)
		return;
	if (c->func && !c->stop && c->func(c->ino, &c->pending, c->priv))
		c->stop = 1;
	c->pending.nr_windows = 0;
}

/*
 * Report windows [first, first + n) with the given problems.  Calls
 * come in window order; a range that continues the pending one with
 * the same problems is merged into it, so a long misaligned extent is
 * one report, not one per window.
 */
static void report(struct ext2fs_atomic_checker *c, __u64 first, __u64 n,
		   int problems)
{
	struct ext2fs_atomic_violation *p = &c->pending;

	if (!problems || !n)
		return;
	c->nr_bad += n;
	if (p->nr_windows && p->problems == problems &&
	    p->first_window + p->nr_windows == first) {
		p->nr_windows += n;
		return;
	}
	flush_pending(c);
	p->first_window = first;
	p->nr_windows = n;
	p->problems = problems;
}

/* The open window ends: whatever was not reached is a hole. */
static void close_window(struct ext2fs_atomic_checker *c)
{
	if (!c->window_open)
		return;
	if (c->next_lblk != (c->cur_window + 1) * c->unit)
		c->cur_problems |= EXT2FS_ATOMIC_HOLE;
	report(c, c->cur_window, 1, c->cur_problems);
	c->window_open = 0;
}

/* Does a written piece ending (exclusively) at end lie past EOF? */
static int written_past_eof(struct ext2fs_atomic_checker *c, blk64_t end,
			    int uninit)
{
	return !uninit && end > c->eof_lblk;
}

/* Join the open window, or open the one that lblk starts in. */
static void enter_window(struct ext2fs_atomic_checker *c, blk64_t lblk,
			 blk64_t pblk)
{
	blk64_t u = c->unit;

	if (c->window_open) {
		if (lblk < c->next_lblk) {
			/* Overlap or out of order: the map itself is bad. */
			c->cur_problems |= EXT2FS_ATOMIC_DISCONTIGUOUS;
			if (lblk / u == c->cur_window)
				return;
			close_window(c);
		} else if (lblk / u != c->cur_window) {
			close_window(c);
		} else {
			if (lblk != c->next_lblk)
				c->cur_problems |= EXT2FS_ATOMIC_HOLE;
			if (pblk != c->next_pblk + (lblk - c->next_lblk))
				c->cur_problems |= EXT2FS_ATOMIC_DISCONTIGUOUS;
			return;
		}
	}
	c->window_open = 1;
	c->cur_window = lblk / u;
	c->cur_problems = 0;
	c->next_lblk = lblk;
	c->next_pblk = pblk;
	if (lblk % u)
		c->cur_problems |= EXT2FS_ATOMIC_HOLE;
	if (pblk % u != lblk % u)
		c->cur_problems |= EXT2FS_ATOMIC_MISALIGNED;
}

/* Windows [first, end) wholly covered by one extent. */
static void whole_windows(struct ext2fs_atomic_checker *c, __u64 first,
			  __u64 end, int misaligned, int uninit)
{
	__u64 eof_window = c->eof_lblk / c->unit;
	__u64 split;
	int base = misaligned ? EXT2FS_ATOMIC_MISALIGNED : 0;

	if (end <= first)
		return;
	if (uninit) {
		report(c, first, end - first, base);
		return;
	}
	/* A window holds a block past EOF iff its index is >= eof_window. */
	split = eof_window < first ? first : eof_window;
	if (split > end)
		split = end;
	report(c, first, split - first, base);
	report(c, split, end - split, base | EXT2FS_ATOMIC_PAST_EOF);
}

void ext2fs_atomic_checker_add(struct ext2fs_atomic_checker *c,
			       blk64_t lblk, blk64_t pblk, __u32 len,
			       int uninit)
{
	blk64_t u = c->unit, end = lblk + len, wend;
	int misaligned = (pblk % u) != (lblk % u);

	if (!len || c->stop)
		return;
	enter_window(c, lblk, pblk);
	wend = (c->cur_window + 1) * u;
	if (written_past_eof(c, end < wend ? end : wend, uninit))
		c->cur_problems |= EXT2FS_ATOMIC_PAST_EOF;
	/* An overlapping extent (a bad map) may end before the last one. */
	if ((end < wend ? end : wend) > c->next_lblk) {
		c->next_lblk = end < wend ? end : wend;
		c->next_pblk = pblk + (c->next_lblk - lblk);
	}
	if (end < wend)
		return;
	close_window(c);

	whole_windows(c, wend / u, end / u, misaligned, uninit);

	if (end % u) {
		c->window_open = 1;
		c->cur_window = end / u;
		c->cur_problems = misaligned ? EXT2FS_ATOMIC_MISALIGNED : 0;
		if (written_past_eof(c, end, uninit))
			c->cur_problems |= EXT2FS_ATOMIC_PAST_EOF;
		c->next_lblk = end;
		c->next_pblk = pblk + len;
	}
}

void ext2fs_atomic_checker_finish(struct ext2fs_atomic_checker *c)
{
	close_window(c);
	flush_pending(c);
}

/*
 * Check one inode.  nr_bad (optional) receives the number of windows
 * that break the rule; func (optional) receives them as ranges.
 */
errcode_t ext2fs_atomic_check_inode(ext2_filsys fs, ext2_ino_t ino,
				    struct ext2_inode *inode,
				    ext2fs_atomic_violation_func func,
				    void *priv, __u64 *nr_bad)
{
	struct ext2fs_atomic_checker c;
	struct ext2_inode inode_buf;
	ext2_extent_handle_t handle = NULL;
	struct ext2fs_extent extent;
	errcode_t retval;

	retval = atomic_extent_inode(fs, ino, &inode, &inode_buf);
	if (retval)
		return retval;

	ext2fs_atomic_checker_init(&c, ext2fs_atomic_unit_blocks(fs),
				   EXT2_I_SIZE(inode), fs->blocksize,
				   func, priv);
	c.ino = ino;

	retval = ext2fs_extent_open2(fs, ino, inode, &handle);
	if (retval)
		goto cleanup;
	retval = ext2fs_extent_get(handle, EXT2_EXTENT_ROOT, &extent);
	while (!retval && !c.stop) {
		if (extent.e_flags & EXT2_EXTENT_FLAGS_LEAF)
			ext2fs_atomic_checker_add(&c, extent.e_lblk,
				extent.e_pblk, extent.e_len,
				!!(extent.e_flags & EXT2_EXTENT_FLAGS_UNINIT));
		retval = ext2fs_extent_get(handle, EXT2_EXTENT_NEXT_LEAF,
					   &extent);
	}
	if (retval == EXT2_ET_EXTENT_NO_NEXT)
		retval = 0;
	if (retval)
		goto cleanup;
	ext2fs_atomic_checker_finish(&c);
	if (nr_bad)
		*nr_bad = c.nr_bad;
cleanup:
	if (handle)
		ext2fs_extent_free(handle);
	return retval;
}

const char *ext2fs_atomic_problem_name(int problem)
{
	switch (problem) {
	case EXT2FS_ATOMIC_HOLE:
		return "hole inside window";
	case EXT2FS_ATOMIC_MISALIGNED:
		return "misaligned";
	case EXT2FS_ATOMIC_DISCONTIGUOUS:
		return "not physically contiguous";
	case EXT2FS_ATOMIC_PAST_EOF:
		return "written block past end of file";
	}
	return "unknown problem";
}
