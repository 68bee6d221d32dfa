// SPDX-License-Identifier: GPL-2.0
/*
 * atomic_cmds.c --- debugfs requests that change atomic files:
 * set_atomic, clear_atomic, atomic_relocate, and the requests that
 * allocate blocks for a file (write, mkdir, fallocate, punch/truncate,
 * copy_inode, bmap -a), which debug_cmds.ct points here.  On anything
 * that is not an atomic file these call debugfs' own do_* functions
 * unchanged; on an atomic file the windows stay whole and aligned
 * (FORMAT.md 3), or the request is refused before anything changes.
 */

#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "debugfs.h"
#include "ext2fs/ext2fs_atomic.h"
#include "support/nls-enable.h"
#include "atomic_cmds.h"

/* debugfs.c's requests that we wrap (not READ_ONLY: no header has them) */
extern void do_write(int argc, char **argv, int sci_idx, void *infop);
extern void do_mkdir(int argc, char **argv, int sci_idx, void *infop);
extern void do_fallocate(int argc, char **argv, int sci_idx, void *infop);
extern void do_punch(int argc, char **argv, int sci_idx, void *infop);
extern void do_copy_inode(int argc, char **argv, int sci_idx, void *infop);
extern void do_bmap(int argc, char **argv, int sci_idx, void *infop);

/* Read a named file for a request that writes; 0 if it cannot be done. */
static ext2_ino_t writable_file(int argc, char **argv, int min, int max,
				const char *usage, struct ext2_inode *inode)
{
	ext2_ino_t ino;

	if (common_args_process(argc, argv, min, max, argv[0], usage,
				CHECK_FS_RW | CHECK_FS_BITMAPS))
		return 0;
	ino = string_to_inode(argv[1]);
	if (ino && debugfs_read_inode(ino, inode, argv[0]))
		ino = 0;
	return ino;
}

/*
 * set_atomic [-f] file: the kernel's rules (FORMAT.md 2.3); a regular
 * file must also obey the rule unless forced.
 */
void do_set_atomic(int argc, char **argv, int sci_idx EXT2FS_ATTR((unused)),
		   void *infop EXT2FS_ATTR((unused)))
{
	struct ext2_inode inode;
	char status[256];
	const char *name;
	int force = argc == 3 && !strcmp(argv[1], "-f");
	ext2_ino_t ino;
	errcode_t err;
	__u64 nr_bad;

	if (argc != 2 + force || argv[1 + force][0] == '-') {
		com_err(argv[0], 0, _("Usage: %s [-f] <file>"), argv[0]);
		return;
	}
	if (check_fs_open(argv[0]) || check_fs_read_write(argv[0]))
		return;
	name = argv[1 + force];
	ino = string_to_inode(argv[1 + force]);
	if (!ino || debugfs_read_inode(ino, &inode, argv[0]))
		return;
	if (ext2fs_atomic_inode_flagged(&inode)) {
		com_err(argv[0], 0, _("%s already has the Atomic_Write flag"),
			name);
		return;
	}
	ext2fs_atomic_init();
	if (!ext2fs_has_feature_atomic_write(current_fs->super)) {
		com_err(argv[0], EXT2_ET_ATOMIC_NO_FEATURE,
			_("(%s): not setting Atomic_Write on %s; enable the "
			  "feature with tune2fs -O atomic_write"),
			current_fs->device_name, name);
		return;
	}
	inode.i_flags |= EXT4_ATOMIC_FL;
	err = ext2fs_atomic_inode_valid(current_fs, &inode);
	if (!err)
		err = ext2fs_atomic_check_super(current_fs->super);
	if (err) {
		com_err(argv[0], err, _("so Atomic_Write is not set on %s"),
			name);
		return;
	}
	if (debugfs_atomic_status(current_fs, ino, &inode, status,
				  sizeof(status), &nr_bad) &&
	    (!nr_bad || !force)) {
		com_err(argv[0], 0, _("not setting Atomic_Write on %s: it %s%s"),
			name, status, nr_bad ? _("; move them with "
			"atomic_relocate after set_atomic -f, or force the "
			"flag with -f") : "");
		return;
	}
	if (debugfs_write_inode(ino, &inode, argv[0]))
		return;
	if (nr_bad)
		printf(_("%s: Atomic_Write set; it %s\n"), name, status);
}

void do_clear_atomic(int argc, char **argv,
		     int sci_idx EXT2FS_ATTR((unused)),
		     void *infop EXT2FS_ATTR((unused)))
{
	struct ext2_inode inode;
	ext2_ino_t ino;

	if (common_args_process(argc, argv, 2, 2, argv[0], "<file>",
				CHECK_FS_RW))
		return;
	ino = string_to_inode(argv[1]);
	if (!ino || debugfs_read_inode(ino, &inode, argv[0]))
		return;
	if (!ext2fs_atomic_inode_flagged(&inode)) {
		com_err(argv[0], 0, _("%s does not have the Atomic_Write flag"),
			argv[1]);
		return;
	}
	inode.i_flags &= ~EXT4_ATOMIC_FL;
	debugfs_write_inode(ino, &inode, argv[0]);
}

/* Move the broken windows of ino: < 0 failed, else whether it moved. */
static int relocate(const char *cmd, const char *name, ext2_ino_t ino,
		    int quiet)
{
	struct ext2fs_atomic_reloc_stats st = { 0, 0 };
	ext2fs_atomic_alloc_t ac;
	errcode_t err, err2;

	ext2fs_atomic_init();
	err = ext2fs_atomic_alloc_open(current_fs, &ac);
	if (!err) {
		err = ext2fs_atomic_relocate_inode(ac, ino, NULL, NULL, &st);
		err2 = ext2fs_atomic_alloc_close(ac);
		if (!err)
			err = err2;
	}
	if (err)
		com_err(cmd, err, _("while moving the windows of %s%s"), name,
			st.windows_moved ? "" : _("; nothing was changed"));
	else if (!quiet && st.windows_moved)
		printf(P_("%s: %llu window moved, %llu blocks copied\n",
			  "%s: %llu windows moved, %llu blocks copied\n",
			  st.windows_moved), name,
		       (unsigned long long) st.windows_moved,
		       (unsigned long long) st.blocks_copied);
	else if (!quiet)
		printf(_("%s: obeys the rule, nothing to move\n"), name);
	return err ? -1 : st.windows_moved != 0;
}

void do_atomic_relocate(int argc, char **argv,
			int sci_idx EXT2FS_ATTR((unused)),
			void *infop EXT2FS_ATTR((unused)))
{
	struct ext2_inode inode;
	ext2_ino_t ino;
	errcode_t err;

	ino = writable_file(argc, argv, 2, 2, "<file>", &inode);
	if (!ino)
		return;
	err = ext2fs_atomic_inode_valid(current_fs, &inode);
	if (!err)
		err = ext2fs_atomic_check_super(current_fs->super);
	if (!ext2fs_atomic_inode_flagged(&inode))
		com_err(argv[0], 0, _("%s does not have the Atomic_Write flag; "
			"nothing to do"), argv[1]);
	else if (err)
		com_err(argv[0], err, _("not relocating %s"), argv[1]);
	else if (!LINUX_S_ISREG(inode.i_mode))
		com_err(argv[0], 0, _("a directory has no windows: not "
			"relocating %s"), argv[1]);
	else
		relocate(argv[0], argv[1], ino, 0);
}

/* Are there want free aligned runs of one unit?  (Takes nothing.) */
static int enough_runs(__u64 want)
{
	blk64_t unit = ext2fs_atomic_unit_blocks(current_fs), goal = 0, blk;
	ext2fs_atomic_alloc_t ac;
	__u64 n = 0;

	ext2fs_atomic_init();
	if (ext2fs_atomic_alloc_open(current_fs, &ac))
		return 0;
	while (n < want && !ext2fs_atomic_find_run(ac, goal, 0, unit, &blk) &&
	       blk >= goal) {
		n++;
		goal = blk + unit;
	}
	ext2fs_atomic_alloc_close(ac);
	return n >= want;
}

/* Do new files and directories made in dir inherit Atomic_Write? */
static int atomic_dir(ext2_ino_t dir)
{
	struct ext2_inode inode;

	return ext2fs_has_feature_atomic_write(current_fs->super) &&
	       !ext2fs_read_inode(current_fs, dir, &inode) &&
	       ext2fs_atomic_inode_flagged(&inode);
}

/* After debugfs made name in dir: it inherits the flag, as in the kernel. */
static void inherit(const char *cmd, ext2_ino_t dir, const char *name)
{
	struct ext2_inode inode;
	ext2_ino_t ino;
	errcode_t err;

	err = ext2fs_lookup(current_fs, dir, name, strlen(name), NULL, &ino);
	if (!err)
		err = ext2fs_read_inode(current_fs, ino, &inode);
	if (err || !(LINUX_S_ISREG(inode.i_mode) ||
		     LINUX_S_ISDIR(inode.i_mode)))
		return;
	inode.i_flags |= EXT4_ATOMIC_FL;
	ext2fs_atomic_init();
	err = ext2fs_atomic_inode_valid(current_fs, &inode);
	if (err) {
		com_err(cmd, err, _("so %s does not inherit Atomic_Write"),
			name);
		return;
	}
	err = ext2fs_write_inode(current_fs, ino, &inode);
	if (!err && LINUX_S_ISREG(inode.i_mode) &&
	    relocate(cmd, name, ino, 1) < 0) {
		/* The repair may have switched part of the tree: reread. */
		err = ext2fs_read_inode(current_fs, ino, &inode);
		inode.i_flags &= ~EXT4_ATOMIC_FL;
		if (!err)
			err = ext2fs_write_inode(current_fs, ino, &inode);
		com_err(cmd, 0, _("%s was written without Atomic_Write"),
			name);
	}
	if (err)
		com_err(cmd, err, _("while setting Atomic_Write on %s"), name);
}

/*
 * write <native file> <new file>: made in an Atomic_Write directory the
 * new file inherits the flag, and its windows are copied to aligned runs
 * after debugfs has written it.  Refused first if the aligned space is
 * not there: debugfs' own blocks may take up to one run per window
 * besides the aligned copy.
 */
void do_atomic_write(int argc, char **argv, int sci_idx, void *infop)
{
	struct stat st;
	ext2_ino_t ino;
	__u64 windows;
	blk64_t unit;

	if (argc != 3 || !current_fs || !(current_fs->flags & EXT2_FLAG_RW) ||
	    !atomic_dir(cwd) || stat(argv[1], &st) ||
	    !ext2fs_namei(current_fs, root, cwd, argv[2], &ino)) {
		do_write(argc, argv, sci_idx, infop);
		return;
	}
	unit = ext2fs_atomic_unit_blocks(current_fs);
	windows = ((st.st_size + current_fs->blocksize - 1) /
		   current_fs->blocksize + unit - 1) / unit;
	if (!enough_runs(2 * windows + 1)) {
		com_err(argv[0], EXT2_ET_ATOMIC_NO_SPACE,
			_("in %s: %s would inherit Atomic_Write and needs %llu "
			  "aligned runs of %llu blocks; nothing was written"),
			current_fs->device_name, argv[2],
			(unsigned long long) (2 * windows + 1),
			(unsigned long long) unit);
		return;
	}
	do_write(argc, argv, sci_idx, infop);
	inherit(argv[0], cwd, argv[2]);
}

/* mkdir <path>: a directory made in an atomic directory inherits it. */
void do_atomic_mkdir(int argc, char **argv, int sci_idx, void *infop)
{
	ext2_ino_t dir = cwd, ino;
	char *path, *slash, *base;
	int atomic = 0;

	if (argc != 2 || !current_fs || !(current_fs->flags & EXT2_FLAG_RW) ||
	    !ext2fs_has_feature_atomic_write(current_fs->super) ||
	    !(path = strdup(argv[1]))) {
		do_mkdir(argc, argv, sci_idx, infop);
		return;
	}
	slash = strrchr(path, '/');
	base = slash ? slash + 1 : path;
	if (slash)
		*slash = 0;
	/* The name is looked up (a scan of dir) only in an atomic dir. */
	if ((!slash || !ext2fs_namei(current_fs, root, cwd,
				     *path ? path : "/", &dir)) &&
	    atomic_dir(dir))
		atomic = ext2fs_lookup(current_fs, dir, base, strlen(base),
				       NULL, &ino) != 0;
	do_mkdir(argc, argv, sci_idx, infop);
	if (atomic)
		inherit(argv[0], dir, base);
	free(path);
}

/* The atomic regular file a guarded request names, if any. */
static ext2_ino_t atomic_target(const char *name, struct ext2_inode *inode)
{
	ext2_ino_t ino;

	if (!current_fs || !(current_fs->flags & EXT2_FLAG_RW) ||
	    !ext2fs_has_feature_atomic_write(current_fs->super))
		return 0;
	ino = debugfs_atomic_quiet_inode(name);
	if (!ino || ext2fs_read_inode(current_fs, ino, inode) ||
	    !ext2fs_atomic_inode_flagged(inode) ||
	    !LINUX_S_ISREG(inode->i_mode))
		return 0;
	return ino;
}

/* The file must obey the rule before a guarded change touches it. */
static int refuse_broken(const char *cmd, const char *name, ext2_ino_t ino,
			 struct ext2_inode *inode)
{
	char status[256];
	__u64 nr_bad;

	if (!debugfs_atomic_status(current_fs, ino, inode, status,
				   sizeof(status), &nr_bad))
		return 0;
	com_err(cmd, 0, _("%s is an atomic file that %s; run atomic_relocate "
			  "first. Nothing was changed"), name, status);
	return 1;
}

static int window_mapped(ext2_ino_t ino, struct ext2_inode *inode,
			 blk64_t lblk)
{
	blk64_t pblk = 0;
	int flags = 0;

	return !ext2fs_bmap2(current_fs, ino, inode, NULL, 0, lblk, &flags,
			     &pblk) && pblk;
}

/* Map the unmapped windows of [w0, w1] to aligned runs, unwritten. */
static errcode_t alloc_windows(ext2_ino_t ino, struct ext2_inode *inode,
			       blk64_t w0, blk64_t w1)
{
	blk64_t unit = ext2fs_atomic_unit_blocks(current_fs), w, first;
	ext2fs_atomic_alloc_t ac;
	errcode_t err, err2;

	ext2fs_atomic_init();
	err = ext2fs_atomic_alloc_open(current_fs, &ac);
	if (err)
		return err;
	for (w = w0; w <= w1 && !err; w++) {
		if (window_mapped(ino, inode, w * unit))
			continue;
		for (first = w; w + 1 <= w1 &&
		     !window_mapped(ino, inode, (w + 1) * unit); w++)
			;
		err = ext2fs_atomic_alloc_windows(ac, ino, inode, first,
						  w - first + 1, 0, 0);
	}
	err2 = ext2fs_atomic_alloc_close(ac);
	return err ? err : err2;
}

/* Are the aligned runs for the unmapped windows of [w0, w1] free? */
static int windows_fit(const char *cmd, const char *name, ext2_ino_t ino,
		       struct ext2_inode *inode, blk64_t w0, blk64_t w1)
{
	blk64_t unit = ext2fs_atomic_unit_blocks(current_fs), w;
	__u64 missing = 0;

	for (w = w0; w <= w1; w++)
		missing += !window_mapped(ino, inode, w * unit);
	if (enough_runs(missing))
		return 1;
	com_err(cmd, EXT2_ET_ATOMIC_NO_SPACE, _("in %s for %llu windows of "
		"%s. Nothing was changed"), current_fs->device_name,
		(unsigned long long) missing, name);
	return 0;
}

/*
 * The common start of fallocate and punch on an atomic file: argv[1]
 * is an atomic file (else the stock request runs, and 0 is returned),
 * writable, and argv[2] (and argv[3], when given) are logical blocks.
 * Returns the inode number, 0 when the request is done or refused.
 */
static ext2_ino_t atomic_range_args(int argc, char **argv, int sci_idx,
				    void *infop,
				    void (*stock)(int, char **, int, void *),
				    struct ext2_inode *inode, blk64_t *start,
				    blk64_t *end)
{
	ext2_ino_t ino;

	if ((argc != 3 && argc != 4) || !atomic_target(argv[1], inode)) {
		stock(argc, argv, sci_idx, infop);
		return 0;
	}
	ino = writable_file(argc, argv, 3, 4, "<file> start_blk [end_blk]",
			    inode);
	if (!ino || strtoblk(argv[0], argv[2], "logical block", start) ||
	    (argc == 4 && strtoblk(argv[0], argv[3], "logical block", end)))
		return 0;
	return ino;
}

/*
 * fallocate <file> start_blk end_blk on an atomic file: every window
 * the range touches that is not mapped gets an aligned run, unwritten.
 */
void do_atomic_fallocate(int argc, char **argv, int sci_idx, void *infop)
{
	struct ext2_inode inode;
	blk64_t start, end, unit;
	ext2_ino_t ino;
	errcode_t err;

	ino = atomic_range_args(argc, argv, sci_idx, infop, do_fallocate,
				&inode, &start, &end);
	if (!ino)
		return;
	if (argc == 3 || end < start) {
		com_err(argv[0], 0, _("%s is an atomic file: give an end_blk "
			"not below start_blk (whole windows are allocated). "
			"Nothing was changed"), argv[1]);
		return;
	}
	if (refuse_broken(argv[0], argv[1], ino, &inode))
		return;
	unit = ext2fs_atomic_unit_blocks(current_fs);
	if (!windows_fit(argv[0], argv[1], ino, &inode, start / unit,
			 end / unit))
		return;
	err = alloc_windows(ino, &inode, start / unit, end / unit);
	if (err)
		com_err(argv[0], err, _("while fallocating inode %u from %llu "
			"to %llu"), ino, (unsigned long long) start,
			(unsigned long long) end);
}

/*
 * punch <file> start_blk [end_blk] on an atomic file, as the patched
 * kernel does (ext2fs_atomic_punch): whole windows are deallocated,
 * the parts of windows at either end are zeroed in place, so no window
 * loses a block.
 */
void do_atomic_punch(int argc, char **argv, int sci_idx, void *infop)
{
	ext2fs_atomic_alloc_t ac;
	struct ext2_inode inode;
	blk64_t start, end = ~0ULL;
	ext2_ino_t ino;
	errcode_t err, err2;

	ino = atomic_range_args(argc, argv, sci_idx, infop, do_punch,
				&inode, &start, &end);
	if (!ino)
		return;
	if (end < start) {
		do_punch(argc, argv, sci_idx, infop);	/* punches nothing */
		return;
	}
	if (refuse_broken(argv[0], argv[1], ino, &inode))
		return;
	ext2fs_atomic_init();
	err = ext2fs_atomic_alloc_open(current_fs, &ac);
	if (!err) {
		err = ext2fs_atomic_punch(ac, ino, &inode, start, end);
		err2 = ext2fs_atomic_alloc_close(ac);
		if (!err)
			err = err2;
	}
	if (err)
		com_err(argv[0], err, _("while truncating inode %u from %llu "
			"to %llu"), ino, (unsigned long long) start,
			(unsigned long long) end);
}

/* copy_inode <source> <dest>: the copy shares the source's block map. */
void do_atomic_copy_inode(int argc, char **argv, int sci_idx, void *infop)
{
	struct ext2_inode inode;
	ext2_ino_t ino;

	if (argc == 3 && (ino = atomic_target(argv[1], &inode)) &&
	    refuse_broken(argv[0], argv[1], ino, &inode))
		return;
	do_copy_inode(argc, argv, sci_idx, infop);
}

/*
 * bmap -a <file> lblk: in an atomic file the block's whole window is
 * allocated, aligned (unwritten), and bmap then reports it; setting a
 * mapping by hand (bmap <file> lblk pblk) is refused there.
 */
void do_atomic_bmap(int argc, char **argv, int sci_idx, void *infop)
{
	struct ext2_inode inode;
	blk64_t lblk, unit, w;
	ext2_ino_t ino;
	errcode_t err;
	int c, alloc = 0, was_opterr = opterr;

	if (!current_fs) {
		do_bmap(argc, argv, sci_idx, infop);
		return;
	}
	reset_getopt();
	opterr = 0;		/* do_bmap says it, if it must be said */
	while ((c = getopt(argc, argv, "a")) == 'a')
		alloc = 1;
	opterr = was_opterr;
	if (c != EOF || optind + 2 > argc || optind + 3 < argc ||
	    !(ino = atomic_target(argv[optind], &inode)) ||
	    (!alloc && optind + 2 == argc) ||
	    strtoblk(argv[0], argv[optind + 1], "logical block", &lblk)) {
		do_bmap(argc, argv, sci_idx, infop);
		return;
	}
	if (optind + 3 == argc) {
		if (alloc) {
			do_bmap(argc, argv, sci_idx, infop);	/* usage */
			return;
		}
		com_err(argv[0], 0, _("%s is an atomic file: a block mapped "
			"by hand would break its window; clear_atomic first. "
			"Nothing was changed"), argv[optind]);
		return;
	}
	if (check_fs_bitmaps(argv[0]) ||
	    refuse_broken(argv[0], argv[optind], ino, &inode))
		return;
	unit = ext2fs_atomic_unit_blocks(current_fs);
	w = lblk / unit;
	if (!window_mapped(ino, &inode, w * unit)) {
		if (!windows_fit(argv[0], argv[optind], ino, &inode, w, w))
			return;
		err = alloc_windows(ino, &inode, w, w);
		if (err) {
			com_err(argv[0], err, _("while mapping logical block "
				"%llu"), (unsigned long long) lblk);
			return;
		}
	}
	do_bmap(argc, argv, sci_idx, infop);
}
