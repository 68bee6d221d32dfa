// SPDX-License-Identifier: GPL-2.0
/*
 * crash_preload.c --- an LD_PRELOAD shim that crashes the tools as users
 * run them.  It watches the writes and flushes every process of a run
 * makes to one file (the image); our front ends and the stock programs
 * they start share its count through a mapped state file.  Two models:
 *
 * In order (stop, torn): past a budget of N writes, writes stop being
 * applied while still reporting success, so the image is "the first N
 * writes applied" (the one after them torn, in the torn mode).
 *
 * Reordering (../shared/design/QUALITY.md, lib/support/crash_model.h):
 * a write is durable only after the next flush.  Flushes (fsync,
 * fdatasync, syncfs or sync while the image is open) cut the run into
 * epochs; to crash in epoch E, writes of epochs before E are applied,
 * writes of epoch E are logged (crash_model_log, with their pages'
 * prior content) and applied, and every write after flush E + 1 is
 * dropped.  crash-apply then makes each crash state of the epoch from
 * the image and the log.
 *
 * Environment:
 *   E2ATOMIC_CRASH_FILE    the image; only writes to its (st_dev,
 *                          st_ino) count (not stdout, undo files, ...)
 *   E2ATOMIC_CRASH_STATE   a file holding struct crash_state (see
 *                          there), made by the caller; every process of
 *                          the run maps it shared, so our front ends and
 *                          the stock programs they start (whose
 *                          LD_PRELOAD keeps this shim after the stock
 *                          view) share one count
 *   E2ATOMIC_CRASH_BUDGET  writes applied before the crash; -1 (or
 *                          unset) applies all of them and only counts
 *   E2ATOMIC_CRASH_TORN    1: the first write past the budget applies
 *                          its first half (rounded down to 512 bytes,
 *                          at least 512 when it is bigger than that);
 *   E2ATOMIC_CRASH_TORN_SECTORS  k: a torn write applies its first k
 *                          512-byte sectors instead of its half (the
 *                          whole write if it is not longer)
 *   E2ATOMIC_CRASH_EPOCH   E: the reordering model, crash in epoch E
 *                          (the budget is then ignored)
 *   E2ATOMIC_CRASH_LOG     the epoch's log (with E2ATOMIC_CRASH_EPOCH)
 *   E2ATOMIC_CRASH_OURS    a directory holding our programs: a process
 *                          whose executable lies outside it is a stock
 *                          program (our debugfs runs stock debugfs
 *                          without the stock view); unset, the stock
 *                          view's presence tells
 *
 * The write entry points are those libext2fs' unix I/O manager imports:
 * pwrite/pwrite64 (blocks), write after lseek (write_byte) and
 * fallocate/fallocate64 (discard and zeroout on a regular file), and
 * ftruncate/ftruncate64 (resize2fs fits an image file to the new size).
 * Its io_channel_flush is fsync; fdatasync, syncfs and sync count too.
 * sync_file_range starts write-back without a cache flush, so it is no
 * flush and passes through (libext2fs does not call it, nor msync: it
 * does not map the image).
 *
 * ftruncate in the reordering model: applied at once in epochs up to
 * E, as a barrier (the file's size is the host's metadata, not a block
 * the disk may lose), and dropped after flush E + 1 like a write.  The
 * tools truncate only at the end of a shrink, past every block the
 * filesystem still uses.
 */

#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crash_model.h"

/* The shared state file: 64-bit words in host order. */
struct crash_state {
	int64_t	writes;		/* writes to the image so far, all processes */
	int64_t	handover;	/* writes before the first write of a stock
				   program (run by our front end), or -1 */
	int64_t	handback;	/* writes when the last stock program that
				   wrote ended, or -1 */
	int64_t	flushes;	/* flushes of the image so far (the epoch
				   the next write belongs to) */
	int64_t	epoch_ours;	/* writes of the crash epoch made by our
				   programs, */
	int64_t	epoch_stock;	/* and by stock programs */
};

static struct crash_state *state;
static int64_t budget = -1;
static int64_t epoch = -1;	/* >= 0: the reordering model */
static const char *crash_log;
static int torn;
static long torn_sectors;	/* 0: tear at the half */
static dev_t image_dev;
static ino_t image_ino;
static int active;
static int is_stock;	/* a stock program run with the stock view:
			   1, 2 once it wrote to the image */

/* pwrite, fallocate and ftruncate go to their 64-bit twins. */
static ssize_t (*real_pwrite64)(int, const void *, size_t, off64_t);
static ssize_t (*real_write)(int, const void *, size_t);
static int (*real_fallocate64)(int, int, off64_t, off64_t);
static int (*real_ftruncate64)(int, off64_t);
static int (*real_fsync)(int);
static int (*real_fdatasync)(int);
static int (*real_syncfs)(int);
static void (*real_sync)(void);

static void find_real(void)
{
	real_pwrite64 = dlsym(RTLD_NEXT, "pwrite64");
	real_write = dlsym(RTLD_NEXT, "write");
	real_fallocate64 = dlsym(RTLD_NEXT, "fallocate64");
	real_ftruncate64 = dlsym(RTLD_NEXT, "ftruncate64");
	real_fsync = dlsym(RTLD_NEXT, "fsync");
	real_fdatasync = dlsym(RTLD_NEXT, "fdatasync");
	real_syncfs = dlsym(RTLD_NEXT, "syncfs");
	real_sync = dlsym(RTLD_NEXT, "sync");
}

static void read_mode(void)
{
	const char *b = getenv("E2ATOMIC_CRASH_BUDGET");
	const char *t = getenv("E2ATOMIC_CRASH_TORN");
	const char *e = getenv("E2ATOMIC_CRASH_EPOCH");

	budget = b ? strtoll(b, NULL, 0) : -1;
	torn = t && *t == '1';
	t = getenv("E2ATOMIC_CRASH_TORN_SECTORS");
	torn_sectors = t ? strtol(t, NULL, 0) : 0;
	crash_log = getenv("E2ATOMIC_CRASH_LOG");
	if (e && *e && crash_log)
		epoch = strtoll(e, NULL, 0);
}

/*
 * Is this process a stock program (its writes are the stock phase of
 * the run, which the sweep reports apart)?  Our front ends preload the
 * stock view into the stock e2fsck and resize2fs they run
 * (lib/stock/stock.c); our debugfs runs stock debugfs without it.
 */
static int stock_program(void)
{
	const char *ours = getenv("E2ATOMIC_CRASH_OURS");
	char exe[4096];
	ssize_t n;

	if (dlsym(RTLD_DEFAULT, "stockview_set_real"))
		return 1;
	if (!ours || !*ours)
		return 0;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return 0;
	exe[n] = 0;
	return strncmp(exe, ours, strlen(ours)) != 0;
}

__attribute__((constructor))
static void crash_init(void)
{
	const char *file = getenv("E2ATOMIC_CRASH_FILE");
	const char *statef = getenv("E2ATOMIC_CRASH_STATE");
	struct stat st;
	void *map;
	int fd;

	find_real();
	if (!file || !statef || stat(file, &st) < 0)
		return;
	fd = open(statef, O_RDWR);
	if (fd < 0)
		return;
	map = mmap(NULL, sizeof(*state), PROT_READ | PROT_WRITE, MAP_SHARED,
		   fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return;
	state = map;
	image_dev = st.st_dev;
	image_ino = st.st_ino;
	read_mode();
	active = 1;
	is_stock = stock_program();
}

/* A stock program that wrote ends: our front end takes over again. */
__attribute__((destructor))
static void crash_fini(void)
{
	if (is_stock > 1)
		__atomic_store_n(&state->handback,
				 __atomic_load_n(&state->writes,
						 __ATOMIC_SEQ_CST),
				 __ATOMIC_SEQ_CST);
}

static int is_image(int fd)
{
	struct stat st;

	return active && fstat(fd, &st) == 0 && st.st_dev == image_dev &&
	       st.st_ino == image_ino;
}

/* APPLY_LOG: the reordering model's crash epoch (log, then apply). */
enum verdict { APPLY, TEAR, DROP, APPLY_LOG };

/* The reordering model's verdict on a write made now. */
static enum verdict judge_epoch(void)
{
	int64_t now = __atomic_load_n(&state->flushes, __ATOMIC_SEQ_CST);

	if (now < epoch)
		return APPLY;
	if (now > epoch)
		return DROP;
	__atomic_fetch_add(is_stock ? &state->epoch_stock : &state->epoch_ours,
			   1, __ATOMIC_SEQ_CST);
	return APPLY_LOG;
}

/* Count one write to fd (if it is the image) and say what to do. */
static enum verdict judge(int fd)
{
	int64_t n;

	if (!is_image(fd))
		return APPLY;
	n = __atomic_fetch_add(&state->writes, 1, __ATOMIC_SEQ_CST);
	if (is_stock == 1) {
		int64_t none = -1;

		is_stock = 2;
		__atomic_compare_exchange_n(&state->handover, &none, n, 0,
					    __ATOMIC_SEQ_CST,
					    __ATOMIC_SEQ_CST);
	}
	if (epoch >= 0)
		return judge_epoch();
	if (budget < 0 || n < budget)
		return APPLY;
	if (n == budget && torn)
		return TEAR;
	return DROP;
}

/*
 * Log a write of the crash epoch before it is applied (data NULL: it
 * zeroes).  A write that cannot be logged fails, so that the sweep sees
 * the operation fail rather than a log that misses a write.
 */
static int log_write(int fd, off_t off, size_t len, const void *data)
{
	if (!crash_model_log(crash_log, fd, off, len, data))
		return 0;
	fprintf(stderr, "crash_preload: cannot log a write to %s: %m\n",
		crash_log);
	errno = EIO;
	return -1;
}

/* The bytes of a torn write of len bytes that reach the disk. */
static size_t torn_len(size_t len)
{
	size_t keep;

	if (torn_sectors > 0) {
		keep = (size_t) torn_sectors * 512;
		return keep < len ? keep : len;
	}
	keep = (len / 2) & ~(size_t) 511;
	return len > 512 && keep < 512 ? 512 : keep;
}

ssize_t pwrite64(int fd, const void *buf, size_t len, off64_t off)
{
	switch (judge(fd)) {
	case TEAR:
		if (real_pwrite64(fd, buf, torn_len(len), off) < 0)
			return -1;
		return len;
	case DROP:
		return len;
	case APPLY_LOG:
		if (log_write(fd, off, len, buf))
			return -1;
		/* fall through */
	default:
		return real_pwrite64(fd, buf, len, off);
	}
}

ssize_t pwrite(int fd, const void *buf, size_t len, off_t off)
{
	return pwrite64(fd, buf, len, off);
}

/*
 * write after lseek (libext2fs' write_byte): a dropped or torn write
 * still moves the file offset past the whole buffer, as a real one does.
 */
ssize_t write(int fd, const void *buf, size_t len)
{
	size_t done;

	switch (judge(fd)) {
	case TEAR:
		done = torn_len(len);
		if (done && real_write(fd, buf, done) < 0)
			return -1;
		lseek(fd, len - done, SEEK_CUR);
		return len;
	case DROP:
		lseek(fd, len, SEEK_CUR);
		return len;
	case APPLY_LOG:
		if (log_write(fd, lseek(fd, 0, SEEK_CUR), len, buf))
			return -1;
		/* fall through */
	default:
		return real_write(fd, buf, len);
	}
}

/*
 * fallocate (punch, zero range): a torn one covers torn_len of it; in
 * the reordering model a punch or zero range is logged as zeroing
 * pieces (a plain allocation changes no content and is not logged).
 */
int fallocate64(int fd, int mode, off64_t off, off64_t len)
{
	switch (judge(fd)) {
	case TEAR:
		len = torn_len(len);
		return len ? real_fallocate64(fd, mode, off, len) : 0;
	case DROP:
		return 0;
	case APPLY_LOG:
		if ((mode & (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE)) &&
		    log_write(fd, off, len, NULL))
			return -1;
		/* fall through */
	default:
		return real_fallocate64(fd, mode, off, len);
	}
}

int fallocate(int fd, int mode, off_t off, off_t len)
{
	return fallocate64(fd, mode, off, len);
}

/*
 * ftruncate changes the image too (resize2fs shrinks an image file at
 * its end): it counts, and is dropped past the budget.  It cannot be
 * torn; a torn one is dropped.  In the reordering model it is applied
 * up to the crash epoch and not logged (see the top of the file).
 */
int ftruncate64(int fd, off64_t len)
{
	switch (judge(fd)) {
	case APPLY:
	case APPLY_LOG:
		return real_ftruncate64(fd, len);
	default:
		return 0;
	}
}

int ftruncate(int fd, off_t len)
{
	return ftruncate64(fd, len);
}

/* A flush of the image ends an epoch (every process counts it). */
static void count_flush(void)
{
	__atomic_fetch_add(&state->flushes, 1, __ATOMIC_SEQ_CST);
}

int fsync(int fd)
{
	if (is_image(fd))
		count_flush();
	return real_fsync(fd);
}

int fdatasync(int fd)
{
	if (is_image(fd))
		count_flush();
	return real_fdatasync(fd);
}

int syncfs(int fd)
{
	if (is_image(fd))
		count_flush();
	return real_syncfs(fd);
}

/* sync flushes the image when this process has it open: count it then. */
void sync(void)
{
	int fd;

	for (fd = 0; active && fd < 1024; fd++)
		if (is_image(fd)) {
			count_flush();
			break;
		}
	real_sync();
}
