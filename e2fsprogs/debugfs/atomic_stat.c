// SPDX-License-Identifier: GPL-2.0
/*
 * atomic_stat.c --- what debugfs shows of atomic files without changing
 * anything: the flag names and the rule status in stat, and the
 * atomic_check request.  Every decision is libext2fs' (ext2fs_atomic.h);
 * this file reports.  rdebugfs links it too.
 */

#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "debugfs.h"
#include "e2p/e2p.h"
#include "ext2fs/ext2fs_atomic.h"
#include "support/nls-enable.h"
#include "atomic_cmds.h"

int debugfs_atomic_status(ext2_filsys fs, ext2_ino_t ino,
			  struct ext2_inode *inode, char *buf, size_t size,
			  __u64 *nr_bad)
{
	unsigned long long unit;
	errcode_t err;

	ext2fs_atomic_init();		/* our error codes' messages */
	*nr_bad = 0;
	err = ext2fs_atomic_inode_valid(fs, inode);
	if (!err)
		err = ext2fs_atomic_check_super(fs->super);
	if (err) {
		snprintf(buf, size, _("invalid: %s"), error_message(err));
		return 1;
	}
	if (LINUX_S_ISDIR(inode->i_mode)) {
		snprintf(buf, size, "%s", _("directory (new files and "
			 "directories inherit the flag)"));
		return 0;
	}
	unit = ext2fs_atomic_unit_blocks(fs);
	err = ext2fs_atomic_check_inode(fs, ino, inode, NULL, NULL, nr_bad);
	if (err) {
		snprintf(buf, size, _("cannot check: %s"), error_message(err));
		return 1;
	}
	if (*nr_bad)
		snprintf(buf, size, P_("breaks the rule in %llu window of "
				       "%llu blocks (atomic_check lists them)",
				       "breaks the rule in %llu windows of "
				       "%llu blocks (atomic_check lists them)",
				       *nr_bad),
			 (unsigned long long) *nr_bad, unit);
	else
		snprintf(buf, size, _("obeys the rule (windows of %llu "
				      "blocks)"), unit);
	return *nr_bad != 0;
}

/*
 * Called by internal_dump_inode() right after "Flags: 0x%x", before the
 * end of that line.  On a filesystem with atomic_write (or for an inode
 * that has the flag anyway) the flags are named by e2p's table and an
 * atomic inode gets a line saying whether it obeys the rule; elsewhere
 * the output is stock's, byte for byte.
 */
void debugfs_atomic_dump_flags(FILE *out, const char *prefix,
			       ext2_ino_t ino, struct ext2_inode *inode)
{
	char status[256];
	__u64 nr_bad;

	if (inode->i_flags && (ext2fs_atomic_inode_flagged(inode) ||
			       ext2fs_has_feature_atomic_write(current_fs->super))) {
		fputs(" (", out);
		print_flags(out, inode->i_flags, PFOPT_LONG);
		fputc(')', out);
	}
	fputc('\n', out);
	if (!ext2fs_atomic_inode_flagged(inode))
		return;
	debugfs_atomic_status(current_fs, ino, inode, status, sizeof(status),
			      &nr_bad);
	fprintf(out, _("%sAtomic write: %s\n"), prefix, status);
}

ext2_ino_t debugfs_atomic_quiet_inode(const char *str)
{
	size_t len = strlen(str);
	ext2_ino_t ino;
	char *end;

	if (len > 2 && str[0] == '<' && str[len - 1] == '>') {
		ino = strtoul(str + 1, &end, 0);
		if (*end == '>' && ino <= current_fs->super->s_inodes_count)
			return ino;
	}
	if (ext2fs_namei(current_fs, root, cwd, str, &ino) ||
	    ino > current_fs->super->s_inodes_count)
		return 0;
	return ino;
}

/*
 * atomic_check [-v] [file...]
 */
struct check_ctx {
	FILE		*out;
	const char	*name;
	blk64_t		unit;
	int		verbose;
	__u64		files, bad;
};

static void problems_text(int problems, char *buf, size_t size)
{
	size_t len;
	int bit;

	buf[0] = 0;
	for (bit = 1; bit & EXT2FS_ATOMIC_ALL_PROBLEMS; bit <<= 1) {
		if (!(problems & bit))
			continue;
		len = strlen(buf);
		snprintf(buf + len, size - len, "%s%s", len ? ", " : "",
			 ext2fs_atomic_problem_name(bit));
	}
}

static int report_violation(ext2_ino_t ino EXT2FS_ATTR((unused)),
			    const struct ext2fs_atomic_violation *v,
			    void *priv)
{
	struct check_ctx *c = priv;
	unsigned long long w0 = v->first_window, w1 = w0 + v->nr_windows - 1;
	char what[160];

	problems_text(v->problems, what, sizeof(what));
	if (w0 == w1)
		fprintf(c->out, _("%s: window %llu (blocks %llu-%llu): %s\n"),
			c->name, w0, w0 * c->unit, (w1 + 1) * c->unit - 1,
			what);
	else
		fprintf(c->out, _("%s: windows %llu-%llu (blocks %llu-%llu): "
				  "%s\n"), c->name, w0, w1, w0 * c->unit,
			(w1 + 1) * c->unit - 1, what);
	return 0;
}

static void check_one(ext2_ino_t ino, struct ext2_inode *inode,
		      struct check_ctx *c)
{
	char status[256];
	__u64 nr_bad;
	errcode_t err;

	c->files++;
	if (!ext2fs_atomic_inode_flagged(inode)) {
		fprintf(c->out, _("%s: no Atomic_Write flag\n"), c->name);
		return;
	}
	if (!debugfs_atomic_status(current_fs, ino, inode, status,
				   sizeof(status), &nr_bad)) {
		if (c->verbose)
			fprintf(c->out, "%s: %s\n", c->name, status);
		return;
	}
	c->bad++;
	if (!nr_bad) {
		fprintf(c->out, "%s: %s\n", c->name, status);
		return;
	}
	err = ext2fs_atomic_check_inode(current_fs, ino, inode,
					report_violation, c, NULL);
	if (err)
		com_err("atomic_check", err, _("while checking %s"), c->name);
}

static int check_scanned(ext2_filsys fs EXT2FS_ATTR((unused)),
			 ext2_ino_t ino, struct ext2_inode *inode, void *priv)
{
	struct check_ctx *c = priv;
	char name[32];

	snprintf(name, sizeof(name), "<%u>", ino);
	c->name = name;
	check_one(ino, inode, c);
	return 0;
}

/*
 * libext2fs' inode scan cannot read the inode tables of an e2image file
 * (debugfs -i: icheck and lsdel find nothing there either), but
 * ext2fs_read_inode() can: there the inodes in use are read one by one.
 */
static errcode_t scan_image(struct check_ctx *c)
{
	ext2_filsys fs = current_fs;
	ext2_ino_t ino = 1, last = fs->super->s_inodes_count;
	struct ext2_inode inode;
	errcode_t err;

	while (ino <= last &&
	       !ext2fs_find_first_set_inode_bitmap2(fs->inode_map, ino, last,
						    &ino)) {
		err = ext2fs_read_inode(fs, ino, &inode);
		if (err)
			return err;
		if (ext2fs_atomic_inode_flagged(&inode))
			check_scanned(fs, ino, &inode, c);
		ino++;
	}
	return 0;
}

void do_atomic_check(int argc, char **argv,
		     int sci_idx EXT2FS_ATTR((unused)),
		     void *infop EXT2FS_ATTR((unused)))
{
	struct check_ctx c;
	struct ext2_inode inode;
	ext2_ino_t ino;
	errcode_t err;
	int opt;

	if (check_fs_open(argv[0]))
		return;
	ext2fs_atomic_init();
	memset(&c, 0, sizeof(c));
	reset_getopt();
	while ((opt = getopt(argc, argv, "v")) != EOF) {
		if (opt != 'v') {
			com_err(argv[0], 0, _("Usage: %s [-v] [file...]"),
				argv[0]);
			return;
		}
		c.verbose = 1;
	}
	c.unit = ext2fs_atomic_unit_blocks(current_fs);
	err = ext2fs_atomic_check_super(current_fs->super);
	if (err)
		com_err(argv[0], err, _("in the superblock of %s"),
			current_fs->device_name);
	else if (!ext2fs_has_feature_atomic_write(current_fs->super))
		com_err(argv[0], EXT2_ET_ATOMIC_NO_FEATURE, "(%s)",
			current_fs->device_name);
	c.out = open_pager();
	if (optind == argc) {
		if ((current_fs->flags & EXT2_FLAG_IMAGE_FILE) &&
		    current_fs->inode_map)
			err = scan_image(&c);
		else
			err = ext2fs_atomic_scan_inodes(current_fs,
							check_scanned, &c);
		if (err)
			com_err(argv[0], err,
				_("while scanning the inodes of %s"),
				current_fs->device_name);
		fprintf(c.out, P_("%llu atomic inode, %llu breaking the rule\n",
				  "%llu atomic inodes, %llu breaking the "
				  "rule\n", c.files),
			(unsigned long long) c.files,
			(unsigned long long) c.bad);
	}
	for (; optind < argc; optind++) {
		c.name = argv[optind];
		ino = string_to_inode(argv[optind]);
		if (ino && !debugfs_read_inode(ino, &inode, argv[0]))
			check_one(ino, &inode, &c);
	}
	close_pager(c.out);
}
