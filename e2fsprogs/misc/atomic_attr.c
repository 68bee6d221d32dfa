// SPDX-License-Identifier: GPL-2.0
/*
 * atomic_attr.c --- the Atomic_Write flag for lsattr and chattr.
 *
 * Kernels without atomic write support leave EXT4_ATOMIC_FL out of
 * FS_IOC_GETFLAGS (it is outside their user-visible mask), so a flag
 * set offline (debugfs set_atomic, inherited from a flagged directory)
 * would not show.  These complete the kernel's answer with the bit of
 * the inode on the device (libext2fs' ext2fs_atomic_ondisk_flags(),
 * which keeps the last filesystem open and reads nothing more where
 * there is no atomic_write).  A device that cannot be read (no root,
 * no block device) changes nothing: the kernel's answer stands.
 */

#include "config.h"
#include <stdlib.h>
#include <sys/stat.h>

#include "e2p/e2p.h"
#include "atomic_args.h"

static ext2fs_atomic_ondisk_t ondisk;

static void close_ondisk(void)
{
	ext2fs_atomic_ondisk_close(ondisk);
	ondisk = NULL;
}

static int ondisk_flag(const char *name)
{
	static int registered;
	struct stat st;
	__u32 flags;

	if (lstat(name, &st) || !(S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)))
		return 0;
	if (!registered) {
		atexit(close_ondisk);
		registered = 1;
	}
	if (ext2fs_atomic_ondisk_flags(&ondisk, st.st_dev, st.st_ino, &flags))
		return 0;
	return !!(flags & EXT4_ATOMIC_FL);
}

/* lsattr, after fgetflags(): add Atomic_Write if the inode has it. */
void atomic_attr_get(const char *name, unsigned long *flags)
{
	if (!(*flags & EXT4_ATOMIC_FL) && ondisk_flag(name))
		*flags |= EXT4_ATOMIC_FL;
}

/*
 * chattr, after fsetflags() was to clear Atomic_Write: is it still on
 * the inode, because the kernel does not know it and ignored the bit?
 */
int atomic_attr_left(const char *name)
{
	unsigned long flags;

	if (fgetflags(name, &flags))
		return 0;
	atomic_attr_get(name, &flags);
	return !!(flags & EXT4_ATOMIC_FL);
}
