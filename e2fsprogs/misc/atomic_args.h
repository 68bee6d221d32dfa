/* SPDX-License-Identifier: GPL-2.0 */
/*
 * atomic_args.h --- the atomic_write feature in mke2fs, tune2fs, chattr
 * and lsattr: the unit option, the device under the filesystem, the
 * window-keeping part of tune2fs -I, and the on-disk Atomic_Write flag.
 */

#ifndef MISC_ATOMIC_ARGS_H
#define MISC_ATOMIC_ARGS_H

#include "ext2fs/ext2fs.h"
#include "ext2fs/ext2fs_atomic.h"

/*
 * The device under a filesystem (atomic_dev.c): sysfs (through a
 * partition's parent disk) and libblkid.
 */
struct atomic_devinfo {
	int			is_blockdev;
	unsigned long long	atomic_min;	/* bytes; 0: no atomic writes */
	unsigned long long	atomic_max;
	unsigned long long	start;		/* partition start, bytes */
	long long		align_offset;	/* libblkid, bytes */
};

errcode_t atomic_probe_device(const char *path, struct atomic_devinfo *info);
unsigned long long atomic_default_unit(const struct atomic_devinfo *info,
				       unsigned int blocksize, int *warn);
errcode_t atomic_check_device(const struct atomic_devinfo *info,
			      unsigned long long unit);

/* The unit option and the feature (atomic_args.c) */
int atomic_parse_unit(const char *prog, const char *arg,
		      unsigned long long *bytes);
int atomic_scan_unit_opt(const char *prog, const char *opts,
			 unsigned long long *bytes);
int atomic_mke2fs_setup(ext2_filsys fs, const char *prog, const char *device,
			unsigned long long bytes, int quiet);
void atomic_show_unit(ext2_filsys fs);
int atomic_tune2fs_enable(ext2_filsys fs, const char *prog,
			  const char *device, int mount_flags,
			  const char *extended_opts);
int atomic_tune2fs_disable(ext2_filsys fs, const char *prog,
			   const char *device, int mount_flags,
			   const char *extended_opts);
int atomic_tune2fs_unit(ext2_filsys fs, const char *prog, const char *device,
			int mount_flags, const char *arg);

/* tune2fs -I: whole windows to aligned runs (atomic_itable.c) */
struct atomic_moves;

errcode_t atomic_plan_moves(ext2_filsys fs, ext2fs_block_bitmap bmap,
			    struct atomic_moves **ret);
int atomic_move_dest(struct atomic_moves *am, blk64_t blk, blk64_t *dest);
void atomic_release_moved(ext2_filsys fs, struct atomic_moves *am);
void atomic_free_moves(struct atomic_moves **am);

/* chattr and lsattr (atomic_attr.c) */
void atomic_attr_get(const char *name, unsigned long *flags);
int atomic_attr_left(const char *name);

#endif /* MISC_ATOMIC_ARGS_H */
