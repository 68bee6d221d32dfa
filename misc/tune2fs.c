/*
 * tune2fs.c --- stock tune2fs, plus -O atomic_write, -O ^atomic_write,
 * -E atomic_write_unit=SIZE, an atomic-aware -l, and a check of every
 * atomic file after -I (which moves data blocks).
 *
 * Data flow (doc/tools.md): strip the atomic words; check the request
 * on the filesystem, read-only; run stock tune2fs with what is left
 * (without -l); write the atomic change; list (-l) through the filter;
 * after -I, relocate any window that stock moved off alignment.
 */

#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomic_args.h"
#include "ext2fs_atomic.h"
#include "stock.h"
#include "super_list.h"

#define TUNE2FS_OPTS	"c:e:fg:i:jlm:o:r:s:u:C:E:I:J:L:M:O:T:U:z:Q:"

static const char *program = "tune2fs";

enum action { NOTHING, ENABLE, DISABLE, SET_UNIT };

struct change {
	enum action	action;
	unsigned int	log_unit;
	char		desc[64];
};

static errcode_t open_fs(const char *device, int rw, ext2_filsys *fs)
{
	return ext2fs_open(device, EXT2_FLAG_64BITS |
			   (rw ? EXT2_FLAG_RW : 0), 0, 0, unix_io_manager, fs);
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
	errcode_t err;

	memset(p, 0, sizeof(*p));
	ext2fs_atomic_set_log_unit(fs->super, log);	/* memory only */
	err = ext2fs_atomic_scan_inodes(fs, probe_file, p);
	ext2fs_atomic_set_log_unit(fs->super, old);
	if (!err && p->bad_files)
		err = EXT2_ET_ATOMIC_UNIT_BREAKS_FILES;
	return err;
}

static errcode_t unit_log(ext2_filsys fs, const char *device, const char *str,
			  unsigned int *log)
{
	struct ext2fs_atomic_devinfo dev;
	unsigned long long unit;
	char msg[256];
	errcode_t err;
	int warn;

	if (!str)
		ext2fs_atomic_probe_device(device, &dev);
	err = ext2fs_atomic_choose_unit(fs->super, &dev, str, &unit, log,
					&warn);
	if (warn)
		atomic_default_warning(device, unit);
	if (err && err != EXT2_ET_ATOMIC_BAD_SIZE) {
		ext2fs_atomic_describe_valid_units(fs->super, msg,
						   sizeof(msg));
		fprintf(stderr, "%s\n", msg);
	}
	return err;
}

/* Decide what to do, reading only; print why when refusing. */
static int decide(const char *device, const struct atomic_words *w,
		  struct change *c)
{
	struct unit_probe probe;
	ext2_filsys fs;
	ext2_ino_t flagged = 0;
	errcode_t err;
	int mount_flags = 0, has;

	err = open_fs(device, 0, &fs);
	if (err) {
		com_err(program, err, "while trying to open %s", device);
		fprintf(stderr, "Couldn't find valid filesystem superblock.\n");
		return 1;
	}
	has = ext2fs_atomic_has_feature(fs->super);
	memset(c, 0, sizeof(*c));
	c->action = NOTHING;
	if (w->feature == -1 && w->unit) {
		com_err(program, EXT2_ET_ATOMIC_UNIT_WITHOUT_OPT,
			"(-O ^atomic_write clears the unit too)");
		goto refuse;
	}
	if (w->feature == 1 && !has) {
		if (!ext2fs_has_feature_extents(fs->super)) {
			com_err(program, EXT2_ET_ATOMIC_NEED_EXTENTS,
				"on %s", device);
			fprintf(stderr, "Enable extents first "
				"(tune2fs -O extent).\n");
			goto refuse;
		}
		c->action = ENABLE;
	} else if (w->feature == -1 && has) {
		err = ext2fs_atomic_count_inodes(fs, &flagged);
		if (err) {
			com_err(program, err, "while scanning inodes of %s",
				device);
			goto refuse;
		}
		if (flagged) {
			com_err(program, EXT2_ET_ATOMIC_FLAGGED_INODES,
				"(%u on %s)", flagged, device);
			fprintf(stderr, "Clear the flag first: chattr -W on "
				"the mounted filesystem, or debugfs -w -R "
				"\"clear_atomic FILE\" offline.\n");
			goto refuse;
		}
		c->action = DISABLE;
	} else if (w->unit && !has && w->feature != 1) {
		com_err(program, EXT2_ET_ATOMIC_NO_FEATURE,
			"(%s); add -O atomic_write", device);
		goto refuse;
	} else if (w->unit && has) {
		c->action = SET_UNIT;
	}
	if (c->action == ENABLE || c->action == SET_UNIT) {
		err = unit_log(fs, device, w->unit, &c->log_unit);
		if (err) {
			com_err(program, err, "(atomic_write_unit=%s)",
				w->unit ? w->unit : "default");
			goto refuse;
		}
	}
	if (c->action == SET_UNIT) {
		err = files_obey(fs, c->log_unit, &probe);
		if (err == EXT2_ET_ATOMIC_UNIT_BREAKS_FILES) {
			com_err(program, err, "(%llu file(s), %llu window(s) "
				"on %s)", (unsigned long long) probe.bad_files,
				(unsigned long long) probe.bad_windows,
				device);
			fprintf(stderr, "Keep the current unit, or clear the "
				"flag of those files (chattr -W) and write "
				"them anew after the change.\n");
			goto refuse;
		}
		if (err) {
			com_err(program, err, "while checking atomic files "
				"of %s", device);
			goto refuse;
		}
	}
	if (c->action != NOTHING) {
		err = ext2fs_check_if_mounted(device, &mount_flags);
		if (!err && (mount_flags & EXT2_MF_MOUNTED)) {
			fprintf(stderr, "%s: the atomic_write feature and "
				"unit can only be changed while %s is not "
				"mounted.\n", program, device);
			goto refuse;
		}
		ext2fs_atomic_set_log_unit(fs->super, c->log_unit);
		ext2fs_atomic_describe_unit(fs->super, c->desc,
					    sizeof(c->desc));
	}
	ext2fs_free(fs);
	return 0;
refuse:
	ext2fs_free(fs);
	return 1;
}

static int apply(const char *device, const struct change *c)
{
	ext2_filsys fs;
	errcode_t err;

	if (c->action == NOTHING)
		return 0;
	err = open_fs(device, 1, &fs);
	if (err) {
		com_err(program, err, "while trying to open %s", device);
		return 1;
	}
	if (c->action == DISABLE) {
		ext2fs_atomic_disable(fs);
		printf("Clearing the atomic_write feature\n");
	} else {
		err = ext2fs_atomic_enable(fs, c->log_unit);
		if (!err)
			printf("Setting atomic write unit to %s\n", c->desc);
	}
	if (!err)
		err = ext2fs_close_free(&fs);
	else
		ext2fs_free(fs);
	if (err) {
		com_err(program, err, "while writing the superblock of %s",
			device);
		return 1;
	}
	return 0;
}

/* After stock -I: put back every window that it moved off alignment. */
static int verify_and_repair(const char *device)
{
	struct ext2fs_atomic_repair_stats r;
	errcode_t err;
	char msg[512];

	err = ext2fs_atomic_repair_device(device, NULL, &r);
	ext2fs_atomic_describe_repair(&r, err, device, msg, sizeof(msg));
	if (err)
		com_err(program, err, "%s", msg);
	else if (*msg)
		printf("%s\n", msg);
	return err != 0;
}

/* Stock tune2fs -l, atomic-aware. */
static int list(char *prog, const char *device)
{
	struct ext2_super_block sb;
	char *argv[] = { prog, "-l", (char *) device, NULL };
	int have = !ext2fs_atomic_read_super(device, SUPER_LIST_FLAGS, 0, 0,
					     &sb);

	return super_list_run("tune2fs", argv, have ? &sb : NULL);
}

static void print_version(void)
{
	const char *ver = NULL, *date = NULL;

	ext2fs_get_library_version(&ver, &date);
	printf("tune2fs %s (%s)\n", ver, date);
}

int main(int argc, char **argv)
{
	struct atomic_words w;
	struct arg_list al;
	struct change c;
	struct ext2_super_block sb;
	const char *device;
	char **stock_argv;
	int status = 0, listing, moves, has;

	program = basename(argv[0]);
	ext2fs_atomic_init();
	if (args_scan(&al, argc, argv, TUNE2FS_OPTS) ||
	    atomic_words_strip(&al, &w)) {
		com_err(program, ENOMEM, "while reading the command line");
		exit(1);
	}
	device = args_operand(&al, 0);
	listing = args_count(&al, 'l');
	moves = args_count(&al, 'I');
	if (al.bad || !device)
		stock_exec("tune2fs", argv);
	has = !ext2fs_atomic_read_super(device, SUPER_LIST_FLAGS, 0, 0, &sb) &&
		ext2fs_atomic_has_feature(&sb);
	if (!w.stripped && (!has || (!listing && !moves)))
		stock_exec("tune2fs", argv);
	if (w.stripped && args_count(&al, 'z')) {
		fprintf(stderr, "%s: -z cannot record the atomic_write "
			"change; make it in a tune2fs run of its own.\n",
			program);
		exit(1);
	}
	if (w.stripped && decide(device, &w, &c))
		exit(1);
	if (!w.stripped)
		memset(&c, 0, sizeof(c));

	/* Stock with what is left, without -l (listed last, below). */
	for (int i = 0; i < al.nr; i++)
		if (al.items[i].opt == 'l')
			al.items[i].dropped = 1;
	if (!atomic_words_only(&al, "f")) {
		stock_argv = args_build(&al);
		if (!stock_argv) {
			com_err(program, ENOMEM, "while running tune2fs");
			exit(1);
		}
		status = stock_run("tune2fs", stock_argv);
		args_free_argv(stock_argv);
		if (status)
			stock_exit(status < 0 ? 1 : status);
	} else if (c.action != NOTHING || !listing) {
		print_version();
	}
	status = apply(device, &c);
	if (!status && moves && (has || c.action == ENABLE))
		status = verify_and_repair(device);
	if (!status && listing)
		status = list(argv[0], device);
	stock_exit(status);
	return 0;
}
