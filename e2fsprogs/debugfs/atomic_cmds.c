/*
 * atomic_cmds.c --- what the debugfs front end adds to stock debugfs:
 * the atomic commands (atomic_check, set_atomic, clear_atomic,
 * atomic_relocate), the guards around stock commands that allocate
 * blocks (write, mkdir, fallocate, punch, copy_inode), and the filters
 * of stock's stat and superblock listings.  Every atomic decision is
 * the library's; this file only parses, reports and sequences.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "atomic_cmds.h"
#include "super_list.h"

/* Run the user's line in stock debugfs, unfiltered. */
static int stock(struct session *s, const char *line)
{
	return session_run_stock(s, line, NULL, NULL);
}

static int usage(const char *cmd, const char *args)
{
	com_err(cmd, 0, "Usage: %s %s", cmd, args);
	return 0;
}

static void problems_text(int problems, char *buf, size_t size)
{
	int bit;
	size_t len;

	buf[0] = 0;
	for (bit = 1; bit & EXT2FS_ATOMIC_ALL_PROBLEMS; bit <<= 1) {
		if (!(problems & bit))
			continue;
		len = strlen(buf);
		snprintf(buf + len, size - len, "%s%s", len ? ", " : "",
			 ext2fs_atomic_problem_name(bit));
	}
}

/*
 * The rule status of a flagged inode, as one phrase; returns 1 when it
 * is broken (or the flag is invalid there).
 */
static int rule_status(ext2_filsys fs, ext2_ino_t ino,
		       struct ext2_inode *inode, char *buf, size_t size,
		       __u64 *nr_bad)
{
	blk64_t unit;
	errcode_t err;

	*nr_bad = 0;
	err = ext2fs_atomic_inode_valid(fs, inode);
	if (!err)
		err = ext2fs_atomic_check_super(fs->super);
	if (err) {
		snprintf(buf, size, "invalid: %s", error_message(err));
		return 1;
	}
	if (LINUX_S_ISDIR(inode->i_mode)) {
		snprintf(buf, size, "directory (new files and directories "
			 "inherit the flag)");
		return 0;
	}
	unit = ext2fs_atomic_unit_blocks(fs);
	err = ext2fs_atomic_check_inode(fs, ino, inode, NULL, NULL, nr_bad);
	if (err) {
		snprintf(buf, size, "cannot check: %s", error_message(err));
		return 1;
	}
	if (*nr_bad)
		snprintf(buf, size, "breaks the rule in %llu window%s of %llu "
			 "blocks (atomic_check lists them)",
			 (unsigned long long) *nr_bad, *nr_bad > 1 ? "s" : "",
			 (unsigned long long) unit);
	else
		snprintf(buf, size, "obeys the rule (windows of %llu blocks)",
			 (unsigned long long) unit);
	return *nr_bad != 0;
}

/*
 * stat: "Flags: 0x1080000" gets the names of the flags, and an atomic
 * inode a line saying whether it obeys the rule.
 */
struct stat_ctx {
	ext2_filsys	fs;
	int		tried;
};

void stat_filter(struct session *s, const char *line, void *priv)
{
	struct stat_ctx *c = priv;
	struct ext2_inode inode;
	const char *fl = strstr(line, "   Flags: 0x");
	char names[512], status[256];
	unsigned long ino, flags;
	__u64 nr_bad;

	if (strncmp(line, "Inode: ", 7) || !fl) {
		fputs(line, stdout);
		return;
	}
	ino = strtoul(line + 7, NULL, 10);
	flags = strtoul(fl + 12, NULL, 16);
	ext2fs_atomic_describe_flags(flags, names, sizeof(names));
	if (names[0])
		printf("%.*s (%s)\n", (int) strcspn(line, "\n"), line, names);
	else
		fputs(line, stdout);
	if (!(flags & EXT4_ATOMIC_FL))
		return;
	if (!c->tried) {
		c->tried = 1;
		session_open_fs(s, NULL, 0, &c->fs);
	}
	if (!c->fs || ext2fs_read_inode(c->fs, ino, &inode))
		return;
	rule_status(c->fs, ino, &inode, status, sizeof(status), &nr_bad);
	printf("Atomic write: %s\n", status);
}

static int cmd_stat(struct session *s, int argc, char **argv,
		    const char *line)
{
	struct stat_ctx c = { NULL, 0 };
	int n;

	(void) argc;
	(void) argv;
	n = session_run_stock(s, line, stat_filter, &c);
	session_close_fs(c.fs, 0);
	return n;
}

/* stats, features: the superblock listing filter of dumpe2fs. */
void super_filter(struct session *s, const char *line, void *priv)
{
	(void) s;
	super_list_line(line, priv);
}

static int cmd_super(struct session *s, int argc, char **argv,
		     const char *line)
{
	struct ext2_super_block sb;
	int have = 0;

	(void) argc;
	(void) argv;
	if (s->fs_open)
		have = !ext2fs_atomic_read_super(s->fs_name, 0, s->superblock,
				s->superblock ? s->blocksize : 0, &sb);
	return session_run_stock(s, line, super_filter, have ? &sb : NULL);
}

/*
 * A batch of stock requests (-f) in a read-only session: the disk does
 * not change under it, so stat's and the listings' filters apply to the
 * whole output, line by line.
 */
struct batch_ctx {
	struct stat_ctx		stat;
	struct ext2_super_block	sb;
	int			have_sb;
};

static void batch_filter(struct session *s, const char *line, void *priv)
{
	struct batch_ctx *b = priv;

	if (!strncmp(line, "Inode: ", 7))
		stat_filter(s, line, &b->stat);
	else
		super_list_line(line, b->have_sb ? &b->sb : NULL);
}

/* Does a line of lines start with a request whose filter opens the fs? */
static int batch_filtered(struct session *s, const char *lines)
{
	const char *p;
	char word[32];
	size_t len;

	for (p = lines; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : p) {
		p += strspn(p, " \t");
		len = strcspn(p, " \t\n");
		if (len < sizeof(word)) {
			memcpy(word, p, len);
			word[len] = 0;
			if (atomic_batchable(s, word))
				return 1;
		}
	}
	return 0;
}

int atomic_run_batch(struct session *s, const char *lines)
{
	struct batch_ctx b;
	int n;

	if (batch_filtered(s, lines))
		session_started(s);
	memset(&b, 0, sizeof(b));
	if (s->fs_open)
		b.have_sb = !ext2fs_atomic_read_super(s->fs_name, 0,
				s->superblock,
				s->superblock ? s->blocksize : 0, &b.sb);
	n = session_run_stock(s, lines, batch_filter, &b);
	session_close_fs(b.stat.fs, 0);
	return n;
}

/* Stock requests whose filters may run in a read-only batch. */
int atomic_batchable(struct session *s, const char *name)
{
	static const char *const ro[] = { "show_inode_info", "stat",
		"show_super_stats", "stats", NULL };
	const char *const *p;

	if (s->rw)
		return 0;
	for (p = ro; *p; p++)
		if (!strcmp(name, *p))
			return 1;
	return 0;
}

/*
 * atomic_check [-v] [file...]
 */
struct check_ctx {
	const char	*name;
	blk64_t		unit;
	int		verbose;
	__u64		files, bad;
};

static int report_violation(ext2_ino_t ino,
			    const struct ext2fs_atomic_violation *v,
			    void *priv)
{
	struct check_ctx *c = priv;
	unsigned long long w0 = v->first_window, w1 = w0 + v->nr_windows - 1;
	char what[160];

	(void) ino;
	problems_text(v->problems, what, sizeof(what));
	if (w0 == w1)
		printf("%s: window %llu (blocks %llu-%llu): %s\n", c->name,
		       w0, w0 * c->unit, (w1 + 1) * c->unit - 1, what);
	else
		printf("%s: windows %llu-%llu (blocks %llu-%llu): %s\n",
		       c->name, w0, w1, w0 * c->unit,
		       (w1 + 1) * c->unit - 1, what);
	return 0;
}

static void check_one(ext2_filsys fs, ext2_ino_t ino,
		      struct ext2_inode *inode, struct check_ctx *c)
{
	char status[256];
	__u64 nr_bad;
	errcode_t err;

	c->files++;
	if (!ext2fs_atomic_inode_flagged(inode)) {
		printf("%s: no Atomic_Write flag\n", c->name);
		return;
	}
	if (!rule_status(fs, ino, inode, status, sizeof(status), &nr_bad)) {
		if (c->verbose)
			printf("%s: %s\n", c->name, status);
		return;
	}
	c->bad++;
	if (!nr_bad) {
		printf("%s: %s\n", c->name, status);
		return;
	}
	err = ext2fs_atomic_check_inode(fs, ino, inode, report_violation, c,
					NULL);
	if (err)
		com_err("atomic_check", err, "while checking %s", c->name);
}

static int check_scanned(ext2_filsys fs, ext2_ino_t ino,
			 struct ext2_inode *inode, void *priv)
{
	struct check_ctx *c = priv;
	char name[32];

	snprintf(name, sizeof(name), "<%u>", ino);
	c->name = name;
	check_one(fs, ino, inode, c);
	return 0;
}

static int cmd_atomic_check(struct session *s, int argc, char **argv,
			    const char *line)
{
	struct check_ctx c = { NULL, 0, 0, 0, 0 };
	struct ext2_inode inode;
	ext2_filsys fs;
	ext2_ino_t ino;
	errcode_t err;
	int i = 1;

	(void) line;
	if (argc > 1 && !strcmp(argv[1], "-v")) {
		c.verbose = 1;
		i++;
	}
	if (i < argc && argv[i][0] == '-')
		return usage(argv[0], "[-v] [file...]");
	if (session_open_fs(s, argv[0], 0, &fs))
		return 0;
	c.unit = ext2fs_atomic_unit_blocks(fs);
	err = ext2fs_atomic_check_super(fs->super);
	if (err)
		com_err(argv[0], err, "in the superblock of %s", s->fs_name);
	else if (!ext2fs_atomic_has_feature(fs->super))
		com_err(argv[0], EXT2_ET_ATOMIC_NO_FEATURE, "(%s)",
			s->fs_name);
	if (i == argc) {
		err = ext2fs_atomic_scan_inodes(fs, check_scanned, &c);
		if (err)
			com_err(argv[0], err, "while scanning the inodes of %s",
				s->fs_name);
		printf("%llu atomic inode%s, %llu breaking the rule\n",
		       (unsigned long long) c.files, c.files == 1 ? "" : "s",
		       (unsigned long long) c.bad);
	}
	for (; i < argc; i++) {
		c.name = argv[i];
		err = session_lookup(s, fs, argv[i], &ino);
		if (!err)
			err = ext2fs_read_inode(fs, ino, &inode);
		if (err)
			com_err(argv[0], err, "while looking up %s", argv[i]);
		else
			check_one(fs, ino, &inode, &c);
	}
	session_close_fs(fs, 0);
	return 0;
}

/* Open read-write and find one file: the start of every write command. */
static errcode_t open_file(struct session *s, const char *cmd,
			   const char *name, ext2_filsys *fs, ext2_ino_t *ino,
			   struct ext2_inode *inode)
{
	errcode_t err;

	err = session_open_fs(s, cmd, 1, fs);
	if (err)
		return err;
	err = session_lookup(s, *fs, name, ino);
	if (!err)
		err = ext2fs_read_inode(*fs, *ino, inode);
	if (err) {
		com_err(cmd, err, "while looking up %s", name);
		session_close_fs(*fs, 0);
		*fs = NULL;
	}
	return err;
}

/*
 * set_atomic [-f] file: the kernel's rules (FORMAT.md 2.3), and a
 * regular file must obey the rule unless forced.
 */
static int cmd_set_atomic(struct session *s, int argc, char **argv,
			  const char *line)
{
	struct ext2_inode inode;
	int force = argc == 3 && !strcmp(argv[1], "-f");
	char status[256];
	ext2_filsys fs;
	ext2_ino_t ino;
	errcode_t err;
	__u64 nr_bad;

	(void) line;
	if (argc != 2 + force || argv[1 + force][0] == '-')
		return usage(argv[0], "[-f] <file>");
	if (open_file(s, argv[0], argv[1 + force], &fs, &ino, &inode))
		return 0;
	err = 0;
	if (ext2fs_atomic_inode_flagged(&inode)) {
		com_err(argv[0], 0, "%s already has the Atomic_Write flag",
			argv[1 + force]);
		goto out;
	}
	if (!ext2fs_atomic_has_feature(fs->super)) {
		com_err(argv[0], EXT2_ET_ATOMIC_NO_FEATURE, "(%s): not setting "
			"Atomic_Write on %s; enable the feature with tune2fs "
			"-O atomic_write", s->fs_name, argv[1 + force]);
		goto out;
	}
	inode.i_flags |= EXT4_ATOMIC_FL;
	if (rule_status(fs, ino, &inode, status, sizeof(status), &nr_bad) &&
	    (!nr_bad || !force)) {
		com_err(argv[0], 0, "not setting Atomic_Write on %s: it %s%s",
			argv[1 + force], status, nr_bad ? "; move them with "
			"atomic_relocate after set_atomic -f, or force the "
			"flag with -f" : "");
		goto out;
	}
	err = ext2fs_write_inode(fs, ino, &inode);
	if (err)
		com_err(argv[0], err, "while writing the inode of %s",
			argv[1 + force]);
	else if (nr_bad)
		printf("%s: Atomic_Write set; it %s\n", argv[1 + force],
		       status);
	session_close_fs(fs, !err);
	return 0;
out:
	session_close_fs(fs, 0);
	return 0;
}

static int cmd_clear_atomic(struct session *s, int argc, char **argv,
			    const char *line)
{
	struct ext2_inode inode;
	ext2_filsys fs;
	ext2_ino_t ino;
	errcode_t err = 0;

	(void) line;
	if (argc != 2 || argv[1][0] == '-')
		return usage(argv[0], "<file>");
	if (open_file(s, argv[0], argv[1], &fs, &ino, &inode))
		return 0;
	if (!ext2fs_atomic_inode_flagged(&inode)) {
		com_err(argv[0], 0, "%s does not have the Atomic_Write flag",
			argv[1]);
		session_close_fs(fs, 0);
		return 0;
	}
	inode.i_flags &= ~EXT4_ATOMIC_FL;
	err = ext2fs_write_inode(fs, ino, &inode);
	if (err)
		com_err(argv[0], err, "while writing the inode of %s", argv[1]);
	session_close_fs(fs, !err);
	return 0;
}

/* Move the broken windows of ino; reports, and says if it wrote. */
static int relocate(const char *cmd, const char *name, ext2_filsys fs,
		    ext2_ino_t ino, int quiet)
{
	struct ext2fs_atomic_reloc_stats st = { 0, 0 };
	ext2fs_atomic_alloc_t ac;
	errcode_t err, err2;

	err = ext2fs_atomic_alloc_open(fs, &ac);
	if (!err) {
		err = ext2fs_atomic_relocate_inode(ac, ino, NULL, NULL, &st);
		err2 = ext2fs_atomic_alloc_close(ac);
		if (!err)
			err = err2;
	}
	if (err)
		com_err(cmd, err, "while moving the windows of %s%s", name,
			st.windows_moved ? "" : "; nothing was changed");
	else if (!quiet && st.windows_moved)
		printf("%s: %llu window%s moved, %llu blocks copied\n", name,
		       (unsigned long long) st.windows_moved,
		       st.windows_moved > 1 ? "s" : "",
		       (unsigned long long) st.blocks_copied);
	else if (!quiet)
		printf("%s: obeys the rule, nothing to move\n", name);
	return err ? -1 : st.windows_moved != 0;
}

static int cmd_atomic_relocate(struct session *s, int argc, char **argv,
			       const char *line)
{
	struct ext2_inode inode;
	ext2_filsys fs;
	ext2_ino_t ino;
	errcode_t err;
	int moved;

	(void) line;
	if (argc != 2 || argv[1][0] == '-')
		return usage(argv[0], "<file>");
	if (open_file(s, argv[0], argv[1], &fs, &ino, &inode))
		return 0;
	err = ext2fs_atomic_inode_valid(fs, &inode);
	if (!err)
		err = ext2fs_atomic_check_super(fs->super);
	if (!ext2fs_atomic_inode_flagged(&inode))
		com_err(argv[0], 0, "%s does not have the Atomic_Write flag; "
			"nothing to do", argv[1]);
	else if (err || !LINUX_S_ISREG(inode.i_mode))
		com_err(argv[0], err, "%s: not relocating %s",
			err ? "" : "a directory has no windows", argv[1]);
	else {
		moved = relocate(argv[0], argv[1], fs, ino, 0);
		session_close_fs(fs, moved != 0);
		return 0;
	}
	session_close_fs(fs, 0);
	return 0;
}

/* Are there want free aligned runs of one unit?  (Takes nothing.) */
static int enough_runs(ext2_filsys fs, __u64 want)
{
	blk64_t unit = ext2fs_atomic_unit_blocks(fs), goal = 0, blk;
	ext2fs_atomic_alloc_t ac;
	__u64 n = 0;

	if (ext2fs_atomic_alloc_open(fs, &ac))
		return 0;
	while (n < want && !ext2fs_atomic_find_run(ac, goal, 0, unit, &blk) &&
	       blk >= goal) {
		n++;
		goal = blk + unit;
	}
	ext2fs_atomic_alloc_close(ac);
	return n >= want;
}

/* The directory a new name goes into, and whether it is atomic. */
static int atomic_dir(ext2_filsys fs, ext2_ino_t dir)
{
	struct ext2_inode inode;

	return ext2fs_atomic_has_feature(fs->super) &&
	       !ext2fs_read_inode(fs, dir, &inode) &&
	       ext2fs_atomic_inode_flagged(&inode);
}

static ext2_ino_t cwd_of(struct session *s)
{
	return s->cwd ? s->cwd : EXT2_ROOT_INO;
}

/* After stock made name in dir: give it the flag (the kernel's rule). */
static void inherit(struct session *s, const char *cmd, ext2_ino_t dir,
		    const char *name)
{
	struct ext2_inode inode;
	ext2_filsys fs;
	ext2_ino_t ino;
	errcode_t err;
	int changed = 0;

	if (session_open_fs(s, cmd, 1, &fs))
		return;
	err = ext2fs_lookup(fs, dir, name, strlen(name), NULL, &ino);
	if (!err)
		err = ext2fs_read_inode(fs, ino, &inode);
	if (err || !(LINUX_S_ISREG(inode.i_mode) ||
		     LINUX_S_ISDIR(inode.i_mode)))
		goto out;
	inode.i_flags |= EXT4_ATOMIC_FL;
	err = ext2fs_atomic_inode_valid(fs, &inode);
	if (err) {
		com_err(cmd, err, "so %s does not inherit Atomic_Write", name);
		goto out;
	}
	err = ext2fs_write_inode(fs, ino, &inode);
	changed = !err;
	if (!err && LINUX_S_ISREG(inode.i_mode) &&
	    relocate(cmd, name, fs, ino, 1) < 0) {
		/* The repair may have switched part of the tree: reread. */
		err = ext2fs_read_inode(fs, ino, &inode);
		inode.i_flags &= ~EXT4_ATOMIC_FL;
		if (!err)
			err = ext2fs_write_inode(fs, ino, &inode);
		com_err(cmd, 0, "%s was written without Atomic_Write", name);
	}
	if (err)
		com_err(cmd, err, "while setting Atomic_Write on %s", name);
out:
	session_close_fs(fs, changed);
}

/*
 * write <native file> <new file>: in a directory with Atomic_Write the
 * new file inherits the flag, so its windows are aligned after stock
 * has written it.  Refused first if the aligned space is not there:
 * stock's own blocks may take up to one run per window besides the
 * aligned copy.
 */
static int wrap_write(struct session *s, int argc, char **argv,
		      const char *line)
{
	ext2_filsys fs = NULL;
	struct stat st;
	ext2_ino_t ino;
	__u64 windows;
	blk64_t unit;
	int n;

	if (argc != 3 || !s->fs_open || !s->rw || stat(argv[1], &st) ||
	    session_open_fs(s, NULL, 0, &fs) ||
	    !atomic_dir(fs, cwd_of(s)) ||
	    !ext2fs_lookup(fs, cwd_of(s), argv[2], strlen(argv[2]), NULL,
			   &ino)) {
		session_close_fs(fs, 0);
		return stock(s, line);
	}
	unit = ext2fs_atomic_unit_blocks(fs);
	windows = ((st.st_size + fs->blocksize - 1) / fs->blocksize +
		   unit - 1) / unit;
	if (!enough_runs(fs, 2 * windows + 1)) {
		com_err(argv[0], EXT2_ET_ATOMIC_NO_SPACE, "in %s: %s would "
			"inherit Atomic_Write and needs %llu aligned runs of "
			"%llu blocks; nothing was written", s->fs_name, argv[2],
			(unsigned long long) (2 * windows + 1),
			(unsigned long long) unit);
		session_close_fs(fs, 0);
		return 0;
	}
	session_close_fs(fs, 0);
	n = stock(s, line);
	inherit(s, argv[0], cwd_of(s), argv[2]);
	return n;
}

/* mkdir <path>: a directory made in an atomic directory inherits it. */
static int wrap_mkdir(struct session *s, int argc, char **argv,
		      const char *line)
{
	ext2_filsys fs = NULL;
	ext2_ino_t dir = cwd_of(s), ino;
	char *path, *slash, *base;
	int n, atomic = 0;

	if (argc != 2 || !s->fs_open || !s->rw)
		return stock(s, line);
	path = strdup(argv[1]);
	if (!path)
		return stock(s, line);
	slash = strrchr(path, '/');
	base = slash ? slash + 1 : path;
	if (slash)
		*slash = 0;
	if (!session_open_fs(s, NULL, 0, &fs) &&
	    (!slash || !session_lookup(s, fs, *path ? path : "/", &dir)) &&
	    ext2fs_lookup(fs, dir, base, strlen(base), NULL, &ino))
		atomic = atomic_dir(fs, dir);
	session_close_fs(fs, 0);
	n = stock(s, line);
	if (atomic)
		inherit(s, argv[0], dir, base);
	free(path);
	return n;
}

static int parse_block(const char *str, blk64_t *blk)
{
	char *end;

	errno = 0;
	*blk = strtoull(str, &end, 0);
	return !*str || *end || errno;
}

/* The atomic file a guarded stock command names, if any (opened rw). */
static int atomic_target(struct session *s, const char *name, ext2_filsys *fs,
			 ext2_ino_t *ino, struct ext2_inode *inode)
{
	*fs = NULL;
	if (!s->fs_open || !s->rw || session_open_fs(s, NULL, 1, fs) ||
	    session_lookup(s, *fs, name, ino) ||
	    ext2fs_read_inode(*fs, *ino, inode) ||
	    !ext2fs_atomic_inode_flagged(inode) ||
	    !LINUX_S_ISREG(inode->i_mode)) {
		session_close_fs(*fs, 0);
		*fs = NULL;
		return 0;
	}
	return 1;
}

/* The file must obey the rule before a guarded change touches it. */
static int refuse_broken(ext2_filsys fs, const char *cmd, const char *name,
			 ext2_ino_t ino, struct ext2_inode *inode)
{
	char status[256];
	__u64 nr_bad;

	if (!rule_status(fs, ino, inode, status, sizeof(status), &nr_bad))
		return 0;
	com_err(cmd, 0, "%s is an atomic file that %s; run atomic_relocate "
		"first. Nothing was changed", name, status);
	return 1;
}

static int window_mapped(ext2_filsys fs, ext2_ino_t ino,
			 struct ext2_inode *inode, blk64_t lblk)
{
	blk64_t pblk = 0;
	int flags = 0;

	return !ext2fs_bmap2(fs, ino, inode, NULL, 0, lblk, &flags, &pblk) &&
	       pblk;
}

/*
 * fallocate <file> start_blk end_blk on an atomic file: every window
 * the range touches that is not mapped gets an aligned run, unwritten.
 */
static int wrap_fallocate(struct session *s, int argc, char **argv,
			  const char *line)
{
	struct ext2_inode inode;
	ext2fs_atomic_alloc_t ac = NULL;
	blk64_t start, end = 0, unit, w, w0, w1, first;
	__u64 missing = 0;
	ext2_filsys fs;
	ext2_ino_t ino;
	errcode_t err = 0, err2;
	int changed = 0;

	if ((argc != 3 && argc != 4) || parse_block(argv[2], &start) ||
	    (argc == 4 && parse_block(argv[3], &end)) ||
	    !atomic_target(s, argv[1], &fs, &ino, &inode))
		return stock(s, line);
	if (argc == 3 || end < start) {
		com_err(argv[0], 0, "%s is an atomic file: give an end_blk "
			"not below start_blk (whole windows are allocated). "
			"Nothing was changed", argv[1]);
		goto out;
	}
	if (refuse_broken(fs, argv[0], argv[1], ino, &inode))
		goto out;
	unit = ext2fs_atomic_unit_blocks(fs);
	w0 = start / unit;
	w1 = end / unit;
	for (w = w0; w <= w1; w++)
		missing += !window_mapped(fs, ino, &inode, w * unit);
	if (!enough_runs(fs, missing)) {
		com_err(argv[0], EXT2_ET_ATOMIC_NO_SPACE, "in %s for %llu "
			"windows of %s. Nothing was changed", s->fs_name,
			(unsigned long long) missing, argv[1]);
		goto out;
	}
	err = ext2fs_atomic_alloc_open(fs, &ac);
	for (w = w0; w <= w1 && !err; w++) {
		if (window_mapped(fs, ino, &inode, w * unit))
			continue;
		for (first = w; w + 1 <= w1 &&
		     !window_mapped(fs, ino, &inode, (w + 1) * unit); w++)
			;
		err = ext2fs_atomic_alloc_windows(ac, ino, &inode, first,
						  w - first + 1, 0, 0);
		changed = 1;
	}
	err2 = ext2fs_atomic_alloc_close(ac);
	if (!err)
		err = err2;
	if (err)
		com_err(argv[0], err, "while fallocating %s", argv[1]);
out:
	session_close_fs(fs, changed);
	return 0;
}

/*
 * punch <file> start_blk [end_blk] on an atomic file, as the patched
 * kernel does (ext2fs_atomic_punch): whole windows are deallocated
 * copy on write, the parts of windows at either end are zeroed in
 * place, so no window loses a block.
 */
static int wrap_punch(struct session *s, int argc, char **argv,
		      const char *line)
{
	ext2fs_atomic_alloc_t ac = NULL;
	struct ext2_inode inode;
	blk64_t start, end = ~0ULL;
	ext2_filsys fs;
	ext2_ino_t ino;
	errcode_t err, err2;

	if ((argc != 3 && argc != 4) || parse_block(argv[2], &start) ||
	    (argc == 4 && parse_block(argv[3], &end)) || end < start ||
	    !atomic_target(s, argv[1], &fs, &ino, &inode))
		return stock(s, line);
	if (refuse_broken(fs, argv[0], argv[1], ino, &inode)) {
		session_close_fs(fs, 0);
		return 0;
	}
	err = ext2fs_atomic_alloc_open(fs, &ac);
	if (!err)
		err = ext2fs_atomic_punch(ac, ino, &inode, start, end);
	err2 = ext2fs_atomic_alloc_close(ac);
	if (!err)
		err = err2;
	if (err)
		com_err(argv[0], err, "while truncating inode %u from %llu to "
			"%llu", ino, (unsigned long long) start,
			(unsigned long long) end);
	session_close_fs(fs, 1);
	return 0;
}

/* copy_inode <source> <dest>: the copy shares the source's block map. */
static int wrap_copy_inode(struct session *s, int argc, char **argv,
			   const char *line)
{
	struct ext2_inode inode;
	ext2_filsys fs;
	ext2_ino_t ino;
	int refused;

	if (argc != 3 || !atomic_target(s, argv[1], &fs, &ino, &inode))
		return stock(s, line);
	refused = refuse_broken(fs, argv[0], argv[1], ino, &inode);
	session_close_fs(fs, 0);
	return refused ? 0 : stock(s, line);
}

const struct atomic_cmd atomic_cmds[] = {
	{ "atomic_check", "Check atomic files against the alignment rule",
	  cmd_atomic_check },
	{ "set_atomic", "Set the Atomic_Write flag of a file",
	  cmd_set_atomic },
	{ "clear_atomic", "Clear the Atomic_Write flag of a file",
	  cmd_clear_atomic },
	{ "atomic_relocate", "Move an atomic file's windows to aligned runs",
	  cmd_atomic_relocate },
	{ NULL, NULL, NULL }
};

/* Stock commands with an atomic side. */
const struct atomic_cmd atomic_wrappers[] = {
	{ "show_inode_info, stat", NULL, cmd_stat },
	{ "show_super_stats, stats", NULL, cmd_super },
	{ "feature, features", NULL, cmd_super },
	{ "write", NULL, wrap_write },
	{ "mkdir", NULL, wrap_mkdir },
	{ "fallocate", NULL, wrap_fallocate },
	{ "punch, truncate", NULL, wrap_punch },
	{ "copy_inode", NULL, wrap_copy_inode },
	{ NULL, NULL, NULL }
};

const struct atomic_cmd *atomic_cmd_find(const struct atomic_cmd *table,
					 const char *name)
{
	const struct atomic_cmd *c;
	const char *p;
	size_t len = strlen(name);

	for (c = table; c->names; c++)
		for (p = c->names; p; p = strstr(p, ", "), p = p ? p + 2 : p)
			if (!strncmp(p, name, len) &&
			    (p[len] == 0 || p[len] == ','))
				return c;
	return NULL;
}

/* Our commands, in the layout of stock's request list. */
void atomic_print_help(void)
{
	const struct atomic_cmd *c;

	for (c = atomic_cmds; c->names; c++) {
		if (strlen(c->names) > 24)
			printf("%s\n%25s%s\n", c->names, "", c->help);
		else
			printf("%-25s%s\n", c->names, c->help);
	}
}
