// SPDX-License-Identifier: GPL-2.0
/*
 * atomic_dev.c --- what the device under a filesystem says about
 * atomic writes, and the checks and defaults that follow from it.
 *
 * Physical alignment is counted from the start of the filesystem, so
 * it is alignment on the disk only if the filesystem starts at a
 * multiple of the unit: a partition's sysfs "start" and libblkid's
 * alignment offset must both be multiples of it.  The atomic limits
 * live in the disk's queue directory (a partition's parent).
 * E2ATOMIC_SYSFS_ROOT replaces /sys, so tests can describe devices
 * that this machine does not have.
 */

#include "config.h"
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <blkid/blkid.h>

#include "atomic_args.h"

static unsigned long long read_number(const char *dir, const char *name)
{
	char path[PATH_MAX + 64];
	unsigned long long val = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fscanf(f, "%llu", &val) != 1)
		val = 0;
	fclose(f);
	return val;
}

static void probe_sysfs(dev_t rdev, struct atomic_devinfo *info)
{
	const char *root = getenv("E2ATOMIC_SYSFS_ROOT");
	char link[PATH_MAX], node[PATH_MAX], queue[PATH_MAX + 16];
	struct stat st;

	snprintf(link, sizeof(link), "%s/dev/block/%u:%u",
		 root && *root ? root : "/sys", major(rdev), minor(rdev));
	if (!realpath(link, node))
		return;
	snprintf(queue, sizeof(queue), "%s/partition", node);
	if (!stat(queue, &st)) {
		info->start = read_number(node, "start") * 512;
		snprintf(queue, sizeof(queue), "%s/../queue", node);
	} else {
		snprintf(queue, sizeof(queue), "%s/queue", node);
	}
	info->atomic_min = read_number(queue, "atomic_write_unit_min_bytes");
	info->atomic_max = read_number(queue, "atomic_write_unit_max_bytes");
}

static void probe_blkid(const char *path, struct atomic_devinfo *info)
{
#ifdef HAVE_BLKID_PROBE_GET_TOPOLOGY
	blkid_probe pr = blkid_new_probe_from_filename(path);
	blkid_topology tp;

	if (!pr)
		return;
	tp = blkid_probe_get_topology(pr);
	if (tp)
		info->align_offset = blkid_topology_get_alignment_offset(tp);
	blkid_free_probe(pr);
#endif
}

/* An image file (or a missing one) is not a block device: all zero. */
errcode_t atomic_probe_device(const char *path, struct atomic_devinfo *info)
{
	struct stat st;

	memset(info, 0, sizeof(*info));
	if (stat(path, &st))
		return errno == ENOENT ? 0 : errno;
	if (!S_ISBLK(st.st_mode))
		return 0;
	info->is_blockdev = 1;
	probe_sysfs(st.st_rdev, info);
	probe_blkid(path, info);
	return 0;
}

/*
 * The unit to use when none is asked for: min(64 KiB, the device's
 * maximum) when the device can write at least one block atomically,
 * else 64 KiB.  *warn: a block device that reports no atomic writes.
 */
unsigned long long atomic_default_unit(const struct atomic_devinfo *info,
				       unsigned int blocksize, int *warn)
{
	unsigned long long unit = EXT2FS_ATOMIC_DEFAULT_UNIT_BYTES, max;

	*warn = 0;
	if (info->atomic_max >= blocksize) {
		/* The largest power of two the device allows. */
		for (max = 1; max * 2 <= info->atomic_max; max *= 2)
			;
		if (max < unit)
			unit = max;
		if (unit < blocksize)
			unit = blocksize;
	} else {
		*warn = info->is_blockdev;
	}
	return unit;
}

/* Can a filesystem on this device promise atomic writes of unit bytes? */
errcode_t atomic_check_device(const struct atomic_devinfo *info,
			      unsigned long long unit)
{
	if (!info->is_blockdev)
		return 0;
	if (info->start % unit)
		return EXT2_ET_ATOMIC_DEV_START;
	if (info->align_offset % (long long) unit)
		return EXT2_ET_ATOMIC_DEV_ALIGN;
	if (info->atomic_max && unit > info->atomic_max)
		return EXT2_ET_ATOMIC_DEV_MAX;
	return 0;
}
