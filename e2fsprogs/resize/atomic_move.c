// SPDX-License-Identifier: GPL-2.0
/*
 * atomic_move.c --- whole, aligned windows of atomic files through
 * resize2fs's block mover.
 *
 * On an atomic_write filesystem every file flagged EXT4_ATOMIC_FL maps
 * each window of U = 1 << s_log_atomic_unit logical blocks to one
 * physical run that starts at a multiple of U.  resize2fs moves blocks
 * one by one to the first free block; left alone it breaks such
 * windows.  The hooks here make its own mover keep them:
 *
 *   blocks_to_move()   resize_atomic_mark_windows(): a window with any
 *                      block to move moves whole; its blocks below the
 *                      new end are freed in the new filesystem but
 *                      reserved, so nothing lands on them before they
 *                      are copied;
 *   block_mover()      resize_atomic_place_windows(): before the
 *                      single blocks, every such window gets a free
 *                      aligned run of the new filesystem (honouring
 *                      reserve_blocks and, first, avoiding blocks in use
 *                      in the old one, as get_new_block() does) and goes
 *                      into rfs->bmap whole; the copy loop and
 *                      inode_scan_and_fix() then move and translate it
 *                      like any block, so each block moves once;
 *   main.c             resize_atomic_refuse_shrink(): a shrink whose
 *                      windows cannot all find an aligned run below the
 *                      new end is refused before anything is written,
 *                      naming the smallest size that works;
 *   calculate_minimum_resize_size()
 *                      resize_atomic_min_size(): -P and -M count it.
 *
 * The counting (which windows must move, how many free aligned units
 * lie below an end, the smallest end that fits) is the library's:
 * ext2fs_atomic_shrink_plan() and ext2fs_atomic_shrink_min().
 */

#include "config.h"
#include "resize2fs.h"
#include "ext2fs/ext2fs_atomic.h"

#ifdef __linux__		/* as resize2fs.c: -d flags work */
#define RESIZE2FS_DEBUG
#endif

#define AVOID_OLD	1	/* as get_new_block(): first pass */
#define DESPERATION	2

/* Part of a window that lies in one extent: contiguous on disk. */
struct atomic_piece {
	blk64_t		pblk;	/* first physical block */
	blk64_t		off;	/* its place in the window, lblk % U */
	blk64_t		len;
};

/* A window that moves whole: pieces [first, first + nr). */
struct atomic_window {
	size_t		first;
	size_t		nr;
};

struct resize_atomic {
	blk64_t			unit;
	struct atomic_piece	*piece;
	size_t			nr_pieces, alloc_pieces;
	struct atomic_window	*win;
	size_t			nr_windows, alloc_windows;
	/* The window being collected. */
	__u64			cur;
	size_t			cur_first;
	int			open;
	/* The aligned allocator of block_mover(). */
	blk64_t			next;
	int			alloc_state;
};

/* The unit, when the rule can be broken by moving blocks; else 0. */
static blk64_t windows_matter(ext2_filsys fs)
{
	blk64_t unit;

	if (!ext2fs_has_feature_atomic_write(fs->super))
		return 0;
	unit = ext2fs_atomic_unit_blocks(fs);
	return unit > 1 ? unit : 0;
}

static errcode_t grow_array(void *array, size_t *alloc, size_t nr,
			    size_t elem)
{
	size_t want;
	errcode_t retval;

	if (nr < *alloc)
		return 0;
	want = *alloc ? *alloc * 2 : 256;
	retval = ext2fs_resize_mem(*alloc * elem, want * elem, array);
	if (!retval)
		*alloc = want;
	return retval;
}

/* Does any block of the window being collected have to move? */
static int window_moves(ext2_resize_t rfs, struct resize_atomic *ra)
{
	struct atomic_piece *p;
	blk64_t out;
	size_t i;

	for (i = ra->cur_first; i < ra->nr_pieces; i++) {
		p = &ra->piece[i];
		if (!ext2fs_find_first_set_block_bitmap2(rfs->move_blocks,
				p->pblk, p->pblk + p->len - 1, &out))
			return 1;
	}
	return 0;
}

/* Keep the window being collected if it moves, else forget it. */
static errcode_t close_window(ext2_resize_t rfs, struct resize_atomic *ra)
{
	errcode_t retval;

	if (!ra->open)
		return 0;
	ra->open = 0;
	if (!window_moves(rfs, ra)) {
		ra->nr_pieces = ra->cur_first;
		return 0;
	}
	retval = grow_array(&ra->win, &ra->alloc_windows, ra->nr_windows,
			    sizeof(struct atomic_window));
	if (retval)
		return retval;
	ra->win[ra->nr_windows].first = ra->cur_first;
	ra->win[ra->nr_windows++].nr = ra->nr_pieces - ra->cur_first;
	return 0;
}

/* One extent: its pieces, window by window. */
static errcode_t add_extent(ext2_resize_t rfs, struct resize_atomic *ra,
			    struct ext2fs_extent *e)
{
	blk64_t l = e->e_lblk, end = e->e_lblk + e->e_len, wend;
	blk64_t old_end = ext2fs_blocks_count(rfs->old_fs->super);
	struct atomic_piece *p;
	errcode_t retval;
	__u64 w;

	if (e->e_pblk < rfs->old_fs->super->s_first_data_block ||
	    e->e_pblk >= old_end || e->e_len > old_end - e->e_pblk)
		return EXT2_ET_BAD_BLOCK_NUM;
	for (; l < end; l = wend) {
		w = l / ra->unit;
		wend = (w + 1) * ra->unit < end ? (w + 1) * ra->unit : end;
		if (!ra->open || w != ra->cur) {
			retval = close_window(rfs, ra);
			if (retval)
				return retval;
			ra->open = 1;
			ra->cur = w;
			ra->cur_first = ra->nr_pieces;
		}
		retval = grow_array(&ra->piece, &ra->alloc_pieces,
				    ra->nr_pieces, sizeof(struct atomic_piece));
		if (retval)
			return retval;
		p = &ra->piece[ra->nr_pieces++];
		p->pblk = e->e_pblk + (l - e->e_lblk);
		p->off = l % ra->unit;
		p->len = wend - l;
	}
	return 0;
}

/* The windows of one atomic file that have a block to move. */
static errcode_t collect_file(ext2_resize_t rfs, struct resize_atomic *ra,
			      ext2_ino_t ino, struct ext2_inode *inode)
{
	ext2_extent_handle_t handle;
	struct ext2fs_extent e;
	errcode_t retval;

	retval = ext2fs_extent_open2(rfs->old_fs, ino, inode, &handle);
	if (retval)
		return retval;
	retval = ext2fs_extent_get(handle, EXT2_EXTENT_ROOT, &e);
	while (!retval) {
		if ((e.e_flags & EXT2_EXTENT_FLAGS_LEAF) && e.e_len) {
			retval = add_extent(rfs, ra, &e);
			if (retval)
				break;
		}
		retval = ext2fs_extent_get(handle, EXT2_EXTENT_NEXT_LEAF, &e);
	}
	if (retval == EXT2_ET_EXTENT_NO_NEXT || retval == EXT2_ET_NO_CURRENT_NODE)
		retval = 0;
	if (!retval)
		retval = close_window(rfs, ra);
	ext2fs_extent_free(handle);
	return retval;
}

struct collect_ctx {
	ext2_resize_t		rfs;
	errcode_t		err;
};

static int collect_inode(ext2_filsys fs, ext2_ino_t ino,
			 struct ext2_inode *inode, void *priv)
{
	struct collect_ctx *cc = priv;

	if (!LINUX_S_ISREG(inode->i_mode) ||
	    ext2fs_atomic_inode_valid(fs, inode))
		return 0;
	cc->err = collect_file(cc->rfs, cc->rfs->atomic, ino, inode);
	return cc->err != 0;
}

/*
 * A window's blocks that stock did not mark: mark them to move.  Those
 * below the new end are free in the new filesystem once the window has
 * moved; they stay reserved so that no moved block lands on them before
 * their contents are copied away.
 */
static void mark_piece(ext2_resize_t rfs, const struct atomic_piece *p)
{
	ext2_filsys fs = rfs->new_fs;
	blk64_t b, new_end = ext2fs_blocks_count(fs->super);

	for (b = p->pblk; b < p->pblk + p->len; b++) {
		if (ext2fs_test_block_bitmap2(rfs->move_blocks, b))
			continue;
		ext2fs_mark_block_bitmap2(rfs->move_blocks, b);
		rfs->needed_blocks++;
		if (b >= new_end)
			continue;
		/* Under bigalloc the whole cluster goes at its first block. */
		if (ext2fs_test_block_bitmap2(fs->block_map, b))
			ext2fs_block_alloc_stats2(fs, b, -1);
		ext2fs_mark_block_bitmap2(rfs->reserve_blocks, b);
	}
}

void resize_atomic_free(ext2_resize_t rfs)
{
	struct resize_atomic *ra = rfs->atomic;

	if (!ra)
		return;
	ext2fs_free_mem(&ra->piece);
	ext2fs_free_mem(&ra->win);
	ext2fs_free_mem(&rfs->atomic);
}

/*
 * Called at the end of blocks_to_move(), when rfs->move_blocks holds
 * every block the resize must move: extend it to whole windows.
 */
errcode_t resize_atomic_mark_windows(ext2_resize_t rfs)
{
	struct collect_ctx cc = { rfs, 0 };
	struct resize_atomic *ra;
	blk64_t unit = windows_matter(rfs->old_fs);
	errcode_t retval;
	size_t w, i;

	if (!unit)
		return 0;
	retval = ext2fs_get_memzero(sizeof(*ra), &rfs->atomic);
	if (retval)
		return retval;
	ra = rfs->atomic;
	ra->unit = unit;
	retval = ext2fs_atomic_scan_inodes(rfs->old_fs, collect_inode, &cc);
	if (!retval)
		retval = cc.err;
	if (retval) {
		resize_atomic_free(rfs);
		return retval;
	}
	for (w = 0; w < ra->nr_windows; w++)
		for (i = 0; i < ra->win[w].nr; i++)
			mark_piece(rfs, &ra->piece[ra->win[w].first + i]);
#ifdef RESIZE2FS_DEBUG
	if (rfs->flags & RESIZE_DEBUG_BMOVE)
		printf("Atomic write windows to move whole: %llu\n",
		       (unsigned long long) ra->nr_windows);
#endif
	return 0;
}

/*
 * The first aligned block from which a unit could be free, given map:
 * blk if [blk, blk + unit) is clear in map, else past the busy stretch
 * that starts at the first block set there.  map covers up to map_end.
 */
static blk64_t skip_busy(ext2fs_block_bitmap map, blk64_t blk, blk64_t unit,
			 blk64_t map_end)
{
	blk64_t last = blk + unit < map_end ? blk + unit - 1 : map_end - 1;
	blk64_t busy, free;

	if (blk >= map_end ||
	    ext2fs_find_first_set_block_bitmap2(map, blk, last, &busy))
		return blk;
	if (ext2fs_find_first_zero_block_bitmap2(map, busy, map_end - 1,
						 &free))
		free = map_end;
	return (free + unit - 1) / unit * unit;
}

/*
 * The next free aligned unit of the new filesystem, by get_new_block()'s
 * rules: free in the new block map, not reserved and, while avoiding the
 * old filesystem, not in use there either.
 */
static errcode_t get_new_run(ext2_resize_t rfs, blk64_t *ret)
{
	struct resize_atomic *ra = rfs->atomic;
	ext2_filsys fs = rfs->new_fs, old_fs = rfs->old_fs;
	blk64_t unit = ra->unit, end = ext2fs_blocks_count(fs->super);
	blk64_t old_end = ext2fs_blocks_count(old_fs->super), next;

	for (;;) {
		if (ra->next + unit > end) {
			if (ra->alloc_state == DESPERATION)
				return ENOSPC;
			ra->alloc_state = DESPERATION;
			ra->next = fs->super->s_first_data_block;
			ra->next = (ra->next + unit - 1) / unit * unit;
			continue;
		}
		next = skip_busy(fs->block_map, ra->next, unit, end);
		if (next == ra->next)
			next = skip_busy(rfs->reserve_blocks, ra->next, unit,
					 end);
		if (next == ra->next && ra->alloc_state == AVOID_OLD)
			next = skip_busy(old_fs->block_map, ra->next, unit,
					 old_end);
		if (next == ra->next) {
			*ret = ra->next;
			ra->next += unit;
			return 0;
		}
		ra->next = next;
	}
}

/* Record a piece of a window placed at dest in the translation table. */
static errcode_t place_piece(ext2_resize_t rfs, const struct atomic_piece *p,
			     blk64_t dest, int *to_move)
{
	ext2_filsys fs = rfs->new_fs;
	blk64_t c, first = EXT2FS_B2C(fs, p->pblk);
	blk64_t last = EXT2FS_B2C(fs, p->pblk + p->len - 1);
	blk64_t to = EXT2FS_B2C(fs, dest + p->off);
	errcode_t retval;

	ext2fs_block_alloc_stats_range(fs, dest + p->off, p->len, +1);
	for (c = first; c <= last; c++) {
		retval = ext2fs_add_extent_entry(rfs->bmap, c, to + (c - first));
		if (retval)
			return retval;
		(*to_move)++;
	}
	/* In rfs->bmap now: the single-block loop must not see them. */
	ext2fs_unmark_block_bitmap_range2(rfs->move_blocks, p->pblk, p->len);
#ifdef RESIZE2FS_DEBUG
	if (rfs->flags & RESIZE_DEBUG_BMOVE)
		printf("Atomic window piece %llu->%llu (%llu blocks)\n",
		       (unsigned long long) p->pblk,
		       (unsigned long long) (dest + p->off),
		       (unsigned long long) p->len);
#endif
	return 0;
}

/*
 * Called by block_mover() before it allocates single blocks: every
 * window marked by resize_atomic_mark_windows() gets an aligned run and
 * goes into rfs->bmap whole.  *to_move counts the entries, as the
 * single-block loop does.
 */
errcode_t resize_atomic_place_windows(ext2_resize_t rfs, int *to_move)
{
	struct resize_atomic *ra = rfs->atomic;
	struct atomic_window *w;
	blk64_t dest;
	errcode_t retval = 0;
	size_t i, j;

	if (!ra)
		return 0;
	ra->alloc_state = AVOID_OLD;
	ra->next = rfs->new_fs->super->s_first_data_block;
	ra->next = (ra->next + ra->unit - 1) / ra->unit * ra->unit;
	for (i = 0; !retval && i < ra->nr_windows; i++) {
		w = &ra->win[i];
		retval = get_new_run(rfs, &dest);
		for (j = 0; !retval && j < w->nr; j++)
			retval = place_piece(rfs, &ra->piece[w->first + j],
					     dest, to_move);
	}
	resize_atomic_free(rfs);
	return retval;
}

/*
 * calculate_minimum_resize_size()'s result, raised so that the windows
 * a shrink to it must move find free aligned units below its end.  When
 * that cannot be worked out, the filesystem cannot be shrunk safely:
 * its current size.
 */
blk64_t resize_atomic_min_size(ext2_filsys fs, int flags, blk64_t min)
{
	ext2fs_atomic_alloc_t ac = NULL;
	blk64_t aligned = min;
	errcode_t retval;

	if (!windows_matter(fs) || min >= ext2fs_blocks_count(fs->super))
		return min;
	retval = ext2fs_atomic_alloc_open(fs, &ac);
	if (!retval)
		retval = ext2fs_atomic_shrink_min(ac, min, &aligned);
	ext2fs_atomic_alloc_close(ac);
	if (retval)
		aligned = ext2fs_blocks_count(fs->super);
#ifdef RESIZE2FS_DEBUG
	if (flags & RESIZE_DEBUG_MIN_CALC)
		printf("Aligned for atomic write windows: %llu\n",
		       (unsigned long long) aligned);
#else
	(void) flags;
#endif
	return aligned;
}

/*
 * Before an offline shrink to new_size: can every window the shrink
 * cuts off (or that lies where the shrink puts metadata) find a free
 * aligned unit below the new end?  If not, say so, and the smallest
 * size that works, and return 1: nothing has been written yet.
 */
int resize_atomic_refuse_shrink(ext2_filsys fs, blk64_t new_size)
{
	struct ext2fs_atomic_shrink_plan plan;
	ext2fs_atomic_alloc_t ac = NULL;
	blk64_t min;
	errcode_t retval;

	if (!windows_matter(fs) || new_size >= ext2fs_blocks_count(fs->super))
		return 0;
	ext2fs_atomic_init();
	retval = ext2fs_atomic_alloc_open(fs, &ac);
	if (!retval)
		retval = ext2fs_atomic_shrink_plan(ac, new_size, &plan);
	if (retval == EXT2_ET_ATOMIC_SHRINK_NO_SPACE) {
		com_err(program_name, retval,
			_("(%s: %llu atomic write window(s) must move below "
			  "block %llu, %llu free aligned unit(s) there)"),
			fs->device_name, (unsigned long long) plan.windows,
			(unsigned long long) plan.end,
			(unsigned long long) plan.slots);
		if (!ext2fs_atomic_shrink_min(ac, new_size, &min))
			fprintf(stderr, _("The smallest size that keeps atomic "
					  "files aligned is %llu (%dk) blocks; "
					  "nothing was changed.\n"),
				(unsigned long long) min, fs->blocksize / 1024);
		else
			fputs(_("Nothing was changed.\n"), stderr);
	} else if (retval == EXT2_ET_TOOSMALL) {
		retval = 0;	/* resize_fs() says it its way */
	} else if (retval) {
		com_err(program_name, retval,
			_("while checking the atomic write windows of %s"),
			fs->device_name);
		fputs(_("Nothing was changed.\n"), stderr);
	}
	ext2fs_atomic_alloc_close(ac);
	return retval != 0;
}
