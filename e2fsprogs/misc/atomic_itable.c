// SPDX-License-Identifier: GPL-2.0
/*
 * atomic_itable.c --- tune2fs -I keeps atomic files' windows whole and
 * aligned.
 *
 * Growing the inodes needs the blocks right after each inode table;
 * tune2fs' move_block() gives every used block there a new home, one
 * block at a time, and inode_scan_and_fix() rewrites the references.
 * Before that, atomic_plan_moves() finds each window of an atomic file
 * that has a block to move and gives the whole window a free aligned
 * run of the library's allocator: the window's other blocks join the
 * blocks to move, and move_block() takes their new homes from the plan
 * (atomic_move_dest()) instead of allocating one by one.  The blocks a
 * window leaves outside the inode tables' new area are free again
 * after the references are rewritten (atomic_release_moved()).  With no
 * aligned run free the plan fails, before anything is written.
 */

#include "config.h"
#include <stdlib.h>
#include <string.h>

#include "atomic_args.h"

struct atomic_run {
	blk64_t	old;
	blk64_t	dest;
	blk64_t	len;
};

struct atomic_moves {
	struct atomic_run	*runs;
	size_t			nr, alloc;
	ext2fs_block_bitmap	added;	/* moved, outside the old plan */
};

struct plan {
	struct atomic_moves	*am;
	ext2fs_atomic_alloc_t	ac;
	ext2fs_block_bitmap	bmap;
	blk64_t			unit;
	struct ext2fs_extent	*ext;	/* the file's leaf extents */
	size_t			nr_ext, alloc_ext;
	errcode_t		retval;
};

static errcode_t grow(void **array, size_t *alloc, size_t nr, size_t size)
{
	size_t n = *alloc ? *alloc * 2 : 64;

	if (nr < *alloc)
		return 0;
	*alloc = n;
	return ext2fs_resize_mem(0, n * size, array);
}

static errcode_t add_run(struct atomic_moves *am, blk64_t old, blk64_t dest,
			 blk64_t len)
{
	errcode_t retval;

	retval = grow((void **) &am->runs, &am->alloc, am->nr,
		      sizeof(*am->runs));
	if (retval)
		return retval;
	am->runs[am->nr].old = old;
	am->runs[am->nr].dest = dest;
	am->runs[am->nr].len = len;
	am->nr++;
	return 0;
}

static errcode_t read_extents(struct plan *p, ext2_ino_t ino,
			      struct ext2_inode *inode)
{
	ext2_extent_handle_t handle;
	struct ext2fs_extent extent;
	errcode_t retval;

	p->nr_ext = 0;
	retval = ext2fs_extent_open2(ext2fs_atomic_alloc_fs(p->ac), ino,
				     inode, &handle);
	if (retval)
		return retval;
	retval = ext2fs_extent_get(handle, EXT2_EXTENT_ROOT, &extent);
	while (!retval) {
		if ((extent.e_flags & EXT2_EXTENT_FLAGS_LEAF) &&
		    extent.e_len) {
			retval = grow((void **) &p->ext, &p->alloc_ext,
				      p->nr_ext, sizeof(*p->ext));
			if (retval)
				break;
			p->ext[p->nr_ext++] = extent;
		}
		retval = ext2fs_extent_get(handle, EXT2_EXTENT_NEXT_LEAF,
					   &extent);
	}
	ext2fs_extent_free(handle);
	return retval == EXT2_ET_EXTENT_NO_NEXT ? 0 : retval;
}

/* The part of extent e inside window w: *l0, *p0 and its length. */
static blk64_t piece(const struct plan *p, const struct ext2fs_extent *e,
		     __u64 w, blk64_t *l0, blk64_t *p0)
{
	blk64_t a = w * p->unit, b = a + p->unit;
	blk64_t e1 = e->e_lblk + e->e_len;

	if (e1 <= a || e->e_lblk >= b)
		return 0;
	*l0 = e->e_lblk > a ? e->e_lblk : a;
	*p0 = e->e_pblk + (*l0 - e->e_lblk);
	return (e1 < b ? e1 : b) - *l0;
}

/* The first extent with a piece in window w, going back from extent i. */
static size_t first_of(const struct plan *p, size_t i, __u64 w)
{
	blk64_t l0, p0;

	while (i > 0 && piece(p, &p->ext[i - 1], w, &l0, &p0))
		i--;
	return i;
}

static int window_to_move(const struct plan *p, size_t first, __u64 w)
{
	blk64_t l0, p0, len, hit;
	size_t i;

	for (i = first; i < p->nr_ext; i++) {
		len = piece(p, &p->ext[i], w, &l0, &p0);
		if (!len)
			break;
		if (!ext2fs_find_first_set_block_bitmap2(p->bmap, p0,
							 p0 + len - 1, &hit))
			return 1;
	}
	return 0;
}

/* Window w, whose first piece is in extent first, to an aligned run. */
static errcode_t move_window(struct plan *p, size_t first, __u64 w)
{
	ext2_filsys fs = ext2fs_atomic_alloc_fs(p->ac);
	blk64_t l0, p0, len, dest, blk;
	errcode_t retval;
	size_t i;

	piece(p, &p->ext[first], w, &l0, &p0);
	retval = ext2fs_atomic_find_run(p->ac, p0 - p0 % p->unit, 0,
					p->unit, &dest);
	if (retval)
		return retval;
	for (i = first; i < p->nr_ext; i++) {
		len = piece(p, &p->ext[i], w, &l0, &p0);
		if (!len)
			break;
		retval = add_run(p->am, p0, dest + l0 - w * p->unit, len);
		if (retval)
			return retval;
		ext2fs_mark_block_bitmap_range2(fs->block_map,
						dest + l0 - w * p->unit, len);
		for (blk = p0; blk < p0 + len; blk++) {
			if (ext2fs_test_block_bitmap2(p->bmap, blk))
				continue;
			ext2fs_mark_block_bitmap2(p->bmap, blk);
			ext2fs_mark_block_bitmap2(p->am->added, blk);
		}
	}
	return 0;
}

static int plan_file(ext2_filsys fs EXT2FS_ATTR((unused)), ext2_ino_t ino,
		     struct ext2_inode *inode, void *priv)
{
	struct plan *p = priv;
	__u64 w, last = ~0ULL;
	size_t i, first;

	if (!LINUX_S_ISREG(inode->i_mode) ||
	    !(inode->i_flags & EXT4_EXTENTS_FL))
		return 0;
	p->retval = read_extents(p, ino, inode);
	for (i = 0; !p->retval && i < p->nr_ext; i++) {
		for (w = p->ext[i].e_lblk / p->unit;
		     w * p->unit < p->ext[i].e_lblk + p->ext[i].e_len; w++) {
			if (w == last)
				continue;	/* moved whole already */
			first = first_of(p, i, w);
			if (!window_to_move(p, first, w))
				continue;
			p->retval = move_window(p, first, w);
			if (p->retval)
				break;
			last = w;
		}
	}
	return p->retval != 0;
}

static int cmp_run(const void *a, const void *b)
{
	const struct atomic_run *x = a, *y = b;

	return x->old < y->old ? -1 : x->old > y->old;
}

/*
 * Plan the moves of every window of an atomic file that has a block in
 * bmap (the blocks to move), marking the rest of those windows in bmap
 * and their destinations in the block bitmap.  *ret stays NULL when
 * the filesystem has no atomic_write.
 */
errcode_t atomic_plan_moves(ext2_filsys fs, ext2fs_block_bitmap bmap,
			    struct atomic_moves **ret)
{
	struct plan p;
	errcode_t retval;

	*ret = NULL;
	if (!ext2fs_has_feature_atomic_write(fs->super) ||
	    ext2fs_atomic_unit_blocks(fs) < 2)
		return 0;
	ext2fs_atomic_init();
	memset(&p, 0, sizeof(p));
	p.bmap = bmap;
	p.unit = ext2fs_atomic_unit_blocks(fs);
	retval = ext2fs_get_memzero(sizeof(*p.am), &p.am);
	if (!retval)
		retval = ext2fs_allocate_block_bitmap(fs, "moved atomic blocks",
						      &p.am->added);
	if (!retval)
		retval = ext2fs_atomic_alloc_open(fs, &p.ac);
	if (!retval)
		retval = ext2fs_atomic_scan_inodes(fs, plan_file, &p);
	if (!retval)
		retval = p.retval;
	if (p.ac)
		ext2fs_atomic_alloc_close(p.ac);
	ext2fs_free_mem(&p.ext);
	if (retval) {
		atomic_free_moves(&p.am);
		return retval;
	}
	qsort(p.am->runs, p.am->nr, sizeof(*p.am->runs), cmp_run);
	*ret = p.am;
	return 0;
}

/* move_block(): the planned home of blk, if it belongs to a window. */
int atomic_move_dest(struct atomic_moves *am, blk64_t blk, blk64_t *dest)
{
	size_t lo = 0, hi = am ? am->nr : 0, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (blk < am->runs[mid].old)
			hi = mid;
		else if (blk >= am->runs[mid].old + am->runs[mid].len)
			lo = mid + 1;
		else {
			*dest = am->runs[mid].dest + blk - am->runs[mid].old;
			return 1;
		}
	}
	return 0;
}

/* After the references are rewritten: the windows' old blocks are free. */
void atomic_release_moved(ext2_filsys fs, struct atomic_moves *am)
{
	blk64_t blk = fs->super->s_first_data_block, end, next;

	if (!am)
		return;
	end = ext2fs_blocks_count(fs->super) - 1;
	while (blk <= end &&
	       !ext2fs_find_first_set_block_bitmap2(am->added, blk, end,
						    &blk)) {
		if (ext2fs_find_first_zero_block_bitmap2(am->added, blk, end,
							 &next))
			next = end + 1;
		ext2fs_unmark_block_bitmap_range2(fs->block_map, blk,
						  next - blk);
		blk = next;
	}
}

void atomic_free_moves(struct atomic_moves **am)
{
	if (!*am)
		return;
	if ((*am)->added)
		ext2fs_free_block_bitmap((*am)->added);
	ext2fs_free_mem(&(*am)->runs);
	ext2fs_free_mem(am);
}
