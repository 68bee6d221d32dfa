/*
 * stockview_io.c --- an I/O manager that shows stock e2fsprogs a
 * filesystem without atomic_write (see sbview.c), wrapping a real one.
 *
 * Reads are patched after the real read; writes are patched before the
 * real write.  A filesystem without atomic_write gets the real channel
 * itself: nothing differs from stock.  write_byte is left out on purpose: libext2fs then writes
 * the primary superblock whole instead of in changed 2-byte pieces.
 * A write of the primary superblock refreshes the list of copies (a
 * resize changes it).
 */

#include <stdlib.h>
#include <string.h>

#include "sbview.h"
#include "stockview_io.h"
#include "wrapio.h"

#define MAX_PARTIAL	8

struct view_data {
	io_channel	real;
	struct sbview	view;
};

static io_manager real_manager;

void stockview_set_real(io_manager real)
{
	real_manager = real;
}

static struct view_data *vd(io_channel channel)
{
	return channel->private_data;
}

/*
 * Raw bytes [off, off + len) through the real channel, which reads in
 * whole blocks of its current size.
 */
static errcode_t raw_io(io_channel real, unsigned long long off, void *buf,
			size_t len, int write)
{
	unsigned long long bs = real->block_size;
	unsigned long long first = off / bs, last = (off + len - 1) / bs;
	size_t n = (last - first + 1) * bs;
	unsigned char *tmp;
	errcode_t err;

	if (off % bs == 0 && len % bs == 0)
		return write ? io_channel_write_blk64(real, first, len / bs, buf)
			     : io_channel_read_blk64(real, first, len / bs, buf);
	tmp = malloc(n);
	if (!tmp)
		return EXT2_ET_NO_MEMORY;
	err = io_channel_read_blk64(real, first, last - first + 1, tmp);
	if (!err && write) {
		memcpy(tmp + (off - first * bs), buf, len);
		err = io_channel_write_blk64(real, first, last - first + 1,
					     tmp);
	} else if (!err) {
		memcpy(buf, tmp + (off - first * bs), len);
	}
	free(tmp);
	return err;
}

static int fetch(void *priv, unsigned long long off, void *buf)
{
	return raw_io(priv, off, buf, SBVIEW_COPY_SIZE, 0) ? -1 : 0;
}

static void learn(struct view_data *d)
{
	unsigned char sb[SBVIEW_COPY_SIZE];

	if (!raw_io(d->real, 1024, sb, sizeof(sb), 0))
		sbview_setup(&d->view, sb);
}

static errcode_t view_open(const char *name, int flags, io_channel *ret)
{
	io_channel real = NULL;
	struct view_data *d = NULL;
	errcode_t err;

	if (!real_manager)
		return EXT2_ET_BAD_DEVICE_NAME;
	err = real_manager->open(name, flags, &real);
	if (err)
		return err;
	/*
	 * libext2fs' unix_open() stamps the channel with the global
	 * unix_io_manager, which in a preloaded process is this manager:
	 * point the real channel back at the real one.
	 */
	real->manager = real_manager;
	err = ext2fs_get_memzero(sizeof(*d), &d);
	if (err) {
		io_channel_close(real);
		return err;
	}
	d->real = real;
	learn(d);
	if (!d->view.active) {
		/* Nothing to hide: the plain channel, write_byte and all. */
		ext2fs_free_mem(&d);
		*ret = real;
		return 0;
	}
	err = wrapio_new(stockview_io_manager, name, real, d, ret);
	if (err) {
		sbview_release(&d->view);
		ext2fs_free_mem(&d);
		io_channel_close(real);
	}
	return err;
}

static errcode_t view_close(io_channel channel)
{
	struct view_data *d = vd(channel);
	errcode_t err;

	if (--channel->refcount > 0)
		return 0;
	err = io_channel_close(d->real);
	sbview_release(&d->view);
	ext2fs_free_mem(&d);
	wrapio_free(channel);
	return err;
}

static errcode_t view_set_blksize(io_channel channel, int blksize)
{
	channel->block_size = blksize;
	return io_channel_set_blksize(vd(channel)->real, blksize);
}

static size_t span(io_channel channel, int count)
{
	return count < 0 ? (size_t) -count :
			   (size_t) count * channel->block_size;
}

static errcode_t view_read_blk64(io_channel channel, unsigned long long block,
				 int count, void *data)
{
	struct view_data *d = vd(channel);
	unsigned long long off = block * channel->block_size;
	errcode_t err;

	err = io_channel_read_blk64(d->real, block, count, data);
	if (!err && d->view.active &&
	    sbview_patch_read(&d->view, off, data, span(channel, count),
			      fetch, d->real))
		err = EXT2_ET_SHORT_READ;
	return err;
}

static errcode_t view_read_blk(io_channel channel, unsigned long block,
			       int count, void *data)
{
	return view_read_blk64(channel, block, count, data);
}

static errcode_t view_write_blk64(io_channel channel,
				  unsigned long long block, int count,
				  const void *data)
{
	unsigned char whole[MAX_PARTIAL * SBVIEW_COPY_SIZE], *buf;
	unsigned long long off = block * channel->block_size;
	unsigned long long whole_off[MAX_PARTIAL];
	struct view_data *d = vd(channel);
	size_t len = span(channel, count), nr = 0, i;
	errcode_t err;

	if (!d->view.active || !sbview_overlaps(&d->view, off, len))
		return io_channel_write_blk64(d->real, block, count, data);
	buf = malloc(len);
	if (!buf)
		return EXT2_ET_NO_MEMORY;
	memcpy(buf, data, len);
	err = sbview_patch_write(&d->view, off, buf, len, fetch, d->real,
				 whole, MAX_PARTIAL, whole_off, &nr) ?
		EXT2_ET_SHORT_WRITE : 0;
	if (!err)
		err = io_channel_write_blk64(d->real, block, count, buf);
	for (i = 0; !err && i < nr; i++)
		err = raw_io(d->real, whole_off[i],
			     whole + i * SBVIEW_COPY_SIZE, SBVIEW_COPY_SIZE, 1);
	free(buf);
	if (!err && off <= 1024 && off + len >= 2048) {
		__u8 keep = d->view.log_unit;

		learn(d);		/* the geometry may have changed */
		d->view.log_unit = keep;
	}
	return err;
}

static errcode_t view_write_blk(io_channel channel, unsigned long block,
				int count, const void *data)
{
	return view_write_blk64(channel, block, count, data);
}

static errcode_t view_flush(io_channel channel)
{
	return io_channel_flush(vd(channel)->real);
}

static errcode_t view_set_option(io_channel channel, const char *option,
				 const char *arg)
{
	io_channel real = vd(channel)->real;

	if (!real->manager->set_option)
		return EXT2_ET_INVALID_ARGUMENT;
	return real->manager->set_option(real, option, arg);
}

static errcode_t view_get_stats(io_channel channel, io_stats *stats)
{
	io_channel real = vd(channel)->real;

	if (!real->manager->get_stats)
		return EXT2_ET_OP_NOT_SUPPORTED;
	return real->manager->get_stats(real, stats);
}

static errcode_t view_discard(io_channel channel, unsigned long long block,
			      unsigned long long count)
{
	return io_channel_discard(vd(channel)->real, block, count);
}

static errcode_t view_cache_readahead(io_channel channel,
				      unsigned long long block,
				      unsigned long long count)
{
	return io_channel_cache_readahead(vd(channel)->real, block, count);
}

static errcode_t view_zeroout(io_channel channel, unsigned long long block,
			      unsigned long long count)
{
	return io_channel_zeroout(vd(channel)->real, block, count);
}

static struct struct_io_manager struct_view_manager = {
	.magic		= EXT2_ET_MAGIC_IO_MANAGER,
	.name		= "Unix I/O Manager",	/* what stock expects */
	.open		= view_open,
	.close		= view_close,
	.set_blksize	= view_set_blksize,
	.read_blk	= view_read_blk,
	.write_blk	= view_write_blk,
	.flush		= view_flush,
	.set_option	= view_set_option,
	.get_stats	= view_get_stats,
	.read_blk64	= view_read_blk64,
	.write_blk64	= view_write_blk64,
	.discard	= view_discard,
	.cache_readahead = view_cache_readahead,
	.zeroout	= view_zeroout,
};

io_manager stockview_io_manager = &struct_view_manager;
