// SPDX-License-Identifier: GPL-2.0
/*
 * atomic_io.c --- the VM tests' probe of atomic writes (static binary).
 *
 *   atomic_io statx FILE                 atomic write attributes
 *   atomic_io write FILE OFF LEN [MODE]  one RWF_ATOMIC pwritev2 of LEN
 *                                        bytes at OFF; MODE: direct
 *                                        (default), buffered, twosegs
 *   atomic_io getflags FILE | setflags FILE HEX
 *   atomic_io fsxget FILE | fsxset FILE HEX   the same through
 *                                        FS_IOC_FSGETXATTR/FSSETXATTR
 *   atomic_io falloc FILE MODE OFF LEN   MODE: collapse, insert, punch,
 *                                        zero, keep, size (mode 0)
 *   atomic_io moveext ORIG DONOR         EXT4_IOC_MOVE_EXT of one block
 *   atomic_io pwrite FILE OFF LEN [MODE] a plain write; MODE: direct
 *                                        (default), buffered, mmap
 *   atomic_io verify FILE OFF LEN HEX    do LEN bytes at OFF all read HEX?
 *   atomic_io age DIR PERCENT SEED       fill with small files to 90%,
 *                                        then delete at random down to
 *                                        PERCENT used
 *   atomic_io fill FILE UNIT             fallocate one window after the
 *                                        other until it fails
 *   atomic_io bench MODE DIR THREADS SECONDS SIZE FILESIZE NFILES
 *                                        random SIZE-byte O_DIRECT page
 *                                        writes over NFILES files of
 *                                        FILESIZE bytes (made first), or
 *                                        over the upper half of DIR if
 *                                        it is a block device;
 *                                        MODE: atomic (RWF_ATOMIC), plain,
 *                                        doublewrite (page to a
 *                                        doublewrite area, fdatasync, page
 *                                        in place); prints IOPS and p99
 *   atomic_io pages FILE SIZE            is every SIZE-byte page of FILE
 *                                        one repeated byte (untorn)?
 *   atomic_io aligned FILE UNIT          check the file's map with
 *                                        FIEMAP: every window of UNIT
 *                                        bytes whole, contiguous, aligned
 *
 * glibc 2.36 lacks the statx atomic fields, so statx is called with the
 * kernel's structure layout.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <pthread.h>
#include <time.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#ifndef RWF_ATOMIC
#define RWF_ATOMIC		0x00000040
#endif
#define STATX_WRITE_ATOMIC_	0x00010000U
#define STATX_ATTR_WRITE_ATOMIC_ 0x00400000ULL
#define FS_IOC_GETFLAGS_	_IOR('f', 1, long)
#define FS_IOC_SETFLAGS_	_IOW('f', 2, long)
#define PATTERN(off)		((unsigned char) (0x5a ^ ((off) >> 12)))

/* struct statx as in Linux 6.11+ (256 bytes). */
struct kstatx {
	uint32_t mask, blksize;
	uint64_t attributes;
	uint32_t nlink, uid, gid;
	uint16_t mode, spare0;
	uint64_t ino, size, blocks, attributes_mask;
	uint64_t ts[8];			/* atime, btime, ctime, mtime */
	uint32_t rdev_major, rdev_minor, dev_major, dev_minor;
	uint64_t mnt_id;
	uint32_t dio_mem_align, dio_offset_align;
	uint64_t subvol;
	uint32_t atomic_write_unit_min, atomic_write_unit_max;
	uint32_t atomic_write_segments_max, spare1;
	uint64_t spare3[9];
};

static int do_statx(const char *path)
{
	struct kstatx st;

	memset(&st, 0, sizeof(st));
	if (syscall(SYS_statx, AT_FDCWD, path, 0, STATX_WRITE_ATOMIC_, &st)) {
		printf("statx: %s\n", strerror(errno));
		return 1;
	}
	printf("atomic=%d unit_min=%u unit_max=%u segments_max=%u\n",
	       !!(st.attributes & STATX_ATTR_WRITE_ATOMIC_),
	       st.atomic_write_unit_min, st.atomic_write_unit_max,
	       st.atomic_write_segments_max);
	return 0;
}

static int do_write(const char *path, long long off, size_t len,
		    const char *mode)
{
	int buffered = mode && !strcmp(mode, "buffered");
	int twosegs = mode && !strcmp(mode, "twosegs");
	struct iovec iov[2];
	void *buf;
	ssize_t ret;
	int fd;

	fd = open(path, O_RDWR | O_CREAT | (buffered ? 0 : O_DIRECT), 0644);
	if (fd < 0) {
		printf("open: %s\n", strerror(errno));
		return 1;
	}
	if (posix_memalign(&buf, 4096, len ? len : 4096))
		return 1;
	memset(buf, 0xa5, len);
	iov[0].iov_base = buf;
	iov[0].iov_len = twosegs ? len / 2 : len;
	iov[1].iov_base = (char *) buf + len / 2;
	iov[1].iov_len = len - len / 2;
	ret = pwritev2(fd, iov, twosegs ? 2 : 1, off, RWF_ATOMIC);
	if (ret < 0)
		printf("err=%s\n", strerror(errno) /* stable text */);
	else
		printf("ret=%zd\n", ret);
	close(fd);
	free(buf);
	return 0;
}

static int do_flags(const char *path, const char *set)
{
	long flags = 0;
	int fd = open(path, O_RDONLY);

	if (fd < 0) {
		printf("open: %s\n", strerror(errno));
		return 1;
	}
	if (set) {
		flags = strtol(set, NULL, 16);
		if (ioctl(fd, FS_IOC_SETFLAGS_, &flags))
			printf("setflags: %s\n", strerror(errno));
		else
			printf("setflags: ok\n");
	} else if (ioctl(fd, FS_IOC_GETFLAGS_, &flags)) {
		printf("getflags: %s\n", strerror(errno));
	} else {
		printf("flags=0x%lx\n", flags);
	}
	close(fd);
	return 0;
}

static int do_fsx(const char *path, const char *set)
{
	struct fsxattr fa;
	int fd = open(path, O_RDONLY);

	if (fd < 0) {
		printf("open: %s\n", strerror(errno));
		return 1;
	}
	if (ioctl(fd, FS_IOC_FSGETXATTR, &fa)) {
		printf("fsgetxattr: %s\n", strerror(errno));
	} else if (!set) {
		printf("xflags=0x%x\n", fa.fsx_xflags);
	} else {
		fa.fsx_xflags = strtoul(set, NULL, 16);
		if (ioctl(fd, FS_IOC_FSSETXATTR, &fa))
			printf("fssetxattr: %s\n", strerror(errno));
		else
			printf("fssetxattr: ok\n");
	}
	close(fd);
	return 0;
}

struct move_extent_ {
	uint32_t reserved, donor_fd;
	uint64_t orig_start, donor_start, len, moved_len;
};
#define EXT4_IOC_MOVE_EXT_	_IOWR('f', 15, struct move_extent_)

static int do_falloc(const char *path, const char *mode, long long off,
		     long long len)
{
	static const struct { const char *name; int mode; } modes[] = {
		{ "collapse", 0x08 }, { "insert", 0x20 },
		{ "punch", 0x02 | 0x01 }, { "zero", 0x10 }, { "keep", 0x01 },
		{ "size", 0 },
	};
	unsigned int i;
	int fd = open(path, O_RDWR);

	if (fd < 0) {
		printf("open: %s\n", strerror(errno));
		return 1;
	}
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (!strcmp(mode, modes[i].name))
			break;
	if (i == sizeof(modes) / sizeof(modes[0]))
		return 2;
	if (fallocate(fd, modes[i].mode, off, len))
		printf("%s: %s\n", mode, strerror(errno));
	else
		printf("%s: ok\n", mode);
	close(fd);
	return 0;
}

static int do_moveext(const char *orig, const char *donor)
{
	struct move_extent_ me;
	int fd = open(orig, O_RDWR), dfd = open(donor, O_RDWR);

	if (fd < 0 || dfd < 0) {
		printf("open: %s\n", strerror(errno));
		return 1;
	}
	memset(&me, 0, sizeof(me));
	me.donor_fd = dfd;
	me.len = 1;
	if (ioctl(fd, EXT4_IOC_MOVE_EXT_, &me))
		printf("move_ext: %s\n", strerror(errno));
	else
		printf("move_ext: ok\n");
	close(fd);
	close(dfd);
	return 0;
}

/* A plain (not atomic) write of LEN pattern bytes, as a user would. */
static int do_pwrite(const char *path, long long off, size_t len,
		     const char *mode)
{
	int direct = !mode || !strcmp(mode, "direct");
	int mmapped = mode && !strcmp(mode, "mmap");
	unsigned char *buf, *map;
	ssize_t ret = len;
	size_t i;
	int fd;

	fd = open(path, O_RDWR | O_CREAT | (direct ? O_DIRECT : 0), 0644);
	if (fd < 0) {
		printf("open: %s\n", strerror(errno));
		return 1;
	}
	if (posix_memalign((void **) &buf, 4096, len ? len : 4096))
		return 1;
	for (i = 0; i < len; i++)
		buf[i] = PATTERN(off + i);
	if (mmapped) {
		if (ftruncate(fd, off + len) == 0 &&
		    (map = mmap(NULL, off + len, PROT_READ | PROT_WRITE,
				MAP_SHARED, fd, 0)) != MAP_FAILED) {
			memcpy(map + off, buf, len);
			if (msync(map, off + len, MS_SYNC))
				ret = -1;
			munmap(map, off + len);
		} else {
			ret = -1;
		}
	} else {
		ret = pwrite(fd, buf, len, off);
	}
	if (ret < 0)
		printf("pwrite: %s\n", strerror(errno));
	else if (fsync(fd))
		printf("fsync: %s\n", strerror(errno));
	else
		printf("wrote %zd\n", ret);
	close(fd);
	free(buf);
	return 0;
}

/*
 * The rule, seen through FIEMAP: every window the file maps is mapped
 * whole, by physically contiguous extents, starting at a multiple of the
 * unit.  Prints "aligned N windows" or the first window that breaks it.
 */
static int do_aligned(const char *path, unsigned long long unit)
{
	unsigned long long pos = 0, prev_end = 0, nwin = 0;
	long long prev_delta = 0;
	unsigned int i, n = 1024;
	int fd = open(path, O_RDONLY), last = 0, first = 1;
	const char *why = NULL;
	struct fiemap *fm;

	if (fd < 0) {
		printf("open: %s\n", strerror(errno));
		return 1;
	}
	fm = calloc(1, sizeof(*fm) + n * sizeof(struct fiemap_extent));
	while (!last && !why) {
		memset(fm, 0, sizeof(*fm));
		fm->fm_start = pos;
		fm->fm_length = ~0ULL - pos;
		fm->fm_flags = FIEMAP_FLAG_SYNC;
		fm->fm_extent_count = n;
		if (ioctl(fd, FS_IOC_FIEMAP, fm)) {
			printf("fiemap: %s\n", strerror(errno));
			return 1;
		}
		if (!fm->fm_mapped_extents)
			break;
		for (i = 0; i < fm->fm_mapped_extents && !why; i++) {
			struct fiemap_extent *e = &fm->fm_extents[i];
			unsigned long long l = e->fe_logical;
			unsigned long long end = l + e->fe_length;
			long long delta = e->fe_physical - l;

			last = e->fe_flags & FIEMAP_EXTENT_LAST;
			if (l % unit == 0) {
				if (!first && prev_end % unit)
					why = "a window ends early";
				else if (delta % (long long) unit)
					why = "a window is misaligned";
			} else if (first || l != prev_end) {
				why = "a window starts late";
			} else if (delta != prev_delta) {
				why = "a window is discontiguous";
			}
			if (why) {
				printf("broken at byte %llu: %s\n", l, why);
				break;
			}
			nwin += (end + unit - 1) / unit - (l + unit - 1) / unit;
			prev_end = pos = end;
			prev_delta = delta;
			first = 0;
		}
	}
	if (!why && !first && prev_end % unit)
		printf("broken at byte %llu: %s\n", prev_end,
		       why = "the last window ends early");
	if (!why)
		printf("aligned %llu windows\n", nwin);
	free(fm);
	close(fd);
	return 0;
}

static int do_verify(const char *path, long long off, size_t len, int byte)
{
	unsigned char *buf = malloc(len ? len : 1);
	int fd = open(path, O_RDONLY);
	ssize_t got;
	size_t i;

	if (fd < 0 || !buf) {
		printf("open: %s\n", strerror(errno));
		return 1;
	}
	got = pread(fd, buf, len, off);
	for (i = 0; got == (ssize_t) len && i < len; i++)
		if (buf[i] != byte)
			break;
	if (got != (ssize_t) len)
		printf("short read: %zd\n", got);
	else if (i < len)
		printf("byte %lld is 0x%02x\n", off + (long long) i, buf[i]);
	else
		printf("all 0x%02x\n", byte);
	free(buf);
	close(fd);
	return 0;
}

static unsigned int used_percent(const char *dir)
{
	struct statfs st;

	if (statfs(dir, &st))
		return 100;
	return 100 - (unsigned int) (st.f_bfree * 100 / st.f_blocks);
}

/* Age a filesystem: small files of 1-12 blocks, then random deletions. */
static int do_age(const char *dir, unsigned int pct, unsigned long seed)
{
	static char buf[12 * 4096];
	unsigned long n = 0, i, deleted = 0;
	char name[4096];
	int fd;

	memset(buf, 0x3c, sizeof(buf));
	while (used_percent(dir) < 90) {
		seed = seed * 6364136223846793005UL + 1442695040888963407UL;
		snprintf(name, sizeof(name), "%s/s%lu", dir, n++);
		fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0 || write(fd, buf, 4096 * (1 + (seed >> 33) % 12)) < 0)
			break;
		close(fd);
		if (n % 256 == 0)
			sync();
	}
	sync();
	while (used_percent(dir) > pct) {
		for (i = 0; i < 64; i++) {
			seed = seed * 6364136223846793005UL +
			       1442695040888963407UL;
			snprintf(name, sizeof(name), "%s/s%lu", dir,
				 (seed >> 33) % n);
			deleted += !unlink(name);
		}
		sync();
	}
	printf("aged: %lu small files written, %lu deleted, %u%% used\n",
	       n, deleted, used_percent(dir));
	return 0;
}

/* Allocate window after window (fallocate) until an allocation fails. */
static int do_fill(const char *path, long long unit)
{
	int fd = open(path, O_RDWR | O_CREAT, 0644);
	long long n = 0;

	if (fd < 0) {
		printf("open: %s\n", strerror(errno));
		return 1;
	}
	while (!fallocate(fd, 0x01, n * unit, unit))
		n++;
	printf("%lld windows allocated, then: %s\n", n, strerror(errno));
	close(fd);
	return 0;
}

struct bench {
	const char *mode;
	int fds[16], dw_fd;
	int threads, nfiles;
	size_t size;
	long long pages, base, dw_base;
	double seconds;
	pthread_barrier_t start;
};

struct worker {
	struct bench *b;
	int id;
	long long done, cap;
	double *lat;
	int err;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *bench_worker(void *arg)
{
	struct worker *w = arg;
	struct bench *b = w->b;
	unsigned long seed = 0x9e3779b97f4a7c15UL * (w->id + 1);
	struct iovec iov;
	unsigned char *buf;
	double t0, end;

	if (posix_memalign((void **) &buf, 4096, b->size))
		return NULL;
	iov.iov_base = buf;
	iov.iov_len = b->size;
	pthread_barrier_wait(&b->start);
	end = now() + b->seconds;
	while ((t0 = now()) < end && w->done < w->cap) {
		int fd = b->fds[w->id % b->nfiles];
		long long page;
		ssize_t ret;

		seed = seed * 6364136223846793005UL + 1442695040888963407UL;
		page = (seed >> 17) % b->pages;
		memset(buf, (w->id * 31 + (int) w->done) & 0xff, b->size);
		if (!strcmp(b->mode, "atomic")) {
			ret = pwritev2(fd, &iov, 1, b->base + page * b->size,
				       RWF_ATOMIC);
		} else if (!strcmp(b->mode, "plain")) {
			ret = pwrite(fd, buf, b->size, b->base + page * b->size);
		} else {
			ret = pwrite(b->dw_fd, buf, b->size,
				     b->dw_base + w->id * b->size);
			if (ret == (ssize_t) b->size && fdatasync(b->dw_fd))
				ret = -1;
			if (ret == (ssize_t) b->size)
				ret = pwrite(fd, buf, b->size,
					     b->base + page * b->size);
		}
		if (ret != (ssize_t) b->size) {
			w->err = ret < 0 ? errno : EIO;
			break;
		}
		w->lat[w->done++] = now() - t0;
	}
	free(buf);
	return NULL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *) a, y = *(const double *) b;

	return x < y ? -1 : x > y;
}

static int open_bench_file(const char *path, long long bytes)
{
	int fd = open(path, O_RDWR | O_CREAT | O_DIRECT, 0644);
	unsigned char *buf;
	long long off;

	if (fd < 0 || posix_memalign((void **) &buf, 4096, 65536))
		return -1;
	memset(buf, 0x11, 65536);
	for (off = 0; off < bytes; off += 65536)
		if (pwrite(fd, buf, 65536, off) != 65536)
			return -1;
	free(buf);
	return fsync(fd) ? -1 : fd;
}

static int do_bench(char **argv)
{
	struct bench b = { .mode = argv[0] };
	struct worker w[64];
	pthread_t tid[64];
	long long total = 0, i, k;
	double *all, t0, elapsed;
	char path[4096];
	struct stat st;
	int t;

	b.threads = atoi(argv[2]);
	b.seconds = atof(argv[3]);
	b.size = atol(argv[4]);
	b.pages = atoll(argv[5]) / b.size;
	b.nfiles = atoi(argv[6]);
	if (b.threads < 1 || b.threads > 64 || b.nfiles < 1 || b.nfiles > 16 ||
	    !b.pages)
		return 2;
	if (!stat(argv[1], &st) && S_ISBLK(st.st_mode)) {
		/*
		 * A block device: the pages from its middle on, the
		 * doublewrite area just below; one descriptor for all.
		 */
		b.fds[0] = open(argv[1], O_RDWR | O_DIRECT);
		if (b.fds[0] >= 0)
			b.base = (lseek(b.fds[0], 0, SEEK_END) / 2) & ~65535LL;
		b.dw_base = b.base - b.threads * b.size;
		if (b.fds[0] < 0 || b.dw_base < 0) {
			printf("setup: %s\n", strerror(errno));
			return 1;
		}
		for (t = 1; t < b.nfiles; t++)
			b.fds[t] = b.fds[0];
		b.dw_fd = b.fds[0];
		goto run;
	}
	for (t = 0; t < b.nfiles; t++) {
		snprintf(path, sizeof(path), "%s/bench%d", argv[1], t);
		b.fds[t] = open_bench_file(path, b.pages * b.size);
		if (b.fds[t] < 0) {
			printf("setup: %s\n", strerror(errno));
			return 1;
		}
	}
	snprintf(path, sizeof(path), "%s/doublewrite", argv[1]);
	b.dw_fd = open_bench_file(path, b.threads * b.size);
	if (b.dw_fd < 0) {
		printf("setup: %s\n", strerror(errno));
		return 1;
	}
run:
	pthread_barrier_init(&b.start, NULL, b.threads + 1);
	for (t = 0; t < b.threads; t++) {
		w[t] = (struct worker) { .b = &b, .id = t, .cap = 1 << 20 };
		w[t].lat = malloc(w[t].cap * sizeof(double));
		pthread_create(&tid[t], NULL, bench_worker, &w[t]);
	}
	pthread_barrier_wait(&b.start);
	t0 = now();
	for (t = 0; t < b.threads; t++)
		pthread_join(tid[t], NULL);
	elapsed = now() - t0;
	for (t = 0; t < b.threads; t++) {
		if (w[t].err) {
			printf("%s: %s\n", b.mode, strerror(w[t].err));
			return 1;
		}
		total += w[t].done;
	}
	all = malloc((total + 1) * sizeof(double));
	for (t = 0, k = 0; t < b.threads; t++)
		for (i = 0; i < w[t].done; i++)
			all[k++] = w[t].lat[i];
	qsort(all, total, sizeof(double), cmp_double);
	printf("%-11s threads=%d writes=%lld iops=%.0f p99_us=%.0f\n", b.mode,
	       b.threads, total, total / elapsed,
	       total ? all[(total * 99) / 100] * 1e6 : 0.0);
	return 0;
}

/* After parallel atomic writers: is every page one repeated byte? */
static int do_pages(const char *path, size_t size)
{
	unsigned char *buf = malloc(size);
	int fd = open(path, O_RDONLY);
	long long page = 0, torn = 0;
	size_t i;

	if (fd < 0 || !buf) {
		printf("open: %s\n", strerror(errno));
		return 1;
	}
	while (pread(fd, buf, size, page * size) == (ssize_t) size) {
		for (i = 1; i < size && buf[i] == buf[0]; i++)
			;
		torn += i < size;
		page++;
	}
	printf("%lld pages, %lld torn\n", page, torn);
	free(buf);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "statx"))
		return do_statx(argv[2]);
	if ((argc == 5 || argc == 6) && !strcmp(argv[1], "write"))
		return do_write(argv[2], atoll(argv[3]), atol(argv[4]),
				argc == 6 ? argv[5] : NULL);
	if (argc == 3 && !strcmp(argv[1], "getflags"))
		return do_flags(argv[2], NULL);
	if (argc == 4 && !strcmp(argv[1], "setflags"))
		return do_flags(argv[2], argv[3]);
	if (argc == 3 && !strcmp(argv[1], "fsxget"))
		return do_fsx(argv[2], NULL);
	if (argc == 4 && !strcmp(argv[1], "fsxset"))
		return do_fsx(argv[2], argv[3]);
	if (argc == 6 && !strcmp(argv[1], "falloc"))
		return do_falloc(argv[2], argv[3], atoll(argv[4]),
				 atoll(argv[5]));
	if (argc == 4 && !strcmp(argv[1], "moveext"))
		return do_moveext(argv[2], argv[3]);
	if ((argc == 5 || argc == 6) && !strcmp(argv[1], "pwrite"))
		return do_pwrite(argv[2], atoll(argv[3]), atol(argv[4]),
				 argc == 6 ? argv[5] : NULL);
	if (argc == 6 && !strcmp(argv[1], "verify"))
		return do_verify(argv[2], atoll(argv[3]), atol(argv[4]),
				 (int) strtol(argv[5], NULL, 16));
	if (argc == 5 && !strcmp(argv[1], "age"))
		return do_age(argv[2], atoi(argv[3]), strtoul(argv[4], NULL, 0));
	if (argc == 4 && !strcmp(argv[1], "fill"))
		return do_fill(argv[2], atoll(argv[3]));
	if (argc == 9 && !strcmp(argv[1], "bench"))
		return do_bench(argv + 2);
	if (argc == 4 && !strcmp(argv[1], "pages"))
		return do_pages(argv[2], atol(argv[3]));
	if (argc == 4 && !strcmp(argv[1], "aligned"))
		return do_aligned(argv[2], strtoull(argv[3], NULL, 0));
	fprintf(stderr, "usage: atomic_io statx FILE | write FILE OFF LEN "
		"[direct|buffered|twosegs] | getflags FILE | setflags FILE HEX | "
		"fsxget FILE | fsxset FILE HEX | "
		"falloc FILE MODE OFF LEN | moveext ORIG DONOR | "
		"pwrite FILE OFF LEN [direct|buffered|mmap] | verify FILE OFF LEN HEX | "
		"age DIR PERCENT SEED | fill FILE UNIT | aligned FILE UNIT | "
		"bench MODE DIR THREADS SECONDS SIZE FILESIZE NFILES | "
		"pages FILE SIZE\n");
	return 2;
}
