/*
 * atomic_io.c --- the VM tests' probe of atomic writes (static binary).
 *
 *   atomic_io statx FILE                 atomic write attributes
 *   atomic_io write FILE OFF LEN [MODE]  one RWF_ATOMIC pwritev2 of LEN
 *                                        bytes at OFF; MODE: direct
 *                                        (default), buffered, twosegs
 *   atomic_io getflags FILE | setflags FILE HEX
 *   atomic_io falloc FILE MODE OFF LEN   MODE: collapse, insert, punch,
 *                                        zero, keep
 *   atomic_io moveext ORIG DONOR         EXT4_IOC_MOVE_EXT of one block
 *   atomic_io pwrite FILE OFF LEN [MODE] a plain write; MODE: direct
 *                                        (default), buffered, mmap
 *   atomic_io verify FILE OFF LEN HEX    do LEN bytes at OFF all read HEX?
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
	if (argc == 4 && !strcmp(argv[1], "aligned"))
		return do_aligned(argv[2], strtoull(argv[3], NULL, 0));
	fprintf(stderr, "usage: atomic_io statx FILE | write FILE OFF LEN "
		"[direct|buffered|twosegs] | getflags FILE | setflags FILE HEX | "
		"falloc FILE MODE OFF LEN | moveext ORIG DONOR | "
		"pwrite FILE OFF LEN [direct|buffered|mmap] | verify FILE OFF LEN HEX | "
		"aligned FILE UNIT\n");
	return 2;
}
