// SPDX-License-Identifier: GPL-2.0
/*
 * atomic_args.c --- the atomic_write feature in mke2fs and tune2fs.
 *
 * mke2fs -O atomic_write [-E atomic_write_unit=SIZE], mke2fs.conf's
 * atomic_write_unit; tune2fs -O [^]atomic_write and
 * -E atomic_write_unit=SIZE.  SIZE is bytes with an optional k, m or g
 * suffix.  The unit must be a power of two from the block size to a
 * block group, made of whole bigalloc clusters, and fit the device:
 * every check is made before anything is written, and a refusal says
 * what is wrong and what to do.
 */

#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/nls-enable.h"
#include "atomic_args.h"

static const char *unit_opt = EXT2FS_ATOMIC_UNIT_OPT;
static int enabled_now;		/* tune2fs -O atomic_write in this run */

/*
 * Parse SIZE of atomic_write_unit=SIZE: a number of bytes that is a
 * power of two.  What it must be besides depends on the filesystem.
 * Returns 0, or 1 after saying what is wrong.
 */
int atomic_parse_unit(const char *prog, const char *arg,
		      unsigned long long *bytes)
{
	errcode_t retval;

	ext2fs_atomic_init();
	retval = ext2fs_atomic_parse_size(arg, bytes);
	if (!retval && (*bytes & (*bytes - 1)))
		retval = EXT2_ET_ATOMIC_UNIT_NOT_POW2;
	if (retval) {
		com_err(prog, retval, "(%s=%s)", unit_opt, arg ? arg : "");
		return 1;
	}
	return 0;
}

/*
 * Find atomic_write_unit=SIZE in an extended option list (the last one
 * counts, as for every extended option) and parse it into *bytes (0
 * when it is not there).  Returns 1 when it is there, 0 when it is not,
 * -1 when it is wrong.
 */
int atomic_scan_unit_opt(const char *prog, const char *opts,
			 unsigned long long *bytes)
{
	size_t n = strlen(unit_opt);
	const char *tok, *found = NULL;
	char *arg;
	int ret;

	*bytes = 0;
	for (tok = opts; tok && *tok; tok = strchr(tok, ',')) {
		if (*tok == ',')
			tok++;
		if (!strncmp(tok, unit_opt, n) &&
		    (tok[n] == '=' || tok[n] == ',' || !tok[n]))
			found = tok + n;
	}
	if (!found)
		return 0;
	arg = strndup(*found == '=' ? found + 1 : found,
		      strcspn(*found == '=' ? found + 1 : found, ","));
	if (!arg) {
		com_err(prog, ENOMEM, "(%s)", unit_opt);
		return -1;
	}
	ret = atomic_parse_unit(prog, arg, bytes) ? -1 : 1;
	free(arg);
	return ret;
}

static void hint_valid_units(struct ext2_super_block *sb)
{
	unsigned long long bs = EXT2_BLOCK_SIZE(sb);

	if (ext2fs_has_feature_bigalloc(sb))
		fprintf(stderr, _("The unit must be a power of two from the "
				  "block size (%llu) to a block group (%llu "
				  "bytes), made of whole bigalloc clusters "
				  "(%llu bytes).\n"), bs,
			bs * EXT2_BLOCKS_PER_GROUP(sb),
			(unsigned long long) EXT2_CLUSTER_SIZE(sb));
	else
		fprintf(stderr, _("The unit must be a power of two from the "
				  "block size (%llu) to a block group (%llu "
				  "bytes).\n"), bs,
			bs * EXT2_BLOCKS_PER_GROUP(sb));
}

/* The unit in bytes as a log2 of blocks for sb, or 1 after refusing. */
static int unit_to_log(const char *prog, const char *device,
		       struct ext2_super_block *sb,
		       unsigned long long bytes, unsigned int *log)
{
	errcode_t retval = ext2fs_atomic_bytes_to_log(sb, bytes, log);

	if (!retval)
		return 0;
	com_err(prog, retval, _("(%s=%llu) for %s"), unit_opt, bytes, device);
	hint_valid_units(sb);
	return 1;
}

/* Does the device under the filesystem allow the unit?  1: refused. */
static int check_device(const char *prog, const char *device,
			const struct atomic_devinfo *dev,
			unsigned long long bytes)
{
	errcode_t retval = atomic_check_device(dev, bytes);

	if (!retval)
		return 0;
	com_err(prog, retval, _("(unit %llu bytes) on %s"), bytes, device);
	if (retval == EXT2_ET_ATOMIC_DEV_MAX)
		fprintf(stderr, _("%s writes at most %llu bytes atomically.\n"),
			device, dev->atomic_max);
	else
		fprintf(stderr, _("The filesystem would start at byte %llu of "
				  "the disk (alignment offset %lld); align the "
				  "partition to the unit.\n"),
			dev->start, dev->align_offset);
	return 1;
}

/*
 * The unit for a filesystem on device: bytes when given, else the
 * default for the device.  Checked against sb and the device.
 */
static int choose_unit(const char *prog, const char *device,
		       struct ext2_super_block *sb,
		       unsigned long long bytes, int quiet, unsigned int *log)
{
	struct atomic_devinfo dev;
	errcode_t retval;
	int warn = 0;

	retval = atomic_probe_device(device, &dev);
	if (retval) {
		com_err(prog, retval, _("while looking at %s"), device);
		return 1;
	}
	if (!bytes)
		bytes = atomic_default_unit(&dev, EXT2_BLOCK_SIZE(sb), &warn);
	if (warn && !quiet)
		fprintf(stderr, _("Warning: %s reports no atomic write "
				  "support; using the default atomic write "
				  "unit of %llu bytes.\n"), device, bytes);
	if (unit_to_log(prog, device, sb, bytes, log))
		return 1;
	return check_device(prog, device, &dev, bytes);
}

static int need_extents(const char *prog, const char *device,
			struct ext2_super_block *sb, const char *hint)
{
	if (ext2fs_has_feature_extents(sb))
		return 0;
	com_err(prog, EXT2_ET_ATOMIC_NEED_EXTENTS, "(%s)", device);
	fputs(hint, stderr);
	return 1;
}

/*
 * mke2fs, after ext2fs_initialize() and before anything is written:
 * check the request against the geometry and the device, and record
 * the unit (ext2fs_initialize copies only the fields it knows).
 * bytes is the unit asked for (0: none).  Returns 1 after refusing.
 */
int atomic_mke2fs_setup(ext2_filsys fs, const char *prog, const char *device,
			unsigned long long bytes, int quiet)
{
	unsigned int log;

	ext2fs_atomic_init();
	if (!ext2fs_has_feature_atomic_write(fs->super)) {
		if (!bytes)
			return 0;
		com_err(prog, EXT2_ET_ATOMIC_UNIT_WITHOUT_OPT, "%s",
			_("(add -O atomic_write)"));
		return 1;
	}
	if (need_extents(prog, device, fs->super,
			 _("Atomic files must use extents: make an ext4 "
			   "filesystem (-t ext4 or mkfs.ext4), without "
			   "^extent.\n")))
		return 1;
	if (choose_unit(prog, device, fs->super, bytes, quiet, &log))
		return 1;
	ext2fs_atomic_set_log_unit(fs->super, log);
	return 0;
}

/* mke2fs' show_stats(): the unit the filesystem gets. */
void atomic_show_unit(ext2_filsys fs)
{
	unsigned long long blocks;

	if (!ext2fs_has_feature_atomic_write(fs->super))
		return;
	blocks = ext2fs_atomic_unit_blocks(fs);
	printf(P_("Atomic write unit: %llu bytes (%llu block)\n",
		  "Atomic write unit: %llu bytes (%llu blocks)\n", blocks),
	       blocks * fs->blocksize, blocks);
}

static void say_unit(ext2_filsys fs)
{
	unsigned long long blocks = ext2fs_atomic_unit_blocks(fs);

	printf(P_("Setting atomic write unit to %llu bytes (%llu block)\n",
		  "Setting atomic write unit to %llu bytes (%llu blocks)\n",
		  blocks), blocks * fs->blocksize, blocks);
}

static int refuse_mounted(int mount_flags)
{
	if (!(mount_flags & EXT2_MF_MOUNTED))
		return 0;
	fputs(_("The atomic_write feature and its unit may only be changed "
		"when the filesystem is unmounted.\n"), stderr);
	return 1;
}

/*
 * tune2fs -O atomic_write (the feature bit is already set in memory):
 * the unit from -E atomic_write_unit= or the default for the device.
 */
int atomic_tune2fs_enable(ext2_filsys fs, const char *prog,
			  const char *device, int mount_flags,
			  const char *extended_opts)
{
	unsigned long long bytes = 0;
	unsigned int log;

	ext2fs_atomic_init();
	if (refuse_mounted(mount_flags) ||
	    need_extents(prog, device, fs->super,
			 _("Enable extents first (tune2fs -O extent).\n")) ||
	    atomic_scan_unit_opt(prog, extended_opts, &bytes) < 0 ||
	    choose_unit(prog, device, fs->super, bytes, 0, &log))
		return 1;
	ext2fs_atomic_enable(fs, log);
	say_unit(fs);
	enabled_now = 1;
	return 0;
}

/* tune2fs -O ^atomic_write: only when no inode carries the flag. */
int atomic_tune2fs_disable(ext2_filsys fs, const char *prog,
			   const char *device, int mount_flags,
			   const char *extended_opts)
{
	unsigned long long bytes;
	ext2_ino_t flagged = 0;
	errcode_t retval;

	ext2fs_atomic_init();
	if (atomic_scan_unit_opt(prog, extended_opts, &bytes)) {
		com_err(prog, EXT2_ET_ATOMIC_UNIT_WITHOUT_OPT, "%s",
			_("(-O ^atomic_write clears the unit too)"));
		return 1;
	}
	if (refuse_mounted(mount_flags))
		return 1;
	retval = ext2fs_atomic_count_inodes(fs, &flagged);
	if (retval) {
		com_err(prog, retval, _("while scanning the inodes of %s"),
			device);
		return 1;
	}
	if (flagged) {
		com_err(prog, EXT2_ET_ATOMIC_FLAGGED_INODES, _("(%u on %s)"),
			flagged, device);
		fputs(_("Clear the flag first: chattr -W on the mounted "
			"filesystem, or debugfs -w -R \"clear_atomic FILE\" "
			"offline.\n"), stderr);
		return 1;
	}
	ext2fs_atomic_disable(fs);
	printf("%s", _("Clearing the atomic_write feature\n"));
	return 0;
}

struct unit_probe {
	__u64	bad_files;
	__u64	bad_windows;
};

static int probe_file(ext2_filsys fs, ext2_ino_t ino, struct ext2_inode *inode,
		      void *priv)
{
	struct unit_probe *p = priv;
	__u64 bad = 0;

	if (!LINUX_S_ISREG(inode->i_mode) ||
	    ext2fs_atomic_check_inode(fs, ino, inode, NULL, NULL, &bad))
		return 0;
	if (bad) {
		p->bad_files++;
		p->bad_windows += bad;
	}
	return 0;
}

/* Would every atomic file obey a unit of 1 << log blocks? */
static errcode_t files_obey(ext2_filsys fs, unsigned int log,
			    struct unit_probe *p)
{
	__u8 old = ext2fs_atomic_get_log_unit(fs->super);
	errcode_t retval;

	memset(p, 0, sizeof(*p));
	ext2fs_atomic_set_log_unit(fs->super, log);
	retval = ext2fs_atomic_scan_inodes(fs, probe_file, p);
	ext2fs_atomic_set_log_unit(fs->super, old);
	if (!retval && p->bad_files)
		retval = EXT2_ET_ATOMIC_UNIT_BREAKS_FILES;
	return retval;
}

/*
 * tune2fs -E atomic_write_unit=SIZE: a new unit, only if every atomic
 * file obeys it.  When -O atomic_write enabled the feature in this run
 * the unit is already set.
 */
int atomic_tune2fs_unit(ext2_filsys fs, const char *prog, const char *device,
			int mount_flags, const char *arg)
{
	struct atomic_devinfo dev;
	struct unit_probe probe;
	unsigned long long bytes;
	unsigned int log;
	errcode_t retval;

	ext2fs_atomic_init();
	if (atomic_parse_unit(prog, arg, &bytes))
		return 1;
	if (!ext2fs_has_feature_atomic_write(fs->super)) {
		com_err(prog, EXT2_ET_ATOMIC_NO_FEATURE,
			_("(%s); add -O atomic_write"), device);
		return 1;
	}
	if (unit_to_log(prog, device, fs->super, bytes, &log))
		return 1;
	if (enabled_now)
		return 0;
	if (refuse_mounted(mount_flags))
		return 1;
	retval = atomic_probe_device(device, &dev);
	if (!retval && check_device(prog, device, &dev, bytes))
		return 1;
	retval = files_obey(fs, log, &probe);
	if (retval == EXT2_ET_ATOMIC_UNIT_BREAKS_FILES) {
		com_err(prog, retval, _("(%llu file(s), %llu window(s) on %s)"),
			(unsigned long long) probe.bad_files,
			(unsigned long long) probe.bad_windows, device);
		fputs(_("Keep the current unit, or clear the flag of those "
			"files (chattr -W) and write them anew after the "
			"change.\n"), stderr);
		return 1;
	}
	if (retval) {
		com_err(prog, retval, _("while checking the atomic files of %s"),
			device);
		return 1;
	}
	ext2fs_atomic_enable(fs, log);
	say_unit(fs);
	return 0;
}
