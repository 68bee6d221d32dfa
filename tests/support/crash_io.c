// SPDX-License-Identifier: GPL-2.0
/*
 * crash_io.c --- an I/O manager that stops applying writes after the
 * Nth one (in torn mode, after applying the first k sectors of 512
 * bytes of the next one).  Every write entry point (blocks, discard,
 * zeroout) counts as one write; discard and zeroout are never torn.
 * Reads and everything else go to the unix manager unchanged.
 *
 * In reorder mode (crash_io_set_epoch) it counts flushes instead: the
 * writes of the chosen epoch are logged, each with the pages it is
 * about to change (read through a descriptor of its own on the image,
 * so the log holds what the file held, whatever the unix manager's
 * cache has), and everything after the epoch's closing flush is
 * dropped.  The unix manager's cache is written out at every flush, so
 * at the start of an epoch the file holds every earlier epoch whole:
 * the first saved copy of a page is its content at the epoch's start.
 *
 * It has no write_byte, so libext2fs writes the primary superblock
 * whole (one write) rather than in changed 2-byte pieces; the pieces
 * are libext2fs' own habit, not the atomic library's.  That write can
 * still be torn: e2fsck then falls back to a backup superblock where
 * there is one (stock e2fsck 1.47.0 gives up on an image of one block
 * group; test_crash.c counts those states apart).
 */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crash_io.h"
#include "crash_model.h"
#include "wrapio.h"

/* A channel: the unix manager's, and the image for the reorder log. */
struct crash_chan {
	io_channel	real;
	int		fd;
};

static long budget = -1;
static long writes;
static int torn;		/* sectors a torn write applies; 0: no tear */
static int trace;		/* E2ATOMIC_CRASH_TRACE, read per run */
static long epoch = -1;		/* reorder mode's crash epoch; < 0: off */
static char epoch_log[PATH_MAX];
static long flushes;

/* The pieces the last reorder run logged, as crash_model_log cuts them. */
static struct logged {
	unsigned long long	off;
	unsigned int		len;
} *logged;
static long nr_logged, max_logged;

static void start_run(void)
{
	writes = 0;
	flushes = 0;
	trace = getenv("E2ATOMIC_CRASH_TRACE") != NULL;
}

void crash_io_set_budget(long n)
{
	budget = n;
	epoch = -1;
	start_run();
}

void crash_io_set_epoch(long e, const char *log)
{
	budget = -1;
	epoch = e;
	if (e >= 0)
		nr_logged = 0;
	snprintf(epoch_log, sizeof(epoch_log), "%s", log ? log : "");
	start_run();
}

long crash_io_flushes(void)
{
	return flushes;
}

int crash_io_piece(long i, unsigned long long *off, unsigned int *len)
{
	if (i < 0 || i >= nr_logged)
		return -1;
	*off = logged[i].off;
	*len = logged[i].len;
	return 0;
}

/* Remember the pieces of a logged write (one per page it touches). */
static int remember_pieces(unsigned long long off, unsigned long long len)
{
	unsigned long long n;
	struct logged *tmp;

	for (; len; off += n, len -= n) {
		n = CRASH_PAGE - off % CRASH_PAGE;
		if (n > len)
			n = len;
		if (nr_logged == max_logged) {
			max_logged = max_logged ? 2 * max_logged : 256;
			tmp = realloc(logged, max_logged * sizeof(*logged));
			if (!tmp)
				return -1;
			logged = tmp;
		}
		logged[nr_logged].off = off;
		logged[nr_logged++].len = n;
	}
	return 0;
}

void crash_io_set_torn(int sectors)
{
	torn = sectors;
}

long crash_io_writes(void)
{
	return writes;
}

#define SPENT	(-2)		/* budget used up, and the tear done */

/*
 * Count a write of *count units (blocks of bsize bytes, or bytes when
 * negative, as libext2fs has it).  True if (part of) it reaches the
 * disk; a torn write's *count becomes its first torn * 512 bytes.
 */
static int may_write(long long *count, int bsize)
{
	long long bytes = *count < 0 ? -*count : *count * bsize;

	writes++;
	if (budget == SPENT)
		return 0;
	if (budget < 0)
		return 1;
	if (budget > 0) {
		budget--;
		return 1;
	}
	budget = SPENT;
	if (!torn)
		return 0;
	if (bytes > torn * 512LL)
		*count = -(torn * 512LL);
	return 1;
}

/*
 * Reorder mode: does a write of len bytes at off reach the file?  The
 * crash epoch's writes are logged first; a log that cannot be written
 * fails the write (*err), so that the test sees it.
 */
static int epoch_allows(io_channel channel, unsigned long long off,
			unsigned long long len, const void *data,
			errcode_t *err)
{
	struct crash_chan *c = channel->private_data;

	*err = 0;
	if (epoch < 0 || flushes < epoch)
		return 1;
	if (flushes > epoch)
		return 0;
	if (crash_model_log(epoch_log, c->fd, off, len, data) ||
	    remember_pieces(off, len)) {
		*err = errno ? errno : EIO;
		fprintf(stderr, "crash_io: logging to %s: %s\n", epoch_log,
			strerror(*err));
		return 0;
	}
	return 1;
}

static io_channel inner(io_channel channel)
{
	return ((struct crash_chan *) channel->private_data)->real;
}

static errcode_t crash_open(const char *name, int flags, io_channel *ret)
{
	struct crash_chan *c;
	errcode_t retval;

	retval = ext2fs_get_memzero(sizeof(*c), &c);
	if (retval)
		return retval;
	c->fd = open(name, O_RDONLY | O_CLOEXEC);
	retval = unix_io_manager->open(name, flags, &c->real);
	if (!retval)
		retval = wrapio_new(crash_io_manager, name, c->real, c, ret);
	if (!retval)
		return 0;
	if (c->real)
		io_channel_close(c->real);
	if (c->fd >= 0)
		close(c->fd);
	ext2fs_free_mem(&c);
	return retval;
}

static errcode_t crash_close(io_channel channel)
{
	struct crash_chan *c = channel->private_data;
	errcode_t retval;

	if (--channel->refcount > 0)
		return 0;
	retval = io_channel_close(c->real);
	if (c->fd >= 0)
		close(c->fd);
	ext2fs_free_mem(&c);
	wrapio_free(channel);
	return retval;
}

static errcode_t crash_set_blksize(io_channel channel, int blksize)
{
	channel->block_size = blksize;
	return io_channel_set_blksize(inner(channel), blksize);
}

static errcode_t crash_read_blk64(io_channel channel, unsigned long long block,
				  int count, void *data)
{
	return io_channel_read_blk64(inner(channel), block, count, data);
}

static errcode_t crash_read_blk(io_channel channel, unsigned long block,
				int count, void *data)
{
	return crash_read_blk64(channel, block, count, data);
}

static errcode_t crash_write_blk64(io_channel channel,
				   unsigned long long block, int count,
				   const void *data)
{
	long long n = count;
	long long bytes = count < 0 ? -(long long) count :
			  (long long) count * channel->block_size;
	errcode_t err;

	if (trace)
		fprintf(stderr, "crash_io: write %ld: block %llu count %d\n",
			writes + 1, block, count);
	if (!may_write(&n, channel->block_size))
		return 0;
	if (!epoch_allows(channel, block * channel->block_size, bytes, data,
			  &err))
		return err;
	return io_channel_write_blk64(inner(channel), block, n, data);
}

static errcode_t crash_write_blk(io_channel channel, unsigned long block,
				 int count, const void *data)
{
	return crash_write_blk64(channel, block, count, data);
}

/*
 * Every flush reaches the unix manager: flush epoch + 1 writes out the
 * crash epoch's last cached blocks, and after it nothing is left to.
 */
static errcode_t crash_flush(io_channel channel)
{
	flushes++;
	if (trace)
		fprintf(stderr, "crash_io: flush %ld after write %ld\n",
			flushes, writes);
	return io_channel_flush(inner(channel));
}

static errcode_t crash_set_option(io_channel channel, const char *option,
				  const char *arg)
{
	io_channel in = inner(channel);

	if (!in->manager->set_option)
		return EXT2_ET_INVALID_ARGUMENT;
	return in->manager->set_option(in, option, arg);
}

static errcode_t crash_discard(io_channel channel, unsigned long long block,
			       unsigned long long count)
{
	long long n = count;
	errcode_t err;

	if (trace)
		fprintf(stderr, "crash_io: write %ld: discard block %llu count "
			"%llu\n", writes + 1, block, count);
	if (!may_write(&n, 0))
		return 0;
	if (!epoch_allows(channel, block * channel->block_size,
			  count * channel->block_size, NULL, &err))
		return err;
	return io_channel_discard(inner(channel), block, n);
}

static errcode_t crash_zeroout(io_channel channel, unsigned long long block,
			       unsigned long long count)
{
	long long n = count;
	errcode_t err;

	if (trace)
		fprintf(stderr, "crash_io: write %ld: zeroout block %llu count "
			"%llu\n", writes + 1, block, count);
	if (!may_write(&n, 0))
		return 0;
	if (!epoch_allows(channel, block * channel->block_size,
			  count * channel->block_size, NULL, &err))
		return err;
	return io_channel_zeroout(inner(channel), block, n);
}

static struct struct_io_manager struct_crash_manager = {
	.magic		= EXT2_ET_MAGIC_IO_MANAGER,
	.name		= "crash test I/O manager",
	.open		= crash_open,
	.close		= crash_close,
	.set_blksize	= crash_set_blksize,
	.read_blk	= crash_read_blk,
	.write_blk	= crash_write_blk,
	.flush		= crash_flush,
	.set_option	= crash_set_option,
	.read_blk64	= crash_read_blk64,
	.write_blk64	= crash_write_blk64,
	.discard	= crash_discard,
	.zeroout	= crash_zeroout,
};

io_manager crash_io_manager = &struct_crash_manager;
