/*
 * atomic_ondisk.c --- a mounted file's inode flags, read from its device.
 *
 * Kernels without the atomic write patches mask EXT4_ATOMIC_FL out of
 * FS_IOC_GETFLAGS, so lsattr cannot see a flag set offline (debugfs
 * set_atomic, e2fsck) through the kernel.  This reads the inode from
 * the block device under the file instead: the device is found through
 * /sys/dev/block/MAJOR:MINOR, opened read-only with libext2fs, and kept
 * open for the next file of the same filesystem.  A filesystem without
 * atomic_write is remembered as such and costs one superblock read.
 *
 * Nothing read is kept between two questions (unix_io's block cache is
 * off, libext2fs' inode cache is flushed): the filesystem is mounted
 * and its kernel changes the inodes, so chattr's "is the flag still
 * there?" after clearing it must see the kernel's latest write, not a
 * block read for an earlier file of the same inode table block.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "ext2fs_atomic.h"

struct ext2fs_atomic_ondisk {
	dev_t		dev;
	ext2_filsys	fs;	/* NULL: no atomic_write there */
};

static errcode_t device_of(dev_t dev, char *path, size_t size)
{
	char uevent[64], line[256];
	errcode_t retval = EXT2_ET_ATOMIC_NO_DEVICE;
	FILE *f;

	snprintf(uevent, sizeof(uevent), "/sys/dev/block/%u:%u/uevent",
		 major(dev), minor(dev));
	f = fopen(uevent, "r");
	if (!f)
		return retval;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "DEVNAME=", 8))
			continue;
		line[strcspn(line, "\n")] = 0;
		if ((size_t) snprintf(path, size, "/dev/%s", line + 8) < size)
			retval = 0;
		break;
	}
	fclose(f);
	return retval;
}

static errcode_t open_dev(struct ext2fs_atomic_ondisk *c, dev_t dev)
{
	char path[300];
	errcode_t retval;

	if (c->fs)
		ext2fs_close_free(&c->fs);
	c->dev = dev;
	retval = device_of(dev, path, sizeof(path));
	if (retval)
		goto errout;
	retval = ext2fs_open(path, EXT2_FLAG_64BITS |
			     EXT2_FLAG_IGNORE_CSUM_ERRORS, 0, 0,
			     unix_io_manager, &c->fs);
	if (retval)
		goto errout;
	if (!ext2fs_atomic_has_feature(c->fs->super)) {
		ext2fs_close_free(&c->fs);
		return 0;
	}
	retval = io_channel_set_options(c->fs->io, "cache=off");
	if (retval) {
		ext2fs_close_free(&c->fs);
		goto errout;
	}
	return 0;
errout:
	c->dev = 0;
	c->fs = NULL;
	return retval;
}

/*
 * The i_flags of inode ino on the filesystem of device dev.  A
 * filesystem without atomic_write gives 0: there is nothing the kernel
 * could have hidden.
 */
errcode_t ext2fs_atomic_ondisk_flags(ext2fs_atomic_ondisk_t *ctx,
				     dev_t dev, ext2_ino_t ino, __u32 *flags)
{
	struct ext2_inode inode;
	errcode_t retval;

	*flags = 0;
	if (!*ctx) {
		retval = ext2fs_get_memzero(sizeof(**ctx), ctx);
		if (retval)
			return retval;
	}
	if (!(*ctx)->dev || (*ctx)->dev != dev) {
		retval = open_dev(*ctx, dev);
		if (retval)
			return retval;
	}
	if (!(*ctx)->fs)
		return 0;
	retval = ext2fs_flush_icache((*ctx)->fs);
	if (retval)
		return retval;
	retval = ext2fs_read_inode((*ctx)->fs, ino, &inode);
	if (retval)
		return retval;
	*flags = inode.i_flags;
	return 0;
}

void ext2fs_atomic_ondisk_close(ext2fs_atomic_ondisk_t ctx)
{
	if (!ctx)
		return;
	if (ctx->fs)
		ext2fs_close_free(&ctx->fs);
	ext2fs_free_mem(&ctx);
}
