/*
 * atomic_batch.c --- the order in which the library's changes reach the
 * disk, and the batching that keeps that order cheap.
 *
 * A write is durable only after the next flush; between two flushes
 * the page cache and the disk may put any subset of the writes on the
 * platter, in any order.  So every change follows three rules:
 *
 *   1. what a switch points at (copied data, zeroed blocks, new extent
 *      tree blocks) is flushed before the switch (the inode write,
 *      where the tree's root lives) is issued;
 *   2. a block a switch unlinks is handed out again only after a flush
 *      that follows the switch;
 *   3. bitmaps, group descriptors and the superblock (written when the
 *      filesystem is closed) come after a flush of every switch, so a
 *      crash leaves at worst blocks marked in use that no file maps,
 *      which e2fsck's pass 5 gives back.
 *
 * The allocator carries the batch.  Changes copy data and write new
 * tree blocks at once, but change only the inode in memory and queue
 * it here (atomic_queue_inode); blocks they unlink are queued too
 * (ext2fs_atomic_free_blocks) and stay taken.  A commit is one flush, then the
 * queued inodes written, then the blocks unlinked by the previous
 * commit handed back (its inode writes are behind that flush).  So
 * many windows of many files cost one flush.
 *
 * Public calls commit when they return (atomic_end), so a caller that
 * goes on to read the inode with libext2fs sees the change, unless
 * the caller asked for batching (e2fsck's pass over every atomic file):
 * then commits happen when the batch is full, on ext2fs_atomic_commit()
 * and when the allocator is closed.  Inodes read while a batch is open
 * come from ext2fs_atomic_read_inode(), which knows the queued copies.
 */

#include <string.h>

#include "atomic_int.h"

#define BATCH_INODES	256	/* queued inodes that force a commit */
#define BATCH_BLOCKS	16384	/* blocks held back from reuse: likewise */

struct queued_inode {
	ext2_ino_t		ino;
	struct ext2_inode	inode;
};

struct range {
	blk64_t	blk, len;
};

struct range_list {
	struct range	*r;
	size_t		nr, alloc;
	blk64_t		blocks;
};

struct atomic_batch {
	struct queued_inode	*q;
	size_t			nr_q;
	struct range_list	unlinking;	/* its switch is queued */
	struct range_list	unlinked;	/* its switch is written */
	int			batching;	/* commit only when full */
	int			depth;		/* public calls under way */
};

errcode_t atomic_room_for(void *array, size_t *alloc, size_t nr,
			  size_t elem)
{
	size_t n = *alloc ? 2 * *alloc : 64;
	errcode_t retval;

	if (nr < *alloc)
		return 0;
	retval = ext2fs_resize_mem(*alloc * elem, n * elem, array);
	if (!retval)
		*alloc = n;
	return retval;
}

errcode_t atomic_batch_new(struct atomic_batch **ret)
{
	struct atomic_batch *b;
	errcode_t retval;

	retval = ext2fs_get_memzero(sizeof(*b), &b);
	if (retval)
		return retval;
	retval = ext2fs_get_array(BATCH_INODES, sizeof(*b->q), &b->q);
	if (retval) {
		ext2fs_free_mem(&b);
		return retval;
	}
	*ret = b;
	return 0;
}

void atomic_batch_free(struct atomic_batch *b)
{
	if (!b)
		return;
	ext2fs_free_mem(&b->q);
	ext2fs_free_mem(&b->unlinking.r);
	ext2fs_free_mem(&b->unlinked.r);
	ext2fs_free_mem(&b);
}

static struct queued_inode *find_queued(struct atomic_batch *b,
					ext2_ino_t ino)
{
	size_t i;

	for (i = 0; i < b->nr_q; i++)
		if (b->q[i].ino == ino)
			return &b->q[i];
	return NULL;
}

static errcode_t range_add(struct range_list *l, blk64_t blk, blk64_t len)
{
	errcode_t retval;

	retval = atomic_room_for(&l->r, &l->alloc, l->nr, sizeof(*l->r));
	if (retval)
		return retval;
	l->r[l->nr].blk = blk;
	l->r[l->nr++].len = len;
	l->blocks += len;
	return 0;
}

/* Hand the blocks of l back to the filesystem and the allocator. */
static void release(ext2fs_atomic_alloc_t ac, struct range_list *l)
{
	size_t i;

	for (i = 0; i < l->nr; i++)
		atomic_release_blocks(ac, l->r[i].blk, l->r[i].len);
	l->nr = 0;
	l->blocks = 0;
}

/* Flush, and free what the switches before the flush unlinked. */
static errcode_t flush(ext2fs_atomic_alloc_t ac)
{
	struct atomic_batch *b = atomic_alloc_batch(ac);
	errcode_t retval;

	retval = io_channel_flush(ext2fs_atomic_alloc_fs(ac)->io);
	if (!retval)
		release(ac, &b->unlinked);
	return retval;
}

/*
 * Rule 1: one flush puts every copy and new tree block of the batch on
 * disk; then the switches.  What they unlink waits for the next flush.
 */
errcode_t ext2fs_atomic_commit(ext2fs_atomic_alloc_t ac)
{
	struct atomic_batch *b = atomic_alloc_batch(ac);
	ext2_filsys fs = ext2fs_atomic_alloc_fs(ac);
	struct range_list tmp;
	errcode_t retval;
	size_t i;

	if (!b->nr_q && !b->unlinking.nr && !b->unlinked.nr)
		return 0;
	retval = flush(ac);
	for (i = 0; i < b->nr_q && !retval; i++)
		retval = ext2fs_write_inode(fs, b->q[i].ino, &b->q[i].inode);
	if (retval)
		return retval;
	b->nr_q = 0;
	/* The unlinked list is empty after the flush: swap the two. */
	tmp = b->unlinked;
	b->unlinked = b->unlinking;
	b->unlinking = tmp;
	return 0;
}

/* Everything on disk and every unlinked block free again. */
errcode_t ext2fs_atomic_sync(ext2fs_atomic_alloc_t ac)
{
	struct atomic_batch *b = atomic_alloc_batch(ac);
	errcode_t retval;

	retval = ext2fs_atomic_commit(ac);
	if (!retval && b->unlinked.nr)
		retval = flush(ac);
	return retval;
}

void ext2fs_atomic_set_batching(ext2fs_atomic_alloc_t ac, int on)
{
	atomic_alloc_batch(ac)->batching = on;
}

/* Would a commit now let blocks be handed out again? */
int atomic_batch_holds_blocks(ext2fs_atomic_alloc_t ac)
{
	struct atomic_batch *b = atomic_alloc_batch(ac);

	return b->unlinking.nr || b->unlinked.nr;
}

/*
 * Queue the switch of one inode: its in-memory copy, which holds every
 * change made so far (a later queue of the same inode replaces it).
 */
errcode_t atomic_queue_inode(ext2fs_atomic_alloc_t ac, ext2_ino_t ino,
			     const struct ext2_inode *inode)
{
	struct atomic_batch *b = atomic_alloc_batch(ac);
	struct queued_inode *q = find_queued(b, ino);
	errcode_t retval;

	if (!q && b->nr_q == BATCH_INODES) {
		retval = ext2fs_atomic_commit(ac);
		if (retval)
			return retval;
	}
	if (!q) {
		q = &b->q[b->nr_q++];
		q->ino = ino;
	}
	q->inode = *inode;
	return 0;
}

/*
 * Blocks a queued switch unlinks (rule 2).  They stay taken until the
 * flush after the commit that writes the switch.  Blocks that nothing
 * on disk ever pointed to may go back at once with
 * ext2fs_block_alloc_stats_range().
 */
errcode_t ext2fs_atomic_free_blocks(ext2fs_atomic_alloc_t ac, blk64_t blk,
				    blk64_t len)
{
	struct atomic_batch *b = atomic_alloc_batch(ac);
	errcode_t retval;

	if (!len)
		return 0;
	retval = range_add(&b->unlinking, blk, len);
	if (!retval && b->unlinking.blocks + b->unlinked.blocks >=
	    BATCH_BLOCKS)
		retval = ext2fs_atomic_commit(ac);
	return retval;
}

/* A public call that changes files begins... */
void atomic_begin(ext2fs_atomic_alloc_t ac)
{
	atomic_alloc_batch(ac)->depth++;
}

/*
 * ... and ends: the outermost one commits, unless the caller batches
 * (a full batch commits on its own: atomic_queue_inode and
 * ext2fs_atomic_free_blocks).  retval is the call's own result.
 */
errcode_t atomic_end(ext2fs_atomic_alloc_t ac, errcode_t retval)
{
	struct atomic_batch *b = atomic_alloc_batch(ac);
	errcode_t err = 0;

	if (--b->depth > 0 || b->batching)
		return retval;
	err = ext2fs_atomic_commit(ac);
	return retval ? retval : err;
}

errcode_t ext2fs_atomic_read_inode(ext2fs_atomic_alloc_t ac, ext2_ino_t ino,
				   struct ext2_inode *inode)
{
	struct queued_inode *q = find_queued(atomic_alloc_batch(ac), ino);

	if (!q)
		return ext2fs_read_inode(ext2fs_atomic_alloc_fs(ac), ino,
					 inode);
	*inode = q->inode;
	return 0;
}

/*
 * Write an inode in the batch's order: a change the caller makes to a
 * file the batch may hold (clearing its flag after a partial repair).
 */
errcode_t ext2fs_atomic_write_inode(ext2fs_atomic_alloc_t ac, ext2_ino_t ino,
				    struct ext2_inode *inode)
{
	errcode_t retval;

	atomic_begin(ac);
	retval = atomic_queue_inode(ac, ino, inode);
	return atomic_end(ac, retval);
}
