/*
 * atomic_shrink.c --- counting room for atomic files before a shrink.
 *
 * When a filesystem is cut down to `end` blocks, every window of an
 * atomic file that reaches at or beyond end (or into the area below end
 * that the resize claims for itself) must move, whole, to a free
 * aligned run below end.  resize2fs's block mover does the moves
 * (resize/atomic_move.c); this file says beforehand whether they fit:
 *
 *   ext2fs_atomic_resize_end()   the size a resize really produces: a
 *                                last group too small for its own
 *                                metadata is dropped, as resize2fs does;
 *   ext2fs_atomic_shrink_plan()  how many windows must move and how
 *                                many free aligned units lie below end;
 *   ext2fs_atomic_shrink_min()   the smallest size whose plan fits.
 */

#include <stdlib.h>
#include <string.h>

#include "atomic_int.h"

/* Does the last of `groups` groups hold a superblock backup? */
static int last_has_super(ext2_filsys fs, dgrp_t groups)
{
	if (ext2fs_has_feature_sparse_super2(fs->super))
		return fs->super->s_backup_bgs[groups == 2 ? 0 : 1] != 0;
	return ext2fs_bg_has_super(fs, groups - 1);
}

errcode_t ext2fs_atomic_resize_end(ext2_filsys fs, blk64_t requested,
				   blk64_t *end)
{
	struct ext2_super_block *sb = fs->super;
	blk64_t first = sb->s_first_data_block;
	blk64_t bpg = EXT2_BLOCKS_PER_GROUP(sb), n = requested;
	blk64_t groups, desc, overhead, rem;

	for (;;) {
		if (n <= first)
			return EXT2_ET_TOOSMALL;
		groups = (n - first + bpg - 1) / bpg;
		desc = (groups + EXT2_DESC_PER_BLOCK(sb) - 1) /
			EXT2_DESC_PER_BLOCK(sb);
		overhead = 2 + fs->inode_blocks_per_group;
		if (last_has_super(fs, groups))
			overhead += 1 + desc + sb->s_reserved_gdt_blocks;
		rem = (n - first) % bpg;
		if (!rem || rem >= overhead + 50)
			break;
		if (groups == 1) {
			if (rem >= overhead)
				break;
			return EXT2_ET_TOOSMALL;
		}
		n -= rem;
	}
	*end = n;
	return 0;
}

/*
 * With sparse_super2, a shrink that drops the group holding the last
 * backup moves that backup to the new last group: its superblock and
 * descriptor blocks take the first blocks of that group.
 */
static void keep_out_area(ext2_filsys fs, blk64_t end, blk64_t *blk,
			  blk64_t *len)
{
	struct ext2_super_block *sb = fs->super;
	blk64_t bpg = EXT2_BLOCKS_PER_GROUP(sb);
	dgrp_t last, old_last = fs->group_desc_count - 1;

	*blk = *len = 0;
	if (!ext2fs_has_feature_sparse_super2(sb) ||
	    end <= sb->s_first_data_block)
		return;
	last = (end - sb->s_first_data_block + bpg - 1) / bpg - 1;
	if (last >= old_last || last <= 1 || sb->s_backup_bgs[1] != old_last)
		return;
	*blk = ext2fs_group_first_block2(fs, last);
	*len = 1 + fs->desc_blocks + sb->s_reserved_gdt_blocks;
}

/* Called with each mapped window of a file and its physical span. */
typedef int (*window_func)(__u64 w, blk64_t lo, blk64_t hi, void *priv);

/* Feed func every mapped window of an extent-mapped file, in order. */
static errcode_t walk_windows(ext2_filsys fs, ext2_ino_t ino,
			      struct ext2_inode *inode, window_func func,
			      void *priv)
{
	blk64_t unit = ext2fs_atomic_unit_blocks(fs);
	blk64_t l, end, wend, plo, lo = 0, hi = 0;
	ext2_extent_handle_t handle = NULL;
	struct ext2fs_extent e;
	__u64 w, cur = 0;
	int have = 0, stop = 0;
	errcode_t retval;

	retval = ext2fs_extent_open2(fs, ino, inode, &handle);
	if (retval)
		return retval;
	retval = ext2fs_extent_get(handle, EXT2_EXTENT_ROOT, &e);
	while (!retval && !stop) {
		l = e.e_lblk;
		end = (e.e_flags & EXT2_EXTENT_FLAGS_LEAF) ? l + e.e_len : l;
		for (; l < end && !stop; l = wend) {
			w = l / unit;
			wend = (w + 1) * unit < end ? (w + 1) * unit : end;
			plo = e.e_pblk + (l - e.e_lblk);
			if (have && w == cur) {
				lo = plo < lo ? plo : lo;
				hi = plo + (wend - l) - 1 > hi ?
					plo + (wend - l) - 1 : hi;
				continue;
			}
			if (have)
				stop = func(cur, lo, hi, priv);
			have = 1;
			cur = w;
			lo = plo;
			hi = plo + (wend - l) - 1;
		}
		retval = ext2fs_extent_get(handle, EXT2_EXTENT_NEXT_LEAF, &e);
	}
	if (retval == EXT2_ET_EXTENT_NO_NEXT)
		retval = 0;
	if (!retval && have && !stop)
		func(cur, lo, hi, priv);
	ext2fs_extent_free(handle);
	return retval;
}

/* Must a window spanning [lo, hi] move for a shrink to end? */
static int must_move(const struct ext2fs_atomic_shrink_plan *p, blk64_t lo,
		     blk64_t hi)
{
	return hi >= p->end || (p->keep_out_len && hi >= p->keep_out &&
				lo < p->keep_out + p->keep_out_len);
}

/* Is ino a file whose windows the rule governs? */
static int governed(ext2_filsys fs, struct ext2_inode *inode)
{
	return LINUX_S_ISREG(inode->i_mode) &&
	       !ext2fs_atomic_inode_valid(fs, inode);
}

/* Free aligned units below limit (0: the end), in block order. */
struct slot_list {
	blk64_t	*start;
	size_t	nr, alloc;
};

static errcode_t list_slots(ext2fs_atomic_alloc_t ac, blk64_t limit,
			    struct slot_list *sl)
{
	ext2_filsys fs = ext2fs_atomic_alloc_fs(ac);
	blk64_t unit = ext2fs_atomic_unit_blocks(fs);
	blk64_t pos = fs->super->s_first_data_block, run;
	errcode_t retval;

	while (!ext2fs_atomic_find_run(ac, pos, limit, unit, &run) &&
	       run >= pos) {
		retval = atomic_room_for(&sl->start, &sl->alloc, sl->nr,
				  sizeof(blk64_t));
		if (retval)
			return retval;
		sl->start[sl->nr++] = run;
		pos = run + unit;
	}
	return 0;
}

/* Slots of sl that lie wholly below end and clear of the keep-out area. */
static __u64 usable_slots(const struct slot_list *sl, blk64_t unit,
			  const struct ext2fs_atomic_shrink_plan *p)
{
	__u64 n = 0;
	size_t lo = 0, hi = sl->nr, mid;

	/* Slots are sorted: bisect for the first one not below end. */
	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (sl->start[mid] + unit <= p->end)
			lo = mid + 1;
		else
			hi = mid;
	}
	n = lo;
	for (mid = 0; p->keep_out_len && mid < lo; mid++)
		if (sl->start[mid] < p->keep_out + p->keep_out_len &&
		    sl->start[mid] + unit > p->keep_out)
			n--;
	return n;
}

/* The atomic files, with their windows' physical spans. */
struct span {
	blk64_t	lo, hi;
};

struct span_list {
	struct span	*s;
	size_t		nr, alloc;
	errcode_t	err;
};

static int add_span(__u64 w, blk64_t lo, blk64_t hi, void *priv)
{
	struct span_list *sp = priv;

	(void) w;
	sp->err = atomic_room_for(&sp->s, &sp->alloc, sp->nr,
				  sizeof(struct span));
	if (sp->err)
		return 1;
	sp->s[sp->nr].lo = lo;
	sp->s[sp->nr++].hi = hi;
	return 0;
}

static int span_file(ext2_filsys fs, ext2_ino_t ino,
		     struct ext2_inode *inode, void *priv)
{
	struct span_list *sp = priv;
	errcode_t retval;

	if (!governed(fs, inode))
		return 0;
	retval = walk_windows(fs, ino, inode, add_span, sp);
	if (!sp->err)
		sp->err = retval;
	return sp->err != 0;
}

static int by_hi(const void *a, const void *b)
{
	const struct span *x = a, *y = b;

	return x->hi < y->hi ? -1 : x->hi > y->hi;
}

/* Windows of sp (sorted by hi) that must move for a shrink to p->end. */
static __u64 moving_windows(const struct span_list *sp,
			    const struct ext2fs_atomic_shrink_plan *p)
{
	size_t lo = 0, hi = sp->nr, mid;
	__u64 n;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (sp->s[mid].hi < p->end)
			lo = mid + 1;
		else
			hi = mid;
	}
	n = sp->nr - lo;
	/* Below end, only windows reaching into the keep-out area move. */
	while (p->keep_out_len && lo-- > 0 && sp->s[lo].hi >= p->keep_out)
		n += must_move(p, sp->s[lo].lo, sp->s[lo].hi);
	return n;
}

static errcode_t collect_spans(ext2_filsys fs, struct span_list *sp)
{
	errcode_t retval;

	retval = ext2fs_atomic_scan_inodes(fs, span_file, sp);
	if (!retval)
		retval = sp->err;
	if (!retval && sp->nr)
		qsort(sp->s, sp->nr, sizeof(struct span), by_hi);
	return retval;
}

/* The plan for the size end, from the spans and the slots. */
static errcode_t make_plan(ext2_filsys fs, blk64_t requested,
			   const struct span_list *sp,
			   const struct slot_list *sl,
			   struct ext2fs_atomic_shrink_plan *p)
{
	errcode_t retval;

	memset(p, 0, sizeof(*p));
	retval = ext2fs_atomic_resize_end(fs, requested, &p->end);
	if (retval)
		return retval;
	keep_out_area(fs, p->end, &p->keep_out, &p->keep_out_len);
	p->windows = moving_windows(sp, p);
	p->slots = usable_slots(sl, ext2fs_atomic_unit_blocks(fs), p);
	return 0;
}

/*
 * The plan of a shrink to `requested` blocks (the last-group rule is
 * applied).  Returns EXT2_ET_ATOMIC_SHRINK_NO_SPACE, with the plan
 * filled in, when the windows do not fit.
 */
errcode_t ext2fs_atomic_shrink_plan(ext2fs_atomic_alloc_t ac,
				    blk64_t requested,
				    struct ext2fs_atomic_shrink_plan *plan)
{
	ext2_filsys fs = ext2fs_atomic_alloc_fs(ac);
	struct span_list sp = { NULL, 0, 0, 0 };
	struct slot_list sl = { NULL, 0, 0 };
	errcode_t retval;

	retval = collect_spans(fs, &sp);
	if (!retval)
		retval = list_slots(ac, 0, &sl);
	if (!retval)
		retval = make_plan(fs, requested, &sp, &sl, plan);
	if (!retval && plan->windows > plan->slots)
		retval = EXT2_ET_ATOMIC_SHRINK_NO_SPACE;
	ext2fs_free_mem(&sp.s);
	ext2fs_free_mem(&sl.start);
	return retval;
}

/*
 * The smallest size at or above floor whose shrink keeps every atomic
 * file aligned.  The windows that must move only get fewer, and the
 * free units below the end only more, as the size grows: bisect.
 */
errcode_t ext2fs_atomic_shrink_min(ext2fs_atomic_alloc_t ac, blk64_t floor,
				   blk64_t *min)
{
	ext2_filsys fs = ext2fs_atomic_alloc_fs(ac);
	struct span_list sp = { NULL, 0, 0, 0 };
	struct slot_list sl = { NULL, 0, 0 };
	struct ext2fs_atomic_shrink_plan p;
	blk64_t lo = floor, hi = ext2fs_blocks_count(fs->super), mid;
	errcode_t retval;

	retval = collect_spans(fs, &sp);
	if (!retval)
		retval = list_slots(ac, 0, &sl);
	if (retval)
		goto cleanup;
	if (lo >= hi) {
		*min = lo;
		goto cleanup;
	}
	if (!make_plan(fs, lo, &sp, &sl, &p) && p.windows <= p.slots) {
		*min = lo;
		goto cleanup;
	}
	/* Invariant: lo does not fit, hi does (nothing moves at hi). */
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (!make_plan(fs, mid, &sp, &sl, &p) && p.windows <= p.slots)
			hi = mid;
		else
			lo = mid;
	}
	*min = hi;
cleanup:
	ext2fs_free_mem(&sp.s);
	ext2fs_free_mem(&sl.start);
	return retval;
}
