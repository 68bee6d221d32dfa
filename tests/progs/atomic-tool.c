// SPDX-License-Identifier: GPL-2.0
/*
 * atomic-tool.c --- a test helper: make, break, hash and check atomic
 * files on an image, so that shell tests can build the layouts they
 * need before the project's debugfs exists.
 *
 *   atomic-tool create IMG NAME WINDOWS SIZE SEED [GOAL]
 *   atomic-tool break  IMG NAME WINDOW SHIFT
 *   atomic-tool hash   IMG NAME [BYTES]   (FNV-1a of the first BYTES,
 *                                    default the whole i_size)
 *   atomic-tool check  IMG NAME
 *   atomic-tool strip  IMG          (clear the feature bit and unit only,
 *                                    for a copy that stock e2fsck reads)
 *   atomic-tool rawset IMG FEATURE LOG  (write the bit (0/1) and the unit
 *                                    byte as given, valid or not)
 *   atomic-tool punch  IMG NAME LBLK LEN   (a hole)
 *   atomic-tool move   IMG NAME LBLK LEN   (blocks to a run elsewhere)
 *   atomic-tool size   IMG NAME BYTES      (i_size only)
 *   atomic-tool freewin IMG                how many free aligned windows
 *   atomic-tool many   IMG PREFIX N WINDOWS (N written atomic files)
 *   atomic-tool deep   IMG NAME             (400 windows of U = 16, two
 *                                    extents each, every other window)
 *   atomic-tool blocks IMG NAME [BYTES]  one line per block (or piece of
 *                                    BYTES, e.g. 512 for sectors) below
 *                                    i_size: "INDEX HASH", HASH "zero"
 *                                    for zeros (a hole reads as zeros)
 *   atomic-tool hashes IMG NAME[:BYTES]...  "NAME HASH" per file, as
 *                                    hash does ("missing" when the name
 *                                    or its data cannot be read)
 */

#include <stdlib.h>
#include <string.h>

#include "fsutil.h"

static ext2_filsys open_rw(const char *img, ext2fs_atomic_alloc_t *ac)
{
	ext2_filsys fs;
	errcode_t err = fsutil_open(img, 1, &fs);

	if (!err)
		err = ext2fs_atomic_alloc_open(fs, ac);
	if (err) {
		com_err("atomic-tool", err, "opening %s", img);
		exit(2);
	}
	return fs;
}

static ext2_ino_t lookup(ext2_filsys fs, const char *name)
{
	ext2_ino_t ino;
	errcode_t err = ext2fs_namei(fs, EXT2_ROOT_INO, EXT2_ROOT_INO, name,
				     &ino);

	if (err) {
		com_err("atomic-tool", err, "looking up %s", name);
		exit(2);
	}
	return ino;
}

/* FNV-1a of a buffer; a block of zeros reads as hash 0 to the caller. */
static __u64 fnv(const unsigned char *buf, unsigned int len, int *zero)
{
	__u64 h = 0xcbf29ce484222325ULL;
	unsigned int i;

	*zero = 1;
	for (i = 0; i < len; i++) {
		h = (h ^ buf[i]) * 0x100000001b3ULL;
		if (buf[i])
			*zero = 0;
	}
	return h;
}

/* blocks IMG NAME [BYTES]: a hash per piece, for checks piece by piece. */
static errcode_t print_blocks(ext2_filsys fs, ext2_ino_t ino,
			      unsigned int piece)
{
	unsigned char *buf = NULL;
	ext2_file_t file;
	unsigned int got;
	errcode_t err, err2;
	__u64 size = 0, lblk, h;
	int zero;

	err = ext2fs_file_open(fs, ino, 0, &file);
	if (err)
		return err;
	err = ext2fs_file_get_lsize(file, &size);
	if (!err)
		if (!piece || piece > fs->blocksize)
		piece = fs->blocksize;
	if (!err)
		err = ext2fs_get_mem(piece, &buf);
	for (lblk = 0; !err && lblk * piece < size; lblk++) {
		err = ext2fs_file_read(file, buf, piece, &got);
		if (err)
			break;
		h = fnv(buf, got, &zero);
		if (zero)
			printf("%llu zero\n", (unsigned long long) lblk);
		else
			printf("%llu %016llx\n", (unsigned long long) lblk,
			       (unsigned long long) h);
	}
	ext2fs_free_mem(&buf);
	err2 = ext2fs_file_close(file);
	return err ? err : err2;
}

/* hashes IMG NAME[:BYTES]...: hash's output for many files, one open. */
static void print_hashes(ext2_filsys fs, int n, char **names)
{
	ext2_ino_t ino;
	char *colon;
	__u64 h;
	int i;

	for (i = 0; i < n; i++) {
		colon = strchr(names[i], ':');
		if (colon)
			*colon = 0;
		if (ext2fs_namei(fs, EXT2_ROOT_INO, EXT2_ROOT_INO, names[i],
				 &ino) ||
		    (colon ? fsutil_hash_range(fs, ino,
				strtoull(colon + 1, NULL, 0), &h) :
			     fsutil_hash_file(fs, ino, &h)))
			printf("%s missing\n", names[i]);
		else
			printf("%s %016llx\n", names[i],
			       (unsigned long long) h);
	}
}

static int done(ext2_filsys fs, ext2fs_atomic_alloc_t ac, errcode_t err)
{
	ext2fs_atomic_alloc_close(ac);
	if (!err)
		err = ext2fs_close_free(&fs);
	if (err) {
		com_err("atomic-tool", err, "while closing");
		return 2;
	}
	return 0;
}

/*
 * sbset: turn atomic_write on with a valid unit (16 blocks, or the
 * nearest valid one) in the primary superblock alone, whatever state the
 * rest of the filesystem is in (e2fsprogs' own f_ images).  Exit 3 when
 * the superblock cannot be read or is of revision 0 (no features).
 */
static int sb_set(const char *path)
{
	int flags = EXT2_FLAG_RW | EXT2_FLAG_64BITS | EXT2_FLAG_SUPER_ONLY |
		EXT2_FLAG_IGNORE_CSUM_ERRORS | EXT2_FLAG_IGNORE_SB_ERRORS;
	unsigned int log = 4, cluster_bits;
	ext2_filsys fs;

	if (ext2fs_open(path, flags, 0, 0, unix_io_manager, &fs))
		return 3;
	if (fs->super->s_rev_level == EXT2_GOOD_OLD_REV) {
		ext2fs_free(fs);	/* no features in revision 0 */
		return 3;
	}
	cluster_bits = fs->cluster_ratio_bits;
	while (log && (1U << log) > fs->super->s_blocks_per_group)
		log--;
	if (log < cluster_bits)
		log = cluster_bits;
	ext2fs_atomic_set_feature(fs->super);
	ext2fs_atomic_set_log_unit(fs->super, log);
	ext2fs_mark_super_dirty(fs);
	return ext2fs_close_free(&fs) ? 2 : 0;
}

int main(int argc, char **argv)
{
	ext2fs_atomic_alloc_t ac = NULL;
	struct ext2_inode inode;
	ext2_filsys fs;
	ext2_ino_t ino;
	errcode_t err = 0;
	__u64 h, bad;

	ext2fs_atomic_init();
	if (argc >= 7 && !strcmp(argv[1], "create")) {
		fs = open_rw(argv[2], &ac);
		err = fsutil_create_file(fs, argv[3], 1, &ino);
		if (!err)
			err = ext2fs_read_inode(fs, ino, &inode);
		if (!err)
			err = ext2fs_atomic_alloc_windows(ac, ino, &inode, 0,
				strtoull(argv[4], NULL, 0),
				argc > 7 ? strtoull(argv[7], NULL, 0) : 0, 0);
		if (!err)
			err = fsutil_write_pattern(fs, ino, 0,
				strtoull(argv[5], NULL, 0), atoi(argv[6]));
		return done(fs, ac, err);
	}
	if (argc == 6 && !strcmp(argv[1], "break")) {
		fs = open_rw(argv[2], &ac);
		err = fsutil_shift_window(ac, lookup(fs, argv[3]),
					  strtoull(argv[4], NULL, 0),
					  strtoull(argv[5], NULL, 0));
		return done(fs, ac, err);
	}
	if ((argc == 4 && !strcmp(argv[1], "check")) ||
	    ((argc == 4 || argc == 5) && !strcmp(argv[1], "hash"))) {
		err = ext2fs_open(argv[2], EXT2_FLAG_64BITS, 0, 0,
				  unix_io_manager, &fs);
		if (err) {
			com_err("atomic-tool", err, "opening %s", argv[2]);
			return 2;
		}
		ino = lookup(fs, argv[3]);
		if (argv[1][0] == 'h') {
			err = argc == 5 ? fsutil_hash_range(fs, ino,
					strtoull(argv[4], NULL, 0), &h) :
				fsutil_hash_file(fs, ino, &h);
			if (!err)
				printf("%016llx\n", (unsigned long long) h);
		} else {
			err = ext2fs_atomic_check_inode(fs, ino, NULL, NULL,
							NULL, &bad);
			if (!err)
				printf("%llu\n", (unsigned long long) bad);
		}
		ext2fs_free(fs);
		if (err)
			com_err("atomic-tool", err, "on %s", argv[3]);
		return err ? 2 : 0;
	}
	if (((argc == 4 || argc == 5) && !strcmp(argv[1], "blocks")) ||
	    (argc >= 4 && !strcmp(argv[1], "hashes"))) {
		err = ext2fs_open(argv[2], EXT2_FLAG_64BITS, 0, 0,
				  unix_io_manager, &fs);
		if (err) {
			com_err("atomic-tool", err, "opening %s", argv[2]);
			return 2;
		}
		if (argv[1][1] == 'a')
			print_hashes(fs, argc - 3, argv + 3);
		else
			err = print_blocks(fs, lookup(fs, argv[3]), argc == 5 ?
					   strtoul(argv[4], NULL, 0) : 0);
		ext2fs_free(fs);
		if (err)
			com_err("atomic-tool", err, "on %s", argv[3]);
		return err ? 2 : 0;
	}
	if (argc == 6 && (!strcmp(argv[1], "punch") ||
			  !strcmp(argv[1], "move"))) {
		blk64_t lblk = strtoull(argv[4], NULL, 0), run;
		blk64_t len = strtoull(argv[5], NULL, 0);

		fs = open_rw(argv[2], &ac);
		ino = lookup(fs, argv[3]);
		if (argv[1][0] == 'p')
			err = fsutil_unmap(fs, ino, lblk, len);
		else if (!(err = ext2fs_atomic_find_run(ac, 0, 0,
				ext2fs_atomic_unit_blocks(fs) * 2, &run)))
			err = fsutil_move_blocks(fs, ino, lblk, len,
						 run + lblk %
						 ext2fs_atomic_unit_blocks(fs));
		return done(fs, ac, err);
	}
	if (argc == 3 && !strcmp(argv[1], "freewin")) {
		blk64_t unit, pos = 0, blk;
		unsigned long n = 0;

		if (fsutil_open(argv[2], 0, &fs) ||
		    ext2fs_atomic_alloc_open(fs, &ac))
			return 2;
		unit = ext2fs_atomic_unit_blocks(fs);
		while (!ext2fs_atomic_find_run(ac, pos, 0, unit, &blk) &&
		       blk >= pos) {
			n++;
			pos = blk + unit;
		}
		printf("%lu free aligned windows\n", n);
		return done(fs, ac, 0);
	}
	if (argc == 5 && !strcmp(argv[1], "size")) {
		fs = open_rw(argv[2], &ac);
		err = fsutil_set_size(fs, lookup(fs, argv[3]),
				      strtoull(argv[4], NULL, 0));
		return done(fs, ac, err);
	}
	if (argc == 6 && !strcmp(argv[1], "many")) {
		unsigned long n = strtoul(argv[4], NULL, 0), i;
		__u64 w = strtoull(argv[5], NULL, 0);
		char name[256];

		fs = open_rw(argv[2], &ac);
		for (i = 0; i < n && !err; i++) {
			snprintf(name, sizeof(name), "%s%lu", argv[3], i);
			err = fsutil_create_file(fs, name, 1, &ino);
			if (!err)
				err = ext2fs_read_inode(fs, ino, &inode);
			if (!err)
				err = ext2fs_atomic_alloc_windows(ac, ino, &inode,
					0, w, 0, EXT2FS_ATOMIC_ALLOC_ZERO);
			if (!err)
				err = fsutil_set_size(fs, ino, w *
					ext2fs_atomic_unit_blocks(fs) *
					fs->blocksize);
		}
		return done(fs, ac, err);
	}
	if (argc == 4 && !strcmp(argv[1], "deep")) {
		blk64_t base = 0;
		int i;

		fs = open_rw(argv[2], &ac);
		err = fsutil_create_file(fs, argv[3], 1, &ino);
		for (i = 0; i < 400 && !err; i++) {
			err = ext2fs_atomic_alloc_run(ac, base, 0, 16, &base);
			if (!err)
				err = fsutil_map(fs, ino, i * 32, base, 8, 0);
			if (!err)
				err = fsutil_map(fs, ino, i * 32 + 8, base + 8,
						 8, 1);
		}
		if (!err)
			err = fsutil_set_size(fs, ino,
					      400ULL * 32 * fs->blocksize);
		return done(fs, ac, err);
	}
	if ((argc == 3 && !strcmp(argv[1], "strip")) ||
	    (argc == 5 && !strcmp(argv[1], "rawset"))) {
		err = ext2fs_open(argv[2], EXT2_FLAG_RW | EXT2_FLAG_64BITS, 0,
				  0, unix_io_manager, &fs);
		if (err) {
			com_err("atomic-tool", err, "opening %s", argv[2]);
			return 2;
		}
		ext2fs_atomic_disable(fs);
		if (argc == 5 && atoi(argv[3]))
			ext2fs_atomic_set_feature(fs->super);
		if (argc == 5)
			ext2fs_atomic_set_log_unit(fs->super, atoi(argv[4]));
		return done(fs, NULL, 0);
	}
	if (argc == 3 && !strcmp(argv[1], "sbset"))
		return sb_set(argv[2]);
	fprintf(stderr, "usage: atomic-tool create IMG NAME WINDOWS SIZE SEED "
		"[GOAL] | break IMG NAME WINDOW SHIFT | hash IMG NAME | "
		"check IMG NAME | strip IMG | rawset IMG FEATURE LOG | sbset IMG | "
		"freewin IMG\n");
	return 2;
}
