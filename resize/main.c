/*
 * main.c --- the resize2fs front end.
 *
 * Data flow (doc/resize2fs.md): a filesystem without atomic_write goes
 * to stock resize2fs untouched.  With it, stock resize2fs does the
 * resize through the stock view; before a shrink the windows of atomic
 * files that the shrink would cut off are moved, whole, to free aligned
 * runs below the new end (or the shrink is refused, naming the smallest
 * size that keeps them aligned); after every offline resize each atomic
 * file is checked and every window stock moved is put back on an
 * aligned run.  -P and -M count aligned space.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <e2p/e2p.h>

#include "args.h"
#include "ext2fs_atomic.h"
#include "stock.h"

#define RESIZE2FS_OPTS	"d:fFhMPpS:bsz:"
#define MIN_SIZE_LINE	"Estimated minimum size of the filesystem: "

static char *program;
static const char *device;
static int progress_on;

/* Open the filesystem, read-only or read-write (with an undo file). */
static errcode_t open_fs(int rw, const char *undo, ext2_filsys *fs)
{
	io_manager io = unix_io_manager;
	errcode_t err;

	if (rw && undo) {
		set_undo_io_backing_manager(unix_io_manager);
		set_undo_io_backup_file((char *) undo);
		io = undo_io_manager;
	}
	err = ext2fs_open(device, EXT2_FLAG_64BITS | (rw ? EXT2_FLAG_RW : 0),
			  0, 0, io, fs);
	if (!err)
		err = ext2fs_read_bitmaps(*fs);
	return err;
}

/* "FILE.suffix" for -z FILE, or NULL without -z (or with -z ""). */
static char *undo_name(const char *undo, const char *suffix)
{
	char *name;

	if (!undo || !*undo)
		return NULL;
	name = malloc(strlen(undo) + strlen(suffix) + 2);
	if (name)
		sprintf(name, "%s.%s", undo, suffix);
	return name;
}

static void read_min(const char *line, void *priv)
{
	if (!strncmp(line, MIN_SIZE_LINE, strlen(MIN_SIZE_LINE)))
		*(blk64_t *) priv = strtoull(line + strlen(MIN_SIZE_LINE),
					     NULL, 10);
}

/* Stock's minimum size (resize2fs -P through the view), or 0. */
static blk64_t stock_min(int force, int quiet)
{
	char *argv[] = { program, "-P", (char *) device, NULL, NULL };
	blk64_t min = 0;

	if (force) {
		argv[2] = "-f";
		argv[3] = (char *) device;
	}
	if (stock_run_view("resize2fs", argv, read_min, &min,
			   quiet ? STOCK_QUIET_STDERR : 0))
		return 0;
	return min;
}

/* The smallest size that keeps atomic files aligned, at least floor. */
static errcode_t aligned_min(ext2_filsys fs, blk64_t floor, blk64_t *min)
{
	ext2fs_atomic_alloc_t ac;
	errcode_t err;

	err = ext2fs_atomic_alloc_open(fs, &ac);
	if (!err)
		err = ext2fs_atomic_shrink_min(ac, floor, min);
	ext2fs_atomic_alloc_close(ac);
	return err;
}

/* The size -M shrinks to: stock's minimum, raised for alignment. */
static errcode_t min_size(ext2_filsys fs, int force, int quiet, blk64_t *min)
{
	blk64_t floor = stock_min(force, quiet);

	if (!floor)
		return EXT2_ET_TOOSMALL;
	return aligned_min(fs, floor, min);
}

/* -P: stock's estimate, raised to what aligned atomic files need. */
static int print_min(int force)
{
	ext2_filsys fs;
	blk64_t min;
	errcode_t err;

	err = open_fs(0, NULL, &fs);
	if (err) {
		com_err(program, err, "while trying to open %s", device);
		return 1;
	}
	err = min_size(fs, force, 0, &min);
	ext2fs_free(fs);
	if (err == EXT2_ET_TOOSMALL)
		return 1;	/* stock -P failed and said why */
	if (err) {
		com_err(program, err, "while counting aligned space on %s",
			device);
		return 1;
	}
	printf(MIN_SIZE_LINE "%llu\n", (unsigned long long) min);
	return 0;
}

/* Would stock refuse to resize before changing anything? */
static int stock_refuses(ext2_filsys fs, int force, blk64_t size,
			 blk64_t floor)
{
	struct ext2_super_block *sb = fs->super;

	if (force)
		return 0;
	return (sb->s_state & EXT2_ERROR_FS) ||
	       !(sb->s_state & EXT2_VALID_FS) ||
	       sb->s_lastcheck < sb->s_mtime || !floor || size < floor;
}

/* The size asked for: -M, a size with units, or the device's. */
static errcode_t requested_size(ext2_filsys fs, const char *str, int minimize,
				int force, blk64_t *size)
{
	long page = sysconf(_SC_PAGESIZE);
	blk64_t max;
	errcode_t err;

	if (minimize)
		return min_size(fs, force, 1, size);
	if (str) {
		*size = parse_num_blocks2(str, fs->super->s_log_block_size);
		return *size ? 0 : EXT2_ET_INVALID_ARGUMENT;
	}
	err = ext2fs_get_device_size2(device, fs->blocksize, &max);
	if (err)
		return err;
	if (page > 0 && (unsigned long) page > fs->blocksize)
		max &= ~((blk64_t) page / fs->blocksize - 1);
	*size = max;
	return 0;
}

static void show_progress(ext2_ino_t ino, __u64 done, __u64 total, void *priv)
{
	int *marks = priv, want = total ? (int) (done * 40 / total) : 40;

	(void) ino;
	for (; *marks < want; (*marks)++)
		putchar('X');
	if (done >= total)
		putchar('\n');
	fflush(stdout);
}

static void refuse_shrink(ext2_filsys fs, int force,
			  const struct ext2fs_atomic_shrink_plan *p)
{
	blk64_t min = 0;
	errcode_t err;

	com_err(program, EXT2_ET_ATOMIC_SHRINK_NO_SPACE,
		"(%s: %llu atomic write window(s) must move below block "
		"%llu, %llu free aligned unit(s) there)", device,
		(unsigned long long) p->windows, (unsigned long long) p->end,
		(unsigned long long) p->slots);
	err = min_size(fs, force, 1, &min);
	if (!err)
		fprintf(stderr, "The smallest size that keeps atomic files "
			"aligned is %llu (%dk) blocks; nothing was changed.\n",
			(unsigned long long) min, fs->blocksize / 1024);
	else
		fprintf(stderr, "Nothing was changed.\n");
}

/* Move the windows a shrink would cut off; 0 when done or not needed. */
static int evacuate(const struct ext2fs_atomic_shrink_plan *p,
		    const char *undo)
{
	struct ext2fs_atomic_reloc_stats st = { 0, 0 };
	ext2fs_atomic_alloc_t ac = NULL;
	char *undo_file = undo_name(undo, "evacuate");
	ext2_filsys fs = NULL;
	errcode_t err, err2;
	int marks = 0;

	printf("Moving %llu atomic write window(s) below block %llu\n",
	       (unsigned long long) p->windows, (unsigned long long) p->end);
	if (progress_on)
		printf("Begin pass A (max = %llu)\n%-30s",
		       (unsigned long long) p->windows, "Moving atomic windows");
	fflush(stdout);
	err = open_fs(1, undo_file, &fs);
	if (!err)
		err = ext2fs_atomic_alloc_open(fs, &ac);
	if (!err)
		err = ext2fs_atomic_evacuate(ac, p,
					     progress_on ? show_progress : NULL,
					     &marks, &st);
	err2 = ext2fs_atomic_alloc_close(ac);
	if (!err)
		err = err2;
	if (fs) {
		err2 = ext2fs_close_free(&fs);
		if (!err)
			err = err2;
	}
	free(undo_file);
	if (progress_on && marks < 40)
		putchar('\n');
	if (err) {
		com_err(program, err, "while moving atomic write windows of "
			"%s below block %llu", device,
			(unsigned long long) p->end);
		fprintf(stderr, "Nothing was resized.  Run e2fsck -f %s, "
			"then try again.\n", device);
		return 1;
	}
	return 0;
}

/*
 * Before a shrink: plan, or refuse.  Returns -1 when stock is to run
 * unchanged (it refuses by itself, or nothing has to move), 0 when the
 * windows of plan are to be moved first, 1 after a refusal.
 */
static int plan_shrink(ext2_filsys fs, blk64_t size, int force,
		       struct ext2fs_atomic_shrink_plan *plan)
{
	ext2fs_atomic_alloc_t ac = NULL;
	errcode_t err;

	if (stock_refuses(fs, force, size, stock_min(force, 1)))
		return -1;
	err = ext2fs_atomic_alloc_open(fs, &ac);
	if (!err)
		err = ext2fs_atomic_shrink_plan(ac, size, plan);
	ext2fs_atomic_alloc_close(ac);
	if (err == EXT2_ET_ATOMIC_SHRINK_NO_SPACE) {
		refuse_shrink(fs, force, plan);
		return 1;
	}
	if (err == EXT2_ET_TOOSMALL)
		return -1;	/* stock says it its way */
	if (err) {
		com_err(program, err, "while planning the shrink of %s",
			device);
		return 1;
	}
	return plan->windows ? 0 : -1;
}

/* After stock: put every window it moved back on an aligned run. */
static int repair(const char *undo)
{
	struct ext2fs_atomic_repair_stats rs;
	char *undo_file = undo_name(undo, "atomic");
	io_manager io = NULL;
	errcode_t err;
	char msg[512];

	if (undo_file) {
		set_undo_io_backing_manager(unix_io_manager);
		set_undo_io_backup_file(undo_file);
		io = undo_io_manager;
	}
	err = ext2fs_atomic_repair_device(device, io, &rs);
	/* Nothing moved, nothing written: an empty undo file only confuses. */
	if (undo_file && !err && !rs.reloc.windows_moved)
		unlink(undo_file);
	free(undo_file);
	ext2fs_atomic_describe_repair(&rs, err, device, msg, sizeof(msg));
	if (err)
		com_err(program, err, "%s", msg);
	else if (*msg)
		printf("%s\n", msg);
	return err != 0;
}

/* Run stock resize2fs through the view; its exit status. */
static int run_stock(char **argv)
{
	int status = stock_run_view("resize2fs", argv, NULL, NULL, 0);

	return status < 0 ? 1 : status;
}

/* Replace -M by the size it stands for, so that stock uses ours. */
static int pin_size(struct arg_list *al, blk64_t size)
{
	char buf[32];
	int i;

	snprintf(buf, sizeof(buf), "%llu", (unsigned long long) size);
	for (i = 0; i < al->nr; i++) {
		if (al->items[i].opt == 'M')
			al->items[i].dropped = 1;
		if (!al->items[i].opt && al->items[i].value != device)
			al->items[i].dropped = 1;
	}
	return args_add(al, 0, buf);
}

int main(int argc, char **argv)
{
	struct ext2fs_atomic_shrink_plan plan;
	struct ext2_super_block sb;
	struct arg_list al;
	ext2_filsys fs;
	const char *size_str, *undo;
	char **stock_argv;
	blk64_t size;
	errcode_t err;
	int status, force, minimize, mount_flags = 0;

	program = argv[0];
	ext2fs_atomic_init();
	if (args_scan(&al, argc, argv, RESIZE2FS_OPTS) || al.bad ||
	    args_count(&al, 'h') || !args_operand(&al, 0) ||
	    args_operand(&al, 2))
		stock_exec("resize2fs", argv);
	device = args_operand(&al, 0);
	size_str = args_operand(&al, 1);
	if (ext2fs_atomic_read_super(device, 0, 0, 0, &sb) ||
	    !ext2fs_atomic_has_feature(&sb))
		stock_exec("resize2fs", argv);
	if (!stock_view(program))
		exit(1);
	force = args_count(&al, 'f') > 0;
	minimize = args_count(&al, 'M') > 0;
	progress_on = args_count(&al, 'p') > 0;
	undo = args_last(&al, 'z');

	/* Online (grow only): the kernel moves nothing; stock does it all. */
	if (!ext2fs_check_if_mounted(device, &mount_flags) &&
	    (mount_flags & EXT2_MF_MOUNTED))
		stock_exit(run_stock(argv));
	if (args_count(&al, 'P'))
		exit(print_min(force));

	err = open_fs(0, NULL, &fs);
	if (err)	/* stock says why, its way */
		stock_exit(run_stock(argv));
	status = -1;
	if (!args_count(&al, 'b') && !args_count(&al, 's')) {
		err = requested_size(fs, size_str, minimize, force, &size);
		if (!err && minimize && pin_size(&al, size))
			err = ENOMEM;
		if (!err && size < ext2fs_blocks_count(fs->super))
			status = plan_shrink(fs, size, force, &plan);
		else if (err && err != EXT2_ET_INVALID_ARGUMENT &&
			 err != EXT2_ET_TOOSMALL)
			com_err(program, err, "while working out the new size "
				"of %s", device);
	}
	ext2fs_free(fs);
	if (!status)
		status = evacuate(&plan, undo);
	if (status > 0)
		exit(1);

	stock_argv = args_build(&al);
	if (!stock_argv) {
		com_err(program, ENOMEM, "while running resize2fs");
		exit(1);
	}
	status = run_stock(stock_argv);
	args_free_argv(stock_argv);
	if (status)
		stock_exit(status);
	status = repair(undo);
	args_free(&al);
	return status;
}
