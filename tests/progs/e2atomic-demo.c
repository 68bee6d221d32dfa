// SPDX-License-Identifier: GPL-2.0
/*
 * e2atomic-demo.c --- the library end to end on two image files.
 *
 * For a 4 KiB-block and a 1 KiB-block image: make the filesystem with
 * stock mke2fs, turn atomic_write on, create atomic files with the
 * aligned allocator, break one window on purpose, detect it, relocate
 * it, and show the extent maps before and after.  The data is hashed
 * before and after, and stock e2fsck checks a copy (with the feature
 * bit cleared, since stock e2fsck refuses it).
 */

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"

static const char *program = "e2atomic-demo";
static int keep_broken;		/* -k: stop before the repair */

struct demo_image {
	const char		*name;
	unsigned int		blocksize;
	unsigned long long	blocks;
};

static int print_violation(ext2_ino_t ino,
			   const struct ext2fs_atomic_violation *v,
			   void *priv)
{
	int bit;

	(void) priv;
	printf("    inode %u, windows %llu-%llu:", ino,
	       (unsigned long long) v->first_window,
	       (unsigned long long) (v->first_window + v->nr_windows - 1));
	for (bit = 1; bit <= EXT2FS_ATOMIC_ALL_PROBLEMS; bit <<= 1)
		if (v->problems & bit)
			printf(" %s;", ext2fs_atomic_problem_name(bit));
	printf("\n");
	return 0;
}

static errcode_t show(ext2_filsys fs, const char *what, ext2_ino_t ino,
		      const char *name)
{
	__u64 bad;
	errcode_t retval;

	printf("  %s: %s (inode %u)\n", what, name, ino);
	retval = fsutil_print_map(stdout, fs, ino);
	if (!retval)
		retval = ext2fs_atomic_check_inode(fs, ino, NULL,
						   print_violation, NULL, &bad);
	if (!retval)
		printf("    %llu window(s) break the rule\n",
		       (unsigned long long) bad);
	return retval;
}

/* An atomic file of nr_windows windows, written with a pattern. */
static errcode_t make_atomic_file(ext2fs_atomic_alloc_t ac, const char *name,
				  __u64 nr_windows, __u64 size,
				  unsigned int seed, ext2_ino_t *ino)
{
	ext2_filsys fs = ext2fs_atomic_alloc_fs(ac);
	struct ext2_inode inode;
	errcode_t retval;

	retval = fsutil_create_file(fs, name, 1, ino);
	if (!retval)
		retval = ext2fs_read_inode(fs, *ino, &inode);
	if (!retval)
		retval = ext2fs_atomic_alloc_windows(ac, *ino, &inode, 0,
						     nr_windows, 0, 0);
	if (!retval)
		retval = fsutil_write_pattern(fs, *ino, 0, size, seed);
	return retval;
}

/*
 * img NULL: use the atomic_write filesystem at dir (made by our mke2fs)
 * instead of making an image.
 */
static int run_demo(const char *dir, const struct demo_image *img)
{
	char path[4096], copy[4200], desc[64];
	ext2_filsys fs = NULL;
	ext2fs_atomic_alloc_t ac = NULL;
	struct ext2fs_atomic_reloc_stats st = { 0, 0 };
	ext2_ino_t db1, db2;
	__u64 h1, h2, h1b, h2b, unit;
	unsigned int log_unit;
	errcode_t retval;
	int ret;

	if (img) {
		snprintf(path, sizeof(path), "%s/demo-%s.img", dir, img->name);
		printf("== %s: %u-byte blocks, %llu blocks\n", path,
		       img->blocksize, img->blocks);
		if (fsutil_mkfs(path, img->blocksize, img->blocks, NULL)) {
			fprintf(stderr, "%s: stock mke2fs failed on %s\n",
				program, path);
			return 1;
		}
	} else {
		snprintf(path, sizeof(path), "%s", dir);
		printf("== %s\n", path);
	}
	if (img)
		snprintf(copy, sizeof(copy), "%s.stock-copy", path);
	else
		snprintf(copy, sizeof(copy), "/var/tmp/e2atomic-demo.%d.img",
			 (int) getpid());
	retval = fsutil_open(path, 1, &fs);
	if (!retval && img)
		retval = ext2fs_atomic_bytes_to_log(fs->super, 65536,
						    &log_unit);
	if (!retval && img)
		retval = ext2fs_atomic_enable(fs, log_unit);
	if (!retval && !ext2fs_atomic_has_feature(fs->super))
		retval = EXT2_ET_ATOMIC_NO_FEATURE;
	if (retval)
		goto fail;
	unit = ext2fs_atomic_unit_blocks(fs);
	ext2fs_atomic_describe_unit(fs->super, desc, sizeof(desc));
	printf("  atomic_write on, unit %s\n", desc);

	retval = ext2fs_atomic_alloc_open(fs, &ac);
	if (!retval)
		retval = make_atomic_file(ac, "db1", 4, 4 * unit * fs->blocksize,
					  1, &db1);
	if (!retval)
		retval = make_atomic_file(ac, "db2", 2,
					  3 * unit * fs->blocksize / 2, 2, &db2);
	if (!retval)
		retval = fsutil_hash_file(fs, db1, &h1);
	if (!retval)
		retval = fsutil_hash_file(fs, db2, &h2);
	if (!retval)
		retval = show(fs, "created", db1, "db1");
	if (!retval)
		retval = show(fs, "created", db2, "db2");
	if (retval)
		goto fail;

	printf("  breaking window 2 of db1 (moved one block off alignment)\n");
	retval = fsutil_shift_window(ac, db1, 2, 1);
	if (!retval)
		retval = show(fs, "broken", db1, "db1");
	if (retval)
		goto fail;

	if (keep_broken) {
		printf("  left broken for e2fsck to repair\n");
		ext2fs_atomic_alloc_close(ac);
		retval = ext2fs_close_free(&fs);
		if (retval)
			goto fail;
		return 0;
	}
	retval = ext2fs_atomic_relocate_inode(ac, db1, NULL, NULL, &st);
	if (retval)
		goto fail;
	printf("  relocated %llu window(s), %llu block(s) copied\n",
	       (unsigned long long) st.windows_moved,
	       (unsigned long long) st.blocks_copied);
	retval = show(fs, "repaired", db1, "db1");
	if (!retval)
		retval = fsutil_hash_file(fs, db1, &h1b);
	if (!retval)
		retval = fsutil_hash_file(fs, db2, &h2b);
	if (retval)
		goto fail;
	printf("  contents: db1 %s, db2 %s\n",
	       h1 == h1b ? "unchanged" : "CHANGED",
	       h2 == h2b ? "unchanged" : "CHANGED");
	ext2fs_atomic_alloc_close(ac);
	ac = NULL;
	retval = ext2fs_close_free(&fs);
	if (retval)
		goto fail;
	ret = fsutil_stock_fsck_clean(path, copy);
	printf("  stock e2fsck -fn on a copy without the feature bit: exit %d%s\n",
	       ret, ret == 0 ? " (clean)" : "");
	return (ret != 0 || h1 != h1b || h2 != h2b);
fail:
	com_err(program, retval, "on %s", path);
	ext2fs_atomic_alloc_close(ac);
	if (fs)
		ext2fs_close_free(&fs);
	return 1;
}

int main(int argc, char **argv)
{
	static const struct demo_image images[] = {
		{ "4k", 4096, 16384 },
		{ "1k", 1024, 32768 },
	};
	const char *dir = ".", *device = NULL;
	unsigned int i;
	int c, ret = 0;

	while ((c = getopt(argc, argv, "d:i:k")) != EOF) {
		switch (c) {
		case 'k':
			keep_broken = 1;
			break;
		case 'd':
			dir = optarg;
			break;
		case 'i':
			device = optarg;
			break;
		default:
			fprintf(stderr, "Usage: %s [-d directory] "
				"[-i atomic_write-filesystem [-k]]\n", program);
			exit(1);
		}
	}
	ext2fs_atomic_init();
	if (device)
		ret = run_demo(device, NULL);
	for (i = 0; !device && i < sizeof(images) / sizeof(images[0]); i++)
		ret |= run_demo(dir, &images[i]);
	printf("%s\n", ret ? "demo FAILED" : "demo passed");
	return ret;
}
