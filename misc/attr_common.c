/*
 * attr_common.c --- what chattr and lsattr share: reading a file's
 * flags (kernel, completed with the on-disk Atomic_Write bit), joining
 * paths as stock does, and the version banner.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <e2p/e2p.h>

#include "attr_common.h"

/*
 * The flags the kernel reports (-1 with errno as libe2p leaves it), with
 * EXT4_ATOMIC_FL added when the inode on the device has it and the
 * kernel did not say so.  A device that cannot be read changes nothing:
 * the kernel's answer stands.
 */
int attr_get_flags(const char *name, unsigned long *flags,
		   ext2fs_atomic_ondisk_t *ondisk)
{
	struct stat st;
	__u32 disk;

	if (fgetflags(name, flags) == -1)
		return -1;
	if (*flags & EXT4_ATOMIC_FL || lstat(name, &st) ||
	    !(S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)))
		return 0;
	if (!ext2fs_atomic_ondisk_flags(ondisk, st.st_dev, st.st_ino, &disk))
		*flags |= disk & EXT4_ATOMIC_FL;
	return 0;
}

/* dir/name, without doubling a trailing slash of dir. */
char *attr_join(const char *dir, const char *name)
{
	size_t len = strlen(dir);
	char *path = malloc(len + strlen(name) + 2);

	if (path)
		sprintf(path, "%s%s%s", dir,
			len && dir[len - 1] == '/' ? "" : "/", name);
	return path;
}

void attr_print_version(const char *prog)
{
	const char *version, *date;

	ext2fs_get_library_version(&version, &date);
	fprintf(stderr, "%s %s (%s)\n", prog, version, date);
}
