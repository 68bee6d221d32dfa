/*
 * mke2fs.c --- stock mke2fs, plus -O atomic_write and
 * -E atomic_write_unit=SIZE.  Also installed as mkfs.ext4, mkfs.ext3
 * and mkfs.ext2, which behave as the stock links do.
 *
 * Data flow (doc/tools.md): strip the atomic words; without them, exec
 * stock mke2fs.  With them: learn the geometry without touching the
 * target (stock "mke2fs -n" on a block device, then a rehearsal with
 * the same options on a sparse scratch file), check the unit against
 * it and against the device, then run stock mke2fs and write the
 * feature and the unit.
 */

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic_args.h"
#include "ext2fs_atomic.h"
#include "stock.h"

#define MKE2FS_OPTS "b:cd:e:g:i:jl:m:no:qr:s:t:vC:DE:FG:I:J:KL:M:N:O:R:ST:U:Vz:"

static const char *program = "mke2fs";

struct request {
	struct atomic_words	w;
	const char		*device;
};

/* A copy of the line for a dry run or rehearsal on another target. */
static char **variant(const struct arg_list *al, const char *drop,
		      const char *add, const char *target)
{
	struct arg_list v = *al;
	char **argv;
	int i, first_operand = 1;

	v.items = calloc(al->nr + 8, sizeof(*v.items));
	if (!v.items)
		return NULL;
	for (i = 0; i < al->nr; i++) {
		v.items[i] = al->items[i];
		if (v.items[i].opt && strchr(drop, v.items[i].opt))
			v.items[i].dropped = 1;
		if (!v.items[i].opt && !v.items[i].dropped && first_operand) {
			v.items[i].value = (char *) target;
			first_operand = 0;
		}
	}
	for (; *add; add++)
		v.items[v.nr++] = (struct arg_item) { *add, NULL, 0 };
	argv = args_build(&v);
	free(v.items);
	return argv;
}

static void find_block_size(const char *line, void *priv)
{
	sscanf(line, "Block size=%u", (unsigned int *) priv);
}

/*
 * Block size stock mke2fs would pick for a block device: ask it with
 * -n (nothing is written).  0 if it cannot tell.
 */
static unsigned int device_block_size(const struct arg_list *al,
				      const char *device)
{
	unsigned int bs = 0;
	char **argv = variant(al, "cdlqzn", "nvF", device);

	if (argv)
		stock_run_capture("mke2fs", argv, find_block_size, &bs,
				  STOCK_QUIET_STDERR);
	args_free_argv(argv);
	return bs;
}

/* What the rehearsal said, to repeat it about the real target. */
struct transcript {
	char	*text;
	size_t	len;
};

static void keep_line(const char *line, void *priv)
{
	struct transcript *t = priv;
	size_t n = strlen(line);
	char *text = realloc(t->text, t->len + n + 1);

	if (!text)
		return;
	memcpy(text + t->len, line, n + 1);
	t->text = text;
	t->len += n;
}

/*
 * Print the transcript with the scratch path replaced by the target,
 * leaving out the note that the scratch file was created.
 */
static void replay(const struct transcript *t, const char *scratch,
		   const char *target)
{
	char *line, *save = NULL, *copy = t->text ? strdup(t->text) : NULL;
	const char *p, *hit;

	for (line = copy ? strtok_r(copy, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "Creating regular file ", 22))
			continue;
		for (p = line; (hit = strstr(p, scratch));
		     p = hit + strlen(scratch))
			fprintf(stderr, "%.*s%s", (int) (hit - p), p, target);
		fprintf(stderr, "%s\n", p);
	}
	free(copy);
}

static errcode_t make_scratch(const char *path, unsigned long long size)
{
	int fd = open(path, O_CREAT | O_EXCL | O_WRONLY, 0600);
	errcode_t retval = 0;

	if (fd < 0)
		return errno;
	if (ftruncate(fd, size))
		retval = errno;
	close(fd);
	return retval;
}

/*
 * Rehearse on a sparse scratch file of the target's size and return
 * the superblock the real run will write.  Returns the stock exit
 * status (or -1) when the rehearsal itself fails.
 */
static int rehearse(struct arg_list *al, const struct request *rq,
		    const struct ext2fs_atomic_devinfo *dev,
		    struct ext2_super_block *sb)
{
	const char *tmp = getenv("TMPDIR");
	char dir[4096], path[4200], bsarg[16];
	unsigned long long size = dev->size;
	unsigned int bs = 0;
	struct transcript said = { NULL, 0 };
	char **argv = NULL;
	struct stat st;
	int status = -1, added = 0;

	snprintf(dir, sizeof(dir), "%s/mke2fs-atomic.XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/rehearsal.img", dir);
	if (dev->is_blockdev) {
		if (ext2fs_get_device_size2(rq->device, 1, &size))
			goto out;
		if (!args_last(al, 'b'))
			bs = device_block_size(al, rq->device);
	}
	if (!stat(rq->device, &st) && make_scratch(path, size))
		goto out;
	if (bs) {
		snprintf(bsarg, sizeof(bsarg), "%u", bs);
		if (args_add(al, 'b', bsarg))
			goto out;
		added = 1;
	}
	argv = variant(al, "cdlnzqSv", "qFF", path);
	if (added) {
		/* The scratch-only -b goes again: the real run picks its own. */
		al->nr--;
		free(al->items[al->nr].value);
	}
	if (!argv)
		goto out;
	status = stock_run_capture("mke2fs", argv, keep_line, &said,
				   STOCK_MERGE_STDERR);
	if (status) {
		replay(&said, path, rq->device);
		goto out;
	}
	status = ext2fs_atomic_read_super(path, 0, 0, 0, sb) ? -1 : 0;
out:
	free(said.text);
	args_free_argv(argv);
	unlink(path);
	rmdir(dir);
	return status;
}

static void hint_unit(const struct ext2_super_block *sb)
{
	char msg[256];

	ext2fs_atomic_describe_valid_units(sb, msg, sizeof(msg));
	fprintf(stderr, "%s\n", msg);
}

/* Every check of TOOLS.md, before the target is touched. */
static int plan(struct arg_list *al, struct request *rq, unsigned int *log,
		char *desc, size_t desc_size)
{
	struct ext2fs_atomic_devinfo dev;
	struct ext2_super_block sb;
	unsigned long long unit;
	errcode_t err;
	int status, warn, quiet = args_count(al, 'q');

	err = ext2fs_atomic_probe_device(rq->device, &dev);
	if (err && err != ENOENT) {
		com_err(program, err, "while looking at %s", rq->device);
		return 1;
	}
	status = rehearse(al, rq, &dev, &sb);
	if (status) {
		if (status < 0)
			fprintf(stderr, "%s: could not work out the filesystem "
				"layout for %s\n", program, rq->device);
		return status > 0 ? status : 1;
	}
	if (!ext2fs_has_feature_extents(&sb)) {
		com_err(program, EXT2_ET_ATOMIC_NEED_EXTENTS, "(%s)",
			rq->device);
		fprintf(stderr, "Atomic files must use extents: make an ext4 "
			"filesystem (-t ext4 or mkfs.ext4), without ^extent.\n");
		return 1;
	}
	err = ext2fs_atomic_choose_unit(&sb, &dev, rq->w.unit, &unit, log,
					&warn);
	if (err == EXT2_ET_ATOMIC_BAD_SIZE) {
		com_err(program, err, "(atomic_write_unit=%s)", rq->w.unit);
		return 1;
	}
	if (warn && !quiet)
		atomic_default_warning(rq->device, unit);
	if (err) {
		com_err(program, err, "(atomic_write_unit=%llu) for %s",
			unit, rq->device);
		hint_unit(&sb);
		return 1;
	}
	err = ext2fs_atomic_check_device(&dev, unit, &warn);
	if (err) {
		com_err(program, err, "(unit %llu bytes) on %s", unit,
			rq->device);
		if (err == EXT2_ET_ATOMIC_DEV_MAX)
			fprintf(stderr, "%s writes at most %llu bytes "
				"atomically.\n", rq->device, dev.atomic_max);
		else
			fprintf(stderr, "The filesystem would start at byte "
				"%llu of the disk (alignment offset %lld); "
				"align the partition to the unit.\n",
				dev.start, dev.align_offset);
		return 1;
	}
	if (warn && rq->w.unit && !quiet)
		fprintf(stderr, "Warning: %s reports no atomic write support;"
			" the unit cannot be checked against a device.\n",
			rq->device);
	ext2fs_atomic_set_log_unit(&sb, *log);
	ext2fs_atomic_describe_unit(&sb, desc, desc_size);
	return 0;
}

/* Set the feature and the unit on the filesystem stock mke2fs made. */
static int finish(const struct request *rq, unsigned int log, int quiet)
{
	char desc[64];
	ext2_filsys fs;
	errcode_t err;

	err = ext2fs_open2(rq->device, rq->w.offset[0] ? rq->w.offset : NULL,
			   EXT2_FLAG_RW | EXT2_FLAG_64BITS, 0, 0,
			   unix_io_manager, &fs);
	if (!err)
		err = ext2fs_atomic_enable(fs, log);
	if (!err) {
		ext2fs_atomic_describe_unit(fs->super, desc, sizeof(desc));
		err = ext2fs_close_free(&fs);
	}
	if (err) {
		com_err(program, err, "while setting atomic_write on %s; the "
			"filesystem was made without it", rq->device);
		return 1;
	}
	if (!quiet)
		printf("Atomic write unit: %s\n", desc);
	return 0;
}

int main(int argc, char **argv)
{
	struct request rq;
	struct arg_list al;
	char **stock_argv;
	unsigned int log = 0;
	char desc[64];
	int status, quiet;

	memset(&rq, 0, sizeof(rq));
	program = basename(argv[0]);
	ext2fs_atomic_init();
	if (args_scan(&al, argc, argv, MKE2FS_OPTS) ||
	    atomic_words_strip(&al, &rq.w)) {
		com_err(program, ENOMEM, "while reading the command line");
		exit(1);
	}
	if (rq.w.feature != 1 && rq.w.unit) {
		com_err(program, EXT2_ET_ATOMIC_UNIT_WITHOUT_OPT,
			"(add -O atomic_write)");
		exit(1);
	}
	if (!rq.w.stripped)
		stock_exec("mke2fs", argv);
	stock_argv = args_build(&al);
	if (!stock_argv) {
		com_err(program, ENOMEM, "while reading the command line");
		exit(1);
	}
	rq.device = args_operand(&al, 0);
	if (rq.w.feature != 1 || al.bad || !rq.device || args_count(&al, 'V'))
		stock_exec("mke2fs", stock_argv);

	quiet = args_count(&al, 'q');
	status = plan(&al, &rq, &log, desc, sizeof(desc));
	if (!status) {
		status = stock_run("mke2fs", stock_argv);
		if (status < 0)
			status = 1;
	}
	if (!status && args_count(&al, 'n') && !quiet)
		printf("Atomic write unit: %s\n", desc);
	else if (!status && !args_count(&al, 'n'))
		status = finish(&rq, log, quiet);
	args_free_argv(stock_argv);
	args_free(&al);
	free(rq.w.unit);
	stock_exit(status);
	return status;
}
