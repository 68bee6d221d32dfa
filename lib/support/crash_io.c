/*
 * crash_io.c --- an I/O manager that stops applying writes after the
 * Nth one (in torn mode, after applying the first k sectors of 512
 * bytes of the next one).  Every write entry point (blocks, discard,
 * zeroout) counts as one write; discard and zeroout are never torn.  Reads and everything else go to the unix manager unchanged.
 *
 * It has no write_byte, so libext2fs writes the primary superblock
 * whole (one write) rather than in changed 2-byte pieces, which a
 * crash could tear; the pieces are libext2fs' own habit, not the
 * atomic library's, and e2fsck falls back to a backup superblock then.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crash_io.h"
#include "wrapio.h"

static long budget = -1;
static long writes;
static int torn;		/* sectors a torn write applies; 0: no tear */
static int trace;		/* E2ATOMIC_CRASH_TRACE, read per run */

void crash_io_set_budget(long n)
{
	budget = n;
	writes = 0;
	trace = getenv("E2ATOMIC_CRASH_TRACE") != NULL;
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

static io_channel inner(io_channel channel)
{
	return channel->private_data;
}

static errcode_t crash_open(const char *name, int flags, io_channel *ret)
{
	io_channel real = NULL;
	errcode_t retval;

	retval = unix_io_manager->open(name, flags, &real);
	if (retval)
		return retval;
	retval = wrapio_new(crash_io_manager, name, real, real, ret);
	if (retval)
		io_channel_close(real);
	return retval;
}

static errcode_t crash_close(io_channel channel)
{
	errcode_t retval;

	if (--channel->refcount > 0)
		return 0;
	retval = io_channel_close(inner(channel));
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

	if (trace)
		fprintf(stderr, "crash_io: write %ld: block %llu count %d\n",
			writes + 1, block, count);
	if (!may_write(&n, channel->block_size))
		return 0;
	return io_channel_write_blk64(inner(channel), block, n, data);
}

static errcode_t crash_write_blk(io_channel channel, unsigned long block,
				 int count, const void *data)
{
	return crash_write_blk64(channel, block, count, data);
}

static errcode_t crash_flush(io_channel channel)
{
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

	if (!may_write(&n, 0))
		return 0;
	return io_channel_discard(inner(channel), block, n);
}

static errcode_t crash_zeroout(io_channel channel, unsigned long long block,
			       unsigned long long count)
{
	long long n = count;

	if (!may_write(&n, 0))
		return 0;
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
